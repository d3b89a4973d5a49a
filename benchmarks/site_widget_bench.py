"""The widgets on the static site, without a kernel: key press to new picture, and frame sizes.

``--section widgets-site`` opens the built site (``site/``; built first with
``tools/build_site.py --no-check`` if it is not there) in headless Chromium at 2x, from
``file://`` with the network refused. On every lesson page, each widget's first control that
moves is focused and pressed with an arrow key ``n`` times (back and forth across its range),
and each press is timed in the page:

- **to paint**: from the key press (the ``keydown`` event's time stamp) to the end of the
  main thread's work on the frame that paints the new picture: the first
  ``requestAnimationFrame`` after the page's ``input`` handler has put the picture in (if it
  was decoded ahead: the page's script decodes the neighbouring frames and marks each
  decoded ``<img>``; otherwise the first one after its ``img.decode()`` has resolved), then
  a message posted from that callback, which runs after the frame's style, layout and
  paint. The target is one frame at 60 Hz, 16 ms, for the median.
- **event timing**: Chromium's own Event Timing ``duration`` of the ``keydown``, from the
  press to the next paint after its handlers (in steps of 8 ms).

Then the sizes: every frame of the site (learner and solution pages share them), and the
largest widget's frames (targets 80 MB and 6 MB).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from harness import Table

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"
FRAMES = SITE / "_static" / "widget-frames"
PAINT_TARGET_MS = 16.0
SITE_BUDGET_MB = 80.0
WIDGET_BUDGET_MB = 6.0

TIMER = """() => {
  window.__xentTimes = [];
  window.__xentEvents = [];
  let pressed = null;
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) {
      if (entry.name === 'keydown') window.__xentEvents.push(entry.duration);
    }
  }).observe({type: 'event', durationThreshold: 16, buffered: false});
  window.__xentParts = [];
  let handlerStart = null;
  document.addEventListener('keydown', event => { pressed = event.timeStamp; }, true);
  // Capturing on the document: before the control's own handler.
  document.addEventListener('input', () => { handlerStart = performance.now(); }, true);
  // Bubbling on the document: after the control's own handler has put the new picture in.
  document.addEventListener('input', event => {
    const root = event.target.closest && event.target.closest('.xent-frames');
    if (!root || pressed === null) return;
    const start = pressed;
    pressed = null;
    const handlerEnd = performance.now();
    const img = root.querySelector('.xent-frames-picture');
    // The frame's callbacks, then its style, layout and paint, then this message: the
    // time at which the frame that shows the picture has been painted on the main thread.
    // (rAF's own time stamp is the frame's start, which can precede the key press.)
    const painted = ready => requestAnimationFrame(() => {
      const frame = performance.now();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        const end = performance.now();
        window.__xentTimes.push(end - start);
        // Where the time went: press to the page's handler (the input's delay), the
        // handler, from it to the frame's callbacks (waiting for a frame, or for a decode),
        // the frame's own work (style, layout, paint), and whether it was decoded ahead.
        window.__xentParts.push([handlerStart - start, handlerEnd - handlerStart,
                                 frame - handlerEnd, end - frame, ready ? 1 : 0]);
      };
      channel.port2.postMessage(null);
    });
    // A picture decoded ahead is painted in the next frame; any other once decode() is done.
    if (img.xentDecoded && img.complete) painted(true);
    else img.decode().then(() => painted(false), () => painted(false));
  });
}"""

EVENTS = "() => window.__xentEvents.length"

# Where the focused control is: [its index, the last index] (a key press past an end changes
# nothing, and so would never be timed).
POSITION = """el => {
  if (el.type === 'range') return [Number(el.value), Number(el.max)];
  if (el.type === 'select-one') return [el.selectedIndex, el.options.length - 1];
  const group = Array.from(document.getElementsByName(el.name));
  const checked = group.findIndex(r => r.checked);
  return [checked, group.length - 1];
}"""
# The key that moves each kind of control forward (True) or back (False).
KEYS = {
    "range": {True: "ArrowRight", False: "ArrowLeft"},
    "select-one": {True: "ArrowDown", False: "ArrowUp"},
    "radio": {True: "ArrowRight", False: "ArrowLeft"},
}


def _site_pages() -> list[Path]:
    if not (SITE / "index.html").is_file():
        sys.path.insert(0, str(ROOT / "tools"))
        import build_site

        build_site.build(SITE)
    return sorted(SITE.glob("[0-9][0-9]_*.html"))


def _sizes() -> tuple[float, float, str]:
    """(all frames in MB, the largest widget's frames in MB, that widget's title)."""
    total = sum(path.stat().st_size for path in FRAMES.glob("*.png")) / 1e6
    largest, name = 0.0, ""
    for page in SITE.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for chunk in text.split('class="xent-frames-data">')[1:]:
            data = json.loads(chunk.split("</script>", 1)[0].replace("<\\/", "</"))
            size = sum((FRAMES / f).stat().st_size for f in set(data["files"])) / 1e6
            if size > largest:
                largest, name = size, data["title"]
    return total, largest, name


def run_section(options) -> Table:
    sys.path.insert(0, str(ROOT / "tools"))
    from site_check import open_browser

    presses = 6 if options.quick else 16
    pages = _site_pages()
    table = Table(
        title="Widgets on the static site, no kernel: key press to the new picture, at 2x",
        columns=[
            "page",
            "widget",
            "presses",
            "to paint median (ms)",
            "to paint max (ms)",
            "event timing median (ms)",
            f"≤ {PAINT_TARGET_MS:.0f} ms",
        ],
    )
    everything, events_all, parts = [], [], []
    with open_browser() as browser:
        context = browser.new_context(
            device_scale_factor=2, viewport={"width": 1366, "height": 900}
        )
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(("file:", "data:", "blob:"))
                else route.abort()
            ),
        )
        for page_path in pages:
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.evaluate(TIMER)
            roots = page.locator(".xent-frames")
            for k in range(roots.count()):
                root = roots.nth(k)
                root.scroll_into_view_if_needed()
                control = root.locator("input[type=range], select, input[type=radio]:checked").first
                title = json.loads(root.locator(".xent-frames-data").text_content())["title"]
                control.focus()
                page.wait_for_timeout(1500)  # the reader arrives: its pictures are fetched
                start = page.evaluate("() => window.__xentTimes.length")
                events_start = page.evaluate(EVENTS)
                forward = True
                for press in range(presses):
                    where = control.evaluate(POSITION)  # [index, last index]
                    if where[0] >= where[1]:
                        forward = False
                    elif where[0] <= 0:
                        forward = True
                    page.keyboard.press(KEYS[control.evaluate("el => el.type")][forward])
                    page.wait_for_function(
                        f"() => window.__xentTimes.length >= {start + press + 1}"
                    )
                    page.wait_for_timeout(50)
                times = page.evaluate(f"() => window.__xentTimes.slice({start})")
                parts += page.evaluate(f"() => window.__xentParts.slice({start})")
                events = page.evaluate(f"() => window.__xentEvents.slice({events_start})")
                everything += times
                events_all += events
                median = statistics.median(times)
                table.rows.append(
                    [
                        page_path.stem[:2],
                        title,
                        str(len(times)),
                        f"{median:.1f}",
                        f"{max(times):.1f}",
                        f"{statistics.median(events):.0f}" if events else "< 16",
                        "yes" if median <= PAINT_TARGET_MS else "NO",
                    ]
                )
            page.close()
        context.close()
    median = statistics.median(everything)
    table.rows.append(
        [
            "all",
            f"{len(table.rows)} widgets",
            str(len(everything)),
            f"{median:.1f}",
            f"{max(everything):.1f}",
            f"{statistics.median(events_all):.0f}" if events_all else "< 16",
            "yes" if median <= PAINT_TARGET_MS else "NO",
        ]
    )
    total, largest, name = _sizes()
    table.notes.append(
        f"Frames: {total:.1f} MB for the whole site (target ≤ {SITE_BUDGET_MB:.0f} MB: "
        f"{'met' if total <= SITE_BUDGET_MB else 'NOT met'}); the largest widget, {name}, "
        f"{largest:.2f} MB (target ≤ {WIDGET_BUDGET_MB:.0f} MB: "
        f"{'met' if largest <= WIDGET_BUDGET_MB else 'NOT met'})."
    )
    if parts:
        medians = [statistics.median(p[k] for p in parts) for k in range(4)]
        table.notes.append(
            "Where a press's time goes, medians (ms): press to the page's input handler "
            f"{medians[0]:.1f}, the handler {medians[1]:.1f}, then to the frame's "
            f"callbacks (waiting for the next frame) {medians[2]:.1f}, the frame's style, "
            f"layout and paint {medians[3]:.1f}; {sum(p[4] for p in parts)} of {len(parts)} "
            "pictures had been decoded ahead."
        )
    table.notes.append(
        "Event timing lists only presses slower than 16 ms (Chromium reports none faster); "
        "'< 16' means none was."
    )
    return table
