"""linear_cross_entropy and its gradient: torch parity for every option, the chunked paths
against each other, bad input, edge cases, and the memory that is never allocated."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import xent_lessons as xl
from xent_lessons import _blas, _linear_chunks, _rowwise, fused_linear

RTOL64 = 1e-10  # float64 parity with torch, relative to the largest entry


def torch_linear_ce(h, w, y, b=None, **kwargs):
    """torch: loss and (d_h, d_W, d_b) of F.cross_entropy(h @ W.T + b, y) by autograd."""
    import torch
    import torch.nn.functional as F

    leaves = [torch.tensor(np.array(a), requires_grad=True) for a in (h, w)]
    if b is not None:
        leaves.append(torch.tensor(np.array(b), requires_grad=True))
    logits = leaves[0] @ leaves[1].T
    if b is not None:
        logits = logits + leaves[2]
    loss = F.cross_entropy(logits, torch.from_numpy(np.asarray(y, dtype=np.int64)), **kwargs)
    loss.backward(torch.ones_like(loss))
    return loss.detach().numpy(), tuple(leaf.grad.numpy() for leaf in leaves)


def assert_rel_close(got, expected, rtol):
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    if np.isnan(expected).all():
        assert np.isnan(got).all()
        return
    scale = max(float(np.abs(expected).max()), 1e-300)
    assert float(np.abs(got - expected).max()) <= rtol * scale, float(
        np.abs(got - expected).max() / scale
    )


def problem(rng, n=37, hidden=6, classes=1500, dtype=np.float64, ignore_every=0, scale=1.0):
    h = (scale * rng.standard_normal((n, hidden))).astype(dtype)
    w = rng.standard_normal((classes, hidden)).astype(dtype)
    b = rng.standard_normal(classes).astype(dtype)
    y = rng.integers(0, classes, n)
    if ignore_every:
        y[::ignore_every] = -100
    return h, w, y, b


@pytest.fixture
def tiny_tiles(monkeypatch):
    """Tiles, blocks and thread ranges small enough that a test-sized problem uses many of
    each: every path of the kernels runs (several tiles per row, several sub-blocks per
    block, both threads)."""
    monkeypatch.setattr(_linear_chunks, "_FORWARD_TILE_BYTES", 4096)
    monkeypatch.setattr(_linear_chunks, "_MIN_TILE_COLUMNS", 16)
    monkeypatch.setattr(_linear_chunks, "_BLOCK_BYTES", 8192)
    monkeypatch.setattr(_linear_chunks, "_SUB_BLOCK_BYTES", 2048)
    monkeypatch.setattr(_rowwise, "_PARALLEL_MIN_ELEMENTS", 64)


# ------------------------------------------------------------------- torch parity


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("chunk_size", [None, 1, 5, 1000])
def test_float64_matches_torch_for_every_option(
    rng, tiny_tiles, with_bias, reduction, label_smoothing, chunk_size
):
    h, w, y, b = problem(rng, ignore_every=4)
    b = b if with_bias else None
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    t_loss, t_grads = torch_linear_ce(h, w, y, b, **kwargs)
    loss = xl.linear_cross_entropy(h, w, y, b, chunk_size=chunk_size, **kwargs)
    out = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=chunk_size, return_loss=True, **kwargs)
    assert_rel_close(loss, t_loss, RTOL64)
    assert_rel_close(out[0], t_loss, RTOL64)
    assert len(out) == 1 + len(t_grads)
    for got, expected in zip(out[1:], t_grads, strict=True):
        assert_rel_close(got, expected, RTOL64)
    grads = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=chunk_size, **kwargs)
    for got, expected in zip(grads, out[1:], strict=True):
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("chunk_size", [None, 3])
def test_class_weights_match_torchs_weight(
    rng, tiny_tiles, with_bias, reduction, label_smoothing, chunk_size
):
    # torch's F.cross_entropy(weight=...), Liger's ce_weight: each row weighs w[y], the
    # mean divides by the sum of those weights, and smoothing weighs each class by its own
    h, w, y, b = problem(rng, ignore_every=4)
    b = b if with_bias else None
    ce_weight = rng.uniform(0.1, 3.0, w.shape[0])
    ce_weight[1] = 0.0  # a class with weight 0 counts neither in the loss nor in the mean
    kwargs = {"reduction": reduction, "label_smoothing": label_smoothing}
    import torch

    t_loss, t_grads = torch_linear_ce(h, w, y, b, weight=torch.from_numpy(ce_weight), **kwargs)
    loss = xl.linear_cross_entropy(h, w, y, b, chunk_size=chunk_size, ce_weight=ce_weight, **kwargs)
    out = xl.linear_cross_entropy_grad(
        h, w, y, b, chunk_size=chunk_size, return_loss=True, ce_weight=ce_weight, **kwargs
    )
    assert_rel_close(loss, t_loss, RTOL64)
    assert_rel_close(out[0], t_loss, RTOL64)
    for got, expected in zip(out[1:], t_grads, strict=True):
        assert_rel_close(got, expected, RTOL64)


def test_class_weights_with_no_hidden_units_match_torch(rng):
    import torch

    h, w, y = np.zeros((6, 0)), np.zeros((4, 0)), np.array([0, 1, 3, 3, -100, 2])
    b, ce_weight = rng.standard_normal(4), np.array([1.0, 2.0, 0.5, 3.0])
    for kwargs in ({}, {"label_smoothing": 0.3}, {"reduction": "sum"}):
        t_loss, t_grads = torch_linear_ce(h, w, y, b, weight=torch.from_numpy(ce_weight), **kwargs)
        out = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True, ce_weight=ce_weight, **kwargs)
        assert_rel_close(out[0], t_loss, RTOL64)
        assert_rel_close(out[3], t_grads[2], RTOL64)


def test_float64_matches_torch_at_default_tile_sizes(rng):
    # The real tile sizes, several tiles per row and the threads: V = 20,000, N = 1100.
    h, w, y, b = problem(rng, n=1100, hidden=16, classes=20000, ignore_every=7)
    for kwargs in ({}, {"label_smoothing": 0.1, "reduction": "sum"}):
        t_loss, t_grads = torch_linear_ce(h, w, y, b, **kwargs)
        out = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True, **kwargs)
        assert_rel_close(xl.linear_cross_entropy(h, w, y, b, **kwargs), t_loss, RTOL64)
        for got, expected in zip(out, (t_loss, *t_grads), strict=True):
            assert_rel_close(got, expected, RTOL64)


def test_custom_ignore_index_matches_torch(rng):
    h, w, y, b = problem(rng, n=12, classes=40)
    y[[1, 5, 6]] = 7  # a real class, used as the padding index
    t_loss, t_grads = torch_linear_ce(h, w, y, b, ignore_index=7)
    out = xl.linear_cross_entropy_grad(h, w, y, b, ignore_index=7, return_loss=True)
    for got, expected in zip(out, (t_loss, *t_grads), strict=True):
        assert_rel_close(got, expected, RTOL64)
    assert np.all(out[1][[1, 5, 6]] == 0)  # ignored rows get no gradient


def test_float32_matches_torch_within_float32_tolerance(rng, tiny_tiles):
    h, w, y, b = problem(rng, n=64, hidden=32, classes=5000, dtype=np.float32, ignore_every=9)
    for kwargs in ({}, {"label_smoothing": 0.2}, {"reduction": "none"}):
        t_loss, t_grads = torch_linear_ce(h, w, y, b, **kwargs)
        out = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=16, return_loss=True, **kwargs)
        assert all(np.asarray(g).dtype == np.float32 for g in out[1:])
        assert_rel_close(xl.linear_cross_entropy(h, w, y, b, **kwargs), t_loss, 1e-5)
        assert_rel_close(out[0], t_loss, 1e-5)
        for got, expected in zip(out[1:], t_grads, strict=True):
            assert_rel_close(got, expected, 1e-5)


def test_large_logits_do_not_overflow(rng):
    # Logits in the thousands: exp would overflow without the running max.
    h, w, y, b = problem(rng, n=20, classes=300, scale=400.0)
    t_loss, t_grads = torch_linear_ce(h, w, y, b)
    assert np.abs(h @ w.T).max() > 1000
    out = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=3, return_loss=True)
    for got, expected in zip(out, (t_loss, *t_grads), strict=True):
        assert_rel_close(got, expected, RTOL64)
    h32, w32, b32 = (a.astype(np.float32) for a in (h, w, b))
    loss32 = xl.linear_cross_entropy(h32, w32, y, b32)
    assert abs(loss32 - t_loss) <= 1e-5 * abs(t_loss)


def test_same_as_categorical_cross_entropy_of_the_logits(rng):
    h, w, y, b = problem(rng, n=9, classes=50, ignore_every=3)
    for kwargs in ({}, {"reduction": "none", "label_smoothing": 0.3}):
        expected = xl.categorical_cross_entropy(h @ w.T + b, y, **kwargs)
        assert_rel_close(xl.linear_cross_entropy(h, w, y, b, **kwargs), expected, 1e-13)
    g = xl.categorical_cross_entropy_grad(h @ w.T + b, y)
    d_h, d_w, d_b = xl.linear_cross_entropy_grad(h, w, y, b)
    assert_rel_close(d_h, g @ w, 1e-13)
    assert_rel_close(d_w, g.T @ h, 1e-13)
    assert_rel_close(d_b, g.sum(axis=0), 1e-13)


# -------------------------------------------------------------------- shapes


def test_one_sample_and_batched_sequences_match_the_flat_batch(rng):
    h, w, y, b = problem(rng, n=12, classes=30, ignore_every=5)
    flat_none = xl.linear_cross_entropy(h, w, y, b, reduction="none")
    one = xl.linear_cross_entropy(h[1], w, y[1], b, reduction="none")
    assert isinstance(one, float) and one == pytest.approx(flat_none[1], rel=1e-14)
    d_h1, _, _ = xl.linear_cross_entropy_grad(h[1], w, y[1], b)
    assert d_h1.shape == (6,)
    seq_h, seq_y = h.reshape(3, 4, 6), y.reshape(3, 4)
    seq_none = xl.linear_cross_entropy(seq_h, w, seq_y, b, reduction="none")
    assert seq_none.shape == (3, 4)
    np.testing.assert_allclose(seq_none.reshape(-1), flat_none, rtol=1e-14)
    assert xl.linear_cross_entropy(seq_h, w, seq_y, b) == pytest.approx(
        xl.linear_cross_entropy(h, w, y, b), rel=1e-14
    )
    d_seq = xl.linear_cross_entropy_grad(seq_h, w, seq_y, b)
    d_flat = xl.linear_cross_entropy_grad(h, w, y, b)
    assert d_seq[0].shape == (3, 4, 6)
    for a, c in zip(d_seq, d_flat, strict=True):
        np.testing.assert_allclose(a.reshape(c.shape), c, rtol=1e-13, atol=1e-16)


def test_all_rows_ignored_and_empty_batches_match_torch(rng):
    h, w, y, b = problem(rng, n=4, classes=10)
    y[:] = -100
    t_loss, t_grads = torch_linear_ce(h, w, y, b)
    out = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True)
    assert np.isnan(out[0]) and np.isnan(t_loss)  # 0 / 0, as torch
    for got, expected in zip(out[1:], t_grads, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert xl.linear_cross_entropy(h, w, y, b, reduction="sum") == 0.0
    empty_h, empty_y = np.zeros((0, 6)), np.zeros(0, dtype=np.int64)
    for reduction in ("mean", "sum", "none"):
        t_loss, t_grads = torch_linear_ce(empty_h, w, empty_y, b, reduction=reduction)
        out = xl.linear_cross_entropy_grad(
            empty_h, w, empty_y, b, reduction=reduction, return_loss=True
        )
        np.testing.assert_array_equal(out[0], t_loss)  # NaN, 0.0 or an empty array
        for got, expected in zip(out[1:], t_grads, strict=True):
            np.testing.assert_array_equal(got, expected)


def test_float16_inputs_are_computed_in_float32(rng):
    h, w, y, b = problem(rng, n=8, classes=100, dtype=np.float16, scale=3.0)
    out = xl.linear_cross_entropy_grad(h, w, y, b, return_loss=True)
    assert all(g.dtype == np.float32 for g in out[1:])
    t_loss, t_grads = torch_linear_ce(*(a.astype(np.float32) for a in (h, w)), y, b.astype(np.float32))
    assert_rel_close(out[0], t_loss, 1e-5)
    for got, expected in zip(out[1:], t_grads, strict=True):
        assert_rel_close(got, expected, 1e-5)


def test_mixed_dtypes_compute_as_numpy_would(rng):
    h, w, y, b = problem(rng, n=5, classes=20)
    out = xl.linear_cross_entropy_grad(h.astype(np.float32), w, y, b)
    assert all(g.dtype == np.float64 for g in out)  # float32 @ float64 is float64
    loss = xl.linear_cross_entropy(h.tolist(), w.astype(np.float32), y.tolist(), b.tolist())
    assert loss == pytest.approx(xl.linear_cross_entropy(h, w, y, b), rel=1e-6)


# --------------------------------------------------------- the paths agree


def test_readable_reference_gives_the_fast_kernels_numbers(rng):
    h, w, y, b = problem(rng, n=50, classes=2100, ignore_every=6)
    for smoothing in (0.0, 0.25):
        for bias in (b, None):
            batch = fused_linear._batch(h, w, y, bias, -100, "mean", smoothing)
            scales = fused_linear._scales(batch)
            ref_stats, ref_grads = fused_linear._reference_row_stats(
                batch.h, batch.weight, batch.bias, batch.target, scales, chunk_size=16, block=500
            )
            stats, grads = _linear_chunks.fused_row_stats_and_grads(
                batch.h, batch.weight, batch.bias, batch.target, *scales, chunk_size=7
            )
            forward = _linear_chunks.forward_row_stats(batch.h, batch.weight, batch.bias, True)
            only_stats = fused_linear._reference_row_stats(batch.h, batch.weight, batch.bias)
            for a, c, d, e in zip(ref_stats, stats, forward, only_stats, strict=False):
                if c is not None:
                    assert_rel_close(c, a, 1e-14)
                assert_rel_close(d, a, 1e-14)
                assert_rel_close(e, a, 1e-14)
            for a, c in zip(ref_grads, grads, strict=True):
                if a is None:
                    assert c is None
                else:
                    assert_rel_close(c, a, 1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_without_the_inplace_blas_call_are_the_same(rng, dtype, monkeypatch):
    h, w, y, b = problem(rng, n=40, classes=700, dtype=dtype)
    with_blas = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=6)
    monkeypatch.setattr(_blas, "_functions", {})  # as where NumPy's OpenBLAS is not found
    assert not _blas.have_inplace_gemm(dtype)
    without = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=6)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    for a, c in zip(with_blas, without, strict=True):
        assert_rel_close(c, a, tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("use_blas", [True, False])
def test_inplace_gemm_adds_into_its_output(rng, dtype, trans_a, trans_b, use_blas):
    a = rng.standard_normal((9, 5) if trans_a else (5, 9)).astype(dtype)
    b = rng.standard_normal((4, 9) if trans_b else (9, 4)).astype(dtype)
    big = rng.standard_normal((5, 10)).astype(dtype)
    out = big[:, 3:7]  # a slice of rows of a larger array: row stride 10, not 4
    before = out.copy()
    _blas.gemm(a, b, out, trans_a=trans_a, trans_b=trans_b, accumulate=True, use_blas=use_blas)
    expected = before + (a.T if trans_a else a) @ (b.T if trans_b else b)
    np.testing.assert_allclose(out, expected, rtol=1e-5 if dtype == np.float32 else 1e-13)
    np.testing.assert_array_equal(big[:, :3], big[:, :3])  # neighbours untouched
    _blas.gemm(a, b, out, trans_a=trans_a, trans_b=trans_b)  # overwrite
    np.testing.assert_allclose(out, expected - before, rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_numpys_openblas_is_found_here():
    # The wheels pinned in requirements.txt ship scipy-openblas; if this fails, the
    # fallback (correct, slower) is what runs.
    assert _blas.have_inplace_gemm(np.float32) and _blas.have_inplace_gemm(np.float64)


# ------------------------------------------------------------------- memory


def test_the_full_logits_are_never_allocated(rng):
    # N x V float64 logits would be 80 MB; forward and gradient together stay far below
    # (tracemalloc sees NumPy's allocations; BLAS's own buffers are not counted).
    n, hidden, classes = 1000, 8, 10000
    h, w, y, b = problem(rng, n=n, hidden=hidden, classes=classes)
    logits_bytes = n * classes * 8
    results_bytes = (n * hidden + classes * hidden + classes) * 8
    tracemalloc.start()
    try:
        xl.linear_cross_entropy(h, w, y, b)
        _, forward_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        grads = xl.linear_cross_entropy_grad(h, w, y, b, chunk_size=50)
        _, grad_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert forward_peak < logits_bytes / 10
    # the gradient: its results plus one chunk of 50 rows of logits, and a little more
    assert grad_peak < results_bytes + 50 * classes * 8 + logits_bytes / 20
    assert grads[1].shape == (classes, hidden)


def test_default_chunk_is_32_mib_of_logits():
    assert _linear_chunks.rows_per_chunk(10**6, 50257, 4, None) == (32 << 20) // (50257 * 4)
    assert _linear_chunks.rows_per_chunk(10**6, 10**7, 4, None) == 8  # at least 8 rows
    assert _linear_chunks.rows_per_chunk(20, 50257, 4, None) == 20
    assert _linear_chunks.rows_per_chunk(100, 50, 8, 7) == 7


# ---------------------------------------------------------------- bad input

H2 = np.ones((2, 3))
W4 = np.ones((4, 3))
Y2 = np.array([0, 3])


def case(id_, call, exc, match):
    return pytest.param(call, exc, match, id=id_)


BAD_INPUT = [
    case("weight-1d", lambda: xl.linear_cross_entropy(H2, np.ones(3), Y2), ValueError, r"weight must have shape \(V, H\)"),
    case("hidden-wrong-width", lambda: xl.linear_cross_entropy(np.ones((2, 5)), W4, Y2), ValueError, r"hidden must have shape \(N, H\).*H = 3"),
    case("hidden-scalar", lambda: xl.linear_cross_entropy(1.0, W4, 0), ValueError, r"hidden must have shape"),
    case("bias-wrong-length", lambda: xl.linear_cross_entropy(H2, W4, Y2, bias=np.ones(3)), ValueError, r"bias must have shape \(4,\)"),
    case("target-wrong-shape", lambda: xl.linear_cross_entropy(H2, W4, [0, 1, 2]), ValueError, r"target must have shape \(2,\)"),
    case("target-probabilities", lambda: xl.linear_cross_entropy(H2, W4, np.full((2, 4), 0.25)), TypeError, r"target must hold integer class indices.*probabilities"),
    case("target-out-of-range", lambda: xl.linear_cross_entropy(H2, W4, [0, 4]), ValueError, r"target holds class index 4, out of range for 4 classes"),
    case("target-negative", lambda: xl.linear_cross_entropy_grad(H2, W4, [-1, 0]), ValueError, r"target holds class index -1"),
    case("hidden-nan", lambda: xl.linear_cross_entropy(np.array([[1.0, np.nan, 0], [0, 0, 0]]), W4, Y2), ValueError, r"hidden contains NaN"),
    case("weight-inf", lambda: xl.linear_cross_entropy_grad(H2, np.full((4, 3), np.inf), Y2), ValueError, r"weight contains inf"),
    case("bias-minus-inf", lambda: xl.linear_cross_entropy(H2, W4, Y2, bias=[0, -np.inf, 0, 0]), ValueError, r"bias contains inf"),
    case("hidden-strings", lambda: xl.linear_cross_entropy([["a", "b", "c"]], W4, [0]), TypeError, r"hidden must be an array of real numbers"),
    case("weight-empty", lambda: xl.linear_cross_entropy(H2, np.ones((0, 3)), Y2), ValueError, r"weight must have shape \(V, H\), one row of H numbers per class \(V >= 1\)"),
    case("reduction", lambda: xl.linear_cross_entropy(H2, W4, Y2, reduction="avg"), ValueError, r"reduction must be one of"),
    case("label-smoothing", lambda: xl.linear_cross_entropy_grad(H2, W4, Y2, label_smoothing=1.5), ValueError, r"label_smoothing must be in \[0, 1\]"),
    case("ignore-index-float", lambda: xl.linear_cross_entropy(H2, W4, Y2, ignore_index=1.5), TypeError, r"ignore_index must be an integer"),
    case("chunk-size-zero", lambda: xl.linear_cross_entropy_grad(H2, W4, Y2, chunk_size=0), ValueError, r"chunk_size must be a positive integer"),
    case("chunk-size-float", lambda: xl.linear_cross_entropy(H2, W4, Y2, chunk_size=2.5), TypeError, r"chunk_size must be a positive integer"),
    case("overflow", lambda: xl.linear_cross_entropy(np.full((2, 3), 1e30, np.float32), np.full((4, 3), 1e30, np.float32), Y2), ValueError, r"hidden @ weight.T \+ bias overflows float32"),
    case("overflow-grad", lambda: xl.linear_cross_entropy_grad(np.full((2, 3), 1e200), np.full((4, 3), 1e200), Y2), ValueError, r"overflows float64"),
]


@pytest.mark.parametrize(("call", "exc", "match"), BAD_INPUT)
def test_bad_input_raises_a_clear_error(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_the_callers_blas_thread_count_is_left_as_it_was(rng):
    _blas._load()
    if _blas._get_threads is None:
        pytest.skip("this OpenBLAS cannot set a thread's own thread count")
    before = _blas._get_threads()
    h, w, y, b = problem(rng, n=300, hidden=8, classes=5000)
    xl.linear_cross_entropy_grad(h, w, y, b)
    xl.linear_cross_entropy(h, w, y, b)
    assert _blas._get_threads() == before
