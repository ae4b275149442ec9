"""Bad-input rows for ``manifold_diffusion.scores.coarse``, as it stands today (the rates helper
extends these; the integrator reconciles at merge). ``KNOWN_GAPS``: see ``rows_training.py``."""

import jax
import jax.numpy as jnp

import manifold_diffusion as md

KEY = jax.random.key(0)
X = jnp.ones((8, 2))
CIRCLE = md.manifolds.Circle()
C = "manifold_diffusion.scores."

ROWS = [
    (C + "GeometricScore", lambda: md.scores.GeometricScore(3), TypeError, "projector"),
    (C + "GeometricScore", lambda: md.scores.GeometricScore(CIRCLE, "VE"), TypeError, "process"),
    (C + "bandwidth_rule", lambda: md.scores.bandwidth_rule(0), ValueError, "n"),
    (C + "bandwidth_rule", lambda: md.scores.bandwidth_rule(10, h0=-1.0), ValueError, "h0"),
    (C + "smoothed_empirical_score", lambda: md.scores.smoothed_empirical_score(X, 0), TypeError, "key"),
    (C + "hybrid_sample", lambda: md.scores.hybrid_sample(KEY, X, CIRCLE, 0, t_s=0.1), ValueError, "n"),
    (C + "hybrid_sample", lambda: md.scores.hybrid_sample(KEY, X, CIRCLE, 4, t_s=-0.1), ValueError, "t_s"),
    (C + "hybrid_sample", lambda: md.scores.hybrid_sample(1, X, CIRCLE, 4, t_s=0.1), TypeError, "key"),
]

KNOWN_GAPS = []
