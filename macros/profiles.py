"""District officers work in Excel: a scoring profile as a workbook and back.

`write_template` lists every checklist item with point, deduction and veto columns (dropdowns where
the values are closed); `read_workbook` reads a filled workbook back into a profile, checked against
schemas/profile.schema.json and the data, every problem naming its sheet, row and column;
`profile_yaml` writes the data file. template(P) → read → P is lossless (tested).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .checklist import district_names
from .model import Dataset
from .scope import EVERY_SCHOOL, item_binding
from .scoring_profile import ScoringProfile
from .validate import inline_refs
from .workbook import Book, SheetLayout, list_validation

YES, NO = "是", "否"
EFFECTS = {"不合格": "fail", "封顶": "cap"}  # veto effect as officers write it → schema value
SETTINGS = (  # sheet 方案: label, key, kind
    ("方案编号", "id", "text"), ("方案名称", "name", "text"), ("发布单位", "issuer", "text"), ("版本", "version", "text"),
    ("所属地区编号", "district", "text"), ("分值是否为示例", "example", "yesno"), ("说明", "note", "text"),
    ("满分", "total", "number"), ("基本达标得分比例", "partial_share", "number"),
    ("未列出检查项的分值", "default_points", "number"), ("另约束本地学校的来源编号", "binding_sources", "list"),
)
ITEM_HEADERS = ("编号", "维度", "检查项目", "类别", "分值", "每次扣分", "扣分事项", "扣分上限", "检查方法")
VETO_HEADERS = ("否决编号", "检查项编号", "触发结果", "后果", "封顶等级", "说明")
GRADE_HEADERS = ("等级", "最低分")
PARAM_HEADERS = ("参数键", "名称", "取值", "相关检查项")


@dataclass(frozen=True)
class SheetProblem:
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"“{self.sheet}”第 {self.row} 行" + (f"“{self.column}”列" if self.column else "")
        return f"{where}：{self.message}"


class WorkbookError(ValueError):
    """A workbook that cannot be read at all."""


def _kind_label(ds: Dataset, item_id: str) -> str:
    reach = item_binding(ds, ds.get(item_id)).districts(ds)  # type: ignore[arg-type]
    if EVERY_SCHOOL in reach:
        return "全国规定"
    if reach:
        return "地方规定（" + "、".join(district_names(ds).get(d, d) for d in sorted(reach)) + "）"
    return "参考项（不计分）"


def write_template(ds: Dataset, path: Path, profile: ScoringProfile | None = None) -> None:
    """The workbook: every item, with the profile's values filled in when one is given (else blank)."""
    title = f"评分方案：{profile.name}" if profile else "评分方案（待填写）"
    book = Book(title=title, subject=f"数据版本 {ds.data_version}", keywords=f"data_version={ds.data_version}")
    info = book.sheet("说明", SheetLayout((18, 96), title, landscape=False, freeze=""))
    for line in (
        [title], ["数据版本", ds.data_version],
        ["用法", "在“方案”“检查项”“一票否决”“等级”“参数”中填写本地的考核细则，然后运行：python -m macros profile import "
               "本文件.xlsx --out data/profiles/<名称>.yaml"],
        ["分值", "只有规定项计分；“类别”为参考项的检查项填了分值也不计分。空着的检查项按“未列出检查项的分值”计。"],
        ["扣分", "“每次扣分”“扣分事项”用于“发现一次扣 n 分，扣完为止”的检查项；“扣分上限”不填表示扣完本项分值为止。"],
        ["一票否决", "某检查项自评为“触发结果”之一时：“不合格”定为最低等级，“封顶”则等级最高为“封顶等级”。"],
        ["注意", "分值没有官方来源时，请在“方案”中把“分值是否为示例”填为“是”，并在“说明”中写明。"],
    ):
        book.row(info, line, wraps=[1])

    ws = book.sheet("方案", SheetLayout((26, 60), title, landscape=False, freeze=""))
    book.row(ws, ["项目", "内容"], head=True)
    for label, key, kind in SETTINGS:
        value: Any = getattr(profile, key) if profile else ""
        if kind == "yesno":
            value = (YES if value else NO) if profile else ""
        elif kind == "list":
            value = "；".join(value) if profile else ""
        elif kind == "text" and key == "district" and not value:
            value = ""
        book.row(ws, [label, value], wraps=[1])
    list_validation(ws, "B7", (YES, NO), "分值是否为示例")

    ws = book.sheet("检查项", SheetLayout((16, 14, 34, 22, 8, 10, 34, 10, 16), title))
    items = ds.active_checklist()
    rows = []
    for it in items:
        p = next((x for x in profile.items if x.item == it.id), None) if profile else None
        d = p.deduct if p else None
        rows.append([it.id, ds.dimension(it.dimension).name, it.title, _kind_label(ds, it.id),
                     p.points if p else None, d.per if d else None, d.what if d else "", d.cap if d and d.cap else None,
                     p.method if p else ""])
    book.table(ws, ITEM_HEADERS, rows, wraps=[2, 6])

    ws = book.sheet("一票否决", SheetLayout((12, 16, 20, 10, 12, 50), title))
    vetoes = profile.vetoes if profile else ()
    n = book.table(ws, VETO_HEADERS, ([v.id, v.item, "、".join(v.results), {"fail": "不合格", "cap": "封顶"}[v.effect],
                                       v.grade, v.label] for v in vetoes))
    list_validation(ws, f"D2:D{max(n + 50, 51)}", tuple(EFFECTS), "后果")

    ws = book.sheet("等级", SheetLayout((16, 10), title, landscape=False))
    book.table(ws, GRADE_HEADERS, ([g.name, g.min] for g in (profile.grades if profile else ())))

    ws = book.sheet("参数", SheetLayout((20, 30, 40, 40), title))
    book.table(ws, PARAM_HEADERS, ([p.key, p.label, p.value, "；".join(p.items)]
                                   for p in (profile.parameters if profile else ())), wraps=[2])
    book.save(path)


