"""Checkers for chapter 5 (learned scores)."""

import numpy as np

from ._registry import checker

__all__ = []


def _reference_epoch(epochs, val_loss):
    """The early-stopping epoch: the checkpoint with the smallest held-out loss."""
    return int(np.asarray(epochs)[int(np.argmin(np.asarray(val_loss)))])


@checker("learned.early_stopping")
def _check_early_stopping(answer):
    """``answer(epochs, val_loss) -> epoch``: the epoch of the smallest validation loss."""
    rng = np.random.default_rng(20231101)
    for trial in range(20):
        c = int(rng.integers(5, 60))
        step = int(rng.choice([1, 10, 50]))
        epochs = np.arange(c) * step
        u = np.linspace(-1, 1, c)
        centre = rng.uniform(-0.8, 0.8)
        val = 0.3 + (u - centre) ** 2 + 0.05 * rng.standard_normal(c)
        if trial == 0:
            val = np.linspace(1.0, 0.5, c)          # still improving: stop at the last epoch
        expected = _reference_epoch(epochs, val)
        got = answer(epochs.copy(), val.copy())
        try:
            got = int(got)
        except (TypeError, ValueError) as err:
            raise AssertionError(f"expected an epoch (an integer), got {got!r}") from err
        if got != expected:
            hint = (" (did you return the index instead of the epoch?)"
                    if got == int(np.argmin(val)) and step != 1 else "")
            raise AssertionError(f"on a validation curve of {c} checkpoints every {step} "
                                 f"epochs you returned epoch {got}, expected {expected}{hint}")
    return "The early-stopping epoch is the checkpoint with the smallest held-out loss."
