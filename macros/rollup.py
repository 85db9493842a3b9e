"""District roll-up: a folder of schools' answers files + the roster → report.html, report.xlsx.

Three layers, kept apart so tests and the benchmark can call the middle one directly:

* reading — `read_answers_dir` turns files into `Submission`s and `Problem`s (bad JSON, schema
  failures, unreadable CSV, stray files); nothing here knows the roster;
* aggregation — `aggregate(dataset, roster_rows, submissions) -> Rollup` is pure: it matches files
  to roster schools, keeps the newest file per school, migrates old data versions by item ID and
  counts everything in one pass, O(schools × items);
* output — `render_html` and `write_xlsx` only format a `Rollup`.

Messy input never stops the run: every skipped or odd file becomes a `Problem` naming the file.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jsonschema import Draft202012Validator

from .checklist import (
    ANSWERS_FORMAT,
    CSV_HEADERS,
    OTHER_DISTRICT,
    Answer,
    Answers,
    AnswersError,
    Profile,
    migrate,
    parse_answers,
    select,
)
from .model import CheckItem, Dataset
from .vocab import MODES, ORG_TYPES, RESULTS, UNKNOWN

REPORT_SUFFIX = "党组织领导的校长负责制自查情况汇总报告"
UNFILLED = "未填"
NOT_SUBMITTED = "未提交"
COLUMNS = (*RESULTS, UNFILLED)  # what an applicable item of a submitted school can be
BAD = ("未达标", "基本达标")  # results that go into the 整改台账
TEMPLATE_DIR = Path(__file__).parent / "templates"

KIND_LABELS = {
    "not_json": "不是有效的 JSON",
    "schema": "不符合答案文件格式",
    "csv": "CSV 无法读取",
    "other_file": "不是答案文件",
    "not_on_roster": "不在花名册中",
    "ambiguous": "无法对应到学校",
    "duplicate": "同一学校的旧文件",
    "old_version": "旧数据版本",
    "newer_version": "较新的数据版本",
    "retired": "已停用的检查项",
    "unknown_id": "未知的检查项编号",
    "not_applicable": "不适用的检查项",
    "profile_mismatch": "学校信息与花名册不一致",
    "roster": "花名册",
}
SKIPPING_KINDS = frozenset({"not_json", "schema", "csv", "other_file", "not_on_roster", "ambiguous", "duplicate"})


@dataclass(frozen=True)
class Problem:
    """One skipped or odd input, named by its file."""

    file: str
    kind: str
    message: str

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def skipped(self) -> bool:
        """True when the whole file was left out of the counts."""
        return self.kind in SKIPPING_KINDS

    def __str__(self) -> str:
        if self.message.startswith(self.label):
            return f"{self.file}: {self.message}"
        return f"{self.file}: {self.label}：{self.message}"


@dataclass(frozen=True)
class Submission:
    """One parsed answers file. `from_file_name`: the school is known only from the file name (CSV)."""

    file: str
    answers: Answers
    mtime: float = 0.0
    from_file_name: bool = False


# ----------------------------------------------------------------------------------------------
# Result types


def _frozen_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    return MappingProxyType({k: int(counts.get(k, 0)) for k in COLUMNS})


def share(num: int, den: int) -> float | None:
    return num / den if den else None


@dataclass(frozen=True)
class SchoolRow:
    number: int  # 1-based position in the roster
    profile: Profile
    roster_row: int
    file: str  # "" when the school has not submitted
    applicable: int
    counts: Mapping[str, int]  # COLUMNS → count (all 0 when not submitted)

    @property
    def submitted(self) -> bool:
        return bool(self.file)

    @property
    def answered(self) -> int:
        return sum(self.counts[r] for r in RESULTS)

    @property
    def answered_share(self) -> float | None:
        return share(self.answered, self.applicable) if self.submitted else None


@dataclass(frozen=True)
class ItemRow:
    rank: int  # 1 = worst
    item: CheckItem
    order: int  # position in the checklist (tie-break)
    applicable: int  # roster schools the item applies to
    counts: Mapping[str, int]  # over submitted schools: RESULTS + 未填
    not_submitted: int


@dataclass(frozen=True)
class GroupRow:
    """A breakdown row (one dimension, one 党组织类型 or one 书记校长配备)."""

    key: str
    label: str
    counts: Mapping[str, int]  # school × item answers of submitted schools
    schools: int | None = None  # roster schools in the group (None for dimensions)
    submitted: int | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def answered(self) -> int:
        return sum(self.counts[r] for r in RESULTS)

    @property
    def answered_share(self) -> float | None:
        return share(self.answered, self.total)


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
    counts: Mapping[str, int]

    @property
    def missing(self) -> int:
        return self.schools - self.submitted

    @property
    def answered(self) -> int:
        return sum(self.counts[r] for r in RESULTS)

    @property
    def submission_share(self) -> float | None:
        return share(self.submitted, self.schools)

    @property
    def answered_share(self) -> float | None:
        """Answered share of the applicable items of the schools that submitted."""
        return share(self.answered, self.applicable_submitted)

    @property
    def answered_share_all(self) -> float | None:
        """Answered share of every roster school's applicable items (missing schools count as blank)."""
        return share(self.answered, self.applicable_all)


