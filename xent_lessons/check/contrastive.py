"""Checkers of lesson 13's exercises: CLIP's symmetric loss of a batch whose texts were
shuffled, the InfoNCE bound with K negatives per row, the smallest batch whose ceiling
log N reaches a given mutual information, and SigLIP's pairwise sigmoid loss.

Expected values come from :func:`~xent_lessons.categorical_cross_entropy`. The score
matrices are not symmetric, so a loss over the rows alone (or the columns alone) gives a
different number from the symmetric one; the shuffles are permutations that are not their
own inverse, so the columns need ``np.argsort`` of the rows' targets; the bound's cases have
K + 1 different from N, so ``log N`` and ``log K`` are told apart; some hold scores of 1000
(a naive ``exp`` overflows).
"""

from __future__ import annotations

import math

import numpy as np

from ..contrastive import clip_loss as _clip_loss
from ..contrastive import siglip_loss as _siglip_loss
from ..losses import categorical_cross_entropy
from ._runner import Case, CheckResult, Mistake, run_cases

__all__ = ["clip_loss", "infonce_bound", "siglip_loss", "smallest_batch_size"]


def _scores():
    """Fresh score matrices for every check (a function may change its input in place)."""
    rng = np.random.default_rng(13)
    return {
        "3x3": np.array([[2.0, 0.5, -1.0], [1.5, 1.0, 0.0], [-0.5, 2.5, 3.0]]),
        "4x4": rng.normal(0.0, 2.0, (4, 4)) + 3.0 * np.eye(4),
        "cosines": np.clip(rng.normal(0.2, 0.4, (5, 5)) + 0.6 * np.eye(5), -1.0, 1.0),
        "huge": np.array([[1000.0, 0.0, 990.0], [0.0, 1000.0, 0.0], [995.0, 0.0, 1000.0]]),
    }


def _ce(z, targets, reduction="mean"):
    return categorical_cross_entropy(np.asarray(z, dtype=float), np.asarray(targets), reduction=reduction)


def _shuffled_clip(s, temperature, text_of_image):
    """CLIP's loss when image i's text sits in column ``text_of_image[i]``."""
    z = np.asarray(s, dtype=float) / temperature
    image_of_text = np.argsort(text_of_image)
    return (_ce(z, text_of_image) + _ce(z.T, image_of_text)) / 2


def _rows_only(s, temperature, text_of_image):
    return _ce(np.asarray(s, dtype=float) / temperature, text_of_image)


def _columns_only(s, temperature, text_of_image):
    return _ce(np.asarray(s, dtype=float).T / temperature, np.argsort(text_of_image))


def _same_targets_both_ways(s, temperature, text_of_image):
    z = np.asarray(s, dtype=float) / temperature
    return (_ce(z, text_of_image) + _ce(z.T, text_of_image)) / 2


_CLIP_MISTAKES = (
    Mistake(
        lambda s, temperature, perm: _clip_loss(s, temperature),
        "That is CLIP's loss with the true pairs on the diagonal: here the texts were "
        "shuffled, and image i's text sits in column text_of_image[i]. Use those targets for "
        "the rows, and the way back (np.argsort(text_of_image)) for the columns.",
    ),
    Mistake(
        _same_targets_both_ways,
        "The columns got the rows' targets. Column j is text j, whose image is the row i "
        "with text_of_image[i] = j: the inverse permutation, image_of_text = "
        "np.argsort(text_of_image) (the same only when the permutation is its own inverse).",
    ),
    Mistake(
        _rows_only,
        "That is the rows' loss only (each image picks its text). CLIP also asks each text "
        "to pick its image, on S.T with the targets np.argsort(text_of_image), and the loss "
        "is the mean of the two.",
    ),
    Mistake(
        _columns_only,
        "That is the columns' loss only (each text picks its image). Add the rows' loss "
        "(targets text_of_image) and take the mean of the two.",
    ),
    Mistake(
        lambda s, temperature, perm: _rows_only(s, temperature, perm) + _columns_only(s, temperature, perm),
        "Both directions are there, but added: CLIP's loss is their mean, (rows + columns) / 2.",
    ),
    Mistake(
        lambda s, temperature, perm: _shuffled_clip(np.asarray(s) * temperature * temperature, temperature, perm),
        "The scores were multiplied by the temperature: divide them by it, S / τ (a small τ "
        "sharpens the softmax).",
    ),
    Mistake(
        lambda s, temperature, perm: len(s) * _shuffled_clip(s, temperature, perm),
        "That is N times too big: take the mean over the N pairs, not the sum.",
    ),
    Mistake(
        lambda s, temperature, perm: _shuffled_clip(s, temperature, perm) / math.log(2),
        "That is in bits: the course uses the natural log (nats).",
    ),
)


