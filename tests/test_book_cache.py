"""The book's execution cache is never stale (tools/build_book.py).

jupyter-cache keys a page on its code cells only, so editing an imported module or
changing MD_SCALE would, on its own, re-use the old outputs. This test builds a small
book whose cell prints a value from the book's own ``src/`` and the scale, edits only the
module (the page is untouched), changes only the scale, and checks what the html shows.

The same builds check the trained-parameter store (``training.store.load_or_fit`` under
``$MD_ARTIFACT_DIR``): two pages load one stored "fit" made from the book's ``src/``; it is
fitted once per build key, shared by both pages, kept while the key holds (a page that
re-executes loads it) and dropped with the cache when the key changes (never stale).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BUILD_BOOK = Path(__file__).resolve().parent.parent / "tools" / "build_book.py"
REPO_SRC = Path(__file__).resolve().parent.parent / "src"

CONFIG = """\
title: cache test
only_build_toc_files: true
exclude_patterns: [_build, src]
execute:
  execute_notebooks: cache
  allow_errors: false
sphinx:
  config:
    nb_execution_raise_on_error: true
"""

TOC = "format: jb-book\nroot: page\nchapters:\n  - file: second\n"

PAGE = """\
---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# Page

```{code-cell} ipython3
import os
import tiny

print(tiny.value(), "SCALE-" + os.environ["MD_SCALE"])
```

```{code-cell} ipython3
print(tiny.stored(), "ARTIFACTS-" + os.environ["MD_ARTIFACT_DIR"])
```
"""

SECOND = PAGE.replace("# Page", "# Second page").replace("import tiny\n", "import tiny  # second\n")

# tiny.stored(): a "fit" of the module's value through the store; every fit appends a line to
# the log named FITS, so the test counts how often the store had to fit.
MODULE = """\
import numpy as np

from manifold_diffusion.training import store


def value():
    return {value!r}


def _fit():
    with open({fits!r}, "a") as f:
        f.write(value() + "\\n")
    return {{"bytes": np.frombuffer(value().encode(), np.uint8).copy()}}


def stored():
    tree = store.load_or_fit("tiny", ("config", 1), _fit)
    return "STORED-" + bytes(np.asarray(tree["bytes"]).tolist()).decode()
"""


def _write_module(book: Path, value: str) -> None:
    fits = str(book.parent / "fits.log")
    (book / "src" / "tiny.py").write_text(MODULE.format(value=value, fits=fits))


def _fits(book: Path) -> list[str]:
    """The values fitted through the store so far, in order."""
    log = book.parent / "fits.log"
    return log.read_text().split() if log.is_file() else []


def _html(book: Path, page: str) -> str:
    path = book / "_build" / "html" / f"{page}.html"
    return path.read_text() if path.is_file() else ""


def _build(book: Path, scale: str) -> tuple[str, str]:
    """Build the book; return (build_book's own messages, the page's html)."""
    # the book's src first (tiny), then this repository's (manifold_diffusion.training.store)
    path = os.pathsep.join([str(book / "src"), str(REPO_SRC)])
    env = dict(os.environ, PYTHONPATH=path, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, str(BUILD_BOOK), "--book", str(book), "--scale", scale, "--strict"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    messages = "\n".join(re.findall(r"^build_book: .*$", result.stdout, flags=re.M))
    page = book / "_build" / "html" / "page.html"
    return messages, page.read_text() if page.is_file() else ""


def _cache_records(book: Path) -> list[tuple[int, str]]:
    """(id, creation time) of every notebook stored in the book's jupyter cache."""
    from jupyter_cache import get_cache

    records = get_cache(book / "_build" / ".jupyter_cache").list_cache_records()
    return sorted((record.pk, str(record.created)) for record in records)