@dataclass(frozen=True)
class Rollup:
    data_version: str
    totals: Totals
    schools: tuple[SchoolRow, ...]
    items: tuple[ItemRow, ...]  # worst first
    not_listed_items: int  # active items that apply to no roster school
    by_dimension: tuple[GroupRow, ...]
    by_org_type: tuple[GroupRow, ...]
    by_mode: tuple[GroupRow, ...]
    ledger: tuple[LedgerRow, ...]
    problems: tuple[Problem, ...]


# ----------------------------------------------------------------------------------------------
# Aggregation (pure)


def _district_aliases(ds: Dataset) -> dict[str, str]:
    aliases = {OTHER_DISTRICT: OTHER_DISTRICT, "其他": OTHER_DISTRICT, "其他地区": OTHER_DISTRICT,
               "other": OTHER_DISTRICT}
    for d in ds.districts:
        for key in (d.id, d.name, d.short, d.slug):
            if key:
                aliases[key] = d.id
    return aliases


_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_name(name: str) -> str:
    """The school-name part of the checklist page's export file names (same rule as checklist.js)."""
    return _SAFE_NAME.sub("_", name or "").strip() or "未命名学校"


def _version_tuple(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in v.split("."))
    except ValueError:
        return ()


def _timestamp(text: str) -> float | None:
    if not text:
        return None
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _newness(sub: Submission) -> tuple[float, float, str]:
    """Newer wins: exported_at (else the file's mtime), then mtime, then file name for a stable order."""
    ts = _timestamp(sub.answers.exported_at)
    return (ts if ts is not None else sub.mtime, sub.mtime, sub.file)


def _has_content(a: Answer) -> bool:
    return bool(a.result or a.note or a.evidence)


def _ids(ids: Iterable[str], limit: int = 12) -> str:
    ids = list(ids)
    shown = "、".join(ids[:limit])
    return shown + (f" 等 {len(ids)} 项" if len(ids) > limit else "")


PROFILE_LABELS = (("org_type", "党组织类型"), ("mode", "书记校长配备"), ("stage", "学段"), ("ownership", "办学性质"))


