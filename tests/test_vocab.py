"""Closed vocabularies have one home: the JSON Schemas. Python only adds labels, and every label table
covers exactly the schema's values, both ways (a value without a label and a label without a value
both fail). The expected values are read here straight from the schema files, not through
`macros.vocab`, so a mistake in `load_vocab` shows too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from macros import model, scaffold, vocab
from macros.rollup import report_html
from macros.vocab import ASPECT_LABELS, PROFILE_KEYS, PROFILE_LABELS, RELATION_LABELS, SUPPORT_LABELS, load_vocab

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"


def _doc(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


DEFS = _doc("common.schema.json")["$defs"]


def values(node: dict[str, Any]) -> list[str]:
    """The allowed values of a vocabulary node, in the schema's order (enum, or oneOf of const)."""
    if "enum" in node:
        return list(node["enum"])
    return [o["const"] for o in node["oneOf"]]


V = load_vocab(SCHEMAS)


@pytest.mark.parametrize(("field", "defn"), [
    ("org_types", "org_type"), ("modes", "mode"), ("stages", "stage"), ("ownerships", "ownership"),
    ("holders", "holder"), ("bodies", "body"), ("actions", "action"), ("aspects", "aspect"),
    ("support_kinds", "support_kind"), ("dimensions", "dimension"), ("forces", "force"), ("levels", "level"),
    ("rule_results", "result"), ("reference_results", "reference_result"),
])
def test_load_vocab_reads_each_vocabulary_in_schema_order(field: str, defn: str) -> None:
    got = getattr(V, field)
    assert list(got) == values(DEFS[defn]) and got, field
    assert len(set(got)) == len(got)


def test_relations_come_from_the_practice_schema() -> None:
    rel = _doc("practice-file.schema.json")["properties"]["practices"]["items"]["properties"]["relates"]["items"]
    assert list(V.relations) == rel["properties"]["rel"]["enum"]


def test_binding_forces_and_level_reach_follow_the_schema_annotations() -> None:
    assert V.binding_forces == {o["const"] for o in DEFS["force"]["oneOf"] if o["x-binding"] is True}
    assert all(isinstance(o["x-binding"], bool) for o in DEFS["force"]["oneOf"])
    # the schema's own words: 探索, 可以, 提倡 … never bind; 必须, 应当 do
    assert {"必须", "应当", "规定"} <= V.binding_forces and not {"探索", "可以", "提倡", "未写明"} & V.binding_forces
    assert dict(V.level_binds) == {o["const"]: o["x-binds"] for o in DEFS["level"]["oneOf"]}
    assert set(V.level_binds.values()) <= {"all", "listed", "none"}
    assert V.level_binds["全国"] == "all" and V.level_binds["范文"] == "none"


def test_results_are_rule_results_then_reference_results_each_once() -> None:
    rule, ref = values(DEFS["result"]), values(DEFS["reference_result"])
    expected = rule + [r for r in ref if r not in rule]
    assert list(V.results) == expected
    assert "不适用" in rule and "不适用" in ref  # shared by both kinds, listed once
    assert V.results.count("不适用") == 1


def test_choices_are_the_profile_vocabularies() -> None:
    for key, defn in (("org_type", "org_type"), ("mode", "mode"), ("stage", "stage"), ("ownership", "ownership")):
        assert list(V.choices(key)) == values(DEFS[defn])
    with pytest.raises(KeyError):
        V.choices("district")


# ---- label tables: both ways ----------------------------------------------------------------------

LABEL_TABLES = [
    ("ASPECT_LABELS", ASPECT_LABELS, values(DEFS["aspect"])),
    ("SUPPORT_LABELS", SUPPORT_LABELS, values(DEFS["support_kind"])),
    ("RELATION_LABELS", RELATION_LABELS,
     _doc("practice-file.schema.json")["properties"]["practices"]["items"]["properties"]["relates"]["items"]
     ["properties"]["rel"]["enum"]),
    ("scaffold.DIMENSION_CODES", scaffold.DIMENSION_CODES, values(DEFS["dimension"])),
]


@pytest.mark.parametrize(("name", "table", "schema_values"), LABEL_TABLES, ids=[t[0] for t in LABEL_TABLES])
def test_label_table_covers_exactly_the_schema_values(name: str, table: Any, schema_values: list[str]) -> None:
    missing = [v for v in schema_values if v not in table]
    extra = [k for k in table if k not in schema_values]
    assert not missing, f"{name}: schema values without a label: {missing}"
    assert not extra, f"{name}: labels for values the schema does not have: {extra}"
    labels = list(table.values())
    assert all(isinstance(x, str) and x.strip() == x and x for x in labels)
    assert len(set(labels)) == len(labels), f"{name}: two values share a label"


def test_chart_colours_cover_the_rule_results_and_unanswered_both_ways() -> None:
    from macros.checklist import UNANSWERED

    assert set(report_html.CHART_COLORS) == {*values(DEFS["result"]), UNANSWERED}
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in report_html.CHART_COLORS.values())


def test_rubric_levels_are_the_rule_results_in_order() -> None:
    rubric = _doc("checklist.schema.json")["$defs"]["record"]["properties"]["rubric"]
    assert list(rubric["properties"]) == values(DEFS["result"])
    built = model._NESTED["rubric"]({r: f"文字{r}" for r in reversed(values(DEFS["result"]))})
    assert [level for level, _ in built] == values(DEFS["result"])  # schema order, whatever the YAML order


