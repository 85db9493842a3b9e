"""Shared fixtures: the project root, a once-per-session site build, a loopback server, Chromium.

Browser tests use Debian's Chromium through Playwright (never `playwright install`). When CI=true a
missing browser is a failure, not a skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


PROJECT_PARTS = ("data", "docs", "schemas", "overrides", "macros")
PROJECT_FILES = ("mkdocs.yml", "CONTRIBUTING.md")


def copy_project(dst: Path) -> Path:
    """A copy of everything a build needs (not .git or .venv), for tests that change data or config."""
    for name in PROJECT_PARTS:
        shutil.copytree(ROOT / name, dst / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in PROJECT_FILES:
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, dst / name)
    return dst


def mkdocs_build(site_dir: Path, *, env: dict[str, str] | None = None, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run a strict build of the project at `root` into `site_dir`; return the finished process."""
    full_env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(root / "mkdocs.yml"),
                           "-d", str(site_dir)], cwd=root, env=full_env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per test session with the bundled data."""
    out = tmp_path_factory.mktemp("site")
    proc = mkdocs_build(out)
    assert proc.returncode == 0, f"mkdocs build failed:\n{proc.stdout}\n{proc.stderr}"
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@functools.cache
def _serve(directory: str) -> str:
    handler = functools.partial(_QuietHandler, directory=directory)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def serve_dir(directory: Path) -> str:
    """Serve a folder on a free loopback port for the rest of the session; return its base URL."""
    return _serve(str(directory))


@pytest.fixture(scope="session")
def site_url(built_site: Path) -> str:
    return serve_dir(built_site)


def chromium_missing_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright (Python) not installed"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = chromium_missing_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh browser context (empty storage) and page; requests outside loopback are recorded."""
    context = browser.new_context(locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
    pg = context.new_page()
    pg.outside_requests = []  # type: ignore[attr-defined]
    pg.on("request", lambda req: None if req.url.startswith(("http://127.0.0.1", "data:", "blob:", "file:", "about:"))
          else pg.outside_requests.append(req.url))  # type: ignore[attr-defined]
    yield pg
    context.close()


def pdftotext(pdf: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        if IN_CI:
            pytest.fail("pdftotext (poppler-utils) is required in CI")
        pytest.skip("pdftotext not installed")
    return subprocess.run([exe, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
