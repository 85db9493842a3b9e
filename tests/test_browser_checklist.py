"""The checklist in a real browser: 规定项 then 参考项, filtering, district-dependent kinds, answers of the
other kind, summary and 达标率, saving, import/export, CSV, roster school pages, printing, accessibility.

Drives the built sites (conftest `built_site`; the variant of tests/site_variant.py, where a district's
own plan makes some items 规定项 there only), served on 127.0.0.1, in Debian's Chromium. Expected
rows come from the independent oracle (tests/checklist_oracle.py); the CSV must equal
macros.checklist.answers_csv byte for byte; exported JSON is checked against the answers schema the
page itself received.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import checklist_oracle as oracle
import pytest
from answers_csv import answers_csv
from conftest import ROOT, pdftotext, serve_dir
from jsonschema import Draft202012Validator
from site_variant import DISTRICT_ID, DISTRICT_NAME, Variant, build_variant

from macros.checklist import Answer, Profile, answers_validator, select
from macros.model import Dataset, load_dataset

pytestmark = pytest.mark.browser

TITLE = "中小学校党组织领导的校长负责制落实情况自查表"
RULE, REFERENCE = oracle.RULE, oracle.REFERENCE

STATE_JS = """() => {
  const root = document.querySelector('.dz-checklist');
  const out = {profile: {}, rows: [], answers: {}};
  for (const el of root.querySelectorAll('form.dz-profile input[name], form.dz-profile select[name]')) out.profile[el.name] = el.value;
  for (const row of root.querySelectorAll('tr.dz-item')) {
    const id = row.dataset.item;
    const c = row.querySelector('input[type=radio]:checked');
    out.answers[id] = [c ? c.value : '', row.querySelector('textarea[name^="note-"]').value, row.querySelector('input[name^="evidence-"]').value];
    if (row.hidden) continue;
    const other = row.querySelector('.dz-other-kind');
    out.rows.push({
      id, number: row.querySelector('.dz-no').textContent.trim(), kind: row.dataset.kind,
      group: row.closest('tbody').dataset.kind, group_hidden: row.closest('tbody').hidden,
      maybe: !!row.querySelector('.dz-maybe'), note: row.querySelector('.dz-kind-note').textContent,
      choices: [...row.querySelectorAll('label.dz-choice')].filter(l => l.getClientRects().length)
                 .map(l => l.querySelector('input').value),
      other: other.hidden ? '' : other.textContent,
    });
  }
  return out;
}"""


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return load_dataset(ROOT)


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Variant:
    return build_variant(tmp_path_factory.getbasetemp() / "variant")


@pytest.fixture(scope="module")
def variant_url(variant: Variant) -> str:
    return serve_dir(variant.site)


def state(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate(STATE_JS)


def storage(page) -> dict:  # type: ignore[no-untyped-def]
    return page.evaluate("() => Object.fromEntries(Object.keys(localStorage).filter(k => k.startsWith('dzzld:'))"
                         ".map(k => [k, localStorage.getItem(k)]))")


def page_spec(page) -> dict:  # type: ignore[no-untyped-def]
    """The specification the page received (its JSON script), as the page's script reads it."""
    return page.evaluate("() => JSON.parse(document.querySelector('script.dz-checklist-data').textContent)")


def message(page) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    loc = page.locator(".dz-checklist .dz-messages")
    return loc.text_content() or "", "dz-error" in (loc.get_attribute("class") or "")


