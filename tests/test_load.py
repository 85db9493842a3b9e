"""Unit tests of the safe YAML loader (macros/load.py): values, positions, refusals, and never raising."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from validation_helpers import ROOT  # noqa: F401  (puts the project root on sys.path)

from macros import load
from macros.problems import Problem

NAME = "data/x.yaml"


def parse(text: str):
    return load.parse_text(text, NAME)


def ok(text: str):
    data, pos, problems = parse(text)
    assert problems == [], [str(p) for p in problems]
    return data, pos


# ------------------------------------------------------------------------------------------------
# Values


def test_plain_values():
    data, _ = ok("s: text\ni: 12\nneg: -3\nf: 95.6\nt: true\nF: False\nn: null\ntilde: ~\nempty:\nq: '010'\n")
    assert data == {"s": "text", "i": 12, "neg": -3, "f": 95.6, "t": True, "F": False,
                    "n": None, "tilde": None, "empty": None, "q": "010"}
    assert type(data["i"]) is int and type(data["f"]) is float and type(data["t"]) is bool


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "NO", "On", "OFF", "y", "n"])
def test_yaml11_booleans_stay_strings(word):
    data, _ = ok(f"verified: {word}\n")
    assert data == {"verified": word}


@pytest.mark.parametrize("text", ["2024-01-16", "2022-10-21 10:00:00", "2001-12-14t21:59:43.10-05:00"])
def test_dates_stay_strings(text):
    data, _ = ok(f"date: {text}\n")
    assert data == {"date": text}


@pytest.mark.parametrize("text", ["010", "007", "0o17", "0x1F", "1_000", "1:30", "0b101", "+010", "1e3", ".5", ".inf", ".nan"])
def test_number_like_strings_stay_strings(text):
    data, _ = ok(f"v: {text}\n")
    assert data == {"v": text}


def test_zero_and_signed_ints_are_ints():
    data, _ = ok("a: 0\nb: +7\nc: -0\nd: 0.0\n")
    assert data == {"a": 0, "b": 7, "c": 0, "d": 0.0}
    assert type(data["d"]) is float


def test_block_scalars_and_quoted_strings():
    data, _ = ok('a: |\n  第一行\n  第二行\nb: >-\n  折叠\n  成一行\nc: "转义\\t制表"\n')
    assert data == {"a": "第一行\n第二行\n", "b": "折叠 成一行", "c": "转义\t制表"}


# ------------------------------------------------------------------------------------------------
# Positions

NESTED = """\
# comment
top:
  list:
    - name: 甲乙
      val: 3
    - {name: x, val: [1, 2]}
  other: "q"
