/* xent-lessons-a11y: a JupyterLab extension of the course, written by hand (no build step,
 * no dependency): JupyterLab loads this file as a federated extension's entry point
 * (window._JUPYTERLAB[name] with init() and get()), and get("./extension") gives one plugin.
 *
 * What it does, in the notebooks' outputs only:
 * - ipywidgets' slider handle (noUiSlider's role="slider" element) has no accessible name:
 *   its label is a <label> that points at nothing. The handle is given aria-labelledby =
 *   the label; a <select> or a group of toggle buttons likewise.
 * - A slider's aria-valuetext is the number on its track: for a FloatLogSlider that is the
 *   exponent (0.0279 for T = 1.07). It is set to the slider's readout text, which is the
 *   value as the reader sees it, each time either changes.
 * - JupyterLab's image renderer ignores an output's metadata "alt": the alt text that
 *   xl.show_figure saves there is put on the picture's <img>.
 */
(function () {
  "use strict";
  var NAME = "xent-lessons-a11y";
  var counter = 0;

  function labelId(label) {
    if (!label.id) {
      counter += 1;
      label.id = "xent-a11y-label-" + counter;
    }
    return label.id;
  }

  function fixControl(box) {
    var label = box.querySelector(":scope > label.widget-label");
    var named = label && label.textContent.trim() && label.style.display !== "none";
    if (box.classList.contains("widget-slider")) {
      var handle = box.querySelector(".noUi-handle[role='slider']");
      if (!handle) {
        return;
      }
      if (named && handle.getAttribute("aria-labelledby") !== labelId(label)) {
        handle.setAttribute("aria-labelledby", labelId(label));
      }
      var readout = box.querySelector(":scope > .widget-readout");
      var text = readout ? readout.textContent.trim() : "";
      if (text && readout.style.display !== "none" && handle.getAttribute("aria-valuetext") !== text) {
        handle.setAttribute("aria-valuetext", text);
      }
      return;
    }
    if (!named) {
      return;
    }
    var select = box.querySelector(":scope > select");
    if (select && !select.hasAttribute("aria-labelledby")) {
      select.setAttribute("aria-labelledby", labelId(label));
    }
    var group = box.querySelector(":scope > .widget-toggle-buttons, :scope > .widget-radio-box");
    if (group && !group.hasAttribute("aria-labelledby")) {
      group.setAttribute("role", group.classList.contains("widget-radio-box") ? "radiogroup" : "group");
      group.setAttribute("aria-labelledby", labelId(label));
    }
  }

  function fixControlsIn(root) {
    if (root.nodeType !== 1) {
      return;
    }
    if (root.matches(".widget-inline-hbox")) {
      fixControl(root);
    }
    root.querySelectorAll(".widget-inline-hbox").forEach(fixControl);
  }

  // An output's metadata alt onto its <img>, for every notebook open in the main area.
  function fixImages(app) {
    var found = app.shell.widgets("main");
    for (var widget of found) {
      var notebook = widget && widget.content;
      if (!notebook || !notebook.widgets) {
        continue;
      }
      notebook.widgets.forEach(function (cell) {
        var area = cell.outputArea;
        if (!area || !area.model) {
          return;
        }
        for (var i = 0; i < area.model.length && i < area.widgets.length; i++) {
          var metadata = area.model.get(i).metadata || {};
          var alt = null;
          ["image/png", "image/jpeg", "image/svg+xml", "image/gif"].forEach(function (kind) {
            if (!alt && metadata[kind] && typeof metadata[kind].alt === "string") {
              alt = metadata[kind].alt;
            }
          });
          var img = alt ? area.widgets[i].node.querySelector("img") : null;
          if (img && img.getAttribute("alt") !== alt) {
            img.setAttribute("alt", alt);
          }
        }
      });
    }
  }

  var plugin = {
    id: NAME + ":widget-controls-and-figures",
    description: "Names widget controls by their labels, says a slider's value as its readout does, and gives figures their saved alt text.",
    autoStart: true,
    activate: function (app) {
      var controls = new Set();
      var images = false;
      var scheduled = false;
      function flush() {
        scheduled = false;
        controls.forEach(fixControl);
        controls.clear();
        if (images) {
          images = false;
          fixImages(app);
        }
      }
      function schedule() {
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      }
      var observer = new MutationObserver(function (mutations) {
        mutations.forEach(function (m) {
          var target = m.target.nodeType === 1 ? m.target : m.target.parentElement;
          if (!target) {
            return;
          }
          var box = target.closest(".widget-inline-hbox");
          if (box) {
            controls.add(box);
            schedule();
          }
          m.addedNodes.forEach(function (node) {
            if (node.nodeType !== 1) {
              return;
            }
            if (node.matches(".widget-inline-hbox") || node.querySelector(".widget-inline-hbox")) {
              fixControlsIn(node);
            }
            if (node.tagName === "IMG" || node.querySelector("img")) {
              images = true;
              schedule();
            }
          });
        });
      });
      app.restored.then(function () {
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          characterData: true,
          attributes: true,
          attributeFilter: ["aria-valuetext"],
        });
        fixControlsIn(document.body);
        fixImages(app);
      });
    },
  };

  var scope = (window._JUPYTERLAB = window._JUPYTERLAB || {});
  scope[NAME] = {
    init: function () {
      return Promise.resolve();
    },
    get: function (module) {
      if (module !== "./extension") {
        return Promise.reject(new Error(NAME + " has no module " + module));
      }
      return Promise.resolve(function () {
        return { default: [plugin], __esModule: true };
      });
    },
  };
})();
