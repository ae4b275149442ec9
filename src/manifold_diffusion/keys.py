r"""Random keys: checked at every public entry point, and split by name.

Every random function of the library takes a ``jax.random`` key as its first argument. The
library accepts new-style typed keys (``jax.random.key(seed)``) and, for code written against
older JAX, legacy raw keys (``jax.random.PRNGKey(seed)``, a ``uint32[2]`` array); anything else
-- an ``int`` seed, a string, a float array -- raises a ``TypeError`` that names the argument,
instead of JAX's "invalid PRNG key data" from deep inside a jitted kernel.

Keys are split **by name**, never by position or by magic numbers::

    keys = named_keys(jax.random.key(0), "data", "noise", "sampler")
    x0 = manifold.sample(keys.data, n)

Each name's key is ``fold_in(key, crc32(name))``: it depends on the parent key and that name
alone, so adding, removing or reordering names leaves the other keys (and the numbers they
produce) unchanged.
"""

import collections
import keyword
import zlib

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["check_key", "named_keys", "name_tag", "describe_key"]

#: Descriptions of keys made by :func:`named_keys`, by raw key data, for figure captions
#: ("seed 0 / sampling"). Bounded: the oldest entries are dropped first.
_DESCRIPTIONS: "collections.OrderedDict[tuple, str]" = collections.OrderedDict()
_MAX_DESCRIPTIONS = 4096


def check_key(name: str, key, *, ndim: int = 0):
    """Return ``key`` as a typed ``jax.random`` key, or raise ``TypeError`` naming ``name``.

    Accepted: a typed key array (``jax.random.key(seed)``; ``ndim`` axes, e.g. ``ndim=1`` for one
    key per seed), or a legacy raw key, a ``uint32`` array of shape ``(..., 2)``
    (``jax.random.PRNGKey(seed)``), which is wrapped with ``jax.random.wrap_key_data``. Works on
    tracers too (the check is on dtype and shape only).

    Args:
      name: the argument's name, used in the message.
      key: the value passed.
      ndim: the number of key axes expected (0: a single key).

    Returns:
      A typed key array with ``ndim`` axes.
    """
    expected = f"{name}: expected a jax.random key (jax.random.key(seed))"
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        raise TypeError(f"{expected}, got the int {key}; make a key with jax.random.key({key})")
    dtype = getattr(key, "dtype", None)
    if dtype is None or isinstance(key, (str, bytes)):
        raise TypeError(f"{expected}, got {type(key).__name__}")
    shape = tuple(getattr(key, "shape", ()))
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        if len(shape) != ndim:
            what = "a single key of shape ()" if ndim == 0 else f"a key array with {ndim} axes"
            raise ValueError(f"{name}: expected {what}, got a key array of shape {shape}")
        return key
    if dtype == jnp.uint32 and len(shape) == ndim + 1 and shape[-1] == 2:
        return jax.random.wrap_key_data(key)
    raise TypeError(f"{expected} or a legacy uint32[..., 2] key, got an array of dtype {dtype} and "
                    f"shape {shape}")


def name_tag(name: str) -> int:
    """The integer that :func:`named_keys` folds into the parent key for ``name`` (its CRC-32,
    reduced to 31 bits so that it is a valid ``fold_in`` datum on every backend)."""
    if not isinstance(name, str):
        raise TypeError(f"name: expected a str, got {type(name).__name__}")
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def named_keys(key, *names: str):
    """Split ``key`` into one key per name, independent of the order and number of names.

    Args:
      key: a ``jax.random`` key (see :func:`check_key`).
      names: distinct Python identifiers, e.g. ``"data", "noise"``.

    Returns:
      A named tuple with one field per name, ``keys.data``, ..., which also unpacks in order:
      ``k_data, k_noise = named_keys(key, "data", "noise")``.
    """
    key = check_key("key", key)
    if not names:
        raise ValueError("names: expected at least one name")
    for n in names:
        if not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n) or n.startswith("_"):
            raise ValueError(f"names: expected Python identifiers not starting with '_', got {n!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"names: expected distinct names, got {names}")
    keys_type = collections.namedtuple("Keys", names)
    children = [jax.random.fold_in(key, name_tag(n)) for n in names]
    parent = describe_key(key)
    for n, child in zip(names, children):
        _remember(child, f"{parent} / {n}")
    return keys_type(*children)


def _raw(key) -> tuple | None:
    if isinstance(key, jax.core.Tracer):
        return None
    return tuple(np.asarray(jax.random.key_data(key)).ravel().tolist())


def _remember(key, text: str) -> None:
    raw = _raw(key)
    if raw is None:
        return
    _DESCRIPTIONS[raw] = text
    _DESCRIPTIONS.move_to_end(raw)
    while len(_DESCRIPTIONS) > _MAX_DESCRIPTIONS:
        _DESCRIPTIONS.popitem(last=False)


def describe_key(key) -> str:
    """A short description of ``key`` for captions and the experiment list.

    ``"seed S"`` for ``jax.random.key(S)`` (default generator), ``"seed S / name"`` for a key
    made from it by :func:`named_keys` (any depth), else ``"key [raw data]"``.
    """
    key = check_key("key", key)
    raw = _raw(key)
    if raw is None:
        return "traced key"
    if raw in _DESCRIPTIONS:
        return _DESCRIPTIONS[raw]
    if len(raw) == 2 and raw[0] == 0:
        return f"seed {raw[1]}"
    return f"key {list(raw)}"