def clip_loss(fn) -> CheckResult:
    """Check ``fn(similarities, temperature, text_of_image)``: CLIP's symmetric loss of a batch
    whose texts were shuffled, a float in nats.

    ``similarities[i, j]`` scores image ``i`` against text ``j``; image ``i``'s own text is in
    column ``text_of_image[i]`` (a permutation of ``0 .. N-1``). The rows' targets are
    ``text_of_image``, the columns' its inverse, ``np.argsort(text_of_image)``.

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> diagonal = lambda s, temperature, text_of_image: xl.clip_loss(s, temperature)
    >>> print(clip_loss(diagonal).message.splitlines()[0])
    ❌ clip_loss: failed on a 4 x 4 batch, texts shifted by one (a cycle), temperature 2.
    """
    s = _scores()
    identity = np.arange(3)
    cycle = np.array([1, 2, 3, 0])          # its inverse is [3, 0, 1, 2]
    five = np.array([2, 0, 4, 1, 3])        # not its own inverse either
    swap = np.array([2, 1, 0])              # its own inverse

    def case(name, scores, temperature, perm, hint):
        return Case(name, (scores, temperature, perm),
                    _shuffled_clip(scores, temperature, perm), hint)

    cases = [
        case("a 3 x 3 batch in order (text_of_image = [0, 1, 2]), temperature 1",
             s["3x3"], 1.0, identity,
             "In order, the true pairs are the diagonal: CLIP averages the cross-entropy of "
             "the rows (each image picks its text) and of the columns (each text its image)."),
        case("a 4 x 4 batch, texts shifted by one (a cycle), temperature 2",
             s["4x4"], 2.0, cycle,
             "Row i's target is text_of_image[i]; column j's target is the image whose text "
             "is j, np.argsort(text_of_image). Divide by the temperature first."),
        case("cosine similarities of 5 pairs, shuffled, temperature 0.07",
             s["cosines"], 0.07, five,
             "Divide the similarities by the temperature before the softmax."),
        case("scores of 1000, two texts swapped", s["huge"], 1.0, swap,
             "np.exp(1000) overflows to inf. Use a stable log-softmax "
             "(xl.categorical_cross_entropy, or subtract each row's max first)."),
    ]  # fmt: skip
    return run_cases("clip_loss", fn, cases, _CLIP_MISTAKES)


def _with_negatives(positive, negatives):
    """The rows' logits: the positive's score first, then the K negatives' (target 0)."""
    positive = np.asarray(positive, dtype=float)
    return np.column_stack([positive, np.asarray(negatives, dtype=float)])


def _bound(positive, negatives, *, ceiling=None, scale=1.0, reduction="mean"):
    logits = _with_negatives(positive, negatives)
    n, k_plus_1 = logits.shape
    loss = _ce(logits, np.zeros(n, dtype=int), reduction=reduction)
    top = math.log(k_plus_1) if ceiling is None else ceiling(n, k_plus_1 - 1)
    return (top - loss) * scale


def _negatives_only(positive, negatives):
    positive = np.asarray(positive, dtype=float)
    negatives = np.asarray(negatives, dtype=float)
    m = negatives.max(axis=1)
    lse = m + np.log(np.exp(negatives - m[:, None]).sum(axis=1))
    return math.log(negatives.shape[1] + 1) - float(np.mean(lse - positive))


