"""Bad-input rows: the locality chapter's library pieces (``metrics.patches``, ``scores.SwitchedScore``)
and its experiment modules (``experiments.locality``).

``ROWS = [(qualified_name, thunk, ExpectedError, "substring naming the argument"), ...]``; each
thunk makes one bad call.
"""

import jax
import jax.numpy as jnp

import manifold_diffusion as md
from manifold_diffusion import metrics
from manifold_diffusion.scores import EmpiricalScore, SwitchedScore

_M = "manifold_diffusion.metrics."
_S = "manifold_diffusion.scores."
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
]
