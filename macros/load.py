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
    what = _LIBYAML_WORDING.get(what, what)
    return Problem(name, line, col, "", f"YAML 语法错误：{what}")


def _event_source(text: str) -> Any:
    """A parser yielding YAML events: libyaml's C parser when PyYAML has it, else the pure-Python one.

    Both give the same events and marks; the C parser is about ten times faster on large files.
    """
    if yaml.__with_libyaml__:
        return yaml.cyaml.CParser(text)
    return _Loader(text)


_IMPLICIT = [(tag, regexp) for tag, regexp in (
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")),
    ("tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$")),
    ("tag:yaml.org,2002:float", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*)\.[0-9]+(?:[eE][-+]?[0-9]+)?)$")),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$")),
)]
_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
_STR = "tag:yaml.org,2002:str"


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    """The resolved tag of a scalar: explicit (!!int), plain-resolved (YAML 1.2-like), or str."""
    tag = event.tag
    if tag and tag != "!":
        return "tag:yaml.org,2002:" + tag[2:] if tag.startswith("!!") else tag
    if tag == "!" or not event.implicit[0]:
        return _STR  # quoted, or the non-specific '!' tag
    for resolved, regexp in _IMPLICIT:
        if regexp.match(event.value):
            return resolved
    return _STR


def _scalar_value(tag: str, value: str, where: tuple[int, int], path: Path_, name: str,
                  problems: list[Problem]) -> Any:
    if tag == _STR:
        return value
    form = _SCALAR_FORMS.get(tag)
    if form is None:
        problems.append(Problem(name, *where, _path_text(path), f"不支持的 YAML 标签 {tag.replace('tag:yaml.org,2002:', '!!')}"
                                if tag.startswith("tag:yaml.org,2002:") else f"不支持的 YAML 标签 {tag}"))
        return None
    if not form[0].match(value):
        # Only explicit tags (!!int abc) get here: implicit resolution never picks a tag that does not fit.
        problems.append(Problem(name, *where, _path_text(path), f"“{value}”不是{form[1]}"))
        return None
    if tag == "tag:yaml.org,2002:int":
        return int(value)
    if tag == "tag:yaml.org,2002:float":
        return float(value)
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() == "true"
    return None


_DROPPED = "\x00dropped"

# libyaml words a few errors differently from PyYAML's Python parser; messages stay the same either way.
_LIBYAML_WORDING = {"mapping values are not allowed in this context": "mapping values are not allowed here"}


def _skip_collection(parser: Any) -> None:
    """Consume events up to the end of the collection whose start event was just read."""
    depth = 1
    while depth:
        event = parser.get_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


class _Frame:
    """An open mapping or sequence while events are read."""

    __slots__ = ("container", "path", "key", "key_ok", "index")

    def __init__(self, container: Any, path: Path_):
        self.container = container
        self.path = path
        self.key: str | None = None  # mapping: the key whose value comes next
        self.key_ok = True  # False: the pending key is a duplicate or invalid, drop its value
        self.index = 0  # sequence: next index


def _compose(text: str, name: str, pos: Positions) -> tuple[Any, list[Problem]]:
    """Build plain values from parser events in one pass, with no recursion.

    Refuses aliases and anchors, nesting deeper than MAX_DEPTH, duplicate and non-scalar keys,
    merge keys, unknown tags and a second document, each as a Problem with line and column.
    """
    problems: list[Problem] = []
    try:
        parser = _event_source(text)
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(name, text, exc)]
    stack: list[_Frame] = []
    root: Any = None
    documents = 0
    seen_root = False

    def place(value: Any, mark: Any) -> tuple[Path_, bool]:
        """Attach a value to the open container; returns its path and whether it was kept."""
        nonlocal root, seen_root
        where = (mark.line + 1, mark.column + 1)
        if not stack:
            root, seen_root = value, True
            pos.values[()] = where
            return (), True
        top = stack[-1]
        if isinstance(top.container, list):
            path = (*top.path, top.index)
            top.index += 1
            top.container.append(value)
            pos.values[path] = where
            return path, True
        key, keep = top.key, top.key_ok
        top.key, top.key_ok = None, True
        if not keep:
            return (*top.path, _DROPPED), False  # positions inside a dropped value never shadow kept ones
        path = (*top.path, key)
        top.container[key] = value
        pos.values[path] = where
        return path, True

    try:
        while True:
            event = parser.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                break
            m = event.start_mark
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return None, [Problem(name, m.line + 1, m.column + 1, "", "数据文件不允许使用锚点或别名（& 或 *）：请直接写出内容")]
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    return None, [Problem(name, m.line + 1, m.column + 1, "", "YAML 语法错误：but found another document")]
                continue
            top = stack[-1] if stack else None
            expecting_key = top is not None and isinstance(top.container, dict) and top.key is None
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if expecting_key:
                    # A collection as a key (`? [a, b]`): report it, skip it, and drop the value it keys.
                    problems.append(Problem(name, m.line + 1, m.column + 1, _path_text(top.path), "键必须是简单的文字"))
                    _skip_collection(parser)
                    top.key, top.key_ok = _DROPPED, False
                    continue
                if len(stack) >= MAX_DEPTH:
                    return None, [Problem(name, m.line + 1, m.column + 1, "", f"嵌套层级过深（超过 {MAX_DEPTH} 层）")]
                container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
                path, _kept = place(container, m)
                stack.append(_Frame(container, path))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                stack.pop()
            elif isinstance(event, yaml.ScalarEvent):
                tag = _scalar_tag(event)
                where = (m.line + 1, m.column + 1)
                if expecting_key:
                    if tag not in _KEY_TAGS:
                        problems.append(Problem(name, *where, _path_text(top.path), "键必须是简单的文字"))
                        top.key, top.key_ok = "", False
                    elif event.value == "<<" and event.implicit[0]:
                        problems.append(Problem(name, *where, _path_text(top.path), "不支持合并键 <<"))
                        top.key, top.key_ok = "<<", False
                    elif event.value in top.container or (*top.path, event.value) in pos.keys:
                        first = pos.keys[(*top.path, event.value)]
                        problems.append(Problem(name, *where, _path_text((*top.path, event.value)),
                                                f"重复的键“{event.value}”（第一次出现在第 {first[0]} 行）"))
                        top.key, top.key_ok = event.value, False
                    else:
                        pos.keys[(*top.path, event.value)] = where
                        top.key, top.key_ok = event.value, True
                    continue
                path, kept = place(None, m)
                value = _scalar_value(tag, event.value, where, path, name, problems)
                if kept:
                    parent = stack[-1].container if stack else None
                    if parent is None:
                        root = value
                    elif isinstance(parent, list):
                        parent[-1] = value
                    else:
                        parent[path[-1]] = value
    except yaml.reader.ReaderError as exc:
        return None, [_reader_problem(name, text, exc)]
    except yaml.YAMLError as exc:
        return None, [_mark_problem(name, exc)]
    finally:
        dispose = getattr(parser, "dispose", None)
        if dispose:
            dispose()
    if not seen_root:
        return None, [Problem(name, 1, 1, "", "文件里没有数据（只有注释？）")]
    return root, problems


def _path_text(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_text(text: str, name: str) -> tuple[Any, Positions, list[Problem]]:
    """Parse one YAML document from text; returns (data, positions, problems)."""
    pos = Positions()
    data, problems = _compose(text, name, pos)
    if data is None and problems and not pos.values:
        return None, Positions(), problems
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
