r"""Fidelity of generated images without blur bias, and the blur baselines they are compared with.

A distance to held-out images rewards blur: the average of :math:`k` digits is closer in
:math:`L^2` to any digit than a copy of one digit is. So the digits chapter measures fidelity
with statistics that an average does *not* win, each compared at matched novelty with two
baselines that make novelty by blurring or by noise:

- a **classifier** trained on held-out images (:func:`fit_classifier`, multinomial logistic
  regression from scikit-learn, refitted into a :class:`LinearClassifier` that evaluates in JAX):
  its **confidence** on a sample (largest class probability), the per-sample **entropy** of its
  class probabilities, and the **class entropy** of the histogram of predicted labels (diversity:
  :math:`\log 10` for ten balanced classes, 0 when every sample is the same digit);
  :func:`classifier_stats`;
- **sharpness**: the total variation of an image (:func:`total_variation`) and the share of its
  spectral energy at high spatial frequencies (:func:`high_frequency_energy`) -- averaging
  lowers both;
- the **Fréchet distance** between Gaussian fits of two feature clouds (:func:`frechet_distance`),
  in a principal-component space (:func:`principal_components`) or in the classifier's logit
  space -- the statistic behind FID, here without a pretrained network;
- the number of **distinct modes** of a sample set (:func:`count_modes`): connected components of
  the graph joining samples closer than a radius (near-duplicates collapse into one);
- :func:`fidelity_report` gathers them, with novelty, into one :class:`FidelityReport`;
- the **baselines**: the average of a training image and its :math:`k - 1` nearest training
  images (:func:`knn_average_samples`, pure blur) and the Gaussian KDE
  (:class:`~manifold_diffusion.kde.GaussianKDE`, pure noise).

A perfect memorizer (copies of training images) scores like real images on every statistic of
this module; only novelty (:mod:`.memorization`) separates it. Each read-out therefore states
that ceiling beside it.
"""

from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Int

from .._checks import as_float_array, check_positive, check_positive_int
from ..keys import check_key
from .neighbors import as_point_cloud, nearest_neighbors
from .._types import ArrayInput

__all__ = ["LinearClassifier", "fit_classifier", "ClassifierStats", "classifier_stats",
           "total_variation", "high_frequency_energy", "principal_components", "frechet_distance",
           "count_modes", "knn_average_samples", "FidelityReport", "fidelity_report"]


class LinearClassifier(eqx.Module):
    r"""A multinomial linear classifier :math:`p(c\mid x) = \operatorname{softmax}_c(W_c^\top x + b_c)`.

    Attributes:
      weights: ``(m, d)`` one row per class.
      bias: ``(m,)``.
      classes: ``(m,)`` the labels of the rows (static tuple).
    """

    weights: Float[Array, "m d"]
    bias: Float[Array, " m"]
    classes: tuple = eqx.field(static=True)

    @property
    def d(self) -> int:
        return int(self.weights.shape[1])

    def _check(self, x):
        x = as_float_array("x", x, ndim=2)
        if x.shape[1] != self.d:
            raise ValueError(f"x: expected shape (b, {self.d}) (d of the classifier), got {tuple(x.shape)}")
        return x

    def logits(self, x: ArrayInput) -> Float[Array, "b m"]:
        """Class scores :math:`W x + b`, ``(b, m)`` (the classifier's feature space)."""
        x = self._check(x)
        return jnp.matmul(x, self.weights.T.astype(x.dtype), precision=jax.lax.Precision.HIGHEST) + self.bias[None, :]

    def probabilities(self, x: ArrayInput) -> Float[Array, "b m"]:
        """Class probabilities, ``(b, m)`` (rows sum to 1)."""
        return jax.nn.softmax(self.logits(x), axis=1)

    def predict(self, x: ArrayInput) -> Int[Array, " b"]:
        """The most probable label of each row, ``(b,)``."""
        return jnp.asarray(self.classes)[jnp.argmax(self.logits(x), axis=1)]

    def accuracy(self, x: ArrayInput, labels: ArrayInput) -> float:
        """Share of rows of ``x`` whose predicted label is ``labels``."""
        x = self._check(x)
        labels = np.asarray(labels)
        if labels.shape != (x.shape[0],):
            raise ValueError(f"labels: expected shape ({x.shape[0]},) (b from x), got {labels.shape}")
        return float(np.mean(np.asarray(self.predict(x)) == labels))


