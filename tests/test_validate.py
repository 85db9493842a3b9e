"""Tests of the two-layer validator (macros/validate.py) and the `python -m macros validate` command.

Fixtures (all under tests/fixtures/):

* ``valid/data``  — a minimal data set that must validate with zero problems.
* ``seeds``       — two tiny fake seed texts cited by the fixtures (000_… has a blank L5 and a junk L7).
* ``invalid/cases.yaml`` — one fault per case, applied to a copy of ``valid/data`` (format: see
  tests/validation_helpers.py); every case lists the exact problems expected, and the summary line
  when a file cannot be read at all.
* ``golden/data`` + ``golden/expected.txt`` — a data set with many faults at once and the full CLI output.

Regenerating golden/expected.txt (only after a deliberate change of messages or rules), from the project root:

    python -m macros validate --data tests/fixtures/golden/data --seeds tests/fixtures/seeds \
        > tests/fixtures/golden/expected.txt

then read the diff line by line: every line must name the right file, line, column and field.
"""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from validation_helpers import (
    GOLDEN_DATA,
    GOLDEN_EXPECTED,
    ROOT,
    SEEDS,
    VALID_DATA,
    apply_case,
    apply_edit,
    check_expected,
    check_summary,
    copy_valid,
    load_cases,
    problem_lines,
    run_cli,
    run_validate,
    shown,
)

from macros import cli
from macros.problems import Problem
from macros.validate import counts

CASES = load_cases()
CASE_BY_ID = {c["id"]: c for c in CASES}
VALID_REL = VALID_DATA.relative_to(ROOT).as_posix()
SEEDS_REL = SEEDS.relative_to(ROOT).as_posix()

VALID_FILES = {
    f"{VALID_REL}/{name}"
    for name in (
        "meta.yaml", "sources.yaml", "responsibilities.yaml", "decisions.yaml", "meeting-rules.yaml", "setups.yaml",
        "supports.yaml", "milestones.yaml", "variants.yaml", "glossary.yaml", "evidence.yaml", "checklist.yaml",
        "practices/test.yaml", "schools/test.yaml",
    )
}
VALID_COUNTS = {
    "sources": 4, "responsibilities": 1, "decisions": 1, "meeting_rules": 1, "setups": 1, "supports": 1,
    "milestones": 1, "variants": 1, "glossary": 1, "evidence": 1, "checklist": 3, "districts": 1,
    "practices": 1, "figures": 4, "schools": 1,
}


# ------------------------------------------------------------------------------------------------
# The valid fixture


def test_valid_fixture_has_no_problems():
    result = run_validate(VALID_DATA)
    assert [str(p) for p in result.problems] == []
    assert result.ok is True
    assert result.seeds_checked is True
    assert result.notes == [] and result.summary == []
    assert {f.name for f in result.files} == VALID_FILES


def test_valid_fixture_record_counts():
    result = run_validate(VALID_DATA)
    assert counts(result) == Counter(VALID_COUNTS)
    assert [r.id for r in result.records if not r.active] == ["GL-HEXIN"]


def test_valid_fixture_every_file_starts_with_the_schema_comment():
    for path in sorted(VALID_DATA.rglob("*.yaml")):
        depth = len(path.relative_to(VALID_DATA).parts)
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith("# yaml-language-server: $schema=" + "../" * depth + "schemas/"), path


def test_valid_fixture_cli_prints_counts_and_exits_0():
    proc = run_cli("validate", "--data", VALID_REL, "--seeds", SEEDS_REL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    *table, summary = proc.stdout.splitlines()
    shown_counts = {label.split()[-1]: int(n) for label, n in (line.rsplit(None, 1) for line in table)}
    assert shown_counts == VALID_COUNTS
    assert list(shown_counts) == [k for k in cli.COLLECTION_LABELS if k in shown_counts]  # in the documented order
    assert summary == "数据有效：14 个文件，23 条有效记录，1 条已停用。已核对原始文本行号。"


def test_valid_fixture_with_crlf_line_endings(tmp_path):
    data = copy_valid(tmp_path)
    for path in data.rglob("*.yaml"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert problem_lines(run_validate(data), data) == []


def test_without_seeds_line_contents_are_skipped_with_a_note(tmp_path):
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID["cite-junk-line"])  # only detectable by reading the seed text
    missing = tmp_path / "no-seeds"
    result = run_validate(data, seeds=missing)
    assert result.problems == []
    assert result.seeds_checked is False
    assert result.notes == [f"未找到原始文本目录 {missing}：已跳过“引用行是否存在”的核对（CI 会核对）"]


def test_without_seeds_source_line_ranges_are_still_checked(tmp_path):
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID["cite-outside-source-lines"])
    assert problem_lines(run_validate(data, seeds=tmp_path / "no-seeds"), data) == [
        "data/variants.yaml:10:32: variants[0].cite[0].loc: L5 不在来源 SRC-TEST-B 的范围内（第 2–4 行）"
    ]


