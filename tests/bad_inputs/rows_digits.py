"""Bad-input rows: the digits chapter's library pieces (the convolutional network, the
trained-parameter store, the digit splits, fidelity metrics and baselines, the resampled smoothed
score, the local-PCA manifold).

Format as in ``rows_core.py``: ``(qualified_name, thunk, ExpectedError, "substring")``.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

import manifold_diffusion as md
from manifold_diffusion import data, manifolds, metrics, scores, training
from manifold_diffusion.training import store

TR = "manifold_diffusion.training."
NET = training.ConvNetwork(channels=4, depth=2)

CONV = [
    (TR + "ConvNetwork", lambda: training.ConvNetwork(shape=(8, 8)), ValueError, "shape:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(shape=(8, -1, 1)), ValueError, "shape:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(depth=1), ValueError, "depth:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(kernel_size=2), ValueError, "kernel_size:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(channels=2.5), TypeError, "channels:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(n_frequencies=0), ValueError, "n_frequencies:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(max_frequency=0.2), ValueError, "max_frequency:"),
    (TR + "ConvNetwork.init", lambda: NET.init(0), TypeError, "key:"),
    (TR + "ConvNetwork.apply", lambda: NET.apply(NET.init(jnp.zeros(2, jnp.uint32)), jnp.zeros((2, 65)),
                                                 jnp.zeros(2)), ValueError, "x_in:"),
    (TR + "ConvNetwork.apply", lambda: NET.apply(NET.init(jnp.zeros(2, jnp.uint32)), jnp.zeros((2, 64)),
                                                 jnp.zeros((2, 1))), ValueError, "c_noise:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((1, 4, 4, 1)), jnp.zeros((2, 2, 1, 1))), ValueError,
     "kernel:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((1, 4, 4, 3)), jnp.zeros((3, 3, 1, 2))), ValueError,
     "kernel:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((4, 4)), jnp.zeros((3, 3, 1, 2))), ValueError, "x:"),
    (TR + "conv2d", lambda: training.conv2d("image", jnp.zeros((3, 3, 1, 2))), TypeError, "x:"),
]



@dataclasses.dataclass(frozen=True)
class _Cfg:
    steps: int = 1


def _fit():
    return {"w": jnp.ones(2)}


ST = TR + "store."
STORE = [
    (ST + "load_or_fit", lambda: store.load_or_fit("../up", _Cfg(), _fit), ValueError, "name:"),
    (ST + "load_or_fit", lambda: store.load_or_fit(3, _Cfg(), _fit), ValueError, "name:"),
    (ST + "load_or_fit", lambda: store.load_or_fit("net", {"a": 1}, _fit), TypeError, "config:"),
    (ST + "load_or_fit", lambda: store.load_or_fit("net", object(), _fit), TypeError, "config:"),
    (ST + "load_or_fit", lambda: store.load_or_fit("net", _Cfg(), None), TypeError, "fit_fn:"),
    (ST + "artifact_path", lambda: store.artifact_path("", _Cfg()), ValueError, "name:"),
    (ST + "artifact_path", lambda: store.artifact_path("net", [1, 2]), TypeError, "config:"),
]

KEY = jax.random.key(0)
X = jnp.asarray(np.random.default_rng(0).random((30, 64)), jnp.float32)
Y = np.arange(30) % 3
CLF = metrics.fit_classifier(X, Y)
MT = "manifold_diffusion.metrics."
FIDELITY = [
    (MT + "fit_classifier", lambda: metrics.fit_classifier(X, Y[:-1]), ValueError, "labels:"),
    (MT + "fit_classifier", lambda: metrics.fit_classifier(X, np.zeros(30, int)), ValueError, "labels:"),
    (MT + "fit_classifier", lambda: metrics.fit_classifier(X, Y.astype(float)), ValueError, "labels:"),
    (MT + "fit_classifier", lambda: metrics.fit_classifier("images", Y), TypeError, "images:"),
    (MT + "fit_classifier", lambda: metrics.fit_classifier(X, Y, regularization=0.0), ValueError,
     "regularization:"),
    (MT + "LinearClassifier", lambda: CLF.logits(jnp.zeros((2, 63))), ValueError, "x:"),
    (MT + "LinearClassifier", lambda: CLF.accuracy(X, Y[:3]), ValueError, "labels:"),
    (MT + "classifier_stats", lambda: metrics.classifier_stats(None, X), TypeError, "classifier:"),
    (MT + "classifier_stats", lambda: metrics.classifier_stats(CLF, jnp.zeros((2, 5))), ValueError, "x:"),
    (MT + "total_variation", lambda: metrics.total_variation(jnp.zeros((2, 60))), ValueError, "images:"),
    (MT + "total_variation", lambda: metrics.total_variation(X, shape=(8,)), ValueError, "shape:"),
    (MT + "high_frequency_energy", lambda: metrics.high_frequency_energy(X, cutoff=-1.0), ValueError,
     "cutoff:"),
    (MT + "high_frequency_energy", lambda: metrics.high_frequency_energy(jnp.zeros(64)), ValueError,
     "images:"),
    (MT + "principal_components", lambda: metrics.principal_components(X, 0), ValueError, "k:"),
    (MT + "principal_components", lambda: metrics.principal_components(X, 40), ValueError, "k:"),
    (MT + "frechet_distance", lambda: metrics.frechet_distance(X, X[:, :3]), ValueError, "y:"),
    (MT + "frechet_distance", lambda: metrics.frechet_distance(X[:1], X), ValueError, "x:"),
    (MT + "count_modes", lambda: metrics.count_modes(X, -1.0), ValueError, "radius:"),
    (MT + "count_modes", lambda: metrics.count_modes("x", 1.0), TypeError, "samples:"),
    (MT + "knn_average_samples", lambda: metrics.knn_average_samples(1, X, 2, 4), TypeError, "key:"),
    (MT + "knn_average_samples", lambda: metrics.knn_average_samples(KEY, X, 31, 4), ValueError, "k:"),
    (MT + "knn_average_samples", lambda: metrics.knn_average_samples(KEY, X, 2, 0), ValueError,
     "n_samples:"),
]

EMP = scores.EmpiricalScore(X[:5], md.VE(T=4.0))
SC = "manifold_diffusion.scores."
LOCAL = manifolds.LocalPCAManifold(X[:10], 1)
MF = "manifold_diffusion.manifolds."
SMOOTHING = [
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, -1.0, 4, KEY), ValueError,
     "bandwidth:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, "wide", 4, KEY), TypeError,
     "bandwidth:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 3, KEY), ValueError,
     "n_draws:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 4, 0), TypeError, "key:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore("s", 0.1, 4, KEY), TypeError,
     "score:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 4, KEY,
                                                                          manifold=manifolds.Circle()),
     ValueError, "manifold:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 4, KEY, manifold=3),
     TypeError, "manifold:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 4, KEY)(
        jnp.zeros((2, 3)), 0.1), ValueError, "x:"),
    (SC + "ResampledSmoothedScore", lambda: scores.ResampledSmoothedScore(EMP, 0.1, 4, KEY)(
        jnp.zeros((2, 64)), jnp.ones(2)), ValueError, "t:"),
    (MF + "LocalPCAManifold", lambda: manifolds.LocalPCAManifold(X, 64), ValueError, "k:"),
    (MF + "LocalPCAManifold", lambda: manifolds.LocalPCAManifold(X, 1, n_neighbors=1), ValueError,
     "n_neighbors:"),
    (MF + "LocalPCAManifold", lambda: manifolds.LocalPCAManifold(X[0], 1), ValueError, "points:"),
    (MF + "LocalPCAManifold", lambda: LOCAL.project(jnp.zeros((2, 3))), ValueError, "x:"),
    (MF + "LocalPCAManifold", lambda: LOCAL.tangent_basis(jnp.zeros(64)), ValueError, "x:"),
    (MF + "local_pca_tangents", lambda: manifolds.local_pca_tangents(X, 1, 31), ValueError, "n_neighbors:"),
    (MF + "local_pca_tangents", lambda: manifolds.local_pca_tangents(X.at[0, 0].set(jnp.nan), 1, 3),
     ValueError, "points:"),
]

DA = "manifold_diffusion.data."
DATA = [
    (DA + "disjoint_digit_sets", lambda: data.disjoint_digit_sets(KEY, n_held_out=0), ValueError, "n_held_out:"),
    (DA + "disjoint_digit_sets", lambda: data.disjoint_digit_sets(KEY, n_held_out=1795), ValueError,
     "n_held_out:"),
    (DA + "disjoint_digit_sets", lambda: data.disjoint_digit_sets(KEY, value_range=(1, 0)), ValueError,
     "value_range:"),
    (DA + "disjoint_digit_sets", lambda: data.disjoint_digit_sets(5), TypeError, "key:"),
]

ROWS = CONV + STORE + FIDELITY + SMOOTHING + DATA

# --- the chapter's experiment modules ------------------------------------------------------------
from manifold_diffusion.experiments.digits import (curve, denoisers, dimension, fidelity,  # noqa: E402
                                                   smoothing, transition)

_REPORT = metrics.FidelityReport(*([0.5] * 9))
EXPERIMENTS = [
    ("manifold_diffusion.experiments.digits.denoisers.Recipe", lambda: denoisers.Recipe("unet"),
     ValueError, "network"),
    ("manifold_diffusion.experiments.digits.denoisers.Recipe", lambda: denoisers.Recipe(n_train=2000),
     ValueError, "n_train"),
    ("manifold_diffusion.experiments.digits.denoisers.fit", lambda: denoisers.fit(0, denoisers.Recipe()),
     TypeError, "key"),
    ("manifold_diffusion.experiments.digits.denoisers.fit", lambda: denoisers.fit(KEY, "mlp"), TypeError,
     "recipe"),
    ("manifold_diffusion.experiments.digits.denoisers.trained", lambda: denoisers.trained("seed", denoisers.Recipe()),
     TypeError, "key"),
    ("manifold_diffusion.experiments.digits.denoisers.trained", lambda: denoisers.trained(KEY, None),
     TypeError, "recipe"),
    ("manifold_diffusion.experiments.digits.denoisers.plot_samples", lambda: denoisers.plot_samples(None),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.transition.crossing", lambda: transition.crossing([1], [1], [0]),
     ValueError, "sizes"),
    ("manifold_diffusion.experiments.digits.transition.crossing",
     lambda: transition.crossing([1, 2], [1, 0, 0], [0, 1]), ValueError, "falling"),
    ("manifold_diffusion.experiments.digits.transition.plot_pairs", lambda: transition.plot_pairs(3),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.fidelity.matched", lambda: fidelity.matched(None, _REPORT),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.fidelity.table", lambda: fidelity.table("result", {}),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.fidelity.compare", lambda: fidelity.compare(None, {"a": _REPORT}),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.smoothing.plot_samples", lambda: smoothing.plot_samples([]),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.smoothing.plot_frame", lambda: smoothing.plot_frame(None),
     TypeError, "result"),
    ("manifold_diffusion.experiments.digits.smoothing.frame", lambda: smoothing.frame(KEY, {"h": 1}, 0.1),
     TypeError, "config"),
    ("manifold_diffusion.experiments.digits.smoothing.frame", lambda: smoothing.frame(1, smoothing.Config(), 0.1),
     TypeError, "key"),
    ("manifold_diffusion.experiments.digits.smoothing.frame", lambda: smoothing.frame(KEY, smoothing.Config(), -0.1),
     ValueError, "bandwidth"),
    ("manifold_diffusion.experiments.digits.smoothing.bandwidth_widget",
     lambda: smoothing.bandwidth_widget(KEY, smoothing.Config(), bandwidths=[])[1](0.1), ValueError, "options"),
    ("manifold_diffusion.experiments.digits.curve.plot_samples", lambda: curve.plot_samples(None), TypeError,
     "result"),
]
for _module in (denoisers, transition, fidelity, smoothing, curve, dimension):
    _name = _module.__name__
    EXPERIMENTS += [
        (f"{_name}.run", lambda m=_module: m.run(0, m.Config()), TypeError, "key"),
        (f"{_name}.run", lambda m=_module: m.run(KEY, {"n": 3}), TypeError, "config"),
        (f"{_name}.plot", lambda m=_module: m.plot("not a result"), TypeError, "result"),
        (f"{_name}.Config", lambda m=_module: m.Config(scale="fast"), ValueError, "scale"),
        (f"{_name}.Config", lambda m=_module: m.Config.at_scale("huge"), ValueError, "scale"),
    ]
ROWS = ROWS + EXPERIMENTS

ROWS += [
    ("manifold_diffusion.metrics.fidelity_report", lambda: metrics.fidelity_report(X[:1], X, CLF, X),
     ValueError, "samples"),
    ("manifold_diffusion.metrics.fidelity_report", lambda: metrics.fidelity_report(X, X[:, :10], CLF, X),
     ValueError, "train"),
    ("manifold_diffusion.metrics.fidelity_report", lambda: metrics.fidelity_report(X, X, "logistic", X),
     TypeError, "classifier"),
]
