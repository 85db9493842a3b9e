"""Read YAML data files safely and keep the line and column of every value.

Only the plain JSON-like subset of YAML is accepted: mappings with string keys, sequences,
strings, integers, floats, true/false and null. YAML 1.1 surprises are switched off (``yes``/``no``
stay strings, ``010`` stays a string, dates stay strings) so the schemas see what the author typed.
Anchors and aliases are refused outright (no alias bombs), nesting and file size are bounded, and
every failure becomes a `Problem`, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import Problem

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

Path_ = tuple[str | int, ...]


class _Resolver(yaml.resolver.BaseResolver):
    """A YAML 1.2-like resolver: no yes/no booleans, no sexagesimal or octal ints, no timestamps."""


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?)$"),
    list("-+0123456789"),
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


class _Loader(
    yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver
):
    """Parses and composes only; construction is ours (see `_build`)."""

    def __init__(self, stream: str):
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        _Resolver.__init__(self)


@dataclass(frozen=True)
class Positions:
    """Where each value (and each mapping key) of a file starts, by its path from the root."""

    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Line and column for a path; falls back to the nearest enclosing value that is known."""
        table = self.keys if key else self.values
        p = tuple(path)
        if p in table:
            return table[p]
        while p:
            p = p[:-1]
            if p in self.values:
                return self.values[p]
        return (1, 1)


@dataclass(frozen=True)
class LoadedFile:
    """One data file: its parsed content (None when unreadable) and the positions of its values."""

    path: Path
    name: str  # path shown in messages, relative to the project root
    data: Any
    positions: Positions
    problems: tuple[Problem, ...]
    text: str = ""


# Characters YAML does not allow in a stream (PyYAML would raise ReaderError): C0 controls other than
# tab/LF/CR, DEL, C1 controls other than NEL, lone surrogates, U+FFFE/U+FFFF.
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")

_SCALAR_FORMS = {
    "tag:yaml.org,2002:int": (re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), "整数"),
    "tag:yaml.org,2002:float": (re.compile(r"^[-+]?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$"), "数字"),
    "tag:yaml.org,2002:bool": (re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "true/false"),
    "tag:yaml.org,2002:null": (re.compile(r"^(?:~|null|Null|NULL|)$"), "空值"),
}


