"""Build the book with an execution cache that is never stale.

Why this wrapper exists: ``execute_notebooks: cache`` stores each chapter's outputs in
jupyter-cache, keyed on the chapter's *code cells* and its kernelspec only. The library
in ``src/``, the installed packages, the experiment scale (``MD_SCALE``) and the device
are not part of that key, so after a change to any of them jupyter-book would happily
show outputs computed by the old code or at the old scale. Sphinx adds a second layer:
it keeps already-parsed pages in ``_build/.doctrees`` and does not re-read them, so
clearing the jupyter cache alone is not enough either.

So the build key is a sha256 over every file under ``<book>/src`` (sorted paths and
contents, ignoring ``__pycache__``, ``*.pyc`` and ``*.egg-info``), ``requirements.txt``,
``pyproject.toml``, the resolved scale, the JAX device and the Python version. It is
kept in ``<out>/_build/.build-key``; when it differs, the jupyter cache, the doctrees,
the old html, the experiment log and the trained-parameter store are deleted and every chapter is
executed again. Otherwise the cache is reused and only chapters whose code cells changed are executed.

The scale is resolved once here (``--scale``, else ``$MD_SCALE``, else by backend) and
exported as ``MD_SCALE`` to jupyter-book, whose kernels inherit it, so the key and the
pages can never disagree about the scale. ``MD_EXPERIMENT_LOG`` (``<out>/_build/experiments.jsonl``,
where every experiment records its sizes, seed, device and run time for the generated
experiment list, see ``tools/sphinx_ext/book_extras.py``), ``MD_ARTIFACT_DIR``
(``<out>/_build/.artifacts``: trained networks that one chapter fits and a later one loads,
``manifold_diffusion.training.store.load_or_fit``; it goes with the cache, so it is never older than
the code that trained them) and ``MD_BOOK_BUILD=1`` (progress to the build log) are exported too.

Usage::

    python tools/build_book.py                                   # _build/html
    python tools/build_book.py --scale quick --output _build/quick --strict
    python tools/build_book.py --book DIR [any extra jupyter-book build options]

Exits with jupyter-book's exit code.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT_LOG = "experiments.jsonl"
ARTIFACTS = ".artifacts"   # $MD_ARTIFACT_DIR: the trained-parameter store (training.store)

# Evaluated in a child process so that this process never starts a JAX backend
# (on a GPU that would hold device memory for the whole build).
_RESOLVE = (
    "import json, platform; from manifold_diffusion import scale; "
    "print(json.dumps({'scale': scale.current(), 'device': scale.device_description(), "
    "'python': platform.python_version()}))"
)


def _digest_files(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"<missing>")
        h.update(b"\0")
    return h.hexdigest()


def _is_build_junk(path: Path) -> bool:
    """Bytecode caches and the egg-info that ``pip install -e .`` writes into src/."""
    return any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts)


def build_key(book: Path, env: dict[str, str]) -> dict[str, str]:
    """The parts of the build key, each a short string; the key changes if any part does."""
    src = sorted(
        p
        for p in (book / "src").rglob("*")
        if p.is_file() and p.suffix != ".pyc" and not _is_build_junk(p.relative_to(book))
    )
    resolved = subprocess.run([sys.executable, "-c", _RESOLVE], env=env, capture_output=True, text=True)
    if resolved.returncode != 0:
        sys.exit(f"build_book: cannot resolve the scale and device:\n{resolved.stderr}")
    parts = {"src/": _digest_files(src, book)[:16]}
    for name in ("requirements.txt", "pyproject.toml"):
        parts[name] = _digest_files([book / name], book)[:16]
    parts.update(json.loads(resolved.stdout.strip().splitlines()[-1]))
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--book", type=Path, default=ROOT, help="book root (default: this repo)")
    parser.add_argument("--output", type=Path, help="output dir, passed as --path-output")
    parser.add_argument("--scale", help="quick, default or large (default: $MD_SCALE, else by backend)")
    parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning (-W --keep-going)")
    args, extra = parser.parse_known_args()

    started = time.perf_counter()
    book = args.book.resolve()
    out = (args.output or book).resolve()
    build_dir = out / "_build"
    env = dict(os.environ)
    if args.scale:
        env["MD_SCALE"] = args.scale
    parts = build_key(book, env)
    env["MD_SCALE"] = parts["scale"]  # the resolved scale, inherited by every kernel
    # every experiment appends its record here (the experiment-list page reads it); it is kept
    # and dropped together with the execution cache whose outputs it describes
    env["MD_EXPERIMENT_LOG"] = str(build_dir / EXPERIMENT_LOG)
    env["MD_BOOK_BUILD"] = "1"  # progress lines go to this log, not into the pages
    # trained parameters shared between chapters (training.store.load_or_fit); dropped below with
    # the execution cache whenever the key changes, so no chapter ever loads a stale network
    env["MD_ARTIFACT_DIR"] = str(build_dir / ARTIFACTS)

    stamp = build_dir / ".build-key"
    try:
        old = json.loads(stamp.read_text())
    except (OSError, ValueError):
        old = None
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    if old == parts:
        print(f"build_book: cache reused (key {key}, scale {parts['scale']}, {parts['device']})")
    else:
        why = "no previous build key" if old is None else ", ".join(
            f"{name} changed ({old.get(name)} -> {value})"
            for name, value in parts.items()
            if old.get(name) != value
        )
        print(f"build_book: cache dropped, every chapter re-executes: {why}")
        for stale in (".jupyter_cache", ".doctrees", "html", "jupyter_execute", ARTIFACTS):
            shutil.rmtree(build_dir / stale, ignore_errors=True)
        (build_dir / EXPERIMENT_LOG).unlink(missing_ok=True)
        build_dir.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(parts, indent=1, sort_keys=True) + "\n")

    jupyter_book = shutil.which("jupyter-book", path=Path(sys.executable).parent) or "jupyter-book"
    command = [jupyter_book, "build", str(book)]
    if args.output:
        command += ["--path-output", str(out)]
    if args.strict:
        command += ["-W", "--keep-going"]
    print("build_book: MD_SCALE=" + parts["scale"], " ".join(command + extra), flush=True)
    code = subprocess.run(command + extra, env=env).returncode

    elapsed = time.perf_counter() - started
    if code == 0:
        print(f"build_book: ok in {elapsed:.0f} s; open {build_dir / 'html' / 'index.html'}")
    else:
        reports = build_dir / "html" / "reports"
        where = f"tracebacks in {reports}" if reports.is_dir() else "the errors are printed above"
        print(f"build_book: FAILED (exit {code}) after {elapsed:.0f} s; {where}")
    return code


if __name__ == "__main__":
    sys.exit(main())