def fit_classifier(images: ArrayInput, labels: ArrayInput, *,
                   regularization: float = 1.0, max_iter: int = 5000) -> LinearClassifier:
    r"""Multinomial logistic regression (scikit-learn's ``LogisticRegression``, L-BFGS, L2 penalty
    of inverse strength ``regularization``) of ``labels`` on ``images``.

    Deterministic (L-BFGS from zero). The fitted weights are copied into a
    :class:`LinearClassifier`, whose probabilities equal scikit-learn's ``predict_proba``.

    Args:
      images: ``(n, d)`` training inputs (held-out images: never the training set of a
        generator being judged).
      labels: ``(n,)`` integer labels, at least two classes.
      regularization: scikit-learn's ``C > 0``.
      max_iter: L-BFGS iterations.

    Returns:
      :class:`LinearClassifier`.
    """
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(as_point_cloud("images", images, min_points=2), np.float64)
    y = np.asarray(labels)
    if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels: expected ({x.shape[0]},) integers (n from images), got "
                         f"{y.dtype} of shape {y.shape}")
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(f"labels: expected at least two classes, got {classes.tolist()}")
    check_positive("regularization", regularization)
    max_iter = check_positive_int("max_iter", max_iter)
    model = LogisticRegression(C=float(regularization), max_iter=max_iter)
    model.fit(x, y)
    dtype = jnp.result_type(float)
    return LinearClassifier(jnp.asarray(model.coef_, dtype), jnp.asarray(model.intercept_, dtype),
                            tuple(int(c) for c in model.classes_))


class ClassifierStats(NamedTuple):
    """What a classifier says about a set of samples (all scalars).

    Attributes:
      confidence: mean over samples of the largest class probability (1/m for noise-like
        inputs on which the classifier hesitates, near 1 for clear digits).
      entropy: mean over samples of the entropy of their class probabilities (nats).
      class_entropy: entropy (nats) of the histogram of predicted labels: the diversity of the
        set (:math:`\\log m` when balanced).
    """

    confidence: float
    entropy: float
    class_entropy: float


def classifier_stats(classifier: LinearClassifier, samples: ArrayInput) -> ClassifierStats:
    """:class:`ClassifierStats` of ``samples`` under ``classifier``."""
    if not isinstance(classifier, LinearClassifier):
        raise TypeError(f"classifier: expected a LinearClassifier (fit_classifier), got "
                        f"{type(classifier).__name__}")
    logp = jax.nn.log_softmax(classifier.logits(samples), axis=1)
    p = jnp.exp(logp)
    entropy = -jnp.sum(p * logp, axis=1)
    counts = np.bincount(np.asarray(jnp.argmax(logp, axis=1)), minlength=len(classifier.classes))
    share = counts[counts > 0] / counts.sum()
    return ClassifierStats(float(jnp.mean(jnp.max(p, axis=1))), float(jnp.mean(entropy)),
                           float(-np.sum(share * np.log(share))))


def _images(name, x, shape):
    x = as_float_array(name, x, ndim=2)
    if not (isinstance(shape, tuple) and len(shape) in (2, 3)
            and all(isinstance(s, (int, np.integer)) and s >= 1 for s in shape)):
        raise ValueError(f"shape: expected (H, W) or (H, W, C) positive integers, got {shape!r}")
    size = int(np.prod(shape))
    if x.shape[1] != size:
        raise ValueError(f"{name}: expected shape (b, {size}) (H*W*C from shape {shape}), got "
                         f"{tuple(x.shape)}")
    full = shape if len(shape) == 3 else shape + (1,)
    return x.reshape((x.shape[0],) + tuple(full))


def total_variation(images: ArrayInput, shape: tuple = (8, 8)) -> Float[Array, " b"]:
    r"""Anisotropic total variation of each image,
    :math:`\sum_{i,j,c} |x_{i+1,j,c} - x_{i,j,c}| + |x_{i,j+1,c} - x_{i,j,c}|`, ``(b,)``.

    Averaging images lowers it (the triangle inequality: :math:`TV(\bar x) \le \overline{TV(x)}`),
    so blur shows as lost total variation.

    Args: images: ``(b, H*W*C)`` flattened row by row, channels last. shape: ``(H, W)`` or
    ``(H, W, C)``.
    """
    x = _images("images", images, shape)
    return (jnp.sum(jnp.abs(jnp.diff(x, axis=1)), axis=(1, 2, 3))
            + jnp.sum(jnp.abs(jnp.diff(x, axis=2)), axis=(1, 2, 3)))


