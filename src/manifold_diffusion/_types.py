"""Array type aliases with named dimensions, for the signatures of the library.

Dimension letters are the same in code, docstrings and text: ``n`` training points,
``b`` a batch of query points, ``d`` the ambient dimension, ``k`` the intrinsic one,
``s`` time steps.

**Inputs and outputs are annotated differently, on purpose.** Every public function validates
its inputs itself and raises a ``ValueError`` or ``TypeError`` naming the argument, with the
expected shape or range (:mod:`manifold_diffusion._checks`). Its inputs are therefore annotated
only as what they must be at all -- :data:`ArrayInput`, an array-like of numbers (a JAX or NumPy
array, a Python number or a nested sequence), :data:`TimeInput` for a time -- and the shape is
stated in the docstring: the runtime type checker of the tests (jaxtyping with beartype,
``--jaxtyping-packages`` in ``pyproject.toml``) then never pre-empts the library's own, more
precise error. Outputs carry their exact shapes (:data:`Points`, :data:`Batch`, ...), which the
tests check on every call.
"""

from collections.abc import Callable, Sequence
from typing import TypeAlias, Union

import numpy as np
from jaxtyping import Array, ArrayLike, Float

Points: TypeAlias = Float[Array, "n d"]
"""``(n, d)`` points: a training set, samples."""
Batch: TypeAlias = Float[Array, "b d"]
"""``(b, d)`` query points."""
Grid: TypeAlias = Float[Array, " s"]
"""``(s,)`` times of a sampler's grid."""
ArrayInput: TypeAlias = Union[ArrayLike, Sequence]
"""An input array of numbers, validated by the function that takes it (shape in its docstring)."""
TimeInput: TypeAlias = ArrayLike
"""A time (a Python number or a 0-d array, also traced), validated against the process's ``(0, T]``."""
Size: TypeAlias = Union[int, np.integer]
"""A size or count (a Python or NumPy integer), validated by the function (``>= 1`` unless stated)."""
ScoreFn: TypeAlias = Callable[[Batch, TimeInput], Batch]
"""A score ``score_fn(x, t)``: maps a batch ``(b, d)`` and a scalar time to ``(b, d)``."""

__all__ = ["Points", "Batch", "Grid", "ArrayInput", "TimeInput", "Size", "ScoreFn"]
