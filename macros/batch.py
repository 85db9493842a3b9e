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
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from markupsafe import Markup, escape

from .batch_xlsx import XlsxJob
from .checklist import Profile, Selected, select
from .checklist_pages import CHECKLIST_TITLE, checklist_context
from .form_link import FormLink, form_link
from .model import Dataset
from .render import render_template
from .roster import RosterResult

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


class PerSetup:
    """Renders a school's file once per set-up: schools that differ only by name and code share the rest.

    Most roster schools share their set-up (district, org type, mode, stage, ownership, scoring) with
    others and so the very same checklist. A file is rendered for placeholder name and code and the
    school's own values (escaped for the file's format by `escape`) are put in. The first school is
    also rendered directly and compared; if the two differ, caching switches off for the run.
    """

    NAME, ID = "\ue000dz-school-name\ue001", "\ue000dz-school-id\ue001"

    def __init__(self, render: Callable[[Profile], Any], fill: Callable[[Any, str, str], Any]) -> None:
        self.render, self.fill = render, fill
        self.cache: dict[tuple[str, ...], Any] = {}
        self.verified: bool | None = None

    def get(self, profile: Profile) -> Any:
        if self.verified is False or "\ue000" in profile.name + profile.school_id:
            return self.render(profile)
        name, code = (self.NAME if profile.name else ""), (self.ID if profile.school_id else "")  # "" may show less
        key = (profile.district, profile.org_type, profile.mode, profile.stage, profile.ownership, profile.scoring,
               name, code)
        if key not in self.cache:
            self.cache[key] = self.render(replace(profile, name=name, school_id=code))
        out = self.fill(self.cache[key], profile.name, profile.school_id)
        if self.verified is None:
            self.verified = out == self.render(profile)
            if not self.verified:
                return self.render(profile)
        return out


LINK = "\ue000dz-form-link\ue001"  # where each school's own link block (QR code, code, address) goes


def html_cache(ds: Dataset, *, build: str, select_for: Callable[[Profile], list[Selected]]) -> PerSetup:
    """Per set-up HTML with placeholders for the school's name, code and link block (`with_link`)."""
    def fill(html: str, name: str, code: str) -> str:
        return html.replace(PerSetup.NAME, str(escape(name))).replace(PerSetup.ID, str(escape(code)))

    return PerSetup(lambda p: standalone_html(ds, p, select_for(p), build=build, link_block=Markup(LINK)), fill)


def with_link(html: str, link: FormLink) -> str:
    """A school's page with its own link block: QR code of its prefilled page, its code, how to send back."""
    return html.replace(LINK, str(render_template("form_link.html", link=link)), 1)


def docx_cache(ds: Dataset, *, select_for: Callable[[Profile], list[Selected]]) -> PerSetup:
    from .docx_model import clean, item_texts
    from .docx_write import text as xml_text
    from .school_docs import blank_checklist_parts

    items = item_texts(ds)

    def fill(parts: dict[str, str], name: str, code: str) -> dict[str, str]:
        values = ((PerSetup.NAME, xml_text(clean(name))), (PerSetup.ID, xml_text(clean(code))))
        out = {}
        for part, xml in parts.items():
            for placeholder, value in values:
                xml = xml.replace(placeholder, value)
            out[part] = xml
        return out

    return PerSetup(lambda p: blank_checklist_parts(ds, p, select_for(p), items), fill)


def standalone_html(ds: Dataset, profile: Profile, rows: list[Selected], *, build: str,
                    link_block: Markup | None = None) -> str:
    """A complete printable HTML document for one school (no site chrome, CSS inline); `link_block`
    goes above the form (the batch puts each school's QR code and code there)."""
    ctx = checklist_context(ds, None, rows, mode="print", profile=profile, heading=profile.name)
    fragment = render_template("checklist.html", **ctx)
    css = Markup("\n".join((TEMPLATE_DIR / name).read_text(encoding="utf-8")  # our own files, not data
                           for name in ("standalone.css", "form_link.css")))
    return str(render_template("standalone.html", fragment=fragment, css=css, title=f"{profile.name} {CHECKLIST_TITLE}",
                               data_version=ds.data_version, build=build, link_block=link_block or Markup("")))


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


@dataclass
class BatchReport:
    produced: int = 0
    skipped: int = 0
    pdfs: int = 0
    docx: int = 0
    xlsx_rows: int = 0
    seconds: float = 0.0


def run_batch(ds: Dataset, roster: RosterResult, out: Path, *, html: bool = True, pdf: bool = False,
              xlsx: bool = True, docx: bool = False, root: Path, progress: bool = True, scoring: str = "",
              site_url: str = "", return_note: str = "") -> BatchReport:
    """Produce every good school's outputs; bad rows are already listed in roster.problems.

    `docx`: each school's blank, editable 自查表 as docx/<stem>.docx, beside its HTML and PDF.
    Schools of the same set-up share their selection and the rendering of their files (PerSetup).
    """
    from .docx_write import package
    from .pdf import PdfPool

    start = time.monotonic()
    report = BatchReport(skipped=len({p.row for p in roster.problems if p.row}))
    if roster.fatal:
        return report
    out.mkdir(parents=True, exist_ok=True)
    build = build_commit(root)
    bar = Progress(len(roster.rows), "生成自查表") if progress else None
    names = OutputNames()
    html_dir, pdf_dir, docx_dir = out / "html", out / "pdf", out / "docx"
    selections: dict[tuple[str, ...], list[Selected]] = {}

    def select_for(p: Profile) -> list[Selected]:
        key = (p.district, p.org_type, p.mode, p.stage, p.ownership, p.scoring)
        if key not in selections:
            selections[key] = select(ds, p)
        return selections[key]

    profiles = [replace(row.profile, scoring=scoring) if scoring else row.profile for row in roster.rows]
    # started first: the workbook is forked off before any thread (the PDF pool's) exists
    workbook = XlsxJob(ds, profiles, select_for, out / "district-checklists.xlsx", build=build) if xlsx else None
    printer = PdfPool() if pdf else None
    htmls = html_cache(ds, build=build, select_for=select_for)
    docxs = docx_cache(ds, select_for=select_for) if docx else None

    try:
        for n, (row, profile) in enumerate(zip(roster.rows, profiles, strict=True), start=1):
            stem = names.stem(row.profile) if html or pdf or docx else ""
            if docxs is not None:
                docx_dir.mkdir(exist_ok=True)
                docx_path = inside(docx_dir, f"{stem}.docx")
                tmp = docx_path.with_name(f".{docx_path.name}.partial")
                tmp.write_bytes(package(docxs.get(profile)))
                tmp.replace(docx_path)
                report.docx += 1
            if html or pdf:
                html_dir.mkdir(exist_ok=True)
                html_path = inside(html_dir, f"{stem}.html")
                page = with_link(htmls.get(profile), form_link(site_url, profile, scoring, return_note))
                html_path.write_text(page, encoding="utf-8")
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
        if workbook is not None:
            report.xlsx_rows = workbook.wait()
    finally:
        if workbook is not None:
            workbook.close()  # after an error above: stop it, and leave no half-written workbook
        if printer is not None:
            printer.close()  # waits for the queued PDFs
            report.pdfs = printer.printed
        if not html and html_dir.exists() and not any(html_dir.iterdir()):
            html_dir.rmdir()
    report.seconds = time.monotonic() - start
    return report
