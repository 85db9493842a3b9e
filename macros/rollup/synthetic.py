"""Synthetic rosters and answers (fictional, deterministic): for the benchmark and the tests."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ..checklist import Answer, Answers, Profile, results_for, select
from ..model import Dataset
from ..roster import RosterRow
from ..vocab import OTHER_DISTRICT
from .aggregate import BAD
from .read import Submission


def synthetic_roster(ds: Dataset, n: int, seed: int = 0) -> list[RosterRow]:
    """`n` fictional roster rows across every set-up, district, stage and ownership."""
    rng = random.Random(seed)
    v = ds.vocab
    districts = [d.id for d in ds.districts] + [OTHER_DISTRICT]
    return [RosterRow(i + 2, Profile(f"合成学校{i + 1:05d}（虚构）", rng.choice(districts), rng.choice(v.org_types),
                                     rng.choice(v.modes), rng.choice(v.stages), rng.choice(v.ownerships),
                                     f"SCH-SYN-{i + 1:05d}"))
            for i in range(n)]


def synthetic_submissions(ds: Dataset, rows: Sequence[RosterRow], seed: int = 0) -> list[Submission]:
    """Answers for about 90% of the roster: each applicable item gets a random result of its kind
    (about 10% left blank), with a note and evidence for 未达标/基本达标."""
    rng = random.Random(seed)
    base = datetime(2026, 3, 1, tzinfo=UTC)
    cache: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    out = []
    for row in rows:
        if rng.random() < 0.1:
            continue
        p = row.profile
        key = (p.org_type, p.mode, p.stage, p.ownership, p.district)
        items = cache.get(key)
        if items is None:
            items = cache[key] = [(s.item.id, s.kind.kind) for s in select(ds, p)]
        answers = {}
        for item_id, kind in items:
            result = "" if rng.random() < 0.1 else rng.choice(results_for(ds, kind))
            bad = result in BAD
            answers[item_id] = Answer(result, f"{p.name}：{item_id} 整改措施" if bad else "", "会议记录" if bad else "")
        school = {"id": p.school_id, "name": p.name, "district": p.district, "org_type": p.org_type, "mode": p.mode,
                  "stage": p.stage, "ownership": p.ownership}
        stamp = (base + timedelta(minutes=rng.randrange(60 * 24 * 30))).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(Submission(f"{p.name}-自查.json", Answers(ds.data_version, school, answers, stamp)))
    return out
