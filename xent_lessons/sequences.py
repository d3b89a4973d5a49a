r"""Cross-entropy over sequences (lesson 09): the shift, padding, the right mean, a bigram model.

A language model reads a sequence of tokens :math:`x_0, x_1, \dots, x_T` and, at every
position :math:`t`, predicts the next token :math:`x_{t+1}` from the tokens up to
:math:`x_t`. So one sequence of :math:`T + 1` tokens gives :math:`T` predictions: the
inputs are the sequence without its last token, the targets the sequence without its
first (the **next-token shift**). A batch of sequences of different lengths is padded to
one length; the padded positions get the target ``ignore_index`` so that they count
neither in the loss nor in its mean.

The model here is the smallest one trained with cross-entropy on sequences, a **bigram
model**: a table :math:`W` of :math:`V \times V` logits, whose row :math:`W_a` holds the
logits of the next token after token :math:`a`. Its output for a batch is
``W[inputs]``, of shape ``(batch, time, vocab)``, handed to the loss as
``(batch, vocab, time)``: the classes on dim 1, as PyTorch wants them.

>>> import numpy as np
>>> tokens, lengths = pad_sequences([[5, 1, 2], [3, 4]], pad_value=0)
>>> tokens
array([[5, 1, 2],
       [3, 4, 0]])
>>> inputs, targets = next_token_targets(tokens, lengths)
>>> inputs
array([[5, 1],
       [3, 4]])
>>> targets
array([[   1,    2],
       [   4, -100]])
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ._validation import (
    as_array,
    as_class_indices,
    as_int_array,
    check_count,
    check_ignore_index,
    check_not_bool,
    check_positive_scalar,
)
from .losses import categorical_cross_entropy

__all__ = [
    "MEANS",
    "BigramHistory",
    "WindowSpan",
    "bigram_logits",
    "bigram_loss_and_grad",
    "micro_batch_token_weights",
    "next_token_targets",
    "pad_sequences",
    "random_windows",
    "sequence_cross_entropy",
    "sliding_window_spans",
    "train_bigram",
]

MEANS = ("token", "sequence", "sequence_sum")


def _check_count(value, name: str, minimum: int) -> int:
    return check_count(value, name, minimum)


_INT64_MAX = np.iinfo(np.int64).max


def _check_betas(betas) -> tuple[float, float]:
    """Adam's ``(beta1, beta2)``: two real numbers in [0, 1)."""
    if not isinstance(betas, tuple | list) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2) of numbers in [0, 1); got {betas!r}")
    for b in betas:
        if isinstance(b, bool) or not isinstance(b, numbers.Real):
            raise TypeError(f"betas must hold real numbers in [0, 1); got {betas!r}")
        if not 0 <= float(b) < 1:
            raise ValueError(f"betas must hold numbers in [0, 1); got {betas!r}")
    return float(betas[0]), float(betas[1])


def _token_array(tokens, name: str, ndim: int, *, allow=None) -> np.ndarray:
    """Integer ids >= 0 (or equal to ``allow``, the ignore_index of targets), as int64.

    Values are compared in the array's own type before the cast, so a uint64 near 2**64
    is out of range rather than wrapping around to a negative id (or to -100).
    """
    arr = as_int_array(tokens, name, "integer token ids")
    if arr.ndim != ndim:
        shape = "(batch, time)" if ndim == 2 else "(time,)"
        raise ValueError(f"{name} must have shape {shape}; got {arr.shape}")
    _check_ids(arr, name, allow)
    return arr.astype(np.int64, copy=False)


def _check_ids(arr: np.ndarray, name: str, allow=None) -> None:
    if not arr.size:
        return
    bad = (arr < 0) | (arr > _INT64_MAX)
    if allow is not None:
        bad &= arr != allow
    if bad.any():
        value = arr[bad].flat[0]
        extra = f" (or ignore_index={allow})" if allow is not None else ""
        raise ValueError(
            f"{name} holds {value}; expected token ids from 0 to 2**63 - 1{extra}"
            + (": a negative id would collide with ignore_index" if value < 0 else "")
        )


# ----------------------------------------------------------------- batches of sequences


