"""Widget of lesson 13: the InfoNCE bound on correlated Gaussians, against its ceiling log N."""

from __future__ import annotations

import numpy as np

from ..contrastive import gaussian_mutual_information
from ._figure_widget import FigureWidget, new_figure
from ._frames import Every, Values, site_grid

__all__ = ["info_nce_explorer"]

BATCH_SIZES = tuple(2**k for k in range(1, 11))  # 2 .. 1024
CRITICS = {
    "optimal": "optimal  log p(y|x)/p(y)",
    "bilinear": "bilinear  x · y",
    "cosine": "cosine  cos(x, y)",
}
SHOWN = 8  # pairs shown in the heatmap
RHO_MAX = 0.999
TEMPERATURE_MIN, TEMPERATURE_MAX = 0.005, 20.0  # the cosine critic's best τ is about 0.01-0.02
AXIS_BOTTOM = -1.0  # a bound below it is drawn on the axis's bottom edge (the readout has it)
_EXP_LIMIT = 700.0  # exp(700) is finite in float64; rows that would go beyond are redone


def _bounds_at_all_batch_sizes(z, batch_sizes, overwrite=False):
    r"""``info_nce_bound`` of the consecutive batches of size ``N``, for every ``N``, from one
    ``(M, M)`` matrix ``z`` of scaled scores (a speed trick for the widget; the tests check it
    against :func:`~xent_lessons.info_nce_bound`).

    Row ``i``'s loss in its batch of size ``N`` is
    :math:`\log \sum_{j \in 	ext{batch}} e^{z_{ij} - z_{ii}}`. The batches of size ``2N``
    are pairs of batches of size ``N`` (the sizes are powers of 2), so one ``exp`` of the
    whole matrix and repeated pairwise sums give every size: no ``exp`` is computed twice.
    Shifting by the diagonal keeps each sum ``>= 1``; a row with a score more than 700 above
    its diagonal (a loss of hundreds of nats) is recomputed exactly, block by block.
    With ``overwrite=True`` the matrix ``z`` is used as working memory (its values are lost):
    the widget passes a matrix made for the call, and every pass over the million numbers
    then works in place instead of allocating a new 8 MB array.
    """
    m = z.shape[0]
    rows = np.arange(m)
    diag = z[rows, rows]  # a copy (fancy indexing)
    shifted = np.subtract(z, diag[:, None], out=z if overwrite else None)
    over = np.flatnonzero(shifted.max(axis=1) > _EXP_LIMIT)
    over_rows = shifted[over]  # a copy: these rows are redone exactly below
    sums = np.exp(np.minimum(shifted, _EXP_LIMIT, out=shifted), out=shifted)
    size, out = 1, {}
    for n in sorted(batch_sizes):
        while size < n:
            sums = sums[:, 0::2] + sums[:, 1::2]
            size *= 2
        row_loss = np.log(sums[rows, rows // n])
        if over.size:  # exact logsumexp for these rows, over their own batch
            start = (over // n) * n
            block = np.take_along_axis(over_rows, start[:, None] + np.arange(n), axis=1)
            top = block.max(axis=1)
            row_loss[over] = top + np.log(np.exp(block - top[:, None]).sum(axis=1))
        out[n] = float(np.log(n) - row_loss.mean())
    return np.array([out[n] for n in batch_sizes])


_ROWS_PER_PRODUCT = 64  # OpenBLAS multiplies a product this small on one thread


def _pairwise_dots(x, y):
    """``x @ y.T`` for ``x``, ``y`` of shape (N, d): the same numbers, computed 64 rows at a
    time (a speed trick). OpenBLAS splits a whole (1024, 4) @ (4, 1024) product over every
    core, and its threads then spin, waiting for more work: on the widget's small product
    that cost several times the product itself in CPU time. Each block of 64 rows is below
    its threshold for threads."""
    out = np.empty((x.shape[0], y.shape[0]))
    for start in range(0, x.shape[0], _ROWS_PER_PRODUCT):
        stop = start + _ROWS_PER_PRODUCT
        np.dot(x[start:stop], y.T, out=out[start:stop])
    return out


def _critic_scores(name, x, y, rho):
    """Scores of every pairing: x, y of shape (N, d) -> (N, N).

    ``"optimal"`` is :func:`~xent_lessons.gaussian_critic`'s formula, with its product
    computed by :func:`_pairwise_dots` (the tests check both give the same scores).
    """
    if name == "optimal":
        s2 = 1 - rho**2
        scores = _pairwise_dots(x, y)
        scores *= rho / s2
        scores += (0.5 - 0.5 / s2) * (y * y).sum(axis=-1)[None, :]
        scores += (-0.5 * rho**2 / s2) * (x * x).sum(axis=-1)[:, None] - 0.5 * x.shape[1] * np.log(s2)
        return scores
    if name == "bilinear":
        return _pairwise_dots(x, y)
    xn = x / np.linalg.norm(x, axis=-1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=-1, keepdims=True)
    return _pairwise_dots(xn, yn)


def _rows_of_scores(name, x_rows, y, rho):
    """Scores of a few x against every y: (k, d), (N, d) -> (k, N); the critics of
    :func:`_critic_scores`, which needs square batches."""
    if name == "optimal":
        s2 = 1 - rho**2
        dist = ((y[None, :, :] - rho * x_rows[:, None, :]) ** 2).sum(axis=-1)
        return -dist / (2 * s2) + (y * y).sum(axis=-1)[None, :] / 2 - 0.5 * y.shape[1] * np.log(s2)
    if name == "bilinear":
        return x_rows @ y.T
    xn = x_rows / np.linalg.norm(x_rows, axis=-1, keepdims=True)
    yn = y / np.linalg.norm(y, axis=-1, keepdims=True)
    return xn @ yn.T


# τ: the slider's lowest, the cosine critic's best (about 0.015), the default and the highest;
# ρ without 0.9, so the widget keeps its 144 frames (the site's budget is 6 MB a widget).
@site_grid(
    n=Values(2, 16, 128, 1024),
    rho=Values(0.0, 0.99, 0.999),
    temperature=Values(0.005, 0.015, 1.0, 20.0),
    critic=Every(),
)
def info_nce_explorer(rho=0.99, n=128, temperature=1.0, critic="optimal", dim=4, seed=0):
    r"""Sliders for the correlation, the batch size and the temperature; the bound against N.

    One pool of 1024 pairs of ``dim``-dimensional Gaussians,
    ``correlated_gaussians(1024, rho, dim, seed)``, is made from noise drawn once when the
    widget is built, so moving :math:`\rho` changes the pairs smoothly. For every batch
    size :math:`N = 2, 4, \dots, 1024` the pool is cut into :math:`1024 / N` batches, and
    the InfoNCE bound :math:`\log N - L` of the chosen critic, divided by :math:`\tau`, is
    averaged over them. Right: the first 8 rows of batch 0's softmax, ``softmax(S / τ)``
    (each row over all :math:`N` columns), the true pairs framed, their probability written.

    Parameters
    ----------
    rho : float, optional
        The correlation of each coordinate pair, in [0, 0.999].
    n : int, optional
        The batch size to highlight, a power of 2 from 2 to 1024.
    temperature : float, optional
        :math:`\tau`, in [0.005, 20]. A bound below -1 nats (a critic too sharp for its
        scores) is drawn along the bottom edge of the axis; the readout gives its value.
    critic : {"optimal", "bilinear", "cosine"}
        ``"optimal"`` is :func:`~xent_lessons.gaussian_critic`; ``"bilinear"`` scores
        :math:`x \cdot y`, ``"cosine"`` the cosine of the angle between them.
    dim : int, optional
        :math:`d`; the true mutual information is :math:`-\frac{d}{2}\log(1 - \rho^2)`.
    seed : int, optional
        The pool's seed.

    Returns
    -------
    FigureWidget
        Controls ``"rho"``, ``"n"``, ``"temperature"``, ``"critic"``; artists ``"estimate"``
        (the curve), ``"marker"``, ``"truth"``, ``"ceiling"``, ``"mesh"``, ``"targets"``,
        ``"diagonal_texts"``. ``w.estimates()`` returns the curve's values.

    Examples
    --------
    >>> w = info_nce_explorer()
    >>> print(w.readout_text)
    true I(X; Y) = 7.83 nats (ρ = 0.990, d = 4)   N = 128: ceiling log N = 4.85 nats
    InfoNCE estimate log N − L = 4.75 nats   (critic optimal, τ = 1.00, 8 batches)
    """
    import ipywidgets as widgets

    from ..plots.contrastive import batch_probability_heatmap, info_nce_curves

    if not 0.0 <= float(rho) <= RHO_MAX:
        raise ValueError(f"rho must be in [0, {RHO_MAX}] (the slider's range); got {rho!r}")
    if n not in BATCH_SIZES:
        raise ValueError(f"n must be one of {BATCH_SIZES}; got {n!r}")
    if not TEMPERATURE_MIN <= float(temperature) <= TEMPERATURE_MAX:
        raise ValueError(
            f"temperature must be in [{TEMPERATURE_MIN}, {TEMPERATURE_MAX:g}] (the slider's "
            f"range); got {temperature!r}"
        )
    if critic not in CRITICS:
        raise ValueError(f"critic must be one of {tuple(CRITICS)}; got {critic!r}")
    pool = BATCH_SIZES[-1]
    # The noise of correlated_gaussians(pool, rho, dim, seed), drawn once: the pool is that
    # function's pairs at every rho.
    rng = np.random.default_rng(seed)
    noise_x = rng.standard_normal((pool, dim))
    noise_y = rng.standard_normal((pool, dim))

    def pairs(r):
        return noise_x, r * noise_x + np.sqrt(1 - r**2) * noise_y

    cache, scores_cache = {}, {}  # only the last state of each: moving N alone costs nothing

    def pool_scores(rho, critic):
        """The critic's scores of the whole pool, (1024, 1024), before the temperature:
        kept, so that moving τ alone does not score the pool again."""
        key = (rho, critic)
        if key not in scores_cache:
            scores_cache.clear()
            x, y = pairs(rho)
            scores_cache[key] = _critic_scores(critic, x, y, rho)
        return scores_cache[key]

    def estimates(rho, temperature, critic):
        """The bound at every batch size, each averaged over the pool's batches."""
        key = (rho, temperature, critic)
        if key not in cache:
            cache.clear()
            z = pool_scores(rho, critic) / temperature
            cache[key] = _bounds_at_all_batch_sizes(z, BATCH_SIZES, overwrite=True)
        return cache[key]

    fig, (ax_c, ax_h) = new_figure(1, 2, figsize=(9.6, 4.0), width_ratios=(1.45, 1.0))
    first = estimates(float(rho), float(temperature), critic)
    art_c = info_nce_curves(
        ax_c, BATCH_SIZES, {"InfoNCE estimate": first}, true_mi=1.0, current=n
    )
    art_c["truth"].set_label("true $I(X; Y)$")
    ax_c.legend(loc="lower right", fontsize="small", framealpha=0.9)
    top = gaussian_mutual_information(RHO_MAX, dim) + 0.6
    ax_c.set_ylim(AXIS_BOTTOM, top)
    ax_c.axhline(0.0, color="0.6", lw=0.8, zorder=0)  # below 0 the bound says nothing
    art_h = batch_probability_heatmap(
        ax_h, np.zeros((SHOWN, SHOWN)), annotate=False, colorbar=False,
        title="batch 0: softmax(S / τ), first 8 rows",
    )
    # A speed trick with the same pixels: the heatmap has no grid and its ticks point out of
    # it, so its axes (tick labels 0-7) drawn under the cells look the same, and stay in the
    # blitted background instead of being drawn again on every move.
    ax_h.set_axisbelow(True)
    diagonal_texts = [
        ax_h.text(i + 0.5, i + 0.5, "", ha="center", va="center", fontsize=7)
        for i in range(SHOWN)
    ]
    line = art_c["estimates"]["InfoNCE estimate"]
    artists = {
        "estimate": line,
        "marker": art_c["marker"],
        "truth": art_c["truth"],
        "ceiling": art_c["ceiling"],
        "mesh": art_h["mesh"],
        "targets": art_h["targets"],
        "diagonal_texts": diagonal_texts,
    }

    def update(rho, n, temperature, critic):
        values = estimates(rho, temperature, critic)
        shown_values = np.maximum(values, AXIS_BOTTOM)  # kept on the axis, at its bottom edge
        line.set_ydata(shown_values)
        i = BATCH_SIZES.index(n)
        artists["marker"].set_data([n], [shown_values[i]])
        mi = gaussian_mutual_information(rho, dim)
        artists["truth"].set_ydata([mi, mi])
        x, y = pairs(rho)
        k = min(n, SHOWN)
        # Only the first rows are shown, but each row's softmax runs over all N columns.
        z = _rows_of_scores(critic, x[:k], y[:n], rho) / temperature
        z -= z.max(axis=1, keepdims=True)
        probs = np.exp(z)
        probs /= probs.sum(axis=1, keepdims=True)
        shown = np.full((SHOWN, SHOWN), np.nan)
        shown[:k, :k] = probs[:, :k]
        artists["mesh"].set_array(np.ma.masked_invalid(shown).ravel())
        for j, (frame, text) in enumerate(zip(artists["targets"], diagonal_texts, strict=True)):
            frame.set_visible(j < k)
            text.set_text(f"{shown[j, j]:.2f}" if j < k else "")
            text.set_color("white" if j < k and shown[j, j] > 0.6 else "black")
        return (
            f"true I(X; Y) = {mi:.2f} nats (ρ = {rho:.3f}, d = {dim})   "
            f"N = {n}: ceiling log N = {np.log(n):.2f} nats\n"
            f"InfoNCE estimate log N − L = {values[i]:.2f} nats"
            f"{' (below the axis: a negative bound says nothing)' if values[i] < AXIS_BOTTOM else ''}   "
            f"(critic {critic}, τ = {temperature:.{2 if temperature >= 0.1 else 3}f}, {pool // n} batch"
            f"{'es' if pool // n > 1 else ''})"
        )

    style = {"description_width": "initial"}
    controls = {
        "rho": widgets.FloatSlider(
            value=float(rho), min=0.0, max=RHO_MAX, step=0.001, description="correlation ρ",
            readout_format=".3f", layout=widgets.Layout(width="340px"), style=style,
        ),
        "n": widgets.SelectionSlider(
            options=list(BATCH_SIZES), value=n, description="batch size N",
            layout=widgets.Layout(width="340px"), style=style,
        ),
        "temperature": widgets.FloatLogSlider(
            value=float(temperature), base=10, min=np.log10(TEMPERATURE_MIN),
            max=np.log10(TEMPERATURE_MAX), step=0.02, description="temperature τ", readout_format=".3f",
            layout=widgets.Layout(width="340px"), style=style,
        ),
        "critic": widgets.Dropdown(
            options=[(label, key) for key, label in CRITICS.items()], value=critic,
            description="critic", layout=widgets.Layout(width="280px"), style=style,
        ),
    }
    moving = [line, artists["marker"], artists["truth"], artists["mesh"], *diagonal_texts]
    moving += artists["targets"]
    w = FigureWidget(
        "the InfoNCE bound on correlated Gaussians", fig, controls, update, artists, moving
    )
    w.box.children[0].layout.flex_flow = "row wrap"  # four controls: wrap on narrow screens
    w.estimates = lambda: estimates(**{k: v for k, v in w.values().items() if k != "n"})
    return w
