/* 自查清单“导出 Word”的文档内容：本校自查表和自查报告草稿的文档模型（纯函数，不碰页面）。
 *
 * Loaded by word-export.js when 导出 Word is clicked. `input` builds the same input as
 * macros/docx_model.doc_input from the page (its spec, rows and answers, and the page's own Rules for
 * counts and scores); `checklistModel` and `reportModel` are line-by-line ports of
 * macros/docx_checklist.py and macros/docx_report.py over that input. The wording comes from
 * macros/templates/documents.json through assets/word-export-data.js (window.dzWordData).
 * tests/test_browser_word.py runs both implementations on the same input and compares the models.
 */
(function () {
  "use strict";

  var CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\ufffe\uffff]/g;
  var SLOT = /\{(\w*)\}/g;

  // --- helpers (macros/docx_model.py) ------------------------------------------------------

  function clean(v) {
    var t = v === null || v === undefined ? "" : String(v);
    return t.replace(/\r\n/g, "\n").replace(/\r/g, "\n").replace(/\t/g, " ").replace(CONTROL, "");
  }

  function num(x) {
    return x === null || x === undefined ? "" : String(Number(Number(x).toFixed(6)));
  }

  function pct(x) {
    return x === null || x === undefined ? "" : (x * 100).toFixed(1) + "%";
  }

  function countChars(text) {
    var n = 0;
    Array.from(text).forEach(function (ch) { if (" \t\n\u3000".indexOf(ch) < 0) n += 1; });
    return n;
  }

  /* Python's str.format for our templates: {} in order, {name} by name. */
  function F(tpl) {
    var args = Array.prototype.slice.call(arguments, 1);
    var named = args.length === 1 && args[0] !== null && typeof args[0] === "object" ? args[0] : null;
    var i = 0;
    return tpl.replace(SLOT, function (_, key) { return String(key ? named[key] : args[i++]); });
  }

  /* docx_model.fill: a template's slots filled with strings or inline pieces; returns inline content. */
  function fill(tpl) {
    var args = Array.prototype.slice.call(arguments, 1);
    var named = args.length === 1 && args[0] !== null && typeof args[0] === "object" && !("text" in args[0]) ? args[0] : null;
    var out = [];
    var pos = 0, n = 0, m;
    SLOT.lastIndex = 0;
    while ((m = SLOT.exec(tpl)) !== null) {
      out.push(tpl.slice(pos, m.index));
      var value = m[1] ? named[m[1]] : args[n++];
      out.push(value !== null && typeof value === "object" ? value : String(value));
      pos = m.index + m[0].length;
    }
    out.push(tpl.slice(pos));
    var merged = [];
    out.forEach(function (p) {
      if (typeof p === "string" && merged.length && typeof merged[merged.length - 1] === "string") merged[merged.length - 1] += p;
      else if (p !== "") merged.push(p);
    });
    return merged.filter(function (p) { return p !== ""; });
  }

  function numeral(n) {
    var d = "零一二三四五六七八九";
    if (n <= 10) return n === 10 ? "十" : d[n];
    var tens = Math.floor(n / 10), ones = n % 10;
    return (tens === 1 ? "" : d[tens]) + "十" + (ones === 0 ? "" : d[ones]);
  }

  function blank(T, what) { return { text: F(T.blank, what), blank: true }; }

  function para(content, opts) {
    opts = opts || {};
    var out = { type: "para", style: opts.style || "body", content: content.filter(function (c) { return c !== ""; }) };
    if (opts.align) out.align = opts.align;
    if (opts.indent) out.indent = true;
    return out;
  }

  function heading(level, text) { return { type: "heading", level: level, text: text }; }
  function title(content) { return { type: "title", content: content }; }

  function table(columns, widths, rows, opts) {
    opts = opts || {};
    return { type: "table", columns: columns, widths: widths, rows: rows, borders: opts.borders !== false, size: opts.size || "table" };
  }

  function plainText(content) {
    return content.map(function (c) { return typeof c === "string" ? c : (c.text || ""); }).join("");
  }

  function blockText(b) {
    if (b.type === "table") {
      var parts = b.columns.slice();
      b.rows.forEach(function (row) {
        parts.push(row.section || "");
        (row.cells || []).forEach(function (cell) { parts.push(plainText(cell)); });
      });
      return parts.join("\n");
    }
    if (b.type === "heading") return b.text;
    return plainText(b.content);
  }

  function known(v) { return !!v && v !== "未知"; }

  // --- the input (docx_model.doc_input), from the page ---------------------------------------

  function input(cl) {
    var DATA = window.dzWordData;
    var spec = cl.spec, rules = cl.rules;
    var info = cl.schoolInfo();
    var profile = cl.profile();
    var kinds = [spec.kinds.rule, spec.kinds.reference];
    var results = {};
    kinds.forEach(function (k) { results[k] = spec.results[k]; });
    var rows = (cl.selected || []).map(function (s) { return { id: s.id, number: s.number, kind: s.kind, certain: s.certain }; });
    var items = {};
    rows.forEach(function (r) { items[r.id] = DATA.items[r.id]; });
    var school = { name: clean(info.name), id: clean(info.id || ""), district: spec.districts[info.district] || clean(info.district) };
    ["org_type", "mode", "stage", "ownership"].forEach(function (k) { school[k] = clean(info[k]); });
    school.period = clean(info.period);
    var sp = rules.scoringProfile(profile);
    var inp = { data_version: spec.data_version, texts: DATA.texts, labels: DATA.labels, dimensions: DATA.dimensions,
      results: results, kinds: kinds, unanswered: spec.unanswered, meaning: DATA.meaning, school: school, rows: rows,
      items: items, answers: null, summary: null, score: null, scoring: null };
    if (sp) {
      var points = {};
      rows.forEach(function (r) {
        if (r.kind !== kinds[0]) return;
        var p = rules.points(sp, r.id);
        points[r.id] = { points: num(p.points) };
        if (p.deduct) { points[r.id].deduct_what = clean(p.deduct.what); points[r.id].deduct_per = num(p.deduct.per); }
      });
      inp.scoring = { name: sp.name, version: sp.version, total: num(sp.total), example: sp.example, note: sp.note, points: points };
    }
    var all = cl.currentAnswers();
    var kept = {}, docs = {};
    (cl.selected || []).forEach(function (s) {
      var a = all[s.id] || {};
      var result = results[s.kind].indexOf(a.result) >= 0 ? a.result : "";
      kept[s.id] = Object.assign({}, a, { result: result });
      docs[s.id] = { result: result, note: clean(a.note).trim(), evidence: clean(a.evidence).trim(),
        na_reason: clean(a.na_reason).trim(), review_note: clean(a.review_note).trim(), review_score: num(a.review_score) };
    });
    inp.answers = docs;
    var sum = rules.summary(cl.selected || [], kept);
    inp.summary = { compliance: pct(sum.compliance) };
    kinds.forEach(function (k) {
      inp.summary[k] = { total: sum[k].total, counts: Object.assign({}, sum[k].counts), unanswered: sum[k][spec.unanswered] };
    });
    if (sp) {
      var sc = rules.score(sp, cl.selected || [], kept);
      var open = sc.items.filter(function (i) { return i.status === "unanswered" || i.status === "na_no_reason"; }).length;
      var last = sp.grades[sp.grades.length - 1].name;
      var t = DATA.texts.checklist;
      var scoreItems = {};
      sc.items.forEach(function (i) { scoreItems[i.item] = { earned: num(i.earned), status: i.status }; });
      inp.score = { started: open < sc.items.length, open: open, scaled: num(sc.scaled), grade: sc.grade || "",
        vetoes: sp.vetoes.filter(function (v) { return sc.vetoes.indexOf(v.id) >= 0; }).map(function (v) {
          return v.label + "（" + (v.effect === "fail" ? F(t.veto_fail, last) : F(t.veto_cap, v.grade)) + "）";
        }),
        review_scaled: num(sc.review_scaled), review_grade: sc.review_grade || "", items: scoreItems };
    }
    return inp;
  }

  // --- the 自查表 (macros/docx_checklist.py) ---------------------------------------------------

  function line(inp, value) { return value && value !== inp.unknown ? value : inp.texts.line; }

  function profileRows(inp) {
    var t = inp.texts.checklist, s = inp.school, labels = inp.labels, sp = inp.scoring;
    var pairs = [[labels.name, line(inp, s.name)]];
    if (s.id) pairs.push([labels.id, s.id]);
    pairs.push([labels.district, line(inp, s.district)]);
    ["org_type", "mode", "stage", "ownership"].forEach(function (k) { pairs.push([labels[k], line(inp, s[k])]); });
    pairs.push([t.scoring, sp ? sp.name + "（" + sp.version + "）" : inp.texts.line]);
    pairs.push([t.period, line(inp, s.period)]);
    var rows = [];
    for (var i = 0; i < pairs.length; i += 2) {
      var cells = [[pairs[i][0]], [pairs[i][1]]];
      if (i + 1 < pairs.length) cells.push([pairs[i + 1][0]], [pairs[i + 1][1]]);
      rows.push({ cells: cells });
    }
    return rows;
  }

  function resultCell(inp, row, answer) {
    var T = inp.texts;
    var chosen = answer ? answer.result : "";
    var lines = inp.results[row.kind].map(function (r) { return (r === chosen ? T.checked : T.unchecked) + " " + r; });
    if (answer && chosen === inp.meaning.na) lines.push(F(T.checklist.na_reason, answer.na_reason || T.line));
    return [lines.join("\n")];
  }

  function scoreCell(inp, row, answer) {
    var t = inp.texts.checklist, short = inp.texts.short_line, sp = inp.scoring;
    if (row.kind !== inp.kinds[0]) return [t.no_points];
    if (!sp) return [];
    var p = sp.points[row.id];
    var first = F(t.points, p.points);
    if ("deduct_what" in p) first += F(t.deduct, p.deduct_what, p.deduct_per);
    var earned = short;
    if (answer && inp.score) {
      var status = inp.score.items[row.id].status;
      if (status === "scored") earned = inp.score.items[row.id].earned;
      else if (status === "na") earned = t.not_applicable;
    }
    var review = answer && answer.review_score ? answer.review_score : short;
    return [[first, F(t.self_score, earned), F(t.review_score, review)].join("\n")];
  }

  function itemCells(inp, row) {
    var t = inp.texts.checklist;
    var item = inp.items[row.id];
    var answer = inp.answers ? inp.answers[row.id] : null;
    var head = item.title + "\n" + row.id + (row.certain ? "" : "\n" + t.maybe);
    var evidence = item.evidence.join(inp.texts.list_sep);
    if (answer && answer.evidence) evidence += "\n" + F(t.school_evidence, answer.evidence);
    var note = "";
    if (answer) {
      var parts = answer.note ? [answer.note] : [];
      if (answer.review_note) parts.push(F(t.review_note, answer.review_note));
      note = parts.join("\n");
    }
    return [[String(row.number)], [head], [item.check], [item.basis.join("\n")], evidence ? [evidence] : [],
      resultCell(inp, row, answer), scoreCell(inp, row, answer), note ? [note] : []];
  }

  function itemRows(inp) {
    var t = inp.texts.checklist;
    var out = [];
    var kindNo = 0;
    inp.kinds.forEach(function (kind) {
      var ofKind = inp.rows.filter(function (r) { return r.kind === kind; });
      if (!ofKind.length) return;
      kindNo += 1;
      out.push({ section: numeral(kindNo) + "、" + F(t.kind_heading, kind, t.kind_notes[kind]) });
      var dimNo = 0;
      inp.dimensions.forEach(function (d) {
        var rows = ofKind.filter(function (r) { return inp.items[r.id].dimension === d[0]; });
        if (!rows.length) return;
        dimNo += 1;
        out.push({ section: "（" + numeral(dimNo) + "）" + d[1], minor: true });
        rows.forEach(function (r) { out.push({ cells: itemCells(inp, r) }); });
      });
    });
    return out;
  }

  function summaryBlocks(inp) {
    var T = inp.texts, t = T.checklist, short = T.short_line, s = inp.summary;
    var out = [heading(1, t.summary_heading)];
    inp.kinds.forEach(function (kind) {
      var total = inp.rows.filter(function (r) { return r.kind === kind; }).length;
      var counts = inp.results[kind].map(function (r) { return F(t.summary_count, r, s ? s[kind].counts[r] : short); })
        .join(T.list_sep);
      var text = F(t.summary_kind, { kind: kind, total: total, counts: counts, unanswered: inp.unanswered,
        n: s ? s[kind].unanswered : short });
      if (kind === inp.kinds[0]) {
        var rate;
        if (!s) rate = short;
        else if (s[kind].total > s[kind].unanswered && s.compliance) rate = s.compliance;
        else rate = "—";
        text += T.list_sep + F(t.compliance, rate);
      }
      out.push(para([text]));
    });
    var sp = inp.scoring, sc = inp.score;
    if (sp) {
      var value = short, opened = "", grade = short, vetoes = short;
      if (sc && sc.started) {
        value = sc.scaled;
        grade = sc.grade;
        opened = sc.open ? F(t.score_open, sc.open) : "";
        vetoes = sc.vetoes.join(T.list_sep) || t.no_veto;
      } else if (sc) {
        value = grade = vetoes = "—";
      }
      out.push(para([F(t.score, { name: sp.name, total: sp.total, score: value, open: opened, grade: grade, vetoes: vetoes })]));
      if (sc && sc.review_scaled) out.push(para([F(t.review, sc.review_scaled, sc.review_grade)]));
      if (sp.example) out.push(para([sp.note], { style: "note" }));
    }
    out.push(para([t.legend], { style: "note" }));
    return out;
  }

  function footer(inp) {
    return [F(inp.texts.data_version, inp.data_version) + " · "].concat(inp.texts.page_footer.map(function (p) {
      return p === "PAGE" || p === "NUMPAGES" ? { field: p } : p;
    }));
  }

  function checklistModel(inp) {
    var t = inp.texts.checklist;
    var name = inp.school.name;
    var blocks = [title([t.title])];
    if (name) blocks.push(para([name], { style: "subtitle", align: "center" }));
    blocks.push(heading(1, t.profile_heading));
    blocks.push(table([], [14, 36, 14, 36], profileRows(inp)));
    blocks.push(heading(1, t.columns[1]));
    blocks.push(table(t.columns, t.widths, itemRows(inp)));
    blocks = blocks.concat(summaryBlocks(inp));
    blocks.push(heading(1, t.signoff_heading));
    blocks.push(table([], [50, 50], t.signoff.map(function (row) { return { cells: row.map(function (c) { return [c]; }) }; }),
      { borders: false, size: "body" }));
    var sp = inp.scoring;
    var stamp = F(t.stamp, { version: F(inp.texts.data_version, inp.data_version),
      scoring: sp ? F(t.stamp_scoring, sp.name, sp.version) : "" });
    blocks.push(para([stamp], { style: "note" }));
    return { kind: "checklist", style: "form", orientation: "landscape", title: (name + " " + t.title).trim(),
      header: name ? fill("{} · {}", name, t.title) : [t.title], footer: footer(inp), blocks: blocks };
  }

  // --- the 自查报告 draft (macros/docx_report.py) -----------------------------------------------

  function value(inp, key) {
    var v = inp.school[key];
    return v && v !== inp.unknown ? v : blank(inp.texts, inp.labels[key]);
  }

  function grouped(inp, rowsIn, results) {
    var chosen = rowsIn.filter(function (r) { return results.indexOf(inp.answers[r.id].result) >= 0; });
    var out = [];
    inp.dimensions.forEach(function (d) {
      var rows = chosen.filter(function (r) { return inp.items[r.id].dimension === d[0]; });
      if (rows.length) out.push([d[1], rows]);
    });
    return out;
  }

  function basicBlocks(inp) {
    var T = inp.texts, t = T.report, s = inp.school;
    var name = s.name || blank(T, t.name_blank);
    var out = [heading(1, t.sections[0])];
    out.push(para(fill(t.profile, { name: name, id: s.id ? F(t.school_id, s.id) : "", district: value(inp, "district"),
      org_type: value(inp, "org_type"), mode: value(inp, "mode"), stage: value(inp, "stage"),
      ownership: value(inp, "ownership") }), { indent: true }));
    var rules = inp.rows.filter(function (r) { return r.kind === inp.kinds[0]; }).length;
    var lines = fill(t.period, s.period || blank(T, T.checklist.period));
    lines = lines.concat(fill(t.scope, { total: inp.rows.length, rules: rules, refs: inp.rows.length - rules }));
    out.push(para(lines, { indent: true }));
    var summary = inp.summary;
    var rows = inp.kinds.map(function (kind) {
      var b = summary[kind];
      var counts = inp.results[kind].map(function (r) { return F(T.checklist.summary_count, r, b.counts[r]); });
      counts.push(F(T.checklist.summary_count, inp.unanswered, b.unanswered));
      var answered = b.total > b.unanswered;
      var rate = kind === inp.kinds[0] && answered && summary.compliance ? summary.compliance : "—";
      return { cells: [[kind], [String(b.total)], [counts.join(T.list_sep)], [rate]] };
    });
    out.push(table(t.counts_columns, t.counts_widths, rows));
    var unanswered = summary[inp.kinds[0]].unanswered;
    if (unanswered) out.push(para([F(t.unanswered_line, unanswered)], { indent: true }));
    var sp = inp.scoring, sc = inp.score;
    if (sp && sc && sc.started) {
      var text = F(t.score, { name: sp.name, total: sp.total, score: sc.scaled, grade: sc.grade });
      if (sp.example) text += F(t.score_example, sp.note);
      if (sc.open) text += F(t.score_open, sc.open);
      if (sc.vetoes.length) text += F(t.vetoes, sc.vetoes.join(T.list_sep));
      if (sc.review_scaled) text += F(t.review, sc.review_scaled, sc.review_grade);
      out.push(para([text], { indent: true }));
    }
    var na = inp.rows.filter(function (r) { return inp.answers[r.id].result === inp.meaning.na; });
    if (na.length) {
      out.push(para([F(t.na_intro, na.length)], { indent: true }));
      na.forEach(function (r, i) {
        var reason = inp.answers[r.id].na_reason || blank(T, t.na_blank);
        out.push(para([(i + 1) + ". "].concat(fill(t.na_line, { title: inp.items[r.id].title, reason: reason })), { indent: true }));
      });
    }
    return out;
  }

  function practiceBlocks(inp) {
    var T = inp.texts, t = T.report;
    var groups = grouped(inp, inp.rows, inp.meaning.practice);
    var rows = [].concat.apply([], groups.map(function (g) { return g[1]; }));
    var out = [heading(1, t.sections[1])];
    if (!rows.length) return out.concat([para([t.practice_none], { indent: true })]);
    var rules = rows.filter(function (r) { return r.kind === inp.kinds[0]; }).length;
    out.push(para([F(t.practice_intro, rules, rows.length - rules)], { indent: true }));
    var n = 0;
    groups.forEach(function (g, i) {
      out.push(heading(2, "（" + numeral(i + 1) + "）" + g[0]));
      g[1].forEach(function (r) {
        n += 1;
        var a = inp.answers[r.id];
        var tag = r.kind !== inp.kinds[0] ? t.reference_tag : "";
        var content = [n + ". " + F(t.item_line, { title: inp.items[r.id].title + tag }), a.note || blank(T, t.practice_blank)];
        if (a.evidence) content.push(F(t.evidence, a.evidence));
        out.push(para(content, { indent: true }));
      });
    });
    return out;
  }

  function problemRows(inp) {
    return grouped(inp, inp.rows.filter(function (r) { return r.kind === inp.kinds[0]; }), inp.meaning.problem);
  }

  function problemBlocks(inp) {
    var T = inp.texts, t = T.report;
    var groups = problemRows(inp);
    var total = groups.reduce(function (n, g) { return n + g[1].length; }, 0);
    var out = [heading(1, t.sections[2])];
    if (!total) return out.concat([para([t.problem_none], { indent: true })]);
    out.push(para([F(t.problem_intro, total)], { indent: true }));
    var n = 0;
    groups.forEach(function (g, i) {
      out.push(heading(2, "（" + numeral(i + 1) + "）" + g[0]));
      g[1].forEach(function (r) {
        n += 1;
        var a = inp.answers[r.id];
        var text = n + ". " + F(t.item_line, { title: inp.items[r.id].title + F(t.problem_result, a.result) });
        out.push(para([text, a.note || blank(T, t.problem_blank)], { indent: true }));
      });
    });
    return out;
  }

  function measureBlocks(inp) {
    var T = inp.texts, t = T.report;
    var rows = [].concat.apply([], problemRows(inp).map(function (g) { return g[1]; }));
    var out = [heading(1, t.sections[3])];
    if (!rows.length) return out.concat([para([t.measures_none], { indent: true })]);
    out.push(para([t.measures_intro], { indent: true }));
    var cells = rows.map(function (r, i) {
      return { cells: [[String(i + 1)], [inp.items[r.id].title + F(t.problem_result, inp.answers[r.id].result)],
        [blank(T, t.measures_blank)], [blank(T, t.measures_person)], [blank(T, t.measures_date)]] };
    });
    out.push(table(t.measures_columns, t.measures_widths, cells));
    return out;
  }

  function reportModel(inp) {
    var T = inp.texts, t = T.report, s = inp.school;
    var name = s.name || blank(T, t.name_blank);
    var body = basicBlocks(inp).concat(practiceBlocks(inp), problemBlocks(inp), measureBlocks(inp));
    body.push(para([], { style: "closing" })); // a blank line before the signature
    body.push(para([name], { style: "closing", align: "right" }));
    body.push(para([t.closing[0]], { style: "closing", align: "right" }));
    body.push(para([blank(T, t.closing[1])], { style: "closing", align: "right" }));
    var length = body.reduce(function (n, b) { return n + countChars(blockText(b)); }, 0);
    var version = F(T.data_version, inp.data_version) + T.list_sep + F(t.length, length);
    var head = [title(fill(t.title, name)), para([t.draft], { style: "subtitle", align: "center" }),
      para([F(t.note, version)], { style: "note" })];
    return { kind: "report", style: "official", orientation: "portrait", title: F(t.title, s.name) + t.draft,
      header: [], footer: ["— ", { field: "PAGE" }, " —"], blocks: head.concat(body), chars: length };
  }

  window.dzWordModel = { clean: clean, num: num, pct: pct, F: F, fill: fill, numeral: numeral, input: input,
    checklistModel: checklistModel, reportModel: reportModel };
})();