@pytest.mark.parametrize("case_id", ["force-quote-not-on-the-cited-line", "binding-force-with-tansuo-and-no-force-note"])
def test_without_seeds_force_wording_is_not_checked(case_id, tmp_path):
    """Whether a quote stands on its line needs the seed text: without it the record passes (and a note says so)."""
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID[case_id])
    result = run_validate(data, seeds=tmp_path / "no-seeds")
    assert result.problems == [] and result.seeds_checked is False and len(result.notes) == 1


def test_cli_without_seeds_says_so():
    proc = run_cli("validate", "--data", VALID_REL, "--seeds", "tests/fixtures/no-such-seeds")
    assert proc.returncode == 0
    assert proc.stderr == "注意：未找到原始文本目录 tests/fixtures/no-such-seeds：已跳过“引用行是否存在”的核对（CI 会核对）\n"
    assert proc.stdout.splitlines()[-1].endswith("未核对原始文本行号（未找到原始文本）。")


# ------------------------------------------------------------------------------------------------
# One fault at a time


def test_case_list_is_complete():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 60
    for case in CASES:
        assert case["expect"], case["id"]
        assert set(case) <= {"id", "what", "edits", "expect", "summary"}, case["id"]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_invalid_case(case, tmp_path, capsys, monkeypatch):
    """validate() reports exactly the expected problems, and the CLI prints them and exits 1."""
    data = copy_valid(tmp_path)
    apply_case(data, case)
    results = []

    def spy(*args, **kwargs):  # one validation run serves both the API check and the CLI check
        results.append(real_validate(*args, **kwargs))
        return results[-1]

    real_validate = cli.validation.validate
    monkeypatch.setattr(cli.validation, "validate", spy)
    code = cli.main(["validate", "--data", str(data), "--seeds", str(SEEDS)])
    out, err = capsys.readouterr()
    (result,) = results
    check_expected(result, data, case["expect"])
    check_summary(result, data, case.get("summary", []))
    assert code == 1
    assert out.splitlines() == [str(p) for p in result.problems] + result.summary
    assert err.splitlines()[-1] == f"共 {len(case['expect'])} 个问题。"


# Through `python -m macros` (the real entry point); every case also runs in-process above.
SUBPROCESS_CASES = ["non-utf8-gbk", "cite-junk-line", "tab-in-the-sources-file"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_invalid_case_real_cli(case_id, tmp_path):
    case = CASE_BY_ID[case_id]
    data = copy_valid(tmp_path)
    apply_case(data, case)
    proc = run_cli("validate", "--data", str(data), "--seeds", str(SEEDS))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    lines = [shown(line, data) for line in proc.stdout.splitlines()]
    problems, summary = lines[:len(case["expect"])], lines[len(case["expect"]):]
    expected_starts = [f"{file}:{line}:" for file, line, *_ in case["expect"]]
    assert [":".join(line.split(":", 2)[:2]) + ":" for line in problems] == expected_starts
    assert len(summary) == len(case.get("summary", []))
    assert all(part in line for line, part in zip(summary, case.get("summary", []), strict=True))
    assert proc.stderr == f"共 {len(problems)} 个问题。\n"


def test_github_annotations(tmp_path):
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID["duplicate-key-top-level"])
    apply_case(data, CASE_BY_ID["unknown-file"])
    proc = run_cli("validate", "--github", "--data", str(data), "--seeds", str(SEEDS))
    assert proc.returncode == 1
    prefix = data.as_posix()
    assert proc.stdout.splitlines() == [
        f"::error file={prefix}/meta.yaml,line=4,col=1::title: 重复的键“title”（第一次出现在第 3 行）",
        # file-level problems (line 0) are annotated on line 1 so GitHub shows them
        f"::error file={prefix}/notes.yaml,line=1,col=1::未知的数据文件：不在约定的位置（见 CONTRIBUTING.md）",
        f"“来源是否被引用”未核对：{prefix}/meta.yaml 无法读取，其中的记录暂时不可见。先修正上面的第一个问题，再运行一次。",
    ]


