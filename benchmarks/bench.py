"""Benchmarks (`make bench`): every figure measured in this run, against a baseline measured in the same run.

    python benchmarks/bench.py [--quick] [--json bench-results.json]

The machine is small and shared, so absolute seconds are noisy; where a baseline exists the figure
is reported as a ratio to it, and both are measured in the same run (interleaved where it matters).
Everything runs on a snapshot of the project copied to a temporary folder at the start, so edits
made while the benchmark runs do not mix into its numbers.

Figures (full mode sizes; --quick uses small sizes, one run each, and finishes in about a minute):

1. macro overhead: full `mkdocs build` vs a plain mkdocs-material build of the same pages with the
   macros already expanded (DZZLD_DUMP_MARKDOWN), without the macros and dzzld plugins; interleaved A B A B.
2. validation of the bundled data and of synthetic data 10x and 100x larger; per-record cost ratio.
3. site build with rosters of 0, 485 and 5,000 schools: seconds, bytes, search index bytes.
4. batch output (HTML + XLSX) for 485 schools, the same with a blank Word 自查表 per school (--docx),
   PDF rate on a sample, peak memory for 485 and 5,000.
5. page weight (gzip level 6 of every response) of the home page and the checklist page in Chromium.
6. search index size, and the time from navigation start to the first result for a Chinese query.
   Checklist page load on a cheap phone: 375 × 667, Chromium's CPU throttled 4× (CDP
   Emulation.setCPUThrottlingRate), 1.6 Mbps down / 750 kbps up / 150 ms round trips (CDP
   Network.emulateNetworkConditions), cold cache; navigation start → end of the load event, median of
   interleaved runs, against the home page loaded the same way. Served gzip-compressed as GitHub Pages
   serves it; the same figures without compression (a plain file server) are in the detail.
7. roll-up of 5,000 schools' synthetic answers.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import functools
import gzip
import http.server
import importlib.metadata
import io
import json
import os
import platform
import re
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this file is run as a script from the project, not installed
PROJECT_PARTS = ("data", "docs", "schemas", "overrides", "macros")
PROJECT_FILES = ("mkdocs.yml", "CONTRIBUTING.md", "pyproject.toml")
SEARCH_QUERY = "三重一大"
KB = 1024


@dataclass(frozen=True)
class Sizes:
    builds: int  # timed runs of each side in the macro-overhead comparison
    validation: tuple[int, ...]  # data-set multiples
    rosters: tuple[int, int, int]  # site builds
    batch: int  # HTML + XLSX
    memory: tuple[int, int]  # peak memory of HTML + XLSX
    pdf_sample: int
    pdf_projected: int
    rollup: int


FULL = Sizes(builds=3, validation=(1, 10, 100), rosters=(0, 485, 5000), batch=485, memory=(485, 5000), pdf_sample=16,
             pdf_projected=485, rollup=5000)
QUICK = Sizes(builds=1, validation=(1, 3), rosters=(0, 20, 60), batch=20, memory=(20, 60), pdf_sample=2,
              pdf_projected=485, rollup=500)

# Targets (full-size numbers; in --quick mode they are checked against the small sizes as they are).
TARGET_OVERHEAD = 1.25
TARGET_VALIDATE_S = 5.0
TARGET_LINEAR = 1.5
TARGET_ROSTER_S = 120.0
TARGET_PER_SCHOOL = 1.3
TARGET_BATCH_S = 60.0
TARGET_BATCH_DOCX_S = 10.0
TARGET_PDF_S = 300.0
TARGET_CHECKLIST_KB = 250.0
TARGET_INDEX_GZ_KB = 300.0
TARGET_ROLLUP_S = 10.0
TARGET_PHONE_LOAD_S = 2.5

SYNTHETIC_MAX_FILE_BYTES = 64 * 1024 * 1024  # the data-file bound during the validation step (see Bench.validation)
PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
PHONE_CPU_SLOWDOWN = 4
PHONE_NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}


@dataclass
class Figure:
    key: str
    label: str
    unit: str
    value: float | None = None
    baseline: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# Every figure the benchmark reports, in table order (the test checks the JSON has each of them).
FIGURE_KEYS = (
    "macro_overhead",
    "validate_small", "validate_mid", "validate_large", "validate_linearity",
    "roster_build_none", "roster_build_mid", "roster_build_large", "roster_search_index_growth", "roster_per_school",
    "batch_html_xlsx", "batch_html_xlsx_docx", "batch_pdf_rate", "batch_pdf_projected", "batch_memory_mid", "batch_memory_large",
    "page_weight_home", "page_weight_checklist",
    "search_index_raw", "search_index_gz", "search_first_results", "phone_load_checklist",
    "rollup_scored_small", "rollup_report_small", "rollup_scored_large", "rollup_report_large",
)


class Bench:
    def __init__(self, sizes: Sizes, work: Path, quick: bool, log: Callable[[str], None]):
        self.sizes, self.work, self.quick, self.log = sizes, work, quick, log
        self.figures: dict[str, Figure] = {}
        self.notes: list[str] = []
        self.project = work / "project"
        self.seeds = _seeds_dir()
        self.main_site: Path | None = None

    # ------------------------------------------------------------------------------------------
    # plumbing

    def add(self, fig: Figure) -> Figure:
        self.figures[fig.key] = fig
        return fig

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("DZZLD_DATA", "DZZLD_DUMP_MARKDOWN", "OFFLINE",
                                                               "DIRECTORY_URLS")}
        env["NO_MKDOCS_2_WARNING"] = "1"
        if self.seeds is not None:
            env["DZZLD_SEEDS"] = str(self.seeds)
        env.update(extra)
        return env

    def build(self, site_dir: Path, *, config: str = "mkdocs.yml", **env: str) -> Run:
        shutil.rmtree(site_dir, ignore_errors=True)
        cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(self.project / config),
               "-d", str(site_dir)]
        run = run_measured(cmd, cwd=self.project, env=self.env(**env), timeout=1800)
        if run.returncode != 0:
            raise RuntimeError(f"mkdocs build failed ({config}, {env}):\n{run.output[-3000:]}")
        return run

    # ------------------------------------------------------------------------------------------
    # 0. snapshot

    def snapshot(self) -> None:
        self.project.mkdir(parents=True)
        for name in PROJECT_PARTS:
            shutil.copytree(ROOT / name, self.project / name, ignore=shutil.ignore_patterns("__pycache__"))
        for name in PROJECT_FILES:
            if (ROOT / name).exists():
                shutil.copy2(ROOT / name, self.project / name)
        if self.seeds is None:
            self.notes.append("seed texts not found (../shared/seeds or $DZZLD_SEEDS): validation and builds skipped "
                              "the cited-line checks")

    # ------------------------------------------------------------------------------------------
    # 1. macro overhead

    def macro_overhead(self) -> None:
        fig = self.add(Figure("macro_overhead", "full build vs plain Material build of the expanded pages", "s",
                              target=f"≤ {TARGET_OVERHEAD}×"))
        dump = self.work / "expanded"
        warm = self.build(self.work / "site-dump", DZZLD_DUMP_MARKDOWN=str(dump))
        plain_docs = self.work / "plain-docs"
        shutil.copytree(self.project / "docs", plain_docs, ignore=shutil.ignore_patterns("*.md"))
        pages = 0
        for md in dump.rglob("*.md"):
            target = plain_docs / md.relative_to(dump)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(md, target)
            pages += 1
        (self.project / "mkdocs.plain.yml").write_text(plain_config(self.project, plain_docs), encoding="utf-8")
        full, plain = [], []
        if self.quick:  # the dump run is the one timed full build
            full.append(warm.seconds)
            self.main_site = self.work / "site-dump"
            plain.append(self.build(self.work / "site-plain", config="mkdocs.plain.yml").seconds)
        else:
            for i in range(self.sizes.builds):
                site = self.work / f"site-full-{i}"
                full.append(self.build(site).seconds)
                if i == 0:
                    self.main_site = site
                else:
                    shutil.rmtree(site, ignore_errors=True)
                plain.append(self.build(self.work / "site-plain", config="mkdocs.plain.yml").seconds)
        fig.value, fig.baseline = statistics.median(full), statistics.median(plain)
        fig.ratio = fig.value / fig.baseline
        fig.met = fig.ratio <= TARGET_OVERHEAD
        fig.detail = {"full_runs_s": full, "plain_runs_s": plain, "pages": pages,
                      "order": "interleaved full, plain, full, plain, …" if not self.quick else "one run each",
                      "note": "the plain build runs the expanded checklist HTML through Python-Markdown, "
                              "which the real build keeps out of it (site.stash)"}

    # ------------------------------------------------------------------------------------------
    # 2. validation

    def validation(self) -> None:
        from unittest import mock

        from macros import load
        from macros.validate import validate

        # The 100× checklist.yaml (6,300 items in one file) is over the 5 MB a data file may have; the
        # bound is lifted here only, so that the file is validated and timed rather than refused.
        with mock.patch.object(load, "MAX_FILE_BYTES", SYNTHETIC_MAX_FILE_BYTES):
            self._validation(validate)

    def _validation(self, validate: Callable[..., Any]) -> None:
        mults = self.sizes.validation
        keys = ("validate_small", "validate_mid", "validate_large") if len(mults) == 3 else \
            ("validate_small", "validate_large")
        dirs = {}
        for m in mults:
            d = self.work / f"data-x{m}"
            synthetic_data(self.project / "data", d, m)
            dirs[m] = d
        seeds = self.seeds or (self.work / "no-seeds")
        validate(self.project, data_dir=dirs[mults[0]], seeds_dir=seeds)  # warm-up: schemas compiled once
        results = {}
        first_problem: dict[int, str] = {}
        for m in mults:
            repeats = 1 if (self.quick or m >= 100) else 3
            times = []
            for _ in range(repeats):
                t = time.perf_counter()
                result = validate(self.project, data_dir=dirs[m], seeds_dir=seeds)
                times.append(time.perf_counter() - t)
            results[m] = (statistics.median(times), len(result.records), len(result.problems), result.seeds_checked,
                          sum(p.stat().st_size for p in dirs[m].rglob("*.yaml")))
            first_problem[m] = str(result.problems[0]) if result.problems else ""
            shutil.rmtree(dirs[m], ignore_errors=True)
        if len(mults) == 2:
            self.add(Figure("validate_mid", "validate (no middle size in --quick)", "s", target="—",
                            detail={"skipped": "quick mode measures two sizes"}))
        base_s, base_n = results[mults[0]][0], results[mults[0]][1]
        for key, m in zip(keys, mults, strict=True):
            s, n, problems, seeds_checked, size = results[m]
            fig = self.add(Figure(key, f"validate {m}× data ({n:,} records, {size / KB / KB:.1f} MB)", "s", value=s))
            if m != mults[0]:
                fig.baseline, fig.ratio = base_s, s / base_s
            if key == "validate_large":
                fig.target = f"≤ {TARGET_VALIDATE_S:g} s" + ("" if m == 100 else f" (at 100×; this is {m}×)")
                fig.met = s <= TARGET_VALIDATE_S
            fig.detail = {"multiple": m, "records": n, "problems": problems, "seeds_checked": seeds_checked,
                          "bytes": size}
            fig.detail["file_bound_bytes"] = SYNTHETIC_MAX_FILE_BYTES
            if problems:
                self.notes.append(f"synthetic {m}× data has {problems} validation problems (still timed): "
                                  f"{first_problem[m]}")
        big = mults[-1]
        per_big = results[big][0] / results[big][1]
        per_base = base_s / base_n
        lin = self.add(Figure("validate_linearity", f"per-record cost {big}× / 1×", "×", value=per_big / per_base,
                              target=f"≤ {TARGET_LINEAR}"))
        lin.baseline, lin.ratio = per_base * 1e3, per_big / per_base
        lin.met = lin.ratio <= TARGET_LINEAR
        lin.detail = {"ms_per_record": {f"{m}x": results[m][0] / results[m][1] * 1e3 for m in mults},
                      "baseline_unit": "ms per record at 1×"}
        if len(mults) == 3:
            mid = mults[1]
            marg_lo = (results[mid][0] - base_s) / (results[mid][1] - base_n)
            marg_hi = (results[big][0] - results[mid][0]) / (results[big][1] - results[mid][1])
            lin.detail["marginal_ms_per_record"] = {f"1x→{mid}x": marg_lo * 1e3, f"{mid}x→{big}x": marg_hi * 1e3}

    # ------------------------------------------------------------------------------------------
    # 3. roster scale

    def roster_scale(self) -> None:
        from macros.model import load_dataset

        ds = load_dataset(self.project, data_dir=self.project / "data")
        rows: dict[int, dict[str, Any]] = {}
        for n in self.sizes.rosters:
            data = self.work / f"data-roster-{n}"
            roster_data_dir(self.project / "data", data, ds, n)
            site = self.work / f"site-roster-{n}"
            run = self.build(site, DZZLD_DATA=str(data))
            index = site / "search" / "search_index.json"
            rows[n] = {"seconds": run.seconds, "site_bytes": tree_bytes(site), "index_bytes": index.stat().st_size,
                       "pages": sum(1 for _ in site.rglob("index.html")), "max_rss_mb": run.max_rss_mb}
            shutil.rmtree(site, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
            self.log(f"  roster {n}: {run.seconds:.1f} s")
        n0, n1, n2 = self.sizes.rosters
        keys = {n0: "roster_build_none", n1: "roster_build_mid", n2: "roster_build_large"}
        for n, key in keys.items():
            r = rows[n]
            fig = self.add(Figure(key, f"site build, {n:,}-school roster", "s", value=r["seconds"], detail=r))
            if n != n0:
                fig.baseline, fig.ratio = rows[n0]["seconds"], r["seconds"] / rows[n0]["seconds"]
            if key == "roster_build_large":
                fig.target = f"≤ {TARGET_ROSTER_S:g} s" + ("" if n == 5000 else " (at 5,000)")
                fig.met = r["seconds"] <= TARGET_ROSTER_S
        growth = max(r["index_bytes"] for r in rows.values()) - min(r["index_bytes"] for r in rows.values())
        self.add(Figure("roster_search_index_growth", "search index bytes added by the roster (max − min)", "B",
                        value=growth, baseline=rows[n0]["index_bytes"], target="0", met=growth == 0,
                        detail={f"{n}": rows[n]["index_bytes"] for n in rows}))
        m1 = (rows[n1]["seconds"] - rows[n0]["seconds"]) / max(n1 - n0, 1)
        m2 = (rows[n2]["seconds"] - rows[n1]["seconds"]) / max(n2 - n1, 1)
        per = self.add(Figure("roster_per_school", f"marginal s/school {n1:,}→{n2:,} vs {n0}→{n1:,}", "s/school",
                              value=m2, baseline=m1, target=f"ratio ≤ {TARGET_PER_SCHOOL}"))
        per.ratio = m2 / m1 if m1 > 0 else None
        per.met = per.ratio is not None and per.ratio <= TARGET_PER_SCHOOL
        per.detail = {"site_bytes_per_school": (rows[n2]["site_bytes"] - rows[n1]["site_bytes"]) / max(n2 - n1, 1)}

    # ------------------------------------------------------------------------------------------
    # 4. batch output

    def batch(self) -> None:
        from macros.model import load_dataset

        ds = load_dataset(self.project, data_dir=self.project / "data")
        sizes = sorted({self.sizes.batch, *self.sizes.memory})
        rosters = {n: write_roster_yaml(self.work / f"roster-{n}.yaml", ds, n) for n in sizes}
        measured: dict[int, Run] = {}
        for n in sizes:
            out = self.work / f"batch-{n}"
            cmd = [sys.executable, "-m", "macros", "--root", str(self.project), "checklists", "--roster",
                   str(rosters[n]), "--out", str(out), "--quiet"]
            run = run_measured(cmd, cwd=self.project, env=self.env(), timeout=3600)
            if run.returncode != 0:
                raise RuntimeError(f"checklists for {n} schools failed:\n{run.output[-3000:]}")
            measured[n] = run
            files = sum(1 for _ in (out / "html").glob("*.html"))
            run.extra = {"html_files": files, "xlsx_bytes": (out / "district-checklists.xlsx").stat().st_size,
                         "out_bytes": tree_bytes(out)}
            shutil.rmtree(out, ignore_errors=True)
            self.log(f"  batch {n}: {run.seconds:.1f} s, peak {run.max_rss_mb:.0f} MB")
        n = self.sizes.batch
        r = measured[n]
        self.add(Figure("batch_html_xlsx", f"batch HTML + XLSX, {n:,} schools", "s", value=r.seconds,
                        target=f"≤ {TARGET_BATCH_S:g} s" + ("" if n == 485 else " (at 485)"),
                        met=r.seconds <= TARGET_BATCH_S, detail={"schools": n, "cpu_seconds": r.cpu_seconds, **r.extra}))
        self.batch_docx(rosters[n], n, r)
        lo, hi = self.sizes.memory
        for key, m in (("batch_memory_mid", lo), ("batch_memory_large", hi)):
            run = measured[m]
            self.add(Figure(key, f"peak memory, batch HTML + XLSX, {m:,} schools", "MB", value=run.max_rss_mb,
                            baseline=measured[lo].max_rss_mb if m != lo else None,
                            ratio=run.max_rss_mb / measured[lo].max_rss_mb if m != lo else None,
                            target="completes (no out-of-memory)", met=run.returncode == 0,
                            detail={"schools": m, "seconds": run.seconds, **run.extra}))
        self.pdf(ds, measured[n].seconds)

    def batch_docx(self, roster: Path, n: int, html_xlsx: Run) -> None:
        """The district's full batch: HTML + XLSX + a blank, editable 自查表.docx per school (checklists --docx)."""
        out = self.work / f"batch-docx-{n}"
        cmd = [sys.executable, "-m", "macros", "--root", str(self.project), "checklists", "--roster", str(roster),
               "--out", str(out), "--quiet", "--docx"]
        run = run_measured(cmd, cwd=self.project, env=self.env(), timeout=3600)
        if run.returncode != 0:
            raise RuntimeError(f"checklists --docx for {n} schools failed:\n{run.output[-3000:]}")
        docs = list((out / "docx").glob("*.docx"))
        detail = {"schools": n, "docx_files": len(docs), "docx_bytes": sum(p.stat().st_size for p in docs),
                  "cpu_seconds": run.cpu_seconds, "html_xlsx_cpu_seconds": html_xlsx.cpu_seconds}
        shutil.rmtree(out, ignore_errors=True)
        self.log(f"  batch {n} with docx: {run.seconds:.1f} s (cpu {run.cpu_seconds:.1f} s)")
        self.add(Figure("batch_html_xlsx_docx", f"batch HTML + XLSX + DOCX, {n:,} schools", "s", value=run.seconds,
                        baseline=html_xlsx.seconds, ratio=run.seconds / html_xlsx.seconds if html_xlsx.seconds else None,
                        target=f"≤ {TARGET_BATCH_DOCX_S:g} s" + ("" if n == 485 else " (at 485)"),
                        met=run.seconds <= TARGET_BATCH_DOCX_S, detail=detail))

    def pdf(self, ds: Any, html_xlsx_seconds: float) -> None:
        """PDF rate on a sample: one Chromium printing serially (baseline) vs the batch's pool (PdfPool)."""
        from macros import batch, pdf
        from macros.checklist import select
        from macros.rollup.synthetic import synthetic_roster

        n = self.sizes.pdf_sample
        out = self.work / "pdf-sample"
        out.mkdir()
        jobs = []
        for row in synthetic_roster(ds, n, seed=7):
            html = out / f"{batch.file_stem(row.profile)}.html"
            html.write_text(batch.standalone_html(ds, row.profile, select(ds, row.profile), build="bench"),
                            encoding="utf-8")
            jobs.append((html, f"{row.profile.name} · bench"))
        # serial: one browser, one page, as batch printed before PdfPool
        t = time.perf_counter()
        printer = pdf.PdfPrinter()
        serial_start = time.perf_counter() - t
        t = time.perf_counter()
        try:
            for html, footer in jobs:
                printer.print(html, html.with_suffix(".serial.pdf"), footer)
        finally:
            printer.close()
        serial = (time.perf_counter() - t) / n
        # the batch's pool
        t = time.perf_counter()
        pool = pdf.PdfPool()
        pool_start = time.perf_counter() - t
        t = time.perf_counter()
        try:
            for html, footer in jobs:
                pool.submit(html, html.with_suffix(".pdf"), footer)
        finally:
            pool.close()
        rate = (time.perf_counter() - t) / n
        pdf_bytes = sum(p.stat().st_size for p in out.glob("*.pdf")) / (2 * n)
        shutil.rmtree(out, ignore_errors=True)
        projected = html_xlsx_seconds + pool_start + self.sizes.pdf_projected * rate
        self.add(Figure("batch_pdf_rate", f"PDF per school, {pool.workers} Chromiums vs 1 (sample of {n})",
                        "s/school", value=rate, baseline=serial, ratio=rate / serial,
                        detail={"workers": pool.workers, "pool_start_s": pool_start, "serial_start_s": serial_start,
                                "pdf_bytes_mean": pdf_bytes}))
        self.add(Figure("batch_pdf_projected", f"batch with PDF, {self.sizes.pdf_projected} schools (projected)", "s",
                        value=projected, baseline=html_xlsx_seconds + serial_start + self.sizes.pdf_projected * serial,
                        target=f"≤ {TARGET_PDF_S:g} s", met=projected <= TARGET_PDF_S,
                        detail={"formula": "HTML+XLSX time + Chromium start + schools × PDF rate",
                                "html_xlsx_s": html_xlsx_seconds, "baseline_is": "the same with one Chromium"}))
        projected_fig = self.figures["batch_pdf_projected"]
        projected_fig.ratio = projected_fig.value / projected_fig.baseline

    # ------------------------------------------------------------------------------------------
    # 5 and 6. in the browser

    def browser(self) -> None:
        if self.main_site is None:  # the roster step did not run or failed: build the bundled site here
            self.main_site = self.work / "site-browser"
            self.build(self.main_site)
        index = self.main_site / "search" / "search_index.json"
        raw = index.read_bytes()
        gz = gzip.compress(raw, compresslevel=6)
        self.add(Figure("search_index_raw", "search_index.json (raw)", "KB", value=len(raw) / KB,
                        detail={"bytes": len(raw), "docs": len(json.loads(raw)["docs"])}))
        self.add(Figure("search_index_gz", "search_index.json (gzip 6)", "KB", value=len(gz) / KB,
                        target=f"≤ {TARGET_INDEX_GZ_KB:g} KB", met=len(gz) / KB <= TARGET_INDEX_GZ_KB,
                        detail={"bytes": len(gz)}))
        chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
        if not Path(chromium).exists():
            raise RuntimeError(f"{chromium} not found: page weight and search timing need Chromium")
        from playwright.sync_api import sync_playwright

        from macros.pdf import CHROMIUM_ARGS

        base = serve(self.main_site)
        base_gz = serve(self.main_site, compress=True)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                for key, path, target in (("page_weight_home", "/", None),
                                          ("page_weight_checklist", "/checklist/", TARGET_CHECKLIST_KB)):
                    w = page_weight(browser, base + path)
                    fig = self.add(Figure(key, f"page weight {path} (gzip 6, all responses)", "KB",
                                          value=w["gzip_bytes"] / KB, detail=w))
                    if target is not None:
                        fig.target, fig.met = f"≤ {target:g} KB", fig.value <= target
                timing = search_timing(browser, base, SEARCH_QUERY)
                runs = 1 if self.quick else 5
                phone = {"gzip": phone_loads(browser, base_gz, runs), "identity": phone_loads(browser, base, runs)}
            finally:
                browser.close()
        gz = phone["gzip"]
        fig = self.add(Figure("phone_load_checklist", "checklist page load, phone: 4× CPU, 1.6 Mbps, 150 ms RTT (gzip)",
                              "s", value=gz["/checklist/"]["load_s"], baseline=gz["/"]["load_s"],
                              target=f"≤ {TARGET_PHONE_LOAD_S:g} s", met=gz["/checklist/"]["load_s"] <= TARGET_PHONE_LOAD_S,
                              detail={**phone, "baseline_is": "home page, loaded the same way, interleaved",
                                      "runs": runs, "cpu_slowdown": PHONE_CPU_SLOWDOWN, "network": PHONE_NETWORK,
                                      "viewport": PHONE["viewport"]}))
        fig.ratio = fig.value / fig.baseline if fig.baseline else None
        fig = self.add(Figure("search_first_results", f"navigation start → first result for “{SEARCH_QUERY}”", "ms",
                              value=timing["first_result_ms"], baseline=timing["load_ms"], detail=timing))
        fig.ratio = fig.value / fig.baseline if fig.baseline else None
        fig.detail["baseline_is"] = "navigation start → load event, same page load"

    # ------------------------------------------------------------------------------------------
    # 7. roll-up

    def rollup(self) -> None:
        """Roll-up with scoring at 485 schools and at the full size; the same counting without any
        scoring profile is the same-run baseline; then the whole report (HTML + XLSX) at each size."""
        import dataclasses

        from macros.model import load_dataset
        from macros.rollup.aggregate import aggregate
        from macros.rollup.report_html import ReportMeta, render_html
        from macros.rollup.report_xlsx import write_xlsx
        from macros.rollup.synthetic import synthetic_roster, synthetic_submissions
        from macros.roster import value_aliases

        ds = load_dataset(self.project, data_dir=self.project / "data")
        unscored = dataclasses.replace(ds, profiles=())
        aliases = value_aliases(ds, self.project)["district"]
        for size, n in (("small", min(485, self.sizes.rollup)), ("large", self.sizes.rollup)):
            roster = synthetic_roster(ds, n, seed=11)
            subs = synthetic_submissions(ds, roster, seed=11)
            scored, plain = [], []
            for _ in range(1 if self.quick else 3):  # interleaved: both sides see the same machine load
                t = time.perf_counter()
                result = aggregate(ds, roster, subs, aliases)
                scored.append(time.perf_counter() - t)
                t = time.perf_counter()
                aggregate(unscored, roster, subs, aliases)
                plain.append(time.perf_counter() - t)
            value, base = statistics.median(scored), statistics.median(plain)
            full = n == self.sizes.rollup
            self.add(Figure(f"rollup_scored_{size}", f"roll-up aggregate with scoring, {n:,} schools", "s", value=value,
                            baseline=base, ratio=value / base if base else None,
                            target=(f"≤ {TARGET_ROLLUP_S:g} s" + ("" if n == 5000 else " (at 5,000)")) if full else "",
                            met=value <= TARGET_ROLLUP_S if full else None,
                            detail={"runs_s": scored, "baseline_is": "the same counting with no scoring profile",
                                    "submissions": len(subs), "scored_schools": len(result.scored),
                                    "problems": len(result.problems)}))
            meta = ReportMeta("基准", "roster", "answers", "2026-01-01 00:00", "bench")
            t = time.perf_counter()
            html = render_html(ds, result, meta)
            write_xlsx(ds, result, meta, self.work / f"rollup-{size}.xlsx")
            report = time.perf_counter() - t
            self.add(Figure(f"rollup_report_{size}", f"roll-up report HTML + XLSX with scores, {n:,} schools", "s",
                            value=report, detail={"html_bytes": len(html.encode()),
                                                  "xlsx_bytes": (self.work / f"rollup-{size}.xlsx").stat().st_size}))