_BOUND_MISTAKES = (
    Mistake(
        lambda pos, neg: _bound(pos, neg, ceiling=lambda n, k: math.log(k)),
        "The ceiling is log(K + 1), not log K: each row picks its positive among K + 1 "
        "candidates (the positive and the K negatives), as a batch of N picks among N.",
    ),
    Mistake(
        lambda pos, neg: _bound(pos, neg, ceiling=lambda n, k: math.log(n)),
        "That ceiling is log N, the number of rows: here each row has its own K negatives, "
        "and it chooses among K + 1 candidates, so the ceiling is log(K + 1).",
    ),
    Mistake(
        _negatives_only,
        "The positive is missing from the denominator: each row's softmax runs over all "
        "K + 1 candidates, the positive included, -log(e^pos / (e^pos + sum_k e^neg_k)).",
    ),
    Mistake(
        lambda pos, neg: _bound(pos, neg, ceiling=lambda n, k: 0.0),
        "The bound is log(K + 1) minus the loss: the log(K + 1) is missing.",
    ),
    Mistake(
        lambda pos, neg: -_bound(pos, neg),
        "The sign is flipped: the bound is log(K + 1) − L (at most log(K + 1), and 0 for a "
        "critic that knows nothing).",
    ),
    Mistake(
        lambda pos, neg: _bound(pos, neg, ceiling=lambda n, k: math.log2(k + 1)),
        "log2(K + 1) is in bits while the loss is in nats: use np.log(K + 1).",
    ),
    Mistake(
        lambda pos, neg: _bound(pos, neg, scale=1 / math.log(2)),
        "That is the bound in bits: the course uses the natural log (nats).",
    ),
    Mistake(
        lambda pos, neg: _bound(pos, neg, reduction="sum"),
        "The loss must be the mean over the N rows, not their sum.",
    ),
)


def infonce_bound(fn) -> CheckResult:
    """Check ``fn(positive_scores, negative_scores)``: the InfoNCE lower bound with K
    negatives per row, ``log(K + 1) - L`` in nats, a float.

    ``positive_scores`` has shape (N,): the critic's score of each ``x_i`` with its own
    ``y_i``; ``negative_scores`` has shape (N, K): ``x_i`` against K other ``y``'s (a queue
    of past batches, as in MoCo). L is the mean cross-entropy of the rows
    ``[positive, negatives]`` against the positive.

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> import xent_lessons as xl
    >>> log_k = lambda pos, neg: np.log(np.shape(neg)[1]) - xl.categorical_cross_entropy(
    ...     np.column_stack([pos, neg]), np.zeros(len(pos), dtype=int))
    >>> infonce_bound(log_k).status
    'failed'
    """
    rng = np.random.default_rng(131)
    pos4, neg4 = rng.normal(3.0, 1.0, 4), rng.normal(0.0, 1.5, (4, 2))
    pos3, neg3 = rng.normal(2.0, 1.0, 3), rng.normal(0.0, 1.0, (3, 7))
    pos_huge = np.array([1000.0, 995.0])
    neg_huge = np.array([[990.0, 0.0, -1000.0], [1000.0, 0.0, 998.0]])

    def case(name, pos, neg, hint):
        return Case(name, (pos, neg), _bound(pos, neg), hint)

    cases = [
        case("N = 4 rows, K = 2 negatives each", pos4, neg4,
             "Each row is a softmax over its K + 1 candidates [positive, negatives], the "
             "positive the target; L is the mean over the rows, and the bound log(K + 1) − L."),
        case("a critic that scores everything 0 (N = 5, K = 3)", np.zeros(5), np.zeros((5, 3)),
             "Every row's softmax is uniform over K + 1 candidates, so L = log(K + 1) and the "
             "bound is 0: the critic has learned nothing."),
        case("N = 3 rows, K = 7 negatives each", pos3, neg3,
             "The ceiling depends on K, the negatives per row, not on N, the rows."),
        case("scores of 1000", pos_huge, neg_huge,
             "np.exp(1000) overflows: compute the loss with a stable log-softmax (put the "
             "positive's column first and use xl.categorical_cross_entropy with targets 0)."),
    ]  # fmt: skip
    return run_cases("infonce_bound", fn, cases, _BOUND_MISTAKES)


def _smallest_n(mi):
    n = max(1, math.ceil(math.exp(mi)))
    while math.log(n) < mi:  # guard against exp's last-digit rounding
        n += 1
    while n > 1 and math.log(n - 1) >= mi:
        n -= 1
    return n


def _first_n_above(mi):
    """``while log(n) <= mi``: the first N with log N > I, strictly."""
    n = 1
    while math.log(n) <= mi:
        n += 1
    return n


