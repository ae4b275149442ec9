"""Bad-input rows for the training engine (``manifold_diffusion.training``).

Each row: (qualified name, zero-argument thunk making one bad call, expected error type,
substring of the message naming the argument). Collected by the table-driven bad-input test.
"""

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion import training as tr

_KEY = jax.random.key(0)
_MLP = tr.MLPNetwork(d=1, width=4, depth=1)
_DEN = tr.Denoiser(_MLP, sigma_data=1.0)
_RF = tr.Denoiser(tr.RandomFeatureNetwork(d=1, width=4), sigma_data=1.0)
_DATA = jnp.linspace(-1.0, 1.0, 8)[:, None]
_DIST = tr.LogUniformSigma(0.01, 10.0)
_GRID = jnp.linspace(-5.0, 5.0, 201)
_LAW = md.GaussianMixture(jnp.array([1.0]), jnp.zeros((1, 1)), jnp.ones((1, 1, 1)))
_SCORE = md.MixtureScore(_LAW, md.VE(T=100.0))


def _draws():
    return tr.fixed_draws(_KEY, _DATA, sigma_dist=_DIST, n_draws=2)


ROWS = [
    ("manifold_diffusion.training.MLPNetwork", lambda: tr.MLPNetwork(d=1, width=0),
     ValueError, "width"),
    ("manifold_diffusion.training.MLPNetwork.apply",
     lambda: _MLP.apply(_MLP.init(_KEY), jnp.zeros((3, 2)), jnp.zeros(3)), ValueError, "x_in"),
    ("manifold_diffusion.training.RandomFeatureNetwork",
     lambda: tr.RandomFeatureNetwork(d=0, width=4), ValueError, "d"),
    ("manifold_diffusion.training.RandomFeatureNetwork.apply",
     lambda: _RF.network.apply(_RF.init(_KEY), jnp.zeros((3, 1)), jnp.zeros(4)), ValueError,
     "c_noise"),
    ("manifold_diffusion.training.fourier_features",
     lambda: tr.fourier_features(jnp.zeros((3, 2))), ValueError, "c_noise"),
    ("manifold_diffusion.training.noise_frequencies", lambda: tr.noise_frequencies(0),
     ValueError, "n_frequencies"),
    ("manifold_diffusion.training.Denoiser", lambda: tr.Denoiser("mlp"), TypeError, "network"),
    ("manifold_diffusion.training.Denoiser", lambda: tr.Denoiser(_MLP, sigma_data=-1.0),
     ValueError, "sigma_data"),
    ("manifold_diffusion.training.Denoiser", lambda: tr.Denoiser(_MLP, preconditioning="ve"),
     ValueError, "preconditioning"),
    ("manifold_diffusion.training.Denoiser.apply",
     lambda: _DEN.apply(_DEN.init(_KEY), jnp.zeros((3, 2)), 0.1), ValueError, "y"),
    ("manifold_diffusion.training.Denoiser.apply",
     lambda: _DEN.apply(_DEN.init(_KEY), jnp.zeros((3, 1)), jnp.ones(4)), ValueError, "sigma"),
    ("manifold_diffusion.training.edm_coefficients",
     lambda: tr.edm_coefficients(0.1, sigma_data=0.0), ValueError, "sigma_data"),
    ("manifold_diffusion.training.DenoiserScore",
     lambda: tr.DenoiserScore(_DEN, _DEN.init(_KEY), "VE"), TypeError, "process"),
    ("manifold_diffusion.training.denoiser_score",
     lambda: tr.denoiser_score(_DEN, _DEN.init(_KEY), "VE"), TypeError, "process"),
    ("manifold_diffusion.training.denoiser_score",
     lambda: tr.denoiser_score(_MLP, {}, md.VE()), TypeError, "den"),
    ("manifold_diffusion.training.SigmaDistribution",
     lambda: tr.LogUniformSigma().sample(3, (4,)), TypeError, "key"),
    ("manifold_diffusion.training.LogNormalSigma", lambda: tr.LogNormalSigma(p_std=0.0),
     ValueError, "p_std"),
    ("manifold_diffusion.training.LogNormalSigma",
     lambda: tr.LogNormalSigma().sample(_KEY, (2, -1)), ValueError, "shape"),
    ("manifold_diffusion.training.LogUniformSigma", lambda: tr.LogUniformSigma(1.0, 0.5),
     ValueError, "sigma_max"),
    ("manifold_diffusion.training.LogUniformSigma", lambda: tr.LogUniformSigma().quantile(1.5),
     ValueError, "q"),
    ("manifold_diffusion.training.SongVESigma", lambda: tr.SongVESigma(eps=1.0), ValueError,
     "eps"),
    ("manifold_diffusion.training.sigma_shares", lambda: tr.sigma_shares("edm"), TypeError,
     "dist"),
    ("manifold_diffusion.training.sigma_shares",
     lambda: tr.sigma_shares(_DIST, thresholds=(-1.0,)), ValueError, "thresholds"),
    ("manifold_diffusion.training.sigma_share_table", lambda: tr.sigma_share_table({}),
     ValueError, "dists"),
    ("manifold_diffusion.training.loss_weight", lambda: tr.loss_weight("li2023", 0.1, 1.0),
     ValueError, "weighting"),
    ("manifold_diffusion.training.denoising_loss",
     lambda: tr.denoising_loss(_DEN.init(_KEY), _DEN, _KEY, jnp.zeros((4, 2)), sigma_dist=_DIST),
     ValueError, "x0"),
    ("manifold_diffusion.training.denoising_loss",
     lambda: tr.denoising_loss(_DEN.init(_KEY), _DEN, _KEY, _DATA, sigma_dist="edm"),
     TypeError, "sigma_dist"),
    ("manifold_diffusion.training.FitResult", lambda: tr.FitResult({}), TypeError, "ema_params"),
    ("manifold_diffusion.training.fit",
     lambda: tr.fit(_KEY, _DEN, _DATA, sigma_dist=_DIST, n_steps=10, n_checkpoints=3),
     ValueError, "n_checkpoints"),
    ("manifold_diffusion.training.fit",
     lambda: tr.fit(_KEY, _DEN, jnp.zeros((8, 2)), sigma_dist=_DIST, n_steps=4), ValueError,
     "data"),
    ("manifold_diffusion.training.fit",
     lambda: tr.fit(_KEY, _DEN, _DATA, sigma_dist=_DIST, n_steps=4, ema_decay=1.0), ValueError,
     "ema_decay"),
    ("manifold_diffusion.training.fit",
     lambda: tr.fit(7, _DEN, _DATA, sigma_dist=_DIST, n_steps=4), TypeError, "key"),
    ("manifold_diffusion.training.fit_seeds",
     lambda: tr.fit_seeds(jax.random.split(_KEY, 2), _DEN, _DATA, sigma_dist=_DIST, n_steps=4,
                          n_valid=np.array([3, 9])), ValueError, "n_valid"),
    ("manifold_diffusion.training.fit_seeds",
     lambda: tr.fit_seeds(jax.random.split(_KEY, 2), _DEN, _DATA, sigma_dist=_DIST, n_steps=4,
                          learning_rate=jnp.ones(3)), ValueError, "learning_rate"),
    ("manifold_diffusion.training.make_fit_step",
     lambda: tr.make_fit_step(_KEY, _DEN, _DATA, sigma_dist=_DIST, batch_size=0), ValueError,
     "batch_size"),
    ("manifold_diffusion.training.select", lambda: tr.select({"a": jnp.zeros(3)}, 0, 1),
     ValueError, "index"),
    ("manifold_diffusion.training.FixedDraws", lambda: tr.FixedDraws(_DATA), TypeError, "sigma"),
    ("manifold_diffusion.training.fixed_draws",
     lambda: tr.fixed_draws(_KEY, _DATA, sigma_dist=_DIST, n_draws=0), ValueError, "n_draws"),
    ("manifold_diffusion.training.fixed_draws_loss",
     lambda: tr.fixed_draws_loss(_RF.init(_KEY), _RF, (1, 2, 3, 4)), TypeError, "draws"),
    ("manifold_diffusion.training.RandomFeatureFlow",
     lambda: tr.RandomFeatureFlow({}, jnp.ones(3), jnp.eye(2), jnp.ones((3, 1)),
                                  jnp.ones((3, 1)), jnp.zeros(())), ValueError, "eigenvectors"),
    ("manifold_diffusion.training.random_feature_flow",
     lambda: tr.random_feature_flow(_KEY, _DEN, _draws()), TypeError, "den"),
    ("manifold_diffusion.training.readout_time", lambda: tr.readout_time(md.VE(), -0.1),
     ValueError, "sigma_read"),
    ("manifold_diffusion.training.readout_time", lambda: tr.readout_time("VE", 0.1),
     TypeError, "process"),
    ("manifold_diffusion.training.grid_log_density",
     lambda: tr.grid_log_density(_SCORE, _GRID, sigma_read=0.003), ValueError, "x_grid"),
    ("manifold_diffusion.training.kl_grid_readout",
     lambda: tr.kl_grid_readout(_SCORE, jnp.zeros(5), _GRID, sigma_read=0.5), ValueError,
     "log_p0"),
    ("manifold_diffusion.training.KLEstimate", lambda: tr.KLEstimate(0.1), TypeError,
     "standard_error"),
    ("manifold_diffusion.training.kl_flow_readout",
     lambda: tr.kl_flow_readout(_SCORE, jnp.zeros(5), jnp.zeros(5), sigma_read=0.5),
     ValueError, "x0"),
    ("manifold_diffusion.training.kl_flow_readout",
     lambda: tr.kl_flow_readout(lambda x, t: x, jnp.zeros((5, 1)), jnp.zeros(5), sigma_read=0.5),
     TypeError, "process"),
    ("manifold_diffusion.training.memorization_ceiling",
     lambda: tr.memorization_ceiling(jnp.zeros((5, 2)), jnp.zeros(201), _GRID, md.VE(T=100.0),
                                     sigma_read=0.5), ValueError, "data"),
]