# ----------------------------------------------------------------------------------------------
# helpers


@dataclass
class Run:
    seconds: float
    returncode: int
    max_rss_mb: float
    output: str
    extra: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float = float("nan")  # user + system time of the command and its children


# Runs the command and reports its wall time and peak memory. A separate small launcher, because a
# child's ru_maxrss starts from its parent's resident size at fork (Linux keeps the pre-exec
# high-water mark), and the benchmark process itself grows to hundreds of MB.
_LAUNCHER = """
import json, os, subprocess, sys, time
t = time.perf_counter()
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
seconds = time.perf_counter() - t
with open(sys.argv[1], "w") as f:
    json.dump({"seconds": seconds, "returncode": os.waitstatus_to_exitcode(status), "max_rss_kb": usage.ru_maxrss,
               "cpu": usage.ru_utime + usage.ru_stime}, f)
"""


def run_measured(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: float) -> Run:
    """Run a command; its wall time and peak resident memory (ru_maxrss of the command, children included)."""
    with tempfile.TemporaryDirectory() as tmp:
        result, log = Path(tmp) / "result.json", Path(tmp) / "output.txt"
        with log.open("wb") as out:
            proc = subprocess.run([sys.executable, "-c", _LAUNCHER, str(result), *cmd], cwd=cwd, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=timeout, check=False)
        text = log.read_text(encoding="utf-8", errors="replace")
        if not result.exists():
            return Run(float("nan"), proc.returncode or 1, float("nan"), text)
        r = json.loads(result.read_text(encoding="utf-8"))
    return Run(r["seconds"], r["returncode"], r["max_rss_kb"] / 1024, text, cpu_seconds=r.get("cpu", float("nan")))


