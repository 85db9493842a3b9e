"""Records → HTML fragments, through Jinja templates with autoescape on.

Logic (grouping, ordering, links) lives here as plain functions that take a `Dataset` and a
`Linker`; layout lives in `templates/`. Nothing from data is ever evaluated as a template: the
templates receive data only as variables, and autoescape turns every string into text.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from .model import (
    Dataset,
    Figure,
    Record,
    Responsibility,
    Source,
)
from .scope import force_label
from .site import plan_page_path, plan_sources
from .vocab import ASPECT_LABELS, MEETING_BODIES, RELATION_LABELS, SOURCE_KIND_LABELS, SUPPORT_LABELS

TEMPLATES = Path(__file__).parent / "templates"

# The page (docs source path) on which each record type is rendered with its ID as anchor.
PAGE_OF_PREFIX = {
    "SRC": "sources.md", "RS": "responsibilities.md", "DI": "decisions.md", "MR": "meeting-rules.md",
    "OS": "setups.md", "SP": "supports.md", "MS": "supports.md", "PL": "party-rules.md", "VR": "variants.md", "GL": "glossary.md",
    "EV": "checklist/index.md", "CK": "checklist/index.md",
}
SAFE_URL = re.compile(r"^https?://[^\s<>\"']+$")


@dataclass(frozen=True)
class Linker:
    """Makes relative links from the page being rendered to any record's anchor.

    `urls` maps docs source paths to the URL mkdocs gives them, so links stay right whether the
    site is built with directory URLs (served) or without (opened from disk).
    """

    page_url: str
    urls: Mapping[str, str]
    dataset: Dataset | None = None

    def to(self, src_path: str, anchor: str = "") -> str:
        """Relative URL from the current page to a docs page (and anchor)."""
        target = self.urls.get(src_path)
        if target is None:
            raise KeyError(f"no page {src_path!r} in the site")
        here = self.page_url
        base = (here[:-1] if here.endswith("/") else posixpath.dirname(here)) or "."
        if target == "" or target.endswith("/"):
            rel = posixpath.relpath(target.rstrip("/") or ".", base)
            rel = "./" if rel == "." else rel + "/"
        else:
            rel = posixpath.relpath(target, base)
        return rel + (f"#{anchor}" if anchor else "")

    def record(self, record_id: str) -> str:
        """URL of a record's anchor wherever it is rendered."""
        return self.to(page_of(record_id, self.dataset), record_id)


def page_of(record_id: str, dataset: Dataset | None = None) -> str:
    prefix = record_id.split("-")[0]
    if prefix in PAGE_OF_PREFIX:
        return PAGE_OF_PREFIX[prefix]
    if prefix == "DS":
        return f"practices/{district_slug(record_id, dataset)}.md"
    if prefix in ("PR", "FG"):
        if dataset is None:
            raise KeyError(record_id)
        for p in dataset.practices:
            if p.id == record_id or any(f.id == record_id for f in p.figures):
                return f"practices/{district_slug(p.district, dataset)}.md"
    if prefix == "SCH":
        return f"schools/{record_id.lower()}.md"
    raise KeyError(f"no page for record {record_id!r}")


def district_slug(district_id: str, dataset: Dataset | None) -> str:
    if dataset is not None:
        for d in dataset.districts:
            if d.id == district_id:
                return d.slug
    return district_id.removeprefix("DS-").lower()


def safe_url(url: str) -> str:
    """Only http(s) URLs become links; anything else (javascript:, data:) is refused."""
    return url if SAFE_URL.match(url or "") else ""


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters["safe_url"] = safe_url
    env.filters["chinese_numeral"] = lambda n: "一二三四五六七八九十"[n - 1]
    env.globals["ref_label"] = ref_label
    return env


def render_template(name: str, **context: Any) -> Markup:
    """Render a fragment and make it safe to drop into Markdown as one raw HTML block.

    Python-Markdown ends a raw HTML block at a blank line and treats 4-space indents as code, so
    blank lines are dropped and lines are left-stripped (`<pre>` is never used in fragments).
    """
    out = _env().get_template(name).render(**context)
    lines = [line.strip() for line in out.splitlines()]
    return Markup("\n".join(line for line in lines if line))


# ----------------------------------------------------------------------------------------------
# View helpers shared by several fragments


@dataclass(frozen=True)
class CiteView:
    label: str
    loc: str
    href: str
    title: str
    note: str = ""
    copy_url: str = ""  # the copy actually read, when it is not the source's own page


