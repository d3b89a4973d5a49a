r"""A small neural network (an MLP) trained with cross-entropy, for lessons 10 and 11.

Lesson 07 trained softmax regression, :math:`z = xW + b`, with gradient descent written
out in NumPy. A **multi-layer perceptron** puts hidden layers in between,

.. math:: h_1 = \mathrm{relu}(x W_1 + b_1), \quad h_2 = \mathrm{relu}(h_1 W_2 + b_2), \quad
          z = h_2 W_3 + b_3, \qquad \mathrm{relu}(a) = \max(a, 0),

which can draw curved borders between classes, and enough weights to memorise a small
training set. The loss and its gradient with respect to the logits are lesson 06's
:math:`\mathrm{softmax}(z) - y`; autograd carries it back through the layers, and Adam
(a gradient step scaled per weight by running averages of the gradient) moves the weights.

This is PyTorch (``nn.Linear``, ``F.cross_entropy``, ``torch.optim.Adam``) in float64 on
one thread, seeded, so every run gives the same numbers: one thread keeps these tiny
matrix products fast on a busy machine too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from ._validation import as_float_array, check_positive_scalar, check_unit_scalar
from .losses import is_probability_target
from .training import _check_count

__all__ = ["MLPHistory", "mlp_logits", "train_mlp"]


@dataclass(frozen=True)
class MLPHistory:
    """What :func:`train_mlp` saw, at every recorded epoch.

    Attributes
    ----------
    epochs : ndarray of int, shape (R,)
        The recorded epochs (0 is the untrained network).
    objective : ndarray, shape (R,)
        The training loss being minimised (with label smoothing or temperature, if any).
    loss, accuracy : dict of str to ndarray, shape (R,)
        For each evaluation set (by name): mean cross-entropy in nats against its class
        indices, and the fraction whose most probable class is right.
    logits : dict of str to ndarray, shape (R, N, C)
        The network's logits on each evaluation set.
    params : list
        The weights at each recorded epoch, as NumPy ``(W, b)`` pairs (``W`` is
        ``(inputs, outputs)``); :func:`mlp_logits` evaluates them on new points.
    """

    epochs: np.ndarray
    objective: np.ndarray
    loss: dict
    accuracy: dict
    logits: dict
    params: list

    def index(self, epoch) -> int:
        """The position of ``epoch`` in :attr:`epochs` (a ``ValueError`` if not recorded)."""
        hits = np.flatnonzero(self.epochs == epoch)
        if hits.size == 0:
            raise ValueError(f"epoch {epoch} was not recorded; recorded: {self.epochs[:5]}...")
        return int(hits[0])


def mlp_logits(params, X):
    """The logits of an MLP with ReLU hidden layers, from NumPy weights ``[(W, b), ...]``.

    Examples
    --------
    >>> params = [(np.eye(2), np.zeros(2)), (np.array([[1.0], [-1.0]]), np.zeros(1))]
    >>> mlp_logits(params, [[2.0, -3.0]])
    array([[2.]])
    """
    X = as_float_array(X, "X").astype(np.float64)
    # In blocks of 64 rows: products this small are fastest on one thread, and NumPy's BLAS
    # would otherwise wake all its threads for a large X (slow on a busy machine).
    out = []
    for start in range(0, X.shape[0], 64):
        h = X[start : start + 64]
        for k, (W, b) in enumerate(params):
            h = h @ W + b
            if k < len(params) - 1:
                h = np.maximum(h, 0.0)
        out.append(h)
    return np.concatenate(out)


def _eval_sets(eval_sets):
    out = {}
    for name, pair in (eval_sets or {}).items():
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"eval_sets[{name!r}] must be a pair (X, y); got {type(pair).__name__}")
        X = as_float_array(pair[0], f"eval_sets[{name!r}] X").astype(np.float64)
        y = np.asarray(pair[1])
        if y.dtype.kind not in "iu" or y.shape != (X.shape[0],):
            raise ValueError(f"eval_sets[{name!r}] y must be {X.shape[0]} integer class indices")
        out[name] = (X, y.astype(np.int64))
    return out


def train_mlp(
    X,
    target,
    *,
    hidden=(64, 64),
    n_classes=None,
    epochs=1500,
    lr=0.003,
    seed=0,
    label_smoothing=0.0,
    temperature=1.0,
    hard_target=None,
    hard_weight=0.0,
    scale_by_t_squared=True,
    eval_sets: Mapping | None = None,
    record_every=10,
):
    r"""Train an MLP by full-batch Adam on the mean cross-entropy; record held-out sets.

    Parameters
    ----------
    X : array_like, shape (N, D)
        The training inputs.
    target : array_like
        Class indices, shape (N,); or class probabilities, shape (N, C), each row summing
        to 1 (soft targets, such as a teacher's ``softmax(teacher_logits / T)``).
    hidden : sequence of int, optional
        The width of each hidden layer.
    n_classes : int, optional
        The number of outputs (default: from ``target``).
    epochs : int, optional
        Full-batch updates.
    lr : float, optional
        Adam's learning rate (its other settings are PyTorch's defaults).
    seed : int, optional
        Seeds the initial weights (``torch.manual_seed``).
    label_smoothing : float, optional
        For index targets: ``F.cross_entropy``'s label smoothing (lesson 05).
    temperature : float, optional
        For probability targets: the loss is :math:`T^2\, D_{KL}(\text{target} \,\|\,
        \mathrm{softmax}(z / T))`, averaged over the rows (lesson 11's distillation loss).
    hard_target : array_like of int, shape (N,), optional
        With probability targets: class indices for Hinton's mixed loss,
        ``hard_weight * CE(z, hard_target) + (1 - hard_weight) * soft loss``.
    hard_weight : float, optional
        The weight of the hard-label cross-entropy in [0, 1] (with ``hard_target``).
    scale_by_t_squared : bool, optional
        Multiply the soft loss by :math:`T^2` (set False to see what the factor is for).
    eval_sets : mapping of str to (X, y), optional
        Sets to evaluate (cross-entropy, accuracy, logits) at every recorded epoch, for
        example ``{"train": (X, y), "test": (X_test, y_test)}``.
    record_every : int, optional
        Record every this many epochs (and the last).

    Returns
    -------
    MLPHistory

    Examples
    --------
    >>> from xent_lessons.mixture import ring_mixture
    >>> X, y = ring_mixture().sample(60, seed=1)
    >>> h = train_mlp(X, y, hidden=(16,), epochs=20, eval_sets={"train": (X, y)})
    >>> h.epochs.tolist(), h.logits["train"].shape
    ([0, 10, 20], (3, 60, 3))
    >>> bool(h.loss["train"][-1] < h.loss["train"][0])
    True
    """
    import torch
    import torch.nn.functional as F

    X = as_float_array(X, "X").astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, D), one row per sample; got {X.shape}")
    soft = is_probability_target(target)
    if soft:
        target_arr = as_float_array(target, "target").astype(np.float64)
        if target_arr.shape[0] != X.shape[0] or target_arr.ndim != 2:
            raise ValueError(f"soft target must have shape ({X.shape[0]}, C); got {target_arr.shape}")
        from ._validation import check_distribution

        check_distribution(target_arr, "target", axis=1)
        n_out = target_arr.shape[1]
    else:
        target_arr = np.asarray(target)
        if target_arr.dtype.kind not in "iu" or target_arr.shape != (X.shape[0],):
            raise ValueError(f"target must hold {X.shape[0]} integer class indices, or soft targets")
        n_out = int(target_arr.max()) + 1
    n_out = n_out if n_classes is None else _check_count(n_classes, "n_classes", 2)
    hidden = tuple(_check_count(h, "hidden", 1) for h in hidden)
    epochs = _check_count(epochs, "epochs", 0)
    lr = check_positive_scalar(lr, "lr")
    seed = _check_count(seed, "seed", 0)
    smoothing = check_unit_scalar(label_smoothing, "label_smoothing")
    T = check_positive_scalar(temperature, "temperature")
    if T != 1.0 and not soft:
        raise ValueError("temperature is for soft targets (class probabilities); target holds indices")
    record_every = _check_count(record_every, "record_every", 1)
    sets = _eval_sets(eval_sets)
    alpha = check_unit_scalar(hard_weight, "hard_weight")
    hard = None
    if hard_target is not None:
        if not soft:
            raise ValueError("hard_target is for mixing with soft targets; target holds indices")
        hard = np.asarray(hard_target)
        if hard.dtype.kind not in "iu" or hard.shape != (X.shape[0],):
            raise ValueError(f"hard_target must hold {X.shape[0]} integer class indices")
    soft_scale = T**2 if scale_by_t_squared else 1.0

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is fastest, and never waits for another
    try:
        torch.manual_seed(seed)
        sizes = (X.shape[1], *hidden, n_out)
        # nn.Linear's initial weights (uniform in +-1/sqrt(fan_in)), kept in ONE flat tensor:
        # Adam then updates all weights with a handful of operations instead of a handful
        # per layer, which halves the time of a step on data this small.
        linears = [torch.nn.Linear(a, b, dtype=torch.float64) for a, b in pairwise(sizes)]
        theta = torch.cat([t.detach().reshape(-1) for m in linears for t in (m.weight, m.bias)])
        theta.requires_grad_(True)
        shapes = [t.shape for m in linears for t in (m.weight, m.bias)]
        offsets = np.cumsum([0] + [int(np.prod(sh)) for sh in shapes])

        def layers():
            views = [theta[a:b].view(sh) for (a, b), sh in zip(pairwise(offsets), shapes, strict=True)]
            return list(zip(views[0::2], views[1::2], strict=True))  # (weight (out, in), bias) each

        def forward(inputs):
            h = inputs
            weights = layers()
            for k, (W, b) in enumerate(weights):
                h = F.linear(h, W, b)
                if k < len(weights) - 1:
                    h = torch.relu(h)
            return h

        X_t = torch.from_numpy(X)
        t_t = torch.from_numpy(np.ascontiguousarray(target_arr))
        sets_t = {name: torch.from_numpy(Xs) for name, (Xs, _) in sets.items()}

        hard_t = None if hard is None else torch.from_numpy(hard.astype(np.int64))

        def objective(z):
            if not soft:
                return F.cross_entropy(z, t_t, label_smoothing=smoothing)
            # T^2 KL(target || softmax(z / T)), as F.kl_div wants it: log q first
            value = soft_scale * F.kl_div(F.log_softmax(z / T, dim=1), t_t, reduction="batchmean")
            if hard_t is not None:
                value = alpha * F.cross_entropy(z, hard_t) + (1 - alpha) * value
            return value

        # Adam, as torch.optim.Adam does it with its defaults (betas 0.9, 0.999; eps 1e-8)
        beta1, beta2, eps = 0.9, 0.999, 1e-8
        m = torch.zeros_like(theta)
        v = torch.zeros_like(theta)
        recorded, objectives, params = [], [], []
        loss = {name: [] for name in sets}
        accuracy = {name: [] for name in sets}
        logits = {name: [] for name in sets}
        for epoch in range(epochs + 1):
            value = objective(forward(X_t))
            if epoch % record_every == 0 or epoch == epochs:
                recorded.append(epoch)
                objectives.append(value.item())
                params.append(
                    [(W.detach().numpy().T.copy(), b.detach().numpy().copy()) for W, b in layers()]
                )
                with torch.no_grad():
                    for name, (_, ys) in sets.items():
                        z = forward(sets_t[name])
                        logits[name].append(z.numpy())
                        loss[name].append(F.cross_entropy(z, torch.from_numpy(ys)).item())
                        accuracy[name].append(float(np.mean(z.numpy().argmax(axis=1) == ys)))
            if epoch == epochs:
                break
            (grad,) = torch.autograd.grad(value, theta)
            with torch.no_grad():
                step = epoch + 1
                m.mul_(beta1).add_(grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                denom = (v.sqrt() / np.sqrt(1 - beta2**step)).add_(eps)
                theta.addcdiv_(m, denom, value=-lr / (1 - beta1**step))
    finally:
        torch.set_num_threads(threads)
    return MLPHistory(
        epochs=np.array(recorded),
        objective=np.array(objectives),
        loss={k: np.array(v) for k, v in loss.items()},
        accuracy={k: np.array(v) for k, v in accuracy.items()},
        logits={k: np.stack(v) for k, v in logits.items()},
        params=params,
    )
