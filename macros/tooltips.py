"""Glossary tooltips over finished HTML: each glossary term in a page's text gets <abbr title>.

Only text between tags changes, never attributes, and not inside links, headings, code, buttons,
form controls or existing <abbr>. Terms and definitions are escaped.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping

_SKIP_TAGS = {"a", "abbr", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "title", "button",
              "label", "svg", "textarea", "option", "select", "dfn", "kbd", "summary", "th"}
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME = re.compile(r"^<\s*(/?)\s*([a-zA-Z0-9]+)")


def term_pattern(terms: Mapping[str, str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(html.escape(t, quote=False)) for t in ordered))


_TAG_NAME_AT = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")  # `_TAG_NAME` at any position
_SKIP_ALTERNATIVES = "|".join(sorted(_SKIP_TAGS, key=len, reverse=True))
# The same tags, case-sensitive: re.I makes this scan four times slower, and the HTML mkdocs and our
# templates write has lower-case tag names. A page with any tag name starting upper-case uses re.I.
_SKIP_START_LOWER = re.compile(r"<\s*/?\s*(?:" + _SKIP_ALTERNATIVES + r")(?![a-zA-Z0-9])")
_SKIP_START = re.compile(r"<\s*/?\s*(?:" + _SKIP_ALTERNATIVES + r")(?![a-zA-Z0-9])", re.I)
_UPPER_TAG = re.compile(r"<\s*/?\s*[A-Z]")


def add_tooltips(page_html: str, terms: Mapping[str, str], pattern: re.Pattern[str] | None = None) -> str:
    """Wrap glossary terms found in text nodes with <abbr title="definition">.

    Works on finished HTML: only text between tags changes, never attributes, and not inside links,
    headings, code, buttons, form controls or existing <abbr>. Terms and definitions are escaped.

    Looks only at the terms found and at the tags that switch wrapping off, not at every tag: a
    roster school's page has ~12,000 tags. Pages with HTML comments, or a '<' that no '>' follows,
    take the tag-by-tag path (`_add_tooltips_by_tag`); both give the same result.
    """
    pattern = pattern or term_pattern(terms)
    if pattern is None:
        return page_html
    if "<!--" in page_html or page_html.rfind("<") > page_html.rfind(">"):
        return _add_tooltips_by_tag(page_html, terms, pattern)
    by_escaped = {html.escape(t, quote=False): t for t in terms}
    # Every '<' starts a tag that runs to the next '>' unless it is inside one already; a position is
    # inside a tag when a '<' comes after the last '>' before it.
    switches: list[tuple[int, int]] = []  # (position, +1 open / -1 close) of tags that stop wrapping
    skip_start = _SKIP_START if _UPPER_TAG.search(page_html) else _SKIP_START_LOWER
    for m in skip_start.finditer(page_html):
        q = m.start()
        if page_html.rfind("<", 0, q) > page_html.rfind(">", 0, q):
            continue  # this '<' is inside another tag
        name = _TAG_NAME_AT.match(page_html, q)
        if name is None or name.group(2).lower() not in _SKIP_TAGS:
            continue
        if name.group(1) == "/":
            switches.append((q, -1))
        elif page_html[page_html.find(">", q) - 1] != "/":
            switches.append((q, 1))
    out: list[str] = []
    last = 0
    depth = 0
    k = 0
    for m in pattern.finditer(page_html):
        p = m.start()
        while k < len(switches) and switches[k][0] < p:
            depth = depth + 1 if switches[k][1] > 0 else max(depth - 1, 0)
            k += 1
        if depth or page_html.rfind("<", 0, p) > page_html.rfind(">", 0, p):
            continue
        term = by_escaped[m.group(0)]
        out.append(page_html[last:p])
        out.append(f'<abbr title="{html.escape(terms[term], quote=True)}">{m.group(0)}</abbr>')
        last = m.end()
    if not out:
        return page_html
    out.append(page_html[last:])
    return "".join(out)


def _add_tooltips_by_tag(page_html: str, terms: Mapping[str, str], pattern: re.Pattern[str]) -> str:
    """`add_tooltips`, one tag at a time: the reference behaviour, and the path for pages with comments."""
    by_escaped = {html.escape(t, quote=False): t for t in terms}
    out: list[str] = []
    skip_depth = 0
    for piece in _TAG.split(page_html):
        if not piece:
            continue
        if piece.startswith("<"):
            m = _TAG_NAME.match(piece)
            if m and not piece.startswith("<!--"):
                closing, name = m.group(1) == "/", m.group(2).lower()
                if name in _SKIP_TAGS:
                    if closing:
                        if skip_depth:
                            skip_depth -= 1
                    elif not piece.rstrip().endswith("/>"):
                        skip_depth += 1
            out.append(piece)
            continue
        if skip_depth:
            out.append(piece)
            continue

        def wrap(m: re.Match[str]) -> str:
            term = by_escaped[m.group(0)]
            title = html.escape(terms[term], quote=True)
            return f'<abbr title="{title}">{m.group(0)}</abbr>'

        out.append(pattern.sub(wrap, piece))
    return "".join(out)


_ABBR = re.compile(r'<abbr title="[^"]*">([^<]*)</abbr>')


def first_tooltips_only(page_html: str) -> str:
    """Keep the glossary tooltip on the first occurrence of each term only (checklist pages).

    A checklist repeats the same few terms in every item (274 tooltips for 56 terms); Material sets up
    each tooltip when the page loads, which on a cheap phone cost about a second."""
    seen: set[str] = set()

    def once(m: re.Match[str]) -> str:
        if m.group(1) in seen:
            return m.group(1)
        seen.add(m.group(1))
        return m.group(0)

    return _ABBR.sub(once, page_html)


def fill(page_html: str, fills: Mapping[str, str]) -> str:
    """Placeholders replaced by their (already escaped) values."""
    for placeholder, value in fills.items():
        page_html = page_html.replace(placeholder, value)
    return page_html


class TooltipCache:
    """Glossary tooltips for one build; pages that differ only by filled-in values share one computation.

    Roster school pages are one template per set-up with the school's name and ID filled in (see
    `checklist_pages.SchoolPages`); thousands of schools share a few hundred templates. Sharing is
    exact only while the placeholders sit where tooltips never act (attributes, labels, headings):
    checked on the first such page of the build by filling them with a glossary term. If that term
    gets a tooltip, every page is computed on its own from then on.
    """

    def __init__(self, terms: Mapping[str, str]) -> None:
        self.terms = dict(terms)
        self.pattern = term_pattern(self.terms)
        self.done: dict[tuple[bytes, bool], str] = {}
        self.verified: bool | None = None  # None: not yet checked

    def apply(self, template: str, fills: Mapping[str, str], *, first_only: bool) -> str:
        """`template` filled in, with tooltips (only each term's first when `first_only`)."""
        if not fills or self.pattern is None or self.verified is False:
            return self._tooltips(fill(template, fills), first_only)
        if self.verified is None:
            probe = {p: html.escape(min(self.terms, key=len)) for p in fills}
            self.verified = (add_tooltips(fill(template, probe), self.terms, self.pattern)
                             == fill(add_tooltips(template, self.terms, self.pattern), probe))
            if not self.verified:
                return self._tooltips(fill(template, fills), first_only)
        key = (hashlib.blake2b(template.encode("utf-8"), digest_size=20).digest(), first_only)
        done = self.done.get(key)
        if done is None:
            done = self.done[key] = self._tooltips(template, first_only)
        return fill(done, fills)

    def _tooltips(self, page_html: str, first_only: bool) -> str:
        out = add_tooltips(page_html, self.terms, self.pattern)
        return first_tooltips_only(out) if first_only else out
