r"""Calibration: do a model's probabilities mean what they say?

A model is **calibrated** when, among all the predictions it makes with confidence
:math:`p`, a fraction :math:`p` is right. These functions measure it (reliability bins,
the expected calibration error, the Brier score) and repair it (temperature scaling, and
Bayes' rule for a change of class priors). They take either

- **multiclass** probabilities, shape ``(N, C)`` (rows summing to 1) with class indices
  ``target`` of shape ``(N,)``: the *top-label* view, confidence :math:`\max_c q_c`
  against whether the top class is right (Guo et al., 2017); or
- **binary** probabilities of the positive class, shape ``(N,)``, with 0/1 targets: the
  *positive-class* view, predicted :math:`p` against the fraction of positives
  (the reliability curve of meteorology and of ``sklearn.calibration``).

This is torchmetrics' convention (``binary_calibration_error``, ``multiclass_calibration_error``):
the same bins, and the same ECE, with one difference: a confidence of exactly 1.0 goes in
the last bin, ``[1 - 1/n_bins, 1]``, as the continuous definition has it, while
torchmetrics gives it a bin of its own (so ``expected_calibration_error([1.0, 0.9], [0, 1],
n_bins=2)`` is 0.45 here and 0.55 in torchmetrics; 0.99999 gives 0.45 in both).
Probabilities go in, not logits: apply ``softmax`` or ``sigmoid`` first. Samples whose
target is ``ignore_index`` (default ``None``: none) are left out, as in torchmetrics.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from ._validation import (
    as_array,
    as_float_array,
    as_real_array,
    check_choice,
    check_distribution,
    check_in_unit_interval,
    check_not_bool,
    check_positive_scalar,
    check_reduction,
    is_finite_real,
)
from .activations import log_softmax, softmax

__all__ = [
    "ReliabilityBins",
    "brier_score",
    "correct_prior",
    "expected_calibration_error",
    "fit_temperature",
    "reliability_bins",
    "temperature_nll",
]

STRATEGIES = ("uniform", "quantile")


# ----------------------------------------------------------------------- inputs


def _probabilities(probs):
    """Probabilities as float64, shape (N,) (binary) or (N, C) (rows sum to 1).

    The rows' sums are checked to the precision the numbers were given in (float16
    probabilities sum to 1 within about 1e-3, not 1e-6).
    """
    p = as_real_array(probs, "probs")[0].astype(np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(
            f"probs must have shape (N,) (binary: probability of class 1) or (N, C); got {p.shape}"
        )
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"probs must hold probabilities in [0, 1]; got values in [{p.min():.4g}, "
            f"{p.max():.4g}] (logits? apply xl.softmax or xl.sigmoid first)"
        )
    if p.ndim == 2:
        try:
            check_distribution(p, "probs", axis=1, given_dtype=as_array(probs, "probs").dtype)
        except ValueError as exc:
            raise ValueError(f"{exc} (rows of (N, C) probabilities are distributions)") from None
    return p


def _check_ignore(ignore_index):
    if ignore_index is None:
        return None
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an integer or None; got {ignore_index!r}")
    return int(ignore_index)


def _targets(target, n, n_classes, ignore_index=None, binary_floats=False):
    """Integer class indices in [0, C) (0/1 for binary), one per row, or ``ignore_index``.

    Returns ``(t, keep)``: the indices, and a boolean mask of the rows that count (None
    when every row does).
    """
    t = as_array(target, "target")
    check_not_bool(t, "target", "integer class indices")
    if t.dtype.kind == "f" and binary_floats and np.isin(t, (0.0, 1.0)).all():
        t = t.astype(np.int64)  # binary targets are often floats 0.0 / 1.0 (lesson 04)
    if t.dtype.kind not in "iu":
        raise TypeError(
            f"target must hold integer class indices; got dtype {t.dtype}"
            + (" (a ragged list?)" if t.dtype.kind == "O" else "")
        )
    if t.shape != (n,):
        raise ValueError(f"target must have shape ({n},), one class per row; got {t.shape}")
    keep = None
    if ignore_index is not None:
        keep = t != ignore_index
        if keep.all():
            keep = None
    checked = t if keep is None else t[keep]
    if checked.size:
        # compared in the array's own type: a uint64 near 2**64 cannot wrap to a valid class
        bad = (checked < 0) | (checked >= n_classes)
        if bad.any():
            value = checked[bad].flat[0]
            allowed = f"0 to {n_classes - 1}"
            if ignore_index is not None:
                allowed += f", or ignore_index={ignore_index}"
            raise ValueError(
                f"target holds class {value}, out of range for {n_classes} classes "
                f"(expected {allowed})"
            )
    return np.where(keep, t, 0).astype(np.int64) if keep is not None else t.astype(np.int64), keep


def _inputs(probs, target, ignore_index):
    """Validated ``(p, t)`` of the rows that count."""
    p = _probabilities(probs)
    ignore_index = _check_ignore(ignore_index)
    n_classes = 2 if p.ndim == 1 else p.shape[1]
    t, keep = _targets(target, p.shape[0], n_classes, ignore_index, binary_floats=p.ndim == 1)
    if keep is not None:
        p, t = p[keep], t[keep]
    return p, t


def _confidence_and_hit(p, t):
    """What the x and y axes of a reliability diagram compare, sample by sample."""
    if p.ndim == 1:
        return p, (t == 1).astype(np.float64)  # predicted p(class 1), and whether it was 1
    return p.max(axis=1), (p.argmax(axis=1) == t).astype(np.float64)


def _check_bins(n_bins) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, numbers.Integral) or not 1 <= n_bins <= 10**7:
        raise ValueError(f"n_bins must be a positive integer (at most 10**7); got {n_bins!r}")
    return int(n_bins)


# ------------------------------------------------------------------- reliability


@dataclass(frozen=True)
class ReliabilityBins:
    """Predictions grouped by confidence: what a reliability diagram draws.

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin ``k`` holds the confidences in ``[edges[k], edges[k + 1])``, the last bin also
        its right edge.
    count : ndarray of int, shape (n_bins,)
        How many predictions fall in each bin.
    confidence : ndarray, shape (n_bins,)
        Their mean confidence (NaN for an empty bin).
    accuracy : ndarray, shape (n_bins,)
        The fraction of them that are right (binary: the fraction of positives); NaN if empty.
    """

    edges: np.ndarray
    count: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray

    @property
    def weight(self) -> np.ndarray:
        """Each bin's share of the predictions, ``count / N``."""
        return self.count / self.count.sum()

    @property
    def gap(self) -> np.ndarray:
        """``accuracy - confidence`` per bin: below 0 over-confident, above 0 under-confident."""
        return self.accuracy - self.confidence