def cite_views(record: Record, ds: Dataset, link: Linker) -> list[CiteView]:
    out = []
    for c in record.cite:
        src = ds.source(c.src)
        out.append(CiteView(src.label, c.loc, link.record(c.src), src.title, c.note, safe_url(c.url)))
    return out


def record_scope(ds: Dataset, record: Record) -> str:
    """The level of the record's source (全国, 区县, 学校自定 …): what the 全国性规定 filter looks at."""
    src = ds.by_id.get(record.cite[0].src) if record.cite else None
    return src.level if isinstance(src, Source) else ""


def force_title(ds: Dataset, record: Record) -> str:
    """The tooltip of a force label: the words it rests on and what they mean for a school."""
    if not record.force:
        return ""
    binding = "可作为规定项的依据" if record.force in ds.vocab.binding_forces else "不作为规定项的依据"
    quote = f"原文：“{record.force_quote}”。" if record.force_quote else "原文未写明约束力。"
    note = f"{record.force_note}" if record.force_note else ""
    return f"{quote}{binding}（还要看来源是否约束本校）。{note}"


def _common(ds: Dataset, link: Linker) -> dict[str, Any]:
    return {"ds": ds, "link": link, "cites": lambda r: cite_views(r, ds, link),
            "force": lambda r: force_label(ds, r), "force_title": lambda r: force_title(ds, r),
            "scope": lambda r: record_scope(ds, r),
            "binds": lambda r: "binding" if r.force in ds.vocab.binding_forces else "guidance"}


# ----------------------------------------------------------------------------------------------
# Pages


def responsibilities(ds: Dataset, link: Linker) -> Markup:
    """Per holder, one column per source, duties in the source's own order."""
    groups: OrderedDict[str, OrderedDict[str, list[Responsibility]]] = OrderedDict()
    for holder in ds.vocab.holders:
        per_source: OrderedDict[str, list[Responsibility]] = OrderedDict()
        for r in ds.responsibilities:
            if r.holder == holder and r.active:
                per_source.setdefault(r.cite[0].src, []).append(r)
        if per_source:
            for items in per_source.values():
                items.sort(key=lambda r: (r.order or 999, r.id))
            groups[holder] = per_source
    return render_template("responsibilities.html", groups=groups, **_common(ds, link))


def decision_matrix(ds: Dataset, link: Linker) -> Markup:
    """Matters × bodies; each cell lists the actions of that body, numbered in sequence."""
    decisions = [d for d in ds.decisions if d.active]
    used = {role.body for d in decisions for role in d.roles}
    bodies = [b for b in ds.vocab.bodies if b in used]
    rows = []
    for d in decisions:
        cells: dict[str, list[tuple[int, str, str]]] = {b: [] for b in bodies}
        for step, role in enumerate(d.roles, start=1):
            cells[role.body].append((step, role.action, role.note))
        rows.append((d, cells))
    return render_template("decisions.html", rows=rows, bodies=bodies, **_common(ds, link))


def meeting_rules(ds: Dataset, link: Linker) -> Markup:
    """Aspects × the two meetings; every rule with its source; aspects where sources differ flagged."""
    rules = [r for r in ds.meeting_rules if r.active]
    aspects = [a for a in ds.vocab.aspects if any(r.aspect == a for r in rules)]
    table = []
    for aspect in aspects:
        cells = {}
        for body in MEETING_BODIES:
            cells[body] = [r for r in rules if r.aspect == aspect and r.body == body]
        differing = any(len({x.cite[0].src for x in c}) > 1 for c in cells.values())
        table.append((aspect, ASPECT_LABELS[aspect], cells, differing))
    other = [r for r in rules if r.body not in MEETING_BODIES]
    variants = [v for v in ds.variants if v.active and v.topic in ("meeting", "frequency")]
    return render_template("meeting_rules.html", table=table, bodies=MEETING_BODIES, other=other,
                           variants=variants, **_common(ds, link))


def setups(ds: Dataset, link: Linker) -> Markup:
    modes = (*ds.vocab.modes, "")
    grid = {(o, m): [s for s in ds.setups if s.active and s.org_type == o and (s.mode or "") == m]
            for o in ds.vocab.org_types for m in modes}
    return render_template("setups.html", grid=grid, org_types=ds.vocab.org_types, modes=modes, **_common(ds, link))


