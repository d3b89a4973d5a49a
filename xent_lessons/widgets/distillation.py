"""Widget of lesson 11: a temperature slider over a teacher's soft targets and the gradient's size."""

from __future__ import annotations

import numpy as np

from .._validation import as_float_array, check_positive_scalar
from ._figure_widget import FigureWidget, new_figure
from ._frames import Evenly, site_grid

__all__ = ["distillation_temperature"]

T_MIN, T_MAX = 0.5, 50.0  # the slider's range (log scale)


def _demo_logits():
    """A teacher (the ring mixture's Bayes logits on 30 points) and an untrained student (zeros)."""
    from ..mixture import ring_mixture

    mix = ring_mixture()
    X, _ = mix.sample(30, seed=5)
    teacher = mix.posterior_logits(X)
    teacher = teacher - teacher.mean(axis=1, keepdims=True)  # softmax ignores the shift
    return np.zeros_like(teacher), teacher


@site_grid(temperature=Evenly(51))
def distillation_temperature(
    student_logits=None, teacher_logits=None, temperature=4.0, sample=0, labels=None
):
    """A temperature slider: the teacher's soft targets for one sample, and the gradient's size.

    Left: ``softmax(teacher_logits[sample] / T)``, the soft target the student learns from.
    Right: the norm of the gradient of the soft-target loss with respect to the student's
    logits across temperatures, without and with the ``T²`` factor, with dots at this ``T``.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (N, C), optional
        The batch (default: an untrained student, all-zero logits, and the ring mixture's
        Bayes posterior logits on 30 points as the teacher).
    temperature : float, optional
        The starting temperature, in [0.5, 50].
    sample : int, optional
        The row whose soft target is shown.
    labels : sequence of str, optional
        The classes' names.

    Returns
    -------
    FigureWidget
        Control ``"temperature"``; artists ``"bars"``, ``"texts"``, ``"info"`` (the
        teacher's bars), ``"plain_marker"``, ``"scaled_marker"``, ``"plain"``, ``"scaled"``.
        ``w.temperatures``, ``w.plain`` and ``w.scaled`` hold the curves.

    Examples
    --------
    >>> w = distillation_temperature()
    >>> w.controls["temperature"].value = 10.0
    >>> w.readout_text.startswith("T = 10.0")
    True
    """
    import ipywidgets as widgets

    from ..plots.distillation import gradient_norm_curves, gradient_norms
    from ..plots.softmax import _set_softmax_bars, softmax_bars

    if (student_logits is None) != (teacher_logits is None):
        raise ValueError("pass both student_logits and teacher_logits, or neither (demo data)")
    if student_logits is None:
        s, t = _demo_logits()
    else:
        s = as_float_array(student_logits, "student_logits").astype(np.float64)
        t = as_float_array(teacher_logits, "teacher_logits").astype(np.float64)
        if s.ndim != 2 or s.shape != t.shape:
            raise ValueError(f"the logits must be (N, C), the same shape; got {s.shape}, {t.shape}")
    temperature = check_positive_scalar(temperature, "temperature")
    if not T_MIN <= temperature <= T_MAX:
        raise ValueError(f"temperature must be in [{T_MIN}, {T_MAX}] (the slider's range)")
    if not 0 <= sample < t.shape[0]:
        raise ValueError(f"sample must be a row of the batch, 0 to {t.shape[0] - 1}; got {sample}")
    labels = [f"class {c}" for c in range(t.shape[1])] if labels is None else list(labels)

    temps = np.geomspace(T_MIN, T_MAX, 81)
    plain, scaled = gradient_norms(s, t, temps)

    fig, (ax_q, ax_g) = new_figure(1, 2, figsize=(9.0, 3.8))
    bars = softmax_bars(ax_q, t[sample], temperature=temperature, labels=labels)
    ax_q.set_title(f"teacher's soft target for sample {sample}", fontsize="medium")
    curves = gradient_norm_curves(ax_g, temps, plain, scaled, current=temperature)
    ax_g.set_title("size of the student's gradient", fontsize="medium")

    def update(temperature):
        q, h = _set_softmax_bars(bars, t[sample], temperature)
        p_now, s_now = gradient_norms(s, t, [temperature])
        curves["plain_marker"].set_data([temperature], p_now)
        curves["scaled_marker"].set_data([temperature], s_now)
        shown = ", ".join(f"{v:.3f}" for v in q)
        return (
            f"T = {temperature:.1f}: soft target [{shown}] (entropy {h:.3f} nats); gradient norm "
            f"{p_now[0]:.2e} without T², {s_now[0]:.2e} with T²"
        )

    controls = {
        "temperature": widgets.FloatLogSlider(
            value=temperature,
            base=10,
            min=np.log10(T_MIN),
            max=np.log10(T_MAX),
            step=0.02,
            description="temperature T",
            readout_format=".1f",
            continuous_update=True,
            layout=widgets.Layout(width="420px"),
            style={"description_width": "initial"},
        )
    }
    moving = [*bars["bars"], *bars["texts"], bars["info"], curves["plain_marker"],
              curves["scaled_marker"]]
    w = FigureWidget(
        "distillation at a temperature",
        fig,
        controls,
        update,
        artists={**{k: bars[k] for k in ("bars", "texts", "info")},
                 **{k: curves[k] for k in ("plain", "scaled", "plain_marker", "scaled_marker")}},
        moving=moving,
    )
    w.temperatures, w.plain, w.scaled = temps, plain, scaled
    return w
