"""Checklist pages for the site: the interactive page, blank tables per set-up, roster school pages.

All three share one template (`templates/checklist.html`); the rows are rendered on the server,
escaped, with their applicability as data attributes. `assets/checklist.js` only filters rows,
stores answers in the browser, and imports/exports them — it never builds HTML from data.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from .checklist import OTHER_DISTRICT, Profile, Selected, by_dimension, select
from .model import CheckItem, Dataset, School
from .render import Linker, render_template
from .vocab import MODES, ORG_TYPES, OWNERSHIPS, RESULTS, STAGES, UNKNOWN

CHECKLIST_TITLE = "中小学校党组织领导的校长负责制落实情况自查表"
ORG_SLUGS = {"党委": "dw", "党总支": "dzz", "党支部": "dzb"}
MODE_SLUGS = {"一肩挑": "yjt", "分设": "fs"}


@dataclass(frozen=True)
class BlankPage:
    org_type: str
    mode: str

    @property
    def path(self) -> str:
        return f"checklist/blank/{ORG_SLUGS[self.org_type]}-{MODE_SLUGS[self.mode]}.md"

    @property
    def label(self) -> str:
        return f"{self.org_type} · 书记校长{self.mode}"


BLANK_PAGES = tuple(BlankPage(o, m) for o in ORG_TYPES for m in MODES)


def school_page_path(school: School) -> str:
    return f"schools/{school.id.lower()}.md"


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the element."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _page_data(ds: Dataset) -> dict[str, Any]:
    retired = {i.id: {"title": i.title, "replaced_by": i.retired.replaced_by if i.retired else ""}
               for i in ds.checklist if not i.active}
    return {"data_version": ds.data_version, "retired": retired, "results": list(RESULTS),
            "districts": {d.id: d.short or d.name for d in ds.districts}}


@dataclass(frozen=True)
class BasisView:
    """One 依据 entry: a source location, with every basis record that cites it there."""

    label: str
    record_ids: tuple[str, ...]


def basis_views(ds: Dataset, item: CheckItem) -> list[BasisView]:
    """An item's basis grouped by what the reader sees (source · line), in first-seen order."""
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for rid in item.basis:
        rec = ds.get(rid)
        label = f"{ds.source(rec.cite[0].src).label} {rec.cite[0].loc}" if rec.cite else rid
        groups.setdefault(label, []).append(rid)
    return [BasisView(label, tuple(ids)) for label, ids in groups.items()]


def _context(ds: Dataset, link: Linker, rows: list[Selected], *, mode: str, profile: Profile,
             heading: str) -> dict[str, Any]:
    groups: OrderedDict[str, list[Selected]] = by_dimension(ds, rows)
    districts = [(d.id, d.name) for d in ds.districts] + [(OTHER_DISTRICT, "其他地区")]
    return {
        "ds": ds, "link": link, "groups": groups, "mode": mode, "profile": profile, "heading": heading,
        "title": CHECKLIST_TITLE, "results": RESULTS, "unknown": UNKNOWN,
        "choices": {"org_type": ORG_TYPES, "mode": MODES, "stage": STAGES, "ownership": OWNERSHIPS},
        "districts": districts, "district_names": dict(districts), "page_data": _json_for_script(_page_data(ds)),
        "evidence_names": {e.id: e.name for e in ds.evidence},
        "dimension_names": {d.key: d.name for d in ds.dimensions},
        "basis": {s.item.id: basis_views(ds, s.item) for s in rows},
    }


def checklist_app(ds: Dataset, link: Linker) -> Markup:
    """The interactive checklist: every item rendered, filtered in the browser by the profile."""
    rows = select(ds, Profile())  # unknown profile → every item that could apply
    return render_template("checklist.html", **_context(ds, link, rows, mode="app", profile=Profile(),
                                                         heading="在线自查"))


def checklist_blank(ds: Dataset, link: Linker, org_type: str, mode: str) -> Markup:
    """A static blank table for one set-up; reads and prints without JavaScript."""
    profile = Profile(org_type=org_type, mode=mode)
    rows = select(ds, profile)
    return render_template("checklist.html", **_context(ds, link, rows, mode="blank", profile=profile,
                                                         heading=f"{org_type} · 书记校长{mode}"))


def checklist_school(ds: Dataset, link: Linker, school_id: str) -> Markup:
    """A roster school's pre-filled, tailored checklist; answers saved under the school's ID."""
    school = ds.get(school_id)
    assert isinstance(school, School)
    return _school_cache(ds).render(ds, link, Profile.from_school(school))


