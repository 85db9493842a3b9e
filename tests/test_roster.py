"""The one roster reader (macros/roster.py) against a corpus of hostile rosters, and the batch command
over each of them: every problem names its row and column, and no output ever lands outside --out.

The corpus is tests/fixtures/hostile/rosters/ (cases.yaml lists what each file must give).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from datasets import ROOT, real, shared_data  # noqa: F401  (a fixture)
from openpyxl import load_workbook

from macros.batch import MAX_NAME_BYTES, run_batch
from macros.checklist import Profile, select
from macros.cli import main
from macros.roster import MAX_FIELD, ReadOptions, RosterResult, read_roster

CORPUS = ROOT / "tests" / "fixtures" / "hostile" / "rosters"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))


def read(case: dict[str, Any]) -> RosterResult:
    return read_roster(CORPUS / case["file"], real(), ROOT, ReadOptions(**case.get("options", {})))


def test_the_corpus_has_a_case_for_every_file() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix == ".csv"}
    assert files == {c["file"] for c in CASES}
    assert len({c["id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_hostile_roster_is_read_with_exact_row_and_column_messages(case: dict[str, Any]) -> None:
    result = read(case)
    assert [r.profile.school_id for r in result.rows] == case["ids"]
    got = [(p.row, p.column, p.message) for p in result.problems]
    assert len(got) == len(case["problems"]), got
    for (row, column, message), (want_row, want_column, part) in zip(got, case["problems"], strict=True):
        assert (row, column) == (want_row, want_column), got
        assert part in message, message
    assert all(p.file == case["file"] for p in result.problems)
    assert result.fatal is case.get("fatal", False)
    notices = case.get("notices", [])
    assert len(result.notices) == len(notices), result.notices
    assert all(part in n for n, part in zip(result.notices, notices, strict=True))


def tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_batch_over_a_hostile_roster_writes_only_inside_out(case: dict[str, Any], tmp_path: Path) -> None:
    sandbox = tmp_path / "sandbox"
    out = sandbox / "deep" / "out"
    sandbox.mkdir()
    result = read(case)
    report = run_batch(real(), result, out, root=ROOT, progress=False)
    assert report.produced == len(case["ids"])
    if not case.get("fatal"):
        assert report.skipped == len({row for row, _, _ in case["problems"]})
    written = tree(sandbox)
    assert all(p == "deep" or p.startswith("deep/out") for p in written), sorted(written)
    assert not Path("/tmp/dz-escaped-id").exists() and not Path("/tmp/dz-escaped-name").exists()
    assert not Path("/etc/dz-abs.html").exists()
    if case.get("fatal"):
        assert not out.exists()
        return
    html = sorted((out / "html").iterdir())
    assert len(html) == len(case["ids"]) and all(p.suffix == ".html" for p in html)
    for p in html:
        assert p.parent == out / "html" and not p.name.startswith(".")
        assert len(p.stem.encode("utf-8")) <= MAX_NAME_BYTES and "/" not in p.name and "\\" not in p.name
    assert (out / "district-checklists.xlsx").is_file()
    assert {p.name for p in out.iterdir()} == {"html", "district-checklists.xlsx"}


def test_traversal_ids_and_names_become_distinct_safe_file_names(tmp_path: Path) -> None:
    names = []
    for file in ("path-traversal-id.csv", "path-traversal-name.csv"):
        out = tmp_path / file
        run_batch(real(), read_roster(CORPUS / file, real(), ROOT), out, xlsx=False, root=ROOT, progress=False)
        names += sorted(p.name for p in (out / "html").iterdir())
    assert len(set(names)) == len(names) == 8
    for name in names:
        assert ".." not in name and not name.startswith(("-", ".")), name
    assert "n-004-a_b_c_d_e_f_g_h_i_j.html" in names  # every reserved character replaced


def test_a_300_byte_name_is_cut_to_a_whole_character_file_name(tmp_path: Path) -> None:
    result = read_roster(CORPUS / "long-name.csv", real(), ROOT)
    (row,) = result.rows
    assert len(row.profile.name.encode("utf-8")) == 300 and len(row.profile.name) <= MAX_FIELD
    run_batch(real(), result, tmp_path / "out", xlsx=False, root=ROOT, progress=False)
    (html,) = (tmp_path / "out" / "html").iterdir()
    stem = html.stem
    assert len(stem.encode("utf-8")) <= MAX_NAME_BYTES
    assert stem.startswith("l-001-很长的学校名称") and "\ufffd" not in stem
    assert row.profile.name.startswith(stem.removeprefix("l-001-"))  # cut, never garbled
    assert row.profile.name in html.read_text(encoding="utf-8")  # the page itself keeps the whole name


def test_formula_names_are_text_in_the_district_workbook(tmp_path: Path) -> None:
    result = read_roster(CORPUS / "formula-name.csv", real(), ROOT)
    run_batch(real(), result, tmp_path / "out", html=False, root=ROOT, progress=False)
    ws = load_workbook(tmp_path / "out" / "district-checklists.xlsx")["自查表"]
    header = [c.value for c in ws[1]]
    col = header.index("学校名称")
    cells = [row[col] for row in ws.iter_rows(min_row=2)]
    wanted = {r.profile.name for r in result.rows}
    assert {c.value for c in cells} == wanted
    assert '=HYPERLINK("http://evil.example/","点我")' in wanted and "+SUM(1+1)" in wanted
    assert all(c.data_type == "s" for c in cells)  # stored as text: Excel shows it, never evaluates it
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_aliases_map_roster_spellings_to_the_vocabulary() -> None:
    rows = read_roster(CORPUS / "aliases.csv", real(), ROOT).rows
    assert [(r.profile.district, r.profile.org_type, r.profile.mode, r.profile.stage, r.profile.ownership)
            for r in rows] == [
        ("DS-QJ", "党委", "分设", "中等职业学校", "公办"),  # 党委员会, 书记、校长分设, 中职, 公立
        ("DS-KZ", "党总支", "一肩挑", "九年一贯制学校", "民办"),  # 总支, 书记校长一肩挑, 九年一贯制, 私立
        ("DS-FH", "党支部", "分设", "中等职业学校", "公办"),  # 分任, 职高
    ]
    # and the aliased school gets the checklist of the value, not of an unknown stage
    vocational = [s.item.id for s in select(real(), rows[0].profile)]
    assert vocational == [s.item.id for s in select(real(), Profile("x", "DS-QJ", "党委", "分设", "中等职业学校", "公办"))]


def test_a_county_name_is_kept_with_district(tmp_path: Path) -> None:
    rows = read_roster(CORPUS / "county.csv", real(), ROOT, ReadOptions(district="DS-QJ")).rows
    assert [(r.profile.district, r.county) for r in rows] == [("DS-QJ", "麒麟区"), ("DS-QJ", "")]


def test_an_unknown_district_is_refused_naming_the_known_ones() -> None:
    (problem,) = read_roster(CORPUS / "county.csv", real(), ROOT).problems
    known = "、".join(d.name for d in real().districts)
    assert problem.message.startswith(f"“麒麟区”不是已知地区（{known}、其他地区）")


@pytest.mark.parametrize(("args", "code", "expected_err", "produced"), [
    ([], 1, "county.csv:2: 所属地区: “麒麟区”不是已知地区", 1),
    (["--district", "DS-QJ"], 0, "", 2),
], ids=["without-district", "with-district"])
@pytest.mark.usefixtures("shared_data")
def test_the_command_reports_row_and_column_and_exits_by_outcome(args: list[str], code: int, expected_err: str,
                                                               produced: int, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["--root", str(ROOT), "checklists", "--roster", str(CORPUS / "county.csv"), "--out", str(out),
                 "--quiet", "--no-xlsx", *args]) == code
    captured = capsys.readouterr()
    assert expected_err in captured.err
    assert "Traceback" not in captured.err
    assert len(list((out / "html").iterdir())) == produced
    assert f"完成：{produced} 所学校已生成" in captured.out


@pytest.mark.usefixtures("shared_data")
def test_blank_ids_need_auto_id_and_then_are_announced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    roster = str(CORPUS / "blank-id.csv")
    assert main(["--root", str(ROOT), "checklists", "--roster", roster, "--out", str(tmp_path / "a"), "--quiet",
                 "--no-xlsx"]) == 1
    err = capsys.readouterr().err
    assert "blank-id.csv:3: 学校编号: “没有编号的小学（虚构）”缺少学校编号" in err
    assert main(["--root", str(ROOT), "checklists", "--roster", roster, "--out", str(tmp_path / "b"), "--quiet",
                 "--no-xlsx", "--auto-id"]) == 0
    err = capsys.readouterr().err
    assert "注意：blank-id.csv：2 所学校没有学校编号，已按行号自动编号" in err
    assert sorted(p.name for p in (tmp_path / "b" / "html").iterdir()) == [
        "auto-00003-没有编号的小学（虚构）.html", "auto-00004-编号是空格的小学（虚构）.html", "b-001-有编号的小学（虚构）.html"]


@pytest.mark.usefixtures("shared_data")
def test_fatal_rosters_write_nothing_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("nul.csv", "missing-columns.csv"):
        out = tmp_path / name
        assert main(["--root", str(ROOT), "checklists", "--roster", str(CORPUS / name), "--out", str(out),
                     "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.splitlines()[-1] == "花名册无法读取，未生成任何文件。"
        assert not out.exists()


# ---- bounds and other readers --------------------------------------------------------------------


def test_size_and_row_bounds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from macros import roster

    big = tmp_path / "big.csv"
    big.write_text("学校编号,学校名称,党组织类型,书记校长配备\n" + "X,甲,党委,分设\n" * 20, encoding="utf-8")
    monkeypatch.setattr(roster, "MAX_ROSTER_BYTES", 100)
    result = read_roster(big, real(), ROOT)
    assert result.fatal and [(p.row, p.column) for p in result.problems] == [(0, "")]
    assert f"文件过大（{big.stat().st_size:,} 字节，上限 100）" in result.problems[0].message
    monkeypatch.setattr(roster, "MAX_ROSTER_BYTES", 10**6)
    monkeypatch.setattr(roster, "MAX_ROWS", 10)
    result = read_roster(big, real(), ROOT)
    assert result.fatal and "行数过多（20 行，上限 10）" in result.problems[0].message


def test_same_name_twice_in_one_district_refuses_both_rows(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("学校编号,学校名称,所属地区,党组织类型,书记校长配备\nA,同名小学,曲靖,党委,分设\nB,同 名小学,曲靖市,党委,分设\n"
                   "C,同名小学,开州,党委,分设\n", encoding="utf-8")
    result = read_roster(csv, real(), ROOT)
    assert [r.profile.school_id for r in result.rows] == ["C"]  # the same name in another district is another school
    assert [(p.row, p.column) for p in result.problems] == [(2, "学校名称"), (3, "学校名称")]
    assert "在同一地区重复（第 2、3 行）" in result.problems[0].message


def test_yaml_roster_rows_are_checked_against_the_schema(tmp_path: Path) -> None:
    roster = tmp_path / "r.yaml"
    roster.write_text("schools:\n  - {id: SCH-A-1, name: 甲校, district: DS-QJ, org_type: 党委, mode: 分设, stage: 小学, "
                      "ownership: 公办}\n  - {id: SCH-A-2, name: 乙校, district: DS-QJ, org_type: 党小组, mode: 分设, "
                      "stage: 小学, ownership: 公办}\n", encoding="utf-8")
    result = read_roster(roster, real(), ROOT)
    assert [r.profile.name for r in result.rows] == ["甲校"]
    assert [(p.row, p.column) for p in result.problems] == [(3, "schools[1].org_type")]
    assert not result.fatal


def test_the_bundled_demo_roster_reads_cleanly() -> None:
    result = read_roster(ROOT / "data" / "schools" / "demo.yaml", real(), ROOT)
    assert result.problems == [] and result.notices == [] and not result.fatal
    assert [r.profile.school_id for r in result.rows] == [s.id for s in real().schools if s.active]


def test_unreadable_path_is_fatal_with_a_message(tmp_path: Path) -> None:
    result = read_roster(tmp_path / "missing.csv", real(), ROOT)
    assert result.fatal and result.problems[0].message.startswith("无法读取：")
