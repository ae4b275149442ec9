"""Bad-input rows for ``manifold_diffusion.training``, as the module stands before the engine
rewrite (the engine's own rows extend or replace these; the integrator reconciles at merge).

``ROWS`` pass today; ``KNOWN_GAPS`` are rows in the same format that do *not* yet raise the named
error (``tests/test_bad_inputs.py`` requires them to fail, so a fixed one must move to ``ROWS``).
"""

import jax
import jax.numpy as jnp

import manifold_diffusion as md
from manifold_diffusion import training

KEY = jax.random.key(0)
VP = md.VP()
X = jnp.ones((8, 2))
MLP = training.MLP(2, 8)
GRID = jnp.linspace(0.0, 1.0, 5)
T = "manifold_diffusion.training."

ROWS = [
    (T + "train", lambda: training.train(KEY, MLP, X, "VP", n_steps=2), TypeError, "process"),
    (T + "train", lambda: training.train(KEY, MLP, jnp.ones((8, 3)), VP, n_steps=2), ValueError, "data"),
    (T + "train", lambda: training.train(KEY, MLP, X, VP, n_steps=0), ValueError, "n_steps"),
    (T + "train", lambda: training.train(KEY, MLP, X, VP, n_steps=2, t_min=10.0), ValueError, "t_min"),
    (T + "train", lambda: training.train(KEY, "mlp", X, VP, n_steps=2), TypeError, "model"),
    (T + "train_seeds", lambda: training.train_seeds(KEY, MLP, X, VP, n_steps=2), ValueError, "keys"),
    (T + "train_mlp", lambda: training.train_mlp(1, X, VP, n_steps=2), TypeError, "key"),
    (T + "MLP", lambda: training.MLP(0, 8), ValueError, "d"),
    (T + "RandomFeatures", lambda: training.RandomFeatures(-1, 8), ValueError, "d"),
    (T + "dsm_loss", lambda: training.dsm_loss(1, lambda x, t: x, X, 0.5, VP), TypeError, "key"),
    (T + "dsm_loss", lambda: training.dsm_loss(KEY, lambda x, t: x, X, 0.0, VP), ValueError, "t"),
    (T + "weighted_dsm_loss", lambda: training.weighted_dsm_loss(KEY, lambda x, t: x, X, VP, t_min=9.0),
     ValueError, "t"),
    (T + "score_function", lambda: training.score_function(MLP, {}, "VP"), TypeError, "process"),
    (T + "losses.check_weighting", lambda: training.losses.check_weighting("none"), ValueError, "weighting"),
]

KNOWN_GAPS = [
    (T + "train", lambda: training.train(3, MLP, X, VP, n_steps=2), TypeError, "key:"),
    (T + "make_step", lambda: training.make_step("m", X, VP, None), TypeError, "model"),
    (T + "select", lambda: training.select({"a": jnp.ones(3)}, 5), ValueError, "index"),
    (T + "TrainedScore", lambda: training.TrainedScore("m", {}, VP), TypeError, "model"),
    (T + "count_parameters", lambda: training.count_parameters("m", {}), TypeError, "model"),
    (T + "time_embedding", lambda: training.time_embedding(0.5, 0), ValueError, "n_frequencies"),
    (T + "time_embedding", lambda: training.time_embedding(-0.5, 4), ValueError, "sigma"),
    (T + "flow_log_density", lambda: training.flow_log_density("s", X, VP), TypeError, "score_fn"),
    (T + "integrated_log_density", lambda: training.integrated_log_density(lambda x, t: x, jnp.array([1.0, 0.0]),
                                                                           0.5), ValueError, "x_grid"),
    (T + "kl_on_grid", lambda: training.kl_on_grid(jnp.zeros(5), jnp.zeros(4), GRID), ValueError, "log_q"),
    (T + "mode_masses", lambda: training.mode_masses(jnp.zeros(4), GRID), ValueError, "log_q"),
    (T + "density.normalize_log_density", lambda: training.density.normalize_log_density(jnp.zeros(4), GRID),
     ValueError, "log_q"),
]
