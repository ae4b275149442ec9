"""The book's execution cache is never stale (tools/build_book.py).

jupyter-cache keys a page on its code cells only, so editing an imported module or
changing MD_SCALE would, on its own, re-use the old outputs. This test builds a one-page
book whose cell prints a value from the book's own ``src/`` and the scale, edits only the
module (the page is untouched), changes only the scale, and checks what the html shows.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BUILD_BOOK = Path(__file__).resolve().parent.parent / "tools" / "build_book.py"

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

TOC = "format: jb-book\nroot: page\n"

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
"""


def _write_module(book: Path, value: str) -> None:
    (book / "src" / "tiny.py").write_text(f"def value():\n    return {value!r}\n")


def _build(book: Path, scale: str) -> tuple[str, str]:
    """Build the book; return (build_book's own messages, the page's html)."""
    env = dict(os.environ, PYTHONPATH=str(book / "src"), PYTHONDONTWRITEBYTECODE="1")
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
    _write_module(book, "VALUE-1")

    messages, html = _build(book, "quick")
    assert "cache dropped" in messages and "no previous build key" in messages
    assert "VALUE-1 SCALE-quick" in html
    first_records = _cache_records(book)
    assert len(first_records) == 1

    # Nothing changed: the cached execution is reused, not re-run.
    messages, html = _build(book, "quick")
    assert "cache reused" in messages
    assert "VALUE-1 SCALE-quick" in html
    assert _cache_records(book) == first_records

    # Only the library changes; the page and its code cell are untouched.
    _write_module(book, "VALUE-2")
    messages, html = _build(book, "quick")
    assert "cache dropped" in messages and "src/ changed" in messages
    assert "VALUE-2 SCALE-quick" in html
    assert "VALUE-1" not in html

    # Only the scale changes.
    messages, html = _build(book, "default")
    assert "cache dropped" in messages and "scale changed (quick -> default)" in messages
    assert "VALUE-2 SCALE-default" in html
    assert "SCALE-quick" not in html

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
from manifold_diffusion.experiments.diffusion_basics import forward

res = forward.run(jax.random.key(SEED), forward.Config.at_scale("quick"))
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
