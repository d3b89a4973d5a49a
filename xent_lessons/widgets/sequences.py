"""Widget of lesson 09: micro-batch sizes, and the weight each token really gets."""

from __future__ import annotations

import numpy as np

from ._figure_widget import FigureWidget, new_figure
from ._frames import Values, site_grid

__all__ = ["accumulation_weights"]

MAX_TOKENS = 400  # the sliders' range: real tokens per micro-batch


@site_grid(n1=Values(1, 100, 400), n2=Values(1, 100, 400), n3=Values(1, 100, 400), n4=Values(1, 100, 400))
def accumulation_weights(token_counts=(50, 200, 100, 400)):
    """Sliders for the real tokens of 4 micro-batches; the weight of every token in the loss.

    Gradient accumulation that averages the micro-batches' mean losses gives each token of
    micro-batch :math:`m` the weight :math:`1 / (M n_m)` (shaded); the token mean of the whole
    batch gives every token :math:`1 / N` (the line). The readout says how far apart they are.

    Parameters
    ----------
    token_counts : sequence of 4 int, optional
        The starting number of real (not padded) tokens of each micro-batch, 1 to 400.

    Returns
    -------
    FigureWidget
        Controls ``"n1"`` to ``"n4"``; artists ``"naive"`` and ``"right"`` (``StepPatch``)
        and ``"tops"`` (the markers on the shaded steps).

    Examples
    --------
    >>> w = accumulation_weights()
    >>> print(w.readout_text.splitlines()[0])
    N = 750 tokens: the token mean gives each 1/750 = 0.00133
    >>> w.controls["n4"].value = 50
    >>> w.readout_text.splitlines()[-1]
    'a token of micro-batch 1 weighs 2.0 times its fair share 1/N, and 4.0 times one of micro-batch 2'
    """
    import ipywidgets as widgets

    from ..plots.sequences import _boundaries, _step_tops, token_weight_steps, weight_steps_data
    from ..sequences import micro_batch_token_weights

    counts = [int(n) for n in token_counts]
    if len(counts) != 4 or not all(1 <= n <= MAX_TOKENS for n in counts):
        raise ValueError(f"token_counts must be 4 integers from 1 to {MAX_TOKENS}; got {counts}")
    fig, ax = new_figure(figsize=(8.5, 3.6))
    naive, right = micro_batch_token_weights(counts)
    art = token_weight_steps(ax, counts, naive, right)
    ax.set_title("gradient accumulation over M = 4 micro-batches", fontsize="medium")

    def update(n1, n2, n3, n4):
        n = np.array([n1, n2, n3, n4])
        naive, right = micro_batch_token_weights(n)
        edges, naive_n, right_n = weight_steps_data(n, naive, right)
        art["naive"].set_data(naive_n, edges)
        art["right"].set_data(right_n, edges)
        art["edges"].set_data(*_boundaries(edges))
        art["tops"].set_data(*_step_tops(edges, naive_n))
        heavy, light = int(np.argmax(naive)), int(np.argmin(naive))
        lines = [f"N = {n.sum()} tokens: the token mean gives each 1/{n.sum()} = {right[0]:.3g}"]
        lines.append("mean of means: " + ", ".join(
            f"micro-batch {m + 1}: 1/(4·{n[m]}) = {naive[m]:.3g}" for m in range(4)))
        lines.append(f"a token of micro-batch {heavy + 1} weighs {naive_n[heavy]:.1f} times its "
                     f"fair share 1/N, and {naive[heavy] / naive[light]:.1f} times one of "
                     f"micro-batch {light + 1}")
        return "\n".join(lines)

    controls = {
        f"n{m + 1}": widgets.IntSlider(
            value=counts[m], min=1, max=MAX_TOKENS, step=1, description=f"n{m + 1}",
            continuous_update=True, layout=widgets.Layout(width="230px"),
            style={"description_width": "initial"},
        )
        for m in range(4)
    }
    return FigureWidget(
        "the weight of each token under gradient accumulation",
        fig,
        controls,
        update,
        artists={"naive": art["naive"], "right": art["right"], "tops": art["tops"]},
        moving=[art["naive"], art["right"], art["edges"], art["tops"]],
    )
