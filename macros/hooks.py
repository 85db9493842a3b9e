"""mkdocs hooks (``hooks:`` in mkdocs.yml): pages and navigation from data, edit links, tooltips, search.

Each hook is small and calls tested functions in `site` and `render`. Unknown input raises
`PluginError` so the build stops instead of publishing something half-right.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

# mkdocs loads this file by path; put the project root on sys.path so `macros` is the same package
# mkdocs-macros imports (one module, one shared build state).
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from macros import render, site  # noqa: E402

# Material 9.8's search worker splits a Chinese query into known words but never tries the whole
# rest of the query as one word (校长办公会议 is searched as 校长). The loop bound is off by one.
WORKER_BUG = "for(let o=s+1;o<t.length;o++)t.slice(s,o)in e"
WORKER_FIX = "for(let o=s+1;o<=t.length;o++)t.slice(s,o)in e"

NAV_PLACEHOLDERS = {"practices/index.md": "practices/", "plans/index.md": "plans/"}


def on_startup(command: str, dirty: bool) -> None:
    try:
        import jieba  # noqa: F401  (search segmentation needs it; without it Chinese search breaks)
    except ImportError as exc:  # pragma: no cover - jieba is a pinned dependency
        raise PluginError("jieba 未安装：中文搜索需要它（pip install jieba）") from exc


@event_priority(100)  # before mkdocs-macros' on_config, so the data is validated and loaded once per build
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    _stable_build_date(site.project_root(config))
    site.reset(config)
    state = site.state_for(config)
    import jieba

    jieba.setLogLevel(60)
    for word in site.search_words(state.dataset):
        jieba.add_word(word, freq=200000)
    config.extra["data_version"] = state.dataset.data_version
    config.nav = _expand_nav(config.nav, state)
    return config


def _stable_build_date(root: Path) -> None:
    """Reproducible builds: date pages (sitemap lastmod) by the commit, not the clock.

    mkdocs dates every page with $SOURCE_DATE_EPOCH when it is set, else with today's date. Unless
    the caller set it, use the time of the checkout's last commit; outside a git checkout keep mkdocs'
    default.
    """
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return
    if out.returncode == 0 and out.stdout.strip().isdigit():
        os.environ["SOURCE_DATE_EPOCH"] = out.stdout.strip()


def _expand_nav(nav: Any, state: site.BuildState) -> Any:
    """Replace each section's placeholder index page with the index plus its generated pages."""
    pages = site.generated_pages(state.dataset)
    if nav is None:
        return nav
    out = []
    for item in nav:
        if isinstance(item, dict):
            (title, value), = item.items()
            if isinstance(value, str) and value in NAV_PLACEHOLDERS:
                folder = NAV_PLACEHOLDERS[value]
                titles = site.nav_titles(state.dataset)
                children = [value] + [{titles[p]: p} if p in titles else p
                                      for p in sorted(pages, key=lambda p: (titles.get(p, p), p)) if p.startswith(folder)]
                out.append({title: children})
                continue
            if isinstance(value, list):
                out.append({title: _expand_nav(value, state)})
                continue
        out.append(item)
    return out


def on_files(files: Files, config: MkDocsConfig) -> Files:
    state = site.state_for(config)
    for src_path, (content, _data_files) in site.generated_pages(state.dataset).items():
        if files.get_file_from_path(src_path) is not None:
            raise PluginError(f"{src_path} 由数据生成，docs/ 里不应再有同名文件")
        files.append(File.generated(config, src_path, content=content))
    for extra in _extra_generated(state, config):
        files.append(extra)
    state.urls = {f.src_uri: f.url for f in files.documentation_pages()}
    return files


def _extra_generated(state: site.BuildState, config: MkDocsConfig) -> list[File]:
    from macros import checklist_pages

    return [File.generated(config, path, content=content)
            for path, content in checklist_pages.generated_files(state.dataset).items()]


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Point the page's edit link at the YAML file it is rendered from."""
    state = site.state_for(config)
    if os.environ.get("DZZLD_DUMP_MARKDOWN"):
        _dump_markdown(Path(os.environ["DZZLD_DUMP_MARKDOWN"]), markdown, page, config)
    generated = site.generated_pages(state.dataset).get(page.file.src_uri)
    data_files = generated[1] if generated else page.meta.get("data_files", [])
    if isinstance(data_files, str):
        data_files = [data_files]
    repo = config.extra.get("repository", site.DEFAULT_REPOSITORY).rstrip("/")
    if data_files:
        page.edit_url = f"{repo}/edit/main/{data_files[0]}"
        page.meta["data_links"] = [(f, f"{repo}/blob/main/{f}") for f in data_files]
    elif page.file.generated_by:
        page.edit_url = None
    return markdown


def _dump_markdown(folder: Path, markdown: str, page: Page, config: MkDocsConfig) -> None:
    """DZZLD_DUMP_MARKDOWN=<dir>: write each page as mkdocs-macros expanded it (the benchmark's baseline).

    Front matter is written back; stashed fragments are put back in, so the file is plain Markdown.
    """
    import yaml

    out = folder / page.file.src_uri
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = yaml.safe_dump(dict(page.meta), allow_unicode=True, sort_keys=False) if page.meta else ""
    text = site.unstash(config, markdown, keep=True)
    out.write_text(f"---\n{meta}---\n\n{text}" if meta else text, encoding="utf-8")


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Stashed fragments back in place, then glossary tooltips on every page's text."""
    html = site.unstash(config, html)
    if page.meta.get("tooltips") is False:
        return html
    state = site.state_for(config)
    return render.add_tooltips(html, state.terms, state.pattern)


def on_post_build(config: MkDocsConfig) -> None:
    workers = list((Path(config["site_dir"]) / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
    if not workers:
        raise PluginError("找不到 Material 的搜索 worker：无法修正中文查询切分")
    for worker in workers:
        text = worker.read_text(encoding="utf-8")
        if WORKER_FIX in text:
            continue
        if WORKER_BUG not in text:
            raise PluginError(f"{worker.name}：Material 搜索代码已变化，请重新检查中文查询切分补丁（macros/hooks.py）")
        worker.write_text(text.replace(WORKER_BUG, WORKER_FIX), encoding="utf-8")
        sourcemap = worker.with_name(worker.name + ".map")
        if sourcemap.exists():
            sourcemap.unlink()  # the map no longer matches the patched file
    _strip_sourcemap_refs(Path(config["site_dir"]))
    _stable_sitemap_gz(Path(config["site_dir"]))


def _strip_sourcemap_refs(site_dir: Path) -> None:
    for worker in (site_dir / "assets" / "javascripts" / "workers").glob("search.*.min.js"):
        text = worker.read_text(encoding="utf-8")
        worker.write_text(re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text), encoding="utf-8")


def _stable_sitemap_gz(site_dir: Path) -> None:
    """Rewrite sitemap.xml.gz with a zero gzip timestamp, so equal sitemaps give equal bytes."""
    xml, gz = site_dir / "sitemap.xml", site_dir / "sitemap.xml.gz"
    if not (xml.exists() and gz.exists()):
        return
    buf = io.BytesIO()
    with gzip.GzipFile(filename="sitemap.xml", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(xml.read_bytes())
    gz.write_bytes(buf.getvalue())