def _check_pad_value(pad_value, integer: bool):
    if isinstance(pad_value, bool | np.bool_) or not isinstance(pad_value, numbers.Real):
        raise TypeError(f"pad_value must be a number; got {pad_value!r}")
    if not integer:
        return pad_value
    if not isinstance(pad_value, numbers.Integral):
        if not float(pad_value).is_integer():
            raise ValueError(
                f"pad_value must be an integer for sequences of integer token ids; got "
                f"{pad_value!r} (pass float sequences to pad with a float)"
            )
        pad_value = int(pad_value)
    if not -_INT64_MAX - 1 <= pad_value <= _INT64_MAX:
        raise ValueError(f"pad_value must fit in int64; got {pad_value!r}")
    return int(pad_value)


def pad_sequences(sequences, pad_value=0):
    """Stack sequences of different lengths into one ``(batch, length, ...)`` array, padded at the end.

    ``torch.nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=pad_value)``,
    with the lengths returned too.

    Parameters
    ----------
    sequences : sequence of array_like
        Each sequence, of shape ``(length_i,)`` (token ids) or ``(length_i, *rest)`` with
        the same trailing dimensions ``rest`` for all (say one feature vector per step);
        each at least one step long. Integer ids must be >= 0; float sequences (features)
        may hold any real numbers. Booleans are refused.
    pad_value : int or float, optional
        The value written after the end of each shorter sequence: an integer for integer
        sequences (any will do: the padded positions are masked by their lengths, see
        :func:`next_token_targets`), any number for float sequences.

    Returns
    -------
    tokens : ndarray, shape (batch, max length, *rest)
        int64 for integer sequences; otherwise the sequences' common float type.
    lengths : ndarray of int64, shape (batch,)
        How many real steps each row has.

    Examples
    --------
    >>> pad_sequences([[1, 2, 3], [4]], pad_value=9)[0]
    array([[1, 2, 3],
           [4, 9, 9]])
    >>> pad_sequences([np.ones((2, 2)), np.ones((1, 2))])[0].shape  # trailing dims
    (2, 2, 2)
    """
    if sequences is None or isinstance(sequences, str | bytes | numbers.Number) or (
        isinstance(sequences, np.ndarray | np.generic) and np.ndim(sequences) == 0
    ):
        raise TypeError(f"sequences must be a list of sequences; got {sequences!r}")
    try:
        sequences = list(sequences)
    except TypeError:
        raise TypeError(
            f"sequences must be a list of sequences; got {type(sequences).__name__}"
        ) from None
    if not sequences:
        raise ValueError("sequences is empty; expected at least one sequence")
    rows = []
    for i, seq in enumerate(sequences):
        if seq is None or isinstance(seq, str | bytes):
            raise TypeError(f"sequences[{i}] must be array-like of numbers; got {seq!r}")
        arr = as_array(seq, f"sequences[{i}]")
        check_not_bool(arr, f"sequences[{i}]", "token ids or real numbers")
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"sequences[{i}] must hold token ids or real numbers; got dtype {arr.dtype}")
        if arr.ndim == 0:
            raise ValueError(f"sequences[{i}] is a scalar ({arr.item()!r}); expected a sequence")
        if arr.shape[0] == 0:
            raise ValueError(f"every sequence needs at least one token; sequences[{i}] is empty")
        if rows and arr.shape[1:] != rows[0].shape[1:]:
            raise ValueError(
                f"every sequence must have the same trailing dimensions; sequences[0] has "
                f"{rows[0].shape[1:]}, sequences[{i}] {arr.shape[1:]}"
            )
        if arr.dtype.kind in "iu":
            _check_ids(arr, f"sequences[{i}]")
        rows.append(arr)
    integer = all(r.dtype.kind in "iu" for r in rows)
    dtype = np.dtype(np.int64) if integer else np.result_type(*(r.dtype for r in rows), np.float16)
    pad_value = _check_pad_value(pad_value, integer)
    lengths = np.array([r.shape[0] for r in rows], dtype=np.int64)
    tokens = np.full((len(rows), int(lengths.max()), *rows[0].shape[1:]), pad_value, dtype=dtype)
    for i, r in enumerate(rows):
        tokens[i, : r.shape[0]] = r
    return tokens, lengths


