"""Bad-input rows: the locality chapter's library pieces (``metrics.patches``, ``scores.SwitchedScore``)
and its experiment modules (``experiments.locality``).

``ROWS = [(qualified_name, thunk, ExpectedError, "substring naming the argument"), ...]``; each
thunk makes one bad call.
"""

import jax
import jax.numpy as jnp

import manifold_diffusion as md
from manifold_diffusion import metrics
from manifold_diffusion.experiments.locality import accounts, calibration, patch_size, prediction
from manifold_diffusion.scores import EmpiricalScore, SwitchedScore

_M = "manifold_diffusion.metrics."
_S = "manifold_diffusion.scores."
_E = "manifold_diffusion.experiments.locality."
_KEY = jax.random.key(6)
_IMG = jax.random.uniform(jax.random.key(0), (4, 16))               # four 4x4 images
_VE = md.VE(T=4.0)
_EMP = EmpiricalScore(_IMG, _VE)


def _same(x, t):
    return x


def _short(x, t):
    return x[:, :3]


ROWS = [
    # image_r2
    (_M + "image_r2", lambda: metrics.image_r2(_IMG[:3], _IMG), ValueError, "predicted"),
    (_M + "image_r2", lambda: metrics.image_r2(_IMG[0], _IMG[0]), ValueError, "predicted"),
    (_M + "image_r2", lambda: metrics.image_r2(_IMG[:, :1], _IMG[:, :1]), ValueError, "target"),
    (_M + "image_r2", lambda: metrics.image_r2(_IMG, jnp.ones((4, 16))), ValueError, "target"),
    (_M + "image_r2", lambda: metrics.image_r2("a", _IMG), TypeError, "predicted"),
    # summarize_r2
    (_M + "summarize_r2", lambda: metrics.summarize_r2(0, _IMG[0]), TypeError, "key"),
    (_M + "summarize_r2", lambda: metrics.summarize_r2(jax.random.key(1), _IMG), ValueError, "values"),
    (_M + "summarize_r2", lambda: metrics.summarize_r2(jax.random.key(1), _IMG[0, :1]), ValueError,
     "values"),
    (_M + "summarize_r2", lambda: metrics.summarize_r2(jax.random.key(1), _IMG[0].at[0].set(jnp.nan)),
     ValueError, "values"),
    (_M + "summarize_r2", lambda: metrics.summarize_r2(jax.random.key(1), _IMG[0], n_boot=10),
     ValueError, "n_boot"),
    (_M + "summarize_r2", lambda: metrics.summarize_r2(jax.random.key(1), _IMG[0], level=1.0),
     ValueError, "level"),
    # denoiser_r2
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(0, _same, _same, _IMG, _VE, [1.0]), TypeError, "key"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), "D", _same, _IMG, _VE, [1.0]),
     TypeError, "denoise_fn"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _same, None, _IMG, _VE, [1.0]),
     TypeError, "reference_fn"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _same, _same, _IMG, "VE", [1.0]),
     TypeError, "process"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _same, _same, _IMG[0], _VE, [1.0]),
     ValueError, "images"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _same, _same, _IMG, _VE, [9.0]),
     ValueError, "times"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _same, _same, _IMG, _VE, []),
     ValueError, "times"),
    (_M + "denoiser_r2", lambda: metrics.denoiser_r2(jax.random.key(1), _short, _same, _IMG, _VE, [1.0]),
     ValueError, "denoise_fn"),
    # patch_distances, mosaic_report
    (_M + "patch_distances", lambda: metrics.patch_distances(_IMG, _IMG[:, :9], (4, 4), 3), ValueError,
     "train"),
    (_M + "patch_distances", lambda: metrics.patch_distances(_IMG, _IMG, (4, 5), 3), ValueError,
     "images"),
    (_M + "patch_distances", lambda: metrics.patch_distances(_IMG, _IMG, (4, 4), 2), ValueError,
     "patch_size"),
    (_M + "patch_distances", lambda: metrics.patch_distances(_IMG[0], _IMG, (4, 4), 3), ValueError,
     "samples"),
    (_M + "patch_distances", lambda: metrics.patch_distances(_IMG.at[0, 0].set(jnp.inf), _IMG, (4, 4), 3),
     ValueError, "samples"),
    (_M + "mosaic_report", lambda: metrics.mosaic_report(_IMG, _IMG, (4, 4), 3, 0.0), ValueError,
     "tolerance"),
    (_M + "mosaic_report", lambda: metrics.mosaic_report(_IMG, _IMG, (4, 4), 3.0, 0.1), TypeError,
     "patch_size"),
    (_M + "mosaic_report", lambda: metrics.mosaic_report(_IMG, _IMG, 16, 3, 0.1), TypeError,
     "image_shape"),
    # SwitchedScore
    (_S + "SwitchedScore", lambda: SwitchedScore("s", _EMP, 0.5), TypeError, "large_noise"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, 3, 0.5), TypeError, "small_noise"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, _EMP, 0.0), ValueError, "t_switch"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, _EMP, 9.0), ValueError, "t_switch"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, _EMP, jnp.ones(2)), TypeError, "t_switch"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, EmpiricalScore(_IMG[:, :9], _VE), 0.5), ValueError,
     "small_noise"),
    (_S + "SwitchedScore", lambda: SwitchedScore(_EMP, EmpiricalScore(_IMG, md.VE(T=9.0)), 0.5),
     ValueError, "small_noise"),
    (_S + "SwitchedScore.__call__", lambda: SwitchedScore(_EMP, _EMP, 0.5)(_IMG, jnp.ones(2)),
     ValueError, "t"),
    (_S + "SwitchedScore.__call__", lambda: SwitchedScore(_EMP, _EMP, 0.5)(_IMG[0], 1.0), ValueError, "x"),
    # the chapter's experiments: keys, configs and results are checked by name
    (_E + "calibration.Config", lambda: calibration.Config(scale="huge"), ValueError, "scale"),
    (_E + "calibration.Config.at_scale", lambda: calibration.Config.at_scale("huge"), ValueError,
     "scale"),
    (_E + "calibration.run", lambda: calibration.run(6, calibration.Config()), TypeError, "key"),
    (_E + "calibration.run", lambda: calibration.run(_KEY, accounts.Config()), TypeError, "config"),
    (_E + "calibration.calibrate", lambda: calibration.calibrate("6", calibration.Config()), TypeError,
     "key"),
    (_E + "calibration.calibrate", lambda: calibration.calibrate(_KEY, None), TypeError, "config"),
    (_E + "calibration.plot", lambda: calibration.plot(None), TypeError, "result"),
    (_E + "calibration.Result.schedule",
     lambda: calibration.Result(("CNN", "MLP"), None, None, None, None, 9).schedule("UNet"),
     ValueError, "name"),
    (_E + "accounts.Config", lambda: accounts.Config(scale="gpu"), ValueError, "scale"),
    (_E + "patch_size.Config", lambda: patch_size.Config(scale=None), ValueError, "scale"),
    (_E + "prediction.Config", lambda: prediction.Config.at_scale("tiny"), ValueError, "scale"),
    (_E + "accounts.run", lambda: accounts.run(_KEY, prediction.Config()), TypeError, "config"),
    (_E + "accounts.run", lambda: accounts.run(None, accounts.Config()), TypeError, "key"),
    (_E + "accounts.plot", lambda: accounts.plot("result"), TypeError, "result"),
    (_E + "accounts.plot_samples", lambda: accounts.plot_samples(3), TypeError, "result"),
    (_E + "patch_size.run", lambda: patch_size.run(_KEY, accounts.Config()), TypeError, "config"),
    (_E + "patch_size.plot", lambda: patch_size.plot(None), TypeError, "result"),
    (_E + "patch_size.plot_samples", lambda: patch_size.plot_samples(None), TypeError, "result"),
    (_E + "patch_size.frame", lambda: patch_size.frame(_KEY, None, 3), TypeError, "config"),
    (_E + "patch_size.frame", lambda: patch_size.frame(0, patch_size.Config(), 3), TypeError, "key"),
    (_E + "patch_size.frame", lambda: patch_size.frame(_KEY, patch_size.Config(), 4), ValueError,
     "patch_size"),
    (_E + "patch_size.plot_frame", lambda: patch_size.plot_frame(None), TypeError, "result"),
    (_E + "patch_size.patch_widget", lambda: patch_size.patch_widget(_KEY, None), TypeError, "config"),
    (_E + "prediction.run", lambda: prediction.run(_KEY, calibration.Config()), TypeError, "config"),
    (_E + "prediction.plot", lambda: prediction.plot(None), TypeError, "result"),
    (_E + "prediction.plot_denoisers", lambda: prediction.plot_denoisers(None), TypeError, "result"),
    (_E + "prediction.plot_samples", lambda: prediction.plot_samples(None), TypeError, "result"),
    (_E + "prediction.table", lambda: prediction.table({}), TypeError, "result"),
]