def _seeds_dir() -> Path | None:
    from macros.validate import default_seeds_dir

    d = default_seeds_dir(ROOT)
    return d.resolve() if d.is_dir() else None


def tree_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def plain_config(project: Path, docs: Path) -> str:
    """mkdocs.plain.yml: the site's config minus the macros and dzzld plugins, over the expanded pages.

    mkdocs.yml is read with mkdocs' own YAML loader (it resolves !ENV and the python tags itself).
    """
    from mkdocs.utils.yaml import get_yaml_loader, yaml_load

    from macros.model import load_dataset
    from macros.site import expand_nav

    loader = get_yaml_loader()  # !relative needs a loaded config; the plain config inherits those values anyway
    loader.add_constructor("!relative", lambda _loader, _node: None)
    with open(project / "mkdocs.yml", encoding="utf-8") as f:
        raw = yaml_load(f, loader=loader)
    ours = ("macros", "dzzld")
    plugins = [p for p in raw.get("plugins", []) if not (p in ours or (isinstance(p, dict) and set(p) & set(ours)))]
    ds = load_dataset(project, data_dir=project / "data")
    nav = expand_nav(copy.deepcopy(raw.get("nav")), ds)
    derived = {"INHERIT": "mkdocs.yml", "docs_dir": str(docs), "plugins": plugins, "nav": nav}
    return yaml.safe_dump(derived, allow_unicode=True, sort_keys=False)


