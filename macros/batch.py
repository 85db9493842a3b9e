"""Batch output for a district office: roster → per-school HTML and PDF checklists + one XLSX workbook.

Bad roster rows are reported with their row number and skipped; every other school is produced.
Memory stays flat with roster size: schools are rendered and written one at a time, the workbook
is streamed, and PDFs reuse one or two headless Chromiums. Every file is written inside `--out`,
whatever a school's code or name holds.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from markupsafe import Markup

from .checklist import Profile, Selected, district_names, scoring_profile, select
from .checklist_pages import CHECKLIST_TITLE, checklist_context
from .model import Dataset
from .render import render_template
from .roster import RosterResult
from .scope import RULE
from .workbook import Book, SheetLayout, list_validation

TEMPLATE_DIR = Path(__file__).parent / "templates"
MAX_NAME_BYTES = 180  # file names: ext4 allows 255 bytes; leave room for the extension and a counter
_UNSAFE = re.compile(r"[\\/:*?\"<>|\s\x00-\x1f\x7f]+")


def file_stem(profile: Profile) -> str:
    """`<code>-<name>`, made safe for every file system: no separators, no dots in front, ≤ 180 bytes."""
    code = _UNSAFE.sub("_", unicodedata.normalize("NFKC", profile.school_id)).strip("._") or "school"
    name = _UNSAFE.sub("_", profile.name).strip("._") or "school"
    stem = f"{code.lower()}-{name}"
    raw = stem.encode("utf-8")[:MAX_NAME_BYTES]
    return raw.decode("utf-8", errors="ignore").rstrip("._") or "school"


class OutputNames:
    """Unique file stems for one run; a second school whose stem collides gets `-2`, `-3` …"""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def stem(self, profile: Profile) -> str:
        base = file_stem(profile)
        stem, n = base, 2
        while stem.casefold() in self.used:
            stem, n = f"{base}-{n}", n + 1
        self.used.add(stem.casefold())
        return stem


def inside(folder: Path, name: str) -> Path:
    """`folder/name`, refusing any name that would land outside `folder`."""
    path = folder / name
    if path.resolve().parent != folder.resolve():
        raise ValueError(f"输出文件名不安全：{name!r}")
    return path


def standalone_html(ds: Dataset, profile: Profile, rows: list[Selected], *, build: str) -> str:
    """A complete printable HTML document for one school (no site chrome, CSS inline)."""
    ctx = checklist_context(ds, None, rows, mode="print", profile=profile, heading=profile.name)
    fragment = render_template("checklist.html", **ctx)
    css = Markup((TEMPLATE_DIR / "standalone.css").read_text(encoding="utf-8"))  # our own file, not data
    return str(render_template("standalone.html", fragment=fragment, css=css, title=f"{profile.name} {CHECKLIST_TITLE}",
                               data_version=ds.data_version, build=build))


def build_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                             timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


class Progress:
    """A one-line progress bar on a terminal; a line every 10% otherwise (logs stay readable)."""

    def __init__(self, total: int, label: str, stream: TextIO = sys.stderr):
        self.total, self.label, self.stream = max(total, 1), label, stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.last_decile = -1

    def update(self, done: int) -> None:
        frac = done / self.total
        if self.tty:
            bar = "#" * int(frac * 30)
            self.stream.write(f"\r{self.label} [{bar:<30}] {done}/{self.total} {time.monotonic() - self.start:5.1f}s")
            if done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
        elif int(frac * 10) != self.last_decile:
            self.last_decile = int(frac * 10)
            print(f"{self.label}: {done}/{self.total}", file=self.stream)


XLSX_HEADERS = ("学校编号", "学校名称", "所属地区", "党组织类型", "书记校长配备", "学段", "办学性质", "评分方案", "序号", "编号",
                "类别", "维度", "检查项目", "检查内容", "依据", "佐证材料", "分值", "自评结果", "不适用理由", "自评分", "复核分",
                "复核意见", "存在问题及整改措施", "佐证材料说明")
XLSX_WIDTHS = (14, 24, 10, 10, 12, 12, 10, 16, 6, 16, 8, 14, 24, 60, 24, 30, 6, 12, 24, 8, 8, 24, 40, 30)


def write_xlsx(ds: Dataset, schools: Iterable[tuple[Profile, list[Selected]]], path: Path, *, build: str) -> int:
    """One workbook for the district: a long table (one row per school × item), streamed."""
    v = ds.vocab
    book = Book(title=CHECKLIST_TITLE, subject=f"数据版本 {ds.data_version}",
                keywords=f"data_version={ds.data_version}; build={build}")
    info = book.sheet("说明", SheetLayout((16, 90), CHECKLIST_TITLE, landscape=False, freeze=""))
    for line in (
        [CHECKLIST_TITLE], ["数据版本", ds.data_version], ["构建提交", build],
        ["填写说明", f"规定项在“自评结果”列选择：{'、'.join(v.rule_results)}；参考项选择：{'、'.join(v.reference_results)}。"
                     "选“不适用”须在“不适用理由”列写明依据，否则按未填计。"],
        ["评分", "规定项按“分值”计分：达标得全部分值，未达标 0 分，基本达标填写“自评分”（大于 0、小于分值）；参考项不计分。"
               "“复核分”“复核意见”由复核人员填写。"],
        ["类别", "规定项：依据对本校有约束力的规定；参考项：探索性、倡导性做法或其他地方、范文的做法，不计为未达标。"],
        ["列说明", "每行是一所学校的一个检查项；可按学校名称筛选。"],
    ):
        book.row(info, line, wraps=[1])
    ws = book.sheet("自查表", SheetLayout(XLSX_WIDTHS, f"{CHECKLIST_TITLE}（数据版本 {ds.data_version}）", freeze="C2"))
    names = district_names(ds)
    evidence = {e.id: e.name for e in ds.evidence}

    def rows() -> Iterator[list[object]]:
        for profile, selected in schools:
            scoring = scoring_profile(ds, profile)
            label = f"{scoring.name} {scoring.version}" if scoring else ""
            for s in selected:
                it = s.item
                points = scoring.points(it.id).points if scoring and s.kind.kind == RULE else None
                yield [profile.school_id, profile.name, names.get(profile.district, profile.district), profile.org_type,
                       profile.mode, profile.stage, profile.ownership, label, s.number, it.id, s.kind.kind,
                       ds.dimension(it.dimension).name, it.title, it.check, "；".join(it.basis),
                       "；".join(evidence[e] for e in it.evidence), points, "", "", None, None, "", "", ""]

    n = book.table(ws, XLSX_HEADERS, rows(), wraps=[XLSX_HEADERS.index("检查内容"), XLSX_HEADERS.index("佐证材料")])
    result_col = XLSX_HEADERS.index("自评结果") + 1
    from openpyxl.utils import get_column_letter

    list_validation(ws, f"{get_column_letter(result_col)}2:{get_column_letter(result_col)}{max(n + 1, 2)}",
                    v.results, "自评结果")
    book.save(path)
    return n


@dataclass
class BatchReport:
    produced: int = 0
    skipped: int = 0
    pdfs: int = 0
    docx: int = 0
    xlsx_rows: int = 0
    seconds: float = 0.0


def run_batch(ds: Dataset, roster: RosterResult, out: Path, *, html: bool = True, pdf: bool = False,
              xlsx: bool = True, docx: bool = False, root: Path, progress: bool = True, scoring: str = "") -> BatchReport:
    """Produce every good school's outputs; bad rows are already listed in roster.problems.

    `docx`: each school's blank, editable 自查表 as docx/<stem>.docx, beside its HTML and PDF.
    """
    from .docx_model import item_texts
    from .pdf import PdfPool
    from .school_docs import blank_checklist

    start = time.monotonic()
    report = BatchReport(skipped=len({p.row for p in roster.problems if p.row}))
    if roster.fatal:
        return report
    out.mkdir(parents=True, exist_ok=True)
    build = build_commit(root)
    printer = PdfPool() if pdf else None
    bar = Progress(len(roster.rows), "生成自查表") if progress else None
    names = OutputNames()
    html_dir, pdf_dir, docx_dir = out / "html", out / "pdf", out / "docx"
    item_data = item_texts(ds) if docx else {}

    def schools() -> Iterator[tuple[Profile, list[Selected]]]:
        for n, row in enumerate(roster.rows, start=1):
            profile = replace(row.profile, scoring=scoring) if scoring else row.profile
            selected = select(ds, profile)
            stem = names.stem(row.profile) if html or pdf or docx else ""
            if docx:
                docx_dir.mkdir(exist_ok=True)
                docx_path = inside(docx_dir, f"{stem}.docx")
                tmp = docx_path.with_name(f".{docx_path.name}.partial")
                tmp.write_bytes(blank_checklist(ds, profile, selected, item_data))
                tmp.replace(docx_path)
                report.docx += 1
            if html or pdf:
                html_dir.mkdir(exist_ok=True)
                html_path = inside(html_dir, f"{stem}.html")
                html_path.write_text(standalone_html(ds, profile, selected, build=build), encoding="utf-8")
                if printer is not None:
                    pdf_dir.mkdir(exist_ok=True)
                    pdf_path = inside(pdf_dir, f"{stem}.pdf")
                    printer.submit(html_path, pdf_path, f"{row.profile.name} · 数据版本 {ds.data_version}",
                                   html_path.unlink if not html else lambda: None)
                elif not html:
                    html_path.unlink()
            report.produced += 1
            if bar:
                bar.update(n)
            yield profile, selected

    try:
        if xlsx:
            report.xlsx_rows = write_xlsx(ds, schools(), out / "district-checklists.xlsx", build=build)
        else:
            for _ in schools():
                pass
    finally:
        if printer is not None:
            printer.close()  # waits for the queued PDFs
            report.pdfs = printer.printed
        if not html and html_dir.exists() and not any(html_dir.iterdir()):
            html_dir.rmdir()
    report.seconds = time.monotonic() - start
    return report
