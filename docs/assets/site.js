/* Site-wide behaviour, on every page. No network, no libraries; only fixed texts are created.
 *
 * - A table wider than the screen scrolls inside its own box: the box gets a visible hint above it
 *   ("表格较宽，可左右滑动查看") and an edge shadow while there is more to see.
 * - Search reacts to every change of the query, not only to key presses: Material listens to keyup,
 *   which a pasted query (or text chosen from an input method) never sends.
 */
(function () {
  "use strict";

  var HINT = "表格较宽，可左右滑动查看";
  var BOXES = ".dz-table-wrap, .md-typeset__scrollwrap";

  function hintBefore(box) {
    var prev = box.previousElementSibling;
    return prev && prev.classList.contains("dz-scroll-hint") ? prev : null;
  }

  function updateEnd(box) {
    box.classList.toggle("dz-scrolled-end", box.scrollLeft + box.clientWidth >= box.scrollWidth - 2);
  }

  /* Mark the boxes that scroll sideways; give them a hint, keyboard focus and the edge shadow. */
  function markScrollBoxes() {
    var boxes = document.querySelectorAll(BOXES);
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("dz-scrolling", scrolls);
      var hint = hintBefore(box);
      if (scrolls && !hint) {
        hint = document.createElement("p");
        hint.className = "dz-scroll-hint";
        hint.setAttribute("aria-hidden", "true");
        hint.textContent = HINT;
        box.parentNode.insertBefore(hint, box);
      }
      if (hint) hint.hidden = !scrolls;
      if (scrolls) {
        if (!box.hasAttribute("tabindex")) box.setAttribute("tabindex", "0");
        if (!box.getAttribute("data-dz-scroll")) {
          box.setAttribute("data-dz-scroll", "1");
          box.addEventListener("scroll", function (ev) { updateEnd(ev.currentTarget); }, { passive: true });
        }
        updateEnd(box);
      }
    }
  }

  var pending = false;
  function soon() {
    if (pending) return;
    pending = true;
    (window.requestAnimationFrame || window.setTimeout)(function () {
      pending = false;
      markScrollBoxes();
    });
  }

  /* Material updates the search on keyup; input and compositionend cover paste, input methods and autofill. */
  function searchOnEveryChange() {
    var input = document.querySelector(".md-search__input");
    if (!input || input.getAttribute("data-dz-input")) return;
    input.setAttribute("data-dz-input", "1");
    var nudge = function (ev) {
      if (ev.isComposing) return; // the input method is still composing: wait for compositionend
      input.dispatchEvent(new KeyboardEvent("keyup", { bubbles: true }));
    };
    input.addEventListener("input", nudge);
    input.addEventListener("compositionend", nudge);
  }

  function init() {
    searchOnEveryChange();
    soon();
  }

  window.addEventListener("resize", soon);
  window.addEventListener("load", soon);
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init); // Material's instant navigation, when enabled
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
