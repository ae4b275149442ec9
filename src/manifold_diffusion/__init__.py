"""manifold_diffusion: the JAX library behind the executable monograph on why diffusion
models generalize.

Sub-modules follow the mathematics:

- :mod:`~manifold_diffusion.processes` -- forward noising processes and time grids;
- :mod:`~manifold_diffusion.scores` -- exact, empirical (and later smoothed, coarse) scores;
- :mod:`~manifold_diffusion.samplers` -- reverse-time SDE and probability-flow ODE samplers;
- :mod:`~manifold_diffusion.manifolds` -- manifolds with exact geometry and densities on them;
- :mod:`~manifold_diffusion.metrics` -- distances, memorization, transport, rates;
- :mod:`~manifold_diffusion.experiments` -- one module per book experiment;
- :mod:`~manifold_diffusion.scale` -- the experiment-size setting.

Every score is a callable ``score_fn(x, t)`` with ``x`` of shape ``(b, d)``; every sampler
accepts any such callable. Random functions take an explicit ``jax.random`` key first.
"""

__version__ = "0.1.0"

from . import keys, processes, samplers, scale, scores, training  # noqa: E402
from . import manifolds, metrics  # noqa: E402
from . import kde  # noqa: E402
from . import data  # noqa: E402
from . import book, exercises  # noqa: E402
from .processes import VE, VP, geometric_grid, uniform_grid  # noqa: E402
from .samplers import sample, euler_maruyama, heun_probability_flow, tweedie_denoiser  # noqa: E402
from .samplers import langevin, tempered_langevin  # noqa: E402
from .scores import EmpiricalScore, GaussianMixture, MixtureScore, gaussian  # noqa: E402
from .scores import PopulationScore, score_departure  # noqa: E402

__all__ = [
    "__version__",
    "keys",
    "processes",
    "samplers",
    "scale",
    "scores",
    "training",
    "manifolds",
    "metrics",
    "kde",
    "data",
    "exercises",
    "book",
    "VE",
    "VP",
    "geometric_grid",
    "uniform_grid",
    "sample",
    "euler_maruyama",
    "heun_probability_flow",
    "tweedie_denoiser",
    "langevin",
    "tempered_langevin",
    "EmpiricalScore",
    "GaussianMixture",
    "MixtureScore",
    "gaussian",
    "PopulationScore",
    "score_departure",
]
