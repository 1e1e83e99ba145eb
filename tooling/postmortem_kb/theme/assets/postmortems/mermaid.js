/* postmortem-kb: Mermaid diagrams from this site, never from a CDN. Material draws each
   `.mermaid` block with a global `mermaid`, and fetches one from unpkg.com when there is
   none (the Content-Security-Policy would block it, and a site must fetch nothing from third
   parties). This stand-in is on every page (a few hundred bytes); it loads the copy of
   Mermaid shipped with postmortem-kb (vendor/mermaid.min.js, MIT) only when a page draws a
   diagram. Mermaid needs no eval: the policy stays strict. No inline script or handler. */
(function () {
  "use strict";
  /* An element with id="mermaid" is also window.mermaid: that one is no engine. */
  if (typeof window.mermaid !== "undefined" && !(window.mermaid instanceof Element)) return;
  var here = document.currentScript ? document.currentScript.src : location.href;
  var source = new URL("vendor/mermaid.min.js", here).href;
  var settings = null;
  var loading = null;

  function load() {
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var standIn = window.mermaid;
        var script = document.createElement("script");
        script.src = source;
        script.onload = function () {
          if (window.mermaid === standIn) reject(new Error("Mermaid did not load"));
          else resolve(window.mermaid);
        };
        script.onerror = function () { reject(new Error("Mermaid could not be loaded")); };
        document.head.appendChild(script);
      }).then(function (real) {
        if (settings) real.initialize(settings);
        return real;
      });
    }
    return loading;
  }

  window.mermaid = {
    initialize: function (options) { settings = options; },
    render: function () {
      var args = arguments;
      return load().then(function (real) { return real.render.apply(real, args); });
    }
  };
})();
