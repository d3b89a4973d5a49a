"""Checkers of lesson 12: the online log-sum-exp, and a chunked linear cross-entropy that
stays exact under a memory budget.

``online_logsumexp`` gets its logits as a stream of column blocks that can be read once,
like the blocks of a layer's logits computed one after the other and thrown away: a
function that reads them twice, or keeps them all, is told so. ``chunked_linear_cross_entropy``
is compared with the package's fused loss and gradients, and its peak memory (NumPy's
allocations, from ``tracemalloc``) with its budget.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..activations import logsumexp as _logsumexp
from ..activations import softmax as _softmax
from ..fused_linear import linear_cross_entropy_grad
from ..memory import peak_memory
from ._runner import (
    Case,
    CheckResult,
    Mistake,
    failed,
    run_cases,
)

__all__ = ["chunked_linear_cross_entropy", "online_logsumexp"]


# ------------------------------------------------------------------ online_logsumexp


class _BlockStream:
    """The columns of ``z`` in blocks of ``block_size``, readable once (a generator).

    It also counts how many of the blocks it handed out are still alive when it makes
    the next one: an online algorithm holds on to one block at a time.
    """

    def __init__(self, z, block_size):
        self._z, self._block_size = z, block_size
        self._started = False
        self.most_alive = 0

    def __iter__(self):
        if self._started:
            raise RuntimeError(
                "the blocks can be read only once: they arrive one after the other (the "
                "logits of a layer, computed block by block) and are gone once read"
            )
        self._started = True
        return self._blocks()

    def _blocks(self):
        handed_out = []
        for start in range(0, self._z.shape[1], self._block_size):
            alive = sum(ref() is not None for ref in handed_out)
            self.most_alive = max(self.most_alive, alive)
            block = self._z[:, start : start + self._block_size].copy()
            handed_out.append(weakref.ref(block))
            yield block
            del block


class _Stream:
    """What a case passes: logits to be streamed in blocks (shown as such in a report)."""

    def __init__(self, z, block_size):
        self.z = np.asarray(z, dtype=np.float64)
        self.block_size = block_size

    def stream(self):
        return _BlockStream(self.z, self.block_size)

    def __repr__(self):
        with np.printoptions(precision=4, threshold=12, edgeitems=2):
            shown = " ".join(repr(self.z).split())
        return f"blocks of {self.block_size} columns of {shown}"


def _stream_case(name, z, block_size, hint):
    spec = _Stream(z, block_size)
    return Case(name, (spec,), _logsumexp(spec.z, axis=1), hint, rtol=1e-10, atol=1e-10)


def _fed(wrong):
    """A typical wrong answer, written against the whole array, fed like the learner's."""
    return lambda spec: wrong(spec.z, spec.block_size)


def _no_rescale(z, block_size):
    m = np.full(z.shape[0], -np.inf)
    s = np.zeros(z.shape[0])
    for start in range(0, z.shape[1], block_size):
        block = z[:, start : start + block_size]
        m = np.maximum(m, block.max(axis=1))
        s = s + np.exp(block - m[:, None]).sum(axis=1)
    return m + np.log(s)


def _rescale_upside_down(z, block_size):
    m = np.full(z.shape[0], -np.inf)
    s = np.zeros(z.shape[0])
    for start in range(0, z.shape[1], block_size):
        block = z[:, start : start + block_size]
        new_m = np.maximum(m, block.max(axis=1))
        factor = np.where(np.isfinite(m), np.exp(new_m - m), 0.0)
        s = s * factor + np.exp(block - new_m[:, None]).sum(axis=1)
        m = new_m
    return m + np.log(s)


def _without_the_max(z, block_size):
    return _logsumexp(z, axis=1) - z.max(axis=1)


def _last_block_only(z, block_size):
    last = (z.shape[1] - 1) // block_size * block_size
    return _logsumexp(z[:, last:], axis=1)


