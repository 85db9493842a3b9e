"""Reading .docx files back for the tests: text in document order, footnotes, LibreOffice → PDF."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import IN_CI
from docx import Document
from docx.oxml.ns import qn


def para_text(p: Any) -> str:
    """A paragraph's text as Word shows it: runs' text, line breaks as \\n (field codes left out)."""
    out = []
    for el in p.iter():
        if el.tag == qn("w:t"):
            out.append(el.text or "")
        elif el.tag == qn("w:br"):
            out.append("\n")
        elif el.tag == qn("w:tab"):
            out.append("\t")
    return "".join(out)


def read(path: Path) -> dict[str, Any]:
    """Body in order — ("P", style name, text) or ("T", rows of cell texts) — and header, footer, footnotes."""
    d = Document(str(path))
    body: list[tuple[Any, ...]] = []
    for el in d.element.body.iterchildren():
        if el.tag == qn("w:p"):
            sid = el.pPr.pStyle.val if el.pPr is not None and el.pPr.pStyle is not None else ""
            body.append(("P", d.styles.get_by_id(sid, 1).name if sid else "", para_text(el)))
        elif el.tag == qn("w:tbl"):
            rows = [["\n".join(para_text(p) for p in tc.iterchildren(qn("w:p"))) for tc in tr.iterchildren(qn("w:tc"))]
                    for tr in el.iterchildren(qn("w:tr"))]
            body.append(("T", rows))
    section = d.sections[0]
    notes = []
    for rel in d.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            from lxml import etree

            root = etree.fromstring(rel.target_part.blob)
            notes = [para_text(fn) for fn in root.iterchildren(qn("w:footnote")) if int(fn.get(qn("w:id"))) > 0]
    highlighted = [para_text(r) for r in d.element.body.iter(qn("w:r"))
                   if r.find(f"{qn('w:rPr')}/{qn('w:highlight')}") is not None]
    return {"body": body, "header": [para_text(p._p) for p in section.header.paragraphs],
            "footer": [para_text(p._p) for p in section.footer.paragraphs], "notes": notes,
            "highlighted": highlighted, "landscape": section.page_width > section.page_height,
            "core_title": d.core_properties.title}


def all_text(doc: dict[str, Any]) -> str:
    parts = []
    for b in doc["body"]:
        parts.append(b[2] if b[0] == "P" else "\n".join("\t".join(r) for r in b[1]))
    return "\n".join([*doc["header"], *parts, *doc["footer"], *doc["notes"]])


def headings(doc: dict[str, Any], level: int = 1) -> list[str]:
    return [b[2] for b in doc["body"] if b[0] == "P" and b[1] == f"Heading {level}"]


def tables(doc: dict[str, Any]) -> list[list[list[str]]]:
    return [b[1] for b in doc["body"] if b[0] == "T"]


def soffice_missing() -> str | None:
    return None if shutil.which("soffice") else "soffice not found (apt-get install libreoffice-writer-nogui)"


def to_pdf(files: list[Path], out: Path) -> list[Path]:
    """LibreOffice headless: each .docx to a PDF in `out` (one LibreOffice run, its own profile)."""
    reason = soffice_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"LibreOffice is required in CI: {reason}")
        pytest.skip(reason)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), *map(str, files)], check=True, capture_output=True, timeout=300,
                       env={**os.environ, "HOME": profile})
    pdfs = [out / f"{f.stem}.pdf" for f in files]
    for p in pdfs:
        assert p.is_file(), f"LibreOffice did not convert {p.name}"
    return pdfs


def to_png(pdf: Path, out: Path, *, first: int = 1, last: int = 2) -> list[Path]:
    exe = shutil.which("pdftoppm")
    if exe is None:
        if IN_CI:
            pytest.fail("pdftoppm (poppler-utils) is required in CI")
        pytest.skip("pdftoppm not installed")
    subprocess.run([exe, "-r", "60", "-png", "-f", str(first), "-l", str(last), str(pdf), str(out / pdf.stem)],
                   check=True, timeout=120)
    return sorted(out.glob(f"{pdf.stem}*.png"))
