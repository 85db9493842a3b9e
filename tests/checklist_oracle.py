"""An independent oracle for the checklist rules, written from the rules' text, not from macros.checklist.

- An item applies unless a profile field it restricts has a known value outside the allowed ones;
  it applies only "maybe" when such a field is 未知.
- An item is a 规定项 for a school when a record of its basis (a variant stands for the records it
  compares) has a force the schema marks `x-binding`, and cites a source whose level binds the
  school's district (`x-binds`: all — every school; listed — the districts in `binds`; none — nobody).
  With the district 未知, an item that would be a 规定项 only in some places is a 参考项, not certain.
- The checklist shows 规定项 first, then 参考项, each in the data's item order, numbered 1..n.

Vocabularies are read straight from schemas/common.schema.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from macros.model import Dataset, Variant

RULE, REFERENCE = "规定项", "参考项"
UNKNOWN = "未知"
KEYS = ("org_type", "mode", "stage", "ownership", "district")


@cache
def _common(schema_dir: Path) -> dict:
    return json.loads((schema_dir / "common.schema.json").read_text(encoding="utf-8"))["$defs"]


def binding_forces(ds: Dataset) -> set[str]:
    return {o["const"] for o in _common(ds.schema_dir)["force"]["oneOf"] if o["x-binding"]}


def level_reach(ds: Dataset) -> dict[str, str]:
    return {o["const"]: o["x-binds"] for o in _common(ds.schema_dir)["level"]["oneOf"]}


def enum(ds: Dataset, name: str) -> list[str]:
    node = _common(ds.schema_dir)[name]
    return list(node["enum"]) if "enum" in node else [o["const"] for o in node["oneOf"]]


def results(ds: Dataset, kind: str) -> list[str]:
    return enum(ds, "result" if kind == RULE else "reference_result")


def profile_values(ds: Dataset) -> dict[str, list[str]]:
    """Every value of every profile field, 未知 included (and OTHER for the district)."""
    out = {k: [*enum(ds, k), UNKNOWN] for k in KEYS[:4]}
    out["district"] = [*(d.id for d in ds.districts), "OTHER", UNKNOWN]
    return out


def fit(item, profile: dict[str, str]) -> str:  # type: ignore[no-untyped-def]
    out = "yes"
    for key in KEYS:
        allowed = getattr(item.applies, key)
        if not allowed:
            continue
        if profile[key] == UNKNOWN:
            out = "maybe"
        elif profile[key] not in allowed:
            return "no"
    return out


def binding_reach(ds: Dataset, item) -> tuple[bool, set[str]]:  # type: ignore[no-untyped-def]
    """(binds every school, districts it binds) through the item's basis."""
    forces, reach = binding_forces(ds), level_reach(ds)
    records = []
    for rid in item.basis:
        rec = ds.by_id[rid]
        if isinstance(rec, Variant):
            records += [ds.by_id[r] for option in rec.variants for r in option.records]
        else:
            records.append(rec)
    everyone, districts = False, set()
    for rec in records:
        if rec.force not in forces:
            continue
        for c in rec.cite:
            src = ds.by_id[c.src]
            how = reach.get(getattr(src, "level", ""), "none")
            everyone |= how == "all"
            if how == "listed":
                districts |= set(src.binds)
    return everyone, districts


def kind(ds: Dataset, item, district: str) -> tuple[str, bool]:  # type: ignore[no-untyped-def]
    everyone, districts = binding_reach(ds, item)
    if everyone or district in districts:
        return RULE, True
    if district == UNKNOWN and districts:
        return REFERENCE, False
    return REFERENCE, True


@dataclass(frozen=True)
class Row:
    id: str
    number: int
    certain: bool  # applies for sure (no 未知 field decided it)
    kind: str
    kind_certain: bool


def rows(ds: Dataset, profile: dict[str, str], kinds: dict[str, tuple[str, bool]] | None = None) -> list[Row]:
    """The checklist for a profile (keys: KEYS; missing ones are 未知). `kinds`: item ID → kind() for the
    profile's district, when the caller has them already."""
    profile = {k: profile.get(k, UNKNOWN) for k in KEYS}
    picked = []
    for item in ds.active_checklist():
        f = fit(item, profile)
        if f != "no":
            k = kinds[item.id] if kinds is not None else kind(ds, item, profile["district"])
            picked.append((item.id, f == "yes", *k))
    ordered = [p for p in picked if p[2] == RULE] + [p for p in picked if p[2] != RULE]
    return [Row(p[0], n, p[1], p[2], p[3]) for n, p in enumerate(ordered, start=1)]


def school_profile(school) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: getattr(school, k) for k in KEYS}
