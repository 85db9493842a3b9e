"""Rectification followed to closure and rounds compared (macros/rollup/rounds.py), end to end.

Round 1: the demo schools answer by a known rule; the roll-up writes report.xlsx with the 整改台账.
The district fills 责任人 / 完成时限 / 状态 / 销号依据 in it (one status mistyped). Round 2: the roster
comes back as a GBK CSV with one school renamed; the schools answer by a second known rule; the
roll-up reads last round's workbook (--ledger) and answers (--previous). What is closed, overdue,
reopened, new and improved is computed here from the two rules, not from the roll-up.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from macros.checklist import ANSWERS_FORMAT, select
from macros.model import load_dataset
from macros.rollup import Rounds, run
from macros.rollup.rounds import LedgerError, read_ledger
from macros.roster import read_roster
from macros.scope import RULE

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 1)


def result_round1(i: int, j: int) -> str:
    return ("达标", "基本达标", "未达标")[(i + j) % 3]


def result_round2(i: int, j: int) -> str:
    return ("达标", "达标", "未达标", "基本达标")[(i * 2 + j) % 4]


def write_answers(folder: Path, ds, rows, rule) -> dict[tuple[str, str], str]:
    """Answers files for every school; returns (school code, item) → result of each 规定项."""
    folder.mkdir(parents=True)
    results = {}
    for i, row in enumerate(rows):
        p = row.profile
        answers = {}
        for j, s in enumerate(x for x in select(ds, p) if x.kind.kind == RULE):
            r = rule(i, j)
            answers[s.item.id] = {"result": r, "note": f"问题{i}-{j}" if r != "达标" else "", "evidence": ""}
            results[(p.school_id, s.item.id)] = r
        doc = {"format": ANSWERS_FORMAT, "data_version": ds.data_version, "exported_at": "2026-02-01T00:00:00Z",
               "school": {"id": p.school_id, "name": p.name}, "answers": answers}
        (folder / f"{p.school_id}.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return results


@pytest.fixture(scope="module")
def two_rounds(tmp_path_factory: pytest.TempPathFactory):
    ds = load_dataset(ROOT)
    base = tmp_path_factory.mktemp("rounds")
    roster1 = read_roster(ROOT / "data" / "schools" / "demo.yaml", ds, ROOT)
    r1 = write_answers(base / "round1", ds, roster1.rows, result_round1)
    first = run(ds, roster1.rows, [], ROOT / "data" / "schools" / "demo.yaml", base / "round1", base / "out1", root=ROOT,
                generated="2026-02-01 10:00")
    # The district fills in the ledger: the first four rows.
    wb = load_workbook(first.xlsx)
    ws = wb["整改台账"]
    head = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(head)}
    edits = {}
    for n, (owner, due, status, closing) in enumerate((
            ("张三", "2026-01-10", "整改中", ""),  # past due, still open
            ("李四", "2026-12-31", "整改中", ""),  # not due yet
            ("王五", "2026/1/5", "已销号", "已修订议事规则"),  # closed last round
            ("赵六", "", "完成了", "")), start=2):  # a status that is not in the list
        for key, value in (("责任人", owner), ("完成时限", due), ("状态", status), ("销号依据", closing)):
            ws.cell(n, col[key], value)
        edits[(ws.cell(n, col["学校编号"]).value, ws.cell(n, col["编号"]).value)] = (owner, status)
    ledger = base / "上期台账.xlsx"
    wb.save(ledger)
    # Round 2: GBK roster with one school renamed (same code).
    renamed = roster1.rows[0].profile
    lines = ["学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质"]
    names = {d.id: d.name for d in ds.districts} | {"OTHER": "其他地区"}
    for row in roster1.rows:
        p = row.profile
        name = p.name.replace("（虚构）", "（更名，虚构）") if p is renamed else p.name
        lines.append(",".join((p.school_id, name, names[p.district], p.org_type, p.mode, p.stage, p.ownership)))
    roster_csv = base / "花名册.csv"
    roster_csv.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    roster2 = read_roster(roster_csv, ds, ROOT)
    assert not roster2.problems and roster2.notices  # GBK is read, with a notice
    r2 = write_answers(base / "round2", ds, roster2.rows, result_round2)
    second = run(ds, roster2.rows, [], roster_csv, base / "round2", base / "out2", root=ROOT,
                 generated="2026-03-01 10:00", rounds=Rounds(ledger, base / "round1", TODAY))
    return ds, r1, r2, edits, first, second


BAD = ("未达标", "基本达标")


def test_the_ledger_goes_out_with_follow_up_columns_and_a_status_dropdown(two_rounds) -> None:
    _ds, r1, _r2, _edits, first, _second = two_rounds
    wb = load_workbook(first.xlsx)
    ws = wb["整改台账"]
    head = [c.value for c in ws[1]]
    for column in ("责任人", "完成时限", "状态", "销号依据"):
        assert column in head
    assert ws.max_row - 1 == sum(1 for r in r1.values() if r in BAD)
    formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"未整改,整改中,已销号"' in formulas


def test_status_is_carried_forward_and_closed_overdue_reopened_new_are_listed(two_rounds) -> None:
    _ds, r1, r2, edits, _first, second = two_rounds
    f = second.follow
    assert f is not None
    before = {k for k, r in r1.items() if r in BAD}
    now = {k for k, r in r2.items() if r in BAD}
    entries = {(e.row.profile.school_id, e.row.item.id): e for e in f.entries}
    assert set(entries) == now
    assert {(e.row.profile.school_id, e.row.item.id) for e in f.new} == now - before
    closed = {(p.school_id, p.item) for p in f.closed}
    assert closed == before - now
    for key, (owner, status) in edits.items():
        if key in now:
            e = entries[key]
            assert e.carried and e.owner == owner
            if status == "已销号":
                assert e.reopened and e.status == "未整改"
            elif status == "整改中":
                assert e.status == "整改中"
    overdue = {(e.row.profile.school_id, e.row.item.id) for e in f.overdue}
    expected_overdue = {k for k, (owner, status) in edits.items() if owner == "张三" and k in now}
    assert overdue == expected_overdue
    assert any("第 5 行" in m and "完成了" in m for m in f.problems)


def test_the_renamed_school_is_matched_by_its_code(two_rounds) -> None:
    _ds, _r1, _r2, _edits, _first, second = two_rounds
    first_school = second.rollup.schools[0]
    assert "更名" in first_school.profile.name and first_school.submitted
    change = second.comparison.schools[0]
    assert change.before is not None  # matched to last round by code despite the new name


def test_rounds_are_compared_school_by_school(two_rounds) -> None:
    _ds, r1, r2, _edits, first, second = two_rounds
    comparison = second.comparison
    assert comparison is not None
    for c in comparison.schools:
        code = c.now.profile.school_id
        improved = {i for (s, i), r in r2.items() if s == code and r == "达标" and r1.get((s, i)) in BAD}
        slipped = {i for (s, i), r in r2.items() if s == code and r in BAD and r1.get((s, i)) == "达标"}
        assert set(c.improved) == improved
        assert set(c.slipped) == slipped
        before = next(s for s in first.rollup.schools if s.profile.school_id == code)
        assert c.change == round(c.now.score.scaled - before.score.scaled, 1)
    assert sum(comparison.now_counts) == len(second.rollup.scored)
    assert sum(comparison.before_counts) == len(first.rollup.scored)


def test_the_report_shows_follow_up_and_comparison(two_rounds) -> None:
    from bs4 import BeautifulSoup

    _ds, _r1, _r2, _edits, _first, second = two_rounds
    soup = BeautifulSoup(second.html.read_text(encoding="utf-8"), "html.parser")
    f = second.follow
    assert int(soup.select_one('[data-count="overdue"]').text) == len(f.overdue)
    assert int(soup.select_one('[data-count="closed"]').text) == len(f.closed)
    assert soup.select_one("#chart-rounds") is not None
    assert len(soup.select("#changes tbody tr")) == len(second.comparison.schools)
    wb = load_workbook(second.xlsx)
    assert {"整改跟踪", "两轮比较", "得分"} <= set(wb.sheetnames)


def test_a_ledger_without_the_status_column_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    ds = load_dataset(ROOT)
    wb = Workbook()
    ws = wb.active
    ws.title = "整改台账"
    ws.append(["学校编号", "编号", "责任人"])
    ws.append(["SCH-DEMO-001", "CK-ORG-01", "张三"])
    path = tmp_path / "bad.xlsx"
    wb.save(path)
    with pytest.raises(LedgerError, match="状态"):
        read_ledger(path, ds)
    path.write_bytes(b"not a workbook")
    with pytest.raises(LedgerError, match="不是有效的 Excel 工作簿"):
        read_ledger(path, ds)
