"""Gradients of the losses with respect to the logits, and tools to check any gradient.

The closed forms are the punchline of the course: for softmax cross-entropy
``dL/dz = softmax(z) - y`` (divided by N for the mean), for BCE with logits
``dL/dx = sigmoid(x) - t``. Each function here returns exactly what PyTorch's autograd
gives for the loss of the same name and keywords.
"""

from __future__ import annotations

import numpy as np

from ._validation import (
    as_array,
    as_class_weight,
    as_float_array,
    check_bool,
    check_ignore_index,
    check_no_pos_inf,
    check_positive_scalar,
    check_reduction,
    check_unit_scalar,
    is_torch_tensor,
    to_output,
)
from .losses import (
    IndexTarget,
    binary_cross_entropy_with_logits,
    binary_inputs,
    binary_weights,
    categorical_cross_entropy,
    check_logit_rows,
    class_layout,
    confident_rows,
    fused_index_loss,
    index_target_loss,
    is_probability_target,
    probability_target,
    refine_log_sum,
    takes_fused_index_path,
)

__all__ = [
    "binary_cross_entropy_with_logits_grad",
    "categorical_cross_entropy_grad",
    "gradient_check",
    "numerical_gradient",
]


def categorical_cross_entropy_grad(
    logits,
    target,
    weight=None,
    ignore_index=-100,
    reduction="mean",
    label_smoothing=0.0,
    return_loss=False,
):
    r"""Gradient of :func:`categorical_cross_entropy` with respect to the logits.

    Parameters
    ----------
    logits, target, weight, ignore_index, reduction, label_smoothing
        As in :func:`~xent_lessons.categorical_cross_entropy`: logits ``(N, C)``, ``(C,)``
        or ``(N, C, d1, ..., dk)`` with the classes on dim 1, index or probability targets,
        torch tensors, float16 to float64, empty batches.
    return_loss : bool, optional
        Also return the loss, computed in the same pass (``(loss, grad)``). Only ``True``
        or ``False``.

    Returns
    -------
    ndarray or (float or ndarray, ndarray)
        ``dL/dlogits``, the logits' shape and dtype (float16 in, float16 out). For
        ``reduction="none"`` it is the gradient of the sum of the per-position losses
        (autograd's ``loss.backward(ones)``). Where the mean divides by 0 (weights that
        are 0 at every target), the loss is NaN and so is the gradient at every position
        that counts, as in autograd; ignored positions get 0.

    Notes
    -----
    For one row with target distribution :math:`y` (one-hot for an index target),

    .. math:: \frac{\partial \ell}{\partial z} = \mathrm{softmax}(z) - y

    With class weights and label smoothing ε (index targets, as in PyTorch),

    .. math:: \frac{\partial \ell_i}{\partial z_i} = (1 - \varepsilon)\, w_{y_i}
              (q_i - e_{y_i}) + \frac{\varepsilon}{C}\Big(q_i \sum_c w_c - w\Big)

    and the mean divides by :math:`\sum_i w_{y_i}`; ignored rows get 0. For index targets
    the gradient is made in one pass over the logits that allocates only the result. At a
    confident target, :math:`q_y - 1` is computed as :math:`-r / (1 + r)` (``r`` the other
    classes' share, as in :func:`~xent_lessons.categorical_cross_entropy`), so it keeps its
    digits instead of cancelling.

    Examples
    --------
    >>> categorical_cross_entropy_grad([[0.0, 0.0]], [0])
    array([[-0.5,  0.5]])
    >>> from xent_lessons import softmax
    >>> g = categorical_cross_entropy_grad([[1.0, 2.0, 3.0]], [2])
    >>> bool(np.allclose(g, softmax([[1.0, 2.0, 3.0]]) - [0, 0, 1]))
    True
    """
    reduction = check_reduction(reduction)
    smoothing = check_unit_scalar(label_smoothing, "label_smoothing")
    ignore_index = check_ignore_index(ignore_index)
    return_loss = check_bool(return_loss, "return_loss")
    target = as_array(target, "target")
    index_target = not is_probability_target(target)
    layout = class_layout(logits, check_nan=not index_target)
    n_classes = layout.n_classes
    if not index_target:
        z = layout.rows
        t = probability_target(target, layout, ignore_index, smoothing)
        w = as_class_weight(weight, n_classes, z.dtype)
        check_logit_rows(z)
        wt = t if w is None else t * w
        grad = _softmax_times_mass_minus_target(z, wt)
        if reduction == "mean" and z.shape[0]:
            grad /= z.dtype.type(z.shape[0])
        grad = layout.from_rows(grad)
        loss = None
        if return_loss:
            loss = categorical_cross_entropy(
                logits, target, weight, ignore_index, reduction, label_smoothing
            )
    else:
        target = IndexTarget.build(target, layout, weight, ignore_index)
        # What each row's terms are divided by: the weighted mean's denominator, or 1.
        # A mean whose denominator is 0 is 0 / 0 = NaN; as in autograd, its gradient is
        # NaN on the rows that count and 0 on ignored rows (all of them, when every row is
        # ignored).
        per_row = 1.0
        if reduction == "mean" and target.denominator != 0:
            per_row = 1.0 / target.denominator
        elif reduction == "mean":
            per_row = np.where(target.valid, np.nan, 0.0)
        if takes_fused_index_path(layout, smoothing):  # the steps below, fused for speed
            grad_scale = per_row  # each position's w[y] / denominator (0 where ignored)
            if target.weight is not None or not target.all_valid:
                grad_scale = target.row_weight * per_row
            loss, grad = fused_index_loss(layout, target, reduction, grad_scale)
            grad = layout.from_kernels(grad)
            return (loss, grad) if return_loss else grad
        valid = target.valid.astype(np.float64)
        target_scale = (1 - smoothing) * target.row_weight * per_row
        class_offset = offset_scale = None
        row_scale = target_scale
        if smoothing > 0:
            class_offset = (
                np.ones(n_classes, layout.z.dtype) if target.weight is None else target.weight
            )
            offset_scale = (smoothing / n_classes) * valid * per_row
            row_scale = target_scale + offset_scale * float(class_offset.sum(dtype=np.float64))
        kernels = layout.kernels
        lse_parts, grad = kernels.softmax_scaled_minus_target(
            target.index, row_scale, target_scale, class_offset, offset_scale
        )
        rows, r, target_logit = confident_rows(kernels, target, lse_parts)
        if r is not None:
            # At a confident target q_y - 1 = -r / (1 + r); the kernel's 1 / (1 + r) - 1
            # cancels. Recompute grad[y] = target_scale (q_y - 1) + offset_scale (W q_y - w_y).
            y = target.index[rows]
            value = -target_scale[rows] * (r / (1 + r))
            if class_offset is not None:
                total = float(class_offset.sum(dtype=np.float64))
                value = value + offset_scale[rows] * (total / (1 + r) - class_offset[y])
            kernels.set_at_targets(grad, rows, target.index, value)
            lse_parts = refine_log_sum(lse_parts, rows, r, target_logit)
        loss = None
        if return_loss:
            if layout.middle_axis and (smoothing > 0 or layout.z.dtype == np.float64):
                # The smoothing term sums z_c - max, and float64 rounds as torch with the
                # max shift: the middle-axis gradient kernel sums exp(z) unshifted, so the
                # loss takes the column maxima in a pass of its own.
                lse_parts = refine_log_sum(
                    kernels.logsumexp_parts(with_max=True), rows, r, target_logit
                )
            loss = index_target_loss(
                kernels, lse_parts, target_logit, target, reduction, smoothing, layout
            )
        grad = layout.from_kernels(grad)
    return (loss, grad) if return_loss else grad


