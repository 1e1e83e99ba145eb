/* postmortem-kb: search with Pagefind (added by the plugin only when Pagefind indexes the
   site): a search box in the header and the full results page. No inline script. */
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

  /* A header search box that opens the Pagefind search page with the query. */
  function setUpHeaderSearch() {
    var header = document.querySelector(".md-header__inner");
    if (!header || header.querySelector(".pm-header-search")) return;
    var form = document.createElement("form");
    form.className = "pm-header-search";
    form.setAttribute("role", "search");
    form.action = SEARCH_PAGE.href;
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
  }

  if (typeof document$ !== "undefined" && document$.subscribe) {
    document$.subscribe(setUp);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
