"""Glossary tooltips over finished HTML: each glossary term in a page's text gets <abbr title>.

Only text between tags changes, never attributes, and not inside links, headings, code, buttons,
form controls or existing <abbr>. Terms and definitions are escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

_SKIP_TAGS = {"a", "abbr", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6", "title", "button",
              "label", "svg", "textarea", "option", "select", "dfn", "kbd", "summary", "th"}
_TAG = re.compile(r"(<!--.*?-->|<[^>]*>)", re.S)
_TAG_NAME = re.compile(r"^<\s*(/?)\s*([a-zA-Z0-9]+)")


def term_pattern(terms: Mapping[str, str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    ordered = sorted(terms, key=len, reverse=True)
    return re.compile("|".join(re.escape(html.escape(t, quote=False)) for t in ordered))


_TAG_NAME_AT = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")  # `_TAG_NAME` at any position
_SKIP_START = re.compile(r"<\s*/?\s*(?:" + "|".join(sorted(_SKIP_TAGS, key=len, reverse=True)) + r")(?![a-zA-Z0-9])",
                         re.I)


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
    for m in _SKIP_START.finditer(page_html):
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