# ---- synthetic data --------------------------------------------------------------------------

_ID = re.compile(r"(?<![A-Za-z0-9-])([A-Z]{2,3}-[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![A-Za-z0-9-])")
_SCHEMA_LINE = "# yaml-language-server: $schema="


def _suffix_ids(value: Any, ids: set[str], suffix: str) -> Any:
    if isinstance(value, str):
        return _ID.sub(lambda m: m.group(1) + suffix if m.group(1) in ids else m.group(1), value)
    if isinstance(value, list):
        return [_suffix_ids(v, ids, suffix) for v in value]
    if isinstance(value, dict):
        return {k: _suffix_ids(v, ids, suffix) for k, v in value.items()}
    return value


def _dump(path: Path, schema_line: str, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_line + "\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000),
                    encoding="utf-8")


def synthetic_data(src: Path, dst: Path, multiple: int) -> None:
    """`multiple` copies of every record, IDs suffixed -X<n> in copy n (references follow, so they stay valid).

    Names that must be unique (school names, district names and slugs, glossary terms) get the copy
    number too. Copy 0 is the bundled data unchanged; meta.yaml is not multiplied.
    """
    from macros.load import load_file

    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    if multiple <= 1:
        return
    files = sorted(p for p in src.rglob("*.yaml"))
    loaded = {p: load_file(p, p.name) for p in files}
    ids: set[str] = set()
    for f in loaded.values():
        ids.update(m.group(1) for m in _ID.finditer(f.text))
    for p, f in loaded.items():
        rel = p.relative_to(src)
        schema_line = f.text.split("\n", 1)[0]
        if not schema_line.startswith(_SCHEMA_LINE) or rel.name == "meta.yaml":
            continue
        data = f.data
        if rel.parts[0] == "practices":  # one district per file: whole new files
            for n in range(1, multiple):
                copy_ = _suffix_ids(data, ids, f"-X{n}")
                d = copy_["district"]
                d["name"] = f"{d['name']}{n}"
                if d.get("short"):
                    d["short"] = f"{d['short']}{n}"
                if d.get("slug"):
                    d["slug"] = f"{d['slug']}-x{n}"
                _dump(dst / "practices" / f"{p.stem}-x{n}.yaml", schema_line, copy_)
            continue
        out = dict(data)
        for key, value in data.items():
            if not isinstance(value, list):
                continue
            grown = list(value)
            for n in range(1, multiple):
                for rec in value:
                    new = _suffix_ids(rec, ids, f"-X{n}")
                    if isinstance(new, dict):
                        if key == "schools":
                            new["name"] = f"{new['name']}{n}"
                        if key == "glossary":
                            new["term"] = f"{new['term']}{n}"
                            new["aliases"] = [f"{a}{n}" for a in new.get("aliases", [])]
                            new.pop("search_terms", None)
                    grown.append(new)
            out[key] = grown
        _dump(dst / rel, schema_line, out)


