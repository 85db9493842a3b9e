"""The 自查报告 draft as a Word document: a pure function of `docx_model.doc_input`.

Chinese official-document layout: a title, 一、/（一） headings, 仿宋 body text. Four parts, as
the sample reports have them: 基本情况 (profile, counts, score and grade when scored), 主要做法
(items 达标 or 已采用, with the school's notes), 存在问题 (基本达标/未达标, with notes) and 整改措施
(one table row per problem, 整改措施, 责任人 and 完成时限 left to fill). Nothing is invented: a note
the school did not write is a marked blank 【待填写：…】.

docs/assets/word-export.js has a line-by-line port (`reportModel`); keep the two in step.
"""

from __future__ import annotations

from typing import Any

from .docx_model import blank, block_text, count_chars, fill, heading, numeral, para, table, title


def _value(inp: dict[str, Any], key: str) -> Any:
    v = inp["school"][key]
    return v if v and v != inp["unknown"] else blank(inp["labels"][key])


def grouped(inp: dict[str, Any], results: list[str]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows answered with one of `results`, by dimension (in dimension, then checklist order)."""
    answers = inp["answers"]
    chosen = [r for r in inp["rows"] if answers[r["id"]]["result"] in results]
    out = []
    for key, name in inp["dimensions"]:
        rows = [r for r in chosen if inp["items"][r["id"]]["dimension"] == key]
        if rows:
            out.append((name, rows))
    return out


def basic_blocks(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t, s, texts = inp["texts"]["report"], inp["school"], inp["texts"]
    name = s["name"] or blank(t["name_blank"])
    out = [heading(1, t["sections"][0])]
    out.append(para(*fill(t["profile"], name=name, id=t["school_id"].format(s["id"]) if s["id"] else "",
                          district=_value(inp, "district"), org_type=_value(inp, "org_type"),
                          mode=_value(inp, "mode"), stage=_value(inp, "stage"), ownership=_value(inp, "ownership")),
                    indent=True))
    rules = sum(1 for r in inp["rows"] if r["kind"] == inp["kinds"][0])
    lines = fill(t["period"], s["period"] or blank(texts["checklist"]["period"]))
    lines += fill(t["scope"], total=len(inp["rows"]), rules=rules, refs=len(inp["rows"]) - rules)
    out.append(para(*lines, indent=True))
    summary = inp["summary"]
    rows = []
    for kind in inp["kinds"]:
        b = summary[kind]
        counts = [texts["checklist"]["summary_count"].format(r, b["counts"][r]) for r in inp["results"][kind]]
        counts.append(texts["checklist"]["summary_count"].format(inp["unanswered"], b["unanswered"]))
        answered = b["total"] > b["unanswered"]
        rate = summary["compliance"] if kind == inp["kinds"][0] and answered and summary["compliance"] else "—"
        rows.append({"cells": [[kind], [str(b["total"])], [texts["list_sep"].join(counts)], [rate]]})
    out.append(table(t["counts_columns"], t["counts_widths"], rows))
    unanswered = summary[inp["kinds"][0]]["unanswered"]
    if unanswered:
        out.append(para(t["unanswered_line"].format(unanswered), indent=True))
    sp, sc = inp["scoring"], inp["score"]
    if sp is not None and sc is not None and sc["started"]:
        text = t["score"].format(name=sp["name"], total=sp["total"], score=sc["scaled"], grade=sc["grade"])
        if sp["example"]:
            text += t["score_example"].format(sp["note"])
        if sc["open"]:
            text += t["score_open"].format(sc["open"])
        if sc["vetoes"]:
            text += t["vetoes"].format(texts["list_sep"].join(sc["vetoes"]))
        if sc["review_scaled"]:
            text += t["review"].format(sc["review_scaled"], sc["review_grade"])
        out.append(para(text, indent=True))
    na = [r for r in inp["rows"] if inp["answers"][r["id"]]["result"] == inp["meaning"]["na"]]
    if na:
        out.append(para(t["na_intro"].format(len(na)), indent=True))
        for n, r in enumerate(na, start=1):
            reason = inp["answers"][r["id"]]["na_reason"] or blank(t["na_blank"])
            out.append(para(f"{n}. ", *fill(t["na_line"], title=inp["items"][r["id"]]["title"], reason=reason),
                            indent=True))
    return out


def practice_blocks(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t = inp["texts"]["report"]
    practice = inp["meaning"]["practice"]
    groups = grouped(inp, practice)
    rows = [r for _, rs in groups for r in rs]
    out = [heading(1, t["sections"][1])]
    if not rows:
        return [*out, para(t["practice_none"], indent=True)]
    rules = sum(1 for r in rows if r["kind"] == inp["kinds"][0])
    out.append(para(t["practice_intro"].format(rules, len(rows) - rules), indent=True))
    n = 0
    for dim_no, (name, rs) in enumerate(groups, start=1):
        out.append(heading(2, f"（{numeral(dim_no)}）{name}"))
        for r in rs:
            n += 1
            a = inp["answers"][r["id"]]
            tag = t["reference_tag"] if r["kind"] != inp["kinds"][0] else ""
            content = [f"{n}. " + t["item_line"].format(title=inp["items"][r["id"]]["title"] + tag),
                       a["note"] or blank(t["practice_blank"])]
            if a["evidence"]:
                content.append(t["evidence"].format(a["evidence"]))
            out.append(para(*content, indent=True))
    return out


def problem_rows(inp: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    rules = [r for r in inp["rows"] if r["kind"] == inp["kinds"][0]]
    return grouped({**inp, "rows": rules}, inp["meaning"]["problem"])


def problem_blocks(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t = inp["texts"]["report"]
    groups = problem_rows(inp)
    total = sum(len(rs) for _, rs in groups)
    out = [heading(1, t["sections"][2])]
    if not total:
        return [*out, para(t["problem_none"], indent=True)]
    out.append(para(t["problem_intro"].format(total), indent=True))
    n = 0
    for dim_no, (name, rs) in enumerate(groups, start=1):
        out.append(heading(2, f"（{numeral(dim_no)}）{name}"))
        for r in rs:
            n += 1
            a = inp["answers"][r["id"]]
            line = f"{n}. " + t["item_line"].format(title=inp["items"][r["id"]]["title"] +
                                                     t["problem_result"].format(a["result"]))
            out.append(para(line, a["note"] or blank(t["problem_blank"]), indent=True))
    return out


def measure_blocks(inp: dict[str, Any]) -> list[dict[str, Any]]:
    t = inp["texts"]["report"]
    rows = [r for _, rs in problem_rows(inp) for r in rs]
    out = [heading(1, t["sections"][3])]
    if not rows:
        return [*out, para(t["measures_none"], indent=True)]
    out.append(para(t["measures_intro"], indent=True))
    cells = [{"cells": [[str(n)], [inp["items"][r["id"]]["title"] + t["problem_result"].format(inp["answers"][r["id"]]["result"])],
                        [blank(t["measures_blank"])], [blank(t["measures_person"])], [blank(t["measures_date"])]]}
             for n, r in enumerate(rows, start=1)]
    out.append(table(t["measures_columns"], t["measures_widths"], cells))
    return out


def report_model(inp: dict[str, Any]) -> dict[str, Any]:
    t = inp["texts"]["report"]
    s = inp["school"]
    name = s["name"] or blank(t["name_blank"])
    body = [*basic_blocks(inp), *practice_blocks(inp), *problem_blocks(inp), *measure_blocks(inp)]
    body.append(para(style="closing"))  # a blank line before the signature
    body.append(para(name, style="closing", align="right"))
    body.append(para(t["closing"][0], style="closing", align="right"))
    body.append(para(blank(t["closing"][1]), style="closing", align="right"))
    length = sum(count_chars(block_text(b)) for b in body)
    version = inp["texts"]["data_version"].format(inp["data_version"]) + inp["texts"]["list_sep"] + \
        t["length"].format(length)
    head = [title(*fill(t["title"], name)), para(t["draft"], style="subtitle", align="center"),
            para(t["note"].format(version), style="note")]
    return {"kind": "report", "style": "official", "orientation": "portrait",
            "title": t["title"].format(s["name"]) + t["draft"],
            "header": [], "footer": ["— ", {"field": "PAGE"}, " —"], "blocks": [*head, *body], "chars": length}