def wait_message(page, text: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("t => (document.querySelector('.dz-messages').textContent || '').includes(t)", arg=text)


def open_checklist(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(url)
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")


def set_profile(page, p: dict[str, str], name: str = "") -> None:  # type: ignore[no-untyped-def]
    if name:
        page.fill("input[name=name]", name)
    for key in oracle.KEYS:
        page.select_option(f"select[name={key}]", p.get(key, "未知"))


NA_REASON = "本校没有这类情形"  # 不适用 counts only with a reason written


def answer(page, item_id: str, result: str = "", note: str = "", evidence: str = "",  # type: ignore[no-untyped-def]
           na_reason: str = NA_REASON) -> None:
    if result:
        page.check(f'input[type=radio][name="r-{item_id}"][value="{result}"]')
    if result == "不适用" and na_reason:
        page.fill(f'textarea[name="na-{item_id}"]', na_reason)
    if note:
        page.fill(f'textarea[name="note-{item_id}"]', note)
    if evidence:
        page.fill(f'input[name="evidence-{item_id}"]', evidence)


def school_url(site_url: str, school) -> str:  # type: ignore[no-untyped-def]
    return f"{site_url}/schools/{school.id.lower()}/"


def active_schools(ds: Dataset) -> list:
    schools = [s for s in ds.schools if s.active]
    assert len(schools) >= 2, "the bundled roster needs at least two schools"
    return schools


def filter_profile(ds: Dataset) -> dict[str, str]:
    """A fully known profile that hides items: the first district, a 党支部 一肩挑 public primary school."""
    return {"district": ds.districts[0].id, "org_type": "党支部", "mode": "一肩挑", "stage": "小学", "ownership": "公办"}


def assert_rows(st: dict, expected: list[oracle.Row], ds: Dataset, *, maybe: bool = True) -> None:
    """Visible rows = the oracle's, in page order, numbered, each in its kind's group with its kind's answers."""
    rows = st["rows"]
    assert [r["id"] for r in rows] == [e.id for e in expected]
    assert [r["number"] for r in rows] == [str(e.number) for e in expected]
    assert [r["kind"] for r in rows] == [r["group"] for r in rows] == [e.kind for e in expected]
    assert not any(r["group_hidden"] for r in rows)
    for r in rows:
        assert r["choices"] == oracle.results(ds, r["kind"]), r["id"]
    if maybe:
        assert [r["id"] for r in rows if r["maybe"]] == [e.id for e in expected if not e.certain]


def counts(page, kind: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return page.evaluate("k => Object.fromEntries([...document.querySelectorAll(`[data-summary-kind='${k}'] [data-count]`)]"
                         ".map(s => [s.dataset.count, s.textContent]))", kind)


# ---- rows, groups, kinds -----------------------------------------------------------------------


def test_profile_filters_groups_and_numbers_the_rows(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    assert_rows(state(page), oracle.rows(dataset, {}), dataset)

    page.select_option("select[name=org_type]", "党支部")
    assert_rows(state(page), oracle.rows(dataset, {"org_type": "党支部"}), dataset)

    p = filter_profile(dataset)
    set_profile(page, p, "测试市第九小学")
    expected = oracle.rows(dataset, p)
    st = state(page)
    assert_rows(st, expected, dataset)
    assert len(expected) < len(oracle.rows(dataset, {})), "the filter profile should hide some items"
    # Groups without a visible row are hidden, and so are their rows in the summary table.
    shown = {(e.kind, dataset.get(e.id).dimension) for e in expected}
    groups = page.evaluate("() => [...document.querySelectorAll('tbody.dz-dim')].map(b => [b.dataset.kind, "
                           "b.dataset.dimension, b.hidden])")
    assert {(k, d) for k, d, hidden in groups if not hidden} == shown
    dims = page.evaluate("() => [...document.querySelectorAll('tr[data-summary-dimension]')].filter(r => !r.hidden)"
                         ".map(r => r.dataset.summaryDimension)")
    assert set(dims) == {d for _, d in shown}
    for kind in (RULE, REFERENCE):
        c = counts(page, kind)
        total = sum(e.kind == kind for e in expected)
        assert c["total"] == str(total) and c["未填"] == str(total)

    # 其他地区: the local items go.
    page.select_option("select[name=district]", "OTHER")
    assert_rows(state(page), oracle.rows(dataset, {**p, "district": "OTHER"}), dataset)
    assert page.outside_requests == []


def test_choosing_a_district_moves_a_row_between_the_groups(page, variant_url, variant) -> None:  # type: ignore[no-untyped-def]
    ds = variant.dataset()
    p = {"org_type": "党总支", "mode": "分设", "stage": "初中", "ownership": "公办"}
    here = {e.id: e for e in oracle.rows(ds, {**p, "district": DISTRICT_ID})}
    elsewhere = {e.id: e for e in oracle.rows(ds, {**p, "district": "OTHER"})}
    moving = [i for i in here if here[i].kind == RULE and elsewhere[i].kind == REFERENCE]
    assert moving, "the variant has an item that is a 规定项 in its new district only"
    item = moving[0]
    open_checklist(page, f"{variant_url}/checklist/")
    set_profile(page, {**p, "district": "未知"}, "襄州测试学校")
    st = state(page)
    assert_rows(st, oracle.rows(ds, {**p, "district": "未知"}), ds)
    row = next(r for r in st["rows"] if r["id"] == item)
    assert row["kind"] == REFERENCE and DISTRICT_NAME in row["note"], "an unknown district: says where it binds"

    page.select_option("select[name=district]", DISTRICT_ID)
    st = state(page)
    assert_rows(st, list(here.values()), ds)
    assert next(r for r in st["rows"] if r["id"] == item)["choices"] == oracle.results(ds, RULE)
    answer(page, item, "未达标", "本区规定，尚未落实")
    assert counts(page, RULE)["未达标"] == "1"

    # Another district: the row becomes a 参考项; its 未达标 is kept and shown, not counted.
    page.select_option("select[name=district]", "DS-QJ")
    st = state(page)
    assert_rows(st, oracle.rows(ds, {**p, "district": "DS-QJ"}), ds)
    row = next(r for r in st["rows"] if r["id"] == item)
    assert row["kind"] == REFERENCE and "未达标" in row["other"] and REFERENCE in row["other"]
    assert st["answers"][item] == ["未达标", "本区规定，尚未落实", ""]
    assert counts(page, RULE)["未达标"] == "0"
    ref = counts(page, REFERENCE)
    assert ref["未填"] == ref["total"] and set(ref) - {"total", "未填"} == set(oracle.results(ds, REFERENCE))
    stored = json.loads(storage(page)["dzzld:v1:school:襄州测试学校"])
    assert stored["answers"][item]["result"] == "未达标"

    page.select_option("select[name=district]", DISTRICT_ID)
    row = next(r for r in state(page)["rows"] if r["id"] == item)
    assert row["kind"] == RULE and row["other"] == ""
    assert counts(page, RULE)["未达标"] == "1"


def test_summary_counts_each_kind_and_the_compliance_rate(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    p = {"org_type": "党委", "mode": "分设", "stage": "初中", "ownership": "民办", "district": "OTHER"}
    set_profile(page, p, "汇总测试学校")
    expected = oracle.rows(dataset, p)
    rule = [e.id for e in expected if e.kind == RULE]
    ref = [e.id for e in expected if e.kind == REFERENCE]
    assert len(rule) >= 4 and len(ref) >= 3, "the test needs four 规定项 and three 参考项 for this profile"
    given = {rule[0]: "达标", rule[1]: "达标", rule[2]: "未达标", rule[3]: "不适用", ref[0]: "已采用", ref[1]: "未采用",
             ref[2]: "不适用"}
    for item, result in given.items():
        answer(page, item, result)
    for kind, ids in ((RULE, rule), (REFERENCE, ref)):
        c = counts(page, kind)
        for result in oracle.results(dataset, kind):
            assert c[result] == str(sum(given.get(i) == result for i in ids)), (kind, result)
        assert c["未填"] == str(sum(i not in given for i in ids))
    rate = 2 / (len(rule) - 1)  # 达标 among the 规定项 that apply (不适用 left out)
    assert counts(page, RULE)["compliance"] == f"{rate * 100:.1f}%"
    assert "compliance" not in counts(page, REFERENCE)
    dim = dataset.get(rule[0]).dimension
    cells = page.evaluate("d => Object.fromEntries([...document.querySelectorAll(`tr[data-summary-dimension='${d}'] td`)]"
                          ".map(c => [c.dataset.count, c.textContent]))", dim)
    in_dim = [e.id for e in expected if dataset.get(e.id).dimension == dim]
    assert cells[f"{RULE}:达标"] == str(sum(given.get(i) == "达标" and i in rule for i in in_dim))
    assert cells["未填"] == str(sum(i not in given for i in in_dim))


# ---- saving, import, export --------------------------------------------------------------------


def fill_some(page, ids: list[str], kinds: dict[str, str]) -> dict[str, tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """Answer the first items with a result of their kind, a note (comma, quotes, newline) and evidence."""
    first = {RULE: "达标", REFERENCE: "已采用"}
    typed = {
        ids[0]: (first[kinds[ids[0]]], "", ""),
        ids[1]: ("不适用", "会议记录不全，\"下学期\"补齐,逐月检查\n第二行", "档案盒 A-3"),
        ids[2]: (first[kinds[ids[2]]], "=HYPERLINK(\"http://x\")", "+1"),
        ids[3]: ("", "", "只填了佐证材料"),
    }
    for item_id, (r, n, e) in typed.items():
        answer(page, item_id, r, n, e)
    return typed


def test_answers_survive_reload_and_show_in_a_second_tab(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    p = filter_profile(dataset)
    set_profile(page, p, "测试市第九小学")
    expected = oracle.rows(dataset, p)
    ids = [e.id for e in expected]
    typed = fill_some(page, ids, {e.id: e.kind for e in expected})
    page.fill("input[name=period]", "2026年秋季学期")
    assert "档案盒 A-3" in page.locator(f'tr[data-item="{ids[1]}"] .dz-print-text').text_content()
    before = state(page)
    for item_id, value in typed.items():
        assert before["answers"][item_id] == list(value)
    assert set(storage(page)) == {"dzzld:v1:school:测试市第九小学", "dzzld:v1:last"}, "no keys for half-typed names"

    page.reload()
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert state(page) == before

    second = page.context.new_page()
    open_checklist(second, f"{site_url}/checklist/")
    assert state(second) == before
    answer(second, ids[4], "不适用", "另一个窗口填写")
    page.wait_for_function("id => document.querySelector(`textarea[name='note-${id}']`).value === '另一个窗口填写'",
                           arg=ids[4])
    assert page.is_checked(f'input[name="r-{ids[4]}"][value="不适用"]')
    second.close()
    assert page.outside_requests == []


def test_export_clear_import_roundtrip(page, site_url, dataset, tmp_path) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    p = filter_profile(dataset)
    set_profile(page, p, "测试市第九小学")
    page.fill("input[name=period]", "2026年春季学期")
    expected = oracle.rows(dataset, p)
    ids = [e.id for e in expected]
    fill_some(page, ids, {e.id: e.kind for e in expected})
    before = state(page)

    with page.expect_download() as dl:
        page.click("button[data-action=export-json]")
    download = dl.value
    assert re.fullmatch(r"测试市第九小学-自查-\d{4}-\d{2}-\d{2}\.json", download.suggested_filename)
    path = tmp_path / "answers.json"
    download.save_as(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(page_spec(page)["answers_schema"]).iter_errors(doc))
    assert not errors, errors
    assert answers_validator(ROOT / "schemas").is_valid(doc)
    assert doc["format"] == "dzzld-answers/1" and doc["data_version"] == dataset.data_version
    scoring = dataset.default_profile(p["district"])
    assert doc["school"] == {"name": "测试市第九小学", **p, "period": "2026年春季学期", "profile": scoring.id,
                             "profile_version": scoring.version}  # the profile it was scored with
    assert list(doc["answers"]) == ids  # the visible items, every one of them, in the page's order
    assert doc["answers"][ids[1]]["result"] == "不适用"
    assert doc["answers"][ids[3]] == {"result": "", "note": "", "evidence": "只填了佐证材料"}

    page.once("dialog", lambda d: d.dismiss())  # dismissing keeps everything
    page.click("button[data-action=clear]")
    assert state(page) == before

    dialogs: list[str] = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    page.click("button[data-action=clear]")
    assert dialogs and "测试市第九小学" in dialogs[0] and "不能撤销" in dialogs[0]
    cleared = state(page)
    assert all(a == ["", "", ""] for a in cleared["answers"].values())
    assert cleared["profile"]["name"] == "" and cleared["profile"]["org_type"] == "未知"
    assert "dzzld:v1:school:测试市第九小学" not in storage(page)

    page.set_input_files("input[data-action=import]", str(path))
    wait_message(page, "已导入")
    assert state(page) == before
    assert not message(page)[1]
    page.reload()
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    assert state(page) == before
    assert page.outside_requests == []


def import_doc(page, doc: dict | bytes, name: str = "x.json") -> None:  # type: ignore[no-untyped-def]
    body = doc if isinstance(doc, bytes) else json.dumps(doc, ensure_ascii=False).encode()
    page.set_input_files("input[data-action=import]",
                         files=[{"name": name, "mimeType": "application/json", "buffer": body}])


def test_import_from_an_older_data_version(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    school = active_schools(dataset)[0]
    rows = [e.id for e in oracle.rows(dataset, oracle.school_profile(school))]
    retired = [i for i in dataset.checklist if not i.active]
    assert retired, "the data keeps a retired item (the test needs one)"
    answers = {rows[0]: {"result": "不适用", "note": "旧版本里写的", "evidence": "旧档案"},
               rows[1]: {"result": "不适用", "note": "", "evidence": ""},
               "CK-NOWHERE-99": {"result": "未达标", "note": "已不存在的检查项", "evidence": ""},
               retired[0].id: {"result": "基本达标", "note": "停用项的答案", "evidence": ""}}
    doc = {"format": "dzzld-answers/1", "data_version": "0.9.0", "exported_at": "2025-09-01T00:00:00Z",
           "school": {"id": school.id, "name": school.name, "period": "2025年秋季学期"}, "answers": answers}
    open_checklist(page, school_url(site_url, school))
    import_doc(page, doc, "old.json")
    wait_message(page, "已导入")
    text, is_error = message(page)
    assert not is_error
    assert "0.9.0" in text and dataset.data_version in text
    assert "CK-NOWHERE-99" in text
    assert rows[2] in text, "applicable items without an answer are listed"
    assert retired[0].id in text and retired[0].title in text
    if retired[0].retired and retired[0].retired.replaced_by:
        assert retired[0].retired.replaced_by in text
    st = state(page)
    assert st["answers"][rows[0]] == ["不适用", "旧版本里写的", "旧档案"]
    assert st["answers"][rows[1]] == ["不适用", "", ""]
    assert st["profile"]["period"] == "2025年秋季学期"
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["data_version"] == dataset.data_version
    assert stored["retired_answers"][retired[0].id]["note"] == "停用项的答案"
    assert stored["unknown_answers"]["CK-NOWHERE-99"]["result"] == "未达标"


def test_import_with_answers_of_the_other_kind_keeps_and_shows_them(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    school = active_schools(dataset)[0]
    expected = oracle.rows(dataset, oracle.school_profile(school))
    rule = next(e.id for e in expected if e.kind == RULE)
    ref = next(e.id for e in expected if e.kind == REFERENCE)
    doc = {"format": "dzzld-answers/1", "data_version": dataset.data_version,
           "school": {"id": school.id, "name": school.name},
           "answers": {rule: {"result": "已采用", "note": "曾是参考项"}, ref: {"result": "未达标", "note": "曾是规定项"}}}
    open_checklist(page, school_url(site_url, school))
    import_doc(page, doc)
    wait_message(page, "已导入")
    text, is_error = message(page)
    assert not is_error and "类别" in text and rule in text and ref in text
    rows = {r["id"]: r for r in state(page)["rows"]}
    assert "已采用" in rows[rule]["other"] and "未达标" in rows[ref]["other"]
    assert rows[rule]["choices"] == oracle.results(dataset, RULE), "the old answer's button stays hidden"
    for kind in (RULE, REFERENCE):
        c = counts(page, kind)
        assert c["未填"] == c["total"], "an answer of the other kind is not counted"
    answer(page, ref, "已采用")
    assert state(page)["rows"][[e.id for e in expected].index(ref)]["other"] == ""


@pytest.mark.parametrize("case", ["malformed", "schema", "version-newline", "other-school"])
def test_import_refusals_leave_answers_alone(page, site_url, dataset, case) -> None:  # type: ignore[no-untyped-def]
    school, other = active_schools(dataset)[:2]
    open_checklist(page, school_url(site_url, school))
    ids = [e.id for e in oracle.rows(dataset, oracle.school_profile(school))]
    answer(page, ids[0], "不适用", "本校原有答案", "原有佐证")
    before, stored = state(page), storage(page)
    good = {"format": "dzzld-answers/1", "data_version": dataset.data_version,
            "school": {"id": school.id, "name": school.name}, "answers": {ids[0]: {"result": "不适用"}}}
    if case == "malformed":
        body: dict | bytes = b'{"format": "dzzld-answers/1", '
    elif case == "schema":
        body = {**good, "answers": {ids[0]: {"result": "很好"}}}
    elif case == "version-newline":
        body = {**good, "data_version": dataset.data_version + "\n"}
    else:
        body = {**good, "school": {"id": other.id, "name": other.name}}
    import_doc(page, body)
    wait_message(page, "导入失败")
    text, is_error = message(page)
    assert is_error, text
    if case == "other-school":
        assert other.name in text
    if case in ("schema", "version-newline"):
        assert not answers_validator(ROOT / "schemas").is_valid(body), "Python refuses it too"
    assert state(page) == before
    assert storage(page) == stored


def test_import_refused_for_another_school_name_on_the_app_page(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    page.fill("input[name=name]", "甲学校")
    import_doc(page, {"format": "dzzld-answers/1", "data_version": dataset.data_version, "school": {"name": "乙学校"},
                      "answers": {}})
    wait_message(page, "导入失败")
    assert message(page)[1]
    assert page.input_value("input[name=name]") == "甲学校"


def csv_download(page) -> bytes:  # type: ignore[no-untyped-def]
    with page.expect_download() as dl:
        page.click("button[data-action=export-csv]")
    return Path(dl.value.path()).read_bytes()


def check_csv(data: bytes, ds: Dataset, profile: Profile, typed: dict[str, tuple[str, str, str]]) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    assert header[:2] == ["学校编号", "学校名称"] and "类别" in header
    expected = oracle.rows(ds, {k: getattr(profile, k) for k in oracle.KEYS})
    assert [r[header.index("编号")] for r in rows[1:]] == [e.id for e in expected]
    assert [r[header.index("类别")] for r in rows[1:]] == [e.kind for e in expected]
    assert {r[0] for r in rows[1:]} == {profile.school_id} and {r[1] for r in rows[1:]} == {profile.name}
    answers = {k: Answer(*v, na_reason=NA_REASON if v[0] == "不适用" else "") for k, v in typed.items()}
    assert data == answers_csv(ds, profile, select(ds, profile), answers)
    return rows


def test_csv_export_equals_python_byte_for_byte(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    p = filter_profile(dataset)
    set_profile(page, p, "测试市第九小学")
    expected = oracle.rows(dataset, p)
    ids = [e.id for e in expected]
    typed = fill_some(page, ids, {e.id: e.kind for e in expected})
    rows = check_csv(csv_download(page), dataset, Profile(name="测试市第九小学", **p), typed)
    note = rows[0].index("存在问题及整改措施")
    assert rows[2][note] == typed[ids[1]][1]  # comma, quotes and newline survive
    assert rows[3][note] == "'" + typed[ids[2]][1] and rows[3][note + 1] == "'+1"  # formulas defused


def test_csv_export_of_a_school_page_carries_its_code_and_name(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    school = active_schools(dataset)[1]
    open_checklist(page, school_url(site_url, school))
    expected = oracle.rows(dataset, oracle.school_profile(school))
    typed = fill_some(page, [e.id for e in expected], {e.id: e.kind for e in expected})
    check_csv(csv_download(page), dataset, Profile.from_school(school), typed)


# ---- roster school pages -----------------------------------------------------------------------


def test_school_pages_filter_and_store_separately(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    a, b = active_schools(dataset)[:2]
    open_checklist(page, school_url(site_url, a))
    assert page.locator(".dz-checklist").get_attribute("data-mode") == "school"
    expected_a = oracle.rows(dataset, oracle.school_profile(a))
    st = state(page)
    assert_rows(st, expected_a, dataset)
    ids_a = [e.id for e in expected_a]
    assert list(st["answers"]) == ids_a
    assert page.input_value("input[name=name]") == a.name
    answer(page, ids_a[0], "不适用", "A 校的答案")
    assert list(storage(page)) == [f"dzzld:v1:id:{a.id}"]

    open_checklist(page, school_url(site_url, b))
    st = state(page)
    assert_rows(st, oracle.rows(dataset, oracle.school_profile(b)), dataset)
    assert all(v == ["", "", ""] for v in st["answers"].values())
    answer(page, st["rows"][0]["id"], "不适用", "B 校的答案")

    open_checklist(page, school_url(site_url, a))
    assert state(page)["answers"][ids_a[0]] == ["不适用", "A 校的答案", ""]
    keys = storage(page)
    assert set(keys) == {f"dzzld:v1:id:{a.id}", f"dzzld:v1:id:{b.id}"}
    assert "B 校的答案" not in keys[f"dzzld:v1:id:{a.id}"]
    with page.expect_download() as dl:
        page.click("button[data-action=export-json]")
    doc = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
    assert doc["school"]["id"] == a.id and list(doc["answers"]) == ids_a
    assert page.outside_requests == []


def test_a_school_in_a_district_with_its_own_rules_gets_them_as_rule_items(page, variant_url, variant) -> None:  # type: ignore[no-untyped-def]
    ds = variant.dataset()
    school = next(s for s in ds.schools if s.district == DISTRICT_ID)
    open_checklist(page, school_url(variant_url, school))
    expected = oracle.rows(ds, oracle.school_profile(school))
    assert_rows(state(page), expected, ds)
    local = {e.id for e in expected if e.kind == RULE} - {
        e.id for e in oracle.rows(ds, {**oracle.school_profile(school), "district": "OTHER"}) if e.kind == RULE}
    assert local


# ---- printing ----------------------------------------------------------------------------------


def pdf_text(page, tmp_path: Path, name: str) -> tuple[Path, str]:  # type: ignore[no-untyped-def]
    page.emulate_media(media="print")
    pdf = tmp_path / f"{name}.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    return pdf, pdftotext(pdf)


def test_print_a_school_page_and_a_blank_page(page, site_url, dataset, tmp_path) -> None:  # type: ignore[no-untyped-def]
    school = active_schools(dataset)[0]
    open_checklist(page, school_url(site_url, school))
    expected = oracle.rows(dataset, oracle.school_profile(school))
    kinds = {e.id: e.kind for e in expected}
    rule = [e.id for e in expected if e.kind == RULE]
    ref = [e.id for e in expected if e.kind == REFERENCE]
    answer(page, rule[0], "达标", "已整改完毕", "档案A3")
    answer(page, ref[0], "已采用")
    # In print, each row shows only the answers of its kind.
    page.emulate_media(media="print")
    for r in state(page)["rows"]:
        assert r["choices"] == oracle.results(dataset, kinds[r["id"]]), r["id"]
    pdf, text = pdf_text(page, tmp_path, "school")
    flat = re.sub(r"\s+", "", text)
    for needle in (TITLE, school.name, f"一、{RULE}", f"二、{REFERENCE}", "党组织书记（签字）", "上级党组织审核意见",
                   f"数据版本{dataset.data_version}", "已整改完毕", "档案A3", "☑达标", "☑已采用"):
        assert needle in flat, needle
    assert flat.index(f"一、{RULE}") < flat.index(f"二、{REFERENCE}")
    assert len(re.findall("[☐☑]基本达标", flat)) == len(rule)
    assert len(re.findall("[☐☑]未采用", flat)) == len(ref)
    # Every item's whole title in the table (text in reading order: -raw keeps a wrapped cell together).
    raw = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                            check=True).stdout)
    table = raw[raw.index("序号检查项目"):]
    missing = [i for i in rule + ref if re.sub(r"\s+", "", dataset.get(i).title) not in table]
    assert not missing, f"item titles not printed in the table: {missing}"
    for chrome in ("术语表", "参与贡献", "导出JSON", "清除本校答案"):
        assert chrome not in flat, chrome
    first_page = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                                check=True).stdout
    assert TITLE in re.sub(r"\s+", "", first_page), "no blank first page"

    page.emulate_media(media="screen")
    slugs = json.loads((ROOT / "schemas" / "common.schema.json").read_text(encoding="utf-8"))["$defs"]
    org, mode = "党支部", "一肩挑"
    page.goto(f"{site_url}/checklist/blank/{slugs['org_type']['x-slugs'][org]}-{slugs['mode']['x-slugs'][mode]}/")
    assert page.locator(".dz-checklist").get_attribute("data-mode") == "blank"
    assert page.locator(".dz-checklist[data-dz-ready]").count() == 0  # the script leaves blank tables alone
    _, blank = pdf_text(page, tmp_path, "blank")
    flat = re.sub(r"\s+", "", blank)
    blank_rows = oracle.rows(dataset, {"org_type": org, "mode": mode})
    for needle in (TITLE, "党组织书记（签字）", "上级党组织审核意见", f"数据版本{dataset.data_version}"):
        assert needle in flat, needle
    assert flat.count("☐基本达标") == sum(e.kind == RULE for e in blank_rows)
    assert flat.count("☐未采用") == sum(e.kind == REFERENCE for e in blank_rows)
    assert "术语表" not in flat
    assert page.outside_requests == []


# ---- accessibility and keyboard ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["checklist/", "schools/"])
def test_accessibility_no_serious_violations(page, site_url, dataset, path) -> None:  # type: ignore[no-untyped-def]
    """axe on the form, toolbar, summary, headings and the first row of each kind (all rows are built alike;
    the contrast check over every row would take most of the suite's browser time)."""
    from axe_playwright_python.sync_playwright import Axe

    school = active_schools(dataset)[0]
    url = school_url(site_url, school) if path == "schools/" else f"{site_url}/{path}"
    open_checklist(page, url)
    rows = oracle.rows(dataset, oracle.school_profile(school) if path == "schools/" else {})
    firsts = [next(e.id for e in rows if e.kind == kind) for kind in (RULE, REFERENCE)]
    parts = [".dz-checklist form.dz-profile", ".dz-checklist .dz-summary", ".dz-cl-table thead", "tbody.dz-kind-head",
             *(f'tr[data-item="{i}"]' for i in firsts)]
    if path == "checklist/":
        parts.append(".dz-checklist .dz-toolbar")
    results = Axe().run(page, context={"include": [[p] for p in parts]})
    assert results.response["passes"], "axe checked something"
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def test_keyboard_answers_are_saved(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    school = active_schools(dataset)[0]
    open_checklist(page, school_url(site_url, school))
    first = oracle.rows(dataset, oracle.school_profile(school))[0]
    item = first.id
    page.locator(f'tr[data-item="{item}"] td.dz-c-basis a').last.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.type, document.activeElement.name, document.activeElement.value]")
    assert focused[:2] == ["radio", f"r-{item}"]
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # the next answer of this row's kind (hidden ones are skipped)
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["answers"][item]["result"] == oracle.results(dataset, first.kind)[1]
    visited = []
    for _ in range(4):  # past the score fields a 基本达标 opens, to the note
        page.keyboard.press("Tab")
        visited.append(page.evaluate("() => document.activeElement.name"))
        if visited[-1] == f"note-{item}":
            break
    assert visited[-1] == f"note-{item}", visited
    page.keyboard.type("键盘输入的问题")
    stored = json.loads(storage(page)[f"dzzld:v1:id:{school.id}"])
    assert stored["answers"][item]["note"] == "键盘输入的问题"
    page.focus("button[data-action=export-json]")
    with page.expect_download():
        page.keyboard.press("Enter")


def test_app_page_asks_for_a_school_name(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    open_checklist(page, f"{site_url}/checklist/")
    first = oracle.rows(dataset, {})[0]
    answer(page, first.id, oracle.results(dataset, first.kind)[0])
    assert "请先填写学校名称" in message(page)[0]
    page.click("button[data-action=export-json]")
    text, is_error = message(page)
    assert is_error and "学校名称" in text


def test_switching_the_school_name_loads_its_saved_answers(page, site_url, dataset) -> None:  # type: ignore[no-untyped-def]
    first = oracle.rows(dataset, {})[0]
    yes, no = oracle.results(dataset, first.kind)[0], oracle.results(dataset, first.kind)[1]
    radio = f'input[name="r-{first.id}"]'
    open_checklist(page, f"{site_url}/checklist/")
    page.fill("input[name=name]", "甲校")
    page.check(f'{radio}[value="{yes}"]')
    page.fill("input[name=name]", "")
    page.type("input[name=name]", "乙校")  # a new name takes a copy; 甲校 keeps its answers
    page.keyboard.press("Tab")
    page.check(f'{radio}[value="{no}"]')
    page.fill("input[name=name]", "")
    page.type("input[name=name]", "甲校")
    page.keyboard.press("Tab")  # committing a saved school's name loads its answers
    assert page.is_checked(f'{radio}[value="{yes}"]')
    assert "已载入" in message(page)[0]
    keys = storage(page)
    assert set(keys) == {"dzzld:v1:last", "dzzld:v1:school:甲校", "dzzld:v1:school:乙校"}
    assert json.loads(keys["dzzld:v1:school:乙校"])["answers"][first.id]["result"] == no
