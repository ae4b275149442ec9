"""Every public callable rejects bad input by name: the table-driven bad-input test.

The table is the union of the ``ROWS`` lists of ``tests/bad_inputs/rows_*.py`` (one file per
area), each row ``(qualified_name, thunk, ExpectedError, "substring")``: ``thunk()`` makes one
bad call, which must raise ``ExpectedError`` (or a subclass) with ``substring`` -- the argument's
name, usually as ``"name:"`` -- in its message. ``qualified_name`` names the public callable the
row exercises (``"manifold_diffusion.samplers.sample"``, ``"manifold_diffusion.VP"``; a method of
an abstract class is exercised through a concrete subclass).

A rows file may also define ``KNOWN_GAPS``, rows in the same format for callables of code that
another piece of work is rewriting and that does not yet raise the named error: each must still
*fail* (so a fixed gap is moved to ``ROWS``), and each counts as that callable's row.

Two tests:

- ``test_every_public_callable_has_a_row``: walks the ``__all__`` lists of the package
  recursively (sub-packages and modules) and fails for a public function or class with no row.
  Exempt by rule: result records (``NamedTuple`` classes) and exception classes, which are data,
  not entry points; exempt by name: the short ``EXEMPT`` list below, each with its reason.
- ``test_rows_without_runtime_type_checks``: runs every row in a child pytest process *without*
  the jaxtyping import hook, i.e. as a user calls the library (under the hook, a bad argument of
  an annotated parameter would raise jaxtyping's error before the library's own). The child
  reports each row as a test ``test_row[...]``; this parent test shows the child's failures.
"""

import importlib
import importlib.util
import inspect
import os
import pathlib
import subprocess
import sys
import types

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROWS_DIR = HERE / "bad_inputs"
CHILD = os.environ.get("MD_BAD_INPUTS_CHILD") == "1"
PACKAGE = "manifold_diffusion"

# Public callables that take no input that can be bad (each with its reason). Keep it short.
EXEMPT = {
    "manifold_diffusion.scale.device_description": "no arguments: describes the JAX devices",
    "manifold_diffusion.plotting.style": "no arguments: a context manager applying the house style",
    "manifold_diffusion.manifolds.Projector": "a typing.Protocol: nothing to call, only isinstance",
    "manifold_diffusion.manifolds.TangentProjector": "a typing.Protocol: nothing to call, only isinstance",
    "manifold_diffusion.training.store.artifact_dir": "no arguments: reads $MD_ARTIFACT_DIR",
    "manifold_diffusion.experiments.learned_scores.ucurve.sigma_distributions":
        "no arguments: the chapter's table of noise-level distributions",
}


def _load_rows(table: str = "ROWS"):
    rows = []
    for path in sorted(ROWS_DIR.glob("rows_*.py")):
        spec = importlib.util.spec_from_file_location(f"bad_inputs_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for i, row in enumerate(getattr(module, table, [])):
            if not (isinstance(row, tuple) and len(row) == 4):
                raise AssertionError(f"{path.name}: row {i} is not (qualified_name, thunk, Error, substring)")
            name, thunk, error, substring = row
            if not (isinstance(name, str) and callable(thunk) and isinstance(error, type)
                    and issubclass(error, Exception) and isinstance(substring, str) and substring):
                raise AssertionError(f"{path.name}: row {i} ({name!r}) is malformed")
            rows.append((path.stem, i, name, thunk, error, substring))
    return rows


def _resolve(qualified_name: str):
    """The object named ``a.b.C.method``: attributes first (``manifolds.embed`` is the function
    the package exports, not the module of that name), submodules where no attribute exists."""
    parts = qualified_name.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[:i]))
    return obj


def _is_record(obj) -> bool:
    return inspect.isclass(obj) and (
        (issubclass(obj, tuple) and hasattr(obj, "_fields")) or issubclass(obj, BaseException))


