"""The GitHub side of contributing: workflows, issue forms, PR template, CODEOWNERS, pre-commit, yamllint.

Schemas for workflows and issue forms come bundled with check-jsonschema (SchemaStore's copies), so
these checks run offline. The workflows must run the same commands as `.ci/run` and the Makefile.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
TEMPLATES = GITHUB / "ISSUE_TEMPLATE"
FORMS = sorted(p for p in TEMPLATES.glob("*.yml") if p.name != "config.yml")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@(?:(?P<sha>[0-9a-f]{40})|v\d+\.\d+\.\d+)$")


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _workflow(name: str) -> dict[str, Any]:
    doc = _yaml(GITHUB / "workflows" / name)
    if True in doc:  # YAML 1.1 reads the key `on` as true
        doc["on"] = doc.pop(True)
    return doc


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def _check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def _make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, with $(BIN)/ dropped (the workflows may call them through make)."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    out = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        out.append(line.strip().replace("$(BIN)/", ""))
    return out


def test_there_are_the_two_workflows() -> None:
    assert [p.name for p in WORKFLOWS] == ["ci.yml", "pages.yml"]


@pytest.mark.parametrize(("schema", "files"), [
    ("vendor.github-workflows", WORKFLOWS),
    ("vendor.github-issue-forms", FORMS),
    ("vendor.github-issue-config", [TEMPLATES / "config.yml"]),
], ids=["workflows", "issue-forms", "issue-config"])
def test_github_files_match_their_schemas(schema: str, files: list[Path]) -> None:
    assert files
    proc = _check_jsonschema(schema, files)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_jsonschema_really_rejects_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    stepz: []\n", encoding="utf-8")
    assert _check_jsonschema("vendor.github-workflows", [bad]).returncode == 1


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_sha_or_an_exact_release(path: Path) -> None:
    uses = [line for line in path.read_text(encoding="utf-8").split("\n") if re.match(r"^\s*(-\s+)?uses:", line)]
    assert uses
    for line in uses:
        ref = line.split("uses:", 1)[1].split("#", 1)[0].strip()
        m = PINNED.match(ref)
        assert m, f"{path.name}: not pinned to a commit SHA or an exact vX.Y.Z release: {ref}"
        if m.group("sha"):
            assert re.search(r"#\s*v\d+\.\d+\.\d+\s*$", line), f"{path.name}: SHA without a '# vX.Y.Z' comment: {line}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_privilege_and_concurrency(path: Path) -> None:
    doc = _workflow(path.name)
    assert doc["permissions"] == {"contents": "read"}
    assert doc["concurrency"]["group"]
    for name, job in doc["jobs"].items():
        extra = job.get("permissions", {})
        assert set(extra) <= {"pages", "id-token"}, f"{name} asks for {extra}"


def test_ci_runs_on_pull_requests_and_pushes_to_main() -> None:
    on = _workflow("ci.yml")["on"]
    assert "pull_request" in on
    assert on["push"]["branches"] == ["main"]


def test_pages_deploys_main_with_only_the_deploy_job_writing() -> None:
    doc = _workflow("pages.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    deploy = doc["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    used = [s.get("uses", "").split("@")[0] for s in _steps(doc)]
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in used
    assert any("make build" in s.get("run", "") for s in _steps(doc))


def test_ci_sets_up_python_311_with_pip_cache_and_the_system_packages() -> None:
    steps = _steps(_workflow("ci.yml"))
    py = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))
    assert str(py["with"]["python-version"]) == "3.11" and py["with"]["cache"] == "pip"
    apt = "\n".join(s.get("run", "") for s in steps if "apt-get install" in s.get("run", ""))
    for package in ("chromium", "poppler-utils", "fonts-noto-cjk"):
        assert package in apt
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["path"].rstrip("/") == "site"


def test_ci_runs_the_same_commands_as_ci_run_and_the_makefile() -> None:
    runs = [s.get("run", "") for s in _steps(_workflow("ci.yml"))]
    # .ci/run ends with the README's test command; CI on GitHub runs exactly that.
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = [line.strip() for line in ci_run.split("\n") if re.match(r"^\s*make \w+", line)][-1]
    assert test_cmd == "make test"
    assert any(r.strip() == test_cmd for r in runs), runs
    # validate: the Makefile's command through the venv, with GitHub annotations
    (validate_cmd,) = _make_recipe("validate")
    assert any(f".venv/bin/{validate_cmd} --github" in r for r in runs), (validate_cmd, runs)
    # lint and strict build: the Makefile targets themselves
    assert any(r.strip() == "make lint" for r in runs)
    assert "mkdocs build --strict" in _make_recipe("build")
    assert any(r.strip() == "make build" for r in runs)
    # the install step comes before everything that uses .venv
    order = [i for i, r in enumerate(runs) if r.strip() in ("make install", test_cmd, "make build")]
    assert runs[order[0]].strip() == "make install"


def test_validate_github_prints_annotations_for_bad_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    import shutil

    shutil.copytree(ROOT / "tests" / "fixtures" / "valid" / "data", data)
    bad = data / "practices" / "test.yaml"
    bad.write_text(bad.read_text(encoding="utf-8").replace("  province:", "  provinse:"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "macros", "validate", "--github", "--data", str(data),
                           "--seeds", str(ROOT / "tests" / "fixtures" / "seeds")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1
    line = bad.read_text(encoding="utf-8").split("\n").index("  provinse: 测试省") + 1
    assert re.search(rf"^::error file=[^,]*practices/test\.yaml,line={line},col=3::district\.provinse: ", proc.stdout,
                     re.M), proc.stdout


# ---------------------------------------------------------------------------------------------- forms and files


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_issue_forms_ask_for_the_source_and_the_record_id(path: Path) -> None:
    form = _yaml(path)
    labels = " ".join(item.get("attributes", {}).get("label", "") for item in form["body"])
    for needed in ("标题", "文号", "网址", "段落或行", "编号"):
        assert needed in labels, f"{path.name} does not ask for {needed}"
    required = [item["attributes"]["label"] for item in form["body"] if item.get("validations", {}).get("required")]
    assert any("段落或行" in label for label in required)


def test_the_three_issue_forms_and_no_blank_issues() -> None:
    names = {_yaml(p)["name"] for p in FORMS}
    assert names == {"数据纠错", "新增地方实践", "新增/修改检查项"}
    assert _yaml(TEMPLATES / "config.yml")["blank_issues_enabled"] is False


def test_pull_request_template_has_the_checklist() -> None:
    text = (GITHUB / "pull_request_template.md").read_text(encoding="utf-8")
    boxes = [line for line in text.split("\n") if line.startswith("- [ ] ")]
    joined = "\n".join(boxes)
    for needed in ("make validate", "出处", "行", "自己的话", "CHANGELOG.md", "data_version"):
        assert needed in joined


def test_codeowners_by_data_area_with_placeholder_note() -> None:
    text = (GITHUB / "CODEOWNERS").read_text(encoding="utf-8")
    rules = dict(line.split(None, 1) for line in text.split("\n") if line.strip() and not line.startswith("#"))
    for path in ("/data/practices/", "/data/checklist.yaml", "/schemas/", "/macros/"):
        assert rules.get(path, "").startswith("@"), path
    assert "placeholder" in text.lower()


# ---------------------------------------------------------------------------------------------- local checks


def test_pre_commit_config_names_the_hooks_and_runs_offline() -> None:
    config = _yaml(ROOT / ".pre-commit-config.yaml")
    hooks = [h for repo in config["repos"] for h in repo["hooks"]]
    assert all(repo["repo"] == "local" for repo in config["repos"])
    assert all(h["language"] == "system" for h in hooks)
    entries = {h["id"]: h["entry"] for h in hooks}
    validator = next(h for h in hooks if "macros validate" in h["entry"])
    assert validator["pass_filenames"] is False and validator["files"] == "^(data|schemas)/"
    joined = "\n".join(entries.values())
    for tool in ("check-jsonschema --builtin-schema vendor.github-workflows", "vendor.github-issue-forms", "yamllint",
                 "ruff check"):
        assert tool in joined, tool
    for h in hooks:  # every entry names a tool that `make install` provides
        exe = shlex.split(h["entry"])[0]
        assert exe.startswith(".venv/bin/"), exe


def test_pre_commit_file_patterns_match_the_files_they_check() -> None:
    hooks = {h["id"]: h for repo in _yaml(ROOT / ".pre-commit-config.yaml")["repos"] for h in repo["hooks"]}
    tracked = [p.relative_to(ROOT).as_posix() for p in [*WORKFLOWS, *FORMS, TEMPLATES / "config.yml"]]

    def selected(hook: dict[str, Any]) -> list[str]:
        return [p for p in tracked if re.search(hook.get("files", ""), p)
                and not (hook.get("exclude") and re.search(hook["exclude"], p))]

    by_entry = {h["entry"].split("vendor.")[-1]: h for h in hooks.values() if "vendor." in h["entry"]}
    assert selected(by_entry["github-workflows"]) == [p.relative_to(ROOT).as_posix() for p in WORKFLOWS]
    assert selected(by_entry["github-issue-forms"]) == [p.relative_to(ROOT).as_posix() for p in FORMS]
    assert selected(by_entry["github-issue-config"]) == [".github/ISSUE_TEMPLATE/config.yml"]


def test_yamllint_accepts_data_and_github_files() -> None:
    proc = subprocess.run([sys.executable, "-m", "yamllint", "-s", "data", ".github", ".pre-commit-config.yaml",
                           ".yamllint.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_yamllint_config_still_catches_real_mistakes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: 1\na: 2\nb: yes\nc:   [1,2 ]\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "yamllint", "-s", "-c", str(ROOT / ".yamllint.yaml"), str(bad)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    for rule in ("key-duplicates", "truthy"):
        assert rule in proc.stdout
