"""Bad-input rows for the patch scores (``manifold_diffusion.scores.patch``).

``ROWS = [(qualified_name, thunk, ExpectedError, "substring naming the argument"), ...]``; each
thunk makes one bad call.
"""

import jax
import jax.numpy as jnp

import manifold_diffusion as md
from manifold_diffusion.scores import (ELSMachine, EquivariantScore, LocalScore, PatchSchedule,
                                       calibrate_patch_schedule, extract_patches)

_P = "manifold_diffusion.scores."
_DATA = jax.random.uniform(jax.random.key(0), (3, 16))           # three 4x4 images
_VP = md.VP()


def _local():
    return LocalScore(_DATA, _VP, (4, 4), 3)


def _equivariant():
    return EquivariantScore(_DATA, _VP, (4, 4), 3)


def _els():
    return ELSMachine(_DATA, _VP, (4, 4), PatchSchedule((1, 3), (0.1,)))


def _identity(x, t):
    return x


def _wrong_shape(x, t):
    return x[:, :4]


def _nan_data():
    return _DATA.at[0, 0].set(jnp.nan)


def _calibrate(**changes):
    args = dict(key=jax.random.key(1), denoise_fn=_identity, data=_DATA, held_out=_DATA,
                process=_VP, image_shape=(4, 4), times=[0.1, 0.5], patch_sizes=[1, 3])
    args.update(changes)
    return calibrate_patch_schedule(args.pop("key"), **args)


