r"""Training denoisers and score models.

The engine (every chapter trains through it):

- :mod:`.networks` -- networks :math:`F` with ``init(key)``/``apply(params, x_in, c_noise)``:
  :class:`MLPNetwork` (Swish, Fourier features of the noise label) and
  :class:`RandomFeatureNetwork` (frozen ReLU features, trained output layer);
- :mod:`.denoiser` -- :class:`Denoiser`, the EDM-preconditioned :math:`D(y, \sigma)`
  (:cite:`karras2022elucidating`; ``preconditioning="score"``: the network is the score, as in
  Li et al.'s random-feature theorems), and :func:`denoiser_score`, its score under a VE or VP
  process;
- :mod:`.noise_levels` -- training noise levels :class:`LogNormalSigma`,
  :class:`LogUniformSigma`, :class:`SongVESigma`, and their shares below given levels
  (:func:`sigma_shares`, :func:`sigma_share_table`);
- :mod:`.denoising` -- :func:`denoising_loss` with the weightings ``"edm"``, ``"sigma2"``,
  ``"sigma"``;
- :mod:`.fitting` -- :func:`fit` / :func:`fit_seeds`: one jitted ``lax.scan`` with an EMA of the
  parameters and raw/EMA checkpoints, ``vmap``-ed over seeds, padded training sets and
  hyper-parameters; :func:`make_fit_step` (the scan body, for custom loops); :func:`select`;
- :mod:`.gradient_flow` -- random features trained by exact gradient flow on a fixed loss
  (:func:`random_feature_flow`: any training time from one eigendecomposition);
- :mod:`.readout` -- :math:`\mathrm{KL}(p_0\|p_\theta)` at a stated read-out noise level, by the
  score on a grid and by the probability-flow likelihood, and the memorization ceiling;
- :mod:`.density` -- the probability-flow likelihood and grid densities the read-outs use;
- :mod:`.networks_conv` -- :class:`ConvNetwork`, a small local, translation-equivariant
  convolutional network for images with the same protocol, and :func:`conv2d`;
- :mod:`.store` -- :func:`~.store.load_or_fit`: trained parameters shared between chapters,
  stored under ``$MD_ARTIFACT_DIR`` (dropped with the book's execution cache);
- :mod:`.ridge` -- a denoiser fitted in closed form: ridge regression on random Fourier features
  of :math:`(x, \log\sigma)` on a band of noise levels (``ridge.fit_ridge_seeds``,
  ``ridge.RidgeScore``; chapter 4's second estimator).

Also here: :mod:`.losses` -- :func:`dsm_loss`, the Monte Carlo DSM loss of a given score at
one time (chapter 1 compares the true and the empirical score with it; no network is trained).
"""

from . import (density, denoiser, denoising, fitting, gradient_flow, losses, networks,
               networks_conv, noise_levels, readout, ridge, store)
from .density import flow_log_density, integrated_log_density, kl_on_grid, mode_masses
from .denoiser import PRECONDITIONINGS, Denoiser, DenoiserScore, denoiser_score, edm_coefficients
from .denoising import DENOISING_WEIGHTINGS, denoising_loss, loss_weight
from .fitting import DEFAULT_LEARNING_RATE, FitResult, fit, fit_seeds, make_fit_step, select
from .gradient_flow import (FixedDraws, RandomFeatureFlow, fixed_draws, fixed_draws_loss,
                            random_feature_flow)
from .losses import dsm_loss
from .networks import MLPNetwork, RandomFeatureNetwork, fourier_features, noise_frequencies
from .networks_conv import ConvNetwork, conv2d
from .noise_levels import (LogNormalSigma, LogUniformSigma, SigmaDistribution, SongVESigma,
                           sigma_share_table, sigma_shares)
from .readout import (KLEstimate, grid_log_density, kl_flow_readout, kl_grid_readout,
                      memorization_ceiling, readout_time)

__all__ = ["density", "denoiser", "denoising", "fitting", "gradient_flow", "losses",
           "networks", "noise_levels", "readout", "networks_conv", "ridge", "store",
           # the engine
           "MLPNetwork", "RandomFeatureNetwork", "fourier_features", "noise_frequencies",
           "ConvNetwork", "conv2d",
           "Denoiser", "DenoiserScore", "denoiser_score", "edm_coefficients", "PRECONDITIONINGS",
           "SigmaDistribution", "LogNormalSigma", "LogUniformSigma", "SongVESigma",
           "sigma_shares", "sigma_share_table",
           "DENOISING_WEIGHTINGS", "denoising_loss", "loss_weight",
           "FitResult", "fit", "fit_seeds", "select", "make_fit_step", "DEFAULT_LEARNING_RATE",
           "FixedDraws", "fixed_draws", "fixed_draws_loss", "RandomFeatureFlow",
           "random_feature_flow",
           "readout_time", "grid_log_density", "kl_grid_readout", "KLEstimate",
           "kl_flow_readout", "memorization_ceiling",
           "flow_log_density", "integrated_log_density", "kl_on_grid", "mode_masses",
           # the DSM loss of a given score (chapter 1)
           "dsm_loss"]