def aggregate(ds: Dataset, roster_rows: Sequence[Any], submissions: Iterable[Submission]) -> Rollup:
    """Match files to roster schools and count everything. `roster_rows`: batch.RosterRow (row, profile)."""
    problems: list[Problem] = []
    aliases = _district_aliases(ds)
    profiles: list[Profile] = [r.profile for r in roster_rows]
    by_id: dict[str, int] = {}
    by_name_district: dict[tuple[str, str], int] = {}
    by_name: dict[str, list[int]] = defaultdict(list)
    by_safe_name: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(profiles):
        if p.school_id:
            by_id.setdefault(p.school_id, i)
        by_name_district.setdefault((p.name, p.district), i)
        by_name[p.name].append(i)
        by_safe_name[safe_name(p.name)].append(i)

    # 1. Each file → one roster school (or a problem).
    matched: dict[int, list[Submission]] = defaultdict(list)
    for sub in submissions:
        school = sub.answers.school
        sid = (school.get("id") or "").strip()
        name = (school.get("name") or "").strip()
        raw_district = (school.get("district") or "").strip()
        district = aliases.get(raw_district, raw_district) if raw_district not in ("", UNKNOWN) else ""
        idx: int | None = None
        candidates: list[int] = []
        if sid and sid in by_id:
            idx = by_id[sid]
        elif sub.from_file_name:
            candidates = by_safe_name.get(safe_name(name), [])
        elif district:
            idx = by_name_district.get((name, district))
        else:
            candidates = by_name.get(name, [])
        if idx is None and len(candidates) == 1:
            idx = candidates[0]
        if idx is None:
            if len(candidates) > 1:
                where = "文件名" if sub.from_file_name else "文件"
                problems.append(Problem(sub.file, "ambiguous", f"花名册中有 {len(candidates)} 所名为“{name}”的学校，"
                                        f"{where}未写所属地区，无法确定是哪一所，未计入"))
            else:
                desc = "、".join(x for x in (f"编号 {sid}" if sid else "", f"所属地区 {raw_district}" if raw_district else "") if x)
                problems.append(Problem(sub.file, "not_on_roster",
                                        f"学校“{name}”{f'（{desc}）' if desc else ''}不在花名册中，未计入"))
            continue
        matched[idx].append(sub)

    # 2. Newest file per school; older ones reported.
    chosen: dict[int, Submission] = {}
    for idx, subs in matched.items():
        subs = sorted(subs, key=_newness, reverse=True)
        chosen[idx] = subs[0]
        for old in subs[1:]:
            problems.append(Problem(old.file, "duplicate", f"与“{subs[0].file}”是同一所学校（{profiles[idx].name}）的答案，"
                                    f"保留较新的“{subs[0].file}”，本文件未计入"))

    # 3. Count, one pass over schools × applicable items.
    order = {it.id: n for n, it in enumerate(ds.active_checklist())}
    items = {it.id: it for it in ds.active_checklist()}
    current_version = _version_tuple(ds.data_version)
    select_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
    applicable_sets: dict[tuple[str, ...], frozenset[str]] = {}
    item_counts: dict[str, list[int]] = {}  # per item: COLUMNS…, not submitted, applicable
    dim_counts: dict[str, list[int]] = {d.key: [0] * len(COLUMNS) for d in ds.dimensions}
    org_counts = {k: [0] * len(COLUMNS) for k in ORG_TYPES}
    mode_counts = {k: [0] * len(COLUMNS) for k in MODES}
    org_schools = {k: [0, 0] for k in ORG_TYPES}  # schools, submitted
    mode_schools = {k: [0, 0] for k in MODES}
    col_index = {c: n for n, c in enumerate(COLUMNS)}
    bad_cols = frozenset(col_index[b] for b in BAD)
    dim_rows = {item_id: dim_counts.setdefault(it.dimension, [0] * len(COLUMNS)) for item_id, it in items.items()}
    unfilled_col = col_index[UNFILLED]
    n_cols = len(COLUMNS)
    school_rows: list[SchoolRow] = []
    ledger: list[LedgerRow] = []
    totals = [0] * n_cols
    applicable_submitted = applicable_all = 0

    for idx, p in enumerate(profiles):
        key = (p.org_type, p.mode, p.stage, p.ownership, p.district)
        applicable = select_cache.get(key)
        if applicable is None:
            applicable = select_cache[key] = tuple(s.item.id for s in select(ds, p))
        applicable_all += len(applicable)
        sub = chosen.get(idx)
        org_row = org_schools.setdefault(p.org_type, [0, 0])
        mode_row = mode_schools.setdefault(p.mode, [0, 0])
        org_row[0] += 1
        mode_row[0] += 1
        counts = [0] * n_cols
        if sub is None:
            for item_id in applicable:
                ic = item_counts.get(item_id)
                if ic is None:
                    ic = item_counts[item_id] = [0] * (n_cols + 2)
                ic[n_cols] += 1
                ic[n_cols + 1] += 1
            school_rows.append(SchoolRow(idx + 1, p, roster_rows[idx].row, "", len(applicable), _frozen_counts({})))
            continue
        org_row[1] += 1
        mode_row[1] += 1
        applicable_submitted += len(applicable)
        answers = sub.answers
        fname = sub.file
        version = _version_tuple(answers.data_version)
        if answers.data_version != ds.data_version:
            if version and current_version and version < current_version:
                problems.append(Problem(fname, "old_version", f"数据版本 {answers.data_version} 早于当前的 {ds.data_version}，"
                                        "已按检查项编号对应到当前检查项"))
            else:
                problems.append(Problem(fname, "newer_version", f"数据版本 {answers.data_version} 与当前的 {ds.data_version} 不同"
                                        "（较新），已按检查项编号统计；请更新本工具的数据"))
        diffs = [f"{label}：文件为“{answers.school.get(k)}”，花名册为“{getattr(p, k)}”" for k, label in PROFILE_LABELS
                 if answers.school.get(k) not in (None, "", UNKNOWN) and answers.school.get(k) != getattr(p, k)]
        if diffs:
            problems.append(Problem(fname, "profile_mismatch", "；".join(diffs) + "。按花名册确定适用的检查项"))
        applicable_set = applicable_sets.get(key)
        if applicable_set is None:
            applicable_set = applicable_sets[key] = frozenset(applicable)
        if answers.data_version == ds.data_version and answers.answers.keys() <= applicable_set:
            kept = answers.answers  # fast path: every ID is a current, applicable item — nothing to migrate
        else:
            mig = migrate(ds, answers, p)
            retired = [k for k, a in mig.retired.items() if _has_content(a)]
            if retired:
                shown = [f"{k}（已由 {mig.replaced_by[k]} 取代）" if k in mig.replaced_by else k for k in sorted(retired)]
                problems.append(Problem(fname, "retired", f"{len(retired)} 个已停用检查项的答案未计入：{_ids(shown)}"))
            if mig.unknown:
                problems.append(Problem(fname, "unknown_id", f"{len(mig.unknown)} 个当前数据中没有的检查项编号，"
                                        f"其答案未计入：{_ids(sorted(mig.unknown))}"))
            extra = sorted((k for k, a in mig.kept.items() if k not in applicable_set and _has_content(a)),
                           key=lambda k: order.get(k, 0))
            if extra:
                setup = " · ".join(getattr(p, k) for k, _ in PROFILE_LABELS)
                problems.append(Problem(fname, "not_applicable", f"{len(extra)} 个检查项按花名册中的学校信息（{setup}）"
                                        f"不适用，其答案未计入：{_ids(extra)}"))
            kept = mig.kept
        dc_org = org_counts.setdefault(p.org_type, [0] * n_cols)
        dc_mode = mode_counts.setdefault(p.mode, [0] * n_cols)
        for item_id in applicable:
            a = kept.get(item_id)
            col = col_index.get(a.result, unfilled_col) if a is not None and a.result else unfilled_col
            counts[col] += 1
            ic = item_counts.get(item_id)
            if ic is None:
                ic = item_counts[item_id] = [0] * (n_cols + 2)
            ic[col] += 1
            ic[n_cols + 1] += 1
            dim_rows[item_id][col] += 1
            if col in bad_cols:  # 未达标 / 基本达标 → 整改台账
                ledger.append(LedgerRow(len(ledger) + 1, p, items[item_id], order[item_id], a.result, a.note,  # type: ignore[union-attr]
                                        a.evidence, fname))
        for c in range(n_cols):
            dc_org[c] += counts[c]
            dc_mode[c] += counts[c]
            totals[c] += counts[c]
        school_rows.append(SchoolRow(idx + 1, p, roster_rows[idx].row, fname, len(applicable),
                                     _frozen_counts(dict(zip(COLUMNS, counts, strict=True)))))

    def as_counts(values: list[int]) -> Mapping[str, int]:
        return _frozen_counts(dict(zip(COLUMNS, values, strict=True)))

    listed = [(item_id, v) for item_id, v in item_counts.items() if v[n_cols + 1]]
    listed.sort(key=lambda kv: (-kv[1][col_index["未达标"]], -kv[1][col_index["基本达标"]], order[kv[0]]))
    item_rows = tuple(ItemRow(n, items[item_id], order[item_id], v[n_cols + 1], as_counts(v[:n_cols]), v[n_cols])
                      for n, (item_id, v) in enumerate(listed, start=1))
    dims_used = {items[i].dimension for i, _ in listed}
    dim_names = {d.key: d.name for d in ds.dimensions}
    by_dimension = tuple(GroupRow(k, dim_names.get(k, k), as_counts(v)) for k, v in dim_counts.items() if k in dims_used)
    by_org = tuple(GroupRow(k, k, as_counts(org_counts.get(k, [0] * n_cols)), v[0], v[1]) for k, v in org_schools.items())
    by_mode = tuple(GroupRow(k, k, as_counts(mode_counts.get(k, [0] * n_cols)), v[0], v[1]) for k, v in mode_schools.items())
    problems.sort(key=lambda pr: (pr.file, list(KIND_LABELS).index(pr.kind) if pr.kind in KIND_LABELS else 99))
    return Rollup(
        data_version=ds.data_version,
        totals=Totals(len(profiles), len(chosen), applicable_submitted, applicable_all, as_counts(totals)),
        schools=tuple(school_rows), items=item_rows, not_listed_items=len(items) - len(item_rows),
        by_dimension=by_dimension, by_org_type=by_org, by_mode=by_mode, ledger=tuple(ledger), problems=tuple(problems),
    )


def with_problems(rollup: Rollup, extra: Sequence[Problem]) -> Rollup:
    """The same roll-up with problems found while reading files (listed first, by file name)."""
    return replace(rollup, problems=tuple(sorted(extra, key=lambda p: p.file)) + rollup.problems)


# ----------------------------------------------------------------------------------------------
# Synthetic data (benchmark and tests)


def synthetic_roster(ds: Dataset, n: int, seed: int = 0) -> list[Any]:
    """`n` fictional roster rows across every set-up, district, stage and ownership (deterministic)."""
    from .batch import RosterRow
    from .vocab import OWNERSHIPS, STAGES

    rng = random.Random(seed)
    districts = [d.id for d in ds.districts] + [OTHER_DISTRICT]
    return [RosterRow(i + 2, Profile(f"合成学校{i + 1:05d}（虚构）", rng.choice(districts), rng.choice(ORG_TYPES),
                                     rng.choice(MODES), rng.choice(STAGES), rng.choice(OWNERSHIPS), f"SCH-SYN-{i + 1:05d}"))
            for i in range(n)]


def synthetic_submissions(ds: Dataset, roster_rows: Sequence[Any], seed: int = 0) -> list[Submission]:
    """Answers for about 90% of the roster, deterministic given `seed`.

    Each school answers its applicable items with a random result (about 10% left blank), with a
    note and evidence for 未达标/基本达标. IDs match the current data, so no problems arise.
    """
    rng = random.Random(seed)
    weights = (0.55, 0.2, 0.1, 0.05, 0.1)
    choices = (*RESULTS, "")
    base = datetime(2026, 3, 1, tzinfo=UTC)
    cache: dict[tuple[str, ...], list[str]] = {}
    out = []
    for row in roster_rows:
        if rng.random() < 0.1:
            continue
        p = row.profile
        key = (p.org_type, p.mode, p.stage, p.ownership, p.district)
        ids = cache.get(key)
        if ids is None:
            ids = cache[key] = [s.item.id for s in select(ds, p)]
        results = rng.choices(choices, weights=weights, k=len(ids))
        answers = {i: Answer(r, f"{p.name}：{i} 整改措施" if r in BAD else "", "会议记录" if r in BAD else "")
                   for i, r in zip(ids, results, strict=True)}
        school = {"id": p.school_id, "name": p.name, "district": p.district, "org_type": p.org_type, "mode": p.mode,
                  "stage": p.stage, "ownership": p.ownership}
        stamp = (base + timedelta(minutes=rng.randrange(60 * 24 * 30))).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(Submission(f"{safe_name(p.name)}-自查.json", Answers(ds.data_version, school, answers, stamp)))
    return out


# ----------------------------------------------------------------------------------------------
# Reading files


