"""Answers files with KNOWN results for the bundled demo roster, the oracle of what the roll-up must
count, and bad files of every kind.

School i (0-based roster position) answers its j-th applicable item (0-based, in checklist order)
with `known_result(i, j, kind)`: a result of the item's own kind (规定项: 达标/基本达标/未达标/不适用;
参考项: 已采用/未采用/不适用), cycling, with about one answer in seven left blank. `expected()`
computes every count the report must show from this rule alone — counted per (kind, result) — never
from the roll-up's own aggregation. Which items apply, and of which kind, comes from
`checklist.select` (tested on its own in tests/test_checklist.py).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasets import ROOT, real

from macros.checklist import ANSWERS_FORMAT, select
from macros.model import Dataset
from macros.roster import RosterRow, read_roster

DEMO_ROSTER = ROOT / "data" / "schools" / "demo.yaml"
MISSING = frozenset({5, 17})  # roster positions that do not submit
EXPORTED_AT = "2026-03-0{day}T08:00:00.000Z"
RULE, REFERENCE = "规定项", "参考项"
RESULTS = {RULE: ("达标", "基本达标", "未达标", "不适用"), REFERENCE: ("已采用", "未采用", "不适用")}  # the schema's order
BAD = ("未达标", "基本达标")  # what goes into the 整改台账 (规定项 only)
UNANSWERED = "未填"
COLUMNS = [(k, r) for k in (RULE, REFERENCE) for r in (*RESULTS[k], UNANSWERED)]


def load() -> tuple[Dataset, list[RosterRow]]:
    ds = real()
    roster = read_roster(DEMO_ROSTER, ds, ROOT)
    assert not roster.problems and not roster.fatal, roster.problems
    return ds, roster.rows


def applicable(ds: Dataset, row: RosterRow) -> list[tuple[str, str]]:
    """(item ID, kind) of each item that applies to a roster school, in the checklist's order."""
    return [(s.item.id, s.kind.kind) for s in select(ds, row.profile)]


def known_result(i: int, j: int, kind: str) -> str:
    """"" (blank) for about one answer in seven; otherwise cycles through the results of the kind."""
    if (3 * i + j) % 7 == 6:
        return ""
    return RESULTS[kind][(i + j) % len(RESULTS[kind])]


def known_note(i: int, j: int, kind: str) -> str:
    return f"第{i}校第{j}项：存在问题，已制定整改措施" if known_result(i, j, kind) in BAD else ""


def known_evidence(i: int, j: int, kind: str) -> str:
    return f"佐证{i}-{j}" if known_result(i, j, kind) else ""


def school_block(i: int, row: RosterRow, ds: Dataset) -> dict[str, Any]:
    """Even schools carry their roster code; odd ones only a name (spelled a little differently every
    fourth school) and a district (by name or by ID): matching by code, then by normalised name."""
    p = row.profile
    school: dict[str, Any] = {"name": p.name, "org_type": p.org_type, "mode": p.mode, "stage": p.stage,
                              "ownership": p.ownership}
    if i % 2 == 0:
        school["id"] = p.school_id
        school["district"] = p.district
    elif i % 4 == 1:
        school["district"] = next((d.name for d in ds.districts if d.id == p.district), p.district)
        school["name"] = " " + p.name.replace("（", "(").replace("）", ")") + " "  # half-width brackets, spaces
    else:
        school["district"] = p.district
    return school


def known_answer(i: int, j: int, kind: str) -> dict[str, str]:
    """Every 不适用 comes with its reason (不适用 without one counts as blank: tested on its own)."""
    a = {"result": known_result(i, j, kind), "note": known_note(i, j, kind), "evidence": known_evidence(i, j, kind)}
    if a["result"] == "不适用":
        a["na_reason"] = f"第{i}校第{j}项：本校无此情形"
    return a


def known_doc(i: int, row: RosterRow, ds: Dataset, *, day: int = 5) -> dict[str, Any]:
    answers = {item_id: known_answer(i, j, kind) for j, (item_id, kind) in enumerate(applicable(ds, row))}
    return {"format": ANSWERS_FORMAT, "data_version": ds.data_version, "exported_at": EXPORTED_AT.format(day=day),
            "school": school_block(i, row, ds), "answers": answers}


def file_name(row: RosterRow, suffix: str = "") -> str:
    return f"{row.profile.name}-自查-2026-03-05{suffix}.json"


def write_doc(folder: Path, name: str, doc: dict[str, Any], *, mtime: float | None = None) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def write_known_answers(folder: Path, ds: Dataset, rows: list[RosterRow], missing: frozenset[int] = MISSING) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, row in enumerate(rows):
        if i not in missing:
            write_doc(folder, file_name(row), known_doc(i, row, ds))


# ----------------------------------------------------------------------------------------------
# The oracle


@dataclass
class Expected:
    schools: list[dict[str, Any]] = field(default_factory=list)  # per roster school
    items: dict[str, Counter] = field(default_factory=dict)  # item → (kind, result) counts, "applicable", "未提交"
    dims: dict[str, Counter] = field(default_factory=dict)
    org: dict[str, Counter] = field(default_factory=dict)
    mode: dict[str, Counter] = field(default_factory=dict)
    ledger: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # school, item, result, note, evidence
    totals: Counter = field(default_factory=Counter)


