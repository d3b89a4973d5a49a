"""The one-pass kernel for float32 K-dimensional logits with few classes (segmentation).

``MiddleAxisLogits.index_loss_and_grad`` computes what the generic index-target steps
(``logsumexp_parts``, ``confident_rows``, ``index_target_loss`` and the gradient kernel)
compute, tile by tile, for float32 logits ``(N, C, d1, ..., dk)`` with at most
``FUSED_MAX_CLASSES`` classes and no label smoothing. It is checked here against
PyTorch (semantics: weights, ignore_index, every reduction, NaN means) and against the
row kernels on the same logits moved to rows (precision: overflow, underflow, confident
positions), on one tile and on many tiles shared by the threads.
"""

import threading

import numpy as np
import pytest
from conftest import assert_close_to_torch, torch_cross_entropy

import xent_lessons as xl
from xent_lessons import _middle_axis, _rowwise, losses

IGNORE = -1
SMALL = (2, 21, 8, 16)  # one tile, one thread
# 1.4 M logits: above _rowwise._PARALLEL_MIN_ELEMENTS, so 8 tiles shared by the threads.
THREADED = (4, 21, 128, 128)


def _case(shape, seed, ignored=False):
    rng = np.random.default_rng(seed)
    logits = (2.0 * rng.standard_normal(shape)).astype(np.float32)
    target = rng.integers(0, shape[1], (shape[0], *shape[2:]))
    if ignored:
        target[rng.random(target.shape) < 0.2] = IGNORE
    return rng, logits, target


def _as_rows(logits):
    """The same logits with the classes last, as (M, C) rows: the row kernels' input."""
    return np.ascontiguousarray(np.moveaxis(logits, 1, -1)).reshape(-1, logits.shape[1])


def _rows_grad_as_logits(row_grad, shape):
    return np.moveaxis(row_grad.reshape(shape[0], *shape[2:], shape[1]), -1, 1)


@pytest.fixture
def fused_calls(monkeypatch):
    """How many times the fused kernel ran (to know which path a call took)."""
    calls = []
    kernel = _middle_axis.MiddleAxisLogits.index_loss_and_grad

    def counted(self, *args, **kwargs):
        calls.append(self.z.shape)
        return kernel(self, *args, **kwargs)

    monkeypatch.setattr(_middle_axis.MiddleAxisLogits, "index_loss_and_grad", counted)
    return calls


def test_only_float32_logits_with_few_classes_and_no_smoothing_take_the_fused_path(fused_calls):
    _, logits, target = _case(SMALL, 0)
    xl.categorical_cross_entropy(logits, target)
    xl.categorical_cross_entropy_grad(logits, target, weight=np.ones(21), ignore_index=3)
    xl.categorical_cross_entropy(logits.astype(np.float16), target)  # computed in float32
    assert len(fused_calls) == 3
    xl.categorical_cross_entropy(logits.astype(np.float64), target)  # torch's rounding
    xl.categorical_cross_entropy_grad(logits, target, label_smoothing=0.1)
    xl.categorical_cross_entropy(logits[..., :1, :8], target[..., :1, :8])  # 8 positions a sample
    xl.categorical_cross_entropy(_as_rows(logits), target.reshape(-1))  # 2-D: the row kernels
    many = np.zeros((1, _middle_axis.FUSED_MAX_CLASSES + 1, 16), np.float32)
    xl.categorical_cross_entropy(many, np.zeros((1, 16), int))
    assert len(fused_calls) == 3


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("ignored", [False, True], ids=["all-count", "some-ignored"])
@pytest.mark.parametrize("shape", [SMALL, THREADED], ids=["one-tile", "threaded"])
def test_fused_path_matches_torch(shape, ignored, weighted, reduction, fused_calls):
    rng, logits, target = _case(shape, sum(shape), ignored)
    kwargs = {"reduction": reduction, "ignore_index": IGNORE}
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 3.0, shape[1]).astype(np.float32)
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    loss = xl.categorical_cross_entropy(logits, target, **kwargs)
    both_loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    assert len(fused_calls) == 2
    for ours in (loss, both_loss):
        assert_close_to_torch(ours, expected_loss, atol=1e-6, rtol=1e-5)
    assert grad.dtype == np.float32 and grad.shape == shape
    scale = np.abs(expected_grad).max()
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6 * scale)
    if ignored:
        assert np.all(np.moveaxis(grad, 1, -1)[target == IGNORE] == 0)
    if reduction == "none":
        assert loss.shape == target.shape and loss.dtype == np.float32


