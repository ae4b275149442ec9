r"""The values of an independent NumPy re-computation, drawn beside the chapter's measurements.

**What it is.** The project's reference notes on :cite:`farghly2025logdomain` (section 6, "CPU
checks") record a separate implementation of the same experiments, written in NumPy (not with
this library), run on a CPU with another seed: the closed-form empirical score of the twelve
equally spaced points on the unit circle, the VE process with :math:`T = 9`, 100 geometric
Euler--Maruyama steps to :math:`t = 10^{-6}` with a noise-free last step, 400 samples, and Gaussian
score smoothing with **500 fresh plain (not antithetic) draws at every evaluation of the score**,
as in the paper's code. The library instead fixes one set of antithetic draws per smoothed
score. The wavy-circle check used 200 antithetic draws, redrawn at every evaluation, and 600
samples. Agreement with it says that the library and the independent implementation compute the
same thing; where a statistic depends on the draw set (the gap-centre fraction near the
transition bandwidth) the two are expected to differ by Monte Carlo error.
"""

__all__ = ["CIRCLE", "KDE", "WAVY_AMPLITUDE", "RATIO_AT_GAP", "DESCRIPTION"]

#: One line for figure legends.
DESCRIPTION = "NumPy re-computation (fresh draws)"

#: Circle sweep: bandwidth -> (mean |r-1|, mean r, mean distance to the nearest training point,
#: gap-centre fraction).
CIRCLE = {0.0: (0.000, 1.000, 0.000, 0.00), 0.10: (0.004, 0.999, 0.006, 0.00),
          0.15: (0.013, 0.988, 0.024, 0.02), 0.20: (0.031, 0.969, 0.084, 0.20),
          0.25: (0.047, 0.953, 0.126, 0.39), 0.30: (0.068, 0.932, 0.142, 0.45),
          0.35: (0.098, 0.902, 0.168, 0.54)}

#: KDE on the same twelve points: bandwidth -> (mean |r-1|, None, nearest-train, gap fraction).
KDE = {0.10: (0.080, None, 0.125, 0.19), 0.20: (0.158, None, 0.221, 0.46),
       0.30: (0.236, None, 0.291, 0.50)}

#: Wavy circle: bandwidth -> amplitude of the 8th Fourier mode of the radius.
WAVY_AMPLITUDE = {0.0: 0.130, 0.1: 0.080, 0.25: 0.015, 0.5: 0.001, 1.0: 0.003}

#: At matched gap filling (gap fraction 0.45), d = 2: (gap fraction, score smoothing |r-1|,
#: KDE |r-1|).
RATIO_AT_GAP = (0.45, 0.068, 0.158)
