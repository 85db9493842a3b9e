"""Check the data in two layers — JSON Schema per file, then rules across files — and return problems.

Nothing here raises for bad data: every check yields `Problem`s, and `validate` returns them all at
once, sorted by file and line, so a contributor sees every mistake in one run.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .load import LoadedFile, load_file, path_text
from .problems import Problem


def junk_markers(schema_dir: Path) -> tuple[str, ...]:
    """Strings from the captured web pages that must never reach data or site.

    They live in `schemas/junk-markers.json`, a reviewed list next to the schemas, so the code
    carries no copy of the junk and a contributor can extend the list without touching Python.
    """
    return _junk_markers(schema_dir.resolve())


@cache
def _junk_markers(schema_dir: Path) -> tuple[str, ...]:
    doc = json.loads((schema_dir / "junk-markers.json").read_text(encoding="utf-8"))
    return tuple(doc["markers"])


def force_binding(schema_dir: Path) -> dict[str, bool]:
    """Each force value → whether it can bind (its `x-binding` in schemas/common.schema.json)."""
    return _force_binding(schema_dir.resolve())


@cache
def _force_binding(schema_dir: Path) -> dict[str, bool]:
    doc = json.loads((schema_dir / "common.schema.json").read_text(encoding="utf-8"))
    return {o["const"]: bool(o["x-binding"]) for o in doc["$defs"]["force"]["oneOf"]}


# Which schema each data file is checked against, by its place under data/.
TOP_LEVEL_FILES = {
    "meta.yaml": "meta", "sources.yaml": "sources", "responsibilities.yaml": "responsibilities",
    "decisions.yaml": "decisions", "meeting-rules.yaml": "meeting-rules", "setups.yaml": "setups",
    "supports.yaml": "supports", "milestones.yaml": "milestones", "variants.yaml": "variants",
    "glossary.yaml": "glossary", "evidence.yaml": "evidence", "checklist.yaml": "checklist",
}
FOLDER_FILES = {"practices": "practice-file", "schools": "roster"}

# The collections each schema's files hold, as (key, prefix of the IDs inside).
COLLECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "sources": (("sources", "SRC"),), "responsibilities": (("responsibilities", "RS"),),
    "decisions": (("decisions", "DI"),), "meeting-rules": (("meeting_rules", "MR"),),
    "setups": (("setups", "OS"),), "supports": (("supports", "SP"),), "milestones": (("milestones", "MS"),),
    "variants": (("variants", "VR"),), "glossary": (("glossary", "GL"),), "evidence": (("evidence", "EV"),),
    "checklist": (("checklist", "CK"),), "practice-file": (("sources", "SRC"), ("practices", "PR")),
    "roster": (("schools", "SCH"),), "meta": (),
}

SEED_LOC = re.compile(r"^L(\d+)(?:-L?(\d+))?$")
TEXT_PATTERN = "^\\S(.*\\S)?$"


def default_seeds_dir(root: Path) -> Path:
    """Where the seed texts live: $DZZLD_SEEDS, else ../shared/seeds next to the project."""
    env = os.environ.get("DZZLD_SEEDS")
    return Path(env) if env else root.parent / "shared" / "seeds"


@dataclass(frozen=True)
class RecordRef:
    """A record found in a file, with where it sits (for messages) and what it is."""

    file: LoadedFile
    path: tuple[str | int, ...]
    kind: str  # collection name, e.g. "sources", "figures", "district"
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.data.get("id", "")

    @property
    def active(self) -> bool:
        return self.data.get("status", "active") != "retired"

    def where(self, *sub: str | int, key: bool = False) -> tuple[int, int]:
        return self.file.positions.locate((*self.path, *sub), key=key)

    def problem(self, sub: tuple[str | int, ...], message: str) -> Problem:
        line, col = self.where(*sub)
        return Problem(self.file.name, line, col, path_text((*self.path, *sub)), message)


@dataclass
class Result:
    """What `validate` found: the parsed files, their records, and every problem."""

    files: list[LoadedFile]
    records: list[RecordRef]
    problems: list[Problem]
    seeds_checked: bool
    seeds_dir: Path
    notes: list[str] = field(default_factory=list)
    schemas: dict[str, str] = field(default_factory=dict)  # file name shown in messages -> schema name

    @property
    def ok(self) -> bool:
        return not self.problems


# ----------------------------------------------------------------------------------------------
# Files and schemas


def inline_refs(schema_dir: Path, name: str) -> dict[str, Any]:
    """`schemas/<name>.schema.json` with every `$ref` replaced by what it points at.

    Our schemas refer to each other but never recursively, so resolving them once here spares
    jsonschema a reference lookup per record (about a quarter of validation time on large data).
    A cycle would raise instead of looping.
    """
    docs = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in schema_dir.glob("*.schema.json")}

    def resolve(ref: str, doc: str, seen: tuple[str, ...]) -> Any:
        file, _, pointer = ref.partition("#")
        target = file or doc
        key = f"{target}#{pointer}"
        if key in seen:
            raise ValueError(f"recursive $ref {key} in {name}.schema.json")
        node: Any = docs[target]
        for part in (p for p in pointer.split("/") if p):
            node = node[part]
        return walk(node, target, (*seen, key))

    def walk(node: Any, doc: str, seen: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            rest = {k: walk(v, doc, seen) for k, v in node.items() if k not in ("$ref", "$defs")}
            if "$ref" in node:
                return {**resolve(node["$ref"], doc, seen), **rest}
            return rest
        if isinstance(node, list):
            return [walk(v, doc, seen) for v in node]
        return node

    return walk(docs[f"{name}.schema.json"], f"{name}.schema.json", ())


@cache
def schema_validator(schema_dir: Path, name: str) -> Draft202012Validator:
    """A validator for `schemas/<name>.schema.json`, with the refs between our schema files inlined."""
    return Draft202012Validator(inline_refs(schema_dir.resolve(), name))


def discover(data_dir: Path, root: Path) -> tuple[list[tuple[Path, str, str]], list[Problem]]:
    """List the data files with the schema each must follow; unknown files are problems."""
    found: list[tuple[Path, str, str]] = []
    problems: list[Problem] = []
    data_real = data_dir.resolve()

    def rel(p: Path) -> str:
        try:
            return p.relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    for p in sorted(data_dir.rglob("*")):
        if p.is_dir() and not p.is_symlink():
            continue
        name = rel(p)
        if p.is_symlink() and not p.resolve().is_relative_to(data_real):
            problems.append(Problem(name, 0, 0, "", "符号链接指向数据目录之外：不读取"))
            continue
        if p.suffix == ".yml":
            problems.append(Problem(name, 0, 0, "", "请使用 .yaml 扩展名"))
            continue
        if p.suffix != ".yaml":
            if p.name not in ("README.md", ".gitkeep"):
                problems.append(Problem(name, 0, 0, "", "data/ 里只能放 .yaml 数据文件"))
            continue
        parts = p.relative_to(data_dir).parts
        if len(parts) == 1 and parts[0] in TOP_LEVEL_FILES:
            found.append((p, name, TOP_LEVEL_FILES[parts[0]]))
        elif len(parts) == 2 and parts[0] in FOLDER_FILES:
            found.append((p, name, FOLDER_FILES[parts[0]]))
        else:
            problems.append(Problem(name, 0, 0, "", "未知的数据文件：不在约定的位置（见 CONTRIBUTING.md）"))
    return found, problems


def _schema_comment_problem(f: LoadedFile, schema: str, data_dir: Path) -> Problem | None:
    depth = len(f.path.relative_to(data_dir).parts)
    expected = "../" * depth + f"schemas/{schema}.schema.json"
    first = f.text.split("\n", 1)[0].strip()
    want = f"# yaml-language-server: $schema={expected}"
    if first != want:
        return Problem(f.name, 1, 1, "", f"第一行应为编辑器校验注释：{want}")
    return None


_TYPE_NAMES = {"string": "文字", "integer": "整数", "number": "数字", "boolean": "true/false",
               "array": "列表", "object": "映射（键: 值）", "null": "空值"}


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "整数"
    if isinstance(value, float):
        return "数字"
    if isinstance(value, str):
        return "文字"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    return "空值"


def _schema_message(err: ValidationError) -> tuple[str, str]:
    """Plain-Chinese message for one schema error; returns (extra path suffix, message)."""
    v, inst, sch = err.validator, err.instance, err.schema
    if v == "required":
        missing = re.search(r"'([^']+)' is a required property", err.message)
        key = missing.group(1) if missing else ""
        return key, f"缺少必填字段“{key}”"
    if v == "type":
        want = sch.get("type")
        want_names = "或".join(_TYPE_NAMES.get(t, t) for t in (want if isinstance(want, list) else [want]))
        return "", f"应为{want_names}，实际是{_type_name(inst)}"
    if v == "enum":
        allowed = "、".join(str(x) for x in sch["enum"] if x != "")
        return "", f"取值“{inst}”不在允许范围内（可选：{allowed}）"
    if v == "const":
        return "", f"应为“{sch['const']}”"
    if v == "oneOf" and all("const" in s for s in sch["oneOf"]):
        allowed = "、".join(str(s["const"]) for s in sch["oneOf"])
        return "", f"取值“{inst}”不在允许范围内（可选：{allowed}）"
    if v == "pattern":
        pat = sch["pattern"]
        if pat == TEXT_PATTERN:
            return "", "文字首尾不能有空格或换行"
        prefix = re.match(r"^\^([A-Z]+)-", pat)
        if prefix:
            return "", f"ID“{inst}”格式不对：应以 {prefix.group(1)}- 开头，只用大写字母、数字和连字符"
        return "", f"“{inst}”格式不对（应匹配 {pat}）"
    if v == "minLength":
        return "", "不能为空"
    if v == "maxLength":
        return "", f"太长（{len(inst)} 字，上限 {sch['maxLength']} 字）"
    if v == "minItems":
        return "", f"至少需要 {sch['minItems']} 项"
    if v == "maxProperties":
        return "", f"条目太多（上限 {sch['maxProperties']}）"
    if v == "uniqueItems":
        return "", "列表里有重复项"
    if v in ("minimum", "maximum"):
        return "", f"数值 {inst} 超出范围（{'最小' if v == 'minimum' else '最大'} {sch[v]}）"
    if v == "not":
        return "", "只有 status: retired 的记录才能有 retired 字段"
    if v == "propertyNames":
        return "", f"键“{inst}”格式不对"
    return "", err.message


def schema_problems(f: LoadedFile, validator: Draft202012Validator) -> Iterator[Problem]:
    """Schema layer for one file; unknown fields point at the key itself."""
    for _path, problem, _kind in schema_errors(f, validator):
        yield problem


# Schema errors after which a value cannot be trusted to have its documented shape. Errors about a
# container's size or keys (minItems, required, additionalProperties…) leave its contents usable.
SHAPE_ERRORS = frozenset({"type", "enum", "const", "oneOf", "pattern", "minLength", "maxLength", "minimum", "maximum",
                          "not", "propertyNames", "format"})


def schema_errors(
    f: LoadedFile, validator: Draft202012Validator
) -> Iterator[tuple[tuple[str | int, ...], Problem, str]]:
    """Like `schema_problems`, with each error's value path and keyword (to know what to distrust)."""
    if f.data is None:
        return
    for err in validator.iter_errors(f.data):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - known):
                line, col = f.positions.locate((*path, extra), key=True)
                hint = "、".join(sorted(known)) if known else ""
                yield path, Problem(f.name, line, col, path_text((*path, extra)),
                                    f"未知字段“{extra}”" + (f"（可用字段：{hint}）" if hint else "")), "additionalProperties"
            continue
        suffix, message = _schema_message(err)
        line, col = f.positions.locate(path)
        field_path = (*path, suffix) if suffix else path
        yield path, Problem(f.name, line, col, path_text(field_path) or "(文件)", message), str(err.validator)