def test_problem_rendering():
    p = Problem("data/a,b:c%.yaml", 0, 0, "", "50%\r\nx")
    assert str(p) == "data/a,b:c%.yaml:0:0: -: 50%\r\nx"
    assert p.github_annotation() == "::error file=data/a%2Cb%3Ac%25.yaml,line=1,col=1::50%25%0D%0Ax"
    q = Problem("data/x.yaml", 3, 7, "a.b[0]", "坏了")
    assert str(q) == "data/x.yaml:3:7: a.b[0]: 坏了"
    assert q.github_annotation() == "::error file=data/x.yaml,line=3,col=7::a.b[0]: 坏了"
    assert sorted([q, p]) == [p, q]


# ------------------------------------------------------------------------------------------------
# Everything wrong at once


def test_golden_everything_wrong():
    """The whole CLI output for tests/fixtures/golden/data (see the module docstring to regenerate)."""
    proc = run_cli("validate", "--data", GOLDEN_DATA.relative_to(ROOT).as_posix(), "--seeds", SEEDS_REL)
    expected = GOLDEN_EXPECTED.read_text(encoding="utf-8").splitlines()
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == expected
    assert proc.stderr == f"共 {len(expected) - 1} 个问题。\n"  # the last line is the summary, not a problem


def test_golden_expected_is_sorted_and_covers_every_golden_file():
    """Files that cannot be read come first, then the rest; each group by file, line and column; one summary line."""
    golden_rel = GOLDEN_DATA.relative_to(ROOT).as_posix()
    *lines, summary = GOLDEN_EXPECTED.read_text(encoding="utf-8").splitlines()
    parsed = [(f, int(line), int(col)) for f, line, col, _ in (x.split(":", 3) for x in lines)]
    unreadable = {"decisions.yaml", "schools/gbk.yaml", "supports.yaml"}  # a duplicate key, GBK, a tab
    first = [p for p in parsed if p[0].removeprefix(golden_rel + "/") in unreadable]
    assert parsed[:len(first)] == sorted(first) and parsed[len(first):] == sorted(parsed[len(first):])
    assert summary.startswith("另有 ") and all(f"{golden_rel}/{name}" in summary for name in unreadable)
    files = {p.relative_to(ROOT).as_posix() for p in GOLDEN_DATA.rglob("*") if p.is_file()}
    assert {f for f, _, _ in parsed} == files  # every file in the golden set is wrong somehow
    assert all(f.startswith(golden_rel + "/") for f, _, _ in parsed)


# ------------------------------------------------------------------------------------------------
# Regression tests for bugs found in macros/ by this suite (all fixed)

# Cross-file rules run on records of files that failed the schema and assume the schema's shapes.
# Each of these gets a schema problem, then a rule raises and the CLI prints a traceback.
WRONG_SHAPES = [
    ("cite-is-a-number", "responsibilities.yaml", "cite:\n      - {src: SRC-TEST-DOC, loc: 二(一)}", "cite: 5",
     "data/responsibilities.yaml:10:11: responsibilities[0].cite: 应为列表，实际是整数", TypeError),
    ("cite-src-is-a-list", "milestones.yaml", "{src: SRC-TEST-DOC,", "{src: [SRC-TEST-DOC],",
     "data/milestones.yaml:10:15: milestones[0].cite[0].src: 应为文字，实际是列表", TypeError),
    ("seed-lines-with-leading-zero", "sources.yaml", "lines: {first: 1, last: 7}", "lines: {first: 01, last: 7}",
     "data/sources.yaml:10:20: sources[0].lines.first: 应为整数，实际是文字", TypeError),
    ("seed-lines-is-a-list", "sources.yaml", "lines: {first: 2, last: 4}", "lines: [2, 4]",
     "data/sources.yaml:20:12: sources[1].lines: 应为映射（键: 值），实际是列表", AttributeError),
    ("seed-file-is-a-list", "sources.yaml", "seed_file: 001_fedcba9876543210.txt",
     "seed_file: [001_fedcba9876543210.txt]",
     "data/sources.yaml:19:16: sources[1].seed_file: 应为文字，实际是列表", TypeError),
    ("applies-is-a-list", "checklist.yaml", "applies:\n      district: [DS-TEST]", "applies: [DS-TEST]",
     "data/checklist.yaml:35:14: checklist[2].applies: 应为映射（键: 值），实际是列表", AttributeError),
    ("figures-is-a-number", "practices/test.yaml", "    figures:\n      - id: FG-TEST-ORGS",
     "    figures: 5\n    figures2:\n      - id: FG-TEST-ORGS",
     "data/practices/test.yaml:18:14: practices[0].figures: 应为列表，实际是整数", TypeError),
    ("figure-unit-is-a-number", "practices/test.yaml", "        value: 12\n        unit: 个",
     "        value: 12\n        unit: 12", "data/practices/test.yaml:29:15: practices[0].figures[1].unit: 应为文字，实际是整数",
     TypeError),
    ("see-is-a-number", "glossary.yaml", "see: [OS-BRANCH]", "see: 5",
     "data/glossary.yaml:7:10: glossary[0].see: 应为列表，实际是整数", TypeError),
    ("id-is-a-number-on-retired-record", "glossary.yaml", "id: GL-HEXIN", "id: 5",
     "data/glossary.yaml:11:9: glossary[1].id: 应为文字，实际是整数", AttributeError),
]


