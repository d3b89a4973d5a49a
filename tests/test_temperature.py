"""``softmax`` / ``log_softmax`` at extreme temperatures: no NaN, and the right limit.

``z / T`` overflows for a tiny ``T`` (float32 ``[1, 2]`` at ``T = 1e-40`` is ``[1e40, 2e40]``,
beyond float32) and the textbook ``exp(z / T - max)`` is then ``inf - inf = NaN``. The
shift comes first, so only ``(z - max) / T <= 0`` is divided. A temperature that the
logits' dtype cannot hold is applied in float64. References: mpmath for the extremes
(where torch gives NaN), torch in float64 for ordinary temperatures.
"""

import mpmath
import numpy as np
import pytest
import torch

import xent_lessons as xl


def _exact(z, temperature):
    """softmax and log_softmax of z / T in 60-digit arithmetic, rounded to z's dtype.

    torch itself gives NaN on most of these (its z / T overflows), and mpmath's exponent
    range is unbounded, so it is the reference here.
    """
    with mpmath.workdps(60):
        scaled = [mpmath.mpf(float(v)) / mpmath.mpf(temperature) for v in z]
        finite = [v for v in scaled if mpmath.isfinite(v)]
        top = max(finite)
        lse = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in finite))
        log_q = [v - lse if mpmath.isfinite(v) else mpmath.mpf("-inf") for v in scaled]
        q = [mpmath.exp(v) for v in log_q]
    with np.errstate(over="ignore"):
        return np.array([float(v) for v in q]).astype(z.dtype), np.array(
            [float(v) for v in log_q]
        ).astype(z.dtype)


CASES = [
    # (logits, temperature): each made NaN by dividing before the shift
    (np.float32([1.0, 2.0]), 1e-40),  # 1e-40 is a float32 subnormal
    (np.float32([2e38, 1e38]), 0.5),  # z / T overflows, z - max does not
    (np.float64([1.0, 2.0]), 1e-310),
    (np.float64([1.0, 2.0, -np.inf]), 1e-310),
    (np.float32([3.0, 3.0, 1.0]), 1e-45),  # a tie at the top: half each in the limit
    (np.float32([0.0, 1.4e-45]), 1e-46),  # T rounds to 0 in float32; float64 keeps it exact
    (np.float32([-1.0, 0.0, 5.0]), 1e39),  # T above float32's largest number
    (np.float32([-1.0, -np.inf, 5.0]), 1e39),  # -inf / inf would be NaN
    (np.float64([1e308, -1e308]), 4.0),  # z - max overflows; z / T - max(z / T) does not
]


@pytest.mark.parametrize(("z", "temperature"), CASES, ids=lambda v: repr(v))
def test_extreme_temperatures_match_torchs_float64_result(z, temperature):
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # not even a warning
        q = xl.softmax(z, temperature=temperature)
        log_q = xl.log_softmax(z, temperature=temperature)
    assert q.dtype == z.dtype and log_q.dtype == z.dtype
    exact_q, exact_log_q = _exact(z, temperature)
    np.testing.assert_allclose(q, exact_q, rtol=1e-6, atol=0)
    np.testing.assert_allclose(log_q, exact_log_q, rtol=1e-6, atol=0)
    assert not np.isnan(q).any() and q.sum() == pytest.approx(1.0, rel=1e-6)


def test_the_limit_of_a_tiny_temperature_is_the_argmax():
    z = np.array([[0.5, 2.0, -1.0], [3.0, 3.0, 1.0]])
    np.testing.assert_array_equal(xl.softmax(z, temperature=1e-300), [[0, 1, 0], [0.5, 0.5, 0]])
    log_q = xl.log_softmax(z, temperature=1e-300)
    np.testing.assert_array_equal(log_q[0], [-1.5e300, 0.0, -3e300])  # (z - max) / T
    np.testing.assert_allclose(log_q[1, :2], -np.log(2), rtol=1e-15)


def test_a_huge_temperature_gives_the_uniform_distribution_and_keeps_impossible_classes():
    z = np.float32([[4.0, -2.0, -np.inf, 0.0]])
    np.testing.assert_allclose(xl.softmax(z, temperature=1e38), [[1 / 3, 1 / 3, 0, 1 / 3]], rtol=1e-6)
    np.testing.assert_array_equal(xl.softmax(z, temperature=1e300)[0, 2], 0.0)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 2.0, 10.0])
def test_ordinary_temperatures_still_match_torch_in_float64_to_1e12(temperature):
    z = np.random.default_rng(0).normal(0, 5, (4, 6))
    torch_z = torch.from_numpy(z) / temperature
    np.testing.assert_allclose(
        xl.softmax(z, temperature=temperature), torch.softmax(torch_z, -1).numpy(), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(
        xl.log_softmax(z, axis=0, temperature=temperature),
        torch.log_softmax(torch_z, 0).numpy(),
        rtol=0,
        atol=1e-12,
    )