def high_frequency_energy(images: ArrayInput, shape: tuple = (8, 8), *,
                          cutoff: float = 0.5) -> Float[Array, " b"]:
    r"""Share of each image's non-constant spectral energy at high spatial frequencies, ``(b,)``.

    With :math:`\hat x(u, v)` the 2-D discrete Fourier transform (per channel) and
    :math:`\rho(u, v) = \sqrt{f_u^2 + f_v^2}/f_{\rm Nyquist}` the radial frequency in units of the
    Nyquist frequency (:math:`f` in cycles per pixel, :math:`f_{\rm Nyquist} = 1/2`),

    .. math:: \mathrm{HF}(x) = \frac{\sum_{\rho > \text{cutoff}} |\hat x|^2}
              {\sum_{(u,v)\neq(0,0)} |\hat x|^2} \in [0, 1]

    (0 for a constant image). Blur removes high frequencies first.
    """
    x = _images("images", images, shape)
    if not (isinstance(cutoff, (int, float)) and 0.0 <= cutoff < np.sqrt(2.0)):
        raise ValueError(f"cutoff: expected a number in [0, sqrt 2), got {cutoff!r}")
    h, w = x.shape[1], x.shape[2]
    power = jnp.abs(jnp.fft.fft2(x, axes=(1, 2))) ** 2                        # (b, H, W, C)
    fu, fv = np.fft.fftfreq(h), np.fft.fftfreq(w)
    rho = np.sqrt(fu[:, None] ** 2 + fv[None, :] ** 2) / 0.5
    high = jnp.asarray((rho > cutoff).astype(np.float64), power.dtype)[None, :, :, None]
    nonzero = jnp.asarray((rho > 0).astype(np.float64), power.dtype)[None, :, :, None]
    total = jnp.sum(power * nonzero, axis=(1, 2, 3))
    return jnp.where(total > 0, jnp.sum(power * high, axis=(1, 2, 3)) / jnp.where(total > 0, total, 1.0),
                     0.0)


def principal_components(points: ArrayInput, k: int):
    """The mean ``(d,)`` and the top ``k`` principal directions ``(k, d)`` (orthonormal rows,
    by decreasing variance) of ``points``; project with ``(x - mean) @ components.T``."""
    x = np.asarray(as_point_cloud("points", points, min_points=2), np.float64)
    k = check_positive_int("k", k)
    if k > min(x.shape):
        raise ValueError(f"k: expected at most min(n, d) = {min(x.shape)}, got {k}")
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    dtype = jnp.result_type(float)
    return jnp.asarray(mean, dtype), jnp.asarray(vt[:k], dtype)


def _psd_sqrt(a):
    lam, vec = np.linalg.eigh(0.5 * (a + a.T))
    return (vec * np.sqrt(np.clip(lam, 0.0, None))) @ vec.T


def frechet_distance(x: ArrayInput, y: ArrayInput) -> float:
    r"""Fréchet (2-Wasserstein) distance *squared* between Gaussian fits of two feature clouds,

    .. math:: \mathrm{FD}(x, y) = \|\mu_x - \mu_y\|^2 + \operatorname{tr}\Big(\Sigma_x + \Sigma_y
              - 2\big(\Sigma_x^{1/2}\Sigma_y\Sigma_x^{1/2}\big)^{1/2}\Big),

    with sample means and unbiased covariances, in float64 (symmetric eigendecompositions). This
    is the formula of FID (there in an Inception network's feature space); it depends on the
    sample sizes through the covariance estimates, so compare sets of equal size against the
    same reference.

    Args: x: ``(n, e)``, y: ``(m, e)`` features, ``n, m >= 2``.

    Returns: a float ``>= 0``.
    """
    x = np.asarray(as_point_cloud("x", x, min_points=2), np.float64)
    y = np.asarray(as_point_cloud("y", y, d=x.shape[1], what="features of x", min_points=2), np.float64)
    mx, my = x.mean(axis=0), y.mean(axis=0)
    cx = np.atleast_2d(np.cov(x, rowvar=False))
    cy = np.atleast_2d(np.cov(y, rowvar=False))
    root = _psd_sqrt(cx)
    cross = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root @ cy @ root), 0.0, None)))
    return float(max(np.sum((mx - my) ** 2) + np.trace(cx) + np.trace(cy) - 2.0 * cross, 0.0))


