"""The batch command for district offices: roster → per-school HTML/PDF checklists + one XLSX workbook.

Runs the command in-process (`macros.cli.main`) on a roster with good and bad rows; what each school
must get is computed with `select()` on the school's profile written out in the test. Hostile rosters
(traversal, formulas, encodings …) are in tests/test_roster.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import pdftotext
from datasets import ROOT, real, shared_data  # noqa: F401  (a fixture)
from openpyxl import load_workbook

from macros import batch
from macros.batch import OutputNames, Progress, file_stem, inside
from macros.batch_xlsx import XLSX_HEADERS
from macros.checklist import Profile, select
from macros.cli import main
from macros.scope import RULE

GOOD_AND_BAD = """学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质
T-001,测试第一小学（虚构）,曲靖,党支部,一肩挑,小学,公办
T-002,测试第二中学（虚构）,DS-KZ,党委,分设,完全中学,公办
T-003,,奉化,党支部,分设,初中,公办
T-004,测试第四小学（虚构）,其他,党小组,一肩挑,小学,公办
T-005,测试第一小学（虚构）,曲靖市,党总支,分设,小学,公办
T-006,测试民办学校（虚构）,,党总支,分设,初中,民办
"""
PROFILES = {  # the good rows, written out (T-001 and T-005 share a name in one district: both refused)
    "T-002": Profile("测试第二中学（虚构）", "DS-KZ", "党委", "分设", "完全中学", "公办", "T-002"),
    "T-006": Profile("测试民办学校（虚构）", "未知", "党总支", "分设", "初中", "民办", "T-006"),
}


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str, str]:
    tmp = tmp_path_factory.mktemp("batch")
    roster = tmp / "花名册.csv"
    roster.write_text(GOOD_AND_BAD, encoding="utf-8-sig")
    out, err = io.StringIO(), io.StringIO()
    from contextlib import redirect_stderr, redirect_stdout

    with redirect_stdout(out), redirect_stderr(err):
        code = main(["--root", str(ROOT), "checklists", "--roster", str(roster), "--out", str(tmp / "out"), "--quiet"])
    return tmp / "out", code, out.getvalue(), err.getvalue()


def test_bad_rows_are_reported_with_row_and_column_and_good_rows_still_produced(batch_out) -> None:
    out, code, stdout, stderr = batch_out
    assert code == 1
    lines = [line for line in stderr.splitlines() if not line.startswith("注意：")]  # notices are not row problems
    assert lines == [
        "花名册.csv:2: 学校名称: 学校“测试第一小学（虚构）”在同一地区重复（第 2、6 行），这几行都未生成",
        "花名册.csv:4: 学校名称: 缺少学校名称，本行未生成",
        "花名册.csv:5: 党组织类型: “党小组”不是可用的党组织类型（可选：党委、党总支、党支部），本行未生成",
        "花名册.csv:6: 学校名称: 学校“测试第一小学（虚构）”在同一地区重复（第 2、6 行），这几行都未生成",
    ]
    assert "完成：2 所学校已生成" in stdout and "4 行有问题被跳过" in stdout
    names = sorted(p.name for p in (out / "html").glob("*.html"))
    assert names == ["t-002-测试第二中学（虚构）.html", "t-006-测试民办学校（虚构）.html"]


@pytest.mark.parametrize("school_id", sorted(PROFILES))
def test_each_html_is_the_schools_tailored_checklist(batch_out, school_id: str) -> None:
    out, *_ = batch_out
    profile = PROFILES[school_id]
    path = out / "html" / f"{school_id.lower()}-{profile.name}.html"
    doc = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert doc.select_one("output[name=name]").get_text() == profile.name
    assert doc.select_one("output[name=id]").get_text() == school_id
    expected = select(real(), profile)
    assert [(tr["data-item"], tr["data-kind"]) for tr in doc.select("tr.dz-item")] == [
        (s.item.id, s.kind.kind) for s in expected]
    assert [td.get_text() for td in doc.select("td.dz-no")] == [str(i) for i in range(1, len(expected) + 1)]
    for tr, s in zip(doc.select("tr.dz-item"), expected, strict=True):
        boxes = [b.get_text().lstrip("☐ ") for b in tr.select(".dz-box")]
        assert boxes == list(real().vocab.rule_results if s.kind.kind == RULE else real().vocab.reference_results)
    text = doc.get_text()
    assert "党组织书记（签字）" in text and "上级党组织审核意见" in text
    assert f"data {real().data_version}" in doc.find("meta", attrs={"name": "generator"})["content"]
    assert not doc.select("script[src], link[href], img[src^=http]"), "standalone pages load nothing from outside"
    style = doc.find("style").string
    assert "&gt;" not in style and "&#34;" not in style, "CSS must not be HTML-escaped"


def test_xlsx_rows_kinds_validation_frozen_header_and_print_setup(batch_out) -> None:
    out, *_ = batch_out
    ds = real()
    wb = load_workbook(out / "district-checklists.xlsx")
    assert wb.sheetnames == ["说明", "自查表"]
    ws = wb["自查表"]
    header = [c.value for c in ws[1]]
    assert header == list(XLSX_HEADERS)
    rows = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
    col = {h: i for i, h in enumerate(header)}
    expected = [(sid, s.number, s.item.id, s.kind.kind) for sid in ("T-002", "T-006")
                for s in select(ds, PROFILES[sid])]
    assert [(r[col["学校编号"]], r[col["序号"]], r[col["编号"]], r[col["类别"]]) for r in rows] == expected
    t006 = next(r for r in rows if r[col["学校编号"]] == "T-006")
    assert (t006[col["所属地区"]], t006[col["办学性质"]]) == ("未知", "民办")
    assert all(r[col["自评结果"]] is None for r in rows)
    assert ws.freeze_panes == "C2"
    (dv,) = ws.data_validations.dataValidation
    assert dv.formula1 == '"' + ",".join(ds.vocab.results) + '"'  # 规定项 and 参考项 answers, each once
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[col["自评结果"]]
    assert str(dv.sqref) == f"{letter}2:{letter}{ws.max_row}"
    assert ws.page_setup.paperSize in (9, "9") and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"  # the header row repeats on every printed page
    assert ws.auto_filter.ref == f"A1:{'ABCDEFGHIJKLMNOPQRSTUVWXYZ'[len(header) - 1]}{ws.max_row}"
    info = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    assert ["数据版本", ds.data_version] in info
    assert any(row[0] == "构建提交" and row[1] for row in info)
    assert any(row[0] == "填写说明" and "、".join(ds.vocab.reference_results) in row[1] for row in info)
    assert f"data_version={ds.data_version}" in wb.properties.keywords


@pytest.mark.usefixtures("shared_data")
def test_english_headers_and_the_default_yaml_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv = tmp_path / "roster.csv"
    csv.write_text("id,name,district,org_type,mode,stage,ownership\nE1,英文列名小学（虚构）,kaizhou,党支部,分设,小学,公办\n",
                   encoding="utf-8")
    assert main(["--root", str(ROOT), "checklists", "--roster", str(csv), "--out", str(tmp_path / "o1"), "--quiet",
                 "--no-xlsx"]) == 0
    assert [p.name for p in (tmp_path / "o1" / "html").iterdir()] == ["e1-英文列名小学（虚构）.html"]
    assert not (tmp_path / "o1" / "district-checklists.xlsx").exists()
    # no --roster: data/schools/demo.yaml, every active school (the workbook is tested above: it is slow to write)
    assert main(["--root", str(ROOT), "checklists", "--out", str(tmp_path / "o2"), "--quiet", "--no-xlsx"]) == 0
    stems = {p.stem for p in (tmp_path / "o2" / "html").iterdir()}
    assert stems == {f"{s.id.lower()}-{s.name}" for s in real().schools if s.active}
    assert not (tmp_path / "o2" / "district-checklists.xlsx").exists()
    capsys.readouterr()


@pytest.mark.parametrize(("content", "message"), [
    (b"", "r.csv:1: 文件为空或第一行不是列名"),
    (b"\n\n", "r.csv:1: 文件为空或第一行不是列名"),
    ("学校编号,学校名称,党组织类型,书记校长配备\n".encode(), "r.csv: 花名册里没有学校"),
    ("名字,类型\nx,y\n".encode(), "缺少必需的列：学校编号、学校名称、党组织类型、书记校长配备"),
    (b"\xff\xfe\x00a", "含有 NUL 空字节"),
])
@pytest.mark.usefixtures("shared_data")
def test_unreadable_rosters_stop_with_a_message_and_write_nothing(tmp_path: Path, content: bytes, message: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    roster.write_bytes(content)
    assert main(["--root", str(ROOT), "checklists", "--roster", str(roster), "--out", str(tmp_path / "out"),
                 "--quiet"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("shared_data")
def test_a_missing_roster_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "checklists", "--roster", str(tmp_path / "nope.csv"), "--out",
                 str(tmp_path / "out")]) == 2
    assert "找不到花名册文件" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---- file names -------------------------------------------------------------------------------------


def test_file_stems_are_safe_short_and_unique_per_run() -> None:
    p = Profile("甲校", school_id="A/1")
    assert file_stem(p) == "a_1-甲校"
    assert file_stem(Profile("...", school_id="..")) == "school-school"
    long = Profile("长" * 100, school_id="L")
    assert len(file_stem(long).encode("utf-8")) <= batch.MAX_NAME_BYTES
    names = OutputNames()
    same = Profile("同名", school_id="X")
    assert [names.stem(same), names.stem(same), names.stem(Profile("同名", school_id="x"))] == ["x-同名", "x-同名-2",
                                                                                              "x-同名-3"]


def test_inside_refuses_names_that_leave_the_folder(tmp_path: Path) -> None:
    assert inside(tmp_path, "a.html") == tmp_path / "a.html"
    for bad in ("../a.html", "sub/a.html", "/etc/passwd", ".."):
        with pytest.raises(ValueError, match="输出文件名不安全"):
            inside(tmp_path, bad)


def test_progress_prints_a_line_per_tenth_when_not_a_terminal() -> None:
    stream = io.StringIO()
    bar = Progress(20, "生成自查表", stream)
    for n in range(1, 21):
        bar.update(n)
    assert stream.getvalue().splitlines() == [f"生成自查表: {n}/20" for n in (1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20)]


# ---- PDFs (headless Chromium) -------------------------------------------------------------------------


@pytest.mark.browser
def test_pdfs_exist_and_carry_the_schools_name(tmp_path: Path, browser) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质\n"
                      "P-1,示例甲小学（虚构）,曲靖,党支部,一肩挑,小学,公办\nP-2,示例乙中学（虚构）,奉化,党委,分设,高中,公办\n",
                      encoding="utf-8")
    assert main(["--root", str(ROOT), "checklists", "--roster", str(roster), "--out", str(tmp_path / "out"), "--pdf",
                 "--quiet", "--no-xlsx", "--no-html"]) == 0
    pdfs = sorted((tmp_path / "out" / "pdf").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["p-1-示例甲小学（虚构）.pdf", "p-2-示例乙中学（虚构）.pdf"]
    assert not (tmp_path / "out" / "html").exists()  # --no-html: the print files are removed after printing
    text = pdftotext(pdfs[0])
    assert "示例甲小学（虚构）" in text and "中小学校党组织领导的校长负责制落实情况自查表" in text
    assert "党组织书记（签字）" in text and "第 1 页" in text and "规定项" in text


# ---- the district workbook, written beside the rest ----------------------------------------------------


def workbook_rows(path: Path) -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    return [row for name in wb.sheetnames for row in wb[name].iter_rows(values_only=True)]


def test_the_workbook_is_the_same_forked_or_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from macros import batch_xlsx
    from macros.roster import read_roster

    roster = tmp_path / "r.csv"
    roster.write_text(GOOD_AND_BAD, encoding="utf-8-sig")
    rows = read_roster(roster, real(), ROOT)
    forked = batch.run_batch(real(), rows, tmp_path / "a", html=False, root=ROOT, progress=False)
    monkeypatch.setattr(batch_xlsx.multiprocessing, "get_all_start_methods", lambda: ["spawn"])  # as on Windows
    inline = batch.run_batch(real(), rows, tmp_path / "b", html=False, root=ROOT, progress=False)
    assert forked.xlsx_rows == inline.xlsx_rows > 0
    a, b = (workbook_rows(tmp_path / d / "district-checklists.xlsx") for d in "ab")
    assert a == b and len(a) > forked.xlsx_rows


def test_a_workbook_that_cannot_be_written_is_one_chinese_message(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(GOOD_AND_BAD, encoding="utf-8-sig")
    (tmp_path / "out" / "district-checklists.xlsx").mkdir(parents=True)  # a folder where the file goes
    code = main(["--root", str(ROOT), "checklists", "--roster", str(roster), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code != 0 and "全区工作簿未能生成" in err and "Traceback" not in err
    assert not list((tmp_path / "out").glob(".*.partial"))


def test_a_failure_elsewhere_stops_the_workbook_and_leaves_no_part_of_it(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from macros.roster import read_roster

    roster = tmp_path / "r.csv"
    roster.write_text(GOOD_AND_BAD, encoding="utf-8-sig")

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError("磁盘已满")

    monkeypatch.setattr(batch, "with_link", broken)
    with pytest.raises(OSError):
        batch.run_batch(real(), read_roster(roster, real(), ROOT), tmp_path / "out", root=ROOT, progress=False)
    assert not list((tmp_path / "out").glob(".*.partial"))  # stopped, or finished first: never half a file
    book = tmp_path / "out" / "district-checklists.xlsx"
    assert not book.exists() or workbook_rows(book)