def test_profile_labels_are_the_roster_fields_and_the_answers_school_fields() -> None:
    roster = set(_doc("roster.schema.json")["$defs"]["school"]["properties"])
    answers = set(_doc("answers.schema.json")["properties"]["school"]["properties"])
    assert set(PROFILE_LABELS) <= roster and set(PROFILE_LABELS) <= answers
    profile_fields = {"id", "name", "district", "org_type", "mode", "stage", "ownership"}
    assert set(PROFILE_LABELS) == profile_fields  # the roster's other fields (members, status …) are not profile
    assert set(PROFILE_KEYS) == profile_fields - {"id", "name"}
    assert len(set(PROFILE_LABELS.values())) == len(PROFILE_LABELS)


def test_answers_schema_takes_both_kinds_of_result_from_common() -> None:
    props = _doc("answers.schema.json")["properties"]["answers"]["additionalProperties"]["properties"]
    refs = [o.get("$ref") for o in props["result"]["anyOf"]]
    assert refs == ["common.schema.json#/$defs/result", "common.schema.json#/$defs/reference_result", None]


# ---- roster aliases and page slugs -------------------------------------------------------------------

ALIASED = [k for k, v in DEFS.items() if "x-aliases" in v]


def test_the_profile_vocabularies_have_aliases() -> None:
    assert set(ALIASED) == {"org_type", "mode", "stage", "ownership"}


@pytest.mark.parametrize("defn", ALIASED)
def test_aliases_point_at_real_values_and_never_shadow_one(defn: str) -> None:
    allowed = values(DEFS[defn])
    aliases = DEFS[defn]["x-aliases"]
    assert aliases
    bad_targets = {k: v for k, v in aliases.items() if v not in allowed}
    assert not bad_targets, f"{defn}: aliases to values that do not exist: {bad_targets}"
    shadowing = [k for k in aliases if k in allowed]
    assert not shadowing, f"{defn}: an alias spelled like a value: {shadowing}"
    assert all(k == k.strip() and k for k in aliases)


def test_an_alias_means_one_thing_across_the_profile_fields() -> None:
    """A cell is read in its column, but the same spelling meaning two values would confuse people."""
    seen: dict[str, str] = {}
    for defn in ALIASED:
        for spelling in [*values(DEFS[defn]), *DEFS[defn]["x-aliases"]]:
            assert spelling not in seen, f"“{spelling}” is used by {seen[spelling]} and {defn}"
            seen[spelling] = defn


@pytest.mark.parametrize("defn", ["org_type", "mode"])
def test_slugs_cover_every_org_type_and_mode(defn: str) -> None:
    slugs = DEFS[defn]["x-slugs"]
    assert list(slugs) == values(DEFS[defn])
    assert all(re.fullmatch(r"[a-z0-9]+", s) for s in slugs.values())
    assert len(set(slugs.values())) == len(slugs)


def test_blank_page_paths_are_unique_for_every_setup() -> None:
    all_slugs = {**DEFS["org_type"]["x-slugs"], **DEFS["mode"]["x-slugs"]}
    assert dict(V.slugs) == all_slugs
    assert len(set(all_slugs.values())) == len(all_slugs)  # org and mode slugs never collide


# ---- one home: no module keeps its own copy ----------------------------------------------------------


def _string_constants(path: Path) -> list[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _literal_collections(path: Path) -> list[set[str]]:
    """The strings of each tuple, list or set literal and of each dict literal's keys in a module."""
    import ast

    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        elts = node.keys if isinstance(node, ast.Dict) else node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) \
            else []
        strings = {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
        if strings:
            out.append(strings)
    return out


# Label tables keyed by a vocabulary's values (checked both ways above) may name all of them.
KNOWN_TABLES = {("vocab.py", "aspect"), ("vocab.py", "support_kind"), ("scaffold.py", "dimension"),
                ("report_html.py", "result"), ("model.py", "result")}


def test_no_module_spells_out_a_whole_vocabulary() -> None:
    """Outside the checked label tables, no tuple, list, set or dict in macros/ lists every value of a vocabulary."""
    copies = []
    for path in sorted((ROOT / "macros").rglob("*.py")):
        literals = _literal_collections(path)
        for defn in ("org_type", "mode", "stage", "ownership", "holder", "body", "action", "aspect", "support_kind",
                     "dimension", "force", "level", "result", "reference_result"):
            vals = set(values(DEFS[defn]))
            if len(vals) > 1 and any(vals <= lit for lit in literals) and (path.name, defn) not in KNOWN_TABLES:
                copies.append(f"{path.relative_to(ROOT)}: {defn}")
    assert not copies, "vocabulary copied into code (read it from ds.vocab instead): " + ", ".join(copies)
    for name, defn in KNOWN_TABLES:  # the allowance is for tables that exist (and are checked above)
        (path,) = [p for p in (ROOT / "macros").rglob(name)]
        assert any(set(values(DEFS[defn])) <= lit for lit in _literal_collections(path)), (name, defn)


def test_the_vocab_module_has_no_value_list_of_its_own() -> None:
    assert vocab.UNKNOWN == "未知" and vocab.OTHER_DISTRICT == "OTHER"
    for defn in ("org_type", "mode", "stage", "ownership", "force", "level", "result", "reference_result"):
        assert not set(values(DEFS[defn])) <= set(_string_constants(ROOT / "macros" / "vocab.py")), defn
