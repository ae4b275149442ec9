"""Manifolds: projections against closed forms and brute-force search, sampling, coordinates,
tangent spaces, embeddings, and argument errors."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
import scipy.stats

import manifold_diffusion.manifolds as mf


def _dkw(n, alpha=1e-3):
    """Dvoretzky-Kiefer-Wolfowitz bound: P(sup|F_n - F| > eps) <= alpha for this eps."""
    return math.sqrt(math.log(2 / alpha) / (2 * n))


CURVES = {
    "ellipse": mf.Ellipse(1.0, 2.0),
    "wavy": mf.WavyCircle(0.13, 8),
    "lima": mf.LimaBean(rotation=0.5 * np.pi),
    "helix": mf.ToroidalHelix(1.0, 0.3, 5),
    "rough": mf.RoughCurve(2.5),
    "lacunary": mf.LacunaryCurve(2.5, n_terms=5),
}

ALL = {                          # the rough curves share all code paths with "wavy" except _radius
    **{name: c for name, c in CURVES.items() if name not in ("rough", "lacunary")},
    "circle": mf.Circle(1.5),
    "sphere2": mf.Sphere(2, 0.7),
    "sphere5": mf.Sphere(5),
    "flat_torus": mf.FlatTorus(1.0, 0.5),
    "torus": mf.Torus(1.0, 0.4),
    "swiss_roll": mf.SwissRoll(),
    "subspace": mf.random_subspace(jax.random.key(3), 3, 7, offset_scale=1.0),
    "embedded": mf.embed(mf.WavyCircle(), 64, jax.random.key(4)),
}
WITH_COORDS = [name for name, m in ALL.items() if m.coord_low is not None]
B = 128          # one batch size throughout, so each manifold compiles each program once


def _offsets(key, m, n, scale):
    """Points near ``m``: samples plus normal noise of size ``scale``."""
    k1, k2 = jax.random.split(key)
    return m.sample(k1, n) + scale * jax.random.normal(k2, (n, m.d), jnp.result_type(float))


def _brute_curve(curve, x, n_grid=2 ** 18):
    """Nearest point among ``n_grid`` curve points, float64 NumPy, chunked over queries."""
    t = jnp.linspace(0.0, 2 * np.pi, n_grid, endpoint=False)
    pts = np.asarray(curve.point(t), dtype=np.float64)
    xs = np.asarray(x, dtype=np.float64)
    # float64 matrix-product form (cancellation ~1e-16) to pick the nearest, then exact distances
    sq = np.sum(pts ** 2, axis=1)
    nearest = np.concatenate([np.argmin(sq[None, :] - 2 * xs[i:i + 8] @ pts.T, axis=1)
                              for i in range(0, xs.shape[0], 8)])
    foot = pts[nearest]
    return np.linalg.norm(xs - foot, axis=1), foot


# ------------------------------------------------------------------------------ closed forms
@pytest.mark.parametrize("k", [1, 2, 4])
def test_sphere_projection_closed_form(key, k):
    radius = 1.3
    m = mf.Sphere(k, radius)
    x = 2.0 * jax.random.normal(key, (200, k + 1))
    norm = np.linalg.norm(np.asarray(x, np.float64), axis=1)
    np.testing.assert_allclose(m.distance(x), np.abs(norm - radius), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.project(x), radius * np.asarray(x) / norm[:, None], rtol=1e-5, atol=1e-6)
    assert m.reach == radius
    np.testing.assert_allclose(m.volume, {1: 2 * np.pi * radius, 2: 4 * np.pi * radius ** 2,
                                          4: 8 / 3 * np.pi ** 2 * radius ** 4}[k])


def test_subspace_closed_form(key):
    k_basis, k_x = jax.random.split(key)
    raw = jax.random.normal(k_basis, (9, 3))
    offset = jnp.arange(9.0) / 9
    m = mf.AffineSubspace(raw, offset)
    x = np.asarray(jax.random.normal(k_x, (100, 9)), np.float64)
    q, _ = np.linalg.qr(np.asarray(raw, np.float64))                     # independent reference
    rel = x - np.asarray(offset)[None, :]
    foot = np.asarray(offset)[None, :] + rel @ q @ q.T
    np.testing.assert_allclose(m.project(x), foot, atol=2e-5)
    np.testing.assert_allclose(m.distance(x), np.linalg.norm(rel - rel @ q @ q.T, axis=1), atol=2e-5)
    basis = np.asarray(m.tangent_basis(x[:5]))
    np.testing.assert_allclose(basis[0] @ basis[0].T, q @ q.T, atol=1e-5)   # same span
    assert m.reach == float("inf") and m.k == 3 and m.d == 9


def test_tori_closed_forms(key):
    x = 1.5 * jax.random.normal(key, (200, 4))
    flat = mf.FlatTorus(1.0, 0.5)
    xs = np.asarray(x, np.float64)
    rho1, rho2 = np.linalg.norm(xs[:, :2], axis=1), np.linalg.norm(xs[:, 2:], axis=1)
    np.testing.assert_allclose(flat.distance(x), np.hypot(rho1 - 1.0, rho2 - 0.5), rtol=1e-5, atol=1e-6)
    torus = mf.Torus(1.0, 0.4)
    y = xs[:, :3]
    ring = np.hypot(np.linalg.norm(y[:, :2], axis=1) - 1.0, y[:, 2])
    np.testing.assert_allclose(torus.distance(y), np.abs(ring - 0.4), rtol=1e-5, atol=1e-6)
    assert torus.reach == pytest.approx(0.4) and flat.reach == 0.5
    np.testing.assert_allclose(torus.volume, 4 * np.pi ** 2 * 0.4)


def test_ellipse_length_and_reach():
    """Length against the complete elliptic integral, reach against min(a,b)^2/max(a,b)."""
    a, b = 1.0, 2.0
    m = mf.Ellipse(a, b)
    exact = 4 * b * scipy.special.ellipe(1 - (a / b) ** 2)
    assert m.volume == pytest.approx(exact, rel=1e-6)
    assert m.reach == pytest.approx(0.5)
    # the numerical (Federer) reach of the generic curve machinery agrees with the closed form
    assert mf.ClosedCurve.reach.fget(m) == pytest.approx(0.5, rel=1e-3)
    # wavy circle: the radius of curvature r^3 / |r^2 - r r"| at a trough (r = 0.87, r" = 0.13 * 64)
    assert mf.WavyCircle().reach == pytest.approx(0.87 ** 3 / (0.87 * 8.32 - 0.87 ** 2), rel=1e-4)


# ------------------------------------------------------------------------- brute-force search
@pytest.mark.parametrize("name", list(CURVES))
def test_curve_projection_matches_brute_force(key, x64, name):
    curve = CURVES[name]
    tau = curve.reach
    k_near, k_far = jax.random.split(key)
    near = _offsets(k_near, curve, B, 0.3 * tau)[: B // 2]
    far = 1.5 * jax.random.normal(k_far, (B // 2, curve.d))               # anywhere, also near the medial axis
    x = jnp.concatenate([near, far])
    dist = np.asarray(curve.distance(x), np.float64)
    ref, ref_foot = _brute_curve(curve, x)
    # the grid's own error is at most half its arc spacing (< 2e-5 here); float32 rounding ~1e-6
    np.testing.assert_allclose(dist, ref, atol=3e-5)
    # within the reach the nearest point is unique, so the feet agree too. The squared distance
    # is flat at its minimum, so rounding of the grid points (1e-7 in float32) moves the brute
    # force's foot by up to sqrt(2e-7 / f'') ~ 1e-3 (float32) or about the grid spacing (float64)
    inside = np.asarray(ref) < 0.5 * tau
    foot = np.asarray(curve.project(x))
    np.testing.assert_allclose(foot[inside], ref_foot[inside], atol=5e-5 if x64 else 1e-3)


def test_swiss_roll_projection_matches_brute_force(key):
    roll = ALL["swiss_roll"]
    x = _offsets(key, roll, B, 0.3 * roll.reach)
    t = np.linspace(roll.t_min, roll.t_max, 2 ** 18)
    spiral = roll.scale * t[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1)
    xs = np.asarray(x, np.float64)
    plane = xs[:, [0, 2]]
    sq = np.sum(spiral ** 2, axis=1)
    d2 = np.sum(plane ** 2, axis=1) + np.concatenate(
        [np.min(sq[None, :] - 2 * plane[i:i + 8] @ spiral.T, axis=1) for i in range(0, xs.shape[0], 8)])
    height = xs[:, 1] - np.clip(xs[:, 1], 0.0, roll.height)
    np.testing.assert_allclose(roll.distance(x), np.sqrt(np.maximum(d2, 0) + height ** 2), atol=3e-5)
    # exact arc length against a fine polyline
    poly = np.sum(np.linalg.norm(np.diff(spiral, axis=0), axis=1))
    assert roll.volume / roll.height == pytest.approx(poly, rel=1e-6)


# ------------------------------------------------------------------ sampling and coordinates
@pytest.mark.parametrize("name", list(ALL))
def test_samples_lie_on_manifold_and_tangents_are_orthonormal(key, name):
    m = ALL[name]
    x = m.sample(key, B)
    assert x.shape == (B, m.d)
    assert float(jnp.max(m.distance(x))) < 1e-5 * max(1.0, float(jnp.max(jnp.abs(x))))
    # the tangent basis is orthonormal and orthogonal to x - P(x) for x within the reach
    tau = min(m.reach, 1.0)
    y = _offsets(jax.random.fold_in(key, 1), m, B, 0.2 * tau)
    keep = np.ones(B, bool)
    if name == "swiss_roll":                       # a surface with boundary: keep interior feet
        y = y.at[:, 1].set(jnp.clip(y[:, 1], 0.1, m.height - 0.1))
        s = np.asarray(m.coords(y)[:, 0])
        keep = (s > 0.05) & (s < m.coord_high[0] - 0.05)
    basis = m.tangent_basis(y)
    assert basis.shape == (B, m.d, m.k)
    gram = jnp.einsum("bdk,bdl->bkl", basis, basis)
    np.testing.assert_allclose(gram, jnp.broadcast_to(jnp.eye(m.k), gram.shape), atol=1e-5)
    normal = y - m.project(y)
    np.testing.assert_allclose(jnp.einsum("bdk,bd->bk", basis, normal)[keep], 0.0, atol=2e-5)


@pytest.mark.parametrize("name", WITH_COORDS)
def test_coordinates_round_trip_and_span_the_tangent_space(key, name):
    m = ALL[name]
    x, u = m.sample_with_coords(key, B)
    np.testing.assert_allclose(m.embed_coords(u), x, atol=2e-5)
    np.testing.assert_allclose(m.embed_coords(m.coords(x)), x, atol=5e-5)
    # keep away from the ends of the coordinate box (seams, poles, boundary)
    low, high = np.asarray(m.coord_low), np.asarray(m.coord_high)
    step = 1e-3 * (high - low)
    u = np.clip(np.asarray(u, np.float64), low + 0.05 * (high - low), high - 0.05 * (high - low))
    x = m.embed_coords(u)
    # central differences of the parametrisation, error O(step^2) + rounding 1e-7/step
    jac = np.stack([(np.asarray(m.embed_coords(u + step * e), np.float64)
                     - np.asarray(m.embed_coords(u - step * e), np.float64)) / (2 * step[i])
                    for i, e in enumerate(np.eye(m.k))], axis=2)              # (B, d, k)
    basis = np.asarray(m.tangent_basis(x), np.float64)
    resid = jac - np.einsum("bdk,bek,bel->bdl", basis, basis, jac)
    assert np.max(np.abs(resid)) < 2e-3 * np.max(np.abs(jac))             # it lies in the tangent space
    # volume coordinates: the Jacobian's Gram determinant is constant = vol / box volume
    gram_det = np.linalg.det(np.einsum("bdk,bdl->bkl", jac, jac))
    np.testing.assert_allclose(np.sqrt(gram_det), m.volume / np.prod(high - low), rtol=3e-3)


def test_uniform_on_ellipse_is_uniform_in_arc_length(key):
    """Arc length by the incomplete elliptic integral (independent of the library's table)."""
    a, b = 1.0, 2.0
    m = mf.Ellipse(a, b)
    n = 4000
    x = np.asarray(m.sample(key, n), np.float64)
    t = np.mod(np.arctan2(x[:, 1] / b, x[:, 0] / a), 2 * np.pi)
    mpar = 1 - (a / b) ** 2
    # ds = sqrt(a^2 sin^2 t + b^2 cos^2 t) dt = b sqrt(1 - m sin^2 t) dt, m = 1 - a^2 / b^2
    s = b * scipy.special.ellipeinc(t, mpar) / (4 * b * scipy.special.ellipe(mpar))
    assert scipy.stats.kstest(s, "uniform").statistic < _dkw(n)


def test_uniform_on_wavy_circle_against_polyline(key):
    m = mf.WavyCircle()
    n = 4000
    t = np.linspace(0, 2 * np.pi, 2 ** 18 + 1)
    r = 1 + 0.13 * np.sin(8 * t)
    pts = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    cum = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))])
    assert m.volume == pytest.approx(cum[-1], rel=1e-6)
    x = np.asarray(m.sample(key, n), np.float64)
    theta = np.mod(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi)
    s = np.interp(theta, t, cum) / cum[-1]
    assert scipy.stats.kstest(s, "uniform").statistic < _dkw(n)


