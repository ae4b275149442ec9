"""Checkers of the digits chapter's coding exercises."""

import jax
import jax.numpy as jnp
import numpy as np

from .. import metrics
from ..data import load_digits
from ._registry import checker

__all__ = []


@checker("digits.memorization")
def _check_memorization(answer):
    """``answer(samples, train) -> (fraction_memorized, mean_nearest_distance)``, with the
    nearest/second-nearest criterion :math:`d_1/d_2 < 1/3`, on fresh digits."""
    split = load_digits(jax.random.key(11), n_train=200)
    train = split.train
    key = jax.random.key(12)
    k_pick, k_noise, k_kde = jax.random.split(key, 3)
    copies = train[jax.random.randint(k_pick, (30,), 0, train.shape[0])]
    near = copies + 0.02 * jax.random.normal(k_noise, copies.shape)
    far = split.test[:30] + 0.1 * jax.random.normal(k_kde, (30, 64))
    # blends of two training digits, with ratios d1/d2 on both sides of 1/3
    lam = jnp.linspace(0.62, 0.85, 40)[:, None]
    blend = lam * train[:40] + (1 - lam) * train[40:80]
    for name, samples in (("near-copies", near), ("held-out digits", far),
                          ("blends of two digits", blend),
                          ("a mixture", jnp.concatenate([near[:15], far[:25]]))):
        got = answer(samples, train)
        try:
            frac, dist = (float(v) for v in got)
        except (TypeError, ValueError) as err:
            raise AssertionError(f"expected a pair (fraction, mean distance), got {got!r}") from err
        rep = metrics.memorization_report(samples, train)
        want_f, want_d = float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance))
        assert abs(frac - want_f) < 1e-6, (
            f"on {name}: fraction memorized {frac:.4f}, expected {want_f:.4f} (a sample counts "
            "when its nearest training digit is closer than a third of its second-nearest)")
        assert np.isclose(dist, want_d, rtol=1e-4, atol=1e-5), (
            f"on {name}: mean nearest distance {dist:.4f}, expected {want_d:.4f}")
    return "the same numbers as md.metrics.memorization_report on four fresh sample sets."
