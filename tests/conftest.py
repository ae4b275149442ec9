"""Test configuration.

- Two forced host devices, so that the sharded code paths run on a CPU
  (``XLA_FLAGS`` must be set before JAX starts its backend).
- ``MD_X64=1`` runs the suite in float64 (the library itself never switches x64 on);
  ``make test`` runs the core numerics tests a second time in that mode.
- Strict rank promotion, so an accidental broadcast fails loudly.
- Headless matplotlib.
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
os.environ.setdefault("MPLBACKEND", "Agg")

import jax  # noqa: E402
import pytest  # noqa: E402

X64 = os.environ.get("MD_X64", "0") == "1"
jax.config.update("jax_enable_x64", X64)
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture
def key():
    """The base key of a test; derive every other key from it with ``split``/``fold_in``."""
    return jax.random.key(0)


@pytest.fixture(scope="session")
def x64() -> bool:
    """Whether this run is the float64 pass."""
    return X64


def pytest_addoption(parser):
    parser.addoption("--site", default=None,
                     help="built html to test in a browser (tests/test_site.py), e.g. _build/quick/_build/html")
