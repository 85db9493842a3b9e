"""Reading a folder of returned answers: JSON exports, the page's CSV export, and the district's own
XLSX filled in. One hostile or broken file never stops the run: it becomes a `Problem` naming the
file, and the others are read. Sizes are bounded, symlinks out of the folder are not followed.
"""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..checklist import ANSWERS_FORMAT, Answers, AnswersError, csv_headers, parse_answers
from ..model import Dataset
from ..workbook import csv_unescape

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 20_000

KIND_LABELS = {
    "not_json": "不是有效的 JSON",
    "schema": "不符合答案文件格式",
    "csv": "CSV 无法读取",
    "xlsx": "XLSX 无法读取",
    "other_file": "不是答案文件",
    "too_big": "文件过大",
    "outside": "指向文件夹之外",
    "not_on_roster": "不在花名册中",
    "conflict": "学校编号与名称不一致",
    "ambiguous": "无法对应到学校",
    "duplicate": "同一学校的旧文件",
    "old_version": "旧数据版本",
    "newer_version": "较新的数据版本",
    "retired": "已停用的检查项",
    "unknown_id": "未知的检查项编号",
    "not_applicable": "不适用的检查项",
    "other_kind": "类别已改变的答案",
    "na_no_reason": "不适用未写明理由",
    "profile_mismatch": "学校信息与花名册不一致",
    "roster": "花名册",
}
# Problems after which a file is left out of every count.
SKIPPING = frozenset({"not_json", "schema", "csv", "xlsx", "other_file", "too_big", "outside", "not_on_roster",
                      "conflict", "ambiguous", "duplicate"})


@dataclass(frozen=True)
class Problem:
    """One skipped or odd input, named by its file."""

    file: str
    kind: str
    message: str

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def skipped(self) -> bool:
        """True when the whole file was left out of the counts."""
        return self.kind in SKIPPING

    def __str__(self) -> str:
        return f"{self.file}: {self.label}：{self.message}"


@dataclass(frozen=True)
class Submission:
    """One parsed answers file. `from_file_name`: the school is known only from the file name."""

    file: str
    answers: Answers
    mtime: float = 0.0
    from_file_name: bool = False


def _entries(folder: Path) -> Iterator[tuple[Path, str | None]]:
    """Each entry of the folder (not recursive), with the reason it cannot be read, if any."""
    base = folder.resolve()
    for n, path in enumerate(sorted(folder.iterdir(), key=lambda p: p.name)):
        if path.name.startswith((".", "~$")):
            continue
        if n >= MAX_FILES:
            yield path, f"文件夹里的文件超过 {MAX_FILES:,} 个，其余未读取"
            return
        if path.is_symlink() and not path.resolve().is_relative_to(base):
            yield path, "outside"
            continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            yield path, f"无法读取（{exc.strerror}）"
            continue
        if stat.S_ISDIR(mode):
            yield path, "子文件夹中的文件不读取"
        elif not stat.S_ISREG(mode):
            yield path, "不是普通文件"
        else:
            yield path, None


def read_answers_dir(folder: Path, ds: Dataset, validator: Draft202012Validator) -> tuple[list[Submission], list[Problem]]:
    """Every answers file in `folder`: *.json (the page's export), *.csv (its CSV) and *.xlsx (filled in)."""
    subs: list[Submission] = []
    problems: list[Problem] = []
    for path, refused in _entries(folder):
        name = path.name
        if refused == "outside":
            problems.append(Problem(name, "outside", "符号链接指向答案文件夹之外，未读取"))
            continue
        if refused:
            problems.append(Problem(name, "other_file", f"{refused}，已跳过"))
            continue
        suffix = path.suffix.lower()
        if suffix not in (".json", ".csv", ".xlsx"):
            problems.append(Problem(name, "other_file", "不是 .json、.csv 或 .xlsx 文件，已跳过"))
            continue
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.append(Problem(name, "too_big", f"{size:,} 字节，上限 {MAX_FILE_BYTES:,}，已跳过"))
            continue
        try:
            subs.extend(_read_one(path, suffix, ds, validator))
        except AnswersError as exc:
            kind = {".csv": "csv", ".xlsx": "xlsx"}.get(suffix) or ("not_json" if str(exc).startswith("不是有效的 JSON")
                                                                   else "schema")
            problems.append(Problem(name, kind, f"{exc}，已跳过"))
    return subs, problems


