r"""Networks :math:`F` for the preconditioned denoiser of :mod:`.denoiser`.

A network is an immutable, hashable description -- an ``equinox.Module`` whose fields are all
static, so it can be a static argument of ``jax.jit`` -- with two methods:

* ``net.init(key, dtype=None) -> params``: a pytree of arrays (plain ``dict``\ s), so that
  ``jax.vmap(net.init)(keys)`` initialises one network per seed and optax applies directly;
* ``net.apply(params, x_in, c_noise) -> out``: ``x_in`` ``(b, d)`` (the preconditioned input
  :math:`c_{\rm in}(\sigma)\,y`), ``c_noise`` ``(b,)`` (the noise label
  :math:`c_{\rm noise}(\sigma) = \tfrac14\log\sigma`), ``out`` ``(b, d)``.

Optionally ``net.trainable``, a tuple of the top-level keys of ``params`` that training moves
(``None``: all); the others stay at their initial draw (the frozen features of
:class:`RandomFeatureNetwork`).

The noise label enters through :func:`fourier_features`. A new network (for instance the small
convolutional network of the digits chapter) goes in this module and implements the same
``init``/``apply`` protocol.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._checks import as_float_array, check_positive_int
from .._types import ArrayInput

__all__ = ["fourier_features", "noise_frequencies", "MLPNetwork", "RandomFeatureNetwork",
           "check_network"]


def noise_frequencies(n_frequencies: int, max_frequency: float = 16.0) -> np.ndarray:
    r"""The angular frequencies :math:`\omega_j` of :func:`fourier_features`: geometric from
    :math:`1/2` to ``max_frequency`` (``(J,)``, NumPy).

    With :math:`c_{\rm noise} = \tfrac14\ln\sigma` and :math:`\sigma\in[10^{-4}, 10^2]`,
    :math:`c_{\rm noise}` spans about 3.5 units: :math:`\omega = 1/2` varies once over the whole
    range, :math:`\omega = 16` (the default top) resolves a factor :math:`e^{0.4}\approx 1.5` in
    :math:`\sigma`. (A top of 32 trained no better and a little slower on the circle.)
    """
    n_frequencies = check_positive_int("n_frequencies", n_frequencies)
    if not (isinstance(max_frequency, (int, float)) and max_frequency > 0.5):
        raise ValueError(f"max_frequency: expected a number > 0.5, got {max_frequency!r}")
    return np.geomspace(0.5, float(max_frequency), n_frequencies)


def fourier_features(c_noise: ArrayInput, n_frequencies: int = 16, *,
                     max_frequency: float = 16.0) -> Float[Array, "b e"]:
    r"""Fourier features of the noise label, :math:`e(c) = (\cos\omega_j c,\ \sin\omega_j c)_{j\le J}`.

    Args:
      c_noise: ``(b,)`` noise labels (:math:`\tfrac14\ln\sigma` for the EDM denoiser).
      n_frequencies: :math:`J` (the book uses at least 16).
      max_frequency: the largest :math:`\omega_j` (see :func:`noise_frequencies`).

    Returns:
      ``(b, 2J)``.
    """
    c_noise = as_float_array("c_noise", c_noise, ndim=1)
    omega = jnp.asarray(noise_frequencies(n_frequencies, max_frequency), c_noise.dtype)
    phase = c_noise[:, None] * omega[None, :]
    return jnp.concatenate([jnp.cos(phase), jnp.sin(phase)], axis=1)


def _check_inputs(x_in, c_noise, d):
    if x_in.ndim != 2 or x_in.shape[1] != d:
        raise ValueError(f"x_in: expected shape (b, {d}) (d of the network), got {tuple(x_in.shape)}")
    if c_noise.shape != (x_in.shape[0],):
        raise ValueError(f"c_noise: expected shape ({x_in.shape[0]},) (b from x_in), got "
                         f"{tuple(c_noise.shape)}")


def _check_common(net):
    check_positive_int("d", net.d)
    check_positive_int("width", net.width)
    check_positive_int("n_frequencies", net.n_frequencies)
    noise_frequencies(net.n_frequencies, net.max_frequency)


class MLPNetwork(eqx.Module):
    r"""Multilayer perceptron with Swish (SiLU) activations and a Fourier noise embedding.

    .. math:: h_0 = \big(x_{\rm in},\ e(c_{\rm noise})\big),\qquad
              h_l = \mathrm{swish}(h_{l-1}W_l + b_l)\ (l = 1..L),\qquad
              F = h_L W_{L+1} + b_{L+1},

    ``depth`` :math:`= L` hidden layers of ``width`` units (``depth = 1`` is the one-hidden-layer
    Swish network of :cite:`li2023generalization`'s experiments), :math:`e` the
    :func:`fourier_features` of ``n_frequencies`` frequencies. Hidden weights are LeCun-normal
    (variance ``1/fan_in``), except the first layer's, whose rows for :math:`x_{\rm in}` have
    variance :math:`1/d` and rows for :math:`e` variance :math:`1/2J`: the data and the noise
    label then contribute equally to the first pre-activations (with plain LeCun the
    :math:`2J = 32` embedding inputs drown :math:`d = 2` data inputs, and training stalls for
    about a thousand steps). Biases start at zero; the output layer starts at **zero**, so the untrained
    denoiser is :math:`D = c_{\rm skip}(\sigma)\,y`, the posterior mean of a centred Gaussian of
    variance :math:`\sigma_{\rm data}^2` (EDM initialises its output layers near zero too,
    :cite:`karras2022elucidating`). Every parameter is trained.
    ``params = {"layers": [{"W": (in, out), "b": (out,)}, ...]}``.

    Attributes:
      d: data dimension.
      width: hidden units per layer.
      depth: number of hidden layers.
      n_frequencies: Fourier frequencies of the noise embedding (input size ``d + 2J``).
      max_frequency: the largest of them.
    """

    d: int = eqx.field(static=True)
    width: int = eqx.field(static=True, default=256)
    depth: int = eqx.field(static=True, default=3)
    n_frequencies: int = eqx.field(static=True, default=16)
    max_frequency: float = eqx.field(static=True, default=16.0)

    trainable = None

    def __check_init__(self):
        _check_common(self)
        check_positive_int("depth", self.depth)

    def init(self, key, dtype=None) -> dict:
        """Parameters: LeCun-normal hidden layers, zero biases, a zero output layer."""
        dtype = dtype or jnp.result_type(float)
        sizes = [self.d + 2 * self.n_frequencies] + [self.width] * self.depth + [self.d]
        keys = jax.random.split(key, len(sizes) - 1)
        layers = []
        for i, (k, a, b) in enumerate(zip(keys, sizes[:-1], sizes[1:])):
            if i == len(sizes) - 2:
                w = jnp.zeros((a, b), dtype)
            elif i == 0:   # data rows with variance 1/d, embedding rows with variance 1/2J
                scale = jnp.concatenate([jnp.full((self.d, 1), 1 / math.sqrt(self.d), dtype),
                                         jnp.full((a - self.d, 1), 1 / math.sqrt(a - self.d),
                                                  dtype)])
                w = jax.random.normal(k, (a, b), dtype) * scale
            else:
                w = jax.random.normal(k, (a, b), dtype) / math.sqrt(a)
            layers.append({"W": w, "b": jnp.zeros((b,), dtype)})
        return {"layers": layers}

    def apply(self, params, x_in: ArrayInput, c_noise: ArrayInput
              ) -> Float[Array, "b d"]:
        """``F(x_in, c_noise)``: ``(b, d)``, ``(b,)`` -> ``(b, d)``."""
        _check_inputs(x_in, c_noise, self.d)
        emb = fourier_features(c_noise, self.n_frequencies,
                               max_frequency=self.max_frequency).astype(x_in.dtype)
        h = jnp.concatenate([x_in, emb], axis=1)
        layers = params["layers"]
        for layer in layers[:-1]:
            h = jax.nn.swish(h @ layer["W"] + layer["b"][None, :])
        return h @ layers[-1]["W"] + layers[-1]["b"][None, :]

    def flops_per_point(self) -> int:
        """Multiply-adds of one forward pass for one input point, times two (flops)."""
        sizes = [self.d + 2 * self.n_frequencies] + [self.width] * self.depth + [self.d]
        return 2 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


class RandomFeatureNetwork(eqx.Module):
    r"""Random ReLU features with only the output layer trained, the model of
    :cite:`li2023generalization`'s theorems:

    .. math:: F(x_{\rm in}, c) = \frac1m\sum_{i=1}^m a_i\,
              \mathrm{ReLU}\big(w_i^\top x_{\rm in} + u_i^\top e(c) + b_i\big),

    :math:`e` the :func:`fourier_features` of the noise label. :math:`w_i \sim N(0, I_d/d)`,
    :math:`u_i \sim N(0, I/2J)`, :math:`b_i \sim N(0, 1)` are drawn once and frozen; the output
    weights :math:`A = (a_i) \in \mathbb R^{m\times d}` start at zero. The paper normalises
    :math:`\|w_i\|_1 + \|u_i\|_1 \le 1`; since ReLU is positively homogeneous, rescaling a
    feature's row rescales the feature and is absorbed into :math:`a_i`, so the model class is
    the same and only the *directions* of the rows matter. The denoiser is linear in :math:`A`,
    so its gradient flow on a fixed loss has a closed form
    (:func:`~manifold_diffusion.training.random_feature_flow`).

    ``params = {"output": A (m, d), "features": {"W": (m, d), "U": (m, 2J), "b": (m,)}}``.

    Attributes:
      d: data dimension.
      width: number of features :math:`m`.
      n_frequencies, max_frequency: the noise embedding.
    """

    d: int = eqx.field(static=True)
    width: int = eqx.field(static=True, default=1024)
    n_frequencies: int = eqx.field(static=True, default=16)
    max_frequency: float = eqx.field(static=True, default=16.0)

    trainable = ("output",)

    def __check_init__(self):
        _check_common(self)

    def init(self, key, dtype=None) -> dict:
        """Frozen Gaussian features and a zero output layer."""
        dtype = dtype or jnp.result_type(float)
        k_w, k_u, k_b = jax.random.split(key, 3)
        e = 2 * self.n_frequencies
        return {"output": jnp.zeros((self.width, self.d), dtype),
                "features": {
                    "W": jax.random.normal(k_w, (self.width, self.d), dtype) / math.sqrt(self.d),
                    "U": jax.random.normal(k_u, (self.width, e), dtype) / math.sqrt(e),
                    "b": jax.random.normal(k_b, (self.width,), dtype)}}

    def features(self, params, x_in: ArrayInput, c_noise: ArrayInput
                 ) -> Float[Array, "b m"]:
        r"""The frozen features :math:`\mathrm{ReLU}(Wx_{\rm in} + U e(c) + b)`, ``(b, m)``."""
        _check_inputs(x_in, c_noise, self.d)
        f = jax.lax.stop_gradient(params["features"])
        emb = fourier_features(c_noise, self.n_frequencies,
                               max_frequency=self.max_frequency).astype(x_in.dtype)
        return jax.nn.relu(x_in @ f["W"].T + emb @ f["U"].T + f["b"][None, :])

    def apply(self, params, x_in: ArrayInput, c_noise: ArrayInput
              ) -> Float[Array, "b d"]:
        """``F(x_in, c_noise) = features @ A / m``: ``(b, d)``."""
        return self.features(params, x_in, c_noise) @ params["output"] / self.width


def check_network(network) -> None:
    """Raise ``TypeError`` unless ``network`` has the ``init``/``apply`` protocol and an integer ``d``."""
    if not (callable(getattr(network, "init", None)) and callable(getattr(network, "apply", None))):
        raise TypeError(f"network: expected a network with init(key) and apply(params, x_in, "
                        f"c_noise) (MLPNetwork, RandomFeatureNetwork), got {type(network).__name__}")
    if not isinstance(getattr(network, "d", None), (int, np.integer)):
        raise TypeError(f"network: expected an integer attribute d, got {type(network).__name__}")
