"""The project's mkdocs plugin (`plugins: - dzzld`): one object owns everything a build needs.

Like mkdocs-material's own plugins, the plugin instance holds the build's state — the validated
dataset, page URLs, glossary tooltips, stashed HTML fragments, the cache of roster school pages,
the jieba word list — and each `mkdocs serve` rebuild starts it afresh in `on_config`. Nothing is
kept in module globals, no environment variable is written and `sys.path` is left alone.

A data problem stops the build at configuration time, before anything is written, with the
validator's messages printed once.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from . import site
from .model import DataError, Dataset, load_dataset
from .render import Linker
from .tooltips import add_tooltips, term_pattern

# Material 9.8's search worker splits a Chinese query into known words but never tries the whole
# rest of the query as one word (校长办公会议 is searched as 校长). The loop bound is off by one.
WORKER_BUG = "for(let o=s+1;o<t.length;o++)t.slice(s,o)in e"
WORKER_FIX = "for(let o=s+1;o<=t.length;o++)t.slice(s,o)in e"

STASH_TAG = '<div class="dz-stash" data-key="{key}"></div>'
_STASH_RE = re.compile(STASH_TAG.format(key="([0-9]+)"))
DEFAULT_REPOSITORY = "https://github.com/dzzld/dzzld-kb"


@dataclass
class BuildState:
    """One build's data and derived tables."""

    root: Path
    dataset: Dataset
    build_date: str  # YYYY-MM-DD for the sitemap: the last commit's date, or mkdocs' own
    urls: dict[str, str] = field(default_factory=dict)  # docs src path -> URL
    terms: dict[str, str] = field(default_factory=dict)  # glossary word -> tooltip text
    pattern: Any = None
    stash_fragments: dict[str, str] = field(default_factory=dict)  # placeholder key -> HTML
    stashed: int = 0
    caches: dict[str, Any] = field(default_factory=dict)  # per-build caches of other modules, by name

    def linker(self, page_url: str) -> Linker:
        return Linker(page_url, self.urls, self.dataset)

    def stash(self, fragment: str) -> Markup:
        """Keep a large, finished HTML fragment away from Markdown: return a one-line placeholder block.

        Python-Markdown re-parses every raw HTML block tag by tag (md_in_html); for the ~2,000-tag
        checklist on each roster school's page that was most of the build time. `unstash`
        (on_page_content) puts the fragment back verbatim, before the glossary tooltips run.
        """
        key = str(self.stashed)
        self.stashed += 1
        self.stash_fragments[key] = str(fragment)
        return Markup(STASH_TAG.format(key=key))

    def unstash(self, page_html: str, *, keep: bool = False) -> str:
        """The page's HTML with its stashed fragments back in place of their placeholders."""
        if not self.stash_fragments:
            return page_html
        take = self.stash_fragments.get if keep else self.stash_fragments.pop
        return _STASH_RE.sub(lambda m: take(m.group(1), m.group(0)), page_html)


def data_dir_for(root: Path) -> Path:
    """The data folder: $DZZLD_DATA (used by tests and by a contributor's preview), else ROOT/data."""
    env = os.environ.get("DZZLD_DATA")
    return Path(env).resolve() if env else root / "data"


def commit_date(root: Path) -> str | None:
    """The date of the checkout's last commit (UTC), or None outside a git checkout."""
    try:
        out = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%ct"], capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    stamp = out.stdout.strip()
    if out.returncode != 0 or not stamp.isdigit():
        return None
    return datetime.fromtimestamp(int(stamp), UTC).strftime("%Y-%m-%d")


