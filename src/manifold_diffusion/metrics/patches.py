r"""Read-outs of the locality chapter: how well one generator predicts another, and the mosaic check.

**Per-image** :math:`r^2`. For a generated image :math:`y_a\in\mathbb R^d` (the *target*, e.g. a
trained network's sample) and a prediction :math:`\hat y_a` of it (another generator's sample
from the same initial noise),

.. math:: r^2_a = 1 - \frac{\sum_p (\hat y_{ap} - y_{ap})^2}{\sum_p (y_{ap} - \bar y_a)^2},
          \qquad \bar y_a = \frac1d\sum_p y_{ap},

the coefficient of determination of the target's pixels by the prediction's (:func:`image_r2`):
1 for a perfect prediction, 0 for predicting every pixel by the image's own mean, negative when
worse. This is our reading of the per-sample :math:`r^2` of Kamb and Ganguli
:cite:`kamb2025analytic` (they report its median over samples). It is not symmetric: the target's
own variance is the denominator. :func:`summarize_r2` gives its median, quartiles and a bootstrap
interval of the median over samples; :func:`denoiser_r2` the same statistic between two
*denoisers* on noised images, per noise level.

**The mosaic check.** Kamb and Ganguli explain the novelty of convolutional diffusion models as
"locally consistent patch mosaics": every patch of a sample is close to some training patch
(somewhere), while the whole sample is close to no training image. :func:`patch_distances`
measures the first part: for each pixel of a sample, the distance of its :math:`P\times P`
patch to the nearest patch of *any* training image at *any* position (zero padding, as
:func:`~manifold_diffusion.scores.extract_patches`); :func:`mosaic_report` adds the second part
(the memorization criterion of :mod:`.memorization`) and counts the samples that are mosaics.
A copy of a training image has all patch distances 0 (the ceiling), which is why the chapter
sets every read-out beside copies and beside held-out real digits.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from .._checks import (as_float_array, check_finite, check_in_interval, check_positive,
                       check_positive_int, is_concrete)
from ..keys import check_key
from ..processes import Process
from ..scores import extract_patches
from .memorization import memorization_report
from .neighbors import nearest_neighbors
from .._types import ArrayInput

__all__ = ["image_r2", "R2Summary", "summarize_r2", "denoiser_r2", "patch_distances",
           "MosaicReport", "mosaic_report"]


def _pair(predicted, target):
    predicted = as_float_array("predicted", predicted, ndim=2)
    target = as_float_array("target", target, ndim=2)
    if predicted.shape != target.shape:
        raise ValueError(f"predicted: expected the shape of target {tuple(target.shape)}, got "
                         f"{tuple(predicted.shape)}")
    if target.shape[1] < 2:
        raise ValueError(f"target: expected at least 2 pixels per image, got shape {tuple(target.shape)}")
    if target.shape[0] == 0:
        raise ValueError("target: expected at least one image, got 0 rows")
    return predicted, target


def image_r2(predicted: ArrayInput, target: ArrayInput) -> Float[Array, " b"]:
    r"""Per-image coefficient of determination of ``target`` by ``predicted`` (module docstring).

    Args:
      predicted: ``(b, d)`` predictions, e.g. one generator's samples.
      target: ``(b, d)`` the images predicted, row for row (same initial noise).

    Returns:
      ``(b,)`` :math:`r^2_a\le 1`. A target row with zero variance (a constant image) raises.
    """
    predicted, target = _pair(predicted, target)
    dtype = jnp.result_type(predicted, target)
    predicted, target = predicted.astype(dtype), target.astype(dtype)
    centred = target - jnp.mean(target, axis=1, keepdims=True)
    total = jnp.sum(centred * centred, axis=1)
    residual = jnp.sum((predicted - target) ** 2, axis=1)
    if is_concrete(total) and bool(jnp.any(total <= 0)):
        rows = np.flatnonzero(np.asarray(total) <= 0)
        raise ValueError(f"target: rows {rows[:5].tolist()} are constant images (zero variance), for "
                         f"which r^2 is undefined")
    return 1.0 - residual / total


class R2Summary(NamedTuple):
    """Median and spread of per-sample values (:func:`summarize_r2`).

    Attributes:
      median: the median over samples.
      low, high: the percentile bootstrap interval of the median at ``level``.
      lower_quartile, upper_quartile: the 25th and 75th percentiles over samples.
      n: number of samples.
      level: coverage of the interval.
    """

    median: float
    low: float
    high: float
    lower_quartile: float
    upper_quartile: float
    n: int
    level: float


def summarize_r2(key, values: ArrayInput, *, n_boot: int = 2000,
                 level: float = 0.95) -> R2Summary:
    r"""Median, quartiles and a bootstrap interval of the median of per-sample values.

    The interval resamples the ``b`` values with replacement ``n_boot`` times and takes the
    :math:`(1\pm\text{level})/2` percentiles of the resampled medians (percentile bootstrap).
    For the median of :math:`b` independent values with density :math:`f` at the median its
    half-width is about :math:`1.96/(2 f \sqrt b)`. Pass per-sample *differences* of two
    :math:`r^2` arrays (same samples) for a paired comparison.

    Args:
      key: a ``jax.random`` key (the resampling indices).
      values: ``(b,)`` finite values, ``b >= 2`` (e.g. :func:`image_r2`).
      n_boot: bootstrap replicates, ``>= 100``.
      level: coverage of the interval, in (0, 1).

    Returns:
      :class:`R2Summary`.
    """
    key = check_key("key", key)
    values = as_float_array("values", values, ndim=1)
    check_finite("values", values)
    if values.shape[0] < 2:
        raise ValueError(f"values: expected at least 2 values, got {values.shape[0]}")
    n_boot = check_positive_int("n_boot", n_boot, minimum=100)
    check_in_interval("level", level, 0.0, 1.0, low_open=True, high_open=True)
    v = np.asarray(values, np.float64)
    b = v.shape[0]
    idx = np.asarray(jax.random.randint(key, (n_boot, b), 0, b))
    medians = np.median(v[idx], axis=1)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(medians, [tail, 100.0 - tail])
    q1, q3 = np.percentile(v, [25.0, 75.0])
    return R2Summary(float(np.median(v)), float(low), float(high), float(q1), float(q3), b,
                     float(level))


def denoiser_r2(key, denoise_fn, reference_fn, images: ArrayInput, process: Process,
                times) -> Float[Array, "k m"]:
    r"""Per-image :math:`r^2` of one denoiser's outputs against another's, at each noise level.

    For each time :math:`t_j` the clean ``images`` are noised,
    :math:`x^a = \alpha_{t_j} x^a_0 + \sigma_{t_j} z^a_j` with :math:`z = ` ``normal(key, (k, m, d))``
    (the same noise for every call with the same key, so several denoisers can be compared on the
    same inputs), and

    .. math:: r^2_{ja} = r^2\big(\text{denoise\_fn}(x^a, t_j);\ \text{reference\_fn}(x^a, t_j)\big)

    (:func:`image_r2`, the reference's outputs being the target).

    Args:
      key: a ``jax.random`` key (the noise).
      denoise_fn, reference_fn: ``fn(x, t)`` mapping ``(m, d)`` noised images at time ``t`` to
        ``(m, d)`` estimates of the clean images (a trained network's denoiser, a patch
        machine's ``denoise``, or a score through
        :func:`~manifold_diffusion.samplers.tweedie_denoiser`).
      images: ``(m, d)`` clean images.
      process: the forward process.
      times: ``(k,)`` times in ``(0, T]``.

    Returns:
      ``(k, m)``.
    """
    key = check_key("key", key)
    for name, fn in (("denoise_fn", denoise_fn), ("reference_fn", reference_fn)):
        if not callable(fn):
            raise TypeError(f"{name}: expected a callable fn(x, t), got {type(fn).__name__}")
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    images = as_float_array("images", images, ndim=2)
    check_finite("images", images)
    t = np.asarray(times, np.float64).reshape(-1)
    if t.size == 0:
        raise ValueError("times: expected at least one time")
    for v in t:
        process.check_time(float(v), "times")
    m, d = images.shape
    noise = jax.random.normal(key, (t.size, m, d), images.dtype)
    rows = []
    for j, tj in enumerate(t):
        alpha, sigma = process.marginal(jnp.asarray(tj, images.dtype))
        x = alpha * images + sigma * noise[j]
        out, ref = (jnp.asarray(fn(x, float(tj))) for fn in (denoise_fn, reference_fn))
        for name, value in (("denoise_fn", out), ("reference_fn", ref)):
            if value.shape != (m, d):
                raise ValueError(f"{name}: expected an output of shape {(m, d)}, got {value.shape}")
        rows.append(image_r2(out, ref))
    return jnp.stack(rows)


def _unique_patches(train_patches: np.ndarray) -> np.ndarray:
    return np.unique(train_patches.reshape(-1, train_patches.shape[-1]), axis=0)


def patch_distances(samples: ArrayInput, train: ArrayInput, image_shape,
                    patch_size: int) -> Float[Array, "b hw"]:
    r"""For each pixel of each sample, the distance of its patch to the nearest training patch.

    .. math:: \delta_a(p) = \min_{i\le n,\ q}\big\|y^a_{\Omega_p} - \phi^i_{\Omega_q}\big\|,

    over all training images :math:`\phi^i` and all positions :math:`q`, with the
    :math:`P\times P` patches zero-padded outside the image
    (:func:`~manifold_diffusion.scores.extract_patches`, ``boundary="zero"``): the patch
    dictionary of the equivariant score. Identical training patches are searched once.

    Args:
      samples: ``(b, H*W*C)`` images.
      train: ``(n, H*W*C)`` training images.
      image_shape: ``(H, W)`` or ``(H, W, C)``.
      patch_size: odd :math:`P`, at most ``2 max(H, W) - 1``.

    Returns:
      ``(b, H*W)`` Euclidean distances (row ``p = p_1 W + p_2``).
    """
    samples = as_float_array("samples", samples, ndim=2)
    train = as_float_array("train", train, ndim=2)
    if train.shape[1] != samples.shape[1]:
        raise ValueError(f"train: expected shape (n, {samples.shape[1]}) (d from samples), got "
                         f"{tuple(train.shape)}")
    check_finite("samples", samples)
    check_finite("train", train)
    queries = extract_patches(samples, image_shape, patch_size)              # (b, HW, D)
    dictionary = _unique_patches(np.asarray(extract_patches(train, image_shape, patch_size)))
    b, hw, dim = queries.shape
    nb = nearest_neighbors(queries.reshape(b * hw, dim), jnp.asarray(dictionary, queries.dtype), k=1)
    return nb.distances[:, 0].reshape(b, hw)


class MosaicReport(NamedTuple):
    """The mosaic check of a sample set (:func:`mosaic_report`).

    Attributes:
      worst_patch: ``(b,)`` the largest patch distance of each sample (:func:`patch_distances`).
      nearest_image: ``(b,)`` distance of each sample to its nearest training image.
      memorized: ``(b,)`` the memorization criterion of :mod:`.memorization`.
      mosaic: ``(b,)`` not memorized, and ``worst_patch <= tolerance``.
      fraction_mosaic, fraction_memorized: their means.
      median_worst_patch: median of ``worst_patch``.
      tolerance: the patch tolerance used.
      patch_size: :math:`P`.
    """

    worst_patch: Float[Array, " b"]
    nearest_image: Float[Array, " b"]
    memorized: Bool[Array, " b"]
    mosaic: Bool[Array, " b"]
    fraction_mosaic: float
    fraction_memorized: float
    median_worst_patch: float
    tolerance: float
    patch_size: int


def mosaic_report(samples: ArrayInput, train: ArrayInput, image_shape,
                  patch_size: int, tolerance: float) -> MosaicReport:
    r"""Which samples are locally consistent patch mosaics: new as wholes, old in every patch.

    A sample is a **mosaic** when it is not memorized (nearest training image closer than a third
    of the second-nearest: :func:`~manifold_diffusion.metrics.memorization_report`) and every one
    of its patches is within ``tolerance`` of some training patch,
    :math:`\max_p\delta_a(p)\le` ``tolerance`` (:func:`patch_distances`). The tolerance is a
    distance between :math:`P\times P` patches (e.g. the median worst-patch distance of held-out
    real images, so that "as patch-consistent as a typical unseen real image" is the bar).

    Args:
      samples: ``(b, H*W*C)``. train: ``(n, H*W*C)``, ``n >= 2``. image_shape: ``(H, W)`` or
      ``(H, W, C)``. patch_size: odd :math:`P`. tolerance: ``> 0``.

    Returns:
      :class:`MosaicReport`.
    """
    check_positive("tolerance", tolerance)
    dist = patch_distances(samples, train, image_shape, patch_size)
    worst = jnp.max(dist, axis=1)
    mem = memorization_report(samples, train)
    memorized = mem.ratio < mem.threshold
    mosaic = jnp.logical_and(~memorized, worst <= tolerance)
    return MosaicReport(worst, mem.nearest_distance, memorized, mosaic,
                        float(jnp.mean(mosaic)), float(jnp.mean(memorized)),
                        float(jnp.median(worst)), float(tolerance), int(patch_size))