def test_uniform_on_sphere_and_torus(key):
    n = 4000
    k1, k2, k3 = jax.random.split(key, 3)
    x = np.asarray(mf.Sphere(2, 2.0).sample(k1, n), np.float64)
    assert scipy.stats.kstest(x[:, 2], "uniform", args=(-2.0, 4.0)).statistic < _dkw(n)   # Archimedes
    x = np.asarray(mf.Sphere(5).sample(k2, n), np.float64)
    # the first coordinate of a uniform point on S^5 has density prop. to (1 - z^2)^{3/2}: Beta(5/2, 5/2)
    assert scipy.stats.kstest((x[:, 0] + 1) / 2, "beta", args=(2.5, 2.5)).statistic < _dkw(n)
    # torus: compare with rejection sampling from the (phi, theta) square, independent of Kepler
    torus = mf.Torus(1.0, 0.6)
    y = np.asarray(torus.sample(k3, n), np.float64)
    theta = np.arctan2(y[:, 2], np.linalg.norm(y[:, :2], axis=1) - 1.0)
    rng = np.random.default_rng(0)
    cand = rng.uniform(-np.pi, np.pi, 4 * n)
    ref = cand[rng.uniform(size=4 * n) < (1 + 0.6 * np.cos(cand)) / 1.6][:n]
    # two-sample KS at level 1e-3: c(alpha) sqrt((n+m)/(n m))
    assert scipy.stats.ks_2samp(theta, ref).statistic < 1.95 * math.sqrt(2 / n)