def reliability_bins(probs, target, n_bins=15, strategy="uniform", ignore_index=None):
    r"""Group predictions by confidence; per bin, mean confidence and accuracy.

    Parameters
    ----------
    probs : array_like, shape (N, C) or (N,)
        Class probabilities (top-label view), or the probability of class 1 (binary view).
    target : array_like of int, shape (N,)
        The true classes (0/1 for binary).
    n_bins : int, optional
        The number of bins (15, torchmetrics' default).
    strategy : {"uniform", "quantile"}, optional
        ``"uniform"``: bins of equal width on [0, 1]. ``"quantile"``: bins of equal mass,
        ``N / n_bins`` predictions each (sorted by confidence), so no bin is empty.
    ignore_index : int, optional
        Samples whose target equals it are left out (torchmetrics' ``ignore_index``).

    Returns
    -------
    ReliabilityBins

    Notes
    -----
    With :math:`B_k` the predictions in bin :math:`k`, :math:`c_i` the confidence and
    :math:`h_i \in \{0, 1\}` whether prediction :math:`i` is right,

    .. math:: \mathrm{conf}(B_k) = \frac{1}{|B_k|}\sum_{i \in B_k} c_i, \qquad
              \mathrm{acc}(B_k) = \frac{1}{|B_k|}\sum_{i \in B_k} h_i.

    A confidence of exactly 1.0 falls in the last bin, ``[1 - 1/n_bins, 1]``. torchmetrics
    puts it in a bin of its own instead, so its ECE differs when some confidences are
    exactly 1 (``[1.0, 0.9]`` with targets ``[0, 1]`` and 2 bins: 0.45 here, 0.55 there).

    Examples
    --------
    >>> q = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    >>> bins = reliability_bins(q, [0, 1, 1, 1], n_bins=4)
    >>> bins.count.tolist(), bins.accuracy[2:].tolist()
    ([0, 0, 2, 2], [1.0, 0.5])
    """
    p, t = _inputs(probs, target, ignore_index)
    n_bins = _check_bins(n_bins)
    strategy = check_choice(strategy, "strategy", STRATEGIES)
    conf, hit = _confidence_and_hit(p, t)
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        # bin k holds edges[k] <= c < edges[k + 1]; a confidence of exactly 1 goes in the last
        index = np.clip(np.searchsorted(edges, conf, side="right") - 1, 0, n_bins - 1)
    else:
        if n_bins > conf.size:
            raise ValueError(f"n_bins={n_bins} equal-mass bins need at least {n_bins} predictions")
        order = np.argsort(conf, kind="stable")
        index = np.empty(conf.size, dtype=np.intp)
        for k, chunk in enumerate(np.array_split(order, n_bins)):
            index[chunk] = k
        sorted_conf = conf[order]
        bounds = np.cumsum([len(c) for c in np.array_split(order, n_bins)])[:-1]
        edges = np.concatenate([[0.0], sorted_conf[bounds], [1.0]])
    count = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        confidence = np.bincount(index, weights=conf, minlength=n_bins) / count
        accuracy = np.bincount(index, weights=hit, minlength=n_bins) / count
    return ReliabilityBins(edges, count, confidence, accuracy)


