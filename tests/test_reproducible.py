"""Reproducible builds: the same sources give the same site, byte for byte.

Two builds of the working tree, copied into two different temp folders (different paths), run a
few seconds apart with different hash seeds, must write the same files with the same bytes —
sitemap.xml.gz included (its gzip header carries a time stamp unless the hooks zero it).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, copy_project, mkdocs_build

pytestmark = pytest.mark.slow

SITE_URL = "https://example.org/dzzld-kb/"  # so the sitemap lists every page with its lastmod date


def _copy_project(dst: Path) -> Path:
    """A project copy whose mkdocs.yml has a site_url."""
    copy_project(dst)
    config = dst / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert 'site_url: ""' in text
    config.write_text(text.replace('site_url: ""', f'site_url: "{SITE_URL}"'), encoding="utf-8")
    return dst


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    sites = []
    for n, (folder, seed) in enumerate((("first", "1"), ("second-build-elsewhere", "2"))):
        if n:
            time.sleep(2.5)  # a different second on the clock
        base = tmp_path_factory.mktemp(folder)
        project = _copy_project(base / f"project-{folder}")
        site = base / "site"
        proc = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(project / "mkdocs.yml"), "-d", str(site)],
            cwd=project, env={**env, "NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": seed}, capture_output=True,
            text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        sites.append(site)
    return sites[0], sites[1]


def test_two_builds_write_the_same_files(two_builds: tuple[Path, Path]) -> None:
    a, b = (_files(s) for s in two_builds)
    assert sorted(a) == sorted(b)
    assert len(a) > 50


def test_two_builds_are_byte_identical(two_builds: tuple[Path, Path]) -> None:
    a, b = (_files(s) for s in two_builds)
    different = [name for name in sorted(a) if a[name] != b.get(name)]
    assert not different, f"{len(different)} files differ, e.g. {different[:10]}"


def test_sitemap_gzip_has_no_time_stamp_and_matches_the_sitemap(two_builds: tuple[Path, Path]) -> None:
    site = two_builds[0]
    raw = (site / "sitemap.xml.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert int.from_bytes(raw[4:8], "little") == 0  # MTIME field of the gzip header
    assert gzip.decompress(raw) == (site / "sitemap.xml").read_bytes()
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert SITE_URL in sitemap and "<lastmod>" in sitemap


def test_pages_are_dated_by_the_last_commit_in_a_git_checkout(tmp_path: Path) -> None:
    """In a checkout, lastmod comes from the last commit (UTC), not the clock; outside one there is none."""
    from datetime import UTC, datetime

    from macros.plugin import commit_date

    git = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    if git.returncode != 0 or not git.stdout.strip():
        pytest.skip("not a git checkout")
    want = datetime.fromtimestamp(int(git.stdout.strip()), UTC).strftime("%Y-%m-%d")
    assert commit_date(ROOT) == want
    assert commit_date(tmp_path) is None  # no repository here (tmp_path is outside the checkout)


def test_the_build_dates_pages_by_the_commit_unless_source_date_epoch_is_set(monkeypatch) -> None:
    from mkdocs.config import load_config

    from macros.plugin import DzzldPlugin, commit_date

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = DzzldPlugin()
    plugin.on_config(config)
    assert plugin.state is not None and plugin.state.build_date == (commit_date(ROOT) or "")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "86400")
    plugin.on_config(load_config(str(ROOT / "mkdocs.yml")))
    assert plugin.state.build_date == ""  # mkdocs' own date, from SOURCE_DATE_EPOCH
    plugin.on_shutdown()


def test_source_date_epoch_fixes_the_sitemap_dates(tmp_path: Path) -> None:
    project = _copy_project(tmp_path / "p")
    site = tmp_path / "site"
    proc = mkdocs_build(site, root=project, env={"SOURCE_DATE_EPOCH": "1767225600"})  # 2026-01-01T00:00:00Z
    assert proc.returncode == 0, proc.stderr[-3000:]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    dates = set(sitemap.split("<lastmod>")[1:])
    assert dates and all(d.startswith("2026-01-01</lastmod>") for d in dates)
