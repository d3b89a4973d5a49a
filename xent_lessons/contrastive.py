r"""Contrastive learning as cross-entropy over a batch: InfoNCE, CLIP's loss and the MI bound.

A batch holds :math:`N` pairs :math:`(x_i, y_i)` (a photo and its caption, two views of one
thing). A *critic* scores every pairing, :math:`S_{ij} = f(x_i, y_j)`, and each row of the
:math:`N \times N` score matrix is a classification over the batch whose right answer is on
the diagonal. So InfoNCE is lesson 05's loss with the targets ``arange(N)``:

.. math:: L_{\mathrm{InfoNCE}} = \frac{1}{N} \sum_{i=1}^{N}
          -\log \frac{e^{S_{ii}/\tau}}{\sum_{j=1}^{N} e^{S_{ij}/\tau}}
          = \texttt{categorical\_cross\_entropy}(S / \tau,\ \texttt{arange}(N))

and :math:`\log N - L_{\mathrm{InfoNCE}}` is a lower bound on the mutual information
:math:`I(X; Y)` (van den Oord et al. 2018; Poole et al. 2019), which can never exceed
:math:`\log N`. For correlated Gaussians the true mutual information and the best critic
are known in closed form, which makes them the test bench of the bound.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._validation import (
    as_float_array,
    check_count,
    check_positive_scalar,
    check_reduction,
    is_finite_real,
)
from .losses import categorical_cross_entropy

__all__ = [
    "clip_loss",
    "correlated_gaussians",
    "gaussian_critic",
    "gaussian_mutual_information",
    "info_nce_bound",
    "info_nce_loss",
    "siglip_loss",
]


def _score_matrix(scores, name="scores"):
    """Scores of shape (N, N), or a stack (..., N, N) of batches, with a finite diagonal."""
    s = as_float_array(scores, name)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(
            f"{name} must be a square (N, N) matrix, row i scoring x_i against every y_j "
            f"(or a stack of them, shape (..., N, N)); got shape {s.shape}"
        )
    if not np.isfinite(np.diagonal(s, axis1=-2, axis2=-1)).all():
        raise ValueError(f"{name} must have a finite diagonal: it holds the true pairs' scores")
    return s


def _row_losses(s):
    """``-log softmax(s)[..., i, i]`` for every row ``i`` of every batch, shape (..., N)."""
    n = s.shape[-1]
    rows = np.ascontiguousarray(s.reshape(-1, n))
    targets = np.tile(np.arange(n), rows.shape[0] // n)
    return categorical_cross_entropy(rows, targets, reduction="none").reshape(s.shape[:-1])


def _reduce_rows(per_row, reduction):
    if reduction == "none":
        return per_row
    total = float(per_row.sum(dtype=np.float64))
    return total if reduction == "sum" else total / per_row.size


def _scaled(s, temperature):
    temperature = check_positive_scalar(temperature, "temperature")
    return s if temperature == 1.0 else s / s.dtype.type(temperature)


def info_nce_loss(scores, temperature=1.0, reduction="mean"):
    r"""InfoNCE: the cross-entropy of each row of ``scores / temperature`` against its diagonal.

    Parameters
    ----------
    scores : array_like, shape (N, N) or (B, N, N)
        ``scores[i, j]`` is the critic's score of the pairing ``(x_i, y_j)``; the true pairs
        are on the diagonal. Finite, or ``-inf`` off the diagonal for a masked negative.
        A stack of ``B`` batches is one matrix per batch.
    temperature : float, optional
        :math:`\tau > 0`; the scores are divided by it. Small values sharpen the softmax.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the loss of each row, shape ``(N,)`` (``(B, N)`` for a stack);
        ``"mean"`` averages over every row of every batch.

    Returns
    -------
    float or ndarray
        In nats. A critic that scores every pairing the same costs exactly ``log N``.

    Notes
    -----
    .. math:: \ell_i = -\log \mathrm{softmax}(S_i / \tau)_i
              = \operatorname{LSE}_j(S_{ij}/\tau) - S_{ii}/\tau

    It is ``categorical_cross_entropy(scores / temperature, arange(N))``, exact for any
    scores: PyTorch writes it as ``F.cross_entropy(scores / tau, torch.arange(N))``.

    Examples
    --------
    >>> bool(np.isclose(info_nce_loss(np.zeros((4, 4))), np.log(4)))
    True
    >>> round(info_nce_loss([[2.0, 0.0], [0.0, 2.0]]), 6)
    0.126928
    """
    reduction = check_reduction(reduction)
    s = _scaled(_score_matrix(scores), temperature)
    return _reduce_rows(_row_losses(s), reduction)


def clip_loss(scores, temperature=1.0, reduction="mean"):
    r"""CLIP's symmetric loss: InfoNCE over the rows and over the columns, averaged.

    Parameters
    ----------
    scores : array_like, shape (N, N) or (B, N, N)
        ``scores[i, j]`` scores image ``i`` against text ``j``; the true pairs are on the
        diagonal. A stack holds one matrix per batch.
    temperature : float, optional
        :math:`\tau > 0` (CLIP learns :math:`1/\tau`, starting from :math:`1/0.07`).
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns, for each pair ``i``, the mean of row ``i``'s and column ``i``'s
        losses.

    Returns
    -------
    float or ndarray

    Notes
    -----
    Each image picks its text among the batch's texts (rows), and each text picks its image
    (columns, the rows of :math:`S^\top`):

    .. math:: L_{\mathrm{CLIP}} = \tfrac12 \Big[\mathrm{CE}(S/\tau, \mathrm{arange}(N))
              + \mathrm{CE}(S^\top/\tau, \mathrm{arange}(N))\Big]

    Examples
    --------
    >>> s = np.array([[3.0, 1.0], [0.0, 1.0]])
    >>> round(clip_loss(s), 6), round(info_nce_loss(s), 6), round(info_nce_loss(s.T), 6)
    (0.295481, 0.220095, 0.370867)
    """
    reduction = check_reduction(reduction)
    s = _scaled(_score_matrix(scores), temperature)
    per_pair = (_row_losses(s) + _row_losses(np.swapaxes(s, -1, -2))) / 2
    return _reduce_rows(per_pair, reduction)


def info_nce_bound(scores, temperature=1.0):
    r"""The InfoNCE lower bound on the mutual information: ``log N - info_nce_loss``.

    Parameters
    ----------
    scores : array_like, shape (N, N) or (B, N, N)
        A critic's scores of every pairing in a batch of ``N`` true pairs (diagonal), or a
        stack of ``B`` such batches: the bound is then averaged over the batches.
    temperature : float, optional
        :math:`\tau > 0`; the scores are divided by it.

    Returns
    -------
    float
        In nats. Always ``<= log N`` (each row's loss is ``>= 0``).

    Notes
    -----
    .. math:: I(X; Y) \;\ge\; \mathbb{E}\big[\log N - L_{\mathrm{InfoNCE}}\big]

    The bound holds in expectation over batches, for any critic; it is tight only for the
    critic :math:`\log p(y \mid x) / p(y)` (plus any function of :math:`x`) and as
    :math:`N \to \infty`.

    Examples
    --------
    >>> info_nce_bound(np.zeros((8, 8)))  # a critic that knows nothing
    0.0
    >>> x, y = correlated_gaussians(4096, 0.9, dim=2, seed=0)  # 32 batches of 128 pairs
    >>> scores = gaussian_critic(x.reshape(32, 128, 2), y.reshape(32, 128, 2), 0.9)
    >>> round(info_nce_bound(scores), 2), round(gaussian_mutual_information(0.9, 2), 2)
    (1.65, 1.66)
    >>> bool(np.isclose(info_nce_bound(100 * np.eye(8)), np.log(8)))  # the ceiling, log 8
    True
    """
    s = _scaled(_score_matrix(scores), temperature)
    return float(np.log(s.shape[-1]) - _row_losses(s).mean(dtype=np.float64))


def _check_real(value, name, example):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number such as {example}; got {value!r}")
    if not is_finite_real(value):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return float(value)


_LOG_TEN = float(np.log(10.0))  # SigLIP's initial t' = log 10: the scale t starts at 10


def siglip_loss(scores, log_scale=_LOG_TEN, bias=-10.0, reduction="mean"):
    r"""SigLIP's pairwise sigmoid loss: a binary cross-entropy on every pairing of the batch.

    Parameters
    ----------
    scores : array_like, shape (N, N) or (B, N, N)
        ``scores[i, j]`` scores image ``i`` against text ``j`` (in the paper the cosine
        similarity of the two normalised embeddings, ``dot(zimg, ztxt.T)``); the true pairs
        are on the diagonal. A stack holds one matrix per batch.
    log_scale : float, optional
        The paper's learnable :math:`t'`: the scores are multiplied by :math:`t = e^{t'}`
        (the paper calls :math:`t` the temperature; it is :math:`1/\tau` in this course's
        notation). The paper starts from :math:`t' = \log 10`.
    bias : float, optional
        The learnable bias :math:`b` added to every logit; the paper starts from -10.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns each row's loss, image ``i`` against all ``N`` texts summed, shape
        ``(N,)`` (``(B, N)`` for a stack); ``"mean"`` averages the rows, which is the paper's
        sum over all :math:`N^2` pairs divided by :math:`N` (not by :math:`N^2`).

    Returns
    -------
    float or ndarray
        In nats.

    Notes
    -----
    With :math:`z_{ij} = t\,S_{ij} + b` and the label :math:`\ell_{ij} = +1` on the diagonal
    and :math:`-1` off it (Zhai et al. 2023, "Sigmoid Loss for Language Image Pre-Training"):

    .. math:: L = -\frac{1}{N} \sum_{i=1}^{N} \sum_{j=1}^{N}
              \log \sigma\big(\ell_{ij}\, z_{ij}\big),
              \qquad -\log\sigma(u) = \log(1 + e^{-u})

    computed as ``np.logaddexp(0, -l * z)``, exact for logits of any size. Each pair is its
    own yes/no question, so no softmax couples a row: a device can sum the pairs of its block
    of images against any block of texts, and the total is the sum of the blocks. The
    gradient with respect to :math:`z_{ij}` is lesson 04's :math:`(\sigma(z_{ij}) - y_{ij})/N`
    with the 0/1 target :math:`y_{ij} = [i = j]`.

    Examples
    --------
    >>> s = np.array([[0.9, 0.1], [-0.2, 0.8]])   # cosines, the true pairs on the diagonal
    >>> round(siglip_loss(s), 6)                    # t = 10, b = -10
    1.72016
    >>> z = 10 * s - 10                             # the same from the formula
    >>> labels = 2 * np.eye(2) - 1
    >>> round(float(np.logaddexp(0, -labels * z).sum() / 2), 6)
    1.72016
    >>> round(siglip_loss(s, log_scale=0.0, bias=0.0, reduction="sum"), 4)  # t = 1, b = 0
    2.0548
    """
    reduction = check_reduction(reduction)
    s = _score_matrix(scores)
    log_scale = _check_real(log_scale, "log_scale", "np.log(10) (the scale t = exp(log_scale))")
    bias = _check_real(bias, "bias", "-10.0")
    n = s.shape[-1]
    with np.errstate(over="ignore"):
        scale = np.exp(log_scale)
    if not np.isfinite(scale):
        raise ValueError(f"log_scale is too large: exp({log_scale!r}) overflows")
    logits = s * s.dtype.type(scale) + s.dtype.type(bias)
    signed = np.where(np.eye(n, dtype=bool), logits, -logits)  # l_ij * z_ij, l = +1 / -1
    per_row = np.logaddexp(s.dtype.type(0), -signed).sum(axis=-1)
    if reduction == "none":
        return per_row
    total = float(per_row.sum(dtype=np.float64))
    return total if reduction == "sum" else total / per_row.size


# -------------------------------------------------------------- correlated Gaussians


def _check_rho(rho):
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real):
        raise TypeError(f"rho must be a real number; got {rho!r}")
    rho = float(rho)
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must be a correlation strictly between -1 and 1; got {rho!r}")
    return rho


def _check_count(value, name, minimum=1):
    return check_count(value, name, minimum)


def gaussian_mutual_information(rho, dim=1):
    r"""The mutual information of ``dim`` independent pairs of Gaussians with correlation ``rho``.

    Parameters
    ----------
    rho : float
        The correlation of each coordinate pair, in (-1, 1).
    dim : int, optional
        :math:`d`, the number of coordinates of :math:`x` and of :math:`y`.

    Returns
    -------
    float
        In nats.

    Notes
    -----
    With :math:`x \sim \mathcal{N}(0, I_d)` and
    :math:`y = \rho x + \sqrt{1 - \rho^2}\,\varepsilon`, :math:`\varepsilon \sim \mathcal{N}(0, I_d)`,

    .. math:: I(X; Y) = h(Y) - h(Y \mid X) = -\frac{d}{2} \log(1 - \rho^2)

    (``log1p`` keeps it exact for small :math:`\rho`).

    Examples
    --------
    >>> round(gaussian_mutual_information(0.99, dim=4), 4)
    7.8341
    >>> gaussian_mutual_information(0.0, dim=3)
    0.0
    """
    rho = _check_rho(rho)
    dim = _check_count(dim, "dim")
    return float(-0.5 * dim * np.log1p(-(rho**2))) + 0.0


def correlated_gaussians(n, rho, dim=1, seed=0):
    r"""``n`` pairs ``(x, y)`` of ``dim``-dimensional Gaussians, coordinate ``k`` of ``x`` and
    of ``y`` correlated by ``rho``.

    Parameters
    ----------
    n : int
        How many pairs.
    rho : float
        The correlation, in (-1, 1).
    dim : int, optional
        :math:`d`, coordinates per vector.
    seed : int or numpy.random.Generator, optional
        The same seed gives the same pairs.

    Returns
    -------
    x, y : ndarray of float64, shape (n, dim)
        :math:`x \sim \mathcal{N}(0, I)`, :math:`y = \rho x + \sqrt{1 - \rho^2}\,\varepsilon`.

    Examples
    --------
    >>> x, y = correlated_gaussians(5, 0.9, dim=2, seed=0)
    >>> x.shape, y.shape
    ((5, 2), (5, 2))
    """
    n = _check_count(n, "n")
    rho = _check_rho(rho)
    dim = _check_count(dim, "dim")
    if not isinstance(seed, np.random.Generator) and (
        isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0
    ):
        raise TypeError(
            f"seed must be an integer >= 0 or a numpy.random.Generator (every random source "
            f"seeded); got {seed!r}"
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal((n, dim))
    return x, y


def gaussian_critic(x, y, rho):
    r"""The optimal critic for correlated Gaussians: ``log p(y_j | x_i) / p(y_j)`` for all pairs.

    Parameters
    ----------
    x, y : array_like, shape (N, d) or (B, N, d)
        Samples, e.g. from :func:`correlated_gaussians`; a stack of ``B`` batches gives one
        score matrix per batch.
    rho : float
        The correlation they were drawn with.

    Returns
    -------
    ndarray, shape (N, N) or (B, N, N)
        ``scores[i, j]``, the pointwise mutual information of the pairing ``(x_i, y_j)``.

    Notes
    -----
    With :math:`s^2 = 1 - \rho^2`,

    .. math:: f^*(x, y) = \log \frac{p(y \mid x)}{p(y)}
              = -\frac{\lVert y - \rho x \rVert^2}{2 s^2} + \frac{\lVert y \rVert^2}{2}
              - \frac{d}{2} \log s^2

    Its mean over true pairs is the mutual information; InfoNCE with it is as tight as
    InfoNCE can be. It is computed from :math:`\lVert y \rVert^2`, :math:`\lVert x \rVert^2`
    and the products :math:`x_i \cdot y_j`, so an (N, N) matrix costs one matrix product.

    Examples
    --------
    >>> x, y = correlated_gaussians(2000, 0.9, dim=2, seed=1)
    >>> round(float(np.diag(gaussian_critic(x, y, 0.9)).mean()), 1)  # about the true MI, 1.66
    1.7
    """
    x = as_float_array(x, "x").astype(np.float64, copy=False)
    y = as_float_array(y, "y").astype(np.float64, copy=False)
    if x.ndim not in (2, 3) or y.shape != x.shape:
        raise ValueError(
            f"x and y must have the same shape, (N, d) or (B, N, d); got x {x.shape} "
            f"and y {y.shape}"
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("x and y must be finite")
    rho = _check_rho(rho)
    s2 = 1 - rho**2
    d = x.shape[-1]
    xx = (x * x).sum(axis=-1)
    yy = (y * y).sum(axis=-1)
    # Expand ||y - rho x||^2 = ||y||^2 - 2 rho x.y + rho^2 ||x||^2: one matrix product, then
    # a term per column (y_j) and a term per row (x_i), added in place.
    scores = x @ np.swapaxes(y, -1, -2)
    scores *= rho / s2
    scores += (0.5 - 0.5 / s2) * yy[..., None, :]
    scores += (-0.5 * rho**2 / s2) * xx[..., :, None] - 0.5 * d * np.log(s2)
    return scores
