"""Checkers of lesson 16: merging the shards' (max, sum) pairs, the z-loss term and its
gradient, and the soft-capped cross-entropy."""

from __future__ import annotations

import numpy as np

from ..activations import logsumexp as _logsumexp
from ..activations import softmax as _softmax
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["merge_shard_stats", "softcapped_cross_entropy", "z_loss_and_grad"]


# ------------------------------------------------------------------ merge_shard_stats


def _merge_reference(maxes, sums):
    maxes, sums = np.asarray(maxes, np.float64), np.asarray(sums, np.float64)
    top = maxes.max(axis=0)
    return top + np.log((sums * np.exp(maxes - top)).sum(axis=0))


def _shards(z, n_shards):
    """Each shard's (max, sum of exp(z - max)) of the logits ``z`` cut by columns."""
    parts = np.array_split(np.asarray(z, np.float64), n_shards, axis=1)
    maxes = np.array([p.max(axis=1) for p in parts])
    sums = np.array([np.exp(p - m[:, None]).sum(axis=1) for p, m in zip(parts, maxes, strict=True)])
    return maxes, sums


def _merge_case(name, z, n_shards, hint):
    maxes, sums = _shards(z, n_shards)
    return Case(name, (maxes, sums), _logsumexp(np.asarray(z, np.float64), axis=1), hint,
                rtol=1e-10, atol=1e-10)  # fmt: skip


_MERGE_MISTAKES = (
    Mistake(
        lambda maxes, sums: maxes.max(axis=0) + np.log(sums.sum(axis=0)),
        "Each shard's sum is relative to its OWN max: rescale it to the global max, "
        "sums[r] * exp(maxes[r] - global max), before adding the shards' sums.",
    ),
    Mistake(
        lambda maxes, sums: np.log((sums * np.exp(maxes)).sum(axis=0)),
        "exp(max) overflows (or underflows to 0) for large logits: shift by the global max, "
        "M + log(sum_r sums[r] * exp(maxes[r] - M)), so that every exponent is <= 0.",
    ),
    Mistake(
        lambda maxes, sums: (maxes + np.log(sums)).sum(axis=0),
        "Adding the shards' log-sum-exps adds logarithms, which multiplies the sums: the "
        "shards' sums (rescaled to one max) must be added, then the log taken once.",
    ),
    Mistake(
        lambda maxes, sums: (maxes + np.log(sums)).max(axis=0),
        "This keeps the largest shard's log-sum-exp only: every shard's sum counts.",
    ),
    Mistake(
        lambda maxes, sums: maxes[0] + np.log((sums * np.exp(maxes - maxes[0])).sum(axis=0)),
        "Shifting by the first shard's max is right on paper, but exp(maxes[r] - maxes[0]) "
        "overflows when another shard's max is far larger: shift by the global max "
        "(the max over shards, per row).",
    ),
    Mistake(
        lambda maxes, sums: _merge_reference(maxes.T, sums.T).T,
        "Wrong axis: axis 0 of maxes and sums is the shard, axis 1 the row; reduce over the "
        "shards (axis=0) and return one number per row.",
    ),
)


def merge_shard_stats(fn) -> CheckResult:
    """Check ``fn(maxes, sums)``: each row's log-sum-exp from its shards' (max, sum) pairs.

    ``maxes`` and ``sums`` have shape ``(P, N)``: for shard ``r`` and row ``i``, the largest
    of the shard's logits and the sum of ``exp(z - maxes[r, i])`` over the shard's logits.
    ``fn`` returns the log-sum-exp over all the logits of each row, shape ``(N,)``.

    Examples
    --------
    >>> def merge(maxes, sums):  # forgets to rescale each shard's sum to the global max
    ...     return maxes.max(axis=0) + np.log(sums.sum(axis=0))
    >>> print(merge_shard_stats(merge).message.splitlines()[0])
    ❌ merge_shard_stats: failed on one row on two shards.
    """
    rng = np.random.default_rng(16)
    cases = [
        _merge_case(
            "one row on two shards",
            [[1.0, 2.0, 3.0, 0.5]],
            2,
            "The log-sum-exp of all the logits: rescale each shard's sum to the global max, "
            "add, take the log, add the global max back.",
        ),
        _merge_case(
            "a batch (N = 3 rows) on 4 shards",
            rng.normal(0.0, 2.0, (3, 10)),
            4,
            "maxes and sums are (P, N): reduce over the shards, axis 0, one result per row.",
        ),
        _merge_case(
            "the largest logit on the last shard",
            [[0.0, 0.0, 0.0, 0.0, 0.0, 9.0]],
            3,
            "Use the max over all shards, not the first shard's.",
        ),
        _merge_case(
            "large logits (1000)",
            [[1000.0, 999.0, 1001.0, 998.0], [-1000.0, -999.0, -1001.0, -1002.0]],
            2,
            "exp(1000) overflows: every exponent must be a max minus the global max.",
        ),
        _merge_case(
            "the first shard's max far below the others'",
            [[-800.0, -801.0, 700.0, 699.0]],
            2,
            "Shift by the global max (the largest of maxes over the shards), not by a "
            "shard's own max: exp(700 - (-800)) overflows.",
        ),
    ]
    return run_cases("merge_shard_stats", fn, cases, _MERGE_MISTAKES)