def expected_calibration_error(probs, target, n_bins=15, strategy="uniform", ignore_index=None):
    r"""Expected calibration error: the bins' mean gap between confidence and accuracy.

    Parameters
    ----------
    probs, target, n_bins, strategy, ignore_index
        As in :func:`reliability_bins`.

    Returns
    -------
    float
        In [0, 1]; 0 means every bin's accuracy equals its mean confidence.

    Notes
    -----
    .. math:: \mathrm{ECE} = \sum_{k=1}^{K} \frac{|B_k|}{N}\,
              \bigl|\mathrm{acc}(B_k) - \mathrm{conf}(B_k)\bigr|

    It is an *estimate*, and a biased one: even a perfectly calibrated model gets an ECE
    above 0 on a finite sample, more so with more bins and fewer samples (noise in each
    bin's accuracy does not cancel inside ``|...|``). Compare ECEs only with the same bins
    and similar sample sizes, and read them next to a proper score (NLL, Brier).

    It is torchmetrics' ECE (``calibration_error``, ``norm="l1"``) except for confidences
    of exactly 1.0, which torchmetrics bins on their own (see :func:`reliability_bins`):
    ``expected_calibration_error([1.0, 0.9], [0, 1], n_bins=2)`` is 0.45 here, 0.55 there.

    Examples
    --------
    >>> q = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    >>> round(expected_calibration_error(q, [0, 1, 1, 1], n_bins=4), 4)
    0.35
    >>> expected_calibration_error([0.5, 0.5], [0, 1])  # binary: half of the "50 %" are 1
    0.0
    """
    bins = reliability_bins(probs, target, n_bins, strategy, ignore_index)
    full = bins.count > 0
    return float(np.sum(bins.weight[full] * np.abs(bins.gap[full])))


