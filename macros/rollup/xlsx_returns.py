"""The district's workbook (`district-checklists.xlsx` from the batch command), filled in and sent back.

A school may return the whole workbook or only its own rows; every school found in the sheet
becomes one submission. Cells are read as values only (formulas are never evaluated).
"""

from __future__ import annotations

import io
import json
import zipfile

from jsonschema import Draft202012Validator

from ..checklist import AnswersError, parse_answers
from ..model import Dataset
from .read import Submission, answers_doc, returned_answer

SHEET = "自查表"
MAX_ROWS = 200_000
NEED = ("学校编号", "学校名称", "编号", "自评结果")


def xlsx_submissions(name: str, raw: bytes, mtime: float, ds: Dataset,
                     validator: Draft202012Validator) -> list[Submission]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise AnswersError(f"不是有效的 Excel 工作簿（{type(exc).__name__}）") from None
    try:
        if SHEET not in wb.sheetnames:
            raise AnswersError(f"工作簿里没有“{SHEET}”工作表（应为本工具生成的全区自查表）")
        ws = wb[SHEET]
        rows = ws.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        missing = [k for k in NEED if k not in header]
        if missing:
            raise AnswersError(f"“{SHEET}”缺少列：{'、'.join(missing)}")
        col = {h: i for i, h in enumerate(header) if h}
        schools: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
        for n, values in enumerate(rows, start=2):
            if n > MAX_ROWS:
                raise AnswersError(f"行数超过 {MAX_ROWS:,}")

            def cell(key: str, values: tuple = values) -> str:
                i = col.get(key)
                v = values[i] if i is not None and i < len(values) else None
                return "" if v is None else str(v).strip()

            if not cell("编号"):
                continue
            key = (cell("学校编号"), cell("学校名称"))
            schools.setdefault(key, {})[cell("编号")] = returned_answer(cell)
    finally:
        wb.close()
    out = []
    for (school_id, school_name), answers in schools.items():
        if not any(v for a in answers.values() for v in a.values()):
            continue  # rows sent out blank and never filled: not a return
        school = {"name": school_name or "（未写学校名称）", **({"id": school_id} if school_id else {})}
        doc = answers_doc(ds, school, answers)
        out.append(Submission(f"{name}（{school_name or school_id}）", parse_answers(json.dumps(doc, ensure_ascii=False),
                                                                              validator), mtime))
    if not out:
        raise AnswersError("工作簿里没有填写任何自评结果")
    return out
