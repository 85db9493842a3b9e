/* 自查清单：按学校情况筛选检查项、区分规定项与参考项，在本机浏览器保存答案，导入/导出 JSON、导出 CSV、打印。
 *
 * The page controller. The rules (applicability, kind, summary, score, the answers schema) are in
 * checklist-core.js (`Rules`, from the page's JSON spec — macros/checklist.py — and run against the
 * Python by tests/test_checklist_parity.py); summary and score display in checklist-summary.js; answers
 * files, storage, import and export in checklist-files.js. mkdocs.yml loads the four in that order.
 *
 * The rows are rendered (escaped) on the server; this script never builds HTML from data: it only
 * toggles `hidden`, moves rows between groups, sets textContent/values and creates a few fixed
 * elements with DOM APIs. No network access, no libraries. Blank tables (data-mode="blank") are left alone.
 *
 * Phones: one DOM serves both layouts; below Material's mobile breakpoint extra.css shows every row as
 * a card with its 依据 folded under a button. A dock stuck to the bottom of the
 * screen holds the messages (so they show where the user is) and the progress with "下一未答".
 * Inside WeChat (downloads and printing blocked) a banner says how to open the page in the browser,
 * and the answers can be copied or shown as JSON text instead of downloaded.
 *
 * Storage (localStorage):
 *   dzzld:v1:school:<学校名称>  answers document of a school typed into the interactive page
 *   dzzld:v1:last               the last school name used on the interactive page
 *   dzzld:v1:id:<SCH-…>         answers document of a roster school's own page
 * A stored document has the shape of an exported answers file, plus `retired_answers` /
 * `unknown_answers` for answers that no longer match an item on the page.
 */
