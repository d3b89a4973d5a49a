"""Checkers of lesson 09: the next-token shift with its mask, and the loss of micro-batches.

Expected values come from :mod:`xent_lessons.sequences` and
:func:`xent_lessons.categorical_cross_entropy` (PyTorch's semantics), never from the
learner's code.
"""

from __future__ import annotations

import math

import numpy as np

from ..losses import categorical_cross_entropy
from ..sequences import next_token_targets, sliding_window_spans
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["accumulated_loss", "shift_and_mask", "sliding_window_loss"]


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


def _mask_by_pad_value(tokens, lengths, ignore_index=-100):
    tokens = np.asarray(tokens)
    targets = tokens[:, 1:].copy()
    targets[targets == 0] = ignore_index
    return tokens[:, :-1], targets


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
        that would have to guess padding. The padding is found from ``lengths``, never from
        the tokens' values: the pad id (0) is also a real token (``'\n'``).

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
        _shift_case(
            "token 0 is a real character here ('\\n' inside the text)",
            [[3, 0, 5, 0, 0], [0, 7, 0, 2, 0], [4, 0, 0, 0, 0]], [3, 5, 2],
            "token id 0 is a real character ('\\n' in the lesson's alphabet) as well as the "
            "pad value: only the lengths say where the padding starts. A target is "
            "ignore_index where its position t + 1 >= the row's length, whatever its value.",
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
        Mistake(_mask_by_pad_value, "you masked the targets whose VALUE is 0 (the pad value), "
                "but token 0 is also a real character ('\\n'): real newlines lost their "
                "targets. Mask by position with the lengths: ignore_index where t + 1 >= "
                "length."),
        Mistake(_fixed_minus_100, "use the ignore_index argument, not the number -100."),
    ]
    return run_cases("shift_and_mask", fn, cases, mistakes, part_names=["inputs", "targets"])


# ---------------------------------------------------------------- accumulated_loss


def _mean_times_count(micro_batches, ignore_index=-100):
    total, count = 0.0, 0
    for logits, targets in micro_batches:
        n = int(np.sum(np.asarray(targets) != ignore_index))
        total += categorical_cross_entropy(logits, targets, ignore_index=ignore_index) * n
        count += n
    return total / count


def _count_minus_100(micro_batches, ignore_index=-100):
    total = sum(categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="sum")
                for z, t in micro_batches)
    return total / sum(int(np.sum(np.asarray(t) != -100)) for _, t in micro_batches)


def _classes_not_moved(micro_batches, ignore_index=-100):
    """Flattens (B, V, T) logits to (B * T, V) without moving the class axis last."""
    total, count = 0.0, 0
    for logits, targets in micro_batches:
        z = np.asarray(logits)
        total += categorical_cross_entropy(z.reshape(-1, z.shape[1]), np.asarray(targets).reshape(-1),
                                           ignore_index=ignore_index, reduction="sum")
        count += int(np.sum(np.asarray(targets) != ignore_index))
    return total / count


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

    ignore_index = -100

    def __repr__(self) -> str:
        parts = [f"(logits {z.shape}, targets {t.shape}, "
                 f"{int(np.sum(t != self.ignore_index))} real)" for z, t in self]
        return f"{len(self)} micro-batches: " + ", ".join(parts)

    def __deepcopy__(self, memo):
        copy = _MicroBatches((z.copy(), t.copy()) for z, t in self)
        copy.ignore_index = self.ignore_index
        return copy


