"""The 自查表 as a Word document: a pure function of `docx_model.doc_input`.

A4 landscape: the school's profile and period at the top, the applicable items in one table
(序号, 检查项目, 检查内容, 依据, 佐证材料, 自评结果, 分值/自评分/复核分, 存在问题及整改措施)
grouped into 规定项 and 参考项 and by dimension, the summary, the sign-off block; the data version
and page numbers in the footer. With no answers it is a blank form: boxes to tick, lines to fill.

docs/assets/word-export.js has a line-by-line port (`checklistModel`); keep the two in step.
"""

from __future__ import annotations

from typing import Any

from .docx_model import fill, heading, numeral, para, table, title


def _line(inp: dict[str, Any], value: str) -> str:
    return value if value and value != inp["unknown"] else inp["texts"]["line"]


def profile_rows(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t, s, labels = inp["texts"]["checklist"], inp["school"], inp["labels"]
    sp = inp["scoring"]
    pairs = [(labels["name"], _line(inp, s["name"]))]
    if s["id"]:
        pairs.append((labels["id"], s["id"]))
    pairs.append((labels["district"], _line(inp, s["district"])))
    pairs.extend((labels[k], _line(inp, s[k])) for k in ("org_type", "mode", "stage", "ownership"))
    pairs.append((t["scoring"], f"{sp['name']}（{sp['version']}）" if sp else inp["texts"]["line"]))
    pairs.append((t["period"], _line(inp, s["period"])))
    rows = []
    for i in range(0, len(pairs), 2):
        cells = [[pairs[i][0]], [pairs[i][1]]]
        if i + 1 < len(pairs):
            cells += [[pairs[i + 1][0]], [pairs[i + 1][1]]]
        rows.append({"cells": cells})
    return rows


def result_cell(inp: dict[str, Any], row: dict[str, Any], answer: dict[str, Any] | None) -> list[Any]:
    texts = inp["texts"]
    chosen = answer["result"] if answer else ""
    lines = [f"{texts['checked'] if r == chosen else texts['unchecked']} {r}" for r in inp["results"][row["kind"]]]
    if answer and chosen == inp["meaning"]["na"]:
        lines.append(texts["checklist"]["na_reason"].format(answer["na_reason"] or texts["line"]))
    return ["\n".join(lines)]


def score_cell(inp: dict[str, Any], row: dict[str, Any], answer: dict[str, Any] | None) -> list[Any]:
    t, short = inp["texts"]["checklist"], inp["texts"]["short_line"]
    sp = inp["scoring"]
    if row["kind"] != inp["kinds"][0]:
        return [t["no_points"]]
    if sp is None:
        return []
    p = sp["points"][row["id"]]
    first = t["points"].format(p["points"])
    if "deduct_what" in p:
        first += t["deduct"].format(p["deduct_what"], p["deduct_per"])
    earned = short
    if answer is not None and inp["score"] is not None:
        status = inp["score"]["items"][row["id"]]["status"]
        if status == "scored":
            earned = inp["score"]["items"][row["id"]]["earned"]
        elif status == "na":
            earned = t["not_applicable"]
    review = answer["review_score"] if answer and answer["review_score"] else short
    return ["\n".join([first, t["self_score"].format(earned), t["review_score"].format(review)])]


def item_cells(inp: dict[str, Any], row: dict[str, Any]) -> list[list[Any]]:
    t = inp["texts"]["checklist"]
    item = inp["items"][row["id"]]
    answer = inp["answers"][row["id"]] if inp["answers"] is not None else None
    head = f"{item['title']}\n{row['id']}" + ("" if row["certain"] else "\n" + t["maybe"])
    evidence = inp["texts"]["list_sep"].join(item["evidence"])
    if answer and answer["evidence"]:
        evidence += "\n" + t["school_evidence"].format(answer["evidence"])
    note = ""
    if answer:
        parts = [answer["note"]] if answer["note"] else []
        if answer["review_note"]:
            parts.append(t["review_note"].format(answer["review_note"]))
        note = "\n".join(parts)
    return [[str(row["number"])], [head], [item["check"]], ["\n".join(item["basis"])], [evidence] if evidence else [],
            result_cell(inp, row, answer), score_cell(inp, row, answer), [note] if note else []]


def item_rows(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t = inp["texts"]["checklist"]
    out: list[dict[str, Any]] = []
    kind_no = 0
    for kind in inp["kinds"]:
        of_kind = [r for r in inp["rows"] if r["kind"] == kind]
        if not of_kind:
            continue
        kind_no += 1
        out.append({"section": f"{numeral(kind_no)}、" + t["kind_heading"].format(kind, t["kind_notes"][kind])})
        dim_no = 0
        for key, name in inp["dimensions"]:
            rows = [r for r in of_kind if inp["items"][r["id"]]["dimension"] == key]
            if not rows:
                continue
            dim_no += 1
            out.append({"section": f"（{numeral(dim_no)}）{name}", "minor": True})
            out.extend({"cells": item_cells(inp, r)} for r in rows)
    return out


def summary_blocks(inp: dict[str, Any]) -> list[dict[str, Any]]:
    texts = inp["texts"]
    t, short = texts["checklist"], texts["short_line"]
    s = inp["summary"]
    out = [heading(1, t["summary_heading"])]
    for kind in inp["kinds"]:
        total = sum(1 for r in inp["rows"] if r["kind"] == kind)
        counts = texts["list_sep"].join(t["summary_count"].format(r, s[kind]["counts"][r] if s else short)
                                        for r in inp["results"][kind])
        line = t["summary_kind"].format(kind=kind, total=total, counts=counts, unanswered=inp["unanswered"],
                                        n=s[kind]["unanswered"] if s else short)
        if kind == inp["kinds"][0]:
            if s is None:
                rate = short
            elif s[kind]["total"] > s[kind]["unanswered"] and s["compliance"]:
                rate = s["compliance"]
            else:
                rate = "—"
            line += texts["list_sep"] + t["compliance"].format(rate)
        out.append(para(line))
    sp, sc = inp["scoring"], inp["score"]
    if sp is not None:
        value, opened, grade, vetoes = short, "", short, short
        if sc is not None and sc["started"]:
            value, grade = sc["scaled"], sc["grade"]
            opened = t["score_open"].format(sc["open"]) if sc["open"] else ""
            vetoes = texts["list_sep"].join(sc["vetoes"]) or t["no_veto"]
        elif sc is not None:
            value = grade = vetoes = "—"
        out.append(para(t["score"].format(name=sp["name"], total=sp["total"], score=value, open=opened, grade=grade,
                                          vetoes=vetoes)))
        if sc is not None and sc["review_scaled"]:
            out.append(para(t["review"].format(sc["review_scaled"], sc["review_grade"])))
        if sp["example"]:
            out.append(para(sp["note"], style="note"))
    out.append(para(t["legend"], style="note"))
    return out


def footer(inp: dict[str, Any]) -> list[Any]:
    parts = inp["texts"]["page_footer"]
    return [inp["texts"]["data_version"].format(inp["data_version"]) + " · ",
            *({"field": p} if p in ("PAGE", "NUMPAGES") else p for p in parts)]


def checklist_model(inp: dict[str, Any]) -> dict[str, Any]:
    t = inp["texts"]["checklist"]
    name = inp["school"]["name"]
    blocks: list[dict[str, Any]] = [title(t["title"])]
    if name:
        blocks.append(para(name, style="subtitle", align="center"))
    blocks.append(heading(1, t["profile_heading"]))
    blocks.append(table([], [14, 36, 14, 36], profile_rows(inp)))
    blocks.append(heading(1, t["columns"][1]))
    blocks.append(table(t["columns"], t["widths"], item_rows(inp)))
    blocks.extend(summary_blocks(inp))
    blocks.append(heading(1, t["signoff_heading"]))
    blocks.append(table([], [50, 50], [{"cells": [[c] for c in row]} for row in t["signoff"]], borders=False,
                        size="body"))
    sp = inp["scoring"]
    stamp = t["stamp"].format(version=inp["texts"]["data_version"].format(inp["data_version"]),
                              scoring=t["stamp_scoring"].format(sp["name"], sp["version"]) if sp else "")
    blocks.append(para(stamp, style="note"))
    return {"kind": "checklist", "style": "form", "orientation": "landscape",
            "title": f"{name} {t['title']}".strip(), "header": fill("{} · {}", name, t["title"]) if name else [t["title"]],
            "footer": footer(inp), "blocks": blocks}
