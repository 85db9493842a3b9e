"""Profile → applicable checklist items; answers files; migration between data versions.

Pure functions over the typed `Dataset`: the site, the batch command and the roll-up all use them.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator

from .model import CheckItem, Dataset, School
from .vocab import MODES, ORG_TYPES, OWNERSHIPS, RESULTS, STAGES, UNKNOWN

ANSWERS_FORMAT = "dzzld-answers/1"
PROFILE_KEYS = ("org_type", "mode", "stage", "ownership", "district")
OTHER_DISTRICT = "OTHER"

Fit = Literal["yes", "maybe", "no"]


@dataclass(frozen=True)
class Profile:
    """A school's profile; any field may be 未知 (unknown), which widens the checklist."""

    name: str = ""
    district: str = UNKNOWN  # a DS- id, OTHER, or 未知
    org_type: str = UNKNOWN
    mode: str = UNKNOWN
    stage: str = UNKNOWN
    ownership: str = UNKNOWN
    school_id: str = ""

    @classmethod
    def from_school(cls, school: School) -> Profile:
        return cls(school.name, school.district, school.org_type, school.mode, school.stage, school.ownership,
                   school.id)

    def problems(self, dataset: Dataset) -> list[str]:
        """What is wrong with a profile's values (for profiles typed by users or read from CSV)."""
        out = []
        allowed = {"org_type": ORG_TYPES, "mode": MODES, "stage": STAGES, "ownership": OWNERSHIPS}
        labels = {"org_type": "党组织类型", "mode": "书记校长配备", "stage": "学段", "ownership": "办学性质"}
        for key, values in allowed.items():
            v = getattr(self, key)
            if v != UNKNOWN and v not in values:
                out.append(f"{labels[key]}“{v}”不在允许范围内（可选：{'、'.join(values)}）")
        districts = {d.id for d in dataset.districts}
        if self.district not in (UNKNOWN, OTHER_DISTRICT) and self.district not in districts:
            out.append(f"所属地区“{self.district}”未知")
        return out


def fit(item: CheckItem, profile: Profile) -> Fit:
    """Does an item apply? 'maybe' when the profile leaves a deciding field unknown."""
    result: Fit = "yes"
    for key in PROFILE_KEYS:
        allowed = getattr(item.applies, key)
        if not allowed:
            continue
        value = getattr(profile, key)
        if value == UNKNOWN:
            result = "maybe"
        elif value not in allowed:
            return "no"
    return result


@dataclass(frozen=True)
class Selected:
    item: CheckItem
    certain: bool  # False: applies only if an unknown profile field turns out to match
    number: int = 0


def select(dataset: Dataset, profile: Profile) -> list[Selected]:
    """The items for a profile, in dimension order, numbered 1..n (序号)."""
    out = []
    for item in dataset.active_checklist():
        f = fit(item, profile)
        if f != "no":
            out.append(Selected(item, f == "yes"))
    return [replace(s, number=i) for i, s in enumerate(out, start=1)]


def by_dimension(dataset: Dataset, selected: list[Selected]) -> OrderedDict[str, list[Selected]]:
    groups: OrderedDict[str, list[Selected]] = OrderedDict((d.key, []) for d in dataset.dimensions)
    for s in selected:
        groups.setdefault(s.item.dimension, []).append(s)
    return OrderedDict((k, v) for k, v in groups.items() if v)


# ----------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class Answer:
    result: str = ""  # one of RESULTS, or "" when not yet answered
    note: str = ""
    evidence: str = ""


@dataclass(frozen=True)
class Answers:
    """A school's answers file (the JSON the checklist page exports)."""

    data_version: str
    school: dict[str, str]
    answers: dict[str, Answer]
    exported_at: str = ""

    def to_json(self) -> str:
        doc = {"format": ANSWERS_FORMAT, "data_version": self.data_version, "exported_at": self.exported_at,
               "school": self.school,
               "answers": {k: {"result": a.result, "note": a.note, "evidence": a.evidence}
                           for k, a in sorted(self.answers.items())}}
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


