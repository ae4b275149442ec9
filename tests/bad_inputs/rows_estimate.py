"""Bad-input rows for ``manifold_diffusion.manifolds.estimate``, as it stands today (the rates
helper extends these; the integrator reconciles at merge). ``KNOWN_GAPS``: see ``rows_training.py``."""

import jax
import jax.numpy as jnp

from manifold_diffusion import manifolds as mf

KEY = jax.random.key(0)
CURVE = mf.fit_fourier_curve(mf.Circle().sample(KEY, 32))
ES = "manifold_diffusion.manifolds."

ROWS = [
    (ES + "fourier_order", lambda: mf.fourier_order(4), ValueError, "n"),
    (ES + "fit_fourier_curve", lambda: mf.fit_fourier_curve(jnp.ones((4, 2))), ValueError, "points"),
    (ES + "fit_fourier_curve", lambda: mf.fit_fourier_curve(jnp.ones((20, 2)), order=0), ValueError, "order"),
    (ES + "FourierCurve", lambda: CURVE.project(jnp.ones((2, 3))), ValueError, "x"),
    (ES + "hausdorff_distance", lambda: mf.hausdorff_distance(CURVE, mf.Circle(), n_eval=2), ValueError, "n_eval"),
]

KNOWN_GAPS = []

# rows that were known gaps until the integration fixed them
ROWS += [
    (ES + "hausdorff_distance", lambda: mf.hausdorff_distance("est", mf.Circle()), TypeError, "estimate"),
]
