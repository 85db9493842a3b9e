"""The JSON Schemas themselves: valid 2020-12, documented, closed, and referenced by every data file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from macros.validate import FOLDER_FILES, TOP_LEVEL_FILES, schema_validator

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = sorted((ROOT / "schemas").glob("*.schema.json"))


def objects(node: Any, path: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema that declares properties (i.e. describes an object with known keys)."""
    if isinstance(node, dict):
        if "properties" in node:
            yield path, node
        for k, v in node.items():
            if k != "if":  # conditions test properties; they do not declare an object
                yield from objects(v, f"{path}/{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from objects(v, f"{path}/{i}")


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_schema_is_valid_2020_12_with_id_title_description(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == path.name
    assert schema["title"] and schema["description"]


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_object_is_closed(path: Path) -> None:
    schema = json.loads(path.read_text(encoding="utf-8"))
    open_objects = [p for p, node in objects(schema) if node.get("additionalProperties") is not False]
    assert not open_objects, f"objects without additionalProperties: false: {open_objects}"


def test_every_data_file_starts_with_its_schema_comment() -> None:
    data = ROOT / "data"
    expected = {data / name: f"../schemas/{schema}.schema.json" for name, schema in TOP_LEVEL_FILES.items()}
    for folder, schema in FOLDER_FILES.items():
        for f in (data / folder).glob("*.yaml"):
            expected[f] = f"../../schemas/{schema}.schema.json"
    present = {p: s for p, s in expected.items() if p.exists()}
    assert len(present) >= 15
    for path, schema in present.items():
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == f"# yaml-language-server: $schema={schema}", path
        assert (path.parent / schema).resolve().exists()


def test_refs_between_schema_files_resolve() -> None:
    # Every file schema validates a minimal-but-wrong document by following its $refs, without network.
    for name in {*TOP_LEVEL_FILES.values(), *FOLDER_FILES.values()}:
        errors = list(schema_validator(ROOT / "schemas", name).iter_errors({"unexpected": 1}))
        assert errors, name


def test_inlined_schemas_have_no_refs_and_cycles_are_refused(tmp_path: Path) -> None:
    from macros.validate import inline_refs

    for name in {*TOP_LEVEL_FILES.values(), *FOLDER_FILES.values()}:
        assert '"$ref"' not in json.dumps(inline_refs(ROOT / "schemas", name)), name
    (tmp_path / "loop.schema.json").write_text(json.dumps(
        {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}), encoding="utf-8")
    with pytest.raises(ValueError, match="recursive"):
        inline_refs(tmp_path, "loop")


def test_junk_marker_list_is_loaded_from_the_schemas_folder() -> None:
    from macros.validate import junk_markers

    doc = json.loads((ROOT / "schemas" / "junk-markers.json").read_text(encoding="utf-8"))
    assert set(doc) == {"description", "markers"}
    markers = junk_markers(ROOT / "schemas")
    assert markers == tuple(doc["markers"]) and len(markers) >= 10
    assert all(isinstance(m, str) and m.strip() == m and m for m in markers)


# ---- force and scope ----------------------------------------------------------------------------------


def _record_schemas() -> dict[str, dict[str, Any]]:
    """schema name → the (inlined) schema of one record, for every file whose records can state a rule."""
    from macros.validate import inline_refs

    out = {}
    for name in {*TOP_LEVEL_FILES.values(), *FOLDER_FILES.values()}:
        doc = inline_refs(ROOT / "schemas", name)
        for key, prop in doc.get("properties", {}).items():
            items = prop.get("items", {})
            if "force" in items.get("properties", {}):
                out[f"{name}.{key}"] = items
    return out


RULE_RECORDS = _record_schemas()


def _required_missing(schema: dict[str, Any], record: dict[str, Any]) -> set[str]:
    return {m for e in Draft202012Validator(schema).iter_errors(record) if e.validator == "required"
            for m in e.validator_value if m not in record}


def test_the_records_that_state_rules() -> None:
    assert set(RULE_RECORDS) == {"responsibilities.responsibilities", "decisions.decisions",
                                 "meeting-rules.meeting_rules", "setups.setups", "supports.supports",
                                 "milestones.milestones", "glossary.glossary", "practice-file.practices",
                                 "party-rules.party_rules"}


@pytest.mark.parametrize("name", sorted(RULE_RECORDS))
def test_a_force_other_than_unstated_needs_its_quote(name: str) -> None:
    schema = RULE_RECORDS[name]
    assert {"force", "force_quote", "force_note"} <= set(schema["properties"])
    assert "force_quote" in _required_missing(schema, {"force": "应当"})
    assert "force_quote" in _required_missing(schema, {"force": "探索"})
    assert "force_quote" not in _required_missing(schema, {"force": "未写明"})
    assert "force_quote" not in _required_missing(schema, {})
    errors = list(Draft202012Validator(schema["properties"]["force"]).iter_errors("务必"))
    assert errors, "an unknown force is refused"


def test_a_named_source_needs_known_from_and_a_level_is_closed() -> None:
    from macros.validate import inline_refs

    record = inline_refs(ROOT / "schemas", "sources")["properties"]["sources"]["items"]
    base = {"id": "SRC-X", "title": "t", "publisher": "p"}
    assert "known_from" in _required_missing(record, {**base, "kind": "named"})
    assert "known_from" not in _required_missing(record, {**base, "kind": "official"})
    assert not list(Draft202012Validator(record).iter_errors({**base, "kind": "official", "level": "全国"}))
    assert list(Draft202012Validator(record).iter_errors({**base, "kind": "official", "level": "中央"}))
