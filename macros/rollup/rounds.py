"""Rectification followed to closure, and rounds compared.

* The 整改台账 goes out in report.xlsx with 责任人, 完成时限, 状态 and 销号依据 for the district to
  fill; `read_ledger` takes it back next round and `follow_up` carries each row's status forward,
  and lists what was closed, what reopened, what is overdue and what is new.
* `compare` sets this round's roll-up beside the previous round's: per school the score change,
  the items newly 达标 and the items that slipped; the score distribution of both rounds.

Rows are matched by school code (a renamed school keeps its code), else by normalised name.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..model import Dataset
from .aggregate import BAD, LedgerRow, Rollup, SchoolRow, name_key

LEDGER_SHEET = "整改台账"
OPEN, CLOSED = "未整改", "已销号"


@dataclass(frozen=True)
class PreviousRow:
    """A row of last round's 整改台账, as the district filled it in."""

    row: int  # spreadsheet row number
    school_id: str
    school_name: str
    item: str
    result: str
    owner: str
    due: date | None
    status: str
    closing: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.school_id.casefold() or name_key(self.school_name), self.item)


@dataclass(frozen=True)
class LedgerEntry:
    """A row of this round's 整改台账 with its follow-up fields."""

    row: LedgerRow
    owner: str = ""
    due: date | None = None
    status: str = OPEN
    closing: str = ""
    carried: bool = False  # the same school and item were in last round's ledger
    reopened: bool = False  # last round it was 已销号
    overdue: bool = False


@dataclass(frozen=True)
class FollowUp:
    entries: tuple[LedgerEntry, ...]
    closed: tuple[PreviousRow, ...]  # last round's rows that are no longer a problem now, or were 已销号
    problems: tuple[str, ...]  # messages about the previous ledger (row-numbered)
    ledger_file: str

    @property
    def new(self) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in self.entries if not e.carried)

    @property
    def overdue(self) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in self.entries if e.overdue)

    @property
    def reopened(self) -> tuple[LedgerEntry, ...]:
        return tuple(e for e in self.entries if e.reopened)


class LedgerError(ValueError):
    """A previous ledger that cannot be used at all; the message is for people."""


def parse_due(value: Any) -> date | None | str:
    """A 完成时限 cell: an Excel date, or text such as 2026-03-01, 2026/3/1, 2026年3月1日; "" → None; else the text."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*", str(value))
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    return str(value)


NEEDED = ("编号", "状态")


def read_ledger(path: Path, ds: Dataset) -> tuple[list[PreviousRow], list[str]]:
    """Last round's 整改台账 (the report.xlsx this command wrote, filled in); problems name the row."""
    from openpyxl import load_workbook

    name = path.name
    try:
        wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LedgerError(f"{name}：不是有效的 Excel 工作簿（{type(exc).__name__}）") from None
    try:
        ws = wb[LEDGER_SHEET] if LEDGER_SHEET in wb.sheetnames else wb[wb.sheetnames[0]]
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        missing = [k for k in NEEDED if k not in header]
        if "学校编号" not in header and "学校名称" not in header:
            missing.insert(0, "学校编号（或学校名称）")
        if missing:
            raise LedgerError(f"{name}：“{ws.title}”缺少列：{'、'.join(missing)}（应为上一轮汇总报告 report.xlsx 的“整改台账”）")
        col = {h: i for i, h in enumerate(header) if h}
        out, problems = [], []
        statuses = ds.vocab.ledger_statuses
        for n, values in enumerate(rows, start=2):
            def cell(key: str, values: tuple = values) -> Any:
                i = col.get(key)
                return values[i] if i is not None and i < len(values) else None

            def text(key: str) -> str:
                v = cell(key)
                return "" if v is None else str(v).strip()

            if not text("编号"):
                continue
            status = text("状态") or OPEN
            if status not in statuses:
                problems.append(f"{name} 第 {n} 行：状态“{status}”不在可选范围（{'、'.join(statuses)}），按“{OPEN}”处理")
                status = OPEN
            due = parse_due(cell("完成时限"))
            if isinstance(due, str):
                problems.append(f"{name} 第 {n} 行：完成时限“{due}”不是日期（应写作 2026-03-01），已忽略")
                due = None
            if status == CLOSED and not text("销号依据"):
                problems.append(f"{name} 第 {n} 行：状态为“{CLOSED}”但没有填写销号依据")
            out.append(PreviousRow(n, text("学校编号"), text("学校名称"), text("编号"), text("自评结果"), text("责任人"),
                                   due, status, text("销号依据")))
    finally:
        wb.close()
    return out, problems


