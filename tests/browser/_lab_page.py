"""Drive a notebook in JupyterLab the way a learner does, and read back what the page shows.

Everything here goes through the page: the menus for "Clear All Outputs" and "Run All
Cells", the DOM for prompts and outputs, the keyboard and mouse for the widgets' controls.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

# A traceback as IPython prints it, or the last line of one (SyntaxError has no "Traceback").
TRACEBACK = re.compile(
    r"Traceback \(most recent call last\)|^\s*[\w.]*(Error|Exception|Interrupt)\b",
    re.MULTILINE,
)
WIDGET_PROBLEMS = ("Error displaying widget", "Failed to load model class", "model not found")

# A course widget (xent_lessons.widgets.FigureWidget): a VBox of a row of controls, the
# figure as an <img>, and a readout.
COURSE_WIDGET = ".jp-OutputArea-output .widget-vbox:has(> img.widget-image)"

# The controls the test knows how to move, in the order it tries them.
CONTROLS = ", ".join(
    [
        ".widget-slider .noUi-handle",
        ".widget-dropdown select",
        ".widget-toggle-buttons",
        ".widget-checkbox input[type=checkbox]",
        ".widget-radio-box",
        "button.widget-toggle-button:not(.widget-toggle-buttons button)",
        ".widget-text input[type=number]",
    ]
)


class NotebookProblem(AssertionError):
    """What a learner would see go wrong: an error output, a dialog, a broken widget."""


def menu(page, menu_name: str, command: str) -> None:
    """Click a main-menu item (``menu_name``) and then the entry for ``command``."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{menu_name}$")).click()
    page.locator(f'.lm-Menu-item[data-command="{command}"]').click()


def open_notebook(page, url: str, n_cells: int, timeout: float = 90.0) -> None:
    """Open the notebook; wait until all its cells are on the page and its kernel is idle.

    (The execution indicator says "idle" while there is no kernel yet, so the kernel's name
    must be there too: running cells before the kernel is up opens a "Select Kernel" dialog.)
    """
    page.goto(url)
    page.wait_for_function(
        """n => {
            const panel = document.querySelector('.jp-NotebookPanel');
            if (!panel) return false;
            const kernel = panel.querySelector('.jp-KernelName');
            const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
            return panel.querySelectorAll('.jp-Notebook .jp-Cell').length === n
                && kernel && kernel.textContent.trim() !== ''
                && kernel.textContent.trim() !== 'No Kernel'
                && indicator && indicator.dataset.status === 'idle';
        }""",
        arg=n_cells,
        timeout=timeout * 1000,
        polling=100,
    )


def cell_states(page) -> list[dict]:
    """For every cell of the open notebook: type, prompt text, stderr outputs, all output text."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'))
        .map(cell => ({
            code: cell.classList.contains('jp-CodeCell'),
            prompt: (cell.querySelector('.jp-InputArea-prompt') || {}).textContent || '',
            stderr: Array.from(cell.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'))
                .map(o => o.textContent),
            text: (cell.querySelector('.jp-Cell-outputWrapper') || {}).textContent || '',
        }))"""
    )


def errors_in(states: list[dict], may_raise: frozenset[int] = frozenset()) -> list[str]:
    """Error outputs (tracebacks) and broken-widget messages, with their cell's number.

    Cells in ``may_raise`` (tagged ``raises-exception``, as nbval knows it) may show an error.
    """
    found = []
    for index, state in enumerate(states):
        for text in state["stderr"]:
            if TRACEBACK.search(text) and index not in may_raise:
                found.append(f"cell {index} {state['prompt']} error output:\n{text[-1500:]}")
        for problem in WIDGET_PROBLEMS:
            if problem in state["text"]:
                found.append(f"cell {index} {state['prompt']} shows {problem!r}")
    return found


