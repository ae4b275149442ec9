r"""Chapter 1, "Diffusion models in one chapter": one module per experiment.

The data law is a ring of Gaussians in the plane (:func:`manifold_diffusion.data.ring_mixture`),
whose noised score is known exactly (:class:`~manifold_diffusion.scores.MixtureScore`), noised
by the VP process.

- :mod:`.forward` -- snapshots of the forward process;
- :mod:`.score_field` -- the exact score field at several noise levels, and a slider over the
  noise level (:func:`.score_field.noise_widget`);
- :mod:`.sampling` -- reverse SDE and probability-flow ODE, Wasserstein-2 to the data law beside
  its sampling floor;
- :mod:`.order` -- the convergence order of the Heun probability-flow sampler;
- :mod:`.dsm` -- denoising score matching on a finite training set: the empirical score beats the
  true score on the training points and loses on fresh ones;
- :mod:`.memorization` -- sampling with the empirical score returns training points, at a
  distance that shrinks like :math:`\sigma(t_{\min})`.

Each module has ``Config`` (a :class:`RingConfig`), ``run(key, config) -> Result``, ``plot(result)``
and ``Result.summary()``.
"""

from . import dsm, forward, memorization, order, sampling, score_field
from ._ring import RingConfig

__all__ = ["RingConfig", "forward", "score_field", "sampling", "order", "dsm", "memorization"]
