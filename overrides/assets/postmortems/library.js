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

  /* Pagefind search page: load its UI from the bundle the build wrote (same site). */
  function setUpSearch() {
    var box = document.getElementById("pm-search");
    if (!box || box.getAttribute("data-pm-ready") !== null) return;
    box.setAttribute("data-pm-ready", "");
    var noscript = document.querySelector(".pm-noscript");
    if (noscript) noscript.hidden = true;
    var bundle = new URL(box.getAttribute("data-bundle"), location.href);
    var base = new URL(box.getAttribute("data-home"), location.href).pathname;
    function start() {
      /* global PagefindUI */
      new PagefindUI({ element: "#pm-search", baseUrl: base, showSubResults: true,
                       bundlePath: bundle.pathname.replace(/[^/]*$/, ""),
                       autofocus: true, showImages: false });
      var query = new URLSearchParams(location.search).get("q");
      var input = box.querySelector("input");
      if (query && input) {
        input.value = query;
        input.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
    if (typeof PagefindUI !== "undefined") return start();
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = bundle.href.replace(/\.js$/, ".css");
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = bundle.href;
    script.onload = start;
    document.head.appendChild(script);
  }

  /* A header search box that opens the Pagefind search page with the query. */
  function setUpHeaderSearch() {
    var meta = document.querySelector('meta[name="pm-search"]');
    var header = document.querySelector(".md-header__inner");
    if (!meta || !header || header.querySelector(".pm-header-search")) return;
    var form = document.createElement("form");
    form.className = "pm-header-search";
    form.setAttribute("role", "search");
    form.action = meta.getAttribute("content");
    form.method = "get";
    var input = document.createElement("input");
    input.type = "search";
    input.name = "q";
    input.placeholder = "Search";
    input.setAttribute("aria-label", "Search the incident library");
    form.appendChild(input);
    var options = header.querySelector(".md-header__option");
    header.insertBefore(form, options ? options.nextSibling : null);
  }

  function setUp() {
    setUpHeaderSearch();
    setUpSearch();
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
