"""District roll-up: exact counts from answers with known results, every kind of bad input, the
CLI's exit codes, the XLSX, and the report in a browser (filter, sort, print to PDF)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import pdftotext
from openpyxl import load_workbook
from rollup_helpers import (
    MISSING,
    ROOT,
    applicable_ids,
    file_name,
    known_evidence,
    known_note,
    known_result,
    load,
    write_bad_inputs,
    write_known_answers,
)

from macros.checklist import Answer as _Answer
from macros.checklist import answers_csv, select
from macros.vocab import MODES, ORG_TYPES, RESULTS

COLS = (*RESULTS, "未填")


def pct(num: int, den: int) -> str:
    return f"{num / den * 100:.1f}%" if den else "—"


@dataclass
class Expected:
    schools: list[dict] = field(default_factory=list)  # per roster school: counts, applicable, submitted
    items: dict[str, Counter] = field(default_factory=dict)
    dims: dict[str, Counter] = field(default_factory=dict)
    org: dict[str, Counter] = field(default_factory=dict)
    mode: dict[str, Counter] = field(default_factory=dict)
    ledger: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # school, item, result, note, evidence
    totals: Counter = field(default_factory=Counter)


def expected(ds, rows, missing=MISSING) -> Expected:
    """What the report must say, computed from the known-answer rule only."""
    e = Expected()
    for i, row in enumerate(rows):
        p = row.profile
        ids = applicable_ids(ds, row)
        submitted = i not in missing
        c = Counter()
        e.org.setdefault(p.org_type, Counter())["schools"] += 1
        e.mode.setdefault(p.mode, Counter())["schools"] += 1
        e.totals["applicable_all"] += len(ids)
        if submitted:
            e.org[p.org_type]["submitted"] += 1
            e.mode[p.mode]["submitted"] += 1
            e.totals["applicable_submitted"] += len(ids)
        for j, item_id in enumerate(ids):
            it = e.items.setdefault(item_id, Counter())
            it["applicable"] += 1
            if not submitted:
                it["未提交"] += 1
                continue
            r = known_result(i, j) or "未填"
            c[r] += 1
            it[r] += 1
            e.dims.setdefault(ds.get(item_id).dimension, Counter())[r] += 1
            e.org[p.org_type][r] += 1
            e.mode[p.mode][r] += 1
            e.totals[r] += 1
            if r in ("未达标", "基本达标"):
                e.ledger.append((p.name, item_id, r, known_note(i, j), known_evidence(i, j)))
        e.schools.append({"name": p.name, "submitted": submitted, "counts": c, "applicable": len(ids)})
    return e


def worst_first(ds, e: Expected) -> list[str]:
    order = [i.id for i in ds.checklist if i.active]
    return sorted(e.items, key=lambda k: (-e.items[k]["未达标"], -e.items[k]["基本达标"], order.index(k)))


def run_cli(answers: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", "rollup", "--answers", str(answers), "--out", str(out), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def soup_of(out: Path) -> BeautifulSoup:
    return BeautifulSoup((out / "report.html").read_text(encoding="utf-8"), "html.parser")


def col(tr, key: str) -> str:
    return tr.find("td", attrs={"data-col": key}).get_text(strip=True)


@pytest.fixture(scope="module")
def demo():
    return load()


@pytest.fixture(scope="module")
def clean(demo, tmp_path_factory):
    ds, rows = demo
    base = tmp_path_factory.mktemp("rollup-clean")
    write_known_answers(base / "answers", ds, rows)
    proc = run_cli(base / "answers", base / "out")
    return base / "out", proc, expected(ds, rows)


# ----------------------------------------------------------------------------------------------
# Clean folder: every number in the HTML


def test_clean_folder_exits_0_and_reports_no_problems(clean) -> None:
    out, proc, e = clean
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    soup = soup_of(out)
    assert soup.find(id="no-problems") is not None
    assert soup.find(id="problems") is None


def test_title_stamp_and_totals(clean, demo) -> None:
    ds, rows = demo
    out, _, e = clean
    soup = soup_of(out)
    assert soup.h1.get_text(strip=True) == "花名册“demo”所列学校党组织领导的校长负责制自查情况汇总报告"
    assert soup.find("span", attrs={"data-stamp": "data_version"}).get_text() == ds.data_version
    assert soup.find("span", attrs={"data-stamp": "generated"}).get_text(strip=True)
    totals = {tr["data-key"]: tr.td.get_text(strip=True) for tr in soup.find(id="totals").find_all("tr")}
    answered = sum(e.totals[r] for r in RESULTS)
    assert totals == {
        "schools": "24", "submitted": "22", "missing": "2", "submission_share": pct(22, 24),
        "answered_share": pct(answered, e.totals["applicable_submitted"]),
        "answered_share_all": pct(answered, e.totals["applicable_all"]),
    }
    line = {s["data-total"]: int(s.get_text()) for s in soup.find_all("strong", attrs={"data-total": True})}
    assert line == {"applicable": e.totals["applicable_submitted"], **{c: e.totals[c] for c in COLS}}


def test_per_school_status_counts_and_share(clean) -> None:
    out, _, e = clean
    trs = soup_of(out).find(id="schools").tbody.find_all("tr")
    assert len(trs) == 24
    for tr, s in zip(trs, e.schools, strict=True):
        assert tr.th.get_text(strip=True) == s["name"]
        assert col(tr, "status") == ("已提交" if s["submitted"] else "未提交")
        assert col(tr, "applicable") == str(s["applicable"])
        if s["submitted"]:
            assert [col(tr, c) for c in COLS] == [str(s["counts"][c]) for c in COLS]
            assert col(tr, "share") == pct(sum(s["counts"][r] for r in RESULTS), s["applicable"])
        else:
            assert [col(tr, c) for c in COLS] == ["—"] * 5
            assert col(tr, "share") == "—"
    assert [tr["data-status"] for i, tr in enumerate(trs) if i in MISSING] == ["未提交", "未提交"]


def test_items_worst_first_with_every_count(clean, demo) -> None:
    ds, _ = demo
    out, _, e = clean
    trs = soup_of(out).find(id="items").tbody.find_all("tr")
    assert [tr["data-item"] for tr in trs] == worst_first(ds, e)
    for rank, tr in enumerate(trs, start=1):
        want = e.items[tr["data-item"]]
        assert tr.td.get_text(strip=True) == str(rank)
        for c in ("未达标", "基本达标", "达标", "不适用", "未填", "未提交"):
            assert col(tr, c) == str(want[c]), (tr["data-item"], c)
        assert col(tr, "applicable") == str(want["applicable"])
    # No --site-url and none in mkdocs.yml: IDs as text, no links to a site.
    assert not trs[0].find("a")


def test_breakdowns_tables_and_svg_charts(clean, demo) -> None:
    ds, _ = demo
    out, _, e = clean
    soup = soup_of(out)
    dims = {tr["data-key"]: tr for tr in soup.find(id="by-dimension").tbody.find_all("tr")}
    assert list(dims) == [d.key for d in ds.dimensions if d.key in e.dims]
    for key, tr in dims.items():
        assert [col(tr, c) for c in COLS] == [str(e.dims[key][c]) for c in COLS]
        assert col(tr, "total") == str(sum(e.dims[key][c] for c in COLS))
    for table_id, groups, keys in (("by-org-type", e.org, ORG_TYPES), ("by-mode", e.mode, MODES)):
        trs = {tr["data-key"]: tr for tr in soup.find(id=table_id).tbody.find_all("tr")}
        assert list(trs) == list(keys)
        for key, tr in trs.items():
            g = groups[key]
            assert col(tr, "schools") == str(g["schools"])
            assert col(tr, "submitted") == str(g["submitted"])
            assert [col(tr, c) for c in COLS] == [str(g[c]) for c in COLS]
            assert col(tr, "share") == pct(sum(g[r] for r in RESULTS), sum(g[c] for c in COLS))
    for chart_id, n_rows in (("chart-dimension", len(dims)), ("chart-org-type", 3), ("chart-mode", 2)):
        svg = soup.find("svg", id=chart_id)
        assert svg is not None and svg.title.get_text()
        assert len(svg.find_all("g", class_="dz-chart-row")) == n_rows
    # 一肩挑 bar: one segment per non-zero result, widths proportional to the counts.
    yjt = soup.find("svg", id="chart-mode").find_all("g", class_="dz-chart-row")[0]
    segs = [r for r in yjt.find_all("rect") if r.title]
    g = e.mode["一肩挑"]
    assert len(segs) == sum(1 for c in COLS if g[c])
    widths = [float(r["width"]) for r in segs]
    total = sum(g[c] for c in COLS)
    assert widths == pytest.approx([440 * g[c] / total for c in COLS if g[c]], abs=0.01)


def test_ledger_lists_every_bad_answer_server_rendered(clean) -> None:
    out, _, e = clean
    soup = soup_of(out)
    trs = soup.find(id="ledger-table").tbody.find_all("tr")
    assert len(trs) == len(e.ledger) == e.totals["未达标"] + e.totals["基本达标"]
    got = [(tds[1].get_text(strip=True), tds[2].find("span", class_="dz-id").get_text(), tds[3].get_text(strip=True),
            tds[4].get_text(strip=True), tds[5].get_text(strip=True)) for tds in (tr.find_all("td") for tr in trs)]
    assert got == e.ledger
    assert soup.find(id="ledger-controls").has_attr("hidden")  # JS reveals the filters; without JS, only rows
    assert soup.find(id="ledger-total").get_text() == str(len(e.ledger))


def test_html_is_self_contained(clean) -> None:
    out, _, _ = clean
    text = (out / "report.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    assert not soup.find_all("link") and not soup.find_all("script", src=True) and not soup.find_all("img")
    assert "innerHTML" not in text and "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "&#34;" not in soup.style.string  # CSS is inline and not entity-escaped
    assert "@page" in soup.style.string


# ----------------------------------------------------------------------------------------------
# XLSX


def test_xlsx_sheets_and_values(clean, demo) -> None:
    ds, _ = demo
    out, _, e = clean
    wb = load_workbook(out / "report.xlsx")
    assert wb.sheetnames == ["汇总", "检查项", "维度", "党组织类型", "书记校长配备", "整改台账", "问题", "说明"]
    assert f"data_version={ds.data_version}" in wb.properties.keywords
    assert "build=" in wb.properties.keywords
    info = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if len(r) > 1}
    assert info["数据版本"] == ds.data_version and info["构建提交"]
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize in (9, "9"), ws.title

    summary = [list(r) for r in wb["汇总"].iter_rows(values_only=True)]
    totals = {r[0]: r[1] for r in summary[4:15]}
    assert summary[3][:2] == ["指标", "数值"]
    assert totals["花名册学校数"] == 24 and totals["已提交"] == 22 and totals["未提交"] == 2
    assert totals["提交率"] == pytest.approx(22 / 24)
    assert all(totals[c] == e.totals[c] for c in COLS)
    head = next(i for i, r in enumerate(summary) if r[0] == "序号")
    assert summary[head][:9] == ["序号", "学校编号", "学校名称", "所属地区", "党组织类型", "书记校长配备", "学段", "办学性质", "提交状态"]
    schools = summary[head + 1:]
    assert len(schools) == 24
    for r, s in zip(schools, e.schools, strict=True):
        assert r[2] == s["name"] and r[8] == ("已提交" if s["submitted"] else "未提交")
        if s["submitted"]:
            assert r[9:14] == [s["counts"][c] for c in COLS]
            assert r[15] == pytest.approx(sum(s["counts"][x] for x in RESULTS) / s["applicable"])

    items = [list(r) for r in wb["检查项"].iter_rows(values_only=True)]
    assert items[0][:11] == ["排序", "编号", "检查项目", "维度", "未达标", "基本达标", "达标", "不适用", "未填", "未提交", "适用学校"]
    assert [r[1] for r in items[1:]] == worst_first(ds, e)
    first = e.items[items[1][1]]
    assert items[1][4:11] == [first[c] for c in ("未达标", "基本达标", "达标", "不适用", "未填", "未提交", "applicable")]
    assert wb["检查项"].freeze_panes == "A2"

    ledger = wb["整改台账"]
    rows = [list(r) for r in ledger.iter_rows(values_only=True)]
    assert rows[0][:10] == ["序号", "学校编号", "学校名称", "所属地区", "编号", "检查项目", "维度", "自评结果", "存在问题及整改措施", "佐证材料说明"]
    assert len(rows) - 1 == len(e.ledger) == e.totals["未达标"] + e.totals["基本达标"]
    assert [(r[2], r[4], r[7], r[8], r[9] or "") for r in rows[1:]] == e.ledger
    assert ledger.freeze_panes == "A2"
    assert ledger.auto_filter.ref == f"A1:K{len(rows)}"

    for name, groups, keys in (("党组织类型", e.org, ORG_TYPES), ("书记校长配备", e.mode, MODES)):
        got = [list(r) for r in wb[name].iter_rows(values_only=True)]
        assert got[0][:3] == [name, "学校数", "已提交"]
        assert [r[0] for r in got[1:]] == list(keys)
        for r in got[1:]:
            assert r[1:8] == [groups[r[0]]["schools"], groups[r[0]]["submitted"], *(groups[r[0]][c] for c in COLS)]
    dims = [list(r) for r in wb["维度"].iter_rows(values_only=True)]
    assert len(dims) - 1 == len(e.dims)
    assert [list(r) for r in wb["问题"].iter_rows(values_only=True)] == [["序号", "文件", "类型", "说明", "处理"]]


def test_xlsx_keeps_formula_like_notes_as_text(demo, tmp_path) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows, missing=frozenset(range(1, len(rows))))
    path = tmp_path / "a" / file_name(rows[0])
    text = path.read_text(encoding="utf-8").replace("第0校第", "=HYPERLINK(\\\"http://x\\\")第0校第", 1)
    path.write_text(text, encoding="utf-8")
    proc = run_cli(tmp_path / "a", tmp_path / "o")
    assert proc.returncode == 0, proc.stderr
    ws = load_workbook(tmp_path / "o" / "report.xlsx")["整改台账"]
    notes = [r[8] for r in ws.iter_rows(min_row=2, values_only=True)]
    assert any(n.startswith("=HYPERLINK") for n in notes)
    assert all(c.data_type == "s" for c in ws["I"][1:])


# ----------------------------------------------------------------------------------------------
# Bad inputs


@pytest.fixture(scope="module")
def messy(demo, tmp_path_factory):
    ds, rows = demo
    base = tmp_path_factory.mktemp("rollup-messy")
    write_known_answers(base / "answers", ds, rows)
    names = write_bad_inputs(base / "answers", ds, rows)
    proc = run_cli(base / "answers", base / "out")
    return base / "out", proc, names


def problems_by_file(out: Path) -> dict[str, list[tuple[str, str]]]:
    got: dict[str, list[tuple[str, str]]] = {}
    for tr in soup_of(out).find(id="problems").tbody.find_all("tr"):
        tds = tr.find_all("td")
        got.setdefault(tds[1].get_text(strip=True), []).append((tr["data-kind"], tds[3].get_text(strip=True)))
    return got


def test_messy_folder_exits_1_and_names_every_file(messy) -> None:
    out, proc, names = messy
    assert proc.returncode == 1, proc.stderr
    for key in ("not_json", "schema", "not_on_roster", "other_file", "duplicate", "duplicate_mtime", "old_version",
                "not_applicable"):
        assert any(line.startswith(names[key] + ": ") for line in proc.stderr.splitlines()), (key, proc.stderr)
    assert (out / "report.html").is_file() and (out / "report.xlsx").is_file()


@pytest.mark.parametrize(("key", "kind", "words"), [
    ("not_json", "not_json", ["不是有效的 JSON"]),
    ("schema", "schema", ["不符合答案文件格式", "优秀"]),
    ("not_on_roster", "not_on_roster", ["花名册外示例学校（虚构）", "不在花名册中"]),
    ("other_file", "other_file", ["不是 .json 或 .csv"]),
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
    ledger_ids = {tr.find("span", class_="dz-id").get_text() for tr in soup_of(out).find(id="ledger-table").tbody("tr")
                  if tr["data-school"] == "SCH-DEMO-004"}
    assert names["not_applicable_id"] not in ledger_ids


def test_messy_folder_still_aggregates_the_rest_exactly(messy, clean) -> None:
    """Bad files add nothing and take nothing away: every table equals the clean run's."""
    out, _, _ = messy
    clean_out = clean[0]
    a, b = soup_of(out), soup_of(clean_out)
    for table_id in ("totals", "schools", "items", "by-dimension", "by-org-type", "by-mode", "ledger-table"):
        assert a.find(id=table_id).tbody.get_text("|", strip=True) == b.find(id=table_id).tbody.get_text("|", strip=True), table_id
    wb = load_workbook(out / "report.xlsx")
    probs = [list(r) for r in wb["问题"].iter_rows(min_row=2, values_only=True)]
    assert len(probs) == len(problems_by_file(out)) + 2  # old_version file has three lines
    assert {p[1] for p in probs} >= {"坏文件.json", "格式错误.json", "说明.txt"}


