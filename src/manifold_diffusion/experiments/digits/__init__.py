"""Chapter 6, "Does it hold on real images?": one module per experiment.

- :mod:`.denoisers` -- the chapter's trained MLP and CNN on the 850 digits of S1 (shared with
  the locality chapter through the trained-parameter store);
- :mod:`.transition` -- memorization to generalization in N: two models on disjoint sets,
  sampled from the same noise;
- :mod:`.fidelity` -- fidelity without blur bias, with the kNN-average and KDE baselines at
  matched novelty;
- :mod:`.smoothing` -- score smoothing with fresh draws, its modes and intrinsic dimension, in
  pixels and in PCA-16;
- :mod:`.curve` -- a rotated digit's curve: isotropic, oracle-adapted and estimated-adapted
  smoothing as the training spacing crosses the reach;
- :mod:`.dimension` -- the intrinsic dimension of the digits.

:mod:`._shared` holds what they share: the digit sets from the chapter's key, the judge, the
sampler grid.
"""

from . import curve, denoisers, dimension, fidelity, smoothing, transition

__all__ = ["denoisers", "transition", "fidelity", "smoothing", "curve", "dimension"]