def _line_of_offset(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _check_bytes(raw: bytes, name: str) -> tuple[str | None, list[Problem]]:
    """Decode and pre-check the raw bytes; return the text or None with the problems found."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return None, [Problem(name, 1, 1, "", "文件以 BOM（字节顺序标记）开头：请另存为“UTF-8（无 BOM）”")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = _line_of_offset(raw, nul)
        line_start = raw.rfind(b"\n", 0, nul) + 1
        col = len(raw[line_start:nul].decode("utf-8", errors="replace")) + 1  # characters, as YAML counts
        return None, [Problem(name, line, col, "", "文件包含 NUL 空字节：这不是文本文件，或已损坏")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of_offset(raw, exc.start)
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            raw.decode("gb18030")
            hint = "看起来是 GBK/GB18030 编码：请用编辑器“另存为 UTF-8”后再提交"
        except UnicodeDecodeError:
            hint = "请保存为 UTF-8 编码"
        return None, [Problem(name, line, col, "", f"文件不是 UTF-8 编码（{hint}）")]
    text = text.replace("\r\n", "\n")
    if not text.strip():
        return None, [Problem(name, 1, 1, "", "文件为空")]
    bad = _FORBIDDEN_CHARS.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        code = f"U+{ord(bad.group()):04X}"
        return None, [Problem(name, line, col, "", f"文件包含不可见的控制字符 {code}（常见于从 Word 粘贴）：请删除")]
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            problems.append(
                Problem(name, number, indent.index("\t") + 1, "", "缩进里有制表符（Tab）：YAML 只能用空格缩进")
            )
    if problems:
        return None, problems
    return text, []


def _reader_problem(name: str, text: str, exc: yaml.reader.ReaderError) -> Problem:
    pos = max(0, min(exc.position, len(text)))
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    code = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
    return Problem(name, line, col, "", f"文件包含不可见的控制字符 {code}（常见于从 Word 粘贴）：请删除")


def _mark_problem(name: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = getattr(exc, "problem", None) or str(exc)
    return Problem(name, line, col, "", f"YAML 语法错误：{what}")


def _precheck_events(text: str, name: str) -> list[Problem]:
    """Walk parser events (no recursion, no construction) to refuse aliases and deep nesting."""
    try:
        loader = _Loader(text)
        loader.check_event()  # the reader checks every character up front
    except yaml.reader.ReaderError as exc:
        return [_reader_problem(name, text, exc)]
    except yaml.YAMLError as exc:
        return [_mark_problem(name, exc)]
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                m = event.start_mark
                return [Problem(name, m.line + 1, m.column + 1, "", "数据文件不允许使用锚点或别名（& 或 *）：请直接写出内容")]
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    return [Problem(name, m.line + 1, m.column + 1, "", f"嵌套层级过深（超过 {MAX_DEPTH} 层）")]
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        return [_mark_problem(name, exc)]
    finally:
        loader.dispose()
    return []


def _path_text(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _build(node: yaml.Node, path: Path_, pos: Positions, name: str, problems: list[Problem]) -> Any:
    """Turn a composed node into plain Python values, recording positions and duplicate keys."""
    pos.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.ScalarNode):
        tag, value = node.tag, node.value
        if tag == "tag:yaml.org,2002:str":
            return value
        form = _SCALAR_FORMS.get(tag)
        if form is not None and not form[0].match(value):
            # Only explicit tags (!!int abc) get here: implicit resolution never picks a tag that does not fit.
            line, col = pos.values[path]
            problems.append(Problem(name, line, col, _path_text(path), f"“{value}”不是{form[1]}"))
            return None
        if tag == "tag:yaml.org,2002:int":
            return int(value)
        if tag == "tag:yaml.org,2002:float":
            return float(value)
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:null":
            return None
        line, col = pos.values[path]
        problems.append(Problem(name, line, col, _path_text(path), f"不支持的 YAML 标签 {tag}"))
        return None
    if isinstance(node, yaml.SequenceNode):
        return [_build(child, (*path, i), pos, name, problems) for i, child in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in (
                "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"
            ):
                problems.append(Problem(name, line, col, _path_text(path), "键必须是简单的文字"))
                continue
            key = key_node.value
            if key_node.tag == "tag:yaml.org,2002:merge" or key == "<<":
                problems.append(Problem(name, line, col, _path_text(path), "不支持合并键 <<"))
                continue
            if key in result:
                first = pos.keys[(*path, key)]
                problems.append(
                    Problem(name, line, col, _path_text((*path, key)), f"重复的键“{key}”（第一次出现在第 {first[0]} 行）")
                )
                continue
            pos.keys[(*path, key)] = (line, col)
            result[key] = _build(value_node, (*path, key), pos, name, problems)
        return result
    problems.append(Problem(name, 1, 1, _path_text(path), "无法识别的 YAML 节点"))
    return None


def parse_text(text: str, name: str) -> tuple[Any, Positions, list[Problem]]:
    """Parse one YAML document from text; returns (data, positions, problems)."""
    pos = Positions()
    problems = _precheck_events(text, name)
    if problems:
        return None, pos, problems
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        return None, pos, [_mark_problem(name, exc)]
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        return None, pos, [_mark_problem(name, exc)]
    finally:
        loader.dispose()
    if node is None:
        return None, pos, [Problem(name, 1, 1, "", "文件里没有数据（只有注释？）")]
    data = _build(node, (), pos, name, problems)
    return data, pos, problems


def load_file(path: Path, name: str) -> LoadedFile:
    """Read, decode, pre-check and parse one file. Never raises for bad content."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            too_big = Problem(name, 0, 0, "", f"文件过大（{size:,} 字节，上限 {MAX_FILE_BYTES:,} 字节）")
            return LoadedFile(path, name, None, Positions(), (too_big,))
        raw = path.read_bytes()
    except OSError as exc:
        return LoadedFile(path, name, None, Positions(), (Problem(name, 0, 0, "", f"无法读取文件：{exc.strerror}"),))
    text, problems = _check_bytes(raw, name)
    if text is None:
        return LoadedFile(path, name, None, Positions(), tuple(problems))
    data, pos, problems = parse_text(text, name)
    return LoadedFile(path, name, data, pos, tuple(problems), text)


def path_text(path: Path_) -> str:
    """Public form of a value path, e.g. ``sources[2].cite[0].loc``."""
    return _path_text(tuple(path))