"""


def test_positions_of_nested_values_and_keys():
    data, pos = ok(NESTED)
    assert data == {"top": {"list": [{"name": "甲乙", "val": 3}, {"name": "x", "val": [1, 2]}], "other": "q"}}
    v, k = pos.values, pos.keys
    assert v[()] == (2, 1)
    assert v[("top",)] == (3, 3)
    assert v[("top", "list")] == (4, 5)
    assert v[("top", "list", 0)] == (4, 7)
    assert v[("top", "list", 0, "name")] == (4, 13)
    assert v[("top", "list", 0, "val")] == (5, 12)
    assert v[("top", "list", 1)] == (6, 7)
    assert v[("top", "list", 1, "name")] == (6, 14)
    assert v[("top", "list", 1, "val")] == (6, 22)
    assert v[("top", "list", 1, "val", 1)] == (6, 26)
    assert v[("top", "other")] == (7, 10)
    assert k[("top",)] == (2, 1)
    assert k[("top", "list")] == (3, 3)
    assert k[("top", "list", 0, "val")] == (5, 7)
    assert k[("top", "list", 1, "val")] == (6, 17)
    assert k[("top", "other")] == (7, 3)


def test_columns_count_characters_not_bytes():
    _, pos = ok("名称: 中文值\n")
    assert pos.keys[("名称",)] == (1, 1)
    assert pos.values[("名称",)] == (1, 5)


def test_locate_falls_back_to_nearest_known_parent():
    _, pos = ok(NESTED)
    assert pos.locate(("top", "list", 0, "missing")) == (4, 7)
    assert pos.locate(("top", "list", 0, "name"), key=True) == (4, 7)
    assert pos.locate(("top", "list", 0, "nokey"), key=True) == (4, 7)
    assert pos.locate(("nothing",)) == (2, 1)
    assert load.Positions().locate(("a", 1)) == (1, 1)


def test_path_text():
    assert load.path_text(("sources", 2, "cite", 0, "loc")) == "sources[2].cite[0].loc"
    assert load.path_text(()) == ""
    assert load.path_text(("a",)) == "a"


# ------------------------------------------------------------------------------------------------
# Refusals


def test_duplicate_key_reports_second_occurrence_and_keeps_first():
    data, _, problems = parse("a: 1\nb:\n  c: 2\n  d: 3\n  c: 4\na: 5\n")
    assert data == {"a": 1, "b": {"c": 2, "d": 3}}
    assert problems == [
        Problem(NAME, 5, 3, "b.c", "重复的键“c”（第一次出现在第 3 行）"),
        Problem(NAME, 6, 1, "a", "重复的键“a”（第一次出现在第 1 行）"),
    ]


def test_duplicate_key_differently_quoted():
    _, _, problems = parse("a: 1\n'a': 2\n")
    assert [str(p) for p in problems] == [f"{NAME}:2:1: a: 重复的键“a”（第一次出现在第 1 行）"]


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [("a: &x 1\nb: *x\n", 1, 4), ("a: 1\nb: *x\n", 2, 4), ("- &anchor {a: 1}\n", 1, 3)],
    ids=["anchor", "alias-only", "anchor-on-mapping"],
)
def test_anchors_and_aliases_refused(text, line, col):
    data, _, problems = parse(text)
    assert data is None
    assert problems == [Problem(NAME, line, col, "", "数据文件不允许使用锚点或别名（& 或 *）：请直接写出内容")]


def test_alias_bomb_is_refused_quickly():
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8)
    )
    data, _, problems = parse(bomb)
    assert data is None
    assert [(p.line, p.column) for p in problems] == [(1, 4)]


def test_depth_limit():
    depth = load.MAX_DEPTH
    within = "[" * (depth) + "]" * depth
    assert ok(within)[0] is not None
    data, _, problems = parse("[" * (depth + 1) + "]" * (depth + 1))
    assert data is None
    assert problems == [Problem(NAME, 1, depth + 1, "", f"嵌套层级过深（超过 {depth} 层）")]


def test_deep_block_nesting_100_levels():
    text = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "leaf\n"
    data, _, problems = parse(text)
    assert data is None
    assert problems == [Problem(NAME, 41, 81, "", "嵌套层级过深（超过 40 层）")]


def test_multiple_documents_refused():
    data, _, problems = parse("a: 1\n---\nb: 2\n")
    assert data is None
    assert problems == [Problem(NAME, 2, 1, "", "YAML 语法错误：but found another document")]


def test_explicit_document_start_is_one_document():
    assert ok("---\na: 1\n...\n")[0] == {"a": 1}


def test_syntax_error_position():
    assert parse("a: 1\nb: c: d\n")[2] == [Problem(NAME, 2, 5, "", "YAML 语法错误：mapping values are not allowed here")]


def test_unclosed_flow_mapping():
    (problem,) = parse("a: {b: 1\n")[2]
    assert (problem.line, problem.field) == (2, "")
    assert problem.message.startswith("YAML 语法错误：")


def test_comment_only_document():
    assert parse("# only a comment\n\n")[2] == [Problem(NAME, 1, 1, "", "文件里没有数据（只有注释？）")]


def test_merge_key_refused():
    data, _, problems = parse("a: 1\n<<: {b: 2}\n")
    assert data == {"a": 1}
    assert problems == [Problem(NAME, 2, 1, "", "不支持合并键 <<")]


def test_complex_key_refused():
    data, _, problems = parse("? [a, b]\n: 1\nc: 2\n")
    assert data == {"c": 2}
    assert problems == [Problem(NAME, 1, 3, "", "键必须是简单的文字")]


def test_custom_tag_refused():
    data, _, problems = parse("a:\n  b: !python/object x\n")
    assert data == {"a": {"b": None}}
    assert problems == [Problem(NAME, 2, 6, "a.b", "不支持的 YAML 标签 !python/object")]


def test_non_string_scalar_keys_become_strings():
    data, _ = ok("1: a\ntrue: b\nyes: c\n")
    assert data == {"1": "a", "true": "b", "yes": "c"}


# ------------------------------------------------------------------------------------------------
# Bytes: encodings, BOM, NUL, tabs, CRLF, size


def test_check_bytes_accepts_utf8_and_normalises_crlf():
    text, problems = load._check_bytes("a: 中\r\nb: 1\r\n".encode(), NAME)
    assert (text, problems) == ("a: 中\nb: 1\n", [])


def test_crlf_file_parses_with_right_line_numbers(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"# c\r\na: 1\r\nb:\r\n  c: [1, 2]\r\n  d: x\r\n")
    f = load.load_file(path, NAME)
    assert f.problems == ()
    assert f.data == {"a": 1, "b": {"c": [1, 2], "d": "x"}}
    assert f.positions.values[("b", "d")] == (5, 6)
    assert f.positions.keys[("b", "c")] == (4, 3)
    assert "\r" not in f.text


def test_crlf_duplicate_key_line(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\r\nb: 2\r\na: 3\r\n")
    assert load.load_file(path, NAME).problems == (Problem(NAME, 3, 1, "a", "重复的键“a”（第一次出现在第 1 行）"),)


def test_gbk_detected():
    raw = "# 注释\nname: 曲靖市\n".encode("gbk")
    text, problems = load._check_bytes(raw, NAME)
    assert text is None
    (p,) = problems
    assert p.line == 1 and p.field == ""
    assert p.message == "文件不是 UTF-8 编码（看起来是 GBK/GB18030 编码：请用编辑器“另存为 UTF-8”后再提交）"
    assert "GBK" in p.message


def test_gbk_position_is_first_bad_byte():
    raw = b"a: 1\nname: " + "曲靖".encode("gbk") + b"\n"
    (p,) = load._check_bytes(raw, NAME)[1]
    assert (p.line, p.column) == (2, 7)


def test_undecodable_non_gbk_bytes():
    raw = b"a: \x80\xff\xfe\n"
    (p,) = load._check_bytes(raw, NAME)[1]
    assert p.message == "文件不是 UTF-8 编码（请保存为 UTF-8 编码）"


def test_bom_refused():
    text, problems = load._check_bytes(b"\xef\xbb\xbfa: 1\n", NAME)
    assert text is None
    assert problems == [Problem(NAME, 1, 1, "", "文件以 BOM（字节顺序标记）开头：请另存为“UTF-8（无 BOM）”")]


def test_nul_refused_with_position():
    text, problems = load._check_bytes(b"a: 1\nbb: x\x00y\n", NAME)
    assert text is None
    assert problems == [Problem(NAME, 2, 6, "", "文件包含 NUL 空字节：这不是文本文件，或已损坏")]


def test_utf16_file_is_reported_as_nul_bytes():
    text, problems = load._check_bytes("a: 1\n".encode("utf-16-le"), NAME)
    assert text is None
    assert [p.message for p in problems] == ["文件包含 NUL 空字节：这不是文本文件，或已损坏"]


def test_tabs_in_indentation_every_line_reported():
    text, problems = load._check_bytes(b"a:\n\tb: 1\n  \tc: 2\nd: x\ty\n", NAME)
    assert text is None
    assert problems == [
        Problem(NAME, 2, 1, "", "缩进里有制表符（Tab）：YAML 只能用空格缩进"),
        Problem(NAME, 3, 3, "", "缩进里有制表符（Tab）：YAML 只能用空格缩进"),
    ]


def test_tab_inside_a_value_is_fine():
    text, problems = load._check_bytes(b"d: x\ty\n", NAME)
    assert (text, problems) == ("d: x\ty\n", [])


@pytest.mark.parametrize("raw", [b"", b"\n\n", b"   \r\n  "], ids=["zero-bytes", "newlines", "spaces"])
def test_empty_file(raw):
    assert load._check_bytes(raw, NAME) == (None, [Problem(NAME, 1, 1, "", "文件为空")])


def test_file_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 64)
    at_limit = tmp_path / "ok.yaml"
    at_limit.write_bytes(b"a: " + b"x" * 60 + b"\n")  # exactly 64 bytes
    assert at_limit.stat().st_size == 64
    assert load.load_file(at_limit, NAME).problems == ()
    over = tmp_path / "big.yaml"
    over.write_bytes(b"a: " + b"x" * 61 + b"\n")  # 65 bytes
    f = load.load_file(over, NAME)
    assert f.data is None
    assert f.problems == (Problem(NAME, 0, 0, "", "文件过大（65 字节，上限 64 字节）"),)


def test_default_size_limit_is_5_mib():
    assert load.MAX_FILE_BYTES == 5 * 1024 * 1024
    assert load.MAX_DEPTH == 40


def test_unreadable_path(tmp_path):
    f = load.load_file(tmp_path / "missing.yaml", NAME)
    assert f.data is None
    assert len(f.problems) == 1
    assert (f.problems[0].line, f.problems[0].column) == (0, 0)
    assert f.problems[0].message.startswith("无法读取文件：")


def test_load_file_keeps_name_text_and_data(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("# c\na: [1, 2]\n", encoding="utf-8")
    f = load.load_file(path, "shown/name.yaml")
    assert (f.path, f.name, f.data, f.problems, f.text) == (path, "shown/name.yaml", {"a": [1, 2]}, (), "# c\na: [1, 2]\n")
    assert f.positions.values[("a", 1)] == (2, 8)


# ------------------------------------------------------------------------------------------------
# Never raises

# PyYAML refuses these characters in its reader's constructor; see test_control_character_* below.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
YAMLISH = st.text(alphabet=list("ab: -[]{}\n\t'\"&*!#?|>,.0123456789~%@`\r\\<") + ["\u2028", "\x85", "名", "\ufeff"],
                  max_size=60)


def _assert_problems_well_formed(problems):
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file == NAME
        assert p.line >= 0 and p.column >= 0
        assert p.message


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.text(max_size=60), YAMLISH))
def test_parse_text_never_raises(text):
    text = _NON_PRINTABLE.sub("", text)
    data, pos, problems = load.parse_text(text, NAME)
    _assert_problems_well_formed(problems)
    if not problems:
        assert () in pos.values  # parsed: every value, the root included, has a position


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=60))
def test_check_bytes_never_raises(raw):
    text, problems = load._check_bytes(raw, NAME)
    _assert_problems_well_formed(problems)
    assert (text is None) == bool(problems)
    if text is not None:
        assert "\r\n" not in text and "\x00" not in text


@pytest.mark.parametrize("char", ["\x0b", "\x1f", "\x7f", "\x08"])
def test_control_character_is_a_problem(char):
    data, _, problems = load.parse_text(f"a: 1\nb: x{char}y\n", NAME)
    assert data is None
    assert [(p.line, p.column) for p in problems] == [(2, 5)]


@pytest.mark.parametrize("text", ["a: !!int abc\n", "a: !!float x\n", "a: !!int 0x1F\n"])
def test_explicit_tag_with_bad_value_is_a_problem(text):
    data, _, problems = load.parse_text(text, NAME)
    assert len(problems) == 1
    assert problems[0].line == 1


def test_explicit_bool_tag_on_a_yaml11_word_is_refused_not_read_as_false():
    data, _, problems = load.parse_text("verified: !!bool yes\n", NAME)
    assert problems == [Problem(NAME, 1, 11, "verified", "“yes”不是true/false")]
    assert data == {"verified": None}  # never False, never True


def test_explicit_bool_tag_on_true_is_true():
    data, _, problems = load.parse_text("verified: !!bool true\nother: !!bool False\n", NAME)
    assert (data, problems) == ({"verified": True, "other": False}, [])


def test_nul_column_counts_characters():
    (p,) = load._check_bytes("名称: 全\x00国\n".encode(), NAME)[1]
    assert (p.line, p.column) == (1, 6)


PARSER_CASES = [
    "a: 1\nb: [x, {c: d}]\n",
    "a: 1\na: 2\n",
    "? [a, b]\n: 1\nc: 2\n",
    "a: &x 1\nb: *x\n",
    "a: !!int abc\nb: !!bool yes\n",
    "a: 1\nb: c: d\n",
    "a: 1\n---\nb: 2\n",
    "# only a comment\n",
    "k:\n  - x: 010\n    y: yes\n    z: 2022-01-16\n  - ~\n",
    "<<: {a: 1}\nb: 2\n",
    "d: {a: 1, a: {b: 2}}\n",
]


@pytest.mark.parametrize("text", PARSER_CASES)
def test_c_and_python_parsers_give_the_same_result(text, monkeypatch):
    # libyaml is used when PyYAML has it; the pure-Python parser is the fallback. Both must agree exactly.
    with_c = load.parse_text(text, NAME)
    monkeypatch.setattr(load.yaml, "__with_libyaml__", False)
    without_c = load.parse_text(text, NAME)
    assert with_c[0] == without_c[0]
    assert with_c[1] == without_c[1]
    assert with_c[2] == without_c[2]
