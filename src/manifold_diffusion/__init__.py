"""manifold_diffusion: the JAX library behind the executable monograph on why diffusion
models generalize.

Sub-packages and modules, by layer (see ``ARCHITECTURE.md``; imports point down this list):

- core: :mod:`~manifold_diffusion.processes` (forward processes, time grids),
  :mod:`~manifold_diffusion.keys` (keys checked and split by name),
  :mod:`~manifold_diffusion.scale` (the experiment-size setting);
- geometry: :mod:`~manifold_diffusion.manifolds` (manifolds with exact geometry, densities on
  them, estimated curves);
- methods and measurements: :mod:`~manifold_diffusion.samplers` (reverse-time SDE/ODE,
  Tweedie, Langevin), :mod:`~manifold_diffusion.scores` (exact, empirical, population,
  smoothed and coarse scores), :mod:`~manifold_diffusion.kde`,
  :mod:`~manifold_diffusion.training`, :mod:`~manifold_diffusion.metrics`,
  :mod:`~manifold_diffusion.data`;
- presentation: :mod:`~manifold_diffusion.plotting`, :mod:`~manifold_diffusion.widgets`,
  :mod:`~manifold_diffusion.book`, :mod:`~manifold_diffusion.exercises`;
- experiments: :mod:`~manifold_diffusion.experiments` (one module per book experiment).

``plotting``, ``widgets`` and ``experiments`` load on first use (they need matplotlib and
ipywidgets); the others load with the package.

Every score is a callable ``score_fn(x, t)`` with ``x`` of shape ``(b, d)``; every sampler
accepts any such callable. Random functions take an explicit ``jax.random`` key first, and
every public function rejects bad input with a ``ValueError``/``TypeError`` naming the argument.
"""

import importlib

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

_LAZY = ("plotting", "widgets", "experiments")


def __getattr__(name: str):
    """Import the presentation and experiment modules on first access (``md.plotting``)."""
    if name in _LAZY:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    "plotting",
    "widgets",
    "experiments",
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
