r"""A score that hands over from one score to another at a fixed time: the coarse-score generator as a ``score_fn``.

.. math:: s(x, t) = \begin{cases} s_{\rm large}(x, t), & t > t_s,\\
                                  s_{\rm small}(x, t), & t \le t_s. \end{cases}

:func:`~manifold_diffusion.scores.hybrid_sample` runs the book's coarse-score generator as two
stages: an exact draw from the noised empirical law at a coarse time :math:`t_s`, then the
geometric score :math:`-(x - \alpha_t\hat P(x/\alpha_t))/\sigma_t^2` of an estimated manifold down
to :math:`t_{\min}`. :class:`SwitchedScore` with ``large_noise`` the
:class:`~manifold_diffusion.scores.EmpiricalScore` and ``small_noise`` a
:class:`~manifold_diffusion.scores.GeometricScore` is the same generator as *one* ``score_fn``,
so every sampler runs it from the prior, with the same prior draw and sampler noise as any
other score (the first stage then follows the empirical score's reverse dynamics instead of
drawing the noised empirical law exactly). Under a trace the branch is a ``lax.cond`` on
:math:`t > t_s`, which evaluates only the branch taken.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._checks import as_float_array, check_positive, is_concrete
from ..processes import Process
from .._types import ArrayInput

__all__ = ["SwitchedScore"]


class SwitchedScore(eqx.Module):
    r"""``large_noise`` above the switching time ``t_switch``, ``small_noise`` at and below it.

    Attributes:
      large_noise, small_noise: the two ``score_fn(x, t)``.
      t_switch: scalar :math:`t_s > 0` (an array leaf: a new time does not recompile).
      process: the process of the components (``None`` when neither has one).
    """

    large_noise: object
    small_noise: object
    t_switch: Float[Array, ""]
    process: object
    _d: object = eqx.field(static=True)

    def __init__(self, large_noise, small_noise, t_switch: float):
        """Args: large_noise, small_noise: ``score_fn(x, t)`` callables; where both have ``d``
        (or ``process``) they must agree. t_switch: the switching time, ``> 0``."""
        for name, fn in (("large_noise", large_noise), ("small_noise", small_noise)):
            if not callable(fn):
                raise TypeError(f"{name}: expected a callable score_fn(x, t), got {type(fn).__name__}")
        if isinstance(t_switch, bool) or jnp.ndim(t_switch) != 0:
            raise TypeError(f"t_switch: expected a scalar time > 0, got {t_switch!r}")
        check_positive("t_switch", t_switch)
        dims = [getattr(fn, "d", None) for fn in (large_noise, small_noise)]
        dims = [int(v) for v in dims if isinstance(v, int)]
        if len(set(dims)) > 1:
            raise ValueError(f"small_noise: expected dimension d = {dims[0]} (from large_noise), got "
                             f"{dims[1]}")
        procs = [getattr(fn, "process", None) for fn in (large_noise, small_noise)]
        procs = [p for p in procs if isinstance(p, Process)]
        if len(procs) == 2 and procs[0] != procs[1]:
            raise ValueError(f"small_noise: expected the process of large_noise ({procs[0]!r}), got "
                             f"{procs[1]!r}")
        if procs and is_concrete(t_switch):
            procs[0].check_time(t_switch, "t_switch")
        self.large_noise, self.small_noise = large_noise, small_noise
        self.t_switch = jnp.asarray(t_switch, jnp.result_type(float))
        self.process = procs[0] if procs else None
        self._d = dims[0] if dims else None

    @property
    def d(self):
        """The dimension of the components (``None`` when neither has one)."""
        return self._d

    def __call__(self, x: ArrayInput, t) -> Float[Array, "b d"]:
        """The score of the component in charge at ``t``; ``x`` ``(b, d)``, ``t`` a scalar."""
        x = as_float_array("x", x, ndim=2)
        if jnp.ndim(t) != 0:
            raise ValueError(f"t: expected a scalar time, got shape {jnp.shape(t)}")
        if is_concrete(t):
            fn = self.large_noise if float(t) > float(self.t_switch) else self.small_noise
            return fn(x, t)
        t_switch = self.t_switch.astype(jnp.result_type(t))
        return jax.lax.cond(t > t_switch, lambda: self.large_noise(x, t),
                            lambda: self.small_noise(x, t))
