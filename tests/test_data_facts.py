"""The real data under data/ validates and still carries the key figures of every seed source.

Each expected figure is its own test case: the value and unit must be recorded somewhere in the data
(a practice figure, a support measure, a milestone or a meeting rule) with a citation to the expected
source whose line range covers the line where the figure stands in the seed text.

The seed texts are not part of the repository ($DZZLD_SEEDS, else ../shared/seeds). Without them the
data is still validated (schemas, cross-file rules, line ranges), and the one test that reads the
cited lines skips with a notice — except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import re
import sys
from functools import cache
from pathlib import Path

import pytest
from conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from macros.validate import Result, default_seeds_dir, validate  # noqa: E402

LOC = re.compile(r"^L(\d+)(?:-L?(\d+))?$")

# (source, value, unit, seed line where the figure is written)
FIGURES: list[tuple[str, float, str, int]] = [
    # 曲靖
    ("SRC-QJ-2022", 2, "个州(市)", 10),
    ("SRC-QJ-2022", 4, "个部门", 10),
    ("SRC-QJ-2022", 485, "所", 12),
    ("SRC-QJ-2022", 18, "所", 12),
    ("SRC-QJ-2022", 11, "所", 12),
    ("SRC-QJ-2022", 77, "所", 12),
    ("SRC-QJ-2022", 390, "所", 12),
    ("SRC-QJ-2022", 290, "所", 12),
    ("SRC-QJ-2022", 100, "所", 12),
    ("SRC-QJ-2022", 95, "所", 12),
    ("SRC-QJ-2022", 63, "条", 14),
    ("SRC-QJ-2022", 4, "个", 16),
    ("SRC-QJ-2022", 26, "所", 18),
    ("SRC-QJ-2022", 9, "个指导性文本", 20),
    ("SRC-QJ-2022", 30, "所", 22),
    ("SRC-QJ-2022", 200, "元/党员/年", 24),
    ("SRC-QJ-2022", 1.5, "%", 24),
    ("SRC-QJ-2022", 8, "个督查包保组", 26),
    # 开州
    ("SRC-KZ-2022", 6, "个", 3),
    ("SRC-KZ-2022", 157, "份", 3),
    ("SRC-KZ-2022", 800, "场", 3),
    ("SRC-KZ-2022", 20, "万元", 4),
    ("SRC-KZ-2022", 17, "人", 4),
    ("SRC-KZ-2022", 686, "份", 4),
    ("SRC-KZ-2022", 7745, "人", 4),
    ("SRC-KZ-2022", 1200, "名", 5),
    ("SRC-KZ-2022", 28, "个", 5),
    ("SRC-KZ-2022", 99, "%", 5),
    # 奉化
    ("SRC-FH-2022", 48, "所", 4),
    ("SRC-FH-2022", 100, "%", 4),
    ("SRC-FH-2022", 40, "个", 6),
    ("SRC-FH-2022", 9, "个", 6),
    ("SRC-FH-2022", 438, "张", 6),
    ("SRC-FH-2022", 25, "项", 8),
    ("SRC-FH-2022", 20, "项", 8),
    ("SRC-FH-2022", 22, "项", 10),
    ("SRC-FH-2022", 660, "条", 10),
    ("SRC-FH-2022", 95.6, "%", 12),
    # 范文汇编（第四份原始文本）：襄州方案、鹤北小学方案
    ("SRC-XZ-PLAN", 1, "次/月", 39),
    ("SRC-XZ-PLAN", 1, "次/年", 43),
    ("SRC-XZ-PLAN", 2, "年/遍", 43),
    ("SRC-XZ-PLAN", 10, "所", 47),
    ("SRC-XZ-PLAN", 20, "%", 51),
    ("SRC-XZ-PLAN", 70, "%", 53),
    ("SRC-XZ-PLAN", 100, "%", 53),
    ("SRC-MH-PLAN", 1, "次/月", 211),
    ("SRC-MH-PLAN", 1, "次/周", 211),
    ("SRC-MH-PLAN", 80, "元/月", 233),
]

# (source, body, aspect, fraction, comparator, seed line): parsed fractions of the meeting rules
FRACTIONS: list[tuple[str, str, str, str, str, int]] = [
    ("SRC-GEN-PLAN", "党组织会议", "quorum", "1/2", "以上", 119),
    ("SRC-GEN-PLAN", "党组织会议", "quorum", "2/3", "以上", 119),
    ("SRC-GEN-PLAN", "校长办公会议", "quorum", "1/2", "以上", 121),
    ("SRC-MH-PLAN", "党组织会议", "vote", "1/2", "超过", 215),
]


@cache
def result() -> Result:
    return validate(ROOT)


def _quantities(kind: str, data: dict) -> list[tuple[float, str]]:
    """The (value, unit) pairs a record states, whatever file it sits in."""
    out: list[tuple[float, str]] = []
    if kind == "figures" and "value" in data:
        out.append((data["value"], data.get("unit", "")))
    elif kind == "supports" and "amount" in data:
        out.append((data["amount"], data.get("unit", "")))
    elif kind == "milestones":
        if "percent" in data:
            out.append((data["percent"], "%"))
        if "count" in data:
            out.append((data["count"], data.get("unit", "")))
    elif kind == "meeting_rules" and "count" in data and "per" in data:
        out.append((data["count"], f"次/{data['per']}"))
    return out


def _covers(cite: dict, src: str, line: int) -> bool:
    if cite.get("src") != src:
        return False
    m = LOC.match(str(cite.get("loc", "")))
    if not m:
        return False
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    return first <= line <= last


def test_real_data_validates() -> None:
    res = result()
    assert not res.problems, "data/ has problems:\n" + "\n".join(str(p) for p in res.problems)
    assert not res.summary


def seeds_required() -> None:
    """Skip (with the reason printed in the summary) when the seed texts are absent; fail in CI."""
    seeds = default_seeds_dir(ROOT)
    if not seeds.is_dir():
        message = (f"seed texts not found in {seeds} (set DZZLD_SEEDS): the cited lines of data/ were not "
                   "checked against them")
        if IN_CI:
            pytest.fail(f"{message}; CI must check them")
        print(f"\nNOTICE: {message}", file=sys.stderr)
        pytest.skip(message)


def test_real_data_citations_are_on_the_cited_seed_lines() -> None:
    seeds_required()
    res = result()
    assert res.seeds_checked, f"seed texts in {res.seeds_dir} were not read"
    assert not res.problems, "data/ has problems:\n" + "\n".join(str(p) for p in res.problems)


@pytest.mark.parametrize(("src", "value", "unit", "line"), FIGURES,
                         ids=[f"{s}-{v:g}{u}-L{n}" for s, v, u, n in FIGURES])
def test_key_figure_present(src: str, value: float, unit: str, line: int) -> None:
    same_value = []
    for r in result().records:
        if not r.active:
            continue
        for v, u in _quantities(r.kind, r.data):
            if v != value:
                continue
            same_value.append(f"{r.id} ({v:g} {u})")
            if u == unit and any(_covers(c, src, line) for c in r.data.get("cite") or []):
                return
    hint = ("; records with that value: " + ", ".join(same_value)) if same_value else ""
    pytest.fail(f"missing: {value:g} {unit} cited to {src} at L{line} (no active record states this value with "
                f"this unit and a citation covering that line){hint}")


@pytest.mark.parametrize(("src", "body", "aspect", "fraction", "comparator", "line"), FRACTIONS,
                         ids=[f"{s}-{b}-{a}-{f}-L{n}" for s, b, a, f, _c, n in FRACTIONS])
def test_meeting_fraction_present(src: str, body: str, aspect: str, fraction: str, comparator: str, line: int) -> None:
    for r in result().records:
        d = r.data
        if r.kind != "meeting_rules" or not r.active:
            continue
        if (d.get("body"), d.get("aspect"), d.get("fraction"), d.get("comparator")) != (body, aspect, fraction,
                                                                                        comparator):
            continue
        if not d.get("literal"):
            continue
        if any(_covers(c, src, line) for c in d.get("cite") or []):
            return
    pytest.fail(f"missing: {body} {aspect} {fraction}（{comparator}）with its literal wording, cited to {src} L{line}")


def test_each_seed_figure_recorded_once() -> None:
    """A figure cited with the same find string on the same source line must not be recorded twice."""
    seen: dict[tuple[str, str, str, float], str] = {}
    dupes = []
    for r in result().records:
        if not r.active:
            continue
        for v, _u in _quantities(r.kind, r.data):
            for c in r.data.get("cite") or []:
                if "find" not in c or str(v).rstrip("0").rstrip(".") not in c["find"]:
                    continue
                key = (c["src"], c["loc"], c["find"], v)
                if key in seen and seen[key] != r.id:
                    dupes.append(f"{r.id} repeats {seen[key]} ({c['src']} {c['loc']} “{c['find']}”)")
                seen.setdefault(key, r.id)
    assert not dupes, "figures recorded twice:\n" + "\n".join(dupes)
