"""The command line speaks Chinese and exits 0 (all well), 1 (data or input problems) or 2 (used wrongly),
for every command; a file that cannot be read gives a short report, not a cascade.

Most runs are in-process (`macros.cli.main`); a few go through `python -m macros` to check the real
entry point.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from datasets import ROOT, shared_data  # noqa: F401  (a fixture)
from validation_helpers import SEEDS, VALID_DATA, copy_valid

from macros.cli import main

COMMANDS = {
    "validate": ["validate"],
    "checklists": ["checklists"],
    "rollup": ["rollup"],
    "new": ["new"],
    "new practice": ["new", "practice"],
    "new item": ["new", "item"],
}
ENGLISH = re.compile(r"\b(usage|options|show this help|positional arguments|required|error)\b", re.I)


def cli(*args: str) -> tuple[int, str, str]:
    """Run main() and return (exit code, stdout, stderr); argparse's exits count as exit codes."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["--root", str(ROOT), *args])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def real_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "macros", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


# ---- help ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", list(COMMANDS), ids=list(COMMANDS))
def test_help_is_chinese(command: str) -> None:
    code, out, err = cli(*COMMANDS[command], "--help")
    assert (code, err) == (0, "")
    assert out.startswith("用法：python -m macros")
    assert "选项" in out and "-h, --help" in out and "显示本帮助并退出" in out
    assert not ENGLISH.search(out), ENGLISH.search(out)


@pytest.mark.parametrize(("command", "words"), [
    ("validate", ["--data", "数据目录", "--seeds", "原始文本目录", "--github", "GitHub Actions"]),
    ("checklists", ["--roster", "花名册", "--auto-id", "--district", "--out", "--pdf", "--no-html", "--no-xlsx"]),
    ("rollup", ["--answers", "答案文件所在的文件夹", "--roster", "--site-url", "--include-in-site", "--name"]),
    ("new practice", ["--district-id", "--name", "--province", "--slug", "--year"]),
])
def test_help_names_every_option(command: str, words: list[str]) -> None:
    _, out, _ = cli(*COMMANDS[command], "--help")
    for w in words:
        assert w in out, w


def test_top_level_help_lists_the_commands_and_the_exit_codes() -> None:
    proc = real_cli("--help")
    assert proc.returncode == 0
    for command in ("validate", "checklists", "rollup", "new"):
        assert command in proc.stdout
    assert "退出码：0 成功，1 数据或输入文件有问题，2 用法错误。" in proc.stdout
    assert not ENGLISH.search(proc.stdout)


# ---- usage errors: exit 2, Chinese message -----------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["validate"], ["checklists"], ["rollup", "--answers", "a"],
    ["new", "practice", "--district-id", "DS-XX", "--name", "某区", "--province", "某省"],
    ["new", "item", "--dimension", "org"],
], ids=["validate", "checklists", "rollup", "new-practice", "new-item"])
def test_an_unknown_option_exits_2_with_a_chinese_message(args: list[str]) -> None:
    code, out, err = cli(*args, "--frobnicate")
    assert code == 2 and out == ""
    assert "错误：无法识别的参数：--frobnicate" in err
    assert err.rstrip().endswith("（加 -h 查看帮助）")
    assert err.startswith("用法：") and not ENGLISH.search(err.replace("--frobnicate", ""))


def test_the_real_entry_point_exits_2_on_bad_usage() -> None:
    proc = real_cli("validate", "--frobnicate")
    assert proc.returncode == 2 and "无法识别的参数：--frobnicate" in proc.stderr and "Traceback" not in proc.stderr
    proc = real_cli("nonsense")
    assert proc.returncode == 2 and "参数 命令 的取值 'nonsense' 无效（可选：" in proc.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["rollup"], "缺少必需的参数：--answers"),
    (["new", "practice", "--district-id", "DS-XX"], "缺少必需的参数：--name, --province"),
    (["new"], "缺少必需的参数：类型"),
    (["new", "practice", "--district-id", "DS-XX", "--name", "某区", "--province", "某省", "--year", "明年"],
     "参数 --year 的取值 '明年' 无效（应为int）"),
    (["checklists", "--roster"], "参数 --roster 后面需要一个值"),
])
def test_argument_errors_are_translated(args: list[str], message: str) -> None:
    code, _, err = cli(*args)
    assert code == 2 and message in err, err


# ---- exit codes of each command ------------------------------------------------------------------------


def test_validate_exits_0_1_2(tmp_path: Path) -> None:
    code, out, err = cli("validate", "--data", str(VALID_DATA), "--seeds", str(SEEDS))
    assert (code, err) == (0, "") and out.splitlines()[-1].startswith("数据有效：")
    data = copy_valid(tmp_path)
    (data / "notes.yaml").write_text("x: 1\n", encoding="utf-8")
    code, out, err = cli("validate", "--data", str(data), "--seeds", str(SEEDS))
    assert code == 1 and "未知的数据文件" in out and err.splitlines()[-1] == "共 1 个问题。"
    assert cli("validate", "--data")[0] == 2