def _csv_submission(path: Path, text: str, ds: Dataset, validator: Draft202012Validator) -> Submission:
    """The checklist page's CSV export → a Submission; the school comes from the file name."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    need = {"编号": None, "自评结果": None, "存在问题及整改措施": None, "佐证材料说明": None}
    for key in need:
        if key not in header:
            raise AnswersError(f"不是自查表导出的 CSV（缺少“{key}”列；应有：{'、'.join(CSV_HEADERS)}）")
        need[key] = header.index(key)
    answers: dict[str, dict[str, str]] = {}
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        cell = {k: (values[i].strip() if i is not None and i < len(values) else "") for k, i in need.items()}
        answers[cell["编号"]] = {"result": cell["自评结果"], "note": cell["存在问题及整改措施"],
                                "evidence": cell["佐证材料说明"]}
    stem = path.stem
    name = stem.split("-自查")[0] if "-自查" in stem else stem.split("-")[0]
    doc = {"format": ANSWERS_FORMAT, "data_version": ds.data_version, "school": {"name": name or stem},
           "answers": answers}
    parsed = parse_answers(json.dumps(doc, ensure_ascii=False), validator)
    return Submission(path.name, parsed, path.stat().st_mtime, from_file_name=True)


def read_answers_dir(folder: Path, ds: Dataset, validator: Draft202012Validator) -> tuple[list[Submission], list[Problem]]:
    """Every *.json (answers format) and *.csv (checklist page export) in `folder`, not recursive."""
    subs: list[Submission] = []
    problems: list[Problem] = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith((".", "~$")):
            continue
        if path.is_dir():
            problems.append(Problem(path.name, "other_file", "子文件夹中的文件不读取"))
            continue
        suffix = path.suffix.lower()
        if suffix not in (".json", ".csv"):
            problems.append(Problem(path.name, "other_file", "不是 .json 或 .csv 文件，已跳过"))
            continue
        try:
            raw = path.read_bytes()
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            kind = "csv" if suffix == ".csv" else "not_json"
            hint = "（Excel 请另存为“CSV UTF-8（逗号分隔）”）" if suffix == ".csv" else ""
            problems.append(Problem(path.name, kind, f"文件不是 UTF-8 编码{hint}，已跳过"))
            continue
        except OSError as exc:
            problems.append(Problem(path.name, "other_file", f"无法读取（{exc.strerror}），已跳过"))
            continue
        try:
            if suffix == ".json":
                subs.append(Submission(path.name, parse_answers(text, validator), path.stat().st_mtime))
            else:
                subs.append(_csv_submission(path, text, ds, validator))
        except AnswersError as exc:
            msg = str(exc)
            kind = "csv" if suffix == ".csv" else ("not_json" if msg.startswith("不是有效的 JSON") else "schema")
            problems.append(Problem(path.name, kind, f"{msg}，已跳过"))
        except csv.Error as exc:
            problems.append(Problem(path.name, "csv", f"CSV 格式错误（{exc}），已跳过"))
    return subs, problems


# ----------------------------------------------------------------------------------------------
# Output helpers shared by HTML and XLSX


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def report_name(ds: Dataset, roster_rows: Sequence[Any], roster_path: Path | None) -> str:
    """The district's name when the roster is one district; else the roster file's name."""
    districts = {r.profile.district for r in roster_rows}
    if len(districts) == 1:
        only = next(iter(districts))
        for d in ds.districts:
            if d.id == only:
                return d.name
    stem = roster_path.stem if roster_path else "花名册"
    return f"花名册“{stem}”所列学校"


def district_label(ds: Dataset, district: str) -> str:
    for d in ds.districts:
        if d.id == district:
            return d.name
    return "其他地区" if district == OTHER_DISTRICT else district


def site_href(site_url: str, record_id: str, ds: Dataset) -> str:
    """Absolute URL of a record's anchor on the public site (directory URLs), or "" without a site URL."""
    from .render import page_of, safe_url

    if not safe_url(site_url):
        return ""
    try:
        path = page_of(record_id, ds)
    except KeyError:
        return ""
    if path.endswith("index.md"):
        path = path[: -len("index.md")]
    elif path.endswith(".md"):
        path = path[:-3] + "/"
    return f"{site_url.rstrip('/')}/{path}#{record_id}"


@dataclass(frozen=True)
class Basis:
    id: str
    label: str
    href: str


def basis_of(item: CheckItem, ds: Dataset, site_url: str) -> tuple[Basis, ...]:
    out = []
    for b in item.basis:
        label = b
        rec = ds.by_id.get(b)
        if rec is not None and rec.cite:
            src = ds.by_id.get(rec.cite[0].src)
            if src is not None:
                label = f"{src.label} {rec.cite[0].loc}".strip()  # type: ignore[attr-defined]
        out.append(Basis(b, label, site_href(site_url, b, ds)))
    return tuple(out)


# --- SVG bar charts: geometry computed here, drawn by the template ------------------------------

CHART_COLORS = {"达标": "#2e7d32", "基本达标": "#f9a825", "未达标": "#c62828", "不适用": "#9e9e9e", UNFILLED: "#e0e0e0"}


@dataclass(frozen=True)
class Segment:
    key: str
    x: float
    width: float
    count: int
    share: float
    color: str
    label: str  # text drawn inside the segment ("" when too narrow)