def _read_one(path: Path, suffix: str, ds: Dataset, validator: Draft202012Validator) -> list[Submission]:
    raw = path.read_bytes()
    mtime = path.stat().st_mtime
    if suffix == ".json":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise AnswersError("不是有效的 JSON（文件不是 UTF-8 编码）") from None
        return [Submission(path.name, parse_answers(text, validator), mtime)]
    if suffix == ".csv":
        return [_csv_submission(path.name, raw, mtime, ds, validator)]
    from .xlsx_returns import xlsx_submissions

    return xlsx_submissions(path.name, raw, mtime, ds, validator)


OPTIONAL_COLUMNS = ("不适用理由", "自评分", "复核分", "复核意见")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value >= 0 else None


def returned_answer(cell: Any) -> dict[str, Any]:
    """One row of a returned CSV or workbook as an answer; `cell(column)` gives the cell's text.

    The self-score counts only for 基本达标 (the other results fix it); a number that is not one is
    left out and the schema check of the whole file then names nothing false.
    """
    doc: dict[str, Any] = {"result": cell("自评结果"), "note": cell("存在问题及整改措施"), "evidence": cell("佐证材料说明")}
    if cell("不适用理由"):
        doc["na_reason"] = cell("不适用理由")
    if doc["result"] == "基本达标" and _number(cell("自评分")) is not None:
        doc["score"] = _number(cell("自评分"))
    if _number(cell("复核分")) is not None:
        doc["review_score"] = _number(cell("复核分"))
    if cell("复核意见"):
        doc["review_note"] = cell("复核意见")
    return doc


def school_from_file_name(stem: str) -> str:
    """The school name part of the page's export file names: `<学校名称>-自查-<日期>`."""
    return stem.split("-自查")[0] if "-自查" in stem else stem.split("-")[0]


def answers_doc(ds: Dataset, school: dict[str, str], answers: dict[str, dict[str, str]]) -> dict[str, Any]:
    return {"format": ANSWERS_FORMAT, "data_version": ds.data_version, "school": school, "answers": answers}


def _csv_submission(name: str, raw: bytes, mtime: float, ds: Dataset, validator: Draft202012Validator) -> Submission:
    """The checklist page's CSV export → a Submission (school by its code and name columns, else the file name)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise AnswersError("CSV 编码无法识别（Excel 请另存为“CSV UTF-8（逗号分隔）”）")
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise AnswersError(f"CSV 格式错误（{exc}）") from None
    header = [h.strip() for h in (table[0] if table else [])]
    need = ("编号", "自评结果", "存在问题及整改措施", "佐证材料说明")
    missing = [k for k in need if k not in header]
    if missing:
        raise AnswersError(f"不是自查表导出的 CSV（缺少“{'”“'.join(missing)}”列；应有：{'、'.join(csv_headers())}）")
    col = {k: header.index(k) for k in (*need, *OPTIONAL_COLUMNS, "学校编号", "学校名称") if k in header}
    answers: dict[str, dict[str, str]] = {}
    school: dict[str, str] = {}
    for values in table[1:]:
        if not any(v.strip() for v in values):
            continue

        def cell(key: str, values: list[str] = values) -> str:
            i = col.get(key)
            return csv_unescape(values[i].strip()) if i is not None and i < len(values) else ""

        answers[cell("编号")] = returned_answer(cell)
        if cell("学校名称") and not school:
            school = {"name": cell("学校名称"), **({"id": cell("学校编号")} if cell("学校编号") else {})}
    from_name = not school
    if from_name:
        stem = Path(name).stem
        school = {"name": school_from_file_name(stem) or stem}
    parsed = parse_answers(json.dumps(answers_doc(ds, school, answers), ensure_ascii=False), validator)
    return Submission(name, parsed, mtime, from_file_name=from_name)
