"""A school's Word documents from its answers file, and blank 自查表 for the batch; files written whole.

`read_answers` checks an answers file (the JSON the checklist page exports) against the answers
schema and the data, and says in Chinese what is wrong; `school_documents` gives the 自查表 and
the 自查报告 draft; `write_all` writes a set of files so that either all of them are in place or
none is (no half-written output).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checklist import Answer, AnswersError, Profile, Selected, answers_validator, migrate, parse_answers, select
from .docx_checklist import checklist_model
from .docx_model import doc_input, texts
from .docx_report import report_model
from .docx_write import docx_bytes, docx_parts
from .model import Dataset
from .vocab import UNKNOWN

MAX_ANSWERS_BYTES = 5_000_000
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def safe_file_name(name: str) -> str:
    """The same rule as the checklist page's script (safeFileName in assets/checklist-core.js)."""
    return _UNSAFE.sub("_", name).strip() or "未命名学校"


@dataclass
class SchoolAnswers:
    profile: Profile
    period: str
    answers: dict[str, Answer]
    notices: list[str] = field(default_factory=list)


def read_answers(ds: Dataset, path: Path, *, scoring: str = "") -> SchoolAnswers:
    """An answers file as a profile and the answers that count now; AnswersError says what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersError(f"无法读取（{exc.strerror}）") from None
    if len(raw) > MAX_ANSWERS_BYTES:
        raise AnswersError(f"文件太大（上限 {MAX_ANSWERS_BYTES // 1_000_000} MB）")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswersError("不是 UTF-8 编码的文本") from None
    doc = parse_answers(text, answers_validator(ds.schema_dir))
    school = doc.school
    notices = []
    chosen = scoring or school.get("profile", "")
    if chosen and chosen not in {p.id for p in ds.profiles}:
        if scoring:
            raise AnswersError(f"没有评分方案“{scoring}”")
        notices.append(f"文件中的评分方案“{chosen}”本数据版本中没有，改按所属地区的评分方案计分")
        chosen = ""
    profile = Profile(school["name"].strip(), school.get("district") or UNKNOWN, school.get("org_type") or UNKNOWN,
                      school.get("mode") or UNKNOWN, school.get("stage") or UNKNOWN,
                      school.get("ownership") or UNKNOWN, school.get("id", ""), chosen)
    problems = profile.problems(ds)
    if problems:
        raise AnswersError("学校信息有误：" + "；".join(problems))
    m = migrate(ds, doc, profile)
    if doc.data_version != ds.data_version:
        notices.append(f"文件的数据版本为 {doc.data_version}，本数据为 {ds.data_version}：已按检查项编号对应答案")
    if m.retired:
        notices.append(f"以下检查项已停用，其答案未计入：{'、'.join(m.retired)}")
    if m.unknown:
        notices.append(f"本数据中没有以下编号，其答案未计入：{'、'.join(m.unknown)}")
    if m.other_kind:
        notices.append(f"以下检查项的类别（规定项/参考项）已改变，原答案未计入：{'、'.join(m.other_kind)}")
    return SchoolAnswers(profile, school.get("period", ""), m.kept, notices)


@dataclass(frozen=True)
class Document:
    name: str  # file name
    data: bytes
    chars: int = 0  # the report's body length (字数), 0 for other documents


def school_documents(ds: Dataset, sa: SchoolAnswers) -> list[Document]:
    """The filled 自查表 and the 自查报告 draft of one school."""
    selected = select(ds, sa.profile)
    inp = doc_input(ds, sa.profile, selected, sa.answers, period=sa.period)
    name = safe_file_name(sa.profile.name)
    t = texts()
    report = report_model(inp)
    subject = t["data_version"].format(ds.data_version)
    return [Document(t["checklist"]["file"].format(name), docx_bytes(checklist_model(inp), subject=subject)),
            Document(t["report"]["file"].format(name), docx_bytes(report, subject=subject), report["chars"])]


def blank_checklist_parts(ds: Dataset, profile: Profile, selected: list[Selected],
                          item_data: Mapping[str, Any]) -> dict[str, str]:
    """A roster school's blank 自查表 (boxes to tick, lines to fill), as the parts of its .docx."""
    inp = doc_input(ds, profile, selected, None, item_data=item_data)
    return docx_parts(checklist_model(inp), subject=texts()["data_version"].format(ds.data_version))


def write_all(folder: Path, documents: list[Document]) -> list[Path]:
    """Write every document into `folder`, or none: each goes to a temporary name first."""
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        for doc in documents:
            target = folder / doc.name
            if target.resolve().parent != folder.resolve():
                raise ValueError(f"输出文件名不安全：{doc.name!r}")
            tmp = folder / f".{doc.name}.partial"
            tmp.write_bytes(doc.data)
            temps.append((tmp, target))
        for tmp, target in temps:
            tmp.replace(target)
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
    return [target for _, target in temps]
