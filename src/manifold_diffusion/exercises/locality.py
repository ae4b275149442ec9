r"""Checkers for the coding exercises of the chapter on locality and equivariance (chapter 7)."""

import jax
import numpy as np

from ..data import load_digits
from ..keys import named_keys
from ..processes import VP
from ..metrics import image_r2
from ..scores import LocalScore
from ._registry import checker


def _cases():
    """(what, x (H, W), data (n, H, W), pixel, patch size, t) on fresh inputs."""
    keys = named_keys(jax.random.key(2025), "digits", "noise", "generic", "small")
    digits = load_digits(keys.digits, n_train=40)
    train = np.asarray(digits.train, np.float64).reshape(-1, 8, 8)
    process = VP()

    def noised(image, t, key):
        alpha, sigma = (float(v) for v in process.marginal(t))
        return alpha * image + sigma * np.asarray(jax.random.normal(key, image.shape), np.float64)

    k = jax.random.split(keys.noise, 4)
    small = np.asarray(jax.random.uniform(keys.small, (6, 5, 7)), np.float64)
    generic = np.asarray(jax.random.uniform(keys.generic, (8, 8)), np.float64)
    return [
        ("a noised held-out digit, interior pixel", noised(np.asarray(digits.test[0]).reshape(8, 8),
                                                          0.3, k[0]), train, (3, 4), 3, 0.3),
        ("a noised digit, corner pixel (the patch leaves the image)",
         noised(np.asarray(digits.test[1]).reshape(8, 8), 0.1, k[1]), train, (0, 0), 5, 0.1),
        ("a noised digit, edge pixel, 1x1 patch", noised(np.asarray(digits.test[2]).reshape(8, 8),
                                                        0.05, k[2]), train, (7, 2), 1, 0.05),
        ("5x7 images, bottom-right pixel, 7x7 patch", noised(small[0], 0.2, k[3]), small[1:],
         (4, 6), 7, 0.2),
        ("an image far from every training patch at small noise (needs a stable softmax)",
         generic, train, (4, 4), 3, 5e-5),
    ]


@checker("locality.local_score_pixel")
def _check_local_score_pixel(answer):
    r"""``answer(x, data, pixel, patch_size, alpha, sigma)``: the local score at one pixel.

    ``x`` is one ``(H, W)`` image, ``data`` the ``(n, H, W)`` training images, ``pixel`` a
    ``(row, column)`` pair, ``patch_size`` an odd :math:`P`, and :math:`(\alpha, \sigma)` the
    noise scale and level. The answer is the number

    .. math:: s(x)(p) = \frac{\alpha\sum_i w_i\,x^i(p) - x(p)}{\sigma^2},\qquad
              w = \operatorname{softmax}_i\Big(-\frac{\|x_{\Omega_p} - \alpha x^i_{\Omega_p}\|^2}{2\sigma^2}\Big),

    with the :math:`P\times P` patches :math:`\Omega_p` around :math:`p` zero-padded outside the
    image; it is checked against :class:`~manifold_diffusion.scores.LocalScore`.
    """
    assert callable(answer), "the answer must be a function answer(x, data, pixel, patch_size, alpha, sigma)"
    process = VP()
    for what, x, data, pixel, size, t in _cases():
        h, w = x.shape
        alpha, sigma = (float(v) for v in process.marginal(t))
        score = LocalScore(data.reshape(data.shape[0], -1), process, (h, w), size)
        want = float(np.asarray(score(x.reshape(1, -1), t))[0, pixel[0] * w + pixel[1]])
        got = answer(x.copy(), data.copy(), pixel, size, alpha, sigma)
        assert np.ndim(got) == 0, f"for {what}: return one number, got shape {np.shape(got)}"
        got = float(got)
        assert np.isfinite(got), (
            f"for {what} (sigma = {sigma:.2g}) the answer is {got}: every exp(-|.|^2 / 2 sigma^2) "
            "underflows to 0 there. Subtract the largest logit before exponentiating (log-sum-exp).")
        # the library runs in float32: its logits carry ~1e-7 |patch|^2 / sigma^2 nats of rounding
        tol = 1e-4 * (1 + abs(want)) + 2e-6 * size * size / sigma**2
        assert abs(got - want) <= tol, (
            f"for {what}, pixel {pixel}, P = {size}, alpha = {alpha:.4f}, sigma = {sigma:.4f}: "
            f"the answer is {got:.6g}, expected {want:.6g}. Compare the patch of x with alpha times "
            "the patch of each training image at the same position, zero outside the image; the "
            "score is (alpha * weighted centre pixel - x(p)) / sigma^2.")
    return "It matches LocalScore at interior, edge and corner pixels, and at small noise."


@checker("locality.image_r2")
def _check_image_r2(answer):
    r"""``answer(predicted, target)``: the per-image :math:`r^2` of ``target`` by ``predicted``.

    Both are ``(b, d)`` NumPy arrays of images (one per row); the answer is the ``(b,)`` array

    .. math:: r^2_a = 1 - \frac{\sum_p (\hat y_{ap} - y_{ap})^2}{\sum_p (y_{ap} - \bar y_a)^2},

    with :math:`\bar y_a` the mean pixel of target image :math:`a`; it is checked against
    :func:`~manifold_diffusion.metrics.image_r2`.
    """
    assert callable(answer), "the answer must be a function answer(predicted, target)"
    keys = named_keys(jax.random.key(2026), "target", "offset", "noise")
    digits = np.asarray(load_digits(keys.target, n_train=12).train, np.float64)
    cases = [
        ("a noisy copy of each digit", digits + 0.2 * np.asarray(
            jax.random.normal(keys.noise, digits.shape), np.float64), digits),
        ("digits shifted by very different offsets (each image's own mean matters)",
         digits[::-1] + 0.0, digits + np.asarray(jax.random.uniform(keys.offset, (12, 1)),
                                                 np.float64) * 5),
        ("the target itself", digits.copy(), digits.copy()),
    ]
    for what, predicted, target in cases:
        want = np.asarray(image_r2(predicted, target), np.float64)
        got = np.asarray(answer(predicted.copy(), target.copy()), np.float64)
        assert got.shape == want.shape, f"for {what}: return one value per image, shape {want.shape}, got {got.shape}"
        assert np.allclose(got, want, rtol=1e-4, atol=1e-5), (
            f"for {what}: got {np.round(got[:4], 4)}..., expected {np.round(want[:4], 4)}.... "
            "The denominator is the target image's own spread around its own mean pixel.")
    return "It matches metrics.image_r2 on noisy copies, offset images and exact predictions."