# the networks' protocol check
ROWS += [
    ("manifold_diffusion.training.networks.check_network",
     lambda: tr.networks.check_network(object()), TypeError, "network"),
]

# the DSM loss of a given score (chapter 1) and the densities of the read-outs
ROWS += [
    ("manifold_diffusion.training.dsm_loss",
     lambda: tr.dsm_loss(_KEY, _SCORE, _DATA, 0.1, md.VE(T=100.0), n_draws=0), ValueError,
     "n_draws"),
    ("manifold_diffusion.training.dsm_loss",
     lambda: tr.dsm_loss(1, lambda x, t: x, jnp.ones((8, 2)), 0.5, md.VP()), TypeError, "key"),
    ("manifold_diffusion.training.dsm_loss",
     lambda: tr.dsm_loss(_KEY, lambda x, t: x, jnp.ones((8, 2)), 0.0, md.VP()), ValueError, "t"),
    ("manifold_diffusion.training.flow_log_density",
     lambda: tr.flow_log_density(_SCORE, _DATA, md.VE(T=100.0), n_steps=0), ValueError,
     "n_steps"),
    ("manifold_diffusion.training.integrated_log_density",
     lambda: tr.integrated_log_density(_SCORE, jnp.zeros((3, 2)), 0.1), ValueError, "x_grid"),
]