def test_csv_export_matched_by_file_name(demo, tmp_path) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows)
    i = sorted(MISSING)[0]
    row = rows[i]
    selected = select(ds, row.profile)
    answers = {s.item.id: _Answer(known_result(i, j), known_note(i, j), known_evidence(i, j))
               for j, s in enumerate(selected)}
    (tmp_path / "a" / f"{row.profile.name}-自查-2026-03-06.csv").write_bytes(answers_csv(ds, selected, answers))
    (tmp_path / "a" / "不在名单的学校-自查-2026-03-06.csv").write_bytes(answers_csv(ds, selected, answers))
    proc = run_cli(tmp_path / "a", tmp_path / "o")
    assert proc.returncode == 1
    assert "不在名单的学校-自查-2026-03-06.csv: " in proc.stderr
    e = expected(ds, rows, missing=MISSING - {i})
    tr = soup_of(tmp_path / "o").find(id="schools").tbody.find_all("tr")[i]
    assert col(tr, "status") == "已提交"
    assert [col(tr, c) for c in COLS] == [str(e.schools[i]["counts"][c]) for c in COLS]


@pytest.mark.parametrize("folder", ["site", "docs"])
def test_out_inside_public_folders_is_refused(tmp_path, folder) -> None:
    (tmp_path / "a").mkdir()
    target = ROOT / folder / "rollup-must-not-exist"
    proc = run_cli(tmp_path / "a", target)
    assert proc.returncode == 2
    assert "--include-in-site" in proc.stderr
    assert not target.exists()


