"""District roll-up: exact counts per (kind, result) from answers with known results, the 整改台账 (规定项
未达标/基本达标 only), matching by code then by normalised name, conflicts, CSV and XLSX returns,
every kind of bad input (tests/fixtures/hostile/returns/), the command's exit codes, and the XLSX.

The expectations come from tests/rollup_helpers.py (`expected`), which counts from the known-answer
rule alone. Browser checks of the report (filter, sort, print) are marked `browser`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from answers_csv import answers_csv
from bs4 import BeautifulSoup
from conftest import pdftotext
from datasets import ROOT, real, shared_data  # noqa: F401  (a fixture)
from openpyxl import Workbook, load_workbook
from rollup_helpers import (
    BAD,
    COLUMNS,
    MISSING,
    REFERENCE,
    RESULTS,
    RULE,
    UNANSWERED,
    Expected,
    answered,
    applicable,
    compliance,
    expected,
    known_answer,
    known_doc,
    known_result,
    load,
    write_bad_inputs,
    write_doc,
    write_known_answers,
)

from macros import rollup
from macros.batch_xlsx import write_xlsx as write_district_xlsx
from macros.checklist import Answer, select
from macros.cli import main
from macros.roster import ReadOptions, read_roster

RETURNS = ROOT / "tests" / "fixtures" / "hostile" / "returns"
GENERATED = "2026-03-10 09:00"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def share(num: int, den: int) -> str:
    return pct(num / den if den else None)


def run(answers: Path, out: Path, rows: list | None = None, roster_problems: list | None = None, **kw: Any):
    ds, demo_rows = load()
    return rollup.run(ds, rows if rows is not None else demo_rows, roster_problems or [],
                      ROOT / "data" / "schools" / "demo.yaml", answers, out, root=ROOT, generated=GENERATED, **kw)


def soup_of(out: Path) -> BeautifulSoup:
    return BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")


def col(tr: Any, key: str) -> str:
    return tr.find(attrs={"data-col": key}).get_text(strip=True)


def counts_of(tr: Any) -> list[str]:
    return [col(tr, f"{k}:{r}") for k, r in COLUMNS]


def problems_by_file(out: Path) -> dict[str, list[tuple[str, str]]]:
    got: dict[str, list[tuple[str, str]]] = {}
    table = soup_of(out).find(id="problems")
    for tr in table.tbody.find_all("tr") if table else []:
        tds = tr.find_all("td")
        got.setdefault(tds[1].get_text(strip=True), []).append((tr["data-kind"], tds[3].get_text(strip=True)))
    return got


@pytest.fixture(scope="module")
def demo():
    return load()


@pytest.fixture(scope="module")
def clean(demo, tmp_path_factory):
    ds, rows = demo
    base = tmp_path_factory.mktemp("rollup-clean")
    write_known_answers(base / "answers", ds, rows)
    result = run(base / "answers", base / "out")
    return base / "out", result, expected(ds, rows)


# ----------------------------------------------------------------------------------------------
# Clean folder: every number in the HTML


def test_clean_folder_has_no_problems(clean) -> None:
    out, result, _ = clean
    assert result.rollup.problems == ()
    soup = soup_of(out)
    assert soup.find(id="no-problems") is not None and soup.find(id="problems") is None


def test_the_oracle_sees_both_kinds_and_a_ledger(clean) -> None:
    """The known answers exercise what the report must show: both kinds, every result, ledger rows."""
    _, _, e = clean
    assert all(e.totals[c] > 0 for c in COLUMNS)
    assert e.ledger


def test_title_stamp_and_totals(clean, demo) -> None:
    ds, rows = demo
    out, _, e = clean
    soup = soup_of(out)
    assert soup.h1.get_text(strip=True) == "花名册“demo”所列学校党组织领导的校长负责制自查情况汇总报告"
    assert soup.find("span", attrs={"data-stamp": "data_version"}).get_text() == ds.data_version
    assert soup.find("span", attrs={"data-stamp": "generated"}).get_text(strip=True) == GENERATED
    totals = {tr["data-key"]: tr.td.get_text(strip=True) for tr in soup.find(id="totals").find_all("tr")}
    n, sub = len(rows), len(rows) - len(MISSING)
    assert totals == {
        "schools": str(n), "submitted": str(sub), "missing": str(len(MISSING)), "submission_share": share(sub, n),
        "answered_share": share(answered(e.totals), e.totals["applicable_submitted"]),
        "answered_share_all": share(answered(e.totals), e.totals["applicable_all"]),
        "compliance": pct(compliance(e.totals)),
    }
    line = {s["data-total"]: int(s.get_text()) for s in soup.find_all("strong", attrs={"data-total": True})}
    assert line == {**{f"{k}:{r}": e.totals[(k, r)] for k, r in COLUMNS},
                    **{f"{k}:total": sum(e.totals[(k, r)] for r in (*RESULTS[k], UNANSWERED)) for k in (RULE, REFERENCE)}}


def test_per_school_status_counts_and_compliance(clean) -> None:
    out, _, e = clean
    trs = soup_of(out).find(id="schools").tbody.find_all("tr")
    assert len(trs) == len(e.schools)
    for tr, s in zip(trs, e.schools, strict=True):
        assert tr.th.get_text(strip=True) == s["name"] and tr["data-school"] == s["id"]
        assert col(tr, "status") == ("已提交" if s["submitted"] else "未提交")
        assert col(tr, "applicable") == str(s["applicable"])
        if s["submitted"]:
            assert counts_of(tr) == [str(s["counts"][c]) for c in COLUMNS]
            assert col(tr, "compliance") == pct(compliance(s["counts"]))
        else:
            assert counts_of(tr) == ["—"] * len(COLUMNS) and col(tr, "compliance") == "—"
    assert [tr["data-status"] for i, tr in enumerate(trs) if i in MISSING] == ["未提交"] * len(MISSING)


def test_items_worst_first_with_every_count(clean, demo) -> None:
    ds, _ = demo
    out, _, e = clean
    trs = soup_of(out).find(id="items").tbody.find_all("tr")
    assert [tr["data-item"] for tr in trs] == _worst_first(ds, e)
    for rank, tr in enumerate(trs, start=1):
        want = e.items[tr["data-item"]]
        assert tr.td.get_text(strip=True) == str(rank)
        assert counts_of(tr) == [str(want[c]) for c in COLUMNS], tr["data-item"]
        assert col(tr, "未提交") == str(want["未提交"]) and col(tr, "applicable") == str(want["applicable"])
    assert not trs[0].find("a")  # no --site-url and none in mkdocs.yml: IDs as text, no links to a site


def _worst_first(ds, e: Expected) -> list[str]:
    order = [i.id for i in ds.checklist if i.active]
    return sorted(e.items, key=lambda k: (-e.items[k][(RULE, "未达标")], -e.items[k][(RULE, "基本达标")], order.index(k)))


def test_breakdowns_tables_and_charts(clean, demo) -> None:
    ds, _ = demo
    out, _, e = clean
    soup = soup_of(out)
    dims = {tr["data-key"]: tr for tr in soup.find(id="by-dimension").tbody.find_all("tr")}
    assert list(dims) == [d.key for d in ds.dimensions if d.key in e.dims]
    for key, tr in dims.items():
        assert counts_of(tr) == [str(e.dims[key][c]) for c in COLUMNS]
        assert col(tr, "total") == str(sum(e.dims[key][c] for c in COLUMNS))
        assert col(tr, "compliance") == pct(compliance(e.dims[key]))
    for table_id, groups, keys in (("by-org-type", e.org, ds.vocab.org_types), ("by-mode", e.mode, ds.vocab.modes)):
        trs = {tr["data-key"]: tr for tr in soup.find(id=table_id).tbody.find_all("tr")}
        assert list(trs) == [k for k in keys if k in groups]
        for key, tr in trs.items():
            g = groups[key]
            assert (col(tr, "schools"), col(tr, "submitted")) == (str(g["schools"]), str(g["submitted"]))
            assert counts_of(tr) == [str(g[c]) for c in COLUMNS]
    # charts draw 规定项 only: each bar's segments are the rule results of its group, widths by share
    chart = soup.find("svg", id="chart-mode")
    rows = chart.find_all("g", class_="dz-chart-row")
    assert [r.find("text").get_text() for r in rows] == list(trs)
    for g_row, key in zip(rows, trs, strict=True):
        g = e.mode[key]
        total = sum(g[(RULE, r)] for r in (*RESULTS[RULE], UNANSWERED))
        segs = {r.title.get_text().split(" · ")[1].split("：")[0]: float(r["width"]) for r in g_row.find_all("rect")[1:]}
        want = {r: 440 * g[(RULE, r)] / total for r in (*RESULTS[RULE], UNANSWERED) if g[(RULE, r)]}
        assert segs == pytest.approx(want, abs=0.01)


def test_ledger_is_rule_items_not_met_or_partly_met_in_roster_and_checklist_order(clean) -> None:
    out, result, e = clean
    trs = soup_of(out).find(id="ledger-table").tbody.find_all("tr")
    got = [(tr.find_all("td")[1].get_text(), tr.find("span", class_="dz-id").get_text(), tr["data-result"],
            tr.find_all("td")[4].get_text(), tr.find_all("td")[5].get_text()) for tr in trs]
    assert got == e.ledger
    assert {r.item.id for r in result.rollup.ledger} <= {i for i, c in e.items.items() if c[(RULE, "未达标")] +
                                                          c[(RULE, "基本达标")]}
    assert soup_of(out).find(id="ledger-total").get_text() == str(len(e.ledger))


def test_report_is_self_contained(clean) -> None:
    out, _, _ = clean
    soup = soup_of(out)
    assert not soup.select("script[src], link[href], img[src]")
    assert "&#34;" not in soup.style.string and "@page" in soup.style.string  # CSS inline, not entity-escaped
    assert soup.find("meta", attrs={"name": "robots"})["content"] == "noindex, nofollow"


# ----------------------------------------------------------------------------------------------
# XLSX


def test_xlsx_sheets_and_values(clean, demo) -> None:
    ds, rows = demo
    out, _, e = clean
    wb = load_workbook(out / "report.xlsx")
    assert wb.sheetnames == ["汇总", "检查项", "维度", "党组织类型", "书记校长配备", "整改台账", "得分", "失分", "问题", "说明"]
    assert f"data_version={ds.data_version}" in wb.properties.keywords and "build=" in wb.properties.keywords
    info = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if len(r) > 1}
    assert info["数据版本"] == ds.data_version and info["构建提交"] and info["生成时间"] == GENERATED
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize in (9, "9"), ws.title
    heads = [f"{k}·{r}" for k, r in COLUMNS]

    summary = [list(r) for r in wb["汇总"].iter_rows(values_only=True)]
    totals = {r[0]: r[1] for r in summary[4:4 + 7 + len(COLUMNS)]}
    assert summary[3][:2] == ["指标", "数值"]
    n = len(rows)
    assert (totals["花名册学校数"], totals["已提交"], totals["未提交"]) == (n, n - len(MISSING), len(MISSING))
    assert totals["提交率"] == pytest.approx((n - len(MISSING)) / n)
    assert totals["规定项达标率"] == pytest.approx(compliance(e.totals))
    assert [totals[h] for h in heads] == [e.totals[c] for c in COLUMNS]
    head = next(i for i, r in enumerate(summary) if r[0] == "序号")
    header = summary[head]
    assert header[:10] == ["序号", "学校编号", "学校名称", "所属地区", "县区", "党组织类型", "书记校长配备", "学段", "办学性质",
                           "提交状态"]
    assert header[10:10 + len(COLUMNS)] == heads
    schools = summary[head + 1:]
    for r, s in zip(schools, e.schools, strict=True):
        assert (r[1], r[2], r[9]) == (s["id"], s["name"], "已提交" if s["submitted"] else "未提交")
        counts = r[10:10 + len(COLUMNS)]
        assert counts == ([s["counts"][c] for c in COLUMNS] if s["submitted"] else [None] * len(COLUMNS))
    assert len(schools) == n

    items = [list(r) for r in wb["检查项"].iter_rows(values_only=True)]
    assert items[0][:4 + len(COLUMNS) + 2] == ["排序", "编号", "检查项目", "维度", *heads, "未提交", "适用学校"]
    assert [r[1] for r in items[1:]] == _worst_first(ds, e)
    for r in items[1:]:
        want = e.items[r[1]]
        assert r[4:4 + len(COLUMNS) + 2] == [*(want[c] for c in COLUMNS), want["未提交"], want["applicable"]]
    assert wb["检查项"].freeze_panes == "A2"

    ledger = [list(r) for r in wb["整改台账"].iter_rows(values_only=True)]
    assert ledger[0] == ["序号", "学校编号", "学校名称", "所属地区", "编号", "检查项目", "维度", "自评结果", "失分",
                         "存在问题及整改措施", "佐证材料说明", "责任人", "完成时限", "状态", "销号依据", "答案文件"]
    assert [(r[2], r[4], r[7], r[9] or "", r[10] or "") for r in ledger[1:]] == e.ledger
    assert [r[0] for r in ledger[1:]] == list(range(1, len(e.ledger) + 1))
    assert {r[13] for r in ledger[1:]} == {"未整改"}  # the follow-up columns start empty, status 未整改
    assert wb["整改台账"].auto_filter.ref == f"A1:P{len(ledger)}"

    for name, groups, keys in (("党组织类型", e.org, ds.vocab.org_types), ("书记校长配备", e.mode, ds.vocab.modes)):
        got = [list(r) for r in wb[name].iter_rows(values_only=True)]
        assert got[0][:3 + len(COLUMNS)] == [name, "学校数", "已提交", *heads]
        assert [r[0] for r in got[1:]] == [k for k in keys if k in groups]
        for r in got[1:]:
            g = groups[r[0]]
            assert r[1:3 + len(COLUMNS)] == [g["schools"], g["submitted"], *(g[c] for c in COLUMNS)]
    dims = [list(r) for r in wb["维度"].iter_rows(values_only=True)]
    assert [r[1:1 + len(COLUMNS)] for r in dims[1:]] == [[e.dims[d.key][c] for c in COLUMNS] for d in ds.dimensions
                                                          if d.key in e.dims]
    assert [list(r) for r in wb["问题"].iter_rows(values_only=True)] == [["序号", "文件", "类型", "说明", "处理"]]


# ----------------------------------------------------------------------------------------------
# Bad inputs mixed into the clean folder


@pytest.fixture(scope="module")
def messy(demo, tmp_path_factory):
    ds, rows = demo
    base = tmp_path_factory.mktemp("rollup-messy")
    write_known_answers(base / "answers", ds, rows)
    names = write_bad_inputs(base / "answers", ds, rows)
    result = run(base / "answers", base / "out")
    return base / "out", result, names


@pytest.mark.parametrize(("key", "kind", "words"), [
    ("not_json", "not_json", ["不是有效的 JSON"]),
    ("schema", "schema", ["不符合答案文件格式", "优秀"]),
    ("not_on_roster", "not_on_roster", ["花名册外示例学校（虚构）", "不在花名册中"]),
    ("other_file", "other_file", ["不是 .json、.csv 或 .xlsx 文件"]),
    ("duplicate", "duplicate", ["保留较新的", "曲靖示例第一中学（虚构）-自查-2026-03-05.json"]),
    ("duplicate_mtime", "duplicate", ["保留较新的", "曲靖示例职业技术学校（虚构）-自查-2026-03-05.json"]),
])
def test_each_bad_file_is_reported(messy, key, kind, words) -> None:
    out, _, names = messy
    reported = problems_by_file(out)[names[key]]
    assert [k for k, _ in reported] == [kind]
    for w in words:
        assert w in reported[0][1]


def test_old_version_file_reports_retired_and_unknown_ids(messy) -> None:
    out, _, names = messy
    reported = dict(problems_by_file(out)[names["old_version"]])
    assert set(reported) == {"old_version", "retired", "unknown_id"}
    assert "0.9.0" in reported["old_version"]
    assert names["retired_id"] in reported["retired"]
    assert names["unknown_id"] in reported["unknown_id"]


def test_non_applicable_answer_reported_and_not_counted(messy) -> None:
    out, _, names = messy
    reported = problems_by_file(out)[names["not_applicable"]]
    assert [k for k, _ in reported] == ["not_applicable"]
    assert names["not_applicable_id"] in reported[0][1]


def test_messy_folder_still_aggregates_the_rest_exactly(messy, clean) -> None:
    """Bad files add nothing and take nothing away: every table equals the clean run's."""
    out, result, _ = messy
    a, b = soup_of(out), soup_of(clean[0])
    for table_id in ("totals", "schools", "items", "by-dimension", "by-org-type", "by-mode", "ledger-table"):
        assert a.find(id=table_id).tbody.get_text("|", strip=True) == b.find(id=table_id).tbody.get_text("|", strip=True), \
            table_id
    wb = load_workbook(out / "report.xlsx")
    probs = [list(r) for r in wb["问题"].iter_rows(min_row=2, values_only=True)]
    assert [(p[1], p[2]) for p in probs] == [(p.file, p.label) for p in result.rollup.problems]
    assert sum(len(v) for v in problems_by_file(out).values()) == len(probs)
    skipped = {p[1] for p in probs if p[4] == "未计入"}
    assert skipped == {"坏文件.json", "格式错误.json", "说明.txt", "陌生学校-自查-2026-03-05.json",
                       "旧版-曲靖示例第一中学（虚构）-自查-2026-03-05.json", "曲靖示例职业技术学校（虚构）-自查-2026-03-05-副本.json"}


