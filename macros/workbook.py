"""Every spreadsheet and CSV the project writes goes through here, so that nothing typed by a user
(a school name, a note) is ever stored as a formula.

* XLSX: every string cell is written with type "s" (text), whatever it starts with; control
  characters that Excel refuses are dropped. Sheets are streamed (openpyxl write-only mode).
* CSV (written by the checklist page, which receives FORMULA_START in its spec): a value starting
  with = + - @ tab or CR gets a leading apostrophe, as the OWASP "CSV Injection" advice recommends;
  `csv_unescape` takes it off again when a CSV comes back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what openpyxl refuses in a cell


def csv_unescape(text: str) -> str:
    """Undo the apostrophe a CSV writer put before a leading formula character (FORMULA_START)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def cell_text(value: str) -> str:
    return _ILLEGAL.sub("", value)


@dataclass(frozen=True)
class SheetLayout:
    """Column widths, print set-up and the running header of one sheet."""

    widths: Sequence[int]
    header: str
    landscape: bool = True
    freeze: str = "A2"


class Book:
    """A streamed workbook whose cells can only be values, never formulas.

    `sheet` makes a sheet with A4 print settings and page numbers; `row` appends one row. Strings
    are always stored as text, numbers as numbers; percentages and wrapping are per column.
    """

    def __init__(self, *, title: str, subject: str, keywords: str, description: str = "") -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill

        self.wb = Workbook(write_only=True)
        props = self.wb.properties
        props.title, props.subject, props.keywords, props.creator = title, subject, keywords, "dzzld-kb"
        if description:
            props.description = description
        self._bold, self._fill = Font(bold=True), PatternFill("solid", fgColor="F5F0EF")
        self._big = Font(bold=True, size=14)
        self._wrap = Alignment(wrap_text=True, vertical="top")

    def sheet(self, name: str, layout: SheetLayout) -> Any:
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.worksheet import Worksheet

        ws = self.wb.create_sheet(name)
        for i, w in enumerate(layout.widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if layout.landscape else Worksheet.ORIENTATION_PORTRAIT
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = True
        ws.oddHeader.center.text = layout.header.replace("&", "&&")  # '&' starts a header code in Excel
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        if layout.freeze:
            ws.freeze_panes = layout.freeze
        return ws

    def row(self, ws: Any, values: Sequence[Any], *, head: bool = False, title: bool = False,
            pcts: Iterable[int] = (), wraps: Iterable[int] = ()) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES

        pcts, wraps = set(pcts), set(wraps)
        cells: list[Any] = []
        plain = not (head or title)
        for i, v in enumerate(values):
            if isinstance(v, str):
                v = cell_text(v)
            # Fast path: an unstyled number, or text openpyxl stores as text anyway. Anything it would
            # read as a formula ("=…") or an error ("#N/A") goes through a cell whose type is forced below.
            if plain and i not in pcts and i not in wraps and not (isinstance(v, str) and (v[:1] == "=" or v in ERROR_CODES)):
                cells.append(None if v == "" else v)  # an empty cell is written as no cell at all
                continue
            c = WriteOnlyCell(ws, value=v)
            if isinstance(v, str):
                c.data_type = "s"  # "=1+2" stays the text "=1+2", never a formula
            if head:
                c.font, c.fill = self._bold, self._fill
            elif title:
                c.font = self._big
            if i in pcts:
                c.number_format = "0.0%"
            if i in wraps:
                c.alignment = self._wrap
            cells.append(c)
        ws.append(cells)

    def table(self, ws: Any, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, pcts: Iterable[int] = (),
              wraps: Iterable[int] = ()) -> int:
        """A header row and data rows with a filter over them; returns the number of data rows."""
        from openpyxl.utils import get_column_letter

        ws.print_title_rows = "1:1"
        self.row(ws, headers, head=True)
        n = 0
        for values in rows:
            self.row(ws, values, pcts=pcts, wraps=wraps)
            n += 1
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{n + 1}"
        return n

    def save(self, path: Path) -> None:
        """Write the workbook next to `path` and move it into place: no half-written file is left."""
        tmp = path.with_name(f".{path.name}.partial")
        try:
            self.wb.save(tmp)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)


def list_validation(ws: Any, cells: str, choices: Sequence[str], title: str) -> None:
    """A dropdown of fixed choices on a range (the choices are our vocabulary, never user text)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True, showErrorMessage=True,
                        errorTitle=title, error="请从下拉列表中选择：" + "、".join(choices))
    dv.add(cells)
    ws.data_validations.append(dv)
