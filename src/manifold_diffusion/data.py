r"""Data sets: small synthetic ones with known geometry, scikit-learn's handwritten digits, and
a closed curve of rotated digits.

**Synthetic data** (deterministic point sets, no key; random laws are returned as objects with
a ``sample(key, n)`` method):

- :func:`circle_points` -- ``n`` equally spaced points on a circle (the smoothing chapter's
  twelve-point circle), in the first two coordinates of :math:`\mathbb R^d`;
- :func:`curve_points` -- ``n`` points equally spaced in arc length on a closed curve (the
  wavy circle);
- :func:`square_lattice` -- an ``n`` by ``n`` square lattice;
- :func:`segment_points` -- ``n`` evenly spaced points on a tilted segment (Chen's setting);
- :func:`two_moons` -- the noise-free two moons of scikit-learn;
- :func:`ring_mixture` -- a ring of Gaussians, the data law of the first chapter, with
  closed-form noised scores.

**The digits.** :func:`load_digits` returns the 1,797 handwritten digits that scikit-learn ships
inside its package (``sklearn.datasets.load_digits``; nothing is downloaded): :math:`8\times8`
grey-level images, flattened to vectors of :math:`d = 64` pixels, with integer values 0 to 16
that are scaled affinely to ``value_range`` (default :math:`[0, 1]`, i.e. divided by 16). The
train/test split is a random permutation drawn from a ``jax.random`` key, so the same key gives
the same split on every machine, and the two parts never share an image (the 1,797 images are
pairwise distinct). In :math:`[0, 1]` pixel units the median distance of a digit to its
nearest other digit is about 1.0 and the largest distance between two digits about 4.8.

**The rotation curve.** :class:`RotationCurve` turns one image through a full turn. To make the
curve smooth, the image is first made a smooth function of the plane: pixel :math:`j` (centre
:math:`p_j`, value :math:`a_j`) becomes a Gaussian bump of width :math:`w` (in pixels),

.. math:: f(u) = \frac{1}{Z_w}\sum_{j=1}^{64} a_j\,
          \exp\Big(-\frac{\|u - p_j\|^2}{2w^2}\Big), \qquad
          Z_w = \Big(\sum_{m\in\mathbb Z} e^{-m^2/2w^2}\Big)^2,

(:math:`Z_w` makes a constant image stay constant), and the point of the curve at angle
:math:`\theta` is that function rotated by :math:`\theta` about the image centre :math:`c` and
read at the 64 pixel centres :math:`q_i`:

.. math:: \gamma(\theta)_i = f\big(c + R_{-\theta}(q_i - c)\big)
          = \frac1{Z_w}\sum_j a_j\exp\Big(-\frac{\|q_i - c - R_\theta(p_j - c)\|^2}{2w^2}\Big).

:math:`\gamma` is real-analytic and :math:`2\pi`-periodic, a closed curve in
:math:`\mathbb R^{64}` (for an image without rotational symmetry, it does not cross itself).
Its nearest-point projection is exact up to float rounding: a dense search over the angle
followed by safeguarded Newton steps (:func:`~manifold_diffusion.manifolds._base.curve_nearest_parameter`),
and everything else (arc length, tangent, reach) comes from
:class:`~manifold_diffusion.manifolds.ClosedCurve`. Since the :math:`8\times8` pixel grid is
symmetric under quarter turns about its centre, :math:`\gamma(\pi/2)` is exactly the quarter-turned
image :math:`\gamma(0)`.
"""

import math
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from ._checks import as_float_array, check_finite, check_positive, check_positive_int
from .keys import check_key
from .manifolds import Manifold, curve_reach, point_derivatives
from .manifolds.curves import ClosedCurve
from .scores.exact import GaussianMixture
from ._types import ArrayInput

__all__ = ["circle_points", "curve_points", "square_lattice", "Segment", "segment_points",
           "two_moons", "ring_mixture",
           "IMAGE_SHAPE", "N_DIGITS", "DigitsSplit", "load_digits", "RotationCurve",
           "TabulatedCurve", "rotation_curve_data", "DisjointDigits", "disjoint_digit_sets"]

_N_TABLE = 2 ** 14
_REACH_CACHE: dict = {}

#: Shape of one digit image; images are flattened row by row to ``64`` pixels.
IMAGE_SHAPE = (8, 8)
#: Number of images scikit-learn ships.
N_DIGITS = 1797


# --- small synthetic data sets ---------------------------------------------------------------

