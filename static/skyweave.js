// skyweave.js: progressive enhancement only; every page works without it.
// 1. button.copy[data-copy-target] copies the text of the element it names (id, with or without "#").
// 2. a.example[data-query] fills the SPARQL textarea #query instead of following its link.
(function () {
  "use strict";

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function flash(button, text) {
    var label = button.dataset.label || (button.dataset.label = button.textContent);
    button.textContent = text;
    button.classList.toggle("copied", text === "Copied");
    clearTimeout(button._timer);
    button._timer = setTimeout(function () {
      button.textContent = label;
      button.classList.remove("copied");
    }, 1800);
  }

  function copy(button) {
    var id = button.getAttribute("data-copy-target").replace(/^#/, "");
    var el = document.getElementById(id);
    if (!el) return;
    var field = el.tagName === "TEXTAREA" || el.tagName === "INPUT";
    var text = field ? el.value : el.textContent;
    var fallback = function () {
      if (field) el.select(); else selectText(el);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      flash(button, ok ? "Copied" : "Press Ctrl+C");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(button, "Copied"); }, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy[data-copy-target]");
    if (button) { copy(button); return; }
    var example = event.target.closest("a.example[data-query]");
    var query = document.getElementById("query");
    if (example && query && !(event.ctrlKey || event.metaKey || event.shiftKey)) {
      event.preventDefault();
      query.value = example.getAttribute("data-query");
      query.focus();
      query.setSelectionRange(0, 0);
      query.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
  });
})();