@pytest.mark.parametrize("shape", [SMALL, THREADED], ids=["one-tile", "threaded"])
def test_fused_path_gives_the_row_kernels_numbers_at_extreme_and_confident_positions(shape):
    """Overflowing (1e4) and underflowing (-1e4) columns are redone with their max shift,
    confident ones (a loss down to 1e-40) from r with log1p: the numbers are the row
    kernels', which tests/test_accuracy_mpmath.py checks against exact arithmetic."""
    _, logits, target = _case(shape, 7, ignored=True)
    n = shape[0] - 1  # the last sample: the last tile in the threaded case
    logits[n, :, 0, 3] += 1e4  # exp overflows
    logits[n, :, 0, 5] -= 1e4  # every exp underflows
    logits[n, :, 1, :] = -np.inf  # every class impossible but the target and one other
    for d in range(shape[3]):
        logits[n, 4, 1, d] = 0.0
        if target[n, 1, d] != IGNORE:
            logits[n, target[n, 1, d], 1, d] = 2.0 + d  # r = exp(-2 - d), down to 1e-7
    logits[n, :, 2, 0] = np.where(np.arange(shape[1]) == max(target[n, 2, 0], 0), 100.0, 0.0)
    logits[0, :, 3, :] = np.where(
        np.arange(shape[1])[:, None] == np.maximum(target[0, 3, :], 0), 60.0, -30.0
    )  # a loss of 20 exp(-90), 1e-38: only log1p(r) keeps it
    target[0, 3, :] = np.maximum(target[0, 3, :], 0)
    kwargs = {"reduction": "none", "ignore_index": IGNORE}
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    rows = _as_rows(logits)
    row_loss, row_grad = xl.categorical_cross_entropy_grad(
        rows, target.reshape(-1), return_loss=True, **kwargs
    )
    eps = np.finfo(np.float32).eps
    # The refined losses (below 0.1) to their last bits; the others, log(sum) - z[y], also
    # carry the sum's rounding (the kernels add the 21 terms in different orders).
    refined = row_loss < 0.1
    assert refined.sum() > shape[3]
    forward = xl.categorical_cross_entropy(logits, target, **kwargs).reshape(-1)
    for ours in (loss.reshape(-1), forward):
        np.testing.assert_allclose(ours[refined], row_loss[refined], rtol=8 * eps, atol=0)
        np.testing.assert_allclose(ours[~refined], row_loss[~refined], rtol=8 * eps, atol=32 * eps)
    np.testing.assert_allclose(
        grad, _rows_grad_as_logits(row_grad, shape), rtol=16 * eps, atol=16 * eps
    )
    # The refined gradient at the target, -r / (1 + r), to its last bits too.
    at_target = np.take_along_axis(grad, np.maximum(target, 0)[:, None], axis=1).reshape(-1)
    row_at_target = row_grad[np.arange(row_loss.size), np.maximum(target, 0).reshape(-1)]
    np.testing.assert_allclose(at_target[refined], row_at_target[refined], rtol=16 * eps, atol=0)
    assert 0 < loss[0, 3, 0] < 1e-30  # kept, not rounded to 0
    for reduction in ("mean", "sum"):
        expected = xl.categorical_cross_entropy(
            rows, target.reshape(-1), reduction=reduction, ignore_index=IGNORE
        )
        ours = xl.categorical_cross_entropy(
            logits, target, reduction=reduction, ignore_index=IGNORE
        )
        assert ours == pytest.approx(expected, rel=1e-6)


def test_minus_inf_at_a_target_costs_inf_as_in_torch():
    _, logits, target = _case(SMALL, 8)
    logits[1, :, 2, 3] = 0.0
    logits[1, target[1, 2, 3], 2, 3] = -np.inf  # the target is impossible
    logits[0, :5, 0, 0] = -np.inf  # some other classes impossible
    expected_loss, expected_grad = torch_cross_entropy(logits, target, reduction="none")
    loss, grad = xl.categorical_cross_entropy_grad(
        logits, target, reduction="none", return_loss=True
    )
    assert np.isinf(loss[1, 2, 3])
    assert_close_to_torch(loss, expected_loss, atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-7)
    assert xl.categorical_cross_entropy(logits, target) == np.inf


