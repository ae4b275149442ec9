r"""Training a denoiser: one jitted ``lax.scan``, an EMA of the parameters inside it, checkpoints.

:func:`fit` runs ``n_steps`` optimiser steps on :func:`~.denoising.denoising_loss` and keeps,
inside the same compiled loop,

* an exponential moving average of the parameters,
  :math:`\bar\theta_{k+1} = \beta\,\bar\theta_k + (1-\beta)\,\theta_{k+1}` (``ema_decay``
  :math:`=\beta`, ``optax.incremental_update``; EMA weights are what EDM samples with,
  :cite:`karras2022elucidating`), starting at :math:`\bar\theta_0 = \theta_0`;
* the raw and the EMA parameters at ``n_checkpoints + 1`` evenly spaced steps
  :math:`0, k, 2k, \dots,` ``n_steps`` (the loop is a scan of ``n_checkpoints`` chunks, each a
  scan of :math:`k` steps), from which curves such as KL against epochs are read afterwards;
* the minibatch loss at every step.

Nothing is printed inside; the program is compiled once per (denoiser, noise distribution,
weighting, optimizer, sizes) and reused for new data, keys, learning rates and EMA decays of the
same shapes. :func:`fit_seeds` ``vmap``-s the run over keys, per-seed training sets of different
sizes (padding: seed ``j`` uses the first ``n_valid[j]`` rows) and per-seed learning rates and
EMA decays, so a curve with error bands over seeds, sizes or hyper-parameters is one compiled
call.

**Randomness.** The key is split by name into ``"init"`` (the network's initialisation) and
``"steps"``; step ``i`` draws its minibatch, noise levels and noise from
``fold_in(steps, i)``. A run is therefore reproducible bit-for-bit from its key on one device,
and does not depend on ``n_checkpoints``.

**Epochs.** With ``batch_size=None`` every step uses the whole training set (one step is one
epoch, "full batch"); otherwise a step draws ``batch_size`` rows uniformly *with replacement*
and an epoch is ``n / batch_size`` steps.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float

from .._checks import as_float_array, check_finite, check_positive_int
from ..keys import check_key, name_tag
from .denoiser import Denoiser
from .denoising import _denoising_loss, check_denoising_weighting
from .noise_levels import check_sigma_distribution
from .._types import ArrayInput

__all__ = ["FitResult", "fit", "fit_seeds", "select", "make_fit_step", "DEFAULT_LEARNING_RATE"]

#: Adam's step when ``fit`` is given neither ``optimizer`` nor ``learning_rate``
#: (the paper's :math:`10^{-3}`, :cite:`li2023generalization`).
DEFAULT_LEARNING_RATE = 1e-3


class FitResult(NamedTuple):
    """Output of :func:`fit` (a leading seed axis ``s`` on every leaf for :func:`fit_seeds`).

    Attributes:
      params: final raw parameters.
      ema_params: final EMA parameters.
      loss: ``(n_steps,)`` the minibatch loss at each step, before its update.
      checkpoints: raw parameters at ``checkpoint_steps``: leaves ``(c + 1, ...)``.
      ema_checkpoints: EMA parameters at the same steps.
      checkpoint_steps: ``(c + 1,)`` NumPy ints ``0, k, 2k, ..., n_steps``.
    """

    params: object
    ema_params: object
    loss: Float[Array, " n_steps"]
    checkpoints: object
    ema_checkpoints: object
    checkpoint_steps: np.ndarray


def select(tree, *index):
    """The sub-pytree at ``index`` of every leaf, e.g. ``select(result.ema_checkpoints, j, c)``
    for seed ``j``'s EMA parameters at checkpoint ``c`` (integers, integer arrays or slices, one
    per leading axis)."""
    leaves = jax.tree_util.tree_leaves(tree)
    if not leaves:
        raise ValueError("tree: expected a pytree with array leaves, got one without leaves")
    for i in index:
        ok = (isinstance(i, (int, np.integer, slice)) and not isinstance(i, bool)) or (
            hasattr(i, "dtype") and jnp.issubdtype(i.dtype, jnp.integer))
        if not ok:
            raise TypeError(f"index: expected integers, integer arrays or slices, got {i!r}")
    if any(jnp.ndim(leaf) < len(index) for leaf in leaves):
        raise ValueError(f"index: {len(index)} indices, but a leaf of tree has fewer axes")
    for axis, i in enumerate(index):
        if isinstance(i, (int, np.integer)):
            size = min(jnp.shape(leaf)[axis] for leaf in leaves)
            if not -size <= int(i) < size:
                raise ValueError(f"index: {int(i)} is out of range for axis {axis} of size {size}")
    return jax.tree_util.tree_map(lambda a: a[index], tree)


def _labels(network, params):
    trainable = getattr(network, "trainable", None)
    return {k: jax.tree_util.tree_map(lambda _: "train" if k in trainable else "frozen", v)
            for k, v in params.items()}


def _optimizer(network, optimizer, learning_rate):
    base = optimizer if optimizer is not None else optax.adam(learning_rate)
    if getattr(network, "trainable", None) is None:
        return base
    return optax.multi_transform({"train": base, "frozen": optax.set_to_zero()},
                                 functools.partial(_labels, network))


def _make_step(den, data, n_valid, ema_decay, learning_rate, *, sigma_dist, weighting,
               optimizer, batch_size):
    """``(tx, step)``: the optax transformation and the ``lax.scan`` body of a run."""
    tx = _optimizer(den.network, optimizer, learning_rate)
    n = data.shape[0]
    decay = jnp.asarray(ema_decay, data.dtype)

    def loss_fn(params, k):
        if batch_size is None:
            mask = (jnp.arange(n) < n_valid).astype(data.dtype)
            return _denoising_loss(params, den, k, data, sigma_dist, weighting, mask)
        k_idx, k_loss = jax.random.split(k)
        x0 = data[jax.random.randint(k_idx, (batch_size,), 0, n_valid)]
        return _denoising_loss(params, den, k_loss, x0, sigma_dist, weighting, None)

    def step(carry, i):
        """One optimiser step and the EMA update; records the loss."""
        params, opt_state, ema, k_steps = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, jax.random.fold_in(k_steps, i))
        with jax.numpy_dtype_promotion("standard"):   # optax mixes its int32 step count into floats
            updates, opt_state = tx.update(grads, opt_state, params)
            params = optax.apply_updates(params, updates)
            ema = optax.incremental_update(params, ema, 1.0 - decay)
        return (params, opt_state, ema, k_steps), loss

    return tx, step


def _initial_carry(key, init_params, den, tx, dtype):
    k_init = jax.random.fold_in(key, name_tag("init"))
    k_steps = jax.random.fold_in(key, name_tag("steps"))
    params0 = den.init(k_init, dtype) if init_params is None else init_params
    return (params0, tx.init(params0), params0, k_steps)


def _run(key, init_params, data, n_valid, ema_decay, learning_rate, *, den, sigma_dist,
         weighting, optimizer, n_steps, batch_size, n_checkpoints):
    """One training run (pure; jitted and vmapped by the callers)."""
    tx, step = _make_step(den, data, n_valid, ema_decay, learning_rate, sigma_dist=sigma_dist,
                          weighting=weighting, optimizer=optimizer, batch_size=batch_size)
    carry = _initial_carry(key, init_params, den, tx, data.dtype)
    params0 = carry[0]
    per_chunk = n_steps // n_checkpoints

    def chunk(carry, c):
        """``per_chunk`` steps; emits the raw and EMA parameters at the chunk's end."""
        carry, losses = jax.lax.scan(step, carry, c * per_chunk + jnp.arange(per_chunk))
        return carry, ((carry[0], carry[2]), losses)

    carry, ((raw, ema), losses) = jax.lax.scan(chunk, carry, jnp.arange(n_checkpoints))
    prepend = lambda a, b: jnp.concatenate([a[None], b])   # noqa: E731
    return (carry[0], carry[2], losses.reshape(n_steps),
            jax.tree_util.tree_map(prepend, params0, raw),
            jax.tree_util.tree_map(prepend, params0, ema))