# ----------------------------------------------------------------------------------------------
# Reading a filled workbook


def _rows(ws: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    it = ws.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(it, ())]
    for n, values in enumerate(it, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        yield n, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header) if h}


def _text(v: Any) -> str:
    return "" if v is None else str(v).strip()


def _number(v: Any) -> float | int | None | str:
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        return int(v) if float(v).is_integer() else float(v)
    try:
        x = float(str(v).strip())
    except ValueError:
        return str(v)
    return int(x) if x.is_integer() else x


def read_workbook(path: Path, ds: Dataset) -> tuple[dict[str, Any] | None, list[SheetProblem]]:
    """A filled workbook → the profile as a dict (schema shape), or None with the problems found."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise WorkbookError(f"{path.name} 不是有效的 Excel 工作簿（{type(exc).__name__}）") from None
    problems: list[SheetProblem] = []
    try:
        missing = [s for s in ("方案", "检查项", "等级") if s not in wb.sheetnames]
        if missing:
            raise WorkbookError(f"{path.name} 缺少工作表：{'、'.join(missing)}（请用 profile template 生成的工作簿）")
        profile: dict[str, Any] = {}
        where: dict[tuple[str, ...], tuple[str, int, str]] = {}  # schema path → sheet, row, column (for messages)
        settings = {label: (key, kind) for label, key, kind in SETTINGS}
        for n, row in _rows(wb["方案"]):
            label, value = _text(row.get("项目")), row.get("内容")
            if label not in settings:
                problems.append(SheetProblem("方案", n, "项目", f"不认识的项目“{label}”"))
                continue
            key, kind = settings[label]
            where[(key,)] = ("方案", n, "内容")
            if kind == "yesno":
                text = _text(value)
                if text not in (YES, NO):
                    problems.append(SheetProblem("方案", n, "内容", f"应填“{YES}”或“{NO}”，而不是“{text}”"))
                    continue
                profile[key] = text == YES
            elif kind == "number":
                profile[key] = _number(value)
            elif kind == "list":
                profile[key] = [x.strip() for x in _text(value).replace(";", "；").split("；") if x.strip()]
            elif _text(value):
                profile[key] = _text(value)
        items, known = [], {i.id for i in ds.active_checklist()}
        for n, row in _rows(wb["检查项"]):
            item_id = _text(row.get("编号"))
            if item_id not in known:
                problems.append(SheetProblem("检查项", n, "编号", f"“{item_id}”不是现有的检查项编号"))
                continue
            points = _number(row.get("分值"))
            per, what, cap = _number(row.get("每次扣分")), _text(row.get("扣分事项")), _number(row.get("扣分上限"))
            if points is None:
                if per is not None or what or cap is not None:
                    problems.append(SheetProblem("检查项", n, "分值", "填了扣分规则，却没有填分值"))
                continue
            entry: dict[str, Any] = {"item": item_id, "points": points}
            if _text(row.get("检查方法")):
                entry["method"] = _text(row.get("检查方法"))
            if per is not None or what:
                entry["deduct"] = {"per": per, "what": what, **({"cap": cap} if cap is not None else {})}
            where[("items", len(items))] = ("检查项", n, "分值")
            items.append(entry)
        profile["items"] = items
        vetoes = []
        if "一票否决" in wb.sheetnames:
            for n, row in _rows(wb["一票否决"]):
                effect = EFFECTS.get(_text(row.get("后果")))
                if effect is None:
                    problems.append(SheetProblem("一票否决", n, "后果", f"应填“不合格”或“封顶”，而不是“{_text(row.get('后果'))}”"))
                    continue
                veto = {"id": _text(row.get("否决编号")), "item": _text(row.get("检查项编号")),
                        "results": [x for x in _text(row.get("触发结果")).replace("，", "、").replace(",", "、").split("、") if x],
                        "effect": effect, "label": _text(row.get("说明"))}
                if _text(row.get("封顶等级")):
                    veto["grade"] = _text(row.get("封顶等级"))
                where[("vetoes", len(vetoes))] = ("一票否决", n, "")
                vetoes.append(veto)
        profile["vetoes"] = vetoes
        grades = []
        for n, row in _rows(wb["等级"]):
            where[("grades", len(grades))] = ("等级", n, "")
            grades.append({"name": _text(row.get("等级")), "min": _number(row.get("最低分"))})
        profile["grades"] = grades
        params = []
        if "参数" in wb.sheetnames:
            for n, row in _rows(wb["参数"]):
                entry = {"key": _text(row.get("参数键")), "label": _text(row.get("名称")), "value": _text(row.get("取值"))}
                linked = [x.strip() for x in _text(row.get("相关检查项")).replace(";", "；").split("；") if x.strip()]
                if linked:
                    entry["items"] = linked
                where[("parameters", len(params))] = ("参数", n, "")
                params.append(entry)
        profile["parameters"] = params
    finally:
        wb.close()
    for key in ("items", "vetoes", "parameters"):
        if not profile.get(key):
            profile.pop(key, None)
    if not profile.get("binding_sources"):
        profile.pop("binding_sources", None)
    problems += _check(profile, ds, where)
    return (None if problems else profile), problems


def _check(profile: dict[str, Any], ds: Dataset, where: dict[tuple[str, ...], tuple[str, int, str]]) -> list[SheetProblem]:
    """Schema and cross-file checks of an imported profile, located in the workbook."""
    from .validate import schema_message

    out = []
    schema = inline_refs(ds.schema_dir, "profile")
    for err in Draft202012Validator(schema).iter_errors({"profile": profile}):
        path = tuple(err.absolute_path)[1:]
        listed = path[:1] in (("items",), ("vetoes",), ("grades",), ("parameters",))
        loc = where.get(path[:2] if listed else path[:1], ("方案", 0, ""))
        _, message = schema_message(err)
        out.append(SheetProblem(loc[0], loc[1], loc[2], f"{'.'.join(map(str, path)) or '方案'}：{message}"))
    if isinstance(profile.get("district"), str) and profile["district"] not in {d.id for d in ds.districts}:
        loc = where.get(("district",), ("方案", 0, ""))
        out.append(SheetProblem(loc[0], loc[1], loc[2], f"地区“{profile['district']}”不存在"))
    for sid in profile.get("binding_sources") or []:
        if sid not in ds.by_id:
            loc = where.get(("binding_sources",), ("方案", 0, ""))
            out.append(SheetProblem(loc[0], loc[1], loc[2], f"来源“{sid}”不存在"))
    names = [g.get("name") for g in profile.get("grades") or []]
    for i, v in enumerate(profile.get("vetoes") or []):
        loc = where.get(("vetoes", i), ("一票否决", 0, ""))
        if v.get("item") not in {it.id for it in ds.active_checklist()}:
            out.append(SheetProblem("一票否决", loc[1], "检查项编号", f"“{v.get('item')}”不是现有的检查项编号"))
        if v.get("effect") == "cap" and v.get("grade") not in names:
            out.append(SheetProblem("一票否决", loc[1], "封顶等级", f"“{v.get('grade', '')}”不在“等级”表中"))
    return out


def profile_yaml(profile: dict[str, Any]) -> str:
    """The data file for a profile: the schema comment, then JSON-style flow values (valid YAML)."""
    lines = ["# yaml-language-server: $schema=../../schemas/profile.schema.json",
             f"# 由 python -m macros profile import 从 Excel 导入。{'分值为示例。' if profile.get('example') else ''}",
             "profile:"]
    for key, value in profile.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"  {key}:")
            lines += [f"    - {json.dumps(v, ensure_ascii=False)}" for v in value]
        else:
            lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
