"""Sphinx extension: the course's widgets move on the static site, with no kernel and no network.

When the site is built, every widget of every lesson is rendered by its own code (the same
``FigureWidget`` that runs in JupyterLab) for the grid of control values its builder declares
(``site_grid`` in ``xent_lessons/widgets/``); the pictures and readouts go into the site
(``_static/widget-frames/``), never into the notebooks. On the page, the widget's saved
picture becomes HTML controls (range inputs, menus, radio buttons, checkboxes, each labelled,
with its value) that swap the picture and the readout on every input
(``_static/widget_frames.js``), from ``file://`` as well as served.

- A widget cell that uses only ``xl`` is evaluated in a worker process. A cell that needs the
  notebook's state (a trained model, data: any other name) runs in a kernel after the cells
  before it, as in the notebook: there is no second copy of that code.
- A lesson's learner and solution pages share the frames (those of the solution notebook, when
  the widget cell is the same in both).
- Frames are cached by a hash of what they depend on (the package's code, the cells that run,
  the grid and the encoding) in ``<build>/widget-frames/``: a second build renders nothing.
- A widget whose frames cannot be made keeps the saved picture (``xent_site``'s fallback),
  and the build says why.

Run as a script, this module is the worker that renders (``render`` and ``kernel``).
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import html
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SITE_DIR = "_static/widget-frames"  # where the frames are, in the site


def _package() -> Path:
    import xent_lessons

    return Path(xent_lessons.__file__).resolve().parent


PACKAGE = _package()
KERNEL_TIMEOUT_S = 600
PREFIX = "xent-frames"
# Shared by every build of this checkout (make html, the tests): a frame's folder is named by
# the hash of what it depends on, so a stale one is never used.
CACHE = PACKAGE.parent / "build" / "widget-frames"

# Filled at builder-inited: notebook docname -> [manifest or None, per widget output, in order].
_MANIFESTS: dict[str, list] = {}


# ------------------------------------------------------------------- the widget cells


@dataclass
class WidgetCell:
    notebook: Path
    index: int  # the cell's index in the notebook
    source: str
    needs_state: bool  # uses a name other than ``xl``: run in a kernel after the cells before


def _free_names(source: str) -> set[str]:
    tree = ast.parse(source)
    assigned = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
    }
    used = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return used - assigned - set(dir(builtins))


def widget_cells(path: Path) -> list[WidgetCell]:
    """The cells of a notebook whose output is a widget, in order."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    found = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if not any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", [])):
            continue
        source = "".join(cell["source"])
        try:
            needs_state = bool(_free_names(source) - {"xl"})
        except SyntaxError:
            needs_state = True
        found.append(WidgetCell(Path(path), index, source, needs_state))
    return found


def _package_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(cell: WidgetCell, package_digest: str) -> str:
    """A hash of everything the widget's frames depend on."""
    from xent_lessons.widgets._frames import FRAME_FORMAT

    digest = hashlib.sha256()
    digest.update(FRAME_FORMAT.encode())
    digest.update(package_digest.encode())
    try:
        import matplotlib

        digest.update(matplotlib.__version__.encode())
    except ImportError:
        pass
    if cell.needs_state:
        nb = json.loads(cell.notebook.read_text(encoding="utf-8"))
        for before in nb["cells"][: cell.index]:
            if before["cell_type"] == "code":
                digest.update("".join(before["source"]).encode())
                digest.update(b"\0")
    digest.update(cell.source.encode())
    return digest.hexdigest()[:24]


# ------------------------------------------------------------------------- rendering


def _last_expression(source: str) -> str:
    tree = ast.parse(source)
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        raise ValueError("a widget cell must end with the expression that makes the widget")
    return ast.get_source_segment(source, tree.body[-1].value)


def _assign_last_expression(source: str, name: str) -> str:
    """The cell's source with its last expression (the widget) assigned to ``name``."""
    tree = ast.parse(source)
    last = tree.body[-1]
    if not isinstance(last, ast.Expr):
        raise ValueError("a widget cell must end with the expression that makes the widget")
    lines = source.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[: last.lineno - 1]) + len(
        lines[last.lineno - 1].encode()[: last.col_offset].decode()
    )
    return source[:offset] + f"{name} = " + source[offset:]