_BATCH_MISTAKES = (
    Mistake(
        lambda mi: max(1, math.ceil(2.0**mi)),
        "That is 2 to the power of the MI: the MI is in nats, so the ceiling is the natural "
        "log, log N ≥ I, N ≥ e^I.",
    ),
    Mistake(
        lambda mi: math.floor(math.exp(mi)),
        "Rounded down: int(), floor() and round() can all round e^I down, and a batch of "
        "floor(e^I) has a ceiling log N just below I. Round up (np.ceil).",
    ),
    Mistake(
        lambda mi: max(1, math.ceil(math.exp(mi))),
        "Right everywhere except where e^I is a whole number: exp(log 10) is "
        "10.000000000000002 in floating point (exp and log each round their last digit), "
        "so its ceil is 11, and the answer is 10 (log 10 >= log 10). After the ceil, check "
        "the neighbours with log itself: step down while log(N - 1) >= I, up while "
        "log(N) < I.",
    ),
    Mistake(
        _first_n_above,
        "Off by one where log N equals I exactly: the condition is log N >= I, so stop at "
        "the first N with log N >= I (loop `while log(n) < mi: n += 1`). `while log(n) <= mi` "
        "goes one further: at I = 0 a batch of 1 already reaches it (log 1 = 0).",
    ),
    Mistake(
        lambda mi: math.exp(mi),
        "A batch size is a whole number of pairs: round e^I up to the next integer.",
    ),
)


def smallest_batch_size(fn) -> CheckResult:
    """Check ``fn(mi)``: the smallest batch size N (an int) whose ceiling log N reaches ``mi``
    nats.

    Parameters
    ----------
    fn : callable
        The learner's function of a mutual information in nats (a float >= 0).

    Returns
    -------
    CheckResult

    Examples
    --------
    >>> smallest_batch_size(lambda mi: 2 ** mi).status
    'failed'
    """
    mis = [(7.834, "the Gaussians of this lesson, 7.834 nats"), (2.0, "2 nats"),
           (0.5, "half a nat"), (0.0, "no information at all"), (10.0, "10 nats"),
           (math.log(10), "log 10 = 2.302585092994046 nats (e^I is 10, a whole number)"),
           (math.log(1000), "log 1000 nats (e^I is 1000)")]
    cases = [
        Case(
            name,
            (mi,),
            _smallest_n(mi),
            "The InfoNCE bound can never exceed log N, so N must satisfy log N ≥ I: the "
            "smallest whole N at or above e^I.",
            rtol=0.0,
            atol=1e-9,
        )
        for mi, name in mis
    ]
    return run_cases("smallest_batch_size", fn, cases, _BATCH_MISTAKES)



# ------------------------------------------------------------------------ siglip_loss


def _pair_losses(similarities, log_scale, bias, *, labels=None, scale=None, with_bias=True):
    """-log sigmoid(label * logit) of every pair, the logits t * S + b (variants for mistakes)."""
    s = np.asarray(similarities, dtype=float)
    n = len(s)
    t = math.exp(log_scale) if scale is None else scale
    z = t * s + (bias if with_bias else 0.0)
    labels = 2 * np.eye(n) - 1 if labels is None else labels(n)
    return np.logaddexp(0.0, -labels * z)


def _siglip_variant(**options):
    def wrong(similarities, log_scale, bias):
        return float(_pair_losses(similarities, log_scale, bias, **options).sum() / len(similarities))

    return wrong


def _zero_one_labels_in_the_sign_form(similarities, log_scale, bias):
    """``-log sigmoid(y * z)`` with the 0/1 labels ``y = eye(N)``: every negative costs log 2."""
    return _siglip_variant(labels=np.eye)(similarities, log_scale, bias)


def _positives_only(similarities, log_scale, bias):
    return float(np.diag(_pair_losses(similarities, log_scale, bias)).sum() / len(similarities))


def _softmax_instead(similarities, log_scale, bias):
    return _clip_loss(math.exp(log_scale) * np.asarray(similarities, dtype=float) + bias)


