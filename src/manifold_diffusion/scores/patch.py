r"""Patch-wise empirical scores of images: the local (LS), equivariant (ES) and ELS-machine scores.

A convolutional denoiser is *local* (each output pixel sees a :math:`P\times P` neighbourhood of
its input) and *translation equivariant* (the same function at every position). Kamb and Ganguli
:cite:`kamb2025analytic` show that the minimiser of denoising score matching under these
constraints is analytic: a per-pixel softmax over training *patches* instead of over whole
training images. This module implements those minimisers exactly, for images of any
:math:`H\times W\times C`.

**Images and patches.** At the score interface an image is a vector of
:math:`d = H\,W\,C` numbers, the row-major flattening of an :math:`H\times W\times C` array
(channels last; for the digits, :math:`8\times8\times1` and ``d = 64``). For an odd patch size
:math:`P = 2r+1`, the patch of an image :math:`\phi` at pixel :math:`p = (p_1, p_2)` is

.. math:: \phi_{\Omega_p} = \big(\phi(p + o)\big)_{o \in \{-r..r\}^2}\in\mathbb R^{P^2 C},

where pixels outside the image are given by the **boundary rule**:

* ``"zero"``: zero padding, :math:`\phi(q) = 0` outside the image (what a convolution with
  ``padding="SAME"`` sees);
* ``"periodic"``: the image is a torus, :math:`\phi(q) = \phi(q \bmod (H, W))` (circular padding;
  requires :math:`P \le \min(H, W)` so that no pixel enters a patch twice);
* ``"broken"`` (equivariant scores only): zero padding, and equivariance *broken at the
  boundary*: a patch may only match training patches whose padding pattern is the same, i.e.
  that lie at the same offsets from the image edges (the boundary-broken ELS machine of Kamb and
  Ganguli's public code, for zero-padded networks).

Which rule is exact for which network (our derivation): a circularly padded convolution sees a
torus, on which every position is alike, and ``"periodic"`` is its optimal equivariant local
score. A zero-padded convolution sees *noise-free* zeros outside the image, so a noised patch
reveals its padding pattern (an exact zero has probability zero elsewhere): conditioning on the
patch then restricts the posterior to training patches with the same pattern, which is
``"broken"``. The ``"zero"`` rule instead compares padding entries like pixels of value 0 seen
through the noise, and lets any patch match a patch at any position: a simpler approximation that
ignores where the edge is. For the local score the padding pattern of each position is fixed, so
``"zero"`` is exact for zero padding.

**The scores.** Let :math:`\phi^1..\phi^n` be the training images and :math:`(\alpha_t, \sigma_t)`
the process's marginal, :math:`X_t\mid X_0 \sim N(\alpha_t X_0, \sigma_t^2 I)`. Every score here
has the form

.. math:: s(\phi, t)(p) = \frac{\alpha_t\,M_t[\phi](p) - \phi(p)}{\sigma_t^2},\qquad
          M_t[\phi](p) = \sum_{(i, q)\in S(p)} W_{iq}(p)\,\phi^i(q),\qquad
          W_{iq}(p) = \operatorname{softmax}_{(i,q)\in S(p)}
          \Big(-\frac{\|\phi_{\Omega_p} - \alpha_t\phi^i_{\Omega_q}\|^2}{2\sigma_t^2}\Big),

where :math:`M_t` is the denoiser (posterior mean of the clean pixel) and :math:`S(p)` is the set
of training patches that pixel :math:`p` is compared with:

* **local score** (:class:`LocalScore`, LS): :math:`S(p) = \{(i, p)\}_{i\le n}`, the patches at
  the same position -- the optimal local score;
* **equivariant score** (:class:`EquivariantScore`, ES): :math:`S(p)` = the patches at all
  positions :math:`q` of all training images (``"broken"``: all positions :math:`q` with the same
  offsets from the edges as :math:`p`) -- the optimal equivariant local score at locality scale
  :math:`P`;
* **ELS machine** (:class:`ELSMachine`): the equivariant score with a patch size :math:`P(t)`
  that depends on the noise level (a :class:`PatchSchedule`), calibrated to a trained network by
  :func:`calibrate_patch_schedule`.

A pixel's weights use its whole patch, all channels together; the value averaged is the centre
pixel :math:`\phi^i(q)` (all :math:`C` channels).

**Limits that hold exactly** (they are the tests of this module): with ``"zero"`` padding and
:math:`P \ge 2\max(H, W) - 1` every patch covers the whole image, the padding contributes
:math:`\|0 - \alpha_t 0\|^2 = 0`, and the local score *is* the global empirical score
(:class:`~manifold_diffusion.scores.EmpiricalScore`); so is the ``"broken"`` equivariant score,
since then no two positions share a padding pattern. With ``"periodic"`` boundaries and
:math:`P = H = W`, the local score is again the empirical score, and the equivariant score is the
empirical score of the :math:`n H W` circular shifts of the training images -- the paper's ES
machine, which memorises translated training images. (In the first two cases the scores are
*computed* as the global empirical score, one softmax per image instead of one per pixel:
``global_limit``; the brute-force tests check that path against the per-pixel loop.)

**Computation.** A pixel's logits are, up to a constant over candidates, in matrix-product form
:math:`\ell = (\alpha_t/\sigma_t^2)\langle\phi_{\Omega_p}, z\rangle - (\alpha_t^2/2\sigma_t^2)\|z\|^2
+ \log m_z` over the distinct candidate patches :math:`z` with multiplicity :math:`m_z`
(identical training patches -- the blank background of the digits -- are merged once, when the
score is built: exact, and about a third fewer candidates for :math:`3\times3` digit patches).
Positions sharing a candidate set (a *class*: one position for the LS, all of them for the
``"zero"``/``"periodic"`` ES, one padding pattern for ``"broken"``) are queried together, in blocks
of at most ``query_block`` (pixel, image) queries, and the softmax is the streaming log-sum-exp of
:func:`~manifold_diffusion.scores.streaming_softmax_stats` over blocks of at most ``chunk_size``
candidates: a block holds ``query_block x chunk_size`` logits per class processed at once (the
:math:`HW` classes of the LS are processed together), whatever :math:`n` and :math:`b` are. The work
per evaluation is :math:`\sum_{\text{classes}} 4\,(b\,s_c)\,m_c\,P^2C` flops for a class of
:math:`s_c` positions with :math:`m_c \le n s_c` distinct candidates: about
:math:`4\,b\,n\,(HW)^2P^2C` for the ``"zero"`` ES, much less for ``"broken"`` (whose interior class
has only :math:`(H-P+1)(W-P+1)` positions) and :math:`4\,b\,n\,HW P^2 C` for the LS. (The streaming
kernel accumulates whole patches, of which only the centre pixel is used: half of that work would
suffice for large :math:`P`.)

**Accuracy.** As for the empirical score: max-subtracted softmax, so nothing overflows at tiny
:math:`\sigma_t`; logits carry about :math:`6\cdot10^{-8}\alpha_t\|\phi_{\Omega_p}\|\|z\|/\sigma_t^2`
nats of float32 rounding, smaller than the global score's because patches are shorter vectors.

None of these scores is the gradient of a log-density in general (each pixel has its own
posterior), so there is no ``log_prob``; all are ``score_fn(x, t)`` callables with ``.d`` and
``.process`` that every sampler accepts, and equinox modules: pass them to jitted code as
arguments.
"""

