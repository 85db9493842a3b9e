"""The district report as a workbook: the same content as report.html, one sheet per section.

Written through `workbook.Book`: streamed, and every string stored as text, never as a formula.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..checklist import UNANSWERED, district_names
from ..model import Dataset
from ..workbook import Book, SheetLayout, list_validation
from .aggregate import Rollup, columns
from .read import Problem
from .report_html import ReportMeta, basis_of
from .rounds import Comparison, FollowUp, LedgerEntry

LEDGER_HEADERS = ("序号", "学校编号", "学校名称", "所属地区", "编号", "检查项目", "维度", "自评结果", "失分", "存在问题及整改措施",
                  "佐证材料说明", "责任人", "完成时限", "状态", "销号依据", "答案文件")
PROBLEM_HEADERS = ("序号", "文件", "类型", "说明", "处理")


def _count_headers(ds: Dataset) -> list[str]:
    return [f"{k}·{r}" for k, r in columns(ds)]


def get_column_letter(n: int) -> str:
    from openpyxl.utils import get_column_letter as letter

    return letter(n)


def write_xlsx(ds: Dataset, rollup: Rollup, meta: ReportMeta, path: Path, *, follow: FollowUp | None = None,
               comparison: Comparison | None = None) -> None:
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

    scores = {s.profile.school_id: s.score for s in rollup.schools if s.score is not None}

    def lost_of(row: Any) -> float | None:
        sc = scores.get(row.profile.school_id)
        found = next((i for i in sc.items if i.item == row.item.id), None) if sc else None
        return round(found.points - found.earned, 1) if found else None

    entries = follow.entries if follow is not None else tuple(LedgerEntry(r) for r in rollup.ledger)
    ws = book.sheet("整改台账", SheetLayout((6, 16, 28, 10, 16, 28, 16, 10, 6, 50, 30, 12, 12, 10, 30, 24), header))
    n = book.table(ws, LEDGER_HEADERS, (
        [e.row.number, e.row.profile.school_id, e.row.profile.name, names.get(e.row.profile.district, e.row.profile.district),
         e.row.item.id, e.row.item.title, ds.dimension(e.row.item.dimension).name, e.row.result, lost_of(e.row), e.row.note,
         e.row.evidence, e.owner, e.due.isoformat() if e.due else "", e.status, e.closing, e.row.file] for e in entries),
        wraps=[9, 10])
    status_col = get_column_letter(LEDGER_HEADERS.index("状态") + 1)
    list_validation(ws, f"{status_col}2:{status_col}{max(n + 1, 2)}", ds.vocab.ledger_statuses, "状态")

    ws = book.sheet("得分", SheetLayout((16, 28, 12, 10, 10, 10, 10, 30), header))
    book.table(ws, ("学校编号", "学校名称", "评分方案", "自评得分", "等级", "复核得分", "复核等级", "一票否决"), (
        [s.profile.school_id, s.profile.name, f"{s.score.profile.name} {s.score.profile.version}", s.score.scaled,
         s.score.grade, s.score.review_scaled, s.score.review_grade, "；".join(v.label for v in s.score.vetoes)]
        for s in rollup.scored))
    if rollup.losses:
        ws = book.sheet("失分", SheetLayout((16, 40, 10, 10), header, landscape=False))
        book.table(ws, ("编号", "检查项目", "失分合计", "失分学校数"),
                   ([i, ds.get(i).title, lost, k] for i, lost, k in rollup.losses))  # type: ignore[attr-defined]
    if follow is not None:
        ws = book.sheet("整改跟踪", SheetLayout((12, 16, 28, 16, 12, 12, 10, 30), header))
        book.table(ws, ("情况", "学校编号", "学校名称", "编号", "责任人", "完成时限", "状态", "销号依据"), [
            *(["逾期", e.row.profile.school_id, e.row.profile.name, e.row.item.id, e.owner, e.due.isoformat() if e.due else "",
               e.status, e.closing] for e in follow.overdue),
            *(["重新出现", e.row.profile.school_id, e.row.profile.name, e.row.item.id, e.owner, "", e.status, ""]
              for e in follow.reopened),
            *(["新增", e.row.profile.school_id, e.row.profile.name, e.row.item.id, "", "", e.status, ""] for e in follow.new),
            *(["已解决或已销号", p.school_id, p.school_name, p.item, p.owner, p.due.isoformat() if p.due else "", p.status,
               p.closing] for p in follow.closed)])
    if comparison is not None:
        ws = book.sheet("两轮比较", SheetLayout((16, 28, 12, 12, 10, 40, 40), header))
        book.table(ws, ("学校编号", "学校名称", "上一轮得分", "本轮得分", "变化", "新达标的检查项", "退步的检查项"), (
            [c.now.profile.school_id, c.now.profile.name,
             c.before.score.scaled if c.before is not None and c.before.score else None,
             c.now.score.scaled if c.now.score else None, c.change, "、".join(c.improved), "、".join(c.slipped)]
            for c in comparison.schools), wraps=[5, 6])

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
        ["整改台账", "规定项中自评为未达标或基本达标的检查项。请在“责任人”“完成时限”“状态”“销号依据”列填写整改情况；"
                 "下一轮汇总时用 --ledger 指定本文件，状态会带入新的台账，并列出已销号、逾期和新增的条目。"],
        ["注意", "答案文件和本报告是学校的内部材料，请勿发布到公开网站。"],
    ):
        book.row(ws, line, wraps=[1])
    book.save(path)


def _problem_row(n: int, p: Problem) -> list[Any]:
    return [n, p.file, p.label, p.message, "未计入" if p.skipped else "其余已计入"]
