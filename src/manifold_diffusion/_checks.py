"""Argument checks shared by the whole library.

Every public function validates its inputs at the API boundary and raises a
``ValueError`` (wrong shape, size or range) or ``TypeError`` (wrong kind of object)
whose message names the argument, what was expected and what arrived, e.g.::

    ValueError: data: expected shape (n, d) with d == 3 (from x), got (100, 2)

Shape checks are static, so they also run while tracing under ``jit``. Value checks
(finiteness, ranges) need concrete numbers: they run eagerly and are skipped for
tracers, where they cannot be evaluated without a host round-trip.
"""

from collections.abc import Sequence
import numbers

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "as_float_array",
    "check_shape",
    "check_finite",
    "check_positive_int",
    "check_positive",
    "check_in_interval",
    "is_concrete",
]


def is_concrete(x) -> bool:
    """True when ``x`` holds concrete values (not a tracer under ``jit``/``vmap``/``grad``)."""
    return not any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(x))


def as_float_array(name: str, x, *, ndim: int | None = None, min_ndim: int | None = None):
    """Convert ``x`` to a floating JAX array, checking its kind and rank.

    Integer and boolean inputs are promoted to the default float dtype; anything that
    is not array-like raises ``TypeError``. NumPy float64 input becomes float32 unless
    x64 is enabled (JAX's usual rule).

    Args:
      name: the argument's name, used in error messages.
      x: array-like.
      ndim: required number of dimensions, if any.
      min_ndim: smallest allowed number of dimensions, if any.
    """
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}")
    try:
        arr = jnp.asarray(x)
    except TypeError as err:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}") from err
    if not (jnp.issubdtype(arr.dtype, jnp.floating) or jnp.issubdtype(arr.dtype, jnp.integer)
            or arr.dtype == jnp.bool_):
        raise TypeError(f"{name}: expected a real floating array, got dtype {arr.dtype}")
    if not jnp.issubdtype(arr.dtype, jnp.floating):
        arr = arr.astype(jnp.result_type(float))
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {tuple(arr.shape)}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{name}: expected at least {min_ndim} dimensions, got shape {tuple(arr.shape)}")
    return arr


def check_shape(name: str, x, expected: Sequence[int | None], what: str = "") -> None:
    """Raise ``ValueError`` unless ``x.shape`` matches ``expected`` (``None`` is a wildcard).

    ``what`` explains where the expected sizes come from, e.g. ``"d from data"``.
    """
    shape = tuple(x.shape)
    ok = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not ok:
        spec = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ")"
        suffix = f" ({what})" if what else ""
        raise ValueError(f"{name}: expected shape {spec}{suffix}, got {shape}")


def check_finite(name: str, x) -> None:
    """Raise ``ValueError`` if a concrete ``x`` holds NaN or inf (no-op for tracers)."""
    if is_concrete(x) and not bool(jnp.all(jnp.isfinite(x))):
        bad = int(jnp.size(x) - jnp.sum(jnp.isfinite(x)))
        raise ValueError(f"{name}: expected finite values, found {bad} NaN or inf entries")


def check_positive_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an ``int`` after checking it is an integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_positive(name: str, value) -> None:
    """Raise unless a concrete ``value`` is a finite number ``> 0`` (all entries, for arrays)."""
    if not is_concrete(value):
        return
    arr = np.asarray(value)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: expected a positive real number, got {value!r}")
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"{name}: expected a finite value > 0, got {value!r}")


def check_in_interval(name: str, value, low: float, high: float, *,
                      low_open: bool = True, high_open: bool = False) -> None:
    """Raise unless every entry of a concrete ``value`` lies in the interval from low to high.

    The default is the half-open interval ``(low, high]``, the valid range of a diffusion time.
    """
    if not is_concrete(value):
        return
    arr = np.asarray(value, dtype=np.float64)
    above = arr > low if low_open else arr >= low
    below = arr < high if high_open else arr <= high
    if not (np.all(np.isfinite(arr)) and np.all(above) and np.all(below)):
        lb, rb = ("(" if low_open else "["), (")" if high_open else "]")
        shown = arr.item() if arr.size == 1 else f"values in [{arr.min():.3g}, {arr.max():.3g}]"
        raise ValueError(f"{name}: expected a value in {lb}{low:g}, {high:g}{rb}, got {shown}")