# ----------------------------------------------------------------------------------------------
# Matching: by code, then by normalised name; conflicts are never counted


def one_school_folder(tmp_path: Path, demo, i: int, school: dict[str, Any], name: str = "a.json") -> Path:
    ds, rows = demo
    folder = tmp_path / "answers"
    folder.mkdir(exist_ok=True)
    doc = known_doc(i, rows[i], ds)
    doc["school"] = school
    write_doc(folder, name, doc)
    return folder


def submitted_ids(result) -> list[str]:
    return [s.profile.school_id for s in result.rollup.schools if s.submitted]


def test_code_wins_over_a_different_district_and_a_renamed_school_is_a_conflict(demo, tmp_path) -> None:
    _, rows = demo
    a, b = rows[6].profile, rows[7].profile
    folder = one_school_folder(tmp_path, demo, 6, {"id": a.school_id, "name": b.name})
    result = run(folder, tmp_path / "out")
    assert submitted_ids(result) == []  # never counted for either school
    (p,) = result.rollup.problems
    assert (p.file, p.kind) == ("a.json", "conflict")
    assert p.message.startswith(f"学校编号 {a.school_id} 在花名册中是“{a.name}”，文件里的学校名称却是“{b.name}”")


def test_codes_match_whatever_their_case_and_names_whatever_their_spelling(demo, tmp_path) -> None:
    _, rows = demo
    p0, p1 = rows[0].profile, rows[1].profile
    one_school_folder(tmp_path, demo, 0, {"id": p0.school_id.lower(), "name": p0.name.replace("第一", "第 1 ")}, "a.json")
    spaced = "\u3000" + p1.name.replace("（", "(").replace("）", ")").replace("职业", "职 业")
    one_school_folder(tmp_path, demo, 1, {"name": spaced}, "b.json")
    result = run(tmp_path / "answers", tmp_path / "out")
    assert submitted_ids(result) == [p0.school_id, p1.school_id] and result.rollup.problems == ()