# ----------------------------------------------------------------------------------------------
# Records


def collect_records(f: LoadedFile, schema: str) -> list[RecordRef]:
    """The records a (schema-valid) file holds, including districts and figures nested in practices."""
    out: list[RecordRef] = []
    if not isinstance(f.data, dict):
        return out
    if schema == "practice-file" and isinstance(f.data.get("district"), dict):
        out.append(RecordRef(f, ("district",), "districts", f.data["district"]))
    for key, _prefix in COLLECTIONS.get(schema, ()):
        items = f.data.get(key)
        if not isinstance(items, list):
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            out.append(RecordRef(f, (key, i), key, item))
            figures = item.get("figures")
            for j, fig in enumerate(figures if isinstance(figures, list) else []):
                if isinstance(fig, dict):
                    out.append(RecordRef(f, (key, i, "figures", j), "figures", fig))
    return out


def _without_bad_fields(r: RecordRef, bad_paths: list[tuple[str | int, ...]]) -> RecordRef:
    """The record minus every field that failed its schema, so rules can trust the shapes they read.

    Only the offending top-level fields are dropped: the record's other fields are still checked
    across files, so one typo does not hide the record's other mistakes.
    """
    n = len(r.path)
    drop = {bp[n] for bp in bad_paths if len(bp) > n and bp[:n] == r.path}
    if not drop:
        return r
    return RecordRef(r.file, r.path, r.kind, {k: v for k, v in r.data.items() if k not in drop})