def _check_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def circle_points(n: int, d: int = 2, *, radius: float = 1.0, offset: float = 0.0
                  ) -> Float[Array, "n d"]:
    r"""``n`` equally spaced points on a circle, :math:`r(\cos\theta_i, \sin\theta_i, 0, \dots, 0)`
    with :math:`\theta_i = \text{offset} + 2\pi i/n`.

    Args:
      n: number of points, :math:`\ge 1`.
      d: ambient dimension, :math:`\ge 2` (the circle lies in the first two coordinates).
      radius: :math:`r > 0`.
      offset: angle of the first point (radians).

    Returns:
      ``(n, d)`` points in the default float dtype; chord spacing :math:`2r\sin(\pi/n)`.
    """
    n = check_positive_int("n", n)
    d = check_positive_int("d", d, minimum=2)
    check_positive("radius", radius)
    offset = _check_number("offset", offset)
    angle = offset + 2 * jnp.pi * jnp.arange(n, dtype=jnp.result_type(float)) / n
    pts = jnp.stack([jnp.cos(angle), jnp.sin(angle)], axis=1)
    if radius != 1.0:
        pts = radius * pts
    return jnp.concatenate([pts, jnp.zeros((n, d - 2), pts.dtype)], axis=1) if d > 2 else pts


def curve_points(curve: Manifold, n: int) -> Float[Array, "n d"]:
    r"""``n`` points equally spaced in the coordinate of a curve (arc length for the library's
    curves), the first at the start of the coordinate range:
    :math:`\gamma(u_0 + (u_1 - u_0)\,i/n)`, :math:`i = 0..n-1`.

    Args:
      curve: a one-dimensional manifold of :mod:`manifold_diffusion.manifolds` (``k == 1``),
        e.g. ``WavyCircle(0.13, 8)``.
      n: number of points, :math:`\ge 1`.

    Returns:
      ``(n, d)`` points on the curve.
    """
    if not isinstance(curve, Manifold) or curve.k != 1:
        raise TypeError(f"curve: expected a one-dimensional manifold (k = 1) of "
                        f"manifold_diffusion.manifolds, got {type(curve).__name__}")
    n = check_positive_int("n", n)
    low, high = curve.coord_low[0], curve.coord_high[0]
    u = low + (high - low) * jnp.arange(n, dtype=jnp.result_type(float)) / n
    return curve.embed_coords(u[:, None])


def square_lattice(n: int, spacing: float) -> Float[Array, "m 2"]:
    r"""The ``n`` by ``n`` square lattice :math:`\text{spacing}\cdot(\{0..n-1\} - (n-1)/2)^2`,
    centred at 0; rows of :math:`x` vary fastest. Returns ``(n * n, 2)``."""
    n = check_positive_int("n", n)
    check_positive("spacing", spacing)
    axis = spacing * (jnp.arange(n, dtype=jnp.result_type(float)) - (n - 1) / 2)
    xx, yy = jnp.meshgrid(axis, axis)
    return jnp.stack([xx.ravel(), yy.ravel()], axis=1)


class Segment(NamedTuple):
    """Evenly spaced points on a segment of the plane (:func:`segment_points`).

    Attributes:
      points: ``(n, 2)`` the points, from ``-half_length * direction`` to ``+half_length * direction``.
      direction: ``(2,)`` unit vector along the segment.
      normal: ``(2,)`` unit normal (direction turned by a quarter turn).
      spacing: distance between neighbours, ``2 * half_length / (n - 1)``.
    """

    points: Float[Array, "n 2"]
    direction: Float[Array, " 2"]
    normal: Float[Array, " 2"]
    spacing: float


def segment_points(n: int, *, angle: float = 0.5, half_length: float = 1.0) -> Segment:
    r"""``n`` evenly spaced points on the segment from :math:`-\ell e` to :math:`\ell e`, with
    :math:`e = (\cos a, \sin a)` (tilted by default, so that its normal is no coordinate axis).

    Args:
      n: number of points, :math:`\ge 2`.
      angle: :math:`a`, the segment's angle to the first axis (radians).
      half_length: :math:`\ell > 0`.

    Returns:
      :class:`Segment`.
    """
    n = check_positive_int("n", n, minimum=2)
    angle = _check_number("angle", angle)
    check_positive("half_length", half_length)
    e = jnp.array([np.cos(angle), np.sin(angle)])
    normal = jnp.array([-np.sin(angle), np.cos(angle)])
    points = half_length * jnp.linspace(-1.0, 1.0, n)[:, None] * e[None, :]
    return Segment(points, e, normal, 2.0 * float(half_length) / (n - 1))