def test_a_chinese_numeral_matches_its_digits(tmp_path) -> None:
    """第六 vs 第6 (and 十二 vs 12): the same school."""
    ds = real()
    csv = tmp_path / "roster.csv"
    csv.write_text("学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质\n"
                   "X-6,曲靖市第六中学,曲靖,党委,分设,初中,公办\nX-12,曲靖市第12小学,曲靖,党支部,分设,小学,公办\n",
                   encoding="utf-8")
    rows = read_roster(csv, ds, ROOT).rows
    folder = tmp_path / "answers"
    folder.mkdir()
    for name, row, school in (("a.json", rows[0], "曲靖市第6中学"), ("b.json", rows[1], "曲靖市第十二小学")):
        doc = known_doc(0, row, ds)
        doc["school"] = {"name": school}
        write_doc(folder, name, doc)
    result = run(folder, tmp_path / "out", rows=rows)
    assert submitted_ids(result) == ["X-6", "X-12"] and result.rollup.problems == ()


def test_an_unknown_name_is_reported_with_the_nearest_roster_school(demo, tmp_path) -> None:
    _, rows = demo
    p = rows[0].profile
    near = p.name.replace("第一中学", "第一高中")
    one_school_folder(tmp_path, demo, 0, {"name": near, "district": "DS-QJ"})
    result = run(tmp_path / "answers", tmp_path / "out")
    (problem,) = result.rollup.problems
    assert problem.kind == "not_on_roster"
    assert problem.message == (f"学校“{near}”（所属地区 DS-QJ）不在花名册中，未计入。花名册中相近的学校：“{p.name}”（{p.school_id}）")


