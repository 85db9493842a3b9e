"""The checklist in a real browser: filtering, saving, import/export, printing, accessibility.

Drives the built site (conftest `built_site`, served on 127.0.0.1) in Debian's Chromium. The
expected item sets come from the Python rules in `macros.checklist`, so the page and the batch
tools cannot drift apart.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, pdftotext
from jsonschema import Draft202012Validator

from macros.checklist import CSV_HEADERS, Answer, Profile, answers_csv, select
from macros.model import load_dataset

pytestmark = pytest.mark.browser

TITLE = "中小学校党组织领导的校长负责制落实情况自查表"

STATE_JS = """() => {
  const root = document.querySelector('.dz-checklist');
  const out = {profile: {}, answers: {}, visible: [], numbers: [], maybe: []};
  for (const el of root.querySelectorAll('form.dz-profile input[name], form.dz-profile select[name]')) out.profile[el.name] = el.value;
  for (const row of root.querySelectorAll('tr.dz-item')) {
    const id = row.dataset.item;
    const c = row.querySelector('input[type=radio]:checked');
    out.answers[id] = [c ? c.value : '', row.querySelector('textarea').value, row.querySelector('input[name^="evidence-"]').value];
    if (!row.hidden) {
      out.visible.push(id);
      out.numbers.push(row.querySelector('.dz-no').textContent.trim());
      if (row.querySelector('.dz-maybe')) out.maybe.push(id);
    }
  }
  return out;
}"""


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((ROOT / "schemas" / "answers.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def state(page) -> dict:
    return page.evaluate(STATE_JS)


def storage(page) -> dict:
    return page.evaluate("() => Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('dzzld:'))"
                         ".map(k => [k, localStorage.getItem(k)]))")


def message(page) -> tuple[str, bool]:
    loc = page.locator(".dz-checklist .dz-messages")
    return loc.text_content() or "", "dz-error" in (loc.get_attribute("class") or "")


def wait_message(page, text: str) -> None:
    page.wait_for_function("t => (document.querySelector('.dz-messages').textContent || '').includes(t)", arg=text)


def open_checklist(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")


def profile_for_filter(dataset) -> Profile:
    """A fully known profile that hides items (the first district, a 党支部 一肩挑 public primary school)."""
    return Profile(name="测试市第九小学", district=dataset.districts[0].id, org_type="党支部", mode="一肩挑",
                   stage="小学", ownership="公办")


def set_profile(page, p: Profile) -> None:
    page.fill("input[name=name]", p.name)
    for key in ("district", "org_type", "mode", "stage", "ownership"):
        page.select_option(f"select[name={key}]", getattr(p, key))


def answer(page, item_id: str, result: str = "", note: str = "", evidence: str = "") -> None:
    if result:
        page.check(f'input[type=radio][name="r-{item_id}"][value="{result}"]')
    if note:
        page.fill(f'textarea[name="note-{item_id}"]', note)
    if evidence:
        page.fill(f'input[name="evidence-{item_id}"]', evidence)


def fill_some(page, ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Answer the first items with radio, note (with comma, quotes, newline) and evidence."""
    typed = {
        ids[0]: ("达标", "", ""),
        ids[1]: ("基本达标", "会议记录不全，\"下学期\"补齐,逐月检查\n第二行", "档案盒 A-3"),
        ids[2]: ("未达标", "尚未建立制度", ""),
        ids[3]: ("", "", "只填了佐证材料"),
    }
    for item_id, (r, n, e) in typed.items():
        answer(page, item_id, r, n, e)
    return typed


def school_url(site_url: str, school) -> str:
    return f"{site_url}/schools/{school.id.lower()}/"


def active_schools(dataset):
    schools = [s for s in dataset.schools if s.active]
    assert len(schools) >= 2, "the bundled roster needs at least two schools"
    return schools


# ----------------------------------------------------------------------------------------------