def _softmax_times_mass_minus_target(z, wt):
    """``softmax(z) * sum(wt) - wt`` per row, exact also where the target is near-certain.

    At each row's largest logit ``k``, ``q_k = 1 / (1 + r)`` with ``r`` the sum of the other
    ``exp(z_c - z_k)``, and the entry is rewritten as ``sum_{c != k} wt_c - sum(wt) r / (1 + r)``,
    so a one-hot target on a confident class gives ``-r / (1 + r)`` with all its digits
    rather than ``q_k - 1``, which cancels.
    """
    n_rows = z.shape[0]
    rows = np.arange(n_rows)
    top = np.argmax(z, axis=1)
    e = np.exp(z - z[rows, top][:, None])
    e[rows, top] = 0
    r = e.sum(axis=1)
    total = 1 + r
    mass = wt.sum(axis=1)
    grad = e * (mass / total)[:, None] - wt
    others = np.where(np.arange(z.shape[1]) == top[:, None], 0, wt).sum(axis=1)
    grad[rows, top] = others - mass * (r / total)
    return grad


def binary_cross_entropy_with_logits_grad(
    logits, target, weight=None, pos_weight=None, reduction="mean", return_loss=False
):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    Parameters
    ----------
    logits, target, weight, pos_weight, reduction
        As in :func:`~xent_lessons.binary_cross_entropy_with_logits`.
    return_loss : bool, optional
        Also return the loss (``(loss, grad)``). Only ``True`` or ``False``.

    Returns
    -------
    ndarray or (float or ndarray, ndarray)
        ``dL/dlogits``, the logits' shape and dtype (float16 in, float16 out); for
        ``"none"``, the gradient of the sum.

    Notes
    -----
    .. math:: \frac{\partial \ell}{\partial x} = w \left[ (1 - t) - l_p\, \sigma(-x) \right],
              \qquad l_p = 1 + (p_w - 1)\, t

    Without ``pos_weight`` this is :math:`w\,(\sigma(x) - t)`. The mean divides by the
    number of elements.

    Examples
    --------
    >>> binary_cross_entropy_with_logits_grad([0.0, 0.0], [1.0, 0.0])
    array([-0.25,  0.25])
    """
    reduction = check_reduction(reduction)
    return_loss = check_bool(return_loss, "return_loss")
    x, t, out_dtype = binary_inputs(logits, target, "logits")
    check_no_pos_inf(x, "logits")
    w, pw = binary_weights(weight, pos_weight, x.shape, x.dtype)
    e = np.exp(-np.abs(x))  # no overflow, and no +inf when x is -inf
    sig_x = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    sig_neg_x = np.where(x >= 0, e / (1 + e), 1 / (1 + e))
    pos_coef = t if pw is None else pw * t
    # (1 - t) sigma(x) - p_w t sigma(-x): two terms that never cancel for t = 0 or 1, where
    # (1 - t) - l_p sigma(-x) loses sigma(x) = 3.7e-44 at x = -100 in 1 - sigma(-x).
    grad = (1 - t) * sig_x - pos_coef * sig_neg_x
    if w is not None:
        grad = grad * w
    grad = np.broadcast_to(grad, x.shape).astype(x.dtype)
    if reduction == "mean" and x.size:
        grad /= x.dtype.type(x.size)
    grad = to_output(grad, out_dtype)
    if not return_loss:
        return grad
    return binary_cross_entropy_with_logits(logits, target, weight, pos_weight, reduction), grad


def _value_of_f(value, where: str) -> float:
    """``f``'s result as a float, or an error that says what ``f`` returned instead."""
    if is_torch_tensor(value):
        value = as_array(value, "f's result")
    if value is None or isinstance(value, str | bytes | bool | np.bool_):
        shown = "None (a missing return?)" if value is None else repr(value)
        raise TypeError(f"f must return a real number; got {shown} {where}")
    try:
        arr = np.asarray(value)
    except Exception:  # anything np.asarray cannot read is not a number
        arr = np.asarray(None)
    if arr.dtype.kind == "c":
        raise TypeError(f"f must return a real number; got the complex {value!r} {where}")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"f must return a real number; got {type(value).__name__} {where}")
    if arr.size != 1:
        raise TypeError(
            f"f must return a single number (a scalar function); got an array of shape "
            f"{arr.shape} {where}"
        )
    number = float(arr.reshape(()))
    if not np.isfinite(number):
        raise ValueError(
            f"f returned {number} {where}: finite differences need f to be finite at x and "
            "within eps of it"
        )
    return number


