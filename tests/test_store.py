"""The trained-parameter store (training.store.load_or_fit): fits once, loads after, keyed by
name and config, never without $MD_ARTIFACT_DIR, atomic and robust to a damaged file."""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from manifold_diffusion.training import store


@dataclasses.dataclass(frozen=True)
class Cfg:
    steps: int = 3
    rate: float = 0.1
    sizes: tuple = (1, 2)


class Pair(NamedTuple):
    params: dict
    loss: jax.Array


class Counter:
    """A fit function that counts its calls and returns a NamedTuple of nested arrays."""

    def __init__(self, value=1.0):
        self.calls, self.value = 0, value

    def __call__(self):
        self.calls += 1
        w = self.value * jnp.arange(6.0).reshape(2, 3)
        return Pair({"layers": [{"W": w, "b": jnp.ones(3)}], "n": jnp.asarray(7)}, jnp.linspace(0, 1, 4))


def test_fits_once_then_loads_the_same_bits(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path / "artifacts"))
    fit = Counter()
    first = store.load_or_fit("net", Cfg(), fit)
    second = store.load_or_fit("net", Cfg(), fit)
    assert fit.calls == 1
    assert isinstance(second, Pair) and isinstance(second.params["layers"][0]["W"], jax.Array)
    for a, b in zip(jax.tree_util.tree_leaves(first), jax.tree_util.tree_leaves(second)):
        assert a.dtype == b.dtype and np.array_equal(np.asarray(a), np.asarray(b))
    assert int(second.params["n"]) == 7
    path = store.artifact_path("net", Cfg())
    assert path.parent == tmp_path / "artifacts" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == [path.name]      # no temporary files left


def test_other_name_or_config_fits_again(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))
    fit = Counter()
    store.load_or_fit("net", Cfg(), fit)
    store.load_or_fit("net", Cfg(steps=4), fit)
    store.load_or_fit("other", Cfg(), fit)
    store.load_or_fit("net", (Cfg(), "cnn"), fit)
    assert fit.calls == 4
    store.load_or_fit("net", Cfg(steps=4), fit)
    assert fit.calls == 4


def test_without_the_directory_nothing_is_stored(tmp_path, monkeypatch):
    monkeypatch.delenv(store.ARTIFACT_DIR_ENV, raising=False)
    fit = Counter()
    out = store.load_or_fit("net", Cfg(), fit)
    store.load_or_fit("net", Cfg(), fit)
    assert fit.calls == 2 and store.artifact_path("net", Cfg()) is None
    assert isinstance(out.loss, jax.Array)


def test_damaged_or_foreign_file_is_refitted(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))
    fit = Counter(1.0)
    path = store.artifact_path("net", Cfg())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a pickle")
    out = store.load_or_fit("net", Cfg(), fit)
    assert fit.calls == 1 and float(out.params["layers"][0]["W"][1, 2]) == 5.0
    # a file written for another config under this name (a hash collision) is not used
    other = store.artifact_path("net", Cfg(steps=9))
    other.write_bytes(path.read_bytes())
    refit = Counter(2.0)
    out = store.load_or_fit("net", Cfg(steps=9), refit)
    assert refit.calls == 1 and float(out.params["layers"][0]["W"][1, 2]) == 10.0


def test_a_failing_fit_stores_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))

    def broken():
        raise RuntimeError("diverged")

    with pytest.raises(RuntimeError):
        store.load_or_fit("net", Cfg(), broken)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path, monkeypatch):
    monkeypatch.setenv(store.ARTIFACT_DIR_ENV, str(tmp_path))
    fit = Counter()
    with pytest.raises(ValueError, match="name"):
        store.load_or_fit("../escape", Cfg(), fit)
    with pytest.raises(ValueError, match="name"):
        store.load_or_fit("", Cfg(), fit)
    with pytest.raises(TypeError, match="config"):
        store.load_or_fit("net", {"steps": 3}, fit)                   # unhashable
    with pytest.raises(TypeError, match="config"):
        store.load_or_fit("net", object(), fit)                       # repr shows an address
    with pytest.raises(TypeError, match="fit_fn"):
        store.load_or_fit("net", Cfg(), "fit")
    assert fit.calls == 0