@dataclass
class Context:
    """What the cross-file rules look at.

    `records` holds only records that passed their schema, so rules may trust their shapes;
    `by_id` knows every record with an ID, so a typo in one record does not cascade into
    "unknown ID" problems everywhere it is referenced.
    """

    records: list[RecordRef]
    by_id: dict[str, RecordRef]  # clean records only: safe to read
    seeds_dir: Path
    seed_lines: dict[str, list[str]] | None  # seed file name -> lines; None when seeds are absent
    files: list[LoadedFile]
    dimensions: tuple[str, ...] | None = None  # from meta.yaml, when it declares them
    all_records: list[RecordRef] = field(default_factory=list)  # including records that failed their schema
    known_ids: set[str] = field(default_factory=set)  # every ID in the data, clean or not
    junk: tuple[str, ...] = ()  # web-junk markers (schemas/junk-markers.json)
    schema_dir: Path = Path("schemas")


Rule = Callable[[Context], Iterator[Problem]]
RULES: list[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


@rule
def duplicate_ids(ctx: Context) -> Iterator[Problem]:
    first: dict[str, RecordRef] = {}
    for r in ctx.all_records:
        if not isinstance(r.data.get("id"), str) or not r.id:
            continue
        if r.id in first:
            other = first[r.id]
            yield r.problem(("id",), f"ID“{r.id}”重复（已在 {other.file.name}:{other.where('id')[0]} 使用）")
        else:
            first[r.id] = r


def _references(r: RecordRef) -> Iterator[tuple[tuple[str | int, ...], str, tuple[str, ...]]]:
    """Every ID a record points at: (sub-path, id, allowed prefixes; empty means any)."""
    d = r.data
    for i, c in enumerate(d.get("cite") or []):
        if isinstance(c, dict) and isinstance(c.get("src"), str):
            yield ("cite", i, "src"), c["src"], ("SRC",)
    for i, x in enumerate(d.get("basis") or []):
        yield ("basis", i), x, ("RS", "DI", "MR", "OS", "SP", "MS", "PR", "VR", "GL", "FG", "SRC")
    for i, x in enumerate(d.get("evidence") or []) if r.kind == "checklist" else ():
        yield ("evidence", i), x, ("EV",)
    for i, x in enumerate((d.get("applies") or {}).get("district") or []):
        yield ("applies", "district", i), x, ("DS",)
    for i, v in enumerate(d.get("variants") or []):
        for j, x in enumerate(v.get("records") or [] if isinstance(v, dict) else []):
            yield ("variants", i, "records", j), x, ()
    for i, rel in enumerate(d.get("relates") or []):
        if isinstance(rel, dict) and isinstance(rel.get("ref"), str):
            yield ("relates", i, "ref"), rel["ref"], ()
    for i, x in enumerate(d.get("see") or []):
        yield ("see", i), x, ()
    for i, x in enumerate(d.get("terms") or []):
        yield ("terms", i), x, ("GL",)
    for i, x in enumerate(d.get("parts") or []) if r.kind == "figures" else ():
        yield ("parts", i), x, ("FG",)
    for i, x in enumerate(d.get("based_on") or []):
        yield ("based_on", i), x, ("SRC",)
    if r.kind == "districts":
        for i, x in enumerate(d.get("sources") or []):
            yield ("sources", i), x, ("SRC",)
    if r.kind == "schools" and isinstance(d.get("district"), str) and d["district"] != "OTHER":
        yield ("district",), d["district"], ("DS",)
    replaced = (d.get("retired") or {}).get("replaced_by") if isinstance(d.get("retired"), dict) else None
    if isinstance(replaced, str):
        yield ("retired", "replaced_by"), replaced, (r.id.split("-")[0],)


@rule
def references(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        for sub, ref, prefixes in _references(r):
            if not isinstance(ref, str):
                continue
            target = ctx.by_id.get(ref)
            if target is None and ref in ctx.known_ids:
                continue  # the target exists but failed its schema; that problem is reported there
            if target is None:
                yield r.problem(sub, f"引用了不存在的 ID“{ref}”")
            elif prefixes and ref.split("-")[0] not in prefixes:
                yield r.problem(sub, f"“{ref}”类型不对（这里应引用 {'/'.join(prefixes)}- 开头的 ID）")
            elif r.active and not target.active and sub[0] != "retired":
                yield r.problem(sub, f"引用了已停用的 ID“{ref}”（请改用替代它的记录）")
            elif ref == r.id:
                yield r.problem(sub, "记录不能引用自己")


def _normalise(s: str) -> str:
    return re.sub(r"\s+", "", s)


@rule
def seed_citations(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        for i, c in enumerate(r.data.get("cite") or []):
            if not isinstance(c, dict):
                continue
            src = ctx.by_id.get(c.get("src", ""))
            if src is None or src.data.get("kind") != "seed":
                continue
            loc = str(c.get("loc", ""))
            m = SEED_LOC.match(loc)
            if not m:
                yield r.problem(("cite", i, "loc"), f"原始文本的位置应写成 L12 或 L3-5，而不是“{loc}”")
                continue
            first, last = int(m.group(1)), int(m.group(2) or m.group(1))
            if last < first:
                yield r.problem(("cite", i, "loc"), f"行号范围“{loc}”倒置")
                continue
            span = src.data.get("lines") or {}
            if span and not (span.get("first", 0) <= first and last <= span.get("last", 10**9)):
                yield r.problem(("cite", i, "loc"),
                                f"{loc} 不在来源 {src.id} 的范围内（第 {span.get('first')}–{span.get('last')} 行）")
                continue
            if ctx.seed_lines is None:
                continue
            lines = ctx.seed_lines.get(src.data.get("seed_file", ""))
            if lines is None:
                continue  # reported once by seed_files
            if last > len(lines):
                yield r.problem(("cite", i, "loc"), f"{loc} 不存在：原始文本只有 {len(lines)} 行")
                continue
            cited = lines[first - 1:last]
            if not any(line.strip() for line in cited):
                yield r.problem(("cite", i, "loc"), f"{loc} 是空行")
                continue
            junk = [mk for mk in ctx.junk for line in cited if mk in line]
            if junk:
                yield r.problem(("cite", i, "loc"), f"{loc} 是网页杂项（“{junk[0]}”），不是来源内容")
                continue
            find = c.get("find")
            if isinstance(find, str) and _normalise(find) not in _normalise("".join(cited)):
                yield r.problem(("cite", i, "find"), f"在 {src.id} 的 {loc} 里找不到“{find}”")


@rule
def seed_files(ctx: Context) -> Iterator[Problem]:
    if ctx.seed_lines is None:
        return
    for r in ctx.records:
        if r.kind != "sources" or r.data.get("kind") != "seed":
            continue
        name = r.data.get("seed_file")
        if not isinstance(name, str):
            continue  # missing or malformed: the schema layer has already said so
        lines = ctx.seed_lines.get(name)
        if lines is None:
            yield r.problem(("seed_file",), f"在 {ctx.seeds_dir} 里找不到原始文本“{name}”")
        elif (r.data.get("lines") or {}).get("last", 0) > len(lines):
            yield r.problem(("lines", "last"), f"原始文本只有 {len(lines)} 行")


@rule
def figure_sums(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        parts = r.data.get("parts")
        if r.kind != "figures" or not isinstance(parts, list):
            continue
        values = [ctx.by_id[p].data.get("value") for p in parts if p in ctx.by_id]
        if len(values) != len(parts) or not all(isinstance(v, (int, float)) for v in values):
            continue
        total = r.data.get("value")
        if isinstance(total, (int, float)) and abs(sum(values) - total) > 1e-9:
            shown = " + ".join(f"{v:g}" for v in values)
            yield r.problem(("value",), f"分项之和 {shown} = {sum(values):g}，与总数 {total:g} 不符")
        units = {str(ctx.by_id[p].data.get("unit")) for p in parts} | {str(r.data.get("unit"))}
        if len(units) > 1:
            yield r.problem(("parts",), f"分项与总数的单位不一致：{'、'.join(sorted(u for u in units if u))}")


FORCE_QUOTE_WEAKER = re.compile(r"探索|可以|提倡|倡导|鼓励|可(?=[列视根委参征请])")


def _sentence_with(text: str, phrase: str) -> str:
    """The sentence of `text` (up to a full stop) that contains `phrase`, whitespace ignored; "" if none.

    Not split at semicolons: a word such as 探索 at the head of a sentence governs the list after it
    (襄州 L43: 探索建立“五项保障”工作机制，即……；……；……。).
    """
    for sentence in re.split(r"[。！？!?]", _normalise(text)):
        if _normalise(phrase) in sentence:
            return sentence
    return ""


def _first_seed_cite(ctx: Context, r: RecordRef) -> tuple[int, dict[str, Any], list[str]] | None:
    """The first citation of a seed source whose lines can be read: (index, cite, cited lines)."""
    if ctx.seed_lines is None:
        return None
    for i, c in enumerate(r.data.get("cite") or []):
        src = ctx.by_id.get(c.get("src", "")) if isinstance(c, dict) else None
        if src is None or src.data.get("kind") != "seed":
            continue
        m = SEED_LOC.match(str(c.get("loc", "")))
        lines = ctx.seed_lines.get(src.data.get("seed_file", ""))
        if not m or lines is None:
            return None
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        return i, c, lines[first - 1:last]
    return None


@rule
def force_quotes(ctx: Context) -> Iterator[Problem]:
    """force_quote occurs on the cited line; a weaker word in its sentence needs a force_note."""
    binding = force_binding(ctx.schema_dir)
    for r in ctx.records:
        quote, force = r.data.get("force_quote"), r.data.get("force")
        if not isinstance(quote, str):
            continue
        found = _first_seed_cite(ctx, r)
        if found is None:
            continue
        i, c, lines = found
        text = "".join(lines)
        if _normalise(quote) not in _normalise(text):
            yield r.problem(("force_quote",), f"在 {c.get('src')} 的 {c.get('loc')} 里找不到“{quote}”")
            continue
        weaker = FORCE_QUOTE_WEAKER.search(_sentence_with(text, quote))
        if binding.get(force) and weaker and not r.data.get("force_note"):
            yield r.problem(("force",), f"所引句子里有“{weaker.group()}”，却记为“{force}”：请改为原文的力度，"
                                        "或用 force_note 说明为什么“" + weaker.group() + "”不管这一句")


@rule
def one_source_per_rule(ctx: Context) -> Iterator[Problem]:
    """A record that states a rule cites one source (plus documents known only through it)."""
    for r in ctx.records:
        if "force" not in r.data:
            continue
        srcs: list[str] = []
        for c in r.data.get("cite") or []:
            if isinstance(c, dict) and isinstance(c.get("src"), str) and c["src"] not in srcs:
                srcs.append(c["src"])
        if len(srcs) < 2:
            continue
        main = srcs[0]
        for other in srcs[1:]:
            known = (ctx.by_id.get(other).data.get("known_from") or {}) if other in ctx.by_id else {}
            if known.get("src") != main:
                yield r.problem(("cite",), f"规定类记录只能引用一个来源（这里还引用了 {other}）：不同来源的说法请分成不同记录")
                break


@rule
def unused_sources(ctx: Context) -> Iterator[Problem]:
    used: set[str] = set()
    for r in ctx.records:
        for sub, ref, _prefixes in _references(r):
            if isinstance(ref, str) and ref.startswith("SRC-") and sub[0] != "retired":
                used.add(ref)
    for r in ctx.records:
        if r.kind == "sources" and r.active and r.id and r.id not in used:
            yield r.problem(("id",), f"来源“{r.id}”没有被任何记录引用：请引用它，或删除它")


def _strings(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


@rule
def web_junk(ctx: Context) -> Iterator[Problem]:
    for f in ctx.files:
        for path, s in _strings(f.data, ()):
            hit = next((mk for mk in ctx.junk if mk in s), None)
            if hit:
                line, col = f.positions.locate(path)
                yield Problem(f.name, line, col, path_text(path), f"含有网页杂项“{hit}”：这不是来源内容")


@rule
def local_items(ctx: Context) -> Iterator[Problem]:
    for r in ctx.records:
        if r.kind != "checklist":
            continue
        local = r.data.get("dimension") == "local"
        has_district = bool((r.data.get("applies") or {}).get("district"))
        if local and not has_district:
            yield r.problem(("applies",), "地方特色（local）检查项必须用 applies.district 限定地区")
        elif has_district and not local:
            yield r.problem(("dimension",), "只适用于某些地区的检查项应归入地方特色（dimension: local）")


@rule
def checklist_dimensions(ctx: Context) -> Iterator[Problem]:
    if ctx.dimensions is None:
        return
    for r in ctx.records:
        if r.kind == "checklist" and r.data.get("dimension") not in ctx.dimensions:
            yield r.problem(("dimension",), f"维度“{r.data.get('dimension')}”没有在 data/meta.yaml 的 dimensions 中列出")


@rule
def school_names(ctx: Context) -> Iterator[Problem]:
    seen: dict[tuple[str, str], RecordRef] = {}
    for r in ctx.records:
        if r.kind != "schools" or not isinstance(r.data.get("name"), str):
            continue
        key = (str(r.data.get("district")), r.data["name"])
        if key in seen:
            yield r.problem(("name",), f"学校“{r.data['name']}”重复（已在第 {seen[key].where('name')[0]} 行）")
        else:
            seen[key] = r


# ----------------------------------------------------------------------------------------------


def read_seeds(seeds_dir: Path) -> dict[str, list[str]] | None:
    """Seed file name -> its lines (as `cat -n` counts them), or None when the folder is absent."""
    if not seeds_dir.is_dir():
        return None
    out = {}
    for p in sorted(seeds_dir.glob("*.txt")):
        text = p.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()  # a final newline ends the last line; it does not start another (as cat -n counts)
        out[p.name] = lines
    return out


def validate(root: Path, *, data_dir: Path | None = None, seeds_dir: Path | None = None) -> Result:
    """Run every check on the data under `root` (or `data_dir`) and return all problems found."""
    root = root.resolve()
    data_dir = data_dir.resolve() if data_dir else root / "data"
    schema_dir = root / "schemas"
    seeds_dir = seeds_dir or default_seeds_dir(root)
    found, problems = discover(data_dir, root)
    files: list[LoadedFile] = []
    records: list[RecordRef] = []
    clean_records: list[RecordRef] = []
    schemas: dict[str, str] = {}
    dimensions: tuple[str, ...] | None = None
    for path, name, schema in found:
        f = load_file(path, name)
        files.append(f)
        schemas[name] = schema
        problems.extend(f.problems)
        if f.data is None or f.problems:
            continue
        comment = _schema_comment_problem(f, schema, data_dir)
        if comment:
            problems.append(comment)
        errors = list(schema_errors(f, schema_validator(schema_dir, schema)))
        problems.extend(p for _, p, _ in errors)
        bad_paths = [path for path, _, kind in errors if kind in SHAPE_ERRORS]
        found_records = collect_records(f, schema)
        records.extend(found_records)
        clean_records.extend(_without_bad_fields(r, bad_paths) for r in found_records)
        if schema == "meta" and not errors and isinstance(f.data.get("dimensions"), list):
            dimensions = tuple(d["key"] for d in f.data["dimensions"])
    for required in ("meta.yaml", "sources.yaml", "checklist.yaml"):
        if not (data_dir / required).exists():
            shown = data_dir / required
            try:
                shown_name = shown.relative_to(root).as_posix()
            except ValueError:
                shown_name = shown.as_posix()
            problems.append(Problem(shown_name, 0, 0, "", "缺少这个数据文件"))
    by_id: dict[str, RecordRef] = {}
    for r in clean_records:
        if isinstance(r.data.get("id"), str):
            by_id.setdefault(r.id, r)
    known_ids = {r.data["id"] for r in records if isinstance(r.data.get("id"), str)}
    seed_lines = read_seeds(seeds_dir)
    ctx = Context(clean_records, by_id, seeds_dir, seed_lines, [f for f in files if f.data is not None], dimensions,
                  records, known_ids, junk_markers(schema_dir), schema_dir)
    for check in RULES:
        problems.extend(check(ctx))
    notes = []
    if seed_lines is None:
        notes.append(f"未找到原始文本目录 {seeds_dir}：已跳过“引用行是否存在”的核对（CI 会核对）")
    return Result(files, records, sorted(set(problems)), seed_lines is not None, seeds_dir, notes, schemas)


def counts(result: Result) -> Counter[str]:
    """Active records per collection, for the validate summary."""
    return Counter(r.kind for r in result.records if r.active)


def kinds_by_id(result: Result) -> dict[str, str]:
    return {r.id: r.kind for r in result.records}


__all__ = ["Problem", "Result", "RecordRef", "validate", "counts", "junk_markers", "RULES"]
