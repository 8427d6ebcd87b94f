/* lifbook: let the ipywidgets embed manager typeset with MathJax 3.
 *
 * @jupyter-widgets/html-manager typesets every widget description with the
 * MathJax 2 API, `MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])`.
 * The book loads MathJax 3, which has no `Hub`, so each widget with a
 * description threw "Cannot read properties of undefined (reading 'Queue')".
 * This maps that one call onto MathJax 3's typesetPromise. It is loaded
 * (before embed.js) only on pages that contain widgets: see nb_ipywidgets_js
 * in _config.yml.
 */
(function () {
  "use strict";

  function typesetLater(MJ, element) {
    var ready = MJ.startup && MJ.startup.promise ? MJ.startup.promise : Promise.resolve();
    ready.then(function () {
      return MJ.typesetPromise ? MJ.typesetPromise(element ? [element] : undefined) : null;
    });
  }

  function install() {
    var MJ = window.MathJax;
    // No MathJax on the page (no math): ipywidgets skips typesetting.
    if (!MJ || MJ.Hub || !MJ.version || String(MJ.version).charAt(0) !== "3") return;
    MJ.Hub = {
      Queue: function () {
        for (var i = 0; i < arguments.length; i++) {
          var job = arguments[i];
          if (Array.isArray(job) && job[0] === "Typeset") typesetLater(MJ, job[2]);
        }
      },
    };
  }

  // MathJax is a deferred script: it has run by DOMContentLoaded, and the
  // embed manager renders widgets later, on window load.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", install);
  } else {
    install();
  }
})();