def test_the_same_name_in_two_districts_needs_a_code_or_a_district(tmp_path) -> None:
    ds = real()
    csv = tmp_path / "roster.csv"
    csv.write_text("学校编号,学校名称,所属地区,党组织类型,书记校长配备\nQ-1,实验小学,曲靖,党支部,分设\nK-1,实验小学,开州,党支部,分设\n",
                   encoding="utf-8")
    rows = read_roster(csv, ds, ROOT).rows
    folder = tmp_path / "answers"
    folder.mkdir()
    write_doc(folder, "a.json", {**known_doc(0, rows[0], ds), "school": {"name": "实验小学"}})
    write_doc(folder, "b.json", {**known_doc(0, rows[1], ds), "school": {"name": "实验小学", "district": "开州区"}})
    result = run(folder, tmp_path / "out", rows=rows)
    assert submitted_ids(result) == ["K-1"]
    (p,) = result.rollup.problems
    assert (p.file, p.kind) == ("a.json", "ambiguous") and "花名册中有 2 所名为“实验小学”的学校" in p.message


def test_duplicate_codes_on_the_roster_are_refused_and_no_school_is_dropped(demo, tmp_path) -> None:
    """Two rows with one 学校编号: both refused with both row numbers (before, one silently took the other's file)."""
    ds, rows = demo
    lines = ["学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质"]
    for r in rows[:4]:
        p = r.profile
        lines.append(",".join((p.school_id, p.name, p.district, p.org_type, p.mode, p.stage, p.ownership)))
    lines[4] = lines[4].replace(rows[3].profile.school_id, rows[2].profile.school_id)  # row 5 reuses row 4's code
    csv = tmp_path / "roster.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    write_known_answers(tmp_path / "answers", ds, rows[:4], missing=frozenset())
    roster = read_roster(csv, ds, ROOT)
    assert [(p.row, p.column) for p in roster.problems] == [(4, "学校编号"), (5, "学校编号")]
    result = rollup.run(ds, roster.rows, roster.problems, csv, tmp_path / "answers", tmp_path / "out", root=ROOT)
    assert submitted_ids(result) == [rows[0].profile.school_id, rows[1].profile.school_id]
    kinds = Counter(p.kind for p in result.rollup.problems)
    assert kinds == {"roster": 2, "not_on_roster": 2}  # the two refused schools' files are named, not dropped


