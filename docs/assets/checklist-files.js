/* 自查清单：答案文件的生成与读入、本机保存、导出（JSON、CSV、Word、复制为文字）与导入（Checklist 的方法，由 checklist.js 并入）。 */
(function () {
  "use strict";

  var C = window.dzChecklistCore;
  var PREFIX = C.PREFIX, isObject = C.isObject, own = C.own, today = C.today, safeFileName = C.safeFileName,
    csvFieldFor = C.csvFieldFor, scrollToEl = C.scrollToEl, store = C.store, download = C.download, textOf = C.textOf,
    checkText = C.checkText, fmt = C.fmt;
  // Where the scripts were loaded from: assets/word-export.js is fetched from the same folder on 导出 Word.
  var ASSETS = ((document.currentScript && document.currentScript.src) || "").replace(/[^/]*(\?.*)?$/, "");
  var methods = {};

  // --- documents --------------------------------------------------------------------------------

  methods.schoolInfo = function () {
    var s = {};
    var code = this.mode === "app" ? this.fieldValue("id").trim() : this.schoolId;
    if (code) s.id = code;
    s.name = this.schoolName();
    var p = this.profile();
    this.spec.profile_keys.forEach(function (k) { s[k] = p[k]; });
    s.period = this.fieldValue("period");
    var scoring = this.rules.scoringProfile(p);
    if (scoring) {
      s.profile = scoring.id;
      s.profile_version = scoring.version;
    }
    return s;
  };

  /* The answers document. For export: every applicable item, "" when unanswered. For storage: every
   * item with something typed (hidden ones too, so changing the profile back loses nothing). */
  methods.buildDoc = function (forStorage) {
    var self = this;
    var answers = {};
    if (forStorage) {
      for (var i = 0; i < this.rows.length; i++) {
        var a = this.readAnswer(this.rows[i]);
        if (a.result || a.note || a.evidence) answers[this.rows[i].getAttribute("data-item")] = a;
      }
    } else {
      // in the order shown (规定项, then 参考项), as the CSV and the Python reader number them
      (this.selected || []).forEach(function (s) { answers[s.id] = self.readAnswer(self.byId[s.id]); });
    }
    var doc = {
      format: this.spec.format, data_version: this.version, exported_at: new Date().toISOString(),
      school: this.schoolInfo(), answers: answers
    };
    if (forStorage) {
      if (Object.keys(this.extras.retired_answers).length) doc.retired_answers = this.extras.retired_answers;
      if (Object.keys(this.extras.unknown_answers).length) doc.unknown_answers = this.extras.unknown_answers;
    }
    return doc;
  };

  methods.hasAnyAnswer = function () {
    for (var i = 0; i < this.rows.length; i++) {
      var a = this.readAnswer(this.rows[i]);
      if (a.result || a.note || a.evidence) return true;
    }
    return !!this.fieldValue("period");
  };

  /* Put a document's profile (interactive page only), period and answers into the form.
   * Returns what did not fit: retired, unknown, new (applicable, unanswered) IDs, dropped profile values. */
  methods.applyDoc = function (doc) {
    var self = this;
    var report = { retired: [], unknown: [], newItems: [], profile: [], otherKind: [] };
    var school = isObject(doc.school) ? doc.school : {};
    if (this.mode === "app") {
      var name = this.field("name");
      if (name) name.value = typeof school.name === "string" ? school.name : "";
      this.spec.profile_keys.forEach(function (k) {
        var sel = self.field(k);
        if (!sel) return;
        var v = typeof school[k] === "string" && school[k] ? school[k] : self.spec.unknown;
        var ok = Array.prototype.some.call(sel.options, function (o) { return o.value === v; });
        if (!ok) {
          report.profile.push(self.spec.profile_labels[k] + "“" + v + "”");
          v = self.spec.unknown;
        }
        sel.value = v;
      });
      var scoringSel = this.field("scoring");
      if (scoringSel) {
        var sp = typeof school.profile === "string" && own(this.spec.profiles, school.profile) ? school.profile : "";
        // A file records the profile it was scored with; when that is the district's default, keep the
        // choice "by district" so that changing the district later changes the profile too.
        var district = this.fieldValue("district");
        if (sp && sp === (this.spec.default_profiles[district] || this.spec.default_profiles[this.spec.unknown])) sp = "";
        scoringSel.value = sp;
      }
      var idField = this.field("id");
      if (idField) idField.value = typeof school.id === "string" ? school.id : "";
    }
    var period = this.field("period");
    if (period && period.tagName === "INPUT") period.value = typeof school.period === "string" ? school.period : "";
    var answers = isObject(doc.answers) ? doc.answers : {};
    this.extras = {
      retired_answers: isObject(doc.retired_answers) ? Object.assign({}, doc.retired_answers) : {},
      unknown_answers: isObject(doc.unknown_answers) ? Object.assign({}, doc.unknown_answers) : {}
    };
    this.rows.forEach(function (row) {
      var id = row.getAttribute("data-item");
      self.writeAnswer(row, isObject(answers[id]) ? answers[id] : null);
    });
    Object.keys(answers).forEach(function (aid) {
      if (own(self.byId, aid)) return;
      if (own(self.spec.retired, aid)) {
        self.extras.retired_answers[aid] = answers[aid];
        report.retired.push(aid);
      } else {
        self.extras.unknown_answers[aid] = answers[aid];
        report.unknown.push(aid);
      }
    });
    this.applyFilter();
    (this.selected || []).forEach(function (s) {
      if (!own(answers, s.id)) report.newItems.push(s.id);
      var a = answers[s.id];
      if (isObject(a) && a.result && self.rules.results(s.kind).indexOf(a.result) < 0) report.otherKind.push(s.id);
    });
    return report;
  };

  methods.describeItem = function (id) {
    var row = this.byId[id];
    var t = row ? row.querySelector(".dz-item-title") : null;
    return t ? id + "（" + t.textContent.trim() + "）" : id;
  };

  /* Chinese lines for what an imported or stored document from another data version did not match. */
  methods.migrationLines = function (doc, report, versionDiffers) {
    var self = this;
    var lines = [];
    if (versionDiffers) {
      lines.push("文件的数据版本为 " + doc.data_version + "，本页为 " + this.version + "：已按检查项编号对应答案。");
    }
    if (report.retired.length) {
      lines.push("以下检查项已停用，其答案另行保存、不计入本表：" + report.retired.map(function (id) {
        var r = self.spec.retired[id] || {};
        var s = id + "（" + (r.title || "") + "）";
        if (r.replaced_by) s += "，由 " + self.describeItem(r.replaced_by) + " 取代";
        return s;
      }).join("；"));
    }
    if (report.unknown.length) {
      lines.push((this.mode === "school" ? "本校自查表中没有以下编号（本数据版本中没有，或不适用于本校），其答案另行保存：" :
        "本数据版本中没有以下编号，其答案另行保存：") + report.unknown.join("、"));
    }
    if (report.otherKind.length) {
      lines.push("以下检查项的类别（规定项/参考项）已改变，原来的答案保留在该项下、不计入，请重新选择：" +
        report.otherKind.map(function (id) { return self.describeItem(id); }).join("；"));
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
  methods.save = function (byName) {
    if (this.mode === "blank") return;
    var key = this.storageKey();
    if (this.mode === "app" && !this.schoolName() && !byName && !this.warnedNoName) {
      this.warnedNoName = true;
      this.askForName("请先填写学校名称：答案按学校名称保存在本机浏览器中。");
    }
    if (store.get(key) === null && byName) this.createdKeys[key] = true;
    else if (!byName && key !== PREFIX + "school:") delete this.createdKeys[key];
    var ok = store.set(key, JSON.stringify(this.buildDoc(true)));
    if (!byName) this.draft = key === PREFIX + "school:"; // answers typed before any school name
    if (this.mode === "app") store.set(PREFIX + "last", this.schoolName());
    this.boundKey = key;
    if (!ok) this.say("浏览器不允许保存（可能是隐私模式或存储已满）：请及时导出 JSON 文件。", true);
  };

  methods.loadStored = function (key) {
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
  methods.onNameInput = function () {
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
  methods.onNameChange = function () {
    var key = this.storageKey();
    if (this.pendingKey !== key) return;
    this.pendingKey = null;
    var name = this.schoolName();
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

  methods.exportJson = function () {
    var name = this.schoolName();
    if (!name) {
      this.askForName("请先填写学校名称，再导出。", true);
      this.goToName();
      return;
    }
    var doc = this.buildDoc(false);
    if (this.wechat) {
      this.showExport(false);
      this.say("微信内不能下载文件：答案已显示在上方的文本框中，可复制后发送；或点右上角“…”选择“在浏览器打开”再导出。");
      return;
    }
    download(safeFileName(name) + "-自查-" + today() + ".json", JSON.stringify(doc, null, 2) + "\n",
      "application/json;charset=utf-8");
    this.say("已导出 " + Object.keys(doc.answers).length + " 项的答案（JSON）。可用“导入 JSON”在其他电脑上恢复。");
  };

  methods.csvText = function () {
    var self = this;
    var csvField = csvFieldFor(this.spec.formula_start);
    var lines = [this.spec.csv_headers.map(csvField).join(",")];
    var name = this.schoolName();
    var scoring = this.rules.scoringProfile(this.profile());
    (this.selected || []).forEach(function (s) {
      var row = self.byId[s.id];
      var a = self.readAnswer(row);
      var points = "", earned = "";
      if (s.kind === self.rules.kindRule && scoring) {
        points = fmt(self.rules.points(scoring, s.id).points);
        if (["达标", "基本达标", "未达标"].indexOf(a.result) >= 0) earned = fmt(self.rules.itemScore(scoring, s.id, a).earned);
      }
      lines.push([
        self.schoolInfo().id || "", name, s.number, s.id, s.kind, self.spec.dimensions[self.spec.items[s.id].dimension],
        textOf(row.querySelector(".dz-item-title")), checkText(row.querySelector("td.dz-c-check")),
        row.querySelector("td.dz-c-basis").getAttribute("data-basis"), textOf(row.querySelector("td.dz-c-ev")),
        a.result, a.na_reason || "", points, earned, "", "", a.note, a.evidence
      ].map(csvField).join(","));
    });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  };

  /* The answers as JSON text in a box on the page (works inside WeChat, where downloads are blocked). */
  methods.exportText = function () {
    return JSON.stringify(this.buildDoc(false), null, 2) + "\n";
  };

  methods.showExport = function (focusBox) {
    if (!this.exportBox) return null;
    var area = this.exportBox.querySelector("textarea");
    area.value = this.exportText();
    this.exportBox.hidden = false;
    scrollToEl(this.exportBox, "center");
    if (focusBox) {
      area.focus({ preventScroll: true });
      area.select();
    }
    return area;
  };

  /* Copy the answers (JSON) to the clipboard; where the clipboard is not available, select the text in
   * the box so a long press copies it. */
  methods.copyJson = function () {
    var self = this;
    if (!this.schoolName()) {
      this.askForName("请先填写学校名称，再复制答案。", true);
      return;
    }
    var text = this.exportText();
    var count = Object.keys(this.buildDoc(false).answers).length;
    var done = function () {
      self.say("已复制 " + count + " 项的答案（JSON）。可粘贴到微信对话中发送；在电脑上保存为 .json 文件后，可导入本页或交给教育局汇总。");
    };
    var fallback = function () {
      var area = self.showExport(true);
      var ok = false;
      try { ok = !!area && document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok) done();
      else self.say("浏览器不允许自动复制：答案已显示在文本框中并已全选，请长按选择“复制”。");
    };
    if (navigator.clipboard && navigator.clipboard.writeText && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  };

  methods.exportCsv = function () {
    if (this.wechat) {
      this.say("微信内不能下载文件：请点右上角“…”选择“在浏览器打开”再导出 CSV；或用“复制答案（JSON）”。", true);
      return;
    }
    var name = this.schoolName() || "自查表";
    download(safeFileName(name) + "-自查-" + today() + ".csv", this.csvText(), "text/csv;charset=utf-8");
    this.say("已导出 CSV（" + (this.selected || []).length + " 项），可用 Excel 或 WPS 打开。");
  };

  /* 导出 Word: the 自查表 and the 自查报告 draft as .docx, made in this browser by assets/word-export.js
   * (loaded on the first click, with the vendored docx library); nothing leaves the computer. */
  methods.exportWord = function (btn) {
    var self = this;
    if (!this.schoolName()) {
      this.say("请先填写学校名称，再导出。", true);
      return;
    }
    if (btn) btn.disabled = true;
    this.say("正在生成 Word 文件……");
    var ready = window.dzWordExport ? Promise.resolve() : new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = ASSETS + "word-export.js";
      s.onload = resolve;
      s.onerror = function () { reject(new Error("无法载入 word-export.js")); };
      document.head.appendChild(s);
    });
    ready.then(function () { return window.dzWordExport.run(self); }).then(function (files) {
      self.say("已导出 " + files.map(function (f) { return f.name; }).join("、") +
        "，可用 Word、WPS 或 LibreOffice 打开编辑。如浏览器只保存了一个文件，请点击：");
      files.forEach(function (f) {
        var a = document.createElement("a");
        a.href = f.url;
        a.download = f.name;
        a.textContent = f.name;
        self.messages.appendChild(document.createTextNode(" "));
        self.messages.appendChild(a);
      });
    }, function (err) {
      self.say("导出 Word 失败：" + (err && err.message ? err.message : String(err)) + "。答案仍保存在本机。", true);
    }).then(function () { if (btn) btn.disabled = false; });
  };

  methods.importText = function (text) {
    var doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      this.say("导入失败：文件不是有效的 JSON。本校已保存的答案没有改变。", true);
      return;
    }
    var problem = this.rules.check(doc);
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

  methods.resetForm = function () {
    var self = this;
    this.boundKey = null;
    this.pendingKey = null;
    this.extras = { retired_answers: {}, unknown_answers: {} };
    if (this.mode === "app") {
      var n = this.field("name");
      if (n) n.value = "";
      var idField = this.field("id");
      if (idField) idField.value = "";
      this.spec.profile_keys.forEach(function (k) {
        var sel = self.field(k);
        if (sel) sel.value = self.spec.unknown;
      });
      this.warnedNoName = false;
    }
    var period = this.field("period");
    if (period && period.tagName === "INPUT") period.value = "";
    this.rows.forEach(function (row) { self.writeAnswer(row, null); });
    this.applyFilter();
  };

  methods.clear = function () {
    var name = this.schoolName();
    var label = name ? "“" + name + "”" : "本表";
    if (!window.confirm("确定清除" + label + "的全部答案？此操作不能撤销。")) return;
    store.remove(this.storageKey());
    if (this.boundKey) store.remove(this.boundKey);
    if (this.mode === "app" && store.get(PREFIX + "last") === name) store.remove(PREFIX + "last");
    this.resetForm();
    this.say("已清除" + label + "的全部答案。");
  };

  /* Interactive page: keep this school's saved answers and start an empty form for another school. */
  methods.startAnother = function () {
    if (this.mode !== "app") return;
    var name = this.schoolName();
    if (this.hasAnyAnswer()) this.save();
    this.createdKeys = {};
    this.resetForm();
    this.say((name ? "“" + name + "”的答案已保存在本机。" : "") + "请填写另一所学校的名称；输入已保存过的学校名称可载入其答案。");
    var n = this.field("name");
    if (n && n.focus) n.focus();
  };

  methods.onImportFile = function (input) {
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

  window.dzChecklistFiles = methods;
})();
