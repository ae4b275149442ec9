r"""Isometric embedding of any manifold into a higher-dimensional space by a random orthonormal frame.

For :math:`M\subset\mathbb R^{d_0}` and :math:`F\in\mathbb R^{d\times d_0}` with :math:`F^\top F = I`,
the image :math:`FM\subset\mathbb R^d` is isometric to :math:`M` (same intrinsic dimension,
volume, reach, densities). Its geometry follows from Pythagoras: writing
:math:`x = FF^\top x + (I - FF^\top)x`,

.. math:: \Pi_{FM}(x) = F\,\Pi_M(F^\top x), \qquad
          \operatorname{dist}(x, FM)^2 = \operatorname{dist}(F^\top x, M)^2 + \|x - FF^\top x\|^2,

and the tangent basis is :math:`F` times that of :math:`M`. So a chapter can keep :math:`k` fixed
and raise :math:`d` (up to 784 and beyond) at the cost of two ``(b, d) x (d, d_0)`` products.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._checks import as_float_array, check_finite, check_positive_int, check_shape
from .._types import Size
from ..keys import check_key
from ._base import Manifold

__all__ = ["Embedded", "embed"]

_HIGHEST = jax.lax.Precision.HIGHEST


class Embedded(Manifold):
    r"""The image :math:`FM\subset\mathbb R^d` of a manifold ``base`` under an orthonormal frame.

    Args:
      base: the manifold :math:`M\subset\mathbb R^{d_0}`.
      frame: ``(d, d_0)`` with orthonormal columns (checked to 1e-4).

    Coordinates, densities, ``reach`` and ``volume`` are those of ``base``.
    """

    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)
    base: Manifold
    frame: Float[Array, "d d0"]

    def __init__(self, base: Manifold, frame):
        if not isinstance(base, Manifold):
            raise TypeError(f"base: expected a manifold, got {type(base).__name__}")
        frame = as_float_array("frame", frame, ndim=2)
        check_shape("frame", frame, (None, base.d), "d0 of the base manifold")
        check_finite("frame", frame)
        if frame.shape[0] < base.d:
            raise ValueError(f"frame: expected d >= d0 = {base.d}, got shape {tuple(frame.shape)}")
        gram = frame.T @ frame
        if not bool(jnp.allclose(gram, jnp.eye(base.d, dtype=frame.dtype), atol=1e-4)):
            raise ValueError("frame: expected orthonormal columns (F^T F = I)")
        self.base, self.frame = base, frame
        self.k, self.d = base.k, frame.shape[0]

    @property
    def coord_low(self):
        return self.base.coord_low

    @property
    def coord_high(self):
        return self.base.coord_high

    @property
    def reach(self) -> float:
        return self.base.reach

    @property
    def volume(self) -> float:
        return self.base.volume

    def _down(self, x):
        return jnp.matmul(x, self.frame, precision=_HIGHEST)

    def _up(self, y):
        return jnp.matmul(y, self.frame.T, precision=_HIGHEST)

    def _locate(self, x):
        p, u = self.base._locate(self._down(x))
        return self._up(p), u

    def _project(self, x):
        return self._up(self.base._project(self._down(x)))

    def _embed_coords(self, u):
        return self._up(self.base._embed_coords(u))

    def _sample_uniform(self, key, n):
        y, u = self.base._sample_uniform(key, n)
        return self._up(y), u

    def _tangent_basis(self, x, p, u):
        y = self._down(x)
        base = self.base._tangent_basis(y, self._down(p), u)
        return jnp.einsum("de,bek->bdk", self.frame, base, precision=_HIGHEST)


def embed(manifold: Manifold, d: Size, key: PRNGKeyArray) -> Embedded:
    r"""Embed ``manifold`` (in :math:`\mathbb R^{d_0}`) isometrically in :math:`\mathbb R^d` by a random frame.

    The frame is the Q factor of a ``(d, d_0)`` standard Gaussian matrix with the signs of
    :math:`R`'s diagonal fixed, i.e. Haar-distributed on the Stiefel manifold.

    Args:
      manifold: any manifold of this package (also an embedded one).
      d: target ambient dimension, ``d >= manifold.d``.
      key: a ``jax.random`` key.

    Returns:
      an :class:`Embedded` manifold with the same interface.
    """
    if not isinstance(manifold, Manifold):
        raise TypeError(f"manifold: expected a manifold, got {type(manifold).__name__}")
    d = check_positive_int("d", d)
    key = check_key("key", key)
    if d < manifold.d:
        raise ValueError(f"d: expected d >= {manifold.d} (the manifold's ambient dimension), got {d}")
    q, r = jnp.linalg.qr(jax.random.normal(key, (d, manifold.d), jnp.result_type(float)))
    q = q * jnp.where(jnp.diagonal(r) < 0, -1.0, 1.0)[None, :]
    return Embedded(manifold, q)