@dataclass(frozen=True)
class ChartRow:
    label: str
    y: float
    segments: tuple[Segment, ...]
    total: int
    note: str


@dataclass(frozen=True)
class Chart:
    title: str
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    rows: tuple[ChartRow, ...]
    legend: tuple[tuple[str, str, float], ...]  # (label, color, x)


def stacked_chart(title: str, groups: Sequence[GroupRow], *, label_width: int = 150, bar_width: int = 440,
                  bar_height: int = 18, gap: int = 10) -> Chart:
    """A horizontal 100% stacked bar per group: the share of each result among its answers."""
    top = 26
    rows = []
    for n, g in enumerate(groups):
        total = g.total
        x = float(label_width)
        segs = []
        for key in COLUMNS:
            count = g.counts[key]
            frac = count / total if total else 0.0
            w = bar_width * frac
            text = f"{frac * 100:.0f}%" if w >= 30 else ""
            if count:
                segs.append(Segment(key, round(x, 2), round(w, 2), count, frac, CHART_COLORS[key], text))
            x += w
        note = f"{total} 项" if g.schools is None else f"{g.submitted}/{g.schools} 所"
        rows.append(ChartRow(g.label, top + n * (bar_height + gap), tuple(segs), total, note))
    legend, lx = [], float(label_width)
    for key in COLUMNS:
        legend.append((key, CHART_COLORS[key], lx))
        lx += 14 + 14 * len(key) + 16
    height = top + len(groups) * (bar_height + gap) + 4
    return Chart(title, label_width + bar_width + 70, height, label_width, bar_width, bar_height, tuple(rows),
                 tuple(legend))


# ----------------------------------------------------------------------------------------------
# HTML


@dataclass(frozen=True)
class ReportMeta:
    name: str
    roster_file: str
    answers_dir: str
    generated: str
    build: str
    site_url: str = ""

    @property
    def title(self) -> str:
        return f"{self.name}{REPORT_SUFFIX}"


def render_html(ds: Dataset, rollup: Rollup, meta: ReportMeta) -> str:
    from markupsafe import Markup

    from .render import render_template

    # Our own style sheets, trusted: inside <style> entities are not decoded, so they must not be escaped.
    css = Markup((TEMPLATE_DIR / "standalone.css").read_text(encoding="utf-8") + "\n"
                 + (TEMPLATE_DIR / "rollup.css").read_text(encoding="utf-8"))
    charts = {
        "dimension": stacked_chart("各维度自评结果分布", rollup.by_dimension),
        "org_type": stacked_chart("按党组织类型的自评结果分布", rollup.by_org_type),
        "mode": stacked_chart("按书记校长配备的自评结果分布", rollup.by_mode),
    }
    ledger_schools = []
    seen: set[str] = set()
    for row in rollup.ledger:
        if row.profile.school_id not in seen:
            seen.add(row.profile.school_id)
            ledger_schools.append(row.profile)
    return str(render_template(
        "rollup.html", css=css, r=rollup, t=rollup.totals, meta=meta, ds=ds, results=RESULTS, columns=COLUMNS,
        bad=BAD, pct=pct, charts=charts, district=lambda d: district_label(ds, d),
        basis=lambda it: basis_of(it, ds, meta.site_url), item_href=lambda it: site_href(meta.site_url, it.id, ds),
        dim_name={d.key: d.name for d in ds.dimensions}, ledger_schools=ledger_schools,
    )) + "\n"


# ----------------------------------------------------------------------------------------------
# XLSX

SUMMARY_TOTALS = ("花名册学校数", "已提交", "未提交", "提交率", "已填写占比（已提交学校）", "已填写占比（全部学校）",
                  *RESULTS, UNFILLED)
SCHOOL_HEADERS = ("序号", "学校编号", "学校名称", "所属地区", "党组织类型", "书记校长配备", "学段", "办学性质", "提交状态",
                  *RESULTS, UNFILLED, "适用项", "已填写占比", "答案文件")
ITEM_HEADERS = ("排序", "编号", "检查项目", "维度", "未达标", "基本达标", "达标", "不适用", UNFILLED, NOT_SUBMITTED,
                "适用学校", "依据")
LEDGER_HEADERS = ("序号", "学校编号", "学校名称", "所属地区", "编号", "检查项目", "维度", "自评结果", "存在问题及整改措施",
                  "佐证材料说明", "答案文件")
PROBLEM_HEADERS = ("序号", "文件", "类型", "说明", "处理")
SHEETS = ("汇总", "检查项", "维度", "党组织类型", "书记校长配备", "整改台账", "问题", "说明")


def totals_values(t: Totals) -> list[Any]:
    return [t.schools, t.submitted, t.missing, t.submission_share, t.answered_share, t.answered_share_all,
            *(t.counts[c] for c in COLUMNS)]


