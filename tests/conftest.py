"""Shared helpers: PyTorch references (loss and autograd gradient), random cases, comparisons.

PyTorch is the reference for the losses' semantics. It is imported by the helpers that
need it, on first use, so that test modules which never call them (other people's, too)
do not pay for importing it; ``xent_lessons`` itself never imports it
(see test_import_light.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import settings

# Deterministic, no example database written into the work tree, no flaky deadlines.
settings.register_profile("xent", database=None, deadline=None, derandomize=True)
settings.load_profile("xent")

# float64 parity with PyTorch: the largest absolute difference allowed.
TORCH_ATOL = 1e-12


# ------------------------------------------------------------------------ PyTorch side


def _torch():
    import torch

    return torch


def _functional():
    import torch.nn.functional

    return torch.nn.functional


def _tensor(x, dtype=None):
    if x is None:
        return None
    arr = np.asarray(x) if dtype is None else np.asarray(x, dtype=dtype)
    return _torch().from_numpy(np.array(arr))  # a copy: torch may not alias our arrays


def _index_or_probs(target, dtype):
    """Integer targets become int64 class indices (torch wants Long); floats keep ``dtype``."""
    arr = np.asarray(target)
    if arr.dtype.kind in "iu":
        return _torch().from_numpy(np.array(arr, dtype=np.int64))
    return _tensor(arr, dtype)


def _loss_and_grad(fn, x, *args, **kwargs):
    """``fn(x, ...)`` and its gradient with respect to ``x`` from autograd.

    For ``reduction="none"`` this is ``loss.backward(torch.ones_like(loss))``: the gradient
    of the summed per-element losses, which is what the package's gradients return.
    """
    x_t = _tensor(x).requires_grad_(True)
    loss = fn(x_t, *args, **kwargs)
    loss.backward(_torch().ones_like(loss))
    return loss.detach().numpy(), x_t.grad.numpy()


def torch_cross_entropy(
    logits, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """``F.cross_entropy``: (loss, dloss/dlogits) as NumPy."""
    z = np.asarray(logits)
    return _loss_and_grad(
        _functional().cross_entropy,
        z,
        _index_or_probs(target, z.dtype),
        weight=_tensor(weight, z.dtype),
        ignore_index=ignore_index,
        reduction=reduction,
        label_smoothing=label_smoothing,
    )


def torch_nll_loss(log_probs, target, weight=None, ignore_index=-100, reduction="mean"):
    lp = np.asarray(log_probs)
    loss, _ = _loss_and_grad(
        _functional().nll_loss,
        lp,
        _index_or_probs(target, lp.dtype),
        weight=_tensor(weight, lp.dtype),
        ignore_index=ignore_index,
        reduction=reduction,
    )
    return loss


def torch_binary_cross_entropy(probs, target, weight=None, reduction="mean"):
    p = np.asarray(probs)
    loss, _ = _loss_and_grad(
        _functional().binary_cross_entropy,
        p,
        _tensor(target, p.dtype),
        weight=_tensor(weight, p.dtype),
        reduction=reduction,
    )
    return loss


def torch_bce_with_logits(logits, target, weight=None, pos_weight=None, reduction="mean"):
    """``F.binary_cross_entropy_with_logits``: (loss, dloss/dlogits) as NumPy."""
    x = np.asarray(logits)
    return _loss_and_grad(
        _functional().binary_cross_entropy_with_logits,
        x,
        _tensor(target, x.dtype),
        weight=_tensor(weight, x.dtype),
        pos_weight=_tensor(pos_weight, x.dtype),
        reduction=reduction,
    )


def torch_apply(fn, x, *args, **kwargs):
    """``fn`` applied to ``x`` as a tensor (no gradient), back as NumPy."""
    return fn(_tensor(x), *args, **kwargs).numpy()


# ------------------------------------------------------------------------- comparisons


def assert_close_to_torch(ours, theirs, atol=TORCH_ATOL, rtol=0.0):
    """Same shape; equal within ``atol`` (+ ``rtol``); NaN and inf must match exactly."""
    ours_arr, theirs_arr = np.asarray(ours), np.asarray(theirs)
    assert ours_arr.shape == theirs_arr.shape, (ours_arr.shape, theirs_arr.shape)
    np.testing.assert_allclose(ours_arr, theirs_arr, rtol=rtol, atol=atol, equal_nan=True)


# ----------------------------------------------------------------------- random cases


def random_logits(rng, n_rows, n_classes, dtype=np.float64, scale=3.0):
    return (scale * rng.standard_normal((n_rows, n_classes))).astype(dtype)


def random_distributions(rng, n_rows, n_classes, dtype=np.float64, with_zeros=False):
    """Rows of probabilities summing to 1 (some exact zeros if ``with_zeros``)."""
    p = rng.random((n_rows, n_classes)) + 0.05
    if with_zeros and n_classes > 1:
        p[rng.random((n_rows, n_classes)) < 0.3] = 0.0
        p[np.arange(n_rows), rng.integers(0, n_classes, n_rows)] += 0.5  # no all-zero row
    return (p / p.sum(axis=1, keepdims=True)).astype(dtype)


@pytest.fixture
def rng():
    """A fresh generator per test, with a fixed seed: every run sees the same numbers."""
    return np.random.default_rng(20240611)


# ------------------------------------------------------------ course widgets, built once

# A build is 0.3-2.5 s of CPU. The tests that only read a widget (its size, its controls'
# layout, its site grid) share one build per widget and process; a test that moves the
# controls takes that build for itself (nobody reads it afterwards) or builds a new one.
_SHARED_WIDGETS: dict = {}


def _settings(widget) -> dict:
    return {name: getattr(c, "index", c.value) for name, c in widget.controls.items()}


def shared_widget(name):
    """The course widget ``name`` built with its defaults, for tests that only read it.

    Built on first use and kept; a test given it must not move its controls (the test
    that takes it next checks that they are as built).
    """
    if name not in _SHARED_WIDGETS:
        import xent_lessons as xl

        widget = xl.widgets.all_builders()[name]()
        _SHARED_WIDGETS[name] = (widget, _settings(widget))
    return _SHARED_WIDGETS[name][0]


def own_widget(name):
    """The course widget ``name`` with its defaults, for a test that moves it: the shared
    build if there is one (checked untouched, then no longer shared), else a new one."""
    if name in _SHARED_WIDGETS:
        widget, built_with = _SHARED_WIDGETS.pop(name)
        assert _settings(widget) == built_with, f"{name}: a reading test moved its controls"
        return widget
    import xent_lessons as xl

    return xl.widgets.all_builders()[name]()
