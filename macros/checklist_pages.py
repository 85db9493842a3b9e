"""Checklist pages for the site: the interactive page, blank tables per set-up, roster school pages.

All share one template (`templates/checklist.html`); the rows are rendered on the server, escaped,
grouped by kind (规定项 / 参考项) and dimension. `assets/checklist*.js` receive the rules as JSON
(`checklist.spec`) and only shows, hides, moves and numbers rows, stores answers in the browser,
and imports/exports them — it never builds HTML from data.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from .checklist import Profile, Selected, district_names, scoring_profile, select, spec
from .model import CheckItem, Dataset, School
from .render import Linker, render_template
from .scope import REFERENCE, RULE, basis_records, force_label, item_binding
from .scoring_profile import ItemPoints
from .tooltips import fill
from .vocab import OTHER_DISTRICT, OTHER_DISTRICT_LABEL, PROFILE_KEYS, PROFILE_LABELS, UNKNOWN

CHECKLIST_TITLE = "中小学校党组织领导的校长负责制落实情况自查表"
KIND_NOTES = {RULE: "依据对本校有约束力的规定", REFERENCE: "探索性、倡导性做法或其他地方、范文的做法，不计为未达标"}


@dataclass(frozen=True)
class BlankPage:
    org_type: str
    mode: str
    path: str  # checklist/blank/<org slug>-<mode slug>.md (slugs: the schema's x-slugs)

    @property
    def label(self) -> str:
        return f"{self.org_type} · 书记校长{self.mode}"


def blank_pages(ds: Dataset) -> tuple[BlankPage, ...]:
    s = ds.vocab.slugs
    return tuple(BlankPage(o, m, f"checklist/blank/{s[o]}-{s[m]}.md") for o in ds.vocab.org_types for m in ds.vocab.modes)


def school_page_path(school: School) -> str:
    return f"schools/{school.id.lower()}.md"


def json_for_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


@dataclass(frozen=True)
class BasisView:
    """One 依据 entry: a source location, the basis records cited there, and their force labels."""

    label: str
    record_ids: tuple[str, ...]
    forces: tuple[str, ...]


def basis_views(ds: Dataset, item: CheckItem) -> list[BasisView]:
    """An item's basis grouped by what the reader sees (source · line), in first-seen order."""
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for rid in item.basis:
        rec = ds.get(rid)
        label = f"{ds.source(rec.cite[0].src).label} {rec.cite[0].loc}" if rec.cite else rid
        groups.setdefault(label, []).append(rid)
    out = []
    for label, ids in groups.items():
        forces = tuple(dict.fromkeys(f for f in (force_label(ds, ds.get(i)) for i in ids) if f))
        out.append(BasisView(label, tuple(ids), forces))
    return out


def whose_practice(ds: Dataset, item: CheckItem) -> str:
    """For a 参考项: whose rules or practice it comes from, e.g. 襄州·探索；鹤北小学·学校自定·规定."""
    labels = dict.fromkeys(f for f in (force_label(ds, r) for r in basis_records(ds, item)) if f)
    return "；".join(labels)


def kind_notes(ds: Dataset) -> dict[str, dict[str, str]]:
    """Per item, the note shown under its title for each kind (also sent to the page's script)."""
    out = {}
    names = district_names(ds)
    for item in ds.active_checklist():
        binding = item_binding(ds, item).districts(ds)
        places = "、".join(names.get(d, d) for d in sorted(binding) if d != "*")
        rule = "" if "*" in binding or not places else f"依据{places}的规定"
        reference = f"参考：{whose_practice(ds, item)}" if whose_practice(ds, item) else "参考项"
        maybe = f"如学校属{places}，本项为规定项" if places and "*" not in binding else ""
        out[item.id] = {RULE: rule, REFERENCE: reference, "maybe": maybe}
    return out


def page_data(ds: Dataset) -> Markup:
    data = spec(ds)
    data["notes"] = kind_notes(ds)
    return json_for_script(data)


