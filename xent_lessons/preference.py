r"""Preference learning (lesson 15): Bradley-Terry, reward models and DPO are binary cross-entropy.

A comparison "answer :math:`a` beats answer :math:`b`" is a binary outcome. The
**Bradley-Terry** model gives each item a score :math:`r` and says

.. math:: P(a \succ b) = \sigma(r_a - r_b), \qquad
          \ell = -\log \sigma(r_a - r_b) = \mathrm{softplus}(-(r_a - r_b))

which is lesson 04's binary cross-entropy with logits, on the *margin* :math:`r_a - r_b`
and the target 1. **Direct Preference Optimization** (DPO; Rafailov et al., 2023) is the
same loss on the margin of the implicit rewards
:math:`\beta \log(\pi(y) / \pi_{\mathrm{ref}}(y))` of a policy :math:`\pi` and a frozen
reference :math:`\pi_{\mathrm{ref}}`:

.. math:: \Delta = \bigl(\log\pi(y_w) - \log\pi_{\mathrm{ref}}(y_w)\bigr)
                 - \bigl(\log\pi(y_l) - \log\pi_{\mathrm{ref}}(y_l)\bigr), \qquad
          \ell = -(1 - \varepsilon)\log\sigma(\beta\Delta) - \varepsilon \log\sigma(-\beta\Delta)

(:math:`y_w` the chosen answer, :math:`y_l` the rejected one, :math:`\varepsilon` the label
smoothing of conservative DPO). Every log-sigmoid here is computed as
``-np.logaddexp(0, -x)``, exact at any margin: ``np.log(sigmoid(x))`` rounds
:math:`\sigma(x)` to 0 below :math:`x \approx -745` and returns ``-inf``.

>>> round(bradley_terry_loss([2.0], [0.0]), 6)   # -log sigmoid(2)
0.126928
>>> dpo_loss([-10.0], [-12.0], [-11.0], [-11.0], beta=0.5)  # margin 2, beta * margin = 1
0.3132616875182228
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import as_array, check_ignore_index, check_positive_scalar, check_same_shape
from .losses import categorical_cross_entropy
from .sequences import bigram_logits, next_token_targets, pad_sequences

__all__ = [
    "bigram_sequence_log_probs",
    "bradley_terry_loss",
    "dpo_implicit_rewards",
    "dpo_loss",
    "dpo_loss_grad",
    "log_sigmoid_exact",
    "sequence_log_probs",
]

PREFERENCE_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- validation


def _scores(x, name: str) -> np.ndarray:
    """A float64 array of scores or log-probabilities; bool, non-real and NaN refused."""
    arr = as_array(x, name)
    if arr.dtype.kind == "b":
        raise TypeError(
            f"{name} must hold numbers (scores or log-probabilities); got a bool array "
            "(a mask or a label instead of the values?)"
        )
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if arr.size and np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN; expected real numbers")
    return arr


def _check_reduction(reduction) -> str:
    if reduction not in PREFERENCE_REDUCTIONS:
        raise ValueError(f"reduction must be one of {PREFERENCE_REDUCTIONS}; got {reduction!r}")
    return reduction


def _check_label_smoothing(label_smoothing) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a real number; got {label_smoothing!r}")
    value = float(label_smoothing)
    if not 0.0 <= value <= 0.5:
        raise ValueError(
            "label_smoothing must be in [0, 0.5] (the probability that a label is flipped); "
            f"got {label_smoothing!r}"
        )
    return value


def _reduce(per_pair: np.ndarray, reduction: str):
    if reduction == "none":
        return per_pair
    if per_pair.size == 0:
        return float("nan") if reduction == "mean" else 0.0
    total = float(np.sum(per_pair))
    return total / per_pair.size if reduction == "mean" else total


def _four_log_probs(pc, pr, rc, rr):
    names = ("policy_chosen_logps", "policy_rejected_logps",
             "reference_chosen_logps", "reference_rejected_logps")
    arrays = [_scores(x, n) for x, n in zip((pc, pr, rc, rr), names, strict=True)]
    for arr, name in zip(arrays[1:], names[1:], strict=True):
        check_same_shape(arrays[0], arr, names[0], name)
    for arr, name in zip(arrays, names, strict=True):
        if np.isposinf(arr).any() or (arr.size and arr.max() > 0):
            raise ValueError(
                f"{name} must hold log-probabilities (<= 0), one per sequence; got a value of "
                f"{arr.max():.4g} (logits or probabilities instead of log-probabilities?)"
            )
    return arrays


# --------------------------------------------------------------------------- the losses


def log_sigmoid_exact(x):
    r""":math:`\log\sigma(x) = -\log(1 + e^{-x})`, exact for every real ``x``.

    Computed as ``-np.logaddexp(0, -x)``: no overflow for large negative ``x`` (where
    ``np.log(1 / (1 + np.exp(-x)))`` gives ``-inf``) and full precision for large positive
    ``x`` (where ``1 - tiny`` would round to 1 and the log to 0).

    Examples
    --------
    >>> log_sigmoid_exact(np.array([-1000.0, 0.0, 40.0]))
    array([-1.00000000e+03, -6.93147181e-01, -4.24835426e-18])
    """
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def bradley_terry_loss(chosen, rejected, reduction="mean"):
    r"""The Bradley-Terry loss :math:`-\log\sigma(r_{\text{chosen}} - r_{\text{rejected}})`.

    The negative log-likelihood of "chosen beats rejected" when
    :math:`P(a \succ b) = \sigma(r_a - r_b)`: a reward model's loss (Ouyang et al., 2022),
    and lesson 04's ``binary_cross_entropy_with_logits(chosen - rejected, 1)``.

    Parameters
    ----------
    chosen, rejected : array_like, the same shape
        The scores (rewards, strengths) of the preferred and the other item of each pair.
        Any real numbers; only their difference matters.
    reduction : {"mean", "sum", "none"}, optional
        The mean over pairs (default), the sum, or the loss of every pair.

    Returns
    -------
    float or ndarray
        In nats, >= 0; ``"none"`` gives an array of the inputs' shape.

    Raises
    ------
    ValueError
        For shapes that differ, NaN, or an unknown ``reduction``.
    TypeError
        For bool arrays or non-numbers.

    Examples
    --------
    >>> bradley_terry_loss([1.0, 0.0], [0.0, 0.0], reduction="none").round(6)
    array([0.313262, 0.693147])
    >>> bradley_terry_loss([-1000.0], [0.0])   # exact, no log(0)
    1000.0
    """
    reduction = _check_reduction(reduction)
    c, r = _scores(chosen, "chosen"), _scores(rejected, "rejected")
    check_same_shape(c, r, "chosen", "rejected")
    with np.errstate(invalid="ignore"):
        margin = c - r
    if np.isnan(margin).any():
        raise ValueError("chosen and rejected are both infinite with the same sign in a pair")
    return _reduce(np.logaddexp(0.0, -margin), reduction)


def dpo_loss(
    policy_chosen_logps,
    policy_rejected_logps,
    reference_chosen_logps,
    reference_rejected_logps,
    beta=0.1,
    label_smoothing=0.0,
    reduction="mean",
):
    r"""The DPO loss (the "sigmoid" loss of TRL's ``DPOTrainer``), exact at any margin.

    .. math:: \Delta = (\log\pi_c - \log\pi_{\mathrm{ref},c}) - (\log\pi_r - \log\pi_{\mathrm{ref},r}),
              \qquad
              \ell = -(1 - \varepsilon)\log\sigma(\beta\Delta) - \varepsilon\log\sigma(-\beta\Delta)

    Parameters
    ----------
    policy_chosen_logps, policy_rejected_logps : array_like, shape (N,)
        :math:`\log\pi(y)` of the chosen and the rejected answer of each pair under the policy
        being trained: a whole sequence's log-probability, the *sum* of its tokens'
        (:func:`sequence_log_probs`).
    reference_chosen_logps, reference_rejected_logps : array_like, shape (N,)
        The same under the frozen reference model.
    beta : float, optional
        :math:`\beta > 0`, the strength of the KL penalty that keeps the policy near the
        reference (TRL's default 0.1).
    label_smoothing : float, optional
        :math:`\varepsilon \in [0, 0.5]`: the assumed probability that a pair's label is
        flipped (conservative DPO). 0 is plain DPO; 0.5 makes the loss blind to the labels.
    reduction : {"mean", "sum", "none"}, optional

    Returns
    -------
    float or ndarray
        In nats.

    Notes
    -----
    Semantics of TRL (huggingface/trl), file ``trl/trainer/dpo_trainer.py``, method
    ``DPOTrainer.dpo_loss``, branch ``loss_type == "sigmoid"`` (v0.12 to v0.24):
    ``logits = (chosen_logps - rejected_logps) - (ref_chosen_logps - ref_rejected_logps)``,
    ``losses = -F.logsigmoid(beta * logits) * (1 - label_smoothing) -
    F.logsigmoid(-beta * logits) * label_smoothing``, then ``losses.mean()``. (TRL 1.x
    moved it to ``DPOTrainer._compute_loss``, where ``"sigmoid"`` is
    ``-F.logsigmoid(beta * delta_score)`` and label smoothing belongs to other loss types;
    with ``label_smoothing=0`` the two agree.) Bad input is refused: shapes that differ,
    NaN, a log-probability above 0, ``beta <= 0``, ``label_smoothing`` outside [0, 0.5].

    Examples
    --------
    >>> dpo_loss([-5.0], [-5.0], [-5.0], [-5.0])   # the policy is the reference: log 2
    0.6931471805599453
    >>> round(dpo_loss([-1.0], [-30000.0], [-1.0], [-1.0], beta=1.0), 6)   # huge margin
    0.0
    """
    beta = check_positive_scalar(beta, "beta")
    eps = _check_label_smoothing(label_smoothing)
    reduction = _check_reduction(reduction)
    pc, pr, rc, rr = _four_log_probs(policy_chosen_logps, policy_rejected_logps,
                                     reference_chosen_logps, reference_rejected_logps)
    with np.errstate(invalid="ignore"):
        x = beta * ((pc - rc) - (pr - rr))
    if np.isnan(x).any():
        raise ValueError("a pair has -inf log-probabilities on both sides of a ratio (0 / 0)")
    per_pair = (1.0 - eps) * np.logaddexp(0.0, -x)
    if eps:
        per_pair = per_pair + eps * np.logaddexp(0.0, x)
    return _reduce(per_pair, reduction)


def dpo_loss_grad(
    policy_chosen_logps,
    policy_rejected_logps,
    reference_chosen_logps,
    reference_rejected_logps,
    beta=0.1,
    label_smoothing=0.0,
    reduction="mean",
    return_loss=False,
):
    r"""Gradient of :func:`dpo_loss` with respect to the policy's two log-probabilities.

    With :math:`x = \beta\Delta`, :math:`\partial\ell/\partial x = -(1-\varepsilon)\sigma(-x)
    + \varepsilon\sigma(x)`, so

    .. math:: \frac{\partial \ell}{\partial \log\pi_c} = -\beta\bigl[(1-\varepsilon)\sigma(-\beta\Delta)
              - \varepsilon\sigma(\beta\Delta)\bigr] = -\frac{\partial \ell}{\partial \log\pi_r}

    For plain DPO the weight of a pair is :math:`\beta\,\sigma(-\beta\Delta)`: large for a
    pair the policy still ranks the wrong way, near 0 for one it already ranks right.

    Parameters
    ----------
    policy_chosen_logps, policy_rejected_logps, reference_chosen_logps, reference_rejected_logps,
    beta, label_smoothing, reduction
        As in :func:`dpo_loss`; ``"mean"`` divides the gradient by N.
    return_loss : bool, optional
        Also return the loss: ``(loss, (grad_chosen, grad_rejected))``.

    Returns
    -------
    (ndarray, ndarray) or (float, (ndarray, ndarray))
        The gradients with respect to ``policy_chosen_logps`` and ``policy_rejected_logps``.

    Examples
    --------
    >>> g_c, g_r = dpo_loss_grad([-1.0], [-1.0], [-1.0], [-1.0], beta=0.1)
    >>> g_c, g_r   # -beta * sigmoid(0) and its opposite
    (array([-0.05]), array([0.05]))
    """
    beta = check_positive_scalar(beta, "beta")
    eps = _check_label_smoothing(label_smoothing)
    reduction = _check_reduction(reduction)
    pc, pr, rc, rr = _four_log_probs(policy_chosen_logps, policy_rejected_logps,
                                     reference_chosen_logps, reference_rejected_logps)
    x = beta * ((pc - rc) - (pr - rr))
    sig_neg = np.exp(-np.logaddexp(0.0, x))  # sigmoid(-x), exact at any x
    sig_pos = np.exp(-np.logaddexp(0.0, -x))
    d_x = -(1.0 - eps) * sig_neg + eps * sig_pos
    grad_c = beta * d_x
    if reduction == "mean" and grad_c.size:
        grad_c = grad_c / grad_c.size
    grad_c = np.asarray(grad_c, dtype=np.float64)
    grads = (grad_c, -grad_c)
    if return_loss:
        return dpo_loss(pc, pr, rc, rr, beta, eps, reduction), grads
    return grads


def dpo_implicit_rewards(policy_logps, reference_logps, beta=0.1):
    r"""DPO's implicit reward of each answer, :math:`\beta(\log\pi(y) - \log\pi_{\mathrm{ref}}(y))`.

    What TRL logs as ``rewards/chosen`` and ``rewards/rejected``: the reward, up to a
    constant per prompt, for which the policy is the optimum of the KL-regularised
    objective. ``dpo_loss`` is the Bradley-Terry loss of these rewards.

    Examples
    --------
    >>> dpo_implicit_rewards([-4.0, -9.0], [-5.0, -8.0], beta=0.5)
    array([ 0.5, -0.5])
    """
    beta = check_positive_scalar(beta, "beta")
    p, r = _scores(policy_logps, "policy_logps"), _scores(reference_logps, "reference_logps")
    check_same_shape(p, r, "policy_logps", "reference_logps")
    return beta * (p - r)


# ---------------------------------------------------------- log-probabilities of sequences


def sequence_log_probs(logits, targets, ignore_index=-100, average=False):
    r"""Each sequence's log-probability: the sum (or mean) of its tokens' :math:`\log q(y_t)`.

    A sequence's probability is the product of its tokens' conditional probabilities, so
    its log-probability is the sum of theirs (lesson 09), which is minus the sum of the
    per-token cross-entropies. Positions whose target is ``ignore_index`` (padding, or
    the prompt) count for nothing.

    Parameters
    ----------
    logits : array_like, shape (batch, vocab, time)
        Classes on dim 1, as ``F.cross_entropy`` wants them (lesson 09's layout).
    targets : array_like of int, shape (batch, time)
        The next tokens, ``ignore_index`` where nothing is predicted.
    ignore_index : int, optional
    average : bool, optional
        ``False`` (default): the sum over the sequence's real tokens, what DPO uses.
        ``True``: the mean per real token (a length-normalised score); NaN for a row
        without a real token.

    Returns
    -------
    ndarray of float64, shape (batch,)

    Notes
    -----
    The same as ``-F.cross_entropy(logits, targets, ignore_index=ignore_index,
    reduction="none").sum(dim=1)`` (and, divided by ``(targets != ignore_index).sum(1)``,
    the average), and as TRL's ``selective_log_softmax`` masked and summed over the
    completion.

    Examples
    --------
    >>> z = np.zeros((1, 4, 3))   # uniform over 4 tokens: each costs log 4
    >>> sequence_log_probs(z, [[0, 1, -100]]).round(4)
    array([-2.7726])
    >>> sequence_log_probs(z, [[0, 1, -100]], average=True).round(4)
    array([-1.3863])
    """
    if not isinstance(average, bool | np.bool_):
        raise TypeError(f"average must be True or False; got {average!r}")
    ignore_index = check_ignore_index(ignore_index)
    z = as_array(logits, "logits")
    if z.dtype.kind == "b":
        raise TypeError("logits must hold numbers; got a bool array")
    if z.ndim != 3:
        raise ValueError(f"logits must have shape (batch, vocab, time); got {z.shape}")
    t = as_array(targets, "targets")
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must hold integer token ids; got dtype {t.dtype}")
    if t.shape != (z.shape[0], z.shape[2]):
        raise ValueError(
            f"targets must have shape (batch, time) = {(z.shape[0], z.shape[2])}, matching "
            f"logits {z.shape}; got {t.shape}"
        )
    per_token = np.asarray(
        categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="none"),
        dtype=np.float64,
    )
    total = -per_token.sum(axis=1)
    if not average:
        return total
    counts = (t != ignore_index).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


def bigram_sequence_log_probs(W, sequences, average=False):
    r"""Log-probability of each sequence under a bigram model ``W``, given its first token.

    The sequences are padded (``xl.sequences.pad_sequences``), shifted
    (``next_token_targets``), scored with the bigram's logits (``bigram_logits``) and summed
    by :func:`sequence_log_probs`:
    :math:`\log \pi(x_1, \dots, x_T \mid x_0) = \sum_{t} \log \mathrm{softmax}(W_{x_{t-1}})_{x_t}`.

    Parameters
    ----------
    W : array_like, shape (V, V)
        The bigram table of logits (row ``a``: the logits of the token after ``a``).
    sequences : sequence of sequences of int
        Token ids, each at least 2 long; lengths may differ.
    average : bool, optional
        Mean per predicted token instead of the sum.

    Returns
    -------
    ndarray of float64, shape (len(sequences),)

    Examples
    --------
    >>> bigram_sequence_log_probs(np.zeros((3, 3)), [[0, 1, 2], [2, 1]]).round(4)
    array([-2.1972, -1.0986])
    """
    tokens, lengths = pad_sequences(sequences)
    inputs, targets = next_token_targets(tokens, lengths)
    return sequence_log_probs(bigram_logits(np.asarray(W, dtype=np.float64), inputs), targets,
                              average=average)
