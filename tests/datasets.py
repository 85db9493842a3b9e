"""The datasets the tests share, each loaded once per test session (loading validates the data first)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from macros.model import Dataset, load_dataset

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DATA = ROOT / "tests" / "fixtures" / "valid" / "data"
FIXTURE_SEEDS = ROOT / "tests" / "fixtures" / "seeds"


@cache
def real() -> Dataset:
    """The project's own data/ (its content is being audited: tests must not hard-code its counts)."""
    return load_dataset(ROOT)


@cache
def fixture() -> Dataset:
    """tests/fixtures/valid/data: small, stable, every record type."""
    return load_dataset(ROOT, data_dir=FIXTURE_DATA, seeds_dir=FIXTURE_SEEDS)


@pytest.fixture
def shared_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process commands use the session's copy of data/ instead of validating it again.

    Import it into a test module to use it; tests of loading itself must not.
    """
    from macros import cli

    monkeypatch.setattr(cli, "load_data", lambda args: real() if not getattr(args, "data", None) else None)
