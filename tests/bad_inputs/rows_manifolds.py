"""Bad-input rows: manifolds, their shared numerical routines, and densities on them.

Format and classes as in ``rows_core.py``.
"""

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion import manifolds as mf

KEY = jax.random.key(0)
CIRCLE = mf.Circle()
SPHERE = mf.Sphere(2)
ELLIPSE = mf.Ellipse(1.0, 2.0, n_grid=64)
TORUS = mf.Torus()
SUB = mf.AffineSubspace(jnp.eye(3)[:, :2])
VM = mf.VonMises(0.0, 2.0)
PROD = mf.ProductDensity([None, None])

M = "manifold_diffusion.manifolds."


def _point(t):
    return jnp.stack([jnp.cos(t), jnp.sin(t)])


KEYS = [
    (M + "Manifold", lambda: CIRCLE.sample(0, 5), TypeError, "key:"),
    (M + "Manifold", lambda: SPHERE.sample("key", 5), TypeError, "key:"),
    (M + "Manifold", lambda: ELLIPSE.sample_with_coords(jnp.zeros(3), 5), TypeError, "key:"),
    (M + "random_subspace", lambda: mf.random_subspace(3, 1, 2), TypeError, "key:"),
    (M + "embed", lambda: mf.embed(CIRCLE, 5, 0), TypeError, "key:"),
    (M + "CircularDensity", lambda: VM.sample(1, 4), TypeError, "key:"),
    (M + "Uniform", lambda: mf.Uniform().sample("k", 4), TypeError, "key:"),
    (M + "PiecewiseConstant", lambda: mf.PiecewiseConstant().sample(2.0, 4), TypeError, "key:"),
    (M + "ProductDensity", lambda: PROD.sample(5, 4), TypeError, "key:"),
]