def test_missing_answers_folder_is_fatal(tmp_path) -> None:
    proc = run_cli(tmp_path / "nope", tmp_path / "o")
    assert proc.returncode == 2 and "找不到答案文件夹" in proc.stderr


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

    name = rows[7].profile.name
    page.fill("#ledger-text", name)
    shown = visible_rows(page)
    assert shown and {r["name"] for r in shown} == {name}
    assert len(shown) == sum(1 for x in e.ledger if x[0] == name)
    assert page.text_content("#ledger-count") == f"显示 {len(shown)} / {len(e.ledger)} 条"

    page.fill("#ledger-text", "")
    page.select_option("#ledger-result", "未达标")
    shown = visible_rows(page)
    assert {r["result"] for r in shown} == {"未达标"} and len(shown) == e.totals["未达标"]
    page.select_option("#ledger-school", rows[0].profile.school_id)
    shown = visible_rows(page)
    assert len(shown) == sum(1 for x in e.ledger if x[0] == rows[0].profile.name and x[2] == "未达标")
    page.select_option("#ledger-result", "")
    page.select_option("#ledger-school", "")

    page.click("#ledger-table thead th:nth-child(4) button")  # 自评结果 ↑: every 未达标 before any 基本达标
    results = [r["result"] for r in visible_rows(page)]
    assert results == sorted(results, key=["未达标", "基本达标"].index)
    assert page.get_attribute("#ledger-table thead th:nth-child(4)", "aria-sort") == "ascending"
    page.click("#ledger-table thead th:nth-child(4) button")
    results = [r["result"] for r in visible_rows(page)]
    assert results[0] == "基本达标" and results[-1] == "未达标"
    page.click("#ledger-table thead th:nth-child(1) button")  # 序号: back to numbers, then descending
    page.click("#ledger-table thead th:nth-child(1) button")
    numbers = [r["no"] for r in visible_rows(page)]
    assert numbers == sorted(numbers, reverse=True) and len(numbers) == len(e.ledger)
    assert page.outside_requests == []


