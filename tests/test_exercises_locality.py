"""The locality chapter's exercise checkers accept the local score at one pixel and the per-image r^2,
and reject the usual wrong answers."""

import numpy as np
import pytest

from manifold_diffusion import exercises

NAME = "locality.local_score_pixel"


def _patch(image, pixel, size, mode="constant"):
    r = size // 2
    padded = np.pad(image, r, mode=mode)
    return padded[pixel[0]:pixel[0] + size, pixel[1]:pixel[1] + size]


def local_score_pixel(x, data, pixel, size, alpha, sigma, *, mode="constant", use_alpha=True,
                      stable=True, whole_image=False, denoiser=False):
    """The reference solution, with switches that turn it into the usual mistakes."""
    a = alpha if use_alpha else 1.0
    if whole_image:
        sq = np.sum((x[None] - a * data) ** 2, axis=(1, 2))
    else:
        query = _patch(x, pixel, size, mode)
        sq = np.array([np.sum((query - a * _patch(img, pixel, size, mode)) ** 2) for img in data])
    logit = -sq / (2 * sigma**2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        w = np.exp(logit - logit.max()) if stable else np.exp(logit)
        w = w / w.sum()
    mean = float(w @ data[:, pixel[0], pixel[1]])
    if denoiser:
        return mean
    return (alpha * mean - x[pixel]) / sigma**2


def test_local_score_pixel_accepts_the_reference():
    assert exercises.check(NAME, local_score_pixel, strict=True, verbose=False)
    assert NAME in exercises.available()


@pytest.mark.parametrize("mistake", [
    dict(mode="wrap"),            # periodic instead of zero padding
    dict(use_alpha=False),        # compares with the unscaled training patches
    dict(stable=False),           # exp without max-subtraction: 0/0 far from the data at small noise
    dict(whole_image=True),       # the global empirical score, not the local one
    dict(denoiser=True),          # returns the posterior mean, not the score
])
def test_local_score_pixel_rejects_wrong_answers(mistake, capsys):
    wrong = lambda *args: local_score_pixel(*args, **mistake)   # noqa: E731
    assert exercises.check(NAME, wrong) is False
    assert "not yet" in capsys.readouterr().out
    with pytest.raises(exercises.CheckFailed, match=NAME):
        exercises.check(NAME, wrong, strict=True, verbose=False)


def test_local_score_pixel_rejects_non_functions_and_arrays():
    assert exercises.check(NAME, "not a function", verbose=False) is False
    assert exercises.check(NAME, lambda *args: np.zeros(2), verbose=False) is False


def image_r2(predicted, target, *, centre=True, swap=False, pooled=False):
    """The reference per-image r^2, with switches that turn it into the usual mistakes."""
    if swap:
        predicted, target = target, predicted
    mean = target.mean(axis=1, keepdims=True) if centre else 0.0
    if pooled:
        mean = target.mean()
    return 1 - ((predicted - target) ** 2).sum(1) / ((target - mean) ** 2).sum(1)


def test_image_r2_accepts_the_reference():
    assert exercises.check("locality.image_r2", image_r2, strict=True, verbose=False)


@pytest.mark.parametrize("mistake", [
    dict(centre=False),           # divides by the raw sum of squares
    dict(swap=True),              # the prediction's variance in the denominator
    dict(pooled=True),            # one mean over all images instead of each image's own
])
def test_image_r2_rejects_wrong_answers(mistake, capsys):
    wrong = lambda p, t: image_r2(p, t, **mistake)   # noqa: E731
    assert exercises.check("locality.image_r2", wrong) is False
