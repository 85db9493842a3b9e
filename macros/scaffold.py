"""Stubs for contributors: ``python -m macros new practice`` and ``python -m macros new item``.

A stub holds every required field with a Chinese comment saying what to put there. Text the
contributor must write is left as an empty string, which the schemas reject ("不能为空"), so an
unfilled stub never passes ``python -m macros validate``: each blank is reported with its file and
line. IDs are chosen free of every ID already in data/ (retired ones included: IDs are never reused).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import validate as validation

ID_PART = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)*$")
DISTRICT_ID = re.compile(r"^DS-(?P<code>[A-Z0-9]+(?:-[A-Z0-9]+)*)$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
# A value that reads back as the same string when written unquoted (Chinese names, plain words).
YAML11_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})  # quoted: yamllint truthy
PLAIN_SCALAR = re.compile(r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`\d][^:#,\[\]{}]*$")

# The ID part that stands for each checklist dimension when data/checklist.yaml has no item of it yet.
DIMENSION_CODES = {"org": "ORG", "duty": "DUTY", "decision": "DEC", "coord": "COORD", "party": "PARTY",
                   "support": "SUP", "local": "LOCAL"}


class ScaffoldError(Exception):
    """A request the scaffold refuses (bad argument, file exists, ID taken); the message is for people."""


@dataclass(frozen=True)
class Created:
    """What `new_practice` wrote, for the command's report."""

    path: Path
    district_id: str
    source_id: str
    practice_id: str


# ----------------------------------------------------------------------------------------------
# IDs


def used_ids(root: Path, data_dir: Path | None = None) -> set[str]:
    """Every record ID in the data (retired records included), read the way the validator reads it."""
    result = validation.validate(root, data_dir=data_dir)
    return {r.id for r in result.records if isinstance(r.data.get("id"), str) and r.id}


def free_id(base: str, used: Iterable[str]) -> str:
    """`base` if no record has it, else the first of `base-2`, `base-3`, … that is free."""
    taken = set(used)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def next_numbered_id(prefix: str, used: Iterable[str], width: int = 2) -> str:
    """The next `prefix-NN` after the highest number already used with that prefix (01 when none)."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    numbers = [int(m.group(1)) for i in used if (m := pattern.match(i))]
    return f"{prefix}-{max(numbers, default=0) + 1:0{width}d}"


def district_code(district_id: str) -> str:
    """`DS-XX` → `XX`; refuses anything the schema would not accept as a district ID."""
    m = DISTRICT_ID.match(district_id)
    if not m or len(district_id) > 48:
        raise ScaffoldError(f"地区编号“{district_id}”格式不对：应为 DS- 加大写字母或数字，如 DS-QJ、DS-NB-FH")
    return m.group("code")


def dimensions(root: Path, result: validation.Result) -> tuple[str, ...]:
    """The checklist dimensions in use: those data/meta.yaml declares, else all the schema allows."""
    for f in result.files:
        if f.path.name == "meta.yaml" and f.path.parent.name != "practices" and isinstance(f.data, dict):
            declared = [d.get("key") for d in f.data.get("dimensions") or [] if isinstance(d, dict)]
            if declared:
                return tuple(k for k in declared if isinstance(k, str))
    common = json.loads((root / "schemas" / "common.schema.json").read_text(encoding="utf-8"))
    return tuple(common["$defs"]["dimension"]["enum"])


# ----------------------------------------------------------------------------------------------
# YAML text


def yaml_scalar(value: str) -> str:
    """A string as YAML: plain when that reads back unchanged, else double-quoted (JSON is valid YAML)."""
    if PLAIN_SCALAR.match(value) and value == value.strip() and value.lower() not in YAML11_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def check_text(label: str, value: str, max_len: int) -> str:
    """A required one-line text argument: non-empty, no surrounding spaces, within the schema's length."""
    if not value or value != value.strip() or "\n" in value:
        raise ScaffoldError(f"{label}不能为空，首尾不能有空格")
    if len(value) > max_len:
        raise ScaffoldError(f"{label}太长（{len(value)} 字，上限 {max_len} 字）")
    return value


