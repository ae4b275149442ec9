"""Bad-input rows for ``manifold_diffusion.metrics.coverage`` (more in ``rows_rates.py``).
``KNOWN_GAPS``: rows that do not raise the named error yet (see ``tests/test_bad_inputs.py``)."""

import jax.numpy as jnp

from manifold_diffusion.metrics import coverage as cov

CV = "manifold_diffusion.metrics.coverage."

ROWS = [
    (CV + "arc_data_mass", lambda: cov.arc_data_mass(jnp.zeros(3), -0.1, 1.0), ValueError, "delta"),
    (CV + "arc_sample_mass", lambda: cov.arc_sample_mass(jnp.zeros(3), jnp.zeros(3), 0.1, 0.0), ValueError, "length"),
    (CV + "coverage_curve", lambda: cov.coverage_curve(jnp.zeros(3), -1.0, [0.1]), ValueError, "length"),
    (CV + "coverage_floor", lambda: cov.coverage_floor(0, 0.1), ValueError, "n_samples"),
    (CV + "coverage_floor", lambda: cov.coverage_floor(100, -0.1), ValueError, "p_min"),
    (CV + "density_per_length", lambda: cov.density_per_length(None, -1.0), ValueError, "length"),
    (CV + "circular_w1", lambda: cov.circular_w1(jnp.zeros(3), -1.0), ValueError, "length"),
]

KNOWN_GAPS = []

# rows that were known gaps until the integration fixed them
ROWS += [
    (CV + "coverage_curve", lambda: cov.coverage_curve(jnp.zeros(3), 1.0, [0.2, -0.1]), ValueError, "deltas"),
]