@pytest.mark.browser
def test_report_readable_without_javascript(clean, browser) -> None:
    out, _, e = clean
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto((out / "report.html").resolve().as_uri())
        assert not pg.is_visible("#ledger-controls")
        assert pg.locator("#ledger-table tbody tr:visible").count() == len(e.ledger)
        assert pg.locator("#chart-mode rect").count() > 0
    finally:
        context.close()


@pytest.mark.browser
def test_report_prints_to_a4_pdf(clean, page, tmp_path) -> None:
    out, _, e = clean
    page.goto((out / "report.html").resolve().as_uri())
    page.emulate_media(media="print")
    assert not page.is_visible("#ledger-controls")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    text = pdftotext(pdf)
    flat = " ".join(text.split())
    assert "自查情况汇总报告" in flat
    assert "已提交 22" in flat and "花名册学校数 24" in flat
    assert "整改台账" in flat and "问题" in flat
    assert "术语表" not in text and "参与贡献" not in text
    png = Path("/tmp/rollup-report-page1")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(png)], check=False)


def test_site_url_links_items_and_basis(demo, tmp_path) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows)
    proc = run_cli(tmp_path / "a", tmp_path / "o", "--site-url", "https://kb.example.org/dzzld/")
    assert proc.returncode == 0, proc.stderr
    tr = soup_of(tmp_path / "o").find(id="items").tbody.tr
    item_id = tr["data-item"]
    assert tr.th.a["href"] == f"https://kb.example.org/dzzld/checklist/#{item_id}"
    basis = ds.get(item_id).basis
    hrefs = [a["href"] for a in tr.find("td", class_="dz-basis").find_all("a")]
    assert len(hrefs) == len(basis)
    assert all(h.startswith("https://kb.example.org/dzzld/") and h.endswith("#" + b) for h, b in zip(hrefs, basis, strict=True))
    bad = run_cli(tmp_path / "a", tmp_path / "o2", "--site-url", "javascript:alert(1)")
    assert bad.returncode == 2