# --------------------------------------------------------------------- z_loss_and_grad


def _z_loss_reference(z, lam):
    z = np.asarray(z, np.float64)
    lse = _logsumexp(z, axis=1)
    return lam * lse**2, 2 * lam * lse[:, None] * _softmax(z, axis=1)


def _naive_lse(z):
    with np.errstate(all="ignore"):
        return np.log(np.exp(z).sum(axis=1))


_Z_LOSS_MISTAKES = (
    Mistake(
        lambda z, lam: (lam * _logsumexp(z, axis=1) ** 2,
                        lam * _logsumexp(z, axis=1)[:, None] * _softmax(z, axis=1)),
        "The gradient of (log Z)² is 2 log Z times the gradient of log Z: the factor 2 is "
        "missing.",
    ),
    Mistake(
        lambda z, lam: (lam * z.max(axis=1) ** 2,
                        2 * lam * z.max(axis=1)[:, None] * _softmax(z, axis=1)),
        "log Z is the log-sum-exp of the row, not its max (they differ by up to log C).",
    ),
    Mistake(
        lambda z, lam: (lam * _logsumexp(z, axis=1) ** 2,
                        2 * lam * _logsumexp(z, axis=1)[:, None] * np.ones_like(z)),
        "The gradient of log Z with respect to z is softmax(z), not 1: multiply "
        "2 λ log Z by softmax(z).",
    ),
    Mistake(
        lambda z, lam: (lam * _logsumexp(z, axis=1),
                        lam * _softmax(z, axis=1)),
        "The z-loss is λ (log Z)², squared: it pulls log Z towards 0 from either side.",
    ),
    Mistake(
        lambda z, lam: (lam * _naive_lse(z) ** 2,
                        2 * lam * _naive_lse(z)[:, None] * _softmax(z, axis=1)),
        "np.log(np.sum(np.exp(z))) overflows for large logits: use the stable log-sum-exp "
        "(subtract the row's max first), lesson 03.",
    ),
    Mistake(
        lambda z, lam: (np.full(z.shape[0], lam * np.mean(_logsumexp(z, axis=1) ** 2)),
                        2 * lam * _logsumexp(z, axis=1)[:, None] * _softmax(z, axis=1)),
        "Return one z-loss term per row (shape (N,)), not their mean.",
    ),
)


def _z_case(name, z, lam, hint):
    z = np.asarray(z, np.float64)
    return Case(name, (z, lam), _z_loss_reference(z, lam), hint, rtol=1e-9, atol=1e-12)


def z_loss_and_grad(fn) -> CheckResult:
    """Check ``fn(z, lam)``: ``(lam * log Z**2, 2 * lam * log Z * softmax(z))`` per row.

    ``z`` has shape ``(N, C)``; the first part has shape ``(N,)`` (no mean), the second
    ``(N, C)``.

    Examples
    --------
    >>> def z_loss(z, lam):  # the gradient misses its factor 2
    ...     m = z.max(axis=1, keepdims=True)
    ...     log_z = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    ...     return lam * log_z**2, lam * log_z[:, None] * np.exp(z - log_z[:, None])
    >>> print(z_loss_and_grad(z_loss).message.splitlines()[0])
    ❌ z_loss_and_grad: failed on one row.
    """
    rng = np.random.default_rng(160)
    cases = [
        _z_case("one row", [[2.0, 0.5, -1.0]], 0.1,
                "log Z = log-sum-exp of the row; the term is λ (log Z)², the gradient "
                "2 λ log Z softmax(z)."),
        _z_case("three rows, one with log Z < 0", [[-5.0, -4.0, -6.0], [1.0, 2.0, 3.0],
                                                   [0.0, 0.0, 0.0]], 0.01,
                "A row with log Z < 0 gets a gradient that pushes its logits up: the sign "
                "comes from log Z itself."),
        _z_case("a batch of 5 rows of 7 classes", rng.normal(0.0, 3.0, (5, 7)), 1e-3,
                "One term per row and one gradient row per row."),
        _z_case("large logits (1000)", [[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]],
                1e-4, "exp(1000) overflows in a naive log(sum(exp(z))): subtract the max first."),
    ]  # fmt: skip
    return run_cases("z_loss_and_grad", fn, cases, _Z_LOSS_MISTAKES, ("term", "gradient"))


