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
    "check_nonnegative",
    "check_in_interval",
    "check_scalar",
    "check_type",
    "check_callable",
    "check_monotone",
    "check_choice",
    "check_shape_tuple",
    "as_real",
    "as_point_cloud",
    "as_numpy_float",
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


def as_point_cloud(name: str, x, *, d: int | None = None, what: str = "", min_points: int = 1):
    """Validate a point cloud: a finite ``(n, d)`` float array with at least ``min_points`` rows.

    A 1-D ``x`` is read as ``(n, 1)`` when ``d == 1``.
    """
    x = as_float_array(name, x)
    if x.ndim == 1 and d == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name}: expected shape (n, d), got {tuple(x.shape)}")
    if d is not None:
        check_shape(name, x, (None, d), what)
    if x.shape[0] < min_points:
        plural = "point" if min_points == 1 else "points"
        raise ValueError(f"{name}: expected at least {min_points} {plural}, got shape {tuple(x.shape)}")
    check_finite(name, x)
    return x


def as_numpy_float(name: str, x, *, ndim: int | None = None) -> np.ndarray:
    """``x`` as a float64 NumPy array (``TypeError`` naming ``name`` if it holds no numbers)."""
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}")
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: expected an array of numbers, got {type(x).__name__}") from err
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) \
            or np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
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


def check_nonnegative(name: str, value) -> None:
    """Raise unless a concrete ``value`` is a finite number ``>= 0`` (all entries, for arrays)."""
    if not is_concrete(value):
        return
    _check_real(name, value, "a real number >= 0")
    arr = np.asarray(value)
    if not (np.all(np.isfinite(arr)) and np.all(arr >= 0)):
        raise ValueError(f"{name}: expected a finite value >= 0, got {value!r}")


def _check_real(name: str, value, what: str) -> None:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__}")
    arr = np.asarray(value)
    if (arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.number)
            or np.issubdtype(arr.dtype, np.complexfloating)):
        raise TypeError(f"{name}: expected {what}, got {value!r}")


def as_real(name: str, value) -> float:
    """Return a concrete real number (Python or NumPy scalar, or a 0-d array) as a finite ``float``."""
    check_scalar(name, value)
    if not is_concrete(value):
        raise TypeError(f"{name}: expected a concrete number, got a traced value (pass it outside jit)")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name}: expected a finite number, got {out!r}")
    return out


def check_scalar(name: str, value) -> None:
    """Raise ``TypeError`` unless ``value`` is a real number, ``ValueError`` unless it is 0-d.

    Static (dtype and shape only), so it also runs on tracers.
    """
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise TypeError(f"{name}: expected a real scalar, got {type(value).__name__}")
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        if not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a real scalar, got {type(value).__name__}")
        return
    if not (jnp.issubdtype(dtype, jnp.floating) or jnp.issubdtype(dtype, jnp.integer)):
        raise TypeError(f"{name}: expected a real scalar, got an array of dtype {dtype}")
    if jnp.ndim(value) != 0:
        raise ValueError(f"{name}: expected a scalar, got shape {tuple(jnp.shape(value))}")


def check_type(name: str, value, types, what: str) -> None:
    """Raise ``TypeError`` naming ``name`` unless ``isinstance(value, types)``; ``what`` says what was expected."""
    if not isinstance(value, types):
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__}")


def check_callable(name: str, value, what: str = "a callable") -> None:
    """Raise ``TypeError`` naming ``name`` unless ``value`` is callable."""
    if not callable(value):
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__}")


def check_choice(name: str, value, choices: Sequence) -> None:
    """Raise ``ValueError`` naming ``name`` unless ``value`` is one of ``choices``."""
    if isinstance(value, (list, dict, set)) or value not in tuple(choices):
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")


def check_monotone(name: str, x, *, increasing: bool = True, strict: bool = True) -> None:
    """Raise ``ValueError`` unless a concrete 1-D ``x`` is finite and (strictly) monotone.

    No-op for tracers.
    """
    if not is_concrete(x):
        return
    arr = np.asarray(x, np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values")
    step = np.diff(arr) if increasing else -np.diff(arr)
    ok = np.all(step > 0) if strict else np.all(step >= 0)
    if not ok:
        kind = ("strictly " if strict else "") + ("increasing" if increasing else "decreasing")
        raise ValueError(f"{name}: expected {kind} values, got {arr.tolist() if arr.size <= 8 else 'a sequence that is not'}")


def check_shape_tuple(name: str, shape) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of ints after checking every size is an integer ``>= 0``."""
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{name}: expected a tuple of sizes such as (n, d), got {type(shape).__name__}")
    for size in shape:
        if isinstance(size, bool) or not isinstance(size, (numbers.Integral, np.integer)):
            raise TypeError(f"{name}: expected integer sizes, got {tuple(shape)!r}")
        if size < 0:
            raise ValueError(f"{name}: expected sizes >= 0, got {tuple(shape)}")
    return tuple(int(size) for size in shape)


def check_in_interval(name: str, value, low: float, high: float, *,
                      low_open: bool = True, high_open: bool = False) -> None:
    """Raise unless every entry of a concrete ``value`` lies in the interval from low to high.

    The default is the half-open interval ``(low, high]``, the valid range of a diffusion time.
    """
    if not is_concrete(value):
        return
    _check_real(name, value, f"a real number in the interval from {low:g} to {high:g}")
    arr = np.asarray(value, dtype=np.float64)
    above = arr > low if low_open else arr >= low
    below = arr < high if high_open else arr <= high
    if not (np.all(np.isfinite(arr)) and np.all(above) and np.all(below)):
        lb, rb = ("(" if low_open else "["), (")" if high_open else "]")
        shown = arr.item() if arr.size == 1 else f"values in [{arr.min():.3g}, {arr.max():.3g}]"
        raise ValueError(f"{name}: expected a value in {lb}{low:g}, {high:g}{rb}, got {shown}")
