"""Printing HTML files to A4 PDFs with headless Chromium (Playwright), one or two browsers at once.

Chromium is Debian's (`/usr/bin/chromium`, or $CHROMIUM); Playwright never downloads a browser.
While printing, every request that is not a local file is refused.
"""

from __future__ import annotations

import html
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


class PdfPrinter:
    """Prints HTML files to A4 PDFs with one headless Chromium (Playwright) for the whole run."""

    def __init__(self) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先 apt-get install chromium，或不加 --pdf")
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self._browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        self._context = self._browser.new_context()
        # Never fetch anything from outside while printing.
        self._context.route("**/*", lambda route: route.abort() if not route.request.url.startswith(("file:", "data:"))
                            else route.continue_())
        self._page = self._context.new_page()

    def print(self, html_file: Path, pdf_file: Path, footer: str) -> None:
        self._page.goto(html_file.resolve().as_uri())
        self._page.pdf(path=str(pdf_file), format="A4", print_background=True, display_header_footer=True,
                       header_template="<span></span>",
                       footer_template=('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
                                        f'{html.escape(footer, quote=True)} · 第 <span class="pageNumber"></span> 页，'
                                        '共 <span class="totalPages"></span> 页</div>'),
                       margin={"top": "12mm", "bottom": "16mm", "left": "10mm", "right": "10mm"})

    def close(self) -> None:
        self._context.close()
        self._browser.close()
        self._pw.stop()


def pdf_workers() -> int:
    """How many Chromiums print at once: $DZZLD_PDF_WORKERS, else one per CPU, at most two."""
    env = os.environ.get("DZZLD_PDF_WORKERS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))


class PdfPool:
    """Prints on `workers` headless Chromiums at once, each driven from its own thread.

    Printing is Chromium's work, not Python's: one browser keeps about one core busy, and two pages in
    one browser print no faster than one, so on a machine with two cores two browsers print a
    district's PDFs in roughly half the time. Each thread has its own Playwright and browser (the
    sync API must not be shared between threads). `close` waits for every queued PDF and re-raises
    the first error.
    """

    def __init__(self, workers: int | None = None) -> None:
        if not Path(CHROMIUM).exists():
            raise RuntimeError(f"找不到 Chromium（{CHROMIUM}）：请先 apt-get install chromium，或不加 --pdf")
        self.workers = workers or pdf_workers()
        self._jobs: queue.Queue[tuple[Path, Path, str, Callable[[], None]] | None] = queue.Queue(self.workers * 2)
        self._errors: list[BaseException] = []
        self._lock = threading.Lock()
        self.printed = 0
        started = [threading.Event() for _ in range(self.workers)]
        self._threads = [threading.Thread(target=self._work, args=(ev,), daemon=True) for ev in started]
        for t in self._threads:
            t.start()
        for ev in started:
            ev.wait()
        if self._errors:
            self.close()

    def _work(self, started: threading.Event) -> None:
        try:
            printer = PdfPrinter()
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            with self._lock:
                self._errors.append(exc)
            started.set()
            printer = None
        else:
            started.set()
        try:
            while (job := self._jobs.get()) is not None:
                if printer is None or self._errors:
                    continue  # keep draining so submit() never blocks; the error is raised by close()
                html_file, pdf_file, footer, done = job
                try:
                    printer.print(html_file, pdf_file, footer)
                    done()
                    with self._lock:
                        self.printed += 1
                except BaseException as exc:  # noqa: BLE001
                    with self._lock:
                        self._errors.append(exc)
        finally:
            if printer is not None:
                printer.close()

    def submit(self, html_file: Path, pdf_file: Path, footer: str, done: Callable[[], None] = lambda: None) -> None:
        """Queue one PDF; `done` runs in the printing thread once it is written."""
        if self._errors:
            self.close()
        self._jobs.put((html_file, pdf_file, footer, done))

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for t in self._threads:
            t.join()
        self._threads = []
        if self._errors:
            error = self._errors[0]
            self._errors = []
            raise error