def test_profile_filters_and_answers_survive_reload(page, site_url, dataset):
    open_checklist(page, f"{site_url}/checklist/")
    every = [s.item.id for s in select(dataset, Profile())]
    assert state(page)["visible"] == every

    # Only the school type known: the visible set and the "maybe" markers follow Python's rules.
    page.select_option("select[name=org_type]", "党支部")
    partial = select(dataset, Profile(org_type="党支部"))
    st = state(page)
    assert st["visible"] == [s.item.id for s in partial]
    assert st["maybe"] == [s.item.id for s in partial if not s.certain]

    p = profile_for_filter(dataset)
    set_profile(page, p)
    expected = select(dataset, p)
    st = state(page)
    assert st["visible"] == [s.item.id for s in expected]
    assert st["numbers"] == [str(i) for i in range(1, len(expected) + 1)]
    assert st["maybe"] == []
    assert len(expected) < len(every), "the filter profile should hide some items"
    # Dimension headers with no visible items are hidden; summary counts only visible items.
    assert page.locator("[data-count=total]").first.text_content() == str(len(expected))
    hidden_dims = page.evaluate("() => [...document.querySelectorAll('tbody.dz-dim')].filter(b => b.hidden)"
                                ".map(b => b.dataset.dimension)")
    shown_dims = {s.item.dimension for s in expected}
    all_dims = {s.item.dimension for s in select(dataset, Profile())}
    assert set(hidden_dims) == all_dims - shown_dims
    summary_hidden = page.evaluate("() => [...document.querySelectorAll('tr[data-summary-dimension]')]"
                                   ".filter(r => r.hidden).map(r => r.dataset.summaryDimension)")
    assert set(summary_hidden) == all_dims - shown_dims

    # Another district: local items disappear.
    page.select_option("select[name=district]", "OTHER")
    other = select(dataset, Profile(p.name, "OTHER", p.org_type, p.mode, p.stage, p.ownership))
    assert state(page)["visible"] == [s.item.id for s in other]
    page.select_option("select[name=district]", p.district)

    ids = [s.item.id for s in expected]
    typed = fill_some(page, ids)
    page.fill("input[name=period]", "2026年秋季学期")
    counts = page.locator(".dz-summary-counts")
    assert counts.locator("[data-count=达标]").text_content() == "1"
    assert counts.locator("[data-count=unanswered]").text_content() == str(len(ids) - 3)
    dim0 = dataset.get(ids[0]).dimension
    row = page.locator(f'tr[data-summary-dimension="{dim0}"]')
    assert row.locator("td[data-count=达标]").text_content() == "1"
    # What is typed is mirrored into the print text.
    assert "档案盒 A-3" in page.locator(f'tr[data-item="{ids[1]}"] .dz-print-text').text_content()

    before = state(page)
    for item_id, (r, n, e) in typed.items():
        assert before["answers"][item_id] == [r, n, e]
    keys = storage(page)
    assert set(keys) == {f"dzzld:v1:school:{p.name}", "dzzld:v1:last"}, "no keys for half-typed names"

    page.reload()
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert state(page) == before

    second = page.context.new_page()
    open_checklist(second, f"{site_url}/checklist/")
    assert state(second) == before
    # An answer saved in one tab shows up in the other (neither overwrites the other).
    answer(second, ids[4], "不适用", "另一个窗口填写")
    page.wait_for_function("id => document.querySelector(`textarea[name='note-${id}']`).value === '另一个窗口填写'",
                           arg=ids[4])
    assert page.is_checked(f'input[name="r-{ids[4]}"][value="不适用"]')
    second.close()
    assert page.outside_requests == []