def public_callables():
    """``{qualified name: object}`` of every public function and class, by the first ``__all__``
    path that reaches it (objects re-exported under several names appear once)."""
    found, seen_objects, seen_modules = {}, set(), set()

    def walk(module):
        if module.__name__ in seen_modules:
            return
        seen_modules.add(module.__name__)
        for name in getattr(module, "__all__", ()):
            try:
                obj = getattr(module, name)
            except AttributeError:
                obj = importlib.import_module(f"{module.__name__}.{name}")
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith(PACKAGE):
                    walk(obj)
                continue
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or _is_record(obj):
                continue
            if id(obj) not in seen_objects:
                seen_objects.add(id(obj))
                found[f"{module.__name__}.{name}"] = obj
    walk(importlib.import_module(PACKAGE))
    return found


ROWS = _load_rows()
KNOWN_GAPS = _load_rows("KNOWN_GAPS")


def test_rows_files_exist_and_are_many():
    assert ROWS, f"no rows found in {ROWS_DIR}/rows_*.py"
    assert len(ROWS) >= 200, f"the table has {len(ROWS)} rows; issue 18 asks for at least 200"


@pytest.mark.skipif(CHILD, reason="checked in the parent process")
def test_every_public_callable_has_a_row():
    covered = set()
    for stem, i, name, *_ in ROWS + KNOWN_GAPS:
        try:
            covered.add(id(_resolve(name)))
        except (ImportError, AttributeError) as err:
            raise AssertionError(f"{stem} row {i}: {name!r} names nothing ({err})") from err
    exempt = set()
    for name in EXEMPT:
        exempt.add(id(_resolve(name)))
    missing = sorted(q for q, obj in public_callables().items()
                     if id(obj) not in covered and id(obj) not in exempt)
    assert not missing, ("public callables without a bad-input row (add one to "
                         "tests/bad_inputs/rows_<area>.py):\n  " + "\n  ".join(missing))


@pytest.mark.skipif(CHILD, reason="this is the child")
def test_rows_without_runtime_type_checks():
    env = dict(os.environ, MD_BAD_INPUTS_CHILD="1")
    cmd = [sys.executable, "-m", "pytest", str(pathlib.Path(__file__)), "-q", "-p", "no:cacheprovider",
           "-o", "addopts=-ra --strict-markers", "-k", "test_row and not test_rows"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=HERE.parent, timeout=1200)
    tail = res.stdout[-12000:] + res.stderr[-3000:]
    assert res.returncode == 0, f"bad-input rows failed in the child process:\n{tail}"
    assert f"{len(ROWS) + len(KNOWN_GAPS)} passed" in res.stdout, (
        f"expected {len(ROWS) + len(KNOWN_GAPS)} rows to run:\n{tail}")


def _check_row(row):
    stem, i, name, thunk, error, substring = row
    try:
        thunk()
    except error as exc:
        message = str(exc)
        assert substring in message, (f"{name} ({stem} row {i}): {type(exc).__name__} does not name "
                                      f"{substring!r}: {message}")
    except Exception as exc:     # the wrong kind of error
        raise AssertionError(f"{name} ({stem} row {i}): expected {error.__name__} naming {substring!r}, "
                             f"got {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError(f"{name} ({stem} row {i}): expected {error.__name__} naming "
                             f"{substring!r}, but the call returned")


def _row_id(r):
    return f"{r[0][5:]}-{r[1]}-{r[2].rsplit('.', 1)[-1]}"


if CHILD:        # the rows run only in the child process (test_rows_without_runtime_type_checks)
    @pytest.mark.parametrize("row", ROWS, ids=[_row_id(r) for r in ROWS])
    def test_row(row):
        _check_row(row)

    @pytest.mark.parametrize("row", KNOWN_GAPS, ids=["gap-" + _row_id(r) for r in KNOWN_GAPS])
    def test_row_known_gap(row):
        """A known gap must still fail; when it passes, move it from KNOWN_GAPS to ROWS."""
        try:
            _check_row(row)
        except AssertionError:
            return
        raise AssertionError(f"{row[2]} ({row[0]} KNOWN_GAPS row {row[1]}) now raises the named error: "
                             "move it to ROWS")
