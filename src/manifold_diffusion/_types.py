"""Array type aliases with named dimensions.

Dimension letters are the same in code, docstrings and text: ``n`` training points,
``b`` a batch of query points, ``d`` the ambient dimension, ``k`` the intrinsic one,
``s`` time steps.
"""

from collections.abc import Callable
from typing import TypeAlias

from jaxtyping import Array, ArrayLike, Float

Points: TypeAlias = Float[Array, "n d"]
Batch: TypeAlias = Float[Array, "b d"]
Time: TypeAlias = Float[ArrayLike, ""]
Grid: TypeAlias = Float[Array, " s"]
ScoreFn: TypeAlias = Callable[[Batch, Time], Batch]
"""A score ``score_fn(x, t)``: maps a batch ``(b, d)`` and a scalar time to ``(b, d)``."""

__all__ = ["Points", "Batch", "Time", "Grid", "ScoreFn"]