def brier_score(probs, target, reduction="mean", ignore_index=None):
    r"""The Brier score: squared distance between the predicted and the one-hot truth.

    Parameters
    ----------
    probs : array_like, shape (N, C) or (N,)
        Class probabilities, or the probability of class 1 (binary).
    target : array_like of int, shape (N,)
        The true classes (0/1 for binary).
    reduction : {"mean", "sum", "none"}, optional
        Average over the samples, add them up, or return one score per sample.
    ignore_index : int, optional
        Samples whose target equals it are left out (``"none"``: their score is 0).

    Returns
    -------
    float or ndarray

    Notes
    -----
    .. math:: \mathrm{BS} = \frac{1}{N}\sum_{i=1}^{N}\sum_{c=1}^{C} (q_{ic} - y_{ic})^2
              \qquad\text{(binary: } \tfrac{1}{N}\textstyle\sum_i (p_i - y_i)^2 \text{)}

    Like cross-entropy it is a **proper scoring rule**: its expected value is smallest when
    ``q`` is the true distribution. It is bounded (at most 2, binary 1), so one confident
    mistake costs far less than under cross-entropy. For two classes the multiclass form is
    twice the binary one (both classes' errors are counted).

    Examples
    --------
    >>> brier_score([[0.8, 0.2], [0.5, 0.5]], [0, 1])
    0.29
    >>> brier_score([0.2, 0.5], [0, 1])
    0.145
    """
    reduction = check_reduction(reduction)
    p = _probabilities(probs)
    n_classes = 2 if p.ndim == 1 else p.shape[1]
    t, keep = _targets(target, p.shape[0], n_classes, _check_ignore(ignore_index), p.ndim == 1)
    if p.ndim == 1:
        per_sample = (p - t) ** 2
    else:
        onehot = np.zeros_like(p)
        onehot[np.arange(p.shape[0]), t] = 1.0
        per_sample = ((p - onehot) ** 2).sum(axis=1)
    if keep is not None:
        per_sample[~keep] = 0.0
    if reduction == "none":
        return per_sample
    n = per_sample.size if keep is None else int(keep.sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(per_sample.sum() if reduction == "sum" else per_sample.sum() / np.float64(n))


# --------------------------------------------------------------- temperature


def _two_class_logits(z):
    """Binary logits x become the two-class logits [0, x] (sigmoid(x) = softmax([0, x])_1)."""
    return np.stack([np.zeros_like(z), z], axis=1)


def _logits_and_targets(logits, target, ignore_index=None):
    z = as_float_array(logits, "logits").astype(np.float64)
    if z.ndim not in (1, 2):
        raise ValueError(f"logits must have shape (N, C), or (N,) for binary logits; got {z.shape}")
    if not np.isfinite(z).all():
        raise ValueError("logits must be finite to fit a temperature")
    binary = z.ndim == 1
    if binary:
        z = _two_class_logits(z)
    t, keep = _targets(target, z.shape[0], z.shape[1], _check_ignore(ignore_index), binary)
    if keep is not None:
        z, t = z[keep], t[keep]
    return z, t


def _check_fit_options(bounds, tol, max_iter):
    if isinstance(bounds, str) or not isinstance(bounds, tuple | list | np.ndarray) or len(bounds) != 2:
        raise TypeError(f"bounds must be a pair (low, high) of temperatures; got {bounds!r}")
    lo_T, hi_T = (check_positive_scalar(b, "bounds") for b in bounds)
    if not lo_T < hi_T:
        raise ValueError(f"bounds must be (low, high) with low < high; got {tuple(bounds)}")
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a real number >= 0; got {tol!r}")
    if not (is_finite_real(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral):
        raise TypeError(f"max_iter must be a positive integer; got {max_iter!r}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer (Newton steps); got {max_iter}")
    return lo_T, hi_T, float(tol), int(max_iter)


def _nll_slope(beta, z, t):
    """d/dβ of the mean NLL of softmax(β z): the mean of (q - y) · z, lesson 06's q - y."""
    q = softmax(beta * z, axis=1)
    rows = np.arange(z.shape[0])
    slope = np.mean(np.sum(q * z, axis=1) - z[rows, t])
    # its derivative, the mean variance of z under q: >= 0, so the NLL is convex in β
    curvature = np.mean(np.sum(q * z**2, axis=1) - np.sum(q * z, axis=1) ** 2)
    return slope, curvature


def fit_temperature(
    logits, target, bounds=(0.01, 100.0), tol=1e-12, max_iter=200, ignore_index=None
):
    r"""The temperature :math:`T` that minimises the mean NLL of ``softmax(logits / T)``.

    Parameters
    ----------
    logits : array_like, shape (N, C) or (N,)
        Finite logits of held-out samples (``(N,)``: binary logits, ``sigmoid(x / T)``).
    target : array_like of int, shape (N,)
        Their true classes.
    bounds : (float, float), optional
        The range of temperatures searched; a result at a bound means the best ``T`` lies
        beyond it (for instance ``T → 0`` when every prediction is right).
    tol : float, optional
        Relative tolerance on :math:`\beta = 1/T`.
    max_iter : int, optional
        Newton/bisection steps at most (>= 1).
    ignore_index : int, optional
        Samples whose target equals it are left out.

    Returns
    -------
    float
        ``T``; above 1 the model was over-confident (its logits get shrunk), below 1
        under-confident.

    Notes
    -----
    With :math:`\beta = 1/T`, the NLL :math:`L(\beta) = \frac{1}{N}\sum_i
    [\operatorname{LSE}(\beta z_i) - \beta z_{i,y_i}]` is **convex** in :math:`\beta`:

    .. math:: L'(\beta) = \frac{1}{N}\sum_i (q_i - y_i) \cdot z_i, \qquad
              L''(\beta) = \frac{1}{N}\sum_i \operatorname{Var}_{q_i}(z_i) \ge 0,

    with :math:`q_i = \mathrm{softmax}(\beta z_i)`. So :math:`L'` is increasing and has one
    root; it is found by Newton's method kept inside a shrinking bracket (bisection when a
    Newton step would leave it). The argmax of ``logits / T`` is the argmax of
    ``logits``: temperature scaling never changes a prediction, only its confidence.

    Examples
    --------
    >>> from xent_lessons import categorical_cross_entropy
    >>> z = np.array([[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0], [4.0, 0.0, 0.0]])
    >>> y = np.array([0, 1, 2, 1])   # 3 of 4 right at 96 % confidence: over-confident
    >>> T = fit_temperature(z, y)   # softmax(z / T) gives the top class 0.75, its accuracy
    >>> round(T, 4)
    2.2324
    >>> categorical_cross_entropy(z / T, y) < categorical_cross_entropy(z, y)
    True
    """
    lo_T, hi_T, tol, max_iter = _check_fit_options(bounds, tol, max_iter)
    z, t = _logits_and_targets(logits, target, ignore_index)
    if z.shape[1] < 2:
        raise ValueError(
            f"logits has {z.shape[1]} class(es); a temperature needs at least 2 (with one "
            "class softmax is 1 whatever T is; binary logits have shape (N,))"
        )
    if z.shape[0] == 0:
        raise ValueError("fit_temperature needs at least one sample (that is not ignored)")
    b_lo, b_hi = 1.0 / hi_T, 1.0 / lo_T
    slope_lo, _ = _nll_slope(b_lo, z, t)
    if slope_lo >= 0:
        return hi_T  # the NLL rises from the hottest allowed T on: the best T is beyond it
    slope_hi, _ = _nll_slope(b_hi, z, t)
    if slope_hi <= 0:
        return lo_T  # still falling at the coldest T: the best T is below it
    beta = 1.0 if b_lo < 1.0 < b_hi else 0.5 * (b_lo + b_hi)
    for _ in range(max_iter):
        slope, curvature = _nll_slope(beta, z, t)
        if slope > 0:
            b_hi = beta
        else:
            b_lo = beta
        step = beta - slope / curvature if curvature > 0 else np.nan
        new = step if b_lo < step < b_hi else 0.5 * (b_lo + b_hi)
        if abs(new - beta) <= tol * beta or b_hi - b_lo <= tol * beta:
            beta = new
            break
        beta = new
    return float(1.0 / beta)


# ------------------------------------------------------------------ class priors


def correct_prior(probs, train_prior, new_prior):
    r"""Move probabilities learned under one set of class priors to another (Bayes' rule).

    Parameters
    ----------
    probs : array_like, shape (N, C) or (C,)
        A model's class probabilities, rows summing to 1 (binary: stack ``[1 - p, p]``).
    train_prior : array_like, shape (C,)
        The class frequencies of the data the model was trained on (all > 0).
    new_prior : array_like, shape (C,)
        The class frequencies where the model is used.

    Returns
    -------
    ndarray
        The corrected probabilities, ``probs``'s shape.

    Notes
    -----
    A model trained well learns :math:`q(c \mid x) \propto \pi_c\, p(x \mid c)`. If only
    the priors change, :math:`\pi \to \pi'`, the class-conditional :math:`p(x \mid c)` stays,
    so

    .. math:: q'(c \mid x) = \frac{q(c \mid x)\, \pi'_c / \pi_c}
              {\sum_k q(k \mid x)\, \pi'_k / \pi_k}

    which in logits is :math:`z'_c = z_c + \log(\pi'_c / \pi_c)`. Lesson 04's ``pos_weight``
    :math:`w` trains as if positives were :math:`w` times more frequent: its correction
    subtracts :math:`\log w` from the logit.

    Examples
    --------
    >>> correct_prior([0.5, 0.5], train_prior=[0.5, 0.5], new_prior=[0.9, 0.1])
    array([0.9, 0.1])
    >>> correct_prior([[0.8, 0.2]], [0.5, 0.5], [0.2, 0.8]).round(4)
    array([[0.5, 0.5]])
    """
    p = as_float_array(probs, "probs").astype(np.float64)
    if p.ndim not in (1, 2):
        raise ValueError(f"probs must have shape (N, C) or (C,); got {p.shape}")
    n_classes = p.shape[-1]
    check_in_unit_interval(p, "probs")
    check_distribution(p, "probs", axis=-1)
    priors = []
    for name, prior in (("train_prior", train_prior), ("new_prior", new_prior)):
        arr = as_float_array(prior, name).astype(np.float64)
        if arr.shape != (n_classes,):
            raise ValueError(f"{name} must have shape ({n_classes},), one per class; got {arr.shape}")
        check_distribution(arr, name, axis=0)
        priors.append(arr)
    train, new = priors
    if (train == 0).any():
        raise ValueError(
            "train_prior must be > 0 for every class: a class never seen in training "
            "cannot be re-weighted"
        )
    unnormalised = p * (new / train)
    total = unnormalised.sum(axis=-1, keepdims=True)
    if (total == 0).any():
        raise ValueError("a row of probs puts all its mass on classes that new_prior makes impossible")
    return unnormalised / total


def temperature_nll(logits, target, temperatures, ignore_index=None):
    """The mean NLL of ``softmax(logits / T)`` for each ``T`` of ``temperatures``.

    Samples whose target equals ``ignore_index`` (default None: none) are left out.

    Examples
    --------
    >>> temperature_nll([[2.0, 0.0]], [0], [1.0, 2.0]).round(4)
    array([0.1269, 0.3133])
    """
    z, t = _logits_and_targets(logits, target, ignore_index)
    temps = as_float_array(temperatures, "temperatures").astype(np.float64).ravel()
    if (temps <= 0).any():
        raise ValueError("temperatures must be > 0")
    rows = np.arange(z.shape[0])
    return np.array([-np.mean(log_softmax(z / T, axis=1)[rows, t]) for T in temps])

