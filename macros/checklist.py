"""Profile → applicable checklist items, each a 规定项 or 参考项; answers files; migration; summary; CSV.

Pure functions over the typed `Dataset`: the site, the batch command and the roll-up all use them.
The checklist page's script implements the same rules from the same data: `spec` is the JSON the
page receives, and tests/test_checklist_parity.py runs both implementations side by side.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator, ValidationError, validators

from .model import CheckItem, Dataset, School
from .scope import REFERENCE, RULE, Kind, item_binding, item_kind, school_sources
from .scoring_profile import ScoringProfile
from .validate import inline_refs
from .vocab import OTHER_DISTRICT, OTHER_DISTRICT_LABEL, PROFILE_KEYS, PROFILE_LABELS, UNKNOWN
from .workbook import FORMULA_START

ANSWERS_FORMAT = "dzzld-answers/1"
UNANSWERED = "未填"

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
    scoring: str = ""  # the scoring profile's ID; "" → the district's default (Dataset.default_profile)

    @classmethod
    def from_school(cls, school: School) -> Profile:
        return cls(school.name, school.district, school.org_type, school.mode, school.stage, school.ownership,
                   school.id)

    def problems(self, dataset: Dataset) -> list[str]:
        """What is wrong with a profile's values (for profiles typed by users or read from a roster)."""
        out = []
        for key in ("org_type", "mode", "stage", "ownership"):
            v, values = getattr(self, key), dataset.vocab.choices(key)
            if v != UNKNOWN and v not in values:
                out.append(f"{PROFILE_LABELS[key]}“{v}”不在允许范围内（可选：{'、'.join(values)}）")
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
    kind: Kind = Kind(RULE)


def scoring_profile(dataset: Dataset, profile: Profile) -> ScoringProfile | None:
    """The scoring profile a school uses: the one it names, else its district's default."""
    if profile.scoring:
        return dataset.profile(profile.scoring)
    return dataset.default_profile(profile.district)


def select(dataset: Dataset, profile: Profile) -> list[Selected]:
    """The items for a profile, each with its kind, numbered 1..n (序号) in the order the checklist
    shows them: 规定项 first, then 参考项, each in dimension and item order."""
    scoring = scoring_profile(dataset, profile)
    extra = scoring.binding_sources if scoring else ()
    bound = school_sources(dataset, profile.district, extra)
    found = []
    for item in dataset.active_checklist():
        f = fit(item, profile)
        if f != "no":
            found.append((item, f == "yes", item_kind(dataset, item, profile.district, extra, bound)))
    ordered = [x for x in found if x[2].kind == RULE] + [x for x in found if x[2].kind != RULE]
    return [Selected(item, certain, n, kind) for n, (item, certain, kind) in enumerate(ordered, start=1)]


def by_dimension(dataset: Dataset, selected: list[Selected]) -> OrderedDict[str, list[Selected]]:
    groups: OrderedDict[str, list[Selected]] = OrderedDict((d.key, []) for d in dataset.dimensions)
    for s in selected:
        groups[s.item.dimension].append(s)
    return OrderedDict((k, v) for k, v in groups.items() if v)


def results_for(dataset: Dataset, kind: str) -> tuple[str, ...]:
    """The answers an item of this kind takes."""
    return dataset.vocab.rule_results if kind == RULE else dataset.vocab.reference_results


# ----------------------------------------------------------------------------------------------
# Answers


@dataclass(frozen=True)
class Answer:
    result: str = ""  # a result of the item's kind, or "" when not yet answered
    note: str = ""
    evidence: str = ""
    na_reason: str = ""  # why 不适用: required before 不适用 counts
    count: int | None = None  # occurrences, for items scored by deduction (发现 n 次)
    score: float | None = None  # the school's own score (自评分)
    review_score: float | None = None  # the reviewer's score (复核分)
    review_note: str = ""  # 复核意见

    @property
    def has_content(self) -> bool:
        return bool(self.result or self.note or self.evidence or self.na_reason or self.review_note
                    or self.score is not None or self.review_score is not None or self.count is not None)

    @property
    def counted_result(self) -> str:
        """The result as it counts: 不适用 without a written reason is not a 不适用 yet."""
        if self.result == "不适用" and not self.na_reason.strip():
            return ""
        return self.result


ANSWER_FIELDS = ("result", "note", "evidence", "na_reason", "count", "score", "review_score", "review_note")


def answer_from(doc: Mapping[str, Any]) -> Answer:
    return Answer(**{k: doc[k] for k in ANSWER_FIELDS if k in doc})


@dataclass(frozen=True)
class Answers:
    """A school's answers file (the JSON the checklist page exports)."""

    data_version: str
    school: Mapping[str, str]
    answers: Mapping[str, Answer]
    exported_at: str = ""


class AnswersError(ValueError):
    """An answers file that cannot be used, with a message for the user."""


