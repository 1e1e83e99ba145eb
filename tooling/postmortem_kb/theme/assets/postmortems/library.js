/* postmortem-kb: filters and sorting for the library table and the tracker, in the browser
   only. Without JavaScript both stay plain tables. Works with Material's instant navigation. */
(function () {
  "use strict";

  function text(cell) {
    return cell ? (cell.getAttribute("data-sort") || cell.textContent).trim() : "";
  }

  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, column) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = text(a.cells[column]), y = text(b.cells[column]);
          var c = x.localeCompare(y, undefined, { numeric: true });
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
  }

  var FILTERS = [["type", "Type"], ["severity", "Severity"], ["status", "Status"],
                 ["quarter", "Quarter"], ["services", "Service"]];

  function addFilters(table) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var bar = document.createElement("form");
    bar.className = "pm-filters";
    bar.setAttribute("role", "search");
    bar.addEventListener("submit", function (e) { e.preventDefault(); });
    var selects = {};
    FILTERS.forEach(function (f) {
      var values = {};
      rows.forEach(function (r) {
        (r.getAttribute("data-" + f[0]) || "").split("|").forEach(function (v) {
          if (v) values[v] = true;
        });
      });
      var label = document.createElement("label");
      label.textContent = f[1];
      var select = document.createElement("select");
      select.name = f[0];
      select.appendChild(new Option("All", ""));
      Object.keys(values).sort().forEach(function (v) { select.appendChild(new Option(v, v)); });
      label.appendChild(select);
      bar.appendChild(label);
      selects[f[0]] = select;
    });
    var label = document.createElement("label");
    label.textContent = "Text";
    var input = document.createElement("input");
    input.type = "search";
    input.name = "q";
    input.placeholder = "id, title, service…";
    label.appendChild(input);
    bar.appendChild(label);
    var count = table.parentNode.querySelector(".pm-library-count");

    function apply() {
      var needle = input.value.trim().toLowerCase();
      var shown = 0;
      rows.forEach(function (r) {
        var ok = FILTERS.every(function (f) {
          var want = selects[f[0]].value;
          return !want || (r.getAttribute("data-" + f[0]) || "").split("|").indexOf(want) >= 0;
        }) && (!needle || r.textContent.toLowerCase().indexOf(needle) >= 0);
        r.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = shown + " of " + rows.length + " post-mortems";
    }
    bar.addEventListener("change", apply);
    input.addEventListener("input", apply);
    table.parentNode.insertBefore(bar, table);
  }

  function setUp() {
    document.querySelectorAll("table.pm-sortable:not([data-pm-ready])").forEach(function (t) {
      t.setAttribute("data-pm-ready", "");
      makeSortable(t);
      if (t.classList.contains("pm-library")) addFilters(t);
    });
  }

  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