@dataclass(frozen=True)
class CountsView:
    """Qujing-style counts by org type × mode, ready for a table and a bar chart."""

    rows: list[tuple[str, Figure | None, Figure | None, Figure | None]]
    total: Figure | None
    bars: list[dict[str, Any]] = field(default_factory=list)
    width: int = 640
    height: int = 0


def org_counts(ds: Dataset, district_id: str) -> CountsView | None:
    """Figures of one district broken down by org type and mode (parts that sum to a total)."""
    figures = [f for p in ds.practices if p.district == district_id for f in p.figures if f.active]
    by_break = {(f.breakdown.org_type, f.breakdown.mode): f for f in figures if f.breakdown}
    if not by_break:
        return None
    rows = []
    yjt_mode, fs_mode = ds.vocab.modes  # the chart stacks the two set-ups the schema knows
    for org in ds.vocab.org_types:
        yjt, fs, total = by_break.get((org, yjt_mode)), by_break.get((org, fs_mode)), by_break.get((org, ""))
        if total is None:
            total = next((f for f in figures if f.parts and yjt and fs and set(f.parts) == {yjt.id, fs.id}), None)
        if yjt or fs or total:
            rows.append((org, total, yjt, fs))
    leaf_ids = {r[1].id for r in rows if r[1]}
    grand = next((f for f in figures if f.parts and set(f.parts) == leaf_ids), None)
    # Bar chart geometry, computed here so the template only places shapes.
    top = max((r[1].value if r[1] else 0) for r in rows) or 1
    bars, y = [], 28
    scale = 440 / top
    for org, total, yjt, fs in rows:
        a = (yjt.value if yjt else 0) * scale
        b = (fs.value if fs else 0) * scale
        bars.append({"org": org, "y": y, "yjt_w": round(a, 1), "fs_x": round(120 + a, 1), "fs_w": round(b, 1),
                     "yjt": yjt, "fs": fs, "total": total, "label_x": round(120 + a + b + 8, 1)})
        y += 44
    return CountsView(rows, grand, bars, 720, y + 30)  # room for the longest label right of a full bar


def org_counts_charts(ds: Dataset, link: Linker) -> Markup:
    """Counts of schools by org type × set-up, for every district whose figures give them."""
    out = []
    for d in ds.districts:
        view = org_counts(ds, d.id)
        if view is not None:
            out.append(render_template("org_counts.html", view=view, district=d, modes=ds.vocab.modes,
                                       **_common(ds, link)))
    return Markup("\n".join(out))


def supports(ds: Dataset, link: Linker) -> Markup:
    groups: OrderedDict[str, list] = OrderedDict((k, []) for k in ds.vocab.support_kinds)
    for s in ds.supports:
        if s.active:
            groups[s.kind].append(s)
    groups = OrderedDict((k, v) for k, v in groups.items() if v)
    return render_template("supports.html", groups=groups, labels=SUPPORT_LABELS, **_common(ds, link))


def party_rules(ds: Dataset, link: Linker) -> Markup:
    """Party-regulation clauses by topic, each with its article, force and the copy it was read in."""
    groups = OrderedDict((t, [r for r in ds.party_rules if r.active and r.topic == t]) for t in ds.vocab.party_topics)
    groups = OrderedDict((k, v) for k, v in groups.items() if v)
    return render_template("party_rules.html", groups=groups, **_common(ds, link))


def timeline(ds: Dataset, link: Linker) -> Markup:
    items = sorted((m for m in ds.milestones if m.active), key=lambda m: (m.sort_key or "9999", m.id))
    return render_template("timeline.html", items=items, **_common(ds, link))


def district_page(ds: Dataset, link: Linker, district_id: str) -> Markup:
    district = ds.district(district_id)
    practices = [p for p in ds.practices if p.district == district_id and p.active]
    counts = org_counts(ds, district_id)
    local_items = [i for i in ds.active_checklist() if district_id in i.applies.district]
    return render_template("district.html", district=district, practices=practices, counts=counts,
                           local_items=local_items, relation_labels=RELATION_LABELS, modes=ds.vocab.modes,
                           **_common(ds, link))


def district_compare(ds: Dataset, link: Linker) -> Markup:
    rows = []
    for d in ds.districts:
        practices = [p for p in ds.practices if p.district == d.id and p.active]
        figures = sum(len(p.figures) for p in practices)
        rows.append((d, practices, figures))
    return render_template("districts_compare.html", rows=rows, **_common(ds, link))