def _max_of_first_block(z, block_size):
    """The running max taken from the first block and never updated."""
    m = z[:, :block_size].max(axis=1)
    s = np.zeros(z.shape[0])
    for start in range(0, z.shape[1], block_size):
        s = s + np.exp(z[:, start : start + block_size] - m[:, None]).sum(axis=1)
    return m + np.log(s)


def _max_started_at_zero(z, block_size):
    """A correct update, but the running max starts at 0 instead of -inf."""
    m = np.zeros(z.shape[0])
    s = np.zeros(z.shape[0])
    for start in range(0, z.shape[1], block_size):
        block = z[:, start : start + block_size]
        new_m = np.maximum(m, block.max(axis=1))
        s = s * np.exp(m - new_m) + np.exp(block - new_m[:, None]).sum(axis=1)
        m = new_m
    return m + np.log(s)


def _in_base_2(z, block_size):
    return _logsumexp(z, axis=1) / np.log(2)


def _log2_of_the_sum(z, block_size):
    m = z.max(axis=1)
    return m + np.log2(np.exp(z - m[:, None]).sum(axis=1))


def _block_maxes_only(z, block_size):
    return np.max([z[:, s : s + block_size].max(axis=1) for s in range(0, z.shape[1], block_size)],
                  axis=0)  # fmt: skip


_ONLINE_MISTAKES = (
    Mistake(
        _fed(_max_of_first_block),
        "The running max is never updated after the first block: when a later block holds a "
        "larger logit, exp(z - m) of that logit overflows (here exp(800) = inf). Update it "
        "with every block, new_m = np.maximum(m, block.max(axis=1)), and rescale the sum "
        "gathered so far by exp(m - new_m).",
    ),
    Mistake(
        _fed(_max_started_at_zero),
        "The running max starts at 0: in a row whose logits are all far below 0 (here about "
        "-1000) it stays 0, every exp(z - 0) underflows to 0 and log(0) = -inf. Start it at "
        "-inf (np.full(N, -np.inf)) or at the first block's max.",
    ),
    Mistake(
        _fed(_in_base_2),
        "That is the log-sum-exp in bits (log2): the course's log-sum-exp uses the natural "
        "log, m + np.log(s).",
    ),
    Mistake(
        _fed(_log2_of_the_sum),
        "np.log2 of the running sum: log-sum-exp = m + np.log(s), with the natural log (the "
        "max m is already in nats, and exp's inverse is np.log).",
    ),
    Mistake(
        _fed(_no_rescale),
        "When a block brings a larger max, the sum gathered so far was computed against the "
        "OLD max: multiply it by exp(old max - new max) before adding the new block's terms.",
    ),
    Mistake(
        _fed(_rescale_upside_down),
        "The rescale factor is upside down: the running sum must shrink when the max grows, "
        "by exp(old max - new max), a number <= 1.",
    ),
    Mistake(
        _fed(_without_the_max),
        "You return log(s), the log of the running sum relative to the running max: add the "
        "max back, log-sum-exp = m + log(s).",
    ),
    Mistake(
        _fed(_last_block_only),
        "This is the log-sum-exp of the last block only: the running max and sum must carry "
        "over from one block to the next (start them before the loop, update them inside).",
    ),
    Mistake(
        _fed(_block_maxes_only),
        "This is the largest logit of each row, not its log-sum-exp: keep a running sum of "
        "exp(z - m) next to the running max m.",
    ),
)


