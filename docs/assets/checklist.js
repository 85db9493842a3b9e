/* 自查清单：按学校情况筛选检查项、区分规定项与参考项，在本机浏览器保存答案，导入/导出 JSON、导出 CSV、打印。
 *
 * Every rule here comes from the page's JSON (`checklist.spec` in macros/checklist.py): vocabularies,
 * each item's applicability and the sources that make it a 规定项, the sources binding each district,
 * the answers schema itself, labels and CSV headers. The functions in `Rules` implement the same
 * specification as macros/checklist.py; tests/test_checklist_parity.py runs both over every profile.
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

  var PREFIX = "dzzld:v1:";
  // Where this script was loaded from: assets/word-export.js is fetched from the same folder on 导出 Word.
  var ASSETS = ((document.currentScript && document.currentScript.src) || "").replace(/checklist\.js(\?.*)?$/, "");

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

  function today() {
    var d = new Date();
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate());
  }

  function safeFileName(name) {
    var s = (name || "").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").trim();
    return s || "未命名学校";
  }

  /* A CSV cell writer: a value starting with one of `formulaStart` (spec.formula_start, from
   * macros/workbook.py) is defused with an apostrophe (OWASP); quoted when needed. */
  function csvFieldFor(formulaStart) {
    return function (value) {
      var s = value === null || value === undefined ? "" : String(value);
      if (s && formulaStart.indexOf(s.charAt(0)) >= 0) s = "'" + s;
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    };
  }

  // WeChat's in-app browser blocks downloads and printing.
  var IN_WECHAT = /MicroMessenger/i.test(navigator.userAgent || "");

  /* The bottom of the site's sticky header: what is above it is hidden. */
  function headerBottom() {
    var header = document.querySelector(".md-header");
    return header ? Math.max(0, header.getBoundingClientRect().bottom) : 0;
  }

  /* Scroll an element into view (its CSS scroll-margin keeps it clear of the sticky header and dock). */
  function scrollToEl(el, block) {
    try { el.scrollIntoView({ block: block, inline: "nearest" }); } catch (e) { el.scrollIntoView(block === "start"); }
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

  /* Download text or a Blob as a file; returns its object URL. `keep`: the URL stays valid (it is
   * also shown as a link), else it is released after 30 s. */
  function download(fileName, content, type, keep) {
    var blob = content instanceof Blob ? content : new Blob([content], { type: type });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = fileName;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    if (!keep) window.setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
    return url;
  }

  // ------------------------------------------------------------------------------------------
  // JSON Schema, the subset the answers schema uses (type, const, enum, anyOf, pattern, lengths,
  // minimum, maximum, required, properties, additionalProperties, propertyNames, maxProperties).
  // Returns the path and reason of the first problem, or null.

  function typeOk(type, v) {
    if (type === "object") return isObject(v);
    if (type === "array") return Array.isArray(v);
    if (type === "string") return typeof v === "string";
    if (type === "integer") return typeof v === "number" && Math.floor(v) === v;
    if (type === "number") return typeof v === "number";
    if (type === "boolean") return typeof v === "boolean";
    if (type === "null") return v === null;
    return false;
  }

  function schemaError(schema, v, path) {
    var k, i, err;
    if (!isObject(schema)) return null;
    if (own(schema, "type") && !typeOk(schema.type, v)) return { path: path, reason: "类型不对" };
    if (own(schema, "const") && v !== schema["const"]) return { path: path, reason: "取值“" + String(v) + "”不在允许范围内" };
    if (own(schema, "enum") && schema["enum"].indexOf(v) < 0) return { path: path, reason: "取值“" + String(v) + "”不在允许范围内" };
    if (own(schema, "anyOf")) {
      var any = schema.anyOf.some(function (s) { return schemaError(s, v, path) === null; });
      if (!any) return { path: path, reason: "取值“" + String(v) + "”不在允许范围内" };
    }
    if (typeof v === "string") {
      if (own(schema, "minLength") && codePoints(v) < schema.minLength) return { path: path, reason: "不能为空" };
      if (own(schema, "maxLength") && codePoints(v) > schema.maxLength) {
        return { path: path, reason: "太长（上限 " + schema.maxLength + " 字）" };
      }
      if (own(schema, "pattern") && !new RegExp(schema.pattern, "u").test(v)) return { path: path, reason: "“" + v + "”格式不对" };
    }
    if (typeof v === "number") {
      if (own(schema, "minimum") && v < schema.minimum) return { path: path, reason: "不能小于 " + schema.minimum };
      if (own(schema, "maximum") && v > schema.maximum) return { path: path, reason: "不能大于 " + schema.maximum };
    }
    if (isObject(v)) {
      var keys = Object.keys(v);
      if (own(schema, "required")) {
        var missing = schema.required.filter(function (r) { return !own(v, r); });
        if (missing.length) return { path: path, reason: "缺少必填字段（" + missing.join("、") + "）" };
      }
      if (own(schema, "maxProperties") && keys.length > schema.maxProperties) {
        return { path: path, reason: "条目太多（上限 " + schema.maxProperties + "）" };
      }
      var props = isObject(schema.properties) ? schema.properties : {};
      if (schema.additionalProperties === false) {
        var extra = keys.filter(function (x) { return !own(props, x); });
        if (extra.length) return { path: path, reason: "多出未知字段（" + extra.join("、") + "）" };
      }
      for (i = 0; i < keys.length; i++) {
        k = keys[i];
        if (own(schema, "propertyNames")) {
          err = schemaError(schema.propertyNames, k, path.concat([k]));
          if (err) return { path: path.concat([k]), reason: "“" + k + "”格式不对" };
        }
        if (own(props, k)) err = schemaError(props[k], v[k], path.concat([k]));
        else if (isObject(schema.additionalProperties)) err = schemaError(schema.additionalProperties, v[k], path.concat([k]));
        else err = null;
        if (err) return err;
      }
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------
  // The rules: the same specification as macros/checklist.py

  function Rules(spec) {
    this.spec = spec;
    this.kindRule = spec.kinds.rule;
    this.kindReference = spec.kinds.reference;
  }

  /* Does an item apply? "maybe" when the profile leaves a deciding field unknown. */
  Rules.prototype.fit = function (itemId, profile) {
    var applies = this.spec.items[itemId].applies;
    var result = "yes";
    var keys = this.spec.profile_keys;
    for (var i = 0; i < keys.length; i++) {
      var allowed = applies[keys[i]];
      if (!allowed || !allowed.length) continue;
      var v = profile[keys[i]];
      if (v === this.spec.unknown || !v) result = "maybe";
      else if (allowed.indexOf(v) < 0) return "no";
    }
    return result;
  };

  /* The scoring profile a school uses: the one it names, else its district's default. */
  Rules.prototype.scoringProfile = function (profile) {
    var id = profile.scoring || this.spec.default_profiles[profile.district] || this.spec.default_profiles[this.spec.unknown];
    return (id && this.spec.profiles[id]) || null;
  };

  /* 规定项 when a source that makes the item binding binds a school of this district (or its profile). */
  Rules.prototype.kind = function (itemId, district, scoring) {
    var binding = this.spec.items[itemId].binding;
    var bound = (this.spec.district_sources[district] || this.spec.district_sources[this.spec.unknown]).slice();
    if (scoring) bound = bound.concat(scoring.binding_sources);
    for (var i = 0; i < binding.length; i++) {
      if (bound.indexOf(binding[i]) >= 0) return { kind: this.kindRule, certain: true };
    }
    var maybe = district === this.spec.unknown && this.spec.items[itemId].binds_somewhere;
    return { kind: this.kindReference, certain: !maybe };
  };

  Rules.prototype.results = function (kind) {
    return this.spec.results[kind];
  };

  /* The items for a profile: 规定项 first, then 参考项, numbered 1..n. */
  Rules.prototype.select = function (profile) {
    var self = this;
    var scoring = this.scoringProfile(profile);
    var out = [];
    this.spec.order.forEach(function (id) {
      var f = self.fit(id, profile);
      if (f === "no") return;
      var k = self.kind(id, profile.district, scoring);
      out.push({ id: id, certain: f === "yes", kind: k.kind, kind_certain: k.certain });
    });
    var rules = out.filter(function (s) { return s.kind === self.kindRule; });
    var refs = out.filter(function (s) { return s.kind !== self.kindRule; });
    return rules.concat(refs).map(function (s, i) { s.number = i + 1; return s; });
  };

  /* Counts per kind and result, per dimension, and the 达标率 of the 规定项. */
  Rules.prototype.summary = function (selected, answers) {
    var self = this;
    var u = this.spec.unanswered;
    function blank(kind) {
      var b = { total: 0, counts: {} };
      b[u] = 0;
      self.results(kind).forEach(function (r) { b.counts[r] = 0; });
      return b;
    }
    var out = { total: selected.length, per_dimension: {} };
    out[this.kindRule] = blank(this.kindRule);
    out[this.kindReference] = blank(this.kindReference);
    selected.forEach(function (s) {
      var dimKey = self.spec.items[s.id].dimension;
      var dim = out.per_dimension[dimKey];
      if (!dim) {
        dim = out.per_dimension[dimKey] = {};
        dim[self.kindRule] = blank(self.kindRule);
        dim[self.kindReference] = blank(self.kindReference);
      }
      var result = countedResult(answers[s.id]);
      [out[s.kind], dim[s.kind]].forEach(function (bucket) {
        bucket.total += 1;
        if (own(bucket.counts, result)) bucket.counts[result] += 1;
        else bucket[u] += 1;
      });
    });
    var rule = out[this.kindRule];
    var counted = rule.total - (rule.counts["不适用"] || 0);
    out.compliance = counted ? (rule.counts["达标"] || 0) / counted : null;
    return out;
  };

  /* The result as it counts: 不适用 without a written reason is not a 不适用 yet. */
  function countedResult(a) {
    if (!a || !a.result) return "";
    if (a.result === "不适用" && !(a.na_reason || "").trim()) return "";
    return a.result;
  }

  function round1(x) {
    return Math.round((x + 0) * 10) / 10;
  }

  Rules.prototype.points = function (scoring, itemId) {
    var p = scoring && scoring.items[itemId];
    return p ? { points: p.points, deduct: p.deduct || null } : { points: scoring ? scoring.default_points : 0, deduct: null };
  };

  /* The score of one 规定项 (as macros.scoring.item_score). */
  Rules.prototype.itemScore = function (scoring, itemId, a) {
    var spec = this.points(scoring, itemId);
    var points = spec.points;
    a = a || {};
    var result = a.result || "";
    var review = typeof a.review_score === "number" ? a.review_score : null;
    if (result === "不适用") {
      if ((a.na_reason || "").trim()) return { item: itemId, points: 0, earned: 0, status: "na", lost_for: "", review: null, problem: "" };
      return { item: itemId, points: points, earned: 0, status: "na_no_reason", lost_for: "选“不适用”但未写明理由",
        review: review, problem: "不适用须写明理由，未写明前按未填计" };
    }
    if (["达标", "基本达标", "未达标"].indexOf(result) < 0) {
      return { item: itemId, points: points, earned: 0, status: "unanswered", lost_for: points ? "未填" : "", review: review, problem: "" };
    }
    var problem = "";
    var earned;
    var d = spec.deduct;
    if (d && typeof a.count === "number") {
      var cap = d.cap === null || d.cap === undefined ? points : d.cap;
      var lost = Math.min(cap, a.count * d.per, points);
      earned = points - lost;
      var agrees = { "达标": earned === points, "未达标": earned === 0, "基本达标": earned > 0 && earned < points }[result];
      if (!agrees) problem = "按发现 " + a.count + " 次计为 " + fmt(round1(earned)) + " 分，与自评结果“" + result + "”不一致";
      return { item: itemId, points: points, earned: round1(earned), status: "scored",
        lost_for: lost ? d.what + "：" + a.count + " 次 × " + fmt(d.per) + " 分" : "", review: review, problem: problem };
    }
    var score = typeof a.score === "number" ? a.score : null;
    if (result === "达标") {
      earned = points;
      if (score !== null && score !== points) problem = "自评分 " + fmt(score) + " 与“达标”（" + fmt(points) + " 分）不一致";
    } else if (result === "未达标") {
      earned = 0;
      if (score) problem = "自评分 " + fmt(score) + " 与“未达标”（0 分）不一致";
    } else {
      var def = round1(points * scoring.partial_share);
      if (score === null) earned = def;
      else if (score > 0 && score < points) earned = score;
      else {
        earned = def;
        problem = "“基本达标”的自评分应大于 0、小于 " + fmt(points) + "（按 " + fmt(def) + " 分计）";
      }
    }
    return { item: itemId, points: points, earned: round1(earned), status: "scored", lost_for: earned === points ? "" : result,
      review: review, problem: problem };
  };

  function fmt(x) {
    return String(Number(x.toFixed(6)));
  }

  Rules.prototype.gradeOf = function (scoring, scaled, vetoes) {
    if (scaled === null) return null;
    var names = scoring.grades.map(function (g) { return g.name; });
    var grade = names[names.length - 1];
    for (var i = 0; i < scoring.grades.length; i++) {
      if (scaled >= scoring.grades[i].min) { grade = scoring.grades[i].name; break; }
    }
    vetoes.forEach(function (v) {
      if (v.effect === "fail") grade = names[names.length - 1];
      else if (names.indexOf(v.grade) >= 0 && names.indexOf(grade) < names.indexOf(v.grade)) grade = v.grade;
    });
    return grade;
  };

  /* Score a school's answers (as macros.scoring.score). */
  Rules.prototype.score = function (scoring, selected, answers) {
    var self = this;
    var rules = selected.filter(function (s) { return s.kind === self.kindRule; });
    var items = rules.map(function (s) { return self.itemScore(scoring, s.id, answers[s.id]); });
    var possible = items.reduce(function (n, i) { return n + i.points; }, 0);
    var earned = round1(items.reduce(function (n, i) { return n + i.earned; }, 0));
    var ruleIds = rules.map(function (s) { return s.id; });
    var hit = scoring.vetoes.filter(function (v) {
      return ruleIds.indexOf(v.item) >= 0 && answers[v.item] && v.results.indexOf(answers[v.item].result) >= 0;
    });
    var scaled = possible ? round1(earned / possible * scoring.total) : null;
    var out = { items: items, possible: possible, earned: earned, scaled: scaled, grade: self.gradeOf(scoring, scaled, hit),
      vetoes: hit.map(function (v) { return v.id; }), review_scaled: null, review_grade: null };
    if (items.some(function (i) { return i.review !== null; })) {
      var reviewed = items.reduce(function (n, i) {
        return n + (i.review !== null ? Math.min(Math.max(i.review, 0), i.points) : i.earned);
      }, 0);
      out.review_scaled = possible ? round1(reviewed / possible * scoring.total) : null;
      out.review_grade = self.gradeOf(scoring, out.review_scaled, hit);
    }
    return out;
  };

  /* Null when an answers document conforms to the answers schema, else a Chinese description. */
  Rules.prototype.check = function (doc) {
    var err = schemaError(this.spec.answers_schema, doc, []);
    return err ? (err.path.join("/") || "(根)") + "：" + err.reason : null;
  };

  /* How an answers document fits the current data (as macros.checklist.migrate). */
  Rules.prototype.migrate = function (doc, profile) {
    var self = this;
    var selected = {};
    this.select(profile).forEach(function (s) { selected[s.id] = s; });
    var out = { kept: {}, retired: {}, unknown: {}, new_items: [], replaced_by: {}, other_kind: {} };
    Object.keys(doc.answers).forEach(function (id) {
      var a = doc.answers[id];
      if (own(self.spec.retired, id)) {
        out.retired[id] = a;
        if (self.spec.retired[id].replaced_by) out.replaced_by[id] = self.spec.retired[id].replaced_by;
      } else if (!own(self.spec.items, id)) {
        out.unknown[id] = a;
      } else {
        var kind = own(selected, id) ? selected[id].kind : self.kind(id, profile.district, self.scoringProfile(profile)).kind;
        if (a.result && self.results(kind).indexOf(a.result) < 0) {
          out.other_kind[id] = a;
          a = Object.assign({}, a, { result: "" });
        }
        out.kept[id] = Object.assign({ note: "", evidence: "" }, a);
      }
    });
    Object.keys(selected).forEach(function (id) {
      if (!own(doc.answers, id)) out.new_items.push(id);
    });
    out.new_items.sort(function (a, b) { return selected[a].number - selected[b].number; });
    return out;
  };

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

  function numberOf(input) {
    if (!input || input.disabled || input.value === "") return null;
    var n = Number(input.value);
    return isFinite(n) && n >= 0 ? n : null;
  }

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

  Checklist.prototype.currentAnswers = function () {
    var out = {};
    for (var i = 0; i < this.rows.length; i++) out[this.rows[i].getAttribute("data-item")] = this.readAnswer(this.rows[i]);
    return out;
  };

  Checklist.prototype.updateSummary = function () {
    var self = this;
    var sum = this.rules.summary(this.selected || [], this.currentAnswers());
    var u = this.spec.unanswered;
    var lines = this.root.querySelectorAll("[data-summary-kind]");
    for (var i = 0; i < lines.length; i++) {
      var kind = lines[i].getAttribute("data-summary-kind");
      var bucket = sum[kind];
      var spans = lines[i].querySelectorAll("[data-count]");
      for (var j = 0; j < spans.length; j++) {
        var key = spans[j].getAttribute("data-count");
        var text;
        if (key === "total") text = String(bucket.total);
        else if (key === u) text = String(bucket[u]);
        else if (key === "compliance") {
          var answeredRules = bucket.total - bucket[u];
          text = sum.compliance === null || !answeredRules ? "—" : (sum.compliance * 100).toFixed(1) + "%";
        }
        else text = String(bucket.counts[key] || 0);
        if (spans[j].textContent !== text) spans[j].textContent = text;
      }
    }
    this.updateScore(sum);
    this.updateProgress(sum);
    var dimRows = this.root.querySelectorAll("tr[data-summary-dimension]");
    for (var d = 0; d < dimRows.length; d++) {
      var c = sum.per_dimension[dimRows[d].getAttribute("data-summary-dimension")];
      dimRows[d].hidden = !c;
      if (!c) continue;
      var cells = dimRows[d].querySelectorAll("td[data-count]");
      for (var m = 0; m < cells.length; m++) {
        var ck = cells[m].getAttribute("data-count");
        var value;
        if (ck === u) value = c[self.rules.kindRule][u] + c[self.rules.kindReference][u];
        else {
          var parts = ck.split(":");
          value = c[parts[0]].counts[parts[1]] || 0;
        }
        cells[m].textContent = String(value);
      }
    }
  };

  /* Answered / total in the dock: the same counts as the summary (不适用 without a reason is not answered). */
  Checklist.prototype.updateProgress = function (sum) {
    if (!this.progress) return;
    var u = this.spec.unanswered;
    var total = sum[this.rules.kindRule].total + sum[this.rules.kindReference].total;
    var open = sum[this.rules.kindRule][u] + sum[this.rules.kindReference][u];
    var set = function (el, text) { if (el && el.textContent !== text) el.textContent = text; };
    set(this.progress.querySelector('[data-progress="done"]'), String(total - open));
    set(this.progress.querySelector('[data-progress="total"]'), String(total));
    var bar = this.progress.querySelector(".dz-progress-bar > span");
    if (bar) bar.style.width = (total ? Math.round((total - open) / total * 100) : 0) + "%";
    this.progress.classList.toggle("dz-done", total > 0 && open === 0);
  };

  /* Is a row still to be answered? As the summary counts it: no result, 不适用 without a reason, or a
   * result of the item's other kind. */
  Checklist.prototype.isOpen = function (row) {
    var result = countedResult(this.readAnswer(row));
    return !result || this.rules.results(row.getAttribute("data-kind")).indexOf(result) < 0;
  };

  /* Where the user is: the row holding the focus, else the row last worked in while it is still on
   * screen, else the first row reaching below the header. `done`: the user has been at that row. */
  Checklist.prototype.currentRow = function (rows) {
    var active = document.activeElement;
    var focused = active && active.closest ? active.closest("tr.dz-item") : null;
    if (focused && rows.indexOf(focused) >= 0) return { index: rows.indexOf(focused), done: true };
    var top = headerBottom();
    var last = this.lastRow;
    if (last && rows.indexOf(last) >= 0) {
      var r = last.getBoundingClientRect();
      if (r.bottom > top && r.top < window.innerHeight) return { index: rows.indexOf(last), done: true };
    }
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getBoundingClientRect().bottom > top + 1) return { index: i, done: rows[i].classList.contains("dz-target") };
    }
    return { index: rows.length - 1, done: true };
  };

  /* "下一未答": scroll to the next unanswered item after the current one (wrapping round) and focus its answers. */
  Checklist.prototype.nextUnanswered = function () {
    var rows = Array.prototype.filter.call(this.root.querySelectorAll("tr.dz-item"), function (r) { return !r.hidden; });
    if (!rows.length) return;
    var here = this.currentRow(rows);
    var from = here.done ? here.index + 1 : here.index;
    var target = null;
    for (var k = 0; k < rows.length; k++) {
      var row = rows[(from + k) % rows.length];
      if (this.isOpen(row)) { target = row; break; }
    }
    if (!target) {
      this.say("全部检查项都已填写。");
      return;
    }
    var old = this.root.querySelectorAll("tr.dz-target");
    for (var j = 0; j < old.length; j++) old[j].classList.remove("dz-target");
    target.classList.add("dz-target");
    scrollToEl(target, "start");
    var a = this.readAnswer(target);
    var kind = target.getAttribute("data-kind");
    var focus = a.result === "不适用" ? target.querySelector("textarea.dz-na") :
      target.querySelector('.dz-choice[data-for~="' + kind + '"] input[type=radio]');
    if (focus && focus.focus) focus.focus({ preventScroll: true });
  };

  /* Total, grade, vetoes and what every lost point was for, under the current scoring profile. */
  Checklist.prototype.updateScore = function () {
    var box = this.root.querySelector(".dz-score-summary");
    var scoring = this.rules.scoringProfile(this.profile());
    if (!box) return;
    box.hidden = !scoring;
    if (!scoring) return;
    var sc = this.rules.score(scoring, this.selected || [], this.currentAnswers());
    var set = function (key, text) {
      var el = box.querySelector('[data-score="' + key + '"]');
      if (el && el.textContent !== text) el.textContent = text;
    };
    var open = sc.items.filter(function (i) { return i.status === "unanswered" || i.status === "na_no_reason"; }).length;
    var started = open < sc.items.length;
    set("scaled", sc.scaled === null || !started ? "—" : fmt(sc.scaled) + " / " + fmt(scoring.total) +
      (open ? "（尚有 " + open + " 项规定项未填，按 0 分计）" : ""));
    set("grade", started ? (sc.grade || "—") : "—");
    var labels = scoring.vetoes.filter(function (v) { return sc.vetoes.indexOf(v.id) >= 0; })
      .map(function (v) { return v.label + "（" + (v.effect === "fail" ? "定为" + scoring.grades[scoring.grades.length - 1].name : "最高" + v.grade) + "）"; });
    set("vetoes", labels.length ? labels.join("；") : "无");
    var lost = sc.items.filter(function (i) { return i.earned < i.points; });
    set("lost-count", String(lost.length));
    var list = box.querySelector(".dz-lost-list");
    if (list) {
      while (list.firstChild) list.removeChild(list.firstChild);
      var self = this;
      lost.forEach(function (i) {
        var li = document.createElement("li");
        li.textContent = self.describeItem(i.item) + "：失 " + fmt(round1(i.points - i.earned)) + " 分（" + i.lost_for + "）" +
          (i.problem ? "。" + i.problem : "");
        list.appendChild(li);
      });
    }
    var heading = box.querySelector('[data-profile]');
    if (heading) heading.setAttribute("data-profile", scoring.id);
  };

  // --- documents --------------------------------------------------------------------------------

  Checklist.prototype.schoolInfo = function () {
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
  Checklist.prototype.buildDoc = function (forStorage) {
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
  Checklist.prototype.save = function (byName) {
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

  Checklist.prototype.csvText = function () {
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
  Checklist.prototype.exportText = function () {
    return JSON.stringify(this.buildDoc(false), null, 2) + "\n";
  };

  Checklist.prototype.showExport = function (focusBox) {
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
  Checklist.prototype.copyJson = function () {
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

  Checklist.prototype.exportCsv = function () {
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
  Checklist.prototype.exportWord = function (btn) {
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

  function textOf(el) {
    return el ? el.textContent.replace(/\s+/g, " ").trim() : "";
  }

  function checkText(cell) {
    if (!cell) return "";
    var out = "";
    for (var n = cell.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 1 && (n.tagName === "DETAILS" || n.classList.contains("dz-rubric"))) continue;
      out += n.textContent;
    }
    return out.replace(/\s+/g, " ").trim();
  }

  Checklist.prototype.importText = function (text) {
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

  Checklist.prototype.resetForm = function () {
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

  Checklist.prototype.clear = function () {
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
  Checklist.prototype.startAnother = function () {
    if (this.mode !== "app") return;
    var name = this.schoolName();
    if (this.hasAnyAnswer()) this.save();
    this.createdKeys = {};
    this.resetForm();
    this.say((name ? "“" + name + "”的答案已保存在本机。" : "") + "请填写另一所学校的名称；输入已保存过的学校名称可载入其答案。");
    var n = this.field("name");
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
