"""The import graph of the package follows the layers of ARCHITECTURE.md.

Parsed with ``ast`` (nothing is imported): every ``import``/``from ... import`` statement of
every module under ``src/manifold_diffusion``, including imports inside functions. Three rules:

1. arrows point down the layers only (a module may import its own layer or a lower one);
2. no cycles between modules at import time (module-level imports; a package's ``__init__``
   importing its own submodules is how a package is built, not a cycle);
3. no module imports a ``_private`` name from another package (a leading underscore means
   "this package only": ``manifolds._base`` is for ``manifolds``; ``_checks`` and ``_types``,
   private modules of the root package, are for the whole library).

Known violations in code that other work is rewriting are listed in ``ALLOWED`` with the work
that removes them; the integrator empties the list as those land. The test also fails when an
allowed violation no longer exists, so the list cannot go stale.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1] / "src" / "manifold_diffusion"
PACKAGE = "manifold_diffusion"

# The layers of ARCHITECTURE.md, bottom (0) to top. A module is placed by the longest prefix of
# its dotted name (relative to the package) that appears here. Within layer 3 the order is
# samplers < scores < kde < training < metrics, data: the samplers take any score_fn(x, t) and
# import no score; scores use samplers (the coarse sampler); the KDE reuses the scores'
# streaming log-sum-exp; training and metrics use scores; scores never import metrics.
LAYERS = {
    "_checks": 0, "_types": 0, "keys": 0, "scale": 0,
    "processes": 1,
    "manifolds": 2,
    "samplers": 3.0, "scores": 3.1, "kde": 3.2, "training": 3.3, "metrics": 3.4, "data": 3.4,
    "plotting": 4, "widgets": 4, "book": 4, "exercises": 4,
    "experiments": 5,
    "": 6,                       # the root package's __init__: the facade that re-exports
}

# Known violations, each with the work that removes it (none today).
# Entries are (importer module, imported module or module.name, rule).
ALLOWED: set[tuple[str, str, str]] = set()


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_package(path: pathlib.Path) -> bool:
    return path.name == "__init__.py"


def _modules():
    """``{module name: (path, is_package)}`` for every module of the package."""
    return {_module_name(p): (p, _is_package(p)) for p in sorted(ROOT.rglob("*.py"))}


MODULES = _modules()


def _resolve(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Absolute module named by a ``from X import ...`` statement."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _edges():
    """Every import as ``(importer, target, top_level)``; ``target`` is a module, or
    ``module.name`` when a name (not a submodule) is imported from a module."""
    out = []
    for name, (path, is_pkg) in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        top = set(id(n) for n in tree.body)
        for node in ast.walk(tree):
            at_top = id(node) in top
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(PACKAGE):
                        out.append((name, alias.name, at_top))
            elif isinstance(node, ast.ImportFrom):
                module = _resolve(name, is_pkg, node)
                if not module.startswith(PACKAGE):
                    continue
                for alias in node.names:
                    out.append((name, f"{module}.{alias.name}", at_top))
    return out


def _owning_module(target: str) -> str:
    """The module a target lives in (``target`` itself, or its parent for ``module.name``)."""
    return target if target in MODULES else target.rsplit(".", 1)[0]


def _layer(module: str) -> float:
    rel = module[len(PACKAGE) + 1:] if module != PACKAGE else ""
    parts = rel.split(".") if rel else []
    for i in range(len(parts), -1, -1):
        key = ".".join(parts[:i])
        if key in LAYERS:
            return LAYERS[key]
    raise AssertionError(f"{module}: not placed in any layer of ARCHITECTURE.md (add it to LAYERS)")


def _package_of(module: str) -> str:
    return module if MODULES[module][1] else module.rsplit(".", 1)[0]


def _private_owner(target: str) -> str | None:
    """The package a private target belongs to, or ``None`` if nothing in it is private."""
    parts = target.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            prefix = ".".join(parts[:i])
            return _package_of(prefix) if prefix in MODULES else prefix
    return None


EDGES = _edges()


def _violations(rule: str):
    found = set()
    for importer, target, _ in EDGES:
        if target == f"{PACKAGE}.__version__":
            continue                                   # package metadata, not a dependency
        if rule == "layer":
            mod = _owning_module(target)
            if _layer(mod) > _layer(importer):
                found.add((importer, mod, "layer"))
        elif rule == "private":
            owner = _private_owner(target)
            if owner is not None and not (importer == owner or importer.startswith(owner + ".")):
                found.add((importer, target, "private"))
    return found


def test_every_module_is_placed_in_a_layer():
    for module in MODULES:
        _layer(module)


@pytest.mark.parametrize("rule", ["layer", "private"])
def test_imports_follow_the_rule(rule):
    found = _violations(rule)
    allowed = {v for v in ALLOWED if v[2] == rule}
    new = sorted(found - allowed)
    assert not new, (f"imports breaking the {rule!r} rule of ARCHITECTURE.md:\n"
                     + "\n".join(f"  {a} imports {b}" for a, b, _ in new))
    stale = sorted(allowed - found)
    assert not stale, ("allowed violations that no longer exist (remove them from ALLOWED):\n"
                       + "\n".join(f"  {a} -> {b}" for a, b, _ in stale))


def test_no_import_cycles():
    graph = {m: set() for m in MODULES}
    for importer, target, at_top in EDGES:
        mod = _owning_module(target)
        if not at_top or mod == importer:
            continue
        # a package's __init__ importing its own submodules builds the package; a submodule
        # importing names from its own package's __init__ would close a cycle and is kept
        if MODULES[importer][1] and mod.startswith(importer + "."):
            continue
        graph[importer].add(mod)
    # Tarjan's strongly connected components
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, "import cycles:\n" + "\n".join("  " + " <-> ".join(c) for c in cycles)


def test_the_parser_sees_known_edges():
    """The graph is not vacuous: a few imports that certainly exist are found."""
    targets = {(a, _owning_module(b)) for a, b, _ in EDGES}
    assert ("manifold_diffusion.samplers", "manifold_diffusion.processes") in targets
    assert ("manifold_diffusion.scores.population", "manifold_diffusion.manifolds") in targets
    assert ("manifold_diffusion.kde", "manifold_diffusion.scores") in targets


# Public definitions allowed to be missing from their module's __all__ (none today).
NOT_IN_ALL: dict[str, set[str]] = {}


def test_every_public_definition_is_in_all():
    """``__all__`` is complete: every public top-level function or class of a module that has an
    ``__all__`` is listed in it (a module without one must define nothing public)."""
    problems = []
    for name, (path, _) in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        listed = None
        for node in tree.body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                listed = set(ast.literal_eval(node.value))
            elif (isinstance(node, ast.AugAssign) and getattr(node.target, "id", None) == "__all__"
                  and listed is not None):
                listed |= set(ast.literal_eval(node.value))
        defs = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                and not n.name.startswith("_")}
        if listed is None:
            if defs:
                problems.append(f"{name}: defines {sorted(defs)} but has no __all__")
            continue
        missing = defs - listed - NOT_IN_ALL.get(name, set())
        if missing:
            problems.append(f"{name}: {sorted(missing)} not in __all__")
        stale = NOT_IN_ALL.get(name, set()) - defs
        if stale or (name in NOT_IN_ALL and not NOT_IN_ALL[name] & (defs - listed)):
            problems.append(f"{name}: NOT_IN_ALL lists {sorted(NOT_IN_ALL[name])}, which are no longer missing")
    assert not problems, "\n".join(problems)
