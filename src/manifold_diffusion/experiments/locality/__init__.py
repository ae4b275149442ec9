"""Chapter 7, "Locality and equivariance": one module per experiment.

- :mod:`.calibration` -- the ELS machine's patch-size schedule P(t), calibrated to chapter 6's
  trained CNN and MLP;
- :mod:`.accounts` -- from the global empirical score to the local, equivariant and ELS scores:
  memorization and the mosaic check;
- :mod:`.patch_size` -- novelty and fidelity of the equivariant score against the patch size (and
  the widget over it);
- :mod:`.prediction` -- which account predicts the trained networks, sample by sample from the
  same noise and denoiser by denoiser.

:mod:`._common` holds what they share: chapter 6's data and networks (loaded from the
trained-parameter store), the sampler, and in-process memos of built scores and sample sets.
"""

from . import accounts, calibration, patch_size, prediction

__all__ = ["calibration", "accounts", "patch_size", "prediction"]
