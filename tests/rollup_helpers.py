"""Answers files with KNOWN results for the bundled demo roster, and bad files of every kind.

School i (0-based roster position) answers its j-th applicable item (0-based, checklist order) with
`known_result(i, j)`: RESULTS[(i + j) % 4], except that some are left blank. The tests compute what
the roll-up must show from this rule alone, never from the roll-up's own aggregation.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from macros.batch import RosterRow, read_roster
from macros.checklist import ANSWERS_FORMAT, select
from macros.model import Dataset, load_dataset
from macros.vocab import RESULTS

ROOT = Path(__file__).resolve().parent.parent
DEMO_ROSTER = ROOT / "data" / "schools" / "demo.yaml"
MISSING = frozenset({5, 17})  # roster positions that do not submit
EXPORTED_AT = "2026-03-0{day}T08:00:00.000Z"


def load() -> tuple[Dataset, list[RosterRow]]:
    ds = load_dataset(ROOT)
    roster = read_roster(DEMO_ROSTER, ds)
    assert not roster.problems and not roster.fatal, roster.problems
    return ds, roster.rows


def known_result(i: int, j: int) -> str:
    """"" (blank) for about one answer in seven; otherwise cycles through the four results."""
    if (3 * i + j) % 7 == 6:
        return ""
    return RESULTS[(i + j) % 4]


def known_note(i: int, j: int) -> str:
    return f"第{i}校第{j}项：存在问题，已制定整改措施" if known_result(i, j) in ("未达标", "基本达标") else ""


def known_evidence(i: int, j: int) -> str:
    return f"佐证{i}-{j}" if known_result(i, j) else ""


def applicable_ids(ds: Dataset, row: RosterRow) -> list[str]:
    return [s.item.id for s in select(ds, row.profile)]


def school_block(i: int, row: RosterRow, ds: Dataset) -> dict[str, Any]:
    """Even schools carry their roster ID; odd ones only name + district (some by district name)."""
    p = row.profile
    school: dict[str, Any] = {"name": p.name, "org_type": p.org_type, "mode": p.mode, "stage": p.stage,
                              "ownership": p.ownership}
    if i % 2 == 0:
        school["id"] = p.school_id
        school["district"] = p.district
    elif i % 4 == 1:
        school["district"] = next((d.name for d in ds.districts if d.id == p.district), p.district)
    else:
        school["district"] = p.district
    return school


def known_doc(i: int, row: RosterRow, ds: Dataset, *, day: int = 5) -> dict[str, Any]:
    answers = {item_id: {"result": known_result(i, j), "note": known_note(i, j), "evidence": known_evidence(i, j)}
               for j, item_id in enumerate(applicable_ids(ds, row))}
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
# Bad inputs: each returns the file name(s) that must be reported


def retired_item_id() -> str:
    """A retired checklist item, read straight from data/checklist.yaml (status: retired)."""
    import yaml

    items = yaml.safe_load((ROOT / "data" / "checklist.yaml").read_text(encoding="utf-8"))["checklist"]
    return next(i["id"] for i in items if i.get("status") == "retired")


def non_applicable_id(ds: Dataset, row: RosterRow) -> str:
    applicable = set(applicable_ids(ds, row))
    return next(i.id for i in ds.checklist if i.active and i.id not in applicable)


def write_bad_inputs(folder: Path, ds: Dataset, rows: list[RosterRow]) -> dict[str, str]:
    """Add one file per kind of bad input to a folder of known answers; returns kind → file name.

    * not JSON; fails the schema; a school not on the roster; a stray text file;
    * school 0 also sent an OLDER export (exported_at earlier) with every answer 未达标;
    * school 1 sent two copies without exported_at: the one with the older mtime loses;
    * school 2's file is from data version 0.9.0 and answers a retired item and an unknown ID;
    * school 3's file answers an item that does not apply to its roster profile.
    """
    names: dict[str, str] = {}
    names["not_json"] = "坏文件.json"
    (folder / names["not_json"]).write_text('{"format": "dzzld-answers/1", "answers": ', encoding="utf-8")
    names["schema"] = "格式错误.json"
    bad = known_doc(4, rows[4], ds)
    first = next(iter(bad["answers"]))
    bad["answers"][first]["result"] = "优秀"
    write_doc(folder, names["schema"], bad)
    names["not_on_roster"] = "陌生学校-自查-2026-03-05.json"
    stranger = known_doc(6, rows[6], ds)
    stranger["school"] = {"name": "花名册外示例学校（虚构）", "district": "DS-QJ", "org_type": "党委", "mode": "分设"}
    write_doc(folder, names["not_on_roster"], stranger)
    names["other_file"] = "说明.txt"
    (folder / names["other_file"]).write_text("这不是答案文件\n", encoding="utf-8")

    names["duplicate"] = "旧版-" + file_name(rows[0])
    older = known_doc(0, rows[0], ds, day=1)
    for a in older["answers"].values():
        a["result"], a["note"] = "未达标", "旧文件的答案"
    write_doc(folder, names["duplicate"], older)

    copy_new, copy_old = file_name(rows[1]), file_name(rows[1], "-副本")
    doc = known_doc(1, rows[1], ds)
    del doc["exported_at"]
    write_doc(folder, copy_new, doc, mtime=1_770_000_000)
    stale = json.loads(json.dumps(doc))
    for a in stale["answers"].values():
        a["result"] = "达标"
    write_doc(folder, copy_old, stale, mtime=1_760_000_000)
    names["duplicate_mtime"] = copy_old

    old = known_doc(2, rows[2], ds)
    old["data_version"] = "0.9.0"
    names["retired_id"] = retired_item_id()
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