def practice_stub(*, district_id: str, name: str, province: str, source_id: str, practice_id: str) -> str:
    """The text of a new district file: district record, one source, one practice; blanks to fill."""
    q = yaml_scalar
    example_id = practice_id.rsplit("-", 1)[0] + "-RULES"
    return f"""# yaml-language-server: $schema=../../schemas/practice-file.schema.json
# {name}的地方实践。由 `python -m macros new practice` 生成。
# 把每个空着的 "" 换成内容（用自己的话写，不要整段照抄原文），删掉用不上的注释，
# 然后运行 `make validate`：还空着的必填项会按“文件:行:列”报出来。写法可参考 data/practices/kaizhou.yaml。
district:
  id: {district_id}  # 地区编号：已检查未被占用；发布后不再更改
  name: {q(name)}
  # short: 简称  # 选填：10 字以内，用于表格
  province: {q(province)}
  # level: 区  # 选填：市、区 或 县
  # 必填：这个地区做法的概括（800 字以内，自己的话）
  summary: ""
  sources: [{source_id}]  # 这个地区的资料来源（编号见下面 sources）

sources:
  - id: {source_id}  # 来源编号：已选一个未被占用的编号；发布后不再更改
    # 必填：来源类型——official（官方网站发布的原文）或 repost（其他网站的转载）
    kind: ""
    # 必填：文件或报道的完整标题，照原文
    title: ""
    # 必填：发布机构；不清楚时写“网络转载（原发布机构未注明）”
    publisher: ""
    # 以下选填，但请尽量填写，维护者要据此核对：
    # date: "2026-01-01"  # 发布日期，加引号：YYYY、YYYY-MM 或 YYYY-MM-DD
    # doc_no: 某教发〔2026〕1号  # 文号，照原样
    # url: https://www.example.gov.cn/…  # 原文网址
    # region: {province}{name}
    # summary: 这份来源讲了什么（自己的话）

practices:
  - id: {practice_id}  # 做法编号：可改成有意义的大写缩写（如 {example_id}）；发布后不再更改
    # 必填：做法名称（60 字以内）
    name: ""
    # 必填：这项做法是什么、怎么做（800 字以内，自己的话）
    summary: ""
    # 选填：它示范了哪条记录或检查项（rel：exemplifies 示例、stricter 更严、variant 另一种做法、conflicts 与之不同）
    # relates:
    #   - {{ref: CK-DEC-01, rel: exemplifies}}
    # 选填：来源里的数字，写法见 data/practices/kaizhou.yaml 的 figures
    cite:
      # 必填：loc 写出处在来源中的位置，如“第二部分第3段”或“三（五）”
      - {{src: {source_id}, loc: ""}}
"""


def item_stub(*, item_id: str, dimension: str, district_id: str | None = None) -> str:
    """A checklist item to paste under `checklist:` in data/checklist.yaml; blanks to fill."""
    applies = (f"    applies: {{district: [{district_id}]}}  # 地方特色检查项只适用于这个地区\n" if district_id else
               "    # applies: {org_type: [党委], mode: [分设]}  # 选填：只适用于某些学校时填写；不写表示适用于所有学校\n")
    return f"""  # 粘贴到 data/checklist.yaml 的 checklist: 列表里（放在同一维度的条目之后），把空着的 "" 和 [] 填上。
  - id: {item_id}  # 编号：已选下一个未被占用的编号；发布后不再更改
    dimension: {dimension}
    # 必填：检查项标题（60 字以内）
    title: ""
    # 必填：检查什么、看到什么算做到（400 字以内，自己的话）
    check: ""
    # 必填：依据的记录编号，如 [DI-…, MR-…, RS-…]，至少 1 个
    basis: []
    # 必填：佐证材料编号，见 data/evidence.yaml，如 [EV-…]，至少 1 个
    evidence: []
{applies}    rubric:  # 必填：三档评分标准各一句话；可加“不适用”
      达标: ""
      基本达标: ""
      未达标: ""
"""


# ----------------------------------------------------------------------------------------------
# Commands


