"""RoughSphere, the k = 2 surface of the rates chapter: closed forms at a = 0, its projection against
a dense search, its volume coordinates against jax.jacfwd of the parametrisation, and chord-cap
masses against counts of a uniform sample."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.manifolds import RoughSphere
from manifold_diffusion.manifolds._base import curve_nearest_parameter


def test_unit_sphere_closed_forms():
    s = RoughSphere(2.5, 0.0)
    assert s.volume == pytest.approx(4 * math.pi, rel=1e-7)
    assert s.reach == pytest.approx(1.0, rel=1e-3)
    u = np.array([[0.3, 0.0], [1.0, 1.0], [2.0, 0.5 * s.area_width], [5.0, s.area_width]])
    for delta in (0.02, 0.2, 0.8):
        # Archimedes: a chord cap of radius delta on the unit sphere has area pi delta^2
        np.testing.assert_allclose(s.cap_mass(u, delta), delta ** 2 / 4, rtol=1e-2)


def test_projection_agrees_with_a_dense_search(key):
    s = RoughSphere(2.5)
    x = s.sample(key, 300)
    x = x + 0.05 * jax.random.normal(jax.random.fold_in(key, 1), x.shape)
    q = jnp.stack([jnp.hypot(x[:, 0], x[:, 1]), x[:, 2]], axis=1)
    dense = curve_nearest_parameter(s._meridian, q, t_low=0.0, t_high=math.pi, periodic=False, n_grid=2048)
    p = s.project(x)
    # the foot lies on the surface, on the meridian plane of x, at the dense search's angle
    ref = s._point(jnp.arctan2(x[:, 1], x[:, 0]), dense)
    assert float(jnp.max(jnp.linalg.norm(p - ref, axis=1))) < 2e-5
    # and x - p is normal to the surface
    basis = s.tangent_basis(x)
    assert float(jnp.max(jnp.abs(jnp.einsum("bd,bdk->bk", x - p, basis)))) < 2e-5


def test_volume_coordinates_have_unit_area_element(key):
    """The Gram determinant of the parametrisation u -> x(u) is 1 (jax.jacfwd)."""
    s = RoughSphere(4.5)
    u = s.sample_with_coords(key, 16)[1]
    u = u.at[:, 1].set(jnp.clip(u[:, 1], 0.05 * s.area_width, 0.95 * s.area_width))
    jac = jax.vmap(jax.jacfwd(lambda v: s._embed_coords(v[None])[0]))(u)           # (b, 3, 2)
    det = jnp.linalg.det(jnp.einsum("bdi,bdj->bij", jac, jac))
    # the tables are linear interpolations on 2^14 cells: their derivative is accurate to ~1e-3
    np.testing.assert_allclose(np.asarray(det), 1.0, atol=5e-3)


def test_cap_masses_match_counts(key):
    s = RoughSphere(2.5)
    x = np.asarray(s.sample(key, 200_000), np.float64)
    u = np.asarray(s.sample_with_coords(jax.random.fold_in(key, 1), 6)[1])
    centres = np.asarray(s.embed_coords(u), np.float64)
    for delta in (0.15, 0.4):
        counts = np.mean(np.linalg.norm(x[None] - centres[:, None], axis=2) <= delta, axis=1)
        mass = s.cap_mass(u, delta)
        # binomial standard error sqrt(m/n) ~ 0.5e-4 .. 1.5e-4: four of them
        assert np.all(np.abs(counts - mass) <= 4 * np.sqrt(mass / x.shape[0])), (counts, mass)


def test_embedded_surface_and_bad_inputs(key):
    s = md.manifolds.embed(RoughSphere(2.5), 10, key)
    x = s.sample(key, 10)
    assert float(jnp.max(s.distance(x))) < 1e-5
    with pytest.raises(ValueError, match="beta"):
        RoughSphere(0.5)
    with pytest.raises(ValueError, match="amplitude"):
        RoughSphere(2.5, 1.5)
    with pytest.raises(ValueError, match="u"):
        RoughSphere(2.5).cap_mass(np.zeros((3, 3)), 0.1)
    with pytest.raises(ValueError, match="delta"):
        RoughSphere(2.5).cap_mass(np.zeros((3, 2)), -0.1)
