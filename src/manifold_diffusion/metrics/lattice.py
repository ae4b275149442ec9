r"""Where samples sit on a lattice of training points: gap filling and the lattice's lines.

Training sets with equally spaced points -- :math:`n` points on a circle at angles
:math:`2\pi i/n`, :math:`n` points on a segment, a square lattice -- let novelty be read off one
coordinate: the **offset** of a coordinate :math:`c` between the lattice lines
:math:`o + s\mathbb Z`,

.. math:: \phi(c) = \frac{(c - o) \bmod s}{s} \in [0, 1),

is 0 at a training point and :math:`\tfrac12` half way to the next. The **gap-centre fraction**
is the share of samples with :math:`\tfrac14 \le \phi < \tfrac34`, in the central half of a gap:
0 for memorized samples, :math:`\tfrac12` for a law uniform along the lattice, 1 for samples at
the midpoints.
"""

from typing import NamedTuple

import numpy as np

from .._checks import check_positive

__all__ = ["lattice_offsets", "gap_centre_fraction", "LatticeStats", "lattice_stats"]


def _coords(name: str, coords) -> np.ndarray:
    if isinstance(coords, (str, bytes)) or coords is None:
        raise TypeError(f"{name}: expected an array of numbers, got {type(coords).__name__}")
    arr = np.asarray(coords, np.float64)
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one value, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values")
    return arr


def lattice_offsets(coords, spacing: float, origin: float = 0.0) -> np.ndarray:
    r"""Offsets :math:`\phi = ((c - o) \bmod s)/s \in [0, 1)` of coordinates between the lattice lines
    :math:`o + s\mathbb Z` (module docstring).

    Args:
      coords: array of coordinates (any shape), e.g. angles of samples on a circle.
      spacing: :math:`s > 0`, e.g. :math:`2\pi/n` for :math:`n` points on a circle.
      origin: :math:`o`, the position of one lattice line.

    Returns:
      float64 array of the shape of ``coords``.
    """
    c = _coords("coords", coords)
    check_positive("spacing", spacing)
    if not np.isfinite(origin):
        raise ValueError(f"origin: expected a finite number, got {origin!r}")
    frac = np.mod(c - origin, spacing) / spacing
    return np.where(frac >= 1.0, 0.0, frac)             # (-tiny) mod s rounds to s


def gap_centre_fraction(coords, spacing: float, origin: float = 0.0) -> float:
    r"""Share of coordinates in the central half of the gaps of the lattice :math:`o + s\mathbb Z`,
    :math:`\tfrac14 \le \phi < \tfrac34` (:func:`lattice_offsets`).

    For samples of a circle with :math:`n` equally spaced training points at angles
    :math:`2\pi i/n`: ``gap_centre_fraction(angles, 2 * pi / n)``; 0.5 for the uniform law, 0 for
    memorization.
    """
    frac = lattice_offsets(coords, spacing, origin)
    return float(np.mean((frac >= 0.25) & (frac < 0.75)))


class LatticeStats(NamedTuple):
    """Where samples sit on a square lattice (:func:`lattice_stats`); all fractions of samples.

    Attributes:
      on_rows: within ``line_width`` spacings of a horizontal lattice line (a *row*).
      on_columns: within ``line_width`` spacings of a vertical lattice line (a *column*).
      row_gap: on a row and in the central half between two columns (new points along a row).
      column_gap: on a column and in the central half between two rows.
      cell_centre: in the central half of a cell in both coordinates (off every line).
    """

    on_rows: float
    on_columns: float
    row_gap: float
    column_gap: float
    cell_centre: float


def lattice_stats(samples, n: int, spacing: float, *, line_width: float = 0.1) -> LatticeStats:
    r"""Fractions of ``samples`` on the rows and columns of the ``n`` by ``n`` square lattice of
    :func:`manifold_diffusion.data.square_lattice` (centred at 0, lines at
    :math:`s(\{0..n-1\} - (n-1)/2)`), and in the gaps between them.

    Args:
      samples: ``(b, 2)`` points.
      n: lattice size (only its offset :math:`-s(n-1)/2` matters: the lines are extended).
      spacing: :math:`s > 0`.
      line_width: distance to a line, in spacings, below which a sample is on it; in (0, 1/4].

    Returns:
      :class:`LatticeStats`.
    """
    x = _coords("samples", samples)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"samples: expected shape (b, 2), got {x.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an integer >= 1, got {n!r}")
    if not 0 < line_width <= 0.25:
        raise ValueError(f"line_width: expected a number in (0, 0.25], got {line_width!r}")
    frac = lattice_offsets(x, spacing, -spacing * (n - 1) / 2)
    dist = np.minimum(frac, 1 - frac)                     # to the nearest line, in spacings
    central = (frac >= 0.25) & (frac < 0.75)
    row, col = dist[:, 1] < line_width, dist[:, 0] < line_width
    return LatticeStats(float(row.mean()), float(col.mean()), float((row & central[:, 0]).mean()),
                        float((col & central[:, 1]).mean()),
                        float((central[:, 0] & central[:, 1]).mean()))
