"""Scores, grades and vetoes: the one place the project computes them (the page's script implements
the same specification from the same JSON, and tests run both).

Only 规定项 earn points; 参考项 never do. For each 规定项 with `points` (from the profile):

* 达标 earns all of them; 未达标 none; 基本达标 the self-score the school entered (strictly between),
  else `partial_share` of them. An item with a deduction rule (发现一次扣 n 分，扣完为止) earns
  points − min(cap, count × per) when the school gives the count, and its result must agree.
* 不适用 with a written reason takes the item out of the possible total; without a reason it is not
  a 不适用 yet and counts as unanswered (等保: 须书面说明依据).
* Unanswered items earn nothing and stay in the possible total.

The score is scaled to the profile's total (百分制), the grade is the highest band the score
reaches, and a veto (一票否决) hit fails the school or caps its grade. Every point lost is listed
with what it was lost for. A reviewer's score (复核分) per item gives a second total beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .checklist import Answer, Selected
from .scope import RULE
from .scoring_profile import ScoringProfile, Veto

SCORED, NOT_APPLICABLE, UNANSWERED, NA_WITHOUT_REASON = "scored", "na", "unanswered", "na_no_reason"


@dataclass(frozen=True)
class ItemScore:
    item: str
    points: float  # possible points (0 when 不适用 with a reason)
    earned: float
    status: str
    lost_for: str  # why points were lost ("" when none)
    review: float | None = None  # the reviewer's score, when given
    problem: str = ""  # an answer that does not agree with its score or count


@dataclass(frozen=True)
class Score:
    profile: ScoringProfile
    items: tuple[ItemScore, ...]
    possible: float
    earned: float
    scaled: float | None  # earned / possible × total, rounded to 0.1
    grade: str | None
    vetoes: tuple[Veto, ...]
    review_scaled: float | None = None  # the same with the reviewer's scores where given
    review_grade: str | None = None

    @property
    def lost(self) -> tuple[ItemScore, ...]:
        return tuple(i for i in self.items if i.earned < i.points)

    @property
    def problems(self) -> tuple[ItemScore, ...]:
        return tuple(i for i in self.items if i.problem)


def _round(x: float) -> float:
    return round(x + 0.0, 1)


def item_score(profile: ScoringProfile, item_id: str, answer: Answer | None) -> ItemScore:
    """The score of one 规定项 under a profile, from its answer."""
    spec = profile.points(item_id)
    points = spec.points
    a = answer or Answer()
    result = a.result
    if result == "不适用":
        if a.na_reason.strip():
            return ItemScore(item_id, 0.0, 0.0, NOT_APPLICABLE, "")
        return ItemScore(item_id, points, 0.0, NA_WITHOUT_REASON, "选“不适用”但未写明理由", a.review_score,
                         "不适用须写明理由，未写明前按未填计")
    if result not in ("达标", "基本达标", "未达标"):
        return ItemScore(item_id, points, 0.0, UNANSWERED, "未填" if points else "", a.review_score)
    problem = ""
    deduct = spec.deduct
    if deduct is not None and a.count is not None:
        lost = min(deduct.cap if deduct.cap is not None else points, a.count * deduct.per, points)
        earned = points - lost
        agrees = {"达标": earned == points, "未达标": earned == 0, "基本达标": 0 < earned < points}[result]
        if not agrees:
            problem = f"按发现 {a.count} 次计为 {_round(earned)} 分，与自评结果“{result}”不一致"
        reason = f"{deduct.what}：{a.count} 次 × {deduct.per:g} 分" if lost else ""
        return ItemScore(item_id, points, _round(earned), SCORED, reason, a.review_score, problem)
    if result == "达标":
        earned = points
        if a.score is not None and a.score != points:
            problem = f"自评分 {a.score:g} 与“达标”（{points:g} 分）不一致"
    elif result == "未达标":
        earned = 0.0
        if a.score:
            problem = f"自评分 {a.score:g} 与“未达标”（0 分）不一致"
    else:
        default = _round(points * profile.partial_share)
        if a.score is None:
            earned = default
        elif 0 < a.score < points:
            earned = a.score
        else:
            earned = default
            problem = f"“基本达标”的自评分应大于 0、小于 {points:g}（按 {default:g} 分计）"
    return ItemScore(item_id, points, _round(earned), SCORED, "" if earned == points else result, a.review_score, problem)


def grade_of(profile: ScoringProfile, scaled: float | None, vetoes: Sequence[Veto]) -> str | None:
    if scaled is None:
        return None
    names = [g.name for g in profile.grades]  # highest first
    grade = next((g.name for g in profile.grades if scaled >= g.min), names[-1])
    for v in vetoes:
        if v.effect == "fail":
            grade = names[-1]
        elif v.grade in names and names.index(grade) < names.index(v.grade):
            grade = v.grade
    return grade


def _scaled(profile: ScoringProfile, earned: float, possible: float) -> float | None:
    return _round(earned / possible * profile.total) if possible else None


def score(profile: ScoringProfile, selected: Sequence[Selected], answers: Mapping[str, Answer]) -> Score:
    """Score a school's answers: `selected` are its items (with their kinds under this profile)."""
    rules = [s for s in selected if s.kind.kind == RULE]
    items = tuple(item_score(profile, s.item.id, answers.get(s.item.id)) for s in rules)
    possible = sum(i.points for i in items)
    earned = _round(sum(i.earned for i in items))
    rule_ids = {s.item.id for s in rules}
    hit = tuple(v for v in profile.vetoes
                if v.item in rule_ids and answers.get(v.item) is not None and answers[v.item].result in v.results)
    scaled = _scaled(profile, earned, possible)
    review_scaled = review_grade = None
    if any(i.review is not None for i in items):
        reviewed = sum(min(max(i.review, 0), i.points) if i.review is not None else i.earned for i in items)
        review_scaled = _scaled(profile, reviewed, possible)
        review_grade = grade_of(profile, review_scaled, hit)
    return Score(profile, items, possible, earned, scaled, grade_of(profile, scaled, hit), hit, review_scaled,
                 review_grade)
