"""Widget of lesson 08: the order k and the fake count α of a counting model of Alice."""

from __future__ import annotations

import numpy as np

from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["order_k_explorer"]

ALPHA_MIN, ALPHA_MAX = 1e-3, 10.0  # the alpha slider's range (log scale)


class _OrderStatistics:
    """The counts a text's bits per character depend on, for one order, grouped by value.

    ``bits(alpha)`` is then a sum over the distinct ``(n(s, c), n(s))`` pairs (a few
    thousand) instead of over every character, fast enough for a slider.
    """

    def __init__(self, model, text):
        n_sc, n_s = model.pair_counts(text)
        base = int(n_s.max()) + 1  # n(s, c) <= n(s): one integer key per pair
        keys, self.multiplicity = np.unique(n_sc * base + n_s, return_counts=True)
        self.n_sc, self.n_s = keys // base, keys % base
        self.n_chars = len(text)
        self.V = len(model.alphabet)

    def bits(self, alpha: float) -> float:
        with np.errstate(divide="ignore"):
            per_pair = np.log2(self.n_s + alpha * self.V) - np.log2(self.n_sc + alpha)
        return float(per_pair @ self.multiplicity) / self.n_chars


def _static_labels_under_the_curves(ax) -> None:
    """Draw the legend and the compressors' labels before the curves, not over them.

    A speed trick: the curves move under the slider, and whatever is drawn over a moving
    artist's box is drawn again on every move (text is slow to draw). The picture is the
    same: the curves never reach the legend (lower left, below every curve) nor the labels
    (right of the last order).
    """
    ax.get_legend().set_zorder(1.9)  # the curves have zorder 2
    for label in ax.texts:
        label.set_zorder(1.9)


@site_grid(k=Every(), alpha=Values(0.001, 0.01, 0.1, 1.0, 10.0))
def order_k_explorer(k=3, alpha=0.01, max_order=8, sample_chars=200, seed=0):
    """Sliders for the order ``k`` and the fake count ``α`` of a counting model of *Alice*.

    Left: the cross-entropy (bits per character) of every order 0 to ``max_order`` on the
    training text and on the held-out text, at the chosen ``α``, with the chosen ``k``
    ringed, and the bits per character of zlib, bz2 and lzma given the same training text.
    Right: text sampled from the order-``k`` model at that ``α`` (the same seed every time).

    Parameters
    ----------
    k : int, optional
        The starting order, 0 to ``max_order``.
    alpha : float, optional
        The starting fake count, in [0.001, 10] (log-scale slider).
    max_order : int, optional
        The longest context shown.
    sample_chars : int, optional
        How many characters to sample.
    seed : int, optional
        The sample's seed.

    Returns
    -------
    FigureWidget
        Controls ``"k"`` and ``"alpha"``; artists ``"held_out"``, ``"train"``, ``"marker"``,
        ``"best"`` (curves and marks) and ``"sample"`` (the text). ``w.compressors`` holds
        the compressors' bits per character.

    Examples
    --------
    >>> w = order_k_explorer(max_order=4, sample_chars=40)
    >>> w.readout_text.splitlines()[0]
    'k = 3, α = 0.01: held-out 2.482 bits/char (perplexity 5.59), training 1.824'
    >>> w.controls["alpha"].value = 1.0
    >>> w.readout_text.splitlines()[0]
    'k = 3, α = 1: held-out 3.148 bits/char (perplexity 8.86), training 2.893'
    """
    import ipywidgets as widgets

    from ..arithmetic_coding import compressed_sizes
    from ..corpus import Alphabet, alice, alice_split
    from ..ngram import CharNGramModel
    from ..plots.language_models import bpc_by_order, sample_texts, wrap_sample

    orders = np.arange(max_order + 1)
    if not 0 <= k <= max_order:
        raise ValueError(f"k must be in [0, {max_order}]; got {k}")
    if not ALPHA_MIN <= alpha <= ALPHA_MAX:
        raise ValueError(f"alpha must be in [{ALPHA_MIN:g}, {ALPHA_MAX:g}] (the slider's range)")
    train, held_out = alice_split()
    alphabet = Alphabet.of(alice())
    models = [CharNGramModel(train, int(order), alpha, alphabet) for order in orders]
    stats = {
        "train": [_OrderStatistics(m, train) for m in models],
        "held_out": [_OrderStatistics(m, held_out) for m in models],
    }
    compressors = {
        name: 8 * size / len(held_out)
        for name, size in compressed_sizes(held_out, given=train).items()
    }

    def curves(a):
        return {part: np.array([s.bits(a) for s in stats[part]]) for part in stats}

    fig, (ax, ax_text) = new_figure(1, 2, figsize=(9.6, 4.2), width_ratios=(1.2, 1))
    start = curves(alpha)
    art = bpc_by_order(ax, orders, start["held_out"], start["train"], compressors, order=k,
                       ylim=(0, 7))
    ax.set_title("counting models of Alice, held out: chapters XI-XII", fontsize="medium")
    _static_labels_under_the_curves(ax)
    texts = sample_texts(ax_text, [("", ""), ("", "")])  # filled in by update
    raw_samples = {  # alpha = 0 does not move with the slider: each order's sample, once
        int(order): wrap_sample(models[order].with_alpha(0.0).sample(sample_chars, np.random.default_rng(seed)))
        for order in orders
    }

    def update(k, alpha):
        values = curves(alpha)
        art["held_out"].set_ydata(values["held_out"])
        art["train"].set_ydata(values["train"])
        best = int(np.argmin(values["held_out"]))
        art["best"].set_data([orders[best]], [values["held_out"][best]])
        art["marker"].set_data([k], [values["held_out"][k]])
        sample = models[k].with_alpha(alpha).sample(sample_chars, np.random.default_rng(seed))
        for i, (what, body) in enumerate(
            [("α = 0 (the raw counts)", raw_samples[k]), (f"α = {alpha:.3g}", wrap_sample(sample))]
        ):
            texts["headings"][i].set_text(f"sampled from order {k}, {what}")
            texts["bodies"][i].set_text(body)
        h = values["held_out"][k]
        shown = ", ".join(f"{n} {v:.2f}" for n, v in compressors.items())
        return (
            f"k = {k}, α = {alpha:.3g}: held-out {h:.3f} bits/char (perplexity {2**h:.2f}), "
            f"training {values['train'][k]:.3f}\n"
            f"best order at this α: k = {orders[best]}, {values['held_out'][best]:.3f} "
            f"bits/char; compressors given the training text: {shown}"
        )

    controls = {
        "k": widgets.IntSlider(
            value=int(k), min=0, max=int(max_order), step=1, description="order k",
            layout=widgets.Layout(width="300px"), style={"description_width": "initial"},
        ),
        "alpha": widgets.FloatLogSlider(
            value=float(alpha), base=10, min=np.log10(ALPHA_MIN), max=np.log10(ALPHA_MAX),
            step=0.1, description="fake count α", readout_format=".3g",
            layout=widgets.Layout(width="360px"), style={"description_width": "initial"},
        ),
    }
    moving = [art["held_out"], art["train"], art["best"], art["marker"]]
    moving += texts["headings"] + texts["bodies"]
    w = FigureWidget(
        "bits per character of order-k counting models",
        fig,
        controls,
        update,
        artists={name: art[name] for name in ("held_out", "train", "marker", "best")}
        | {"sample_raw": texts["bodies"][0], "sample": texts["bodies"][1]},
        moving=moving,
    )
    w.compressors = compressors
    return w
