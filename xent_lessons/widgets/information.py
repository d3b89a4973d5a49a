"""Lesson 01's widgets: a coin's bias, a loaded die, and a Huffman code to play with.

All three count in bits, the natural unit for coin flips and code lengths.
"""

from __future__ import annotations

import numpy as np

from ..huffman import huffman_code
from ..information import entropy, surprisal
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["coin_entropy", "huffman_explorer", "loaded_die"]

DIE_FACES = ("1", "2", "3", "4", "5", "6")
CODE_SYMBOLS = ("A", "B", "C", "D", "E")


def _weight_sliders(names, values, low, high):
    import ipywidgets as widgets

    return {
        name: widgets.IntSlider(
            value=int(v),
            min=low,
            max=high,
            step=1,
            description=name,
            orientation="vertical",
            layout=widgets.Layout(height="150px", width="56px"),
        )
        for name, v in zip(names, values, strict=True)
    }


def _check_weights(weights, n, low, high, name="weights"):
    w = np.asarray(weights)
    if w.shape != (n,):
        raise ValueError(f"{name} must hold {n} numbers; got shape {w.shape}")
    if w.dtype.kind not in "iu" and not np.all(np.mod(w, 1) == 0):
        raise ValueError(f"{name} must be whole numbers (the sliders move in steps of 1)")
    if w.min() < low or w.max() > high:
        raise ValueError(f"{name} must be between {low} and {high}; got {w.tolist()}")
    return w.astype(int)