def count_modes(samples: ArrayInput, radius: float) -> int:
    r"""Number of connected components of the graph joining samples at distance :math:`\le`
    ``radius`` (single-linkage clusters): distinct modes of a sample set, where near-duplicates
    count once.

    Args: samples: ``(b, d)``. radius: the linkage distance ``> 0`` (e.g. a fraction of the
    typical distance between neighbouring training images).
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    x = np.asarray(as_point_cloud("samples", samples), np.float64)
    check_positive("radius", radius)
    sq = np.sum(x * x, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * x @ x.T, 0.0)
    n, _ = connected_components(csr_matrix(d2 <= float(radius) ** 2), directed=False)
    return int(n)


def knn_average_samples(key, data: ArrayInput, k, n_samples: int) -> Float[Array, "*g b d"]:
    r"""The blur baseline: averages of a training point and its :math:`k - 1` nearest neighbours.

    Each sample picks an anchor :math:`x_i` uniformly from ``data`` (with replacement) and
    returns :math:`\frac1k\sum_{j\in N_k(i)} x_j`, :math:`N_k(i)` the :math:`k` nearest rows of
    ``data`` to :math:`x_i` (itself included). ``k = 1`` gives copies; larger ``k`` blurs more.
    Such a sample is new and close in :math:`L^2` to real images, which is why the fidelity
    statistics of this module must beat it at matched novelty.

    Args:
      key: a ``jax.random`` key (the anchors).
      data: ``(n, d)`` training points.
      k: neighbours averaged, ``1 <= k <= n``; or a sequence of such values, for one set of
        samples per value from the *same* anchors (the neighbours are searched once).
      n_samples: number of samples ``b``.

    Returns:
      ``(b, d)``, or ``(len(k), b, d)`` for a sequence ``k``.
    """
    key = check_key("key", key)
    data = as_point_cloud("data", data)
    single = isinstance(k, (int, np.integer)) and not isinstance(k, bool)
    ks = [k] if single else list(k) if isinstance(k, (list, tuple)) else None
    if not ks:
        raise TypeError(f"k: expected an integer or a non-empty sequence of integers, got {k!r}")
    ks = [check_positive_int("k", value) for value in ks]
    if max(ks) > data.shape[0]:
        raise ValueError(f"k: expected k <= n = {data.shape[0]} (rows of data), got {max(ks)}")
    n_samples = check_positive_int("n_samples", n_samples)
    anchors = jax.random.randint(key, (n_samples,), 0, data.shape[0])
    nb = nearest_neighbors(data, data, k=max(ks))
    # the anchor itself is its own nearest neighbour (distance 0), unless it has exact duplicates
    rows = data[nb.indices[anchors]]                                         # (b, k_max, d)
    out = jnp.stack([jnp.mean(rows[:, :value], axis=1) for value in ks])
    return out[0] if single else out


class FidelityReport(NamedTuple):
    r"""Novelty and fidelity of a set of generated images, against a training set and a judge
    set of held-out images (all scalars; :func:`fidelity_report`).

    Attributes:
      memorized: fraction of samples with :math:`d_1/d_2 < 1/3` to the training set.
      novelty: mean distance of a sample to its nearest training image.
      confidence, entropy, class_entropy: :class:`ClassifierStats` under the judge's classifier.
      total_variation: mean :func:`total_variation` of the samples.
      high_frequency: mean :func:`high_frequency_energy` (cutoff 1/2 of Nyquist).
      frechet_pca: :func:`frechet_distance` to the judge set in its top principal components.
      frechet_logits: :func:`frechet_distance` to the judge set in the classifier's logit space.
    """

    memorized: float
    novelty: float
    confidence: float
    entropy: float
    class_entropy: float
    total_variation: float
    high_frequency: float
    frechet_pca: float
    frechet_logits: float


def fidelity_report(samples: ArrayInput, train: ArrayInput,
                    classifier: LinearClassifier, reference: ArrayInput, *,
                    n_components: int = 16, shape: tuple = (8, 8)) -> FidelityReport:
    r""":class:`FidelityReport` of ``samples``: novelty against ``train``, fidelity against the
    judge set ``reference`` (held-out images, never ``train``) and its ``classifier``.

    The principal components of the Fréchet distance are those of ``reference``
    (:func:`principal_components`, ``n_components`` of them). Compare reports of sample sets of
    the same size ``b``: the Fréchet distance's finite-sample bias depends on it.

    Args:
      samples: ``(b, d)`` generated images, ``b >= 2``.
      train: ``(n, d)`` the generator's training images (``n >= 2``).
      classifier: a :class:`LinearClassifier` fitted on held-out images.
      reference: ``(m, d)`` held-out images.
      n_components: principal components of the PCA Fréchet distance.
      shape: image shape for the sharpness statistics.
    """
    from .memorization import memorization_report

    samples = as_point_cloud("samples", samples, min_points=2)
    train = as_point_cloud("train", train, d=samples.shape[1], what="d from samples", min_points=2)
    reference = as_point_cloud("reference", reference, d=samples.shape[1], what="d from samples",
                               min_points=2)
    stats = classifier_stats(classifier, samples)
    rep = memorization_report(samples, train)
    mean, comp = principal_components(reference, n_components)

    def project(z):
        return (z - mean[None, :]) @ comp.T

    return FidelityReport(
        float(rep.fraction_memorized), float(jnp.mean(rep.nearest_distance)), stats.confidence,
        stats.entropy, stats.class_entropy, float(jnp.mean(total_variation(samples, shape))),
        float(jnp.mean(high_frequency_energy(samples, shape))),
        frechet_distance(project(samples), project(reference)),
        frechet_distance(classifier.logits(samples), classifier.logits(reference)))