def roster_data_dir(src: Path, dst: Path, ds: Any, n: int) -> None:
    """A copy of data/ whose roster is `n` synthetic schools (none when n is 0), 500 per file."""
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst)
    for p in (dst / "schools").glob("*.yaml"):
        p.unlink()
    schools = roster_records(ds, n)
    for k in range(0, n, 500):
        _dump(dst / "schools" / f"synthetic-{k // 500 + 1:02d}.yaml", _SCHEMA_LINE + "../../schemas/roster.schema.json",
              {"schools": schools[k:k + 500]})


def roster_records(ds: Any, n: int) -> list[dict[str, Any]]:
    from macros.rollup.synthetic import synthetic_roster

    return [{"id": r.profile.school_id, "name": r.profile.name, "district": r.profile.district,
             "org_type": r.profile.org_type, "mode": r.profile.mode, "stage": r.profile.stage,
             "ownership": r.profile.ownership, "fictional": True} for r in synthetic_roster(ds, n, seed=1)]


def write_roster_yaml(path: Path, ds: Any, n: int) -> Path:
    _dump(path, _SCHEMA_LINE + "../schemas/roster.schema.json", {"schools": roster_records(ds, n)})
    return path


# ---- browser ---------------------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _Gzip(_Quiet):
    """Compresses text responses when the browser accepts gzip, as GitHub Pages does."""

    TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()  # the plain handler redirects /dir to /dir/
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        if "gzip" not in self.headers.get("Accept-Encoding", "") or not path.is_file() or not ctype.startswith(self.TYPES):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve(folder: Path, *, compress: bool = False) -> str:
    handler = functools.partial(_Gzip if compress else _Quiet, directory=str(folder))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def page_weight(browser: Any, url: str) -> dict[str, Any]:
    """Every response while the page loads and settles (the search worker's index included), gzip 6."""
    context = browser.new_context(locale="zh-CN")
    responses: list[Any] = []
    context.on("response", lambda r: responses.append(r))
    page = context.new_page()
    try:
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(500)
        items = []
        for r in responses:
            try:
                body = r.body()
            except Exception:  # noqa: BLE001  (redirects and aborted requests have no body)
                continue
            items.append((r.url.split("?")[0], len(body), len(gzip.compress(body, compresslevel=6))))
    finally:
        context.close()
    items.sort(key=lambda i: -i[2])
    return {"url": url, "responses": len(items), "raw_bytes": sum(i[1] for i in items),
            "gzip_bytes": sum(i[2] for i in items),
            "largest": [{"url": u.rsplit("/", 2)[-2] + "/" + u.rsplit("/", 1)[-1], "raw": r, "gzip": g}
                        for u, r, g in items[:6]]}