def two_moons(n: int) -> Float[Array, "n 2"]:
    r"""The noise-free two moons of ``sklearn.datasets.make_moons(n, noise=0, shuffle=False)``:
    :math:`\lfloor n/2\rfloor` points :math:`(\cos\theta, \sin\theta)` on the upper arc, then
    :math:`n - \lfloor n/2\rfloor` points :math:`(1 - \cos\theta, \tfrac12 - \sin\theta)` on the
    lower one, :math:`\theta` evenly spaced in :math:`[0, \pi]` on each. Returns ``(n, 2)``."""
    n = check_positive_int("n", n, minimum=2)
    n_outer = n // 2
    n_inner = n - n_outer
    outer = np.linspace(0.0, np.pi, n_outer)
    inner = np.linspace(0.0, np.pi, n_inner)
    pts = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], axis=1),
                          np.stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)], axis=1)])
    return jnp.asarray(pts, jnp.result_type(float))


def ring_mixture(n_modes: int = 6, *, radius: float = 2.0, mode_std: float = 0.3) -> GaussianMixture:
    r"""A ring of Gaussians in the plane: ``n_modes`` isotropic modes of standard deviation
    ``mode_std``, equal weights, centred at :func:`circle_points` ``(n_modes, radius=radius)``.
    Its noised densities and scores have closed forms
    (:class:`~manifold_diffusion.scores.MixtureScore`).

    Args:
      n_modes: number of modes, :math:`\ge 1`.
      radius: radius of the ring of means, :math:`> 0`.
      mode_std: standard deviation of each mode, :math:`> 0`.
    """
    n_modes = check_positive_int("n_modes", n_modes)
    check_positive("mode_std", mode_std)
    means = circle_points(n_modes, radius=radius)
    covs = jnp.tile((mode_std ** 2) * jnp.eye(2)[None], (n_modes, 1, 1))
    return GaussianMixture(jnp.full((n_modes,), 1.0 / n_modes), means, covs)


class DigitsSplit(NamedTuple):
    """A train/test split of the digits.

    Attributes:
      train: ``(n_train, 64)`` training images, pixel values in ``value_range``.
      test: ``(n_test, 64)`` held-out images.
      train_labels, test_labels: ``(n_train,)`` and ``(n_test,)`` integer classes 0..9.
      train_index, test_index: rows of scikit-learn's array the images come from.
      value_range: ``(low, high)``, the values of pixel intensities 0 and 16.
    """

    train: Float[Array, "n 64"]
    test: Float[Array, "m 64"]
    train_labels: Int[Array, " n"]
    test_labels: Int[Array, " m"]
    train_index: np.ndarray
    test_index: np.ndarray
    value_range: tuple[float, float]


def _raw_digits():
    """scikit-learn's digits: ``(1797, 64)`` float64 values 0..16 and ``(1797,)`` labels."""
    from sklearn.datasets import load_digits as sk_load_digits

    images, labels = sk_load_digits(return_X_y=True)
    return np.asarray(images, np.float64), np.asarray(labels, np.int32)


