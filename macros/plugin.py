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
import html
import io
import json
import logging
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
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
from .tooltips import TooltipCache, fill

# Material 9.8's search worker splits a Chinese query into known words but never tries the whole
# rest of the query as one word (校长办公会议 is searched as 校长). The loop bound is off by one.
WORKER_BUG = "for(let o=s+1;o<t.length;o++)t.slice(s,o)in e"
WORKER_FIX = "for(let o=s+1;o<=t.length;o++)t.slice(s,o)in e"

# Record IDs (GL-221, MR-NAT-03, CK-ORG-01 …, as in schemas/*.schema.json): kept out of search excerpts.
# Lookarounds, not \b: in Chinese text an ID often follows a Han character, which \b counts as a word character.
RECORD_ID = re.compile(r"(?<![A-Za-z0-9-])(?:CK|DI|DS|EV|FG|GL|MR|MS|OS|PF|PL|PR|RS|SCH|SP|SRC|VR)(?:-[A-Z0-9]+)+"
                       r"(?![A-Za-z0-9-])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

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
    stash_fragments: dict[str, str] = field(default_factory=dict)  # placeholder key -> HTML
    stash_fills: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> {placeholder: escaped value}
    stashed: int = 0
    caches: dict[str, Any] = field(default_factory=dict)  # per-build caches of other modules, by name
    tooltips: TooltipCache = field(default_factory=lambda: TooltipCache({}))  # glossary tooltips on page text
    search_records: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # page URL -> record entries

    def linker(self, page_url: str) -> Linker:
        return Linker(page_url, self.urls, self.dataset)

    def stash(self, fragment: str, fills: dict[str, str] | None = None) -> Markup:
        """Keep a large, finished HTML fragment away from Markdown: return a one-line placeholder block.

        Python-Markdown re-parses every raw HTML block tag by tag (md_in_html); for the ~2,000-tag
        checklist on each roster school's page that was most of the build time. `unstash`
        (on_page_content) puts the fragment back verbatim, before the glossary tooltips run.
        `fills`: placeholders in the fragment and the escaped values that replace them (a roster
        school's name and ID), kept apart so pages that differ only by them share their tooltips.
        """
        key = str(self.stashed)
        self.stashed += 1
        self.stash_fragments[key] = str(fragment)
        if fills:
            self.stash_fills[key] = fills
        return Markup(STASH_TAG.format(key=key))

    def unstash(self, page_html: str, *, keep: bool = False) -> str:
        """The page's HTML with its stashed fragments back in place of their placeholders, filled in."""
        template, fills = self.unstash_template(page_html, keep=keep)
        return fill(template, fills)

    def unstash_template(self, page_html: str, *, keep: bool = False) -> tuple[str, dict[str, str]]:
        """The page's HTML with its stashed fragments back, placeholders still in; and their fills."""
        if not self.stash_fragments:
            return page_html, {}
        fills: dict[str, str] = {}

        def put_back(m: re.Match[str]) -> str:
            key = m.group(1)
            fills.update(self.stash_fills.get(key, {}) if keep else self.stash_fills.pop(key, {}))
            return (self.stash_fragments.get if keep else self.stash_fragments.pop)(key, m.group(0))

        return _STASH_RE.sub(put_back, page_html), fills


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
            import jieba  # search segmentation needs it; without it Chinese search breaks
        except ImportError as exc:  # pragma: no cover - jieba is a pinned dependency
            raise PluginError("jieba 未安装：中文搜索需要它（pip install jieba）") from exc
        jieba.setLogLevel(logging.WARNING)  # its "Loading model…" debug lines are not build output

    @event_priority(100)  # before mkdocs-macros' on_config, so the data is validated and loaded once per build
    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config["config_file_path"]).resolve().parent
        try:
            dataset = load_dataset(root, data_dir=data_dir_for(root))
        except DataError as exc:
            raise PluginError(f"数据校验失败，共 {len(exc.problems)} 个问题；未生成网站。\n{exc.report()}") from None
        build_date = "" if os.environ.get("SOURCE_DATE_EPOCH") else (commit_date(root) or "")
        terms = site.glossary_terms(dataset)
        self.state = BuildState(root, dataset, build_date, tooltips=TooltipCache(terms))
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
        html, fills = state.unstash_template(html)
        if page.meta.get("tooltips") is not False:
            # A checklist repeats the same few terms in every item: the first of each keeps its tooltip.
            html = state.tooltips.apply(html, fills, first_only='class="dz-checklist"' in html)
        else:
            html = fill(html, fills)
        search = page.meta.get("search") or {}
        if not search.get("exclude"):
            html, records = search_records(html)
            state.search_records[page.url] = records
        return html

    # --- the finished site ---------------------------------------------------------------------

    @event_priority(-50)  # after Material's search plugin wrote the index, before the offline plugin inlines it
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
        index = site_dir / "search" / "search_index.json"
        if index.exists():
            index.write_text(add_record_entries(index.read_text(encoding="utf-8"), self._state().search_records),
                             encoding="utf-8")
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


