r"""Training score models: denoising score matching, models as pure functions, an optax loop.

- :mod:`.losses` -- :func:`dsm_loss` (one time, many draws) and :func:`weighted_dsm_loss`
  (times drawn on :math:`[t_{\min}, T]`, weighting :math:`\lambda(t)`);
- :mod:`.models` -- :class:`RandomFeatures` (only the output layer trained) and :class:`MLP`
  (time-conditioned, Swish); :class:`TrainedScore` makes ``(model, params)`` a ``score_fn(x, t)``;
- :mod:`.loop` -- :func:`train` (one jitted ``lax.scan``), :func:`train_seeds` (``vmap`` over
  keys and training-set sizes), :func:`train_mlp` (convenience);
- :mod:`.networks_conv` -- :class:`ConvNetwork`, a small local, translation-equivariant
  convolutional network for images (the EDM network protocol), and :func:`conv2d`;
- :mod:`.store` -- :func:`~.store.load_or_fit`: trained parameters shared between chapters,
  stored under ``$MD_ARTIFACT_DIR`` (dropped with the book's execution cache);
- :mod:`.density` -- the density a score implies in 1-D through the probability-flow ODE, and
  :math:`\mathrm{KL}(p_0\,\|\,p_\theta)` on a grid.
"""

from . import density, loop, losses, models, networks_conv, store
from .density import flow_log_density, integrated_log_density, kl_on_grid, mode_masses
from .losses import WEIGHTINGS, dsm_loss, weighted_dsm_loss
from .models import MLP, RandomFeatures, TrainedScore, count_parameters, score_function, time_embedding
from .loop import TrainResult, make_step, select, train, train_mlp, train_seeds
from .networks_conv import ConvNetwork, conv2d

__all__ = ["density", "loop", "losses", "models",
           "dsm_loss", "weighted_dsm_loss", "WEIGHTINGS",
           "MLP", "RandomFeatures", "TrainedScore", "score_function", "count_parameters",
           "time_embedding",
           "TrainResult", "train", "train_seeds", "train_mlp", "select", "make_step",
           "flow_log_density", "integrated_log_density", "kl_on_grid", "mode_masses",
           "networks_conv", "ConvNetwork", "conv2d", "store"]
