/* lifbook: page fixes for sphinx-book-theme 1.3 on pydata-sphinx-theme 0.17 (our own code, no vendor copy).
 *
 * 1. Header. pydata-sphinx-theme 0.17 renders its own header bar (#pst-header) above the book theme's
 *    article header. On narrow screens its menu buttons are hidden, but both themes bind their click
 *    handlers to the *first* ".primary-toggle" / ".secondary-toggle" in the page, i.e. to those hidden
 *    duplicates: the visible menu and contents buttons did nothing. On desktop the same bar adds a
 *    second search box. This script is loaded with `defer` in <head>, so it runs after the page is
 *    parsed and *before* the themes' handlers are attached (pydata's deferred script sits at the end
 *    of <body>; the book theme waits for DOMContentLoaded): removing the duplicates from #pst-header
 *    (kept, hidden: pydata measures it) leaves the visible buttons as the first matches.
 * 2. Display equations wider than the column are scaled down (to 70 % at most), then scroll
 *    horizontally inside their own box (CSS), with the equation number outside the scrolling part.
 * 3. The footer's "Index" links are made relative to the page (pages sit at different depths).
 * 4. The kernel-free explorers' sliders announce their value with its unit (aria-valuetext), read
 *    from the readout that the explorer labels with the unit ("2.5 nA").
 */
(function () {
  "use strict";

  function disarmDuplicateHeader() {
    // Keep the (hidden) element, which pydata measures for its header height, but take its
    // buttons and search box out of the themes' selectors and out of the page.
    const header = document.getElementById("pst-header");
    if (!header) return;
    header.querySelectorAll(".primary-toggle, .secondary-toggle").forEach((b) => b.remove());
    header.querySelectorAll(".search-button-field, .search-button, .bd-search").forEach((b) => b.remove());
    header.setAttribute("aria-hidden", "true");
  }

  const MIN_SCALE = 0.7;

  function fitEquations() {
    document.querySelectorAll("div.math mjx-container[display='true']").forEach((mjx) => {
      mjx.style.fontSize = "";
      const avail = mjx.clientWidth;
      const need = mjx.scrollWidth;
      if (avail > 0 && need > avail + 1) {
        const scale = Math.max(MIN_SCALE, avail / need);
        mjx.style.fontSize = (100 * scale).toFixed(1) + "%";
        mjx.classList.toggle("lifbook-eq-scrolls", mjx.scrollWidth > mjx.clientWidth + 1);
      } else {
        mjx.classList.remove("lifbook-eq-scrolls");
      }
    });
  }

  function whenTypeset(fn) {
    const mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) {
      mj.startup.promise.then(fn);
    } else {
      window.addEventListener("load", () => {
        const m = window.MathJax;
        if (m && m.startup && m.startup.promise) m.startup.promise.then(fn);
        else fn();
      });
    }
  }

  function fixFooterLinks() {
    const root = document.documentElement.dataset.content_root || "";
    document.querySelectorAll("a.lifbook-genindex").forEach((a) => a.setAttribute("href", root + "genindex.html"));
    document.querySelectorAll("a.lifbook-modindex").forEach((a) => a.setAttribute("href", root + "py-modindex.html"));
  }

  function announceSlider(slider) {
    const handle = slider.querySelector(".noUi-handle");
    const readout = slider.querySelector(".widget-readout");
    const label = slider.querySelector(".widget-label");
    if (!handle || !readout) return false;
    const update = () => {
      const text = readout.textContent.trim();
      if (text) handle.setAttribute("aria-valuetext", text);
    };
    if (label && label.textContent.trim()) handle.setAttribute("aria-label", label.textContent.trim());
    update();
    if (!slider.dataset.lifbookAnnounced) {
      slider.dataset.lifbookAnnounced = "1";
      new MutationObserver(update).observe(readout, { childList: true, characterData: true, subtree: true });
      // noUiSlider rewrites aria-valuetext (to the index) on every move: put the value back.
      new MutationObserver((records) => {
        if (records.some((r) => r.attributeName === "aria-valuetext" && handle.getAttribute("aria-valuetext") !== readout.textContent.trim())) update();
      }).observe(handle, { attributes: true, attributeFilter: ["aria-valuetext", "aria-valuenow"] });
    }
    return true;
  }

  function announceSliders() {
    document.querySelectorAll(".lifbook-explorer .widget-slider, .lifbook-explorer .widget-hslider").forEach(announceSlider);
    // Explorer frames: alt text from the sliders' settings ("Explorer frame: I (nA) 2.5 nA, ...").
    document.querySelectorAll(".lifbook-explorer").forEach((box) => {
      const parts = Array.from(box.querySelectorAll(".widget-slider, .widget-hslider")).map((sl) => {
        const label = sl.querySelector(".widget-label");
        const readout = sl.querySelector(".widget-readout");
        return (label ? label.textContent.trim() + " " : "") + (readout ? readout.textContent.trim() : "");
      });
      const alt = "Explorer frame: " + parts.join(", ");
      box.querySelectorAll("img").forEach((img) => { if (!img.getAttribute("alt")) img.setAttribute("alt", alt); });
    });
  }

  disarmDuplicateHeader();
  fixFooterLinks();
  whenTypeset(fitEquations);
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(fitEquations, 150);
  });
  // Widgets are rendered by the embed manager after load: watch for the sliders.
  const observer = new MutationObserver(() => announceSliders());
  const start = () => {
    announceSliders();
    observer.observe(document.body, { childList: true, subtree: true });
    window.addEventListener("load", () => setTimeout(() => observer.disconnect(), 60000));
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