def expected(ds: Dataset, rows: list[RosterRow], missing: frozenset[int] = MISSING) -> Expected:
    """What the report must say, from the known-answer rule only."""
    e = Expected()
    for i, row in enumerate(rows):
        p = row.profile
        items = applicable(ds, row)
        submitted = i not in missing
        c: Counter = Counter()
        e.org.setdefault(p.org_type, Counter())["schools"] += 1
        e.mode.setdefault(p.mode, Counter())["schools"] += 1
        e.totals["applicable_all"] += len(items)
        if submitted:
            e.org[p.org_type]["submitted"] += 1
            e.mode[p.mode]["submitted"] += 1
            e.totals["applicable_submitted"] += len(items)
        for j, (item_id, kind) in enumerate(items):
            it = e.items.setdefault(item_id, Counter())
            it["applicable"] += 1
            if not submitted:
                it["未提交"] += 1
                continue
            key = (kind, known_result(i, j, kind) or UNANSWERED)
            for counter in (c, it, e.dims.setdefault(ds.get(item_id).dimension, Counter()), e.org[p.org_type],
                            e.mode[p.mode], e.totals):
                counter[key] += 1
            if kind == RULE and key[1] in BAD:
                e.ledger.append((p.name, item_id, key[1], known_note(i, j, kind), known_evidence(i, j, kind)))
        e.schools.append({"name": p.name, "id": p.school_id, "submitted": submitted, "counts": c,
                          "applicable": len(items)})
    return e


def compliance(c: Counter) -> float | None:
    """达标 among the 规定项 less 不适用 (参考项 never count)."""
    den = sum(c[(RULE, r)] for r in (*RESULTS[RULE], UNANSWERED)) - c[(RULE, "不适用")]
    return c[(RULE, "达标")] / den if den else None


def answered(c: Counter) -> int:
    return sum(n for key, n in c.items() if isinstance(key, tuple) and key[1] != UNANSWERED)


def worst_first(ds: Dataset, e: Expected) -> list[str]:
    order = [i.id for i in ds.checklist if i.active]
    return sorted(e.items, key=lambda k: (-e.items[k][(RULE, "未达标")], -e.items[k][(RULE, "基本达标")], order.index(k)))


# ----------------------------------------------------------------------------------------------
# Bad inputs: each returns the file name(s) that must be reported


def retired_item_id(ds: Dataset) -> str:
    return next(i.id for i in ds.checklist if not i.active)


def non_applicable_id(ds: Dataset, row: RosterRow) -> str:
    mine = {item for item, _ in applicable(ds, row)}
    return next(i.id for i in ds.checklist if i.active and i.id not in mine)


def write_bad_inputs(folder: Path, ds: Dataset, rows: list[RosterRow]) -> dict[str, str]:
    """Add one file per kind of bad input to a folder of known answers; returns kind → file name.

    * not JSON; fails the schema; a school not on the roster; a stray text file;
    * school 0 also sent an OLDER export (exported_at earlier) with every answer changed;
    * school 1 sent two copies without exported_at: the one with the older mtime loses;
    * school 2's file is from data version 0.9.0 and answers a retired item and an unknown ID;
    * school 3's file answers an item that does not apply to its roster profile.

    None of them changes a count: the messy folder must aggregate exactly like the clean one.
    """
    names: dict[str, str] = {}
    names["not_json"] = "坏文件.json"
    (folder / names["not_json"]).write_text('{"format": "dzzld-answers/1", "answers": ', encoding="utf-8")
    names["schema"] = "格式错误.json"
    bad = known_doc(4, rows[4], ds)
    bad["answers"][next(iter(bad["answers"]))]["result"] = "优秀"
    write_doc(folder, names["schema"], bad)
    names["not_on_roster"] = "陌生学校-自查-2026-03-05.json"
    stranger = known_doc(6, rows[6], ds)
    stranger["school"] = {"name": "花名册外示例学校（虚构）", "district": "DS-QJ", "org_type": "党委", "mode": "分设"}
    write_doc(folder, names["not_on_roster"], stranger)
    names["other_file"] = "说明.txt"
    (folder / names["other_file"]).write_text("这不是答案文件\n", encoding="utf-8")

    names["duplicate"] = "旧版-" + file_name(rows[0])
    older = known_doc(0, rows[0], ds, day=1)
    for item_id, kind in applicable(ds, rows[0]):
        older["answers"][item_id] = {"result": RESULTS[kind][2], "note": "旧文件的答案", "evidence": ""}
    write_doc(folder, names["duplicate"], older)

    copy_new, copy_old = file_name(rows[1]), file_name(rows[1], "-副本")
    doc = known_doc(1, rows[1], ds)
    del doc["exported_at"]
    write_doc(folder, copy_new, doc, mtime=1_770_000_000)
    stale = json.loads(json.dumps(doc))
    for item_id, kind in applicable(ds, rows[1]):
        stale["answers"][item_id]["result"] = RESULTS[kind][0]
    write_doc(folder, copy_old, stale, mtime=1_760_000_000)
    names["duplicate_mtime"] = copy_old

    old = known_doc(2, rows[2], ds)
    old["data_version"] = "0.9.0"
    names["retired_id"] = retired_item_id(ds)
    names["unknown_id"] = "CK-GONE-99"
    old["answers"][names["retired_id"]] = {"result": "未达标", "note": "停用项的答案", "evidence": ""}
    old["answers"][names["unknown_id"]] = {"result": "基本达标", "note": "未知项的答案", "evidence": ""}
    names["old_version"] = file_name(rows[2])
    write_doc(folder, names["old_version"], old)

    extra = known_doc(3, rows[3], ds)
    names["not_applicable_id"] = non_applicable_id(ds, rows[3])
    extra["answers"][names["not_applicable_id"]] = {"result": "未达标", "note": "不适用项的答案", "evidence": ""}
    names["not_applicable"] = file_name(rows[3])
    write_doc(folder, names["not_applicable"], extra)
    return names