def _clean(value: Any) -> Any:
    """Strings as text: control characters dropped (openpyxl refuses them)."""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def write_xlsx(ds: Dataset, rollup: Rollup, meta: ReportMeta, path: Path) -> None:
    """The same content as report.html, one sheet per section; streamed (write-only) for large districts."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    wb = Workbook(write_only=True)
    wb.properties.title = meta.title
    wb.properties.subject = f"数据版本 {ds.data_version}"
    wb.properties.keywords = f"data_version={ds.data_version}; build={meta.build}"
    wb.properties.description = f"生成时间 {meta.generated}；花名册 {meta.roster_file}；答案文件夹 {meta.answers_dir}"
    wb.properties.creator = "dzzld-kb"
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="F5F0EF")
    wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(name: str, widths: Sequence[int], *, landscape: bool = True):
        ws = wb.create_sheet(name)
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if landscape else Worksheet.ORIENTATION_PORTRAIT
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = True
        ws.oddHeader.center.text = f"{meta.title}（数据版本 {ds.data_version}）"
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        return ws

    def cells(ws, values: Sequence[Any], *, head: bool = False, pcts: Iterable[int] = (), wraps: Iterable[int] = (),
              font: Any = None):
        out = []
        pcts, wraps = set(pcts), set(wraps)
        for i, v in enumerate(values):
            c = WriteOnlyCell(ws, value=_clean(v))
            if isinstance(v, str):
                c.data_type = "s"  # a note starting with "=" stays text, never a formula
            if head:
                c.font, c.fill = bold, head_fill
            elif font is not None:
                c.font = font
            if i in pcts:
                c.number_format = "0.0%"
            if i in wraps:
                c.alignment = wrap
            out.append(c)
        ws.append(out)

    def table_sheet(ws, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, pcts=(), wraps=()) -> int:
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        cells(ws, headers, head=True)
        n = 0
        for row in rows:
            cells(ws, row, pcts=pcts, wraps=wraps)
            n += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"
        return n

    # 汇总: title, stamp, totals block, then the per-school table.
    ws = sheet("汇总", (6, 16, 30, 10, 10, 12, 14, 10, 10, 8, 9, 8, 8, 8, 8, 10, 24))
    cells(ws, [meta.title], font=Font(bold=True, size=14))
    cells(ws, [f"数据版本 {ds.data_version}；生成时间 {meta.generated}；构建提交 {meta.build}"])
    cells(ws, [])
    cells(ws, ["指标", "数值"], head=True)
    pct_labels = {"提交率", "已填写占比（已提交学校）", "已填写占比（全部学校）"}
    for label, value in zip(SUMMARY_TOTALS, totals_values(rollup.totals), strict=True):
        cells(ws, [label, value], pcts=[1] if label in pct_labels else [])
    cells(ws, [])
    header_row = 4 + len(SUMMARY_TOTALS) + 2
    ws.print_title_rows = f"{header_row}:{header_row}"
    cells(ws, SCHOOL_HEADERS, head=True)
    share_col = SCHOOL_HEADERS.index("已填写占比")
    for s in rollup.schools:
        p = s.profile
        counts = [s.counts[c] if s.submitted else None for c in COLUMNS]
        cells(ws, [s.number, p.school_id, p.name, district_label(ds, p.district), p.org_type, p.mode, p.stage,
                   p.ownership, "已提交" if s.submitted else "未提交", *counts, s.applicable, s.answered_share,
                   s.file or None], pcts=[share_col])

    ws = sheet("检查项", (6, 16, 30, 16, 8, 9, 8, 8, 8, 8, 9, 50))
    table_sheet(ws, ITEM_HEADERS, (
        [r.rank, r.item.id, r.item.title, ds.dimension(r.item.dimension).name, r.counts["未达标"], r.counts["基本达标"],
         r.counts["达标"], r.counts["不适用"], r.counts[UNFILLED], r.not_submitted, r.applicable,
         "；".join(b.label for b in basis_of(r.item, ds, ""))] for r in rollup.items), wraps=[11])

    group_headers = ("达标", "基本达标", "未达标", "不适用", UNFILLED, "合计", "已填写占比")
    ws = sheet("维度", (20, 8, 9, 8, 8, 8, 8, 11), landscape=False)
    table_sheet(ws, ("维度", *group_headers), (
        [g.label, *(g.counts[c] for c in COLUMNS), g.total, g.answered_share] for g in rollup.by_dimension), pcts=[7])
    for name, groups in (("党组织类型", rollup.by_org_type), ("书记校长配备", rollup.by_mode)):
        ws = sheet(name, (14, 9, 9, 8, 9, 8, 8, 8, 8, 11), landscape=False)
        table_sheet(ws, (name, "学校数", "已提交", *group_headers), (
            [g.label, g.schools, g.submitted, *(g.counts[c] for c in COLUMNS), g.total, g.answered_share]
            for g in groups), pcts=[9])

    ws = sheet("整改台账", (6, 16, 28, 10, 16, 28, 16, 10, 50, 30, 24))
    table_sheet(ws, LEDGER_HEADERS, (
        [r.number, r.profile.school_id, r.profile.name, district_label(ds, r.profile.district), r.item.id, r.item.title,
         ds.dimension(r.item.dimension).name, r.result, r.note, r.evidence, r.file] for r in rollup.ledger),
        wraps=[8, 9])

    ws = sheet("问题", (6, 36, 20, 80, 10))
    table_sheet(ws, PROBLEM_HEADERS, (
        [n, p.file, p.label, p.message, "未计入" if p.skipped else "已计入其余答案"]
        for n, p in enumerate(rollup.problems, start=1)), wraps=[3])

    ws = sheet("说明", (18, 90), landscape=False)
    for line in (
        [meta.title], ["数据版本", ds.data_version], ["构建提交", meta.build], ["生成时间", meta.generated],
        ["花名册", meta.roster_file], ["答案文件夹", meta.answers_dir],
        ["适用检查项", "按花名册中每所学校的党组织类型、书记校长配备、学段、办学性质和所属地区确定（与自查表相同的规则）；"
                  "不适用的检查项的答案不计入。"],
        ["已填写占比", "已选择自评结果（" + "、".join(RESULTS) + "）的适用检查项所占比例。"],
        ["检查项排序", "未达标学校数从多到少，其次基本达标学校数从多到少，其次检查项顺序。"],
        ["同一学校多份文件", "以导出时间（exported_at，没有则按文件修改时间）较新的为准，较旧的列入“问题”。"],
        ["注意", "答案文件和本报告是学校的内部材料，请勿发布到公开网站。"],
    ):
        cells(ws, line, wraps=[1])
    wb.save(path)


# ----------------------------------------------------------------------------------------------
# The whole run (used by the CLI)


@dataclass
class RunResult:
    rollup: Rollup
    html: Path
    xlsx: Path
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)


def default_site_url(root: Path) -> str:
    """site_url from mkdocs.yml when it is an http(s) URL; "" otherwise."""
    try:
        text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    except OSError:
        return ""
    m = re.search(r"^site_url:\s*['\"]?([^'\"\s#]*)", text, re.MULTILINE)
    url = m.group(1) if m else ""
    return url if re.match(r"^https?://", url) else ""


def run(ds: Dataset, roster_rows: Sequence[Any], roster_problems: Sequence[str], roster_path: Path, answers_dir: Path,
        out: Path, *, root: Path, site_url: str = "", generated: str | None = None, name: str = "") -> RunResult:
    import time

    from .batch import build_commit
    from .checklist import answers_validator

    start = time.monotonic()
    subs, read_problems = read_answers_dir(answers_dir, ds, answers_validator(root / "schemas"))
    rollup = aggregate(ds, roster_rows, subs)
    extra = [Problem(roster_path.name, "roster", p) for p in roster_problems] + read_problems
    rollup = with_problems(rollup, extra)
    meta = ReportMeta(name or report_name(ds, roster_rows, roster_path), roster_path.name, answers_dir.name or str(answers_dir),
                      generated or datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"), build_commit(root), site_url)
    out.mkdir(parents=True, exist_ok=True)
    html_path, xlsx_path = out / "report.html", out / "report.xlsx"
    html_path.write_text(render_html(ds, rollup, meta), encoding="utf-8")
    write_xlsx(ds, rollup, meta, xlsx_path)
    return RunResult(rollup, html_path, xlsx_path, time.monotonic() - start, list(rollup.problems))


__all__ = [
    "Problem", "Submission", "Rollup", "aggregate", "read_answers_dir", "synthetic_submissions", "synthetic_roster",
    "render_html", "write_xlsx", "run",
]


def command(args: Any, ds: Dataset) -> int:
    """`python -m macros rollup`: 0 clean, 1 when anything was skipped or odd, 2 on fatal input."""
    import sys

    from .batch import read_roster

    root = Path(args.root).resolve()
    answers_dir = Path(args.answers)
    if not answers_dir.is_dir():
        print(f"找不到答案文件夹：{answers_dir}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out_abs = out.resolve()
    for public in ("site", "docs"):
        if out_abs.is_relative_to((root / public).resolve()) and not args.include_in_site:
            print(f"拒绝写入 {out}：它在 {public}/ 里，会随网站公开；答案是学校的内部材料。"
                  f"请换一个输出目录，或确需如此时加 --include-in-site。", file=sys.stderr)
            return 2
    site_url = args.site_url if args.site_url is not None else default_site_url(root)
    if site_url and not re.match(r"^https?://[^\s<>\"']+$", site_url):
        print(f"--site-url 应为 http(s) 地址：{site_url}", file=sys.stderr)
        return 2
    roster_path = Path(args.roster) if args.roster else root / "data" / "schools" / "demo.yaml"
    if not roster_path.is_file():
        print(f"找不到花名册文件：{roster_path}", file=sys.stderr)
        return 2
    roster = read_roster(roster_path, ds)
    if roster.fatal or not roster.rows:
        for problem in roster.problems:
            print(problem, file=sys.stderr)
        print("花名册无法读取（或没有可用的学校），未生成报告。", file=sys.stderr)
        return 2
    result = run(ds, roster.rows, roster.problems, roster_path, answers_dir, out, root=root, site_url=site_url,
                 name=(getattr(args, "name", None) or "").strip())
    for problem in result.problems:
        print(str(problem), file=sys.stderr)
    t = result.rollup.totals
    print(f"完成：花名册 {t.schools} 所学校，已提交 {t.submitted} 所，未提交 {t.missing} 所；"
          f"整改台账 {len(result.rollup.ledger)} 条；问题 {len(result.problems)} 条；用时 {result.seconds:.1f} 秒。"
          f"\n报告：{result.html}\n表格：{result.xlsx}")
    return 1 if result.problems else 0