def test_embedding_is_isometric(key):
    base = mf.Ellipse()
    k_embed, k_y, k_n = jax.random.split(key, 3)
    m = mf.embed(base, 784, k_embed)
    assert (m.k, m.d, m.reach, m.volume) == (1, 784, base.reach, base.volume)
    frame = np.asarray(m.frame, np.float64)
    y = base.sample(k_y, 64) + 0.05 * jax.random.normal(k_y, (64, 2))
    noise = np.asarray(jax.random.normal(k_n, (64, 784)), np.float64)
    noise = 0.1 * (noise - noise @ frame @ frame.T)                        # orthogonal to the plane
    x = np.asarray(y, np.float64) @ frame.T + noise
    expected = np.sqrt(np.asarray(base.distance(y), np.float64) ** 2 + np.sum(noise ** 2, axis=1))
    np.testing.assert_allclose(m.distance(x), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.project(x), np.asarray(base.project(y)) @ frame.T, atol=1e-5)
    np.testing.assert_allclose(m.coords(x), base.coords(y), atol=1e-4)


def test_manifolds_are_pytrees_usable_under_jit(key):
    m = CURVES["ellipse"]
    x = _offsets(key, m, B, 0.1)
    out = jax.jit(lambda mm, xx: mm.project(xx))(m, x)
    np.testing.assert_allclose(out, m.project(x), atol=1e-6)
    leaves = jax.tree_util.tree_leaves(mf.embed(m, 10, key))
    assert all(isinstance(leaf, jax.Array) for leaf in leaves)
    with pytest.raises(Exception):
        m.a = 3.0                                                          # immutable