def render_cells(jobs: list[dict]) -> None:
    """Worker: evaluate each widget cell that uses only ``xl`` and write its frames."""
    import xent_lessons as xl
    from xent_lessons.widgets._frames import write_cell_frames

    for job in jobs:
        try:  # every worker is given every job: the first to claim one renders it
            os.close(os.open(job["claim"], os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            continue
        namespace = {"xl": xl}
        tree = ast.parse(job["source"])
        body, last = tree.body[:-1], tree.body[-1]
        exec(compile(ast.Module(body=body, type_ignores=[]), "<widget cell>", "exec"), namespace)
        widget = eval(compile(ast.Expression(last.value), "<widget cell>", "eval"), namespace)
        write_cell_frames(widget, job["source"], Path(job["out"]))


def render_in_kernel(notebook: Path, jobs: list[dict]) -> None:
    """Worker: run the notebook's cells in a kernel up to its last widget to render, writing
    each widget's frames right after its own cell has run."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(notebook), as_version=4)
    by_index = {job["index"]: job for job in jobs}
    cells = []
    for index, cell in enumerate(nb.cells[: max(by_index) + 1]):
        if cell.cell_type != "code":
            continue
        cells.append(cell)
        if index in by_index:
            job = by_index[index]
            cell.source = _assign_last_expression(cell.source, "_xent_widget")
            cells.append(
                nbformat.v4.new_code_cell(
                    "from xent_lessons.widgets._frames import write_cell_frames as _xent_write\n"
                    f"_xent_write(_xent_widget, {job['source']!r}, {job['out']!r})"
                )
            )
    nb.cells = cells
    client = NotebookClient(
        nb,
        timeout=KERNEL_TIMEOUT_S,
        kernel_name="python3",
        # A learner notebook (a site without solutions) stops at its exercise stubs; the
        # cells after them still run, as in JupyterLab, and a widget that needed an answer
        # keeps its saved picture.
        allow_errors=True,
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()


def _worker(argv: list[str]) -> int:
    command, spec = argv[0], json.loads(Path(argv[1]).read_text())
    if command == "render":
        render_cells(spec["jobs"])
    elif command == "kernel":
        render_in_kernel(Path(spec["notebook"]), spec["jobs"])
    else:
        raise SystemExit(f"unknown command {command!r}")
    # This worker's CPU seconds and its kernel's (for the build's summary).
    Path(argv[1]).with_suffix(".cpu").write_text(json.dumps(_cpu_seconds()))
    return 0


def _cpu_seconds() -> dict:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "self": own.ru_utime + own.ru_stime,
        "children": children.ru_utime + children.ru_stime,
    }


def _run_worker(command: str, spec: dict, work: Path, name: str) -> str | None:
    """Run a worker in a subprocess; None if it went well, else what went wrong."""
    spec_path = work / f"{name}.json"
    spec_path.write_text(json.dumps(spec))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0")
    done = subprocess.run(
        [sys.executable, __file__, command, str(spec_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        return (done.stderr or done.stdout).strip()[-3000:] or f"exit status {done.returncode}"
    return None


def _cpu_summary(work: Path, tasks: int, folders: list[Path], since: float) -> str:
    """Where the frames' CPU time went: the workers, their kernels, drawing and PNGs."""
    spent = {"render": [0.0, 0.0], "kernel": [0.0, 0.0]}
    for k in range(tasks):
        path = work / f"task{k}.cpu"
        command = json.loads((work / f"task{k}.json").read_text()).get("notebook")
        if path.is_file():
            cpu = json.loads(path.read_text())
            spent["kernel" if command else "render"][0] += cpu["self"]
            spent["kernel" if command else "render"][1] += cpu["children"]
    parts = {"frames": 0, "draw": 0.0, "encode": 0.0}
    for folder in set(folders):
        timing = folder / "cpu.json"
        if timing.is_file() and timing.stat().st_mtime >= since:  # rendered by this build
            for key, value in json.loads(timing.read_text()).items():
                parts[key] = parts.get(key, 0) + value
    total = sum(map(sum, spent.values()))
    return (
        f"CPU {total:.1f} s (render workers {sum(spent['render']):.1f} s; kernel workers "
        f"{spent['kernel'][0]:.1f} s and their kernels {spent['kernel'][1]:.1f} s); "
        f"{parts['frames']} frames: the widgets' updates and drawing {parts['draw']:.1f} s, "
        f"the PNGs {parts['encode']:.1f} s"
    )


def make_frames(notebooks: list[Path], cache: Path, workers: int | None = None) -> dict:
    """Render (or find in ``cache``) the frames of every widget of ``notebooks``.

    Returns {notebook path: [its widgets' frame folders (None where they failed)]}.
    """
    cache.mkdir(parents=True, exist_ok=True)
    package_digest = _package_digest()
    folders: dict[Path, list] = {}
    stateless: list[dict] = []
    kernel_jobs: dict[Path, list[dict]] = {}
    for notebook in notebooks:
        folders[notebook] = []
        for cell in widget_cells(notebook):
            folder = cache / cache_key(cell, package_digest)
            folders[notebook].append(folder)
            if (folder / "manifest.json").is_file():
                continue
            job = {"index": cell.index, "source": cell.source, "out": str(folder)}
            if cell.needs_state:
                kernel_jobs.setdefault(notebook, []).append(job)
            elif all(job["out"] != other["out"] for other in stateless):
                stateless.append(job)
    workers = workers or max(1, os.cpu_count() or 1)
    tasks = [("kernel", {"notebook": str(nb), "jobs": jobs}) for nb, jobs in kernel_jobs.items()]
    work = cache / "_work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    for job in stateless:
        job["claim"] = str(work / (Path(job["out"]).name + ".claim"))
    # Each render worker takes the next widget nobody has taken, so the work is shared out as
    # it goes: one starts at once, the others after the kernels (or alongside, with more cores).
    renders = [("render", {"jobs": stateless})] * min(workers, len(stateless))
    tasks = renders[:1] + tasks + renders[1:]
    if tasks:
        started, since = time.monotonic(), time.time()
        print(
            f"widget frames: rendering {len(stateless)} widgets in {min(workers, len(tasks))} "
            f"workers and {sum(map(len, kernel_jobs.values()))} after their notebook's cells "
            "in a kernel",
            flush=True,
        )
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(
                pool.map(
                    lambda k: (tasks[k][0], _run_worker(*tasks[k], work, f"task{k}")),
                    range(len(tasks)),
                )
            )
        for command, problem in results:
            if problem:
                print(f"widget frames: a {command} worker failed:\n{problem}", file=sys.stderr)
        print(
            f"widget frames: done in {time.monotonic() - started:.1f} s; "
            + _cpu_summary(
                work, len(tasks), [f for found in folders.values() for f in found], since
            ),
            flush=True,
        )
    result = {}
    for notebook, found in folders.items():
        result[notebook] = [f if (f / "manifest.json").is_file() else None for f in found]
        for k, folder in enumerate(result[notebook]):
            if folder is None:
                print(
                    f"widget frames: none for widget {k + 1} of {notebook.name}; "
                    "it shows its saved picture",
                    file=sys.stderr,
                )
    return result


# ----------------------------------------------------------------------------- the page


def _attr(text) -> str:
    return html.escape(str(text), quote=True)


def _control_html(axis: dict, wid: str, k: int) -> str:
    cid = f"{wid}-c{k}"
    label, labels, start = axis["label"], axis["labels"], axis["start"]
    if not axis["offline"]:
        return (
            f'<span class="{PREFIX}-fixed">{html.escape(label)} = '
            f"{html.escape(labels[start])}</span>"
        )
    if axis["kind"] == "range":
        return (
            f'<span class="{PREFIX}-control"><label for="{cid}">{html.escape(label)}</label>'
            f'<input type="range" id="{cid}" data-axis="{k}" min="0" max="{len(labels) - 1}" '
            f'step="1" value="{start}" aria-valuetext="{_attr(labels[start])}">'
            f'<output for="{cid}" id="{cid}-value">{html.escape(labels[start])}</output></span>'
        )
    if axis["kind"] == "select":
        options = "".join(
            f'<option value="{i}"{" selected" if i == start else ""}>{html.escape(text)}</option>'
            for i, text in enumerate(labels)
        )
        return (
            f'<span class="{PREFIX}-control"><label for="{cid}">{html.escape(label)}</label>'
            f'<select id="{cid}" data-axis="{k}">{options}</select></span>'
        )
    if axis["kind"] == "toggle":
        checked = " checked" if start == 1 else ""
        return (
            f'<span class="{PREFIX}-control"><input type="checkbox" id="{cid}" data-axis="{k}"'
            f'{checked}><label for="{cid}">{html.escape(label)}</label></span>'
        )
    radios = "".join(
        f'<label><input type="radio" name="{cid}" value="{i}" data-axis="{k}"'
        f"{' checked' if i == start else ''}>{html.escape(text)}</label>"
        for i, text in enumerate(labels)
    )
    return (
        f'<fieldset class="{PREFIX}-control {PREFIX}-radios">'
        f"<legend>{html.escape(label)}</legend>{radios}</fieldset>"
    )


def _start_index(axes: list) -> int:
    flat = 0
    for axis in axes:
        if axis["offline"]:
            flat = flat * len(axis["labels"]) + axis["start"]
    return flat


def frame_alt(title: str, axes: list, point: dict | None = None) -> str:
    """What the picture shows and the settings in words (the page's script says the same)."""
    settings = ", ".join(
        f"{axis['label']} {axis['labels'][(point or {}).get(k, axis['start'])]}"
        for k, axis in enumerate(axes)
    )
    return f"The picture of {title}, with {settings}."


def _css_height(manifest: dict, frame: dict) -> int | None:
    """The picture's height in CSS pixels (from its PNG header), so that the page keeps the
    picture's box when it swaps frames (no reflow); None if the file is not at hand."""
    folder = manifest.get("folder")
    if not folder:
        return None
    try:
        with open(Path(folder) / frame["file"], "rb") as png:
            header = png.read(24)
    except OSError:
        return None
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    return round(manifest["width"] * height / width) if width else None


def widget_html(manifest: dict, wid: str, frames_url: str) -> str:
    """The widget as the site shows it: controls, picture and readout, and their data.

    Its first picture loads with the page (one small file, where the page held the saved
    picture inline before); the others when the reader comes near (``widget_frames.js``).
    """
    axes = manifest["axes"]
    frame = manifest["frames"][_start_index(axes)]
    data = {
        "title": manifest["title"],
        "axes": [
            {k: a[k] for k in ("name", "label", "labels", "values", "start", "offline")}
            for a in axes
        ],
        "files": [f["file"] for f in manifest["frames"]],
        "readouts": [f["readout"] for f in manifest["frames"]],
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    offline = [a for a in axes if a["offline"]]
    fixed = [a for a in axes if not a["offline"]]
    note = "Moves without Python: its pictures were drawn by the widget's own code when the site was built."
    if fixed:
        note += (
            " Here "
            + ", ".join(a["label"] for a in offline)
            + (" moves; " if len(offline) == 1 else " move; ")
            + ", ".join(a["label"] for a in fixed)
            + (" stays" if len(fixed) == 1 else " stay")
            + " at the notebook's setting (every control moves in JupyterLab)."
        )
    controls = "".join(_control_html(axis, wid, k) for k, axis in enumerate(axes))
    height = _css_height(manifest, frame)
    return (
        f'<div class="{PREFIX} xent-widget" id="{wid}" data-frames="{_attr(frames_url)}">'
        f'<script type="application/json" class="{PREFIX}-data">{payload}</script>'
        f'<div class="{PREFIX}-controls" role="group" aria-label="{_attr("Controls: " + manifest["title"])}">'
        f"{controls}</div>"
        f'<img class="{PREFIX}-picture" src="{_attr(frames_url + frame["file"])}" '
        f'width="{manifest["width"]}"'
        + (f' height="{height}"' if height else "")
        + f' alt="{_attr(frame_alt(manifest["title"], axes))}" '
        'decoding="sync">'
        f'<pre class="{PREFIX}-readout xent-widget-readout" aria-live="polite">{html.escape(frame["readout"])}</pre>'
        f'<p class="{PREFIX}-note">{html.escape(note)}</p>'
        "</div>"
    )


def _docname_of(app, path: Path) -> str:
    return Path(path).relative_to(app.srcdir).with_suffix("").as_posix()


def on_builder_inited(app) -> None:
    if app.builder.format != "html":
        return
    srcdir = Path(app.srcdir)
    pages = sorted(srcdir.glob("[0-9][0-9]_*.ipynb")) + sorted(
        srcdir.glob("solutions/[0-9][0-9]_*.ipynb")
    )
    # A lesson renders from its solution notebook when there is one: the learner's page
    # takes the same frames for each widget whose cell is the same in both.
    sources: dict[Path, Path] = {}
    for page in pages:
        solution = srcdir / "solutions" / page.name
        sources[page] = solution if solution.is_file() else page
    to_render = sorted(set(sources.values()))
    cache = Path(os.environ.get("XENT_WIDGET_FRAMES_CACHE") or CACHE)
    folders = make_frames(to_render, cache)
    _MANIFESTS.clear()
    for page in pages:
        page_cells = widget_cells(page)
        source_cells = widget_cells(sources[page])
        found = []
        for k, cell in enumerate(page_cells):
            folder = None
            if k < len(source_cells) and source_cells[k].source == cell.source:
                folder = folders[sources[page]][k]
            manifest = None
            if folder is not None:
                manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
                manifest["folder"] = str(folder)
            found.append(manifest)
        _MANIFESTS[_docname_of(app, page)] = found


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    """The pages to read again because their widgets' frames changed (a page read before is
    otherwise kept as it was, with the frames of then or none)."""
    new = {doc: [m and m["folder"] for m in found] for doc, found in _MANIFESTS.items()}
    old = getattr(env, "xent_frame_folders_by_doc", {})
    env.xent_frame_folders_by_doc = new
    return [doc for doc, folders in new.items() if old.get(doc) != folders]


def on_source_read(app, docname: str, source: list[str]) -> None:
    manifests = _MANIFESTS.get(docname)
    if not manifests:
        return
    nb = json.loads(source[0])
    depth = docname.count("/")
    frames_url = "../" * depth + SITE_DIR + "/"
    k = 0
    for cell in nb.get("cells", []):
        outputs = cell.get("outputs", [])
        if not any(WIDGET_VIEW in out.get("data", {}) for out in outputs):
            continue
        manifest = manifests[k] if k < len(manifests) else None
        k += 1
        if manifest is None:
            continue  # xent_site shows the saved picture
        for out in outputs:
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                data["text/html"] = widget_html(manifest, f"{PREFIX}-{k}", frames_url)
    source[0] = json.dumps(nb)


def on_build_finished(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / SITE_DIR
    target.mkdir(parents=True, exist_ok=True)
    for manifests in _MANIFESTS.values():
        for manifest in manifests:
            if manifest is None:
                continue
            folder = Path(manifest["folder"])
            for name in {frame["file"] for frame in manifest["frames"]}:
                if not (target / name).exists():
                    shutil.copy2(folder / name, target / name)


def setup(app):
    app.connect("builder-inited", on_builder_inited)
    # Before xent_site's handler (priority 500), which shows every other widget as saved.
    app.connect("source-read", on_source_read, priority=400)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("build-finished", on_build_finished)
    app.add_js_file("widget_frames.js", defer="defer")
    app.add_css_file("widget_frames.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1:]))