def test_answers_of_the_other_kind_are_reported_and_counted_as_unanswered(demo, tmp_path) -> None:
    ds, rows = demo
    i = 4
    items = applicable(ds, rows[i])
    rule_item = next(item for item, kind in items if kind == RULE)
    ref_item = next(item for item, kind in items if kind == REFERENCE)
    doc = known_doc(i, rows[i], ds)
    doc["answers"][rule_item] = {"result": "已采用", "note": "", "evidence": ""}
    doc["answers"][ref_item] = {"result": "未达标", "note": "参考项写成未达标", "evidence": ""}
    (tmp_path / "answers").mkdir()
    write_doc(tmp_path / "answers", "a.json", doc)
    result = run(tmp_path / "answers", tmp_path / "out")
    (p,) = result.rollup.problems
    assert p.kind == "other_kind" and not p.skipped
    assert f"{rule_item}（已采用）" in p.message and f"{ref_item}（未达标）" in p.message
    row = result.rollup.schools[i]
    want = Counter()
    for j, (item, kind) in enumerate(items):
        want[(kind, UNANSWERED if item in (rule_item, ref_item) else known_result(i, j, kind) or UNANSWERED)] += 1
    assert {c: row.tally[c] for c in COLUMNS} == {c: want[c] for c in COLUMNS}
    assert ref_item not in {r.item.id for r in result.rollup.ledger}  # a 参考项 never goes into the 整改台账


# ----------------------------------------------------------------------------------------------
# Returns in the page's CSV and in the district workbook


def test_csv_export_matched_by_its_school_columns(demo, tmp_path) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows)
    i = sorted(MISSING)[0]
    row = rows[i]
    selected = select(ds, row.profile)
    answers = {s.item.id: Answer(**known_answer(i, j, s.kind.kind)) for j, s in enumerate(selected)}
    first_bad = next(k for k, a in answers.items() if a.result in BAD)
    answers[first_bad] = Answer(answers[first_bad].result, "=1+1 公式样的措施", "@出处")
    (tmp_path / "a" / "导出-2026-03-06.csv").write_bytes(answers_csv(ds, row.profile, selected, answers))
    stranger = replace_profile(row.profile, name="不在名单的学校", school_id="")
    (tmp_path / "a" / "不在名单的学校-自查-2026-03-06.csv").write_bytes(answers_csv(ds, stranger, selected, answers))
    result = run(tmp_path / "a", tmp_path / "o")
    assert [(p.file, p.kind) for p in result.rollup.problems] == [("不在名单的学校-自查-2026-03-06.csv", "not_on_roster")]
    school = result.rollup.schools[i]
    e = expected(ds, rows, missing=MISSING - {i})
    assert school.file == "导出-2026-03-06.csv"
    assert {c: school.tally[c] for c in COLUMNS} == {c: e.schools[i]["counts"][c] for c in COLUMNS}
    ledger = {r.item.id: r for r in result.rollup.ledger if r.profile.school_id == row.profile.school_id}
    assert (ledger[first_bad].note, ledger[first_bad].evidence) == ("=1+1 公式样的措施", "@出处")  # apostrophes undone