def test_unreadable_roster_is_fatal_and_bad_roster_rows_are_reported(demo, tmp_path) -> None:
    ds, rows = demo
    write_known_answers(tmp_path / "a", ds, rows)
    broken = tmp_path / "broken.csv"
    broken.write_text("名字,类型\n某校,党委\n", encoding="utf-8")
    proc = run_cli(tmp_path / "a", tmp_path / "o", "--roster", str(broken))
    assert proc.returncode == 2 and not (tmp_path / "o").exists()

    roster = tmp_path / "roster.csv"
    lines = ["学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质"]
    lines += [",".join((r.profile.school_id, r.profile.name, r.profile.district, r.profile.org_type, r.profile.mode,
                        r.profile.stage, r.profile.ownership)) for r in rows[:3]]
    lines.append("SCH-X,缺配备方式的学校（虚构）,DS-QJ,党委,,小学,公办")
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = run_cli(tmp_path / "a", tmp_path / "o", "--roster", str(roster))
    assert proc.returncode == 1
    assert "roster.csv" in proc.stderr and "缺配备方式的学校（虚构）" in proc.stderr
    soup = soup_of(tmp_path / "o")
    assert soup.h1.get_text(strip=True) == "曲靖市党组织领导的校长负责制自查情况汇总报告"
    assert {tr["data-key"]: tr.td.get_text() for tr in soup.find(id="totals")("tr")}["submitted"] == "3"
    kinds = {tr["data-kind"] for tr in soup.find(id="problems").tbody("tr")}
    assert kinds == {"roster", "not_on_roster"}  # the other 21 schools' files are not on this roster
