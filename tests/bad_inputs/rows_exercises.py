"""Bad-input rows for ``manifold_diffusion.exercises`` (the checker registry) and the experiment
harness, as they stand today. ``KNOWN_GAPS``: see ``rows_training.py``."""

from manifold_diffusion import exercises
from manifold_diffusion.experiments import harness

E = "manifold_diffusion.exercises."
H = "manifold_diffusion.experiments.harness."

ROWS = [
    (E + "check", lambda: exercises.check("no.such.exercise", lambda: 1), ValueError, "name"),
    (E + "checker", lambda: exercises.checker(3), ValueError, "name"),
    (E + "available", lambda: exercises.available(1), TypeError, "available"),
    (H + "ExperimentConfig", lambda: harness.ExperimentConfig(scale="huge"), ValueError, "scale:"),
    (H + "experiment", lambda: harness.experiment(""), TypeError, "name:"),
    (H + "progress", lambda: list(harness.progress(3, "d")), TypeError, "iterable"),
]

KNOWN_GAPS = []

# rows that were known gaps until the integration fixed them
ROWS += [
    (H + "log_record", lambda: harness.log_record("meta", "m"), TypeError, "meta"),
]
