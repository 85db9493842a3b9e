"""What the site makes from data, as plain functions of the `Dataset`: generated pages, their titles,
the navigation around them, and the words Chinese search must keep whole.

No state lives here; `plugin.BuildState` holds one build's results.
"""

from __future__ import annotations

from typing import Any

from .model import Dataset

# Placeholder pages in mkdocs.yml's nav that stand for a folder of pages generated from data.
NAV_PLACEHOLDERS = {"practices/index.md": "practices/", "plans/index.md": "plans/"}


def plan_sources(dataset: Dataset) -> list[Any]:
    """Sources with a page of their own under plans/ (those with a `slug`), in data order."""
    return [s for s in dataset.sources if s.active and s.slug]


def district_page_path(slug: str) -> str:
    return f"practices/{slug}.md"


def plan_page_path(slug: str) -> str:
    return f"plans/{slug}.md"


def nav_titles(dataset: Dataset) -> dict[str, str]:
    """Navigation titles of generated pages: district names and the plans' short names.

    The schemas forbid { } < > % in these fields, because mkdocs-macros renders page titles again.
    """
    titles = {district_page_path(d.slug): d.name for d in dataset.districts}
    for src in plan_sources(dataset):
        titles[plan_page_path(src.slug)] = src.label
    return titles


def generated_pages(dataset: Dataset) -> dict[str, tuple[str, list[str]]]:
    """Pages made from data: src path -> (markdown with macro calls only, data files they render).

    The Markdown holds only macro calls with record IDs — never data text — so nothing from data
    can be evaluated as a template.
    """
    pages: dict[str, tuple[str, list[str]]] = {}
    for d in dataset.districts:
        pages[district_page_path(d.slug)] = (
            f'# {{{{ record_title("{d.id}") }}}}\n\n{{{{ district_page("{d.id}") }}}}\n', [d.origin.file])
    for src in plan_sources(dataset):
        pages[plan_page_path(src.slug)] = (
            f'# {{{{ source_title("{src.id}") }}}}\n\n{{{{ plan_page("{src.id}") }}}}\n', [src.origin.file])
    return pages


def expand_nav(nav: Any, dataset: Dataset) -> Any:
    """Replace each section's placeholder index page with the index plus its generated pages."""
    if nav is None:
        return nav
    pages = generated_pages(dataset)
    titles = nav_titles(dataset)
    out = []
    for item in nav:
        if isinstance(item, dict):
            (title, value), = item.items()
            if isinstance(value, str) and value in NAV_PLACEHOLDERS:
                folder = NAV_PLACEHOLDERS[value]
                children = [value] + [{titles[p]: p} if p in titles else p
                                      for p in sorted(pages, key=lambda p: (titles.get(p, p), p)) if p.startswith(folder)]
                out.append({title: children})
                continue
            if isinstance(value, list):
                out.append({title: expand_nav(value, dataset)})
                continue
        out.append(item)
    return out


def search_words(dataset: Dataset) -> list[str]:
    """Words jieba must keep whole: glossary terms, aliases, search terms, practice and body names."""
    words: set[str] = set()
    for t in dataset.glossary:
        words.update((t.term, *t.aliases, *t.search_terms))
    for p in dataset.practices:
        words.add(p.name)
    for d in dataset.districts:
        words.update((d.name, d.short))
    for r in dataset.meeting_rules:
        words.add(r.body)
    return sorted(w for w in words if w and 2 <= len(w) <= 12 and not any(c in w for c in " ·“”\"'"))


def glossary_terms(dataset: Dataset) -> dict[str, str]:
    """Every active term and alias → the tooltip text "term：definition"."""
    terms: dict[str, str] = {}
    for t in dataset.glossary:
        if t.active:
            for word in (t.term, *t.aliases):
                terms.setdefault(word, f"{t.term}：{t.definition}")
    return terms
