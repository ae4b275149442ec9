r"""Distance between the law of samples' intrinsic coordinates and the true density on the manifold.

Samples :math:`y_j` are projected onto :math:`M`, their volume coordinates mapped to the angles
:math:`v_j\in[0,2\pi)^k` that densities act on (:meth:`~manifold_diffusion.manifolds.Manifold.density_coords`),
and binned into :math:`B` equal bins per axis. With empirical bin frequencies :math:`\hat p_i` and
true bin masses :math:`q_i` (from the density's distribution function):

.. math:: \mathrm{TV} = \tfrac12\sum_i|\hat p_i - q_i|, \qquad
          \mathrm{KL}(\hat p\,\|\,q) = \sum_{i:\hat p_i>0}\hat p_i\log\frac{\hat p_i}{q_i}, \qquad
          H^2 = \tfrac12\sum_i\big(\sqrt{\hat p_i} - \sqrt{q_i}\big)^2.

These are distances between *binned* laws: they ignore structure finer than a bin and, with
:math:`n` samples, do not vanish even for exact samples. The noise floors of an exact sample of
size :math:`n` are reported with them (normal and :math:`\chi^2` approximations):

.. math:: \mathbb E\,\mathrm{TV}\approx\tfrac12\sum_i\sqrt{\tfrac{2q_i(1-q_i)}{\pi n}},\qquad
          \mathbb E\,\mathrm{KL}\approx\frac{B^k-1}{2n}.

For a 1-D coordinate :func:`ks_distance` gives the Kolmogorov--Smirnov statistic against the
exact distribution function, with no binning.
"""

from typing import NamedTuple

import numpy as np
import scipy.stats

from .._checks import as_float_array, as_point_cloud, check_finite, check_positive_int, check_type
from .._types import Size
from ..manifolds import CircularDensity, Manifold, ProductDensity, Uniform

__all__ = ["HistogramDivergence", "KSResult", "histogram_divergence", "coordinate_divergence",
           "ks_distance"]

TWO_PI = 2.0 * np.pi


class HistogramDivergence(NamedTuple):
    """Binned distances between sample angles and a density (Python floats and NumPy arrays).

    Attributes:
      tv: total variation between the binned laws.
      kl: :math:`\\mathrm{KL}(\\hat p\\|q)` (``inf`` if a bin with samples has zero true mass).
      hellinger: Hellinger distance :math:`H` (:math:`H^2` in the module docstring).
      tv_floor: expected TV of an exact sample of the same size.
      kl_floor: expected KL of an exact sample of the same size.
      n_bins: bins per axis.
      n_samples: number of samples.
      frequencies: ``(B,)*k`` empirical bin frequencies.
      masses: ``(B,)*k`` true bin masses.
    """

    tv: float
    kl: float
    hellinger: float
    tv_floor: float
    kl_floor: float
    n_bins: int
    n_samples: int
    frequencies: np.ndarray
    masses: np.ndarray


class KSResult(NamedTuple):
    """Attributes: statistic (sup-distance of distribution functions), p_value, n_samples."""

    statistic: float
    p_value: float
    n_samples: int


def _factors(density, k):
    if density is None:
        return [Uniform()] * k
    if isinstance(density, ProductDensity):
        if density.n_axes != k:
            raise ValueError(f"density: expected {k} factors (columns of theta), got {density.n_axes}")
        return list(density.factors)
    if isinstance(density, CircularDensity):
        if k != 1:
            raise ValueError(f"density: expected a ProductDensity of {k} factors for (n, {k}) angles")
        return [density]
    raise TypeError(f"density: expected a density of manifold_diffusion.manifolds.densities, "
                    f"got {type(density).__name__}")


def _cdf_np(factor, theta):
    import jax.numpy as jnp

    return np.asarray(factor.cdf(jnp.asarray(theta)), dtype=np.float64)


