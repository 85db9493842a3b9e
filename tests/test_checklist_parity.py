"""The checklist page's script and macros/checklist.py apply the same rules: run both, compare everything.

The built checklist page is loaded in Chromium; its script's rules (`window.dzChecklist.Rules`) are
given the specification read from the page's own JSON script, as the page does. For EVERY profile
(党组织类型 × 配备 × 学段 × 办学性质 × 地区, each with 未知, and OTHER for the district) and every item,
fit, kind (and whether the kind is certain) and the numbering of select() must be identical to Python,
and to an independent oracle (tests/checklist_oracle.py). Then, over a set of answer documents —
valid ones, one per kind of schema violation, one from an older data version, one with answers of the
other kind — the schema verdict (Rules.check vs jsonschema on the schema files), summary() and
migrate() must be identical.

Both the bundled data and the variant of tests/site_variant.py (where a district's own rule makes
items 规定项 there only, so kinds depend on the district) are checked.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import checklist_oracle as oracle
import pytest
from conftest import ROOT, serve_dir
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from site_variant import DISTRICT_ID, build_variant

from macros.checklist import (
    Answers,
    Profile,
    answers_validator,
    fit,
    migrate,
    parse_answers,
    select,
    summary,
)
from macros.model import Dataset, load_dataset
from macros.scope import item_kind

pytestmark = pytest.mark.browser

FIT_CODE = {"yes": "y", "maybe": "m", "no": "n"}


# ---- the two sites, each loaded once in one browser page --------------------------------------


class Case:
    def __init__(self, ds: Dataset, page: Any) -> None:
        self.ds = ds
        self.page = page
        self.spec = page.evaluate("() => dzChecklist.readSpec(document.querySelector('.dz-checklist[data-mode=app]'))")


@pytest.fixture(scope="module", params=["bundled", "variant"])
def case(request, browser, built_site: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    if request.param == "bundled":
        site, ds = built_site, load_dataset(ROOT)
    else:
        v = build_variant(tmp_path_factory.getbasetemp() / "variant")
        site, ds = v.site, v.dataset()
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(serve_dir(site) + "/checklist/")
    page.wait_for_selector(".dz-checklist[data-dz-ready]", state="attached")
    page.evaluate("() => { window.R = new dzChecklist.Rules("
                  "dzChecklist.readSpec(document.querySelector('.dz-checklist[data-mode=app]'))); }")
    yield Case(ds, page)
    context.close()


def every_profile(ds: Dataset) -> list[dict[str, str]]:
    values = oracle.profile_values(ds)
    return [dict(zip(oracle.KEYS, combo, strict=True)) for combo in itertools.product(*(values[k] for k in oracle.KEYS))]


def file_schema_validator() -> Draft202012Validator:
    """The answers schema as the files say, $refs resolved by `referencing` (not by macros.validate)."""
    schemas = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in (ROOT / "schemas").glob("*.schema.json")}
    registry = Registry().with_resources((name, Resource.from_contents(doc)) for name, doc in schemas.items())
    return Draft202012Validator(schemas["answers.schema.json"], registry=registry)


# ---- profiles × items --------------------------------------------------------------------------


# Compact codes, so every profile × every item crosses from the page quickly: per item a fit letter
# (y/m/n) and a kind letter (R 规定项, F 参考项; lower case when not certain); per selected row
# "id:number:applies-certain:kind letter".
JS_EVERY_PROFILE = """([profiles, items]) => profiles.map(p => {
  const code = (kind, certain) => { const c = kind === R.kindRule ? 'R' : 'F'; return certain ? c : c.toLowerCase(); };
  const fits = items.map(id => R.fit(id, p)[0]).join('');
  const kinds = items.map(id => { const k = R.kind(id, p.district); return code(k.kind, k.certain); }).join('');
  const rows = R.select(p).map(s => [s.id, s.number, s.certain ? 1 : 0, code(s.kind, s.kind_certain)].join(':')).join(',');
  return [fits, kinds, rows];
})"""


def kind_code(kind: str, certain: bool) -> str:
    c = "R" if kind == oracle.RULE else "F"
    return c if certain else c.lower()


def row_codes(rows: list[tuple[str, int, bool, str, bool]]) -> str:
    return ",".join(f"{i}:{n}:{int(c)}:{kind_code(k, kc)}" for i, n, c, k, kc in rows)


def test_spec_on_the_page_is_the_data_and_the_schema(case: Case) -> None:
    ds, spec = case.ds, case.spec
    assert spec["data_version"] == ds.data_version
    assert spec["order"] == [i.id for i in ds.active_checklist()]
    assert set(spec["items"]) == set(spec["order"])  # (the JSON is written with sorted keys)
    assert set(spec["retired"]) == {i.id for i in ds.checklist if not i.active}
    assert set(spec["districts"]) == {d.id for d in ds.districts} | {"OTHER", "未知"}
    # The schema the page checks imports against is the answers schema file with its references resolved.
    resolved = file_schema_validator()
    page_validator = Draft202012Validator(spec["answers_schema"])
    for doc in (good_doc(ds), {"format": "x"}, {**good_doc(ds), "school": {"name": "甲", "stage": "大学"}}):
        assert page_validator.is_valid(doc) == resolved.is_valid(doc)
    assert "$ref" not in json.dumps(spec["answers_schema"])


def test_fit_kind_and_numbering_agree_for_every_profile_and_item(case: Case) -> None:
    ds = case.ds
    items = [i.id for i in ds.active_checklist()]
    profiles = every_profile(ds)
    js = case.page.evaluate(JS_EVERY_PROFILE, [profiles, items])
    assert len(js) == len(profiles)
    kinds_by_district = {d: [item_kind(ds, i, d) for i in ds.active_checklist()]
                         for d in oracle.profile_values(ds)["district"]}
    kind_codes = {d: "".join(kind_code(k.kind, k.certain) for k in ks) for d, ks in kinds_by_district.items()}
    oracle_kinds = {d: {i.id: oracle.kind(ds, i, d) for i in ds.active_checklist()} for d in kind_codes}
    assert {d: "".join(kind_code(*k) for k in ks.values()) for d, ks in oracle_kinds.items()} == kind_codes
    mismatches = []
    for p, (js_fits, js_kinds, js_rows) in zip(profiles, js, strict=True):
        prof = Profile(**p)
        py_fits = "".join(FIT_CODE[fit(i, prof)] for i in ds.active_checklist())
        py_rows = row_codes([(s.item.id, s.number, s.certain, s.kind.kind, s.kind.certain) for s in select(ds, prof)])
        want_fits = "".join(FIT_CODE[oracle.fit(i, p)] for i in ds.active_checklist())
        want_rows = row_codes([(r.id, r.number, r.certain, r.kind, r.kind_certain) for r in oracle.rows(ds, p, oracle_kinds[p["district"]])])
        if not (js_fits == py_fits == want_fits and js_kinds == kind_codes[p["district"]] and js_rows == py_rows == want_rows):
            diff = [i for i, a, b in zip(items, js_fits, py_fits, strict=True) if a != b]
            mismatches.append(f"{p}: fit differs on {diff}; kinds JS {js_kinds} Python {kind_codes[p['district']]}; "
                              f"rows JS {js_rows[:80]}… Python {py_rows[:80]}… (oracle agrees: {py_rows == want_rows})")
    assert not mismatches, f"{len(mismatches)} of {len(profiles)} profiles differ:\n" + "\n".join(mismatches[:10])
    # The check covers what matters: both kinds, and in the variant kinds that depend on the district.
    all_kinds = {k for ks in kinds_by_district.values() for k in ks}
    assert {k.kind for k in all_kinds} == {oracle.RULE, oracle.REFERENCE}
    if DISTRICT_ID in kinds_by_district:
        assert any(not k.certain for k in kinds_by_district["未知"])
        assert kinds_by_district[DISTRICT_ID] != kinds_by_district["OTHER"]


# ---- answer documents --------------------------------------------------------------------------


def good_doc(ds: Dataset) -> dict[str, Any]:
    rows = oracle.rows(ds, {})
    rule = [r.id for r in rows if r.kind == oracle.RULE]
    ref = [r.id for r in rows if r.kind == oracle.REFERENCE]
    return {
        "format": "dzzld-answers/1", "data_version": ds.data_version, "exported_at": "2026-01-01T00:00:00.000Z",
        "school": {"id": "SCH-X-1", "name": "某校", "district": "OTHER", "org_type": "党委", "mode": "分设",
                   "stage": "初中", "ownership": "公办", "period": "2026年"},
        "answers": {rule[0]: {"result": "达标", "note": "n", "evidence": "e"}, rule[1]: {"result": "未达标"},
                    rule[2]: {"result": "不适用", "note": "", "na_reason": "本校没有这类机构"}, ref[0]: {"result": "已采用"}, ref[1]: {"result": "未采用"},
                    ref[2]: {"result": "不适用"}, ref[3]: {"result": "", "note": "只写了问题"}},
    }


def documents(ds: Dataset) -> list[tuple[str, Any]]:
    """(label, document): valid ones first, then one per way of breaking the schema."""
    good = good_doc(ds)
    rows = oracle.rows(ds, {})
    rule = [r.id for r in rows if r.kind == oracle.RULE]
    ref = [r.id for r in rows if r.kind == oracle.REFERENCE]
    retired = [i for i in ds.checklist if not i.active]
    first = next(iter(good["answers"]))
    docs: list[tuple[str, Any]] = [
        ("good", good),
        ("minimal", {"format": "dzzld-answers/1", "data_version": "0.9.0", "school": {"name": "甲"}, "answers": {}}),
        ("all-unknown-profile", {**good, "school": {"name": "乙", **{k: "未知" for k in ("org_type", "mode", "stage",
                                                                                      "ownership")}}}),
        ("older-version", {"format": "dzzld-answers/1", "data_version": "0.9.0", "exported_at": "2025-09-01T00:00:00Z",
                           "school": {"name": "旧校", "period": "2025年秋季学期"},
                           "answers": {rule[0]: {"result": "达标", "note": "旧版本里写的", "evidence": "旧档案"},
                                       "CK-NOWHERE-99": {"result": "未达标", "note": "已不存在"},
                                       **{i.id: {"result": "基本达标", "note": "停用项"} for i in retired}}}),
        ("other-kind", {**good, "answers": {ref[0]: {"result": "未达标", "note": "参考项答了规定项的结果"},
                                            ref[1]: {"result": "达标"}, rule[0]: {"result": "已采用"},
                                            rule[1]: {"result": "未采用", "evidence": "x"}, rule[2]: {"result": "达标"}}}),
        ("name-60", {**good, "school": {"name": "校" * 60}}),
        ("name-60-astral", {**good, "school": {"name": "𠀀" * 60}}),  # 60 characters, 120 UTF-16 units
        ("note-2000", {**good, "answers": {first: {"result": "", "note": "问" * 2000}}}),
        ("scored", {**good, "answers": {first: {"result": "", "count": 1000, "score": 0, "review_score": 1000,
                                                "review_note": "复核", "na_reason": "理由"}}}),
        ("answers-2000", {**good, "answers": {f"CK-N-{n}": {"result": ""} for n in range(2000)}}),
    ]

    def bad(label: str, change) -> None:  # type: ignore[no-untyped-def]
        doc = copy.deepcopy(good)
        change(doc)
        docs.append((label, doc))

    bad("format-const", lambda d: d.update(format="dzzld-answers/2"))
    bad("format-type", lambda d: d.update(format=1))
    bad("version-pattern", lambda d: d.update(data_version="1.0"))
    bad("version-trailing-newline", lambda d: d.update(data_version="1.0.0\n"))
    bad("version-fullwidth-digit", lambda d: d.update(data_version="１.0.0"))
    bad("version-type", lambda d: d.update(data_version=100))
    bad("exported-long", lambda d: d.update(exported_at="x" * 41))
    bad("extra-top", lambda d: d.update(extra=1))
    for key in ("format", "data_version", "school", "answers"):
        bad(f"no-{key}", lambda d, key=key: d.pop(key))
    bad("school-list", lambda d: d.update(school=[]))
    bad("no-name", lambda d: d["school"].pop("name"))
    bad("empty-name", lambda d: d["school"].update(name=""))
    bad("long-name", lambda d: d["school"].update(name="校" * 61))
    bad("long-name-astral", lambda d: d["school"].update(name="𠀀" * 61))
    bad("name-type", lambda d: d["school"].update(name=None))
    bad("school-extra", lambda d: d["school"].update(phone="1"))
    bad("school-proto", lambda d: d["school"].update({"__proto__": "x"}))
    for key in ("org_type", "mode", "stage", "ownership"):
        bad(f"{key}-enum", lambda d, key=key: d["school"].update({key: "其他"}))
    bad("id-long", lambda d: d["school"].update(id="S" * 49))
    bad("district-long", lambda d: d["school"].update(district="D" * 49))
    bad("period-long", lambda d: d["school"].update(period="期" * 61))
    bad("answers-list", lambda d: d.update(answers=[]))
    bad("answers-2001", lambda d: d.update(answers={f"CK-N-{n}": {"result": ""} for n in range(2001)}))
    bad("id-lowercase", lambda d: d["answers"].update({"ck-org-01": {"result": ""}}))
    bad("id-trailing-newline", lambda d: d["answers"].update({"CK-ORG-01\n": {"result": ""}}))
    bad("answer-string", lambda d: d["answers"].update({first: "达标"}))
    bad("result-enum", lambda d: d["answers"][first].update(result="很好"))
    bad("result-type", lambda d: d["answers"][first].update(result=1))
    bad("no-result", lambda d: d["answers"][first].pop("result"))
    bad("answer-extra", lambda d: d["answers"][first].update(grade="优"))
    bad("count-negative", lambda d: d["answers"][first].update(count=-1))
    bad("count-fraction", lambda d: d["answers"][first].update(count=1.5))
    bad("score-over", lambda d: d["answers"][first].update(score=1000.5))
    bad("review-score-negative", lambda d: d["answers"][first].update(review_score=-0.5))
    bad("review-note-long", lambda d: d["answers"][first].update(review_note="问" * 2001))
    bad("na-reason-long", lambda d: d["answers"][first].update(na_reason="问" * 501))
    bad("note-long", lambda d: d["answers"][first].update(note="问" * 2001))
    bad("note-type", lambda d: d["answers"][first].update(note=True))
    bad("evidence-long", lambda d: d["answers"][first].update(evidence="x" * 1001))
    docs += [("array", []), ("string", "x"), ("null", None), ("number", 3)]
    return docs


def keywords(schema: Any) -> set[str]:
    """The JSON Schema keywords a (resolved) schema uses (annotations left out)."""
    out: set[str] = set()
    if not isinstance(schema, dict):
        return out
    for k, v in schema.items():
        if k in ("properties", "$defs"):
            for sub in v.values():
                out |= keywords(sub)
        elif k.startswith(("x-", "$")) or k in ("title", "description"):
            continue
        else:
            out.add(k)
            if isinstance(v, dict):
                out |= keywords(v)
            elif k in ("anyOf", "oneOf", "allOf"):
                for sub in v:
                    out |= keywords(sub)
    return out


def broken_keywords(error: Any) -> set[str]:
    """The keywords an error (and the errors under an anyOf) says were violated."""
    out = {p for p in error.schema_path if isinstance(p, str)} | {error.validator}
    for sub in error.context or ():
        out |= broken_keywords(sub)
    return out


def test_schema_verdicts_agree_and_every_keyword_is_exercised(case: Case) -> None:
    """Rules.check against jsonschema as macros.checklist runs it (the roll-up's reader), document by document;
    the schema the page received checks as the schema files do."""
    ds = case.ds
    python = answers_validator(ds.schema_dir)
    files, page_schema = file_schema_validator(), Draft202012Validator(case.spec["answers_schema"])
    docs = documents(ds)
    texts = [json.dumps(doc, ensure_ascii=False) for _, doc in docs]
    js = case.page.evaluate("texts => texts.map(t => R.check(JSON.parse(t)))", texts)
    wrong, broken = [], set()
    for (label, doc), problem in zip(docs, js, strict=True):
        errors = list(python.iter_errors(doc))
        for e in errors:
            broken |= broken_keywords(e)
        if (problem is None) != (not errors):
            wrong.append(f"{label}: JS says {problem!r}, Python {[e.message for e in errors][:2]}")
        if page_schema.is_valid(doc) != files.is_valid(doc):
            wrong.append(f"{label}: the page's schema and the schema files disagree")
    assert not wrong, "\n".join(wrong)
    valid = [label for (label, doc), problem in zip(docs, js, strict=True) if problem is None]
    assert {"good", "minimal", "older-version", "other-kind", "name-60-astral", "answers-2000", "scored"} <= set(valid)
    # One document per kind of violation: every keyword of the schema is broken by some document.
    used = keywords(case.spec["answers_schema"])
    assert used and not used - broken, f"keywords no document breaks: {used - broken}"


def profiles_for_answers(ds: Dataset) -> list[dict[str, str]]:
    districts = oracle.profile_values(ds)["district"]
    fixed = [{}, {"org_type": "党总支", "mode": "分设", "stage": "初中", "ownership": "公办"},
             {"org_type": "党支部", "mode": "一肩挑", "stage": "小学", "ownership": "民办"}]
    return [{**{k: "未知" for k in oracle.KEYS}, **f, "district": d} for f in fixed for d in districts]


def _answer(a: Any) -> list[str]:
    if isinstance(a, dict):
        return [a.get("result", ""), a.get("note", ""), a.get("evidence", "")]
    return [a.result, a.note, a.evidence]


def _migration(m: Any) -> dict[str, Any]:
    get = m.get if isinstance(m, dict) else lambda k: getattr(m, {"new_items": "new"}.get(k, k))
    out: dict[str, Any] = {k: {i: _answer(a) for i, a in get(k).items()} for k in ("kept", "retired", "unknown",
                                                                                 "other_kind")}
    out["new_items"] = list(get("new_items"))
    out["replaced_by"] = dict(get("replaced_by"))
    return out


JS_SUMMARY_MIGRATE = """([texts, profiles]) => texts.map(t => {
  const doc = JSON.parse(t);
  return profiles.map(p => [R.summary(R.select(p), doc.answers), R.migrate(doc, p)]);
})"""


def test_summary_and_migration_agree_over_answer_files(case: Case) -> None:
    ds = case.ds
    validator = answers_validator(ds.schema_dir)
    valid = [(label, doc) for label, doc in documents(ds) if validator.is_valid(doc)]
    assert {"good", "older-version", "other-kind"} <= {label for label, _ in valid}
    texts = [json.dumps(doc, ensure_ascii=False) for _, doc in valid if len(doc["answers"]) < 100]
    labels = [label for label, doc in valid if len(doc["answers"]) < 100]
    profiles = profiles_for_answers(ds)
    js = case.page.evaluate(JS_SUMMARY_MIGRATE, [texts, profiles])
    wrong = []
    seen_other_kind = seen_retired = seen_replaced = 0
    for label, text, per_profile in zip(labels, texts, js, strict=True):
        answers: Answers = parse_answers(text, validator)
        for p, (js_summary, js_migration) in zip(profiles, per_profile, strict=True):
            prof = Profile(**p)
            py_summary = json.loads(json.dumps(summary(ds, select(ds, prof), answers.answers)))
            py_migration = _migration(migrate(ds, answers, prof))
            if py_summary != js_summary:
                wrong.append(f"{label} {p}: summary JS {js_summary} vs Python {py_summary}")
            if py_migration != _migration(js_migration):
                wrong.append(f"{label} {p}: migration JS {_migration(js_migration)} vs Python {py_migration}")
            seen_other_kind += bool(py_migration["other_kind"])
            seen_retired += bool(py_migration["retired"])
            seen_replaced += bool(py_migration["replaced_by"])
    assert not wrong, f"{len(wrong)} differences:\n" + "\n".join(wrong[:8])
    assert seen_other_kind and seen_retired and seen_replaced, "the documents exercise every part of a migration"


def test_summary_counts_match_the_rule(case: Case) -> None:
    """Python's summary against the oracle's reading of the rule (counts per kind, 达标率 of 规定项)."""
    ds = case.ds
    docs = dict(documents(ds))
    validator = answers_validator(ds.schema_dir)
    answers = {}
    for label in ("good", "other-kind"):
        answers |= parse_answers(json.dumps(docs[label], ensure_ascii=False), validator).answers
    rows = oracle.rows(ds, {})
    got = summary(ds, select(ds, Profile()), answers)
    def counts(a: Any) -> str:  # the rule: 不适用 counts only with its reason written
        return "" if a.result == "不适用" and not a.na_reason.strip() else a.result

    for kind in (oracle.RULE, oracle.REFERENCE):
        of_kind = [r for r in rows if r.kind == kind]
        counted = [counts(answers[r.id]) for r in of_kind if r.id in answers and counts(answers[r.id]) in oracle.results(ds, kind)]
        assert got[kind]["total"] == len(of_kind)
        assert got[kind]["counts"] == {res: counted.count(res) for res in oracle.results(ds, kind)}
        assert got[kind]["未填"] == len(of_kind) - len(counted)
    rule = [counts(answers[r.id]) for r in rows if r.kind == oracle.RULE and r.id in answers]
    rule_total = sum(r.kind == oracle.RULE for r in rows)
    assert got["compliance"] == rule.count("达标") / (rule_total - rule.count("不适用"))
