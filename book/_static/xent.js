/* The course site's own script: menus that open, a search button named as it reads, and
 * formulas typeset in the search results.
 *
 * - sphinx-book-theme 1.4 and pydata-sphinx-theme 0.20 bind the sidebar toggles' click
 *   handlers to the FIRST ".primary-toggle" / ".secondary-toggle" of the page, which is the
 *   header's, hidden on these pages: the visible buttons did nothing. A click on any other
 *   toggle is handed to the first one, whose handlers open the drawer (a dialog on a phone,
 *   the sidebar shown or hidden on a desktop).
 * - The search button reads "Search Ctrl+K" but was named "Search" (axe-core:
 *   label-content-name-mismatch): its name is its text.
 * - Search results and their titles hold formulas as TeX: MathJax typesets them as they come;
 *   each page is listed once.
 * - Formulas are not stops of the Tab key (conf.py), except a display formula too wide for
 *   its column: it scrolls sideways, so the keyboard must be able to reach it (WCAG 2.1.1;
 *   axe-core: scrollable-region-focusable), as the theme does for code that scrolls.
 */
(function () {
  "use strict";

  function forwardToggles(selector) {
    const toggles = Array.from(document.querySelectorAll(selector));
    const bound = toggles[0];
    toggles.slice(1).forEach(function (toggle) {
      toggle.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopImmediatePropagation();
        toggle.focus(); // the dialog gives the focus back to the button that opened it
        bound.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true }));
        const sidebar = document.querySelector(
          selector === ".primary-toggle" ? "#pst-primary-sidebar" : "#pst-secondary-sidebar"
        );
        if (sidebar) {
          toggle.setAttribute(
            "aria-expanded",
            String(!sidebar.classList.contains("pst-sidebar-hidden"))
          );
        }
      }, true);
    });
  }

  function nameSearchButtons() {
    document.querySelectorAll("button.search-button-field, button.search-button").forEach(
      function (button) {
        const text = button.textContent.replace(/\s+/g, " ").trim();
        if (text) {
          button.setAttribute("aria-label", text);
        }
      }
    );
  }

  function typesetSearchResults() {
    const results = document.getElementById("search-results");
    if (!results || !window.MathJax) {
      return;
    }
    let pending = null;
    const typeset = function () {
      pending = null;
      if (MathJax.typesetPromise) {
        MathJax.startup.promise.then(function () {
          return MathJax.typesetPromise([results]);
        });
      }
    };
    // A page is listed once, at its best match (Sphinx lists a page again for each section
    // or index entry that matches): the later ones are hidden.
    const oncePerPage = function () {
      const seen = new Set();
      results.querySelectorAll("ul.search > li").forEach(function (item) {
        const link = item.querySelector("a");
        const page = link ? link.href.split("#")[0].split("?")[0] : "";
        item.hidden = seen.has(page);
        seen.add(page);
      });
    };
    new MutationObserver(function () {
      oncePerPage();
      if (pending === null) {
        pending = setTimeout(typeset, 50);
      }
    }).observe(results, { childList: true, subtree: true });
  }

  function focusableWideFormulas() {
    if (!window.MathJax || !MathJax.startup || !MathJax.startup.promise) {
      return;
    }
    const mark = function () {
      document.querySelectorAll('mjx-container[display="true"]').forEach(function (math) {
        if (math.scrollWidth > math.clientWidth + 1) {
          math.setAttribute("tabindex", "0");
        } else if (math.getAttribute("tabindex") === "0") {
          math.removeAttribute("tabindex");
        }
      });
    };
    MathJax.startup.promise.then(mark);
    let pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(mark, 200);
    });
  }

  function start() {
    forwardToggles(".primary-toggle");
    forwardToggles(".secondary-toggle");
    nameSearchButtons();
  }

  // What needs MathJax waits for the page's scripts to have run (MathJax's too).
  function startWithMathJax() {
    typesetSearchResults();
    focusableWideFormulas();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  if (document.readyState === "complete") {
    startWithMathJax();
  } else {
    window.addEventListener("load", startWithMathJax);
  }
})();
