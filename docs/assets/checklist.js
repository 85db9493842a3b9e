/* 自查清单：按学校情况筛选检查项，在本机浏览器保存答案，导入/导出 JSON、导出 CSV、打印。
 *
 * The rows are rendered (escaped) on the server; this script never builds HTML from data: it only
 * toggles `hidden`, sets textContent/values and creates a few fixed elements with DOM APIs.
 * No network access, no libraries. Blank tables (data-mode="blank") are left alone.
 *
 * Storage (localStorage):
 *   dzzld:v1:school:<学校名称>  answers document of a school typed into the interactive page
 *   dzzld:v1:last               the last school name used on the interactive page
 *   dzzld:v1:id:<SCH-…>         answers document of a roster school's own page
 * A stored document has the shape of an exported answers file (format dzzld-answers/1), plus
 * `retired_answers` / `unknown_answers` for answers that no longer match an item on the page.
 */
(function () {
  "use strict";

  var PREFIX = "dzzld:v1:";
  var FORMAT = "dzzld-answers/1";
  var UNKNOWN = "未知";
  var OTHER = "OTHER";
  var PROFILE_KEYS = ["org_type", "mode", "stage", "ownership", "district"];
  var CSV_HEADERS = ["序号", "编号", "维度", "检查项目", "检查内容", "依据", "佐证材料", "自评结果", "存在问题及整改措施", "佐证材料说明"];

  // Mirrors schemas/answers.schema.json (tests/test_checklist_js_contract.py keeps them in step).
  var SCHEMA = {
    topKeys: ["format", "data_version", "exported_at", "school", "answers"],
    required: ["format", "data_version", "school", "answers"],
    versionPattern: /^\d+\.\d+\.\d+$/,
    exportedAtMax: 40,
    schoolKeys: ["id", "name", "district", "org_type", "mode", "stage", "ownership", "period"],
    idMax: 48,
    nameMax: 60,
    districtMax: 48,
    periodMax: 60,
    enums: {
      org_type: ["党委", "党总支", "党支部", "未知"],
      mode: ["一肩挑", "分设", "未知"],
      stage: ["幼儿园", "小学", "初中", "高中", "九年一贯制学校", "十二年一贯制学校", "完全中学", "中等职业学校", "未知"],
      ownership: ["公办", "民办", "未知"]
    },
    itemPattern: /^CK-[A-Z0-9]+(-[A-Z0-9]+)*$/,
    maxAnswers: 2000,
    answerKeys: ["result", "note", "evidence"],
    results: ["达标", "基本达标", "未达标", "不适用", ""],
    noteMax: 2000,
    evidenceMax: 1000
  };

  var FIELD_LABELS = {
    name: "学校名称", district: "所属地区", org_type: "党组织类型", mode: "书记校长配备", stage: "学段",
    ownership: "办学性质", period: "自查时段"
  };

  // ------------------------------------------------------------------------------------------
  // Small helpers

  function isObject(v) {
    return v !== null && typeof v === "object" && !Array.isArray(v);
  }

  function own(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function codePoints(s) {
    return Array.from(s).length; // JSON Schema counts characters, not UTF-16 units
  }

  function words(attr) {
    return (attr || "").split(/\s+/).filter(Boolean);
  }

  function today() {
    var d = new Date();
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
  }

  function safeFileName(name) {
    var s = (name || "").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").trim();
    return s || "未命名学校";
  }

  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing to do */ }
    }
  };

  /* Check an answers document against the rules of schemas/answers.schema.json.
   * Returns null when it conforms, otherwise a short Chinese description of the first problem. */
  function checkAnswersDoc(doc) {
    var k, i;
    if (!isObject(doc)) return "文件内容不是一个 JSON 对象";
    for (k in doc) if (own(doc, k) && SCHEMA.topKeys.indexOf(k) < 0) return "多出未知字段“" + k + "”";
    for (i = 0; i < SCHEMA.required.length; i++) {
      if (!own(doc, SCHEMA.required[i])) return "缺少必填字段“" + SCHEMA.required[i] + "”";
    }
    if (doc.format !== FORMAT) return "format 应为“" + FORMAT + "”";
    if (typeof doc.data_version !== "string" || !SCHEMA.versionPattern.test(doc.data_version)) {
      return "data_version 应为“1.2.3”形式的版本号";
    }
    if (own(doc, "exported_at") && (typeof doc.exported_at !== "string" || codePoints(doc.exported_at) > SCHEMA.exportedAtMax)) {
      return "exported_at 应为不超过 " + SCHEMA.exportedAtMax + " 个字符的文字";
    }
    var s = doc.school;
    if (!isObject(s)) return "school 应为对象";
    for (k in s) if (own(s, k) && SCHEMA.schoolKeys.indexOf(k) < 0) return "school 中多出未知字段“" + k + "”";
    if (!own(s, "name")) return "school 缺少学校名称（name）";
    if (typeof s.name !== "string" || codePoints(s.name) < 1 || codePoints(s.name) > SCHEMA.nameMax) {
      return "学校名称应为 1 至 " + SCHEMA.nameMax + " 个字符";
    }
    if (own(s, "id") && (typeof s.id !== "string" || codePoints(s.id) > SCHEMA.idMax)) return "school.id 格式不对";
    if (own(s, "district") && (typeof s.district !== "string" || codePoints(s.district) > SCHEMA.districtMax)) {
      return "school.district 格式不对";
    }
    if (own(s, "period") && (typeof s.period !== "string" || codePoints(s.period) > SCHEMA.periodMax)) {
      return "自查时段应为不超过 " + SCHEMA.periodMax + " 个字符的文字";
    }
    for (k in SCHEMA.enums) {
      if (own(SCHEMA.enums, k) && own(s, k) && SCHEMA.enums[k].indexOf(s[k]) < 0) {
        return FIELD_LABELS[k] + "“" + String(s[k]) + "”不在允许范围内";
      }
    }
    var a = doc.answers;
    if (!isObject(a)) return "answers 应为对象";
    var ids = Object.keys(a);
    if (ids.length > SCHEMA.maxAnswers) return "答案超过 " + SCHEMA.maxAnswers + " 项";
    for (i = 0; i < ids.length; i++) {
      var id = ids[i], v = a[id];
      if (!SCHEMA.itemPattern.test(id)) return "检查项编号“" + id + "”格式不对";
      if (!isObject(v)) return id + " 的答案应为对象";
      for (k in v) if (own(v, k) && SCHEMA.answerKeys.indexOf(k) < 0) return id + " 的答案中多出未知字段“" + k + "”";
      if (!own(v, "result")) return id + " 的答案缺少自评结果（result）";
      if (SCHEMA.results.indexOf(v.result) < 0) return id + " 的自评结果“" + String(v.result) + "”不在允许范围内";
      if (own(v, "note") && (typeof v.note !== "string" || codePoints(v.note) > SCHEMA.noteMax)) {
        return id + " 的存在问题及整改措施应为不超过 " + SCHEMA.noteMax + " 个字符的文字";
      }
      if (own(v, "evidence") && (typeof v.evidence !== "string" || codePoints(v.evidence) > SCHEMA.evidenceMax)) {
        return id + " 的佐证材料说明应为不超过 " + SCHEMA.evidenceMax + " 个字符的文字";
      }
    }
    return null;
  }

  function csvField(value) {
    var s = value === null || value === undefined ? "" : String(value);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }

  function download(fileName, text, type) {
    var blob = new Blob([text], { type: type });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
  }

  // ------------------------------------------------------------------------------------------
  // One checklist on a page

  function Checklist(root) {
    this.root = root;
    this.mode = root.getAttribute("data-mode");
    this.schoolId = root.getAttribute("data-school-id") || "";
    this.version = root.getAttribute("data-data-version") || "";
    var dataEl = root.querySelector("script.dz-checklist-data");
    var data = {};
    try { data = JSON.parse(dataEl ? dataEl.textContent : "{}") || {}; } catch (e) { data = {}; }
    this.retired = isObject(data.retired) ? data.retired : {};
    this.results = Array.isArray(data.results) ? data.results : SCHEMA.results.slice(0, 4);
    this.districts = isObject(data.districts) ? data.districts : {};
    this.form = root.querySelector("form.dz-profile");
    this.messages = root.querySelector(".dz-messages");
    this.rows = Array.prototype.slice.call(root.querySelectorAll("tr.dz-item[data-item]"));
    this.byId = {};
    for (var i = 0; i < this.rows.length; i++) this.byId[this.rows[i].getAttribute("data-item")] = this.rows[i];
    this.extras = { retired_answers: {}, unknown_answers: {} }; // answers kept aside in storage
    this.boundKey = null; // storage key the form is currently saved under
    this.createdKeys = {}; // keys this page created (a name being typed), removable when the name changes
    this.pendingKey = null; // another school's saved answers, loaded when the name is committed
    this.warnedNoName = false;
    this.draft = false;
  }

  Checklist.prototype.field = function (name) {
    return this.form ? this.form.querySelector('[name="' + name + '"]') : null;
  };

  Checklist.prototype.fieldValue = function (name) {
    var el = this.field(name);
    if (!el) return "";
    if (el.tagName === "OUTPUT") return "";
    return el.value;
  };

  /* The profile that decides which items apply. */
  Checklist.prototype.profile = function () {
    var p = {};
    for (var i = 0; i < PROFILE_KEYS.length; i++) {
      var k = PROFILE_KEYS[i];
      if (this.mode === "app") {
        var el = this.field(k);
        p[k] = el && el.value ? el.value : UNKNOWN;
      } else {
        p[k] = this.root.getAttribute("data-p-" + k) || UNKNOWN;
      }
    }
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

  // --- messages -------------------------------------------------------------------------------

  Checklist.prototype.say = function (text, isError) {
    if (!this.messages) return;
    this.messages.textContent = text;
    this.messages.classList.toggle("dz-error", !!isError);
  };

  // --- applicability, numbering, summary --------------------------------------------------------

  function fit(row, profile) {
    var result = "yes";
    for (var i = 0; i < PROFILE_KEYS.length; i++) {
      var k = PROFILE_KEYS[i];
      var allowed = words(row.getAttribute("data-" + k));
      if (!allowed.length) continue;
      var v = profile[k];
      if (v === UNKNOWN || !v) result = "maybe";
      else if (allowed.indexOf(v) < 0) return "no";
    }
    return result;
  }

  Checklist.prototype.setMaybe = function (row, maybe) {
    var cell = row.querySelector("td.dz-c-item");
    if (!cell) return;
    var marker = cell.querySelector(".dz-maybe");
    if (maybe && !marker) {
      cell.appendChild(document.createElement("br")).className = "dz-maybe-br";
      marker = document.createElement("span");
      marker.className = "dz-maybe";
      marker.textContent = "视学校情况适用";
      cell.appendChild(marker);
    } else if (!maybe && marker) {
      var prev = marker.previousSibling;
      if (prev && prev.nodeName === "BR") prev.remove();
      marker.remove();
    }
  };

  Checklist.prototype.applyFilter = function () {
    var profile = this.profile();
    var n = 0;
    for (var i = 0; i < this.rows.length; i++) {
      var row = this.rows[i];
      var f = fit(row, profile);
      row.hidden = f === "no";
      if (f === "no") continue;
      n += 1;
      if (this.mode === "app") this.setMaybe(row, f === "maybe");
      this.number(row, n);
    }
    var bodies = this.root.querySelectorAll("tbody.dz-dim");
    for (var j = 0; j < bodies.length; j++) {
      bodies[j].hidden = !bodies[j].querySelector("tr.dz-item:not([hidden])");
    }
    this.updateSummary();
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

  Checklist.prototype.visibleRows = function () {
    return this.rows.filter(function (r) { return !r.hidden; });
  };

  Checklist.prototype.readAnswer = function (row) {
    var id = row.getAttribute("data-item");
    var checked = row.querySelector('input[type="radio"][name="r-' + id + '"]:checked');
    var note = row.querySelector('textarea[name="note-' + id + '"]');
    var ev = row.querySelector('input[name="evidence-' + id + '"]');
    return { result: checked ? checked.value : "", note: note ? note.value : "", evidence: ev ? ev.value : "" };
  };

  Checklist.prototype.writeAnswer = function (row, ans) {
    var id = row.getAttribute("data-item");
    var radios = row.querySelectorAll('input[type="radio"][name="r-' + id + '"]');
    for (var i = 0; i < radios.length; i++) radios[i].checked = !!ans && radios[i].value === ans.result;
    var note = row.querySelector('textarea[name="note-' + id + '"]');
    if (note) note.value = ans && typeof ans.note === "string" ? ans.note : "";
    var ev = row.querySelector('input[name="evidence-' + id + '"]');
    if (ev) ev.value = ans && typeof ans.evidence === "string" ? ans.evidence : "";
    this.updatePrintText(row);
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

  Checklist.prototype.updateSummary = function () {
    var results = this.results;
    var total = { total: 0, unanswered: 0 };
    var perDim = {};
    results.forEach(function (r) { total[r] = 0; });
    for (var i = 0; i < this.rows.length; i++) {
      var row = this.rows[i];
      if (row.hidden) continue;
      var dim = row.getAttribute("data-dimension") || "";
      if (!perDim[dim]) {
        perDim[dim] = { unanswered: 0 };
        results.forEach(function (r) { perDim[dim][r] = 0; });
      }
      var res = this.readAnswer(row).result;
      total.total += 1;
      if (results.indexOf(res) >= 0) {
        total[res] += 1;
        perDim[dim][res] += 1;
      } else {
        total.unanswered += 1;
        perDim[dim].unanswered += 1;
      }
    }
    var counts = this.root.querySelector(".dz-summary-counts");
    if (counts) {
      var spans = counts.querySelectorAll("[data-count]");
      for (var j = 0; j < spans.length; j++) {
        var key = spans[j].getAttribute("data-count");
        if (own(total, key)) spans[j].textContent = String(total[key]);
      }
    }
    var dimRows = this.root.querySelectorAll("tr[data-summary-dimension]");
    for (var d = 0; d < dimRows.length; d++) {
      var c = perDim[dimRows[d].getAttribute("data-summary-dimension")];
      dimRows[d].hidden = !c;
      if (!c) continue;
      var cells = dimRows[d].querySelectorAll("td[data-count]");
      for (var m = 0; m < cells.length; m++) {
        var ck = cells[m].getAttribute("data-count");
        if (own(c, ck)) cells[m].textContent = String(c[ck]);
      }
    }
  };

  // --- documents --------------------------------------------------------------------------------

  Checklist.prototype.schoolInfo = function () {
    var s = {};
    if (this.mode === "school" && this.schoolId) s.id = this.schoolId;
    s.name = this.schoolName();
    var p = this.profile();
    s.district = p.district;
    s.org_type = p.org_type;
    s.mode = p.mode;
    s.stage = p.stage;
    s.ownership = p.ownership;
    s.period = this.fieldValue("period");
    return s;
  };

  /* The answers document. For export: every visible item, "" when unanswered. For storage: every
   * item with something typed (hidden ones too, so changing the profile back loses nothing). */
  Checklist.prototype.buildDoc = function (forStorage) {
    var answers = {};
    for (var i = 0; i < this.rows.length; i++) {
      var row = this.rows[i];
      var a = this.readAnswer(row);
      if (forStorage ? (a.result || a.note || a.evidence) : !row.hidden) answers[row.getAttribute("data-item")] = a;
    }
    var doc = {
      format: FORMAT, data_version: this.version, exported_at: new Date().toISOString(),
      school: this.schoolInfo(), answers: answers
    };
    if (forStorage) {
      if (Object.keys(this.extras.retired_answers).length) doc.retired_answers = this.extras.retired_answers;
      if (Object.keys(this.extras.unknown_answers).length) doc.unknown_answers = this.extras.unknown_answers;
    }
    return doc;
  };

  Checklist.prototype.hasAnyAnswer = function () {
    for (var i = 0; i < this.rows.length; i++) {
      var a = this.readAnswer(this.rows[i]);
      if (a.result || a.note || a.evidence) return true;
    }
    return !!this.fieldValue("period");
  };

  /* Put a document's profile (interactive page only), period and answers into the form.
   * Returns what did not fit: retired, unknown, new (applicable, unanswered) IDs, dropped profile values. */
  Checklist.prototype.applyDoc = function (doc) {
    var report = { retired: [], unknown: [], newItems: [], profile: [] };
    var school = isObject(doc.school) ? doc.school : {};
    if (this.mode === "app") {
      var name = this.field("name");
      if (name) name.value = typeof school.name === "string" ? school.name : "";
      for (var i = 0; i < PROFILE_KEYS.length; i++) {
        var k = PROFILE_KEYS[i];
        var sel = this.field(k);
        if (!sel) continue;
        var v = typeof school[k] === "string" && school[k] ? school[k] : UNKNOWN;
        var ok = Array.prototype.some.call(sel.options, function (o) { return o.value === v; });
        if (!ok) {
          report.profile.push(FIELD_LABELS[k] + "“" + v + "”");
          v = UNKNOWN;
        }
        sel.value = v;
      }
    }
    var period = this.field("period");
    if (period && period.tagName === "INPUT") period.value = typeof school.period === "string" ? school.period : "";

    var answers = isObject(doc.answers) ? doc.answers : {};
    this.extras = {
      retired_answers: isObject(doc.retired_answers) ? Object.assign({}, doc.retired_answers) : {},
      unknown_answers: isObject(doc.unknown_answers) ? Object.assign({}, doc.unknown_answers) : {}
    };
    for (var r = 0; r < this.rows.length; r++) {
      var id = this.rows[r].getAttribute("data-item");
      this.writeAnswer(this.rows[r], isObject(answers[id]) ? answers[id] : null);
    }
    for (var aid in answers) {
      if (!own(answers, aid) || own(this.byId, aid)) continue;
      if (own(this.retired, aid)) {
        this.extras.retired_answers[aid] = answers[aid];
        report.retired.push(aid);
      } else {
        this.extras.unknown_answers[aid] = answers[aid];
        report.unknown.push(aid);
      }
    }
    this.applyFilter();
    var visible = this.visibleRows();
    for (var n = 0; n < visible.length; n++) {
      var vid = visible[n].getAttribute("data-item");
      if (!own(answers, vid)) report.newItems.push(vid);
    }
    return report;
  };

  Checklist.prototype.describeItem = function (id) {
    var row = this.byId[id];
    var t = row ? row.querySelector(".dz-item-title") : null;
    return t ? id + "（" + t.textContent.trim() + "）" : id;
  };

  /* Chinese lines for what an imported or stored document from another data version did not match. */
  Checklist.prototype.migrationLines = function (doc, report, versionDiffers) {
    var self = this;
    var lines = [];
    if (versionDiffers) {
      lines.push("文件的数据版本为 " + doc.data_version + "，本页为 " + this.version + "：已按检查项编号对应答案。");
    }
    if (report.retired.length) {
      lines.push("以下检查项已停用，其答案另行保存、不计入本表：" + report.retired.map(function (id) {
        var r = self.retired[id] || {};
        var s = id + "（" + (r.title || "") + "）";
        if (r.replaced_by) s += "，由 " + self.describeItem(r.replaced_by) + " 取代";
        return s;
      }).join("；"));
    }
    if (report.unknown.length) {
      lines.push((this.mode === "school" ? "本校自查表中没有以下编号（本数据版本中没有，或不适用于本校），其答案另行保存：" :
        "本数据版本中没有以下编号，其答案另行保存：") + report.unknown.join("、"));
    }
    if (versionDiffers && report.newItems.length) {
      var many = report.newItems.length > 15;
      lines.push("以下 " + report.newItems.length + " 个适用的检查项在文件中没有答案（新增或此前未包括），请补填：" +
        (many ? report.newItems.join("、") : report.newItems.map(function (id) { return self.describeItem(id); }).join("；")));
    }
    if (report.profile.length) lines.push("以下学校情况本页不能识别，已设为“未知”：" + report.profile.join("、"));
    return lines;
  };

  // --- storage ------------------------------------------------------------------------------------

  /* Save the form under the current school's key. `byName`: only the name was typed; a key first
   * written that way (a half-typed name) may be removed when the name changes again. Once anything
   * else is saved under a key it stays (renaming then copies, never moves, a school's answers). */
  Checklist.prototype.save = function (byName) {
    if (this.mode === "blank") return;
    var key = this.storageKey();
    if (this.mode === "app" && !this.schoolName() && !byName && !this.warnedNoName) {
      this.warnedNoName = true;
      this.say("请先填写学校名称：答案按学校名称保存在本机浏览器中。");
    }
    if (store.get(key) === null && byName) this.createdKeys[key] = true;
    else if (!byName && key !== PREFIX + "school:") delete this.createdKeys[key];
    var ok = store.set(key, JSON.stringify(this.buildDoc(true)));
    if (!byName) this.draft = key === PREFIX + "school:"; // answers typed before any school name
    if (this.mode === "app") store.set(PREFIX + "last", this.schoolName());
    this.boundKey = key;
    if (!ok) this.say("浏览器不允许保存（可能是隐私模式或存储已满）：请及时导出 JSON 文件。", true);
  };

  Checklist.prototype.loadStored = function (key) {
    var raw = store.get(key);
    if (raw === null) return false;
    var doc;
    try { doc = JSON.parse(raw); } catch (e) { doc = null; }
    if (!isObject(doc)) {
      this.say("本机保存的答案已损坏，未能载入。", true);
      return false;
    }
    var report = this.applyDoc(doc);
    this.boundKey = key;
    this.draft = key === PREFIX + "school:";
    var differs = typeof doc.data_version === "string" && doc.data_version !== this.version;
    var lines = this.migrationLines(doc, report, differs);
    if (lines.length) {
      this.say("本机保存的答案来自另一数据版本。\n" + lines.join("\n"));
      store.set(key, JSON.stringify(this.buildDoc(true))); // now in this version's shape, nothing dropped
      return "migrated";
    }
    return "loaded";
  };

  /* The school name is being typed: move this page's answers to the new name's key. A key this page
   * created for a half-typed name is removed; saved answers of another school are never overwritten. */
  Checklist.prototype.onNameInput = function () {
    var old = this.boundKey;
    var key = this.storageKey();
    if (key === old) { this.save(true); return; }
    if (store.get(key) !== null && !this.createdKeys[key]) {
      this.pendingKey = key;
      return;
    }
    this.pendingKey = null;
    this.save(true);
    if (old && old !== key && (this.createdKeys[old] || old === PREFIX + "school:")) {
      store.remove(old);
      delete this.createdKeys[old];
    }
  };

  /* The name is committed (change event): if another school's answers are saved under it, load them. */
  Checklist.prototype.onNameChange = function () {
    var key = this.storageKey();
    if (this.pendingKey !== key) return;
    this.pendingKey = null;
    var name = this.schoolName();
    // The form's previous key: a half-typed name (or no name) holding only a copy, unless the
    // answers were typed without a school name (a draft): then it stays, and the user is told where.
    var old = this.boundKey;
    var unnamed = PREFIX + "school:";
    var removable = old && old !== key && (this.createdKeys[old] || old === unnamed);
    var keepDraft = removable && this.draft && this.hasAnyAnswer();
    if (removable && !keepDraft) store.remove(old);
    if (removable) delete this.createdKeys[old];
    var loaded = this.loadStored(key);
    if (loaded) store.set(PREFIX + "last", name);
    var note = keepDraft ? "刚才填写的内容仍保存在本机的“" + (old === unnamed ? "（未填学校名称）" : old.slice(unnamed.length)) +
      "”名下，把学校名称改为它即可找回。" : "";
    if (loaded === "loaded") this.say("已载入“" + name + "”此前在本机保存的答案。" + note);
    else if (note) this.say((this.messages ? this.messages.textContent + "\n" : "") + note);
  };

  // --- toolbar actions ------------------------------------------------------------------------------

  Checklist.prototype.exportJson = function () {
    var name = this.schoolName();
    if (!name) {
      this.say("请先填写学校名称，再导出。", true);
      var f = this.field("name");
      if (f && f.focus) f.focus();
      return;
    }
    var doc = this.buildDoc(false);
    download(safeFileName(name) + "-自查-" + today() + ".json", JSON.stringify(doc, null, 2) + "\n",
      "application/json;charset=utf-8");
    this.say("已导出 " + Object.keys(doc.answers).length + " 项的答案（JSON）。可用“导入 JSON”在其他电脑上恢复。");
  };

  Checklist.prototype.exportCsv = function () {
    var self = this;
    var lines = [CSV_HEADERS.map(csvField).join(",")];
    this.visibleRows().forEach(function (row) {
      var id = row.getAttribute("data-item");
      var a = self.readAnswer(row);
      lines.push([
        textOf(row.querySelector("td.dz-no")),
        id,
        self.dimensionName(row.getAttribute("data-dimension")),
        textOf(row.querySelector(".dz-item-title")),
        checkText(row.querySelector("td.dz-c-check")),
        basisText(row.querySelector("td.dz-c-basis")),
        textOf(row.querySelector("td.dz-c-ev")),
        a.result, a.note, a.evidence
      ].map(csvField).join(","));
    });
    var name = this.schoolName() || "自查表";
    download(safeFileName(name) + "-自查-" + today() + ".csv", "\ufeff" + lines.join("\r\n") + "\r\n",
      "text/csv;charset=utf-8");
    this.say("已导出 CSV（" + (lines.length - 1) + " 项），可用 Excel 或 WPS 打开。");
  };

  function textOf(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function checkText(cell) {
    if (!cell) return "";
    var out = "";
    for (var n = cell.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && n.tagName === "DETAILS") continue;
      out += n.textContent;
    }
    return out.replace(/\s+/g, " ").trim();
  }

  function basisText(cell) {
    if (!cell) return "";
    // Record IDs in the item's own order, as the Python CSV writes them.
    if (cell.hasAttribute("data-basis")) return cell.getAttribute("data-basis");
    // Older markup: link titles, or the ID labels of pages built without links.
    var links = cell.querySelectorAll("a");
    if (links.length) {
      return Array.prototype.map.call(links, function (a) { return a.getAttribute("title") || textOf(a); }).join("；");
    }
    var ids = cell.querySelectorAll(".dz-id");
    if (ids.length) return Array.prototype.map.call(ids, textOf).join("；");
    return textOf(cell);
  }

  Checklist.prototype.dimensionName = function (dim) {
    var th = this.root.querySelector('tr[data-summary-dimension="' + dim + '"] th');
    if (th) return textOf(th);
    var body = this.root.querySelector('tbody.dz-dim[data-dimension="' + dim + '"] .dz-dim-row th');
    return body ? textOf(body) : dim || "";
  };

  Checklist.prototype.importText = function (text) {
    var doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      this.say("导入失败：文件不是有效的 JSON。本校已保存的答案没有改变。", true);
      return;
    }
    var problem = checkAnswersDoc(doc);
    if (problem) {
      this.say("导入失败：不是本站导出的答案文件（" + problem + "）。本校已保存的答案没有改变。", true);
      return;
    }
    var fileName = doc.school.name.trim();
    if (this.mode === "school") {
      var idDiffers = typeof doc.school.id === "string" && doc.school.id && doc.school.id !== this.schoolId;
      if (idDiffers || fileName !== this.schoolName().trim()) {
        this.say("导入失败：这是“" + doc.school.name + "”" + (doc.school.id ? "（" + doc.school.id + "）" : "") +
          "的答案，不是本校（" + this.schoolName() + "）的。本校已保存的答案没有改变。", true);
        return;
      }
    } else {
      var current = this.schoolName();
      if (current && current !== fileName) {
        this.say("导入失败：这是“" + doc.school.name + "”的答案，而本表填写的学校是“" + current +
          "”。如要导入，请先把学校名称改为“" + fileName + "”或清空。已保存的答案没有改变。", true);
        return;
      }
    }
    var previousKey = this.boundKey;
    var report = this.applyDoc(doc);
    var key = this.storageKey();
    if (this.mode === "app" && previousKey && previousKey !== key && this.createdKeys[previousKey]) {
      store.remove(previousKey);
      delete this.createdKeys[previousKey];
    }
    this.pendingKey = null;
    this.save();
    var differs = doc.data_version !== this.version;
    var answered = Object.keys(doc.answers).filter(function (id) { return own(this.byId, id); }, this).length;
    var lines = ["已导入“" + doc.school.name + "”的答案（" + answered + " 项）。"].concat(this.migrationLines(doc, report, differs));
    this.say(lines.join("\n"));
  };

  Checklist.prototype.clear = function () {
    var name = this.schoolName();
    var label = name ? "“" + name + "”" : "本表";
    if (!window.confirm("确定清除" + label + "的全部答案？此操作不能撤销。")) return;
    store.remove(this.storageKey());
    if (this.boundKey) store.remove(this.boundKey);
    this.boundKey = null;
    this.pendingKey = null;
    this.extras = { retired_answers: {}, unknown_answers: {} };
    if (this.mode === "app") {
      if (store.get(PREFIX + "last") === name) store.remove(PREFIX + "last");
      var n = this.field("name");
      if (n) n.value = "";
      for (var i = 0; i < PROFILE_KEYS.length; i++) {
        var sel = this.field(PROFILE_KEYS[i]);
        if (sel) sel.value = UNKNOWN;
      }
      this.warnedNoName = false;
    }
    var period = this.field("period");
    if (period && period.tagName === "INPUT") period.value = "";
    for (var r = 0; r < this.rows.length; r++) this.writeAnswer(this.rows[r], null);
    this.applyFilter();
    this.say("已清除" + label + "的全部答案。");
  };

  /* Interactive page: keep this school's saved answers and start an empty form for another school
   * (for a `button[data-action=new]`, should the page offer one). */
  Checklist.prototype.startAnother = function () {
    if (this.mode !== "app") return;
    var name = this.schoolName();
    if (this.hasAnyAnswer()) this.save();
    this.boundKey = null;
    this.pendingKey = null;
    this.createdKeys = {};
    this.extras = { retired_answers: {}, unknown_answers: {} };
    var n = this.field("name");
    if (n) n.value = "";
    for (var i = 0; i < PROFILE_KEYS.length; i++) {
      var sel = this.field(PROFILE_KEYS[i]);
      if (sel) sel.value = UNKNOWN;
    }
    var period = this.field("period");
    if (period) period.value = "";
    for (var r = 0; r < this.rows.length; r++) this.writeAnswer(this.rows[r], null);
    this.applyFilter();
    this.warnedNoName = false;
    this.say((name ? "“" + name + "”的答案已保存在本机。" : "") + "请填写另一所学校的名称；输入已保存过的学校名称可载入其答案。");
    if (n && n.focus) n.focus();
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
        this.updateSummary();
      } else {
        this.updatePrintText(row);
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
    if (PROFILE_KEYS.indexOf(t.name) >= 0 && this.mode === "app") {
      if (ev.type !== "change") return;
      this.applyFilter();
    }
    this.save();
  };

  Checklist.prototype.start = function () {
    var self = this;
    if (this.mode === "app") {
      var last = store.get(PREFIX + "last");
      if (last !== null) {
        var key = PREFIX + "school:" + last;
        if (store.get(key) !== null) this.loadStored(key);
      }
    } else {
      this.loadStored(this.storageKey());
    }
    this.applyFilter();
    this.updateAllPrintTexts();

    this.root.addEventListener("input", function (ev) { self.onEdit(ev); });
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
      else if (action === "clear") self.clear();
      else if (action === "new") self.startAnother();
      else if (action === "print") {
        self.updateAllPrintTexts();
        window.print();
      }
    });
    window.addEventListener("beforeprint", function () { self.updateAllPrintTexts(); });
    // The same school open in two tabs: show what the other tab saved, so neither overwrites the other.
    window.addEventListener("storage", function (ev) {
      if (!ev.key || ev.key !== self.boundKey) return;
      if (ev.newValue === null) {
        for (var r = 0; r < self.rows.length; r++) self.writeAnswer(self.rows[r], null);
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
    this.root.classList.add("dz-js");
  };

  Checklist.prototype.onImportFile = function (input) {
    var self = this;
    var file = input.files && input.files[0];
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      input.value = "";
      self.importText(String(reader.result || ""));
    };
    reader.onerror = function () {
      input.value = "";
      self.say("导入失败：无法读取文件。已保存的答案没有改变。", true);
    };
    reader.readAsText(file, "utf-8");
  };

  function init() {
    var roots = document.querySelectorAll(".dz-checklist");
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      var mode = root.getAttribute("data-mode");
      if (root.getAttribute("data-dz-ready") || (mode !== "app" && mode !== "school")) continue;
      root.setAttribute("data-dz-ready", "1");
      new Checklist(root).start();
    }
  }

  // Exposed for tests only (pure functions; nothing here touches the page).
  window.dzChecklist = { checkAnswersDoc: checkAnswersDoc, csvField: csvField, fit: fit, schema: SCHEMA, csvHeaders: CSV_HEADERS };

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // Material's instant navigation, when enabled
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