def online_logsumexp(fn) -> CheckResult:
    """Check ``fn(blocks)``: the log-sum-exp of each row, from the logits' column blocks.

    ``blocks`` yields arrays of shape (N, c), the columns of an (N, C) array of logits in
    order; it can be read once. ``fn`` returns an array of shape (N,). The cases stream
    small and large logits (1000 and more), blocks of 1 column, blocks that do not divide
    C, and rows whose largest logit arrives in the last block (one of 800, which overflows
    ``exp`` unless the running max is updated).

    Examples
    --------
    >>> def two_passes(blocks):
    ...     m = np.max([b.max(axis=1) for b in blocks], axis=0)  # reads the stream once...
    ...     s = sum(np.exp(b - m[:, None]).sum(axis=1) for b in blocks)  # ... and again
    ...     return m + np.log(s)
    >>> print(online_logsumexp(two_passes).message.splitlines()[0])
    ❌ online_logsumexp: failed on one row in blocks of 2.
    """
    rng = np.random.default_rng(12)
    cases = [
        _stream_case(
            "one row in blocks of 2",
            [[1.0, 2.0, 3.0, 0.5, -1.0, 2.5]],
            2,
            "Keep, per row, a running max m and a running sum s of exp(z - m) over the "
            "classes seen so far; the answer is m + log(s). The blocks can be read once.",
        ),
        _stream_case(
            "the largest logit arrives last",
            [[0.0, 0.0, 0.0, 0.0, 0.0, 8.0]],
            2,
            "When a block brings a larger max, rescale the running sum to the new max.",
        ),
        _stream_case(
            "a batch (N = 3, C = 7) in blocks of 3 (the last block has 1 column)",
            rng.normal(0.0, 2.0, (3, 7)),
            3,
            "Every row has its own running max and sum (arrays of shape (N,)); the last "
            "block can be narrower than the others.",
        ),
        _stream_case(
            "one column at a time (blocks of 1)",
            rng.normal(0.0, 3.0, (2, 5)),
            1,
            "A block of one column is the purest online case: the same update as for wider "
            "blocks.",
        ),
        _stream_case(
            "one block wider than the row",
            [[1.0, -2.0, 0.5]],
            10,
            "With a single block, the answer is the ordinary stable log-sum-exp.",
        ),
        _stream_case(
            "large logits and rows of very different scales",
            [[1000.0, 999.0, 998.0, 1001.0], [-1000.0, -1003.0, -999.0, -1002.0],
             [0.0, 30.0, -30.0, 60.0]],
            2,
            "exp(1000) overflows and exp(-1000) underflows to 0: every exp must see z minus "
            "the running max, never z alone.",
        ),
        _stream_case(
            "the largest logit arrives last, and is large (800)",
            [[0.0, 1.0, -1.0, 0.5, 2.0, 800.0], [3.0, 0.0, 1.0, -2.0, 0.5, 1.0]],
            2,
            "When a block brings a larger max, update the running max and rescale the "
            "running sum to it: exp(800 - 0) overflows, exp(800 - 800) does not.",
        ),
    ]

    # A long stream: an online function holds one block (and the next) at a time.
    cases.append(
        _stream_case(
            "20 blocks, one at a time",
            rng.normal(0.0, 1.0, (4, 200)),
            10,
            "It passed the short streams: is the last block folded in as well?",
        )
    )
    streams = []  # the stream each call got, to count the blocks it held on to

    def fed(spec):
        stream = spec.stream()
        streams.append(stream)
        return fn(stream)

    def held_one_block_at_a_time():
        if streams[-1].most_alive <= 2:
            return None
        return failed(
            "online_logsumexp",
            "20 blocks, one at a time",
            f"   your function still held {streams[-1].most_alive} blocks when the next one came",
            "Fold each block into the running max and sum, then let it go: an online "
            "algorithm keeps O(N) numbers, not the blocks (no list of blocks, no "
            "np.concatenate).",
        )

    return run_cases(
        "online_logsumexp",
        fed,
        cases,
        _ONLINE_MISTAKES,
        learner=fn,
        final_check=held_one_block_at_a_time,
    )


# ------------------------------------------------------ chunked_linear_cross_entropy

_PARTS = ("loss", "d_hidden", "d_weight", "d_bias")


def _problem(rng, n, h, v, scale=1.0):
    hidden = scale * rng.normal(0.0, 1.0, (n, h))
    weight = rng.normal(0.0, 1.0 / np.sqrt(h), (v, h))
    bias = rng.normal(0.0, 0.5, v)
    target = rng.integers(0, v, n)
    return hidden, weight, bias, target


def _expected(hidden, weight, bias, target):
    loss, d_h, d_w, d_b = linear_cross_entropy_grad(hidden, weight, target, bias, return_loss=True)
    return (loss, d_h, d_w, d_b)


