"""Bad-input rows for what chapters 1-3 and the introduction added to the library and their
experiment modules: ``(qualified_name, thunk, ExpectedError, "substring naming the argument")``."""

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion import data, metrics, scores
from manifold_diffusion.experiments import harness
from manifold_diffusion.experiments.diffusion_basics import (RingConfig, dsm, forward, memorization,
                                                             order, sampling, score_field)
from manifold_diffusion.experiments.intro import question
from manifold_diffusion.experiments.manifold_hypothesis import (EllipseConfig, coarse, departure,
                                                                frames, geometry, score_split)
from manifold_diffusion.experiments.manifold_hypothesis import memorization as mh_memorization
from manifold_diffusion.experiments.score_smoothing import (SmoothingConfig, circle, domains, flat,
                                                            lattice, moons, nll, segment, wavy)

_KEY = jax.random.key(0)
_DATA = jnp.array([[-1.0, 0.0], [1.0, 0.0]])
_CIRCLE = md.manifolds.Circle(1.0)
_POPULATION = md.PopulationScore(_CIRCLE, None, md.VE(T=9.0), n_nodes=64)
_ESTIMATE = metrics.two_nn(np.random.default_rng(0).normal(size=(50, 2)))

ROWS = [
    # scores: sigma-CFDM and departure_curves
    ("manifold_diffusion.scores.cfdm_sample", lambda: scores.cfdm_sample(0, _DATA, 4), TypeError, "key"),
    ("manifold_diffusion.scores.cfdm_sample", lambda: scores.cfdm_sample(_KEY, _DATA, 4, n_draws=3),
     ValueError, "n_draws"),
    ("manifold_diffusion.scores.cfdm_sample", lambda: scores.cfdm_sample(_KEY, _DATA, 0), ValueError,
     "n_samples"),
    ("manifold_diffusion.scores.cfdm_sample", lambda: scores.cfdm_sample(_KEY, _DATA, 4, bandwidth=-1.0),
     ValueError, "bandwidth"),
    ("manifold_diffusion.scores.cfdm_sample", lambda: scores.cfdm_sample(_KEY, "moons", 4), TypeError,
     "data"),
    ("manifold_diffusion.scores.cfdm_denoiser", lambda: scores.cfdm_denoiser(jnp.zeros((2, 3)), 0.5, _DATA),
     ValueError, "z"),
    ("manifold_diffusion.scores.cfdm_denoiser", lambda: scores.cfdm_denoiser(jnp.zeros((2, 2)), 1.0, _DATA),
     ValueError, "t"),
    ("manifold_diffusion.scores.cfdm_velocity",
     lambda: scores.cfdm_velocity(jnp.zeros((2, 2)), 0.5, _DATA, 0.4, jnp.zeros((2, 3, 2))),
     ValueError, "draws"),
    ("manifold_diffusion.scores.cfdm_velocity",
     lambda: scores.cfdm_velocity(jnp.zeros((2, 2)), 0.5, _DATA, "wide"), TypeError, "bandwidth"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(_KEY, [], _POPULATION, [0.1, 0.2, 0.3], 0.5), ValueError, "datasets"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(_KEY, [_DATA[:, :1]], _POPULATION, [0.1, 0.2, 0.3], 0.5),
     ValueError, "datasets[0]"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(_KEY, [_DATA], _POPULATION, [0.1, 0.2], 0.5), ValueError, "times"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(_KEY, [_DATA], "circle", [0.1, 0.2, 0.3], 0.5), TypeError,
     "population_score"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(1, [_DATA], _POPULATION, [0.1, 0.2, 0.3], 0.5), TypeError, "key"),
    ("manifold_diffusion.scores.departure_curves",
     lambda: scores.departure_curves(_KEY, [_DATA], _POPULATION, [0.1, 0.2, 0.3], -1.0), ValueError,
     "threshold"),
    ("manifold_diffusion.scores.DepartureCurves", lambda: scores.DepartureCurves(np.zeros(3)), TypeError,
     "sigmas"),
    # metrics
    ("manifold_diffusion.metrics.lattice_offsets", lambda: metrics.lattice_offsets([0.1], 0.0), ValueError,
     "spacing"),
    ("manifold_diffusion.metrics.lattice_offsets", lambda: metrics.lattice_offsets("angles", 0.5), TypeError,
     "coords"),
    ("manifold_diffusion.metrics.lattice_offsets", lambda: metrics.lattice_offsets([np.nan], 0.5),
     ValueError, "coords"),
    ("manifold_diffusion.metrics.gap_centre_fraction", lambda: metrics.gap_centre_fraction([], 0.5),
     ValueError, "coords"),
    ("manifold_diffusion.metrics.gap_centre_fraction", lambda: metrics.gap_centre_fraction([0.1], -1.0),
     ValueError, "spacing"),
    ("manifold_diffusion.metrics.lattice_stats", lambda: metrics.lattice_stats(np.zeros((4, 3)), 5, 0.5),
     ValueError, "samples"),
    ("manifold_diffusion.metrics.lattice_stats", lambda: metrics.lattice_stats(np.zeros((4, 2)), 0, 0.5),
     ValueError, "n"),
    ("manifold_diffusion.metrics.lattice_stats",
     lambda: metrics.lattice_stats(np.zeros((4, 2)), 5, 0.5, line_width=0.5), ValueError, "line_width"),
    ("manifold_diffusion.metrics.LatticeStats", lambda: metrics.LatticeStats(0.1), TypeError, "on_columns"),
    ("manifold_diffusion.metrics.fourier_amplitude", lambda: metrics.fourier_amplitude(np.zeros((5, 3))),
     ValueError, "samples"),
    ("manifold_diffusion.metrics.fourier_amplitude",
     lambda: metrics.fourier_amplitude(np.ones((5, 2)), frequency=0), ValueError, "frequency"),
    ("manifold_diffusion.metrics.fourier_amplitude", lambda: metrics.fourier_amplitude(None), TypeError,
     "samples"),
    ("manifold_diffusion.metrics.at_novelty", lambda: metrics.at_novelty([0.1, 0.2], [1.0], 0.15),
     ValueError, "value"),
    ("manifold_diffusion.metrics.at_novelty", lambda: metrics.at_novelty([], [], 0.15), ValueError,
     "novelty"),
    ("manifold_diffusion.metrics.at_novelty", lambda: metrics.at_novelty([0.1, 0.2], [1.0, 2.0], np.nan),
     ValueError, "target"),
    ("manifold_diffusion.metrics.bootstrap_dimension", lambda: metrics.bootstrap_dimension(0, _ESTIMATE),
     TypeError, "key"),
    ("manifold_diffusion.metrics.bootstrap_dimension", lambda: metrics.bootstrap_dimension(_KEY, 2.0),
     TypeError, "estimate"),
    ("manifold_diffusion.metrics.bootstrap_dimension",
     lambda: metrics.bootstrap_dimension(_KEY, _ESTIMATE, 5), ValueError, "n_resamples"),
    ("manifold_diffusion.metrics.bootstrap_dimension",
     lambda: metrics.bootstrap_dimension(_KEY, _ESTIMATE, 100, level=1.5), ValueError, "level"),
    # data
    ("manifold_diffusion.data.circle_points", lambda: data.circle_points(0), ValueError, "n"),
    ("manifold_diffusion.data.circle_points", lambda: data.circle_points(5, 1), ValueError, "d"),
    ("manifold_diffusion.data.circle_points", lambda: data.circle_points(5, radius=-1.0), ValueError,
     "radius"),
    ("manifold_diffusion.data.circle_points", lambda: data.circle_points(5, offset="up"), TypeError,
     "offset"),
    ("manifold_diffusion.data.curve_points", lambda: data.curve_points(md.manifolds.Sphere(2), 4),
     TypeError, "curve"),
    ("manifold_diffusion.data.curve_points", lambda: data.curve_points(_CIRCLE, 0), ValueError, "n"),
    ("manifold_diffusion.data.square_lattice", lambda: data.square_lattice(3, 0.0), ValueError, "spacing"),
    ("manifold_diffusion.data.square_lattice", lambda: data.square_lattice(2.5, 0.5), TypeError, "n"),
    ("manifold_diffusion.data.segment_points", lambda: data.segment_points(1), ValueError, "n"),
    ("manifold_diffusion.data.segment_points", lambda: data.segment_points(4, half_length=0.0), ValueError,
     "half_length"),
    ("manifold_diffusion.data.Segment", lambda: data.Segment(jnp.zeros((2, 2))), TypeError, "direction"),
    ("manifold_diffusion.data.two_moons", lambda: data.two_moons(1), ValueError, "n"),
    ("manifold_diffusion.data.ring_mixture", lambda: data.ring_mixture(0), ValueError, "n_modes"),
    ("manifold_diffusion.data.ring_mixture", lambda: data.ring_mixture(6, mode_std=-0.3), ValueError,
     "mode_std"),
    # the experiment harness
    ("manifold_diffusion.experiments.harness.check_result",
     lambda: harness.check_result(1.0, forward.Result), TypeError, "result"),
    ("manifold_diffusion.experiments.harness.check_config",
     lambda: harness.check_config(1.0, forward.Config), TypeError, "config"),
    # shared configurations
    ("manifold_diffusion.experiments.diffusion_basics.RingConfig", lambda: RingConfig(scale="fast"),
     ValueError, "scale"),
    ("manifold_diffusion.experiments.manifold_hypothesis.EllipseConfig", lambda: EllipseConfig(scale="x"),
     ValueError, "scale"),
    ("manifold_diffusion.experiments.score_smoothing.SmoothingConfig",
     lambda: SmoothingConfig.at_scale("huge"), ValueError, "scale"),
    # experiment helpers
    ("manifold_diffusion.experiments.diffusion_basics.score_field.noise_widget",
     lambda: score_field.noise_widget(0, score_field.Config()), TypeError, "key"),
    ("manifold_diffusion.experiments.diffusion_basics.score_field.noise_widget",
     lambda: score_field.noise_widget(_KEY, score_field.Config(), times=()), ValueError, "times"),
    ("manifold_diffusion.experiments.manifold_hypothesis.frames.widget",
     lambda: frames.widget(_KEY, memorization.Config()), TypeError, "config"),
    ("manifold_diffusion.experiments.manifold_hypothesis.memorization.predicted_fraction",
     lambda: mh_memorization.predicted_fraction(0.1, 0), ValueError, "n"),
    ("manifold_diffusion.experiments.manifold_hypothesis.memorization.predicted_fraction",
     lambda: mh_memorization.predicted_fraction(-0.1, 10), ValueError, "distance"),
    ("manifold_diffusion.experiments.manifold_hypothesis.geometry.manifold_table",
     lambda: geometry.manifold_table(1), TypeError, "manifold_table"),
    ("manifold_diffusion.experiments.manifold_hypothesis.departure.Sweep",
     lambda: departure.Sweep("sphere", (3,), (8,), (0.1, 1.0)), ValueError, "manifold"),
    ("manifold_diffusion.experiments.manifold_hypothesis.departure.table",
     lambda: departure.table("not a result"), TypeError, "result"),
    ("manifold_diffusion.experiments.manifold_hypothesis.departure.Curve",
     lambda: departure.Curve(1), TypeError, "d"),
    ("manifold_diffusion.experiments.score_smoothing.circle.table", lambda: circle.table(None), TypeError,
     "result"),
    ("manifold_diffusion.experiments.score_smoothing.circle.plot_gallery",
     lambda: circle.plot_gallery(None), TypeError, "result"),
    ("manifold_diffusion.experiments.score_smoothing.circle.plot_frame", lambda: circle.plot_frame(None),
     TypeError, "result"),
    ("manifold_diffusion.experiments.score_smoothing.circle.circle_stats",
     lambda: circle.circle_stats(np.zeros((4, 2)), np.zeros((3, 3))), ValueError, "data"),
    ("manifold_diffusion.experiments.score_smoothing.circle.frame_config",
     lambda: circle.frame_config(nll.Config(), 0.25), TypeError, "config"),
    ("manifold_diffusion.experiments.score_smoothing.circle.widget",
     lambda: circle.widget("seed", circle.Config()), TypeError, "key"),
    ("manifold_diffusion.experiments.score_smoothing.nll.log_normaliser",
     lambda: nll.log_normaliser(jnp.zeros(10), 1.4, 5), ValueError, "log_q"),
    ("manifold_diffusion.experiments.score_smoothing.nll.log_normaliser",
     lambda: nll.log_normaliser(jnp.zeros(25), -1.0, 5), ValueError, "box"),
]

# every experiment module: run checks its key and config, plot its result, Config its scale
# and Result its fields
for _module in (forward, score_field, sampling, order, dsm, memorization, geometry, score_split,
                coarse, mh_memorization, frames, departure, flat, circle, nll, domains, wavy, lattice,
                segment, moons, question):
    _name = _module.__name__
    _first = _module.Result._fields[1]
    ROWS += [
        (f"{_name}.run", lambda m=_module: m.run(0, m.Config()), TypeError, "key"),
        (f"{_name}.run", lambda m=_module: m.run(_KEY, {"n": 3}), TypeError, "config"),
        (f"{_name}.plot", lambda m=_module: m.plot("not a result"), TypeError, "result"),
        (f"{_name}.Config", lambda m=_module: m.Config(scale="fast"), ValueError, "scale"),
        (f"{_name}.Config", lambda m=_module: m.Config.at_scale("huge"), ValueError, "scale"),
        (f"{_name}.Result", lambda m=_module: m.Result(None), TypeError, _first),
    ]
