/* The course's widgets without a kernel: HTML controls that swap pictures rendered when the
 * site was built (book/_ext/xent_widget_frames.py writes the controls, the picture and the
 * data: for each grid point of the controls that move, its picture's file and its readout).
 *
 * Every input swaps the picture and the readout at once. The pictures of a widget are
 * fetched when the reader comes near it (not with the page), and the ones one or two steps
 * away from the current setting are decoded ahead into <img> elements held in memory
 * (`img.decode()`); a key press then puts the decoded element in the page in place of the
 * shown one (no fetch, no decode, no reflow: width and height are fixed), so the new picture
 * is painted in the next frame. Works from file:// (no fetch, only <img>) and served.
 */
(function () {
  "use strict";

  var NEAR = "800px"; // fetch a widget's pictures when it is this close to the viewport
  var KEEP_DECODED = 16; // decoded pictures kept per widget (each ~4 MB of bitmap at 2x)
  var AHEAD = 2; // decode the pictures up to this many steps away on every control

  function setUp(root) {
    var data = JSON.parse(root.querySelector(".xent-frames-data").textContent);
    var base = root.getAttribute("data-frames");
    var picture = root.querySelector(".xent-frames-picture");
    var readout = root.querySelector(".xent-frames-readout");
    var axes = data.axes;
    var offline = [];
    var sizes = [];
    axes.forEach(function (axis, k) {
      if (axis.offline) {
        offline.push(k);
        sizes.push(axis.labels.length);
      }
    });
    var point = axes.map(function (axis) { return axis.start; });
    var decoded = new Map(); // file -> <img> decoded ahead (not in the page), most recent last
    var fetched = null;

    function flatIndex(p) {
      var flat = 0;
      offline.forEach(function (k, j) { flat = flat * sizes[j] + p[k]; });
      return flat;
    }

    function altText(p) {
      var settings = axes.map(function (axis, k) {
        return axis.label + " " + axis.labels[p[k]];
      });
      return "The picture of " + data.title + ", with " + settings.join(", ") + ".";
    }

    function remember(file, img) {
      decoded.delete(file);
      decoded.set(file, img);
      while (decoded.size > KEEP_DECODED) {
        decoded.delete(decoded.keys().next().value);
      }
    }

    // An <img> like the shown one, for `file`, decoded off the page; `xentDecoded` is set
    // when its bitmap is ready (the site's latency benchmark reads it too).
    function decodeAhead(file) {
      if (decoded.has(file)) {
        remember(file, decoded.get(file));
        return;
      }
      var img = new Image();
      img.className = picture.className;
      ["width", "height"].forEach(function (name) { // the attributes, not the shown size
        var value = picture.getAttribute(name);
        if (value) { img.setAttribute(name, value); }
      });
      img.decoding = "async";
      img.setAttribute("src", base + file);
      img.xentDecoded = false;
      if (img.decode) {
        img.decode().then(function () { img.xentDecoded = true; }, function () {});
      }
      remember(file, img);
    }

    function decodeNeighbours() {
      offline.forEach(function (k, j) {
        for (var distance = 1; distance <= AHEAD; distance++) {
          [-distance, distance].forEach(function (step) {
            var next = point[k] + step;
            if (next < 0 || next >= sizes[j]) { return; }
            var p = point.slice();
            p[k] = next;
            decodeAhead(data.files[flatIndex(p)]);
          });
        }
      });
    }

    function fetchAll() {
      if (fetched) { return; }
      fetched = [];
      var seen = new Set();
      data.files.forEach(function (file) {
        if (seen.has(file)) { return; }
        seen.add(file);
        var img = new Image();
        img.src = base + file;
        fetched.push(img);
      });
      decodeNeighbours();
    }

    // Show `file`. The shown <img> stays in the page and only its src changes: when the
    // picture was decoded ahead, its image is in the memory cache and its bitmap decoded, so
    // the element is complete at once and the next frame paints it (no DOM change, no
    // decode); otherwise it is marked not decoded until its decode() resolves.
    var shownToken = 0;
    function showPicture(file) {
      var shownFile = root.getAttribute("data-frame");
      if (file === shownFile) { return; }
      var ready = decoded.get(file);
      var token = ++shownToken;
      picture.setAttribute("src", base + file);
      if (ready && ready.xentDecoded && picture.complete) {
        picture.xentDecoded = true;
      } else {
        picture.xentDecoded = false;
        if (picture.decode) {
          var img = picture;
          img.decode().then(function () {
            if (token === shownToken) { img.xentDecoded = true; }
          }, function () {});
        }
      }
    }

    // The readout keeps the height of its longest text, so that a new one never moves the
    // page below it (no reflow, nothing below repainted).
    function reserveReadoutLines() {
      var lines = 1;
      data.readouts.forEach(function (text) {
        lines = Math.max(lines, text.split("\n").length);
      });
      readout.style.minHeight = "calc(" + lines + " * 1lh)";
    }

    var neighboursPending = false;
    function decodeNeighboursSoon() {
      // After the frame that paints the new picture (none of this work is in its way).
      if (neighboursPending) { return; }
      neighboursPending = true;
      requestAnimationFrame(function () {
        setTimeout(function () {
          neighboursPending = false;
          decodeNeighbours();
        }, 0);
      });
    }

    function show() {
      var flat = flatIndex(point);
      var file = data.files[flat];
      showPicture(file);
      picture.alt = altText(point);
      readout.textContent = data.readouts[flat];
      root.setAttribute("data-frame", file);
      root.setAttribute("data-point", point.join(","));
      decodeNeighboursSoon();
    }

    root.querySelectorAll("[data-axis]").forEach(function (control) {
      var k = Number(control.getAttribute("data-axis"));
      var axis = axes[k];
      control.addEventListener("input", function () {
        var index;
        if (control.type === "checkbox") {
          index = control.checked ? 1 : 0;
        } else if (control.type === "radio") {
          if (!control.checked) { return; }
          index = Number(control.value);
        } else {
          index = Number(control.value);
        }
        point[k] = index;
        if (control.type === "range") {
          control.setAttribute("aria-valuetext", axis.labels[index]);
          var out = root.querySelector('output[for="' + control.id + '"]');
          if (out) { out.textContent = axis.labels[index]; }
        }
        fetchAll();
        show();
      });
    });

    if ("IntersectionObserver" in window) {
      var observer = new IntersectionObserver(function (entries) {
        if (entries.some(function (e) { return e.isIntersecting; })) {
          observer.disconnect();
          fetchAll();
        }
      }, { rootMargin: NEAR });
      observer.observe(root);
    } else {
      fetchAll();
    }
    reserveReadoutLines();
    root.setAttribute("data-point", point.join(","));
    root.setAttribute("data-frame", data.files[flatIndex(point)]);
    root.classList.add("xent-frames-ready");
  }

  function setUpAll() {
    document.querySelectorAll(".xent-frames").forEach(setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUpAll);
  } else {
    setUpAll();
  }
})();
