"""The digits loader and the rotation curve (manifold_diffusion.data)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_diffusion import data


def test_shapes_range_and_labels(key):
    split = data.load_digits(key)
    n_test = round(0.25 * data.N_DIGITS)
    assert split.train.shape == (data.N_DIGITS - n_test, 64)
    assert split.test.shape == (n_test, 64)
    assert split.train_labels.shape == (data.N_DIGITS - n_test,)
    for x in (split.train, split.test):
        assert float(x.min()) == 0.0 and float(x.max()) == 1.0   # 0 and 16 both occur
    assert set(np.unique(np.asarray(split.train_labels)).tolist()) == set(range(10))
    other = data.load_digits(key, value_range=(-1.0, 1.0))
    np.testing.assert_allclose(other.train, 2 * split.train - 1, atol=1e-6)


def test_split_reproducible_disjoint_nested(key):
    a, b = data.load_digits(key), data.load_digits(key)
    np.testing.assert_array_equal(a.train_index, b.train_index)
    np.testing.assert_array_equal(np.asarray(a.train), np.asarray(b.train))
    c = data.load_digits(jax.random.fold_in(key, 1))
    assert not np.array_equal(a.test_index, c.test_index)
    assert np.intersect1d(a.train_index, a.test_index).size == 0
    assert np.union1d(a.train_index, a.test_index).size == data.N_DIGITS
    # no image appears on both sides (by value, not only by row)
    tr = {tuple(r) for r in np.asarray(a.train).round(4).tolist()}
    assert not any(tuple(r) in tr for r in np.asarray(a.test).round(4).tolist())
    small = data.load_digits(key, n_train=100)
    np.testing.assert_array_equal(small.train_index, a.train_index[:100])
    np.testing.assert_array_equal(small.test_index, a.test_index)


def test_classes_and_bad_input(key):
    split = data.load_digits(key, classes=[3, 7])
    assert set(np.unique(np.concatenate([np.asarray(split.train_labels),
                                         np.asarray(split.test_labels)])).tolist()) == {3, 7}
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_digits(key, test_fraction=1.5)
    with pytest.raises(ValueError, match="n_train"):
        data.load_digits(key, n_train=5000)
    with pytest.raises(ValueError, match="classes"):
        data.load_digits(key, classes=[12])
    with pytest.raises(ValueError, match="value_range"):
        data.load_digits(key, value_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="image"):
        data.RotationCurve(jnp.zeros(10))


@pytest.fixture(scope="module")
def curve():
    split = data.load_digits(jax.random.key(0))
    first = int(np.flatnonzero(np.asarray(split.train_labels) == 2)[0])
    return data.RotationCurve(split.train[first])


def test_curve_quarter_turn_and_period(curve):
    g = np.asarray(curve.point(jnp.asarray([0.0, np.pi / 2, 2 * np.pi])))
    # the 8x8 grid is symmetric under quarter turns: gamma(pi/2) is gamma(0) turned exactly
    np.testing.assert_allclose(np.rot90(g[0].reshape(8, 8)).ravel(), g[1], atol=1e-5)
    np.testing.assert_allclose(g[0], g[2], atol=1e-5)


def test_curve_projection_is_exact(curve, key):
    """Points at a small normal offset from gamma(theta0) project back to gamma(theta0), and the
    projection is never farther than the best of a brute-force search over 20,000 angles."""
    theta0 = jnp.linspace(0.1, 6.0, 12)
    p = curve.point(theta0)
    basis = curve.tangent_basis(p)[:, :, 0]
    z = jax.random.normal(key, p.shape)
    normal = z - jnp.sum(z * basis, axis=1, keepdims=True) * basis
    normal = normal / jnp.linalg.norm(normal, axis=1, keepdims=True)
    x = p + 0.05 * normal                        # well inside the reach
    theta = np.asarray(curve.nearest_parameter(x))
    diff = np.angle(np.exp(1j * (theta - np.asarray(theta0))))
    assert np.max(np.abs(diff)) < 2e-3
    np.testing.assert_allclose(curve.distance(x), 0.05, atol=2e-3)
    dense = np.asarray(curve.point(jnp.linspace(0.0, 2 * np.pi, 20000, endpoint=False)))
    y = np.asarray(x) + 0.3 * np.asarray(jax.random.normal(jax.random.fold_in(key, 1), x.shape))
    brute = np.min(np.linalg.norm(y[:, None, :] - dense[None, :, :], axis=2), axis=1)
    assert np.all(np.asarray(curve.distance(y)) <= brute + 1e-4)


def test_tabulated_curve_and_training_images(curve):
    table = curve.tabulated(256)
    tr = data.rotation_curve_data(curve, 16)
    assert tr.shape == (16, 64)
    np.testing.assert_allclose(curve.distance(tr), 0.0, atol=1e-3)
    # the table look-up is within half a table spacing of the exact projection
    spacing = curve.length / 256
    x = tr + 0.01
    assert float(jnp.max(jnp.linalg.norm(table.project(x) - curve.project(x), axis=1))) < spacing
    t = table.tangent_basis(x)
    np.testing.assert_allclose(jnp.linalg.norm(t[:, :, 0], axis=1), 1.0, atol=1e-5)