import functools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from .._checks import (as_float_array, check_finite, check_in_interval, check_positive_int,
                       check_shape, is_concrete)
from ..keys import check_key
from ..processes import Process
from .empirical import streaming_softmax_stats
from .._types import ArrayInput

__all__ = ["extract_patches", "PatchSchedule", "LocalScore", "EquivariantScore", "ELSMachine",
           "PatchCalibration", "calibrate_patch_schedule"]

_BOUNDARIES = ("zero", "periodic", "broken")
# block sizes of the streaming softmax: a (query_block x chunk) tile of logits (2 MB in float32)
# stays in a CPU's cache; measured on 8x8 digits, n = 900 (benchmarks/bench_patch.py)
_CHUNK = 1024
_QUERY_BLOCK = 512


# ------------------------------------------------------------------------------ argument checks
def _image_shape(image_shape) -> tuple[int, int, int]:
    """``(H, W)`` or ``(H, W, C)`` of positive ints -> ``(H, W, C)``."""
    if not isinstance(image_shape, (tuple, list)) or len(image_shape) not in (2, 3):
        raise TypeError(f"image_shape: expected a tuple (H, W) or (H, W, C) of positive integers, "
                        f"got {image_shape!r}")
    dims = tuple(check_positive_int("image_shape", v) for v in image_shape)
    return dims if len(dims) == 3 else (dims[0], dims[1], 1)


def _max_patch(shape, boundary: str) -> int:
    """Largest useful patch: the whole torus (periodic) or a window covering the image from
    every pixel (zero padding; larger windows only add padding)."""
    h, w, _ = shape
    if boundary == "periodic":
        return min(h, w)
    return 2 * max(h, w) - 1


def _check_boundary(boundary, *, local: bool) -> str:
    allowed = ("zero", "periodic") if local else _BOUNDARIES
    if boundary not in allowed:
        extra = (" ('broken' only applies to equivariant scores: a local score's positions are "
                 "already all distinct)") if local and boundary == "broken" else ""
        raise ValueError(f"boundary: expected one of {', '.join(map(repr, allowed))}, "
                         f"got {boundary!r}{extra}")
    return boundary


