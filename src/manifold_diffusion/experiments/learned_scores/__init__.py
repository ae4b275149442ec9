"""Chapter 5, "Learned scores": the experiments, one module each.

- :mod:`.ucurve` -- KL against epochs (Li et al.'s Fig. 8), two read-outs at two noise levels;
- :mod:`.capacity` -- KL against the network's width (Fig. 11);
- :mod:`.modes` -- the mode distance (Thm 2, Figs. 5 and 10);
- :mod:`.theorem1` -- random features by exact gradient flow: tau_es and KL against n (Thm 1);
- :mod:`.geometry` -- normal and tangential score errors during training (the introduction's
  "geometry before density");
- :mod:`.timescales` -- generation and memorization times against N (Bonnaire et al. 2025).
"""

from . import capacity, dynamics, modes, theorem1, ucurve

__all__ = ["ucurve", "capacity", "modes", "theorem1", "dynamics"]