def checklist_context(ds: Dataset, link: Linker | None, rows: list[Selected], *, mode: str, profile: Profile,
                      heading: str, data: Markup | None = None) -> dict[str, Any]:
    """Everything the checklist template needs (also used by the batch command for print files).

    `data` is `page_data(ds)` when the caller already has it: it is the same for every page of a build.
    """
    v = ds.vocab
    dims = [d.key for d in ds.dimensions]
    interactive = mode in ("app", "school")
    sections = []
    counts = {}
    for kind in (RULE, REFERENCE):
        of_kind = [s for s in rows if s.kind.kind == kind]
        counts[kind] = len(of_kind)
        by_dim = OrderedDict((d, [s for s in of_kind if s.item.dimension == d]) for d in dims)
        groups = list(by_dim.items()) if mode == "app" else [(d, r) for d, r in by_dim.items() if r]
        if groups:
            sections.append((kind, groups))
    notes = kind_notes(ds)

    def kind_note(s: Selected) -> str:
        n = notes[s.item.id]
        if s.kind.kind == REFERENCE and not s.kind.certain:
            return n["maybe"]
        return n[s.kind.kind]

    result_kinds: dict[str, list[str]] = {}
    for kind in (RULE, REFERENCE):
        for r in (v.rule_results if kind == RULE else v.reference_results):
            result_kinds.setdefault(r, []).append(kind)
    districts = [(d.id, d.name) for d in ds.districts] + [(OTHER_DISTRICT, OTHER_DISTRICT_LABEL)]
    scoring = scoring_profile(ds, profile)
    # One radio per answer value; a row shows those of its kind. Answers both kinds take (不适用) go last,
    # so each kind's answers appear in that kind's own order, as on blank and printed tables.
    shared = [r for r in v.results if len(result_kinds[r]) > 1]
    all_results = tuple(r for r in v.results if r not in shared) + tuple(shared)
    return {
        "scoring": scoring, "points": scoring.points if scoring else (lambda item_id: ItemPoints(item_id, 0)),
        "ds": ds, "link": link, "mode": mode, "profile": profile, "heading": heading, "title": CHECKLIST_TITLE,
        "unknown": UNKNOWN, "labels": PROFILE_LABELS, "profile_keys": PROFILE_KEYS,
        "choices": {k: v.choices(k) for k in ("org_type", "mode", "stage", "ownership")},
        "districts": districts, "district_names": district_names(ds),
        "page_data": (data if data is not None else page_data(ds)) if interactive else "",
        "evidence_names": {e.id: e.name for e in ds.evidence},
        "dimension_names": {d.key: d.name for d in ds.dimensions}, "dimension_order": dims,
        "present_dimensions": {s.item.dimension for s in rows},
        "basis": {s.item.id: basis_views(ds, s.item) for s in rows},
        "kinds": (RULE, REFERENCE), "rule": RULE, "counts": counts, "sections": sections, "kind_notes": KIND_NOTES,
        "kind_note": kind_note, "results": {RULE: v.rule_results, REFERENCE: v.reference_results},
        "all_results": all_results, "result_kinds": {r: " ".join(k) for r, k in result_kinds.items()},
        "unanswered": "未填", "order": {i.id: n for n, i in enumerate(ds.active_checklist(), start=1)},
    }


def checklist_app(ds: Dataset, link: Linker) -> Markup:
    """The interactive checklist: every item rendered, filtered in the browser by the profile."""
    rows = select(ds, Profile())  # unknown profile → every item that could apply
    return render_template("checklist.html", **checklist_context(ds, link, rows, mode="app", profile=Profile(),
                                                                 heading="在线自查"))


def checklist_blank(ds: Dataset, link: Linker, org_type: str, mode: str) -> Markup:
    """A static blank table for one set-up; reads and prints without JavaScript."""
    profile = Profile(org_type=org_type, mode=mode)
    rows = select(ds, profile)
    return render_template("checklist.html", **checklist_context(ds, link, rows, mode="blank", profile=profile,
                                                                 heading=f"{org_type} · 书记校长{mode}"))


def _render_school(ds: Dataset, link: Linker, profile: Profile, data: Markup | None = None) -> Markup:
    rows = select(ds, profile)
    return render_template("checklist.html", **checklist_context(ds, link, rows, mode="school", profile=profile,
                                                                 heading=profile.name, data=data))


