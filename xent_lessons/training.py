r"""Lesson 07's toy problem: three classes of 2-D points and softmax regression trained on them.

Softmax regression is the smallest classifier trained with cross-entropy: logits
:math:`z = x W + b`, probabilities :math:`q = \mathrm{softmax}(z)`, loss the mean
cross-entropy. Its gradient is lesson 06's :math:`\mathrm{softmax}(z) - y` pushed back
through the linear map, so one full-batch gradient-descent step is

.. math:: G = \frac{1}{N}(Q - Y), \qquad W \leftarrow W - \eta\, X^\top G,
          \qquad b \leftarrow b - \eta \sum_i G_i

where :math:`Q` holds the probabilities and :math:`Y` the one-hot targets, row by row.
Everything here is NumPy and seeded, so every run (and PyTorch, started from the same
weights) follows the same trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_class_indices, as_float_array, check_count, check_positive_scalar
from .gradients import categorical_cross_entropy_grad

__all__ = [
    "BLOB_CENTERS",
    "TrainingHistory",
    "make_three_blobs",
    "train_softmax_regression",
]

# The centres of the three classes: a triangle around the origin, close enough (for a
# spread of 1) that the classes overlap a little and no line separates them perfectly.
BLOB_CENTERS = ((0.0, 2.0), (-2.0, -1.0), (2.0, -1.0))


def _check_count(value, name: str, minimum: int) -> int:
    return check_count(value, name, minimum)


def make_three_blobs(n_per_class=50, seed=0, spread=1.0):
    r"""A small seeded data set: three round clouds of 2-D points, one per class.

    Parameters
    ----------
    n_per_class : int, optional
        Points in each class (``N = 3 * n_per_class``).
    seed : int, optional
        Seed of the random generator: the same seed gives the same points.
    spread : float, optional
        Standard deviation of each cloud around its centre (:data:`BLOB_CENTERS`); at the
        default 1.0 the clouds overlap a little.

    Returns
    -------
    X : ndarray of float64, shape (N, 2)
        The points, class by class.
    y : ndarray of int64, shape (N,)
        Their class indices, 0, 1 or 2.

    Notes
    -----
    Class :math:`c`'s points are :math:`x = \mu_c + s\,\varepsilon`, with :math:`\mu_c`
    its centre, :math:`s` the spread and :math:`\varepsilon \sim \mathcal{N}(0, I_2)`.

    Examples
    --------
    >>> X, y = make_three_blobs(n_per_class=4, seed=0)
    >>> X.shape, y.shape
    ((12, 2), (12,))
    >>> y
    array([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    """
    n_per_class = _check_count(n_per_class, "n_per_class", 1)
    seed = _check_count(seed, "seed", 0)
    spread = check_positive_scalar(spread, "spread")
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(c, spread, size=(n_per_class, 2)) for c in BLOB_CENTERS])
    y = np.repeat(np.arange(len(BLOB_CENTERS), dtype=np.int64), n_per_class)
    return X, y


@dataclass(frozen=True)
class TrainingHistory:
    """Where training went, epoch by epoch: entry ``k`` is the model after ``k`` updates.

    Attributes
    ----------
    weights : ndarray, shape (epochs + 1, D, C)
        ``W`` after each update (entry 0 is the initial ``W0``).
    biases : ndarray, shape (epochs + 1, C)
        ``b`` after each update.
    loss : ndarray, shape (epochs + 1,)
        Mean cross-entropy (nats) of the model ``(weights[k], biases[k])`` on the data.
    accuracy : ndarray, shape (epochs + 1,)
        Fraction of points whose most probable class is their class.
    lr : float
        The learning rate used.
    """

    weights: np.ndarray
    biases: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    lr: float

    @property
    def epochs(self) -> int:
        """The number of updates made."""
        return len(self.loss) - 1


def train_softmax_regression(X, y, lr, epochs, W0=None, b0=None):
    r"""Train softmax regression by full-batch gradient descent on the mean cross-entropy.

    Parameters
    ----------
    X : array_like, shape (N, D)
        The inputs, one row per sample.
    y : array_like of int, shape (N,)
        Class indices in ``[0, C)``.
    lr : float
        The learning rate :math:`\eta` (> 0).
    epochs : int
        How many updates to make (each uses the whole data set).
    W0 : array_like, shape (D, C), optional
        Initial weights (default zeros, with ``C = max(y) + 1``). Not modified.
    b0 : array_like, shape (C,), optional
        Initial biases (default zeros).

    Returns
    -------
    TrainingHistory
        Weights, biases, loss and accuracy before the first update and after each one.

    Notes
    -----
    With logits :math:`Z = X W + b` and the gradient of the mean loss with respect to them,
    :math:`G = (\mathrm{softmax}(Z) - Y) / N` (:func:`~xent_lessons.categorical_cross_entropy_grad`),
    each epoch makes one step

    .. math:: W \leftarrow W - \eta\, X^\top G, \qquad b \leftarrow b - \eta \sum_i G_i

    which is exactly what ``torch.optim.SGD`` does with ``F.cross_entropy`` on
    ``nn.Linear``.

    Examples
    --------
    >>> X, y = make_three_blobs(n_per_class=20, seed=0)
    >>> history = train_softmax_regression(X, y, lr=0.5, epochs=30)
    >>> history.weights.shape, history.loss.shape
    ((31, 2, 3), (31,))
    >>> round(float(history.loss[0]), 4)  # all-zero weights: log 3
    1.0986
    >>> bool(history.loss[-1] < 0.3), float(history.accuracy[-1]) > 0.9
    (True, True)
    """
    X = as_float_array(X, "X").astype(np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, D), one row per sample; got shape {X.shape}")
    n_samples, n_features = X.shape
    if not np.isfinite(X).all():
        raise ValueError("X must hold finite numbers")
    lr = check_positive_scalar(lr, "lr")
    epochs = _check_count(epochs, "epochs", 0)
    y_arr = np.asarray(y)
    if W0 is None:
        if y_arr.dtype.kind not in "iu" or y_arr.size == 0:
            raise TypeError(f"y must hold integer class indices; got dtype {y_arr.dtype}")
        n_classes = int(y_arr.max()) + 1
        W = np.zeros((n_features, n_classes))
    else:
        W = as_float_array(W0, "W0").astype(np.float64)  # a copy: W0 is left alone
        if W.ndim != 2 or W.shape[0] != n_features:
            raise ValueError(
                f"W0 must have shape (D, C) = ({n_features}, C) for X with {n_features} "
                f"features; got shape {W.shape}"
            )
        n_classes = W.shape[1]
    y_idx = as_class_indices(y, "y", n_samples, n_classes, ignore_index=-100)
    if (y_idx < 0).any():
        raise ValueError("y must hold class indices in [0, C); got a negative index")
    if b0 is None:
        b = np.zeros(n_classes)
    else:
        b = as_float_array(b0, "b0").astype(np.float64)
        if b.shape != (n_classes,):
            raise ValueError(f"b0 must have shape ({n_classes},), one per class; got {b.shape}")

    weights = np.empty((epochs + 1, n_features, n_classes))
    biases = np.empty((epochs + 1, n_classes))
    loss = np.empty(epochs + 1)
    accuracy = np.empty(epochs + 1)
    for k in range(epochs + 1):
        logits = X @ W + b
        loss[k], G = categorical_cross_entropy_grad(logits, y_idx, return_loss=True)
        accuracy[k] = np.mean(np.argmax(logits, axis=1) == y_idx)
        weights[k], biases[k] = W, b
        if k < epochs:
            W = W - lr * (X.T @ G)
            b = b - lr * G.sum(axis=0)
    return TrainingHistory(weights, biases, loss, accuracy, lr)
