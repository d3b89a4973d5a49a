"""Lesson 03 (softmax): its checkers, widget and plot functions.

The checkers must accept the reference solutions of the solution notebook and reject the
typical wrong answers (naive overflow, wrong axis, missing keepdims, no max shift, the log
of a softmax) with a message that names the failing case and the likely slip.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import xent_lessons as xl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for notebook_code
from notebook_code import solution_function

NOTEBOOK = "03_softmax"


def _ax():
    return Figure().subplots()


def _stub(z):
    raise NotImplementedError("Exercise: replace this line with your code")


def assert_fails(result, *words):
    """The check failed, and its message contains every one of ``words``."""
    assert result.status == "failed", result.message
    for word in words:
        assert word in result.message, (word, result.message)


# ----------------------------------------------------------------- stable_softmax


def _softmax_variant(shift="max", axis=-1, keepdims=True):
    """A softmax with one slip: the shift, the axis or keepdims."""

    def softmax(z):
        z = np.asarray(z, dtype=float)
        if shift == "max":
            z = z - np.max(z, axis=axis, keepdims=keepdims)
        elif shift == "global max":
            z = z - np.max(z)
        elif shift == "mean":
            z = z - np.mean(z, axis=axis, keepdims=keepdims)
        e = np.exp(z)
        return e / np.sum(e, axis=axis, keepdims=keepdims)

    return softmax


def test_stable_softmax_checker_accepts_the_reference_solution():
    result = xl.check.stable_softmax(solution_function(NOTEBOOK, "stable_softmax"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (_softmax_variant(shift=None), ["logits of ±1e4", "NaN", "overflows"]),
        (_softmax_variant(shift="mean"), ["logits of ±1e4", "Subtract the largest logit"]),
        (_softmax_variant(shift="global max"), ["shape (2, 3)", "axis=-1"]),
        (_softmax_variant(axis=0), ["shape (2, 3)", "the values differ", "axis=-1"]),
        (_softmax_variant(keepdims=False), ["shape (2, 3)", "raised ValueError", "keepdims"]),
        (lambda z: np.exp(z) / np.exp(z).sum(), ["logits of ±1e4"]),
    ],
)
def test_stable_softmax_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.stable_softmax(wrong), *words)


def test_stable_softmax_checker_catches_a_missing_keepdims_on_a_square_batch():
    """(3, 3) logits broadcast without keepdims: no error, silently the wrong numbers."""

    def no_keepdims_but_2x3_safe(z):
        z = np.asarray(z, dtype=float)
        if z.shape == (2, 3):  # pretend the (2, 3) case was handled
            return xl.softmax(z)
        e = np.exp(z - np.max(z, axis=-1))
        return e / np.sum(e, axis=-1)

    assert_fails(xl.check.stable_softmax(no_keepdims_but_2x3_safe), "shape (3, 3)", "keepdims")


def test_stable_softmax_checker_reports_the_stub_as_not_attempted():
    assert xl.check.stable_softmax(_stub).status == "not attempted"


def test_a_function_that_edits_its_input_fails_and_cannot_spoil_later_checks():
    def in_place(z):
        z -= np.max(z, axis=-1, keepdims=True)  # modifies the caller's array
        e = np.exp(z)
        return e / np.sum(e, axis=-1, keepdims=True)

    assert_fails(xl.check.stable_softmax(in_place), "changed its argument `z` in place")
    # The next check still sees the original inputs: the naive answer must fail on ±1e4.
    naive = _softmax_variant(shift=None)
    assert_fails(xl.check.stable_softmax(naive), "logits of ±1e4")


# ---------------------------------------------------------------------- logsumexp


def test_logsumexp_checker_accepts_the_reference_solution():
    result = xl.check.logsumexp(solution_function(NOTEBOOK, "logsumexp"))
    assert result.status == "passed", result.message


def _shifted_lse(z, add_back=True, keepdims_out=False, axis=-1):
    z = np.asarray(z, dtype=float)
    m = np.max(z, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    if add_back:
        out = out + m
    return out if keepdims_out else np.squeeze(out, axis=axis)


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        (lambda z: np.log(np.sum(np.exp(z), axis=-1)), ["logits of 1e4", "overflows"]),
        (lambda z: _shifted_lse(z, add_back=False), ["small logits", "did not add it back"]),
        (
            lambda z: _shifted_lse(z, keepdims_out=True),
            ["small logits", "wrong shape", "expected (), got (1,)", "drop the kept axis"],
        ),
        (lambda z: _shifted_lse(z, axis=0), ["shape (2, 3)", "axis=-1"]),
    ],
)
def test_logsumexp_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.logsumexp(wrong), *words)


def test_logsumexp_checker_catches_underflow_and_reports_the_stub():
    def clipped(z):  # shifted by the max only when it is positive: underflows for -1e4
        z = np.asarray(z, dtype=float)
        m = np.maximum(np.max(z, axis=-1, keepdims=True), 0.0)
        return np.squeeze(m, axis=-1) + np.log(np.sum(np.exp(z - m), axis=-1))

    assert_fails(xl.check.logsumexp(clipped), "logits of -1e4", "underflows")
    assert xl.check.logsumexp(_stub).status == "not attempted"


# -------------------------------------------------------------------- log_softmax


def test_log_softmax_checker_accepts_the_reference_solution():
    result = xl.check.log_softmax(solution_function(NOTEBOOK, "log_softmax"))
    assert result.status == "passed", result.message


@pytest.mark.parametrize(
    ("wrong", "words"),
    [
        # the log of a (stable) softmax: -inf where the answer is -1000
        (lambda z: np.log(xl.softmax(z)), ["rounds to 0", "took the log of the softmax"]),
        # no max shift at all
        (lambda z: z - np.log(np.sum(np.exp(z), axis=-1, keepdims=True)), ["±1e4", "overflows"]),
        # the max shift, but the log-sum without keepdims
        (
            lambda z: z - np.squeeze(_shifted_lse(np.atleast_2d(z), keepdims_out=True), -1),
            ["shape (2, 3)", "keepdims"],
        ),
    ],
)
def test_log_softmax_checker_rejects_typical_mistakes(wrong, words):
    assert_fails(xl.check.log_softmax(wrong), *words)


def test_log_softmax_checker_catches_overflow_and_reports_the_stub():
    def min_shift(z):  # shifts by the smallest logit: the others still overflow
        z = np.asarray(z, dtype=float)
        shifted = z - np.min(z, axis=-1, keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))

    assert_fails(xl.check.log_softmax(min_shift), "rounds to 0", "shift by the largest logit")
    assert xl.check.log_softmax(_stub).status == "not attempted"


# ------------------------------------------------------------------------- widget


def test_softmax_temperature_widget_moves_bars_texts_and_readout():
    w = xl.widgets.softmax_temperature(z=(2.0, 1.0, -1.0), temperature=1.0)
    heights = lambda: np.array([b.get_height() for b in w.artists["bars"]])  # noqa: E731
    np.testing.assert_allclose(heights(), xl.softmax([2.0, 1.0, -1.0]))

    w.controls["temperature"].value = 0.5
    t = w.controls["temperature"].value  # the log slider rounds to its step
    expected = xl.softmax([2.0, 1.0, -1.0], temperature=t)
    np.testing.assert_allclose(heights(), expected)
    assert (
        w.artists["info"].get_text()
        == f"T = {t:.2f}    entropy H(q) = {xl.entropy(expected):.3f} nats"
    )
    assert f"q = [{expected[0]:.3f}, {expected[1]:.3f}, {expected[2]:.3f}]" in w.readout_text

    w.controls["z3"].value = 4.0
    assert w.artists["logit_bars"][2].get_height() == pytest.approx(4.0)
    assert w.artists["logit_texts"][2].get_text() == "+4.0"
    np.testing.assert_allclose(heights(), xl.softmax([2.0, 1.0, 4.0], temperature=t))
    assert [txt.get_text() for txt in w.artists["texts"]] == [f"{v:.3f}" for v in heights()]


def test_softmax_temperature_widget_rejects_bad_starting_values():
    with pytest.raises(ValueError, match="2 to 4 logits"):
        xl.widgets.softmax_temperature(z=(1.0, 2.0, 3.0, 4.0, 5.0), labels="abcde")
    with pytest.raises(ValueError, match="sliders' range"):
        xl.widgets.softmax_temperature(z=(10.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="temperature"):
        xl.widgets.softmax_temperature(temperature=100.0)


# -------------------------------------------------------------------------- plots


def test_logit_bars_label_negative_bars_below():
    artists = xl.plots.logit_bars(_ax(), [2.0, -1.5])
    assert [b.get_height() for b in artists["bars"]] == [2.0, -1.5]
    assert [t.get_text() for t in artists["texts"]] == ["+2.0", "-1.5"]
    assert [t.get_va() for t in artists["texts"]] == ["bottom", "top"]


def test_softmax_bars_show_probabilities_and_entropy():
    artists = xl.plots.softmax_bars(_ax(), [0.0, np.log(3.0)], temperature=1.0, labels=["a", "b"])
    np.testing.assert_allclose([b.get_height() for b in artists["bars"]], [0.25, 0.75])
    assert [t.get_text() for t in artists["texts"]] == ["0.250", "0.750"]
    assert artists["info"].get_text().endswith(f"{xl.entropy([0.25, 0.75]):.3f} nats")


def test_temperature_sweep_lines_are_the_softmax_at_each_temperature():
    temperatures = np.array([0.1, 1.0, 10.0])
    artists = xl.plots.temperature_sweep(_ax(), [2.0, 1.0, -1.0], temperatures=temperatures)
    for i, line in enumerate(artists["lines"]):
        expected = [xl.softmax([2.0, 1.0, -1.0], temperature=t)[i] for t in temperatures]
        np.testing.assert_allclose(line.get_ydata(), expected)
    assert artists["uniform"].get_ydata()[0] == pytest.approx(1 / 3)


def test_exp_overflow_lines_stop_where_exp_overflows():
    artists = xl.plots.exp_overflow(_ax())
    assert 88.6 < artists["float32"].get_xdata().max() <= np.log(np.finfo(np.float32).max)
    assert 709.5 < artists["float64"].get_xdata().max() <= np.log(np.finfo(np.float64).max)
    x, y = artists["float64"].get_data()
    np.testing.assert_allclose(y, x / np.log(10))


def test_sigmoid_as_softmax_points_lie_on_the_curve():
    z_points = np.array([-3.0, 0.0, 2.5])
    artists = xl.plots.sigmoid_as_softmax(_ax(), z_points)
    np.testing.assert_allclose(artists["softmax"].get_ydata(), xl.sigmoid(z_points))
    z, s = artists["sigmoid"].get_data()
    np.testing.assert_allclose(s, xl.sigmoid(z))
    np.testing.assert_allclose(artists["other_class"].get_ydata(), 1 - s)


# -------------------------------------------- wrong answers that used to pass, or were misnamed


def _normalised(e):
    return e / np.sum(e, axis=-1, keepdims=True)


@pytest.mark.parametrize(
    ("checker", "wrong", "words"),
    [
        ("stable_softmax", _softmax_variant(shift="global max"),
         ["shape (2, 3)", "NaN", "the largest logit of the WHOLE array"]),
        ("stable_softmax", lambda z: _normalised(np.exp(z - np.max(z, axis=0, keepdims=True))),
         ["shape (2, 3)", "the max of each COLUMN"]),
        ("stable_softmax", lambda z: _normalised(np.exp(np.clip(z, -500, 500))),
         ["very negative logits", "You clipped the logits"]),
        ("logsumexp", lambda z: np.max(z, axis=-1), ["small logits", "the largest logit alone"]),
        ("logsumexp", lambda z: np.max(z) + np.log(np.sum(np.exp(z - np.max(z)), axis=-1)),
         ["shape (2, 3)", "got -inf", "WHOLE array"]),
        ("log_softmax", lambda z: (z - np.max(z)) - np.log(np.sum(np.exp(z - np.max(z)), axis=-1, keepdims=True)),
         ["shape (2, 3)", "WHOLE array"]),
    ],
)
def test_wrong_answers_are_caught_and_named(checker, wrong, words):
    assert_fails(getattr(xl.check, checker)(wrong), *words)
