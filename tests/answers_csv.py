"""The page's CSV export written by Python: what the checklist page, a school's returned file and the
roll-up's CSV reader are checked against (the page must produce it byte for byte)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from macros.checklist import Answer, Profile, Selected, csv_headers, scoring_profile
from macros.model import Dataset
from macros.scope import RULE
from macros.scoring import item_score
from macros.workbook import FORMULA_START


def csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """CSV that Excel opens correctly: UTF-8 with BOM, CRLF line ends, values made formula-safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([csv_safe(h) for h in headers])
    for row in rows:
        w.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def number(x: float | None) -> str:
    return "" if x is None else format(x, "g")


def answers_csv(dataset: Dataset, profile: Profile, selected: list[Selected], answers: Mapping[str, Answer]) -> bytes:
    """One row per applicable item, formula-safe; the school's code and name on every row, so a returned
    file finds its school. 规定项 carry their points and score."""
    evidence = {e.id: e.name for e in dataset.evidence}
    scoring = scoring_profile(dataset, profile)
    rows = []
    for s in selected:
        a = answers.get(s.item.id, Answer())
        points = earned = None
        if s.kind.kind == RULE and scoring is not None:
            points = scoring.points(s.item.id).points
            earned = item_score(scoring, s.item.id, a).earned if a.result in ("达标", "基本达标", "未达标") else None
        rows.append([profile.school_id, profile.name, s.number, s.item.id, s.kind.kind,
                     dataset.dimension(s.item.dimension).name, s.item.title, s.item.check, "；".join(s.item.basis),
                     "；".join(evidence[e] for e in s.item.evidence), a.result, a.na_reason, number(points),
                     number(earned), number(a.review_score), a.review_note, a.note, a.evidence])
    return csv_bytes(csv_headers(), rows)
