"""Shared helpers for the loader/validator tests (kept out of conftest.py on purpose).

The invalid cases live in ``tests/fixtures/invalid/cases.yaml``. Each case is ONE fault applied to a
fresh copy of the valid fixture (``tests/fixtures/valid/data``) in a temporary folder:

    - id: unknown-field                 # test id shown by pytest
      what: a typo in a key             # free text, for the reader
      edits:                            # applied in order; each names a file relative to data/
        - file: responsibilities.yaml
          replace: [["    holder:", "    holdr:"]]   # each old text must occur exactly once
        - file: notes.yaml
          write: "..."                  # create or replace the whole file
          encoding: gbk                 # optional: encoding for `write` (default utf-8)
        - file: milestones.yaml
          recode: gbk                   # re-save the file in another encoding
        - file: milestones.yaml
          rename: milestones.yml        # or `delete: true`
      expect:                           # the EXACT problems, in the order validate() returns them
        - [data/responsibilities.yaml, 4, 5, "responsibilities[0].holdr", "未知字段“holdr”"]
      summary: ["无法读取"]              # optional: parts of Result.summary's lines, one per line (default: none)

An expected problem is ``[file, line, column, field, message part]``: file is relative to the copy's
parent (so it reads ``data/...``), column ``null`` means "not checked", field ``-`` means none, and the
message part must occur in the message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # so `macros` imports however pytest was started
    sys.path.insert(0, str(ROOT))

from macros.problems import Problem  # noqa: E402
from macros.validate import Result, validate  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
VALID_DATA = FIXTURES / "valid" / "data"
SEEDS = FIXTURES / "seeds"
CASES_FILE = FIXTURES / "invalid" / "cases.yaml"
GOLDEN_DATA = FIXTURES / "golden" / "data"
GOLDEN_EXPECTED = FIXTURES / "golden" / "expected.txt"


def copy_valid(tmp_path: Path) -> Path:
    """A fresh copy of the valid fixture at ``tmp_path/data``; returns that folder."""
    data = tmp_path / "data"
    shutil.copytree(VALID_DATA, data)
    return data


def load_cases() -> list[dict[str, Any]]:
    return yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))


def apply_edit(data: Path, edit: dict[str, Any]) -> None:
    """Apply one edit of a case to the data folder (see the module docstring)."""
    path = data / edit["file"]
    ops = {"replace", "write", "recode", "rename", "delete"} & set(edit)
    assert len(ops) == 1, f"an edit needs exactly one of replace/write/recode/rename/delete: {edit}"
    if "replace" in edit:
        text = path.read_text(encoding="utf-8")
        for old, new in edit["replace"]:
            assert text.count(old) == 1, f"{edit['file']}: {old!r} occurs {text.count(old)} times, expected once"
            text = text.replace(old, new)
        path.write_bytes(text.encode(edit.get("encoding", "utf-8")))
    elif "write" in edit:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(edit["write"].encode(edit.get("encoding", "utf-8")))
    elif "recode" in edit:
        path.write_bytes(path.read_text(encoding="utf-8").encode(edit["recode"]))
    elif "rename" in edit:
        assert path.exists(), path
        path.rename(path.with_name(edit["rename"]))
    else:
        assert path.exists(), path
        path.unlink()


def apply_case(data: Path, case: dict[str, Any]) -> None:
    for edit in case["edits"]:
        apply_edit(data, edit)


def run_validate(data: Path, seeds: Path = SEEDS) -> Result:
    return validate(ROOT, data_dir=data, seeds_dir=seeds)


def shown(problem: Problem | str, data: Path) -> str:
    """A problem as the CLI prints it, with the temporary folder and ROOT stripped from paths."""
    text = str(problem)
    text = text.replace(f"{data.resolve().parent.as_posix()}/", "")
    return text.replace(f"{ROOT.as_posix()}/", "")


def problem_lines(result: Result, data: Path) -> list[str]:
    return [shown(p, data) for p in result.problems]


def check_expected(result: Result, data: Path, expected: list[list[Any]]) -> None:
    """Assert the problems are exactly the expected ones (count, order, position, field, message)."""
    actual = problem_lines(result, data)
    assert len(actual) == len(expected), "\n".join(["got:", *actual])
    for got, (file, line, col, field, message) in zip(result.problems, expected, strict=True):
        got_file = shown(got, data).split(":", 1)[0]
        where = shown(got, data)
        assert got_file == file, where
        assert got.line == line, where
        if col is not None:
            assert got.column == col, where
        assert (got.field or "-") == field, where
        assert message in shown(got.message, data), where


def check_summary(result: Result, data: Path, expected: list[str]) -> None:
    """Assert Result.summary has exactly one line per expected part, each containing its part."""
    lines = [shown(s, data) for s in result.summary]
    assert len(lines) == len(expected), lines
    for line, part in zip(lines, expected, strict=True):
        assert part in line, (line, part)


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m macros <args>`` in a subprocess (the real entry point)."""
    return subprocess.run(
        [sys.executable, "-m", "macros", "--root", str(ROOT), *args],
        cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )
