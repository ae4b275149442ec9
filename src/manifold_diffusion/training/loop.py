r"""The training loop: optax on the weighted DSM loss, one jitted ``lax.scan`` over steps.

:func:`train` runs ``n_steps`` optimiser steps on :func:`~.losses.weighted_dsm_loss` and
returns the final parameters, the loss at every step, and the parameters at
``n_checkpoints + 1`` evenly spaced steps (0 included), from which curves such as KL against
epochs are computed afterwards. The loop is a scan of ``n_checkpoints`` chunks, each a scan of
``n_steps // n_checkpoints`` steps, so the whole run is one compiled program; nothing is printed
inside it. :func:`train_seeds` ``vmap``-s the same run over keys (a curve with error bands is
one compiled call), and over an optional per-seed number of valid training points.

Step ``i`` draws its minibatch, times and noise from ``fold_in(key_train, i)``, so a run is
reproducible bit-for-bit from its key. With ``batch_size=None`` each step uses the whole
training set (then one step is one *epoch*); otherwise a step draws ``batch_size`` indices
uniformly with replacement and an epoch is ``n / batch_size`` steps.
"""

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive, check_positive_int
from ..processes import Process
from .losses import check_weighting, weighted_dsm_loss
from .fitting import select
from .models import MLP, RandomFeatures, TrainedScore, score_function
from .._types import ArrayInput

__all__ = ["TrainResult", "train", "train_seeds", "train_mlp", "select", "make_step"]


class TrainResult(NamedTuple):
    """Output of :func:`train` (leading seed axis ``s`` for :func:`train_seeds`).

    Attributes:
      params: final parameters (a pytree; ``(s, ...)`` leaves for several seeds).
      loss: ``(n_steps,)`` training loss (the minibatch's) at each step, before its update.
      checkpoints: parameters at ``checkpoint_steps``: leaves ``(c + 1, ...)``.
      checkpoint_steps: ``(c + 1,)`` step counts ``0, k, 2k, ..., n_steps`` (NumPy ints).
    """

    params: dict
    loss: Float[Array, " n_steps"]
    checkpoints: dict
    checkpoint_steps: Array


def _default_optimizer():
    return optax.adam(1e-3)


def _check_train_args(model, data, process, n_steps, n_checkpoints, batch_size, t_min,
                      weighting):
    if not hasattr(model, "init") or not hasattr(model, "apply"):
        raise TypeError(f"model: expected a model with init/apply (RandomFeatures, MLP), got "
                        f"{type(model).__name__}")
    if not isinstance(process, Process):
        raise TypeError(f"process: expected a manifold_diffusion Process (VP, VE), got "
                        f"{type(process).__name__}")
    data = as_float_array("data", data, ndim=2)
    if data.shape[0] == 0:
        raise ValueError(f"data: expected at least one point, got shape {tuple(data.shape)}")
    if data.shape[1] != model.d:
        raise ValueError(f"data: expected shape (n, {model.d}) (d of the model), got "
                         f"{tuple(data.shape)}")
    check_finite("data", data)
    n_steps = check_positive_int("n_steps", n_steps)
    n_checkpoints = check_positive_int("n_checkpoints", n_checkpoints)
    if n_steps % n_checkpoints:
        raise ValueError(f"n_checkpoints: expected a divisor of n_steps = {n_steps}, got "
                         f"{n_checkpoints}")
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    check_positive("t_min", t_min)
    if not t_min < process.T:
        raise ValueError(f"t_min: expected 0 < t_min < T = {process.T}, got {t_min}")
    check_weighting(weighting)
    return data, n_steps, n_checkpoints, batch_size


def _labels(model, params):
    """'train' for the model's trainable sub-trees, 'frozen' for the rest."""
    return {k: jax.tree_util.tree_map(lambda _: "train" if k in model.trainable else "frozen", v)
            for k, v in params.items()}


def make_step(model, data, process, optimizer, *, batch_size=None, t_min=1e-3,
              weighting="li2023"):
    """The optimiser step of :func:`train` as a pure function, for custom loops and benchmarks.

    Returns ``(init, step)``: ``init(params) -> opt_state`` and
    ``step((params, opt_state, key, n_valid), i) -> ((params', opt_state', key, n_valid), loss)``,
    which draws step ``i``'s randomness from ``fold_in(key, i)`` (the ``lax.scan`` body of
    :func:`train`; ``key`` is the *training* key, the second half of ``split(key)``).
    """
    n, _ = data.shape
    tx = optax.multi_transform({"train": optimizer, "frozen": optax.set_to_zero()},
                               lambda p: _labels(model, p))

    def loss_fn(params, key, n_valid):
        if batch_size is None:
            x0 = data
            mask = (jnp.arange(n) < n_valid).astype(data.dtype)
            k_loss = key
        else:
            k_idx, k_loss = jax.random.split(key)
            idx = jax.random.randint(k_idx, (batch_size,), 0, n_valid)
            x0, mask = data[idx], None
        score = lambda x, t: model.apply(params, x, t, process)   # noqa: E731
        return weighted_dsm_loss(k_loss, score, x0, process, t_min=t_min, weighting=weighting,
                                 mask=mask, per_point_time=True)

    def step(carry, i):
        """One optimiser step; records the loss."""
        params, opt_state, key, n_valid = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, jax.random.fold_in(key, i), n_valid)
        with jax.numpy_dtype_promotion("standard"):      # optax mixes int32 step counts into floats
            updates, opt_state = tx.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state, key, n_valid), loss

    return tx.init, step


def _make_run(model, data, process, optimizer, n_steps, n_checkpoints, batch_size, t_min,
              weighting):
    """The pure function ``(key, params0, n_valid) -> TrainResult`` (jittable, vmappable)."""
    per_chunk = n_steps // n_checkpoints
    init, step = make_step(model, data, process, optimizer, batch_size=batch_size, t_min=t_min,
                           weighting=weighting)

    def chunk(carry, c):
        """``per_chunk`` steps; emits the parameters at the chunk's end."""
        steps = c * per_chunk + jnp.arange(per_chunk)
        carry, losses = jax.lax.scan(step, carry, steps)
        return carry, (carry[0], losses)

    def run(key, params0, n_valid):
        carry = (params0, init(params0), key, n_valid)
        carry, (ckpts, losses) = jax.lax.scan(chunk, carry, jnp.arange(n_checkpoints))
        ckpts = jax.tree_util.tree_map(lambda a, b: jnp.concatenate([a[None], b]), params0,
                                       ckpts)
        return carry[0], losses.reshape(n_steps), ckpts

    return run