@site_grid(bias=Every())
def coin_entropy(bias=0.7):
    """A bias slider for a coin: the point on the entropy curve, and each side's surprisal.

    Parameters
    ----------
    bias : float
        The starting probability of heads, in [0, 1].

    Returns
    -------
    FigureWidget
        Controls: ``"bias"`` (FloatSlider). Artists: ``"point"`` (on the entropy curve),
        ``"bars"`` (surprisal of heads and tails, in bits), ``"entropy_line"``.

    Examples
    --------
    >>> w = coin_entropy(bias=0.5)
    >>> list(w.artists["point"].get_ydata())
    [1.0]
    >>> w.controls["bias"].value = 0.25
    >>> [round(float(bar.get_height()), 3) for bar in w.artists["bars"]]
    [2.0, 0.415]
    """
    import ipywidgets as widgets

    from .. import plots
    from ..plots.information import update_surprisal_bars

    if not 0 <= bias <= 1:
        raise ValueError(f"bias must be in [0, 1]; got {bias!r}")
    fig, (ax_curve, ax_bars) = new_figure(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    curve = plots.binary_entropy_curve(ax_curve, bias=bias)
    bars = plots.surprisal_bars(
        ax_bars, [bias, 1 - bias], ["heads", "tails"], title="Surprisal of each side"
    )
    slider = widgets.FloatSlider(
        value=bias, min=0.0, max=1.0, step=0.01, description="P(heads)", readout_format=".2f"
    )

    def update(bias):
        p = np.array([bias, 1 - bias])
        h = update_surprisal_bars(ax_bars, bars, p)
        curve["point"].set_data([bias], [h])
        s_heads, s_tails = (f"{s:.2f}" if s < np.inf else "∞" for s in surprisal(p, base=2))
        return (
            f"P(heads) = {p[0]:.2f}: surprisal of heads {s_heads} bits, "
            f"of tails {s_tails} bits\n"
            f"H = {p[0]:.2f} × {s_heads} + {p[1]:.2f} × {s_tails} = {h:.3f} bits"
            + ("   (0 × ∞ counts as 0: an impossible side adds nothing)" if h == 0 else "")
        )

    artists = {
        "point": curve["point"],
        "curve": curve["curve"],
        "bars": bars["bars"],
        "values": bars["values"],
        "entropy_line": bars["entropy_line"],
    }
    return FigureWidget(
        "the entropy of a coin, as its bias changes", fig, {"bias": slider}, update, artists
    )


@site_grid(**{"1": Every(), "6": Every()})
def loaded_die(weights=(1, 1, 1, 1, 1, 5)):
    """Six weight sliders (0 to 10) make a die's distribution; see its entropy and the maximum.

    Parameters
    ----------
    weights : sequence of 6 ints
        Starting weights of the faces 1 to 6, each 0 to 10; the probabilities are the
        weights divided by their sum.

    Returns
    -------
    FigureWidget
        Controls ``"1"`` to ``"6"`` (vertical IntSliders). Artists: ``"bars"`` (the six
        probabilities), ``"gauge"`` (a bar as tall as H(p) in bits), ``"gauge_value"``.

    Examples
    --------
    >>> w = loaded_die(weights=(1, 1, 1, 1, 1, 1))
    >>> round(float(w.artists["gauge"].get_height()), 6)
    2.584963
    >>> w.controls["6"].value = 0
    >>> [round(float(bar.get_height()), 6) for bar in w.artists["bars"]]
    [0.2, 0.2, 0.2, 0.2, 0.2, 0.0]
    """
    from .. import plots

    weights = _check_weights(weights, 6, 0, 10)
    h_max = float(np.log2(6))
    fig, (ax_bars, ax_gauge) = new_figure(1, 2, gridspec_kw={"width_ratios": [4, 1]})
    total = weights.sum()
    p0 = weights / total if total > 0 else np.zeros(6)
    bars = plots.outcome_probabilities(
        ax_bars,
        p0,
        [f"face {f}" for f in DIE_FACES],
        reference=1 / 6,
        ylim=1.0,
        title="A loaded die: p(face)",
    )
    gauge = plots.entropy_gauge(ax_gauge, 0.0, h_max, base=2)
    controls = _weight_sliders(DIE_FACES, weights, 0, 10)

    def update(**values):
        w = np.array([values[f] for f in DIE_FACES], dtype=float)
        if w.sum() == 0:
            for bar in bars["bars"]:
                bar.set_height(0.0)
            gauge["bar"].set_height(0.0)
            gauge["value"].set_text("H(p) = ?")
            return "All weights are 0: that is not a distribution. Raise at least one."
        p = w / w.sum()
        for bar, pi in zip(bars["bars"], p, strict=True):
            bar.set_height(pi)
        h = entropy(p, base=2)
        gauge["bar"].set_height(h)
        gauge["value"].set_text(f"H(p) = {h:.3f}")
        return (
            "p = [" + ", ".join(f"{x:.3f}" for x in p) + "]\n"
            f"H(p) = {h:.3f} bits; the maximum, log2(6) = {h_max:.3f} bits, "
            f"needs a fair die ({h / h_max:.0%} of it here)"
        )

    artists = {
        "bars": bars["bars"],
        "reference": bars["reference"],
        "gauge": gauge["bar"],
        "gauge_value": gauge["value"],
    }
    return FigureWidget("a loaded die: six weights, one entropy", fig, controls, update, artists)


@site_grid(A=Every(), B=Values(1, 4, 8, 20))
def huffman_explorer(weights=(8, 4, 2, 1, 1)):
    """Five weight sliders (1 to 20) make a distribution; see its Huffman code, H and L.

    Parameters
    ----------
    weights : sequence of 5 ints
        Starting weights of the symbols A to E, each 1 to 20 (every symbol stays possible).
        The default gives probabilities 1/2, 1/4, 1/8, 1/16, 1/16: powers of 1/2, where
        the code's average length equals the entropy exactly.

    Returns
    -------
    FigureWidget
        Controls ``"A"`` to ``"E"`` (vertical IntSliders). Artists: ``"ideal"`` (bars of
        ``-log2 p``), ``"lengths"`` (bars of codeword lengths), ``"codewords"`` (Texts),
        and, on the narrow axes that zooms in on the averages, ``"entropy_line"``,
        ``"length_line"``, ``"bound_line"`` (at H + 1), ``"overhead_band"`` (from H to L)
        and ``"overhead_title"`` (which reads L − H). The readout shows the code table.

    Examples
    --------
    >>> w = huffman_explorer()
    >>> [t.get_text() for t in w.artists["codewords"]]
    ['0', '10', '110', '1110', '1111']
    >>> w.controls["A"].value = 1
    >>> w.artists["length_line"].get_ydata()[0] > w.artists["entropy_line"].get_ydata()[0]
    True
    """
    from .. import plots
    from ..plots.information import update_code_lengths, update_code_overhead

    weights = _check_weights(weights, 5, 1, 20)
    fig, (ax, ax_avg) = new_figure(1, 2, gridspec_kw={"width_ratios": [3.6, 1]})
    p0 = weights / weights.sum()
    code0 = huffman_code(p0, CODE_SYMBOLS)
    artists = plots.code_lengths(ax, p0, code0.codewords, CODE_SYMBOLS)
    averages = plots.code_overhead(ax_avg, entropy(p0, base=2), code0.average_length)
    controls = _weight_sliders(CODE_SYMBOLS, weights, 1, 20)

    def update(**values):
        w = np.array([values[s] for s in CODE_SYMBOLS], dtype=float)
        p = w / w.sum()
        code = huffman_code(p, CODE_SYMBOLS)
        h, length = update_code_lengths(ax, artists, p, code.codewords)
        update_code_overhead(ax_avg, averages, h, length)
        return (
            code.table()
            + f"\n\nH(p) = {h:.3f} bits  ≤  L = {length:.3f} bits  <  H(p) + 1 = {h + 1:.3f}"
            + f"   (L − H = {length - h:.3f} bits)"
        )

    keep = ("ideal", "lengths", "codewords")
    shown = {k: artists[k] for k in keep} | {
        "entropy_line": averages["entropy_line"],
        "length_line": averages["length_line"],
        "bound_line": averages["bound_line"],
        "overhead_band": averages["band"],
        "overhead_title": averages["title"],
    }
    return FigureWidget("a Huffman code for five symbols", fig, controls, update, shown)