def numerical_gradient(f, x, eps=1e-6):
    r"""Central finite-difference gradient of a scalar function ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Takes an array shaped like ``x`` (float64) and returns one real number (a Python
        or NumPy scalar, a size-1 array, or a 0-d torch tensor). It must not change its
        argument in place, and must be finite at ``x`` and within ``eps`` of it.
    x : array_like
        Where to take the gradient (copied to float64; not modified).
    eps : float, optional
        The step :math:`h`, at least the float64 spacing of ``x``'s entries (else
        ``x + h`` rounds back to ``x``) and small enough that ``x ± h`` is finite.

    Returns
    -------
    ndarray
        Float64 array of ``x``'s shape.

    Raises
    ------
    TypeError
        If ``f`` returns None, a string, a complex number or an array of more than one value.
    ValueError
        If ``f`` returns NaN or inf, changes its argument, or ``eps`` is too small or too
        large for ``x`` (each message names ``f`` or ``eps`` and the entry of ``x``).

    Notes
    -----
    .. math:: \frac{\partial f}{\partial x_k} \approx \frac{f(x + h e_k) - f(x - h e_k)}{2h}

    The error is :math:`O(h^2)` from truncation plus :math:`O(\epsilon_{mach} / h)` from
    rounding, so :math:`h = 10^{-6}` in float64 gives about 8 to 10 correct digits. It costs
    two calls of ``f`` per element: a check, not a way to train. The difference is divided
    by the step actually taken, ``(x_k + h) - (x_k - h)`` in float64, which is ``2h`` up to
    rounding; ``f`` gets a fresh copy of the shifted point on every call.

    Examples
    --------
    >>> numerical_gradient(lambda v: float(np.sum(v ** 2)), [1.0, -2.0]).round(6)
    array([ 2., -4.])
    """
    if not callable(f):
        raise TypeError(f"f must be callable; got {type(f).__name__}")
    eps = check_positive_scalar(eps, "eps")
    x = as_float_array(x, "x").astype(np.float64)  # a copy: the caller's array is left alone
    if not np.isfinite(x).all():
        raise ValueError("x must be finite: finite differences need f to be defined around x")
    grad = np.empty_like(x)
    flat_x, flat_g = x.reshape(-1), grad.reshape(-1)

    def call_f(where):
        argument = x.copy()
        value = f(argument)
        if not np.array_equal(argument, x):
            raise ValueError(
                f"f changed its argument in place {where}; numerical_gradient gives f a copy, "
                "but a function that edits its input cannot be differentiated this way: "
                "compute on a copy inside f (v = v.copy()) or without assignments into v"
            )
        return _value_of_f(value, where)

    for k in range(flat_x.size):
        original = flat_x[k]
        index = np.unravel_index(k, x.shape) if x.ndim != 1 else (k,)
        entry = f"x[{', '.join(str(int(i)) for i in index)}]" if x.ndim else "x"
        with np.errstate(over="ignore"):  # an overflow is reported just below
            plus, minus = original + eps, original - eps
        if not (np.isfinite(plus) and np.isfinite(minus)):
            raise ValueError(
                f"eps={eps!r} is too large for {entry}={float(original)!r}: "
                "x ± eps overflows float64"
            )
        step = plus - minus  # the step actually taken: 2 * eps, up to rounding
        if step == 0:
            raise ValueError(
                f"eps={eps!r} is too small for {entry}={float(original)!r}: "
                "x ± eps rounds back to x "
                f"(float64's spacing there is {np.spacing(abs(original)):.3g}), so the "
                "difference would be 0; use an eps of about 1e-6 * max(1, |x|)"
            )
        flat_x[k] = plus
        f_plus = call_f(f"at {entry} + eps")
        flat_x[k] = minus
        f_minus = call_f(f"at {entry} - eps")
        flat_x[k] = original
        flat_g[k] = (f_plus - f_minus) / step
    return grad


