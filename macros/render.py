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
    CheckItem,
    Dataset,
    Decision,
    District,
    Figure,
    MeetingRule,
    Practice,
    Record,
    Responsibility,
    Source,
)
from .vocab import ASPECT_LABELS, BODY_ORDER, HOLDER_ORDER, MEETING_BODIES, SUPPORT_LABELS

TEMPLATES = Path(__file__).parent / "templates"

# The page (docs source path) on which each record type is rendered with its ID as anchor.
PAGE_OF_PREFIX = {
    "SRC": "sources.md", "RS": "responsibilities.md", "DI": "decisions.md", "MR": "meeting-rules.md",
    "OS": "setups.md", "SP": "supports.md", "MS": "supports.md", "VR": "variants.md", "GL": "glossary.md",
    "EV": "checklist/index.md", "CK": "checklist/index.md",
}
PLAN_SLUGS = {"SRC-XZ-PLAN": "xiangzhou", "SRC-GEN-PLAN": "school-plan", "SRC-MH-PLAN": "hebei-primary"}
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


def cite_views(record: Record, ds: Dataset, link: Linker) -> list[CiteView]:
    out = []
    for c in record.cite:
        src = ds.source(c.src)
        out.append(CiteView(src.label, c.loc, link.record(c.src), src.title))
    return out


def _common(ds: Dataset, link: Linker) -> dict[str, Any]:
    return {"ds": ds, "link": link, "cites": lambda r: cite_views(r, ds, link)}


# ----------------------------------------------------------------------------------------------
# Pages


def responsibilities(ds: Dataset, link: Linker) -> Markup:
    """Per holder, one column per source, duties in the source's own order."""
    groups: OrderedDict[str, OrderedDict[str, list[Responsibility]]] = OrderedDict()
    for holder in HOLDER_ORDER:
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
    bodies = [b for b in BODY_ORDER if b in used]
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
    aspects = [a for a in ASPECT_LABELS if any(r.aspect == a for r in rules)]
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
    org_types = ["党委", "党总支", "党支部"]
    grid = {(o, m): [s for s in ds.setups if s.active and s.org_type == o and (s.mode or "") == m]
            for o in org_types for m in ("一肩挑", "分设", "")}
    return render_template("setups.html", grid=grid, org_types=org_types, **_common(ds, link))


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
    for org in ("党委", "党总支", "党支部"):
        yjt, fs, total = by_break.get((org, "一肩挑")), by_break.get((org, "分设")), by_break.get((org, ""))
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


def qujing_counts(ds: Dataset, link: Linker, district_id: str = "DS-QJ") -> Markup:
    view = org_counts(ds, district_id)
    if view is None:
        return Markup("")
    return render_template("org_counts.html", view=view, district=ds.district(district_id), **_common(ds, link))


def supports(ds: Dataset, link: Linker) -> Markup:
    groups: OrderedDict[str, list] = OrderedDict((k, []) for k in SUPPORT_LABELS)
    for s in ds.supports:
        if s.active:
            groups[s.kind].append(s)
    groups = OrderedDict((k, v) for k, v in groups.items() if v)
    return render_template("supports.html", groups=groups, labels=SUPPORT_LABELS, **_common(ds, link))


def timeline(ds: Dataset, link: Linker) -> Markup:
    items = sorted((m for m in ds.milestones if m.active), key=lambda m: (m.sort_key or "9999", m.id))
    return render_template("timeline.html", items=items, **_common(ds, link))


def district_page(ds: Dataset, link: Linker, district_id: str) -> Markup:
    district = ds.district(district_id)
    practices = [p for p in ds.practices if p.district == district_id and p.active]
    counts = org_counts(ds, district_id)
    local_items = [i for i in ds.active_checklist() if district_id in i.applies.district]
    return render_template("district.html", district=district, practices=practices, counts=counts,
                           local_items=local_items, **_common(ds, link))


def district_compare(ds: Dataset, link: Linker) -> Markup:
    rows = []
    for d in ds.districts:
        practices = [p for p in ds.practices if p.district == d.id and p.active]
        figures = sum(len(p.figures) for p in practices)
        rows.append((d, practices, figures))
    return render_template("districts_compare.html", rows=rows, **_common(ds, link))