def histogram_divergence(theta, density=None, *, n_bins: Size | None = None) -> HistogramDivergence:
    r"""TV, KL and Hellinger between binned sample angles and a density.

    Args:
      theta: ``(n,)`` or ``(n, k)`` angles (wrapped into :math:`[0, 2\pi)`).
      density: a circular density (``k = 1``), a ``ProductDensity`` of ``k`` factors, or
        ``None`` for uniform.
      n_bins: bins per axis; default :math:`\max(4, \lfloor 2 n^{1/(k+2)}\rceil)` (Rice's rule
        :math:`2n^{1/3}` for ``k = 1``).

    Returns:
      :class:`HistogramDivergence`.
    """
    theta = as_float_array("theta", theta)
    if theta.ndim == 1:
        theta = theta[:, None]
    if theta.ndim != 2 or theta.shape[0] == 0:
        raise ValueError(f"theta: expected shape (n,) or (n, k) with n >= 1, got {tuple(theta.shape)}")
    check_finite("theta", theta)
    n, k = theta.shape
    factors = _factors(density, k)
    if n_bins is None:
        n_bins = max(4, int(round(2 * n ** (1.0 / (k + 2)))))
    n_bins = check_positive_int("n_bins", n_bins)
    th = np.mod(np.asarray(theta, dtype=np.float64), TWO_PI)
    edges = np.linspace(0.0, TWO_PI, n_bins + 1)
    counts, _ = np.histogramdd(th, bins=[edges] * k)
    freq = counts / n
    masses = np.ones((1,) * k)
    for axis, f in enumerate(factors):
        cdf = _cdf_np(f, edges[:-1])
        mass = np.diff(np.concatenate([cdf, [1.0]]))
        mass = np.maximum(mass, 0.0)
        shape = [1] * k
        shape[axis] = n_bins
        masses = masses * mass.reshape(shape)
    masses = masses / masses.sum()
    tv = 0.5 * float(np.abs(freq - masses).sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(freq > 0, freq * np.log(freq / masses), 0.0)
    kl = float(np.sum(terms))
    hell = float(np.sqrt(max(0.5 * np.sum((np.sqrt(freq) - np.sqrt(masses)) ** 2), 0.0)))
    tv_floor = 0.5 * float(np.sum(np.sqrt(2 * masses * (1 - masses) / (np.pi * n))))
    kl_floor = (np.count_nonzero(masses) - 1) / (2.0 * n)
    return HistogramDivergence(tv, kl, hell, tv_floor, float(kl_floor), n_bins, n, freq, masses)


def coordinate_divergence(manifold, samples, density=None, *, n_bins: Size | None = None
                          ) -> HistogramDivergence:
    r""":func:`histogram_divergence` of samples *on or near* a manifold, via their projections.

    Args:
      manifold: a manifold with coordinates (curves, :math:`S^1`, :math:`S^2`, tori, Swiss roll,
        subspaces, and their embeddings).
      samples: ``(b, d)`` points; each is projected and its volume coordinates mapped to angles.
      density: the true density (as used by ``manifold.sample``); ``None`` for uniform.
      n_bins: bins per axis.
    """
    check_type("manifold", manifold, Manifold, "a manifold of manifold_diffusion.manifolds")
    samples = as_point_cloud("samples", samples, d=manifold.d, what="d of the manifold")
    theta = manifold.density_coords(manifold.coords(samples))
    return histogram_divergence(theta, density, n_bins=n_bins)


def ks_distance(theta, density=None) -> KSResult:
    r"""Kolmogorov--Smirnov statistic of 1-D angles against a circular density's distribution function.

    Args:
      theta: ``(n,)`` angles (wrapped into :math:`[0, 2\pi)`).
      density: a circular density, ``None`` for uniform.

    Returns:
      :class:`KSResult` with scipy's exact/asymptotic p-value.
    """
    theta = as_float_array("theta", theta)
    if theta.ndim == 2 and theta.shape[1] == 1:
        theta = theta[:, 0]
    if theta.ndim != 1 or theta.shape[0] == 0:
        raise ValueError(f"theta: expected shape (n,) with n >= 1, got {tuple(theta.shape)}")
    check_finite("theta", theta)
    (factor,) = _factors(density, 1)
    th = np.mod(np.asarray(theta, dtype=np.float64), TWO_PI)
    res = scipy.stats.kstest(th, lambda t: _cdf_np(factor, t))
    return KSResult(float(res.statistic), float(res.pvalue), int(th.shape[0]))
