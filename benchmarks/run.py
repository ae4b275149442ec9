"""Run every benchmark (``make bench``): each ``bench_*.py`` module's ``main()``, in order.

Each prints lines ``bench <name> ... jax_s=... numpy_s=... speedup=...``, timing JAX after a
warm-up (compile excluded) against a NumPy/SciPy reference in the same process, and checking
that the two agree. Run on an otherwise idle machine: timings of concurrent jobs mean nothing.
``python benchmarks/run.py sampling`` runs only ``bench_sampling.py``.
"""

import importlib
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main(argv: list[str]) -> None:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    if argv:
        names = [n for n in names if n.removeprefix("bench_") in argv or n in argv]
    for name in names:
        start = time.perf_counter()
        importlib.import_module(name).main()
        print(f"# {name} finished in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
