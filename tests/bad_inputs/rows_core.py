"""Bad-input rows: keys, processes and grids, samplers, the scale setting.

Each row is ``(qualified_name, thunk, ExpectedError, "substring naming the argument")``; the
rows are grouped by the class of bad input (keys, times, mismatched objects, shapes and lengths,
degenerate values) and ``ROWS`` is their union (see ``tests/test_bad_inputs.py``).
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md

KEY = jax.random.key(0)
VP, VE = md.VP(), md.VE()
X = jnp.zeros((4, 2))
GRID = md.uniform_grid(VP.T, 1e-2, 5)
SCORE = md.MixtureScore(md.gaussian(jnp.zeros(2), jnp.eye(2)), VP)     # a score on VP, d = 2


def _unit_score(x, t):
    return -x


def _with_scale(value, fn):
    """Call ``fn`` with ``$MD_SCALE`` set to ``value``, restoring the environment after."""
    def thunk():
        old = os.environ.get(md.scale.ENV_VAR)
        os.environ[md.scale.ENV_VAR] = value
        try:
            return fn()
        finally:
            if old is None:
                del os.environ[md.scale.ENV_VAR]
            else:
                os.environ[md.scale.ENV_VAR] = old
    return thunk


S = "manifold_diffusion.samplers."
P = "manifold_diffusion.processes."
K = "manifold_diffusion.keys."

KEYS = [
    (K + "check_key", lambda: md.keys.check_key("key", 3), TypeError, "key:"),
    (K + "check_key", lambda: md.keys.check_key("key", "seed"), TypeError, "key:"),
    (K + "check_key", lambda: md.keys.check_key("key", jnp.zeros(2)), TypeError, "key:"),
    (K + "check_key", lambda: md.keys.check_key("key", jax.random.split(KEY, 3)), ValueError, "key:"),
    (K + "named_keys", lambda: md.keys.named_keys(0, "a"), TypeError, "key:"),
    (K + "describe_key", lambda: md.keys.describe_key(1.5), TypeError, "key:"),
    (P + "Process", lambda: VP.perturb(7, X, 0.5), TypeError, "key:"),
    (P + "Process", lambda: VE.prior_sample("key", (2, 2)), TypeError, "key:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(0, SCORE, X, GRID, VP), TypeError, "key:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(jnp.ones(2), SCORE, X, GRID, VP), TypeError, "key:"),
    (S + "sample", lambda: md.sample(1, SCORE, VP, 4, GRID), TypeError, "key:"),
    (S + "sample", lambda: md.sample(jax.random.split(KEY, 2), SCORE, VP, 4, GRID), ValueError, "key:"),
    (S + "langevin", lambda: md.langevin("k", _unit_score, X, 0.5, 0.1, 3), TypeError, "key:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(3, SCORE, X, 0.5, 0.1, 3, 1.0), TypeError, "key:"),
]

TIMES = [
    (P + "Process", lambda: VP.marginal(-0.1), ValueError, "t:"),
    (P + "Process", lambda: VP.marginal(6.0), ValueError, "t:"),
    (P + "Process", lambda: VE.marginal(jnp.array([0.5, -1.0])), ValueError, "t:"),
    (P + "Process", lambda: VE.diffusion(10.0), ValueError, "t:"),
    (P + "Process", lambda: VP.drift(X, -1.0), ValueError, "t:"),
    (P + "Process", lambda: VP.perturb(KEY, X, 0.0), ValueError, "t:"),
    (P + "Process", lambda: VE.perturb(KEY, X, 9.5), ValueError, "t:"),
    (P + "Process", lambda: VP.check_time(0.0), ValueError, "t:"),
    (P + "Process", lambda: VP.check_time(jnp.nan, "times"), ValueError, "times:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, jnp.array([6.0, 1.0]), VP),
     ValueError, "grid:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, jnp.array([1.0, -0.5]), VP),
     ValueError, "grid:"),
    (S + "heun_probability_flow", lambda: md.heun_probability_flow(SCORE, X, jnp.array([1.0, 0.0, 0.5]), VP),
     ValueError, "grid:"),
    (S + "heun_probability_flow", lambda: md.heun_probability_flow(SCORE, X, jnp.array([1.0, 0.0, 0.0]), VP),
     ValueError, "grid:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, 4, md.uniform_grid(VP.T, 1e-2, 5, include_zero=True),
                                     denoise=True), ValueError, "denoise:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, X, 0.0, VP), ValueError, "t:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, X, 7.0, VP), ValueError, "t:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, X, -0.5, 0.1, 3), ValueError, "t:"),
    (S + "langevin", lambda: md.langevin(KEY, SCORE, X, 6.0, 0.1, 3), ValueError, "t:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, SCORE, X, 5.5, 0.1, 3, 1.0), ValueError, "t:"),
    (P + "uniform_grid", lambda: md.uniform_grid(1.0, 2.0, 5), ValueError, "t_min:"),
    (P + "uniform_grid", lambda: md.uniform_grid(-1.0, 0.1, 5), ValueError, "T:"),
    (P + "geometric_grid", lambda: md.geometric_grid(1.0, 0.0, 5), ValueError, "t_min:"),
    (P + "geometric_grid", lambda: md.geometric_grid(1.0, 1.0, 5), ValueError, "t_min:"),
    (P + "VE", lambda: md.VE(T=0.0), ValueError, "T:"),
    (P + "VP", lambda: md.VP(T=-5.0), ValueError, "T:"),
]

OBJECTS = [
    (P + "VP", lambda: md.VP(T="5"), TypeError, "T:"),
    (P + "Process", lambda: md.processes.Process(T=1.0), TypeError, "abstract"),
    (P + "Process", lambda: VP.check_time("soon"), TypeError, "t:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, "score", X, GRID, VP), TypeError, "score_fn:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, GRID, "VP"), TypeError, "process:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, md.uniform_grid(9.0, 1e-2, 5), VE),
     ValueError, "process:"),
    (S + "heun_probability_flow", lambda: md.heun_probability_flow(SCORE, X, GRID, md.VP(T=4.0)),
     ValueError, "process:"),
    (S + "heun_probability_flow", lambda: md.heun_probability_flow(None, X, GRID, VP), TypeError, "score_fn:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VE, 4, md.uniform_grid(9.0, 1e-2, 5)), ValueError, "process:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, "VP", 4, GRID), TypeError, "process:"),
    (S + "sample", lambda: md.sample(KEY, _unit_score, VP, 4, GRID), TypeError, "d:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, 4, GRID, method="euler"), ValueError, "method:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, X, 0.5, VE), ValueError, "process:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, X, 0.5, None), TypeError, "process:"),
    (S + "langevin", lambda: md.langevin(KEY, 3.0, X, 0.5, 0.1, 3), TypeError, "score_fn:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, _unit_score, X, 0.5, 0.1, 3, 1.0),
     TypeError, "process:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, SCORE, X, 0.5, 0.1, 3, 1.0, process=VE),
     ValueError, "process:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, _unit_score, X, 0.5, 0.1, 3, 1.0,
                                                           process="VE"), TypeError, "process:"),
]

SHAPES = [
    (P + "Process", lambda: VP.prior_sample(KEY, (-1, 2)), ValueError, "shape:"),
    (P + "Process", lambda: VP.prior_sample(KEY, 5), TypeError, "shape:"),
    (P + "Process", lambda: VP.prior_sample(KEY, (2.5, 2)), TypeError, "shape:"),
    (P + "Process", lambda: VP.diffusion(jnp.ones(3)), ValueError, "t:"),
    (P + "Process", lambda: VP.perturb(KEY, X, jnp.ones(4)), ValueError, "t:"),
    (P + "Process", lambda: VP.prior_log_prob(3.0), ValueError, "x:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, jnp.zeros(3), GRID, VP), ValueError, "x_T:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, jnp.zeros((4, 3)), GRID, VP), ValueError, "x_T:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, jnp.zeros((0, 2)), GRID, VP), ValueError, "x_T:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, jnp.array([1.0]), VP), ValueError, "grid:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, jnp.ones((2, 2)), VP), ValueError, "grid:"),
    (S + "heun_probability_flow", lambda: md.heun_probability_flow(SCORE, jnp.zeros((4, 5)), GRID, VP),
     ValueError, "x_T:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, 4, GRID, d=3), ValueError, "d:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, 4, jnp.ones((3, 1))), ValueError, "grid:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, jnp.zeros((4, 3)), 0.5, VP), ValueError, "x:"),
    (S + "tweedie_denoiser", lambda: md.tweedie_denoiser(SCORE, X, jnp.ones(4), VP), ValueError, "t:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, jnp.zeros(4), 0.5, 0.1, 3), ValueError, "x0:"),
    (S + "langevin", lambda: md.langevin(KEY, SCORE, jnp.zeros((4, 3)), 0.5, 0.1, 3), ValueError, "x0:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, X, jnp.ones(4), 0.1, 3), ValueError, "t:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, SCORE, X, 0.5, 0.1, 3, jnp.ones(2)),
     ValueError, "alpha:"),
]

VALUES = [
    (K + "named_keys", lambda: md.keys.named_keys(KEY, "a", "a"), ValueError, "names:"),
    (K + "named_keys", lambda: md.keys.named_keys(KEY, "not an identifier"), ValueError, "names:"),
    (K + "named_keys", lambda: md.keys.named_keys(KEY), ValueError, "names:"),
    (K + "name_tag", lambda: md.keys.name_tag(7), TypeError, "name:"),
    ("manifold_diffusion.scale.current", _with_scale("huge", md.scale.current), ValueError, "MD_SCALE:"),
    ("manifold_diffusion.scale.current", _with_scale("fast", md.scale.current), ValueError, "MD_SCALE:"),
    (P + "uniform_grid", lambda: md.uniform_grid(1.0, 0.1, 0), ValueError, "n_steps:"),
    (P + "uniform_grid", lambda: md.uniform_grid(1.0, 0.1, 2.5), TypeError, "n_steps:"),
    (P + "geometric_grid", lambda: md.geometric_grid(1.0, 0.1, -3), ValueError, "n_steps:"),
    (P + "geometric_grid", lambda: md.geometric_grid(np.inf, 0.1, 3), ValueError, "T:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, jnp.full((4, 2), jnp.nan), GRID, VP),
     ValueError, "x_T:"),
    (S + "euler_maruyama", lambda: md.euler_maruyama(KEY, SCORE, X, jnp.array([1.0, jnp.nan]), VP),
     ValueError, "grid:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, 0, GRID), ValueError, "n:"),
    (S + "sample", lambda: md.sample(KEY, SCORE, VP, -4, GRID), ValueError, "n:"),
    (S + "sample", lambda: md.sample(KEY, _unit_score, VP, 4, GRID, d=0), ValueError, "d:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, X, 0.5, 0.0, 3), ValueError, "step_size:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, X, 0.5, -0.1, 3), ValueError, "step_size:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, X, 0.5, 0.1, 0), ValueError, "n_steps:"),
    (S + "langevin", lambda: md.langevin(KEY, _unit_score, jnp.full((4, 2), jnp.inf), 0.5, 0.1, 3),
     ValueError, "x0:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, SCORE, X, 0.5, 0.1, 3, -1.0), ValueError, "alpha:"),
    (S + "tempered_langevin", lambda: md.tempered_langevin(KEY, SCORE, X, 0.5, 0.1, -2, 1.0), ValueError, "n_steps:"),
]

ROWS = KEYS + TIMES + OBJECTS + SHAPES + VALUES
