r"""Score models as pure functions of their parameters.

A model is an immutable, hashable description (an ``equinox.Module`` whose fields are all
static) with two methods:

* ``model.init(key) -> params`` -- a pytree of arrays (plain ``dict``\ s), so that
  ``jax.vmap(model.init)(keys)`` initialises one network per seed;
* ``model.apply(params, x, t) -> (b, d)`` -- the score at ``x`` of shape ``(b, d)`` and a
  scalar time ``t``.

Both models output a *noise prediction* divided by :math:`\sigma_t`,
:math:`s_\theta(x,t) = -\,\varepsilon_\theta(x,t)/\sigma_t`
(the usual parametrisation, e.g. :cite:`song2021score`'s tutorial code): the target of denoising
score matching, :math:`-z/\sigma_t`, then has a network-side target :math:`z` of unit scale at
every time. The division is a fixed, parameter-free rescaling, so the random-feature model stays
linear in its trained output layer.

* :class:`RandomFeatures` -- the model of :cite:`li2023generalization`'s theorems,
  :math:`\varepsilon_\theta(x,t) = \tfrac1m A\,\mathrm{ReLU}(Wx + U e(t))` with only :math:`A`
  trained and :math:`W, U` frozen at their random draw, normalised to
  :math:`\|w_i\|_1 + \|u_i\|_1 = 1`;
* :class:`MLP` -- the model of the paper's *experiments*: a time-conditioned multilayer
  perceptron with Swish (SiLU) activations, input :math:`(x, e(t))`.

The time embedding :math:`e(t)` (:func:`time_embedding`) is a constant 1, the log noise level
:math:`u = \log\sigma_t` and Fourier features of :math:`u`; the paper leaves :math:`e(t)`
unspecified.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._checks import check_positive_int
from ..processes import Process
from .._types import ArrayInput

__all__ = ["time_embedding", "RandomFeatures", "MLP", "TrainedScore", "score_function",
           "count_parameters"]


def time_embedding(sigma, n_frequencies: int) -> Float[Array, "... e"]:
    r"""Embedding :math:`e(t) = (1, u, \sin ju, \cos ju)_{j=1..J}` of the noise level,
    :math:`u = \log\sigma_t`.

    :math:`u` ranges over about :math:`[-3.5, 1.5]` for the book's processes (VP with
    :math:`t \in [10^{-3}, 5]`: :math:`[-3.1, 0]`; VE with :math:`t\in[10^{-3}, 9]`:
    :math:`[-3.5, 1.1]`), so the frequencies :math:`j = 1..J` resolve it at scales from
    about 6 down to :math:`6/J`.

    Args:
      sigma: :math:`\sigma_t > 0`, a scalar or ``(b,)``.
      n_frequencies: :math:`J`.

    Returns:
      ``(2 + 2J,)``, or ``(b, 2 + 2J)``.
    """
    u = jnp.log(sigma)[..., None]
    j = jnp.arange(1, n_frequencies + 1, dtype=u.dtype).reshape((1,) * (u.ndim - 1) + (-1,))
    return jnp.concatenate([jnp.ones_like(u), u, jnp.sin(j * u), jnp.cos(j * u)], axis=-1)


def _check_xt(x, t, d):
    """Check ``x`` ``(b, d)``; return ``t`` as a ``(b, 1)`` column (``t`` scalar or ``(b,)``)."""
    if x.ndim != 2 or x.shape[1] != d:
        raise ValueError(f"x: expected shape (b, {d}) (d of the model), got {tuple(x.shape)}")
    t = jnp.asarray(t, x.dtype)
    if t.ndim == 1 and t.shape[0] != x.shape[0]:
        raise ValueError(f"t: expected a scalar or shape ({x.shape[0]},) (b from x), got "
                         f"{tuple(t.shape)}")
    if t.ndim > 1:
        raise ValueError(f"t: expected a scalar or shape (b,), got {tuple(t.shape)}")
    return jnp.broadcast_to(t, (x.shape[0],))[:, None]


class RandomFeatures(eqx.Module):
    r"""Random-feature score model (only the output layer is trained).

    .. math:: s_\theta(x,t) = -\frac{1}{\sigma_t}\,\frac1m\sum_{i=1}^m a_i\,
              \mathrm{ReLU}\big(w_i^\top x + u_i^\top e(t)\big),
              \qquad \|w_i\|_1 + \|u_i\|_1 = 1 ,

    the model of :cite:`li2023generalization` (their :math:`s_{t,\theta}`), up to the fixed
    factor :math:`-1/\sigma_t` (see the module docstring). ``params = {"output": A (m, d),
    "features": {"W": (m, d), "U": (m, e)}}``; the features are frozen: the loss sees them
    through ``stop_gradient`` and :func:`~manifold_diffusion.training.train` never moves them.

    Attributes:
      d: data dimension.
      width: number of features :math:`m`.
      n_frequencies: Fourier features of the time embedding.
      feature_scale: the features are scaled to :math:`\|w_i\|_1 + \|u_i\|_1 =`
        ``feature_scale`` (1 in the paper; any positive value is the same model class with a
        rescaled data axis).
    """

    d: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    n_frequencies: int = eqx.field(static=True, default=3)
    feature_scale: float = eqx.field(static=True, default=1.0)

    def __check_init__(self):
        check_positive_int("d", self.d)
        check_positive_int("width", self.width)
        check_positive_int("n_frequencies", self.n_frequencies, minimum=0)
        if not self.feature_scale > 0:
            raise ValueError(f"feature_scale: expected a value > 0, got {self.feature_scale}")

    trainable = ("output",)

    def init(self, key, dtype=None) -> dict:
        """Random features (Gaussian directions normalised in l1) and a zero output layer."""
        dtype = dtype or jnp.result_type(float)
        e = 2 + 2 * self.n_frequencies
        raw = jax.random.normal(key, (self.width, self.d + e), dtype)
        raw = self.feature_scale * raw / jnp.sum(jnp.abs(raw), axis=1, keepdims=True)
        return {"output": jnp.zeros((self.width, self.d), dtype),
                "features": {"W": raw[:, :self.d], "U": raw[:, self.d:]}}

    def features(self, params, x, sigma) -> Float[Array, "b m"]:
        """The frozen features :math:`\\mathrm{ReLU}(Wx + Ue(t))`, ``(b, m)``; ``sigma`` ``(b, 1)``."""
        f = jax.lax.stop_gradient(params["features"])
        emb = time_embedding(sigma[:, 0], self.n_frequencies).astype(x.dtype)
        return jax.nn.relu(x @ f["W"].T + emb @ f["U"].T)

    def apply(self, params, x: ArrayInput, t, process: Process) -> Float[Array, "b d"]:
        """Score at ``x`` ``(b, d)`` and time ``t`` (a scalar, or ``(b,)``: one per point)."""
        t = _check_xt(x, t, self.d)
        _, sigma = process.marginal(t)
        eps = self.features(params, x, sigma) @ params["output"] / self.width
        return -eps / sigma


class MLP(eqx.Module):
    r"""Time-conditioned multilayer perceptron with Swish activations.

    .. math:: h_0 = (x, e(t)),\quad h_{l} = \mathrm{swish}(W_l h_{l-1} + b_l),\quad
              s_\theta(x,t) = -\frac{1}{\sigma_t}\big(W_{L+1} h_L + b_{L+1}\big),

    ``depth`` hidden layers of ``width`` units (``depth = 1``: the one-hidden-layer Swish
    network of :cite:`li2023generalization`'s experiments). LeCun-normal weights, zero biases;
    every parameter is trained. ``params = {"layers": [{"W": (in, out), "b": (out,)}, ...]}``.

    Attributes:
      d: data dimension.
      width: hidden units per layer.
      depth: number of hidden layers.
      n_frequencies: Fourier features of the time embedding.
      input_scale: inputs :math:`x` are divided by this (the data's scale) before the first
        layer; it changes the initialisation's effective scale only.
      output: ``'noise'`` (default): the network predicts the noise and
        :math:`s = -\varepsilon_\theta/\sigma_t`; ``'score'``: the network's output times
        ``input_scale`` *is* the score (as in the paper's random-feature model; no
        :math:`1/\sigma_t` factor).
    """

    d: int = eqx.field(static=True)
    width: int = eqx.field(static=True)
    depth: int = eqx.field(static=True, default=1)
    n_frequencies: int = eqx.field(static=True, default=3)
    input_scale: float = eqx.field(static=True, default=1.0)
    output: str = eqx.field(static=True, default="noise")

    def __check_init__(self):
        check_positive_int("d", self.d)
        check_positive_int("width", self.width)
        check_positive_int("depth", self.depth)
        if self.output not in ("noise", "score"):
            raise ValueError(f"output: expected 'noise' or 'score', got {self.output!r}")
        check_positive_int("n_frequencies", self.n_frequencies, minimum=0)
        if not self.input_scale > 0:
            raise ValueError(f"input_scale: expected a value > 0, got {self.input_scale}")

    trainable = ("layers",)

    def init(self, key, dtype=None) -> dict:
        dtype = dtype or jnp.result_type(float)
        sizes = [self.d + 2 + 2 * self.n_frequencies] + [self.width] * self.depth + [self.d]
        keys = jax.random.split(key, len(sizes) - 1)
        layers = [{"W": jax.random.normal(k, (a, b), dtype) / math.sqrt(a),
                   "b": jnp.zeros((b,), dtype)}
                  for k, a, b in zip(keys, sizes[:-1], sizes[1:])]
        return {"layers": layers}

    def apply(self, params, x: ArrayInput, t, process: Process) -> Float[Array, "b d"]:
        """Score at ``x`` ``(b, d)`` and time ``t`` (a scalar, or ``(b,)``: one per point)."""
        t = _check_xt(x, t, self.d)
        _, sigma = process.marginal(t)
        emb = time_embedding(sigma[:, 0], self.n_frequencies).astype(x.dtype)
        h = jnp.concatenate([x / self.input_scale, emb], axis=1)
        layers = params["layers"]
        for layer in layers[:-1]:
            h = jax.nn.swish(h @ layer["W"] + layer["b"][None, :])
        out = h @ layers[-1]["W"] + layers[-1]["b"][None, :]
        return -out / sigma if self.output == "noise" else out * self.input_scale


def count_parameters(model, params) -> int:
    """Number of *trained* scalars of ``params`` (the output layer only for random features)."""
    trained = {k: params[k] for k in model.trainable}
    return int(sum(leaf.size for leaf in jax.tree_util.tree_leaves(trained)))


class TrainedScore(eqx.Module):
    """A trained model as a ``score_fn(x, t)``, ``(b, d) -> (b, d)``, accepted by every sampler.

    An ``equinox.Module``: its parameters are traced (not baked in as constants) when it is
    passed to a jitted sampler, so a new set of parameters does not recompile.

    Attributes: model (static description), params (pytree), process.
    """

    model: eqx.Module
    params: dict
    process: Process

    @property
    def d(self) -> int:
        return self.model.d

    def __call__(self, x: ArrayInput, t) -> Float[Array, "*b d"]:
        squeeze = x.ndim == 1
        x = x[None] if squeeze else x
        out = self.model.apply(self.params, x, t, self.process)
        return out[0] if squeeze else out


def score_function(model, params, process: Process) -> TrainedScore:
    """Wrap ``(model, params)`` as a score function ``score_fn(x, t)`` (see :class:`TrainedScore`)."""
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    return TrainedScore(model, params, process)