def _check_patch_size(name: str, patch_size, shape, boundary: str) -> int:
    if isinstance(patch_size, bool) or not isinstance(patch_size, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an odd positive integer, got {patch_size!r}")
    patch_size = int(patch_size)
    if patch_size < 1 or patch_size % 2 == 0:
        raise ValueError(f"{name}: expected an odd positive integer (a patch has a centre pixel), "
                         f"got {patch_size}")
    top = _max_patch(shape, boundary)
    if patch_size > top:
        why = ("periodic patches must fit in the image" if boundary == "periodic" else
               f"a {top}x{top} patch already covers the whole image from every pixel")
        raise ValueError(f"{name}: expected at most {top} for a {shape[0]}x{shape[1]} image with "
                         f"boundary={boundary!r} ({why}), got {patch_size}")
    return patch_size


def _check_images(name: str, images, shape, dtype=None):
    """``(b, H*W*C)`` floats -> array; names ``image_shape`` when the width is wrong."""
    images = as_float_array(name, images, ndim=2)
    h, w, c = shape
    check_shape(name, images, (None, h * w * c), f"d = H*W*C from image_shape {(h, w, c)}")
    if images.shape[0] == 0:
        raise ValueError(f"{name}: expected at least one image, got shape {images.shape}")
    return images if dtype is None else images.astype(dtype)


# ------------------------------------------------------------------------------ patches
@functools.lru_cache(maxsize=64)
def _patch_index(h: int, w: int, patch_size: int, boundary: str) -> np.ndarray:
    """``(H*W, P*P)`` flat pixel index of each patch entry; ``H*W`` stands for a padding zero."""
    r = patch_size // 2
    rows = np.arange(h)[:, None, None, None] + np.arange(-r, r + 1)[None, None, :, None]
    cols = np.arange(w)[None, :, None, None] + np.arange(-r, r + 1)[None, None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)                       # (H, W, P, P)
    if boundary == "periodic":
        index = (rows % h) * w + cols % w
    else:
        inside = (rows >= 0) & (rows < h) & (cols >= 0) & (cols < w)
        index = np.where(inside, rows * w + cols, h * w)
    return index.reshape(h * w, patch_size * patch_size).astype(np.int32)


def _patches(images, patch_size: int, boundary: str):
    """``(b, H, W, C)`` -> ``(b, H*W, P*P*C)``, entries ordered (row offset, column offset, channel):
    one gather from the flattened image with a zero pixel appended for the padding."""
    b, h, w, c = images.shape
    flat = jnp.concatenate([images.reshape(b, h * w, c), jnp.zeros((b, 1, c), images.dtype)], axis=1)
    index = _patch_index(h, w, patch_size, boundary)
    return flat[:, index].reshape(b, h * w, patch_size * patch_size * c)


def extract_patches(images: ArrayInput, image_shape, patch_size: int, *,
                    boundary: str = "zero") -> Float[Array, "*b hw D"]:
    r"""Every pixel's :math:`P\times P` patch, padded by the boundary rule (see the module docstring).

    Args:
      images: ``(b, H*W*C)`` row-major flattened images.
      image_shape: ``(H, W)`` or ``(H, W, C)``.
      patch_size: odd :math:`P \ge 1`, at most ``min(H, W)`` (``"periodic"``) or
        ``2 max(H, W) - 1`` (``"zero"``, ``"broken"``; the latter pads like ``"zero"``).
      boundary: ``"zero"``, ``"periodic"`` or ``"broken"``.

    Returns:
      ``(b, H*W, P*P*C)``: row ``p = p_1 W + p_2`` holds :math:`\phi_{\Omega_p}` with entry
      ``((o_1 + r) P + (o_2 + r)) C + c`` equal to :math:`\phi(p + o)_c`.
    """
    shape = _image_shape(image_shape)
    boundary = _check_boundary(boundary, local=False)
    patch_size = _check_patch_size("patch_size", patch_size, shape, boundary)
    images = _check_images("images", images, shape)
    return _patches(images.reshape(images.shape[0], *shape), patch_size, boundary)


def _position_classes(shape, patch_size: int, local: bool, boundary: str) -> list[np.ndarray]:
    """Partition of the ``H*W`` positions into classes sharing a candidate set."""
    h, w, _ = shape
    if local:
        return [np.array([p]) for p in range(h * w)]
    if boundary != "broken":
        return [np.arange(h * w)]
    r = patch_size // 2
    # a position's padding pattern is fixed by how many valid rows/columns its window has on
    # each side, capped at r
    rows, cols = np.arange(h), np.arange(w)
    row_sig = np.stack([np.minimum(rows, r), np.minimum(h - 1 - rows, r)], axis=1)
    col_sig = np.stack([np.minimum(cols, r), np.minimum(w - 1 - cols, r)], axis=1)
    classes: dict[tuple, list[int]] = {}
    for p in range(h * w):
        sig = (*row_sig[p // w], *col_sig[p % w])
        classes.setdefault(sig, []).append(p)
    return [np.asarray(v) for v in classes.values()]


class _Group(eqx.Module):
    """``K`` position classes of ``s`` positions each, with their (deduplicated) candidates.

    Attributes:
      positions: ``(K, s)`` flat pixel indices of each class.
      points: ``(K, m, D)`` distinct candidate patches, zero rows as padding.
      sq_norms: ``(K, m)`` their squared norms.
      log_counts: ``(K, m)`` log multiplicities (0 on padding).
      valid: ``(K, m)``, ``False`` on padding rows.
      chunk: block size of the streaming softmax (``m`` is a multiple of it).
    """

    positions: Int[Array, "k s"]
    points: Float[Array, "k m D"]
    sq_norms: Float[Array, "k m"]
    log_counts: Float[Array, "k m"]
    valid: Bool[Array, "k m"]
    chunk: int = eqx.field(static=True)


def _build_groups(train_patches: np.ndarray, classes, chunk_size: int, dtype):
    """Group equal-size classes; deduplicate each class's candidates (rows of ``n * s`` patches)."""
    by_size: dict[int, list[np.ndarray]] = {}
    for cls in classes:
        by_size.setdefault(len(cls), []).append(cls)
    groups = []
    n_candidates = 0
    for size in sorted(by_size):
        members = by_size[size]
        uniques = []
        for cls in members:
            rows = train_patches[:, cls, :].reshape(-1, train_patches.shape[2])
            pts, counts = np.unique(rows, axis=0, return_counts=True)
            uniques.append((pts, counts))
            n_candidates += pts.shape[0]
        m_max = max(p.shape[0] for p, _ in uniques)
        n_blocks = -(-m_max // chunk_size)
        chunk = -(-m_max // n_blocks)                       # balanced blocks, < 1 padding row each
        m_pad = n_blocks * chunk
        k, dim = len(members), train_patches.shape[2]
        points = np.zeros((k, m_pad, dim), dtype)
        log_counts = np.zeros((k, m_pad), dtype)
        valid = np.zeros((k, m_pad), bool)
        for j, (pts, counts) in enumerate(uniques):
            points[j, :pts.shape[0]] = pts
            log_counts[j, :pts.shape[0]] = np.log(counts)
            valid[j, :pts.shape[0]] = True
        sq = np.sum(points * points, axis=2)
        groups.append(_Group(jnp.asarray(np.stack(members), jnp.int32), jnp.asarray(points),
                             jnp.asarray(sq), jnp.asarray(log_counts), jnp.asarray(valid), chunk))
    return tuple(groups), n_candidates


# ------------------------------------------------------------------------------ the scores
class _PatchScore(eqx.Module):
    """Shared state and methods of :class:`LocalScore` and :class:`EquivariantScore`."""

    groups: tuple
    inverse: Int[Array, " hw"]
    process: Process
    image_shape: tuple[int, int, int] = eqx.field(static=True)
    patch_size: int = eqx.field(static=True)
    boundary: str = eqx.field(static=True)
    local: bool = eqx.field(static=True)
    n: int = eqx.field(static=True)
    n_candidates: int = eqx.field(static=True)
    query_block: int = eqx.field(static=True)
    global_limit: bool = eqx.field(static=True)

    def _setup(self, data, process, image_shape, patch_size, boundary, chunk_size, query_block,
               local):
        if not isinstance(process, Process):
            raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                            f"{type(process).__name__}")
        shape = _image_shape(image_shape)
        boundary = _check_boundary(boundary, local=local)
        patch_size = _check_patch_size("patch_size", patch_size, shape, boundary)
        chunk_size = check_positive_int("chunk_size", chunk_size)
        self.query_block = check_positive_int("query_block", query_block)
        data = _check_images("data", data, shape)
        check_finite("data", data)
        n = data.shape[0]
        dtype = np.dtype(data.dtype)
        h, w, c = shape
        flat = np.concatenate([np.asarray(data, dtype).reshape(n, h * w, c),
                               np.zeros((n, 1, c), dtype)], axis=1)
        # a patch covering the image from every pixel, zero padded, with every position its own
        # class (LS, or the boundary-broken ES): every pixel's posterior is the posterior over
        # whole training images (the padding adds 0 to every distance), i.e. the global empirical
        # score -- computed as such, with one softmax per image instead of one per pixel
        self.global_limit = (boundary != "periodic" and (local or boundary == "broken")
                             and patch_size >= 2 * max(h, w) - 1)
        if self.global_limit:
            images = np.asarray(data, dtype).reshape(n, 1, h * w * c)
            groups, n_cand = _build_groups(images, [np.arange(1)], chunk_size, dtype)
            groups = (eqx.tree_at(lambda g: g.positions, groups[0],
                                  jnp.arange(h * w, dtype=jnp.int32)[None, :]),)
        else:
            train = flat[:, _patch_index(h, w, patch_size, boundary)].reshape(n, h * w, -1)
            classes = _position_classes(shape, patch_size, local, boundary)
            groups, n_cand = _build_groups(train, classes, chunk_size, dtype)
        order = np.concatenate([np.asarray(g.positions).reshape(-1) for g in groups])
        self.groups = groups
        self.inverse = jnp.asarray(np.argsort(order), jnp.int32)
        self.process, self.image_shape, self.patch_size = process, shape, patch_size
        self.boundary, self.local, self.n, self.n_candidates = boundary, local, n, n_cand

    @property
    def d(self) -> int:
        """Dimension :math:`H W C` of a flattened image."""
        h, w, c = self.image_shape
        return h * w * c

    @property
    def dtype(self):
        """Floating dtype of the training patches (and of every result)."""
        return self.groups[0].points.dtype

    def _prepare(self, x, t):
        x = as_float_array("x", x)
        single = x.ndim == 1
        xb = x[None, :] if single else x
        h, w, c = self.image_shape
        check_shape("x", xb, (None, self.d), f"d = H*W*C from image_shape {(h, w, c)}")
        if jnp.ndim(t) != 0:
            raise ValueError(f"t: expected a scalar time, got shape {jnp.shape(t)}")
        self.process.check_time(t)
        xb = xb.astype(self.dtype)
        return xb, single, jnp.asarray(t, xb.dtype)

    def __call__(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        r"""Score :math:`s(x, t) = (\alpha_t M_t[x] - x)/\sigma_t^2`; ``x`` is ``(b, d)`` or ``(d,)``,
        ``t`` a scalar in ``(0, T]``."""
        xb, single, t = self._prepare(x, t)
        out = _patch_score(self, xb, t)
        return out[0] if single else out

    def denoise(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        r"""Denoiser :math:`M_t[x]`: each pixel's posterior mean over its candidate training patches'
        centres; same shapes as :meth:`__call__`."""
        xb, single, t = self._prepare(x, t)
        out = _patch_denoise(self, xb, t)
        return out[0] if single else out



def _prebuilt(name: str, prebuilt, sizes, kind, data, process, shape, boundary, chunk_size,
              query_block):
    """One patch score per size of ``sizes``: the matching entry of ``prebuilt`` (a mapping or
    sequence of :class:`LocalScore`/:class:`EquivariantScore` built from ``data``), else a new
    one."""
    if prebuilt is None:
        pool = {}
    else:
        if isinstance(prebuilt, Mapping):
            items = list(prebuilt.values())
        elif isinstance(prebuilt, (list, tuple)):
            items = list(prebuilt)
        else:
            raise TypeError(f"{name}: expected a sequence or a mapping of patch scores, got "
                            f"{type(prebuilt).__name__}")
        pool = {}
        for score in items:
            if not isinstance(score, kind):
                raise TypeError(f"{name}: expected {kind.__name__} objects (one per patch size), "
                                f"got {type(score).__name__}")
            if (score.image_shape, score.boundary, score.n) != (shape, boundary, data.shape[0]):
                raise ValueError(
                    f"{name}: expected scores of {data.shape[0]} training images of shape {shape} "
                    f"with boundary={boundary!r}, got one of {score.n} images of shape "
                    f"{score.image_shape} with boundary={score.boundary!r}")
            if score.process != process:
                raise ValueError(f"{name}: expected scores under the process {process!r}, got "
                                 f"{score.process!r}")
            pool[score.patch_size] = score
    return tuple(pool[p] if p in pool else
                 kind(data, process, shape, p, boundary=boundary, chunk_size=chunk_size,
                      query_block=query_block) for p in sizes)


class LocalScore(_PatchScore):
    r"""Local score (LS): each pixel's posterior over the training patches at the same position.

    .. math:: M_t[\phi](p) = \sum_{i=1}^n W_i(p)\,\phi^i(p), \qquad
              W_i(p) = \operatorname{softmax}_i\Big(-\frac{\|\phi_{\Omega_p} - \alpha_t\phi^i_{\Omega_p}\|^2}
              {2\sigma_t^2}\Big),

    the optimal score of a model whose output at :math:`p` depends only on the patch
    :math:`\phi_{\Omega_p}` (a different function at each position) :cite:`kamb2025analytic`. See
    the module docstring for patches, boundaries and the computation.

    Attributes:
      image_shape: ``(H, W, C)``. patch_size: odd :math:`P`. boundary: ``"zero"`` or
      ``"periodic"``. n: number of training images. n_candidates: distinct training patches
      summed over positions (at most ``n H W``; distinct training images when
      ``global_limit``). process: the forward process. global_limit: the patch covers the
      image from every pixel with zero padding, so the score is the global empirical score and
      is computed as such (module docstring).
    """

    def __init__(self, data: ArrayInput, process: Process, image_shape,
                 patch_size: int, *,
                 boundary: str = "zero", chunk_size: int = _CHUNK, query_block: int = _QUERY_BLOCK):
        """Extract and deduplicate the training patches.

        Args:
          data: ``(n, H*W*C)`` training images, finite, ``n >= 1``.
          process: the forward process.
          image_shape: ``(H, W)`` or ``(H, W, C)``.
          patch_size: odd :math:`P`, at most ``2 max(H, W) - 1`` (zero padding: larger adds only
            padding) or ``min(H, W)`` (periodic).
          boundary: ``"zero"`` (zero padding) or ``"periodic"``.
          chunk_size: largest number of candidate patches per block of the streaming softmax.
          query_block: largest number of (pixel, image) queries per block; with ``chunk_size``
            it bounds the memory of one block to ``query_block * chunk_size`` logits.
        """
        self._setup(data, process, image_shape, patch_size, boundary, chunk_size, query_block,
                    local=True)


class EquivariantScore(_PatchScore):
    r"""Equivariant (local) score (ES): each pixel's posterior over training patches at all positions.

    .. math:: M_t[\phi](p) = \sum_{i=1}^n\sum_{q\in S(p)} W_{iq}(p)\,\phi^i(q), \qquad
              W_{iq}(p) = \operatorname{softmax}_{i,q}\Big(-\frac{\|\phi_{\Omega_p}
              - \alpha_t\phi^i_{\Omega_q}\|^2}{2\sigma_t^2}\Big),

    with :math:`S(p)` all :math:`H W` positions (``"zero"``, ``"periodic"``) or, with
    ``"broken"``, the positions with the same offsets from the edges as :math:`p`. It is the
    optimal score of a model that applies one function of the :math:`P\times P` patch at every
    position :cite:`kamb2025analytic`: the ELS machine at a fixed locality scale. With
    ``"periodic"`` and :math:`P = H = W` it is the paper's ES machine (the empirical score of all
    circular shifts of the training images). See the module docstring.

    Attributes: as :class:`LocalScore`; boundary is one of ``"zero"``, ``"periodic"``, ``"broken"``.
    """

    def __init__(self, data: ArrayInput, process: Process, image_shape,
                 patch_size: int, *,
                 boundary: str = "zero", chunk_size: int = _CHUNK, query_block: int = _QUERY_BLOCK):
        """Extract and deduplicate the training patches (arguments as :class:`LocalScore`;
        ``boundary`` also accepts ``"broken"``)."""
        self._setup(data, process, image_shape, patch_size, boundary, chunk_size, query_block,
                    local=False)


def _patch_mean(score: _PatchScore, x, alpha, sigma2):
    """``(b, d)`` -> ``(b, d)``: the denoiser :math:`M_t` (traceable body, no checks)."""
    b = x.shape[0]
    h, w, c = score.image_shape
    a, cq = alpha / sigma2, alpha * alpha / (2.0 * sigma2)
    if score.global_limit:                     # the global empirical posterior (see _setup)
        g = score.groups[0]
        sq = g.sq_norms[0] - g.log_counts[0] / cq
        _, run_sum, run_acc, _ = streaming_softmax_stats(x, g.points[0], sq, g.valid[0], a, cq,
                                                         g.chunk)
        return run_acc / run_sum[:, None]
    queries = _patches(x.reshape(b, h, w, c), score.patch_size, score.boundary)   # (b, HW, D)
    dim = queries.shape[2]
    centre = (score.patch_size // 2) * (score.patch_size + 1) * c     # first channel of the centre
    parts = []
    for g in score.groups:
        k, s = g.positions.shape
        rows = b * s
        q = jnp.moveaxis(queries[:, g.positions], 1, 0).reshape(k, rows, dim)
        # the multiplicity enters as log m_z added to the logit: fold it into the squared norm
        sq = g.sq_norms - g.log_counts / cq

        def block(qb, g=g, sq=sq):
            """Softmax-weighted centre pixels of one block of queries, ``(K, rows_b, C)``."""
            def stats(qk, pk, sk, vk):
                return streaming_softmax_stats(qk, pk, sk, vk, a, cq, g.chunk)

            _, run_sum, run_acc, _ = jax.vmap(stats)(qb, g.points, sq, g.valid)
            return run_acc[:, :, centre:centre + c] / run_sum[:, :, None]

        # queries go in blocks of query_block rows, so that a block's (rows x chunk) logits stay
        # in cache: on a CPU this was 2-4x faster than one pass over all b*H*W queries
        n_qblocks = -(-rows // score.query_block)
        if n_qblocks == 1:
            mean = block(q)
        else:
            per = -(-rows // n_qblocks)
            q = jnp.pad(q, ((0, 0), (0, n_qblocks * per - rows), (0, 0)))
            q = jnp.moveaxis(q.reshape(k, n_qblocks, per, dim), 1, 0)
            mean = jax.lax.map(block, q)                                # (nq, K, per, C)
            mean = jnp.moveaxis(mean, 0, 1).reshape(k, n_qblocks * per, c)[:, :rows]
        parts.append(jnp.moveaxis(mean.reshape(k, b, s, c), 1, 0).reshape(b, k * s, c))
    means = parts[0] if len(parts) == 1 else jnp.concatenate(parts, axis=1)
    return means[:, score.inverse].reshape(b, h * w * c)


@eqx.filter_jit
def _patch_denoise(score, x, t):
    alpha, sigma = score.process.marginal(t)
    return _patch_mean(score, x, alpha, sigma * sigma)


@eqx.filter_jit
def _patch_score(score, x, t):
    alpha, sigma = score.process.marginal(t)
    sigma2 = sigma * sigma
    return (alpha * _patch_mean(score, x, alpha, sigma2) - x) / sigma2


# ------------------------------------------------------------------------------ the schedule
class PatchSchedule(eqx.Module):
    r"""A piecewise-constant patch-size schedule :math:`P(t)` over diffusion time.

    With patch sizes :math:`P_0..P_{K-1}` and increasing boundaries :math:`b_0 < .. < b_{K-2}`,
    :math:`P(t) = P_j` for :math:`b_{j-1} < t \le b_j` (with :math:`b_{-1} = 0`,
    :math:`b_{K-1} = \infty`). Build one with :meth:`constant`, :meth:`from_table` (sizes at a few
    times, e.g. a calibration's) or :meth:`from_callable` (any Python function of ``t``, read on
    a grid of times). Calling it works on concrete and traced times.

    Attributes:
      patch_sizes: ``(K,)`` odd patch sizes, one per interval (consecutive ones differ).
      boundaries: ``(K - 1,)`` increasing positive times between the intervals.
    """

    patch_sizes: tuple[int, ...] = eqx.field(static=True)
    boundaries: tuple[float, ...] = eqx.field(static=True)

    def __init__(self, patch_sizes: Sequence[int], boundaries=()):
        """Args: patch_sizes: ``(K,)`` odd positive integers. boundaries: ``(K-1,)`` strictly
        increasing finite times ``> 0``."""
        if isinstance(patch_sizes, (numbers.Integral, np.integer)) or not hasattr(patch_sizes, "__len__"):
            raise TypeError(f"patch_sizes: expected a sequence of odd positive integers, got "
                            f"{patch_sizes!r}")
        sizes = tuple(patch_sizes)
        if not sizes:
            raise ValueError("patch_sizes: expected at least one patch size")
        for size in sizes:
            if isinstance(size, bool) or not isinstance(size, (numbers.Integral, np.integer)):
                raise TypeError(f"patch_sizes: expected odd positive integers, got {size!r}")
            if size < 1 or size % 2 == 0:
                raise ValueError(f"patch_sizes: expected odd positive integers, got {int(size)}")
        bnd = np.asarray(boundaries, np.float64).reshape(-1) if len(boundaries) else np.zeros(0)
        if bnd.shape[0] != len(sizes) - 1:
            raise ValueError(f"boundaries: expected {len(sizes) - 1} times (one fewer than "
                             f"patch_sizes), got {bnd.shape[0]}")
        if bnd.size and not (np.all(np.isfinite(bnd)) and bnd[0] > 0 and np.all(np.diff(bnd) > 0)):
            raise ValueError(f"boundaries: expected strictly increasing finite times > 0, got "
                             f"{bnd.tolist()}")
        self.patch_sizes = tuple(int(s) for s in sizes)
        self.boundaries = tuple(float(v) for v in bnd)

    @classmethod
    def constant(cls, patch_size: int) -> "PatchSchedule":
        """:math:`P(t) = P` for all ``t``."""
        return cls((patch_size,))

    @classmethod
    def from_table(cls, times, patch_sizes: Sequence[int]) -> "PatchSchedule":
        r"""The schedule that takes ``patch_sizes[k]`` at ``times[k]`` and, between two tabulated
        times, the size of the one nearer in :math:`\log t` (boundaries at the geometric means
        :math:`\sqrt{t_k t_{k+1}}`); repeated consecutive sizes are merged.

        Args: times: ``(k,)`` strictly increasing times ``> 0``. patch_sizes: ``(k,)`` odd sizes.
        """
        t = np.asarray(times, np.float64).reshape(-1)
        if t.size == 0 or not (np.all(np.isfinite(t)) and t[0] > 0 and np.all(np.diff(t) > 0)):
            raise ValueError(f"times: expected a non-empty strictly increasing sequence of times > 0, "
                             f"got {t.tolist()}")
        if isinstance(patch_sizes, (numbers.Integral, np.integer)) or len(patch_sizes) != t.size:
            raise ValueError(f"patch_sizes: expected {t.size} sizes (one per time), got {patch_sizes!r}")
        sizes, bnd = [patch_sizes[0]], []
        for k in range(1, t.size):
            if patch_sizes[k] != sizes[-1]:
                sizes.append(patch_sizes[k])
                bnd.append(math.sqrt(t[k - 1] * t[k]))
        return cls(tuple(sizes), tuple(bnd))

    @classmethod
    def from_callable(cls, fn: Callable[[float], int], times) -> "PatchSchedule":
        """Tabulate a Python function ``fn(t) -> odd int`` at ``times`` (e.g. a sampler's grid) and
        build :meth:`from_table` of it: exact at those times, which is all a sampler on that grid
        evaluates."""
        if not callable(fn):
            raise TypeError(f"fn: expected a callable fn(t) -> odd int, got {type(fn).__name__}")
        t = np.sort(np.unique(np.asarray(times, np.float64).reshape(-1)))
        return cls.from_table(t, [fn(float(v)) for v in t])

    def interval(self, t):
        """Index ``j`` of the interval holding ``t``: a Python int for a concrete ``t``, else a
        traced int32."""
        if is_concrete(t):
            check_in_interval("t", t, 0.0, math.inf, high_open=True)
        if not self.boundaries:
            return 0 if is_concrete(t) else jnp.zeros((), jnp.int32)
        if is_concrete(t):
            dtype = np.asarray(t).dtype if np.issubdtype(np.asarray(t).dtype, np.floating) else np.float64
            return int(np.searchsorted(np.asarray(self.boundaries, dtype), np.asarray(t, dtype),
                                       side="left"))
        bnd = jnp.asarray(self.boundaries, jnp.result_type(t))
        return jnp.searchsorted(bnd, t, side="left").astype(jnp.int32)

    def __call__(self, t):
        """:math:`P(t)` (an int for a concrete scalar ``t``, else a traced int32)."""
        j = self.interval(t)
        if isinstance(j, int):
            return self.patch_sizes[j]
        return jnp.asarray(self.patch_sizes, jnp.int32)[j]


def _as_schedule(schedule, times) -> PatchSchedule:
    if isinstance(schedule, PatchSchedule):
        return schedule
    if isinstance(schedule, (numbers.Integral, np.integer)) and not isinstance(schedule, bool):
        return PatchSchedule.constant(int(schedule))
    if callable(schedule):
        if times is None:
            raise ValueError("times: required when schedule is a callable (the times it is "
                             "tabulated at, e.g. the sampler's grid)")
        return PatchSchedule.from_callable(schedule, times)
    raise TypeError(f"schedule: expected a PatchSchedule, an odd int or a callable t -> odd int, "
                    f"got {type(schedule).__name__}")


class ELSMachine(eqx.Module):
    r"""The equivariant local score (ELS) machine: the ES with a time-dependent patch size.

    .. math:: s(\phi, t) = s^{\mathrm{ES}}_{P(t)}(\phi, t),

    the analytic model of a convolutional diffusion model of Kamb and Ganguli
    :cite:`kamb2025analytic`, whose receptive field at each noise level is the calibrated
    :math:`P(t)` (:func:`calibrate_patch_schedule`). One :class:`EquivariantScore` (or
    :class:`LocalScore`, with ``equivariant=False``) is built per distinct patch size. Called with
    a concrete ``t`` it evaluates that level's kernel; under a trace (inside a sampler's
    ``lax.scan``) it dispatches with ``lax.switch``, which runs only the selected level.

    Attributes:
      levels: one patch score per distinct size of the schedule, in increasing size.
      schedule: the :class:`PatchSchedule`.
      process: the forward process.
    """

    levels: tuple
    schedule: PatchSchedule
    process: Process
    level_of_interval: tuple[int, ...] = eqx.field(static=True)

    def __init__(self, data: ArrayInput, process: Process, image_shape, schedule, *,
                 equivariant: bool = True, boundary: str = "zero", times=None,
                 chunk_size: int = _CHUNK, query_block: int = _QUERY_BLOCK, levels=None):
        """Build the levels.

        Args:
          data: ``(n, H*W*C)`` training images.
          process: the forward process.
          image_shape: ``(H, W)`` or ``(H, W, C)``.
          schedule: a :class:`PatchSchedule`, an odd int (constant), or a Python callable
            ``t -> odd int`` tabulated at ``times`` (:meth:`PatchSchedule.from_callable`).
          equivariant: ES levels (``True``) or LS levels (``False``).
          boundary: as :class:`EquivariantScore` (``"zero"``, ``"periodic"``, ``"broken"``;
            LS levels take the first two).
          times: the times a callable ``schedule`` is read at (e.g. the sampler's grid).
          chunk_size, query_block: as :class:`LocalScore`.
          levels: optional prebuilt patch scores of ``data`` (a sequence, or a mapping by patch
            size; :class:`EquivariantScore` or, with ``equivariant=False``, :class:`LocalScore`,
            with this ``boundary`` and ``process``): used for the sizes they cover instead of
            building them again (several machines, or a calibration, can share one build).
        """
        if not isinstance(equivariant, bool):
            raise TypeError(f"equivariant: expected True or False, got {equivariant!r}")
        if not isinstance(process, Process):
            raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                            f"{type(process).__name__}")
        schedule = _as_schedule(schedule, times)
        shape = _image_shape(image_shape)
        boundary = _check_boundary(boundary, local=not equivariant)
        for size in schedule.patch_sizes:
            _check_patch_size("schedule", size, shape, boundary)
        kind = EquivariantScore if equivariant else LocalScore
        sizes = sorted(set(schedule.patch_sizes))
        data = _check_images("data", data, shape)
        self.levels = _prebuilt("levels", levels, sizes, kind, data, process, shape, boundary,
                                chunk_size, query_block)
        self.schedule, self.process = schedule, process
        self.level_of_interval = tuple(sizes.index(p) for p in schedule.patch_sizes)

    @property
    def d(self) -> int:
        """Dimension :math:`H W C` of a flattened image."""
        return self.levels[0].d

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of the images."""
        return self.levels[0].image_shape

    def level(self, t) -> _PatchScore:
        """The patch score used at a concrete time ``t``."""
        if jnp.ndim(t) != 0:
            raise ValueError(f"t: expected a scalar time, got shape {jnp.shape(t)}")
        self.process.check_time(t)
        if not is_concrete(t):
            raise TypeError("t: level(t) needs a concrete time; under jit call the machine itself")
        return self.levels[self.level_of_interval[self.schedule.interval(t)]]

    def _evaluate(self, x, t, denoise: bool):
        if is_concrete(t):
            lv = self.level(t)
            return lv.denoise(x, t) if denoise else lv(x, t)
        xb, single, tt = self.levels[0]._prepare(x, t)
        out = _els_eval(self, xb, tt, denoise)
        return out[0] if single else out

    def __call__(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        """Score at ``(x, t)`` with patch size :math:`P(t)`; shapes as :class:`LocalScore`."""
        return self._evaluate(x, t, denoise=False)

    def denoise(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        """Denoiser :math:`M_t[x]` with patch size :math:`P(t)`."""
        return self._evaluate(x, t, denoise=True)


@eqx.filter_jit
def _els_eval(machine: ELSMachine, x, t, denoise: bool):
    alpha, sigma = machine.process.marginal(t)
    sigma2 = sigma * sigma
    branches = [lambda x, lv=lv: _patch_mean(lv, x, alpha, sigma2) for lv in machine.levels]
    level = jnp.asarray(machine.level_of_interval, jnp.int32)[machine.schedule.interval(t)]
    mean = branches[0](x) if len(branches) == 1 else jax.lax.switch(level, branches, x)
    return mean if denoise else (alpha * mean - x) / sigma2


# ------------------------------------------------------------------------------ calibration
class PatchCalibration(NamedTuple):
    """Result of :func:`calibrate_patch_schedule`.

    Attributes:
      schedule: the calibrated :class:`PatchSchedule` (:meth:`PatchSchedule.from_table` of
        ``best_patch_size`` at ``times``).
      times: ``(k,)`` the calibration times, increasing.
      patch_sizes: ``(p,)`` the candidate patch sizes, increasing.
      mismatch: ``(k, p)`` mean squared difference per pixel between the target denoiser and the
        patch denoiser of each size, on the noised held-out images.
      best_patch_size: ``(k,)`` the size of least mismatch at each time.
    """

    schedule: PatchSchedule
    times: np.ndarray
    patch_sizes: tuple[int, ...]
    mismatch: np.ndarray
    best_patch_size: np.ndarray


def calibrate_patch_schedule(key, denoise_fn: Callable | Mapping, data: ArrayInput,
                             held_out: ArrayInput, process: Process, image_shape,
                             times, patch_sizes: Sequence[int], *,
                             equivariant: bool = True, boundary: str = "zero",
                             chunk_size: int = _CHUNK, query_block: int = _QUERY_BLOCK,
                             scores=None):
    r"""Fit the ELS machine's :math:`P(t)` to a denoiser: at each time, the patch size of least mismatch.

    For each time :math:`t_k` the held-out images :math:`x^j_0` are noised,
    :math:`x^j_t = \alpha_t x^j_0 + \sigma_t z^j`, and

    .. math:: P(t_k) = \arg\min_{P} \frac{1}{m d}\sum_{j=1}^m
              \big\|D(x^j_t, t_k) - M^{P}_{t_k}[x^j_t]\big\|^2,

    where :math:`D` is the target (``denoise_fn``: a trained network's denoiser, or any score's
    through Tweedie, ``lambda x, t: tweedie_denoiser(score, x, t, process)``) and :math:`M^P` the
    patch denoiser (ES, or LS with ``equivariant=False``) of the training set at patch size
    :math:`P` -- the calibration of Kamb and Ganguli :cite:`kamb2025analytic`, who choose the
    locality scale per noise level that best matches the trained network's outputs. Ties go to
    the smaller patch. Several targets (a mapping ``{name: denoise_fn}``) are calibrated on the
    same noised images with one evaluation of each patch denoiser.

    Args:
      key: a ``jax.random`` key (the noise added to the held-out images).
      denoise_fn: ``denoise_fn(x, t)`` mapping ``(m, d)`` noised images at time ``t`` to
        ``(m, d)`` estimates of the clean images; or a mapping ``{name: denoise_fn}``.
      data: ``(n, H*W*C)`` the training images of the patch scores (the network's training set).
      held_out: ``(m, H*W*C)`` images to noise and compare on (not in ``data``).
      process: the forward process.
      image_shape: ``(H, W)`` or ``(H, W, C)``.
      times: ``(k,)`` strictly increasing times in ``(0, T]``.
      patch_sizes: candidate odd sizes (distinct).
      equivariant, boundary, chunk_size, query_block: as :class:`ELSMachine`.
      scores: optional prebuilt patch scores of ``data``, as ``levels`` of :class:`ELSMachine`.

    Returns:
      :class:`PatchCalibration` (a ``dict`` of them, by name, for a mapping of targets). Cost:
      ``k * p`` patch-denoiser evaluations on ``m`` images plus ``k`` calls of each target.
    """
    key = check_key("key", key)
    targets = dict(denoise_fn) if isinstance(denoise_fn, Mapping) else {None: denoise_fn}
    if not targets:
        raise ValueError("denoise_fn: expected a callable or a non-empty mapping of callables")
    for name, fn in targets.items():
        if not callable(fn):
            where = "" if name is None else f"[{name!r}]"
            raise TypeError(f"denoise_fn{where}: expected a callable denoise_fn(x, t), got "
                            f"{type(fn).__name__}")
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    if not isinstance(equivariant, bool):
        raise TypeError(f"equivariant: expected True or False, got {equivariant!r}")
    shape = _image_shape(image_shape)
    boundary = _check_boundary(boundary, local=not equivariant)
    data = _check_images("data", data, shape)
    held_out = _check_images("held_out", held_out, shape, data.dtype)
    check_finite("held_out", held_out)
    t = np.asarray(times, np.float64).reshape(-1)
    if t.size == 0 or not (np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)):
        raise ValueError(f"times: expected a non-empty strictly increasing sequence, got {t.tolist()}")
    for v in t:
        process.check_time(float(v), "times")
    if isinstance(patch_sizes, (numbers.Integral, np.integer)) or not len(patch_sizes):
        raise TypeError(f"patch_sizes: expected a non-empty sequence of odd integers, got {patch_sizes!r}")
    sizes = sorted(_check_patch_size("patch_sizes", p, shape, boundary) for p in patch_sizes)
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"patch_sizes: expected distinct sizes, got {list(patch_sizes)}")
    kind = EquivariantScore if equivariant else LocalScore
    scores = _prebuilt("scores", scores, sizes, kind, data, process, shape, boundary, chunk_size,
                       query_block)
    m, d = held_out.shape
    noise = jax.random.normal(key, (t.size, m, d), held_out.dtype)
    mismatch = {name: np.zeros((t.size, len(sizes))) for name in targets}
    for k, tk in enumerate(t):
        alpha, sigma = process.marginal(jnp.asarray(tk, held_out.dtype))
        x_t = alpha * held_out + sigma * noise[k]
        outs = {}
        for name, fn in targets.items():
            target = jnp.asarray(fn(x_t, float(tk)))
            if target.shape != (m, d):
                where = "" if name is None else f"[{name!r}]"
                raise ValueError(f"denoise_fn{where}: expected an output of shape {(m, d)}, got "
                                 f"{target.shape}")
            outs[name] = target.astype(held_out.dtype)
        for j, score in enumerate(scores):
            patch = score.denoise(x_t, float(tk))
            for name, target in outs.items():
                mismatch[name][k, j] = float(jnp.mean((patch - target) ** 2))
    out = {}
    for name, table in mismatch.items():
        best = np.asarray(sizes)[np.argmin(table, axis=1)]
        schedule = PatchSchedule.from_table(t, [int(p) for p in best])
        out[name] = PatchCalibration(schedule, t, tuple(sizes), table, best)
    return out[None] if None in out else out
