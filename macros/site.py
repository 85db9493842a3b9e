"""State shared by the macros module and the mkdocs hooks during one build.

The dataset is validated and loaded once per build; a data problem stops the build at
configuration time — before anything is written to site/ — with the validator's own messages.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup
from mkdocs.exceptions import PluginError

from .model import DataError, Dataset, load_dataset
from .render import PLAN_SLUGS, Linker, term_pattern

log = logging.getLogger("mkdocs.plugins.dzzld")

DEFAULT_REPOSITORY = "https://github.com/dzzld/dzzld-kb"


@dataclass
class BuildState:
    root: Path
    dataset: Dataset
    urls: dict[str, str] = field(default_factory=dict)
    terms: dict[str, str] = field(default_factory=dict)
    pattern: Any = None
    # Large HTML fragments kept out of Python-Markdown (see `stash`): placeholder key -> HTML.
    stash: dict[str, str] = field(default_factory=dict)
    stashed: int = 0


_STATES: dict[str, BuildState] = {}


def project_root(config: Any) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def data_dir_for(root: Path) -> Path:
    """The data folder: $DZZLD_DATA (used by tests and by a contributor's preview), else ROOT/data."""
    env = os.environ.get("DZZLD_DATA")
    return Path(env).resolve() if env else root / "data"


def state_for(config: Any) -> BuildState:
    """Load (once per build) and return the build state; raise PluginError on any data problem."""
    key = str(config["config_file_path"])
    state = _STATES.get(key)
    if state is not None:
        return state
    root = project_root(config)
    try:
        dataset = load_dataset(root, data_dir=data_dir_for(root))
    except DataError as exc:
        for p in exc.problems:
            log.error(str(p))
        raise PluginError(f"数据校验失败，共 {len(exc.problems)} 个问题（见上）；未生成网站。\n" + exc.report()) from None
    terms: dict[str, str] = {}
    for t in dataset.glossary:
        if t.active:
            for word in (t.term, *t.aliases):
                terms.setdefault(word, f"{t.term}：{t.definition}")
    state = BuildState(root, dataset, terms=terms, pattern=term_pattern(terms))
    _STATES[key] = state
    return state


def reset(config: Any) -> None:
    """Forget the loaded data (each `mkdocs serve` rebuild re-reads data/)."""
    _STATES.pop(str(config["config_file_path"]), None)


def linker(config: Any, page_url: str) -> Linker:
    state = state_for(config)
    return Linker(page_url, state.urls, state.dataset)


def search_words(dataset: Dataset) -> list[str]:
    """Words jieba must keep whole: glossary terms, aliases, search terms, practice and body names."""
    words: set[str] = set()
    for t in dataset.glossary:
        words.update((t.term, *t.aliases, *t.search_terms))
    for p in dataset.practices:
        words.add(p.name)
    for r in dataset.meeting_rules:
        words.add(r.body)
    return sorted(w for w in words if w and len(w) >= 2 and len(w) <= 12 and not any(c in w for c in " ·“”\"'"))


def nav_titles(dataset: Dataset) -> dict[str, str]:
    """Navigation titles of generated pages: district names and the plans' short names.

    The schemas forbid { } < > % in these fields, because mkdocs-macros renders page titles again.
    """
    titles = {f"practices/{d.slug}.md": d.name for d in dataset.districts}
    for sid, slug in PLAN_SLUGS.items():
        if sid in dataset.by_id:
            titles[f"plans/{slug}.md"] = dataset.source(sid).label
    return titles


def generated_pages(dataset: Dataset) -> dict[str, tuple[str, list[str]]]:
    """Pages made from data: src path -> (markdown with macro calls only, data files they render).

    The Markdown holds only macro calls with record IDs — never data text — so nothing from data
    can be evaluated as a template.
    """
    pages: dict[str, tuple[str, list[str]]] = {}
    for d in dataset.districts:
        pages[f"practices/{d.slug}.md"] = (
            f'# {{{{ record_title("{d.id}") }}}}\n\n{{{{ district_page("{d.id}") }}}}\n', [d.origin.file])
    for sid, slug in PLAN_SLUGS.items():
        if sid in dataset.by_id:
            src = dataset.source(sid)
            pages[f"plans/{slug}.md"] = (
                f'# {{{{ source_title("{sid}") }}}}\n\n{{{{ plan_page("{sid}") }}}}\n', [src.origin.file])
    return pages


STASH_TAG = '<div class="dz-stash" data-key="{key}"></div>'
_STASH_RE = re.compile(STASH_TAG.format(key="([0-9]+)"))


def stash(config: Any, fragment: str) -> Markup:
    """Keep a large, finished HTML fragment away from Markdown: return a one-line placeholder block.

    Python-Markdown re-parses every raw HTML block tag by tag (md_in_html); for the ~2,000-tag
    checklist on each roster school's page that was most of the build time. `unstash`
    (on_page_content) puts the fragment back verbatim, before the glossary tooltips run.
    """
    state = state_for(config)
    key = str(state.stashed)
    state.stashed += 1
    state.stash[key] = str(fragment)
    return Markup(STASH_TAG.format(key=key))


def unstash(config: Any, page_html: str, *, keep: bool = False) -> str:
    """The page's HTML with its stashed fragments back in place of their placeholders."""
    state = state_for(config)
    if not state.stash:
        return page_html
    take = state.stash.get if keep else state.stash.pop
    return _STASH_RE.sub(lambda m: take(m.group(1), m.group(0)), page_html)
