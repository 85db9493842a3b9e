"""School rosters (花名册) as district officers keep them: CSV from Excel (UTF-8 or GBK), or YAML.

One reader for the batch command and the roll-up. Every problem names the file, the row and the
column. Values are matched through one alias table (the `x-aliases` of the vocabularies in
schemas/common.schema.json), so 中职 reads as 中等职业学校 and 总支 as 党总支. Sizes are bounded:
a hostile or broken roster gives messages, never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .checklist import Profile
from .load import load_file
from .model import Dataset
from .validate import schema_problems, schema_validator
from .vocab import OTHER_DISTRICT, OTHER_DISTRICT_LABEL, PROFILE_LABELS, UNKNOWN

MAX_ROSTER_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_FIELD = 200  # characters in one cell
MAX_ID = 48
AUTO_ID_PREFIX = "AUTO-"

# Header spellings → profile field. Chinese labels come from vocab.PROFILE_LABELS.
HEADER_ALIASES = {
    "编号": "id", "学校代码": "id", "学校标识码": "id", "id": "id",
    "名称": "name", "学校": "name", "name": "name",
    "地区": "district", "所属区县": "district", "区县": "district", "district": "district",
    "党组织": "org_type", "org_type": "org_type",
    "书记校长": "mode", "配备方式": "mode", "mode": "mode",
    "stage": "stage",
    "性质": "ownership", "ownership": "ownership",
}
REQUIRED = ("id", "name", "org_type", "mode")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with a roster, at a row (0: the whole file) and a column."""

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        return f"{where}: {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass(frozen=True)
class RosterRow:
    row: int  # 1-based row number as a spreadsheet shows it (header = row 1), or the YAML line
    profile: Profile
    county: str = ""  # a 县区 name given where the roster's district column held one


@dataclass
class RosterResult:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)  # rows left out, or the whole file
    notices: list[str] = field(default_factory=list)  # things done for the reader (auto IDs, GBK)
    fatal: bool = False


@dataclass(frozen=True)
class ReadOptions:
    auto_id: bool = False  # number schools without a 学校编号 instead of refusing them
    district: str = ""  # DS- id: district column values that are no district are its 县区


@cache
def _aliases(schema_file: Path) -> dict[str, dict[str, str]]:
    defs = json.loads(schema_file.read_text(encoding="utf-8"))["$defs"]
    out = {}
    for key in ("org_type", "mode", "stage", "ownership"):
        table = {v: v for v in defs[key]["enum"]}
        table.update(defs[key].get("x-aliases", {}))
        out[key] = table
    return out


def value_aliases(ds: Dataset, root: Path) -> dict[str, dict[str, str]]:
    """Spelling → value for every profile field, districts included (one table for every reader)."""
    table = {k: dict(v) for k, v in _aliases((root / "schemas" / "common.schema.json").resolve()).items()}
    districts = {OTHER_DISTRICT: OTHER_DISTRICT, "其他": OTHER_DISTRICT, OTHER_DISTRICT_LABEL: OTHER_DISTRICT,
                 "other": OTHER_DISTRICT, UNKNOWN: UNKNOWN}
    for d in ds.districts:
        for key in (d.id, d.name, d.short, d.slug):
            if key:
                districts[key] = d.id
    table["district"] = districts
    return table


def normalise(text: str) -> str:
    """Full-width to half-width, spaces removed: how cells are compared with the alias table."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def read_roster(path: Path, ds: Dataset, root: Path, options: ReadOptions = ReadOptions()) -> RosterResult:
    """Read a CSV or YAML roster; every bad row becomes a problem naming its row and column."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        return RosterResult(problems=[RowProblem(name, 0, "", f"无法读取：{exc.strerror}")], fatal=True)
    if size > MAX_ROSTER_BYTES:
        return RosterResult(problems=[RowProblem(name, 0, "", f"文件过大（{size:,} 字节，上限 {MAX_ROSTER_BYTES:,}）")],
                            fatal=True)
    if path.suffix.lower() in (".yaml", ".yml"):
        out = _read_yaml(path, ds, root)
    else:
        out = _read_csv(path, ds, root, options)
    if not out.fatal:
        _check_duplicates(out, name)
    if not out.fatal and not out.rows and not out.problems:
        out.problems.append(RowProblem(name, 0, "", "花名册里没有学校"))
        out.fatal = True
    return out


