"""The school's Word documents: 自查表 and 自查报告 draft, from the models to files read back with python-docx,
the `report` command, the batch's blank .docx, and LibreOffice's PDF of one of each."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import ROOT, pdftotext
from docx_helpers import all_text, headings, read, tables, to_pdf, to_png

from macros.checklist import Answer, Profile, select
from macros.docx_checklist import checklist_model
from macros.docx_model import blank, clean, count_chars, doc_input, fill, numeral, texts
from macros.docx_report import report_model
from macros.docx_write import docx_bytes
from macros.model import load_dataset
from macros.scope import RULE

NAME = "测试市第九小学"
NOTE = "已制定议事规则 <b>&amp; “引号”\n第二行"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def school(ds):
    profile = Profile(NAME, ds.districts[0].id, "党支部", "一肩挑", "小学", "公办", "SCH-T-09")
    selected = select(ds, profile)
    rules = [s.item.id for s in selected if s.kind.kind == RULE]
    refs = [s.item.id for s in selected if s.kind.kind != RULE]
    answers = {rules[0]: Answer("达标", NOTE, "议事规则文本"), rules[1]: Answer("基本达标", "", "", score=1.5),
               rules[2]: Answer("未达标", "会议记录不全", ""), rules[3]: Answer("不适用", "", "", na_reason="本校无此情况"),
               refs[0]: Answer("已采用", "", "")}
    return profile, selected, answers


def write(tmp_path: Path, model: dict, name: str) -> Path:
    path = tmp_path / name
    path.write_bytes(docx_bytes(model))
    return path


def test_helpers_match_the_page_script_rules():
    assert [numeral(n) for n in (1, 9, 10, 11, 19, 20, 23)] == ["一", "九", "十", "十一", "十九", "二十", "二十三"]
    assert fill("{}落实{x}", blank("学校名称"), x="情况") == [blank("学校名称"), "落实情况"]
    assert clean("a\r\nb\tc\x00\x85d\ufeff") == "a\nb cd"
    assert count_chars("一 二\n三\u3000四") == 4


def test_checklist_read_back(ds, school, tmp_path):
    profile, selected, answers = school
    inp = doc_input(ds, profile, selected, answers, period="2026年春季学期")
    doc = read(write(tmp_path, checklist_model(inp), "表.docx"))
    t = texts()["checklist"]
    assert doc["landscape"]
    assert headings(doc) == [t["profile_heading"], t["columns"][1], t["summary_heading"], t["signoff_heading"]]
    profile_table, items, signoff = tables(doc)
    assert [NAME, "SCH-T-09"] == [profile_table[0][1], profile_table[0][3]]
    assert "2026年春季学期" in all_text({**doc, "body": [("T", profile_table)]})
    assert items[0] == t["columns"]
    rows = [r for r in items[1:] if len(r) == 8]
    assert len(rows) == len(selected)
    by_id = {r[1].split("\n")[1]: r for r in rows}
    first = by_id[selected[0].item.id]
    assert first[0] == "1" and "☑ 达标" in first[5] and first[7] == NOTE
    assert "CK-" not in first[3]  # 依据 as readable titles, not record IDs
    assert "《" in first[3]
    assert by_id[selected[3].item.id][5].endswith("不适用理由：本校无此情况")
    assert any("党组织书记（签字）" in c for r in signoff for c in r)
    assert NAME in doc["header"][0] and ds.data_version in doc["footer"][0]
    summary = [b[2] for b in doc["body"] if b[0] == "P" and b[2].startswith(RULE)][0]
    assert "达标 1 项" in summary and "不适用 1 项" in summary


def test_blank_checklist_is_a_form(ds, tmp_path):
    profile = Profile("空白小学", "OTHER", "党委", "分设", "初中", "民办", "SCH-B-1")
    selected = select(ds, profile)
    doc = read(write(tmp_path, checklist_model(doc_input(ds, profile, selected, None)), "blank.docx"))
    text = all_text(doc)
    assert "☑" not in text and text.count("☐") >= len(selected) * 2
    assert "空白小学" in text and texts()["line"] in text  # 自查时段 left to fill
    assert ("达标 " + texts()["short_line"] + " 项") in text


def test_report_read_back(ds, school, tmp_path):
    profile, selected, answers = school
    inp = doc_input(ds, profile, selected, answers, period="")
    model = report_model(inp)
    doc = read(write(tmp_path, model, "报告.docx"))
    t = texts()["report"]
    assert headings(doc) == t["sections"]
    text = all_text(doc)
    assert NAME in doc["body"][0][2] and not doc["landscape"]
    assert NOTE in text  # the school's note, as written
    marker = texts()["blank"].format
    for what in (t["practice_blank"], t["problem_blank"], t["measures_person"], t["measures_date"],
                 texts()["checklist"]["period"]):
        assert marker(what) in text, what
    assert marker(t["practice_blank"]) in doc["highlighted"]
    measures = tables(doc)[-1]
    assert measures[0] == t["measures_columns"] and len(measures) == 3  # 基本达标 + 未达标
    assert f"正文约 {model['chars']} 字" in text
    assert doc["body"][-3][2] == NAME and doc["body"][-4][2] == ""  # the closing, after a blank line


def test_nothing_is_invented(ds, school):
    """Every sentence of the draft that is not wording from documents.json comes from the answers or the data."""
    profile, selected, answers = school
    inp = doc_input(ds, profile, selected, {k: replace(a, note="") for k, a in answers.items()})
    model = report_model(inp)
    text = json.dumps(model, ensure_ascii=False)
    assert NOTE not in text and "会议记录不全" not in text
    problems = [s for s in selected if answers.get(s.item.id, Answer()).result in ("基本达标", "未达标")]
    assert text.count(texts()["blank"].format(texts()["report"]["problem_blank"])) == len(problems)


def test_unknown_profile_fields_are_marked_blanks(ds, tmp_path):
    profile = Profile(NAME)
    selected = select(ds, profile)
    doc = read(write(tmp_path, report_model(doc_input(ds, profile, selected, {})), "r.docx"))
    for label in ("党组织类型", "书记校长配备", "学段", "办学性质", "所属地区"):
        assert texts()["blank"].format(label) in doc["highlighted"]


def test_files_are_deterministic_and_escaped(ds, school):
    profile, selected, answers = school
    nasty = {**answers, selected[0].item.id: Answer("达标", "]]></w:t><w:t>x & \x01\x1f", "")}
    inp = doc_input(ds, profile, selected, nasty)
    a, b = docx_bytes(report_model(inp)), docx_bytes(report_model(inp))
    assert a == b
    with zipfile.ZipFile(__import__("io").BytesIO(a)) as z:
        xml = z.read("word/document.xml").decode()
        assert "]]&gt;&lt;/w:t&gt;&lt;w:t&gt;x &amp;" in xml and "\x01" not in xml
        assert z.namelist()[0] == "[Content_Types].xml"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def answers_file(ds, school, path: Path) -> Path:
    profile, selected, answers = school
    doc = {"format": "dzzld-answers/1", "data_version": ds.data_version,
           "school": {"name": profile.name, "id": profile.school_id, "district": profile.district,
                      "org_type": profile.org_type, "mode": profile.mode, "stage": profile.stage,
                      "ownership": profile.ownership, "period": "2026年春季学期"},
           "answers": {k: {"result": a.result, "note": a.note, "evidence": a.evidence,
                           **({"na_reason": a.na_reason} if a.na_reason else {}),
                           **({"score": a.score} if a.score is not None else {})} for k, a in answers.items()}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.slow
def test_report_command(ds, school, tmp_path):
    src = answers_file(ds, school, tmp_path / "答案.json")
    out = tmp_path / "out"
    proc = run_cli("report", "--answers", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted([texts()["checklist"]["file"].format(NAME), texts()["report"]["file"].format(NAME)])
    report = read(out / texts()["report"]["file"].format(NAME))
    assert "2026年春季学期" in all_text(report)


@pytest.mark.slow
@pytest.mark.parametrize("content, message", [
    ("{not json", "不是有效的 JSON"),
    ('{"format": "dzzld-answers/1"}', "缺少必填字段"),
    ('{"format": "dzzld-answers/1", "data_version": "1.0.0", "school": {"name": "甲", "org_type": "党小组"}, "answers": {}}',
     "school/org_type"),
    ('{"format": "dzzld-answers/1", "data_version": "1.0.0", "school": {"name": "甲", "district": "DS-NONE"}, "answers": {}}',
     "所属地区“DS-NONE”未知"),
])
def test_report_command_refuses_bad_answers(tmp_path, content, message):
    src = tmp_path / "坏.json"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    proc = run_cli("report", "--answers", str(src), "--out", str(out))
    assert proc.returncode == 1
    assert "坏.json" in proc.stderr and message in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.slow
def test_report_command_usage_errors(tmp_path):
    proc = run_cli("report", "--answers", str(tmp_path / "无.json"), "--out", str(tmp_path))
    assert proc.returncode == 2 and "找不到答案文件" in proc.stderr
    proc = run_cli("report", "--out", str(tmp_path))
    assert proc.returncode == 2 and "缺少必需的参数" in proc.stderr


@pytest.mark.slow
def test_batch_writes_a_blank_docx_per_school(ds, tmp_path):
    out = tmp_path / "batch"
    proc = run_cli("checklists", "--out", str(out), "--docx", "--quiet", "--no-xlsx")
    assert proc.returncode == 0, proc.stderr
    schools = [s for s in ds.schools if s.active]
    docs = sorted((out / "docx").glob("*.docx"))
    htmls = sorted((out / "html").glob("*.html"))
    assert len(docs) == len(schools) and [d.stem for d in docs] == [h.stem for h in htmls]
    doc = read(docs[0])
    school = next(s for s in schools if docs[0].stem.endswith(s.name.replace(" ", "_")))
    assert school.name in doc["header"][0] and "☑" not in all_text(doc)


@pytest.mark.slow
def test_libreoffice_renders_both(ds, school, tmp_path):
    """One 自查表 and one report through LibreOffice: the PDF text has the school's name and every heading."""
    profile, selected, answers = school
    inp = doc_input(ds, profile, selected, answers, period="2026年春季学期")
    files = [write(tmp_path, checklist_model(inp), "checklist.docx"), write(tmp_path, report_model(inp), "report.docx")]
    pdfs = to_pdf(files, tmp_path)
    checklist_text, report_text = (pdftotext(p).replace(" ", "") for p in pdfs)
    t = texts()
    assert NAME in checklist_text and t["checklist"]["title"] in checklist_text.replace("\n", "")
    for h in (t["checklist"]["profile_heading"], t["checklist"]["summary_heading"], t["checklist"]["signoff_heading"]):
        assert h in checklist_text
    assert NAME in report_text.replace("\n", "")
    for h in t["report"]["sections"]:
        assert h in report_text
    for pdf in pdfs:
        pngs = to_png(pdf, tmp_path)
        assert pngs and all(p.stat().st_size > 5000 for p in pngs)  # pages with text on them, not blank


def test_batch_renders_once_per_setup(ds):
    """Schools of one set-up share a rendering; the name and code put in give the file rendered directly."""
    from markupsafe import Markup

    from macros.batch import LINK, docx_cache, html_cache, standalone_html
    from macros.docx_model import item_texts
    from macros.docx_write import package
    from macros.school_docs import blank_checklist_parts

    profiles = [Profile(name, "DS-QJ", "党支部", "一肩挑", "小学", "公办", code)
                for name, code in (("第一小学", "S-1"), ("甲&乙<学校>“二”", "S-2&<"), ("第三小学", ""))]
    htmls, docxs = html_cache(ds, build="t", select_for=lambda p: select(ds, p)), docx_cache(ds, select_for=lambda p: select(ds, p))
    items = item_texts(ds)
    for p in profiles:
        assert htmls.get(p) == standalone_html(ds, p, select(ds, p), build="t", link_block=Markup(LINK))
        assert package(docxs.get(p)) == package(blank_checklist_parts(ds, p, select(ds, p), items))
    assert htmls.verified and docxs.verified and len(htmls.cache) == len(docxs.cache) == 2  # with and without a code
