r"""Estimating a closed curve from samples on it: a periodic Fourier (trigonometric) fit.

Given :math:`N` noiseless points :math:`x_i` on a closed curve :math:`M\subset\mathbb R^d` that is
star-shaped about an interior point and lies in a plane (every curve of the book's rate
experiments, also after an isometric embedding into :math:`\mathbb R^d`), the estimator

1. centres the points at their mean :math:`c` and finds the plane of the curve as the top two
   principal directions :math:`E\in\mathbb R^{d\times2}` (exact for a planar curve);
2. gives each point the polar angle :math:`\theta_i = \operatorname{atan2}` of :math:`E^\top(x_i - c)`,
   a parametrisation of the curve that is exactly as regular as the curve itself
   (:math:`C^\beta` in :math:`\theta` for a :math:`C^\beta` curve);
3. fits every coordinate by least squares with a trigonometric polynomial of order :math:`J`,

   .. math:: \hat\gamma(\theta) = a_0 + \sum_{j=1}^J a_j\cos j\theta + b_j\sin j\theta\ \in\mathbb R^d ,

and :math:`\hat M = \hat\gamma([0, 2\pi))`.

**Order rule.** :math:`J(N) = \max\big(2, \lfloor N / (c\log N)\rfloor\big)` with :math:`c = 4`
(``oversampling``): least squares on :math:`N` random nodes is well conditioned once
:math:`N\gtrsim 2J\log J`, and with noiseless data the best order is the largest stable one. The
rule needs no knowledge of :math:`\beta`: the fit is *adaptive*, its sup-norm error is
:math:`\lesssim J^{-\beta}\log J` for a :math:`C^\beta` curve (Jackson's theorem times the Lebesgue
constant), i.e. :math:`\tilde O(N^{-\beta})` = :math:`\tilde O(N^{-\beta/k})` for :math:`k = 1`, the
minimax Hausdorff rate of manifold estimation from noiseless samples. The optional ``order``
overrides the rule.

The nearest-point projection :math:`\hat P` onto :math:`\hat M` reuses the curves' dense search plus
Newton (:func:`._base.curve_nearest_parameter`). :func:`hausdorff_distance` measures
:math:`d_H(\hat M, M)` on dense grids of both curves.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int
from ._base import TWO_PI, curve_nearest_parameter
from .._types import ArrayInput

__all__ = ["FourierCurve", "fit_fourier_curve", "fourier_order", "hausdorff_distance"]


def fourier_order(n: int, *, oversampling: float = 4.0, max_order: int = 4096) -> int:
    r"""The order rule :math:`J(N) = \max(2, \lfloor N/(c\log N)\rfloor)`, capped at ``max_order``."""
    n = check_positive_int("n", n, minimum=8)
    return int(min(max_order, max(2, math.floor(n / (oversampling * math.log(n))))))


class FourierCurve(eqx.Module):
    r"""A closed curve :math:`\hat\gamma(\theta) = a_0 + \sum_{j\le J} a_j\cos j\theta + b_j\sin j\theta`.

    Attributes:
      coef: ``(2J + 1, d)`` coefficients, rows :math:`a_0, a_1, b_1, \dots, a_J, b_J`.
      centre: ``(d,)`` the centre used for the polar angle of data points.
      frame: ``(d, 2)`` orthonormal basis of the curve's plane.
      order: :math:`J`.
      n_grid: grid size of the nearest-point search (at least :math:`16J`).
    """

    coef: Float[Array, "m d"]
    centre: Float[Array, " d"]
    frame: Float[Array, "d 2"]
    order: int = eqx.field(static=True)
    n_grid: int = eqx.field(static=True)

    @property
    def k(self) -> int:
        return 1

    @property
    def d(self) -> int:
        return self.coef.shape[-1]

    def _point(self, t):
        j = jnp.arange(1, self.order + 1, dtype=self.coef.dtype)
        basis = jnp.concatenate([jnp.ones((1,), self.coef.dtype),
                                 jnp.stack([jnp.cos(j * t), jnp.sin(j * t)], axis=1).reshape(-1)])
        return basis @ self.coef

    def point(self, t) -> Float[Array, "b d"]:
        r"""Points :math:`\hat\gamma(t)`: parameters ``(b,)`` to ``(b, d)``."""
        return jax.vmap(self._point)(jnp.asarray(t, self.coef.dtype))

    def _nearest(self, x):
        return curve_nearest_parameter(self._point, x, t_low=0.0, t_high=TWO_PI, periodic=True,
                                       n_grid=self.n_grid)

    def _project(self, x):
        """Jittable nearest-point projection, ``(b, d) -> (b, d)`` (no input checks)."""
        return jax.vmap(self._point)(self._nearest(x)).astype(x.dtype)

    def project(self, x: ArrayInput) -> Float[Array, "b d"]:
        r"""Nearest point :math:`\hat P x` on :math:`\hat M` of each row of ``x`` (``(b, d)``)."""
        x = _points("x", x, self.d)
        return _jit_project(self, x)

    def distance(self, x: ArrayInput) -> Float[Array, " b"]:
        r"""Distance of each row of ``x`` to :math:`\hat M`; ``(b,)``."""
        x = _points("x", x, self.d)
        return jnp.linalg.norm(x - _jit_project(self, x), axis=1)

    def angle(self, x: ArrayInput) -> Float[Array, " b"]:
        r"""Polar angle of ``x`` about ``centre`` in the fitted plane (the data's parameter)."""
        y = (jnp.asarray(x) - self.centre[None, :]) @ self.frame
        return jnp.mod(jnp.arctan2(y[:, 1], y[:, 0]), TWO_PI)


def _points(name, x, d):
    x = as_float_array(name, x, ndim=2)
    if x.shape[1] != d or x.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (b, {d}) (d of the curve), got {tuple(x.shape)}")
    check_finite(name, x)
    return x


@eqx.filter_jit
def _jit_project(curve, x):
    return curve._project(x)


def _design(theta, order):
    j = jnp.arange(1, order + 1, dtype=theta.dtype)
    cs = jnp.stack([jnp.cos(theta[:, None] * j[None, :]), jnp.sin(theta[:, None] * j[None, :])], axis=2)
    return jnp.concatenate([jnp.ones_like(theta)[:, None], cs.reshape(theta.shape[0], -1)], axis=1)


def fit_fourier_curve(points: ArrayInput, order: int | None = None, *,
                      oversampling: float = 4.0) -> FourierCurve:
    r"""Fit :math:`\hat M` to noiseless points on a planar, star-shaped closed curve (module docstring).

    Traceable in ``points`` (``jax.vmap`` over seeds works for a fixed ``order``).

    Args:
      points: ``(n, d)`` samples on the curve, ``n >= 8``.
      order: :math:`J`; default the rule :func:`fourier_order` of ``n``.
      oversampling: :math:`c` of the rule.

    Returns:
      :class:`FourierCurve`.
    """
    x = as_float_array("points", points, ndim=2)
    n, d = x.shape
    if n < 8 or d < 2:
        raise ValueError(f"points: expected shape (n, d) with n >= 8 and d >= 2, got {tuple(x.shape)}")
    if order is None:
        order = fourier_order(n, oversampling=oversampling)
    order = check_positive_int("order", order)
    if 2 * order + 1 > n:
        raise ValueError(f"order: expected 2*order + 1 <= n = {n}, got order = {order}")
    return _fit(x, order)


def _fit(x, order, pad_to=None):
    """The fit; with ``pad_to >= order`` the coefficients are padded with zeros to that order, so
    that curves fitted at different ``N`` share one compiled projection."""
    centre = jnp.mean(x, axis=0)
    y = x - centre[None, :]
    _, _, vt = jnp.linalg.svd(y, full_matrices=False)
    frame = vt[:2].T                                                    # (d, 2)
    z = y @ frame
    theta = jnp.mod(jnp.arctan2(z[:, 1], z[:, 0]), TWO_PI)
    design = _design(theta, order)
    coef = jnp.linalg.lstsq(design, x)[0]
    if pad_to is not None and pad_to > order:
        coef = jnp.concatenate([coef, jnp.zeros((2 * (pad_to - order), x.shape[1]), coef.dtype)])
        order = pad_to
    return FourierCurve(coef, centre, frame, order, max(1024, 16 * order))


def hausdorff_distance(estimate, manifold, *, n_eval: int = 8192) -> float:
    r"""Hausdorff distance :math:`d_H(\hat M, M)` between a fitted curve and a (true) closed curve.

    :math:`\max\{\max_{p\in\hat M}\operatorname{dist}(p, M),\ \max_{q\in M}\operatorname{dist}(q,\hat M)\}`,
    both maxima over ``n_eval`` points (uniform in :math:`\hat\gamma`'s parameter, and uniform in
    arc length of :math:`M`, whose grid contains the point :math:`s = 0`). The grid error of each
    maximum is second order in the spacing near a maximiser.

    Args:
      estimate: a :class:`FourierCurve` (anything with ``point`` and ``distance``).
      manifold: a closed curve of :mod:`manifold_diffusion.manifolds` (``distance``,
        ``embed_coords``, ``volume``), possibly embedded.
      n_eval: points per curve.

    Returns:
      :math:`d_H` (a Python float).
    """
    if not (callable(getattr(estimate, "point", None)) and callable(getattr(estimate, "distance", None))):
        raise TypeError(f"estimate: expected a fitted curve (FourierCurve: point and distance), got "
                        f"{type(estimate).__name__}")
    n_eval = check_positive_int("n_eval", n_eval, minimum=16)
    dtype = estimate.coef.dtype
    t = jnp.arange(n_eval, dtype=dtype) * (TWO_PI / n_eval)
    p_hat = estimate.point(t)
    d1 = float(jnp.max(manifold.distance(p_hat.astype(dtype))))
    s = jnp.arange(n_eval, dtype=dtype) * (manifold.volume / n_eval)
    q = manifold.embed_coords(s[:, None])
    d2 = float(jnp.max(estimate.distance(q.astype(dtype))))
    return max(d1, d2)