def next_token_targets(tokens, lengths=None, ignore_index=-100):
    r"""The next-token shift: ``(inputs, targets)`` for a batch of (padded) sequences.

    Position :math:`t` of row :math:`b` reads ``inputs[b, t] = tokens[b, t]`` and must
    predict ``targets[b, t] = tokens[b, t + 1]``. Where ``t + 1`` is at or past the row's
    length (padding), the target is ``ignore_index``: that prediction is left out.

    Parameters
    ----------
    tokens : array_like of int, shape (batch, length)
        The sequences, padded at the end.
    lengths : array_like of int, shape (batch,), optional
        The real length of each row (default: every row is full length).
    ignore_index : int, optional
        The target of padded positions, as in the loss (default -100).

    Returns
    -------
    inputs, targets : ndarray of int64, shape (batch, length - 1)

    Examples
    --------
    >>> next_token_targets([[7, 8, 9, 0]], lengths=[3])
    (array([[7, 8, 9]]), array([[   8,    9, -100]]))
    """
    raw = as_int_array(tokens, "tokens", "integer token ids")
    if raw.ndim != 2:
        raise ValueError(f"tokens must have shape (batch, time); got {raw.shape}")
    ignore_index = check_ignore_index(ignore_index)
    batch, length = raw.shape
    if length < 2:
        raise ValueError(f"tokens must have at least 2 positions (an input and a target); got {length}")
    if lengths is None:
        lengths = np.full(batch, length)
    lengths = as_int_array(lengths, "lengths", "integer lengths")
    if lengths.shape != (batch,):
        raise ValueError(f"lengths must have shape ({batch},), one per row; got {lengths.shape}")
    if batch and (lengths.min() < 1 or lengths.max() > length):
        raise ValueError(f"lengths must be between 1 and {length}; got {lengths.tolist()}")
    lengths = lengths.astype(np.int64)
    # the real positions hold token ids >= 0; padding (beyond a row's length) may hold any pad id
    _check_ids(raw[np.arange(length)[None, :] < lengths[:, None]], "tokens")
    tokens = raw.astype(np.int64)
    inputs = tokens[:, :-1].copy()
    targets = tokens[:, 1:].copy()
    is_padding = np.arange(1, length)[None, :] >= lengths[:, None]
    targets[is_padding] = ignore_index
    return inputs, targets


