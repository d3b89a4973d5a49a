"""Checkers of lesson 09: the next-token shift with its mask, and the loss of micro-batches.

Expected values come from :mod:`xent_lessons.sequences` and
:func:`xent_lessons.categorical_cross_entropy` (PyTorch's semantics), never from the
learner's code.
"""

from __future__ import annotations

import math

import numpy as np

from ..losses import categorical_cross_entropy
from ..sequences import next_token_targets
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["accumulated_loss", "shift_and_mask"]


# ------------------------------------------------------------------ shift_and_mask


def _shift_case(name, tokens, lengths, hint, ignore_index=-100):
    tokens, lengths = np.array(tokens, dtype=np.int64), np.array(lengths, dtype=np.int64)
    expected = next_token_targets(tokens, lengths, ignore_index)
    return Case(name, (tokens, lengths, ignore_index), expected, hint)


def _no_shift(tokens, lengths, ignore_index=-100):
    tokens = np.asarray(tokens)
    targets = tokens[:, :-1].copy()
    targets[np.arange(tokens.shape[1] - 1)[None, :] >= np.asarray(lengths)[:, None]] = ignore_index
    return tokens[:, :-1], targets


def _mask_off_by_one(tokens, lengths, ignore_index=-100):
    tokens = np.asarray(tokens)
    targets = tokens[:, 1:].copy()
    targets[np.arange(1, tokens.shape[1])[None, :] > np.asarray(lengths)[:, None]] = ignore_index
    return tokens[:, :-1], targets


def _no_mask(tokens, lengths, ignore_index=-100):
    tokens = np.asarray(tokens)
    return tokens[:, :-1], tokens[:, 1:]


def _mask_inputs_too(tokens, lengths, ignore_index=-100):
    inputs, targets = next_token_targets(tokens, lengths, ignore_index)
    inputs = inputs.copy()
    inputs[targets == ignore_index] = ignore_index
    return inputs, targets


def _fixed_minus_100(tokens, lengths, ignore_index=-100):
    return next_token_targets(tokens, lengths, -100)