def replace_profile(profile, **kw):
    from dataclasses import replace

    return replace(profile, **kw)


def test_the_district_workbook_filled_in_comes_back_school_by_school(demo, tmp_path) -> None:
    ds, rows = demo
    schools = [(rows[i].profile, select(ds, rows[i].profile)) for i in (0, 1, 2)]
    book = tmp_path / "answers" / "全区自查表-已填.xlsx"
    book.parent.mkdir()
    write_district_xlsx(ds, schools, book, build="test")
    wb = load_workbook(book)
    ws = wb["自查表"]
    header = [c.value for c in ws[1]]
    res, note, reason = header.index("自评结果"), header.index("存在问题及整改措施"), header.index("不适用理由")
    per_school: dict[str, int] = Counter()
    for r in ws.iter_rows(min_row=2):
        sid = r[0].value
        i = [p.school_id for p, _ in schools].index(sid)
        if i == 2:
            continue  # the third school left its rows blank: not a return
        j = per_school[sid]
        per_school[sid] += 1
        kind = r[header.index("类别")].value
        answer = known_answer(i, j, kind)
        r[res].value = answer["result"] or None
        r[note].value = answer["note"] or None
        r[reason].value = answer.get("na_reason")
    wb.save(book)
    result = run(book.parent, tmp_path / "out")
    assert result.rollup.problems == ()
    assert submitted_ids(result) == [rows[0].profile.school_id, rows[1].profile.school_id]
    assert result.rollup.schools[0].file == "全区自查表-已填.xlsx（曲靖示例第一中学（虚构））"
    for i in (0, 1):
        want = Counter((kind, known_result(i, j, kind) or UNANSWERED) for j, (_, kind) in enumerate(applicable(ds, rows[i])))
        assert {c: result.rollup.schools[i].tally[c] for c in COLUMNS} == {c: want[c] for c in COLUMNS}


