"""What every experiment records about itself, for captions and the book's experiment list."""

import time
from typing import NamedTuple

import jax
import numpy as np

from .. import __version__
from ..scale import device_description

__all__ = ["Meta", "make_meta", "describe_key"]


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
    return Meta(experiment, text, describe_key(key), scale, device_description(),
                time.perf_counter() - start, __version__)