ROWS = [
    # extract_patches
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 5), 3), ValueError, "images"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 2), ValueError, "patch_size"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 0), ValueError, "patch_size"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 9), ValueError, "patch_size"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 5, boundary="periodic"),
     ValueError, "patch_size"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 3, boundary="reflect"),
     ValueError, "boundary"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, 16, 3), TypeError, "image_shape"),
    (_P + "extract_patches", lambda: extract_patches(_DATA, (4, 4), 3.0), TypeError, "patch_size"),
    # LocalScore
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 3), 3), ValueError, "data"),
    (_P + "LocalScore", lambda: LocalScore(_DATA[0], _VP, (4, 4), 3), ValueError, "data"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 4), ValueError, "patch_size"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 0), ValueError, "patch_size"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 9), ValueError, "patch_size"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 3, boundary="broken"), ValueError,
     "boundary"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, "VP", (4, 4), 3), TypeError, "process"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 3, chunk_size=0), ValueError,
     "chunk_size"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 3, query_block=-1), ValueError,
     "query_block"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 4), 3, query_block=2.5), TypeError,
     "query_block"),
    (_P + "LocalScore", lambda: LocalScore(_nan_data(), _VP, (4, 4), 3), ValueError, "data"),
    (_P + "LocalScore", lambda: LocalScore(_DATA, _VP, (4, 0), 3), ValueError, "image_shape"),
    (_P + "LocalScore.__call__", lambda: _local()(_DATA[:, :15], 0.1), ValueError, "x"),
    (_P + "LocalScore.__call__", lambda: _local()(_DATA, 0.0), ValueError, "t"),
    (_P + "LocalScore.__call__", lambda: _local()(_DATA, 6.0), ValueError, "t"),
    (_P + "LocalScore.denoise", lambda: _local().denoise(_DATA.reshape(3, 4, 4), 0.1), ValueError, "x"),
    (_P + "LocalScore.denoise", lambda: _local().denoise(_DATA, -1.0), ValueError, "t"),
    (_P + "LocalScore.denoise", lambda: _local().denoise(_DATA, jnp.array([0.1, 0.2])), ValueError,
     "t"),
    # EquivariantScore
    (_P + "EquivariantScore", lambda: EquivariantScore(_DATA, _VP, (4, 4), 5, boundary="periodic"),
     ValueError, "patch_size"),
    (_P + "EquivariantScore", lambda: EquivariantScore(_DATA, _VP, (4, 4), 3, boundary="reflect"),
     ValueError, "boundary"),
    (_P + "EquivariantScore", lambda: EquivariantScore(_DATA, _VP, (2, 8, 2), 3), ValueError, "data"),
    (_P + "EquivariantScore", lambda: EquivariantScore(_DATA, _VP, (4, 4), True), TypeError,
     "patch_size"),
    (_P + "EquivariantScore.__call__", lambda: _equivariant()(_DATA[:, :8], 0.1), ValueError, "x"),
    (_P + "EquivariantScore.__call__", lambda: _equivariant()(_DATA, float("nan")), ValueError, "t"),
    (_P + "EquivariantScore.denoise", lambda: _equivariant().denoise(_DATA, 0.0), ValueError, "t"),
    (_P + "EquivariantScore.denoise", lambda: _equivariant().denoise("x", 0.1), TypeError, "x"),
    # PatchSchedule
    (_P + "PatchSchedule", lambda: PatchSchedule((3, 4), (0.1,)), ValueError, "patch_sizes"),
    (_P + "PatchSchedule", lambda: PatchSchedule((3, 5)), ValueError, "boundaries"),
    (_P + "PatchSchedule", lambda: PatchSchedule((3, 5, 7), (0.5, 0.1)), ValueError, "boundaries"),
    (_P + "PatchSchedule", lambda: PatchSchedule((3, 5), (-0.1,)), ValueError, "boundaries"),
    (_P + "PatchSchedule", lambda: PatchSchedule(3), TypeError, "patch_sizes"),
    (_P + "PatchSchedule", lambda: PatchSchedule(()), ValueError, "patch_sizes"),
    (_P + "PatchSchedule.constant", lambda: PatchSchedule.constant(0), ValueError, "patch_sizes"),
    (_P + "PatchSchedule.from_table", lambda: PatchSchedule.from_table([0.5, 0.1], [3, 5]),
     ValueError, "times"),
    (_P + "PatchSchedule.from_table", lambda: PatchSchedule.from_table([0.1, 0.5], [3]),
     ValueError, "patch_sizes"),
    (_P + "PatchSchedule.from_table", lambda: PatchSchedule.from_table([0.0, 0.5], [3, 5]),
     ValueError, "times"),
    (_P + "PatchSchedule.from_callable", lambda: PatchSchedule.from_callable(3, [0.1]), TypeError, "fn"),
    (_P + "PatchSchedule.from_callable", lambda: PatchSchedule.from_callable(lambda t: 2, [0.1]),
     ValueError, "patch_sizes"),
    (_P + "PatchSchedule.__call__", lambda: PatchSchedule((1, 3), (0.1,))(-0.5), ValueError, "t"),
    (_P + "PatchSchedule.interval", lambda: PatchSchedule((1, 3), (0.1,)).interval(float("inf")),
     ValueError, "t"),
    # ELSMachine
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), "3"), TypeError, "schedule"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), lambda t: 3), ValueError, "times"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 9), ValueError, "schedule"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 4), ValueError, "patch_sizes"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 3, equivariant=1), TypeError,
     "equivariant"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 3, equivariant=False,
                                           boundary="broken"), ValueError, "boundary"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, None, (4, 4), 3), TypeError, "process"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 3, chunk_size=0), ValueError,
     "chunk_size"),
    (_P + "ELSMachine.__call__", lambda: _els()(_DATA[:, :10], 0.1), ValueError, "x"),
    (_P + "ELSMachine.__call__", lambda: _els()(_DATA, 0.0), ValueError, "t"),
    (_P + "ELSMachine.__call__", lambda: _els()(_DATA, jnp.ones(3)), ValueError, "t"),
    (_P + "ELSMachine.denoise", lambda: _els().denoise(_DATA, 10.0), ValueError, "t"),
    (_P + "ELSMachine.denoise", lambda: _els().denoise(_DATA[:, :3], 0.2), ValueError, "x"),
    (_P + "ELSMachine.level", lambda: _els().level(-0.1), ValueError, "t"),
    # calibrate_patch_schedule
    (_P + "calibrate_patch_schedule", lambda: _calibrate(key=0), TypeError, "key"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(denoise_fn=None), TypeError, "denoise_fn"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(denoise_fn=_wrong_shape), ValueError,
     "denoise_fn"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(held_out=_DATA[:, :9]), ValueError,
     "held_out"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(data=_DATA[:, :9]), ValueError, "data"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(times=[0.5, 0.1]), ValueError, "times"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(times=[0.1, 7.0]), ValueError, "times"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(times=[]), ValueError, "times"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(patch_sizes=[1, 2]), ValueError,
     "patch_sizes"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(patch_sizes=[3, 3]), ValueError,
     "patch_sizes"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(patch_sizes=3), TypeError, "patch_sizes"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(process="VP"), TypeError, "process"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(boundary="mirror"), ValueError, "boundary"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(query_block=0), ValueError, "query_block"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(equivariant="yes"), TypeError, "equivariant"),
    # prebuilt levels / scores, several targets
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 3, levels=3), TypeError, "levels"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, _VP, (4, 4), 3, levels=[_local()]), TypeError,
     "levels"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA[:2], _VP, (4, 4), 3, levels=[_equivariant()]),
     ValueError, "levels"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, md.VE(), (4, 4), 3, levels=[_equivariant()]),
     ValueError, "levels"),
    (_P + "ELSMachine", lambda: ELSMachine(_DATA, "VP", (4, 4), 3), TypeError, "process"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(denoise_fn={}), ValueError, "denoise_fn"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(denoise_fn={"a": 1}), TypeError,
     "denoise_fn"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(denoise_fn={"a": _wrong_shape}), ValueError,
     "denoise_fn"),
    (_P + "calibrate_patch_schedule", lambda: _calibrate(scores=[_local()]), TypeError, "scores"),
]