# ------------------------------------------------------------ softcapped_cross_entropy


def _capped_reference(z, y, cap):
    z = cap * np.tanh(np.asarray(z, np.float64) / cap)
    y = np.asarray(y)
    return float(np.mean(_logsumexp(z, axis=1) - z[np.arange(z.shape[0]), y]))


def _plain_ce(z, y):
    z = np.asarray(z, np.float64)
    return float(np.mean(_logsumexp(z, axis=1) - z[np.arange(z.shape[0]), y]))


_CAP_MISTAKES = (
    Mistake(
        lambda z, y, cap: _plain_ce(np.clip(z, -cap, cap), y),
        "np.clip is a hard cap: its gradient is 0 beyond ±c, and it differs from "
        "c·tanh(z / c) everywhere. Use the soft cap c * np.tanh(z / c).",
    ),
    Mistake(
        lambda z, y, cap: _plain_ce(cap * np.tanh(z), y),
        "Divide by c inside the tanh: c·tanh(z / c), which is close to z for small z "
        "(c·tanh(z) is c times too steep).",
    ),
    Mistake(
        lambda z, y, cap: _plain_ce(np.tanh(z / cap), y),
        "Multiply by c outside the tanh: tanh(z / c) lies in (-1, 1); c·tanh(z / c) in (-c, c).",
    ),
    Mistake(
        lambda z, y, cap: _plain_ce(z, y),
        "This is the cross-entropy of the uncapped logits: apply c·tanh(z / c) first.",
    ),
    Mistake(
        lambda z, y, cap: float(np.mean(-(cap * np.tanh(
            (np.asarray(z) - _logsumexp(np.asarray(z), axis=1)[:, None]) / cap))[
                np.arange(len(y)), y])),
        "The cap goes on the logits, before the log-softmax, not on the log-probabilities.",
    ),
    Mistake(
        lambda z, y, cap: _capped_reference(z, y, cap) * len(y),
        "This is the sum over the rows: return the mean.",
    ),
)


def softcapped_cross_entropy(fn) -> CheckResult:
    """Check ``fn(z, y, cap)``: the mean cross-entropy of the capped logits ``cap·tanh(z/cap)``.

    ``z`` has shape ``(N, C)``, ``y`` is ``(N,)`` class indices, ``cap`` > 0.

    Examples
    --------
    >>> def capped(z, y, cap):  # a hard cap (np.clip) instead of the soft one
    ...     z = np.clip(z, -cap, cap)
    ...     m = z.max(axis=1, keepdims=True)
    ...     lse = m[:, 0] + np.log(np.exp(z - m).sum(axis=1))
    ...     return float(np.mean(lse - z[np.arange(len(y)), y]))
    >>> print(softcapped_cross_entropy(capped).message.splitlines()[0])
    ❌ softcapped_cross_entropy: failed on one row, logits beyond the cap.
    """
    rng = np.random.default_rng(1600)

    def case(name, z, y, cap, hint):
        z, y = np.asarray(z, np.float64), np.asarray(y)
        return Case(name, (z, y, cap), _capped_reference(z, y, cap), hint, rtol=1e-9, atol=1e-12)

    cases = [
        case("one row, logits beyond the cap", [[8.0, 1.0, -6.0]], [0], 5.0,
             "Cap every logit with c·tanh(z / c), then the usual cross-entropy."),
        case("two rows, the target's logit far below the others", [[-40.0, 40.0, 35.0],
                                                                     [3.0, 2.0, 1.0]],
             [0, 2], 10.0,
             "The capped logits lie in (-c, c): a target far below costs at most about "
             "log C + 2c."),
        case("a batch of 6 rows of 5 classes", rng.normal(0.0, 20.0, (6, 5)),
             rng.integers(0, 5, 6), 30.0, "One loss per row, then their mean."),
        case("large logits (1000) and a cap of 1", [[1000.0, -1000.0, 0.5]], [2], 1.0,
             "With a cap of 1 every capped logit is in (-1, 1)."),
    ]  # fmt: skip
    return run_cases("softcapped_cross_entropy", fn, cases, _CAP_MISTAKES)