def test_float64_projection_is_more_accurate(key, x64):
    """In the float64 pass the Newton refinement reaches ~1e-12 (float32: ~1e-7)."""
    curve = CURVES["wavy"]
    x = _offsets(key, curve, B, 0.02)
    t = curve.nearest_parameter(x)
    g = curve.point(t)
    g1 = jax.vmap(jax.jacfwd(curve._point))(t)
    stationarity = jnp.abs(jnp.sum((x - g) * g1, axis=1))
    assert float(jnp.max(stationarity)) < (1e-10 if x64 else 1e-5)


# ------------------------------------------------------------------------------------ errors
def test_bad_inputs_raise_clear_errors(key):
    sphere = mf.Sphere(2)
    with pytest.raises(ValueError, match=r"x: expected shape \(\*, 3\)"):
        sphere.project(jnp.zeros((10, 2)))
    with pytest.raises(ValueError, match="x: expected at least 1 point"):
        sphere.distance(jnp.zeros((0, 3)))
    with pytest.raises(ValueError, match="x: expected finite"):
        CURVES["ellipse"].project(jnp.array([[0.0, jnp.nan]]))
    with pytest.raises(ValueError, match="k: expected k <= d"):
        mf.random_subspace(key, 5, 3)
    with pytest.raises(ValueError, match="basis: expected k <= d"):
        mf.AffineSubspace(jnp.ones((3, 5)))
    with pytest.raises(ValueError, match="d: expected d >= 3"):
        mf.embed(sphere, 2, key)
    with pytest.raises(ValueError, match="u: expected shape"):
        mf.Torus().embed_coords(jnp.zeros((4, 3)))
    with pytest.raises(ValueError, match="density"):
        mf.Torus().sample(key, 10, mf.VonMises())
    with pytest.raises(ValueError, match="density"):
        mf.Sphere(4).sample(key, 10, mf.VonMises())
    with pytest.raises(NotImplementedError, match="coordinates"):
        mf.Sphere(4).coords(jnp.ones((2, 5)))
    with pytest.raises(ValueError, match="beta"):
        mf.RoughCurve(0.5)
    with pytest.raises(ValueError, match="amplitude"):
        mf.WavyCircle(1.5)
    with pytest.raises(TypeError, match="n"):
        sphere.sample(key, 2.5)
