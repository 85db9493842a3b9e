"""导出 Word on the checklist page, in Chromium: the browser's .docx files say what the Python ones say.

The page builds the documents itself (assets/word-export.js, the vendored docx library), loaded only
on click, from the site's own files. For the same answers — the page's own JSON export — the text of
every paragraph, table cell, header and footer equals that of `python -m macros report`; and the
page's model functions give the Python models for many inputs.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import ROOT
from docx_helpers import read

from macros.checklist import Answer, Profile, results_for, select
from macros.docx_checklist import checklist_model
from macros.docx_model import doc_input, texts
from macros.docx_report import report_model
from macros.model import load_dataset
from macros.school_docs import read_answers, school_documents

pytestmark = pytest.mark.browser

NAME = "测试市第九小学"
TRICKY = "已建立制度 <b>&amp; “引号”\n第二行，逗号,"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


def open_checklist(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")


def fill_school(page, ds) -> list[tuple[str, str]]:
    page.fill("input[name=name]", NAME)
    for key, value in {"district": ds.districts[0].id, "org_type": "党支部", "mode": "一肩挑", "stage": "小学",
                       "ownership": "公办"}.items():
        page.select_option(f"select[name={key}]", value)
    page.fill("input[name=period]", "2026年春季学期")
    return page.eval_on_selector_all("tr.dz-item:not([hidden])", "rs => rs.map(r => [r.dataset.item, r.dataset.kind])")


def answer_rows(page, ds, rows: list[tuple[str, str]]) -> None:
    rng = random.Random(7)
    for n, (item, kind) in enumerate(rows):
        result = rng.choice([*results_for(ds, kind), ""])
        if result:
            page.check(f'input[type=radio][name="r-{item}"][value="{result}"]')
        if result == "不适用" and n % 2:
            page.fill(f'textarea[name="na-{item}"]', "本校没有此类情况")
        if result == "基本达标" and n % 3 == 0:
            page.fill(f'input[name="score-{item}"]', "1.5")
        if n % 4 == 0:
            page.fill(f'textarea[name="note-{item}"]', TRICKY if n == 0 else f"第 {n} 项的说明")
        if n % 5 == 0:
            page.fill(f'input[name="evidence-{item}"]', f"档案盒 {n}")


def export_word(page, folder: Path) -> list[Path]:
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.click("button[data-action=export-word]")
    page.wait_for_function("() => { const m = document.querySelector('.dz-messages');"
                           " return m.textContent.includes('已导出') || m.classList.contains('dz-error'); }", timeout=60000)
    assert "已导出" in page.text_content(".dz-messages"), page.text_content(".dz-messages")
    page.wait_for_function("n => document.querySelectorAll('.dz-messages a[download]').length === n", arg=2)
    page.wait_for_timeout(300)
    paths = []
    for d in downloads:
        paths.append(folder / d.suggested_filename)
        d.save_as(paths[-1])
    return paths


def test_export_word_matches_python(page, site_url, ds, tmp_path):
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    open_checklist(page, f"{site_url}/checklist/")
    rows = fill_school(page, ds)
    answer_rows(page, ds, rows)
    assert not [u for u in asked if "docx.iife.js" in u or "word-" in u], "the Word export must load only on click"
    with page.expect_download() as dl:
        page.click("button[data-action=export-json]")
    answers = tmp_path / "answers.json"
    dl.value.save_as(answers)
    files = export_word(page, tmp_path)
    t = texts()
    assert sorted(p.name for p in files) == sorted([t["checklist"]["file"].format(NAME), t["report"]["file"].format(NAME)])
    assert any(u.endswith("/assets/vendor/docx/docx.iife.js") for u in asked)
    assert page.outside_requests == []  # no CDN, no network: everything from the site itself
    python = {d.name: d.data for d in school_documents(ds, read_answers(ds, answers))}
    for browser_file in files:
        py_file = tmp_path / "python" / browser_file.name
        py_file.parent.mkdir(exist_ok=True)
        py_file.write_bytes(python[browser_file.name])
        js, py = read(browser_file), read(py_file)
        for key in ("body", "header", "footer", "landscape"):
            assert js[key] == py[key], (browser_file.name, key)
    report = read(tmp_path / t["report"]["file"].format(NAME))
    assert any(TRICKY in b[2] for b in report["body"] if b[0] == "P")
    assert [b[2] for b in report["body"] if b[1] == "Heading 1"] == t["report"]["sections"]


def test_school_page_exports_its_own_documents(page, site_url, ds, tmp_path):
    school = next(s for s in ds.schools if s.active)
    open_checklist(page, f"{site_url}/schools/{school.id.lower()}/")
    first = page.eval_on_selector("tr.dz-item:not([hidden])", "r => r.dataset.item")
    page.check(f'input[type=radio][name="r-{first}"][value="达标"]')
    files = export_word(page, tmp_path)
    checklist = read(next(p for p in files if p.name == texts()["checklist"]["file"].format(school.name)))
    assert school.name in checklist["header"][0]
    assert any("☑ 达标" in cell for b in checklist["body"] if b[0] == "T" for row in b[1] for cell in row)


def test_export_asks_for_a_name_first(page, site_url):
    open_checklist(page, f"{site_url}/checklist/")
    page.click("button[data-action=export-word]")
    assert "学校名称" in page.text_content(".dz-messages")


def python_inputs(ds) -> list[dict]:
    """Inputs for several schools: blank forms, partial and full answers, unknown profile fields."""
    rng = random.Random(3)
    out = []
    profiles = [Profile(NAME, ds.districts[0].id, "党支部", "一肩挑", "小学", "公办", "SCH-1"),
                Profile("另一所中学", "OTHER", "党委", "分设", "高中", "民办"), Profile("只填了名称的学校")]
    for p in profiles:
        selected = select(ds, p)
        out.append(doc_input(ds, p, selected, None))
        for share in (0.3, 1.0):
            answers = {}
            for s in selected:
                if rng.random() > share:
                    continue
                r = rng.choice(results_for(ds, s.kind.kind))
                answers[s.item.id] = Answer(r, rng.choice(["", "说明 & <x>"]), rng.choice(["", "材料"]),
                                            "理由" if r == "不适用" and rng.random() < 0.5 else "",
                                            score=1.0 if r == "基本达标" and rng.random() < 0.5 else None)
            out.append(doc_input(ds, p, selected, answers, period=rng.choice(["", "2026年春季学期"])))
    return out


def test_page_models_equal_python_models(page, site_url, ds):
    open_checklist(page, f"{site_url}/checklist/")
    page.evaluate("() => new Promise((ok, no) => { const s = document.createElement('script');"
                  " s.src = '../assets/word-export.js'; s.onload = ok; s.onerror = no; document.head.appendChild(s); })")
    page.evaluate("() => window.dzWordExport.load()")
    for inp in python_inputs(ds):
        got = page.evaluate("inp => [window.dzWordModel.checklistModel(inp), inp.answers ? window.dzWordModel.reportModel(inp)"
                            " : null]", json.loads(json.dumps(inp)))
        if inp["answers"] is None:
            assert got[0] == json.loads(json.dumps(checklist_model(inp)))
            continue
        assert got == json.loads(json.dumps([checklist_model(inp), report_model(inp)]))


@pytest.mark.slow
def test_export_works_from_disk(browser, tmp_path_factory):
    """The offline folder (make offline) opened from disk: the export loads its scripts from file:// too."""
    from conftest import mkdocs_build

    site = tmp_path_factory.mktemp("offline")
    proc = mkdocs_build(site, env={"OFFLINE": "true", "DIRECTORY_URLS": "false"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    outside = []
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:", "blob:")) else outside.append(r.url))
    try:
        open_checklist(page, (site / "checklist" / "index.html").as_uri())
        page.fill("input[name=name]", "离线小学")
        files = export_word(page, tmp_path_factory.mktemp("offline-files"))
        assert sorted(p.name for p in files) == sorted([texts()["checklist"]["file"].format("离线小学"),
                                                        texts()["report"]["file"].format("离线小学")])
        assert outside == []
    finally:
        context.close()
