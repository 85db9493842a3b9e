"""The district report as one self-contained HTML page (A4, readable with JavaScript off).

Layout lives in templates/rollup.html; here only the values it shows: labels, links to the public
site, and the geometry of the SVG bar charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..checklist import UNANSWERED, district_names, results_for
from ..model import CheckItem, Dataset
from ..render import page_of, render_template, safe_url
from ..scope import RULE
from .aggregate import BAD, KINDS, GroupRow, Rollup, columns

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
REPORT_SUFFIX = "党组织领导的校长负责制自查情况汇总报告"
CHART_COLORS = {"达标": "#2e7d32", "基本达标": "#f9a825", "未达标": "#c62828", "不适用": "#9e9e9e", UNANSWERED: "#e0e0e0"}


@dataclass(frozen=True)
class ReportMeta:
    name: str
    roster_file: str
    answers_dir: str
    generated: str
    build: str
    site_url: str = ""

    @property
    def title(self) -> str:
        return f"{self.name}{REPORT_SUFFIX}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def site_href(site_url: str, record_id: str, ds: Dataset) -> str:
    """Absolute URL of a record's anchor on the public site (directory URLs), or "" without a site URL."""
    if not safe_url(site_url):
        return ""
    try:
        path = page_of(record_id, ds)
    except KeyError:
        return ""
    if path.endswith("index.md"):
        path = path[: -len("index.md")]
    elif path.endswith(".md"):
        path = path[:-3] + "/"
    return f"{site_url.rstrip('/')}/{path}#{record_id}"


@dataclass(frozen=True)
class Basis:
    id: str
    label: str
    href: str


def basis_of(item: CheckItem, ds: Dataset, site_url: str) -> tuple[Basis, ...]:
    out = []
    for b in item.basis:
        rec = ds.get(b)
        label = f"{ds.source(rec.cite[0].src).label} {rec.cite[0].loc}" if rec.cite else b
        out.append(Basis(b, label, site_href(site_url, b, ds)))
    return tuple(out)


@dataclass(frozen=True)
class Segment:
    key: str
    x: float
    width: float
    count: int
    share: float
    color: str
    label: str  # text drawn inside the segment ("" when too narrow)


@dataclass(frozen=True)
class ChartRow:
    label: str
    y: float
    segments: tuple[Segment, ...]
    total: int
    note: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    rows: tuple[ChartRow, ...]
    legend: tuple[tuple[str, str, float], ...]  # (label, color, x)


def stacked_chart(ds: Dataset, title: str, groups: Sequence[GroupRow], *, label_width: int = 150,
                  bar_width: int = 440, bar_height: int = 18, gap: int = 10) -> Chart:
    """A horizontal 100% stacked bar per group: the share of each 规定项 result among its answers."""
    keys = (*results_for(ds, RULE), UNANSWERED)
    top = 26
    rows = []
    for n, g in enumerate(groups):
        total = g.tally.total(RULE)
        x = float(label_width)
        segs = []
        for key in keys:
            count = g.tally[(RULE, key)]
            frac = count / total if total else 0.0
            w = bar_width * frac
            if count:
                segs.append(Segment(key, round(x, 2), round(w, 2), count, frac, CHART_COLORS[key],
                                    f"{frac * 100:.0f}%" if w >= 30 else ""))
            x += w
        note = f"{total} 项" if g.schools is None else f"{g.submitted}/{g.schools} 所"
        rows.append(ChartRow(g.label, top + n * (bar_height + gap), tuple(segs), total, note))
    legend, lx = [], float(label_width)
    for key in keys:
        legend.append((key, CHART_COLORS[key], lx))
        lx += 14 + 14 * len(key) + 16
    height = top + len(groups) * (bar_height + gap) + 4
    return Chart(title, label_width + bar_width + 70, height, label_width, bar_width, bar_height, tuple(rows),
                 tuple(legend))


@dataclass(frozen=True)
class Bars:
    """A grouped bar chart of two rounds' score distributions."""

    title: str
    width: int
    height: int
    base: float  # y of the axis
    bars: tuple[tuple[str, float, float, float, float, int, int], ...]  # label, x, h_now, h_before, bar width, n_now, n_before


def distribution_chart(comparison: Any, *, width: int = 620, height: int = 200) -> Bars:
    top = max((*comparison.now_counts, *comparison.before_counts, 1))
    n = len(comparison.bins)
    slot = (width - 40) / n
    bar = slot * 0.36
    base = height - 30.0
    bars = []
    for k, label in enumerate(comparison.bins):
        x = 30 + k * slot
        scale = (height - 60) / top
        bars.append((label, round(x, 1), round(comparison.now_counts[k] * scale, 1),
                     round(comparison.before_counts[k] * scale, 1), round(bar, 1), comparison.now_counts[k],
                     comparison.before_counts[k]))
    return Bars("两轮得分分布（学校数）", width, height, base, tuple(bars))


def render_html(ds: Dataset, rollup: Rollup, meta: ReportMeta, *, follow: Any = None, comparison: Any = None) -> str:
    # Our own style sheets, trusted: inside <style> entities are not decoded, so they must not be escaped.
    css = Markup((TEMPLATE_DIR / "standalone.css").read_text(encoding="utf-8") + "\n"
                 + (TEMPLATE_DIR / "rollup.css").read_text(encoding="utf-8"))
    charts = {
        "dimension": stacked_chart(ds, "各维度规定项自评结果分布", rollup.by_dimension),
        "org_type": stacked_chart(ds, "按党组织类型的规定项自评结果分布", rollup.by_org_type),
        "mode": stacked_chart(ds, "按书记校长配备的规定项自评结果分布", rollup.by_mode),
    }
    ledger_schools = list({row.profile.school_id: row.profile for row in rollup.ledger}.values())
    names = district_names(ds)
    return str(render_template(
        "rollup.html", css=css, r=rollup, t=rollup.totals, meta=meta, ds=ds, kinds=KINDS, rule=RULE,
        columns=columns(ds), results={k: results_for(ds, k) for k in KINDS}, unanswered=UNANSWERED, bad=BAD, pct=pct,
        charts=charts, district=lambda d: names.get(d, d), basis=lambda it: basis_of(it, ds, meta.site_url),
        item_href=lambda it: site_href(meta.site_url, it.id, ds), dim_name={d.key: d.name for d in ds.dimensions},
        ledger_schools=ledger_schools, follow=follow, comparison=comparison,
        dist=distribution_chart(comparison) if comparison is not None else None,
        title_of=lambda item_id: ds.get(item_id).title, statuses=ds.vocab.ledger_statuses,
    )) + "\n"
