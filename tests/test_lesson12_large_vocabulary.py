"""Lesson 12: the checkers (reference solutions accepted, typical mistakes named), the
widget, the plots and peak_memory."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure
from notebook_code import solution_function

import xent_lessons as xl
from xent_lessons.plots.large_vocabulary import CHUNK, LOGITS_GRAD, PARAM_GRADS, SAVED

NOTEBOOK = "12_large_vocabularies"


# ---------------------------------------------------------------- online_logsumexp


def test_online_logsumexp_accepts_the_reference_solution():
    result = xl.check.online_logsumexp(solution_function(NOTEBOOK, "online_logsumexp"))
    assert result.status == "passed", result.message


def online_no_rescale(blocks):
    m = s = None
    for block in blocks:
        new_m = block.max(axis=1) if m is None else np.maximum(m, block.max(axis=1))
        part = np.exp(block - new_m[:, None]).sum(axis=1)
        s = part if s is None else s + part  # forgot s * exp(m - new_m)
        m = new_m
    return m + np.log(s)


def online_flipped_rescale(blocks):
    m = s = None
    for block in blocks:
        if m is None:
            m = block.max(axis=1)
            s = np.exp(block - m[:, None]).sum(axis=1)
            continue
        new_m = np.maximum(m, block.max(axis=1))
        s = s * np.exp(new_m - m) + np.exp(block - new_m[:, None]).sum(axis=1)
        m = new_m
    return m + np.log(s)


def online_forgot_the_max(blocks):
    m = s = None
    for block in blocks:
        new_m = block.max(axis=1) if m is None else np.maximum(m, block.max(axis=1))
        part = np.exp(block - new_m[:, None]).sum(axis=1)
        s = part if s is None else s * np.exp(m - new_m) + part
        m = new_m
    return np.log(s)


def online_two_passes(blocks):
    m = np.max([b.max(axis=1) for b in blocks], axis=0)
    s = sum(np.exp(b - m[:, None]).sum(axis=1) for b in blocks)
    return m + np.log(s)


def online_keeps_everything(blocks):
    z = np.concatenate(list(blocks), axis=1)
    return xl.logsumexp(z, axis=1)


def online_naive(blocks):
    total = None
    for block in blocks:
        part = np.exp(block).sum(axis=1)
        total = part if total is None else total + part
    return np.log(total)


def online_last_block(blocks):
    for block in blocks:
        m = block.max(axis=1)
        s = np.exp(block - m[:, None]).sum(axis=1)
    return m + np.log(s)


def online_max_of_first_block(blocks):
    m = s = None
    for block in blocks:
        if m is None:
            m = block.max(axis=1)  # never updated afterwards
            s = np.zeros(len(m))
        s = s + np.exp(block - m[:, None]).sum(axis=1)
    return m + np.log(s)


def online_max_from_zero(blocks):
    m = s = None
    for block in blocks:
        if m is None:
            m, s = np.zeros(len(block)), np.zeros(len(block))  # should start at -inf
        new_m = np.maximum(m, block.max(axis=1))
        s = s * np.exp(m - new_m) + np.exp(block - new_m[:, None]).sum(axis=1)
        m = new_m
    return m + np.log(s)


def online_log2(blocks):
    m = s = None
    for block in blocks:
        new_m = block.max(axis=1) if m is None else np.maximum(m, block.max(axis=1))
        part = np.exp(block - new_m[:, None]).sum(axis=1)
        s = part if s is None else s * np.exp(m - new_m) + part
        m = new_m
    return m + np.log2(s)


def online_all_in_base_2(blocks):
    m = s = None
    for block in blocks:
        new_m = block.max(axis=1) if m is None else np.maximum(m, block.max(axis=1))
        part = np.exp2((block - new_m[:, None]) / np.log(2)).sum(axis=1)
        s = part if s is None else s * np.exp(m - new_m) + part
        m = new_m
    return (m + np.log(s)) / np.log(2)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        # issue 22: the running max never updated passed all 7 cases (8 never overflows)
        (online_max_of_first_block, ["arrives last, and is large (800)", "never updated", "exp(800)"]),
        (online_max_from_zero, ["large logits", "starts at 0", "-inf"]),
        (online_log2, ["np.log2 of the running sum", "natural log"]),
        (online_all_in_base_2, ["in bits (log2)"]),
        (online_no_rescale, ["OLD max"]),
        (online_flipped_rescale, ["upside down"]),
        (online_forgot_the_max, ["add the max back"]),
        (online_two_passes, ["read only once"]),
        (online_keeps_everything, ["20 blocks", "no list of blocks"]),
        (online_naive, ["large logits", "exp(1000) overflows"]),
        (online_last_block, ["last block only"]),
    ],
)
def test_online_logsumexp_names_the_mistake(wrong, words):
    result = xl.check.online_logsumexp(wrong)
    assert result.status == "failed"
    for word in words:
        assert word in result.message, result.message


def test_online_logsumexp_stub_is_not_attempted():
    def stub(blocks):
        raise NotImplementedError

    assert xl.check.online_logsumexp(stub).status == "not attempted"


# ---------------------------------------------------- chunked_linear_cross_entropy


def test_chunked_linear_cross_entropy_accepts_the_reference_solution():
    fn = solution_function(NOTEBOOK, "chunked_linear_cross_entropy")
    result = xl.check.chunked_linear_cross_entropy(fn)
    assert result.status == "passed", result.message


def _chunked(hidden, weight, bias, target, budget_bytes, *, rows=None, mean_of_means=False,
             overwrite=False, divide=True, full=False, use_bias=True):  # fmt: skip
    n, v = hidden.shape[0], weight.shape[0]
    rows = n if full else rows or max(1, budget_bytes // (3 * v * 8))
    losses, d_h = [], np.zeros_like(hidden)
    d_w, d_b = np.zeros_like(weight), np.zeros_like(bias)
    for s in range(0, n, rows):
        h, y = hidden[s : s + rows], target[s : s + rows]
        z = h @ weight.T + (bias if use_bias else 0)
        idx = np.arange(len(y))
        row_loss = xl.logsumexp(z, axis=1) - z[idx, y]
        losses.append(row_loss.mean() if mean_of_means else row_loss.sum())
        g = xl.softmax(z, axis=1)
        g[idx, y] -= 1
        if divide:
            g /= n
        d_h[s : s + rows] = g @ weight
        if overwrite:
            d_w, d_b = g.T @ h, g.sum(axis=0)
        else:
            d_w += g.T @ h
            d_b += g.sum(axis=0)
    loss = float(np.mean(losses)) if mean_of_means else float(np.sum(losses)) / n
    return loss, d_h, d_w, d_b


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"mean_of_means": True}, ["mean of the chunks' means", "divide by N once"]),
        ({"overwrite": True}, ["only the last chunk's share", "+="]),
        ({"divide": False}, ["N times too large"]),
        ({"use_bias": False}, ["bias is missing"]),
        ({"full": True}, ["staying within the budget", "full (N, V) logits"]),
        ({"rows": 50}, ["staying within the budget", "more than the budget"]),
    ],
)
def test_chunked_linear_cross_entropy_names_the_mistake(options, words):
    def wrong(hidden, weight, bias, target, budget_bytes):
        return _chunked(hidden, weight, bias, target, budget_bytes, **options)

    result = xl.check.chunked_linear_cross_entropy(wrong)
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, result.message


def _lean_chunks(hidden, weight, bias, target, budget_bytes, *, free_each_chunk):
    # The leanest loop: ONE (rows, V) array per chunk, everything else in place, so it
    # counts one array, rows = budget // (V * 8); with or without a `del` at the end.
    n, v = hidden.shape[0], weight.shape[0]
    rows = max(1, budget_bytes // (v * 8))
    loss = 0.0
    d_h, d_w, d_b = np.zeros_like(hidden), np.zeros_like(weight), np.zeros_like(bias)
    for start in range(0, n, rows):
        h, y = hidden[start : start + rows], target[start : start + rows]
        idx = np.arange(len(y))
        z = h @ weight.T
        z += bias
        z_max = z.max(axis=1, keepdims=True)
        picked = z[idx, y]
        z -= z_max
        np.exp(z, out=z)
        total = z.sum(axis=1, keepdims=True)
        loss += np.sum(np.log(total[:, 0]) + z_max[:, 0] - picked)
        z /= total                                  # the softmax, in place: now g
        z[idx, y] -= 1
        z /= n
        d_h[start : start + rows] = z @ weight
        d_w += z.T @ h
        d_b += z.sum(axis=0)
        if free_each_chunk:
            del z
    return loss / n, d_h, d_w, d_b


def test_chunked_linear_cross_entropy_names_the_previous_chunk_kept_alive():
    # issue 22: every array counted, but the last chunk's z, e, g live on while the next
    # chunk's are made; the hint must say so (del), and the same loop with `del` passes.
    def kept(*args):
        return _lean_chunks(*args, free_each_chunk=False)

    def freed(*args):
        return _lean_chunks(*args, free_each_chunk=True)

    result = xl.check.chunked_linear_cross_entropy(kept)
    assert result.status == "failed", result.message
    for word in ("staying within the budget", "previous chunk's arrays", "del z"):
        assert word in result.message, result.message
    assert xl.check.chunked_linear_cross_entropy(freed).status == "passed"


def test_chunked_linear_cross_entropy_names_a_missing_target_and_overflow():
    def no_target(hidden, weight, bias, target, budget_bytes):
        z = hidden @ weight.T + bias
        g = xl.softmax(z, axis=1) / len(target)
        loss = float(np.mean(xl.logsumexp(z, axis=1) - z[np.arange(len(target)), target]))
        return loss, g @ weight, g.T @ hidden, g.sum(axis=0)

    def overflow(hidden, weight, bias, target, budget_bytes):
        z = hidden @ weight.T + bias
        e = np.exp(z)
        g = e / e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(e.sum(axis=1)) - z[np.arange(len(target)), target]))
        g[np.arange(len(target)), target] -= 1
        g /= len(target)
        return loss, g @ weight, g.T @ hidden, g.sum(axis=0)

    message = xl.check.chunked_linear_cross_entropy(no_target).message
    assert "one-hot target" in message, message
    message = xl.check.chunked_linear_cross_entropy(overflow).message
    assert "logits of several hundred" in message and "overflows" in message, message


def test_chunked_linear_cross_entropy_stub_and_wrong_tuple():
    def stub(hidden, weight, bias, target, budget_bytes):
        raise NotImplementedError

    assert xl.check.chunked_linear_cross_entropy(stub).status == "not attempted"

    def two_parts(hidden, weight, bias, target, budget_bytes):
        return 0.0, hidden

    result = xl.check.chunked_linear_cross_entropy(two_parts)
    assert result.status == "failed" and "return loss, d_hidden, d_weight, d_bias" in result.message


# ------------------------------------------------------------------------- widget


MEASURED = {"shape": (1024, 32000, 64, 4), "points": [("torch", 1024, 3.9e8), ("c64", 64, 1.7e7)]}


def test_vocabulary_memory_follows_the_sliders():
    w = xl.widgets.vocabulary_memory(
        n_rows=1024, n_classes=32000, n_hidden=64, chunk_size=64, measured=MEASURED
    )
    assert set(w.controls) == {"n_rows", "n_classes", "n_hidden", "chunk_size", "dtype"}
    logits = 1024 * 32000 * 4
    bars = w.artists["bars"]
    assert bars["torch", SAVED].get_width() == pytest.approx(logits / 1e6)  # in MB here
    assert bars["chunked", CHUNK].get_width() == pytest.approx(64 * 32000 * 4 / 1e6)
    grads = (1024 * 64 + 32000 * 64 + 32000) * 4
    assert bars["chunked", PARAM_GRADS].get_width() == pytest.approx(grads / 1e6)
    assert w.artists["points"].get_visible()
    assert "at N = 1024, V = 32000, H = 64" in w.readout_text

    w.controls["chunk_size"].value = 256
    assert bars["chunked", CHUNK].get_width() == pytest.approx(256 * 32000 * 4 / 1e6)
    assert list(w.artists["current"].get_xdata()) == [256, 256]
    assert "chunked (256 rows)" in w.readout_text

    w.controls["n_classes"].value = 128256
    assert not w.artists["points"].get_visible()  # measured at another size
    assert "set the sliders there" in w.readout_text
    w.controls["dtype"].value = 2
    assert "× 2 B" in w.readout_text
    torch_total = sum(b.get_width() for (m, _), b in bars.items() if m == "torch")
    assert torch_total == pytest.approx(3 * 1024 * 128256 * 2 / 1e6)
    chunked = w.artists["chunked"].get_ydata()
    assert np.all(np.diff(chunked) >= 0)  # more rows a chunk, more memory


def test_vocabulary_memory_torch_peak_moves_to_the_gradients_when_they_are_larger():
    w = xl.widgets.vocabulary_memory(n_rows=256, n_classes=32000, n_hidden=8192, chunk_size=64)
    bars = w.artists["bars"]
    assert bars["torch", SAVED].get_width() == 0  # 2 N V b < G: the peak is at dW
    assert bars["torch", PARAM_GRADS].get_width() > 0
    assert bars["torch", LOGITS_GRAD].get_width() > 0


def test_vocabulary_memory_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_classes must be one of"):
        xl.widgets.vocabulary_memory(n_classes=1000)
    with pytest.raises(ValueError, match="dtype must be one of"):
        xl.widgets.vocabulary_memory(dtype="int8")


# -------------------------------------------------------------------------- plots


def test_predicted_memory_is_the_lesson_arithmetic():
    parts = xl.plots.predicted_memory(8192, 128256, 4096, 1024, 4)
    logits = 8192 * 128256 * 4
    assert sum(parts["torch"].values()) == 3 * logits
    grads = (8192 * 4096 + 128256 * 4096 + 128256) * 4
    assert parts["chunked"] == {CHUNK: 1024 * 128256 * 4, PARAM_GRADS: grads}
    assert xl.plots.predicted_memory(10, 5, 2, 100, 8)["chunked"][CHUNK] == 10 * 5 * 8


def test_memory_breakdown_and_chunk_plots_return_their_data():
    ax = Figure().subplots()
    art = xl.plots.memory_breakdown_bars(ax, xl.plots.predicted_memory(1024, 32000, 64, 64, 4))
    assert art["unit"][0] == "MB"
    assert art["totals"]["torch"].get_text() == f"{3 * 1024 * 32000 * 4 / 1e6:.0f} MB"
    ax = Figure().subplots()
    art = xl.plots.memory_vs_chunk_size(
        ax, [1, 4, 16], {"chunked": [2e6, 4e6, 8e6], "torch": 3e7}, measured=[("p", 4, 5e6)]
    )
    np.testing.assert_allclose(art["lines"]["torch"].get_ydata(), [30.0] * 3)
    np.testing.assert_allclose(art["points"].get_offsets(), [[4.0, 5.0]])
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_online_trace_ends_at_the_logsumexp(rng):
    z = rng.normal(0.0, 2.0, 101)
    art = xl.plots.online_logsumexp_trace(Figure().subplots(), z, 10)
    estimate = art["estimate"].get_ydata()
    assert estimate[-1] == pytest.approx(xl.logsumexp(z), rel=1e-14)
    assert np.all(np.diff(estimate) >= 0)  # each block can only raise it
    assert list(art["estimate"].get_xdata())[-1] == 101
    with pytest.raises(ValueError, match="block_size"):
        xl.plots.online_logsumexp_trace(Figure().subplots(), z, 0)


def test_gradient_histogram_samples_large_inputs(rng):
    values = 10.0 ** rng.uniform(-9, -2, 500_000)
    ax = Figure().subplots()
    art = xl.plots.gradient_entry_histogram(ax, values, {"bf16": 2.0**-12})
    shares = [bar.get_height() for bar in art["bars"]]
    assert sum(shares) == pytest.approx(100.0)
    assert art["thresholds"]["bf16"].get_xdata()[0] == pytest.approx(-12 * np.log10(2))


# -------------------------------------------------------------------- peak_memory


def test_peak_memory_counts_numpy_allocations_exactly():
    report = xl.peak_memory(np.ones, (6000, 1000))  # 48 MB: a fresh mapping, not reused heap
    assert report.result.shape == (6000, 1000)
    assert 48_000_000 <= report.traced_bytes < 48_010_000
    if report.resident_bytes is not None:  # Linux: the pages were written
        assert report.resident_bytes >= 40_000_000

    def temporary():
        big = np.ones(2_000_000)  # 16 MB, freed before the return
        return float(big.sum())

    assert xl.peak_memory(temporary).traced_bytes >= 16_000_000
    with pytest.raises(TypeError, match="fn must be callable"):
        xl.peak_memory(3)


def _legend_covers(ax):
    """The measured points' labels and markers that the axes' legend covers."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PathCollection
    from matplotlib.text import Annotation

    canvas = FigureCanvasAgg(ax.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    covered = [t.get_text() for t in ax.texts
               if isinstance(t, Annotation) and legend.overlaps(t.get_window_extent(renderer))]
    for points in (c for c in ax.collections if isinstance(c, PathCollection)):
        radius = np.sqrt(points.get_sizes().max()) / 2 * ax.figure.dpi / 72  # the marker, in pixels
        padded = legend.expanded(1 + 2 * radius / legend.width, 1 + 2 * radius / legend.height)
        for x, y in ax.transData.transform(points.get_offsets()):
            if padded.contains(x, y):
                covered.append((x, y))
    return covered


def test_memory_vs_chunk_size_legend_covers_no_measured_point():
    # issue 22: the legend covered a measured point and its label, in the notebook's figure
    # (chunks up to 1024 rows) and in the widget (up to N)
    n, v, h = 1024, 32000, 64
    measured = [("chunks of 32", 32, 13.1e6), ("chunks of 128", 128, 25.4e6), ("chunks of 512", 512, 74.5e6)]
    fig = Figure(figsize=(10.0, 3.8), layout="constrained")
    _, ax = fig.subplots(1, 2, width_ratios=(1.1, 1))
    sizes = np.array([2**k for k in range(11)])
    predicted = [sum(xl.plots.predicted_memory(n, v, h, int(c), 4)["chunked"].values()) for c in sizes]
    torch_bytes = sum(xl.plots.predicted_memory(n, v, h, 1, 4)["torch"].values())
    xl.plots.memory_vs_chunk_size(ax, sizes, {"chunked (predicted)": predicted, "torch (predicted)": torch_bytes},
                                  measured=measured, current=128)
    assert _legend_covers(ax) == []
    w = xl.widgets.vocabulary_memory(n_rows=n, n_classes=v, n_hidden=h, chunk_size=128, dtype="float32",
                                     measured={"shape": (n, v, h, 4), "points": measured})
    chunk_axes = [a for a in w.figure.axes if a.get_xscale() == "log"]
    assert len(chunk_axes) == 1 and _legend_covers(chunk_axes[0]) == []
