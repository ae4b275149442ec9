"""The experiment-scale setting."""

import jax
import pytest

from manifold_diffusion import scale
from manifold_diffusion.experiments import diffusion_basics, describe_key


def test_scale_from_environment(monkeypatch):
    for value in scale.SCALES:
        monkeypatch.setenv(scale.ENV_VAR, value.upper())
        assert scale.current() == value
    monkeypatch.delenv(scale.ENV_VAR)
    expected = "default" if jax.default_backend() == "cpu" else "large"
    assert scale.current() == expected


def test_bad_scale_is_named(monkeypatch):
    monkeypatch.setenv(scale.ENV_VAR, "huge")
    with pytest.raises(ValueError, match="MD_SCALE"):
        scale.current()
    with pytest.raises(ValueError, match="scale"):
        diffusion_basics.Config.at_scale("huge")


def test_configs_grow_with_scale():
    quick, default, large = (diffusion_basics.Config.at_scale(s) for s in scale.SCALES)
    assert quick.scale == "quick" and default.scale == "default" and large.scale == "large"
    for field in ("n_samples", "memo_samples", "n_seeds", "order_points", "dsm_draws"):
        assert getattr(quick, field) < getattr(default, field) < getattr(large, field), field


def test_describe_key():
    assert describe_key(jax.random.key(42)) == "seed 42"
    assert describe_key(jax.random.fold_in(jax.random.key(0), 3)).startswith("key [")
    assert "cpu" in scale.device_description() or jax.default_backend() != "cpu"
