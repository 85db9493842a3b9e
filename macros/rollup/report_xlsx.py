"""The district report as a workbook: the same content as report.html, one sheet per section.

Written through `workbook.Book`: streamed, and every string stored as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..checklist import UNANSWERED, district_names
from ..model import Dataset
from ..workbook import Book, SheetLayout
from .aggregate import Rollup, columns
from .read import Problem
from .report_html import ReportMeta, basis_of

LEDGER_HEADERS = ("序号", "学校编号", "学校名称", "所属地区", "编号", "检查项目", "维度", "自评结果", "存在问题及整改措施",
                  "佐证材料说明", "答案文件")
PROBLEM_HEADERS = ("序号", "文件", "类型", "说明", "处理")


def _count_headers(ds: Dataset) -> list[str]:
    return [f"{k}·{r}" for k, r in columns(ds)]


def write_xlsx(ds: Dataset, rollup: Rollup, meta: ReportMeta, path: Path) -> None:
    cols = columns(ds)
    header = f"{meta.title}（数据版本 {ds.data_version}）"
    book = Book(title=meta.title, subject=f"数据版本 {ds.data_version}",
                keywords=f"data_version={ds.data_version}; build={meta.build}",
                description=f"生成时间 {meta.generated}；花名册 {meta.roster_file}；答案文件夹 {meta.answers_dir}")
    names = district_names(ds)
    t = rollup.totals

    ws = book.sheet("汇总", SheetLayout((6, 16, 30, 10, 10, 12, 14, 10, *([9] * len(cols)), 8, 10, 24), header, freeze=""))
    book.row(ws, [meta.title], title=True)
    book.row(ws, [f"数据版本 {ds.data_version}；生成时间 {meta.generated}；构建提交 {meta.build}"])
    book.row(ws, [])
    book.row(ws, ["指标", "数值"], head=True)
    shares = {"提交率", "已填写占比（已提交学校）", "已填写占比（全部学校）", "规定项达标率"}
    totals: list[tuple[str, Any]] = [
        ("花名册学校数", t.schools), ("已提交", t.submitted), ("未提交", t.missing), ("提交率", t.submission_share),
        ("已填写占比（已提交学校）", t.tally.answered_share()), ("已填写占比（全部学校）", t.answered_share_all),
        ("规定项达标率", t.tally.compliance()), *((f"{k}·{r}", t.tally[(k, r)]) for k, r in cols)]
    for label, value in totals:
        book.row(ws, [label, value], pcts=[1] if label in shares else [])
    book.row(ws, [])
    header_row = 4 + len(totals) + 2
    ws.print_title_rows = f"{header_row}:{header_row}"
    school_headers = ["序号", "学校编号", "学校名称", "所属地区", "县区", "党组织类型", "书记校长配备", "学段", "办学性质",
                      "提交状态", *_count_headers(ds), "适用项", "规定项达标率", "答案文件"]
    book.row(ws, school_headers, head=True)
    rate_col = school_headers.index("规定项达标率")
    for s in rollup.schools:
        p = s.profile
        counts = [s.tally[c] if s.submitted else None for c in cols]
        book.row(ws, [s.number, p.school_id, p.name, names.get(p.district, p.district), s.row.county, p.org_type, p.mode,
                      p.stage, p.ownership, "已提交" if s.submitted else "未提交", *counts, s.applicable,
                      s.tally.compliance() if s.submitted else None, s.file or None], pcts=[rate_col])

    ws = book.sheet("检查项", SheetLayout((6, 16, 30, 16, *([9] * len(cols)), 8, 9, 50), header))
    book.table(ws, ("排序", "编号", "检查项目", "维度", *_count_headers(ds), "未提交", "适用学校", "依据"), (
        [r.rank, r.item.id, r.item.title, ds.dimension(r.item.dimension).name, *(r.tally[c] for c in cols),
         r.not_submitted, r.applicable, "；".join(b.label for b in basis_of(r.item, ds, ""))] for r in rollup.items),
        wraps=[4 + len(cols) + 2])

    group_headers = (*_count_headers(ds), "合计", "规定项达标率")
    ws = book.sheet("维度", SheetLayout((20, *([9] * len(cols)), 8, 11), header, landscape=False))
    book.table(ws, ("维度", *group_headers), (
        [g.label, *(g.tally[c] for c in cols), g.tally.total(), g.tally.compliance()] for g in rollup.by_dimension),
        pcts=[len(cols) + 2])
    for name, groups in (("党组织类型", rollup.by_org_type), ("书记校长配备", rollup.by_mode)):
        ws = book.sheet(name, SheetLayout((14, 9, 9, *([9] * len(cols)), 8, 11), header, landscape=False))
        book.table(ws, (name, "学校数", "已提交", *group_headers), (
            [g.label, g.schools, g.submitted, *(g.tally[c] for c in cols), g.tally.total(), g.tally.compliance()]
            for g in groups), pcts=[len(cols) + 4])

    ws = book.sheet("整改台账", SheetLayout((6, 16, 28, 10, 16, 28, 16, 10, 50, 30, 24), header))
    book.table(ws, LEDGER_HEADERS, (
        [r.number, r.profile.school_id, r.profile.name, names.get(r.profile.district, r.profile.district), r.item.id,
         r.item.title, ds.dimension(r.item.dimension).name, r.result, r.note, r.evidence, r.file] for r in rollup.ledger),
        wraps=[8, 9])

    ws = book.sheet("问题", SheetLayout((6, 36, 20, 80, 10), header))
    book.table(ws, PROBLEM_HEADERS, (_problem_row(n, p) for n, p in enumerate(rollup.problems, start=1)), wraps=[3])

    ws = book.sheet("说明", SheetLayout((18, 90), header, landscape=False, freeze=""))
    for line in (
        [meta.title], ["数据版本", ds.data_version], ["构建提交", meta.build], ["生成时间", meta.generated],
        ["花名册", meta.roster_file], ["答案文件夹", meta.answers_dir],
        ["适用检查项", "按花名册中每所学校的党组织类型、书记校长配备、学段、办学性质和所属地区确定（与自查表相同的规则）；"
                  "不适用的检查项的答案不计入。"],
        ["规定项与参考项", "规定项依据对该校有约束力的规定，答达标/基本达标/未达标/不适用；参考项是探索性、倡导性做法或其他地方、"
                    "范文的做法，答已采用/未采用/不适用，不计为未达标，不计入达标率。"],
        ["规定项达标率", "达标 ÷（规定项数 − 不适用）。"],
        [UNANSWERED, "已提交但该项未选择结果（或选择的结果不属于该项的类别）。"],
        ["检查项排序", "规定项未达标学校数从多到少，其次基本达标学校数从多到少，其次检查项顺序。"],
        ["学校对应", "先按学校编号，再按规范化的学校名称（全角半角、空格、中文数字）对应花名册；编号与名称不一致的文件不计入。"],
        ["同一学校多份文件", "以导出时间（exported_at，没有则按文件修改时间）较新的为准，较旧的列入“问题”。"],
        ["注意", "答案文件和本报告是学校的内部材料，请勿发布到公开网站。"],
    ):
        book.row(ws, line, wraps=[1])
    book.save(path)


def _problem_row(n: int, p: Problem) -> list[Any]:
    return [n, p.file, p.label, p.message, "未计入" if p.skipped else "其余已计入"]