def _chunk_rows(v, budget):
    return max(1, budget // (3 * v * 8))


def _mean_of_chunk_means(hidden, weight, bias, target, budget_bytes):
    rows = _chunk_rows(weight.shape[0], budget_bytes)
    n = hidden.shape[0]
    losses, d_h, d_w, d_b = [], np.zeros_like(hidden), np.zeros_like(weight), np.zeros_like(bias)
    for r0 in range(0, n, rows):
        h, y = hidden[r0 : r0 + rows], target[r0 : r0 + rows]
        z = h @ weight.T + bias
        losses.append(float(np.mean(_logsumexp(z, axis=1) - z[np.arange(len(y)), y])))
        g = _softmax(z, axis=1)
        g[np.arange(len(y)), y] -= 1
        g /= n
        d_h[r0 : r0 + rows] = g @ weight
        d_w += g.T @ h
        d_b += g.sum(axis=0)
    return (float(np.mean(losses)), d_h, d_w, d_b)


def _variant(hidden, weight, bias, target, budget_bytes, *, divide=True, accumulate=True,
             use_bias=True, subtract_target=True):  # fmt: skip
    rows = _chunk_rows(weight.shape[0], budget_bytes)
    n = hidden.shape[0]
    total, d_h, d_w, d_b = 0.0, np.zeros_like(hidden), np.zeros_like(weight), np.zeros_like(bias)
    for r0 in range(0, n, rows):
        h, y = hidden[r0 : r0 + rows], target[r0 : r0 + rows]
        z = h @ weight.T + (bias if use_bias else 0)
        total += float(np.sum(_logsumexp(z, axis=1) - z[np.arange(len(y)), y]))
        g = _softmax(z, axis=1)
        if subtract_target:
            g[np.arange(len(y)), y] -= 1
        if divide:
            g /= n
        d_h[r0 : r0 + rows] = g @ weight
        if accumulate:
            d_w += g.T @ h
            d_b += g.sum(axis=0)
        else:
            d_w = g.T @ h
            d_b = g.sum(axis=0)
    return (total / n, d_h, d_w, d_b)


_CHUNKED_MISTAKES = (
    Mistake(
        _mean_of_chunk_means,
        "The loss is the mean of the chunks' means: when the chunks have different sizes (the "
        "last one is shorter) that is not the mean over all N rows. Add up the rows' losses "
        "and divide by N once.",
    ),
    Mistake(
        lambda *a: _variant(*a, accumulate=False),
        "d_weight and d_bias hold only the last chunk's share: each chunk must ADD its "
        "g.T @ h and g.sum(axis=0) to them (+=), not replace them.",
    ),
    Mistake(
        lambda *a: _variant(*a, divide=False),
        "The gradients are N times too large: the loss is the MEAN over the N rows, so "
        "g = (softmax - onehot) / N, with N all the rows, not the chunk's.",
    ),
    Mistake(
        lambda *a: _variant(*a, use_bias=False),
        "The bias is missing from the logits: z = h @ W.T + b.",
    ),
    Mistake(
        lambda *a: _variant(*a, subtract_target=False),
        "The gradient of the logits is softmax minus the one-hot target (lesson 06): the "
        "1 at each row's target class has not been subtracted.",
    ),
)


def chunked_linear_cross_entropy(fn) -> CheckResult:
    """Check ``fn(hidden, weight, bias, target, budget_bytes)``: the mean cross-entropy of
    ``hidden @ weight.T + bias`` and its gradients, chunk by chunk.

    It must return ``(loss, d_hidden, d_weight, d_bias)`` equal to PyTorch's autograd (the
    package's :func:`~xent_lessons.linear_cross_entropy_grad` is the reference), and, while
    it runs, NumPy's allocations may exceed what the results take (plus one temporary of
    ``d_weight``'s size) by no more than ``budget_bytes``.

    Examples
    --------
    >>> from xent_lessons import logsumexp, softmax
    >>> def whole_batch(hidden, weight, bias, target, budget_bytes):
    ...     z = hidden @ weight.T + bias  # all N x V logits at once: over budget
    ...     rows = np.arange(len(target))
    ...     loss = float(np.mean(logsumexp(z, axis=1) - z[rows, target]))
    ...     g = softmax(z, axis=1)
    ...     g[rows, target] -= 1
    ...     g /= len(target)
    ...     return loss, g @ weight, g.T @ hidden, g.sum(axis=0)
    >>> print(chunked_linear_cross_entropy(whole_batch).message.splitlines()[0])
    ❌ chunked_linear_cross_entropy: failed on staying within the budget.
    """
    rng = np.random.default_rng(7)
    small = _problem(rng, 7, 4, 10)
    odd = _problem(rng, 10, 3, 25)
    large = _problem(rng, 6, 5, 12, scale=300.0)

    def case(name, problem, budget, hint):
        return Case(name, (*problem, budget), _expected(*problem), hint, rtol=1e-9, atol=1e-12)

    cases = [
        case("N = 7, V = 10, one chunk", small, 10**6,
             "One chunk holds every row here: check the loss (the mean of lse - z_y over the "
             "rows), then d_hidden = g W, d_weight = g.T h and d_bias = the column sums of g, "
             "with g = (softmax(z) - onehot(y)) / N."),
        case("N = 7, V = 10, chunks of 1 row", small, 3 * 10 * 8,
             "A budget of 240 bytes leaves room for one row of logits at a time (3 arrays of "
             "V numbers of 8 bytes): each chunk must add its share to d_weight and d_bias."),
        case("N = 10, V = 25, a budget for 3 rows", odd, 3 * 3 * 25 * 8,
             "Chunks of 3, 3, 3 and 1 rows: the loss is the mean over all N rows, whatever "
             "the chunks."),
        case("logits of several hundred", large, 10**6,
             "np.exp overflows at logits above about 709: subtract each row's max before exp "
             "(lesson 03), in the loss and in the softmax."),
    ]  # fmt: skip
    # Under the budget: N x V float64 logits would be 16 MB, the budget is 1 MB.
    n, h, v, budget = 400, 8, 5000, 1 << 20
    cases.append(
        case("staying within the budget", _problem(rng, n, h, v), budget,
             "It passed the small cases: does it handle a chunk size that does not divide N?")
    )  # fmt: skip
    reports = []  # each call's memory, measured inside the call (the time limit holds)

    def measured(*args):
        report = peak_memory(fn, *args)
        reports.append(report)
        return report.result

    def within_the_budget():
        report = reports[-1]
        results_bytes = (n * h + 2 * v * h + v) * 8  # the gradients and one d_weight temporary
        allowed = results_bytes + budget + (256 << 10)  # and a little for small temporaries
        if report.traced_bytes <= allowed:
            return None
        full = n * v * 8
        what = (
            "as much as the full (N, V) logits: the chunks are not chunks"
            if report.traced_bytes >= results_bytes + full
            else "more than the budget"
        )
        return failed(
            "chunked_linear_cross_entropy",
            "staying within the budget",
            f"   input: N = {n}, H = {h}, V = {v}, budget_bytes = {budget:,}\n"
            f"   peak of NumPy's allocations: {report.traced_bytes / 1e6:.1f} MB, of which "
            f"the results take {results_bytes / 1e6:.2f} MB; allowed "
            f"{allowed / 1e6:.2f} MB ({what})",
            "Choose the chunk's rows from the budget: rows = budget_bytes // (k * V * 8), "
            "k the number of (rows, V) arrays alive at once in your loop (z, z - max, exp, "
            "g, ...). If you counted them all, the previous chunk's arrays are the likely "
            "culprit: a name like z or g keeps its old array alive until it is assigned "
            "again, and the new chunk's array is made BEFORE that, so the last chunk's "
            "arrays and the next one's are alive together. Free them at the end of the loop "
            "body (del z, e, g), or count them too.",
        )

    return run_cases(
        "chunked_linear_cross_entropy",
        measured,
        cases,
        _CHUNKED_MISTAKES,
        _PARTS,
        learner=fn,
        final_check=within_the_budget,
    )
