"""Bad-input rows: exact, empirical, population and smoothed scores, the point-mixture base, the KDE.

Format and classes as in ``rows_core.py``.
"""

import jax
import jax.numpy as jnp

import manifold_diffusion as md
from manifold_diffusion.kde import GaussianKDE
from manifold_diffusion.scores import PointMixtureScore, SmoothedScore, streaming_softmax_stats

KEY = jax.random.key(0)
VP, VE = md.VP(), md.VE()
DATA = jnp.asarray([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
EMP = md.EmpiricalScore(DATA, VE)
MIX = md.gaussian(jnp.zeros(2), jnp.eye(2))
EXACT = md.MixtureScore(MIX, VP)
CIRCLE = md.manifolds.Circle()
POP = md.PopulationScore(CIRCLE, None, VE, n_nodes=64)
SMOOTH = SmoothedScore(EMP, 0.1, 4, KEY)
KDE = GaussianKDE(DATA, 0.2, VE)
PTS, SQ, OK = jnp.zeros((4, 2)), jnp.zeros(4), jnp.ones(4, bool)

SC = "manifold_diffusion.scores."

KEYS = [
    (SC + "GaussianMixture", lambda: MIX.sample(5, 3), TypeError, "key:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, 0), TypeError, "key:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, "key"), TypeError, "key:"),
    (SC + "score_departure", lambda: md.score_departure(1, DATA, POP, [0.5, 1.0], 0.5), TypeError, "key:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE.sample(2.0, 3), TypeError, "key:"),
]

TIMES = [
    (SC + "EmpiricalScore", lambda: EMP(DATA, 0.0), ValueError, "t:"),
    (SC + "EmpiricalScore", lambda: EMP(DATA, -1.0), ValueError, "t:"),
    (SC + "EmpiricalScore", lambda: EMP(DATA, 9.5), ValueError, "t:"),
    (SC + "EmpiricalScore", lambda: EMP.denoise(DATA, 0.0), ValueError, "t:"),
    (SC + "EmpiricalScore", lambda: EMP.log_prob(DATA, jnp.inf), ValueError, "t:"),
    (SC + "PointMixtureScore", lambda: POP.log_prob(jnp.ones((3, 2)), 10.0), ValueError, "t:"),
    (SC + "PopulationScore", lambda: POP(jnp.ones((3, 2)), 0.0), ValueError, "t:"),
    (SC + "PopulationScore", lambda: POP(jnp.ones((3, 2)), 1e-6), ValueError, "n_nodes:"),
    (SC + "PopulationScore", lambda: POP.min_sigma(-1.0), ValueError, "t:"),
    (SC + "MixtureScore", lambda: EXACT(DATA, 0.0), ValueError, "t:"),
    (SC + "MixtureScore", lambda: EXACT.log_prob(DATA, 5.5), ValueError, "t:"),
    (SC + "GaussianMixture", lambda: MIX.noised(VP, -0.5), ValueError, "t:"),
    (SC + "SmoothedScore", lambda: SMOOTH(DATA, 0.0), ValueError, "t:"),
    (SC + "SmoothedScore", lambda: SMOOTH.log_prob(DATA, -2.0), ValueError, "t:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [0.5, 10.0], 0.5), ValueError, "times:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [0.0, 1.0], 0.5), ValueError, "times:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE(DATA, 0.0), ValueError, "t:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE(DATA, 12.0), ValueError, "t:"),
]

OBJECTS = [
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(DATA, "VE"), TypeError, "process:"),
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(DATA, VE, devices="cpu"), TypeError, "devices:"),
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(DATA, VE, devices=[]), ValueError, "devices:"),
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore("data", VE), TypeError, "data:"),
    (SC + "PointMixtureScore", lambda: PointMixtureScore(), TypeError, "abstract"),
    (SC + "PopulationScore", lambda: md.PopulationScore("circle", None, VE, n_nodes=64), TypeError, "manifold:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(CIRCLE, None, 9.0, n_nodes=64), TypeError, "process:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(CIRCLE, "uniform", VE, n_nodes=64), TypeError, "density:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(md.manifolds.Sphere(3), None, VE, n_nodes=8),
     ValueError, "manifold:"),
    (SC + "MixtureScore", lambda: md.MixtureScore("gaussian", VP), TypeError, "mixture:"),
    (SC + "MixtureScore", lambda: md.MixtureScore(MIX, "VP"), TypeError, "process:"),
    (SC + "GaussianMixture", lambda: MIX.noised("VP", 0.5), TypeError, "process:"),
    (SC + "SmoothedScore", lambda: SmoothedScore("score", 0.1, 4, KEY), TypeError, "score:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, manifold="circle"), TypeError, "manifold:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, manifold=md.manifolds.Sphere(2)),
     ValueError, "manifold:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, covariance=jnp.eye(2), manifold=CIRCLE),
     ValueError, "covariance:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(lambda x, t: x, 0.1, 4, KEY), ValueError, "d:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(lambda x, t: -x, 0.1, 4, KEY, d=2).log_prob(DATA, 0.5),
     TypeError, "score:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, EMP, [0.5, 1.0], 0.5),
     TypeError, "population_score:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, 0.2, "VE"), TypeError, "process:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, 0.2)(DATA, 0.5), ValueError, "process:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, "wide"), TypeError, "bandwidth:"),
]

