"""The one experiment-size setting of the book.

Three scales choose the sizes of every experiment:

``quick``
    seconds per chapter; used by ``make test`` to prove that every chapter executes.
``default``
    the published book on a CPU: the whole book builds in minutes on 2 cores.
``large``
    more points, seeds and dimensions for a GPU.

The scale is read from the environment variable ``MD_SCALE``. When it is unset, the
scale is ``large`` if JAX's default backend is a GPU or TPU and ``default`` otherwise,
so a Colab GPU runtime picks the large scale by itself.
"""

import os
from typing import Literal, get_args

Scale = Literal["quick", "default", "large"]
SCALES: tuple[str, ...] = get_args(Scale)
ENV_VAR = "MD_SCALE"

__all__ = ["Scale", "SCALES", "ENV_VAR", "current", "device_description"]


def current() -> Scale:
    """The experiment scale in force: ``$MD_SCALE`` if set, else by the JAX backend."""
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value:
        if value not in SCALES:
            raise ValueError(f"{ENV_VAR}: expected one of {SCALES}, got {value!r}")
        return value  # type: ignore[return-value]
    import jax

    return "large" if jax.default_backend() in ("gpu", "cuda", "rocm", "tpu") else "default"


def device_description() -> str:
    """A short description of the devices JAX computes on, for figure captions.

    E.g. ``"cpu (2 cores)"`` or ``"2 x NVIDIA H100 80GB HBM3"``.
    """
    import jax

    devices = jax.devices()
    if devices[0].platform == "cpu":
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        extra = f", {len(devices)} host devices" if len(devices) > 1 else ""
        return f"cpu ({cores} cores{extra})"
    kind = getattr(devices[0], "device_kind", devices[0].platform)
    return f"{len(devices)} x {kind}" if len(devices) > 1 else str(kind)
