// The alert list updates itself: every 2 s it asks /alerts/feed.json for alerts received since the
// newest row shown (with the page's filters) and adds them at the top, without reloading.
(function () {
  "use strict";
  var table = document.getElementById("alerts-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var status = document.getElementById("alerts-live");
  var filters = JSON.parse(table.getAttribute("data-filters") || "{}");

  function newest() {
    var first = body.rows[0];
    return first ? first.getAttribute("data-received") : "";
  }

  function cell(row, content) {
    var td = row.insertCell(-1);
    if (content instanceof Node) { td.appendChild(content); } else { td.textContent = content; }
    return td;
  }

  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }

  function badge(text, kind) {
    var span = document.createElement("span");
    span.className = "badge badge-" + kind;
    span.textContent = text;
    return span;
  }

  function add(alert) {
    if (body.querySelector('tr[data-alert="' + alert.href + '"]')) { return; }
    var row = body.insertRow(0);
    row.setAttribute("data-received", alert.received);
    row.setAttribute("data-alert", alert.href);
    row.className = "new";
    cell(row, alert.received.replace("T", " ").replace("Z", ""));
    var event = cell(row, link(alert.event_href, alert.event));
    if (alert.retracted) { event.appendChild(document.createTextNode(" ")); event.appendChild(badge("retracted", "error")); }
    cell(row, alert.type);
    cell(row, badge(alert.tense, alert.tense === "current" ? "ok" : "info"));
    cell(row, alert.messenger || "");
    cell(row, link(alert.href, alert.title));
    var empty = document.getElementById("alerts-empty");
    if (empty) { empty.remove(); }
  }

  function poll() {
    var params = new URLSearchParams();
    Object.keys(filters).forEach(function (k) { if (filters[k]) { params.set(k, filters[k]); } });
    if (newest()) { params.set("since", newest()); }
    fetch(table.getAttribute("data-feed") + "?" + params.toString(), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.alerts.slice().reverse().forEach(add);
        status.textContent = "Updating live · last checked " + new Date().toLocaleTimeString();
      })
      .catch(function () { status.textContent = "Live updates paused: the server did not answer."; })
      .finally(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
})();
