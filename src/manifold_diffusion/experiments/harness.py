r"""The one experiment harness: configurations by scale, timed and recorded runs, progress.

Every experiment of the book is a module ``experiments/<chapter>/<experiment>.py`` with

- ``Config``, a frozen dataclass deriving from :class:`ExperimentConfig` (about ten fields or
  fewer), whose per-scale sizes are a table of overrides::

      @dataclasses.dataclass(frozen=True)
      class Config(ExperimentConfig):
          n_train: int = 20
          n_samples: int = 2000
          overrides = {"quick": dict(n_samples=300), "large": dict(n_samples=20_000)}

  ``Config.at_scale("quick")`` is ``Config(n_samples=300, scale="quick")``; the default scale is
  the class defaults;
- ``run(key, config) -> Result``, decorated with :func:`experiment`, which checks the key and the
  config, times the run (after ``jax.block_until_ready``), attaches a :class:`Meta` record as
  ``result.meta`` and appends it to the book's experiment log;
- ``plot(result)``, which draws and never computes, and ``Result.summary() -> dict`` of the
  numbers the chapter's prose quotes (glued in one call by
  :func:`manifold_diffusion.book.glue_summary`).

``Result`` is a ``NamedTuple`` (or frozen dataclass) whose last field is ``meta: Meta | None =
None``; the decorator fills it in.
"""

import dataclasses
import functools
import inspect
import json
import os
import sys
import time
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ClassVar, NamedTuple, TypeVar

import jax

from .. import __version__
from ..keys import check_key, describe_key
from ..scale import SCALES, device_description

__all__ = ["Meta", "ExperimentConfig", "experiment", "log_record", "progress", "describe_key",
           "EXPERIMENT_LOG_ENV", "BOOK_BUILD_ENV"]

#: Set by ``tools/build_book.py`` to a JSON-lines file: every recorded run appends its
#: :class:`Meta` there, and the book's experiment list is generated from it.
EXPERIMENT_LOG_ENV = "MD_EXPERIMENT_LOG"
#: Set to ``1`` by ``tools/build_book.py``: progress goes to the build log, not into the pages.
BOOK_BUILD_ENV = "MD_BOOK_BUILD"

_T = TypeVar("_T")
_C = TypeVar("_C", bound="ExperimentConfig")


class Meta(NamedTuple):
    """How a result was made.

    Attributes:
      experiment: the experiment's name.
      sizes: the sizes that matter, as ``"name=value"`` text.
      seed: the run's key, as :func:`~manifold_diffusion.keys.describe_key` writes it
        (``"seed 0 / sampling"``).
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


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    """Base of every experiment's ``Config``: a frozen, hashable dataclass with a scale.

    Subclasses (themselves ``@dataclasses.dataclass(frozen=True)``) declare their fields with
    the *default*-scale values, and the class attribute ``overrides``, a table
    ``{scale: {field: value}}`` for the other scales. ``scale`` is keyword-only and recorded in
    every caption.
    """

    scale: str = dataclasses.field(default="default", kw_only=True)
    overrides: ClassVar[Mapping[str, Mapping[str, Any]]] = {}

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"scale: expected one of {SCALES}, got {self.scale!r}")

    @classmethod
    def at_scale(cls: type[_C], scale: str) -> _C:
        """The configuration for ``scale``: the defaults with ``overrides[scale]`` applied."""
        if scale not in SCALES:
            raise ValueError(f"scale: expected one of {SCALES}, got {scale!r}")
        unknown_scales = set(cls.overrides) - set(SCALES)
        if unknown_scales:
            raise ValueError(f"{cls.__qualname__}.overrides: unknown scales {sorted(unknown_scales)}")
        changes = dict(cls.overrides.get(scale, {}))
        names = {f.name for f in dataclasses.fields(cls)} - {"scale"}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"{cls.__qualname__}.overrides[{scale!r}]: unknown fields "
                             f"{sorted(unknown)}; the fields are {sorted(names)}")
        return cls(**changes, scale=scale)

    def sizes(self) -> dict[str, Any]:
        """The sizes a caption states: by default every integer field (override to choose)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name != "scale" and isinstance(getattr(self, f.name), int)
                and not isinstance(getattr(self, f.name), bool)}


