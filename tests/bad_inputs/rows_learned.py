"""Bad-input rows for chapter 5's experiment modules (``experiments/learned_scores``):
``(qualified_name, thunk, ExpectedError, "substring naming the argument")``."""

import jax

from manifold_diffusion.experiments.learned_scores import capacity, dynamics, modes, theorem1, ucurve

_KEY = jax.random.key(0)

ROWS = [
    ("manifold_diffusion.experiments.learned_scores.dynamics.setting", lambda: dynamics.setting(1, _KEY),
     ValueError, "d"),
    ("manifold_diffusion.experiments.learned_scores.dynamics.setting", lambda: dynamics.setting(3, 7),
     TypeError, "key"),
    ("manifold_diffusion.experiments.learned_scores.dynamics.plot_geometry",
     lambda: dynamics.plot_geometry(None), TypeError, "result"),
    ("manifold_diffusion.experiments.learned_scores.dynamics.plot_timescales",
     lambda: dynamics.plot_timescales({"tau": 1}), TypeError, "result"),
    ("manifold_diffusion.experiments.learned_scores.dynamics.plot_random_features",
     lambda: dynamics.plot_random_features(ucurve), TypeError, "result"),
    ("manifold_diffusion.experiments.learned_scores.theorem1.bump_log_prob",
     lambda: theorem1.bump_log_prob("x"), TypeError, "x"),
    ("manifold_diffusion.experiments.learned_scores.theorem1.bump_sample",
     lambda: theorem1.bump_sample(3, 10), TypeError, "key"),
    ("manifold_diffusion.experiments.learned_scores.theorem1.bump_sample",
     lambda: theorem1.bump_sample(_KEY, 0), ValueError, "n"),
    ("manifold_diffusion.experiments.learned_scores.ucurve.denoiser", lambda: ucurve.denoiser(0),
     ValueError, "width"),
    ("manifold_diffusion.experiments.learned_scores.ucurve.denoiser", lambda: ucurve.denoiser(2.5),
     TypeError, "width"),
    ("manifold_diffusion.experiments.learned_scores.ucurve.plot_densities",
     lambda: ucurve.plot_densities("result"), TypeError, "result"),
]

# every experiment module: run checks its key and config, plot its result, Config its scale
for _module in (capacity, modes, theorem1, ucurve, dynamics):
    _name = _module.__name__
    ROWS += [
        (f"{_name}.run", lambda m=_module: m.run(0, m.Config()), TypeError, "key"),
        (f"{_name}.run", lambda m=_module: m.run(_KEY, {"n": 3}), TypeError, "config"),
        (f"{_name}.Config", lambda m=_module: m.Config(scale="fast"), ValueError, "scale"),
        (f"{_name}.Config", lambda m=_module: m.Config.at_scale("huge"), ValueError, "scale"),
    ]
    if hasattr(_module, "plot"):
        ROWS.append((f"{_name}.plot", lambda m=_module: m.plot("not a result"), TypeError, "result"))
