"""Batch output for a district office: roster → per-school HTML and PDF checklists + one XLSX workbook.

Bad roster rows are reported with their row number and skipped; every other school is produced.
Memory stays flat with roster size: schools are rendered and written one at a time, the workbook
is streamed (openpyxl write-only mode), and PDFs reuse one headless Chromium.
"""

from __future__ import annotations

import csv
import io
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from markupsafe import Markup

from .checklist import OTHER_DISTRICT, Profile, Selected, select
from .checklist_pages import CHECKLIST_TITLE, _context
from .load import load_file
from .model import Dataset
from .render import render_template
from .validate import schema_problems, schema_validator
from .vocab import RESULTS, UNKNOWN

CSV_COLUMNS = {  # accepted header → profile field
    "学校编号": "id", "编号": "id", "id": "id",
    "学校名称": "name", "名称": "name", "name": "name",
    "所属地区": "district", "地区": "district", "district": "district",
    "党组织类型": "org_type", "org_type": "org_type",
    "书记校长配备": "mode", "书记校长": "mode", "mode": "mode",
    "学段": "stage", "stage": "stage",
    "办学性质": "ownership", "ownership": "ownership",
}
REQUIRED = ("name", "org_type", "mode")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TEMPLATE_DIR = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class RosterRow:
    row: int  # 1-based row number as a spreadsheet shows it (header = row 1) or YAML line
    profile: Profile


@dataclass
class RosterResult:
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    fatal: bool = False


def _district_aliases(ds: Dataset) -> dict[str, str]:
    aliases = {OTHER_DISTRICT: OTHER_DISTRICT, "其他": OTHER_DISTRICT, "other": OTHER_DISTRICT, "": UNKNOWN,
               UNKNOWN: UNKNOWN}
    for d in ds.districts:
        for key in (d.id, d.name, d.short, d.slug):
            if key:
                aliases[key] = d.id
    return aliases


def read_roster(path: Path, ds: Dataset) -> RosterResult:
    """Read a CSV or YAML roster; every bad row becomes a message naming its row number."""
    if path.suffix.lower() in (".yaml", ".yml"):
        return _read_yaml_roster(path, ds)
    return _read_csv_roster(path, ds)


def _read_yaml_roster(path: Path, ds: Dataset) -> RosterResult:
    out = RosterResult()
    f = load_file(path, str(path))
    if f.problems:
        out.problems += [str(p) for p in f.problems]
        out.fatal = True
        return out
    root = Path(__file__).resolve().parent.parent
    bad_rows: set[int] = set()
    for p in schema_problems(f, schema_validator(root / "schemas", "roster")):
        m = re.match(r"schools\[(\d+)\]", p.field)
        if m is None:
            out.problems.append(str(p))
            out.fatal = True
        else:
            bad_rows.add(int(m.group(1)))
            out.problems.append(str(p))
    if out.fatal:
        return out
    seen: dict[str, int] = {}
    for i, s in enumerate(f.data.get("schools", [])):
        line = f.positions.locate(("schools", i))[0]
        if i in bad_rows:
            continue
        profile = Profile(s["name"], s["district"], s["org_type"], s["mode"], s["stage"], s["ownership"], s["id"])
        problem = _row_problem(profile, ds, seen, line)
        if problem:
            out.problems.append(f"{path}:{line}: {problem}")
            continue
        out.rows.append(RosterRow(line, profile))
    return out


def _read_csv_roster(path: Path, ds: Dataset) -> RosterResult:
    out = RosterResult()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.problems.append(f"{path}: 文件不是 UTF-8 编码（Excel 请选择“CSV UTF-8（逗号分隔）”另存）")
        out.fatal = True
        return out
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        out.problems.append(f"{path}: 文件为空")
        out.fatal = True
        return out
    fields = [CSV_COLUMNS.get(h.strip()) for h in header]
    unknown = [h for h, f in zip(header, fields, strict=True) if f is None and h.strip()]
    missing = [k for k in REQUIRED if k not in fields]
    if unknown or missing:
        labels = "、".join(sorted({k for k, v in CSV_COLUMNS.items() if v in REQUIRED and not k.isascii()}))
        if unknown:
            out.problems.append(f"{path}:1: 无法识别的列名：{'、'.join(unknown)}")
        if missing:
            out.problems.append(f"{path}:1: 缺少必需的列（{labels}）")
        out.fatal = True
        return out
    aliases = _district_aliases(ds)
    seen: dict[str, int] = {}
    for row_no, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        rec = {f: v.strip() for f, v in zip(fields, values, strict=False) if f}  # short rows: missing cells
        district = aliases.get(rec.get("district", ""), rec.get("district", ""))
        profile = Profile(rec.get("name", ""), district, rec.get("org_type", "") or UNKNOWN, rec.get("mode", "") or UNKNOWN,
                          rec.get("stage", "") or UNKNOWN, rec.get("ownership", "") or UNKNOWN, rec.get("id", ""))
        problem = _row_problem(profile, ds, seen, row_no)
        if problem:
            out.problems.append(f"{path}:{row_no}: {problem}")
            continue
        if not profile.school_id:
            profile = Profile(profile.name, profile.district, profile.org_type, profile.mode, profile.stage,
                              profile.ownership, f"ROW-{row_no}")
        out.rows.append(RosterRow(row_no, profile))
    return out


