# Two entry points: `make book` (the site, in _build/html) and `make test` (what CI runs).
# Both create or reuse .venv and install the pinned requirements, then the library.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DELETE_ON_ERROR:

PYTHON_BOOTSTRAP := $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# Stamp file: the install is redone when requirements.txt or pyproject.toml is newer.
INSTALLED := $(VENV)/.installed

.PHONY: book test bench notebooks student venv clean

book: $(INSTALLED)  ## build the book at MD_SCALE (unset: large on a GPU, default on a CPU)
	$(PY) tools/build_book.py

test: $(INSTALLED)  ## unit tests, float64 pass, quick book build with -W, the site in a browser
	$(PY) -m pytest
	MD_X64=1 $(PY) -m pytest tests/test_scores.py tests/test_samplers.py tests/test_manifolds.py tests/test_patch.py::test_patch_scores_match_brute_force_loop tests/test_patch.py::test_full_patch_is_the_global_empirical_score tests/test_patch.py::test_deduplication_merges_repeated_patches -q
	$(PY) tools/build_book.py --scale quick --output _build/quick --strict
	tools/ensure_chromium.sh
	$(PY) -m pytest tests/test_site.py --site _build/quick/_build/html -q

bench: $(INSTALLED)  ## timings of the core kernels
	$(PY) benchmarks/run.py

notebooks: $(INSTALLED)  ## regenerate the Colab notebooks chapters/*.ipynb from the .md sources
	$(PY) tools/notebooks.py sync

student: $(INSTALLED)  ## student versions (solutions stripped) of every chapter into _build/student
	$(PY) tools/notebooks.py student --output _build/student

venv: $(INSTALLED)

$(INSTALLED): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

clean:  ## remove built pages and execution caches (keeps .venv)
	rm -rf _build