def load_digits(key, *, test_fraction: float = 0.25, n_train: int | None = None,
                classes=None, value_range: tuple[float, float] = (0.0, 1.0)) -> DigitsSplit:
    r"""The handwritten digits bundled with scikit-learn, split at random into train and test.

    The images of ``classes`` (all ten by default) are permuted with ``key``; the first
    ``round(test_fraction * n)`` of the permutation are the test set, the rest the training set,
    of which the first ``n_train`` are kept (so, for one key, smaller training sets are nested
    in larger ones and the test set does not change with ``n_train``).

    Args:
      key: a ``jax.random`` key; it alone determines the split.
      test_fraction: share of the images held out, in :math:`(0, 1)`.
      n_train: keep only this many training images (default: all).
      classes: an iterable of labels in 0..9 to keep (default: all).
      value_range: ``(low, high)`` with ``low < high``: pixel value :math:`v\in\{0..16\}` becomes
        :math:`\text{low} + (\text{high} - \text{low})\,v/16`.

    Returns:
      :class:`DigitsSplit` (images ``(n, 64)`` in the default float dtype).
    """
    if not (isinstance(test_fraction, (int, float)) and 0.0 < float(test_fraction) < 1.0):
        raise ValueError(f"test_fraction: expected a number in (0, 1), got {test_fraction!r}")
    low, high = (float(v) for v in value_range)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"value_range: expected (low, high) finite with low < high, got {value_range!r}")
    images, labels = _raw_digits()
    if classes is not None:
        wanted = np.unique(np.asarray(list(classes), dtype=np.int64))
        if wanted.size == 0 or wanted.min() < 0 or wanted.max() > 9:
            raise ValueError(f"classes: expected labels in 0..9, got {classes!r}")
        rows = np.flatnonzero(np.isin(labels, wanted))
    else:
        rows = np.arange(labels.shape[0])
    n = rows.shape[0]
    n_test = int(round(float(test_fraction) * n))
    if not 1 <= n_test <= n - 2:
        raise ValueError(f"test_fraction: {test_fraction} leaves {n_test} test and {n - n_test} "
                         f"training images of {n}; expected at least 1 and 2")
    perm = rows[np.asarray(jax.random.permutation(key, n))]
    test_index, train_index = perm[:n_test], perm[n_test:]
    if n_train is not None:
        n_train = check_positive_int("n_train", n_train, minimum=2)
        if n_train > train_index.shape[0]:
            raise ValueError(f"n_train: expected at most {train_index.shape[0]} (the training part "
                             f"of the split), got {n_train}")
        train_index = train_index[:n_train]
    dtype = jnp.result_type(float)
    scaled = low + (high - low) * images / 16.0
    return DigitsSplit(jnp.asarray(scaled[train_index], dtype), jnp.asarray(scaled[test_index], dtype),
                       jnp.asarray(labels[train_index]), jnp.asarray(labels[test_index]),
                       train_index, test_index, (low, high))


# --- a closed curve of rotated images -------------------------------------------------------------

def _lattice_norm(width: float) -> float:
    """:math:`Z_w = (\\sum_m e^{-m^2/2w^2})^2`, the splat of a constant image on the lattice."""
    m = np.arange(-50, 51)
    return float(np.sum(np.exp(-m ** 2 / (2 * width ** 2)))) ** 2


