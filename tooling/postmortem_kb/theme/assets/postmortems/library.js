/* postmortem-kb: the home page's library (filters, sorting, the rest of the library loaded
   on demand) and sorting for the tracker's tables, in the browser only. Without JavaScript
   the home page shows the most recent post-mortems and the indexes list them all. Works with
   Material's instant navigation. No inline script or handler (a strict CSP holds). */
(function () {
  "use strict";

  var PAGE = 50; /* rows shown at a time on the home page */

  function text(cell) {
    return cell ? (cell.getAttribute("data-sort") || cell.textContent).trim() : "";
  }

  function compare(x, y) {
    return String(x).localeCompare(String(y), undefined, { numeric: true });
  }

  /* Sorting by column for any table (tracker, home before the library is loaded). */
  function makeSortable(table, onSort) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, column) {
      th.setAttribute("aria-sort", "none");
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        if (onSort) return onSort(column, ascending);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = compare(text(a.cells[column]), text(b.cells[column]));
          return ascending ? c : -c;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }

  var FILTERS = [["type", "Type"], ["severity", "Severity"], ["status", "Status"],
                 ["quarter", "Quarter"], ["services", "Service"]];
  var STATUS_ORDER = ["draft", "in-review", "published", "archived"];
  /* column of the home table -> the entry's value it sorts by */
  var SORT_KEYS = ["id", "title", "date", "quarter", "type_name", "severity", "status",
                   "services"];

  /* The phone's sort choices: [key:direction, label]; "" keeps the library's own order,
     newest first. */
  var SORT_CHOICES = [["", "Newest first"], ["date:asc", "Oldest first"],
                      ["severity:asc", "Severity, worst first"], ["status:asc", "Status"],
                      ["type_name:asc", "Type"], ["id:asc", "ID"], ["title:asc", "Title"]];

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function slug(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
  }

  function badge(kind, value) {
    return el("span", "pm-badge pm-badge--" + kind + " pm-" + kind + "-" + slug(value), value);
  }

  /* An entry from a server-made row (before the library is loaded). */
  function fromRow(row) {
    var cells = row.cells;
    return {
      id: text(cells[0]), title: text(cells[1]), date: text(cells[2]), quarter: text(cells[3]),
      type: row.getAttribute("data-type") || "", type_name: text(cells[4]),
      severity: row.getAttribute("data-severity") || "",
      status: row.getAttribute("data-status") || "",
      services: (row.getAttribute("data-services") || "").split("|").filter(Boolean),
      row: row
    };
  }

  /* The same row as the server writes it, from an entry of entries.json (text only). */
  function toRow(entry, root) {
    var tr = el("tr");
    tr.setAttribute("data-type", entry.type);
    tr.setAttribute("data-severity", entry.severity);
    tr.setAttribute("data-status", entry.status);
    tr.setAttribute("data-quarter", entry.quarter);
    tr.setAttribute("data-services", entry.services.join("|"));
    var href = new URL(entry.href, root).href;
    function linked(cls, value) {
      var td = el("td", cls);
      var a = el("a", null, value);
      a.href = href;
      td.appendChild(a);
      return td;
    }
    tr.appendChild(linked("pm-c-id", entry.id));
    tr.appendChild(linked("pm-c-title", entry.title));
    tr.appendChild(el("td", "pm-c-date", entry.date));
    tr.appendChild(el("td", "pm-c-quarter", entry.quarter));
    var type = el("td", "pm-c-type", entry.type_name);
    type.setAttribute("data-value", entry.type);
    tr.appendChild(type);
    var sev = el("td", "pm-c-severity");
    sev.appendChild(badge("severity", entry.severity));
    tr.appendChild(sev);
    var status = el("td", "pm-c-status");
    status.setAttribute("data-sort", String(STATUS_ORDER.indexOf(entry.status)));
    status.appendChild(badge("status", entry.status));
    tr.appendChild(status);
    tr.appendChild(el("td", "pm-c-services", entry.services.join(", ")));
    return tr;
  }

  function setUpLibrary(table) {
    var wrap = table.parentNode;
    var body = table.tBodies[0];
    var total = parseInt(wrap.getAttribute("data-pm-total") || "0", 10);
    var entries = Array.prototype.map.call(body.rows, fromRow);
    var complete = entries.length >= total;
    var loading = null;
    var limit = PAGE;
    var order = null; /* [key, ascending] */
    var count = wrap.querySelector(".pm-library-count");
    var root = new URL(".", location.href); /* the home page is the site root */

    /* Filters in a collapsible panel: open on wide screens, folded on a phone. */
    var panel = el("details", "pm-filters-panel");
    if (window.matchMedia("(min-width: 45em)").matches) panel.open = true;
    panel.appendChild(el("summary", null, "Filter the library"));
    var bar = el("form", "pm-filters");
    bar.setAttribute("role", "search");
    bar.setAttribute("aria-label", "Filter the library");
    bar.addEventListener("submit", function (e) { e.preventDefault(); });
    var selects = {};
    FILTERS.forEach(function (f) {
      var label = el("label", null, f[1]);
      var select = el("select");
      select.name = f[0];
      select.appendChild(new Option("All", ""));
      label.appendChild(select);
      bar.appendChild(label);
      selects[f[0]] = select;
    });
    var label = el("label", null, "Text");
    var input = el("input");
    input.type = "search";
    input.name = "q";
    input.placeholder = "id, title, service…";
    label.appendChild(input);
    bar.appendChild(label);
    panel.appendChild(bar);
    wrap.insertBefore(panel, table);

    /* Sorting for the cards of a phone, which have no column headings to click. */
    var sortLabel = el("label", "pm-sort", "Sort ");
    var sort = el("select");
    sort.name = "sort";
    SORT_CHOICES.forEach(function (c) { sort.appendChild(new Option(c[1], c[0])); });
    sortLabel.appendChild(sort);
    wrap.insertBefore(sortLabel, table);

    var more = el("button", "md-button pm-more", "Show more");
    more.type = "button";
    wrap.appendChild(more);

    function fillOptions() {
      FILTERS.forEach(function (f) {
        var select = selects[f[0]];
        var chosen = select.value;
        var values = {};
        entries.forEach(function (e) {
          var v = e[f[0]];
          (Array.isArray(v) ? v : [v]).forEach(function (x) { if (x) values[x] = true; });
        });
        while (select.options.length > 1) select.remove(1);
        Object.keys(values).sort(compare).forEach(function (v) {
          select.appendChild(new Option(v, v));
        });
        select.value = chosen;
      });
    }

    /* The whole library, once, when the reader first filters, sorts or asks for more. */
    function load() {
      if (complete) return Promise.resolve();
      if (loading) return loading;
      count.textContent = "Loading the library…";
      loading = fetch(new URL(wrap.getAttribute("data-pm-entries"), location.href).href)
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (data) {
          var fields = data.fields;
          entries = data.entries.map(function (values) {
            var e = {};
            fields.forEach(function (name, i) { e[name] = values[i]; });
            return e;
          });
          complete = true;
          fillOptions();
        })
        .catch(function () { count.textContent = "The rest of the library could not be loaded."; });
      return loading;
    }

    function matches(e, needle) {
      var ok = FILTERS.every(function (f) {
        var want = selects[f[0]].value;
        if (!want) return true;
        var v = e[f[0]];
        return Array.isArray(v) ? v.indexOf(want) >= 0 : v === want;
      });
      if (!ok || !needle) return ok;
      var hay = [e.id, e.title, e.type_name, e.severity, e.status, e.quarter,
                 e.services.join(" ")].join(" ").toLowerCase();
      return hay.indexOf(needle) >= 0;
    }

    function render() {
      var needle = input.value.trim().toLowerCase();
      var shown = entries.filter(function (e) { return matches(e, needle); });
      if (order) {
        var key = order[0], up = order[1];
        shown.sort(function (a, b) {
          var x = a[key], y = b[key];
          if (key === "status") { x = STATUS_ORDER.indexOf(x); y = STATUS_ORDER.indexOf(y); }
          if (Array.isArray(x)) { x = x.join(", "); y = y.join(", "); }
          var c = compare(x, y);
          return up ? c : -c;
        });
      }
      var page = shown.slice(0, limit);
      var fragment = document.createDocumentFragment();
      page.forEach(function (e) {
        if (!e.row) e.row = toRow(e, root);
        e.row.hidden = false;
        fragment.appendChild(e.row);
      });
      while (body.firstChild) body.removeChild(body.firstChild);
      body.appendChild(fragment);
      var all = complete ? entries.length : total;
      count.textContent = (shown.length === all ? "All " + all + " post-mortems"
        : shown.length + " of " + all + " post-mortems match") +
        (page.length < shown.length ? "; showing the first " + page.length : "") + ".";
      more.hidden = shown.length <= page.length;
    }

    function update() {
      limit = PAGE;
      load().then(render);
      render();
    }

    /* Reaching for a filter loads the whole library, so every value is offered. */
    bar.addEventListener("focusin", function () { load(); });
    bar.addEventListener("change", update);
    input.addEventListener("input", update);
    more.addEventListener("click", function () {
      limit += PAGE;
      load().then(render);
    });
    sort.addEventListener("change", function () {
      var chosen = sort.value.split(":");
      order = sort.value ? [chosen[0], chosen[1] === "asc"] : null;
      limit = PAGE;
      load().then(render);
      render();
    });
    makeSortable(table, function (column, ascending) {
      order = [SORT_KEYS[column] || "id", ascending];
      load().then(render);
      render();
    });
    fillOptions();
    more.hidden = complete;
  }

  function setUp() {
    document.querySelectorAll("table.pm-sortable:not([data-pm-ready])").forEach(function (t) {
      t.setAttribute("data-pm-ready", "");
      if (t.classList.contains("pm-library")) setUpLibrary(t);
      else makeSortable(t);
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