@pytest.mark.parametrize(
    ("old", "file", "new", "expected"),
    [
        pytest.param(old, file, new, expected, id=name)
        for name, file, old, new, expected, _exc in WRONG_SHAPES
    ],
)
def test_wrong_shapes_are_reported_not_raised(tmp_path, old, file, new, expected):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": file, "replace": [[old, new]]})
    assert expected in problem_lines(run_validate(data), data)


def test_cli_no_traceback_for_leading_zero_line_numbers(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "sources.yaml", "replace": [["lines: {first: 1, last: 7}", "lines: {first: 01, last: 07}"]]})
    proc = run_cli("validate", "--data", str(data), "--seeds", str(SEEDS))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 1


def test_control_character_is_a_problem_not_a_traceback(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "milestones.yaml", "replace": [["    scope: 全国", "    scope: 全\x0b国"]]})
    lines = problem_lines(run_validate(data), data)
    assert len(lines) == 1
    assert lines[0].startswith("data/milestones.yaml:4:")


def test_string_instead_of_list_is_one_problem(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "checklist.yaml", "replace": [["basis: [OS-BRANCH, RS-PARTY-LEAD]", "basis: OS-BRANCH"]]})
    assert problem_lines(run_validate(data), data) == [
        "data/checklist.yaml:7:12: checklist[0].basis: 应为列表，实际是文字",
    ]


def test_missing_required_file_is_named_in_the_data_dir_given(tmp_path):
    data = tmp_path / "snapshot"
    shutil.copytree(VALID_DATA, data)
    (data / "checklist.yaml").unlink()
    result = run_validate(data)
    assert [str(p) for p in result.problems] == [f"{data.as_posix()}/checklist.yaml:0:0: -: 缺少这个数据文件"]


def test_seed_source_without_seed_file_is_one_problem(tmp_path):
    data = copy_valid(tmp_path)
    apply_edit(data, {"file": "sources.yaml", "replace": [["    seed_file: 001_fedcba9876543210.txt\n", ""]]})
    assert problem_lines(run_validate(data), data) == [
        "data/sources.yaml:15:5: sources[1].seed_file: 缺少必填字段“seed_file”",
    ]


def test_seed_with_final_newline_has_cat_n_line_count(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    seed = seeds / "000_0123456789abcdef.txt"
    seed.write_bytes(seed.read_bytes() + b"\n")  # `cat -n` still shows 7 lines
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID["cite-beyond-seed-end"])
    assert problem_lines(run_validate(data, seeds=seeds), data) == [
        "data/meeting-rules.yaml:10:32: meeting_rules[0].cite[0].loc: L8 不存在：原始文本只有 7 行",
        "data/sources.yaml:10:29: sources[0].lines.last: 原始文本只有 7 行",
    ]


ADOPTING_PROFILE = """\
# yaml-language-server: $schema=../../schemas/profile.schema.json
profile:
  id: PF-TEST
  name: 某区方案
  issuer: 某区教育局
  version: 1.0.0
  district: DS-TEST
  example: true
  note: 测试用。
  total: 100
  partial_share: 0.5
  default_points: 3
  binding_sources: [SRC-TEST-B]
  grades:
    - {name: 合格, min: 60}
    - {name: 不合格, min: 0}
"""


def test_a_profile_adopting_the_source_makes_the_graded_item_bind_again(tmp_path):
    """The same fault as graded-item-whose-basis-binds-nobody, but a scoring profile adopts SRC-TEST-B
    for its district's schools: the item can be a 规定项 there, so grading it is allowed."""
    data = copy_valid(tmp_path)
    apply_case(data, CASE_BY_ID["graded-item-whose-basis-binds-nobody"])
    assert problem_lines(run_validate(data), data)  # the fault alone is a problem
    apply_edit(data, {"file": "profiles/test.yaml", "write": ADOPTING_PROFILE})
    assert problem_lines(run_validate(data), data) == []
