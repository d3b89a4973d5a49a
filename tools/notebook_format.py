"""Write a notebook exactly as JupyterLab writes it, so that opening a lesson does not change it.

When JupyterLab saves a notebook, the front end turns its model into JSON (JavaScript's
``JSON.stringify``) and the server writes that with ``nbformat.write``. Compared with a
notebook written by ``nbformat`` straight after ``nbclient`` ran it, three things differ,
all measured by saving our notebooks in JupyterLab 4.6 (tests/browser checks it again):

- ``metadata.kernelspec``: JupyterLab puts in the spec of the kernel it started, whose
  display name is ``"Python 3 (ipykernel)"`` (ipykernel's own spec), where authoring tools
  often leave ``"Python 3"``. A different value marks the notebook modified as soon as the
  kernel is up, and autosave then rewrites it.
- Numbers: JavaScript has one number type, so a float with an integral value comes back
  as an integer (``1.0`` -> ``1``, ``-0.0`` -> ``0``), everywhere in the file (the saved
  widget state is full of them: slider values, bounds, steps).
- Stream outputs: JupyterLab's output model merges consecutive ``stream`` outputs of the
  same name into one, and applies ``\\r`` and ``\\b`` as a terminal would.
- Timing: ``nbclient`` records when each cell ran (``metadata.execution``); JupyterLab, with
  its default ``recordTiming: false``, removes that when it runs a cell. Left in, it would
  change with every run of ``make notebooks`` and with every Run All in JupyterLab.

``lab_format(nb)`` applies these to a notebook; ``write(nb, path)`` saves it as JupyterLab
would. ``lab_format`` of a notebook that JupyterLab saved changes nothing (a fixed point).
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import nbformat

# JavaScript's JSON.stringify writes integral numbers below 1e21 without exponent or point,
# so Python's json reads them back as int; from 1e21 on they stay floats ("1e+21").
_JS_INTEGER_LIMIT = 1e21


def kernelspec(name: str = "python3") -> dict:
    """The ``metadata.kernelspec`` JupyterLab writes for kernel ``name``, from its installed spec."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def js_numbers(value):
    """``value`` with every integral float that JavaScript would write as an integer made int."""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _JS_INTEGER_LIMIT:
            return int(value)
        return value
    if isinstance(value, dict):
        return {key: js_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [js_numbers(item) for item in value]
    return value


_CONTROL = re.compile(r"[\n\b\r]")


def process_text(index: int, text: str, current: str = "") -> tuple[str, int]:
    """JupyterLab's ``processText``: write ``text`` into ``current`` at ``index``, as a terminal.

    ``\\r`` goes back to the start of the line, ``\\b`` deletes a character, ``\\n`` starts
    a new line at the end. Returns the new text and the cursor. (A line-by-line port of
    ``@jupyterlab/outputarea``'s ``Private.processText``, quirks included, so that the
    result is what JupyterLab saves.)
    """
    if not _CONTROL.search(text):
        return current[:index] + text + current[index + len(text) :], index + len(text)
    cursor, start = index, 0
    while True:
        found = _CONTROL.search(text, start)
        stop = len(text) if found is None else found.start()
        piece = text[start:stop]
        current = current[:cursor] + piece + current[cursor + len(piece) :]
        cursor += len(piece)
        if found is None:
            return current, cursor
        start = stop + 1
        char = text[stop]
        if char == "\b":
            if cursor > 0 and current[cursor - 1] != "\n":
                current = current[: cursor - 1] + current[cursor + 1 :]
                cursor -= 1
        elif char == "\r":
            while cursor > 0 and current[cursor - 1] != "\n":
                cursor -= 1
        else:  # "\n"
            current += "\n"
            cursor = len(current)


def merge_streams(outputs: list) -> list:
    """Outputs as JupyterLab's output model holds them: consecutive same-name streams merged."""
    merged, last_name, cursor = [], "", 0
    for output in outputs:
        if output.get("output_type") == "stream":
            text = output["text"] if isinstance(output["text"], str) else "".join(output["text"])
            if merged and output["name"] == last_name:
                merged[-1]["text"], cursor = process_text(cursor, text, merged[-1]["text"])
                continue
            output = dict(output)
            output["text"], cursor = process_text(0, text)
            last_name = output["name"]
        else:
            last_name = ""
        merged.append(output)
    return merged


def lab_format(nb, kernel_name: str | None = None):
    """A copy of notebook ``nb`` as JupyterLab would save it (see the module's docstring).

    ``kernel_name`` defaults to the notebook's own ``metadata.kernelspec.name``, else python3.
    """
    data = json.loads(nbformat.writes(nb))  # plain JSON types; multi-line strings as lists
    name = kernel_name or data["metadata"].get("kernelspec", {}).get("name") or "python3"
    data["metadata"]["kernelspec"] = kernelspec(name)
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = merge_streams(cell["outputs"])
            cell.get("metadata", {}).pop("execution", None)
    data = js_numbers(data)
    return nbformat.from_dict(copy.deepcopy(data))


def writes(nb, kernel_name: str | None = None) -> str:
    """The text JupyterLab's server writes for ``nb``: ``nbformat.write``, no conversion."""
    text = nbformat.writes(lab_format(nb, kernel_name), version=nbformat.NO_CONVERT)
    return text if text.endswith("\n") else text + "\n"  # nbformat.write ends the file so


def write(nb, path: Path, kernel_name: str | None = None) -> None:
    """Save ``nb`` at ``path`` as JupyterLab would."""
    Path(path).write_text(writes(nb, kernel_name), encoding="utf-8", newline="\n")
