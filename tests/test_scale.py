"""The experiment-scale setting."""

import jax
import pytest

from manifold_diffusion import scale
from manifold_diffusion.experiments import describe_key
from manifold_diffusion.experiments.diffusion_basics import dsm, memorization, order, sampling, score_field


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
        sampling.Config.at_scale("huge")


def test_configs_grow_with_scale():
    for module, field in ((sampling, "n_samples"), (memorization, "n_samples"), (memorization, "n_seeds"),
                          (order, "n_points"), (dsm, "n_draws")):
        quick, default, large = (module.Config.at_scale(s) for s in scale.SCALES)
        assert quick.scale == "quick" and default.scale == "default" and large.scale == "large"
        assert getattr(quick, field) < getattr(default, field) < getattr(large, field), field


def test_describe_key():
    assert describe_key(jax.random.key(42)) == "seed 42"
    assert describe_key(jax.random.fold_in(jax.random.key(0), 3)).startswith("key [")
    assert "cpu" in scale.device_description() or jax.default_backend() != "cpu"


def test_noise_widget_constructs_and_redraws(key, monkeypatch):
    """The chapter-1 slider builds, draws a frame at the chosen time, and redraws on a move."""
    import pytest

    ipywidgets = pytest.importorskip("ipywidgets")
    drawn = []
    plot = score_field.plot
    monkeypatch.setattr(score_field, "plot", lambda field: drawn.append(field.times) or plot(field))
    cfg = score_field.Config.at_scale("quick")
    widget, update = score_field.noise_widget(key, cfg, times=(0.05, 1.0))
    assert isinstance(widget, ipywidgets.VBox) and drawn == []
    assert update(0.05).times == (0.05,)
    widget.children[0].value = 1.0        # the slider's callback redraws
    assert drawn == [(0.05,), (1.0,)]