@pytest.mark.usefixtures("shared_data")
def test_checklists_exits_0_1_2(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("学校编号,学校名称,党组织类型,书记校长配备\nA,甲小学,党委,分设\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("学校编号,学校名称,党组织类型,书记校长配备\nA,甲小学,党委,分设\nB,乙小学,党小组,分设\n", encoding="utf-8")
    common = ["--out", str(tmp_path / "out"), "--quiet", "--no-xlsx"]
    assert cli("checklists", "--roster", str(good), *common)[0] == 0
    code, _, err = cli("checklists", "--roster", str(bad), *common)
    assert code == 1 and "bad.csv:3: 党组织类型: “党小组”不是可用的党组织类型" in err
    code, _, err = cli("checklists", "--roster", str(tmp_path / "none.csv"), *common)
    assert code == 2 and "找不到花名册文件" in err


@pytest.mark.usefixtures("shared_data")
def test_rollup_exits_0_1_2(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    common = ["--out", str(tmp_path / "out")]
    code, out, err = cli("rollup", "--answers", str(tmp_path / "a"), *common)
    assert (code, err) == (0, "") and "已提交 0 所" in out
    (tmp_path / "a" / "x.json").write_text("{", encoding="utf-8")
    code, _, err = cli("rollup", "--answers", str(tmp_path / "a"), *common)
    assert code == 1 and err.startswith("x.json: 不是有效的 JSON：")
    code, _, err = cli("rollup", "--answers", str(tmp_path / "none"), *common)
    assert code == 2 and "找不到答案文件夹" in err


@pytest.mark.usefixtures("shared_data")
def test_an_unknown_profile_exits_2_naming_the_profiles_in_every_command(tmp_path: Path) -> None:
    """checklists, rollup, report, rules and profile template: the same message, nothing written."""
    from macros.model import load_dataset

    roster = tmp_path / "r.csv"
    roster.write_text("学校编号,学校名称,党组织类型,书记校长配备\nA,甲小学,党委,分设\n", encoding="utf-8")
    answers = tmp_path / "a.json"
    answers.write_text("{}", encoding="utf-8")
    (tmp_path / "returns").mkdir()
    out = tmp_path / "out"
    runs = {
        "checklists": ["checklists", "--roster", str(roster), "--out", str(out), "--quiet"],
        "rollup": ["rollup", "--answers", str(tmp_path / "returns"), "--out", str(out)],
        "report": ["report", "--answers", str(answers), "--out", str(out)],
        "rules": ["rules", "--out", str(out)],
        "profile template": ["profile", "template", "--out", str(out / "t.xlsx")],
    }
    known = "、".join(p.id for p in load_dataset(ROOT).profiles)
    for name, args in runs.items():
        code, _, err = cli(*args, "--profile", "PF-NOPE")
        assert code == 2 and f"没有评分方案“PF-NOPE”（可选：{known}）" in err, (name, err)
        assert not out.exists(), name


def test_new_exits_0_1_2(tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    args = ["new", "practice", "--district-id", "DS-ZY", "--name", "志愿区", "--province", "某某省", "--data", str(data)]
    code, out, _ = cli(*args)
    assert code == 0 and "已创建" in out
    code, _, err = cli(*args)
    assert code == 1 and err.startswith("未创建：") and "已存在" in err
    code, _, err = cli("new", "item", "--dimension", "budget", "--data", str(data))
    assert code == 1 and "维度“budget”不存在" in err
    assert cli("new", "practice", "--name", "x")[0] == 2


def test_commands_on_broken_data_exit_1_with_the_validators_report(tmp_path: Path) -> None:
    """checklists and rollup stop before writing anything when data/ itself has problems."""
    import shutil

    project = tmp_path / "p"
    for part in ("data", "schemas"):
        shutil.copytree(ROOT / part, project / part)
    sources = project / "data" / "sources.yaml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("\n    kind: ", "\n\tkind: ", 1), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "macros", "--root", str(project), "checklists", "--out",
                           str(tmp_path / "out"), "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("data/sources.yaml:") and "缩进里有制表符（Tab）" in lines[0]
    assert lines[1].startswith("另有 ") and "data/sources.yaml 无法读取" in lines[1]
    assert lines[-1] == "数据有 1 个问题，请先修正（python -m macros validate）。"
    assert not (tmp_path / "out").exists()


# ---- a tab in one file: a short report, the tab first ----------------------------------------------------


@pytest.mark.parametrize("file", ["sources.yaml", "checklist.yaml", "practices/test.yaml", "glossary.yaml"])
def test_a_tab_in_one_data_file_gives_at_most_3_problems_with_the_tab_first(file: str, tmp_path: Path) -> None:
    data = copy_valid(tmp_path)
    path = data / file
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(i for i, line in enumerate(lines) if line.startswith("    ") and ":" in line)
    lines[n] = "\t" + lines[n].lstrip(" ")
    path.write_text("\n".join(lines), encoding="utf-8")
    args = ("validate", "--data", str(data), "--seeds", str(SEEDS))
    if file == "sources.yaml":  # once through the real entry point
        proc = real_cli(*args)
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    else:
        code, stdout, stderr = cli(*args)
    assert code == 1 and "Traceback" not in stderr
    out = stdout.splitlines()
    *problems, summary = out
    assert 1 <= len(problems) <= 3, out
    assert problems[0] == f"{data.as_posix()}/{file}:{n + 1}:1: -: 缩进里有制表符（Tab）：YAML 只能用空格缩进"
    assert "“来源是否被引用”未核对" in summary and f"{data.as_posix()}/{file} 无法读取" in summary
    assert "另有 0 处" not in summary
    assert stderr == f"共 {len(problems)} 个问题。\n"
