"""The batch command for district offices: roster → per-school HTML/PDF checklists + one XLSX."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, pdftotext
from openpyxl import load_workbook

from macros.batch import read_roster
from macros.checklist import Profile, select
from macros.model import load_dataset

GOOD_AND_BAD = """学校编号,学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质
T-001,测试第一小学（虚构）,曲靖,党支部,一肩挑,小学,公办
T-002,测试第二中学（虚构）,DS-KZ,党委,分设,完全中学,公办
T-003,,奉化,党支部,分设,初中,公办
T-004,测试第四小学（虚构）,其他,党小组,一肩挑,小学,公办
T-005,测试第一小学（虚构）,曲靖,党总支,分设,小学,公办
T-006,测试民办学校（虚构）,,党总支,分设,初中,民办
"""


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def batch_out(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    tmp = tmp_path_factory.mktemp("batch")
    roster = tmp / "花名册.csv"
    roster.write_text(GOOD_AND_BAD, encoding="utf-8-sig")
    proc = run("checklists", "--roster", str(roster), "--out", str(tmp / "out"), "--quiet")
    return tmp / "out", proc


def test_bad_rows_are_reported_with_row_numbers_and_good_rows_still_produced(batch_out) -> None:
    out, proc = batch_out
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr
    assert "花名册.csv:4: 缺少学校名称" in err
    assert "花名册.csv:5: “测试第四小学（虚构）”：党组织类型“党小组”不在允许范围内" in err
    assert "花名册.csv:6: 学校“测试第一小学（虚构）”重复（第 2 行已有）" in err
    assert "Traceback" not in err
    assert "完成：3 所学校已生成" in proc.stdout and "3 行有问题被跳过" in proc.stdout
    names = sorted(p.name for p in (out / "html").glob("*.html"))
    assert names == ["t-001-测试第一小学（虚构）.html", "t-002-测试第二中学（虚构）.html", "t-006-测试民办学校（虚构）.html"]


def test_each_html_is_the_schools_tailored_checklist(batch_out, ds) -> None:
    out, _ = batch_out
    doc = BeautifulSoup((out / "html" / "t-002-测试第二中学（虚构）.html").read_text(encoding="utf-8"), "html.parser")
    assert doc.select_one("output[name=name]").get_text() == "测试第二中学（虚构）"
    ids = [tr["data-item"] for tr in doc.select("tr.dz-item")]
    expected = select(ds, Profile("测试第二中学（虚构）", "DS-KZ", "党委", "分设", "完全中学", "公办"))
    assert ids == [s.item.id for s in expected]
    assert [td.get_text() for td in doc.select("td.dz-no")] == [str(i) for i in range(1, len(ids) + 1)]
    text = doc.get_text()
    assert "党组织书记（签字）" in text and "上级党组织审核意见" in text and f"数据版本 {ds.data_version}" in text
    assert not doc.select("script[src], link[href^=http]"), "standalone pages load nothing from outside"
    style = doc.find("style").string
    assert "&gt;" not in style and "&#34;" not in style, "CSS must not be HTML-escaped"


def test_xlsx_has_sheets_rows_validation_frozen_header_and_print_setup(batch_out, ds) -> None:
    out, _ = batch_out
    wb = load_workbook(out / "district-checklists.xlsx")
    assert wb.sheetnames == ["说明", "自查表"]
    ws = wb["自查表"]
    header = [c.value for c in ws[1]]
    assert header[:2] == ["学校编号", "学校名称"] and "自评结果" in header and "存在问题及整改措施" in header
    per_school = {
        "T-001": select(ds, Profile("a", "DS-QJ", "党支部", "一肩挑", "小学", "公办")),
        "T-002": select(ds, Profile("b", "DS-KZ", "党委", "分设", "完全中学", "公办")),
        "T-006": select(ds, Profile("c", "未知", "党总支", "分设", "初中", "民办")),
    }
    assert ws.max_row == 1 + sum(len(v) for v in per_school.values())
    school_col = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    for sid, items in per_school.items():
        assert school_col.count(sid) == len(items)
    assert ws.freeze_panes == "C2"
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == 1 and dvs[0].formula1 == '"达标,基本达标,未达标,不适用"'
    result_col = header.index("自评结果") + 1
    assert str(dvs[0].sqref) == f"O2:O{ws.max_row}" and result_col == 15
    assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"  # the header row repeats on every printed page
    info = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    assert ["数据版本", ds.data_version] in info
    assert any(row[0] == "构建提交" and row[1] for row in info)
    assert f"data_version={ds.data_version}" in wb.properties.keywords


def test_english_headers_and_yaml_roster(tmp_path: Path) -> None:
    csv = tmp_path / "roster.csv"
    csv.write_text("id,name,district,org_type,mode,stage,ownership\nE1,英文列名小学（虚构）,kaizhou,党支部,分设,小学,公办\n",
                   encoding="utf-8")
    proc = run("checklists", "--roster", str(csv), "--out", str(tmp_path / "o1"), "--quiet", "--no-xlsx")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o1" / "html" / "e1-英文列名小学（虚构）.html").exists()
    proc = run("checklists", "--out", str(tmp_path / "o2"), "--quiet", "--no-html")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "o2" / "district-checklists.xlsx").exists()
    assert not (tmp_path / "o2" / "html").exists()


@pytest.mark.parametrize(("content", "message"), [
    ("学校名称,党组织类型\n".encode("gbk") + "甲校,党委\n".encode("gbk"), "文件不是 UTF-8 编码"),
    (b"", "文件为空"),
    ("名字,类型\nx,y\n".encode(), "无法识别的列名：名字、类型"),
])
def test_unreadable_rosters_stop_with_a_message_and_write_nothing(tmp_path: Path, content: bytes, message: str) -> None:
    roster = tmp_path / "r.csv"
    roster.write_bytes(content)
    proc = run("checklists", "--roster", str(roster), "--out", str(tmp_path / "out"), "--quiet")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_yaml_roster_rows_are_checked_against_the_schema(tmp_path: Path, ds) -> None:
    roster = tmp_path / "r.yaml"
    roster.write_text("schools:\n  - {id: SCH-A-1, name: 甲校, district: DS-QJ, org_type: 党委, mode: 分设, stage: 小学, "
                      "ownership: 公办}\n  - {id: SCH-A-2, name: 乙校, district: DS-QJ, org_type: 党小组, mode: 分设, "
                      "stage: 小学, ownership: 公办}\n", encoding="utf-8")
    result = read_roster(roster, ds)
    assert [r.profile.name for r in result.rows] == ["甲校"]
    assert len(result.problems) == 1 and "schools[1].org_type" in result.problems[0] and ":3:" in result.problems[0]


@pytest.mark.browser
def test_pdfs_exist_and_carry_the_schools_name(tmp_path: Path, browser) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("学校名称,所属地区,党组织类型,书记校长配备,学段,办学性质\n示例甲小学（虚构）,曲靖,党支部,一肩挑,小学,公办\n"
                      "示例乙中学（虚构）,奉化,党委,分设,高中,公办\n", encoding="utf-8")
    proc = run("checklists", "--roster", str(roster), "--out", str(tmp_path / "out"), "--pdf", "--quiet", "--no-xlsx")
    assert proc.returncode == 0, proc.stderr
    pdfs = sorted((tmp_path / "out" / "pdf").glob("*.pdf"))
    assert [p.name for p in pdfs] == ["row-2-示例甲小学（虚构）.pdf", "row-3-示例乙中学（虚构）.pdf"]
    text = pdftotext(pdfs[0])
    assert "示例甲小学（虚构）" in text and "中小学校党组织领导的校长负责制落实情况自查表" in text
    assert "党组织书记（签字）" in text and "第 1 页" in text
