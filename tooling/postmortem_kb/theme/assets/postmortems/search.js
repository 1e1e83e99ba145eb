/* postmortem-kb: search with Pagefind (added by the plugin only when Pagefind indexes the
   site). The header box answers while the reader types: each hit with its id, severity,
   status, type and date; arrow keys move through the hits, Enter opens one, or opens the
   full results page with the query kept. No inline script or handler (a strict CSP holds). */
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
  var SHOWN = 8;
  var pagefind = null;

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

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  function slug(value) {
    return String(value).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "x";
  }

  /* One hit: title, then id · severity · status · type · date, then the excerpt (text). */
  function hit(data, index) {
    var meta = data.meta || {};
    var option = el("a", "pm-hit");
    option.href = data.url;
    option.id = "pm-hit-" + index;
    option.setAttribute("role", "option");
    option.setAttribute("aria-selected", "false");
    option.appendChild(el("span", "pm-hit__title", meta.title || data.url));
    var facts = el("span", "pm-hit__facts");
    if (meta.pm_id) facts.appendChild(el("span", "pm-hit__id", meta.pm_id));
    if (meta.severity) {
      facts.appendChild(el("span", "pm-badge pm-severity-" + slug(meta.severity), meta.severity));
    }
    if (meta.status) facts.appendChild(el("span", "pm-badge pm-status-" + slug(meta.status), meta.status));
    if (meta.type) facts.appendChild(el("span", "pm-hit__type", meta.type));
    if (meta.date) facts.appendChild(el("span", "pm-hit__date", meta.date.slice(0, 10)));
    if (facts.childNodes.length) option.appendChild(facts);
    var excerpt = el("span", "pm-hit__excerpt");
    /* Pagefind's excerpt is text with <mark>; parsed inertly, shown as text only. */
    excerpt.textContent = new DOMParser().parseFromString(data.excerpt || "", "text/html")
      .body.textContent;
    option.appendChild(excerpt);
    return option;
  }

  /* A header search box that answers while typing; Enter opens the full results page. */
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
    var list = el("div", "pm-hits");
    list.id = "pm-hits";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Post-mortems found");
    list.hidden = true;
    var status = el("p", "pm-hits__status");
    status.setAttribute("aria-live", "polite");
    form.appendChild(input);
    form.appendChild(list);
    form.appendChild(status);
    var options = header.querySelector(".md-header__option");
    header.insertBefore(form, options ? options.nextSibling : null);
    var query = new URLSearchParams(location.search).get("q");
    if (query && location.pathname === SEARCH_PAGE.pathname) input.value = query;

    var active = -1;
    var asked = 0;
    var timer = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function choose(index) {
      var hits = list.querySelectorAll(".pm-hit");
      if (!hits.length) return;
      active = (index + hits.length) % hits.length;
      Array.prototype.forEach.call(hits, function (h, i) {
        h.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", hits[active].id);
      hits[active].scrollIntoView({ block: "nearest" });
    }

    function run() {
      var text = input.value.trim();
      var ticket = ++asked;
      if (text.length < 2) { close(); status.textContent = ""; return; }
      engine().then(function (pf) { return pf.search(text); }).then(function (found) {
        if (ticket !== asked || !found) return null;
        return Promise.all(found.results.slice(0, SHOWN).map(function (r) { return r.data(); }))
          .then(function (data) { return [found.results.length, data]; });
      }).then(function (answer) {
        if (!answer || ticket !== asked) return;
        while (list.firstChild) list.removeChild(list.firstChild);
        answer[1].forEach(function (data, i) { list.appendChild(hit(data, i)); });
        var all = el("a", "pm-hit pm-hit--all", "All " + answer[0] + " results for “" + text + "”");
        all.href = SEARCH_PAGE.href + "?q=" + encodeURIComponent(text);
        all.id = "pm-hit-all";
        all.setAttribute("role", "option");
        list.appendChild(all);
        status.textContent = answer[0] + " post-mortems and pages found";
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        active = -1;
      }).catch(function () {
        status.textContent = "Search is not available on this copy of the site.";
      });
    }

    /* Reaching for the box starts loading the search engine, so the first answer is quick. */
    input.addEventListener("focus", function () { engine().catch(function () {}); });
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(run, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) run(); else choose(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); choose(active - 1); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        var hits = list.querySelectorAll(".pm-hit");
        if (hits[active]) location.href = hits[active].href;
      }
    });
    form.addEventListener("focusout", function (e) {
      if (!form.contains(e.relatedTarget)) close();
    });
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
      if (input) input.setAttribute("aria-label", "Search the incident library");
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
