"""The benchmark script (benchmarks/bench.py, outside the package): it runs as a script, its synthetic
data is valid, and `--quick` reports every figure end to end. No timing is asserted here."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import CHROMIUM, IN_CI, ROOT

BENCH_PATH = ROOT / "benchmarks" / "bench.py"


def load_bench() -> ModuleType:
    """benchmarks/bench.py as a module, loaded from its path (it is not part of the installed package)."""
    spec = importlib.util.spec_from_file_location("dzzld_bench", BENCH_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


bench = load_bench()


def test_the_script_is_not_in_the_package() -> None:
    assert not (ROOT / "macros" / "bench.py").exists()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "benchmarks" not in pyproject.split("[tool.setuptools]")[1].split("[")[0]
    assert "$(BIN)/python benchmarks/bench.py" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_script_runs_from_its_path_with_help() -> None:
    proc = subprocess.run([sys.executable, str(BENCH_PATH), "--help"], cwd=ROOT / "docs", capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "--quick" in proc.stdout and "--json" in proc.stdout


def test_every_figure_key_is_measured_by_a_step() -> None:
    in_steps = [k for _step, keys in bench.STEPS for k in keys]
    assert sorted(in_steps) == sorted(bench.FIGURE_KEYS)
    assert len(set(bench.FIGURE_KEYS)) == len(bench.FIGURE_KEYS)
    assert all(hasattr(bench.Bench, step) for step, _ in bench.STEPS)


def test_synthetic_data_is_valid_and_scales(tmp_path: Path) -> None:
    """The validation benchmark's data: copies with suffixed IDs, references kept, no problems."""
    from macros.validate import validate

    no_seeds = tmp_path / "no-seeds"
    bench.synthetic_data(ROOT / "data", tmp_path / "x2", 2)
    one = validate(ROOT, data_dir=ROOT / "data", seeds_dir=no_seeds)
    two = validate(ROOT, data_dir=tmp_path / "x2", seeds_dir=no_seeds)
    assert [str(p) for p in two.problems] == []
    profiles = sum(1 for r in one.records if r.kind == "profiles")  # one file, one record: copied, not multiplied
    assert len(two.records) == 2 * len(one.records) - profiles
    ids = [r.id for r in two.records if r.id]
    assert len(ids) == len(set(ids))


def test_synthetic_roster_files_hold_n_schools(tmp_path: Path) -> None:
    from datasets import real

    from macros.validate import validate

    bench.roster_data_dir(ROOT / "data", tmp_path / "d", real(), 7)
    result = validate(ROOT, data_dir=tmp_path / "d", seeds_dir=tmp_path / "no-seeds")
    assert result.problems == []
    assert sum(1 for r in result.records if r.kind == "schools") == 7


# ---- the whole quick run -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, subprocess.CompletedProcess[str]]:
    if not Path(CHROMIUM).exists() and not IN_CI:
        pytest.skip(f"{CHROMIUM} not found: the benchmark's browser figures need it")
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, str(BENCH_PATH), "--quick", "--json", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900)
    assert out.exists(), f"no JSON written:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return json.loads(out.read_text(encoding="utf-8")), proc


@pytest.mark.slow
def test_quick_run_succeeds_without_errors(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    results, proc = quick_results
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-4000:]}"
    assert results["errors"] == {}
    assert results["mode"] == "quick"


@pytest.mark.slow
def test_every_figure_is_reported_with_value_target_and_met(
        quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    figures = quick_results[0]["figures"]
    assert list(figures) == list(bench.FIGURE_KEYS)
    for key, fig in figures.items():
        for field in ("value", "target", "met", "baseline", "ratio", "unit", "label"):
            assert field in fig, (key, field)
        assert isinstance(fig["met"], bool) or fig["met"] is None, key
        if fig["target"] not in ("", "—"):
            assert isinstance(fig["met"], bool), key
    measured = [k for k, f in figures.items() if "skipped" not in f["detail"]]
    assert all(isinstance(figures[k]["value"], (int, float)) for k in measured), measured


@pytest.mark.slow
def test_machine_info_and_table(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    results, proc = quick_results
    machine = results["machine"]
    for key in ("nproc", "cpu_model", "load_average_start", "load_average_end", "python", "mkdocs", "mkdocs-material",
                "git_commit"):
        assert key in machine, key
    assert len(machine["load_average_start"]) == 3
    assert "figure" in proc.stdout and "baseline" in proc.stdout and "met?" in proc.stdout
    assert "full build vs plain Material build" in proc.stdout


def test_the_plain_config_inherits_the_site_without_our_plugins(tmp_path: Path) -> None:
    import yaml

    text = bench.plain_config(ROOT, tmp_path / "plain-docs")
    config = yaml.safe_load(text)
    assert config["INHERIT"] == "mkdocs.yml" and config["docs_dir"] == str(tmp_path / "plain-docs")
    names = [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    assert "search" in names and "macros" not in names and "dzzld" not in names
    flat = json.dumps(config["nav"], ensure_ascii=False)
    from datasets import real

    assert all(f"practices/{d.slug}.md" in flat for d in real().districts)  # the generated pages are in the nav