@dataclass(frozen=True)
class Migration:
    """How an answers file fits the current data: kept, retired, unknown and new items."""

    kept: dict[str, Answer]
    retired: dict[str, Answer]  # answered items that are retired now
    unknown: dict[str, Answer]  # IDs the data has never had
    new: list[str]  # applicable items the file has no answer for
    replaced_by: dict[str, str] = field(default_factory=dict)


class AnswersError(ValueError):
    """An answers file that cannot be used, with a message for the user."""


def answers_validator(schema_dir: Path) -> Draft202012Validator:
    schema = json.loads((schema_dir / "answers.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def parse_answers(text: str, validator: Draft202012Validator) -> Answers:
    """Read and schema-check an answers JSON document; raise AnswersError with a plain message."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswersError(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from None
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/".join(str(p) for p in e.absolute_path) or "(根)"
        raise AnswersError(f"不符合答案文件格式（{where}：{e.message}）")
    answers = {k: Answer(v.get("result", ""), v.get("note", ""), v.get("evidence", "")) for k, v in doc["answers"].items()}
    return Answers(doc["data_version"], dict(doc["school"]), answers, doc.get("exported_at", ""))


def migrate(dataset: Dataset, answers: Answers, profile: Profile) -> Migration:
    """Match answers by item ID against the current data; nothing is dropped silently."""
    current = {i.id: i for i in dataset.checklist}
    applicable = [s.item.id for s in select(dataset, profile)]
    kept, retired, unknown, replaced = {}, {}, {}, {}
    for item_id, ans in answers.answers.items():
        item = current.get(item_id)
        if item is None:
            unknown[item_id] = ans
        elif not item.active:
            retired[item_id] = ans
            if item.retired and item.retired.replaced_by:
                replaced[item_id] = item.retired.replaced_by
        else:
            kept[item_id] = ans
    new = [i for i in applicable if i not in answers.answers]
    return Migration(kept, retired, unknown, new, replaced)


def profile_from_answers(answers: Answers) -> Profile:
    s = answers.school
    return Profile(s.get("name", ""), s.get("district", UNKNOWN) or UNKNOWN, s.get("org_type", UNKNOWN),
                   s.get("mode", UNKNOWN), s.get("stage", UNKNOWN), s.get("ownership", UNKNOWN), s.get("id", ""))


def school_dict(profile: Profile) -> dict[str, str]:
    d = {"name": profile.name, "district": profile.district, "org_type": profile.org_type, "mode": profile.mode,
         "stage": profile.stage, "ownership": profile.ownership}
    if profile.school_id:
        d["id"] = profile.school_id
    return d


def blank_answers(dataset: Dataset, profile: Profile) -> Answers:
    return Answers(dataset.data_version, school_dict(profile),
                   {s.item.id: Answer() for s in select(dataset, profile)},
                   datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


def summary(selected: list[Selected], answers: dict[str, Answer]) -> dict[str, Any]:
    """Counts per result, per dimension, and unanswered — the same numbers the page shows live."""
    counts = Counter({r: 0 for r in RESULTS})
    per_dim: dict[str, Counter[str]] = {}
    unanswered = 0
    for s in selected:
        a = answers.get(s.item.id)
        dim = per_dim.setdefault(s.item.dimension, Counter({r: 0 for r in RESULTS}))
        if a and a.result in RESULTS:
            counts[a.result] += 1
            dim[a.result] += 1
        else:
            unanswered += 1
    return {"counts": dict(counts), "per_dimension": {k: dict(v) for k, v in per_dim.items()}, "unanswered": unanswered,
            "total": len(selected)}


CSV_HEADERS = ("序号", "编号", "维度", "检查项目", "检查内容", "依据", "佐证材料", "自评结果", "存在问题及整改措施", "佐证材料说明")


def answers_csv(dataset: Dataset, selected: list[Selected], answers: dict[str, Answer]) -> bytes:
    """CSV that Excel opens correctly: UTF-8 with BOM, CRLF, Chinese headers."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADERS)
    for s in selected:
        a = answers.get(s.item.id, Answer())
        w.writerow([s.number, s.item.id, dataset.dimension(s.item.dimension).name, s.item.title, s.item.check,
                    "；".join(s.item.basis), "；".join(dataset.get(e).name for e in s.item.evidence),  # type: ignore[attr-defined]
                    a.result, a.note, a.evidence])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
