"""The benchmark script runs end to end (--quick) and reports every figure; no timing is asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHROMIUM, IN_CI, ROOT

from macros import bench

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, subprocess.CompletedProcess[str]]:
    if not Path(CHROMIUM).exists() and not IN_CI:
        pytest.skip(f"{CHROMIUM} not found: the benchmark's browser figures need it")
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run([sys.executable, "-m", "macros.bench", "--quick", "--json", str(out)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert out.exists(), f"no JSON written:\n{proc.stdout}\n{proc.stderr[-4000:]}"
    return json.loads(out.read_text(encoding="utf-8")), proc


def test_quick_run_succeeds_without_errors(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    results, proc = quick_results
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-4000:]}"
    assert results["errors"] == {}
    assert results["mode"] == "quick"


def test_every_figure_is_reported_with_value_target_and_met(
        quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    figures = quick_results[0]["figures"]
    assert list(figures) == list(bench.FIGURE_KEYS)
    for key, fig in figures.items():
        for field in ("value", "target", "met", "baseline", "ratio", "unit", "label"):
            assert field in fig, (key, field)
        assert isinstance(fig["met"], bool) or fig["met"] is None, key
    measured = [k for k, f in figures.items() if "skipped" not in f["detail"]]
    assert all(isinstance(figures[k]["value"], (int, float)) for k in measured), measured


def test_figures_with_a_target_say_whether_it_is_met(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    for key, fig in quick_results[0]["figures"].items():
        if fig["target"] not in ("", "—"):
            assert isinstance(fig["met"], bool), key


def test_machine_info_is_recorded(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    machine = quick_results[0]["machine"]
    for key in ("nproc", "cpu_model", "load_average_start", "load_average_end", "python", "mkdocs", "mkdocs-material",
                "git_commit"):
        assert key in machine, key
    assert len(machine["load_average_start"]) == 3


def test_table_is_printed(quick_results: tuple[dict, subprocess.CompletedProcess[str]]) -> None:
    out = quick_results[1].stdout
    assert "figure" in out and "baseline" in out and "met?" in out
    assert "full build vs plain Material build" in out


def test_synthetic_data_is_valid_and_scales(tmp_path: Path) -> None:
    """The validation benchmark's synthetic data: copies with suffixed IDs, references kept, no problems."""
    from macros.validate import validate

    bench.synthetic_data(ROOT / "data", tmp_path / "x3", 3)
    one = validate(ROOT, data_dir=ROOT / "data")
    three = validate(ROOT, data_dir=tmp_path / "x3", seeds_dir=one.seeds_dir)
    assert three.problems == []
    assert len(three.records) == 3 * len(one.records)
