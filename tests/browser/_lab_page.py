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
