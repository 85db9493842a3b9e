"""Workbook rows: the fast path for plain values keeps every string a string (never a formula or an error)."""

from __future__ import annotations

from openpyxl import load_workbook

from macros.workbook import Book, SheetLayout

TRICKY = ["=1+2", "=", "#N/A", "#DIV/0!", "+1", "-1", "@x", "\tx", "plain", "a\x01b"]


def test_strings_stay_text_and_numbers_numbers(tmp_path):
    book = Book(title="t", subject="s", keywords="k")
    ws = book.sheet("表", SheetLayout((10,) * 12, "header"))
    book.row(ws, ["head"] * 12, head=True)
    book.row(ws, [*TRICKY, 3, 2.5])
    book.row(ws, [*TRICKY, None, 0], wraps=[0, 2])
    path = tmp_path / "t.xlsx"
    book.save(path)
    rows = list(load_workbook(path)["表"].iter_rows(min_row=2))
    for row in rows:
        strings = row[:len(TRICKY)]
        assert [c.value for c in strings] == [*TRICKY[:-1], "ab"]
        assert all(c.data_type == "s" for c in strings)
    assert [c.value for c in rows[0][len(TRICKY):]] == [3, 2.5]
    assert rows[1][0].alignment.wrap_text and rows[1][len(TRICKY) + 1].value == 0