def _micro_batches(seed, shapes, padding, ignore_index=-100):
    """Micro-batches of ``(B_m, V, T_m)`` logits and ``(B_m, T_m)`` targets, some padded."""
    rng = np.random.default_rng(seed)
    V = 5
    out = []
    for (B, T), n_pad in zip(shapes, padding, strict=True):
        logits = rng.normal(0.0, 2.0, size=(B, V, T))
        targets = rng.integers(0, V, size=(B, T))
        flat = targets.reshape(-1)
        flat[flat.size - n_pad:] = ignore_index  # padding at the end
        out.append((logits, targets))
    batches = _MicroBatches(out)
    batches.ignore_index = ignore_index
    return batches


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
    for name, shapes, padding, ignore_index, hint in [
        ("two micro-batches with the same number of real tokens", [(2, 4), (2, 4)], [0, 0], -100,
         "the loss of the whole batch: the sum of every real token's loss, divided by the "
         "number of real tokens (the reduction='sum' of each micro-batch helps)."),
        ("micro-batches with different numbers of real tokens", [(2, 6), (1, 3), (3, 2)],
         [5, 0, 1], -100,
         "the micro-batches have 7, 3 and 5 real tokens: averaging their means gives each "
         "token of the small one more weight. Add up the sums, then divide by the total count."),
        ("a micro-batch of nothing but padding", [(2, 3), (1, 4)], [0, 4], -100,
         "a micro-batch with no real token adds 0 to the sum and 0 to the count; its own mean "
         "is NaN (0 / 0), which must not reach the result (NaN * 0 is NaN too)."),
        ("ten micro-batches of different lengths", [(1, t) for t in range(1, 11)],
         [0, 1, 0, 2, 0, 1, 3, 0, 0, 5], -100,
         "sum over micro-batches of (sum of losses), divided by the sum of (number of real "
         "targets): count targets != ignore_index, not positions or sequences."),
        ("padding marked with ignore_index = -1", [(2, 5), (1, 3), (2, 2)], [3, 0, 2], -1,
         "the padding is marked with the ignore_index you are given (-1 here): pass it to the "
         "loss (ignore_index=ignore_index) and count targets != ignore_index, not != -100."),
        ("ignore_index = 7, above every class id", [(1, 6), (2, 3)], [2, 3], 7,
         "any integer that is not a class id can mark padding (7 here, with 5 classes): pass "
         "ignore_index through to the loss and to the count."),
    ]:
        batches = _micro_batches(len(cases), shapes, padding, ignore_index)
        cases.append(Case(name, (batches, ignore_index), _token_mean(batches, ignore_index),
                          hint, rtol=1e-9))
    mistakes = [
        Mistake(_mean_times_count, "you got NaN: a micro-batch with no real token has a mean "
                "of 0 / 0 = NaN, and its mean * count is NaN * 0 = NaN, not 0. Take each "
                "micro-batch's SUM of losses (reduction='sum'), which is 0 there, or skip "
                "micro-batches whose count is 0."),
        Mistake(_count_minus_100, "the count used -100 written out: count the targets != "
                "ignore_index (the argument), which marks the padding here."),
        Mistake(_classes_not_moved, "the logits are (B, V, T): the classes are on axis 1. "
                "Reshaping them to (-1, V) without moving that axis mixes classes and "
                "positions: pass (B, V, T) and (B, T) to the loss as they are, or "
                "np.moveaxis(logits, 1, -1).reshape(-1, V) first."),
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


# ---------------------------------------------------------------- sliding_window_loss


class _WindowModel:
    """A stand-in for one model call on ``tokens[begin:end]``: its per-target losses (nats).

    The loss of target ``t`` falls with its context ``c = t - begin`` in the window
    (``base[t] + 2 / (1 + c)``), as a real model's does, so that a token scored in the wrong
    window, or twice, changes the mean. Windows longer than ``context_length`` are refused.
    """

    def __init__(self, n_tokens, context_length, seed):
        self.n_tokens, self.context_length = n_tokens, context_length
        self.base = np.random.default_rng(seed).uniform(0.5, 3.0, size=n_tokens)

    def __repr__(self) -> str:
        return f"score_window (a model of context {self.context_length} on {self.n_tokens} tokens)"

    def __call__(self, begin, end):
        for name, value in (("begin", begin), ("end", end)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"score_window: {name} must be an integer; got {value!r}")
        begin, end = int(begin), int(end)
        if not 0 <= begin < end <= self.n_tokens:
            raise ValueError(f"score_window: need 0 <= begin < end <= n_tokens = {self.n_tokens}; "
                             f"got begin={begin}, end={end}")
        if end - begin > self.context_length:
            raise ValueError(f"score_window: the model reads at most context_length = "
                             f"{self.context_length} tokens; got the window [{begin}, {end}) of "
                             f"{end - begin}")
        targets = np.arange(begin + 1, end)
        return self.base[targets] + 2.0 / (1.0 + (targets - begin))


def _window_mean(score_window, n_tokens, context_length, stride):
    total, count = 0.0, 0
    for span in sliding_window_spans(n_tokens, context_length, stride):
        losses = score_window(span.input_start, span.input_end)
        first = span.target_start - span.input_start - 1  # losses[j]: target input_start + 1 + j
        total += float(np.sum(losses[first:]))
        count += span.target_end - span.target_start
    return total / count


def _mean_of_window_means(score_window, n_tokens, context_length, stride):
    means = []
    for span in sliding_window_spans(n_tokens, context_length, stride):
        losses = score_window(span.input_start, span.input_end)
        means.append(float(np.mean(losses[span.target_start - span.input_start - 1:])))
    return float(np.mean(means))


def _overlap_scored_twice(score_window, n_tokens, context_length, stride):
    losses = [score_window(span.input_start, span.input_end)
              for span in sliding_window_spans(n_tokens, context_length, stride)]
    return float(np.mean(np.concatenate(losses)))


def _index_off_by_one(score_window, n_tokens, context_length, stride):
    total, count = 0.0, 0
    for span in sliding_window_spans(n_tokens, context_length, stride):
        kept = score_window(span.input_start, span.input_end)[span.target_start - span.input_start:]
        total, count = total + float(np.sum(kept)), count + kept.size
    return total / count


def _hugging_face_weights(score_window, n_tokens, context_length, stride):
    """Each later window's mean weighed by its scored targets minus one (num_valid - batch)."""
    total, count = 0.0, 0
    for k, span in enumerate(sliding_window_spans(n_tokens, context_length, stride)):
        losses = score_window(span.input_start, span.input_end)
        scored = losses[span.target_start - span.input_start - 1:]
        weight = scored.size if k == 0 else scored.size - 1
        total, count = total + float(np.mean(scored)) * weight, count + weight
    return total / count


def _windows_end_to_end(score_window, n_tokens, context_length, stride):
    """Windows placed end to end, every prediction scored: the token at each start is lost."""
    total, count = 0.0, 0
    for begin in range(0, n_tokens - 1, context_length):
        losses = score_window(begin, min(begin + context_length, n_tokens))
        total, count = total + float(np.sum(losses)), count + losses.size
    return total / count


def _first_targets_of_each_window(score_window, n_tokens, context_length, stride):
    """Scores, in each window, its FIRST new targets (the least context) instead of its last."""
    total, count, scored_up_to = 0.0, 0, 1
    for begin in range(0, n_tokens, stride):
        end = min(begin + context_length, n_tokens)
        losses = score_window(begin, end)
        n_new = end - scored_up_to
        kept = losses[:n_new]
        total, count, scored_up_to = total + float(np.sum(kept)), count + kept.size, end
        if end == n_tokens:
            break
    return total / count


def _in_bits(score_window, n_tokens, context_length, stride):
    return _window_mean(score_window, n_tokens, context_length, stride) / math.log(2)


def sliding_window_loss(fn) -> CheckResult:
    """Check ``fn(score_window, n_tokens, context_length, stride)``: the sliding-window mean loss.

    Parameters
    ----------
    fn : callable
        The learner's function. ``score_window(begin, end)`` is one model call on
        ``tokens[begin:end]`` (at most ``context_length`` tokens): it returns the
        ``end - begin - 1`` losses, in nats, of the predictions of tokens ``begin + 1`` to
        ``end - 1``. ``fn`` returns the mean loss over tokens 1 to ``n_tokens - 1``, each
        scored once, in the windows of :func:`xent_lessons.sliding_window_spans`.

    Returns
    -------
    CheckResult
        Passed, the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> def mean_of_window_means(score_window, n_tokens, context_length, stride):
    ...     spans = sliding_window_spans(n_tokens, context_length, stride)
    ...     return np.mean([np.mean(score_window(a, b)[c - a - 1:]) for a, b, c, _ in spans])
    >>> sliding_window_loss(mean_of_window_means).status
    'failed'
    """
    cases = []
    for n_tokens, context_length, stride, hint in [
        (13, 5, 4, "windows of 5 tokens, 4 apart: they share one token, and every window "
         "scores its 4 predictions; losses[j] is the prediction of token begin + 1 + j."),
        (12, 4, 1, "stride 1: each window after the first scores only its last prediction."),
        (30, 8, 3, "a later window scores only its targets not scored before (its last "
         "stride ones; the last window maybe fewer): sum the losses, divide by n_tokens - 1."),
        (9, 16, 5, "a text shorter than the context: one window, every prediction scored."),
        (50, 6, 4, "the mean over every token but the first, each scored once, in nats."),
    ]:
        model = _WindowModel(n_tokens, context_length, seed=len(cases))
        expected = _window_mean(model, n_tokens, context_length, stride)
        cases.append(Case(f"n_tokens={n_tokens}, context_length={context_length}, stride={stride}",
                          (model, n_tokens, context_length, stride), expected, hint, rtol=1e-9))
    mistakes = [
        Mistake(_mean_of_window_means, "that is the mean of the windows' mean losses: a window "
                "that scores fewer targets (the last one, or the first when it scores more) gets "
                "the same weight. Add up the scored losses and divide by their number, "
                "n_tokens - 1."),
        Mistake(_overlap_scored_twice, "every prediction of every window was counted: where "
                "windows overlap, tokens are scored twice (or more), the early ones with little "
                "context. Keep only the targets that no earlier window scored."),
        Mistake(_index_off_by_one, "off by one: score_window(begin, end)[j] is the prediction "
                "of token begin + 1 + j (the window's first token has no prediction), so the "
                "first new target t sits at index t - begin - 1, not t - begin."),
        Mistake(_hugging_face_weights, "each later window was weighed by its number of scored "
                "targets minus one (Hugging Face's num_valid_tokens - batch_size is right only "
                "when no label of the window is masked): weigh by the number actually scored."),
        Mistake(_windows_end_to_end, "the windows were placed end to end, ignoring the stride: "
                "the token at each window's start is then never predicted. Start a window every "
                "`stride` tokens (windows of L tokens predict L - 1 targets)."),
        Mistake(_first_targets_of_each_window, "each window scored its FIRST new targets: they "
                "are the ones with the least context. Score the window's LAST ones: the "
                "targets that end the window, after the most context."),
        Mistake(_in_bits, "that is in bits: return nats (the losses are in nats; divide by "
                "log 2 only to report bits per token)."),
    ]
    return run_cases("sliding_window_loss", fn, cases, mistakes)