def _config_type(run: Callable) -> type | None:
    """The class annotated on ``run``'s second parameter, if it is an ExperimentConfig."""
    try:
        hints = typing.get_type_hints(run)
    except Exception:  # unresolvable annotations: fall back to the base class
        return None
    params = list(inspect.signature(run).parameters)
    hint = hints.get(params[1]) if len(params) > 1 else None
    return hint if isinstance(hint, type) and issubclass(hint, ExperimentConfig) else None


def _with_meta(result, meta: Meta):
    if hasattr(result, "_replace") and "meta" in getattr(result, "_fields", ()):
        return result._replace(meta=meta)
    if dataclasses.is_dataclass(result) and any(f.name == "meta" for f in dataclasses.fields(result)):
        return dataclasses.replace(result, meta=meta)
    raise TypeError(f"an experiment must return a NamedTuple or dataclass with a 'meta' field, got "
                    f"{type(result).__name__}")


def experiment(name: str, *, sizes: Callable[[Any], Mapping[str, Any]] | None = None):
    """Decorate ``run(key, config) -> Result``: check, time and record each call.

    The wrapped function checks ``key`` (:func:`~manifold_diffusion.keys.check_key`) and that
    ``config`` is an instance of the class annotated on ``run`` (an :class:`ExperimentConfig`),
    runs, waits for the result (``jax.block_until_ready``), and returns it with ``meta`` set to
    a :class:`Meta` (sizes from ``sizes(config)``, else ``config.sizes()``). When
    ``$MD_EXPERIMENT_LOG`` names a file (book builds), the record is appended to it with the
    run's module, for the book's experiment list.

    Args:
      name: the experiment's name, as the experiment list shows it.
      sizes: optional ``config -> {name: value}`` of the sizes a caption states.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty string, got {name!r}")

    def decorate(run: Callable) -> Callable:
        config_type = _config_type(run) or ExperimentConfig

        @functools.wraps(run)
        def recorded(key, config):
            key = check_key("key", key)
            if not isinstance(config, config_type):
                raise TypeError(f"config: expected a {config_type.__module__}.{config_type.__qualname__}"
                                f" (e.g. Config.at_scale(md.scale.current())), got "
                                f"{type(config).__name__}")
            start = time.perf_counter()
            result = jax.block_until_ready(run(key, config))
            seconds = time.perf_counter() - start
            chosen = sizes(config) if sizes is not None else config.sizes()
            meta = Meta(name, ", ".join(f"{k}={v}" for k, v in chosen.items()), describe_key(key),
                        config.scale, device_description(), seconds, __version__)
            log_record(meta, run.__module__)
            return _with_meta(result, meta)

        return recorded

    return decorate


def log_record(meta: Meta, module: str) -> None:
    """Append ``meta`` (and ``module``) to the experiment log named by ``$MD_EXPERIMENT_LOG``."""
    if not isinstance(meta, Meta):
        raise TypeError(f"meta: expected a harness.Meta, got {type(meta).__name__}")
    if not isinstance(module, str):
        raise TypeError(f"module: expected a module name (str), got {type(module).__name__}")
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



def _check_instance(name: str, value, cls: type, hint: str):
    if not isinstance(value, cls):
        raise TypeError(f"{name}: expected a {cls.__module__}.{cls.__qualname__} ({hint}), got "
                        f"{type(value).__name__}")
    return value


def check_result(result, cls: type, name: str = "result"):
    """Return ``result`` if it is an instance of ``cls`` (an experiment's ``Result``, or another of
    its records), else raise a ``TypeError`` naming ``name``: the first line of every
    ``plot(result)``."""
    return _check_instance(name, result, cls, "what run returns")


def check_config(config, cls: type):
    """Return ``config`` if it is an instance of ``cls`` (an experiment's ``Config``), else raise a
    ``TypeError`` naming ``config`` (for the functions of an experiment module other than
    ``run``, which :func:`experiment` checks)."""
    return _check_instance("config", config, cls, "e.g. Config.at_scale(md.scale.current())")


__all__ += ["check_result", "check_config"]
