/* 自查清单的规则与小工具：页面收到的 JSON（macros/checklist.py 的 spec）所定义的一切规则在这里实现一次。
 *
 * Every rule here comes from the page's JSON (`checklist.spec` in macros/checklist.py): vocabularies,
 * each item's applicability and the sources that make it a 规定项, the sources binding each district,
 * the answers schema itself, labels and CSV headers. `Rules` implements the same specification as
 * macros/checklist.py and macros/scoring.py; tests/test_checklist_parity.py runs both over every profile.
 * Nothing here touches the page except the small DOM helpers at the top (download, scrolling).
 * Loaded before checklist-summary.js, checklist-files.js and checklist.js (mkdocs.yml extra_javascript).
 */
(function () {
  "use strict";

  var PREFIX = "dzzld:v1:"; // localStorage keys (see checklist.js)

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

  function numberOf(input) {
    if (!input || input.disabled || input.value === "") return null;
    var n = Number(input.value);
    return isFinite(n) && n >= 0 ? n : null;
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

  window.dzChecklistCore = {
    PREFIX: PREFIX, IN_WECHAT: IN_WECHAT, isObject: isObject, own: own, codePoints: codePoints, today: today, safeFileName: safeFileName, csvFieldFor: csvFieldFor, headerBottom: headerBottom, scrollToEl: scrollToEl, store: store, download: download, textOf: textOf, checkText: checkText, numberOf: numberOf, fmt: fmt, round1: round1, countedResult: countedResult, schemaError: schemaError, Rules: Rules
  };
})();
