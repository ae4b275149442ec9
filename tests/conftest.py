"""Test configuration.

- Two forced host devices, so that the sharded code paths run on a CPU
  (``XLA_FLAGS`` must be set before JAX starts its backend).
- ``MD_X64=1`` runs the suite in float64 (the library itself never switches x64 on);
  ``make test`` runs the core numerics tests a second time in that mode.
- Strict rank promotion, so an accidental broadcast fails loudly, and strict dtype promotion,
  so an accidental mix of dtypes (a float64 NumPy constant into float32 arithmetic, an int
  array into a float one) fails too instead of silently widening or narrowing.
- Runtime type checks of every annotated signature of the package (jaxtyping + beartype, the
  ``--jaxtyping-packages`` option in ``pyproject.toml``): an annotation that lies is a bug.
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
jax.config.update("jax_numpy_dtype_promotion", "strict")


@pytest.fixture(autouse=True, scope="module")
def _release_compiled_programs():
    """Drop JAX's compiled programs after each test module. One pytest process compiles thousands
    of XLA programs; kept for the whole session, their code mappings approach the kernel's
    ``vm.max_map_count`` (65 530), and the compiler then crashes with a segmentation fault while
    mapping a new program (seen near the end of the suite)."""
    yield
    jax.clear_caches()


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