@pytest.mark.book
def test_library_and_scale_changes_reach_the_page(tmp_path):
    book = tmp_path / "book"
    (book / "src").mkdir(parents=True)
    (book / "_config.yml").write_text(CONFIG)
    (book / "_toc.yml").write_text(TOC)
    (book / "page.md").write_text(PAGE)
    (book / "second.md").write_text(SECOND)
    _write_module(book, "VALUE-1")
    artifacts = book / "_build" / ".artifacts"

    messages, html = _build(book, "quick")
    assert "cache dropped" in messages and "no previous build key" in messages
    assert "VALUE-1 SCALE-quick" in html
    first_records = _cache_records(book)
    assert len(first_records) == 2
    # one fit, shared by both pages, stored where build_book said
    assert _fits(book) == ["VALUE-1"]
    for page in ("page", "second"):
        assert "STORED-VALUE-1 ARTIFACTS-" + str(artifacts) in _html(book, page)
    assert len(list(artifacts.glob("tiny-*.pkl"))) == 1

    # Nothing changed: the cached execution is reused, not re-run.
    messages, html = _build(book, "quick")
    assert "cache reused" in messages
    assert "VALUE-1 SCALE-quick" in html
    assert _cache_records(book) == first_records
    assert _fits(book) == ["VALUE-1"]

    # Only the library changes; the page and its code cell are untouched.
    _write_module(book, "VALUE-2")
    messages, html = _build(book, "quick")
    assert "cache dropped" in messages and "src/ changed" in messages
    assert "VALUE-2 SCALE-quick" in html
    assert "VALUE-1" not in html
    # the stored fit went with the cache: fitted again from the new src, never the stale one
    assert _fits(book) == ["VALUE-1", "VALUE-2"]
    assert "STORED-VALUE-2" in _html(book, "second") and "STORED-VALUE-1" not in _html(book, "second")

    # Only one page's code changes (same build key): it re-executes and loads the stored fit.
    (book / "second.md").write_text(SECOND.replace("# second", "# second, edited"))
    messages, _ = _build(book, "quick")
    assert "cache reused" in messages
    assert "STORED-VALUE-2" in _html(book, "second")
    assert _fits(book) == ["VALUE-1", "VALUE-2"]

    # Only the scale changes.
    messages, html = _build(book, "default")
    assert "cache dropped" in messages and "scale changed (quick -> default)" in messages
    assert "VALUE-2 SCALE-default" in html
    assert "SCALE-quick" not in html
    assert _fits(book) == ["VALUE-1", "VALUE-2", "VALUE-2"]

    key = json.loads((book / "_build" / ".build-key").read_text())
    assert key["scale"] == "default"


EXTRAS = Path(__file__).resolve().parent.parent / "tools" / "sphinx_ext"

LIST_CONFIG = CONFIG + f"""\
  local_extensions:
    book_extras: {EXTRAS}
"""

LIST_PAGE = PAGE.split("# Page")[0] + """\
# A chapter

```{code-cell} ipython3
import jax
from manifold_diffusion.experiments import diffusion_basics as basics

res = basics.run_forward(jax.random.key(SEED), basics.Config.at_scale("quick"))
```
"""

LIST_INDEX = "# Experiments\n\n```{experiment-list}\n```\n"


@pytest.mark.book
def test_experiment_list_is_generated_and_never_stale(tmp_path):
    """The experiment list is read after the chapters ran, survives the cache, follows re-runs."""
    book = tmp_path / "book"
    (book / "src").mkdir(parents=True)
    (book / "_config.yml").write_text(LIST_CONFIG)
    (book / "_toc.yml").write_text("format: jb-book\nroot: index\nchapters:\n  - file: chapter\n")
    (book / "index.md").write_text(LIST_INDEX)
    (book / "chapter.md").write_text(LIST_PAGE.replace("SEED", "3"))

    def listed() -> str:
        html = (book / "_build" / "html" / "index.html").read_text()
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S)
        return " | ".join(re.sub(r"<[^>]+>", " ", row) for row in rows)

    _build(book, "quick")
    table = listed()
    assert "forward process" in table and "seed 3" in table and "quick" in table
    assert "A chapter" in table  # the row links to the page that ran it

    # The chapter comes from the cache: its records are still listed.
    messages, _ = _build(book, "quick")
    assert "cache reused" in messages
    assert "seed 3" in listed()

    # The chapter's code changes and it re-runs: the old record is replaced, not kept.
    (book / "chapter.md").write_text(LIST_PAGE.replace("SEED", "4"))
    _build(book, "quick")
    table = listed()
    assert "seed 4" in table and "seed 3" not in table
