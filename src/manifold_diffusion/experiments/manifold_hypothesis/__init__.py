r"""Chapter 2, "The manifold hypothesis, and why the exact score memorizes": one module per experiment.

Data on a :math:`k`-dimensional manifold :math:`M\subset\mathbb R^d`; the variance-exploding
process (:math:`\sigma_t = \sqrt t`).

- :mod:`.geometry` -- reach and tubular neighbourhood of an ellipse, a Swiss roll, and a circle
  isometrically embedded in :math:`\mathbb R^d`: the distance of noised points to ``M`` grows like
  :math:`\sigma\sqrt{d-k}` (:func:`.geometry.manifold_table` lists reach and volume);
- :mod:`.score_split` -- the population score of a von Mises law on an ellipse split into normal
  and tangential parts at fixed points of the tube, against the expansion of :cite:`li2026scores`;
- :mod:`.coarse` -- Langevin at a fixed small :math:`\sigma` with the exact score, with scores
  right about geometry and wrong at order 1, and tempered-score Langevin;
- :mod:`.memorization` -- the reverse SDE with the empirical score down to :math:`t_{\min}`:
  fraction memorized and distance to the nearest training point against :math:`t_{\min}`,
  :math:`N` and :math:`d`;
- :mod:`.frames` -- the same on small grids of :math:`N` and :math:`t_{\min}`, and the
  memorization widget (:func:`.frames.widget`);
- :mod:`.departure` -- :math:`\sigma^*(N)`, the noise level below which the empirical score leaves
  the population score, for :math:`k = 1` and :math:`k = 2` at several :math:`d`.
"""

from . import coarse, departure, frames, geometry, memorization, score_split
from ._ellipse import EllipseConfig

__all__ = ["EllipseConfig", "geometry", "score_split", "coarse", "memorization", "frames",
           "departure"]