class RotationCurve(ClosedCurve):
    r"""The closed curve :math:`\theta\mapsto\gamma(\theta)\in\mathbb R^{64}` of one
    :math:`8\times8` image turned through a full turn (module docstring for the formula).

    A :class:`~manifold_diffusion.manifolds.ClosedCurve`: ``project``, ``distance``,
    ``tangent_basis``, ``coords`` (arc length), ``sample``, ``reach``; ``point(theta)`` gives
    images at angles ``theta`` (radians, counter-clockwise as displayed with row 0 on top), and
    ``nearest_parameter(x)`` the angle of the nearest curve point.

    Attributes:
      image: ``(64,)`` the pixel values :math:`a_j` of the image turned.
      width: the bump width :math:`w` in pixels.
      centres: ``(64, 2)`` pixel centres relative to the image centre (row, column).
    """

    image: Float[Array, " d"]
    width: float = eqx.field(static=True)
    centres: Float[Array, "d 2"]
    param_key: tuple = eqx.field(static=True)

    def __init__(self, image: ArrayInput, *, width: float = 0.5, n_grid: int = 720):
        """Args: image: ``(64,)`` (or ``(8, 8)``) pixel values. width: bump width :math:`w > 0`
        in pixels (0.5: neighbouring bumps overlap by :math:`e^{-2}`). n_grid: angles of the
        dense search of the projection (720: every half degree)."""
        image = as_float_array("image", image)
        if image.shape == IMAGE_SHAPE:
            image = image.reshape(-1)
        if image.shape != (64,):
            raise ValueError(f"image: expected shape (64,) or (8, 8), got {tuple(image.shape)}")
        check_finite("image", image)
        check_positive("width", width)
        rows, cols = np.meshgrid(np.arange(8.0), np.arange(8.0), indexing="ij")
        centres = np.stack([rows.ravel(), cols.ravel()], axis=1) - 3.5
        self.image = image
        self.width = float(width)
        self.centres = jnp.asarray(centres, image.dtype)
        self.param_key = (tuple(np.round(np.asarray(image, np.float64), 6).tolist()), self.width)
        self._build(64, n_grid)

    def _params(self):
        return self.param_key

    def _build(self, d: int, n_grid: int):
        """The base class's arc-length table, with the speeds computed in blocks (``lax.map``):
        one vectorised call over all :math:`2^{14}` angles would hold :math:`2^{14}\times64\times64`
        bump values at once."""
        self.k, self.d = 1, d
        self.n_grid = check_positive_int("n_grid", n_grid, minimum=16)
        t = jnp.linspace(0.0, 2 * np.pi, _N_TABLE + 1)
        speed = np.asarray(jax.lax.map(self._speed, t, batch_size=256), np.float64)
        if not np.all(np.isfinite(speed)) or np.min(speed) <= 0:
            raise ValueError("image: the rotation curve is not regular (zero speed); is the image "
                             "constant?")
        step = 2 * np.pi / _N_TABLE
        table = np.concatenate([[0.0], np.cumsum(0.5 * step * (speed[1:] + speed[:-1]))])
        self.length = float(table[-1])
        dtype = jnp.result_type(float)
        self.arc_table = jnp.asarray(table, dtype=dtype)
        self.parameter_table = jnp.asarray(
            np.interp(np.linspace(0.0, self.length, _N_TABLE + 1), table,
                      np.linspace(0.0, 2 * np.pi, _N_TABLE + 1)), dtype=dtype)

    def _speed(self, theta):
        r""":math:`\|\gamma'(\theta)\|` (one forward-mode derivative)."""
        return jnp.linalg.norm(jax.jvp(self._point, (theta,), (jnp.ones_like(theta),))[1])

    @property
    def reach(self) -> float:
        r"""Reach by Federer's formula on 8192 angles (as for every closed curve), computed in
        blocks; cached per image and width."""
        if self.param_key not in _REACH_CACHE:
            t = jnp.linspace(0.0, 2 * np.pi, 8192, endpoint=False)
            g, g1, g2 = jax.lax.map(lambda s: point_derivatives(self._point, s), t, batch_size=256)
            _REACH_CACHE[self.param_key] = curve_reach(
                *(np.asarray(a, dtype=np.float64) for a in (g, g1, g2)), periodic=True)
        return _REACH_CACHE[self.param_key]

    def tabulated(self, n_points: int = 1024) -> "TabulatedCurve":
        """The curve as ``n_points`` points equally spaced in angle, with unit tangents
        (:class:`TabulatedCurve`, a cheap projection for manifold-adapted smoothing)."""
        n_points = check_positive_int("n_points", n_points, minimum=8)
        t = jnp.linspace(0.0, 2 * np.pi, n_points, endpoint=False)
        g, g1 = jax.lax.map(lambda s: jax.jvp(self._point, (s,), (jnp.ones_like(s),)), t,
                            batch_size=256)
        return TabulatedCurve(g, g1 / jnp.linalg.norm(g1, axis=1, keepdims=True))

    def _point(self, theta):
        c, s = jnp.cos(theta), jnp.sin(theta)
        # counter-clockwise as displayed (the row axis points down): on (row, col) offsets
        # R_theta = [[cos, -sin], [sin, cos]] sends the right neighbour (0, 1) up, to (-1, 0)
        rot = jnp.stack([jnp.stack([c, -s]), jnp.stack([s, c])])
        moved = self.centres @ rot.T                                      # R_theta (p_j - c)
        diff = self.centres[:, None, :] - moved[None, :, :]               # (64 q, 64 j, 2)
        weight = jnp.exp(-jnp.sum(diff ** 2, axis=2) / (2 * self.width ** 2))
        return weight @ self.image.astype(weight.dtype) / _lattice_norm(self.width)


class TabulatedCurve(eqx.Module):
    r"""A curve given by ``m`` tabulated points and unit tangents, projected onto by table look-up.

    ``project(x)`` is the nearest tabulated point (one matrix product per batch,
    :math:`\arg\min_i \|g_i\|^2 - 2\langle x, g_i\rangle`), ``tangent_basis(x)`` the tangent
    there. This is the kernel of the smoothing paper's code (the nearest of 1000 precomputed
    curve points, :cite:`farghly2025logdomain`): cheap enough to be called for every Monte Carlo
    draw of a manifold-adapted :class:`~manifold_diffusion.scores.SmoothedScore` at every
    sampler step. Its error is at most half the table spacing; measure distances to the curve
    with the exact :meth:`RotationCurve.distance` instead.

    Attributes:
      points: ``(m, d)`` curve points. tangents: ``(m, d)`` unit tangents. k: 1. d: ambient
      dimension.
    """

    points: Float[Array, "m d"]
    tangents: Float[Array, "m d"]
    k: int = eqx.field(static=True)
    d: int = eqx.field(static=True)

    def __init__(self, points, tangents):
        self.points = as_float_array("points", points, ndim=2)
        self.tangents = as_float_array("tangents", tangents, ndim=2)
        if self.tangents.shape != self.points.shape:
            raise ValueError(f"tangents: expected shape {self.points.shape} (from points), "
                             f"got {self.tangents.shape}")
        self.k, self.d = 1, int(self.points.shape[1])

    def _nearest(self, x):
        sq = jnp.sum(self.points ** 2, axis=1)
        return jnp.argmin(sq[None, :] - 2.0 * x @ self.points.T, axis=1)

    def project(self, x: ArrayInput) -> Float[Array, "b d"]:
        """Nearest tabulated point of each row of ``x``, ``(b, d)``."""
        return self.points[self._nearest(x)]

    def tangent_basis(self, x: ArrayInput) -> Float[Array, "b d 1"]:
        """Unit tangent at the nearest tabulated point, ``(b, d, 1)``."""
        return self.tangents[self._nearest(x)][:, :, None]