def run_all(
    page, code_cells: list[bool], may_raise: frozenset[int] = frozenset(), timeout: float = 240.0
) -> list[dict]:
    """Clear all outputs, Run All Cells, and wait until every non-empty code cell has run.

    ``code_cells[i]`` says whether cell ``i`` is a code cell with code in it (an empty code
    cell is never executed, so it never gets a number). Fails at once on an error output or
    a dialog, since "Run All" stops at the first error.
    """
    menu(page, "Edit", "editmenu:clear-all")
    page.wait_for_function(
        """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt'))
        .every(p => !/\\d/.test(p.textContent))"""
    )
    menu(page, "Run", "runmenu:run-all")
    deadline = time.monotonic() + timeout
    states: list[dict] = []
    while time.monotonic() < deadline:
        states = cell_states(page)
        errors = errors_in(states, may_raise)
        if errors:
            raise NotebookProblem("\n\n".join(errors))
        if page.locator(".jp-Dialog").count():
            raise NotebookProblem(f"a dialog opened: {page.locator('.jp-Dialog').inner_text()}")
        if len(states) != len(code_cells):
            raise NotebookProblem(
                f"the page shows {len(states)} cells, the file has {len(code_cells)}"
            )
        done = all(
            re.fullmatch(r"\[\d+\]:", s["prompt"].strip())
            for s, c in zip(states, code_cells, strict=True)
            if c
        )
        idle = page.locator(
            '.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]'
        ).count()
        if done and idle:
            return states
        time.sleep(0.25)
    waiting = [
        i
        for i, (s, c) in enumerate(zip(states, code_cells, strict=False))
        if c and "*" in s["prompt"]
    ]
    raise NotebookProblem(
        f"Run All did not finish within {timeout:.0f} s (running: cells {waiting})"
    )


# --------------------------------------------------------------------------- widgets


@dataclass
class WidgetMove:
    """What happened when the test moved a widget's controls."""

    index: int
    moved: list[str] = field(default_factory=list)  # the controls tried, in order
    changed_by: str | None = None  # the control that changed the figure
    pixels_changed: bool = False  # the figure on screen differs from before
    readout_before: str = ""
    readout_after: str = ""


def image_state(widget) -> dict:
    return widget.locator(":scope > img.widget-image").evaluate(
        "img => ({src: img.src, complete: img.complete, width: img.naturalWidth})"
    )


