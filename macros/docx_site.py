"""The Word side of the site: rule-draft pages and their .docx files, and the checklist's Word-export data.

* rules/index.md (in docs/) lists one page per 党组织类型 × 书记校长配备; each page
  (rules/<org>-<mode>.md, generated) shows the three drafts with footnotes linking to the records,
  and offers them as .docx (rules/<org>-<mode>-<draft>.docx, generated at build time).
* assets/word-export-data.js: the item texts and document wording the checklist page's Word export
  needs, loaded only when the school clicks 导出 Word (a script, so it works from disk too).
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from .docx_model import export_data, numeral, texts
from .docx_write import docx_bytes
from .model import Dataset
from .render import Linker, render_template
from .rule_drafts import Draft, Kind, draft_model, drafts, file_name

WORD_DATA = "assets/word-export-data.js"


@dataclass(frozen=True)
class RulePage:
    kind: Kind
    path: str  # rules/<org slug>-<mode slug>.md

    @property
    def stem(self) -> str:
        return self.path.removesuffix(".md")

    def docx(self, draft: Draft) -> str:
        return f"{self.stem}-{draft.key}.docx"


def rule_pages(ds: Dataset) -> tuple[RulePage, ...]:
    s = ds.vocab.slugs
    return tuple(RulePage(Kind(o, m), f"rules/{s[o]}-{s[m]}.md") for o in ds.vocab.org_types for m in ds.vocab.modes)


def word_data_js(ds: Dataset) -> str:
    """The Word export's data as a script (JSON is valid JavaScript; U+2028/2029 escaped for old engines)."""
    text = json.dumps(export_data(ds), ensure_ascii=False)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("</", "<\\/")
    return f"/* 自查清单“导出 Word”所用的数据（由 data/ 生成，勿手改） */\nwindow.dzWordData = {text};\n"


def generated_files(ds: Dataset) -> dict[str, str | bytes]:
    """Pages (macro calls only), .docx drafts and the export data, by path under docs/."""
    out: dict[str, str | bytes] = {WORD_DATA: word_data_js(ds)}
    for page in rule_pages(ds):
        k = page.kind
        out[page.path] = (f"---\ntitle: 议事规则草稿 {k.org_type} {k.mode}\nsearch:\n  exclude: true\nhide:\n  - navigation\n"
                          f"data_files: [data/meeting-rules.yaml, data/decisions.yaml, data/responsibilities.yaml]\n---\n\n"
                          f'{{{{ rule_drafts_page("{k.org_type}", "{k.mode}") }}}}\n')
        for d in drafts(ds, k):
            out[page.docx(d)] = docx_bytes(draft_model(ds, d))
    return out


def relative(page_url: str, target: str) -> str:
    base = (page_url[:-1] if page_url.endswith("/") else posixpath.dirname(page_url)) or "."
    return posixpath.relpath(target, base)


def rule_drafts_index(ds: Dataset, link: Linker) -> Markup:
    t = texts()["rules"]
    pages = [(p, link.to(p.path), [(relative(link.page_url, p.docx(d)), file_name(p.kind, d)) for d in drafts(ds, p.kind)])
             for p in rule_pages(ds)]
    return render_template("rule_drafts_index.html", pages=pages, t=t)


@dataclass(frozen=True)
class NoteView:
    number: int
    text: str
    href: str


def draft_view(ds: Dataset, link: Linker, page: RulePage, d: Draft) -> dict[str, Any]:
    """A draft with its footnotes numbered in reading order, each linking to its record."""
    notes: list[NoteView] = []

    def note(c: Any) -> NoteView:
        notes.append(NoteView(len(notes) + 1, c.note, link.record(c.record)))
        return notes[-1]

    sections = [(s, [(c, note(c)) for c in s.clauses]) for s in d.sections]
    rows = [(c, how, force, note(c)) for c, how, force in d.decisions]
    return {"draft": d, "title": d.title.format(""), "sections": sections, "rows": rows, "notes": notes,
            "href": relative(link.page_url, page.docx(d)), "download": file_name(page.kind, d)}


def rule_drafts_page(ds: Dataset, link: Linker, org_type: str, mode: str) -> Markup:
    page = next(p for p in rule_pages(ds) if p.kind.org_type == org_type and p.kind.mode == mode)
    views = [draft_view(ds, link, page, d) for d in drafts(ds, page.kind)]
    t = texts()["rules"]
    return render_template("rule_drafts.html", views=views, t=t, blank=texts()["blank"], numeral=numeral,
                           note=t["note"].format(texts()["data_version"].format(ds.data_version)))


MACROS = (rule_drafts_index, rule_drafts_page)