def answers_schema(schema_dir: Path) -> dict[str, Any]:
    """The answers schema with its references resolved: what Python and the page both check against."""
    return inline_refs(schema_dir, "answers")


@cache
def _ecma_pattern(pattern: str) -> re.Pattern[str]:
    """A JSON Schema `pattern` (ECMA-262, as the page's script runs it) for Python's `re`: `$` only at the
    very end (Python's `$` also matches before a final newline) and `\\d` only ASCII digits."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        in_class = (in_class or c == "[") and c != "]"
        out.append(r"\Z" if c == "$" and not in_class else c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    if validator.is_type(instance, "string") and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# The answers schema checked as the page checks it: "1.0.0\n" or "１.0.0" is no data version in either.
_AnswersValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def answers_validator(schema_dir: Path) -> Draft202012Validator:
    return _AnswersValidator(answers_schema(schema_dir))


def schema_error_text(error: Any) -> str:
    """One answers-schema error in plain Chinese, naming where it is."""
    where = "/".join(str(p) for p in error.absolute_path) or "(根)"
    v, inst, sch = error.validator, error.instance, error.schema
    if v == "required":
        what = f"缺少必填字段（{'、'.join(k for k in sch['required'] if k not in inst)}）"
    elif v == "additionalProperties":
        extra = sorted(set(inst) - set(sch.get("properties", {})))
        what = f"多出未知字段（{'、'.join(map(str, extra))}）"
    elif v in ("enum", "const", "anyOf"):
        what = f"取值“{inst}”不在允许范围内"
    elif v == "type":
        what = "类型不对"
    elif v == "maxLength":
        what = f"太长（上限 {sch['maxLength']} 字）"
    elif v == "minLength":
        what = "不能为空"
    elif v == "maxProperties":
        what = f"条目太多（上限 {sch['maxProperties']}）"
    elif v in ("pattern", "propertyNames"):
        what = f"“{inst}”格式不对"
    else:
        what = "不符合格式"
    return f"{where}：{what}"


def parse_answers(text: str, validator: Draft202012Validator) -> Answers:
    """Read and schema-check an answers JSON document; raise AnswersError with a plain message."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswersError(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from None
    except RecursionError:
        raise AnswersError("JSON 嵌套层级过深") from None
    errors = sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise AnswersError(f"不符合答案文件格式（{schema_error_text(errors[0])}）")
    answers = {k: answer_from(v) for k, v in doc["answers"].items()}
    return Answers(doc["data_version"], dict(doc["school"]), answers, doc.get("exported_at", ""))


@dataclass(frozen=True)
class Migration:
    """How an answers file fits the current data: kept, retired, unknown and new items."""

    kept: dict[str, Answer]
    retired: dict[str, Answer]  # answered items that are retired now
    unknown: dict[str, Answer]  # IDs the data has never had
    new: list[str]  # applicable items the file has no answer for
    replaced_by: dict[str, str] = field(default_factory=dict)
    other_kind: dict[str, Answer] = field(default_factory=dict)  # a result of the item's other kind (kept, not counted)


def migrate(dataset: Dataset, answers: Answers, profile: Profile) -> Migration:
    """Match answers by item ID against the current data; nothing is dropped silently.

    An item may have changed kind since the file was written (e.g. a 规定项 that became a 参考项):
    its earlier answer is kept in `other_kind`, shown to the user and not counted.
    """
    current = {i.id: i for i in dataset.checklist}
    selected = {s.item.id: s for s in select(dataset, profile)}
    kept, retired, unknown, replaced, other = {}, {}, {}, {}, {}
    for item_id, ans in answers.answers.items():
        item = current.get(item_id)
        if item is None:
            unknown[item_id] = ans
        elif not item.active:
            retired[item_id] = ans
            if item.retired and item.retired.replaced_by:
                replaced[item_id] = item.retired.replaced_by
        else:
            s = selected.get(item_id)
            if s is not None:
                kind = s.kind.kind
            else:
                scoring = scoring_profile(dataset, profile)
                kind = item_kind(dataset, item, profile.district, scoring.binding_sources if scoring else ()).kind
            if ans.result and ans.result not in results_for(dataset, kind):
                other[item_id] = ans
                ans = replace(ans, result="")
            kept[item_id] = ans
    new = [i for i in selected if i not in answers.answers]
    return Migration(kept, retired, unknown, new, replaced, other)