def _decode(raw: bytes, name: str, out: RosterResult) -> str | None:
    if b"\x00" in raw:
        row = raw[: raw.index(b"\x00")].count(b"\n") + 1
        out.problems.append(RowProblem(name, row, "", "含有 NUL 空字节：这不是文本文件（Excel 文件请另存为 CSV）"))
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding != "utf-8-sig":
            out.notices.append(f"{name}：按 GBK/GB18030 编码读取（Excel 的“CSV（逗号分隔）”格式）")
        return text
    out.problems.append(RowProblem(name, 0, "", "文件编码无法识别：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”"))
    return None


def _header_fields(header: list[str]) -> list[str | None]:
    labels = {v: k for k, v in PROFILE_LABELS.items()}
    fields = []
    for h in header:
        key = normalise(h).lower() if normalise(h).isascii() else normalise(h)
        fields.append(labels.get(key) or HEADER_ALIASES.get(key))
    return fields


def _read_csv(path: Path, ds: Dataset, root: Path, options: ReadOptions) -> RosterResult:
    out, name = RosterResult(), path.name
    text = _decode(path.read_bytes(), name, out)
    if text is None:
        out.fatal = True
        return out
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        out.problems.append(RowProblem(name, 0, "", f"CSV 格式错误（{exc}）"))
        out.fatal = True
        return out
    if not table or not any(c.strip() for c in table[0]):
        out.problems.append(RowProblem(name, 1, "", "文件为空或第一行不是列名"))
        out.fatal = True
        return out
    if len(table) - 1 > MAX_ROWS:
        out.problems.append(RowProblem(name, 0, "", f"行数过多（{len(table) - 1:,} 行，上限 {MAX_ROWS:,}）"))
        out.fatal = True
        return out
    header = table[0]
    fields = _header_fields(header)
    missing = [k for k in REQUIRED if k not in fields]
    if missing:
        wanted = "、".join(PROFILE_LABELS[k] for k in missing)
        present = "、".join(h.strip() for h, f in zip(header, fields, strict=True) if f) or "（无）"
        out.problems.append(RowProblem(name, 1, "", f"缺少必需的列：{wanted}（已识别的列：{present}；"
                                                    f"可用的列名：{'、'.join(PROFILE_LABELS.values())}）"))
        out.fatal = True
        return out
    unknown = [h.strip() for h, f in zip(header, fields, strict=True) if f is None and h.strip()]
    if unknown:
        out.notices.append(f"{name}：以下列不认识，已忽略：{'、'.join(unknown)}")
    aliases = value_aliases(ds, root)
    for row_no, values in enumerate(table[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        cells = {f: v for f, v in zip(fields, values, strict=False) if f}
        too_long = next((f for f, v in cells.items() if len(v) > MAX_FIELD), None)
        if too_long:
            out.problems.append(RowProblem(name, row_no, PROFILE_LABELS[too_long],
                                           f"内容过长（{len(cells[too_long]):,} 字，上限 {MAX_FIELD}），本行未生成"))
            continue
        row, problem = _row(cells, aliases, ds, options, name, row_no)
        if problem:
            out.problems.append(problem)
        elif row is not None:
            out.rows.append(row)
    return out


def _row(cells: dict[str, str], aliases: dict[str, dict[str, str]], ds: Dataset, options: ReadOptions, name: str,
         row_no: int) -> tuple[RosterRow | None, RowProblem | None]:
    """One CSV row → a roster row, or the first problem it has."""
    def bad(key: str, message: str) -> tuple[None, RowProblem]:
        return None, RowProblem(name, row_no, PROFILE_LABELS[key], message)

    school_name = cells.get("name", "").strip()
    if not school_name:
        return bad("name", "缺少学校名称，本行未生成")
    if any(ord(c) < 32 for c in school_name):
        return bad("name", "含有控制字符，本行未生成")
    values: dict[str, str] = {}
    for key in ("org_type", "mode", "stage", "ownership"):
        raw = cells.get(key, "").strip()
        if not raw:
            if key in REQUIRED:
                return bad(key, f"“{school_name}”缺少{PROFILE_LABELS[key]}，本行未生成")
            values[key] = UNKNOWN
            continue
        value = aliases[key].get(normalise(raw))
        if value is None:
            return bad(key, f"“{raw}”不是可用的{PROFILE_LABELS[key]}（可选：{'、'.join(ds.vocab.choices(key))}），本行未生成")
        values[key] = value
    raw_district, county = cells.get("district", "").strip(), ""
    district = aliases["district"].get(normalise(raw_district)) if raw_district else UNKNOWN
    if district is None:
        if options.district:
            district, county = options.district, raw_district  # a 县区 of the district the run is for
        else:
            known = "、".join(d.name for d in ds.districts)
            return bad("district", f"“{raw_district}”不是已知地区（{known}、{OTHER_DISTRICT_LABEL}）；"
                                   "如果是本地区的县区，请加 --district 指定所属地区，本行未生成")
    school_id = cells.get("id", "").strip()
    if not school_id:
        if not options.auto_id:
            return bad("id", f"“{school_name}”缺少学校编号，本行未生成（或加 --auto-id 自动编号）")
        school_id = f"{AUTO_ID_PREFIX}{row_no:05d}"
    elif len(school_id) > MAX_ID or any(ord(c) < 32 for c in school_id):
        return bad("id", f"学校编号“{school_id[:20]}…”过长或含控制字符（上限 {MAX_ID} 字），本行未生成")
    return RosterRow(row_no, Profile(school_name, district, values["org_type"], values["mode"], values["stage"],
                                     values["ownership"], school_id), county), None


def _read_yaml(path: Path, ds: Dataset, root: Path) -> RosterResult:
    out, name = RosterResult(), path.name
    f = load_file(path, name)
    if f.problems:
        out.problems += [RowProblem(name, p.line, p.field, p.message) for p in f.problems]
        out.fatal = True
        return out
    bad_rows: set[int] = set()
    for p in schema_problems(f, schema_validator(root / "schemas", "roster")):
        m = re.match(r"schools\[(\d+)\]", p.field)
        out.problems.append(RowProblem(name, p.line, p.field, p.message))
        if m is None:
            out.fatal = True
        else:
            bad_rows.add(int(m.group(1)))
    if out.fatal:
        return out
    for i, s in enumerate(f.data["schools"]):
        if i in bad_rows or s.get("status") == "retired":
            continue
        line = f.positions.locate(("schools", i))[0]
        profile = Profile(s["name"], s["district"], s["org_type"], s["mode"], s["stage"], s["ownership"], s["id"])
        issues = profile.problems(ds)
        if issues:
            out.problems.append(RowProblem(name, line, "district", "；".join(issues)))
            continue
        out.rows.append(RosterRow(line, profile))
    return out


def _check_duplicates(out: RosterResult, name: str) -> None:
    """Two rows with one 学校编号, or one name twice in a district: both rows are refused."""
    by_id: dict[str, list[RosterRow]] = {}
    by_name: dict[tuple[str, str], list[RosterRow]] = {}
    for r in out.rows:
        by_id.setdefault(r.profile.school_id.casefold(), []).append(r)
        by_name.setdefault((r.profile.district, normalise(r.profile.name)), []).append(r)
    refused: set[int] = set()
    for rows in by_id.values():
        if len(rows) > 1:
            numbers = "、".join(str(r.row) for r in rows)
            for r in rows:
                refused.add(r.row)
                out.problems.append(RowProblem(name, r.row, PROFILE_LABELS["id"],
                                               f"学校编号“{r.profile.school_id}”重复（第 {numbers} 行），这几行都未生成"))
    for rows in by_name.values():
        if len(rows) > 1:
            numbers = "、".join(str(r.row) for r in rows)
            for r in rows:
                if r.row not in refused:
                    refused.add(r.row)
                    out.problems.append(RowProblem(name, r.row, PROFILE_LABELS["name"],
                                                   f"学校“{r.profile.name}”在同一地区重复（第 {numbers} 行），这几行都未生成"))
    if refused:
        out.rows = [r for r in out.rows if r.row not in refused]
        out.problems.sort(key=lambda p: p.row)
    auto = [r for r in out.rows if r.profile.school_id.startswith(AUTO_ID_PREFIX)]
    if auto:
        out.notices.append(f"{name}：{len(auto)} 所学校没有学校编号，已按行号自动编号（如第 {auto[0].row} 行为 "
                           f"{auto[0].profile.school_id}）；请把编号写回花名册，以便回收时对应")