def rotation_curve_data(curve: RotationCurve, n: int, offset: float = 0.0) -> Float[Array, "n d"]:
    r"""``n`` images equally spaced in angle on ``curve``: :math:`\gamma(\text{offset} + 2\pi i/n)`.

    Args: curve: a :class:`RotationCurve`. n: number of images (>= 2). offset: first angle.

    Returns: ``(n, 64)`` images on the curve.
    """
    if not isinstance(curve, RotationCurve):
        raise TypeError(f"curve: expected a data.RotationCurve, got {type(curve).__name__}")
    n = check_positive_int("n", n, minimum=2)
    angles = offset + 2 * np.pi * np.arange(n) / n
    return curve.point(jnp.asarray(angles))


# --- two disjoint training sets and a held-out set (the N-transition of the digits chapter) -------

class DisjointDigits(NamedTuple):
    """Two disjoint training sets of equal size and a held-out set, from one permutation.

    Attributes:
      first, second: ``(m, 64)`` the sets :math:`S_1, S_2` (no image in both).
      held_out: ``(h, 64)`` images in neither.
      first_labels, second_labels, held_out_labels: their classes 0..9.
      first_index, second_index, held_out_index: rows of scikit-learn's array.
      value_range: as in :class:`DigitsSplit`.
    """

    first: Float[Array, "m 64"]
    second: Float[Array, "m 64"]
    held_out: Float[Array, "h 64"]
    first_labels: Int[Array, " m"]
    second_labels: Int[Array, " m"]
    held_out_labels: Int[Array, " h"]
    first_index: np.ndarray
    second_index: np.ndarray
    held_out_index: np.ndarray
    value_range: tuple[float, float]


def disjoint_digit_sets(key, *, n_held_out: int = 97,
                        value_range: tuple[float, float] = (0.0, 1.0)) -> DisjointDigits:
    r"""Split the 1,797 digits into a held-out set and two disjoint training sets of equal size.

    This is :func:`load_digits` with ``n_held_out`` test images (the same permutation of ``key``:
    ``held_out`` is ``load_digits(key, test_fraction=n_held_out / 1797).test``), whose training
    part is cut in two halves, :math:`S_1` its first and :math:`S_2` its second
    :math:`m = \lfloor (1797 - h)/2\rfloor` images (one image is dropped when the rest is odd).
    Each half is a uniform random subset, so the first :math:`N` images of either are a uniform
    random training set of size :math:`N` too, and the two are disjoint -- the set-up of
    :cite:`kadkhodaie2024generalization`'s two-models experiment. With the default 97 held-out
    images, :math:`m = 850`.

    Args:
      key: a ``jax.random`` key; it alone determines the three sets.
      n_held_out: held-out images, ``1 <= h <= 1793``.
      value_range: pixel scaling, as in :func:`load_digits`.

    Returns:
      :class:`DisjointDigits`.
    """
    key = check_key("key", key)
    n_held_out = check_positive_int("n_held_out", n_held_out)
    if n_held_out > N_DIGITS - 4:
        raise ValueError(f"n_held_out: expected at most {N_DIGITS - 4} (two training images per set "
                         f"must remain), got {n_held_out}")
    split = load_digits(key, test_fraction=n_held_out / N_DIGITS, value_range=value_range)
    assert split.test.shape[0] == n_held_out
    m = split.train.shape[0] // 2
    a, b = slice(0, m), slice(m, 2 * m)
    return DisjointDigits(split.train[a], split.train[b], split.test, split.train_labels[a],
                          split.train_labels[b], split.test_labels, split.train_index[a],
                          split.train_index[b], split.test_index, split.value_range)