PLAN_KINDS = (
    ("responsibilities", "职责"), ("decisions", "决策事项"), ("meeting_rules", "议事规则"), ("setups", "组织设置"),
    ("supports", "保障措施"), ("milestones", "时间节点"), ("party_rules", "党内法规要点"), ("glossary", "术语"),
)


def plan_page(ds: Dataset, link: Linker, source_id: str) -> Markup:
    src = ds.source(source_id)
    sections = []
    for attr, label in PLAN_KINDS:
        items = [r for r in getattr(ds, attr) if r.active and any(c.src == source_id for c in r.cite)]
        if items:
            sections.append((label, items))
    variants = [v for v in ds.variants if v.active and any(c.src == source_id for c in v.cite)]
    return render_template("plan.html", src=src, sections=sections, variants=variants, **_common(ds, link))


def plans_index(ds: Dataset, link: Linker) -> Markup:
    plans = [(src, plan_page_path(src.slug), len([r for r in ds.citing(src.id) if r.active])) for src in plan_sources(ds)]
    return render_template("plans_index.html", plans=plans, **_common(ds, link))


def glossary(ds: Dataset, link: Linker) -> Markup:
    terms = sorted((t for t in ds.glossary if t.active), key=lambda t: t.term)
    return render_template("glossary.html", terms=terms, **_common(ds, link))


def sources(ds: Dataset, link: Linker) -> Markup:
    rows = [(s, [r for r in ds.citing(s.id) if r.active]) for s in ds.sources if s.active]  # retired ones have no page
    return render_template("sources.html", rows=rows, kind_labels=SOURCE_KIND_LABELS, **_common(ds, link))


def variants(ds: Dataset, link: Linker) -> Markup:
    items = [v for v in ds.variants if v.active]
    return render_template("variants.html", items=items, **_common(ds, link))


def policy(ds: Dataset, link: Linker) -> Markup:
    everyone = [s for s in ds.sources if s.active and ds.vocab.level_binds.get(s.level) == "all"]
    national = [s for s in everyone if s.parts]
    basis = [s for s in everyone if not s.parts]
    role = [v for v in ds.variants if v.active and v.topic in ("role", "date")]
    principles = [t for t in ds.glossary if t.active and t.principle]
    return render_template("policy.html", national=national, basis=basis, role=role, principles=principles,
                           **_common(ds, link))


def home_stats(ds: Dataset, link: Linker) -> Markup:
    stats = [
        ("来源", len([s for s in ds.sources if s.active]), "sources.md"),
        ("职责条目", len([r for r in ds.responsibilities if r.active]), "responsibilities.md"),
        ("决策事项", len([d for d in ds.decisions if d.active]), "decisions.md"),
        ("议事规则", len([r for r in ds.meeting_rules if r.active]), "meeting-rules.md"),
        ("地方实践", len([p for p in ds.practices if p.active]), "practices/index.md"),
        ("检查项", len(ds.active_checklist()), "checklist/index.md"),
        ("术语", len([t for t in ds.glossary if t.active]), "glossary.md"),
    ]
    return render_template("home_stats.html", stats=stats, **_common(ds, link))


REF_LABEL_CHARS = 24  # a cross-reference names its target in at most this many characters


def ref_label(ds: Dataset, record_id: str) -> str:
    """What a cross-reference shows: the target's term, name or title; else the start of what it says
    (a meeting rule's statement, a duty's summary, a variant's question, a decision's matter); never a bare ID
    unless the record has no text at all."""
    r = ds.get(record_id)
    for key in ("term", "name", "title", "matter", "question", "statement", "summary"):
        text = getattr(r, key, "")
        if isinstance(text, str) and text.strip():
            text = text.strip()
            return text if len(text) <= REF_LABEL_CHARS else text[:REF_LABEL_CHARS - 1] + "…"
    return record_id


def record_title(ds: Dataset, record_id: str) -> str:
    """Plain text for a Markdown heading (escaped for HTML and Markdown)."""
    r = ds.get(record_id)
    text = getattr(r, "name", "") or getattr(r, "title", "") or record_id
    return md_escape(text)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def md_escape(text: str) -> str:
    """Escape text for a Markdown inline context: HTML first, then Markdown punctuation."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


# The page macros (registered by macros/__init__.py under their own names).
MACROS = (
    responsibilities, decision_matrix, meeting_rules, setups, org_counts_charts, supports, party_rules, timeline,
    district_page,
    district_compare, plan_page, plans_index, glossary, sources, variants, policy, home_stats,
)
