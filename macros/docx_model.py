"""The document model: what a Word document says, as plain JSON, before anyone writes a .docx.

A document is a dict: `kind`, `file_name`, `page` (orientation), `style` (form | official),
`header`, `footer` and `blocks`. A block is a title, heading, paragraph or table; a paragraph's
`content` is a list of inline pieces — a string, `{"text", "blank": true}` for a marked blank the
school fills in, `{"text", "bold": true}`, `{"text", "note": "…"}` for a footnote. Text keeps its
line breaks as "\\n".

The school's documents (自查表, 自查报告) are built by pure functions of one input dict
(`doc_input`): the wording (templates/documents.json), the item texts, the school, its rows and
answers, counts and score. The checklist page's Word export (docs/assets/word-export.js) builds
the same input from the page and runs a port of the same functions; tests compare both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .checklist import UNANSWERED, Answer, Profile, Selected, district_names, scoring_profile, summary
from .checklist_pages import CHECKLIST_TITLE, KIND_NOTES
from .model import CheckItem, Dataset, Source
from .scope import REFERENCE, RULE, force_label
from .vocab import PROFILE_LABELS, UNKNOWN

TEXTS_FILE = Path(__file__).parent / "templates" / "documents.json"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff]")
NOT_APPLICABLE = "不适用"  # as macros.checklist.Answer.counted_result spells it
_SEED_LINE = re.compile(r"^L\d+(-L?\d+)?$")  # a line of a seed text: means nothing to a reader of the document


@cache
def texts() -> dict[str, Any]:
    """The documents' wording, with the checklist's title and kind notes from their own homes."""
    data = json.loads(TEXTS_FILE.read_text(encoding="utf-8"))
    data["checklist"]["title"] = CHECKLIST_TITLE
    data["checklist"]["kind_notes"] = dict(KIND_NOTES)
    return data


def clean(value: Any) -> str:
    """Text safe for a document: line ends as \\n, tabs as spaces, no control characters."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def num(x: float | None) -> str:
    """A number as the page shows it: 3, 2.5, 83.3 (the JS `fmt`)."""
    if x is None:
        return ""
    r = round(float(x), 6)
    return str(int(r)) if r.is_integer() else repr(r)


def pct(x: float | None) -> str:
    return "" if x is None else f"{x * 100:.1f}%"


def count_chars(text: str) -> int:
    """Characters a reader counts (字数): everything but spaces and line breaks."""
    return sum(1 for ch in text if ch not in " \t\n\u3000")


# ----------------------------------------------------------------------------------------------
# Inline pieces and blocks (the same shapes word-export.js builds)


def blank(what: str) -> dict[str, Any]:
    return {"text": texts()["blank"].format(what), "blank": True}


_SLOT = re.compile(r"\{(\w*)\}")


def fill(template: str, *args: Any, **kwargs: Any) -> list[Any]:
    """A template's text with its {} / {name} slots filled; a slot may take an inline piece (a blank).

    Returns inline content: adjacent strings merged, empty strings dropped.
    """
    out: list[Any] = []
    pos, n = 0, 0
    for m in _SLOT.finditer(template):
        out.append(template[pos:m.start()])
        if m.group(1):
            value = kwargs[m.group(1)]
        else:
            value, n = args[n], n + 1
        out.append(value if isinstance(value, dict) else str(value))
        pos = m.end()
    out.append(template[pos:])
    merged: list[Any] = []
    for piece in out:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        elif piece != "":
            merged.append(piece)
    return [p for p in merged if p != ""]


def numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十 (headings 一、 and （一）)."""
    digits = "零一二三四五六七八九"
    if n <= 10:
        return "十" if n == 10 else digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + ("" if ones == 0 else digits[ones])


def para(*content: Any, style: str = "body", align: str = "", indent: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "para", "style": style, "content": [c for c in content if c != ""]}
    if align:
        out["align"] = align
    if indent:
        out["indent"] = True
    return out


def heading(level: int, text: str) -> dict[str, Any]:
    return {"type": "heading", "level": level, "text": text}


def title(*content: Any) -> dict[str, Any]:
    return {"type": "title", "content": list(content)}


def table(columns: list[str], widths: list[int], rows: list[dict[str, Any]], *, borders: bool = True,
          size: str = "table") -> dict[str, Any]:
    """A table: `columns` repeat on every page; a row is {"cells": [[inline…]…]} or {"section": text}."""
    return {"type": "table", "columns": columns, "widths": widths, "rows": rows, "borders": borders, "size": size}


def plain_text(content: list[Any]) -> str:
    return "".join(c if isinstance(c, str) else c.get("text", "") for c in content)


def block_text(block: Mapping[str, Any]) -> str:
    """The words of a block, for counting: paragraphs, headings and every table cell."""
    if block["type"] == "table":
        parts = [*block["columns"]]
        for row in block["rows"]:
            parts.append(row.get("section", ""))
            parts.extend(plain_text(cell) for cell in row.get("cells", ()))
        return "\n".join(parts)
    if block["type"] == "heading":
        return block["text"]
    return plain_text(block["content"])


# ----------------------------------------------------------------------------------------------
# Item texts: what a row of the 自查表 says, the same for every school


def source_title(src: Source) -> str:
    return src.title if "《" in src.title else f"《{src.title}》"


def readable_loc(loc: str) -> str:
    """An article (三(五), 第十四条) as cited; a seed text's line number (L171) means nothing to a reader."""
    return "" if _SEED_LINE.match(loc) else loc