def _row_problem(profile: Profile, ds: Dataset, seen: dict[str, int], row: int) -> str:
    if not profile.name:
        return "缺少学校名称"
    if profile.org_type == UNKNOWN:
        return f"“{profile.name}”缺少党组织类型"
    if profile.mode == UNKNOWN:
        return f"“{profile.name}”缺少书记校长配备（一肩挑/分设）"
    issues = profile.problems(ds)
    if issues:
        return f"“{profile.name}”：" + "；".join(issues)
    key = f"{profile.district}|{profile.name}"
    if key in seen:
        return f"学校“{profile.name}”重复（第 {seen[key]} 行已有）"
    seen[key] = row
    return ""


# ----------------------------------------------------------------------------------------------
# Output


def safe_filename(profile: Profile) -> str:
    base = re.sub(r"[\\/:*?\"<>|\s]+", "_", profile.name).strip("._") or "school"
    return f"{profile.school_id.lower()}-{base}"[:120]


def standalone_html(ds: Dataset, profile: Profile, rows: list[Selected], *, build: str) -> str:
    """A complete printable HTML document for one school (no site chrome, CSS inline)."""
    ctx = _context(ds, None, rows, mode="print", profile=profile, heading=profile.name)  # type: ignore[arg-type]
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


def write_xlsx(ds: Dataset, schools: Iterable[tuple[Profile, list[Selected]]], path: Path, *, build: str) -> int:
    """One workbook for the district: a long table (one row per school × item), streamed."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook(write_only=True)
    wb.properties.title = CHECKLIST_TITLE
    wb.properties.subject = f"数据版本 {ds.data_version}"
    wb.properties.keywords = f"data_version={ds.data_version}; build={build}"
    wb.properties.creator = "dzzld-kb"
    info = wb.create_sheet("说明")
    for line in (
        [CHECKLIST_TITLE], ["数据版本", ds.data_version], ["构建提交", build],
        ["填写说明", "在“自评结果”列从下拉列表中选择：" + "、".join(RESULTS)],
        ["列说明", "每行是一所学校的一个检查项；可按学校名称筛选。"],
    ):
        info.append(line)

    ws = wb.create_sheet("自查表")
    headers = ["学校编号", "学校名称", "所属地区", "党组织类型", "书记校长配备", "学段", "办学性质", "序号", "编号", "维度",
               "检查项目", "检查内容", "依据", "佐证材料", "自评结果", "存在问题及整改措施", "佐证材料说明"]
    widths = [14, 24, 10, 10, 12, 12, 10, 6, 16, 14, 24, 60, 24, 30, 12, 40, 30]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[_col(i)].width = w
    ws.freeze_panes = "C2"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = "9"  # A4 (ECMA-376 paper size code)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    ws.oddHeader.center.text = f"{CHECKLIST_TITLE}（数据版本 {ds.data_version}）"
    from openpyxl.cell import WriteOnlyCell

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F5F0EF")
    head_cells = []
    for h in headers:
        c = WriteOnlyCell(ws, value=h)
        c.font, c.fill = bold, fill
        head_cells.append(c)
    ws.append(head_cells)
    district_names = {d.id: d.name for d in ds.districts} | {OTHER_DISTRICT: "其他地区", UNKNOWN: UNKNOWN}
    evidence = {e.id: e.name for e in ds.evidence}
    wrap = Alignment(wrap_text=True, vertical="top")
    rows = 1
    for profile, selected in schools:
        for s in selected:
            it = s.item
            values = [profile.school_id, profile.name, district_names.get(profile.district, profile.district),
                      profile.org_type, profile.mode, profile.stage, profile.ownership, s.number, it.id,
                      ds.dimension(it.dimension).name, it.title, it.check, "；".join(it.basis),
                      "；".join(evidence[e] for e in it.evidence), "", "", ""]
            cells = []
            for i, v in enumerate(values):
                c = WriteOnlyCell(ws, value=v)
                if i in (11, 13):
                    c.alignment = wrap
                cells.append(c)
            ws.append(cells)
            rows += 1
    dv = DataValidation(type="list", formula1='"' + ",".join(RESULTS) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle="自评结果", error="请从下拉列表中选择：" + "、".join(RESULTS))
    dv.add(f"O2:O{max(rows, 2)}")
    ws.data_validations.append(dv)
    ws.auto_filter.ref = f"A1:Q{max(rows, 1)}"
    wb.save(path)
    return rows - 1


def _col(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


class PdfPrinter:
    """Prints HTML files to A4 PDFs with one headless Chromium (Playwright) for the whole run."""

    def __init__(self) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先 apt-get install chromium，或不加 --pdf")
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        self._context = self._browser.new_context()
        # Never fetch anything from outside while printing.
        self._context.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                            else route.continue_())
        self._page = self._context.new_page()

    def print(self, html_file: Path, pdf_file: Path, footer: str) -> None:
        self._page.goto(html_file.resolve().as_uri())
        self._page.pdf(path=str(pdf_file), format="A4", print_background=True, display_header_footer=True,
                       header_template="<span></span>",
                       footer_template=('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                        f'{_html(footer)} · 第 <span class="pageNumber"></span> 页，'
                                        '共 <span class="totalPages"></span> 页</div>'),
                       margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"})

    def close(self) -> None:
        self._context.close()
        self._browser.close()
        self._pw.stop()


def pdf_workers() -> int:
    """How many Chromiums print at once: $DZZLD_PDF_WORKERS, else one per CPU, at most two."""
    env = os.environ.get("DZZLD_PDF_WORKERS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


class PdfPool:
    """Prints on `workers` headless Chromiums at once, each driven from its own thread.

    Printing is Chromium's work, not Python's: one browser keeps about one core busy, and two pages in
    one browser print no faster than one, so on a machine with two cores two browsers print a
    district's PDFs in roughly half the time. Each thread has its own Playwright and browser (the
    sync API must not be shared between threads). `close` waits for every queued PDF and re-raises
    the first error.
    """

    def __init__(self, workers: int | None = None) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先 apt-get install chromium，或不加 --pdf")
        self.workers = workers or pdf_workers()
        self._jobs: queue.Queue[tuple[Path, Path, str, Callable[[], None]] | None] = queue.Queue(self.workers * 2)
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self.printed = 0
        started = [threading.Event() for _ in range(self.workers)]
        self._threads = [threading.Thread(target=self._work, args=(ev,), daemon=True) for ev in started]
        for t in self._threads:
            t.start()
        for ev in started:
            ev.wait()
        if self._errors:
            self.close()

    def _work(self, started: threading.Event) -> None:
        try:
            printer = PdfPrinter()
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            with self._lock:
                self._errors.append(exc)
            started.set()
            printer = None
        else:
            started.set()
        try:
            while (job := self._jobs.get()) is not None:
                if printer is None or self._errors:
                    continue  # keep draining so submit() never blocks; the error is raised by close()
                html_file, pdf_file, footer, done = job
                try:
                    printer.print(html_file, pdf_file, footer)
                    done()
                    with self._lock:
                        self.printed += 1
                except BaseException as exc:  # noqa: BLE001
                    with self._lock:
                        self._errors.append(exc)
        finally:
            if printer is not None:
                printer.close()

    def submit(self, html_file: Path, pdf_file: Path, footer: str, done: Callable[[], None] = lambda: None) -> None:
        """Queue one PDF; `done` runs in the printing thread once it is written."""
        if self._errors:
            self.close()
        self._jobs.put((html_file, pdf_file, footer, done))

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()
        self._threads = []
        if self._errors:
            error = self._errors[0]
            self._errors = []
            raise error


def _html(text: str) -> str:
    import html

    return html.escape(text, quote=True)


@dataclass
class BatchReport:
    produced: int = 0
    skipped: int = 0
    pdfs: int = 0
    xlsx_rows: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def run_batch(ds: Dataset, roster: RosterResult, out: Path, *, html: bool = True, pdf: bool = False,
              xlsx: bool = True, root: Path, progress: bool = True) -> BatchReport:
    """Produce every good school's outputs; bad rows are already listed in roster.problems."""
    start = time.monotonic()
    report = BatchReport(problems=list(roster.problems), skipped=len(roster.problems))
    if roster.fatal:
        return report
    out.mkdir(parents=True, exist_ok=True)
    build = build_commit(root)
    printer = PdfPool() if pdf else None
    bar = Progress(len(roster.rows), "生成自查表") if progress else None

    def schools() -> Iterator[tuple[Profile, list[Selected]]]:
        for n, row in enumerate(roster.rows, start=1):
            selected = select(ds, row.profile)
            if html or pdf:
                name = safe_filename(row.profile)
                html_path = out / "html" / f"{name}.html"
                html_path.parent.mkdir(exist_ok=True)
                html_path.write_text(standalone_html(ds, row.profile, selected, build=build), encoding="utf-8")
                if printer is not None:
                    pdf_path = out / "pdf" / f"{name}.pdf"
                    pdf_path.parent.mkdir(exist_ok=True)
                    printer.submit(html_path, pdf_path, f"{row.profile.name} · 数据版本 {ds.data_version}",
                                   html_path.unlink if not html else lambda: None)
                elif not html:
                    html_path.unlink()
            report.produced += 1
            if bar:
                bar.update(n)
            yield row.profile, selected

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
        if html is False and (out / "html").exists():
            (out / "html").rmdir()
    report.seconds = time.monotonic() - start
    return report