def follow_up(rollup: Rollup, previous: Sequence[PreviousRow], problems: Sequence[str], today: date,
              ledger_file: str) -> FollowUp:
    """Carry last round's status forward onto this round's ledger."""
    by_key: dict[tuple[str, str], PreviousRow] = {}
    for p in previous:
        by_key[p.key] = p
        if p.school_id and p.school_name:
            by_key.setdefault((name_key(p.school_name), p.item), p)
    entries, used = [], set()
    for row in rollup.ledger:
        prev = by_key.get((row.profile.school_id.casefold(), row.item.id)) or \
            by_key.get((name_key(row.profile.name), row.item.id))
        if prev is None:
            entries.append(LedgerEntry(row))
            continue
        used.add(id(prev))
        reopened = prev.status == CLOSED
        status = OPEN if reopened else prev.status
        overdue = prev.due is not None and prev.due < today and status != CLOSED
        entries.append(LedgerEntry(row, prev.owner, prev.due, status, "" if reopened else prev.closing, True, reopened,
                                   overdue))
    submitted = {s.profile.school_id.casefold() for s in rollup.schools if s.submitted}
    submitted |= {name_key(s.profile.name) for s in rollup.schools if s.submitted}
    closed = tuple(p for p in previous if id(p) not in used and (p.school_id.casefold() in submitted
                                                                    or name_key(p.school_name) in submitted))
    return FollowUp(tuple(entries), closed, tuple(problems), ledger_file)


# ----------------------------------------------------------------------------------------------
# Two rounds


@dataclass(frozen=True)
class SchoolChange:
    now: SchoolRow
    before: SchoolRow | None
    improved: tuple[str, ...]  # items 未达标/基本达标 before, 达标 now
    slipped: tuple[str, ...]  # items 达标 before, 未达标/基本达标 now

    @property
    def change(self) -> float | None:
        a = self.now.score.scaled if self.now.score else None
        b = self.before.score.scaled if self.before is not None and self.before.score else None
        return round(a - b, 1) if a is not None and b is not None else None


@dataclass(frozen=True)
class Comparison:
    schools: tuple[SchoolChange, ...]
    previous_name: str
    bins: tuple[str, ...]  # score bands of the distribution chart
    now_counts: tuple[int, ...]
    before_counts: tuple[int, ...]


def _bins(total: float) -> list[tuple[float, float, str]]:
    """Ten equal bands of the total; the last one includes the total itself."""
    step = total / 10
    return [(k * step, (k + 1) * step, f"{k * step:g}–{(k + 1) * step:g}") for k in range(10)]


def distribution(rollup: Rollup, total: float) -> tuple[int, ...]:
    bands = _bins(total)
    counts = [0] * len(bands)
    for s in rollup.scored:
        x = s.score.scaled  # type: ignore[union-attr]
        k = min(int(x / (total / 10)), len(bands) - 1) if total else 0
        counts[k] += 1
    return tuple(counts)


def compare(now: Rollup, before: Rollup, previous_name: str) -> Comparison:
    by_code = {s.profile.school_id.casefold(): s for s in before.schools if s.submitted}
    by_name = {name_key(s.profile.name): s for s in before.schools if s.submitted}
    changes = []
    for s in now.schools:
        if not s.submitted:
            continue
        b = by_code.get(s.profile.school_id.casefold()) or by_name.get(name_key(s.profile.name))
        improved = slipped = ()
        if b is not None:
            improved = tuple(i for i, r in s.results.items() if r == "达标" and b.results.get(i) in BAD)
            slipped = tuple(i for i, r in s.results.items() if r in BAD and b.results.get(i) == "达标")
        changes.append(SchoolChange(s, b, improved, slipped))
    totals = {s.score.profile.total for s in (*now.scored, *before.scored)}  # type: ignore[union-attr]
    total = max(totals) if totals else 100.0
    return Comparison(tuple(changes), previous_name, tuple(label for _, _, label in _bins(total)),
                      distribution(now, total), distribution(before, total))
