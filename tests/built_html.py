"""Built pages, read once per test session.

Two views of a page, each made at most once per session and shared (read them, never change them):
`scan` — every start tag with its attributes, in document order (Python's HTMLParser, fast: for
checks over every page of the site); `soup` — the BeautifulSoup tree (for a page's structure).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from bs4 import BeautifulSoup


def page_file(site: Path, url_path: str) -> Path:
    """The HTML file of a page given as a docs path (decisions.md) or a URL path (decisions/, /)."""
    rel = url_path.split("#")[0].removesuffix(".md").removesuffix("index").strip("/")
    return site / rel / "index.html" if rel else site / "index.html"


def html_files(site: Path) -> list[Path]:
    """Every page of a built site (not the theme's assets)."""
    return sorted(p for p in site.rglob("*.html") if "assets" not in p.relative_to(site).parts)


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


@dataclass
class Scan:
    tags: list[Tag] = field(default_factory=list)

    @property
    def ids(self) -> set[str]:
        return {t.attrs["id"] for t in self.tags if "id" in t.attrs}

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str | bool) -> list[Tag]:
        """Tags by name, class and attributes (True: present, a string: equal; data_x means data-x)."""
        out = []
        for t in self.tags:
            if tag and t.name != tag or cls and cls not in t.classes:
                continue
            if all((k.replace("_", "-") in t.attrs) if v is True else t.attrs.get(k.replace("_", "-")) == v
                   for k, v in attrs.items()):
                out.append(t)
        return out


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = Scan()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scan.tags.append(Tag(tag, {k: v or "" for k, v in attrs}))


@functools.cache
def scan(path: Path) -> Scan:
    c = _Collector()
    c.feed(path.read_text(encoding="utf-8"))
    c.close()
    return c.scan


@functools.cache
def _parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def soup(site: Path, url_path: str) -> BeautifulSoup:
    return _parse(page_file(site, url_path))


def soup_of_file(path: Path) -> BeautifulSoup:
    return _parse(path)
