"""Widget of lesson 12: the memory of a large vocabulary's loss, predicted and measured."""

from __future__ import annotations

import numpy as np

from ..plots.large_vocabulary import (
    _set_memory_breakdown,
    memory_breakdown_bars,
    memory_vs_chunk_size,
    predicted_memory,
)
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["vocabulary_memory"]

ROWS = tuple(2**k for k in range(8, 17))  # N: 256 ... 65,536 positions
HIDDEN = tuple(2**k for k in range(5, 14))  # H: 32 ... 8192
CHUNKS = tuple(2**k for k in range(0, 17))  # 1 ... 65,536 rows
VOCABULARIES = {
    "32,000 (Llama 2)": 32000,
    "50,257 (GPT-2)": 50257,
    "128,256 (Llama 3)": 128256,
    "256,000 (Gemma)": 256000,
}
DTYPES = {"float32 (4 B)": 4, "bfloat16 (2 B)": 2, "float64 (8 B)": 8}


def _nearest(options, value):
    return min(options, key=lambda o: abs(np.log(o) - np.log(value)))


# On the site: the sizes of the "Try this" (Llama 3's V and H, N = 8192 and its double) and
# the ends of each range; the chunk and the number format stay at the notebook's setting.
@site_grid(
    n_rows=Values(256, 8192, 16384, 65536),
    n_classes=Every(),
    n_hidden=Values(32, 4096, 8192),
)
def vocabulary_memory(
    n_rows=8192, n_classes=128256, n_hidden=4096, chunk_size=1024, dtype="float32", measured=None
):
    """Sliders for N, V, H, the chunk size and the dtype; the predicted memory of the loss.

    Left: the extra peak memory of one forward and backward of the output layer's loss,
    part by part, for PyTorch (three arrays of the logits' size) and for the chunked,
    fused version (one chunk of logits and the gradients). Right: the chunked version's
    memory against the chunk size, with torch's as a flat line and, when the sliders are at
    the size they were measured at, the points measured in the notebook.

    Parameters
    ----------
    n_rows, n_hidden, chunk_size : int, optional
        Starting N, H and chunk size (each moved to the nearest power of 2 of its slider).
    n_classes : int, optional
        Starting V; one of 32000, 50257, 128256, 256000.
    dtype : {"float32", "bfloat16", "float64"}
        Bytes per number of every array (bfloat16 and float16 both take 2).
    measured : dict, optional
        ``{"shape": (N, V, H, itemsize), "points": [(label, chunk_size, bytes), ...]}``:
        measured extra peaks, drawn on the right while the sliders match ``shape``.

    Returns
    -------
    FigureWidget
        Controls ``"n_rows"``, ``"n_classes"``, ``"n_hidden"``, ``"chunk_size"``,
        ``"dtype"``; artists ``"bars"``, ``"totals"`` (left), ``"chunked"``, ``"torch"``,
        ``"current"`` and ``"points"`` (right).

    Examples
    --------
    >>> w = vocabulary_memory()
    >>> w.readout_text.splitlines()[0]
    'logits: 8192 × 128256 × 4 B = 4.20 GB.  torch: 12.6 GB;  chunked (1024 rows): 2.76 GB (0.22×)'
    >>> w.controls["chunk_size"].value = 64
    >>> w.readout_text.splitlines()[0]
    'logits: 8192 × 128256 × 4 B = 4.20 GB.  torch: 12.6 GB;  chunked (64 rows): 2.27 GB (0.18×)'
    """
    import ipywidgets as widgets

    if n_classes not in VOCABULARIES.values():
        raise ValueError(f"n_classes must be one of {sorted(VOCABULARIES.values())}; got {n_classes}")
    dtype_names = {name.split()[0]: name for name in DTYPES}
    if dtype not in dtype_names:
        raise ValueError(f"dtype must be one of {sorted(dtype_names)}; got {dtype!r}")
    points = list((measured or {}).get("points", ()))
    measured_shape = tuple((measured or {}).get("shape", ())) or None

    fig, (ax_bars, ax_chunk) = new_figure(1, 2, figsize=(9.6, 3.8), width_ratios=(1.1, 1))
    start = {
        "n_rows": _nearest(ROWS, n_rows),
        "n_classes": n_classes,
        "n_hidden": _nearest(HIDDEN, n_hidden),
        "chunk_size": _nearest(CHUNKS, chunk_size),
        "itemsize": DTYPES[dtype_names[dtype]],
    }
    parts = predicted_memory(*start.values())
    bars = memory_breakdown_bars(ax_bars, parts, title="at the peak, part by part")
    chunks = np.array(CHUNKS, dtype=np.float64)

    def curves(n, v, h, b):
        chunked = [sum(predicted_memory(n, v, h, c, b)["chunked"].values()) for c in CHUNKS]
        torch_total = sum(predicted_memory(n, v, h, 1, b)["torch"].values())
        return np.array(chunked), torch_total

    chunked0, torch0 = curves(start["n_rows"], n_classes, start["n_hidden"], start["itemsize"])
    right = memory_vs_chunk_size(
        ax_chunk,
        chunks,
        {"chunked, fused (predicted)": chunked0, "torch (predicted)": torch0},
        measured=points,
        current=start["chunk_size"],
    )
    ax_chunk.set_title("the chunked version against its chunk size")
    line_chunked, line_torch = right["lines"].values()
    labels = [t for t in ax_chunk.texts]  # the measured points' labels

    state = {}  # the axes' limits: the static part of the picture, drawn once per state

    def update(n_rows, n_classes, n_hidden, chunk_size, dtype):
        b = dtype  # the menu's value: bytes per number
        parts = predicted_memory(n_rows, n_classes, n_hidden, chunk_size, b)
        state["bars"] = _set_memory_breakdown(bars, ax_bars, parts)
        chunked, torch_total = curves(n_rows, n_classes, n_hidden, b)
        line_chunked.set_ydata(chunked / 1e6)
        line_torch.set_ydata(np.full(chunks.size, torch_total / 1e6))
        right["current"].set_xdata([chunk_size, chunk_size])
        here = measured_shape == (n_rows, n_classes, n_hidden, b)
        for artist in [right["points"], *labels]:
            if artist is not None:
                artist.set_visible(here)
        low = min(chunked.min(), torch_total, *(p[2] for p in points if here)) / 1e6
        high = max(chunked.max(), torch_total, *(p[2] for p in points if here)) / 1e6
        limits = (10.0 ** np.floor(np.log10(low / 1.5)), 10.0 ** np.ceil(np.log10(high * 2.5)))
        if ax_chunk.get_ylim() != limits:
            ax_chunk.set_ylim(*limits)
        state["chunk"] = limits
        logits = n_rows * n_classes * b
        total = sum(parts["chunked"].values())
        torch_peak = sum(parts["torch"].values())
        text = (
            f"logits: {n_rows} × {n_classes} × {b} B = {logits / 1e9:.2f} GB.  "
            f"torch: {torch_peak / 1e9:.3g} GB;  chunked ({min(chunk_size, n_rows)} rows): "
            f"{total / 1e9:.3g} GB ({total / torch_peak:.2f}×)"
        )
        if measured_shape is not None:
            n0, v0, h0, b0 = measured_shape
            text += (
                f"\nmeasured points: at N = {n0}, V = {v0}, H = {h0}, {b0} B a number"
                + ("" if here else " (set the sliders there to see them)")
            )
        return text

    slider = {"style": {"description_width": "initial"}}
    controls = {
        "n_rows": widgets.SelectionSlider(
            options=ROWS, value=start["n_rows"], description="rows N",
            layout=widgets.Layout(width="300px"), **slider
        ),
        "n_classes": widgets.Dropdown(
            options=list(VOCABULARIES.items()),
            value=n_classes,
            description="vocabulary V",
            layout=widgets.Layout(width="240px"),
            style={"description_width": "initial"},
        ),
        "n_hidden": widgets.SelectionSlider(
            options=HIDDEN, value=start["n_hidden"], description="hidden H",
            layout=widgets.Layout(width="300px"), **slider
        ),
        "chunk_size": widgets.SelectionSlider(
            options=CHUNKS, value=start["chunk_size"], description="chunk",
            layout=widgets.Layout(width="300px"), **slider
        ),
        "dtype": widgets.Dropdown(
            options=list(DTYPES.items()),
            value=start["itemsize"],
            description="dtype",
            layout=widgets.Layout(width="180px"),
            style={"description_width": "initial"},
        ),
    }
    artists = {
        "bars": bars["bars"],
        "totals": bars["totals"],
        "chunked": line_chunked,
        "torch": line_torch,
        "current": right["current"],
        "points": right["points"],
    }
    moving = [*bars["bars"].values(), *bars["totals"].values(), line_chunked, line_torch]
    moving += [right["current"], *labels] + ([right["points"]] if right["points"] else [])
    for control in controls.values():
        control.layout.flex = "0 0 auto"  # keep each control's width: the tracks stay usable
    widget = FigureWidget(
        "memory of a large vocabulary's loss",
        fig,
        controls,
        update,
        artists,
        moving=moving,
        static_key=lambda: (state["bars"], state["chunk"]),
    )
    # Five controls do not fit in one row of a notebook cell: let them wrap onto two.
    widget.box.children[0].layout.flex_flow = "row wrap"
    return widget