def _finish(params, loss, ckpts, n_steps, n_checkpoints):
    steps = jnp.arange(n_checkpoints + 1) * (n_steps // n_checkpoints)
    return TrainResult(params, loss, ckpts, steps)


def train(key, model, data: ArrayInput, process: Process, *, n_steps: int,
          optimizer: optax.GradientTransformation | None = None, batch_size: int | None = None,
          t_min: float = 1e-3, weighting: str = "li2023", n_checkpoints: int = 1,
          init_params=None) -> TrainResult:
    r"""Train ``model`` on ``data`` by denoising score matching.

    Args:
      key: a ``jax.random`` key; split once into an initialisation key and a training key.
      model: a :class:`~.models.RandomFeatures` or :class:`~.models.MLP`.
      data: ``(n, d)`` training points.
      process: the forward process (times are drawn on ``[t_min, process.T]``).
      n_steps: optimiser steps.
      optimizer: an optax transformation (default ``optax.adam(1e-3)``, the paper's Adam).
      batch_size: points per step, drawn with replacement; ``None`` for the full set.
      t_min: smallest training time.
      weighting: ``'li2023'`` (:math:`\lambda\propto\sigma_t`, the paper's eq. 6) or
        ``'sigma2'``.
      n_checkpoints: number of chunks; parameters are kept at ``n_checkpoints + 1`` steps.
        Must divide ``n_steps``.
      init_params: start from these parameters instead of ``model.init``.

    Returns:
      :class:`TrainResult`. ``score_function(model, result.params, process)`` is the trained
      score.
    """
    data, n_steps, n_checkpoints, batch_size = _check_train_args(
        model, data, process, n_steps, n_checkpoints, batch_size, t_min, weighting)
    k_init, k_train = jax.random.split(key)
    params0 = model.init(k_init, data.dtype) if init_params is None else init_params
    run = _make_run(model, data, process, optimizer or _default_optimizer(), n_steps,
                    n_checkpoints, batch_size, t_min, weighting)
    out = jax.jit(run)(k_train, params0, jnp.asarray(data.shape[0]))
    return _finish(*out, n_steps, n_checkpoints)


def train_seeds(keys, model, data: ArrayInput, process: Process, *, n_steps: int,
                optimizer: optax.GradientTransformation | None = None,
                batch_size: int | None = None, t_min: float = 1e-3, weighting: str = "li2023",
                n_checkpoints: int = 1, n_valid=None) -> TrainResult:
    r""":func:`train` for every key of ``keys`` ``(s,)`` in one compiled, ``vmap``-ed call.

    ``data`` is either shared ``(n, d)`` or per seed ``(s, n, d)``. ``n_valid`` ``(s,)``
    (optional) trains seed ``j`` on the first ``n_valid[j]`` rows only, so runs on training sets
    of different sizes also share one call. Seed ``j``'s result equals
    ``train(keys[j], ...)`` on the same data (up to floating-point reassociation by ``vmap``).

    Returns:
      :class:`TrainResult` with a leading axis ``s`` on every leaf.
    """
    keys = jnp.asarray(keys)
    if keys.ndim != 1 or not jax.dtypes.issubdtype(keys.dtype, jax.dtypes.prng_key):
        raise ValueError(f"keys: expected a (s,) array of jax.random keys, got shape "
                         f"{tuple(keys.shape)} and dtype {keys.dtype}")
    s = keys.shape[0]
    data = as_float_array("data", data)
    per_seed = data.ndim == 3
    if per_seed and data.shape[0] != s:
        raise ValueError(f"data: expected shape (n, d) or ({s}, n, d) (s from keys), got "
                         f"{tuple(data.shape)}")
    first = data[0] if per_seed else data
    first, n_steps, n_checkpoints, batch_size = _check_train_args(
        model, first, process, n_steps, n_checkpoints, batch_size, t_min, weighting)
    n = first.shape[0]
    if n_valid is None:
        n_valid = jnp.full((s,), n)
    n_valid = jnp.asarray(n_valid)
    if n_valid.shape != (s,) or not jnp.issubdtype(n_valid.dtype, jnp.integer):
        raise ValueError(f"n_valid: expected an integer array of shape ({s},), got "
                         f"{tuple(n_valid.shape)} {n_valid.dtype}")
    if bool(jnp.any(n_valid < 1)) or bool(jnp.any(n_valid > n)):
        raise ValueError(f"n_valid: expected values in [1, {n}], got {n_valid.tolist()}")
    split = jax.vmap(jax.random.split)(keys)
    k_init, k_train = split[:, 0], split[:, 1]
    params0 = jax.vmap(lambda k: model.init(k, first.dtype))(k_init)
    optimizer = optimizer or _default_optimizer()

    def one(k, p, nv, x):
        return _make_run(model, x, process, optimizer, n_steps, n_checkpoints, batch_size,
                         t_min, weighting)(k, p, nv)

    out = jax.jit(jax.vmap(one, in_axes=(0, 0, 0, 0 if per_seed else None)))(
        k_train, params0, n_valid, data)
    return _finish(*out, n_steps, n_checkpoints)




def train_mlp(key, data: ArrayInput, process: Process, *, n_steps: int,
              width: int = 128, depth: int = 2, learning_rate: float = 1e-3,
              batch_size: int | None = 256, t_min: float = 1e-3, weighting: str = "sigma2",
              n_checkpoints: int = 1) -> tuple[TrainedScore, TrainResult]:
    r"""Train a Swish :class:`~.models.MLP` with Adam; return ``(score_fn, result)``.

    A convenience wrapper of :func:`train` for other chapters: ``score_fn(x, t)`` is a
    :class:`~.models.TrainedScore` that every sampler accepts. Inputs are scaled by the data's
    root-mean-square norm per coordinate.
    """
    check_positive("learning_rate", learning_rate)
    data = as_float_array("data", data, ndim=2)
    scale = float(jnp.sqrt(jnp.mean(data * data))) if data.size else 1.0
    model = MLP(d=data.shape[1] if data.ndim == 2 else 1, width=width, depth=depth,
                input_scale=max(scale, 1e-6))
    result = train(key, model, data, process, n_steps=n_steps,
                   optimizer=optax.adam(learning_rate), batch_size=batch_size, t_min=t_min,
                   weighting=weighting, n_checkpoints=n_checkpoints)
    return score_function(model, result.params, process), result
