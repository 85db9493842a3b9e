"""Scores, grades and vetoes (macros/scoring.py) against an independent oracle written here.

The oracle applies the documented rule in a few lines; random answers on the real checklist, under
the bundled national profile and under a profile made here with deductions and vetoes, must score
the same. Edge cases (grade boundaries, 不适用 without a reason, inconsistent self-scores) one by one.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from macros.checklist import Answer, Profile, select, summary
from macros.model import Origin, load_dataset
from macros.scope import RULE
from macros.scoring import NA_WITHOUT_REASON, NOT_APPLICABLE, UNANSWERED, item_score, score
from macros.scoring_profile import Deduct, Grade, ItemPoints, ScoringProfile, Veto

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ds():
    return load_dataset(ROOT)


def make_profile(**changes) -> ScoringProfile:
    base = ScoringProfile(
        id="PF-TEST", origin=Origin("test", 1), name="测试", issuer="测试", version="1.0.0", example=True, note="测试",
        total=100, partial_share=0.5, default_points=4,
        grades=(Grade("优", 90), Grade("良", 80), Grade("合格", 60), Grade("不合格", 0)))
    return replace(base, **changes)


def oracle(profile: ScoringProfile, rule_ids: list[str], answers: dict[str, Answer]) -> tuple[float | None, str | None]:
    """The rule, restated: points per 规定项; 达标 all, 未达标 none, 基本达标 the self-score in (0, p) else p·share;
    a deduction item with a count loses min(cap, count·per); 不适用 with a reason leaves the total; a blank or a
    不适用 without a reason earns nothing. Scaled to the total, rounded to 0.1; the highest band reached; a fail veto
    → the lowest band; a cap veto → at most that band."""
    possible = earned = 0.0
    for i in rule_ids:
        spec = next((x for x in profile.items if x.item == i), ItemPoints(i, profile.default_points))
        a = answers.get(i, Answer())
        if a.result == "不适用" and a.na_reason.strip():
            continue
        possible += spec.points
        if spec.deduct and a.count is not None and a.result in ("达标", "基本达标", "未达标"):
            cap = spec.deduct.cap if spec.deduct.cap is not None else spec.points
            earned += spec.points - min(cap, a.count * spec.deduct.per, spec.points)
        elif a.result == "达标":
            earned += spec.points
        elif a.result == "基本达标":
            ok = a.score is not None and 0 < a.score < spec.points
            earned += a.score if ok else round(spec.points * profile.partial_share, 1)
    if not possible:
        return None, None
    scaled = round(round(earned, 1) / possible * profile.total, 1)
    names = [g.name for g in profile.grades]
    grade = next((g.name for g in profile.grades if scaled >= g.min), names[-1])
    for v in profile.vetoes:
        if v.item in rule_ids and answers.get(v.item, Answer()).result in v.results:
            if v.effect == "fail":
                grade = names[-1]
            elif names.index(grade) < names.index(v.grade):
                grade = v.grade
    return scaled, grade


def random_answers(rng: random.Random, ids: list[str]) -> dict[str, Answer]:
    out = {}
    for i in ids:
        result = rng.choice(["达标", "基本达标", "未达标", "不适用", ""])
        out[i] = Answer(result, na_reason=rng.choice(["", "本校无此情形"]) if result == "不适用" else "",
                        score=rng.choice([None, 0.5, 1.0, 2.0, 9.0]) if result == "基本达标" else None,
                        count=rng.choice([None, 0, 1, 3]) if rng.random() < 0.3 else None)
    return out


@pytest.mark.parametrize("seed", range(30))
def test_random_answers_score_as_the_oracle_says(ds, seed: int) -> None:
    rng = random.Random(seed)
    items = [i.id for i in ds.active_checklist()]
    deduct_item, veto_fail, veto_cap = rng.sample(items, 3)
    profile = make_profile(
        items=(ItemPoints(deduct_item, 6, "", Deduct(2, "发现一次扣 2 分", 4)),
               *(ItemPoints(i, rng.choice([1, 2, 3, 5])) for i in rng.sample(items, 10) if i != deduct_item)),
        vetoes=(Veto("V1", veto_fail, ("未达标",), "fail", "否决一"), Veto("V2", veto_cap, ("未达标", "基本达标"), "cap", "否决二", "合格")))
    school = Profile("某校", rng.choice(["DS-QJ", "OTHER", "未知"]), rng.choice(ds.vocab.org_types),
                     rng.choice(ds.vocab.modes), rng.choice(ds.vocab.stages), rng.choice(ds.vocab.ownerships), "S1")
    selected = select(ds, school)
    rule_ids = [s.item.id for s in selected if s.kind.kind == RULE]
    answers = random_answers(rng, [s.item.id for s in selected])
    got = score(profile, selected, answers)
    want_scaled, want_grade = oracle(profile, rule_ids, answers)
    assert (got.scaled, got.grade) == (want_scaled, want_grade)
    assert {v.id for v in got.vetoes} == {v.id for v in profile.vetoes
                                          if v.item in rule_ids and answers[v.item].result in v.results}


def test_only_rule_items_earn_points(ds) -> None:
    selected = select(ds, Profile(district="OTHER", org_type="党支部", mode="一肩挑"))
    answers = {s.item.id: Answer("达标" if s.kind.kind == RULE else "已采用") for s in selected}
    sc = score(make_profile(), selected, answers)
    assert {i.item for i in sc.items} == {s.item.id for s in selected if s.kind.kind == RULE}
    assert sc.scaled == 100.0 and sc.grade == "优"


def test_grade_boundaries_are_inclusive() -> None:
    from macros.scoring import grade_of

    p = make_profile()
    assert [grade_of(p, x, ()) for x in (100, 90, 89.9, 80, 79.9, 60, 59.9, 0)] == \
        ["优", "优", "良", "良", "合格", "合格", "不合格", "不合格"]
    assert grade_of(p, None, ()) is None


def test_a_fail_veto_gives_the_lowest_grade_and_a_cap_veto_caps_it() -> None:
    from macros.scoring import grade_of

    p = make_profile()
    fail, cap = Veto("V1", "CK-X", ("未达标",), "fail", "x"), Veto("V2", "CK-Y", ("未达标",), "cap", "y", "良")
    assert grade_of(p, 99, (fail,)) == "不合格"
    assert grade_of(p, 99, (cap,)) == "良"
    assert grade_of(p, 70, (cap,)) == "合格"  # a cap never raises a grade


def test_not_applicable_needs_a_reason() -> None:
    p = make_profile()
    with_reason = item_score(p, "CK-A", Answer("不适用", na_reason="本校没有党总支"))
    without = item_score(p, "CK-A", Answer("不适用"))
    blank = item_score(p, "CK-A", Answer())
    assert (with_reason.status, with_reason.points, with_reason.earned) == (NOT_APPLICABLE, 0, 0)
    assert (without.status, without.points, without.earned) == (NA_WITHOUT_REASON, 4, 0)
    assert without.problem and "理由" in without.problem
    assert (blank.status, blank.points) == (UNANSWERED, 4)


def test_not_applicable_without_a_reason_is_not_counted_as_not_applicable(ds) -> None:
    selected = select(ds, Profile(district="OTHER", org_type="党委", mode="分设"))
    first = selected[0]
    for reason, counted in (("", 0), ("无此情形", 1)):
        s = summary(ds, selected, {first.item.id: Answer("不适用", na_reason=reason)})
        assert s[first.kind.kind]["counts"]["不适用"] == counted


@pytest.mark.parametrize(("answer", "earned", "problem"), [
    (Answer("达标"), 4, False),
    (Answer("达标", score=3), 4, True),
    (Answer("未达标"), 0, False),
    (Answer("未达标", score=1), 0, True),
    (Answer("基本达标"), 2, False),
    (Answer("基本达标", score=3.5), 3.5, False),
    (Answer("基本达标", score=4), 2, True),
    (Answer("基本达标", score=0), 2, True),
])
def test_self_scores_must_agree_with_the_result(answer: Answer, earned: float, problem: bool) -> None:
    got = item_score(make_profile(), "CK-A", answer)
    assert got.earned == earned
    assert bool(got.problem) is problem


def test_deductions_per_occurrence_stop_at_the_cap() -> None:
    p = make_profile(items=(ItemPoints("CK-D", 6, "", Deduct(2, "发现一次扣 2 分", 4)),))
    assert item_score(p, "CK-D", Answer("基本达标", count=1)).earned == 4
    assert item_score(p, "CK-D", Answer("基本达标", count=5)).earned == 2  # capped at 4 lost
    zero = item_score(p, "CK-D", Answer("达标", count=0))
    assert zero.earned == 6 and not zero.problem
    wrong = item_score(p, "CK-D", Answer("达标", count=2))
    assert wrong.earned == 2 and "不一致" in wrong.problem
    assert "发现一次扣 2 分" in item_score(p, "CK-D", Answer("基本达标", count=1)).lost_for


def test_reviewer_scores_give_a_second_total(ds) -> None:
    selected = select(ds, Profile(district="OTHER", org_type="党支部", mode="分设"))
    rules = [s for s in selected if s.kind.kind == RULE]
    assert len(rules) >= 2
    answers = {s.item.id: Answer("达标") for s in rules}
    answers[rules[0].item.id] = Answer("达标", review_score=0)
    sc = score(make_profile(), selected, answers)
    assert sc.scaled == 100.0
    assert sc.review_scaled == round((len(rules) - 1) / len(rules) * 100, 1)
