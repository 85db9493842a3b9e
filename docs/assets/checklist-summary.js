/* 自查清单：汇总、进度、“下一未答”和得分（Checklist 的方法，由 checklist.js 并入）。 */
(function () {
  "use strict";

  var C = window.dzChecklistCore;
  var headerBottom = C.headerBottom, scrollToEl = C.scrollToEl, fmt = C.fmt, round1 = C.round1,
    countedResult = C.countedResult;
  var methods = {};

  methods.currentAnswers = function () {
    var out = {};
    for (var i = 0; i < this.rows.length; i++) out[this.rows[i].getAttribute("data-item")] = this.readAnswer(this.rows[i]);
    return out;
  };

  methods.updateSummary = function () {
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
  methods.updateProgress = function (sum) {
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
  methods.isOpen = function (row) {
    var result = countedResult(this.readAnswer(row));
    return !result || this.rules.results(row.getAttribute("data-kind")).indexOf(result) < 0;
  };

  /* Where the user is: the row holding the focus, else the row last worked in while it is still on
   * screen, else the first row reaching below the header. `done`: the user has been at that row. */
  methods.currentRow = function (rows) {
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
  methods.nextUnanswered = function () {
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
  methods.updateScore = function () {
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

  window.dzChecklistSummary = methods;
})();