_STATIC = ("den", "sigma_dist", "weighting", "optimizer", "n_steps", "batch_size",
           "n_checkpoints")


@functools.partial(jax.jit, static_argnames=_STATIC)
def _fit_program(key, init_params, data, n_valid, ema_decay, learning_rate, **static):
    return _run(key, init_params, data, n_valid, ema_decay, learning_rate, **static)


@functools.partial(jax.jit, static_argnames=_STATIC + ("axes",))
def _fit_seeds_program(keys, init_params, data, n_valid, ema_decay, learning_rate, *, axes,
                       **static):
    one = functools.partial(_run, **static)
    return jax.vmap(one, in_axes=axes)(keys, init_params, data, n_valid, ema_decay,
                                       learning_rate)


def _check_fit_args(den, data, sigma_dist, weighting, optimizer, n_steps, batch_size,
                    n_checkpoints, learning_rate):
    if not isinstance(den, Denoiser):
        raise TypeError(f"den: expected a manifold_diffusion.training.Denoiser, got "
                        f"{type(den).__name__}")
    check_sigma_distribution("sigma_dist", sigma_dist)
    check_denoising_weighting(weighting)
    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(f"optimizer: expected an optax GradientTransformation or None, got "
                        f"{type(optimizer).__name__}")
    if optimizer is not None and learning_rate is not None:
        raise ValueError("learning_rate: give either optimizer or learning_rate (for the default "
                         "Adam), not both")
    n_steps = check_positive_int("n_steps", n_steps)
    n_checkpoints = check_positive_int("n_checkpoints", n_checkpoints)
    if n_steps % n_checkpoints:
        raise ValueError(f"n_checkpoints: expected a divisor of n_steps = {n_steps}, got "
                         f"{n_checkpoints}")
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    if data.shape[-1] != den.d or data.shape[-2] == 0:
        raise ValueError(f"data: expected shape (n, {den.d}) with n >= 1 (d of the denoiser), got "
                         f"{tuple(data.shape)}")
    check_finite("data", data)
    return n_steps, n_checkpoints, batch_size


