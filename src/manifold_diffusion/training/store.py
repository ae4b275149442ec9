r"""Trained parameters shared between chapters: an on-disk store keyed by a name and a config.

The digits chapter trains its networks; the locality chapter analyses *the same* trained
networks. Both call::

    params = training.store.load_or_fit(name, config, fit_fn)

The first call runs ``fit_fn()`` and writes its result; later calls with the same ``name`` and
``config`` read it back instead of training again. Where it is written:

- ``$MD_ARTIFACT_DIR`` (:data:`ARTIFACT_DIR_ENV`), which ``tools/build_book.py`` sets to
  ``<output>/_build/.artifacts`` and deletes together with the execution cache whenever the build
  key changes (a change anywhere under ``src/``, in the pins, the scale, the device or the Python
  version). So a stored network is never older than the code that trained it: it lives exactly
  as long as the cached chapter outputs made with it.
- Without ``$MD_ARTIFACT_DIR`` (a notebook on Colab, a test) nothing is stored and
  ``load_or_fit`` simply returns ``fit_fn()``.

**The key.** A file is named by ``name`` and the SHA-256 of ``repr(config)`` and the default
float dtype (a float64 run never reads float32 parameters). ``config`` must therefore determine
the fit completely -- data, keys, sizes, optimiser -- and have a ``repr`` that is the same in
every process: a frozen dataclass of numbers, strings and tuples (the experiment ``Config``\ s),
or a tuple of them. An object whose ``repr`` shows a memory address (``<... at 0x...>``) is
rejected. The file also records ``name`` and ``repr(config)`` and is used only when both match.

**The value.** Any pytree (``dict``\ s, lists, ``NamedTuple``\ s such as a ``FitResult``) whose
leaves are arrays or Python scalars. It is stored with its leaves as NumPy arrays (``pickle``)
and returned with array leaves as JAX arrays -- on the first call too, so both paths return the
same types and, on one device, the same bits. Writes are atomic (a temporary file, then
``os.replace``); a file that cannot be read is fitted again and overwritten.
"""

import hashlib
import os
import pickle
import re
import tempfile
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["ARTIFACT_DIR_ENV", "artifact_dir", "artifact_path", "load_or_fit"]

#: The environment variable naming the store's directory (set by ``tools/build_book.py``).
ARTIFACT_DIR_ENV = "MD_ARTIFACT_DIR"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FORMAT = 1


def artifact_dir() -> Path | None:
    """The store's directory, ``$MD_ARTIFACT_DIR``, or ``None`` when it is not set (or empty)."""
    value = os.environ.get(ARTIFACT_DIR_ENV, "")
    return Path(value) if value else None


def _check_name(name) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"name: expected 1-100 characters from [A-Za-z0-9_.-], not starting with "
                         f"'.', '_' or '-', got {name!r}")
    return name


def _config_repr(config) -> str:
    try:
        hash(config)
    except TypeError as err:
        raise TypeError(f"config: expected a hashable object that determines the fit (a frozen "
                        f"dataclass or a tuple), got unhashable {type(config).__name__}") from err
    text = repr(config)
    if re.search(r" at 0x[0-9a-fA-F]+", text):
        raise TypeError(f"config: expected an object whose repr is the same in every process (a "
                        f"frozen dataclass of numbers, strings and tuples), got {text[:120]}")
    return text


def _digest(name: str, text: str) -> str:
    dtype = jnp.dtype(jnp.result_type(float)).name
    return hashlib.sha256(f"{name}\0{text}\0{dtype}".encode()).hexdigest()[:20]


def artifact_path(name: str, config) -> Path | None:
    """The file that stores ``(name, config)``, or ``None`` without ``$MD_ARTIFACT_DIR``.

    Args:
      name: a file-name-safe identifier, e.g. ``"digits-cnn"``.
      config: a hashable, repr-stable object that determines the fit (module docstring).
    """
    name = _check_name(name)
    text = _config_repr(config)
    root = artifact_dir()
    return None if root is None else root / f"{name}-{_digest(name, text)}.pkl"


def _to_numpy(tree):
    return jax.tree_util.tree_map(lambda leaf: np.asarray(leaf) if hasattr(leaf, "shape") else leaf,
                                  tree)


def _to_jax(tree):
    def convert(leaf):
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind in "fiub":
            return jnp.asarray(leaf)
        return leaf
    return jax.tree_util.tree_map(convert, tree)


def _read(path: Path, name: str, text: str):
    """The stored tree, or ``None`` when the file is missing, unreadable or for another config."""
    try:
        with open(path, "rb") as f:
            record = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError,
            ValueError):
        return None
    if not (isinstance(record, dict) and record.get("format") == _FORMAT
            and record.get("name") == name and record.get("config") == text):
        return None
    return record["tree"]


def _write(path: Path, name: str, text: str, tree) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"format": _FORMAT, "name": name, "config": text, "tree": tree}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(record, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_or_fit(name: str, config, fit_fn):
    """The stored result of ``fit_fn()`` for ``(name, config)``, fitting and storing it if absent.

    Args:
      name: a file-name-safe identifier of what is stored, e.g. ``"digits-cnn"``.
      config: a hashable object with a process-independent ``repr`` that fully determines what
        ``fit_fn`` computes (a frozen dataclass, or a tuple of them; module docstring).
      fit_fn: a function of no arguments returning a pytree of arrays (e.g. trained parameters).

    Returns:
      The pytree, with array leaves as JAX arrays (the same whether it was fitted or loaded).
      Without ``$MD_ARTIFACT_DIR``: ``fit_fn()``'s result, converted the same way, not stored.
    """
    name = _check_name(name)
    text = _config_repr(config)
    if not callable(fit_fn):
        raise TypeError(f"fit_fn: expected a function of no arguments, got {type(fit_fn).__name__}")
    path = artifact_path(name, config)
    if path is not None:
        stored = _read(path, name, text)
        if stored is not None:
            return _to_jax(stored)
    tree = _to_numpy(jax.block_until_ready(fit_fn()))
    if path is not None:
        _write(path, name, text, tree)
    return _to_jax(tree)