@pytest.mark.parametrize("case", ["every-position-ignored", "zero-weight-at-every-target"])
def test_a_mean_over_nothing_is_nan_with_autograds_gradient(case):
    _, logits, target = _case(SMALL, 9)
    kwargs = {"ignore_index": IGNORE}
    if case == "every-position-ignored":
        target[:] = IGNORE
    else:
        target[:] = 2
        kwargs["weight"] = np.where(np.arange(21) == 2, 0.0, 1.0).astype(np.float32)
    expected_loss, expected_grad = torch_cross_entropy(logits, target, **kwargs)
    loss, grad = xl.categorical_cross_entropy_grad(logits, target, return_loss=True, **kwargs)
    assert np.isnan(loss) and np.isnan(expected_loss)
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(expected_grad))
    assert xl.categorical_cross_entropy(logits, target, reduction="sum", **kwargs) == 0


def test_float16_logits_are_computed_in_float32_and_returned_in_float16():
    _, logits, target = _case(SMALL, 10)
    half = logits.astype(np.float16)
    loss, grad = xl.categorical_cross_entropy_grad(half, target, reduction="none", return_loss=True)
    loss32, grad32 = xl.categorical_cross_entropy_grad(
        half.astype(np.float32), target, reduction="none", return_loss=True
    )
    assert loss.dtype == grad.dtype == np.float16
    np.testing.assert_array_equal(loss, loss32.astype(np.float16))
    np.testing.assert_array_equal(grad, grad32.astype(np.float16))


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (np.nan, r"logits contains NaN"),
        (np.inf, r"logits contains \+inf"),
        (-np.inf, r"logits has a row whose entries are all -inf"),
    ],
    ids=["nan", "plus-inf", "all-minus-inf"],
)
@pytest.mark.parametrize("fn", [xl.categorical_cross_entropy, xl.categorical_cross_entropy_grad])
@pytest.mark.parametrize("shape", [SMALL, THREADED], ids=["one-tile", "threaded"])
def test_bad_logits_raise_the_row_kernels_errors(shape, fn, value, match):
    _, logits, target = _case(shape, 11)
    if value == -np.inf:
        logits[-1, :, -1, -1] = value  # a whole column, in the last tile
    else:
        logits[-1, 3, -1, -1] = value
        target[-1, -1, -1] = IGNORE  # an ignored position is checked too
    with pytest.raises(ValueError, match=match):
        fn(logits, target, ignore_index=IGNORE)


def test_of_two_bad_tiles_the_first_ones_error_is_raised():
    _, logits, target = _case(THREADED, 12)
    logits[0, 0, 0, 0] = np.inf  # the first tile
    logits[-1, 0, -1, -1] = np.nan  # the last tile
    for _ in range(3):  # whichever thread reaches a tile first
        with pytest.raises(ValueError, match=r"\+inf"):
            xl.categorical_cross_entropy_grad(logits, target)


def test_run_pulled_runs_every_task_once_in_each_thread_and_raises_the_first_error():
    ran, threads, lock = [], set(), threading.Lock()

    def make_task():
        def task(k):
            with lock:
                ran.append(k)
                threads.add(threading.get_ident())
            if k in (5, 9):
                raise ValueError(f"task {k}")

        return task

    with pytest.raises(ValueError, match="task 5"):
        _rowwise._run_pulled(make_task, 12, _rowwise._PARALLEL_MIN_ELEMENTS)
    assert sorted(ran) == list(range(12))
    ran.clear()
    _rowwise._run_pulled(make_task, 3, 10)  # a small job: one thread, this one
    assert ran == [0, 1, 2]
    _rowwise._run_pulled(make_task, 0, 10)  # nothing to do


def test_tiles_cover_every_position_once():
    for shape in [
        (8, 21, 16384),
        (3, 21, 16384),
        (5, 21, 16384),
        (1, 21, 262144),
        (64, 21, 256),
        (7, 1000, 128),
        (1, 3, 20),
    ]:
        n, c, d = shape
        covered = np.zeros((n, d), int)
        for n0, n1, d0, d1 in _middle_axis._index_tiles(n, c, d, 4):
            covered[n0:n1, d0:d1] += 1
        assert np.all(covered == 1), shape


def test_the_forward_allocates_no_per_position_arrays_for_a_mean():
    """The mean's sum is taken tile by tile: beyond the targets' own arrays, only a scratch
    tile per thread, far less than the logits (tracemalloc sees NumPy's allocations)."""
    import tracemalloc

    _, logits, target = _case(THREADED, 13)
    xl.categorical_cross_entropy(logits, target)  # the thread pool started outside the trace
    tracemalloc.start()
    xl.categorical_cross_entropy(logits, target)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.5 * logits.nbytes, peak / logits.nbytes
    assert losses.takes_fused_index_path(losses.class_layout(logits), 0.0)
