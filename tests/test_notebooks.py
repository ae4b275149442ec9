"""The chapters as notebooks: Colab pairs in sync, the install guard, student versions, checkers."""

import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from manifold_diffusion import exercises

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("notebooks", ROOT / "tools" / "notebooks.py")
notebooks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(notebooks)

CHAPTERS = notebooks.chapter_sources(ROOT)


def test_there_are_chapters():
    assert len(CHAPTERS) >= 2


def test_every_notebook_pair_is_in_sync():
    assert notebooks.stale_notebooks(ROOT) == [], "run `make notebooks` and commit the .ipynb files"


def test_a_stale_notebook_is_detected(tmp_path):
    (tmp_path / "chapters").mkdir()
    source = tmp_path / "chapters" / CHAPTERS[0].name
    shutil.copy(CHAPTERS[0], source)
    assert notebooks.stale_notebooks(tmp_path) == [f"chapters/{CHAPTERS[0].with_suffix('.ipynb').name} is missing"]
    notebooks.sync(tmp_path)
    assert notebooks.stale_notebooks(tmp_path) == []
    source.write_text(source.read_text() + "\n```{code-cell} ipython3\n1 + 1\n```\n")
    assert len(notebooks.stale_notebooks(tmp_path)) == 1


def _code_cells(path: Path) -> list[dict]:
    return [c for c in json.loads(path.with_suffix(".ipynb").read_text())["cells"]
            if c["cell_type"] == "code"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_first_cell_installs_the_library_from_the_books_repository(chapter):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"].rstrip("/")
    branch = config["repository"]["branch"]
    first = _code_cells(chapter)[0]
    source = "".join(first["source"])
    assert "remove-cell" in first["metadata"].get("tags", []), "the guard is hidden on the site"
    assert "import manifold_diffusion" in source and "except ModuleNotFoundError" in source
    pip = [line.strip() for line in source.splitlines() if "%pip install" in line]
    assert pip == [f'%pip install -q "manifold-diffusion @ git+{url}@{branch}"']


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_runs_without_book_only_packages(chapter):
    """On Colab only the library is installed: no direct import of myst_nb."""
    text = chapter.read_text()
    assert not re.search(r"^\s*(from|import)\s+myst_nb", text, re.M), \
        "use `from manifold_diffusion.book import glue`"
    assert re.search(r"formats:\s*ipynb,md:myst", text), "jupytext header must pair ipynb,md:myst"


SAMPLE = '''# A chapter

```{exercise} Prove it
:label: ex-a
Show that 1 = 1.
```

```{solution} ex-a
:class: dropdown
Trivial.
```

````{exercise} Code it
:label: ex-b
Write `f`.
````

````{solution} ex-b
:class: dropdown
```python
def f(): ...
```
````

```{exercise} Measure it
:label: ex-c
Measure.
```

```{solution-start} ex-c
:class: dropdown
```

```{code-cell} ipython3
answer = 42
exercises.check("chapter.measure", answer)
```

```{solution-end}
```

After the exercises.
'''


def test_strip_solutions_removes_all_three_forms_and_keeps_exercises():
    out = notebooks.strip_solutions(SAMPLE)
    assert "{solution" not in out and "Trivial" not in out and "answer = 42" not in out
    assert out.count("{exercise}") == 3 and "After the exercises." in out
    assert '# exercises.check("chapter.measure", answer)' in out
    assert out.count("not part of the student version") == 3


def test_strip_solutions_rejects_an_unclosed_solution():
    with pytest.raises(ValueError, match="never closed"):
        notebooks.strip_solutions("```{solution} ex-a\nText\n")
    with pytest.raises(ValueError, match="solution-end"):
        notebooks.strip_solutions("```{solution-start} ex-a\n```\nText\n")


def test_student_versions_of_the_chapters(tmp_path):
    written = notebooks.student(CHAPTERS, tmp_path)
    assert len(written) == 2 * len(CHAPTERS)
    for chapter in CHAPTERS:
        text = (tmp_path / chapter.name).read_text()
        assert "{solution" not in text
        assert text.count("{exercise}") == chapter.read_text().count("{exercise}")
        cells = json.loads((tmp_path / chapter.with_suffix(".ipynb").name).read_text())["cells"]
        assert cells and all("{solution" not in "".join(c["source"]) for c in cells)


def test_every_checker_used_in_a_chapter_is_registered():
    used = set()
    for chapter in CHAPTERS:
        used |= set(notebooks._CHECK.findall(chapter.read_text()))
    assert used <= set(exercises.available())


def test_check_rejects_an_unknown_exercise_name():
    with pytest.raises(ValueError, match="no exercise named"):
        exercises.check("nowhere.nothing", 0)
    with pytest.raises(ValueError, match="chapter.topic"):
        exercises.checker("nodot")