def random_windows(token_ids, batch_size, length, rng):
    """``batch_size`` windows of ``length`` consecutive tokens, each at a random start.

    Parameters
    ----------
    token_ids : array_like of int, shape (n,)
        A long text as token ids.
    batch_size, length : int
        How many windows, and how many tokens each.
    rng : numpy.random.Generator
        The random source of the starts.

    Returns
    -------
    ndarray of int64, shape (batch_size, length)

    Examples
    --------
    >>> random_windows(np.arange(100), 2, 4, np.random.default_rng(0))
    array([[82, 83, 84, 85],
           [61, 62, 63, 64]])
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng must be a numpy.random.Generator (np.random.default_rng(seed)); got "
            f"{type(rng).__name__}"
        )
    ids = _token_array(token_ids, "token_ids", 1)
    batch_size = _check_count(batch_size, "batch_size", 1)
    length = _check_count(length, "length", 1)
    if length > ids.size:
        raise ValueError(f"length {length} is longer than the text ({ids.size} tokens)")
    starts = rng.integers(0, ids.size - length + 1, size=batch_size)
    return ids[starts[:, None] + np.arange(length)]


# ----------------------------------------------------------------------- the means


def sequence_cross_entropy(logits, target, mean="token", ignore_index=-100):
    r"""Cross-entropy of ``(batch, vocab, time)`` logits, averaged in one of three ways.

    Parameters
    ----------
    logits : array_like, shape (batch, vocab, time)
        The model's logits, classes on dim 1.
    target : array_like of int, shape (batch, time)
        The next tokens, ``ignore_index`` at padded positions.
    mean : {"token", "sequence", "sequence_sum"}
        - ``"token"``: the sum over all real tokens divided by their number
          (``F.cross_entropy``'s default). Every token weighs the same: this is the
          cross-entropy per token of the text, the one that bits per character and
          perplexity report.
        - ``"sequence"``: the mean over the rows of each row's own token mean. Every
          *sequence* weighs the same, so a token of a short sequence weighs more than a
          token of a long one. A row without a real token is left out.
        - ``"sequence_sum"``: the sum over all real tokens divided by the number of rows:
          the negative log-likelihood of a whole sequence, on average. Every token weighs
          the same, but the scale grows with the length of the sequences.
    ignore_index : int, optional
        The target of padded positions.

    Returns
    -------
    float
        In nats. NaN when there is nothing to average (no real token at all), as in
        PyTorch's token mean of a fully padded batch.

    Examples
    --------
    >>> z = np.zeros((2, 4, 3))  # uniform over 4 classes: every token costs ln 4
    >>> y = [[0, 1, 2], [3, -100, -100]]
    >>> [round(sequence_cross_entropy(z, y, m), 4) for m in MEANS]
    [1.3863, 1.3863, 2.7726]
    """
    if not isinstance(mean, str) or mean not in MEANS:
        raise ValueError(f"mean must be one of {MEANS}; got {mean!r}")
    ignore_index = check_ignore_index(ignore_index)
    z = as_array(logits, "logits")
    if z.ndim != 3:
        raise ValueError(f"logits must have shape (batch, vocab, time); got {z.shape}")
    t = _token_array(target, "target", 2, allow=ignore_index)
    per_token = np.asarray(
        categorical_cross_entropy(z, t, ignore_index=ignore_index, reduction="none"),
        dtype=np.float64,
    )
    real = t != ignore_index
    if mean == "token":
        n = real.sum()
        return float(per_token.sum() / n) if n else math.nan
    if mean == "sequence_sum":
        return float(per_token.sum() / z.shape[0]) if real.any() else math.nan
    counts = real.sum(axis=1)
    rows = counts > 0
    if not rows.any():
        return math.nan
    return float(np.mean(per_token.sum(axis=1)[rows] / counts[rows]))


def micro_batch_token_weights(token_counts):
    r"""The weight each token gets when micro-batch means are averaged, and when they should be.

    Gradient accumulation splits a batch into :math:`M` micro-batches with
    :math:`n_1, \dots, n_M` real tokens. Averaging the micro-batches' mean losses,
    :math:`\frac{1}{M}\sum_m \frac{1}{n_m}\sum_{i \in m} \ell_i`, gives each token of
    micro-batch :math:`m` the weight :math:`\frac{1}{M n_m}`; the token mean of the whole
    batch gives every token :math:`\frac{1}{N}`, :math:`N = \sum_m n_m`.

    Parameters
    ----------
    token_counts : sequence of int
        :math:`n_m`, the real tokens of each micro-batch (each >= 1).

    Returns
    -------
    naive, right : ndarray of float64, shape (M,)
        The weight of one token of each micro-batch, under the mean of means and under the
        token mean. ``naive * counts`` and ``right * counts`` both sum to 1.

    Examples
    --------
    >>> naive, right = micro_batch_token_weights([1, 3])
    >>> naive, right
    (array([0.5       , 0.16666667]), array([0.25, 0.25]))
    """
    counts = _token_array(token_counts, "token_counts", 1)
    if counts.size == 0 or counts.min() < 1:
        raise ValueError(f"token_counts must be >= 1 each, at least one; got {counts.tolist()}")
    naive = 1.0 / (counts.size * counts)
    right = np.full(counts.size, 1.0 / counts.sum())
    return naive, right


# ----------------------------------------------------------------------- a bigram model


def _bigram_table(W) -> np.ndarray:
    """The bigram table: real numbers of shape (V, V), one row of next-token logits per token."""
    arr = as_array(W, "W")
    check_not_bool(arr, "W", "real-valued logits")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"W must hold real-valued logits; got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] == 0:
        raise ValueError(f"W must have shape (V, V), one row of V logits per token; got {arr.shape}")
    return arr


def bigram_logits(W, inputs):
    """The bigram model's logits ``(batch, vocab, time)`` for ``inputs`` ``(batch, time)``.

    Row ``W[a]`` is the logits of the next token after token ``a``: the output at each
    position is the row of its input token, ``W[inputs]`` of shape ``(batch, time,
    vocab)``, moved to ``(batch, vocab, time)`` for the loss (a view, not a copy).

    Examples
    --------
    >>> W = np.arange(6.0).reshape(2, 3)[:, :2]  # 2 tokens: logits [0, 1] and [3, 4]
    >>> bigram_logits(W, [[0, 1, 1]])
    array([[[0., 3., 3.],
            [1., 4., 4.]]])
    """
    W = _bigram_table(W)
    inputs = _token_array(inputs, "inputs", 2)
    if inputs.size and inputs.max() >= W.shape[0]:
        raise ValueError(
            f"inputs holds token {inputs.max()}, out of range for a table of {W.shape[0]} tokens"
        )
    return np.transpose(W[inputs], (0, 2, 1))


def bigram_loss_and_grad(W, inputs, targets, ignore_index=-100):
    r"""The token-mean cross-entropy of the bigram model and its gradient with respect to ``W``.

    The gradient of the loss with respect to the logits is lesson 06's
    :math:`(\mathrm{softmax}(z) - y) / N` at every real position (0 at padding); each
    position's logits are the row ``W[inputs[b, t]]``, so that row collects the gradient
    of every position whose input is that token (``np.add.at``).

    Returns
    -------
    loss : float
        In nats.
    grad : ndarray, the shape of ``W``
    """
    from .gradients import categorical_cross_entropy_grad

    W = _bigram_table(W)
    inputs = _token_array(inputs, "inputs", 2)
    # Checked here, so that the errors name targets (the loss would call them target).
    targets = as_class_indices(
        targets, "targets", inputs.shape[0], W.shape[1], check_ignore_index(ignore_index),
        shape=inputs.shape,
    )
    z = bigram_logits(W, inputs)
    loss, g = categorical_cross_entropy_grad(z, targets, ignore_index=ignore_index, return_loss=True)
    V = W.shape[1]
    per_position = np.transpose(g, (0, 2, 1)).reshape(-1, V)  # one row of V per position
    # Row a of the gradient adds up the rows of every position whose input is a. That is
    # np.add.at(grad, inputs, per_position); np.bincount on the flat indices is the same sum,
    # in the same order, four times faster.
    flat = (np.asarray(inputs).reshape(-1, 1) * V + np.arange(V)).ravel()
    grad = np.bincount(flat, weights=per_position.ravel(), minlength=W.shape[0] * V)
    return loss, grad.reshape(W.shape).astype(g.dtype, copy=False)


@dataclass
class BigramHistory:
    """What :func:`train_bigram` returns: the final table and the loss along the way."""

    W: np.ndarray  # (V, V), the trained logits
    loss: np.ndarray  # (steps,) each training batch's token-mean loss, in nats
    checkpoints: dict  # step -> W after that many steps (a copy); 0 is the start


def train_bigram(token_ids, vocab_size, steps=300, batch_size=32, length=65, lr=0.05,
                 betas=(0.9, 0.999), eps=1e-8, seed=0, checkpoint_every=None):
    r"""Train a bigram model from zero logits with Adam on random windows of ``token_ids``.

    Each step draws ``batch_size`` windows of ``length`` tokens (``length - 1`` predictions
    each, by the next-token shift), computes the token-mean cross-entropy and its gradient
    :math:`g` (:func:`bigram_loss_and_grad`), and takes one step of Adam (Kingma and Ba,
    2015), as ``torch.optim.Adam`` with its defaults:

    .. math:: m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
              v \leftarrow \beta_2 v + (1 - \beta_2) g^2, \qquad
              W \leftarrow W - \eta\,\frac{m / (1 - \beta_1^t)}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}

    Dividing by :math:`\sqrt{v}` gives every logit a step of about :math:`\eta`, however
    small its gradient: the rows of rare characters learn as fast as the row of the space.

    Parameters
    ----------
    token_ids : array_like of int, shape (n,)
        The training text as token ids.
    vocab_size : int
        :math:`V`.
    steps, batch_size, length : int, optional
    lr, betas, eps : optional
        Adam's :math:`\eta`, :math:`(\beta_1, \beta_2)` and :math:`\epsilon`.
    seed : int, optional
        Seed of the windows' random starts.
    checkpoint_every : int, optional
        Keep a copy of ``W`` every that many steps (and after the last).

    Returns
    -------
    BigramHistory

    Examples
    --------
    >>> h = train_bigram(np.array([0, 1] * 50), vocab_size=2, steps=100, batch_size=4,
    ...                  length=9, lr=0.1)
    >>> h.loss[0].round(4), bool(h.loss[-1] < 0.01)
    (np.float64(0.6931), True)
    """
    ids = _token_array(token_ids, "token_ids", 1)
    vocab_size = _check_count(vocab_size, "vocab_size", 1)
    steps = _check_count(steps, "steps", 1)
    lr = check_positive_scalar(lr, "lr")
    beta1, beta2 = _check_betas(betas)
    eps = check_positive_scalar(eps, "eps")
    seed = _check_count(seed, "seed", 0)
    if checkpoint_every is not None:
        checkpoint_every = _check_count(checkpoint_every, "checkpoint_every", 1)
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"token_ids must be in [0, {vocab_size}); got {ids.min()} to {ids.max()}")
    rng = np.random.default_rng(seed)
    W = np.zeros((vocab_size, vocab_size))
    m, v = np.zeros_like(W), np.zeros_like(W)
    losses, checkpoints = np.empty(steps), {0: W.copy()}
    for t in range(1, steps + 1):
        windows = random_windows(ids, batch_size, length, rng)
        losses[t - 1], g = bigram_loss_and_grad(W, windows[:, :-1], windows[:, 1:])
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        step_size = lr / (1 - beta1**t)
        W = W - step_size * m / (np.sqrt(v) / math.sqrt(1 - beta2**t) + eps)
        if checkpoint_every and (t % checkpoint_every == 0 or t == steps):
            checkpoints[t] = W.copy()
    return BigramHistory(W, losses, checkpoints)


# ------------------------------------------------------------------ sliding windows


class WindowSpan(NamedTuple):
    """One window of a sliding-window evaluation (half-open spans of token positions).

    The model reads ``tokens[input_start:input_end]`` and the window scores its predictions
    of ``tokens[target_start:target_end]``; target ``t`` sees the ``t - input_start`` tokens
    before it in the window as its context.
    """

    input_start: int
    input_end: int
    target_start: int
    target_end: int


def sliding_window_spans(n_tokens, context_length, stride):
    r"""The windows that score a text longer than a model's context, each token exactly once.

    A model that reads at most ``context_length`` tokens at once cannot score a longer text
    in one call. The sliding window of Hugging Face's perplexity guide moves a window of
    ``context_length`` tokens by ``stride`` tokens at a time and, in each window, scores
    only the targets that no earlier window scored: the last ones, which have the most
    context. Every token but the first (which has no context to be predicted from) is
    scored exactly once, so the mean of the scored losses is the text's cross-entropy.

    Parameters
    ----------
    n_tokens : int
        The length of the text, at least 2 (one target).
    context_length : int
        The most tokens the model reads at once (Hugging Face's ``max_length``), at least
        2. A window of ``context_length`` inputs predicts ``context_length - 1`` targets,
        the first input being context only.
    stride : int
        How far each window starts after the previous one, from 1 (each target gets the
        most context, one model call per target) to ``context_length - 1`` (windows share
        one token: the fewest calls, the least context).

    Returns
    -------
    list of WindowSpan
        ``(input_start, input_end, target_start, target_end)`` per window, in order. The
        targets' spans tile ``[1, n_tokens)`` without gap or overlap; the first window
        scores all its targets, each later one its last ``stride`` (the last window maybe
        fewer), each with at least ``context_length - stride`` tokens of context.

    Raises
    ------
    TypeError
        If an argument is not an integer.
    ValueError
        If ``n_tokens < 2``, ``context_length < 2``, or ``stride`` is outside
        ``[1, context_length - 1]``.

    Notes
    -----
    The windows are those of Hugging Face's loop (``begin`` in ``range(0, n, stride)``,
    ``end = min(begin + max_length, n)``, stop when ``end == n``). A window of ``L`` inputs
    predicts ``L - 1`` targets, so a stride of ``L`` would leave the token at each window's
    start unscored (the off-by-one of transformers issue 30975): this function refuses it.
    Weigh each window's mean loss by its number of scored targets (or add up the per-token
    losses), never average the windows' means: the last window is usually shorter.

    Examples
    --------
    >>> for span in sliding_window_spans(10, context_length=4, stride=2):
    ...     print(tuple(span))
    (0, 4, 1, 4)
    (2, 6, 4, 6)
    (4, 8, 6, 8)
    (6, 10, 8, 10)
    >>> sum(s.target_end - s.target_start for s in sliding_window_spans(10, 4, 2))  # 10 - 1
    9
    """
    n_tokens = _check_count(n_tokens, "n_tokens", 2)
    context_length = _check_count(context_length, "context_length", 2)
    stride = _check_count(stride, "stride", 1)
    if stride > context_length - 1:
        raise ValueError(
            f"stride must be at most context_length - 1 = {context_length - 1}; got {stride}. "
            f"A window of {context_length} tokens predicts {context_length - 1} targets (its "
            "first token has no context), so windows further apart would leave a token "
            "unscored at every window's start"
        )
    spans, scored_up_to = [], 1
    for begin in range(0, n_tokens, stride):
        end = min(begin + context_length, n_tokens)
        spans.append(WindowSpan(begin, end, scored_up_to, end))
        scored_up_to = end
        if end == n_tokens:
            break
    return spans