# --- search: one entry per record -----------------------------------------------------------------
#
# Material indexes a page by its headings, so a glossary term or a meeting rule was found only as
# "somewhere on this page", with an excerpt running through every record ID on it. Each record
# (`.dz-record[id]`, a glossary <dt> with its <dd>, a checklist row `tr.dz-item[id]`) becomes its own
# entry at `page#ID`, titled by its term, name or opening words; the page's own entries leave the
# records out (Material skips elements marked data-search-exclude, then strips the marker), and no
# entry's text keeps a record ID.

_RECORD_CLASSES = {"dz-record", "dz-item"}
# Parts of a record that are labels, not its text: ID chips, source chips, force labels, the answer
# controls and numbering of checklist rows, the 依据 column (source names and lines).
_NOT_TEXT_CLASSES = {"dz-meta", "dz-id", "dz-cites", "dz-cite", "dz-force", "dz-result", "dz-c-note", "dz-c-review",
                     "dz-no", "dz-kind-note", "dz-maybe", "dz-c-basis", "dz-copy", "dz-cite-note", "headerlink"}
_NOT_TEXT_TAGS = {"script", "style", "summary", "button", "textarea", "select", "input", "template"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_BLOCK = {"p", "div", "li", "dt", "dd", "td", "th", "tr", "br", "h2", "h3", "h4", "details", "dl", "ul", "ol", "section"}
_TITLE_TAGS = ("dfn", "h2", "h3", "h4", "strong")
_TITLE_MAX = 28


class _RecordParser(HTMLParser):
    """Finds the records of a page: where each starts (to mark it excluded) and its title and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, starts a part that is not text)
        self.records: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self.depth = 0  # stack depth at which the current record started
        self.after_dt: dict[str, Any] | None = None  # a glossary term's record, waiting for its <dd>
        self.skipping = 0
        self.titling: list[list[Any]] = []  # [depth, parts] of the title elements now open
        self.inner_ids: list[str] = []  # IDs inside records (headings Material would index as empty sections)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if self.current is not None and a.get("id"):
            self.inner_ids.append(a["id"] or "")
        if self.current is None and tag not in _VOID:
            rid = a.get("id") or ""
            if RECORD_ID.fullmatch(rid) and classes & _RECORD_CLASSES:
                self._open({"id": rid, "tag": tag, "starts": [self._tag_at()], "title": {}, "text": []})
            elif tag == "dd" and self.after_dt is not None:
                self._open(self.after_dt)
                self.current["starts"].append(self._tag_at())
            self.after_dt = None
        if tag in _VOID:
            if tag == "br" and self.current is not None:
                self.current["text"].append(" ")
            return
        skip = bool(classes & _NOT_TEXT_CLASSES) or tag in _NOT_TEXT_TAGS
        self.stack.append((tag, skip))
        if skip:
            self.skipping += 1
        if self.current is not None and not self.skipping:
            if tag in _TITLE_TAGS or "dz-item-title" in classes or "dz-text" in classes:
                key = "dz-item-title" if "dz-item-title" in classes else ("dz-text" if "dz-text" in classes else tag)
                if key not in self.current["title"]:
                    self.current["title"][key] = [len(self.stack), []]
                    self.titling.append(self.current["title"][key])
            if tag in _BLOCK:
                self.current["text"].append(" ")

    def _tag_at(self) -> tuple[int, int, int]:
        """Line, column and length of the start tag being handled."""
        line, col = self.getpos()
        return line, col, len(self.get_starttag_text() or "")

    def _open(self, record: dict[str, Any]) -> None:
        self.current = record
        self.depth = len(self.stack)
        if not record["text"]:
            self.records.append(record)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or not self.stack:
            return
        # tolerate unclosed tags: pop to the matching one
        while self.stack:
            t, skip = self.stack.pop()
            if skip:
                self.skipping -= 1
            if t == tag:
                break
        self.titling = [t for t in self.titling if len(self.stack) >= t[0]]
        if self.current is not None:
            if tag in _BLOCK:
                self.current["text"].append(" ")
            if len(self.stack) <= self.depth:
                self.after_dt = self.current if self.current["tag"] == "dt" else None
                self.current = None

    def handle_data(self, data: str) -> None:
        if self.current is None or self.skipping:
            return
        self.current["text"].append(data)
        for _depth, parts in self.titling:
            parts.append(data)


def _line_offsets(text: str) -> list[int]:
    offsets = [0]
    for m in re.finditer("\n", text):
        offsets.append(m.end())
    return offsets


def _clean(text: str) -> str:
    """Text without record IDs, and without the runs of separators the IDs leave behind (参见：、、 → 参见：)."""
    text = re.sub(r"\s+", " ", RECORD_ID.sub("", text))
    text = re.sub(r"([、，；：（])(?:\s*[、，；])+", r"\1", text)
    text = re.sub(r"[、，；]\s*([。）)]|$)", r"\1", text)
    return re.sub(r"参见：\s*(?=\S*$|[。）])", "", text).strip()


def _title_of(record: dict[str, Any], text: str) -> str:
    titles = {k: _clean("".join(parts)) for k, (_depth, parts) in record["title"].items()}
    for key in ("dfn", "dz-item-title", "h2", "h3", "h4", "strong"):
        if titles.get(key):
            return titles[key]
    first = titles.get("dz-text") or text
    return first if len(first) <= _TITLE_MAX else first[:_TITLE_MAX].rstrip() + "…"


def search_records(page_html: str) -> tuple[str, list[dict[str, str]]]:
    """The page's HTML with its records marked data-search-exclude, and one search entry per record.

    The entries also list (as {"drop": id}) the anchors inside records: Material would index each
    heading there as a section with no text, which the record's own entry replaces."""
    parser = _RecordParser()
    parser.feed(page_html)
    parser.close()
    lines = _line_offsets(page_html)
    marks: list[int] = []
    entries = []
    for rec in parser.records:
        text = _clean("".join(rec["text"]))
        if not text:
            continue
        for line, col, length in rec["starts"]:
            end = lines[line - 1] + col + length - 1  # the start tag's closing '>'
            marks.append(end - 1 if page_html[end - 1] == "/" else end)
        title = _title_of(rec, text)
        if text.startswith(title) and len(text) > len(title):
            text = text[len(title):].strip()  # the excerpt is shown under the title: no need to repeat it
        entries.append({"id": rec["id"], "title": title, "text": text})
    entries += [{"drop": i} for i in parser.inner_ids]
    out = page_html
    for pos in sorted(marks, reverse=True):
        out = out[:pos] + ' data-search-exclude="record"' + out[pos:]
    return out, entries


def _segment(text: str) -> str:
    """Chinese runs cut into words with zero-width spaces between, as Material's index does."""
    import jieba

    def cut(m: re.Match[str]) -> str:
        return "\u200b" + "\u200b".join(jieba.cut(m.group(0))) + "\u200b"

    return _HAN.sub(cut, text).strip("\u200b")


def add_record_entries(index_json: str, records: dict[str, list[dict[str, str]]]) -> str:
    """Material's search index with each page's record entries after its own, and no record IDs in any text."""
    index = json.loads(index_json)
    drop = {f"{page}#{e['drop']}" for page, entries in records.items() for e in entries if "drop" in e}
    docs: list[dict[str, Any]] = [d for d in index.get("docs", []) if d.get("location") not in drop]
    for doc in docs:
        for key in ("title", "text"):
            if isinstance(doc.get(key), str):
                doc[key] = re.sub(r"(<code>)\s*(</code>)", "", RECORD_ID.sub("", doc[key]))
    last: dict[str, int] = {}
    for i, doc in enumerate(docs):
        last[doc["location"].split("#")[0]] = i
    out: list[dict[str, Any]] = []
    for i, doc in enumerate(docs):
        out.append(doc)
        page = doc["location"].split("#")[0]
        if last.get(page) == i:
            for rec in records.get(page, []):
                if "drop" in rec:
                    continue
                out.append({"location": f"{page}#{rec['id']}", "title": _segment(html.escape(rec["title"], quote=False)),
                            "text": _segment(html.escape(rec["text"], quote=False))})
    index["docs"] = out
    return json.dumps(index, ensure_ascii=False, separators=(",", ":"))
