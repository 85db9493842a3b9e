"""District roll-up, the pure middle: roster rows + submissions → `Rollup`.

Files are matched to roster schools by school code first, then by normalised name (全角/半角,
spaces, 六/6). A file whose code names one school and whose school name names another is a
conflict: reported, never silently counted for either. Of several files for one school the newest
counts and the others are reported. Old data versions are migrated by item ID. Every count is
named (kind · result), one pass over schools × applicable items.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from ..checklist import UNANSWERED, Answer, Profile, Selected, migrate, results_for, scoring_profile, select
from ..model import CheckItem, Dataset
from ..roster import RosterRow
from ..scope import REFERENCE, RULE
from ..scoring import Score, score
from ..vocab import PROFILE_LABELS, UNKNOWN
from .read import KIND_LABELS, Problem, Submission

KINDS = (RULE, REFERENCE)
BAD = ("未达标", "基本达标")  # 规定项 results that go into the 整改台账


def columns(ds: Dataset) -> tuple[tuple[str, str], ...]:
    """Every count a group has: (kind, result) for each result of each kind, then (kind, 未填)."""
    return tuple((k, r) for k in KINDS for r in (*results_for(ds, k), UNANSWERED))


@dataclass(frozen=True)
class Tally:
    """Answers of one group (a school, an item, a dimension …) counted by (kind, result)."""

    counts: Mapping[tuple[str, str], int]

    def __getitem__(self, key: tuple[str, str]) -> int:
        return self.counts.get(key, 0)

    def total(self, kind: str | None = None) -> int:
        return sum(n for (k, _), n in self.counts.items() if kind in (None, k))

    def answered(self, kind: str | None = None) -> int:
        return sum(n for (k, r), n in self.counts.items() if kind in (None, k) and r != UNANSWERED)

    def answered_share(self, kind: str | None = None) -> float | None:
        return share(self.answered(kind), self.total(kind))

    def compliance(self) -> float | None:
        """达标 among the 规定项 that apply (不适用 excluded); 参考项 never count."""
        return share(self[(RULE, "达标")], self.total(RULE) - self[(RULE, "不适用")])


def tally(counter: Counter[tuple[str, str]]) -> Tally:
    return Tally(MappingProxyType(dict(counter)))


def share(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class SchoolRow:
    number: int  # 1-based position in the roster
    row: RosterRow
    file: str  # "" when the school has not submitted
    applicable: int
    tally: Tally
    score: Score | None = None  # None when not submitted or no scoring profile applies
    # item → result as counted (未填 when blank); a factory: Python 3.11 rejects an unhashable default
    results: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def profile(self) -> Profile:
        return self.row.profile

    @property
    def submitted(self) -> bool:
        return bool(self.file)


@dataclass(frozen=True)
class ItemRow:
    rank: int  # 1 = most 未达标
    item: CheckItem
    order: int  # position in the checklist (tie-break)
    applicable: int  # roster schools the item applies to
    tally: Tally  # over submitted schools
    not_submitted: int


@dataclass(frozen=True)
class GroupRow:
    """A breakdown row (one dimension, one 党组织类型 or one 书记校长配备)."""

    key: str
    label: str
    tally: Tally
    schools: int | None = None  # roster schools in the group (None for dimensions)
    submitted: int | None = None


@dataclass(frozen=True)
class LedgerRow:
    number: int
    profile: Profile
    item: CheckItem
    order: int
    result: str
    note: str
    evidence: str
    file: str


@dataclass(frozen=True)
class Totals:
    schools: int
    submitted: int
    applicable_submitted: int  # applicable school × item pairs of submitted schools
    applicable_all: int  # … of every roster school
    tally: Tally

    @property
    def missing(self) -> int:
        return self.schools - self.submitted

    @property
    def submission_share(self) -> float | None:
        return share(self.submitted, self.schools)

    @property
    def answered_share_all(self) -> float | None:
        """Answered share of every roster school's applicable items (missing schools count as blank)."""
        return share(self.tally.answered(), self.applicable_all)


