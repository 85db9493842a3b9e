"""The district workbook of a batch: one long table, a row per school × applicable item, streamed.

Writing it is most of a batch's time (openpyxl writes each cell as an XML element), so `XlsxJob`
writes it in a forked process while the parent writes the schools' HTML and Word files; where `fork`
does not exist (Windows, macOS' default) it is written in the same process, with the same result.
The file appears whole or not at all (`Book.save`).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from .checklist import Profile, Selected, district_names, scoring_profile
from .checklist_pages import CHECKLIST_TITLE
from .model import Dataset
from .scope import RULE
from .workbook import Book, SheetLayout, list_validation

XLSX_HEADERS = ("学校编号", "学校名称", "所属地区", "党组织类型", "书记校长配备", "学段", "办学性质", "评分方案", "序号", "编号",
                "类别", "维度", "检查项目", "检查内容", "依据", "佐证材料", "分值", "自评结果", "不适用理由", "自评分", "复核分",
                "复核意见", "存在问题及整改措施", "佐证材料说明")
XLSX_WIDTHS = (14, 24, 10, 10, 12, 12, 10, 16, 6, 16, 8, 14, 24, 60, 24, 30, 6, 12, 24, 8, 8, 24, 40, 30)


def write_xlsx(ds: Dataset, schools: Iterable[tuple[Profile, list[Selected]]], path: Path, *, build: str) -> int:
    """One workbook for the district: a long table (one row per school × item), streamed."""
    v = ds.vocab
    book = Book(title=CHECKLIST_TITLE, subject=f"数据版本 {ds.data_version}",
                keywords=f"data_version={ds.data_version}; build={build}")
    info = book.sheet("说明", SheetLayout((16, 90), CHECKLIST_TITLE, landscape=False, freeze=""))
    for line in (
        [CHECKLIST_TITLE], ["数据版本", ds.data_version], ["构建提交", build],
        ["填写说明", f"规定项在“自评结果”列选择：{'、'.join(v.rule_results)}；参考项选择：{'、'.join(v.reference_results)}。"
                     "选“不适用”须在“不适用理由”列写明依据，否则按未填计。"],
        ["评分", "规定项按“分值”计分：达标得全部分值，未达标 0 分，基本达标填写“自评分”（大于 0、小于分值）；参考项不计分。"
               "“复核分”“复核意见”由复核人员填写。"],
        ["类别", "规定项：依据对本校有约束力的规定；参考项：探索性、倡导性做法或其他地方、范文的做法，不计为未达标。"],
        ["列说明", "每行是一所学校的一个检查项；可按学校名称筛选。"],
    ):
        book.row(info, line, wraps=[1])
    ws = book.sheet("自查表", SheetLayout(XLSX_WIDTHS, f"{CHECKLIST_TITLE}（数据版本 {ds.data_version}）", freeze="C2"))
    names = district_names(ds)
    evidence = {e.id: e.name for e in ds.evidence}

    def rows() -> Iterator[list[object]]:
        for profile, selected in schools:
            scoring = scoring_profile(ds, profile)
            label = f"{scoring.name} {scoring.version}" if scoring else ""
            for s in selected:
                it = s.item
                points = scoring.points(it.id).points if scoring and s.kind.kind == RULE else None
                yield [profile.school_id, profile.name, names.get(profile.district, profile.district), profile.org_type,
                       profile.mode, profile.stage, profile.ownership, label, s.number, it.id, s.kind.kind,
                       ds.dimension(it.dimension).name, it.title, it.check, "；".join(it.basis),
                       "；".join(evidence[e] for e in it.evidence), points, "", "", None, None, "", "", ""]

    n = book.table(ws, XLSX_HEADERS, rows(), wraps=[XLSX_HEADERS.index("检查内容"), XLSX_HEADERS.index("佐证材料")])
    result_col = XLSX_HEADERS.index("自评结果") + 1
    from openpyxl.utils import get_column_letter

    list_validation(ws, f"{get_column_letter(result_col)}2:{get_column_letter(result_col)}{max(n + 1, 2)}",
                    v.results, "自评结果")
    book.save(path)
    return n



class XlsxJob:
    """The district workbook, written beside the rest of the batch; `wait()` gives its row count."""

    def __init__(self, ds: Dataset, profiles: list[Profile], select_for: Callable[[Profile], list[Selected]],
                 path: Path, *, build: str) -> None:
        self._args = (ds, profiles, select_for, path, build)
        self._process: Any = None
        self._conn: Any = None
        if "fork" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("fork")  # the child shares the loaded data; nothing is pickled
            self._conn, child = ctx.Pipe(duplex=False)
            self._process = ctx.Process(target=_child, args=(child, *self._args), daemon=True)
            self._process.start()
            child.close()

    def close(self) -> None:
        """Stop the writer if it still runs (the batch failed elsewhere); its partial file goes with it."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()
            path = self._args[3]
            path.with_name(f".{path.name}.partial").unlink(missing_ok=True)

    def wait(self) -> int:
        """The number of rows written; RuntimeError (in Chinese) when the workbook could not be written."""
        if self._process is None:
            ds, profiles, select_for, path, build = self._args
            return write_xlsx(ds, ((p, select_for(p)) for p in profiles), path, build=build)
        try:
            kind, value = self._conn.recv()
        except EOFError:
            kind, value = "error", "写工作簿的进程意外退出"
        finally:
            self._conn.close()
            self._process.join()
        if kind != "ok":
            raise RuntimeError(f"全区工作簿未能生成：{value}")
        return int(value)


def _child(conn: Any, ds: Dataset, profiles: list[Profile], select_for: Callable[[Profile], list[Selected]],
           path: Path, build: str) -> None:
    try:
        conn.send(("ok", write_xlsx(ds, ((p, select_for(p)) for p in profiles), path, build=build)))
    except OSError as exc:  # reported by the parent as a Chinese message, never a traceback
        conn.send(("error", f"{path}：无法写入（{exc.strerror or exc}）"))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()