PLAN_KINDS = (
    ("responsibilities", "职责"), ("decisions", "决策事项"), ("meeting_rules", "议事规则"), ("setups", "组织设置"),
    ("supports", "保障措施"), ("milestones", "时间节点"), ("glossary", "术语"),
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
    plans = [(ds.source(sid), f"plans/{slug}.md", len(ds.citing(sid))) for sid, slug in PLAN_SLUGS.items()
             if sid in ds.by_id]
    return render_template("plans_index.html", plans=plans, **_common(ds, link))


def glossary(ds: Dataset, link: Linker) -> Markup:
    terms = sorted((t for t in ds.glossary if t.active), key=lambda t: t.term)
    return render_template("glossary.html", terms=terms, **_common(ds, link))


def sources(ds: Dataset, link: Linker) -> Markup:
    rows = [(s, [r for r in ds.citing(s.id)]) for s in ds.sources if s.active]
    return render_template("sources.html", rows=rows, **_common(ds, link))


def variants(ds: Dataset, link: Linker) -> Markup:
    items = [v for v in ds.variants if v.active]
    return render_template("variants.html", items=items, **_common(ds, link))


def policy(ds: Dataset, link: Linker) -> Markup:
    national = [s for s in ds.sources if s.active and s.kind in ("official", "repost") and s.parts]
    basis = [s for s in ds.sources if s.active and s.kind in ("official", "repost") and not s.parts]
    role = [v for v in ds.variants if v.active and v.topic in ("role", "date")]
    principles = [t for t in ds.glossary if t.active and t.id in ("GL-BFX", "GL-JTLD", "GL-DZLD", "GL-LDHX")]
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


def record_title(ds: Dataset, record_id: str) -> str:
    """Plain text for a Markdown heading (escaped for HTML and Markdown)."""
    r = ds.get(record_id)
    text = getattr(r, "name", "") or getattr(r, "title", "") or record_id
    return md_escape(text)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")


def md_escape(text: str) -> str:
    """Escape text for a Markdown inline context: HTML first, then Markdown punctuation."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=True))


# ----------------------------------------------------------------------------------------------
# Glossary tooltips over finished HTML

_SKIP_TAGS = {"a", "abbr", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6", "title", "button",
              "label", "svg", "textarea", "option", "select", "dfn", "kbd", "summary", "th"}
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME = re.compile(r"^<\s*(/?)\s*([a-zA-Z0-9]+)")


def term_pattern(terms: Mapping[str, str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(html.escape(t, quote=False)) for t in ordered))


_TAG_NAME_AT = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")  # `_TAG_NAME` at any position
_SKIP_START = re.compile(r"<\s*/?\s*(?:" + "|".join(sorted(_SKIP_TAGS, key=len, reverse=True)) + r")(?![a-zA-Z0-9])",
                         re.I)


def add_tooltips(page_html: str, terms: Mapping[str, str], pattern: re.Pattern[str] | None = None) -> str:
    """Wrap glossary terms found in text nodes with <abbr title="definition">.

    Works on finished HTML: only text between tags changes, never attributes, and not inside links,
    headings, code, buttons, form controls or existing <abbr>. Terms and definitions are escaped.

    Looks only at the terms found and at the tags that switch wrapping off, not at every tag: a
    roster school's page has ~12,000 tags. Pages with HTML comments, or a '<' that no '>' follows,
    take the tag-by-tag path (`_add_tooltips_by_tag`); both give the same result.
    """
    pattern = pattern or term_pattern(terms)
    if pattern is None:
        return page_html
    if "<!--" in page_html or page_html.rfind("<") > page_html.rfind(">"):
        return _add_tooltips_by_tag(page_html, terms, pattern)
    by_escaped = {html.escape(t, quote=False): t for t in terms}
    # Every '<' starts a tag that runs to the next '>' unless it is inside one already; a position is
    # inside a tag when a '<' comes after the last '>' before it.
    switches: list[tuple[int, int]] = []  # (position, +1 open / -1 close) of tags that stop wrapping
    for m in _SKIP_START.finditer(page_html):
        q = m.start()
        if page_html.rfind("<", 0, q) > page_html.rfind(">", 0, q):
            continue  # this '<' is inside another tag
        name = _TAG_NAME_AT.match(page_html, q)
        if name is None or name.group(2).lower() not in _SKIP_TAGS:
            continue
        if name.group(1) == "/":
            switches.append((q, -1))
        elif page_html[page_html.find(">", q) - 1] != "/":
            switches.append((q, 1))
    out: list[str] = []
    last = 0
    depth = 0
    k = 0
    for m in pattern.finditer(page_html):
        p = m.start()
        while k < len(switches) and switches[k][0] < p:
            depth = depth + 1 if switches[k][1] > 0 else max(depth - 1, 0)
            k += 1
        if depth or page_html.rfind("<", 0, p) > page_html.rfind(">", 0, p):
            continue
        term = by_escaped[m.group(0)]
        out.append(page_html[last:p])
        out.append(f'<abbr title="{html.escape(terms[term], quote=True)}">{m.group(0)}</abbr>')
        last = m.end()
    if not out:
        return page_html
    out.append(page_html[last:])
    return "".join(out)


def _add_tooltips_by_tag(page_html: str, terms: Mapping[str, str], pattern: re.Pattern[str]) -> str:
    """`add_tooltips`, one tag at a time: the reference behaviour, and the path for pages with comments."""
    by_escaped = {html.escape(t, quote=False): t for t in terms}
    out: list[str] = []
    skip_depth = 0
    for piece in _TAG.split(page_html):
        if not piece:
            continue
        if piece.startswith("<"):
            m = _TAG_NAME.match(piece)
            if m and not piece.startswith("<!--"):
                closing, name = m.group(1) == "/", m.group(2).lower()
                if name in _SKIP_TAGS:
                    if closing:
                        if skip_depth:
                            skip_depth -= 1
                    elif not piece.rstrip().endswith("/>"):
                        skip_depth += 1
            out.append(piece)
            continue
        if skip_depth:
            out.append(piece)
            continue

        def wrap(m: re.Match[str]) -> str:
            term = by_escaped[m.group(0)]
            title = html.escape(terms[term], quote=True)
            return f'<abbr title="{title}">{m.group(0)}</abbr>'

        out.append(pattern.sub(wrap, piece))
    return "".join(out)


__all__ = [
    "Linker", "render_template", "responsibilities", "decision_matrix", "meeting_rules", "setups", "qujing_counts",
    "supports", "timeline", "district_page", "district_compare", "plan_page", "plans_index", "glossary", "sources",
    "variants", "policy", "home_stats", "add_tooltips", "md_escape", "page_of", "safe_url", "CheckItem", "Decision",
    "District", "MeetingRule", "Practice", "Source",
]