_FIRST_RESULT_JS = """
(() => {
  const seen = () => {
    if (window.__dzFirstResult !== undefined) return;
    const item = document.querySelector('.md-search-result__item');
    if (item && item.getClientRects().length) window.__dzFirstResult = performance.now();
  };
  new MutationObserver(seen).observe(document, {subtree: true, childList: true, attributes: true});
})();
"""


def search_timing(browser: Any, base: str, query: str) -> dict[str, Any]:
    """navigationStart → first visible search result, with the query in the URL (?q=, as a shared link)."""
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    try:
        page.add_init_script(_FIRST_RESULT_JS)
        page.goto(f"{base}/?q={query}", wait_until="commit")
        page.wait_for_function("window.__dzFirstResult !== undefined", timeout=60_000)
        first = page.evaluate("window.__dzFirstResult")
        page.wait_for_load_state("load")
        nav = page.evaluate("(() => { const n = performance.getEntriesByType('navigation')[0];"
                            " return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd}; })()")
        results = page.locator(".md-search-result__item").count()
    finally:
        context.close()
    return {"first_result_ms": first, "load_ms": nav["load"], "dom_content_loaded_ms": nav["dcl"],
            "results_shown": results, "query": query}


def phone_loads(browser: Any, base: str, runs: int) -> dict[str, Any]:
    """Cold loads of the home page and the checklist page on an emulated cheap phone, interleaved.

    Per page: the median time from navigation start to the end of the load event, DOMContentLoaded,
    first contentful paint, and how much DOM and page height the browser had to handle."""
    paths = ("/", "/checklist/")
    samples: dict[str, list[dict[str, float]]] = {p: [] for p in paths}
    for _ in range(runs):
        for path in paths:
            context = browser.new_context(locale="zh-CN", **PHONE)
            page = context.new_page()
            try:
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
                cdp.send("Network.emulateNetworkConditions", PHONE_NETWORK)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": PHONE_CPU_SLOWDOWN})
                page.goto(base + path, wait_until="load", timeout=180_000)
                page.wait_for_function("performance.getEntriesByType('navigation')[0].loadEventEnd > 0")
                samples[path].append(page.evaluate(_PHONE_JS))
            finally:
                context.close()
    out: dict[str, Any] = {}
    for path, runs_ in samples.items():
        out[path] = {"load_s": statistics.median(r["load"] for r in runs_) / 1000,
                     "dom_content_loaded_s": statistics.median(r["dcl"] for r in runs_) / 1000,
                     "first_contentful_paint_s": statistics.median(r["fcp"] for r in runs_) / 1000,
                     "elements": runs_[-1]["elements"], "height_px": runs_[-1]["height"],
                     "transferred_bytes": runs_[-1]["bytes"], "runs_load_s": [r["load"] / 1000 for r in runs_]}
    return out