# Rows of callables that do not yet check their arguments by name (see test_bad_inputs.py)
KEY = _KEY
VP = md.VP()
X = jnp.ones((8, 2))
GRID = jnp.linspace(0.0, 1.0, 5)
T = "manifold_diffusion.training."
training = tr

KNOWN_GAPS = []

ROWS += [
    ("manifold_diffusion.training.denoising.check_denoising_weighting",
     lambda: tr.denoising.check_denoising_weighting("uniform"), ValueError, "weighting"),
    ("manifold_diffusion.training.noise_levels.check_sigma_distribution",
     lambda: tr.noise_levels.check_sigma_distribution("sigma_dist", "lognormal"), TypeError, "sigma_dist"),
]

# rows that were known gaps until the integration fixed them
ROWS += [
    (T + "select", lambda: training.select({"a": jnp.ones(3)}, 5), ValueError, "index"),
    (T + "flow_log_density", lambda: training.flow_log_density("s", X, VP), TypeError, "score_fn"),
    (T + "integrated_log_density", lambda: training.integrated_log_density(lambda x, t: x, jnp.array([1.0, 0.0]),
                                                                           0.5), ValueError, "x_grid"),
    (T + "kl_on_grid", lambda: training.kl_on_grid(jnp.zeros(5), jnp.zeros(4), GRID), ValueError, "log_q"),
    (T + "mode_masses", lambda: training.mode_masses(jnp.zeros(4), GRID), ValueError, "log_q"),
    (T + "density.normalize_log_density", lambda: training.density.normalize_log_density(jnp.zeros(4), GRID),
     ValueError, "log_q"),
]