def summary(dataset: Dataset, selected: list[Selected], answers: Mapping[str, Answer]) -> dict[str, Any]:
    """Counts per kind and result, per dimension, and unanswered — the numbers the page shows live.

    A result that does not belong to the item's kind counts as unanswered, and so does 不适用 without
    a written reason. The 达标率 covers 规定项 only: 达标 among the 规定项 that apply (不适用 excluded).
    """
    def blank(kind: str) -> dict[str, Any]:
        return {"total": 0, "counts": {r: 0 for r in results_for(dataset, kind)}, UNANSWERED: 0}

    out: dict[str, Any] = {"total": len(selected), RULE: blank(RULE), REFERENCE: blank(REFERENCE), "per_dimension": {}}
    for s in selected:
        kind = s.kind.kind
        dim = out["per_dimension"].setdefault(s.item.dimension, {RULE: blank(RULE), REFERENCE: blank(REFERENCE)})
        a = answers.get(s.item.id)
        result = a.counted_result if a is not None else ""
        for bucket in (out[kind], dim[kind]):
            bucket["total"] += 1
            if result in bucket["counts"]:
                bucket["counts"][result] += 1
            else:
                bucket[UNANSWERED] += 1
    rule = out[RULE]
    counted = rule["total"] - rule["counts"].get("不适用", 0)
    out["compliance"] = rule["counts"].get("达标", 0) / counted if counted else None
    return out


def csv_headers() -> tuple[str, ...]:
    return ("学校编号", "学校名称", "序号", "编号", "类别", "维度", "检查项目", "检查内容", "依据", "佐证材料", "自评结果",
            "不适用理由", "分值", "自评分", "复核分", "复核意见", "存在问题及整改措施", "佐证材料说明")


# ----------------------------------------------------------------------------------------------
# The specification the checklist page receives


def district_names(dataset: Dataset) -> dict[str, str]:
    """District ID → name, with 其他地区 and 未知 (for pages, workbooks and reports)."""
    return {d.id: d.name for d in dataset.districts} | {OTHER_DISTRICT: OTHER_DISTRICT_LABEL, UNKNOWN: UNKNOWN}


def spec(dataset: Dataset) -> dict[str, Any]:
    """Everything the page's script needs to apply the same rules as this module, as JSON.

    Vocabularies and labels, the applicability and kind of every item, the sources binding each
    district, the answers schema itself, CSV headers and retired items. Nothing in the script is a
    hand-made copy of data or schema.
    """
    v = dataset.vocab
    items = {}
    for item in dataset.active_checklist():
        binding = item_binding(dataset, item)
        items[item.id] = {
            "dimension": item.dimension,
            "applies": {k: list(getattr(item.applies, k)) for k in PROFILE_KEYS if getattr(item.applies, k)},
            "binding": list(binding.cited),  # 规定项 where one of these binds the school (district or profile)
            "binds_somewhere": bool(binding.sources),  # else no unknown district could make it a 规定项
        }
    districts = [d.id for d in dataset.districts] + [OTHER_DISTRICT, UNKNOWN]
    defaults = {d: p.id for d in districts if (p := dataset.default_profile(d)) is not None}
    return {
        "format": ANSWERS_FORMAT,
        "data_version": dataset.data_version,
        "unknown": UNKNOWN,
        "other_district": OTHER_DISTRICT,
        "profile_keys": list(PROFILE_KEYS),
        "profile_labels": dict(PROFILE_LABELS),
        "choices": {k: list(v.choices(k)) for k in ("org_type", "mode", "stage", "ownership")},
        "districts": district_names(dataset),
        "district_sources": {d: sorted(school_sources(dataset, d)) for d in districts},
        "kinds": {"rule": RULE, "reference": REFERENCE},
        "results": {RULE: list(v.rule_results), REFERENCE: list(v.reference_results)},
        "unanswered": UNANSWERED,
        "dimensions": {d.key: d.name for d in dataset.dimensions},
        "items": items,
        "order": [i.id for i in dataset.active_checklist()],
        "retired": {i.id: {"title": i.title, "replaced_by": i.retired.replaced_by if i.retired else ""}
                    for i in dataset.checklist if not i.active},
        "csv_headers": list(csv_headers()),
        "formula_start": list(FORMULA_START),  # a CSV cell starting with one of these gets an apostrophe
        "answers_schema": answers_schema(dataset.schema_dir),
        "profiles": {p.id: profile_spec(p) for p in dataset.profiles},
        "default_profiles": defaults,
    }


def profile_spec(p: ScoringProfile) -> dict[str, Any]:
    """A scoring profile as the page's script reads it (see macros/scoring.py for the rules)."""
    return {
        "id": p.id, "name": p.name, "version": p.version, "example": p.example, "note": p.note, "total": p.total,
        "partial_share": p.partial_share, "default_points": p.default_points,
        "binding_sources": list(p.binding_sources),
        "grades": [{"name": g.name, "min": g.min} for g in p.grades],
        "items": {i.item: {"points": i.points, **({"deduct": {"per": i.deduct.per, "what": i.deduct.what,
                                                               "cap": i.deduct.cap}} if i.deduct else {})}
                  for i in p.items},
        "vetoes": [{"id": v.id, "item": v.item, "results": list(v.results), "effect": v.effect, "grade": v.grade,
                    "label": v.label} for v in p.vetoes],
    }
