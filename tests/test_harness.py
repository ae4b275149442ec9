"""The experiment harness (configs by scale, recorded runs), keys by name, glue_summary, sample."""

import dataclasses
import json
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import manifold_diffusion as md
from manifold_diffusion.book import glue_summary
from manifold_diffusion.experiments.harness import (EXPERIMENT_LOG_ENV, ExperimentConfig, Meta,
                                                     experiment)
from manifold_diffusion.keys import check_key, describe_key, named_keys


@dataclasses.dataclass(frozen=True)
class _Config(ExperimentConfig):
    n_points: int = 8
    width: float = 1.0
    overrides = {"quick": dict(n_points=2), "large": dict(n_points=64, width=2.0)}


class _Result(NamedTuple):
    total: jax.Array
    meta: Meta | None = None

    def summary(self):
        return {"total": float(self.total)}


@experiment("toy sum")
def _run(key, config: _Config) -> _Result:
    return _Result(jnp.sum(config.width * jax.random.uniform(key, (config.n_points,))))


def test_at_scale_applies_the_override_table():
    assert _Config.at_scale("default") == _Config()
    assert _Config.at_scale("quick") == _Config(n_points=2, scale="quick")
    large = _Config.at_scale("large")
    assert (large.n_points, large.width, large.scale) == (64, 2.0, "large")
    with pytest.raises(ValueError, match="scale"):
        _Config.at_scale("huge")
    with pytest.raises(ValueError, match="scale"):
        _Config(scale="fast")


def test_at_scale_rejects_unknown_fields():
    @dataclasses.dataclass(frozen=True)
    class Bad(ExperimentConfig):
        n: int = 1
        overrides = {"quick": dict(m=2)}

    with pytest.raises(ValueError, match="unknown fields.*'m'"):
        Bad.at_scale("quick")
    assert Bad.at_scale("default") == Bad()


def test_experiment_records_meta_and_logs(tmp_path, monkeypatch):
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv(EXPERIMENT_LOG_ENV, str(log))
    keys = named_keys(jax.random.key(7), "toy", "other")
    res = _run(keys.toy, _Config.at_scale("quick"))
    assert res.meta.experiment == "toy sum"
    assert res.meta.sizes == "n_points=2"
    assert res.meta.seed == "seed 7 / toy"
    assert res.meta.scale == "quick"
    assert res.meta.seconds >= 0
    record = json.loads(log.read_text().splitlines()[-1])
    assert record["module"] == __name__ and record["experiment"] == "toy sum"
    # the same key gives the same result, bit for bit
    assert float(_run(keys.toy, _Config.at_scale("quick")).total) == float(res.total)


def test_experiment_checks_key_and_config():
    with pytest.raises(TypeError, match="key"):
        _run(0, _Config())
    with pytest.raises(TypeError, match="config"):
        _run(jax.random.key(0), {"n_points": 3})


def test_named_keys_depend_on_the_name_only():
    k = jax.random.key(0)
    a1 = named_keys(k, "data", "noise")
    a2 = named_keys(k, "noise", "extra", "data")
    assert np.array_equal(jax.random.key_data(a1.data), jax.random.key_data(a2.data))
    assert np.array_equal(jax.random.key_data(a1.noise), jax.random.key_data(a2.noise))
    assert not np.array_equal(jax.random.key_data(a1.data), jax.random.key_data(a1.noise))
    k_data, k_noise = a1
    assert describe_key(k_noise) == "seed 0 / noise"
    with pytest.raises(ValueError, match="distinct"):
        named_keys(k, "a", "a")
    with pytest.raises(ValueError, match="identifiers"):
        named_keys(k, "not valid")


@pytest.mark.parametrize("bad", [3, "seed", 1.5, None, np.zeros(2, np.float32)])
def test_check_key_rejects_non_keys(bad):
    with pytest.raises(TypeError, match="key"):
        check_key("key", bad)


def test_check_key_accepts_legacy_and_batched_keys():
    legacy = jax.random.PRNGKey(3)
    assert describe_key(check_key("key", legacy)) == "seed 3"
    keys = jax.random.split(jax.random.key(0), 4)
    assert check_key("keys", keys, ndim=1).shape == (4,)
    with pytest.raises(ValueError, match="shape"):
        check_key("key", keys)


def test_glue_summary_glues_every_entry(monkeypatch):
    glued = {}
    monkeypatch.setattr(md.book, "glue", lambda name, value, display=True: glued.update({name: value}))
    res = _run(jax.random.key(1), _Config())
    values = glue_summary("toy", res)
    assert glued == {"toy_total": values["total"]}
    with pytest.raises(TypeError, match="summary"):
        glue_summary("toy", object())
    with pytest.raises(ValueError, match="prefix"):
        glue_summary("not an id", res)


def test_sample_is_prior_plus_reverse_sampler(key):
    process = md.VP(T=8.0)      # prior N(0, I) within alpha_T = 3e-4 of the marginal
    mean = jnp.array([1.0, -2.0])
    score = md.MixtureScore(md.gaussian(mean, 0.25 * jnp.eye(2)), process)
    grid = md.geometric_grid(process.T, 1e-3, 200)
    keys = named_keys(key, "prior", "noise")
    x_T = process.prior_sample(keys.prior, (4000, 2))
    expected = md.euler_maruyama(keys.noise, score, x_T, grid, process)
    got = md.samplers.sample(key, score, process, 4000, grid)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    ode = md.samplers.sample(key, score, process, 4000, grid, method="ode", denoise=True)
    # N(mean, 0.25 I): sample mean within 5 standard errors (0.5 / sqrt(4000) each)
    assert np.all(np.abs(np.asarray(ode.mean(0)) - np.asarray(mean)) < 5 * 0.5 / np.sqrt(4000))
    with pytest.raises(ValueError, match="method"):
        md.samplers.sample(key, score, process, 10, grid, method="euler")
    with pytest.raises(TypeError, match="key"):
        md.samplers.sample(0, score, process, 10, grid)
    with pytest.raises(TypeError, match="d:"):
        md.samplers.sample(key, lambda x, t: -x, process, 10, grid)


def test_check_result_names_the_argument():
    res = _run(jax.random.key(1), _Config())
    from manifold_diffusion.experiments.harness import check_result

    assert check_result(res, _Result) is res
    with pytest.raises(TypeError, match="result: expected a .*_Result"):
        check_result({"total": 1.0}, _Result)