SHAPES = [
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(jnp.zeros(4), VE), ValueError, "data:"),
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(jnp.zeros((0, 2)), VE), ValueError, "data:"),
    (SC + "EmpiricalScore", lambda: EMP(jnp.zeros((3, 5)), 0.5), ValueError, "x:"),
    (SC + "EmpiricalScore", lambda: EMP(DATA, jnp.ones(4)), ValueError, "t:"),
    (SC + "EmpiricalScore", lambda: EMP.denoise(jnp.zeros(3), 0.5), ValueError, "x:"),
    (SC + "EmpiricalScore", lambda: EMP.log_prob(jnp.zeros((2, 2, 2)), 0.5), ValueError, "x:"),
    (SC + "PopulationScore", lambda: POP(jnp.zeros((3, 3)), 0.5), ValueError, "x:"),
    (SC + "PopulationScore", lambda: POP.denoise(jnp.zeros((3, 2)), jnp.ones(3)), ValueError, "t:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.ones(2) / 2, jnp.zeros((3, 2)),
                                                        jnp.stack([jnp.eye(2)] * 3)), ValueError, "weights:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.ones(1), jnp.zeros((1, 2)), jnp.eye(2)[None, :1]),
     ValueError, "covariances:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.ones(1), jnp.zeros(2), jnp.eye(2)[None]),
     ValueError, "means:"),
    (SC + "GaussianMixture", lambda: MIX.log_prob(jnp.zeros((3, 3))), ValueError, "x:"),
    (SC + "GaussianMixture", lambda: MIX.score(jnp.zeros(5)), ValueError, "x:"),
    (SC + "gaussian", lambda: md.gaussian(jnp.zeros(2), jnp.eye(3)), ValueError, "covariance:"),
    (SC + "gaussian", lambda: md.gaussian(jnp.zeros((2, 2)), jnp.eye(2)), ValueError, "mean:"),
    (SC + "MixtureScore", lambda: EXACT(jnp.zeros((3, 4)), 0.5), ValueError, "x:"),
    (SC + "MixtureScore", lambda: EXACT(DATA, jnp.ones(2)), ValueError, "t:"),
    (SC + "SmoothedScore", lambda: SMOOTH(jnp.zeros((3, 3)), 0.5), ValueError, "x:"),
    (SC + "SmoothedScore", lambda: SMOOTH.displacements(jnp.zeros(2)), ValueError, "x:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, covariance=jnp.eye(3)), ValueError,
     "covariance:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, jnp.zeros((4, 3)), POP, [0.5, 1.0], 0.5),
     ValueError, "data:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [[0.5, 1.0]], 0.5), ValueError, "times:"),
    (SC + "streaming_softmax_stats", lambda: streaming_softmax_stats(jnp.zeros((2, 3)), PTS, SQ, OK, 1.0, 1.0, 2),
     ValueError, "points:"),
    (SC + "streaming_softmax_stats", lambda: streaming_softmax_stats(jnp.zeros((2, 2)), PTS, jnp.zeros(3), OK,
                                                                     1.0, 1.0, 2), ValueError, "sq_norms:"),
    (SC + "streaming_softmax_stats", lambda: streaming_softmax_stats(jnp.zeros((2, 2)), PTS, SQ, OK, 1.0, 1.0, 3),
     ValueError, "chunk_size:"),
    (SC + "streaming_softmax_stats", lambda: streaming_softmax_stats(jnp.zeros((2, 2)), PTS, SQ, SQ, 1.0, 1.0, 2),
     TypeError, "valid:"),
    (SC + "streaming_softmax_stats", lambda: streaming_softmax_stats(jnp.zeros((2, 2)), PTS, SQ, OK,
                                                                     jnp.ones(2), 1.0, 2), ValueError, "scale_inner:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(jnp.zeros(4), 0.1), ValueError, "data:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE.log_prob(jnp.zeros((3, 3))), ValueError, "x:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE.score(jnp.zeros(3)), ValueError, "x:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE(DATA, jnp.ones(4)), ValueError, "t:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, jnp.ones(2)), TypeError, "bandwidth:"),
]

VALUES = [
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(jnp.full((3, 2), jnp.nan), VE), ValueError, "data:"),
    (SC + "EmpiricalScore", lambda: md.EmpiricalScore(DATA, VE, chunk_size=0), ValueError, "chunk_size:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(CIRCLE, None, VE, n_nodes=2), ValueError, "n_nodes:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(CIRCLE, None, VE, n_nodes=-64), ValueError, "n_nodes:"),
    (SC + "PopulationScore", lambda: md.PopulationScore(CIRCLE, None, VE, n_nodes=64, chunk_size=0),
     ValueError, "chunk_size:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.array([0.5, 0.6]), jnp.zeros((2, 1)),
                                                        jnp.ones((2, 1, 1))), ValueError, "weights:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.array([1.5, -0.5]), jnp.zeros((2, 1)),
                                                        jnp.ones((2, 1, 1))), ValueError, "weights:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.ones(1), jnp.zeros((1, 2)),
                                                        jnp.array([[[1.0, 2.0], [0.0, 1.0]]])), ValueError,
     "covariances:"),
    (SC + "GaussianMixture", lambda: md.GaussianMixture(jnp.ones(1), jnp.zeros((1, 2)), -jnp.eye(2)[None]),
     ValueError, "covariances:"),
    (SC + "GaussianMixture", lambda: MIX.sample(KEY, 0), ValueError, "n:"),
    (SC + "gaussian", lambda: md.gaussian(jnp.array([jnp.nan, 0.0]), jnp.eye(2)), ValueError, "means:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, -0.1, 4, KEY), ValueError, "bandwidth:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, jnp.nan, 4, KEY), ValueError, "bandwidth:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 3, KEY), ValueError, "n_draws:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 0, KEY), ValueError, "n_draws:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, max_rows=0), ValueError, "max_rows:"),
    (SC + "SmoothedScore", lambda: SmoothedScore(EMP, 0.1, 4, KEY, covariance=-jnp.eye(2)), ValueError,
     "covariance:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [0.5, 1.0], 0.0), ValueError, "threshold:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [0.5, 0.5], 0.5), ValueError, "times:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, DATA, POP, [0.5, 1.0], 0.5, n_eval=0),
     ValueError, "n_eval:"),
    (SC + "score_departure", lambda: md.score_departure(KEY, jnp.full((4, 2), jnp.inf), POP, [0.5, 1.0], 0.5),
     ValueError, "data:"),
    (SC + "departure_level", lambda: md.scores.departure_level([0.2, 0.1], [1.0, 0.5], 0.7), ValueError, "sigmas:"),
    (SC + "departure_level", lambda: md.scores.departure_level([0.1, 0.2], [1.0], 0.7), ValueError, "errors:"),
    (SC + "departure_level", lambda: md.scores.departure_level([0.1, 0.2], [1.0, 0.5], -0.7), ValueError,
     "threshold:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, 0.0), ValueError, "bandwidth:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(DATA, -0.2), ValueError, "bandwidth:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: GaussianKDE(jnp.full((3, 2), jnp.nan), 0.2), ValueError, "data:"),
    ("manifold_diffusion.kde.GaussianKDE", lambda: KDE.sample(KEY, -1), ValueError, "n:"),
]

ROWS = KEYS + TIMES + OBJECTS + SHAPES + VALUES
