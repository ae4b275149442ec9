"""Bad-input rows for ``manifold_diffusion.data``, as it stands today (the chapter helpers extend
these; the integrator reconciles at merge). ``KNOWN_GAPS``: see ``rows_training.py``."""

import jax
import jax.numpy as jnp

from manifold_diffusion import data

KEY = jax.random.key(0)
D = "manifold_diffusion.data."

ROWS = [
    (D + "load_digits", lambda: data.load_digits(0), TypeError, "key"),
    (D + "load_digits", lambda: data.load_digits(KEY, test_fraction=1.5), ValueError, "test_fraction"),
    (D + "RotationCurve", lambda: data.RotationCurve(jnp.ones(63)), ValueError, "image"),
    (D + "TabulatedCurve", lambda: data.TabulatedCurve(jnp.ones((4, 2)), jnp.ones((3, 2))), ValueError, "tangents"),
]

KNOWN_GAPS = []

# rows that were known gaps until the integration fixed them
ROWS += [
    (D + "rotation_curve_data", lambda: data.rotation_curve_data("c", 4), TypeError, "curve"),
]