def test_a_workbook_without_the_sheet_or_the_columns_is_reported(tmp_path) -> None:
    folder = tmp_path / "answers"
    folder.mkdir()
    wb = Workbook()
    wb.active.title = "Sheet1"
    wb.save(folder / "别的表格.xlsx")
    wb = Workbook()
    wb.active.title = "自查表"
    wb.active.append(["学校编号", "学校名称"])
    wb.save(folder / "缺列.xlsx")
    (folder / "坏的.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    result = run(folder, tmp_path / "out")
    assert [(p.file, p.kind) for p in result.rollup.problems] == [("别的表格.xlsx", "xlsx"), ("坏的.xlsx", "xlsx"),
                                                                 ("缺列.xlsx", "xlsx")]
    messages = [p.message for p in result.rollup.problems]
    assert "工作簿里没有“自查表”工作表" in messages[0] and "不是有效的 Excel 工作簿" in messages[1]
    assert "“自查表”缺少列：编号、自评结果" in messages[2]


# ----------------------------------------------------------------------------------------------
# The hostile returns corpus


RETURN_CASES = yaml.safe_load((RETURNS / "cases.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    ds = real()
    base = tmp_path_factory.mktemp("hostile-returns")
    folder = base / "answers"
    folder.mkdir()
    roster = read_roster(RETURNS / "roster.csv", ds, ROOT)
    assert not roster.problems
    profiles = {r.profile.school_id: r.profile for r in roster.rows}
    for case in RETURN_CASES["files"]:
        target = folder / case["file"]
        made = case.get("made")
        if made == "oversize":
            with target.open("wb") as f:
                f.truncate(6 * 1024 * 1024)
        elif made == "symlink-out":
            (base / "secret.json").write_text("{}", encoding="utf-8")
            os.symlink(base / "secret.json", target)
        elif made == "directory":
            target.mkdir()
            (target / "inside.json").write_text("{}", encoding="utf-8")
        else:
            raw = (RETURNS / case["file"]).read_bytes()
            if b"@" in raw and case.get("school"):
                selected = select(ds, profiles[case["school"]])
                full = {s.item.id: {"result": "达标" if s.kind.kind == RULE else "已采用"} for s in selected}
                text = raw.decode("utf-8").replace('"@ANSWERS@"', json.dumps(full, ensure_ascii=False))
                text = text.replace("@RULE_1@", next(s.item.id for s in selected if s.kind.kind == RULE))
                raw = text.replace("@DATA_VERSION@", ds.data_version).encode("utf-8")
            target.write_bytes(raw)
    result = rollup.run(ds, roster.rows, [], RETURNS / "roster.csv", folder, base / "out", root=ROOT)
    return base / "out", result, profiles


@pytest.mark.parametrize("case", [c for c in RETURN_CASES["files"] if "kind" in c], ids=lambda c: c["file"])
def test_each_hostile_return_gives_its_problem(hostile, case) -> None:
    _, result, _ = hostile
    mine = [p for p in result.rollup.problems if p.file == case["file"]]
    assert [p.kind for p in mine] == [case["kind"]]
    assert case["message"] in mine[0].message, mine[0].message


def test_the_other_returns_are_still_counted(hostile) -> None:
    _, result, _ = hostile
    assert submitted_ids(result) == RETURN_CASES["submitted"]
    assert [s.profile.school_id for s in result.rollup.schools if not s.submitted] == RETURN_CASES["missing"]
    assert {p.file for p in result.rollup.problems} == {c["file"] for c in RETURN_CASES["files"] if "kind" in c}
    r001 = result.rollup.schools[0]  # every 规定项 达标, every 参考项 已采用
    assert r001.tally.total() == r001.applicable == r001.tally[(RULE, "达标")] + r001.tally[(REFERENCE, "已采用")]
    assert result.rollup.schools[2].file == "near-miss.json"  # 第6 for 第六, (虚构) for （虚构）


def test_formula_and_script_in_notes_stay_text(hostile) -> None:
    out, result, _ = hostile
    (row,) = result.rollup.ledger
    assert row.note == '=HYPERLINK("http://evil.example/","点我")<script>alert(1)</script>'
    ws = load_workbook(out / "report.xlsx")["整改台账"]
    header = [c.value for c in ws[1]]
    note = ws.cell(2, header.index("存在问题及整改措施") + 1)
    evidence = ws.cell(2, header.index("佐证材料说明") + 1)
    assert (note.value, note.data_type) == (row.note, "s")
    assert (evidence.value, evidence.data_type) == ("+1 <img src=x onerror=alert(2)>", "s")
    assert not [c.coordinate for r in ws.iter_rows() for c in r if c.data_type == "f"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    doc = BeautifulSoup(html, "html.parser")
    assert len(doc.find_all("script")) == 1 and doc.find("img") is None  # the report's own script only
    cells = doc.find(id="ledger-table").tbody.tr.find_all("td", class_="dz-text")
    assert [c.get_text() for c in cells] == [row.note, row.evidence]


# ----------------------------------------------------------------------------------------------
# The command


def cli_rollup(tmp_path: Path, answers: Path, *extra: str) -> int:
    return main(["--root", str(ROOT), "rollup", "--answers", str(answers), "--out", str(tmp_path / "out"), *extra])


@pytest.mark.usefixtures("shared_data")
def test_command_exits_0_on_a_clean_folder_and_1_with_problems(demo, tmp_path, capsys) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows[:3], missing=frozenset())
    assert cli_rollup(tmp_path, tmp_path / "a") == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert f"完成：花名册 {len(rows)} 所学校，已提交 3 所，未提交 {len(rows) - 3} 所" in captured.out
    (tmp_path / "a" / "x.txt").write_text("x", encoding="utf-8")
    assert cli_rollup(tmp_path, tmp_path / "a") == 1
    assert capsys.readouterr().err.startswith("x.txt: 不是答案文件：")


@pytest.mark.parametrize("folder", ["site", "docs"])
@pytest.mark.usefixtures("shared_data")
def test_out_inside_public_folders_is_refused(tmp_path, folder, capsys) -> None:
    (tmp_path / "a").mkdir()
    target = ROOT / folder / "rollup-must-not-exist"
    assert main(["--root", str(ROOT), "rollup", "--answers", str(tmp_path / "a"), "--out", str(target)]) == 2
    assert "--include-in-site" in capsys.readouterr().err
    assert not target.exists()


@pytest.mark.usefixtures("shared_data")
def test_missing_answers_folder_and_bad_site_url_are_usage_errors(tmp_path, capsys) -> None:
    assert cli_rollup(tmp_path, tmp_path / "nope") == 2
    assert "找不到答案文件夹" in capsys.readouterr().err
    (tmp_path / "a").mkdir()
    assert cli_rollup(tmp_path, tmp_path / "a", "--site-url", "javascript:alert(1)") == 2
    assert "--site-url 应为 http(s) 地址" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("shared_data")
def test_an_unreadable_roster_stops_and_bad_rows_are_listed(demo, tmp_path, capsys) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows)
    broken = tmp_path / "broken.csv"
    broken.write_text("名字,类型\n某校,党委\n", encoding="utf-8")
    assert cli_rollup(tmp_path, tmp_path / "a", "--roster", str(broken)) == 1
    assert "花名册无法读取（或没有可用的学校），未生成报告。" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

    roster = tmp_path / "roster.csv"
    lines = ["学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质"]
    lines += [",".join((r.profile.school_id, r.profile.name, r.profile.district, r.profile.org_type, r.profile.mode,
                        r.profile.stage, r.profile.ownership)) for r in rows[:3]]
    lines.append("SCH-X,缺配备方式的学校（虚构）,DS-QJ,党委,,小学,公办")
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli_rollup(tmp_path, tmp_path / "a", "--roster", str(roster)) == 1
    err = capsys.readouterr().err
    assert "roster.csv: 花名册：roster.csv:5: 书记校长配备: “缺配备方式的学校（虚构）”缺少书记校长配备" in err
    soup = soup_of(tmp_path / "out")
    assert soup.h1.get_text(strip=True) == "曲靖市党组织领导的校长负责制自查情况汇总报告"
    assert {tr["data-key"]: tr.td.get_text() for tr in soup.find(id="totals")("tr")}["submitted"] == "3"
    kinds = Counter(tr["data-kind"] for tr in soup.find(id="problems").tbody("tr"))
    assert kinds == {"roster": 1, "not_on_roster": len(rows) - len(MISSING) - 3}


def test_site_url_links_items_and_basis(demo, tmp_path) -> None:
    ds, rows = demo
    (tmp_path / "a").mkdir()
    run(tmp_path / "a", tmp_path / "o", site_url="https://kb.example.org/dzzld/")
    tr = soup_of(tmp_path / "o").find(id="items").tbody.tr
    item_id = tr["data-item"]
    assert tr.th.a["href"] == f"https://kb.example.org/dzzld/checklist/#{item_id}"
    basis = ds.get(item_id).basis
    hrefs = [a["href"] for a in tr.find("td", class_="dz-basis").find_all("a")]
    assert len(hrefs) == len(basis)
    assert all(h.startswith("https://kb.example.org/dzzld/") and h.endswith("#" + b) for h, b in zip(hrefs, basis,
                                                                                                     strict=True))


@pytest.mark.parametrize(("value", "expected"), [
    ('"https://kb.example.org/dzzld/"', "https://kb.example.org/dzzld/"), ('""', ""), ('"javascript:alert(1)"', ""),
])
def test_the_default_site_url_is_mkdocs_yml_s(tmp_path, value: str, expected: str) -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert text.count('site_url: ""') == 1 and "!relative" in text  # the real file, tags and all
    (tmp_path / "mkdocs.yml").write_text(text.replace('site_url: ""', f"site_url: {value}"), encoding="utf-8")
    assert rollup.default_site_url(tmp_path) == expected


def test_the_county_column_reaches_the_report(tmp_path) -> None:
    ds = real()
    csv = tmp_path / "roster.csv"
    csv.write_text("学校编号,学校名称,所属地区,党组织类型,书记校长配备\nC-1,县区小学,麒麟区,党支部,分设\n", encoding="utf-8")
    roster = read_roster(csv, ds, ROOT, ReadOptions(district="DS-QJ"))
    (tmp_path / "a").mkdir()
    result = rollup.run(ds, roster.rows, [], csv, tmp_path / "a", tmp_path / "o", root=ROOT)
    assert result.rollup.schools[0].row.county == "麒麟区"
    assert soup_of(tmp_path / "o").find(id="schools").tbody.tr.th.get_text("|") == "县区小学|麒麟区"
    summary = [list(r) for r in load_workbook(tmp_path / "o" / "report.xlsx")["汇总"].iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(summary) if r[0] == "序号")
    assert summary[head + 1][summary[head].index("县区")] == "麒麟区"


# ----------------------------------------------------------------------------------------------
# Browser: filter, sort, JS off, print


def visible_rows(page) -> list[dict]:
    return page.eval_on_selector_all(
        "#ledger-table tbody tr",
        "rows => rows.filter(r => !r.hidden && r.offsetParent !== null).map(r => ({school: r.dataset.school, "
        "result: r.dataset.result, no: Number(r.cells[0].textContent), name: r.cells[1].textContent}))")


@pytest.mark.browser
def test_ledger_filter_and_sort_in_browser(clean, page, demo) -> None:
    _, rows = demo
    out, _, e = clean
    page.goto((out / "report.html").resolve().as_uri())
    assert page.is_visible("#ledger-controls")
    assert len(visible_rows(page)) == len(e.ledger)
    name = next(x[0] for x in e.ledger)
    page.fill("#ledger-text", name)
    shown = visible_rows(page)
    assert {r["name"] for r in shown} == {name}
    assert len(shown) == sum(1 for x in e.ledger if x[0] == name)
    assert page.text_content("#ledger-count") == f"显示 {len(shown)} / {len(e.ledger)} 条"
    page.fill("#ledger-text", "")
    page.select_option("#ledger-result", "未达标")
    shown = visible_rows(page)
    assert {r["result"] for r in shown} == {"未达标"} and len(shown) == sum(1 for x in e.ledger if x[2] == "未达标")
    page.select_option("#ledger-result", "")
    page.click("#ledger-table thead th:nth-child(4) button")  # 自评结果 ↑: every 未达标 before any 基本达标
    results = [r["result"] for r in visible_rows(page)]
    assert results == sorted(results, key=list(BAD).index)
    assert page.get_attribute("#ledger-table thead th:nth-child(4)", "aria-sort") == "ascending"
    assert page.outside_requests == []


@pytest.mark.browser
@pytest.mark.parametrize("width", [320, 375, 414])
def test_report_on_a_phone_scrolls_tables_not_the_page(clean, browser, width) -> None:
    """A district officer opens the report on a phone: the page never slides sideways; wide tables scroll."""
    out, _, _ = clean
    context = browser.new_context(viewport={"width": width, "height": 700}, is_mobile=True)
    try:
        page = context.new_page()
        page.goto((out / "report.html").resolve().as_uri())
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        wide = page.evaluate("() => [...document.querySelectorAll('table')].filter(t => t.scrollWidth > t.clientWidth)"
                             ".map(t => getComputedStyle(t).overflowX)")
        assert wide and set(wide) == {"auto"}  # the school table is wider than a phone, and scrolls itself
    finally:
        context.close()


@pytest.mark.browser
def test_report_readable_without_javascript_and_prints_to_a4(clean, browser, tmp_path) -> None:
    out, _, e = clean
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto((out / "report.html").resolve().as_uri())
        assert not pg.is_visible("#ledger-controls")
        assert pg.locator("#ledger-table tbody tr:visible").count() == len(e.ledger)
        pg.emulate_media(media="print")
        pdf = tmp_path / "report.pdf"
        pg.pdf(path=str(pdf), format="A4", print_background=True)
    finally:
        context.close()
    flat = " ".join(pdftotext(pdf).split())
    assert "自查情况汇总报告" in flat and "整改台账" in flat and "规定项" in flat and "参考项" in flat
