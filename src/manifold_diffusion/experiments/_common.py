"""What every experiment records about itself, for captions and the book's experiment list."""

import json
import os
import sys
import time
from typing import Iterable, Iterator, NamedTuple, TypeVar

import jax
import numpy as np

from .. import __version__
from ..scale import device_description

__all__ = ["Meta", "make_meta", "describe_key", "progress", "EXPERIMENT_LOG_ENV", "BOOK_BUILD_ENV"]

#: Set by ``tools/build_book.py`` to a JSON-lines file: every :func:`make_meta` appends its record
#: there, and the book's experiment list is generated from it.
EXPERIMENT_LOG_ENV = "MD_EXPERIMENT_LOG"
#: Set to ``1`` by ``tools/build_book.py``: progress goes to the build log, not into the pages.
BOOK_BUILD_ENV = "MD_BOOK_BUILD"

_T = TypeVar("_T")


class Meta(NamedTuple):
    """How a result was made.

    Attributes:
      experiment: the experiment's name.
      sizes: the sizes that matter, as ``"name=value"`` text.
      seed: the run's key: ``"seed S"`` for ``jax.random.key(S)``, else its raw key data.
      scale: the experiment scale in force (``quick``, ``default``, ``large``).
      device: the devices JAX ran on.
      seconds: wall time of the run.
      version: library version.
    """

    experiment: str
    sizes: str
    seed: str
    scale: str
    device: str
    seconds: float
    version: str

    def caption(self) -> str:
        """One line for a figure: sizes, seed, scale, device and run time."""
        return (f"{self.sizes}; {self.seed}; scale '{self.scale}'; {self.device}; "
                f"{self.seconds:.1f} s")


def describe_key(key) -> str:
    """``"seed S"`` for a default-implementation ``jax.random.key(S)``, else the raw key data."""
    data = np.asarray(jax.random.key_data(key)).ravel()
    if data.size == 2 and data[0] == 0:
        return f"seed {int(data[1])}"
    return f"key {data.tolist()}"


def make_meta(experiment: str, sizes: dict, key, start: float, scale: str) -> Meta:
    """Build a :class:`Meta` for a run with ``key`` that began at ``start``
    (``time.perf_counter()``) with the sizes of ``scale``."""
    text = ", ".join(f"{k}={v}" for k, v in sizes.items())
    meta = Meta(experiment, text, describe_key(key), scale, device_description(),
                time.perf_counter() - start, __version__)
    _log(meta, sys._getframe(1).f_globals.get("__name__", ""))
    return meta


def _log(meta: Meta, module: str) -> None:
    """Append ``meta`` to the experiment log named by ``$MD_EXPERIMENT_LOG`` (if set)."""
    path = os.environ.get(EXPERIMENT_LOG_ENV)
    if not path:
        return
    record = dict(meta._asdict(), seconds=round(meta.seconds, 2), module=module,
                  pid=os.getpid(), logged=time.time())
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def progress(iterable: Iterable[_T], desc: str, total: int | None = None) -> Iterator[_T]:
    """Iterate over ``iterable`` showing progress.

    Interactively (notebook, terminal) this is a ``tqdm.auto`` bar. In a book build
    (``$MD_BOOK_BUILD=1``, set by ``tools/build_book.py``) it writes one line per stage,
    ``[desc] i/n (elapsed s)``, to the kernel process's own stderr, which is the build log, so
    that nothing of it lands in the rendered page.
    """
    if os.environ.get(BOOK_BUILD_ENV) != "1":
        from tqdm.auto import tqdm

        yield from tqdm(iterable, desc=desc, total=total)
        return
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    start = time.perf_counter()
    for i, item in enumerate(iterable):
        yield item
        _log_line(f"[{desc}] {i + 1}/{total if total is not None else '?'} "
                  f"({time.perf_counter() - start:.1f} s)\n")


def _log_line(line: str) -> None:
    """Write ``line`` to the process's real stderr. In a Jupyter kernel ``sys.stderr`` *and* file
    descriptor 2 are forwarded into the notebook; ipykernel keeps a duplicate of the original
    descriptor, which is where the build log is."""
    original = getattr(sys.stderr, "_original_stdstream_copy", None)
    if original is not None:
        os.write(original, line.encode())
        return
    stream = sys.__stderr__ or sys.stderr
    stream.write(line)
    stream.flush()