def shift_and_mask(fn) -> CheckResult:
    """Check ``fn(tokens, lengths, ignore_index)``: inputs and masked targets of a padded batch.

    Parameters
    ----------
    fn : callable
        The learner's function: ``tokens`` of shape ``(batch, length)`` (integer token ids,
        each row padded at the end), ``lengths`` of shape ``(batch,)`` (the real tokens of
        each row) and ``ignore_index`` in; out ``(inputs, targets)``, both of shape
        ``(batch, length - 1)``, with ``ignore_index`` as the target of every prediction
        that would have to guess padding.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import numpy as np
    >>> no_shift = lambda tokens, lengths, ignore_index: (tokens[:, :-1], tokens[:, :-1])
    >>> shift_and_mask(no_shift).status
    'failed'
    """
    cases = [
        _shift_case(
            "one sequence, no padding", [[5, 8, 2, 9]], [4],
            "the input at position t is token t; its target is the NEXT token, t + 1: inputs "
            "drop the last token, targets drop the first.",
        ),
        _shift_case(
            "two sequences, the second padded", [[5, 8, 2, 9], [7, 3, 0, 0]], [4, 2],
            "the target at position t is token t + 1; where t + 1 >= the row's length, that "
            "token is padding: set the target to ignore_index there. The inputs stay as they "
            "are (an ignored prediction does no harm, and -100 is no token id).",
        ),
        _shift_case(
            "a sequence of one token: nothing to predict", [[4, 0, 0], [6, 1, 2]], [1, 3],
            "a row of length 1 has no next token at all: every target of that row is "
            "ignore_index.",
        ),
        _shift_case(
            "another ignore_index", [[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [6, 7, 8, 9, 1]],
            [3, 2, 5],
            "use the ignore_index you are given, not -100 written out.",
            ignore_index=-1,
        ),
    ]
    mistakes = [
        Mistake(_no_shift, "the targets must be the tokens shifted by one: targets = "
                "tokens[:, 1:], the token AFTER each input. Predicting the input itself is "
                "copying, not prediction."),
        Mistake(_mask_off_by_one, "off by one: the target at position t is token t + 1, "
                "padding as soon as t + 1 >= length (so the last real token is never an input "
                "with a real target)."),
        Mistake(_no_mask, "the padded positions must get ignore_index as their target, or the "
                "model is trained to predict padding."),
        Mistake(_mask_inputs_too, "mask the targets only: the inputs keep their token ids "
                "(an embedding cannot look up -100)."),
        Mistake(_fixed_minus_100, "use the ignore_index argument, not the number -100."),
    ]
    return run_cases("shift_and_mask", fn, cases, mistakes, part_names=["inputs", "targets"])


# ---------------------------------------------------------------- accumulated_loss


def _token_mean(micro_batches, ignore_index=-100):
    total, count = 0.0, 0
    for logits, targets in micro_batches:
        total += categorical_cross_entropy(logits, targets, ignore_index=ignore_index,
                                           reduction="sum")
        count += int(np.sum(np.asarray(targets) != ignore_index))
    return total / count if count else math.nan


def _mean_of_means(micro_batches, ignore_index=-100):
    return float(np.mean([categorical_cross_entropy(z, t, ignore_index=ignore_index)
                          for z, t in micro_batches]))


def _nanmean_of_means(micro_batches, ignore_index=-100):
    return float(np.nanmean([categorical_cross_entropy(z, t, ignore_index=ignore_index)
                             for z, t in micro_batches]))


def _over_all_positions(micro_batches, ignore_index=-100):
    total = sum(categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in micro_batches)
    return total / sum(np.asarray(t).size for _, t in micro_batches)


def _over_sequences(micro_batches, ignore_index=-100):
    total = sum(categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in micro_batches)
    return total / sum(np.asarray(t).shape[0] for _, t in micro_batches)


class _MicroBatches(tuple):
    """The micro-batches of a case: a tuple of ``(logits, targets)``, shown by their shapes."""

    def __repr__(self) -> str:
        parts = [f"(logits {z.shape}, targets {t.shape}, {int(np.sum(t != -100))} real)"
                 for z, t in self]
        return f"{len(self)} micro-batches: " + ", ".join(parts)


def _micro_batches(seed, shapes, padding):
    """Micro-batches of ``(B_m, V, T_m)`` logits and ``(B_m, T_m)`` targets, some padded."""
    rng = np.random.default_rng(seed)
    V = 5
    out = []
    for (B, T), n_pad in zip(shapes, padding, strict=True):
        logits = rng.normal(0.0, 2.0, size=(B, V, T))
        targets = rng.integers(0, V, size=(B, T))
        flat = targets.reshape(-1)
        flat[flat.size - n_pad:] = -100  # padding at the end
        out.append((logits, targets))
    return _MicroBatches(out)


def accumulated_loss(fn) -> CheckResult:
    """Check ``fn(micro_batches, ignore_index)``: the token mean of a batch split in micro-batches.

    Parameters
    ----------
    fn : callable
        The learner's function: a list of ``(logits, targets)`` pairs, logits of shape
        ``(B_m, V, T_m)`` and targets ``(B_m, T_m)`` with ``ignore_index`` at padding, and
        ``ignore_index``; out one number (nats): the loss of the whole batch, the mean over
        every real token of every micro-batch.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> def mean_of_means(micro_batches, ignore_index):
    ...     return np.mean([xl.categorical_cross_entropy(z, t, ignore_index=ignore_index)
    ...                     for z, t in micro_batches])
    >>> accumulated_loss(mean_of_means).status
    'failed'
    """
    cases = []
    for name, shapes, padding, hint in [
        ("two micro-batches with the same number of real tokens", [(2, 4), (2, 4)], [0, 0],
         "the loss of the whole batch: the sum of every real token's loss, divided by the "
         "number of real tokens (the reduction='sum' of each micro-batch helps)."),
        ("micro-batches with different numbers of real tokens", [(2, 6), (1, 3), (3, 2)],
         [5, 0, 1],
         "the micro-batches have 7, 3 and 5 real tokens: averaging their means gives each "
         "token of the small one more weight. Add up the sums, then divide by the total count."),
        ("a micro-batch of nothing but padding", [(2, 3), (1, 4)], [0, 4],
         "a micro-batch with no real token adds 0 to the sum and 0 to the count; its own mean "
         "is NaN (0 / 0), which must not reach the result."),
        ("ten micro-batches of different lengths", [(1, t) for t in range(1, 11)],
         [0, 1, 0, 2, 0, 1, 3, 0, 0, 5],
         "sum over micro-batches of (sum of losses), divided by the sum of (number of real "
         "targets): count targets != ignore_index, not positions or sequences."),
    ]:
        batches = _micro_batches(len(cases), shapes, padding)
        cases.append(Case(name, (batches, -100), _token_mean(batches), hint, rtol=1e-9))
    mistakes = [
        Mistake(_mean_of_means, "that is the mean of the micro-batch means: each micro-batch "
                "gets the same weight, whatever its number of real tokens. Sum the losses of "
                "all micro-batches and divide by the total number of real tokens."),
        Mistake(_nanmean_of_means, "that is the mean of the micro-batch means (NaN ones left "
                "out): it weighs micro-batches, not tokens. Sum, then divide by the total count."),
        Mistake(_over_all_positions, "the denominator counted the padded positions too: count "
                "only the targets that are not ignore_index."),
        Mistake(_over_sequences, "that divides by the number of sequences (a per-sequence "
                "sum): the token mean divides by the number of real tokens."),
    ]
    return run_cases("accumulated_loss", fn, cases, mistakes)