def basis_texts(ds: Dataset, item: CheckItem) -> list[str]:
    """An item's basis as a reader cites it: 《title》 and article, with the rule's force, by source."""
    groups: dict[str, list[str]] = {}
    for rid in item.basis:
        rec = ds.get(rid)
        if not rec.cite:
            continue
        c = rec.cite[0]
        where = source_title(ds.source(c.src)) + readable_loc(c.loc)
        forces = groups.setdefault(where, [])
        label = force_label(ds, rec)
        if label and label not in forces:
            forces.append(label)
    return [f"{where}（{'、'.join(forces)}）" if forces else where for where, forces in groups.items()]


def item_texts(ds: Dataset) -> dict[str, dict[str, Any]]:
    evidence = {e.id: e.name for e in ds.evidence}
    return {i.id: {"title": clean(i.title), "check": clean(i.check), "basis": basis_texts(ds, i),
                   "evidence": [evidence[e] for e in i.evidence], "dimension": i.dimension}
            for i in ds.active_checklist()}


def meaning(ds: Dataset) -> dict[str, Any]:
    """Which results the report lists as practice (主要做法) and as problems (存在问题, 整改台账)."""
    from .rollup.aggregate import BAD

    return {"practice": [ds.vocab.rule_results[0], ds.vocab.reference_results[0]], "problem": list(BAD),
            "na": NOT_APPLICABLE}


def export_data(ds: Dataset) -> dict[str, Any]:
    """What the page's Word export needs besides the page's own spec (assets/word-export-data.js)."""
    return {"data_version": ds.data_version, "texts": texts(), "items": item_texts(ds), "meaning": meaning(ds),
            "labels": dict(PROFILE_LABELS), "dimensions": [[d.key, d.name] for d in ds.dimensions]}


# ----------------------------------------------------------------------------------------------
# The input of the school's documents


def veto_text(profile: Any, veto: Any) -> str:
    t = texts()["checklist"]
    last = profile.grades[-1].name
    effect = t["veto_fail"].format(last) if veto.effect == "fail" else t["veto_cap"].format(veto.grade)
    return f"{veto.label}（{effect}）"


def school_facts(ds: Dataset, profile: Profile, period: str) -> dict[str, str]:
    names = district_names(ds)
    return {"name": clean(profile.name), "id": clean(profile.school_id),
            "district": names.get(profile.district, clean(profile.district)),
            **{k: clean(getattr(profile, k)) for k in ("org_type", "mode", "stage", "ownership")},
            "period": clean(period)}


def doc_input(ds: Dataset, profile: Profile, selected: list[Selected], answers: Mapping[str, Answer] | None,
              *, period: str = "", item_data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Everything the 自查表 and the report say, as JSON. `answers` None: a blank form to fill by hand."""
    from .scoring import score as score_of

    results = {RULE: list(ds.vocab.rule_results), REFERENCE: list(ds.vocab.reference_results)}
    items = item_data if item_data is not None else item_texts(ds)
    rows = [{"id": s.item.id, "number": s.number, "kind": s.kind.kind, "certain": s.certain} for s in selected]
    sp = scoring_profile(ds, profile)
    out: dict[str, Any] = {
        "data_version": ds.data_version, "texts": texts(), "labels": dict(PROFILE_LABELS),
        "dimensions": [[d.key, d.name] for d in ds.dimensions], "results": results, "kinds": [RULE, REFERENCE],
        "unanswered": UNANSWERED, "unknown": UNKNOWN, "meaning": meaning(ds), "school": school_facts(ds, profile, period), "rows": rows,
        "items": {r["id"]: items[r["id"]] for r in rows}, "answers": None, "summary": None, "score": None,
        "scoring": None,
    }
    if sp is not None:
        out["scoring"] = {"name": sp.name, "version": sp.version, "total": num(sp.total), "example": sp.example,
                          "note": sp.note, "points": {r["id"]: _points(sp, r["id"]) for r in rows if r["kind"] == RULE}}
    if answers is None:
        return out
    kept: dict[str, Answer] = {}
    docs: dict[str, dict[str, Any]] = {}
    for s in selected:
        a = answers.get(s.item.id, Answer())
        result = a.result if a.result in results[s.kind.kind] else ""
        kept[s.item.id] = Answer(result, a.note, a.evidence, a.na_reason, a.count, a.score, a.review_score,
                                 a.review_note)
        docs[s.item.id] = {"result": result, "note": clean(a.note).strip(), "evidence": clean(a.evidence).strip(),
                           "na_reason": clean(a.na_reason).strip(), "review_note": clean(a.review_note).strip(),
                           "review_score": num(a.review_score)}
    out["answers"] = docs
    out["summary"] = summary_facts(ds, summary(ds, selected, kept))
    if sp is not None:
        sc = score_of(sp, selected, kept)
        open_items = sum(1 for i in sc.items if i.status in ("unanswered", "na_no_reason"))
        out["score"] = {
            "started": open_items < len(sc.items), "open": open_items, "scaled": num(sc.scaled),
            "grade": sc.grade or "", "vetoes": [veto_text(sp, v) for v in sc.vetoes],
            "review_scaled": num(sc.review_scaled), "review_grade": sc.review_grade or "",
            "items": {i.item: {"earned": num(i.earned), "status": i.status} for i in sc.items},
        }
    return out


def _points(sp: Any, item_id: str) -> dict[str, str]:
    p = sp.points(item_id)
    out = {"points": num(p.points)}
    if p.deduct is not None:
        out["deduct_what"], out["deduct_per"] = clean(p.deduct.what), num(p.deduct.per)
    return out


def summary_facts(ds: Dataset, s: Mapping[str, Any]) -> dict[str, Any]:
    """Counts per kind as the documents print them (the same fields as the page's Rules.summary)."""
    out: dict[str, Any] = {"compliance": pct(s["compliance"])}
    for kind in (RULE, REFERENCE):
        b = s[kind]
        out[kind] = {"total": b["total"], "counts": dict(b["counts"]), "unanswered": b[UNANSWERED]}
    return out