_PHONE_JS = """(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const bytes = performance.getEntriesByType('resource').reduce((s, r) => s + (r.transferSize || 0), n.transferSize || 0);
  return {load: n.loadEventEnd, dcl: n.domContentLoadedEventEnd, fcp: fcp ? fcp.startTime : n.loadEventEnd,
          elements: document.getElementsByTagName('*').length, height: document.scrollingElement.scrollHeight, bytes};
})()"""


# ---- machine and report ----------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break

    def version(dist: str) -> str:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    return {
        "nproc": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)), "cpu_model": model,
        "memory_mb": _mem_total_mb(), "platform": platform.platform(), "python": platform.python_version(),
        "mkdocs": version("mkdocs"), "mkdocs-material": version("mkdocs-material"),
        "mkdocs-macros-plugin": version("mkdocs-macros-plugin"), "playwright": version("playwright"),
        "git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def _mem_total_mb() -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    return None


def _fmt(v: Any, unit: str = "") -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        text = f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
    else:
        text = f"{v:,}" if isinstance(v, int) else str(v)
    return f"{text} {unit}".strip()


def table(figures: list[Figure]) -> str:
    head = ("figure", "value", "baseline", "ratio", "target", "met?")
    rows = [(f.label, _fmt(f.value, f.unit), _fmt(f.baseline, f.unit if f.key != "validate_linearity" else "ms"),
             _fmt(f.ratio, "×" if f.ratio is not None else ""), f.target or "—",
             {True: "yes", False: "NO", None: "—"}[f.met]) for f in figures]
    widths = [max(_width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [" | ".join(_pad(c, w) for c, w in zip(head, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


@contextlib.contextmanager
def _workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dzzld-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("macro_overhead", ("macro_overhead",)),
    ("validation", ("validate_small", "validate_mid", "validate_large", "validate_linearity")),
    ("roster_scale", ("roster_build_none", "roster_build_mid", "roster_build_large", "roster_search_index_growth",
                      "roster_per_school")),
    ("batch", ("batch_html_xlsx", "batch_html_xlsx_docx", "batch_memory_mid", "batch_memory_large", "batch_pdf_rate", "batch_pdf_projected")),
    ("browser", ("search_index_raw", "search_index_gz", "page_weight_home", "page_weight_checklist",
                 "search_first_results", "phone_load_checklist")),
    ("rollup", ("rollup_scored_small", "rollup_report_small", "rollup_scored_large", "rollup_report_large")),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each (about a minute)")
    parser.add_argument("--json", default="bench-results.json", help="where to write the results (JSON)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    args = parser.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.time()
    info = machine_info()
    info["load_average_start"] = list(os.getloadavg())
    sizes = QUICK if args.quick else FULL
    errors: dict[str, str] = {}
    with _workdir(args.keep) as work:
        bench = Bench(sizes, work, args.quick, log)
        bench.snapshot()
        log(f"benchmark ({'quick' if args.quick else 'full'}) in {work}")
        for step, keys in STEPS:
            log(f"- {step}")
            t = time.perf_counter()
            try:
                getattr(bench, step)()
            except Exception as exc:  # noqa: BLE001  (one failed step must not lose the others' figures)
                errors[step] = f"{type(exc).__name__}: {exc}"
                log(f"  FAILED: {errors[step][:2000]}")
            for key in keys:
                if key not in bench.figures:
                    bench.add(Figure(key, key.replace("_", " "), "", target="—", met=False,
                                     detail={"error": errors.get(step, "not measured")}))
            log(f"  {time.perf_counter() - t:.1f} s")
    info["load_average_end"] = list(os.getloadavg())
    figures = [bench.figures[k] for k in FIGURE_KEYS]
    report = {
        "mode": "quick" if args.quick else "full", "sizes": asdict(sizes),
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(time.time() - started, 1), "machine": info,
        "figures": {f.key: asdict(f) for f in figures}, "notes": bench.notes, "errors": errors,
    }
    Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {info['nproc']} × {info['cpu_model']}, {info['memory_mb']} MB; Python {info['python']}, "
          f"mkdocs {info['mkdocs']}, material {info['mkdocs-material']}; commit {info['git_commit'][:12]}"
          f"{' (dirty)' if info['git_dirty'] else ''}")
    print(f"load average: start {' '.join(f'{x:.2f}' for x in info['load_average_start'])}, "
          f"end {' '.join(f'{x:.2f}' for x in info['load_average_end'])}; {report['seconds']:.0f} s in all")
    print(table(figures))
    for note in bench.notes:
        print(f"note: {note}")
    for step, err in errors.items():
        print(f"error in {step}: {err.splitlines()[0]}")
    print(f"results written to {args.json}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