def new_practice(root: Path, *, district_id: str, name: str, province: str, slug: str | None = None,
                 year: int | None = None, data_dir: Path | None = None) -> Created:
    """Write `data/practices/<slug>.yaml` for a new district; refuse to overwrite or reuse an ID."""
    code = district_code(district_id)
    check_text("地区名称", name, 30)
    check_text("省份", province, 30)
    slug = slug or code.lower()
    if not SLUG.match(slug):
        raise ScaffoldError(f"文件名“{slug}”格式不对：只用小写字母、数字和连字符，如 qujing、nb-fenghua")
    data_dir = (data_dir or root / "data").resolve()
    if not data_dir.is_dir():
        raise ScaffoldError(f"找不到数据目录 {data_dir}")
    path = data_dir / "practices" / f"{slug}.yaml"
    if path.exists():
        raise ScaffoldError(f"{path} 已存在：不会覆盖。换一个 --slug，或直接编辑这个文件")
    used = used_ids(root, data_dir)
    if district_id in used:
        raise ScaffoldError(f"地区编号 {district_id} 已被使用：请直接编辑已有的地区文件，或换一个编号")
    source_id = free_id(f"SRC-{code}-{year or date.today().year}", used)
    practice_id = next_numbered_id(f"PR-{code}", used)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = practice_stub(district_id=district_id, name=name, province=province, source_id=source_id,
                         practice_id=practice_id)
    with path.open("x", encoding="utf-8", newline="\n") as fh:  # "x": never overwrite, even in a race
        fh.write(text)
    return Created(path, district_id, source_id, practice_id)


def dimension_prefix(dimension: str, used: Iterable[str], records: Iterable[validation.RecordRef],
                     district_id: str | None = None) -> str:
    """The ID prefix for a new item of a dimension: the one its items already use, else CK-<CODE>."""
    if dimension == "local":
        if not district_id:
            raise ScaffoldError("地方特色（local）检查项要用 --district 指明地区，如 --district DS-QJ")
        code = district_code(district_id)
        if district_id not in set(used):
            raise ScaffoldError(f"找不到地区 {district_id}：先用 python -m macros new practice 添加这个地区")
        return f"CK-LOCAL-{code}"
    if district_id:
        raise ScaffoldError("只有地方特色（--dimension local）检查项才限定地区")
    seen = [re.sub(r"-\d+$", "", r.id) for r in records
            if r.kind == "checklist" and r.data.get("dimension") == dimension and re.search(r"-\d+$", r.id)]
    if seen:
        return max(set(seen), key=seen.count)
    return f"CK-{DIMENSION_CODES.get(dimension, dimension.upper())}"


def new_item(root: Path, *, dimension: str, district_id: str | None = None, data_dir: Path | None = None) -> str:
    """The text of a checklist item stub with the next free ID of its dimension."""
    result = validation.validate(root, data_dir=data_dir)
    allowed = dimensions(root, result)
    if dimension not in allowed:
        raise ScaffoldError(f"维度“{dimension}”不存在（可选：{'、'.join(allowed)}）")
    used = {r.id for r in result.records if r.id}
    prefix = dimension_prefix(dimension, used, result.records, district_id)
    return item_stub(item_id=next_numbered_id(prefix, used), dimension=dimension, district_id=district_id)


def next_steps(created: Created, root: Path) -> str:
    """What to tell the contributor after `new practice`."""
    try:
        shown = created.path.relative_to(root.resolve())
    except ValueError:
        shown = created.path
    return (f"已创建 {shown}\n"
            f"  地区 {created.district_id}，来源 {created.source_id}，做法 {created.practice_id}\n"
            "下一步：\n"
            f"  1. 编辑 {shown}：填上每个空着的 \"\"（注释写明了要填什么），出处写到段落或行\n"
            "  2. make validate    # 校验；没填完的地方会按“文件:行:列”列出\n"
            "  3. make serve       # 本地预览 http://127.0.0.1:8000 ，新页面在“地方实践”下\n"
            "  4. 在 CHANGELOG.md 记一笔，并把 data/meta.yaml 的 data_version 加一，然后提交 Pull Request")


__all__ = ["ScaffoldError", "Created", "used_ids", "free_id", "next_numbered_id", "district_code", "yaml_scalar",
           "practice_stub", "item_stub", "new_practice", "new_item", "next_steps", "dimension_prefix"]