def _render_school(ds: Dataset, link: Linker, profile: Profile) -> Markup:
    rows = select(ds, profile)
    return render_template("checklist.html", **_context(ds, link, rows, mode="school", profile=profile,
                                                         heading=profile.name))


class _SchoolPages:
    """Renders each profile combination's page once: schools differ from it only by name and ID.

    With thousands of roster schools, most share a set-up (org type, mode, stage, ownership,
    district) and so the very same table. The fragment is rendered with placeholder name and ID and
    the school's own (escaped) values are put in. The first school of a build is also rendered
    directly and compared; if the template ever uses the name differently, caching switches off.
    """

    NAME, ID = "\ue000dz-school-name\ue001", "\ue000dz-school-id\ue001"

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.fragments: dict[tuple[str, ...], str] = {}
        self.verified: bool | None = None  # None: not yet checked

    def render(self, ds: Dataset, link: Linker, profile: Profile) -> Markup:
        if self.verified is False or "\ue000" in profile.name + profile.school_id:
            return _render_school(ds, link, profile)
        here = link.page_url.replace(profile.school_id.lower(), self.ID)
        key = (profile.district, profile.org_type, profile.mode, profile.stage, profile.ownership, here)
        fragment = self.fragments.get(key)
        if fragment is None:
            generic = Profile(self.NAME, profile.district, profile.org_type, profile.mode, profile.stage,
                              profile.ownership, self.ID)
            fragment = self.fragments[key] = str(_render_school(ds, link, generic))
        out = Markup(fragment.replace(self.NAME, str(escape(profile.name))).replace(self.ID, str(escape(profile.school_id))))
        if self.verified is None:
            self.verified = out == _render_school(ds, link, profile)
            if not self.verified:
                return _render_school(ds, link, profile)
        return out


_SCHOOL_PAGES: list[_SchoolPages] = []


def _school_cache(ds: Dataset) -> _SchoolPages:
    """One cache per dataset (a build); a new build's dataset replaces the old cache."""
    if not _SCHOOL_PAGES or _SCHOOL_PAGES[0].ds is not ds:
        _SCHOOL_PAGES[:] = [_SchoolPages(ds)]
    return _SCHOOL_PAGES[0]


def blank_index(ds: Dataset, link: Linker) -> Markup:
    counts = [(p, link.to(p.path), len(select(ds, Profile(org_type=p.org_type, mode=p.mode)))) for p in BLANK_PAGES]
    return render_template("blank_index.html", pages=counts, ds=ds, link=link)


def schools_index(ds: Dataset, link: Linker) -> Markup:
    groups: OrderedDict[str, list[School]] = OrderedDict()
    names = {d.id: d.name for d in ds.districts}
    for s in ds.schools:
        if s.active:
            groups.setdefault(names.get(s.district, "其他地区"), []).append(s)
    rows = OrderedDict((k, [(s, link.to(school_page_path(s)), len(select(ds, Profile.from_school(s)))) for s in v])
                       for k, v in groups.items())
    return render_template("schools_index.html", groups=rows, ds=ds, link=link)


MACROS = (checklist_app, checklist_blank, checklist_school, blank_index, schools_index)
# Whole-table fragments: kept out of Markdown's HTML parser (site.stash), put back after it.
STASHED = (checklist_app, checklist_blank, checklist_school)


def generated_files(ds: Dataset) -> dict[str, str]:
    """Markdown for the blank pages and the school pages (macro calls with IDs only, no data text).

    School pages carry `search: exclude` so a large roster never bloats the search index, and sit
    under schools/, which mkdocs.yml keeps out of the navigation.
    """
    out: dict[str, str] = {}
    for p in BLANK_PAGES:
        out[p.path] = (f"---\ntitle: 空白自查表 {p.org_type} {p.mode}\nsearch:\n  exclude: true\n"
                       f"data_files: [data/checklist.yaml]\n---\n\n"
                       f'{{{{ checklist_blank("{p.org_type}", "{p.mode}") }}}}\n')
    for s in ds.schools:
        if s.active:
            out[school_page_path(s)] = (f"---\ntitle: 自查表 {s.id}\nsearch:\n  exclude: true\nhide:\n  - navigation\n"
                                        f"data_files: [{s.origin.file}]\n---\n\n"
                                        f'{{{{ checklist_school("{s.id}") }}}}\n')
    return out