class DzzldPlugin(BasePlugin):
    """Validates data/, generates pages and navigation from it, and fixes up the finished site."""

    def __init__(self) -> None:
        self.state: BuildState | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    # --- configuration -------------------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        try:
            import jieba  # noqa: F401  (search segmentation needs it; without it Chinese search breaks)
        except ImportError as exc:  # pragma: no cover - jieba is a pinned dependency
            raise PluginError("jieba 未安装：中文搜索需要它（pip install jieba）") from exc

    @event_priority(100)  # before mkdocs-macros' on_config, so the data is validated and loaded once per build
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config["config_file_path"]).resolve().parent
        try:
            dataset = load_dataset(root, data_dir=data_dir_for(root))
        except DataError as exc:
            raise PluginError(f"数据校验失败，共 {len(exc.problems)} 个问题；未生成网站。\n{exc.report()}") from None
        build_date = "" if os.environ.get("SOURCE_DATE_EPOCH") else (commit_date(root) or "")
        terms = site.glossary_terms(dataset)
        self.state = BuildState(root, dataset, build_date, terms=terms, pattern=term_pattern(terms))
        self._use_search_words(config, site.search_words(dataset))
        config.extra["data_version"] = dataset.data_version
        config.nav = site.expand_nav(config.nav, dataset)
        return config

    def _use_search_words(self, config: MkDocsConfig, words: list[str]) -> None:
        """Hand the data's vocabulary to Material's search as its jieba user dictionary.

        Material loads `jieba_dict_user` in its own on_config (after this one), so the words are
        kept whole when the index is segmented; the file lives in this build's temporary folder.
        """
        search = config.plugins.get("material/search") or config.plugins.get("search")
        if search is None:
            return
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="dzzld-")
        path = Path(self._tmp.name) / "jieba-words.txt"
        path.write_text("".join(f"{w} 200000\n" for w in words), encoding="utf-8")
        search.config.jieba_dict_user = str(path)

    def on_shutdown(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # --- pages ---------------------------------------------------------------------------------

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        from . import docx_site
        from .checklist_pages import generated_files

        state = self._state()
        for src_path, (content, _data_files) in site.generated_pages(state.dataset).items():
            if files.get_file_from_path(src_path) is not None:
                raise PluginError(f"{src_path} 由数据生成，docs/ 里不应再有同名文件")
            files.append(File.generated(config, src_path, content=content))
        for path, content in generated_files(state.dataset).items():
            files.append(File.generated(config, path, content=content))
        for path, data in docx_site.generated_files(state.dataset).items():  # rule drafts, Word-export data
            files.append(File.generated(config, path, content=data))
        state.urls = {f.src_uri: f.url for f in files.documentation_pages()}
        return files

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        """Date pages (sitemap lastmod) by the last commit, not the clock: reproducible builds."""
        state = self._state()
        if state.build_date:
            page.update_date = state.build_date
        return page

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Point the page's edit link at the YAML file it is rendered from."""
        state = self._state()
        if os.environ.get("DZZLD_DUMP_MARKDOWN"):
            self._dump_markdown(Path(os.environ["DZZLD_DUMP_MARKDOWN"]), markdown, page)
        generated = site.generated_pages(state.dataset).get(page.file.src_uri)
        data_files = generated[1] if generated else page.meta.get("data_files", [])
        if isinstance(data_files, str):
            data_files = [data_files]
        repo = config.extra.get("repository", DEFAULT_REPOSITORY).rstrip("/")
        if data_files:
            # A folder (data/practices/) is linked as a tree and has no edit button: its files are the records.
            files_only = [f for f in data_files if not f.endswith("/")]
            page.edit_url = f"{repo}/edit/main/{files_only[0]}" if files_only else None
            page.meta["data_links"] = [(f, f"{repo}/{'tree' if f.endswith('/') else 'blob'}/main/{f}") for f in data_files]
        elif page.file.generated_by:
            page.edit_url = None
        return markdown

    def _dump_markdown(self, folder: Path, markdown: str, page: Page) -> None:
        """DZZLD_DUMP_MARKDOWN=<dir>: write each page as mkdocs-macros expanded it (the benchmark's baseline)."""
        import yaml

        out = folder / page.file.src_uri
        out.parent.mkdir(parents=True, exist_ok=True)
        meta = yaml.safe_dump(dict(page.meta), allow_unicode=True, sort_keys=False) if page.meta else ""
        text = self._state().unstash(markdown, keep=True)
        out.write_text(f"---\n{meta}---\n\n{text}" if meta else text, encoding="utf-8")

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        """Stashed fragments back in place, then glossary tooltips on every page's text."""
        state = self._state()
        html = state.unstash(html)
        if page.meta.get("tooltips") is False:
            return html
        return add_tooltips(html, state.terms, state.pattern)

    # --- the finished site ---------------------------------------------------------------------

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site_dir = Path(config["site_dir"])
        workers = list((site_dir / "assets" / "javascripts" / "workers").glob("search.*.min.js"))
        if not workers:
            raise PluginError("找不到 Material 的搜索 worker：无法修正中文查询切分")
        for worker in workers:
            text = worker.read_text(encoding="utf-8")
            if WORKER_FIX not in text:
                if WORKER_BUG not in text:
                    raise PluginError(f"{worker.name}：Material 搜索代码已变化，请重新检查中文查询切分补丁（macros/plugin.py）")
                text = text.replace(WORKER_BUG, WORKER_FIX)
                sourcemap = worker.with_name(worker.name + ".map")
                if sourcemap.exists():
                    sourcemap.unlink()  # the map no longer matches the patched file
            worker.write_text(re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text), encoding="utf-8")
        _stable_sitemap_gz(site_dir)

    def _state(self) -> BuildState:
        if self.state is None:
            raise PluginError("dzzld 插件尚未载入数据（on_config 未运行）")
        return self.state


def state_of(config: Any) -> BuildState:
    """The build state of the dzzld plugin configured in `config` (for the macros module)."""
    plugin = config["plugins"].get("dzzld")
    if plugin is None:
        raise PluginError("mkdocs.yml 的 plugins 里缺少 dzzld")
    return plugin._state()


def _stable_sitemap_gz(site_dir: Path) -> None:
    """Rewrite sitemap.xml.gz with a zero gzip timestamp, so equal sitemaps give equal bytes."""
    xml, gz = site_dir / "sitemap.xml", site_dir / "sitemap.xml.gz"
    if not (xml.exists() and gz.exists()):
        return
    buf = io.BytesIO()
    with gzip.GzipFile(filename="sitemap.xml", mode="wb", fileobj=buf, mtime=0) as f:
        f.write(xml.read_bytes())
    gz.write_bytes(buf.getvalue())
