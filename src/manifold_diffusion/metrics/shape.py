r"""The shape of a planar sample: the Fourier modes of its radius.

For a sample near a closed curve around the origin, write each point in polar coordinates
:math:`(r_i, \theta_i)` and fit the radius by least squares,

.. math:: r \approx c + a\sin(m\theta) + b\cos(m\theta);

the **amplitude** of mode :math:`m` is :math:`\sqrt{a^2 + b^2}`. On the wavy circle
:math:`r = 1 + A\sin(8\theta)` the samples have amplitude :math:`A` at :math:`m = 8`; a sample
that has lost the waves (a plain circle) has amplitude near 0.
"""

import numpy as np

__all__ = ["fourier_amplitude"]


def fourier_amplitude(samples, frequency: int = 8) -> float:
    r"""Amplitude :math:`\sqrt{a^2+b^2}` of mode ``frequency`` of the radius of ``samples``
    (least-squares fit :math:`r \approx c + a\sin(m\theta) + b\cos(m\theta)`, module docstring).

    Args:
      samples: ``(b, 2)`` points, :math:`b \ge 3`, about the origin.
      frequency: :math:`m \ge 1`.

    Returns:
      the amplitude (float).
    """
    if isinstance(samples, (str, bytes)) or samples is None:
        raise TypeError(f"samples: expected an array of shape (b, 2), got {type(samples).__name__}")
    x = np.asarray(samples, np.float64)
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 3:
        raise ValueError(f"samples: expected shape (b, 2) with b >= 3, got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("samples: expected finite values")
    if isinstance(frequency, bool) or not isinstance(frequency, (int, np.integer)) or frequency < 1:
        raise ValueError(f"frequency: expected an integer >= 1, got {frequency!r}")
    r, th = np.linalg.norm(x, axis=1), np.arctan2(x[:, 1], x[:, 0])
    design = np.stack([np.ones_like(th), np.sin(frequency * th), np.cos(frequency * th)], 1)
    coef = np.linalg.lstsq(design, r, rcond=None)[0]
    return float(np.hypot(coef[1], coef[2]))
