"""Document model (macros/docx_model.py) → .docx bytes: WordprocessingML written directly.

Why not python-docx for writing: it takes about a quarter of a second per 自查表 (a district's 485
schools would take two minutes), and it has no API for the parts these documents need most —
East-Asian font names (w:eastAsia), footnotes, page-number fields. The tests read every file back
with python-docx, and LibreOffice converts samples to PDF.

Everything is escaped; control characters are dropped; the zip is deterministic (fixed dates,
fixed order), so the same input gives the same bytes. Element order follows the OOXML schema
(Word refuses files whose properties are out of order).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .docx_model import texts

W_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.wordprocessingml"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

# Fonts, sizes, page and margins live in templates/documents.json ("layout"), shared with the page's export.
LAYOUT = texts()["layout"]
LATIN: str = LAYOUT["latin"]
FONTS: dict[str, str] = LAYOUT["fonts"]
STYLES: dict[str, dict[str, list[Any]]] = LAYOUT["styles"]  # style id → [font role, size, bold, exact line]
A4: tuple[int, int] = tuple(LAYOUT["a4"])  # type: ignore[assignment]
MARGINS: dict[str, list[int]] = LAYOUT["margins"]  # top, right, bottom, left
SHADES: dict[str, str] = LAYOUT["shades"]
STYLE_NAMES = {"Normal": "Normal", "Title": "Title", "Subtitle": "Subtitle", "Heading1": "heading 1",
               "Heading2": "heading 2", "Note": "Note", "Closing": "Closing", "TableText": "Table Text"}
ALIGN = {"left": "left", "center": "center", "right": "right"}
CENTER = '<w:jc w:val="center"/>'
PARA_STYLES = {"body": "Normal", "subtitle": "Subtitle", "note": "Note", "closing": "Closing"}


def text(value: str) -> str:
    return escape(_CONTROL.sub("", value))


def attr(value: str) -> str:
    return quoteattr(_CONTROL.sub("", value))


def rfonts(font: str) -> str:
    east = FONTS[font]
    return f'<w:rFonts w:ascii="{LATIN}" w:hAnsi="{LATIN}" w:eastAsia={attr(east)} w:cs="{LATIN}" w:hint="eastAsia"/>'


@dataclass
class Writer:
    """One document being written: collects its footnotes while the body is serialised."""

    style: str
    width: int  # text width in twips (for table columns)
    notes: list[str] = field(default_factory=list)

    # --- inline ------------------------------------------------------------------------------

    def run(self, piece: Any) -> str:
        if isinstance(piece, str):
            return self._text_run(piece, "")
        if "field" in piece:
            instr = text(piece["field"])
            return (f'<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> {instr} '
                    f'</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
                    f'<w:r><w:fldChar w:fldCharType="end"/></w:r>')
        props = ""
        if piece.get("bold"):
            props += "<w:b/><w:bCs/>"
        if piece.get("blank"):
            props += '<w:highlight w:val="yellow"/>'
        out = self._text_run(piece.get("text", ""), props) if piece.get("text") else ""
        if "note" in piece:
            self.notes.append(piece["note"])
            out += (f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
                    f'<w:footnoteReference w:id="{len(self.notes)}"/></w:r>')
        return out

    @staticmethod
    def _text_run(value: str, props: str) -> str:
        parts = value.split("\n")
        body = "<w:br/>".join(f'<w:t xml:space="preserve">{text(p)}</w:t>' if p else "" for p in parts)
        return f"<w:r>{f'<w:rPr>{props}</w:rPr>' if props else ''}{body}</w:r>"

    def runs(self, content: Iterable[Any], *, bold: bool = False) -> str:
        return "".join(self.run({"text": c, "bold": True} if bold and isinstance(c, str) else c) for c in content)

    # --- blocks ------------------------------------------------------------------------------

    def paragraph(self, style: str, content: Iterable[Any], *, align: str = "", indent: bool = False,
                  bold: bool = False, keep: bool = False) -> str:
        props = f'<w:pStyle w:val="{style}"/>'
        if keep:
            props += "<w:keepNext/>"
        if indent:
            size = STYLES[self.style]["Normal"][1]
            props += f'<w:ind w:firstLineChars="200" w:firstLine="{size * 20}"/>'
        if align:
            props += f'<w:jc w:val="{ALIGN[align]}"/>'
        return f"<w:p><w:pPr>{props}</w:pPr>{self.runs(content, bold=bold)}</w:p>"

    def block(self, b: dict[str, Any]) -> str:
        kind = b["type"]
        if kind == "title":
            return self.paragraph("Title", b["content"], align="center")
        if kind == "heading":
            return self.paragraph(f"Heading{b['level']}", [b["text"]], keep=True)
        if kind == "para":
            return self.paragraph(PARA_STYLES[b.get("style", "body")], b["content"], align=b.get("align", ""),
                                  indent=b.get("indent", False))
        if kind == "table":
            return self.table(b)
        raise ValueError(f"unknown block type {kind!r}")

    def table(self, b: dict[str, Any]) -> str:
        widths = [round(self.width * w / sum(b["widths"])) for w in b["widths"]]
        n = len(widths)
        cell_style = "Normal" if b.get("size") == "body" else "TableText"
        line = '<w:{0} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
        borders = "".join(line.format(s) for s in ("top", "left", "bottom", "right", "insideH", "insideV")) \
            if b.get("borders", True) else ""
        out = [f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
               f'{f"<w:tblBorders>{borders}</w:tblBorders>" if borders else ""}<w:tblLayout w:type="fixed"/>'
               '<w:tblCellMar><w:left w:w="57" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
               '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" '
               'w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>']
        out.extend(f'<w:gridCol w:w="{w}"/>' for w in widths)
        out.append("</w:tblGrid>")
        if b["columns"]:
            cells = "".join(self.cell(w, [c], cell_style, bold=True, shade=SHADES["head"], align="center")
                            for w, c in zip(widths, b["columns"], strict=True))
            out.append(f"<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{cells}</w:tr>")
        for row in b["rows"]:
            if "section" in row:
                shade = SHADES["minor"] if row.get("minor") else SHADES["section"]
                out.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                           f"{self.cell(sum(widths), [row['section']], cell_style, bold=True, shade=shade, span=n)}</w:tr>")
                continue
            cells = row["cells"]
            parts = []
            for i, content in enumerate(cells):
                span = n - i if i == len(cells) - 1 else 1
                parts.append(self.cell(sum(widths[i:i + span]), content, cell_style, span=span))
            out.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(parts)}</w:tr>")
        out.append("</w:tbl>")
        return "".join(out)

    def cell(self, width: int, content: list[Any], style: str, *, bold: bool = False, shade: str = "",
             span: int = 1, align: str = "") -> str:
        if all(isinstance(c, str) for c in content):  # most cells: the same text in many schools' tables
            return _plain_cell(width, tuple(content), style, bold, shade, span, align)
        return _cell(width, self.paragraph(style, content, bold=bold, align=align), shade, span)


def _cell(width: int, paragraph: str, shade: str, span: int) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shade:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{paragraph}</w:tc>"


@lru_cache(maxsize=65536)
def _plain_cell(width: int, content: tuple[str, ...], style: str, bold: bool, shade: str, span: int, align: str) -> str:
    w = Writer("form", 0)  # plain text needs neither the document's style nor its footnotes
    return _cell(width, w.paragraph(style, content, bold=bold, align=align), shade, span)


# ----------------------------------------------------------------------------------------------
# Parts


def styles_xml(style: str) -> str:
    table = STYLES[style]
    font, size, _, _ = table["Normal"]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles {W_NS}><w:docDefaults><w:rPrDefault>'
           f'<w:rPr>{rfonts(font)}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
           '<w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault>'
           '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr></w:pPrDefault>'
           '</w:docDefaults>']
    for sid, (font, size, bold, line) in table.items():
        default = ' w:default="1"' if sid == "Normal" else ""
        based = "" if sid == "Normal" else '<w:basedOn w:val="Normal"/><w:next w:val="Normal"/>'
        spacing = {"Title": '<w:spacing w:before="240" w:after="240"/>',
                   "Heading1": '<w:spacing w:before="240" w:after="120"/>',
                   "Heading2": '<w:spacing w:before="120" w:after="60"/>'}.get(sid, "")
        if line:
            spacing = spacing.replace("/>", f' w:line="{line}" w:lineRule="exact"/>') if spacing else \
                f'<w:spacing w:line="{line}" w:lineRule="exact"/>'
        level = {"Heading1": '<w:outlineLvl w:val="0"/>', "Heading2": '<w:outlineLvl w:val="1"/>'}.get(sid, "")
        keep = "<w:keepNext/><w:keepLines/>" if level else ""
        ppr = f"<w:pPr>{keep}{spacing}{CENTER if sid in ('Title', 'Subtitle') else ''}{level}</w:pPr>"
        rpr = f'<w:rPr>{rfonts(font)}{"<w:b/><w:bCs/>" if bold else ""}<w:sz w:val="{size}"/><w:szCs w:val="{size}"/></w:rPr>'
        out.append(f'<w:style w:type="paragraph"{default} w:styleId="{sid}"><w:name w:val="{STYLE_NAMES[sid]}"/>'
                   f'{based}<w:qFormat/>{ppr}{rpr}</w:style>')
    small = table["Note"][1]
    for sid, name in (("Header", "header"), ("Footer", "footer"), ("FootnoteText", "footnote text")):
        out.append(f'<w:style w:type="paragraph" w:styleId="{sid}"><w:name w:val="{name}"/><w:basedOn w:val="Normal"/>'
                   f'<w:pPr><w:spacing w:line="240" w:lineRule="auto"/>{CENTER if sid != "FootnoteText" else ""}'
                   f'</w:pPr><w:rPr>{rfonts("song")}<w:sz w:val="{small}"/><w:szCs w:val="{small}"/></w:rPr></w:style>')
    out.append('<w:style w:type="character" w:styleId="FootnoteReference"><w:name w:val="footnote reference"/>'
               '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr></w:style></w:styles>')
    return "".join(out)


def font_table_xml() -> str:
    fonts = "".join(f'<w:font w:name={attr(name)}><w:altName w:val={attr(alt)}/><w:charset w:val="86"/>'
                    f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
                    for name, alt, family in LAYOUT["font_table"])
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:fonts {W_NS}>'
            f'<w:font w:name="{LATIN}"><w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/>'
            f'</w:font>{fonts}</w:fonts>')


def settings_xml(footnotes: bool) -> str:
    notes = '<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>' if footnotes else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings {W_NS}>'
            '<w:zoom w:percent="100"/><w:defaultTabStop w:val="420"/>'
            '<w:characterSpacingControl w:val="compressPunctuation"/>'
            f'{notes}<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" '
            'w:val="15"/></w:compat></w:settings>')


def footnotes_xml(w: Writer) -> str:
    sep = ('<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
           '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r></w:p>'
           '</w:footnote>')
    notes = "".join(f'<w:footnote w:id="{i}"><w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>'
                    f'<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r>'
                    f'{w._text_run(" " + note, "")}</w:p></w:footnote>' for i, note in enumerate(w.notes, start=1))
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:footnotes {W_NS}>{sep}{notes}</w:footnotes>'


def header_footer_xml(tag: str, w: Writer, content: list[Any]) -> str:
    style = "Header" if tag == "hdr" else "Footer"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{tag} {W_NS}>'
            f'{w.paragraph(style, content)}</w:{tag}>')


def core_xml(title: str, subject: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{text(title)}</dc:title><dc:subject>{text(subject)}</dc:subject>'
            '<dc:creator>dzzld-kb</dc:creator><cp:keywords>自查</cp:keywords></cp:coreProperties>')


def docx_bytes(model: dict[str, Any], *, subject: str = "") -> bytes:
    """The .docx file of a document model."""
    return package(docx_parts(model, subject=subject))


def docx_parts(model: dict[str, Any], *, subject: str = "") -> dict[str, str]:
    """The XML parts of a document model's .docx, by name in the package (in package order)."""
    style = model["style"]
    landscape = model.get("orientation") == "landscape"
    page_w, page_h = (A4[1], A4[0]) if landscape else A4
    top, right, bottom, left = MARGINS[style]
    w = Writer(style, page_w - left - right)
    body = "".join(w.block(b) for b in model["blocks"])
    rels = [("rIdStyles", "styles", "styles.xml"), ("rIdSettings", "settings", "settings.xml"),
            ("rIdFonts", "fontTable", "fontTable.xml")]
    parts: dict[str, str] = {}
    refs = ""
    if model.get("header"):
        parts["word/header1.xml"] = header_footer_xml("hdr", w, model["header"])
        rels.append(("rIdHeader", "header", "header1.xml"))
        refs += '<w:headerReference w:type="default" r:id="rIdHeader"/>'
    if model.get("footer"):
        parts["word/footer1.xml"] = header_footer_xml("ftr", w, model["footer"])
        rels.append(("rIdFooter", "footer", "footer1.xml"))
        refs += '<w:footerReference w:type="default" r:id="rIdFooter"/>'
    if w.notes:
        parts["word/footnotes.xml"] = footnotes_xml(w)
        rels.append(("rIdNotes", "footnotes", "footnotes.xml"))
    orient = ' w:orient="landscape"' if landscape else ""
    sect = (f'<w:sectPr>{refs}<w:pgSz w:w="{page_w}" w:h="{page_h}"{orient}/>'
            f'<w:pgMar w:top="{top}" w:right="{right}" w:bottom="{bottom}" w:left="{left}" w:header="851" '
            f'w:footer="850" w:gutter="0"/><w:pgNumType w:start="1"/><w:cols w:space="425"/></w:sectPr>')
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W_NS}><w:body>{body}{sect}'
                '</w:body></w:document>')
    overrides = {"/word/document.xml": f"{CT}.document.main+xml", "/word/styles.xml": f"{CT}.styles+xml",
                 "/word/settings.xml": f"{CT}.settings+xml", "/word/fontTable.xml": f"{CT}.fontTable+xml",
                 "/docProps/core.xml": "application/vnd.openxmlformats-package.core-properties+xml"}
    for name, ct in (("header1", "header"), ("footer1", "footer"), ("footnotes", "footnotes")):
        if f"word/{name}.xml" in parts:
            overrides[f"/word/{name}.xml"] = f"{CT}.{ct}+xml"
    content_types = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                     '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                     '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                     '<Default Extension="xml" ContentType="application/xml"/>'
                     + "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in overrides.items())
                     + "</Types>")
    package_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="word/document.xml"/>'
                    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
                    'core-properties" Target="docProps/core.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                + "".join(f'<Relationship Id="{i}" Type="{REL}/{t}" Target="{target}"/>' for i, t, target in rels)
                + "</Relationships>")
    files = {"[Content_Types].xml": content_types, "_rels/.rels": package_rels,
             "docProps/core.xml": core_xml(model.get("title", ""), subject), "word/document.xml": document,
             "word/_rels/document.xml.rels": doc_rels, "word/styles.xml": styles_xml(style),
             "word/settings.xml": settings_xml(bool(w.notes)), "word/fontTable.xml": font_table_xml(), **parts}
    return files


def package(files: dict[str, str]) -> bytes:
    """Parts zipped as a .docx: fixed dates and order, so the same parts give the same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # fixed: same input, same bytes
            z.writestr(info, content.encode("utf-8"), compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return buf.getvalue()