def _check_hyper(name, value, default, s, dtype, low, high):
    """A scalar or ``(s,)`` hyper-parameter in the open/closed range given; returns (array, axis)."""
    value = default if value is None else value
    arr = as_float_array(name, value).astype(dtype)
    if arr.ndim > 1 or (arr.ndim == 1 and (s is None or arr.shape[0] != s)):
        expected = "a scalar" if s is None else f"a scalar or shape ({s},) (s from keys)"
        raise ValueError(f"{name}: expected {expected}, got shape {tuple(arr.shape)}")
    values = np.asarray(arr, np.float64)
    if not (np.all(np.isfinite(values)) and np.all(values >= low[0] if low[1] else values > low[0])
            and np.all(values < high)):
        lb = "[" if low[1] else "("
        raise ValueError(f"{name}: expected values in {lb}{low[0]:g}, {high:g}), got {value!r}")
    return arr, (0 if arr.ndim == 1 else None)


def _finish(out, n_steps, n_checkpoints) -> FitResult:
    steps = np.arange(n_checkpoints + 1) * (n_steps // n_checkpoints)
    return FitResult(*out, steps)


def fit(key, den: Denoiser, data: ArrayInput, *, sigma_dist, weighting: str = "edm",
        optimizer: optax.GradientTransformation | None = None, n_steps: int = 2000,
        batch_size: int | None = None, n_checkpoints: int = 1, ema_decay: float = 0.999,
        learning_rate: float | None = None, init_params=None) -> FitResult:
    r"""Train ``den`` on ``data`` by the denoising loss (module docstring).

    Args:
      key: a ``jax.random`` key (split by name into ``"init"`` and ``"steps"``).
      den: a :class:`~.denoiser.Denoiser`.
      data: ``(n, d)`` training points.
      sigma_dist: the training noise levels (:mod:`.noise_levels`).
      weighting: ``"edm"``, ``"sigma2"`` or ``"sigma"`` (:mod:`.denoising`).
      optimizer: an optax transformation; ``None``: Adam with ``learning_rate``.
      n_steps: optimiser steps.
      batch_size: rows per step, drawn with replacement; ``None``: the full set every step.
      n_checkpoints: parameters are kept at ``n_checkpoints + 1`` steps; must divide ``n_steps``.
      ema_decay: :math:`\beta \in [0, 1)` of the EMA.
      learning_rate: Adam's step for ``optimizer=None`` (default
        :data:`DEFAULT_LEARNING_RATE`); traced, so a new value does not recompile.
      init_params: start from these parameters instead of ``den.init``.

    Returns:
      :class:`FitResult`; ``denoiser_score(den, result.ema_params, process)`` is the trained score.
    """
    key = check_key("key", key)
    data = as_float_array("data", data, ndim=2)
    n_steps, n_checkpoints, batch_size = _check_fit_args(
        den, data, sigma_dist, weighting, optimizer, n_steps, batch_size, n_checkpoints,
        learning_rate)
    decay, _ = _check_hyper("ema_decay", ema_decay, 0.999, None, data.dtype, (0.0, True), 1.0)
    lr, _ = _check_hyper("learning_rate", learning_rate, DEFAULT_LEARNING_RATE, None, data.dtype,
                         (0.0, False), np.inf)
    out = _fit_program(key, init_params, data, jnp.asarray(data.shape[0]), decay, lr, den=den,
                       sigma_dist=sigma_dist, weighting=weighting, optimizer=optimizer,
                       n_steps=n_steps, batch_size=batch_size, n_checkpoints=n_checkpoints)
    return _finish(out, n_steps, n_checkpoints)


def fit_seeds(keys, den: Denoiser, data, *, n_valid=None, sigma_dist, weighting: str = "edm",
              optimizer: optax.GradientTransformation | None = None, n_steps: int = 2000,
              batch_size: int | None = None, n_checkpoints: int = 1, ema_decay=0.999,
              learning_rate=None) -> FitResult:
    r""":func:`fit` for every key of ``keys`` ``(s,)`` in one compiled, ``vmap``-ed call.

    Args:
      keys: ``(s,)`` ``jax.random`` keys (e.g. ``jax.random.split(key, s)``).
      den: the denoiser (shared).
      data: shared ``(n, d)``, or per seed ``(s, n, d)``.
      n_valid: optional ``(s,)`` integers in ``[1, n]``: seed ``j`` trains on the first
        ``n_valid[j]`` rows only (the rest is padding), so training sets of different sizes
        share one call.
      ema_decay: a scalar or ``(s,)``, one decay per seed.
      learning_rate: ``None``, a scalar or ``(s,)`` (with ``optimizer=None``).
      Other arguments: as :func:`fit`.

    Returns:
      :class:`FitResult` with a leading axis ``s`` on every leaf (but ``checkpoint_steps``).
      Seed ``j``'s result equals ``fit(keys[j], ...)`` on its data up to floating-point
      reassociation by ``vmap``.
    """
    keys = check_key("keys", keys, ndim=1)
    s = keys.shape[0]
    data = as_float_array("data", data)
    if data.ndim not in (2, 3) or (data.ndim == 3 and data.shape[0] != s):
        raise ValueError(f"data: expected shape (n, d) or ({s}, n, d) (s from keys), got "
                         f"{tuple(data.shape)}")
    n_steps, n_checkpoints, batch_size = _check_fit_args(
        den, data, sigma_dist, weighting, optimizer, n_steps, batch_size, n_checkpoints,
        learning_rate)
    n = data.shape[-2]
    if n_valid is None:
        n_valid = np.full((s,), n)
    n_valid_np = np.asarray(n_valid)
    if n_valid_np.shape != (s,) or not np.issubdtype(n_valid_np.dtype, np.integer):
        raise ValueError(f"n_valid: expected an integer array of shape ({s},) (s from keys), got "
                         f"shape {n_valid_np.shape} and dtype {n_valid_np.dtype}")
    if np.any(n_valid_np < 1) or np.any(n_valid_np > n):
        raise ValueError(f"n_valid: expected values in [1, {n}] (n from data), got "
                         f"{n_valid_np.tolist()}")
    decay, decay_axis = _check_hyper("ema_decay", ema_decay, 0.999, s, data.dtype, (0.0, True),
                                     1.0)
    lr, lr_axis = _check_hyper("learning_rate", learning_rate, DEFAULT_LEARNING_RATE, s,
                               data.dtype, (0.0, False), np.inf)
    axes = (0, None, 0 if data.ndim == 3 else None, 0, decay_axis, lr_axis)
    out = _fit_seeds_program(keys, None, data, jnp.asarray(n_valid_np, jnp.int32), decay, lr,
                             axes=axes, den=den, sigma_dist=sigma_dist, weighting=weighting,
                             optimizer=optimizer, n_steps=n_steps, batch_size=batch_size,
                             n_checkpoints=n_checkpoints)
    return _finish(out, n_steps, n_checkpoints)


def make_fit_step(key, den: Denoiser, data: ArrayInput, *, sigma_dist,
                  weighting: str = "edm", optimizer: optax.GradientTransformation | None = None,
                  batch_size: int | None = None, ema_decay: float = 0.999,
                  learning_rate: float | None = None):
    r"""The body of :func:`fit`'s ``lax.scan`` as a pure function, for custom loops and benchmarks.

    Returns ``(carry, step)``: the initial carry ``(params, opt_state, ema_params, step_key)``
    for ``key`` and ``step(carry, i) -> (carry, loss)``, the ``i``-th optimiser step and EMA
    update exactly as :func:`fit` runs it (so ``lax.scan(step, carry, jnp.arange(n))`` gives
    ``fit(key, ..., n_steps=n)``'s parameters and losses, up to compilation differences).

    Args: as :func:`fit`.
    """
    key = check_key("key", key)
    data = as_float_array("data", data, ndim=2)
    _, _, batch_size = _check_fit_args(den, data, sigma_dist, weighting, optimizer, 1,
                                       batch_size, 1, learning_rate)
    decay, _ = _check_hyper("ema_decay", ema_decay, 0.999, None, data.dtype, (0.0, True), 1.0)
    lr, _ = _check_hyper("learning_rate", learning_rate, DEFAULT_LEARNING_RATE, None, data.dtype,
                         (0.0, False), np.inf)
    tx, step = _make_step(den, data, jnp.asarray(data.shape[0]), decay, lr,
                          sigma_dist=sigma_dist, weighting=weighting, optimizer=optimizer,
                          batch_size=batch_size)
    return _initial_carry(key, None, den, tx, data.dtype), step
