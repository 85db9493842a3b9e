/* 自查清单“导出 Word”：在浏览器里生成本校的自查表和自查报告草稿（.docx），不经服务器、不连外网。
 *
 * checklist.js loads this file only when 导出 Word is clicked. It loads, from this site's own assets,
 * the vendored docx library (vendor/docx/docx.iife.js, MIT; see NOTICE.txt there), the documents'
 * data (word-export-data.js, generated from data/) and the document models (word-model.js, the port of
 * macros/docx_checklist.py and macros/docx_report.py), then writes each model with the library — the
 * same layout (documents.json "layout") as macros/docx_write.py. Data reaches the file only as run
 * text (TextRun), which the library escapes; nothing is sent anywhere.
 */
(function () {
  "use strict";

  var here = document.currentScript && document.currentScript.src;
  var BASE = here ? here.replace(/word-export\.js(\?.*)?$/, "") : "assets/";
  var loading = null;

  function loadScript(url) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error("无法载入 " + url.slice(BASE.length))); };
      document.head.appendChild(s);
    });
  }

  /* The library, the data and the models, once per page. */
  function load() {
    if (!loading) {
      loading = Promise.all([loadScript(BASE + "vendor/docx/docx.iife.js"), loadScript(BASE + "word-export-data.js"),
        loadScript(BASE + "word-model.js")]);
      loading.catch(function () { loading = null; });
    }
    return loading;
  }

  // --- model → docx (the same layout as macros/docx_write.py) ---------------------------------

  function Renderer(D, layout, style) {
    this.D = D;
    this.L = layout;
    this.style = style;
  }

  Renderer.prototype.font = function (role) {
    var L = this.L;
    return { ascii: L.latin, hAnsi: L.latin, cs: L.latin, eastAsia: L.fonts[role], hint: "eastAsia" };
  };

  Renderer.prototype.runs = function (content, bold) {
    var D = this.D, out = [];
    content.forEach(function (piece) {
      if (typeof piece !== "string" && piece.field) {
        out.push(new D.TextRun({ children: [piece.field === "PAGE" ? D.PageNumber.CURRENT : D.PageNumber.TOTAL_PAGES] }));
        return;
      }
      if (typeof piece !== "string" && piece.note) throw new Error("footnotes are not used in the school's documents");
      var text = typeof piece === "string" ? piece : piece.text || "";
      var opts = {};
      if (bold || (typeof piece !== "string" && piece.bold)) opts.bold = true;
      if (typeof piece !== "string" && piece.blank) opts.highlight = "yellow";
      text.split("\n").forEach(function (part, i) {
        var o = Object.assign({ text: part }, opts);
        if (i > 0) o.break = 1;
        out.push(new D.TextRun(o));
      });
    });
    return out;
  };

  Renderer.prototype.paragraph = function (styleId, content, opts) {
    opts = opts || {};
    var D = this.D;
    var p = { style: styleId, children: this.runs(content, opts.bold) };
    if (opts.keep) p.keepNext = true;
    if (opts.indent) p.indent = { firstLine: this.L.styles[this.style].Normal[1] * 20 };
    if (opts.align) p.alignment = { left: D.AlignmentType.LEFT, center: D.AlignmentType.CENTER, right: D.AlignmentType.RIGHT }[opts.align];
    return new D.Paragraph(p);
  };

  Renderer.prototype.block = function (b, width) {
    if (b.type === "title") return this.paragraph("Title", b.content, { align: "center" });
    if (b.type === "heading") return this.paragraph("Heading" + b.level, [b.text], { keep: true });
    if (b.type === "para") {
      var styles = { body: "Normal", subtitle: "Subtitle", note: "Note", closing: "Closing" };
      return this.paragraph(styles[b.style || "body"], b.content, { align: b.align, indent: b.indent });
    }
    if (b.type === "table") return this.table(b, width);
    throw new Error("unknown block type " + b.type);
  };

  Renderer.prototype.table = function (b, width) {
    var D = this.D, self = this, L = this.L;
    var sum = b.widths.reduce(function (n, w) { return n + w; }, 0);
    var widths = b.widths.map(function (w) { return Math.round(width * w / sum); });
    var total = widths.reduce(function (n, w) { return n + w; }, 0);
    var cellStyle = b.size === "body" ? "Normal" : "TableText";
    function cell(w, content, opts) {
      opts = opts || {};
      var c = { width: { size: w, type: D.WidthType.DXA }, children: [self.paragraph(cellStyle, content, opts)] };
      if (opts.span > 1) c.columnSpan = opts.span;
      if (opts.shade) c.shading = { type: D.ShadingType.CLEAR, color: "auto", fill: opts.shade };
      return new D.TableCell(c);
    }
    var rows = [];
    if (b.columns.length) {
      rows.push(new D.TableRow({ tableHeader: true, cantSplit: true, children: b.columns.map(function (c, i) {
        return cell(widths[i], [c], { bold: true, shade: L.shades.head, align: "center" });
      }) }));
    }
    b.rows.forEach(function (row) {
      if ("section" in row) {
        rows.push(new D.TableRow({ cantSplit: true, children: [cell(total, [row.section],
          { bold: true, span: widths.length, shade: row.minor ? L.shades.minor : L.shades.section })] }));
        return;
      }
      rows.push(new D.TableRow({ cantSplit: true, children: row.cells.map(function (content, i) {
        var span = i === row.cells.length - 1 ? widths.length - i : 1;
        var w = widths.slice(i, i + span).reduce(function (n, x) { return n + x; }, 0);
        return cell(w, content, { span: span });
      }) }));
    });
    var t = { rows: rows, columnWidths: widths, width: { size: total, type: D.WidthType.DXA },
      layout: D.TableLayoutType.FIXED, alignment: D.AlignmentType.CENTER,
      margins: { left: 57, right: 57, marginUnitType: D.WidthType.DXA } };
    if (b.borders === false) t.borders = D.TableBorders.NONE;
    else {
      var line = { style: D.BorderStyle.SINGLE, size: 4, color: "000000" };
      t.borders = { top: line, bottom: line, left: line, right: line, insideHorizontal: line, insideVertical: line };
    }
    return new D.Table(t);
  };

  Renderer.prototype.styles = function () {
    var self = this, table = this.L.styles[this.style];
    var names = { Normal: "Normal", Title: "Title", Subtitle: "Subtitle", Heading1: "heading 1", Heading2: "heading 2",
      Note: "Note", Closing: "Closing", TableText: "Table Text" };
    var spacing = { Title: { before: 240, after: 240 }, Heading1: { before: 240, after: 120 }, Heading2: { before: 120, after: 60 } };
    var normal = table.Normal;
    var paragraphStyles = Object.keys(table).map(function (id) {
      var s = table[id];
      var para = { spacing: Object.assign({ after: 0 }, spacing[id] || {}) };
      if (s[3]) { para.spacing.line = s[3]; para.spacing.lineRule = self.D.LineRuleType.EXACT; }
      if (id === "Title" || id === "Subtitle") para.alignment = self.D.AlignmentType.CENTER;
      if (id === "Heading1" || id === "Heading2") { para.outlineLevel = id === "Heading1" ? 0 : 1; para.keepNext = true; para.keepLines = true; }
      var o = { id: id, name: names[id], quickFormat: true, paragraph: para,
        run: { font: self.font(s[0]), size: s[1], bold: !!s[2] } };
      if (id !== "Normal") { o.basedOn = "Normal"; o.next = "Normal"; }
      return o;
    });
    var small = table.Note[1];
    ["Header", "Footer"].forEach(function (id) {
      paragraphStyles.push({ id: id, name: id.toLowerCase(), basedOn: "Normal",
        paragraph: { alignment: self.D.AlignmentType.CENTER, spacing: { line: 240 } }, run: { font: self.font("song"), size: small } });
    });
    return { default: { document: { run: { font: this.font(normal[0]), size: normal[1] } } }, paragraphStyles: paragraphStyles };
  };

  /* A document model as a docx.Document. */
  function render(model) {
    var D = window.docx, L = window.dzWordData.texts.layout;
    var r = new Renderer(D, L, model.style);
    var landscape = model.orientation === "landscape";
    var pageW = landscape ? L.a4[1] : L.a4[0], pageH = landscape ? L.a4[0] : L.a4[1];
    var m = L.margins[model.style];
    var width = pageW - m[1] - m[3];
    var section = {
      properties: { page: { size: { width: L.a4[0], height: L.a4[1], orientation: landscape ? D.PageOrientation.LANDSCAPE : D.PageOrientation.PORTRAIT },
        margin: { top: m[0], right: m[1], bottom: m[2], left: m[3], header: 851, footer: 850 }, pageNumbers: { start: 1 } } },
      children: model.blocks.map(function (b) { return r.block(b, width); })
    };
    if (model.header && model.header.length) section.headers = { default: new D.Header({ children: [r.paragraph("Header", model.header)] }) };
    if (model.footer && model.footer.length) section.footers = { default: new D.Footer({ children: [r.paragraph("Footer", model.footer)] }) };
    void pageH;
    return new D.Document({ creator: "dzzld-kb", title: model.title, subject: F(window.dzWordData.texts.data_version, window.dzWordData.data_version),
      styles: r.styles(), sections: [section] });
  }

  function F(tpl, v) { return tpl.replace("{}", v); }

  // the page's own helpers (checklist.js loads this file, so they exist)
  var safeFileName = window.dzChecklist.safeFileName;

  function download(name, blob) {
    return window.dzChecklist.download(name, blob, blob.type, true); // the links shown stay valid
  }

  /* Build both documents for the checklist on the page and download them; resolves to the links. */
  function run(checklist) {
    return load().then(function () {
      var M = window.dzWordModel, DATA = window.dzWordData;
      if (DATA.data_version !== checklist.spec.data_version) throw new Error("页面与导出数据的版本不一致，请刷新页面后再试");
      var inp = M.input(checklist);
      var name = safeFileName(inp.school.name);
      var T = DATA.texts;
      var docs = [[F(T.checklist.file, name), M.checklistModel(inp)], [F(T.report.file, name), M.reportModel(inp)]];
      return Promise.all(docs.map(function (d) { return window.docx.Packer.toBlob(render(d[1])); })).then(function (blobs) {
        return docs.map(function (d, i) { return { name: d[0], url: download(d[0], blobs[i]) }; });
      });
    });
  }

  window.dzWordExport = { run: run, load: load, render: render };
})();