(function () {
  "use strict";

  var C = window.dzChecklistCore;
  var PREFIX = C.PREFIX, IN_WECHAT = C.IN_WECHAT, isObject = C.isObject, own = C.own, safeFileName = C.safeFileName,
    csvFieldFor = C.csvFieldFor, scrollToEl = C.scrollToEl, store = C.store, download = C.download,
    numberOf = C.numberOf, fmt = C.fmt, schemaError = C.schemaError, Rules = C.Rules;

  // ------------------------------------------------------------------------------------------
  // One checklist on a page

  function Checklist(root, spec) {
    this.root = root;
    this.spec = spec;
    this.rules = new Rules(spec);
    this.mode = root.getAttribute("data-mode");
    this.schoolId = root.getAttribute("data-school-id") || "";
    this.version = spec.data_version;
    this.form = root.querySelector("form.dz-profile");
    this.messages = root.querySelector(".dz-messages");
    this.messageClose = root.querySelector(".dz-message-close");
    this.messageAction = null; // the button offered with a message (e.g. "去填写学校名称"), if any
    this.progress = root.querySelector(".dz-progress");
    this.exportBox = root.querySelector(".dz-export");
    this.wechat = IN_WECHAT;
    this.rows = Array.prototype.slice.call(root.querySelectorAll("tr.dz-item[data-item]"));
    this.byId = {};
    for (var i = 0; i < this.rows.length; i++) this.byId[this.rows[i].getAttribute("data-item")] = this.rows[i];
    this.groups = {}; // "<kind>|<dimension>" -> tbody
    var bodies = root.querySelectorAll("tbody.dz-dim");
    for (var j = 0; j < bodies.length; j++) {
      this.groups[bodies[j].getAttribute("data-kind") + "|" + bodies[j].getAttribute("data-dimension")] = bodies[j];
    }
    this.extras = { retired_answers: {}, unknown_answers: {} }; // answers kept aside in storage
    this.boundKey = null; // storage key the form is currently saved under
    this.createdKeys = {}; // keys this page created (a name being typed), removable when the name changes
    this.pendingKey = null; // another school's saved answers, loaded when the name is committed
    this.warnedNoName = false;
    this.draft = false;
  }

  // The methods kept in their own files (loaded before this one): summary and score; answers files.
  Object.assign(Checklist.prototype, window.dzChecklistSummary, window.dzChecklistFiles);

  Checklist.prototype.field = function (name) {
    return this.form ? this.form.querySelector('[name="' + name + '"]') : null;
  };

  Checklist.prototype.fieldValue = function (name) {
    var el = this.field(name);
    if (!el || el.tagName === "OUTPUT") return "";
    return el.value;
  };

  /* The profile that decides which items apply and which kind they are. */
  Checklist.prototype.profile = function () {
    var p = {};
    var keys = this.spec.profile_keys;
    for (var i = 0; i < keys.length; i++) {
      var k = keys[i];
      if (this.mode === "app") {
        var el = this.field(k);
        p[k] = el && el.value ? el.value : this.spec.unknown;
      } else {
        p[k] = this.root.getAttribute("data-p-" + k) || this.spec.unknown;
      }
    }
    p.scoring = this.mode === "app" ? this.fieldValue("scoring") : (this.presetScoring || "");
    return p;
  };

  Checklist.prototype.schoolName = function () {
    if (this.mode === "school") return this.root.getAttribute("data-p-name") || this.fieldValue("name");
    return this.fieldValue("name").trim();
  };

  Checklist.prototype.storageKey = function () {
    if (this.mode === "school") return PREFIX + "id:" + this.schoolId;
    return PREFIX + "school:" + this.schoolName();
  };

  /* Show a message in the dock at the bottom of the screen, where the user is looking. `action`
   * ({label, run}) adds one button after the text, e.g. to jump to the field the message is about. */
  Checklist.prototype.say = function (text, isError, action) {
    if (!this.messages) return;
    this.messages.textContent = text;
    this.messages.classList.toggle("dz-error", !!isError);
    this.messages.parentNode.classList.toggle("dz-error", !!isError);
    if (this.messageAction) {
      this.messageAction.remove();
      this.messageAction = null;
    }
    if (action && text) {
      var btn = document.createElement("button");
      btn.type = "button";
      btn.className = "md-button dz-message-action";
      btn.textContent = action.label;
      btn.addEventListener("click", function () { action.run(); });
      this.messages.parentNode.insertBefore(btn, this.messageClose);
      this.messageAction = btn;
    }
    if (this.messageClose) this.messageClose.hidden = !text;
    this.root.classList.toggle("dz-has-message", !!text);
  };

  /* Scroll to the school name field and put the cursor in it. */
  Checklist.prototype.goToName = function () {
    var f = this.field("name");
    if (!f) return;
    scrollToEl(f, "center");
    if (f.focus) f.focus({ preventScroll: true });
  };

  Checklist.prototype.askForName = function (text, isError) {
    var self = this;
    this.say(text, isError, { label: "填写学校名称", run: function () { self.goToName(); } });
  };

  // --- applicability, kind, numbering, summary --------------------------------------------------

  Checklist.prototype.setMaybe = function (row, maybe) {
    var cell = row.querySelector("td.dz-c-item");
    if (!cell) return;
    var marker = cell.querySelector(".dz-maybe");
    if (maybe && !marker) {
      marker = document.createElement("span");
      marker.className = "dz-maybe";
      marker.textContent = "视学校情况适用";
      cell.insertBefore(marker, cell.querySelector(".dz-kind-note"));
    } else if (!maybe && marker) {
      marker.remove();
    }
  };

  /* Show the applicable rows, each in its kind's group, numbered in display order. */
  Checklist.prototype.applyFilter = function () {
    var self = this;
    var profile = this.profile();
    var scoring = this.rules.scoringProfile(profile);
    var selected = this.rules.select(profile);
    var shown = {};
    selected.forEach(function (s) { shown[s.id] = s; });
    this.rows.forEach(function (row) {
      var id = row.getAttribute("data-item");
      var s = shown[id];
      row.hidden = !s;
      if (!s) return;
      if (row.getAttribute("data-kind") !== s.kind) {
        row.setAttribute("data-kind", s.kind);
        self.moveRow(row, s.kind);
      }
      if (self.mode === "app") self.setMaybe(row, !s.certain);
      self.setPoints(row, scoring);
      self.updateScoreInputs(row);
      self.setKindNote(row, s);
      self.number(row, s.number);
      self.showOtherKind(row);
    });
    var bodies = this.root.querySelectorAll("tbody.dz-dim");
    for (var j = 0; j < bodies.length; j++) bodies[j].hidden = !bodies[j].querySelector("tr.dz-item:not([hidden])");
    var heads = this.root.querySelectorAll("tbody.dz-kind-head");
    for (var h = 0; h < heads.length; h++) {
      var kind = heads[h].getAttribute("data-kind");
      heads[h].hidden = !selected.some(function (s) { return s.kind === kind; });
    }
    this.selected = selected;
    this.updateSummary();
  };

  /* Move a row into its kind's group for its dimension, keeping the checklist order. */
  Checklist.prototype.moveRow = function (row, kind) {
    var dim = this.spec.items[row.getAttribute("data-item")].dimension;
    var body = this.groups[kind + "|" + dim];
    if (!body) return;
    var order = Number(row.getAttribute("data-order"));
    var next = null;
    var rows = body.querySelectorAll("tr.dz-item");
    for (var i = 0; i < rows.length; i++) {
      if (Number(rows[i].getAttribute("data-order")) > order) { next = rows[i]; break; }
    }
    body.insertBefore(row, next);
  };

  Checklist.prototype.setKindNote = function (row, s) {
    var note = row.querySelector(".dz-kind-note");
    var notes = this.spec.notes && this.spec.notes[s.id];
    if (!note || !notes) return;
    var text = s.kind !== this.rules.kindRule && !s.kind_certain ? notes.maybe : notes[s.kind];
    if (note.textContent !== text) note.textContent = text || "";
  };

  /* An answer of the item's other kind (e.g. 未达标 on what is now a 参考项) is kept, shown, not counted. */
  Checklist.prototype.showOtherKind = function (row) {
    var p = row.querySelector(".dz-other-kind");
    if (!p) return;
    var a = this.readAnswer(row);
    var kind = row.getAttribute("data-kind");
    var other = a.result && this.rules.results(kind).indexOf(a.result) < 0;
    p.hidden = !other;
    p.textContent = other ? "此前选择“" + a.result + "”（当时本项为另一类别），现为" + kind + "，不计入；请重新选择。" : "";
  };

  /* Number a visible row and keep its accessible names ("第 n 项…") in step. */
  Checklist.prototype.number = function (row, n) {
    var no = row.querySelector("td.dz-no");
    if (no && no.textContent !== String(n)) no.textContent = String(n);
    var legend = row.querySelector(".dz-result legend");
    if (legend) legend.textContent = "第 " + n + " 项自评结果";
    var note = row.querySelector("textarea");
    if (note) note.setAttribute("aria-label", "第 " + n + " 项存在问题及整改措施");
    var ev = row.querySelector('.dz-c-note input[name^="evidence-"]');
    if (ev) ev.setAttribute("aria-label", "第 " + n + " 项佐证材料");
  };

  Checklist.prototype.readAnswer = function (row) {
    var id = row.getAttribute("data-item");
    var checked = row.querySelector('input[type="radio"][name="r-' + id + '"]:checked');
    var note = row.querySelector('textarea[name="note-' + id + '"]');
    var ev = row.querySelector('input[name="evidence-' + id + '"]');
    var a = { result: checked ? checked.value : "", note: note ? note.value : "", evidence: ev ? ev.value : "" };
    var na = row.querySelector('textarea[name="na-' + id + '"]');
    if (na && na.value) a.na_reason = na.value;
    var count = row.querySelector('input[name="count-' + id + '"]');
    if (count && !count.closest("[hidden]") && numberOf(count) !== null) a.count = Math.floor(numberOf(count));
    var score = row.querySelector('input[name="score-' + id + '"]');
    if (a.result === "基本达标" && a.count === undefined && numberOf(score) !== null) a.score = numberOf(score);
    return a;
  };

  Checklist.prototype.writeAnswer = function (row, ans) {
    var id = row.getAttribute("data-item");
    var radios = row.querySelectorAll('input[type="radio"][name="r-' + id + '"]');
    for (var i = 0; i < radios.length; i++) radios[i].checked = !!ans && radios[i].value === ans.result;
    var note = row.querySelector('textarea[name="note-' + id + '"]');
    if (note) note.value = ans && typeof ans.note === "string" ? ans.note : "";
    var ev = row.querySelector('input[name="evidence-' + id + '"]');
    if (ev) ev.value = ans && typeof ans.evidence === "string" ? ans.evidence : "";
    var na = row.querySelector('textarea[name="na-' + id + '"]');
    if (na) na.value = ans && typeof ans.na_reason === "string" ? ans.na_reason : "";
    var count = row.querySelector('input[name="count-' + id + '"]');
    if (count) count.value = ans && typeof ans.count === "number" ? String(ans.count) : "";
    var score = row.querySelector('input[name="score-' + id + '"]');
    if (score) score.value = ans && typeof ans.score === "number" ? String(ans.score) : "";
    this.updateScoreInputs(row);
    this.updatePrintText(row);
    this.showOtherKind(row);
  };

  /* The score fields follow the result: 达标 earns the item's points, 未达标 none; 基本达标 takes the
   * school's own score; 不适用 asks for its reason. */
  Checklist.prototype.updateScoreInputs = function (row) {
    var id = row.getAttribute("data-item");
    var checked = row.querySelector('input[type="radio"][name="r-' + id + '"]:checked');
    var result = checked ? checked.value : "";
    var na = row.querySelector('textarea[name="na-' + id + '"]');
    if (na) {
      na.hidden = result !== "不适用";
      na.required = result === "不适用";
    }
    var box = row.querySelector(".dz-score");
    var score = row.querySelector('input[name="score-' + id + '"]');
    if (!box || !score) return;
    var points = Number(box.getAttribute("data-points")) || 0;
    var scoring = this.rules.scoringProfile(this.profile());
    score.max = String(points);
    var partial = scoring ? Math.round(points * scoring.partial_share * 10) / 10 : 0;
    if (result === "基本达标") {
      score.disabled = false;
      if (score.value === "") score.placeholder = String(partial);
    } else {
      score.disabled = true;
      score.placeholder = "";
      score.value = result === "达标" ? String(points) : (result === "未达标" ? "0" : "");
    }
  };

  /* Points, deduction rule and count field of a row under the current scoring profile. */
  Checklist.prototype.setPoints = function (row, scoring) {
    var box = row.querySelector(".dz-score");
    if (!box) return;
    var p = this.rules.points(scoring, row.getAttribute("data-item"));
    box.setAttribute("data-points", String(p.points));
    var b = box.querySelector(".dz-points b");
    if (b) b.textContent = fmt(p.points);
    var count = box.querySelector(".dz-count");
    if (count) count.hidden = !p.deduct;
    var what = box.querySelector(".dz-deduct");
    if (what) what.textContent = p.deduct ? p.deduct.what + "，每次扣 " + fmt(p.deduct.per) + " 分" : "";
  };

  /* 评判标准, and on phones 依据, are folded under a button (extra.css decides what folds where). Plain
   * buttons rather than <details>: Material sets up every <details> when the page loads, and 126 of them
   * cost a cheap phone a third of a second. */
  Checklist.prototype.toggleFold = function (btn) {
    var box = btn.closest(".dz-fold");
    if (!box) return;
    var folded = box.classList.toggle("dz-folded");
    btn.setAttribute("aria-expanded", folded ? "false" : "true");
  };

  Checklist.prototype.updatePrintText = function (row) {
    var span = row.querySelector(".dz-print-text");
    if (!span) return;
    var a = this.readAnswer(row);
    var parts = [];
    if (a.note.trim()) parts.push(a.note.trim());
    if (a.evidence.trim()) parts.push("佐证材料：" + a.evidence.trim());
    var text = parts.join("\n");
    if (span.textContent !== text) span.textContent = text;
  };

  Checklist.prototype.updateAllPrintTexts = function () {
    for (var i = 0; i < this.rows.length; i++) this.updatePrintText(this.rows[i]);
  };

  // --- wiring -----------------------------------------------------------------------------------

  Checklist.prototype.onEdit = function (ev) {
    var t = ev.target;
    if (!t || !t.name) return;
    if (t.matches('input[type="file"]')) return;
    var row = t.closest("tr.dz-item");
    if (row) {
      if (t.type === "radio") {
        if (ev.type !== "change") return;
        this.updateScoreInputs(row);
        this.showOtherKind(row);
        this.updateSummary();
      } else {
        this.updatePrintText(row);
        if (t.type === "number" || t.name.indexOf("na-") === 0) this.updateSummary();
      }
      this.save();
      return;
    }
    if (!this.form || !this.form.contains(t)) return;
    if (t.name === "name" && this.mode === "app") {
      if (ev.type === "input") this.onNameInput();
      else this.onNameChange();
      return;
    }
    if ((this.spec.profile_keys.indexOf(t.name) >= 0 || t.name === "scoring") && this.mode === "app") {
      if (ev.type !== "change") return;
      this.applyFilter();
    }
    this.save();
  };

  /* A link may preset the school (from the district's printed form or QR code): ?name=…&code=…&district=…
   * &org_type=…&mode=…&stage=…&ownership=…&profile=… On a roster school's page only the profile applies. */
  Checklist.prototype.applyLinkPresets = function () {
    var params;
    try { params = new URLSearchParams(window.location.search); } catch (e) { return false; }
    var profileId = params.get("profile");
    if (profileId && !own(this.spec.profiles, profileId)) profileId = null;
    if (this.mode !== "app") {
      if (profileId) this.presetScoring = profileId;
      return false;
    }
    var name = (params.get("name") || "").trim();
    if (!name) {
      if (profileId && this.field("scoring")) this.field("scoring").value = profileId;
      return false;
    }
    var self = this;
    var stored = store.get(PREFIX + "school:" + name);
    if (stored !== null) {
      this.loadStored(PREFIX + "school:" + name);
      store.set(PREFIX + "last", name);
      return true;
    }
    this.field("name").value = name.slice(0, 60);
    if (this.field("id")) this.field("id").value = (params.get("code") || "").slice(0, 48);
    this.spec.profile_keys.forEach(function (k) {
      var sel = self.field(k);
      var v = params.get(k);
      if (sel && v && Array.prototype.some.call(sel.options, function (o) { return o.value === v; })) sel.value = v;
    });
    if (profileId && this.field("scoring")) this.field("scoring").value = profileId;
    return true;
  };

  Checklist.prototype.start = function () {
    var self = this;
    if (this.applyLinkPresets()) {
      // the school is given by the link; its answers (if any) are already loaded
    } else if (this.mode === "app") {
      var last = store.get(PREFIX + "last");
      if (last !== null && store.get(PREFIX + "school:" + last) !== null) this.loadStored(PREFIX + "school:" + last);
    } else {
      this.loadStored(this.storageKey());
    }
    this.applyFilter();
    this.updateAllPrintTexts();

    this.root.addEventListener("input", function (ev) { self.onEdit(ev); });
    this.root.addEventListener("focusin", function (ev) {
      var row = ev.target && ev.target.closest ? ev.target.closest("tr.dz-item") : null;
      if (row) self.lastRow = row;
    });
    this.root.addEventListener("change", function (ev) {
      var t = ev.target;
      if (t && t.matches && t.matches('input[type="file"][data-action="import"]')) {
        self.onImportFile(t);
        return;
      }
      self.onEdit(ev);
    });
    this.root.addEventListener("click", function (ev) {
      var btn = ev.target && ev.target.closest ? ev.target.closest("button[data-action]") : null;
      if (!btn || !self.root.contains(btn)) return;
      var action = btn.getAttribute("data-action");
      if (action === "export-json") self.exportJson();
      else if (action === "export-csv") self.exportCsv();
      else if (action === "export-word") self.exportWord(btn);
      else if (action === "clear") self.clear();
      else if (action === "new") self.startAnother();
      else if (action === "copy-json") self.copyJson();
      else if (action === "show-json") self.showExport(true);
      else if (action === "hide-json") { if (self.exportBox) self.exportBox.hidden = true; }
      else if (action === "dismiss") self.say("");
      else if (action === "next-unanswered") self.nextUnanswered();
      else if (action === "fold") self.toggleFold(btn);
      else if (action === "print") {
        if (self.wechat) {
          self.say("微信内不能打印：请点右上角“…”选择“在浏览器打开”后再打印。", true);
          return;
        }
        self.updateAllPrintTexts();
        window.print();
      }
    });
    window.addEventListener("beforeprint", function () { self.updateAllPrintTexts(); });
    // The same school open in two tabs: show what the other tab saved, so neither overwrites the other.
    window.addEventListener("storage", function (ev) {
      if (!ev.key || ev.key !== self.boundKey) return;
      if (ev.newValue === null) {
        self.rows.forEach(function (row) { self.writeAnswer(row, null); });
        var period = self.field("period");
        if (period && period.tagName === "INPUT") period.value = "";
        self.applyFilter();
        self.say("本校的答案已在另一个窗口中清除。");
        return;
      }
      var doc;
      try { doc = JSON.parse(ev.newValue); } catch (e) { return; }
      if (isObject(doc)) self.applyDoc(doc);
    });
    if (this.wechat) {
      var banner = this.root.querySelector(".dz-wechat");
      if (banner) banner.hidden = false;
      this.root.classList.add("dz-in-wechat");
    }
    if (this.progress) this.progress.hidden = false;
    this.root.classList.add("dz-js");
  };

  function readSpec(root) {
    var el = root.querySelector("script.dz-checklist-data");
    try { return JSON.parse(el ? el.textContent : "null"); } catch (e) { return null; }
  }

  function init() {
    var roots = document.querySelectorAll(".dz-checklist");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      var mode = root.getAttribute("data-mode");
      if (root.getAttribute("data-dz-ready") || (mode !== "app" && mode !== "school")) continue;
      var spec = readSpec(root);
      if (!spec) continue; // the page reads and prints without the script
      root.setAttribute("data-dz-ready", "1");
      new Checklist(root, spec).start();
    }
  }

  // Exposed for tests and for word-export.js (loaded on demand): the pure rules and two file helpers.
  window.dzChecklist = { Rules: Rules, csvFieldFor: csvFieldFor, schemaError: schemaError, readSpec: readSpec,
    download: download, safeFileName: safeFileName };

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // Material's instant navigation, when enabled
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
