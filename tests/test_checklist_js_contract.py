"""docs/assets/checklist.js mirrors Python and the answers schema: keep the copies in step.

The script cannot import the schema (no network, no build step), so it carries its own copy of the
rules. These tests read that copy from the source, and run its checker in the browser against
jsonschema on valid and broken documents.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from conftest import ROOT
from jsonschema import Draft202012Validator

from macros.checklist import ANSWERS_FORMAT, CSV_HEADERS, PROFILE_KEYS
from macros.vocab import RESULTS, UNKNOWN

JS = (ROOT / "docs" / "assets" / "checklist.js").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "schemas" / "answers.schema.json").read_text(encoding="utf-8"))


def js_array(name: str) -> list[str]:
    m = re.search(rf"\b{name}\s*[:=]\s*(\[[^\]]*\])", JS)
    assert m, f"{name} not found in checklist.js"
    return json.loads(m.group(1))


def js_number(name: str) -> int:
    m = re.search(rf"\b{name}:\s*(\d+)", JS)
    assert m, f"{name} not found in checklist.js"
    return int(m.group(1))


def js_regex(name: str) -> str:
    m = re.search(rf"\b{name}:\s*/(.+?)/,?\n", JS)
    assert m, f"{name} not found in checklist.js"
    return m.group(1)


def test_constants_match_python():
    assert tuple(js_array("CSV_HEADERS")) == CSV_HEADERS
    assert tuple(js_array("PROFILE_KEYS")) == PROFILE_KEYS
    assert f'var FORMAT = "{ANSWERS_FORMAT}"' in JS
    assert f'var UNKNOWN = "{UNKNOWN}"' in JS
    assert js_array("results") == [*RESULTS, ""]


def test_schema_copy_matches_answers_schema():
    props = SCHEMA["properties"]
    school = props["school"]["properties"]
    answer = props["answers"]["additionalProperties"]
    assert set(js_array("topKeys")) == set(props)
    assert set(js_array("required")) == set(SCHEMA["required"])
    assert set(js_array("schoolKeys")) == set(school)
    assert set(js_array("answerKeys")) == set(answer["properties"])
    assert js_array("results") == answer["properties"]["result"]["enum"]
    for key in ("org_type", "mode", "stage", "ownership"):
        assert js_array(key) == school[key]["enum"], key
    assert js_number("nameMax") == school["name"]["maxLength"]
    assert js_number("idMax") == school["id"]["maxLength"]
    assert js_number("districtMax") == school["district"]["maxLength"]
    assert js_number("periodMax") == school["period"]["maxLength"]
    assert js_number("exportedAtMax") == props["exported_at"]["maxLength"]
    assert js_number("noteMax") == answer["properties"]["note"]["maxLength"]
    assert js_number("evidenceMax") == answer["properties"]["evidence"]["maxLength"]
    assert js_number("maxAnswers") == props["answers"]["maxProperties"]
    assert js_regex("itemPattern") == props["answers"]["propertyNames"]["pattern"]
    assert js_regex("versionPattern") == props["data_version"]["pattern"].replace("\\\\", "\\")
    assert SCHEMA["properties"]["format"]["const"] == ANSWERS_FORMAT


def _cases() -> list[tuple[str, object]]:
    good = {"format": ANSWERS_FORMAT, "data_version": "1.0.0", "exported_at": "2026-01-01T00:00:00.000Z",
            "school": {"id": "SCH-X-1", "name": "某校", "district": "DS-QJ", "org_type": "党委", "mode": "分设",
                       "stage": "初中", "ownership": "公办", "period": "2026年"},
            "answers": {"CK-ORG-01": {"result": "达标", "note": "n", "evidence": "e"}, "CK-A-2": {"result": ""}}}
    cases: list[tuple[str, object]] = [("good", good), ("minimal", {"format": ANSWERS_FORMAT, "data_version": "0.9.0",
                                                                    "school": {"name": "甲"}, "answers": {}})]

    def bad(label, fn):
        doc = copy.deepcopy(good)
        fn(doc)
        cases.append((label, doc))

    bad("format", lambda d: d.update(format="dzzld-answers/2"))
    bad("version", lambda d: d.update(data_version="1.0"))
    bad("extra-top", lambda d: d.update(extra=1))
    bad("no-answers", lambda d: d.pop("answers"))
    bad("no-name", lambda d: d["school"].pop("name"))
    bad("empty-name", lambda d: d["school"].update(name=""))
    bad("long-name", lambda d: d["school"].update(name="校" * 61))
    bad("name-60-ok", lambda d: d["school"].update(name="校" * 60))
    bad("org-type", lambda d: d["school"].update(org_type="党组"))
    bad("unknown-ok", lambda d: d["school"].update(stage="未知"))
    bad("school-extra", lambda d: d["school"].update(phone="1"))
    bad("id-pattern", lambda d: d["answers"].update({"ck-org-01": {"result": ""}}))
    bad("result", lambda d: d["answers"]["CK-ORG-01"].update(result="很好"))
    bad("no-result", lambda d: d["answers"]["CK-ORG-01"].pop("result"))
    bad("answer-extra", lambda d: d["answers"]["CK-ORG-01"].update(score=3))
    bad("note-long", lambda d: d["answers"]["CK-ORG-01"].update(note="问" * 2001))
    bad("note-2000-ok", lambda d: d["answers"]["CK-ORG-01"].update(note="问" * 2000))
    bad("evidence-long", lambda d: d["answers"]["CK-ORG-01"].update(evidence="x" * 1001))
    bad("note-type", lambda d: d["answers"]["CK-ORG-01"].update(note=3))
    bad("answers-list", lambda d: d.update(answers=[]))
    cases.append(("array", []))
    cases.append(("string", "x"))
    return cases


@pytest.mark.browser
def test_js_checker_agrees_with_jsonschema(page, site_url):
    page.goto(f"{site_url}/checklist/")
    page.wait_for_function("() => !!window.dzChecklist")
    validator = Draft202012Validator(SCHEMA)
    for label, doc in _cases():
        js_problem = page.evaluate("d => window.dzChecklist.checkAnswersDoc(d)", doc)
        valid = validator.is_valid(doc)
        assert (js_problem is None) == valid, (label, js_problem)


@pytest.mark.browser
def test_js_csv_quoting_matches_python_csv(page, site_url):
    import csv
    import io

    page.goto(f"{site_url}/checklist/")
    page.wait_for_function("() => !!window.dzChecklist")
    values = ["plain", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "中文，全角逗号", " lead space"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    js = page.evaluate("v => v.map(window.dzChecklist.csvField).join(',') + '\\r\\n'", values)
    assert js == buf.getvalue()
