r"""Lessons 10 and 11's toy problem: 2-D points from a Gaussian mixture whose truth we know.

Each class is a mixture of round Gaussian blobs. Because the mixture is known, so is the
best any model can do: the **Bayes posterior** :math:`p(c \mid x)`, from Bayes' rule,

.. math:: p(c \mid x) = \frac{\pi_c\, p(x \mid c)}{\sum_k \pi_k\, p(x \mid k)}, \qquad
          p(x \mid c) = \frac{1}{|B_c|} \sum_{b \in B_c} \mathcal{N}(x;\, \mu_b,\, s^2 I)

with :math:`\pi_c` the class prior, :math:`B_c` the blobs of class :math:`c`, :math:`\mu_b`
their centres and :math:`s` their spread. Its cross-entropy on fresh data is the smallest
possible (lesson 02: :math:`H(p, q) \ge H(p)`), its probabilities are perfectly calibrated,
and its logits make a perfect teacher for distillation. Everything is NumPy and seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, check_distribution, check_positive_scalar
from .activations import logsumexp, softmax
from .training import _check_count

__all__ = ["GaussianMixture", "ring_mixture"]


def _as_prior(prior, n_classes: int, name: str) -> np.ndarray:
    prior = as_float_array(prior, name).astype(np.float64)
    if prior.shape != (n_classes,):
        raise ValueError(f"{name} must have shape ({n_classes},), one per class; got {prior.shape}")
    check_distribution(prior, name, axis=0)
    return prior


@dataclass(frozen=True)
class GaussianMixture:
    """Classes made of round Gaussian blobs of one spread; see :func:`ring_mixture`.

    Attributes
    ----------
    means : ndarray, shape (B, 2)
        The centres of the blobs.
    blob_class : ndarray of int, shape (B,)
        The class of each blob (every class has at least one).
    spread : float
        The standard deviation :math:`s` of every blob, along each axis.
    class_prior : ndarray, shape (C,)
        How often each class is drawn; within a class every blob is equally likely.
    """

    means: np.ndarray
    blob_class: np.ndarray
    spread: float
    class_prior: np.ndarray

    @property
    def n_classes(self) -> int:
        return len(self.class_prior)

    def with_prior(self, class_prior) -> GaussianMixture:
        """The same blobs, with classes drawn in proportions ``class_prior`` (a prior shift)."""
        return GaussianMixture(
            self.means, self.blob_class, self.spread, _as_prior(class_prior, self.n_classes, "class_prior")
        )

    def sample(self, n, seed=0):
        """``n`` seeded points: draw a class from the prior, a blob of it, then the point.

        Returns
        -------
        X : ndarray of float64, shape (n, 2)
        y : ndarray of int64, shape (n,)

        Examples
        --------
        >>> X, y = ring_mixture().sample(5, seed=0)
        >>> X.shape, y.dtype
        ((5, 2), dtype('int64'))
        """
        n = _check_count(n, "n", 1)
        seed = _check_count(seed, "seed", 0)
        rng = np.random.default_rng(seed)
        y = rng.choice(self.n_classes, size=n, p=self.class_prior).astype(np.int64)
        blobs = [np.flatnonzero(self.blob_class == c) for c in range(self.n_classes)]
        pick = rng.random(n)
        blob = np.array([blobs[c][int(u * len(blobs[c]))] for c, u in zip(y, pick, strict=True)])
        X = self.means[blob] + self.spread * rng.standard_normal((n, 2))
        return X, y

    def posterior_logits(self, X):
        r"""Logits of the Bayes posterior: :math:`\log \pi_c + \log p(x \mid c)`, up to a
        constant per row (softmax ignores it).

        Parameters
        ----------
        X : array_like, shape (N, 2)

        Returns
        -------
        ndarray, shape (N, C)
            ``softmax`` of each row is :math:`p(c \mid x)`.

        Examples
        --------
        >>> mix = ring_mixture()
        >>> z = mix.posterior_logits(mix.means[:1])  # at the centre of a class-0 blob
        >>> int(z.argmax())
        0
        """
        X = as_float_array(X, "X").astype(np.float64)
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(f"X must have shape (N, 2); got {X.shape}")
        # log N(x; mu_b, s^2 I) without the constant, which is the same for every blob
        sq = ((X[:, None, :] - self.means[None, :, :]) ** 2).sum(axis=-1)
        log_blob = -sq / (2 * self.spread**2)
        out = np.empty((X.shape[0], self.n_classes))
        for c in range(self.n_classes):
            mine = self.blob_class == c
            out[:, c] = np.log(self.class_prior[c]) + logsumexp(log_blob[:, mine], axis=1)
            out[:, c] -= np.log(mine.sum())  # each of the class's blobs has weight 1 / |B_c|
        return out

    def posterior(self, X):
        """The Bayes posterior :math:`p(c \\mid x)`, shape (N, C); rows sum to 1."""
        return softmax(self.posterior_logits(X), axis=1)


def ring_mixture(radius=2.5, spread=0.62, n_classes=3, blobs_per_class=2, class_prior=None):
    """Blobs evenly spaced on a circle, their classes taking turns: 0, 1, 2, 0, 1, 2, ...

    Opposite blobs share a class, so no straight line separates the classes: a linear
    model cannot fit them, a small neural network can. At the defaults neighbouring blobs
    overlap a little: the Bayes-optimal classifier gets about 95.6 % right with a
    cross-entropy of about 0.117 nats.

    Parameters
    ----------
    radius : float, optional
        The circle's radius.
    spread : float, optional
        The standard deviation of each blob.
    n_classes, blobs_per_class : int, optional
        ``n_classes * blobs_per_class`` blobs in all.
    class_prior : array_like, optional
        How often each class is drawn (default: equally often).

    Returns
    -------
    GaussianMixture

    Examples
    --------
    >>> mix = ring_mixture()
    >>> mix.means.shape, mix.blob_class.tolist()
    ((6, 2), [0, 1, 2, 0, 1, 2])
    """
    radius = check_positive_scalar(radius, "radius")
    spread = check_positive_scalar(spread, "spread")
    n_classes = _check_count(n_classes, "n_classes", 2)
    blobs_per_class = _check_count(blobs_per_class, "blobs_per_class", 1)
    n_blobs = n_classes * blobs_per_class
    angle = np.pi / 2 + 2 * np.pi * np.arange(n_blobs) / n_blobs
    means = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    blob_class = np.arange(n_blobs, dtype=np.int64) % n_classes
    prior = np.full(n_classes, 1 / n_classes) if class_prior is None else class_prior
    return GaussianMixture(means, blob_class, spread, _as_prior(prior, n_classes, "class_prior"))
