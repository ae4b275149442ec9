r"""Chapter 4, "The rates": one module per experiment.

Every coverage measurement here is of a *learned* coarse score -- fitted by denoising score matching
on the :math:`N` training points, on a band of noise levels only -- sampled by the reverse SDE down to a
grid of stopping levels with one Tweedie step, and counted (:mod:`._sweep`).

- :mod:`.settings` -- the curves, surfaces and densities by name, and the two circulating exponents;
- :mod:`.memorization` -- claim 1: the training set's own coverage scale (the memorization ceiling);
- :mod:`.coverage` -- claims 2 and 3: the ridge coarse score on five curves; its law and its limit;
  the idealised exact-projection sampler as a labelled reference; ratio maps;
- :mod:`.network` -- claim 2 with the training engine's MLP as the estimator;
- :mod:`.density` -- claim 4: three densities, and an intrinsic KDE as the contrast;
- :mod:`.dimension` -- claim 5: the same curve in :math:`\mathbb R^2, \mathbb R^{10}, \mathbb R^{100}`;
- :mod:`.surface` -- claim 5 for :math:`k = 2`: a :math:`C^\beta` surface in :math:`\mathbb R^3` and
  :math:`\mathbb R^{10}`;
- :mod:`.summary` -- the chapter's opening table, generated from the results.

Each experiment module has ``Config``, ``run(key, config) -> Result``, ``plot(result)`` and
``Result.summary()``.
"""

from . import coverage, density, dimension, memorization, network, settings, summary, surface

__all__ = ["settings", "memorization", "coverage", "network", "density", "dimension", "surface",
           "summary"]