def test_export_clear_import_roundtrip(page, site_url, dataset, validator, tmp_path):
    open_checklist(page, f"{site_url}/checklist/")
    p = profile_for_filter(dataset)
    set_profile(page, p)
    page.fill("input[name=period]", "2026年春季学期")
    ids = [s.item.id for s in select(dataset, p)]
    fill_some(page, ids)
    before = state(page)

    with page.expect_download() as dl:
        page.click("button[data-action=export-json]")
    download = dl.value
    assert download.suggested_filename.startswith(f"{p.name}-自查-") and download.suggested_filename.endswith(".json")
    path = tmp_path / "answers.json"
    download.save_as(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    errors = list(validator.iter_errors(doc))
    assert not errors, errors
    assert doc["format"] == "dzzld-answers/1"
    assert doc["data_version"] == dataset.data_version
    assert doc["school"] == {"name": p.name, "district": p.district, "org_type": p.org_type, "mode": p.mode,
                             "stage": p.stage, "ownership": p.ownership, "period": "2026年春季学期"}
    assert list(doc["answers"]) == ids  # visible items only, every one of them
    assert doc["answers"][ids[1]]["result"] == "基本达标"
    assert doc["answers"][ids[3]] == {"result": "", "note": "", "evidence": "只填了佐证材料"}

    # Dismissing the dialog keeps everything.
    page.once("dialog", lambda d: d.dismiss())
    page.click("button[data-action=clear]")
    assert state(page) == before

    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("button[data-action=clear]")
    assert dialogs and p.name in dialogs[0] and "不能撤销" in dialogs[0]
    cleared = state(page)
    assert all(a == ["", "", ""] for a in cleared["answers"].values())
    assert cleared["profile"]["name"] == "" and cleared["profile"]["org_type"] == "未知"
    assert f"dzzld:v1:school:{p.name}" not in storage(page)

    page.set_input_files("input[data-action=import]", str(path))
    wait_message(page, "已导入")
    assert state(page) == before
    assert not message(page)[1]
    page.reload()
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert state(page) == before
    assert page.outside_requests == []


def test_import_from_older_data_version(page, site_url, dataset):
    school = active_schools(dataset)[0]
    profile = Profile.from_school(school)
    rows = [s.item.id for s in select(dataset, profile)]
    retired = [i for i in dataset.checklist if not i.active]
    answers = {rows[0]: {"result": "达标", "note": "旧版本里写的", "evidence": "旧档案"},
               rows[1]: {"result": "不适用", "note": "", "evidence": ""},
               "CK-NOWHERE-99": {"result": "未达标", "note": "已不存在的检查项", "evidence": ""}}
    if retired:
        answers[retired[0].id] = {"result": "基本达标", "note": "停用项的答案", "evidence": ""}
    doc = {"format": "dzzld-answers/1", "data_version": "0.9.0", "exported_at": "2025-09-01T00:00:00Z",
           "school": {"id": school.id, "name": school.name, "period": "2025年秋季学期"}, "answers": answers}

    open_checklist(page, school_url(site_url, school))
    page.set_input_files("input[data-action=import]", files=[{
        "name": "old.json", "mimeType": "application/json", "buffer": json.dumps(doc, ensure_ascii=False).encode()}])
    wait_message(page, "已导入")
    text, is_error = message(page)
    assert not is_error
    assert "0.9.0" in text and dataset.data_version in text
    assert "CK-NOWHERE-99" in text
    assert rows[2] in text, "applicable items without an answer are listed"
    if retired:
        assert retired[0].id in text and retired[0].title in text
        if retired[0].retired and retired[0].retired.replaced_by:
            assert retired[0].retired.replaced_by in text
    st = state(page)
    assert st["answers"][rows[0]] == ["达标", "旧版本里写的", "旧档案"]
    assert st["answers"][rows[1]] == ["不适用", "", ""]
    assert st["profile"]["period"] == "2025年秋季学期"
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["data_version"] == dataset.data_version
    if retired:
        assert stored["retired_answers"][retired[0].id]["note"] == "停用项的答案"
    assert stored["unknown_answers"]["CK-NOWHERE-99"]["result"] == "未达标"


@pytest.mark.parametrize("case", ["malformed", "schema", "other-school"])
def test_import_refusals_leave_answers_alone(page, site_url, dataset, case):
    school, other = active_schools(dataset)[:2]
    open_checklist(page, school_url(site_url, school))
    ids = [s.item.id for s in select(dataset, Profile.from_school(school))]
    answer(page, ids[0], "达标", "本校原有答案", "原有佐证")
    before, stored = state(page), storage(page)
    good = {"format": "dzzld-answers/1", "data_version": dataset.data_version,
            "school": {"id": school.id, "name": school.name}, "answers": {ids[0]: {"result": "未达标"}}}
    if case == "malformed":
        body = b'{"format": "dzzld-answers/1", '
    elif case == "schema":
        good["answers"][ids[0]] = {"result": "很好"}
        body = json.dumps(good, ensure_ascii=False).encode()
    else:
        good["school"] = {"id": other.id, "name": other.name}
        body = json.dumps(good, ensure_ascii=False).encode()
    page.set_input_files("input[data-action=import]",
                         files=[{"name": "x.json", "mimeType": "application/json", "buffer": body}])
    wait_message(page, "导入失败")
    text, is_error = message(page)
    assert is_error, text
    if case == "other-school":
        assert other.name in text
    assert state(page) == before
    assert storage(page) == stored


def test_import_refused_for_another_school_name_on_app_page(page, site_url, dataset):
    open_checklist(page, f"{site_url}/checklist/")
    page.fill("input[name=name]", "甲学校")
    doc = {"format": "dzzld-answers/1", "data_version": dataset.data_version, "school": {"name": "乙学校"},
           "answers": {}}
    page.set_input_files("input[data-action=import]", files=[{
        "name": "x.json", "mimeType": "application/json", "buffer": json.dumps(doc, ensure_ascii=False).encode()}])
    wait_message(page, "导入失败")
    assert message(page)[1]
    assert page.input_value("input[name=name]") == "甲学校"


def test_export_csv_matches_python(page, site_url, dataset):
    open_checklist(page, f"{site_url}/checklist/")
    p = profile_for_filter(dataset)
    set_profile(page, p)
    selected = select(dataset, p)
    ids = [s.item.id for s in selected]
    typed = fill_some(page, ids)
    with page.expect_download() as dl:
        page.click("button[data-action=export-csv]")
    data = Path(dl.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and text.count("\r\n") == len(selected) + 1  # CRLF records
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_HEADERS
    assert len(rows) - 1 == len(selected)
    assert rows[2][8] == typed[ids[1]][1]  # comma, quotes and newline survive
    expected = answers_csv(dataset, selected, {k: Answer(*v) for k, v in typed.items()})
    assert data == expected


def test_school_pages_filter_and_store_separately(page, site_url, dataset):
    a, b = active_schools(dataset)[:2]
    open_checklist(page, school_url(site_url, a))
    assert page.locator(".dz-checklist").get_attribute("data-mode") == "school"
    st = state(page)
    ids_a = [s.item.id for s in select(dataset, Profile.from_school(a))]
    assert st["visible"] == ids_a and list(st["answers"]) == ids_a
    assert page.input_value("input[name=name]") == a.name
    answer(page, ids_a[0], "基本达标", "A 校的答案")
    assert list(storage(page)) == [f"dzzld:v1:id:{a.id}"]

    open_checklist(page, school_url(site_url, b))
    ids_b = [s.item.id for s in select(dataset, Profile.from_school(b))]
    st = state(page)
    assert st["visible"] == ids_b
    assert all(v == ["", "", ""] for v in st["answers"].values())
    answer(page, ids_b[0], "达标", "B 校的答案")

    open_checklist(page, school_url(site_url, a))
    assert state(page)["answers"][ids_a[0]] == ["基本达标", "A 校的答案", ""]
    keys = storage(page)
    assert set(keys) == {f"dzzld:v1:id:{a.id}", f"dzzld:v1:id:{b.id}"}
    assert "B 校的答案" not in keys[f"dzzld:v1:id:{a.id}"]

    with page.expect_download() as dl:
        page.click("button[data-action=export-json]")
    doc = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert doc["school"]["id"] == a.id and list(doc["answers"]) == ids_a
    assert page.outside_requests == []


def _pdf_text(page, tmp_path: Path, name: str) -> tuple[Path, str]:
    page.emulate_media(media="print")
    pdf = tmp_path / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    return pdf, pdftotext(pdf)


def test_print_school_page_and_blank_page(page, site_url, dataset, tmp_path):
    school = active_schools(dataset)[0]
    open_checklist(page, school_url(site_url, school))
    selected = select(dataset, Profile.from_school(school))
    ids = [s.item.id for s in selected]
    answer(page, ids[0], "达标", "已整改完毕", "档案A3")
    answer(page, ids[1], "未达标")
    pdf, text = _pdf_text(page, tmp_path, "school")
    flat = re.sub(r"\s+", "", text)
    for needle in (TITLE, school.name, "党组织书记（签字）", "上级党组织审核意见", "数据版本", "已整改完毕",
                   "档案A3"):
        assert needle in flat, needle
    titles = [re.sub(r"\s+", "", s.item.title) for s in selected[:5]]
    assert sum(t[:8] in flat for t in titles) >= 3, "item titles are printed"
    for chrome in ("术语表", "参与贡献", "搜索", "导出 JSON", "清除本校答案"):
        assert re.sub(r"\s+", "", chrome) not in flat, chrome
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
    assert TITLE in re.sub(r"\s+", "", first_page), "no blank first page"

    open_checklist_blank = f"{site_url}/checklist/blank/dzb-yjt/"
    page.goto(open_checklist_blank)
    assert page.locator(".dz-checklist").get_attribute("data-mode") == "blank"
    assert page.locator(".dz-checklist[data-dz-ready]").count() == 0  # the script leaves blank tables alone
    _, blank = _pdf_text(page, tmp_path, "blank")
    flat = re.sub(r"\s+", "", blank)
    for needle in (TITLE, "党组织书记（签字）", "上级党组织审核意见", "数据版本"):
        assert needle in flat, needle
    assert "术语表" not in flat
    assert page.outside_requests == []


@pytest.mark.parametrize("path", ["checklist/", "schools/"])
def test_accessibility_no_serious_violations(page, site_url, dataset, path):
    from axe_playwright_python.sync_playwright import Axe

    url = f"{site_url}/{path}"
    if path == "schools/":
        url = school_url(site_url, active_schools(dataset)[0])
    open_checklist(page, url)
    results = Axe().run(page, context={"include": [[".dz-checklist"]]})
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    for v in bad:
        print(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:5])
    assert not bad, [v["id"] for v in bad]


def test_keyboard_answers_are_saved(page, site_url, dataset):
    school = active_schools(dataset)[0]
    open_checklist(page, school_url(site_url, school))
    item = select(dataset, Profile.from_school(school))[0].item.id
    row = page.locator(f'tr[data-item="{item}"]')
    before_radio = row.locator("td.dz-c-basis a").last
    before_radio.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.type, document.activeElement.name]")
    assert focused == ["radio", f"r-{item}"]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["answers"][item]["result"] == "基本达标"
    page.keyboard.press("Tab")
    page.keyboard.type("键盘输入的问题")
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["answers"][item]["note"] == "键盘输入的问题"
    # The toolbar buttons are reachable and operable too.
    page.focus("button[data-action=export-json]")
    with page.expect_download():
        page.keyboard.press("Enter")


