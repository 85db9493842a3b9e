"""Check the data in two layers — JSON Schema per file, then rules across files — and return problems.

Nothing here raises for bad data: every check yields `Problem`s, and `validate` returns them all at
once, sorted by file and line, so a contributor sees every mistake in one run.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .load import LoadedFile, load_file, path_text
from .problems import Problem
from .rules import RULES, Context, RecordRef


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


# Which schema each data file is checked against, by its place under data/.
TOP_LEVEL_FILES = {
    "meta.yaml": "meta", "sources.yaml": "sources", "responsibilities.yaml": "responsibilities",
    "decisions.yaml": "decisions", "meeting-rules.yaml": "meeting-rules", "setups.yaml": "setups",
    "supports.yaml": "supports", "milestones.yaml": "milestones", "variants.yaml": "variants",
    "glossary.yaml": "glossary", "evidence.yaml": "evidence", "checklist.yaml": "checklist",
    "party-rules.yaml": "party-rules",
}
FOLDER_FILES = {"practices": "practice-file", "schools": "roster", "profiles": "profile"}

# The collections each schema's files hold, as (key, prefix of the IDs inside).
COLLECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "sources": (("sources", "SRC"),), "responsibilities": (("responsibilities", "RS"),),
    "decisions": (("decisions", "DI"),), "meeting-rules": (("meeting_rules", "MR"),),
    "setups": (("setups", "OS"),), "supports": (("supports", "SP"),), "milestones": (("milestones", "MS"),),
    "variants": (("variants", "VR"),), "glossary": (("glossary", "GL"),), "evidence": (("evidence", "EV"),),
    "checklist": (("checklist", "CK"),), "party-rules": (("party_rules", "PL"),),
    "practice-file": (("sources", "SRC"), ("practices", "PR")),
    "roster": (("schools", "SCH"),), "meta": (), "profile": (),
}

TEXT_PATTERN = "^\\S(.*\\S)?$"


def default_seeds_dir(root: Path) -> Path:
    """Where the seed texts live: $DZZLD_SEEDS, else ../shared/seeds next to the project."""
    env = os.environ.get("DZZLD_SEEDS")
    return Path(env) if env else root.parent / "shared" / "seeds"


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
    summary: list[str] = field(default_factory=list)  # lines about checks that could not be made

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


def schema_message(err: ValidationError) -> tuple[str, str]:
    """Plain-Chinese message for one schema error; returns (extra path suffix, message)."""
    v, inst, sch = err.validator, err.instance, err.schema
    if v == "required":
        missing = re.search(r"'([^']+)' is a required property", err.message)
        key = missing.group(1) if missing else ""
        return key, f"缺少必填字段“{key}”"
    if v == "dependentRequired":
        pair = next(((k, need) for k, need in sch["dependentRequired"].items() if k in inst and any(n not in inst for n in need)),
                    ("", []))
        missing = "、".join(n for n in pair[1] if n not in inst)
        return missing, f"有“{pair[0]}”时也要有“{missing}”"
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
        suffix, message = schema_message(err)
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
    if schema == "profile" and isinstance(f.data.get("profile"), dict):
        out.append(RecordRef(f, ("profile",), "profiles", f.data["profile"]))
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
    """Run every check on the data under `root` (or `data_dir`) and return all problems found.

    A file that cannot be read at all (bad encoding, a tab, a duplicate key …) is reported first;
    references into it are not reported one by one (a summary line says how many were not checked).
    """
    root = root.resolve()
    data_dir = data_dir.resolve() if data_dir else root / "data"
    schema_dir = root / "schemas"
    seeds_dir = seeds_dir or default_seeds_dir(root)
    found, problems = discover(data_dir, root)
    files: list[LoadedFile] = []
    records: list[RecordRef] = []
    clean_records: list[RecordRef] = []
    schemas: dict[str, str] = {}
    unreadable: list[str] = []
    dimensions: tuple[str, ...] | None = None
    for path, name, schema in found:
        f = load_file(path, name)
        files.append(f)
        schemas[name] = schema
        problems.extend(f.problems)
        if f.data is None or f.problems:
            unreadable.append(name)
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
                  records, known_ids, junk_markers(schema_dir), schema_dir, complete=not unreadable)
    for check in RULES:
        problems.extend(check(ctx))
    notes = []
    if seed_lines is None:
        notes.append(f"未找到原始文本目录 {seeds_dir}：已跳过“引用行是否存在”的核对（CI 会核对）")
    summary = []
    if unreadable:
        unchecked = f"另有 {ctx.unchecked} 处引用和“来源是否被引用”未核对：" if ctx.unchecked else "“来源是否被引用”未核对："
        summary.append(f"{unchecked}{'、'.join(unreadable)} 无法读取，其中的记录暂时不可见。先修正上面的第一个问题，再运行一次。")
    first = set(unreadable)
    ordered = sorted(set(problems), key=lambda p: (p.file not in first, p))
    return Result(files, records, ordered, seed_lines is not None, seeds_dir, notes, schemas, summary)


def counts(result: Result) -> Counter[str]:
    """Active records per collection, for the validate summary."""
    return Counter(r.kind for r in result.records if r.active)


__all__ = ["Problem", "Result", "RecordRef", "validate", "counts", "junk_markers", "inline_refs"]