class SchoolPages:
    """Renders each profile combination's page once: schools differ from it only by name and ID.

    With thousands of roster schools, most share a set-up (org type, mode, stage, ownership,
    district) and so the very same table. The fragment is rendered with placeholder name and ID and
    the school's own (escaped) values are put in. The first school of a build is also rendered
    directly and compared; if the template ever uses the name differently, caching switches off.
    One instance per build, owned by the build state.
    """

    NAME, ID = "\ue000dz-school-name\ue001", "\ue000dz-school-id\ue001"

    def __init__(self) -> None:
        self.fragments: dict[tuple[str, ...], str] = {}
        self.verified: bool | None = None  # None: not yet checked
        self.data: Markup | None = None  # page_data(ds): the same JSON on every school page of the build

    def render(self, ds: Dataset, link: Linker, school_id: str) -> Markup:
        """The school's checklist fragment, its name and ID filled in."""
        return Markup(fill(*self.parts(ds, link, school_id)))

    def parts(self, ds: Dataset, link: Linker, school_id: str) -> tuple[str, dict[str, str]]:
        """The fragment with placeholders, and {placeholder: escaped value}; no placeholders if uncached."""
        school = ds.get(school_id)
        assert isinstance(school, School)
        profile = Profile.from_school(school)
        if self.data is None:
            self.data = page_data(ds)
        if self.verified is False or "\ue000" in profile.name + profile.school_id:
            return str(_render_school(ds, link, profile, self.data)), {}
        here = link.page_url.replace(profile.school_id.lower(), self.ID)
        key = (profile.district, profile.org_type, profile.mode, profile.stage, profile.ownership, here)
        fragment = self.fragments.get(key)
        if fragment is None:
            generic = Profile(self.NAME, profile.district, profile.org_type, profile.mode, profile.stage,
                              profile.ownership, self.ID)
            fragment = self.fragments[key] = str(_render_school(ds, link, generic, self.data))
        fills = {self.NAME: str(escape(profile.name)), self.ID: str(escape(profile.school_id))}
        if self.verified is None:
            direct = str(_render_school(ds, link, profile, self.data))
            self.verified = fill(fragment, fills) == direct
            if not self.verified:
                return direct, {}
        return fragment, fills


def blank_index(ds: Dataset, link: Linker) -> Markup:
    counts = [(p, link.to(p.path), len(select(ds, Profile(org_type=p.org_type, mode=p.mode)))) for p in blank_pages(ds)]
    return render_template("blank_index.html", pages=counts, ds=ds, link=link)


def schools_index(ds: Dataset, link: Linker) -> Markup:
    groups: OrderedDict[str, list[School]] = OrderedDict()
    names = district_names(ds)
    for s in ds.schools:
        if s.active:
            groups.setdefault(names.get(s.district, OTHER_DISTRICT_LABEL), []).append(s)
    rows = OrderedDict((k, [(s, link.to(school_page_path(s)), len(select(ds, Profile.from_school(s)))) for s in v])
                       for k, v in groups.items())
    return render_template("schools_index.html", groups=rows, ds=ds, link=link)


MACROS = (checklist_app, checklist_blank, blank_index, schools_index)
# Whole-table fragments: kept out of Markdown's HTML parser (BuildState.stash), put back after it.
STASHED = (checklist_app, checklist_blank)


def generated_files(ds: Dataset) -> dict[str, str]:
    """Markdown for the blank pages and the school pages (macro calls with IDs only, no data text).

    School pages carry `search: exclude` so a large roster never bloats the search index, and sit
    under schools/, which mkdocs.yml keeps out of the navigation. Neither kind shows a table of contents:
    the wide table gets the room.
    """
    out: dict[str, str] = {}
    for p in blank_pages(ds):
        out[p.path] = (f"---\ntitle: 空白自查表 {p.org_type} {p.mode}\nsearch:\n  exclude: true\nhide:\n  - toc\n"
                       f"data_files: [data/checklist.yaml]\n---\n\n"
                       f'{{{{ checklist_blank("{p.org_type}", "{p.mode}") }}}}\n')
    for s in ds.schools:
        if s.active:
            out[school_page_path(s)] = (f"---\ntitle: 自查表 {s.id}\nsearch:\n  exclude: true\nhide:\n  - navigation\n  - toc\n"
                                        f"data_files: [{s.origin.file}]\n---\n\n"
                                        f'{{{{ checklist_school("{s.id}") }}}}\n')
    return out