OBJECTS = [
    (M + "Manifold", lambda: mf.Manifold(), TypeError, "abstract"),
    (M + "ClosedCurve", lambda: mf.ClosedCurve(), TypeError, "abstract"),
    (M + "RadialCurve", lambda: mf.RadialCurve(), TypeError, "abstract"),
    (M + "CircularDensity", lambda: mf.CircularDensity(), TypeError, "abstract"),
    (M + "Manifold", lambda: CIRCLE.sample(KEY, 5, density="uniform"), TypeError, "density:"),
    (M + "Manifold", lambda: TORUS.sample(KEY, 5, density=VM), ValueError, "density:"),
    (M + "Manifold", lambda: mf.Sphere(3).sample(KEY, 5, density=VM), ValueError, "density:"),
    (M + "Manifold", lambda: mf.Sphere(3).coords(jnp.ones((2, 4))), NotImplementedError, "coordinates"),
    (M + "Manifold", lambda: CIRCLE.log_prob(jnp.zeros(3), density=3), TypeError, "density:"),
    (M + "Embedded", lambda: mf.Embedded("circle", jnp.eye(3)[:, :2]), TypeError, "base:"),
    (M + "embed", lambda: mf.embed("circle", 5, KEY), TypeError, "manifold:"),
    (M + "ProductDensity", lambda: mf.ProductDensity([VM, "uniform"]), TypeError, "factors:"),
    (M + "ProductDensity", lambda: mf.ProductDensity(3), TypeError, "factors:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace("basis"), TypeError, "basis:"),
    (M + "LimaBean", lambda: mf.LimaBean(rotation="quarter"), TypeError, "rotation:"),
    (M + "WavyCircle", lambda: mf.WavyCircle(amplitude="a"), TypeError, "amplitude:"),
    (M + "SwissRoll", lambda: mf.SwissRoll(t_min="0"), TypeError, "t_min:"),
    (M + "wrap_angle", lambda: mf.wrap_angle("pi"), TypeError, "theta:"),
]

SHAPES = [
    (M + "Manifold", lambda: CIRCLE.project(jnp.zeros((3, 3))), ValueError, "x:"),
    (M + "Manifold", lambda: CIRCLE.project(jnp.zeros((0, 2))), ValueError, "x:"),
    (M + "Manifold", lambda: SPHERE.distance(jnp.zeros((2, 2))), ValueError, "x:"),
    (M + "Manifold", lambda: TORUS.coords(jnp.zeros(2)), ValueError, "x:"),
    (M + "Manifold", lambda: SUB.tangent_basis(jnp.zeros((2, 2, 3))), ValueError, "x:"),
    (M + "Manifold", lambda: TORUS.embed_coords(jnp.zeros((3, 3))), ValueError, "u:"),
    (M + "Manifold", lambda: SPHERE.density_coords(jnp.zeros((3, 1))), ValueError, "u:"),
    (M + "Manifold", lambda: TORUS.log_prob(jnp.zeros((4, 3))), ValueError, "u:"),
    (M + "ClosedCurve", lambda: ELLIPSE.nearest_parameter(jnp.zeros((2, 3))), ValueError, "x:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace(jnp.ones((2, 3))), ValueError, "basis:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace(jnp.eye(3)[:, :2], offset=jnp.zeros(2)), ValueError,
     "offset:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace(jnp.zeros((3, 0))), ValueError, "basis:"),
    (M + "Embedded", lambda: mf.Embedded(CIRCLE, jnp.eye(3)), ValueError, "frame:"),
    (M + "Embedded", lambda: mf.Embedded(CIRCLE, 2.0 * jnp.eye(3)[:, :2]), ValueError, "frame:"),
    (M + "embed", lambda: mf.embed(SPHERE, 2, KEY), ValueError, "d:"),
    (M + "random_subspace", lambda: mf.random_subspace(KEY, 4, 2), ValueError, "k:"),
    (M + "VonMisesMixture", lambda: mf.VonMisesMixture(jnp.zeros((2, 2))), ValueError, "means:"),
    (M + "VonMisesMixture", lambda: mf.VonMisesMixture([0.0, 1.0], weights=[1.0, 1.0, 1.0]), ValueError,
     "weights:"),
    (M + "PiecewiseConstant", lambda: mf.PiecewiseConstant([1.0, 2.0], edges=[0.0, 2 * np.pi]), ValueError,
     "edges:"),
    (M + "ProductDensity", lambda: mf.ProductDensity([]), ValueError, "factors:"),
    (M + "curve_reach", lambda: mf.curve_reach(np.zeros((16, 2)), np.zeros((15, 2)), np.zeros((16, 2)),
                                               periodic=True), ValueError, "first:"),
    (M + "curve_reach", lambda: mf.curve_reach(np.zeros(16), np.zeros(16), np.zeros(16), periodic=True),
     ValueError, "points:"),
    (M + "curve_nearest_parameter", lambda: mf.curve_nearest_parameter(_point, jnp.zeros(2), t_low=0.0,
                                                                       t_high=2 * np.pi, periodic=True,
                                                                       n_grid=32), ValueError, "x:"),
    (M + "solve_monotone", lambda: mf.solve_monotone(jnp.sin, jnp.cos, jnp.zeros(3), jnp.zeros(2), 1.0),
     ValueError, "low:"),
    (M + "point_derivatives", lambda: mf.point_derivatives(_point, jnp.zeros(3)), ValueError, "t:"),
]

VALUES = [
    (M + "Manifold", lambda: CIRCLE.sample(KEY, 0), ValueError, "n:"),
    (M + "Manifold", lambda: CIRCLE.sample(KEY, -3), ValueError, "n:"),
    (M + "Manifold", lambda: CIRCLE.sample(KEY, 2.5), TypeError, "n:"),
    (M + "Manifold", lambda: CIRCLE.project(jnp.full((2, 2), jnp.nan)), ValueError, "x:"),
    (M + "Sphere", lambda: mf.Sphere(0), ValueError, "k:"),
    (M + "Sphere", lambda: mf.Sphere(2, radius=-1.0), ValueError, "radius:"),
    (M + "Circle", lambda: mf.Circle(0.0), ValueError, "radius:"),
    (M + "Circle", lambda: mf.Circle("one"), TypeError, "radius:"),
    (M + "Ellipse", lambda: mf.Ellipse(-1.0, 2.0), ValueError, "a:"),
    (M + "Ellipse", lambda: mf.Ellipse(1.0, 2.0, n_grid=4), ValueError, "n_grid:"),
    (M + "WavyCircle", lambda: mf.WavyCircle(1.5), ValueError, "amplitude:"),
    (M + "WavyCircle", lambda: mf.WavyCircle(0.1, frequency=-2), ValueError, "frequency:"),
    (M + "LimaBean", lambda: mf.LimaBean(scale=0.0), ValueError, "scale:"),
    (M + "ToroidalHelix", lambda: mf.ToroidalHelix(1.0, 2.0), ValueError, "minor_radius:"),
    (M + "ToroidalHelix", lambda: mf.ToroidalHelix(1.0, 0.3, turns=0), ValueError, "turns:"),
    (M + "RoughCurve", lambda: mf.RoughCurve(0.5), ValueError, "beta:"),
    (M + "RoughCurve", lambda: mf.RoughCurve(2.5, amplitude=-0.2), ValueError, "amplitude:"),
    (M + "LacunaryCurve", lambda: mf.LacunaryCurve(1.5, amplitude=5.0), ValueError, "amplitude:"),
    (M + "LacunaryCurve", lambda: mf.LacunaryCurve(1.5, n_terms=0), ValueError, "n_terms:"),
    (M + "FlatTorus", lambda: mf.FlatTorus(-1.0), ValueError, "radius1:"),
    (M + "FlatTorus", lambda: mf.FlatTorus(1.0, 0.0), ValueError, "radius2:"),
    (M + "Torus", lambda: mf.Torus(1.0, 1.5), ValueError, "minor_radius:"),
    (M + "Torus", lambda: mf.Torus(-1.0, 0.5), ValueError, "major_radius:"),
    (M + "SwissRoll", lambda: mf.SwissRoll(t_min=5.0, t_max=1.0), ValueError, "t_min:"),
    (M + "SwissRoll", lambda: mf.SwissRoll(height=-2.0), ValueError, "height:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace(jnp.ones((3, 2))), ValueError, "basis:"),
    (M + "AffineSubspace", lambda: mf.AffineSubspace(jnp.eye(3)[:, :2], extent=0.0), ValueError, "extent:"),
    (M + "random_subspace", lambda: mf.random_subspace(KEY, 0, 3), ValueError, "k:"),
    (M + "random_subspace", lambda: mf.random_subspace(KEY, 1, 3, offset_scale=-1.0), ValueError, "offset_scale:"),
    (M + "VonMises", lambda: mf.VonMises(0.0, -1.0), ValueError, "concentration:"),
    (M + "VonMises", lambda: mf.VonMises(jnp.nan, 1.0), ValueError, "mean:"),
    (M + "VonMisesMixture", lambda: mf.VonMisesMixture([0.0, 1.0], concentrations=0.0), ValueError,
     "concentrations:"),
    (M + "separated_modes", lambda: mf.separated_modes(0), ValueError, "n_modes:"),
    (M + "separated_modes", lambda: mf.separated_modes(3, concentration=-5.0), ValueError, "concentrations:"),
    (M + "PiecewiseConstant", lambda: mf.PiecewiseConstant([1.0, -1.0]), ValueError, "values:"),
    (M + "PiecewiseConstant", lambda: mf.PiecewiseConstant([1.0, 2.0], edges=[0.0, 4.0, 2.0]), ValueError,
     "edges:"),
    (M + "Cusp", lambda: mf.Cusp(exponent=0.0), ValueError, "exponent:"),
    (M + "Cusp", lambda: mf.Cusp(floor=-1.0), ValueError, "floor:"),
    (M + "CircularDensity", lambda: VM.sample(KEY, 0), ValueError, "n:"),
    (M + "ProductDensity", lambda: PROD.sample(KEY, -1), ValueError, "n:"),
    (M + "curve_nearest_parameter", lambda: mf.curve_nearest_parameter(_point, jnp.zeros((2, 2)), t_low=0.0,
                                                                       t_high=2 * np.pi, periodic=True,
                                                                       n_grid=1), ValueError, "n_grid:"),
    (M + "curve_nearest_parameter", lambda: mf.curve_nearest_parameter(_point, jnp.zeros((2, 2)), t_low=1.0,
                                                                       t_high=0.0, periodic=True,
                                                                       n_grid=32), ValueError, "t_high:"),
    (M + "solve_monotone", lambda: mf.solve_monotone(jnp.sin, jnp.cos, 0.5, 0.0, 1.0, n_iter=0), ValueError,
     "n_iter:"),
    (M + "curve_reach", lambda: mf.curve_reach(np.zeros((16, 2)), np.zeros((16, 2)), np.zeros((16, 2)),
                                               periodic=True, pair_stride=0), ValueError, "pair_stride:"),
]

ROWS = KEYS + OBJECTS + SHAPES + VALUES