def wait_for_image(widget, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = image_state(widget)
        if state["complete"] and state["width"] > 0:
            return state
        time.sleep(0.1)
    raise NotebookProblem("a widget's figure never loaded")


def readout(widget) -> str:
    html = widget.locator(":scope > .widget-html")
    return html.first.text_content() if html.count() else ""


def move(control) -> str:
    """Move one control as a learner would; returns a description of what was done."""
    classes = control.get_attribute("class") or ""
    tag = control.evaluate("e => e.tagName.toLowerCase()")
    if "noUi-handle" in classes:
        control.focus()
        at_max = control.get_attribute("aria-valuenow") == control.get_attribute("aria-valuemax")
        key = "ArrowLeft" if at_max else "ArrowRight"
        control.press(key)
        return f"slider {key}"
    if tag == "select":
        options = control.locator("option").evaluate_all("os => os.map(o => o.value)")
        current = control.input_value()
        other = next(o for o in options if o != current)
        control.select_option(other)
        return f"dropdown -> {other}"
    if "widget-toggle-buttons" in classes or "widget-radio-box" in classes:
        target = control.locator("button:not(.mod-active), input:not(:checked)").first
        label = target.text_content() or target.get_attribute("value") or ""
        target.click()
        return f"option -> {label.strip()}"
    if tag == "input" and control.get_attribute("type") == "checkbox":
        control.click()
        return "checkbox"
    if tag == "button":
        control.click()
        return "toggle button"
    control.focus()
    control.press("ArrowUp")
    control.press("Enter")
    return "number +1 step"


def exercise_widget(widget, index: int, shots_dir, timeout: float = 15.0) -> WidgetMove:
    """Move the widget's controls in order until its figure changes; screenshot before/after."""
    widget.scroll_into_view_if_needed()
    result = WidgetMove(index=index, readout_before=readout(widget))
    before = wait_for_image(widget)
    image = widget.locator(":scope > img.widget-image")
    shot_before = image.screenshot(path=str(shots_dir / f"widget{index}-before.png"))
    controls = widget.locator(CONTROLS)
    for i in range(controls.count()):
        result.moved.append(move(controls.nth(i)))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = image_state(widget)
            if state["src"] != before["src"] and state["complete"] and state["width"] > 0:
                break
            time.sleep(0.1)
        else:
            continue  # this control does not change the figure: try the next one
        # The new picture is in place; wait until it is also what the screen shows.
        shot_after = image.screenshot()
        settle = time.monotonic() + 5.0
        while shot_after == shot_before and time.monotonic() < settle:
            time.sleep(0.2)
            shot_after = image.screenshot()
        (shots_dir / f"widget{index}-after.png").write_bytes(shot_after)
        result.changed_by = result.moved[-1]
        result.pixels_changed = shot_after != shot_before
        result.readout_after = readout(widget)
        return result
    return result


# ------------------------------------------------------------- saving and the dirty mark


def is_dirty(page) -> bool:
    """Whether JupyterLab marks the open notebook as changed (its tab's dot)."""
    return page.evaluate(
        "() => !!document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')"
    )


def wait_for_save(lab, path, notebook_path: str, saves_before: int, timeout: float = 60.0):
    """Wait until the server has logged a new save of the notebook and has written it.

    The server writes in place, after a backup copy (``.~name``) that it removes when done;
    the file is whole when that backup is gone, it reads as JSON, and it stays the same.
    """
    import json

    deadline = time.monotonic() + timeout
    while lab.saves_of(notebook_path) <= saves_before:
        if time.monotonic() > deadline:
            raise NotebookProblem(f"JupyterLab did not save {notebook_path} in {timeout:.0f} s")
        time.sleep(0.1)
    backup = path.with_name(".~" + path.name)
    last = None
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if backup.exists():
            continue
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        stat = path.stat()
        if last == (stat.st_mtime_ns, stat.st_size):
            return
        last = (stat.st_mtime_ns, stat.st_size)
    raise NotebookProblem(f"{notebook_path} was still being written after {timeout:.0f} s")


def save_now(page) -> None:
    """File > Save Notebook, as a learner would (it saves even an unchanged notebook)."""
    menu(page, "File", "docmanager:save")


# ---------------------------------------------------------------- controls and pictures

# For every control of a course widget: is it usable? A slider's track at least MIN_TRACK_PX
# long; every label, readout and button showing all of its text; a dropdown wide enough for
# its choice; every control inside the cell and clear of the others.
MIN_TRACK_PX = 150
CONTROL_CHECK = """(box, minTrack) => {
    const problems = [], sliders = [];
    const rect = el => el.getBoundingClientRect();
    const text = el => (el.textContent || '').trim();
    const labelOf = el => {
        const host = el.closest('.widget-inline-hbox, .widget-inline-vbox') || el;
        const label = host.querySelector(':scope > .widget-label');
        return label ? text(label) : text(el).slice(0, 40);
    };
    for (const slider of box.querySelectorAll('.widget-slider')) {
        const track = slider.querySelector('.noUi-target');
        const vertical = slider.classList.contains('widget-vslider');
        const length = vertical ? rect(track).height : rect(track).width;
        sliders.push({label: labelOf(slider), track: Math.round(length), vertical});
        if (length < minTrack) {
            problems.push(`slider "${labelOf(slider)}": track ${length.toFixed(0)} px < ${minTrack}`);
        }
    }
    for (const el of box.querySelectorAll('.widget-label, .widget-readout, button')) {
        if (!el.checkVisibility() || !text(el)) continue;
        if (el.scrollWidth > el.clientWidth + 1) {
            problems.push(`"${text(el)}" is cut off: ${el.scrollWidth} px of text in ${el.clientWidth} px`);
        }
    }
    const canvas = document.createElement('canvas').getContext('2d');
    for (const select of box.querySelectorAll('select')) {
        const style = getComputedStyle(select);
        canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        for (const option of select.options) {
            const need = canvas.measureText(option.text).width;
            if (need > room) {
                problems.push(`dropdown "${labelOf(select)}": "${option.text}" needs ${need.toFixed(0)} px, has ${room.toFixed(0)}`);
            }
        }
    }
    const row = box.querySelector(':scope > .widget-hbox, :scope > .widget-box');
    const cell = box.closest('.jp-OutputArea-output') || box;
    const controls = row ? Array.from(row.children).filter(c => c.checkVisibility()) : [];
    const cellRect = rect(cell);
    controls.forEach((c, i) => {
        const r = rect(c);
        if (r.left < cellRect.left - 1 || r.right > cellRect.right + 1) {
            problems.push(`control "${labelOf(c)}" reaches out of its cell: ${r.left.toFixed(0)} to ${r.right.toFixed(0)} px, the cell ${cellRect.left.toFixed(0)} to ${cellRect.right.toFixed(0)} px`);
        }
        controls.slice(i + 1).forEach(d => {
            const s = rect(d);
            if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 && s.top < r.bottom - 1) {
                problems.push(`controls "${labelOf(c)}" and "${labelOf(d)}" overlap`);
            }
        });
    });
    return {problems, sliders, controls: controls.length};
}"""


def control_problems(widget) -> dict:
    """Check every control of a course widget (see CONTROL_CHECK); returns the findings."""
    return widget.evaluate(CONTROL_CHECK, MIN_TRACK_PX)


PICTURE_SIZES = """(box) => {
    const img = box.querySelector(':scope > img.widget-image');
    const all = Array.from(box.closest('.jp-Notebook').querySelectorAll('.jp-RenderedImage img'));
    const before = all.filter(i => i.compareDocumentPosition(box) & Node.DOCUMENT_POSITION_FOLLOWING);
    const previous = before.length ? before[before.length - 1] : null;
    const r = img.getBoundingClientRect();
    return {
        css_width: r.width, css_height: r.height,
        natural_width: img.naturalWidth, natural_height: img.naturalHeight,
        device_pixel_ratio: window.devicePixelRatio,
        cell_width: box.closest('.jp-OutputArea-output').getBoundingClientRect().width,
        static_css_width: previous ? previous.getBoundingClientRect().width : null,
        static_natural_width: previous ? previous.naturalWidth : null,
    };
}"""


def picture_sizes(widget) -> dict:
    """The widget's picture on screen and in pixels, and the static figure's before it."""
    return widget.evaluate(PICTURE_SIZES)


# ------------------------------------------------------------------------------ latency

# From the key press on a slider to its new picture decoded and about to be painted: the
# time a learner waits. A capture listener notes the keydown; the image's new src, once
# decoded, is stamped in the next animation frame.
LATENCY_PROBE = """(box) => {
    if (box.__latency) return;
    const img = box.querySelector(':scope > img.widget-image');
    const probe = {down: null, times: []};
    box.__latency = probe;
    box.addEventListener('keydown', () => { probe.down = performance.now(); }, true);
    new MutationObserver(() => {
        const start = probe.down, src = img.src;
        if (start === null) return;
        img.decode().then(() => requestAnimationFrame(() => {
            if (probe.down === start && img.src === src) {
                probe.times.push(performance.now() - start);
                probe.down = null;
            }
        })).catch(() => {});
    }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def slider_latencies(widget, presses: int = 6, sliders: int = 2, timeout: float = 10.0):
    """Milliseconds from a slider key press to the new picture, for ``presses`` presses on
    each of the widget's first ``sliders`` horizontal sliders (fewer if it has fewer)."""
    widget.evaluate(LATENCY_PROBE)
    box = widget.element_handle()
    handles = widget.locator(".widget-hslider .noUi-handle")
    times: list[float] = []
    for i in range(min(sliders, handles.count())):
        handle = handles.nth(i)
        handle.focus()
        for _ in range(presses):
            at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            count = widget.evaluate("box => box.__latency.times.length")
            handle.press("ArrowLeft" if at_max else "ArrowRight")
            try:
                widget.page.wait_for_function(
                    "([box, n]) => box.__latency.times.length > n",
                    arg=[box, count],
                    timeout=timeout * 1000,
                )
            except Exception as error:  # a press that changes nothing (a step past the end)
                if "Timeout" not in type(error).__name__:
                    raise
                widget.evaluate("box => { box.__latency.down = null; }")
                continue
        times = widget.evaluate("box => box.__latency.times.slice()")
    return times
