"""The exercise checkers accept a right answer and reject wrong ones with a message."""

import jax
import jax.numpy as jnp
import pytest

from manifold_diffusion import exercises


def _tweedie(data, x, t, process):
    alpha, sigma = process.marginal(t)
    sq = jnp.sum((x[:, None, :] - alpha * data[None, :, :]) ** 2, axis=-1)
    return jax.nn.softmax(-sq / (2 * sigma**2), axis=1) @ data


def test_basics_tweedie_accepts_the_posterior_mean():
    assert exercises.check("basics.tweedie", _tweedie, strict=True, verbose=False)


@pytest.mark.parametrize("wrong", [
    lambda data, x, t, p: jnp.broadcast_to(data.mean(0), x.shape),               # forgets x
    lambda data, x, t, p: jax.nn.softmax(                                        # forgets alpha_t
        -jnp.sum((x[:, None] - data[None]) ** 2, -1) / (2 * p.marginal(t)[1] ** 2), axis=1) @ data,
    lambda data, x, t, p: _tweedie(data, x, t, p)[:1],                           # wrong shape
    "not a function",
])
def test_basics_tweedie_rejects_wrong_answers(wrong, capsys):
    assert exercises.check("basics.tweedie", wrong) is False
    assert "not yet" in capsys.readouterr().out
    with pytest.raises(exercises.CheckFailed, match="basics.tweedie"):
        exercises.check("basics.tweedie", wrong, strict=True, verbose=False)


def test_available_lists_registered_checkers():
    assert "basics.tweedie" in exercises.available()


def _gap(samples, n):
    import numpy as np

    theta = np.arctan2(samples[:, 1], samples[:, 0])
    position = np.mod(theta, 2 * np.pi / n) / (2 * np.pi / n)
    return np.mean((position >= 0.25) & (position < 0.75))


def test_smoothing_gap_centre_accepts_the_statistic():
    assert exercises.check("smoothing.gap_centre", _gap, strict=True, verbose=False)


@pytest.mark.parametrize("wrong", [
    lambda s, n: 0.5,                                                   # a constant
    lambda s, n: _gap(s, 12),                                           # ignores n
    lambda s, n: 1 - _gap(s, n),                                        # the complement
    lambda s, n: jnp.array([_gap(s, n)] * 2),                           # not a number
])
def test_smoothing_gap_centre_rejects_wrong_answers(wrong):
    assert exercises.check("smoothing.gap_centre", wrong, verbose=False) is False