def gradient_check(f, grad_f, x, eps=1e-6):
    r"""Largest relative error between an analytic gradient and a finite-difference one.

    Parameters
    ----------
    f : callable
        The scalar function (see :func:`numerical_gradient` for what it must return).
    grad_f : callable
        Its claimed gradient: takes ``x`` (a float64 copy), returns a real array of ``x``'s
        shape with finite entries.
    x : array_like
        Where to compare.
    eps : float, optional
        The finite-difference step.

    Returns
    -------
    float
        The largest difference relative to the size of the gradient,
        :math:`\max_k |a_k - n_k| \,/\, \max_k \max(|a_k|, |n_k|)` (0 when both are 0):
        below about 1e-7 the gradient is right; above 1e-3 it is almost surely wrong.

    Raises
    ------
    TypeError, ValueError
        For what :func:`numerical_gradient` rejects, and when ``grad_f`` returns something
        other than a finite real array of ``x``'s shape (a complex gradient is an error,
        not silently cut to its real part).

    Notes
    -----
    The scale is the gradient's largest entry, not each entry's own size: an entry that is
    exactly 0 (a class nobody predicts, all-equal logits) is matched by finite differences
    only to their noise, about :math:`10^{-10}`, which would read as a relative error near 1.

    Examples
    --------
    >>> x = [0.5, -1.0]
    >>> gradient_check(lambda v: float(np.sum(v ** 3)), lambda v: 3 * v ** 2, x) < 1e-8
    True
    >>> gradient_check(lambda v: float(np.sum(v ** 3)), lambda v: 2 * v, x) > 0.1
    True
    """
    if not callable(grad_f):
        raise TypeError(f"grad_f must be callable; got {type(grad_f).__name__}")
    numeric = numerical_gradient(f, x, eps)
    claimed = grad_f(as_float_array(x, "x").astype(np.float64))
    if claimed is None:
        raise TypeError(f"grad_f must return an array of x's shape {numeric.shape}; got None")
    claimed = as_array(claimed, "grad_f's result")
    if claimed.dtype.kind == "c":
        raise TypeError(
            "grad_f returned complex values; expected a real gradient (the imaginary part "
            "would be silently dropped)"
        )
    if claimed.dtype.kind not in "biuf":
        raise TypeError(f"grad_f must return an array of real numbers; got dtype {claimed.dtype}")
    analytic = claimed.astype(np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(
            f"grad_f must return an array of x's shape {numeric.shape}; got {analytic.shape}"
        )
    if not np.isfinite(analytic).all():
        raise ValueError("grad_f returned NaN or inf; expected a finite gradient")
    scale = max(np.max(np.abs(analytic)), np.max(np.abs(numeric)))
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric)) / scale)