@dataclass(frozen=True)
class Rollup:
    data_version: str
    totals: Totals
    schools: tuple[SchoolRow, ...]
    items: tuple[ItemRow, ...]  # most 未达标 first
    not_listed_items: int  # active items that apply to no roster school
    by_dimension: tuple[GroupRow, ...]
    by_org_type: tuple[GroupRow, ...]
    by_mode: tuple[GroupRow, ...]
    ledger: tuple[LedgerRow, ...]
    problems: tuple[Problem, ...]
    losses: tuple[tuple[str, float, int], ...] = ()  # (item, points lost across the district, schools losing), most first

    @property
    def scored(self) -> tuple[SchoolRow, ...]:
        return tuple(s for s in self.schools if s.score is not None and s.score.scaled is not None)

    def grade_counts(self) -> list[tuple[str, int]]:
        """Schools per grade, in each profile's band order (highest first)."""
        order: list[str] = []
        for s in self.scored:
            for g in s.score.profile.grades:  # type: ignore[union-attr]
                if g.name not in order:
                    order.append(g.name)
        counts = Counter(s.score.grade for s in self.scored)  # type: ignore[union-attr]
        return [(g, counts[g]) for g in order]

    @property
    def veto_hits(self) -> tuple[tuple[SchoolRow, Any], ...]:
        return tuple((s, v) for s in self.scored for v in s.score.vetoes)  # type: ignore[union-attr]

    @property
    def reviewed(self) -> tuple[SchoolRow, ...]:
        """Schools with a reviewer's score beside their own."""
        return tuple(s for s in self.scored if s.score.review_scaled is not None)  # type: ignore[union-attr]


# ----------------------------------------------------------------------------------------------
# Matching files to roster schools

_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile("[〇零一二两三四五六七八九十]+")


def _cn_to_int(text: str) -> str:
    """一 → 1, 十二 → 12, 二十三 → 23, 一〇五 → 105; other runs are kept as they are."""
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    head, _, tail = text.partition("十")
    if len(head) > 1 or len(tail) > 1 or "十" in tail:
        return text
    return str((_CN_DIGITS[head] if head else 1) * 10 + (_CN_DIGITS[tail] if tail else 0))