def test_app_page_asks_for_a_school_name(page, site_url, dataset):
    open_checklist(page, f"{site_url}/checklist/")
    item = select(dataset, Profile())[0].item.id
    answer(page, item, "达标")
    text, _ = message(page)
    assert "请先填写学校名称" in text
    page.click("button[data-action=export-json]")
    text, is_error = message(page)
    assert is_error and "学校名称" in text


def test_switching_school_name_loads_saved_answers(page, site_url, dataset):
    item = select(dataset, Profile())[0].item.id
    radio = f'input[name="r-{item}"]'
    open_checklist(page, f"{site_url}/checklist/")
    page.fill("input[name=name]", "甲校")
    page.check(f'{radio}[value="达标"]')
    page.fill("input[name=name]", "")
    page.type("input[name=name]", "乙校")  # a new name takes a copy; 甲校 keeps its answers
    page.keyboard.press("Tab")
    page.check(f'{radio}[value="未达标"]')
    page.fill("input[name=name]", "")
    page.type("input[name=name]", "甲校")
    page.keyboard.press("Tab")  # committing a saved school's name loads its answers
    assert page.is_checked(f'{radio}[value="达标"]')
    assert "已载入" in message(page)[0]
    keys = storage(page)
    assert set(keys) == {"dzzld:v1:last", "dzzld:v1:school:甲校", "dzzld:v1:school:乙校"}
    assert json.loads(keys["dzzld:v1:school:乙校"])["answers"][item]["result"] == "未达标"