_SIGLIP_MISTAKES = (
    Mistake(
        _siglip_variant(with_bias=False),
        "The bias b is missing: the logits are t * S + b. The paper starts from b = -10 so "
        "that the N - 1 negatives of each row, which must all say 'no', start near 0 loss "
        "instead of swamping the one positive.",
    ),
    Mistake(
        lambda s, log_scale, bias: _siglip_variant()(s, log_scale, math.exp(log_scale) * bias),
        "The bias was added before the scale, t * (S + b): add it after, t * S + b.",
    ),
    Mistake(
        lambda s, log_scale, bias: _siglip_variant(scale=log_scale)(s, log_scale, bias),
        "log_scale is t' = log t: multiply the similarities by t = np.exp(log_scale), not "
        "by log_scale itself.",
    ),
    Mistake(
        _zero_one_labels_in_the_sign_form,
        "The labels are 0/1 (np.eye(N)) in the ±1 form -log sigmoid(label * z): every "
        "negative then costs log 2 whatever its score. In that form the labels are +1 on "
        "the diagonal and -1 off it (2 * np.eye(N) - 1); with 0/1 targets use the "
        "cross-entropy form -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))].",
    ),
    Mistake(
        _siglip_variant(labels=lambda n: 1 - 2 * np.eye(n)),
        "The signs of the labels are swapped: +1 belongs on the diagonal (the true pairs) "
        "and -1 off it (2 * np.eye(N) - 1).",
    ),
    Mistake(
        _positives_only,
        "Only the diagonal (the true pairs) is there: SigLIP sums -log sigmoid(label * z) "
        "over all N x N pairs, the negatives with label -1 included.",
    ),
    Mistake(
        _softmax_instead,
        "That is CLIP's softmax loss of the logits: SigLIP puts a sigmoid on each pair on "
        "its own (a yes/no question per pair), -log sigmoid(label * z), summed.",
    ),
    Mistake(
        lambda s, log_scale, bias: _siglip_variant()(s, log_scale, bias) / len(s),
        "Divided by N twice (N squared, the number of pairs): the paper sums over all "
        "N x N pairs and divides by N, the batch size.",
    ),
    Mistake(
        lambda s, log_scale, bias: _siglip_variant()(s, log_scale, bias) * len(s),
        "That is the sum over all pairs: divide it by N, the batch size, as the paper does.",
    ),
    Mistake(
        lambda s, log_scale, bias: _siglip_variant()(s, log_scale, bias) / math.log(2),
        "That is in bits: the course uses the natural log (nats).",
    ),
)


def siglip_loss(fn) -> CheckResult:
    """Check ``fn(similarities, log_scale, bias)``: SigLIP's pairwise sigmoid loss of an
    N x N batch, a float in nats.

    The logits are ``np.exp(log_scale) * similarities + bias``; each pair costs
    ``-log sigmoid(label * logit)`` with the label +1 on the diagonal and -1 off it; the
    loss is the sum over all N x N pairs divided by N (Zhai et al. 2023).

    Parameters
    ----------
    fn : callable
        The learner's function.

    Returns
    -------
    CheckResult
        Passed, or the first failing case with a hint, or "not attempted".

    Examples
    --------
    >>> import xent_lessons as xl
    >>> no_bias = lambda s, log_scale, bias: xl.siglip_loss(s, log_scale, 0.0)
    >>> result = siglip_loss(no_bias)
    >>> result.status, "The bias b is missing" in result.message
    ('failed', True)
    """
    rng = np.random.default_rng(1313)
    cosines4 = np.clip(rng.normal(0.1, 0.3, (4, 4)) + 0.6 * np.eye(4), -1.0, 1.0)
    cosines3 = np.clip(rng.normal(0.0, 0.4, (3, 3)) + 0.5 * np.eye(3), -1.0, 1.0)
    huge = np.array([[1.0, 0.9, -1.0], [-1.0, -0.8, 0.2], [0.5, 0.0, 1.0]])

    def case(name, similarities, log_scale, bias, hint):
        return Case(name, (similarities, log_scale, bias),
                    _siglip_loss(similarities, log_scale, bias), hint)

    cases = [
        case("2 x 2 cosines [[0.9, 0.1], [-0.2, 0.8]], the paper's start t' = log 10, b = -10",
             np.array([[0.9, 0.1], [-0.2, 0.8]]), math.log(10.0), -10.0,
             "Logits z = exp(t') * S + b; each pair costs -log sigmoid(label * z), the label "
             "+1 on the diagonal and -1 off it; sum over the N x N pairs, divide by N."),
        case("4 x 4 cosines, t' = log 5, b = -3", cosines4, math.log(5.0), -3.0,
             "Multiply by t = exp(t'), add b, then the sigmoid of each pair on its own."),
        case("3 x 3 cosines, t' = 0 (t = 1), b = +2", cosines3, 0.0, 2.0,
             "A positive bias favours 'yes' on every pair: the negatives (label -1) pay for it."),
        case("cosines of ±1 at t = 1000 (logits of ±1000), b = 0", huge, math.log(1000.0), 0.0,
             "np.exp(1000) overflows and log(sigmoid(-1000)) is log(0): compute "
             "-log sigmoid(u) as np.logaddexp(0, -u) (or xl.log_sigmoid)."),
    ]  # fmt: skip
    return run_cases("siglip_loss", fn, cases, _SIGLIP_MISTAKES)
