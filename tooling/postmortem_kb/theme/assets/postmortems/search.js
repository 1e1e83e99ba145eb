/* postmortem-kb: search with Pagefind (added by the plugin only when Pagefind indexes the
   site). The header box answers while the reader types: each hit with its id, severity,
   status, type and date; arrow keys move through the hits, Enter opens one, or opens the
   full results page with the query and the filters kept. Filters (type, severity, status,
   quarter, service) come from library/search-facets.json, loaded only when a reader
   filters: Pagefind's own filters are not the same from one build to the next. No inline
   script or handler (a strict CSP holds). */
(function () {
  "use strict";

  /* The site root, from Material's configuration (relative to the first page loaded). */
  function siteBase() {
    var config = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(config.textContent).base || "."; } catch (e) { /* keep "." */ }
    return new URL(base.replace(/\/?$/, "/"), location.href);
  }
  var BASE = siteBase();
  var SEARCH_PAGE = new URL("library/search/", BASE);
  var SHOWN = 8; /* hits in the header's list */
  var PAGE = 20; /* results at a time on the results page */
  var FILTERS = [["type", "Type"], ["severity", "Severity"], ["status", "Status"],
                 ["quarter", "Quarter"], ["services", "Service"]];
  var pagefind = null;
  var facetsLoad = null;
  var entriesLoad = null;

  /* Pagefind's own module, loaded once, on the first keystroke. */
  function engine() {
    if (!pagefind) {
      pagefind = import(new URL("pagefind/pagefind.js", BASE).href).then(function (pf) {
        return Promise.resolve(pf.options({ baseUrl: BASE.pathname })).then(function () {
          return pf;
        });
      });
    }
    return pagefind;
  }

  function getJSON(path) {
    return fetch(new URL(path, BASE).href).then(function (r) {
      if (!r.ok) throw new Error(path + ": " + r.status);
      return r.json();
    });
  }

  /* The filters' data: each filter's values, and per post-mortem its values and hit id. */
  function facets() {
    if (!facetsLoad) {
      facetsLoad = getJSON("library/search-facets.json").then(function (data) {
        data.byHit = {};
        data.rows.forEach(function (row, i) { if (row[0]) data.byHit[row[0]] = i; });
        return data;
      });
      facetsLoad.catch(function () { facetsLoad = null; });
    }
    return facetsLoad;
  }

  /* The library's entries (the home page's data), for filters without a query. */
  function entries() {
    if (!entriesLoad) {
      entriesLoad = getJSON("library/entries.json").then(function (data) {
        return data.entries.map(function (values) {
          var e = {};
          data.fields.forEach(function (name, i) { e[name] = values[i]; });
          return e;
        });
      });
      entriesLoad.catch(function () { entriesLoad = null; });
    }
    return entriesLoad;
  }

  function fromEntry(e) {
    return { url: new URL(e.href, BASE).href, excerpt: "",
             meta: { title: e.title, pm_id: e.id, severity: e.severity, status: e.status,
                     type: e.type_name, date: e.date } };
  }

  /* A page's data from its Pagefind fragment (gzip: "pagefind_dcd" then JSON), the same
     that a search hit's data() gives, without the excerpt. */
  function fragment(id) {
    if (!id || typeof DecompressionStream === "undefined") {
      return Promise.reject(new Error("no fragment"));
    }
    return fetch(new URL("pagefind/fragment/" + id + ".pf_fragment", BASE).href)
      .then(function (r) {
        if (!r.ok) throw new Error(id + ": " + r.status);
        return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).text();
      })
      .then(function (raw) {
        var data = JSON.parse(raw.slice(raw.indexOf("{")));
        return { url: new URL(String(data.url).replace(/^\//, ""), BASE).href,
                 meta: data.meta || {}, excerpt: "" };
      });
  }

  function active(chosen) {
    return FILTERS.some(function (f) { return chosen[f[0]]; });
  }

  /* Does row I of the facets hold every chosen value? */
  function rowMatches(data, i, chosen) {
    var row = data.rows[i];
    return FILTERS.every(function (f, k) {
      var want = chosen[f[0]];
      if (!want) return true;
      var at = data.values[f[0]].indexOf(want);
      var have = row[k + 1];
      return Array.isArray(have) ? have.indexOf(at) >= 0 : have === at;
    });
  }

  /* Search: TEXT (may be empty when filters are chosen) and CHOSEN filters; the first
     COUNT hits as {url, meta, excerpt}, and how many there are in all. */
  function search(text, chosen, count) {
    var filtered = active(chosen);
    if (!text && !filtered) return Promise.resolve({ total: 0, hits: [] });
    var data = filtered ? facets() : Promise.resolve(null);
    if (!text) {
      /* Filters alone: the matching rows, newest first; each shown hit's data from its
         Pagefind fragment (a few kilobytes each), or from the library's entries when a
         fragment cannot be read. */
      return data.then(function (f) {
        var found = [];
        f.rows.forEach(function (row, i) { if (rowMatches(f, i, chosen)) found.push(i); });
        var shown = found.slice(0, count);
        return Promise.all(shown.map(function (i) { return fragment(f.rows[i][0]); }))
          .catch(function () {
            return entries().then(function (all) {
              return shown.map(function (i) { return fromEntry(all[i]); });
            });
          })
          .then(function (hits) { return { total: found.length, hits: hits }; });
      });
    }
    return Promise.all([data, engine().then(function (pf) { return pf.search(text); })])
      .then(function (both) {
        var f = both[0], found = both[1];
        if (!found) return null; /* a newer search replaced this one */
        var results = found.results;
        if (f) {
          results = results.filter(function (r) {
            var i = f.byHit[r.id];
            return i !== undefined && rowMatches(f, i, chosen);
          });
        }
        return Promise.all(results.slice(0, count).map(function (r) { return r.data(); }))
          .then(function (hits) { return { total: results.length, hits: hits }; });
      });
  }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function slug(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
  }

  /* Pagefind's excerpt is text with <mark> around the words found: parsed inertly, and
     rebuilt from its text, with only the marks kept (nothing else of it reaches the page). */
  function excerpt(html) {
    var out = el("span", "pm-hit__excerpt");
    var body = new DOMParser().parseFromString(html, "text/html").body;
    Array.prototype.forEach.call(body.childNodes, function (node) {
      if (node.nodeName === "MARK") out.appendChild(el("mark", null, node.textContent));
      else out.appendChild(document.createTextNode(node.textContent));
    });
    return out;
  }

  /* One hit: title, then id · severity · status · type · date, then the excerpt (text). */
  function hit(data, index, tag) {
    var meta = data.meta || {};
    var option = el("a", "pm-hit");
    option.href = data.url;
    if (tag === "option") {
      option.id = "pm-hit-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
    }
    var title = meta.title || data.url;
    /* The page title starts with the id, which the facts show: said once. */
    if (meta.pm_id && title.indexOf(meta.pm_id + ": ") === 0) {
      title = title.slice(meta.pm_id.length + 2);
    }
    option.appendChild(el("span", "pm-hit__title", title));
    var facts = el("span", "pm-hit__facts");
    if (meta.pm_id) facts.appendChild(el("span", "pm-hit__id", meta.pm_id));
    if (meta.severity) {
      facts.appendChild(el("span", "pm-badge pm-severity-" + slug(meta.severity), meta.severity));
    }
    if (meta.status) facts.appendChild(el("span", "pm-badge pm-status-" + slug(meta.status), meta.status));
    if (meta.type) facts.appendChild(el("span", "pm-hit__type", meta.type));
    if (meta.date) facts.appendChild(el("span", "pm-hit__date", meta.date.slice(0, 10)));
    if (facts.childNodes.length) option.appendChild(facts);
    if (data.excerpt) {
      option.appendChild(excerpt(data.excerpt));
    }
    return option;
  }

  function described(total, text, chosen) {
    var parts = [];
    FILTERS.forEach(function (f) { if (chosen[f[0]]) parts.push(chosen[f[0]]); });
    var what = (text ? "“" + text + "”" : "") + (parts.length ? (text ? ", " : "") +
      parts.join(", ") : "");
    if (!total) return "No results for " + what;
    return total + (total === 1 ? " result" : " results") + " for " + what;
  }

  /* Fill SELECT (a filter) with the values of facets DATA, keeping the chosen one. */
  function fillSelect(select, name, data) {
    var chosen = select.value || select.getAttribute("data-pm-want") || "";
    var labels = (data.labels && data.labels[name]) || {};
    while (select.options.length > 1) select.remove(1);
    data.values[name].forEach(function (v) { select.appendChild(new Option(labels[v] || v, v)); });
    select.value = chosen;
  }

  function resultsAddress(text, chosen) {
    var params = new URLSearchParams();
    if (text) params.set("q", text);
    FILTERS.forEach(function (f) { if (chosen[f[0]]) params.set(f[0], chosen[f[0]]); });
    var query = params.toString();
    return SEARCH_PAGE.href + (query ? "?" + query : "");
  }

  /* A header search box that answers while typing; filters fold out under it; Enter
     opens the full results page with the query and the filters. */
  function setUpHeaderSearch() {
    var header = document.querySelector(".md-header__inner");
    if (!header || header.querySelector(".pm-header-search")) return;
    var form = el("form", "pm-header-search");
    form.setAttribute("role", "search");
    form.action = SEARCH_PAGE.href;
    form.method = "get";
    var input = el("input");
    input.type = "search";
    input.name = "q";
    input.placeholder = "Search";
    input.autocomplete = "off";
    input.setAttribute("aria-label", "Search the incident library");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", "pm-hits");
    var drop = el("div", "pm-drop");
    drop.hidden = true;
    var toggle = el("button", "pm-filter-toggle", "Filters");
    toggle.type = "button";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", "pm-header-filters");
    var panel = el("div", "pm-filters pm-header-filters");
    panel.id = "pm-header-filters";
    panel.hidden = true;
    var selects = {};
    FILTERS.forEach(function (f) {
      var label = el("label", null, f[1]);
      var select = el("select");
      select.name = f[0];
      select.appendChild(new Option("All", ""));
      label.appendChild(select);
      panel.appendChild(label);
      selects[f[0]] = select;
    });
    var list = el("div", "pm-hits");
    list.id = "pm-hits";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Post-mortems found");
    var status = el("p", "pm-hits__status");
    status.setAttribute("aria-live", "polite");
    drop.appendChild(toggle);
    drop.appendChild(panel);
    drop.appendChild(list);
    form.appendChild(input);
    form.appendChild(drop);
    form.appendChild(status);
    var options = header.querySelector(".md-header__option");
    header.insertBefore(form, options ? options.nextSibling : null);
    var params = new URLSearchParams(location.search);
    if (location.pathname === SEARCH_PAGE.pathname) {
      input.value = params.get("q") || "";
      FILTERS.forEach(function (f) {
        var want = params.get(f[0]);
        if (want) selects[f[0]].setAttribute("data-pm-want", want);
      });
    }

    var activeHit = -1;
    var asked = 0;
    var timer = null;

    function chosen() {
      var c = {};
      FILTERS.forEach(function (f) {
        c[f[0]] = selects[f[0]].value || selects[f[0]].getAttribute("data-pm-want") || "";
      });
      return c;
    }

    function countChosen() {
      var n = 0;
      var c = chosen();
      FILTERS.forEach(function (f) { if (c[f[0]]) n += 1; });
      toggle.textContent = n ? "Filters (" + n + ")" : "Filters";
    }

    function open() {
      drop.hidden = false;
      input.setAttribute("aria-expanded", list.childNodes.length ? "true" : "false");
    }

    function close() {
      drop.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      activeHit = -1;
    }

    function choose(index) {
      var hits = list.querySelectorAll(".pm-hit");
      if (!hits.length) return;
      activeHit = (index + hits.length) % hits.length;
      Array.prototype.forEach.call(hits, function (h, i) {
        h.setAttribute("aria-selected", i === activeHit ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", hits[activeHit].id);
      hits[activeHit].scrollIntoView({ block: "nearest" });
    }

    function loadFilters() {
      return facets().then(function (data) {
        FILTERS.forEach(function (f) { fillSelect(selects[f[0]], f[0], data); });
      }).catch(function () { status.textContent = "The filters could not be loaded."; });
    }

    function run() {
      var text = input.value.trim();
      var c = chosen();
      var ticket = ++asked;
      if (text.length < 2 && !(text.length === 0 && active(c))) {
        while (list.firstChild) list.removeChild(list.firstChild);
        input.setAttribute("aria-expanded", "false");
        status.textContent = "";
        return;
      }
      search(text, c, SHOWN).then(function (answer) {
        if (!answer || ticket !== asked) return;
        while (list.firstChild) list.removeChild(list.firstChild);
        answer.hits.forEach(function (data, i) { list.appendChild(hit(data, i, "option")); });
        var all = el("a", "pm-hit pm-hit--all", (answer.total ? "All " : "") +
          described(answer.total, text, c));
        all.href = resultsAddress(text, c);
        all.id = "pm-hit-all";
        all.setAttribute("role", "option");
        list.appendChild(all);
        status.textContent = described(answer.total, text, c);
        open();
        input.setAttribute("aria-expanded", "true");
        activeHit = -1;
      }).catch(function () {
        status.textContent = "Search is not available on this copy of the site.";
      });
    }

    /* Reaching for the box starts loading the search engine, so the first answer is quick. */
    input.addEventListener("focus", function () {
      engine().catch(function () {});
      open();
    });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (drop.hidden || !list.childNodes.length) { open(); run(); } else choose(activeHit + 1);
      } else if (e.key === "ArrowUp") { e.preventDefault(); choose(activeHit - 1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter") {
        e.preventDefault();
        var hits = list.querySelectorAll(".pm-hit");
        location.href = activeHit >= 0 && hits[activeHit] ? hits[activeHit].href
          : resultsAddress(input.value.trim(), chosen());
      }
    });
    toggle.addEventListener("click", function () {
      panel.hidden = !panel.hidden;
      toggle.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
      if (!panel.hidden) {
        loadFilters();
        var first = panel.querySelector("select");
        if (first) first.focus();
      }
    });
    panel.addEventListener("change", function (e) {
      if (e.target && e.target.removeAttribute) e.target.removeAttribute("data-pm-want");
      countChosen();
      run();
    });
    panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { close(); input.focus(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      location.href = resultsAddress(input.value.trim(), chosen());
    });
    form.addEventListener("focusout", function (e) {
      if (!form.contains(e.relatedTarget)) close();
    });
    countChosen();
  }

  /* The full results page: the query and the filters from the address, results in the
     page, "Show more"; every change is kept in the address (reload and back work). */
  function setUpSearch() {
    var box = document.getElementById("pm-search");
    if (!box || box.getAttribute("data-pm-ready") !== null) return;
    box.setAttribute("data-pm-ready", "");
    var noscript = document.querySelector(".pm-noscript");
    if (noscript) noscript.hidden = true;
    var form = box.querySelector("form");
    var input = form.querySelector("input[name=q]");
    var results = box.querySelector(".pm-results");
    var status = box.querySelector(".pm-search-status");
    var more = box.querySelector(".pm-more");
    var limit = PAGE;
    var asked = 0;
    var timer = null;
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    FILTERS.forEach(function (f) {
      var select = form.elements[f[0]];
      var want = params.get(f[0]);
      if (select && want) {
        if (!Array.prototype.some.call(select.options, function (o) { return o.value === want; })) {
          select.appendChild(new Option(want, want));
        }
        select.value = want;
      }
    });

    function chosen() {
      var c = {};
      FILTERS.forEach(function (f) {
        var select = form.elements[f[0]];
        c[f[0]] = select ? select.value : "";
      });
      return c;
    }

    function run() {
      var text = input.value.trim();
      var c = chosen();
      var ticket = ++asked;
      var address = resultsAddress(text, c);
      if (address !== location.href) history.replaceState(history.state, "", address);
      if (!text && !active(c)) {
        while (results.firstChild) results.removeChild(results.firstChild);
        status.textContent = "Type a word, or choose a filter.";
        more.hidden = true;
        return;
      }
      status.textContent = "Searching…";
      search(text, c, limit).then(function (answer) {
        if (!answer || ticket !== asked) return;
        while (results.firstChild) results.removeChild(results.firstChild);
        answer.hits.forEach(function (data, i) {
          var item = el("li");
          item.appendChild(hit(data, i, "li"));
          results.appendChild(item);
        });
        status.textContent = described(answer.total, text, c);
        more.hidden = answer.hits.length >= answer.total;
      }).catch(function () {
        status.textContent = "Search is not available on this copy of the site.";
      });
    }

    form.addEventListener("submit", function (e) { e.preventDefault(); limit = PAGE; run(); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      limit = PAGE;
      timer = setTimeout(run, 150);
    });
    form.addEventListener("change", function (e) {
      if (e.target !== input) { limit = PAGE; run(); }
    });
    /* Arrow keys from the box into the results, and between them. */
    box.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      var links = Array.prototype.slice.call(results.querySelectorAll(".pm-hit"));
      if (!links.length) return;
      var at = links.indexOf(document.activeElement);
      if (document.activeElement !== input && at < 0) return;
      e.preventDefault();
      var next = e.key === "ArrowDown" ? at + 1 : at - 1;
      if (next < 0) input.focus();
      else links[Math.min(next, links.length - 1)].focus();
    });
    more.addEventListener("click", function () { limit += PAGE; run(); });
    if (!params.get("q")) input.focus();
    run();
  }

  function setUp() {
    setUpHeaderSearch();
    setUpSearch();
  }

  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