def name_key(name: str) -> str:
    """A school name for matching: NFKC (全角→半角), no spaces or brackets, Chinese numerals as digits."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"[\s()（）【】\[\]·・.,，、\"'“”]+", "", text).casefold()
    return _CN_NUMBER.sub(lambda m: _cn_to_int(m.group()), text)


def _newness(sub: Submission) -> tuple[float, float, str]:
    """Newer wins: exported_at (else the file's mtime), then mtime, then file name for a stable order."""
    stamp = sub.answers.exported_at.strip()
    ts = None
    if stamp:
        try:
            dt = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            ts = (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()
        except ValueError:
            ts = None
    return (ts if ts is not None else sub.mtime, sub.mtime, sub.file)


class Matcher:
    """Finds the roster school of a submission: by code, then by normalised name (within its district)."""

    def __init__(self, ds: Dataset, rows: Sequence[RosterRow], district_aliases: Mapping[str, str]) -> None:
        self.rows = rows
        self.aliases = district_aliases
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            self.by_code.setdefault(r.profile.school_id.casefold(), i)
            self.by_name[name_key(r.profile.name)].append(i)

    def match(self, sub: Submission) -> tuple[int | None, Problem | None]:
        school = sub.answers.school
        code = (school.get("id") or "").strip()
        name = (school.get("name") or "").strip()
        key = name_key(name)
        if code and code.casefold() in self.by_code:
            i = self.by_code[code.casefold()]
            roster_name = self.rows[i].profile.name
            if name_key(roster_name) == key:
                return i, None
            return None, Problem(sub.file, "conflict", f"学校编号 {code} 在花名册中是“{roster_name}”，文件里的学校名称却是"
                                                       f"“{name}”：无法确定是哪所学校，未计入，请核对后重新提交")
        candidates = self.by_name.get(key, [])
        raw_district = (school.get("district") or "").strip()
        district = self.aliases.get(raw_district, raw_district) if raw_district not in ("", UNKNOWN) else ""
        if district and len(candidates) > 1:
            candidates = [i for i in candidates if self.rows[i].profile.district == district]
        if len(candidates) == 1:
            return candidates[0], None
        if len(candidates) > 1:
            where = "文件名" if sub.from_file_name else "文件"
            return None, Problem(sub.file, "ambiguous", f"花名册中有 {len(candidates)} 所名为“{name}”的学校，{where}"
                                                        "未写学校编号或所属地区，无法确定是哪一所，未计入")
        desc = "、".join(x for x in (f"编号 {code}" if code else "", f"所属地区 {raw_district}" if raw_district else "") if x)
        near = difflib.get_close_matches(key, list(self.by_name), n=3, cutoff=0.75)
        hint = ""
        if near:
            names = "、".join(f"“{self.rows[self.by_name[k][0]].profile.name}”（{self.rows[self.by_name[k][0]].profile.school_id}）"
                             for k in near)
            hint = f"。花名册中相近的学校：{names}"
        return None, Problem(sub.file, "not_on_roster", f"学校“{name}”{f'（{desc}）' if desc else ''}不在花名册中，未计入{hint}")


# ----------------------------------------------------------------------------------------------
# Aggregation


def _ids(ids: Iterable[str], limit: int = 12) -> str:
    ids = list(ids)
    shown = "、".join(ids[:limit])
    return shown + (f" 等 {len(ids)} 项" if len(ids) > limit else "")


def _version(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return ()


def _migration_problems(ds: Dataset, sub: Submission, profile: Profile, applicable: Mapping[str, Selected],
                        problems: list[Problem]) -> dict[str, Answer]:
    """The answers that count for this school; everything left out is reported."""
    answers, name = sub.answers, sub.file
    if answers.data_version != ds.data_version:
        older = _version(answers.data_version) < _version(ds.data_version)
        problems.append(Problem(name, "old_version" if older else "newer_version",
                                f"数据版本 {answers.data_version}，当前为 {ds.data_version}："
                                + ("已按检查项编号对应到当前检查项" if older else "已按检查项编号统计；请更新本工具的数据")))
    diffs = [f"{PROFILE_LABELS[k]}：文件为“{answers.school.get(k)}”，花名册为“{getattr(profile, k)}”"
             for k in ("org_type", "mode", "stage", "ownership")
             if answers.school.get(k) not in (None, "", UNKNOWN) and answers.school.get(k) != getattr(profile, k)]
    if diffs:
        problems.append(Problem(name, "profile_mismatch", "；".join(diffs) + "。按花名册确定适用的检查项"))
    mig = migrate(ds, answers, profile)
    retired = sorted(k for k, a in mig.retired.items() if a.has_content)
    if retired:
        shown = [f"{k}（已由 {mig.replaced_by[k]} 取代）" if k in mig.replaced_by else k for k in retired]
        problems.append(Problem(name, "retired", f"{len(retired)} 个已停用检查项的答案未计入：{_ids(shown)}"))
    if mig.unknown:
        problems.append(Problem(name, "unknown_id", f"{len(mig.unknown)} 个当前数据中没有的检查项编号，其答案未计入："
                                                    f"{_ids(sorted(mig.unknown))}"))
    extra = [k for k, a in mig.kept.items() if k not in applicable and a.has_content]
    if extra:
        setup = " · ".join(getattr(profile, k) for k in ("org_type", "mode", "stage", "ownership"))
        problems.append(Problem(name, "not_applicable", f"{len(extra)} 个检查项按花名册中的学校信息（{setup}）不适用，"
                                                        f"其答案未计入：{_ids(sorted(extra))}"))
    if mig.other_kind:
        shown = [f"{k}（{a.result}）" for k, a in sorted(mig.other_kind.items())]
        problems.append(Problem(name, "other_kind", f"{len(shown)} 项的答案属于另一类别（规定项/参考项已改变），"
                                                    f"未计入，请重新选择：{_ids(shown)}"))
    return mig.kept


def _scoring_for(ds: Dataset, forced: str, sub: Submission | None) -> str:
    """The scoring profile of a school: the one the run forces, else the one its file names, else ""."""
    if forced:
        return forced
    named = (sub.answers.school.get("profile") or "") if sub is not None else ""
    return named if named in {p.id for p in ds.profiles} else ""


def aggregate(ds: Dataset, rows: Sequence[RosterRow], submissions: Iterable[Submission],
              district_aliases: Mapping[str, str], *, scoring: str = "") -> Rollup:
    """Match files to roster schools and count everything; score each school with its profile."""
    problems: list[Problem] = []
    matcher = Matcher(ds, rows, district_aliases)
    matched: dict[int, list[Submission]] = defaultdict(list)
    for sub in submissions:
        idx, problem = matcher.match(sub)
        if problem:
            problems.append(problem)
        else:
            matched[idx].append(sub)  # type: ignore[index]
    chosen: dict[int, Submission] = {}
    for idx, subs in matched.items():
        subs = sorted(subs, key=_newness, reverse=True)
        chosen[idx] = subs[0]
        for old in subs[1:]:
            problems.append(Problem(old.file, "duplicate", f"与“{subs[0].file}”是同一所学校（{rows[idx].profile.name}）的答案，"
                                                           f"保留较新的“{subs[0].file}”，本文件未计入"))

    active = ds.active_checklist()
    order = {it.id: n for n, it in enumerate(active)}
    items = {it.id: it for it in active}
    selections: dict[tuple[str, ...], dict[str, Selected]] = {}
    per_item: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    item_applicable: Counter[str] = Counter()
    item_missing: Counter[str] = Counter()
    per_dim: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    per_org: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    per_mode: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    org_schools: Counter[tuple[str, str]] = Counter()
    mode_schools: Counter[tuple[str, str]] = Counter()
    totals: Counter[tuple[str, str]] = Counter()
    school_rows: list[SchoolRow] = []
    ledger: list[LedgerRow] = []
    applicable_submitted = applicable_all = 0
    kind_results = {k: frozenset(results_for(ds, k)) for k in KINDS}

    lost_points: Counter[str] = Counter()
    lost_schools: Counter[str] = Counter()
    for idx, row in enumerate(rows):
        sub = chosen.get(idx)
        p = replace(row.profile, scoring=_scoring_for(ds, scoring, sub))
        key = (p.org_type, p.mode, p.stage, p.ownership, p.district, p.scoring)
        applicable = selections.get(key)
        if applicable is None:
            applicable = selections[key] = {s.item.id: s for s in select(ds, p)}
        applicable_all += len(applicable)
        org_schools[(p.org_type, "schools")] += 1
        mode_schools[(p.mode, "schools")] += 1
        item_applicable.update(applicable.keys())
        if sub is None:
            item_missing.update(applicable.keys())
            school_rows.append(SchoolRow(idx + 1, row, "", len(applicable), tally(Counter())))
            continue
        org_schools[(p.org_type, "submitted")] += 1
        mode_schools[(p.mode, "submitted")] += 1
        applicable_submitted += len(applicable)
        kept = _migration_problems(ds, sub, p, applicable, problems)
        counts: Counter[tuple[str, str]] = Counter()
        results: dict[str, str] = {}
        no_reason = sorted((i for i in applicable if i in kept and kept[i].result == "不适用" and not kept[i].counted_result),
                           key=lambda i: order[i])
        if no_reason:
            problems.append(Problem(sub.file, "na_no_reason", f"{len(no_reason)} 项选了“不适用”但没有写明理由，按未填计："
                                                              f"{_ids(no_reason)}"))
        for item_id, s in applicable.items():
            kind = s.kind.kind
            a = kept.get(item_id)
            result = a.counted_result if a is not None and a.counted_result in kind_results[kind] else UNANSWERED
            col = (kind, result)
            results[item_id] = result
            counts[col] += 1
            per_item[item_id][col] += 1
            per_dim[s.item.dimension][col] += 1
            if kind == RULE and result in BAD:
                ledger.append(LedgerRow(len(ledger) + 1, p, s.item, order[item_id], result, a.note, a.evidence,  # type: ignore[union-attr]
                                        sub.file))
        per_org[p.org_type].update(counts)
        per_mode[p.mode].update(counts)
        totals.update(counts)
        profile_used = scoring_profile(ds, p)
        sc = score(profile_used, list(applicable.values()), kept) if profile_used is not None else None
        if sc is not None:
            for i in sc.lost:
                lost_points[i.item] += i.points - i.earned
                lost_schools[i.item] += 1
        school_rows.append(SchoolRow(idx + 1, row, sub.file, len(applicable), tally(counts), sc,
                                     MappingProxyType(results)))

    listed = sorted(item_applicable, key=lambda i: (-per_item[i][(RULE, "未达标")], -per_item[i][(RULE, "基本达标")], order[i]))
    item_rows = tuple(ItemRow(n, items[i], order[i], item_applicable[i], tally(per_item[i]), item_missing[i])
                      for n, i in enumerate(listed, start=1))
    used_dims = {items[i].dimension for i in listed}
    by_dimension = tuple(GroupRow(d.key, d.name, tally(per_dim[d.key])) for d in ds.dimensions if d.key in used_dims)
    by_org = tuple(GroupRow(k, k, tally(per_org[k]), org_schools[(k, "schools")], org_schools[(k, "submitted")])
                   for k in ds.vocab.org_types if org_schools[(k, "schools")])
    by_mode = tuple(GroupRow(k, k, tally(per_mode[k]), mode_schools[(k, "schools")], mode_schools[(k, "submitted")])
                    for k in ds.vocab.modes if mode_schools[(k, "schools")])
    kinds_order = list(KIND_LABELS)
    problems.sort(key=lambda pr: (pr.file, kinds_order.index(pr.kind)))
    return Rollup(
        data_version=ds.data_version,
        totals=Totals(len(rows), len(chosen), applicable_submitted, applicable_all, tally(totals)),
        schools=tuple(school_rows), items=item_rows, not_listed_items=len(items) - len(item_rows),
        by_dimension=by_dimension, by_org_type=by_org, by_mode=by_mode, ledger=tuple(ledger), problems=tuple(problems),
        losses=tuple(sorted(((i, round(n, 1), lost_schools[i]) for i, n in lost_points.items()),
                            key=lambda x: (-x[1], order.get(x[0], 0)))),
    )


def with_problems(rollup: Rollup, extra: Sequence[Problem]) -> Rollup:
    """The same roll-up with problems found while reading files (listed first, by file name)."""
    return replace(rollup, problems=tuple(sorted(extra, key=lambda p: p.file)) + rollup.problems)
