"""The chapters' notebooks: Colab copies kept in sync, and student versions for teachers.

The MyST markdown files ``chapters/NN_name.md`` are the sources of the book. Colab and plain
Jupyter open ``.ipynb``, so each chapter has a jupytext pair ``chapters/NN_name.ipynb``
(without outputs), committed next to it; ``tests/test_notebooks.py`` fails when one is missing or
differs from what its source generates.

Usage::

    python tools/notebooks.py sync                     # (re)write every chapters/NN_name.ipynb
    python tools/notebooks.py check                    # exit 1 if a pair is missing or stale
    python tools/notebooks.py student [CHAPTER ...]    # student versions, solutions stripped,
                                                       # into _build/student/ (--output DIR)

A student version removes every ``{solution}`` block and everything between
``{solution-start}`` and ``{solution-end}`` (code cells included). Where a removed solution
called ``exercises.check("name", ...)``, a starter cell is left in its place that says how to
check an answer, so the assignment can be graded with the library's checkers
(:mod:`manifold_diffusion.exercises`).
"""

import argparse
import hashlib
import re
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"

_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}")
_CHECK = re.compile(r"""exercises\.check\(\s*["']([\w.]+)["']""")


def chapter_sources(root: Path = ROOT) -> list[Path]:
    """Chapters with code (a jupytext header with a kernelspec), sorted by name."""
    out = []
    for path in sorted((root / "chapters").glob("*.md")):
        head = path.read_text(encoding="utf-8")[:600]
        if head.startswith("---") and "kernelspec:" in head:
            out.append(path)
    return out


def notebook_text(source: Path) -> str:
    """The ``.ipynb`` text that ``source`` generates (no outputs, stable metadata)."""
    notebook = jupytext.read(source, fmt="md:myst")
    _stable_ids(notebook)
    return jupytext.writes(notebook, fmt="ipynb")


def _stable_ids(notebook) -> None:
    """Cell ids from position and content (nbformat would draw random ones on every run)."""
    for i, cell in enumerate(notebook.cells):
        digest = hashlib.sha1(cell.source.encode()).hexdigest()[:8]
        cell["id"] = f"c{i:03d}-{digest}"


def stale_notebooks(root: Path = ROOT) -> list[str]:
    """Descriptions of the pairs that are missing or differ from their source."""
    problems = []
    for source in chapter_sources(root):
        target = source.with_suffix(".ipynb")
        if not target.is_file():
            problems.append(f"{target.relative_to(root)} is missing")
        elif target.read_text(encoding="utf-8") != notebook_text(source):
            problems.append(f"{target.relative_to(root)} is stale (older than {source.name})")
    return problems


def sync(root: Path = ROOT) -> list[Path]:
    """Write every chapter's ``.ipynb``; return those that changed."""
    changed = []
    for source in chapter_sources(root):
        target = source.with_suffix(".ipynb")
        text = notebook_text(source)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


def strip_solutions(text: str) -> str:
    """The MyST source ``text`` with every solution removed (see the module docstring)."""
    lines = text.splitlines(keepends=True)
    out, i = [], 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match or match["name"] not in ("solution", "solution-start"):
            out.append(lines[i])
            i += 1
            continue
        fence, name = match["fence"], match["name"]
        end = _closing(lines, i, fence)
        if name == "solution-start":
            # everything up to and including the {solution-end} directive
            j = end + 1
            while j < len(lines) and not (_FENCE.match(lines[j]) and
                                          _FENCE.match(lines[j])["name"] == "solution-end"):
                j += 1
            if j == len(lines):
                raise ValueError(f"line {i + 1}: solution-start without solution-end")
            end = _closing(lines, j, _FENCE.match(lines[j])["fence"])
        removed = "".join(lines[i:end + 1])
        out.append(_placeholder(_CHECK.findall(removed)))
        i = end + 1
    return "".join(out)


def _closing(lines: list[str], start: int, fence: str) -> int:
    """Index of the line that closes the directive opened at ``start`` with ``fence``."""
    for j in range(start + 1, len(lines)):
        if lines[j].strip() == fence:
            return j
    raise ValueError(f"line {start + 1}: directive opened with {fence} is never closed")


def _placeholder(checks: list[str]) -> str:
    if not checks:
        return "*(The solution is not part of the student version.)*\n"
    calls = "\n".join(f'# exercises.check("{name}", answer)' for name in dict.fromkeys(checks))
    return ("*(The solution is not part of the student version.)*\n\n"
            "```{code-cell} ipython3\n"
            "# Your answer here. When it is ready, check it with the library:\n"
            "from manifold_diffusion import exercises\n"
            f"{calls}\n"
            "```\n")


def student(sources: list[Path], output: Path) -> list[Path]:
    """Write the student version of each source as ``.md`` and ``.ipynb`` into ``output``."""
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        text = strip_solutions(source.read_text(encoding="utf-8"))
        md = output / source.name
        md.write_text(text, encoding="utf-8")
        notebook = jupytext.reads(text, fmt="md:myst")
        _stable_ids(notebook)
        jupytext.write(notebook, md.with_suffix(".ipynb"), fmt="ipynb")
        written += [md, md.with_suffix(".ipynb")]
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("sync", help="write chapters/*.ipynb from the .md sources")
    sub.add_parser("check", help="fail if a .ipynb is missing or stale")
    stud = sub.add_parser("student", help="student versions with solutions stripped")
    stud.add_argument("chapters", nargs="*", type=Path, help="chapter .md files (default: all)")
    stud.add_argument("--output", type=Path, default=ROOT / "_build" / "student")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if args.command == "check":
        problems = stale_notebooks()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: make notebooks", file=sys.stderr)
        return 1 if problems else 0
    sources = [p.resolve() for p in args.chapters] or chapter_sources()
    for path in student(sources, args.output):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
