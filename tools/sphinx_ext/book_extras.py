"""Sphinx extension of the book: the generated experiment list and a local copy of MathJax.

**Experiment list.** Every experiment of the library records how it was run
(:func:`manifold_diffusion.experiments.harness.experiment`): when ``tools/build_book.py`` builds the book
it sets ``$MD_EXPERIMENT_LOG``, and each record (experiment, sizes, seed, scale, device, run
time, the experiment module and the kernel's process id) is appended to that JSON-lines file.
The directive ``{experiment-list}`` turns the file into a table. For the table to be complete
and never stale:

- the page holding the directive is read *last* (``env-before-read-docs``), after every chapter
  has been executed, and it is re-read on every build (``env-get-outdated``);
- the log lives next to the execution cache and is dropped with it, so a chapter taken from the
  cache keeps the records of the run that made its outputs;
- one kernel (one process id) executes one chapter. A chapter's records are those of the
  latest kernel that ran it, so a re-executed chapter replaces its old rows. A kernel is
  attributed to the chapter page that imports the most of the experiment modules it used (by
  module or by chapter package; the one importing the fewest modules, when several tie).

**Console hygiene.** Two defects of the theme stack that print a console error on every page
are fixed here: a missing default colour mode and a doubled sphinx-thebe script.

**MathJax.** The site loads MathJax 3 from its own ``_static/mathjax`` (copied from the pinned
``django-static-mathjax`` wheel, which only packages MathJax's files), so pages render their
math offline and the browser test needs no network.
"""

import json
import os
import re
import shutil
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

LOG_ENV = "MD_EXPERIMENT_LOG"
_IMPORT = re.compile(r"from\s+manifold_diffusion\.experiments((?:\.\w+)*)\s+import\s+([\w\s,()]+?)(?:\n\S|\n\n|$)")
_IMPORT_AS = re.compile(r"(\w+)(?:\s+as\s+\w+)?")
_COLUMNS = ("Chapter", "Experiment", "Sizes", "Seed", "Scale", "Device", "Run time")


class experiment_list_node(nodes.General, nodes.Element):
    """Placeholder replaced by the table once every page has been read."""


class ExperimentList(Directive):
    """``{experiment-list}``: a table of every experiment the build ran."""

    has_content = False

    def run(self):
        return [experiment_list_node()]


def _experiment_modules(source: str) -> set[str]:
    """The modules (or packages) of ``manifold_diffusion.experiments`` that a chapter's source
    imports, as dotted names below ``experiments``: ``from manifold_diffusion.experiments.digits
    import fidelity`` gives ``digits.fidelity``, ``from manifold_diffusion.experiments import
    digits`` gives ``digits`` (every module of the package)."""
    found = set()
    for match in _IMPORT.finditer(source):
        prefix = match.group(1).lstrip(".")
        for name in _IMPORT_AS.findall(match.group(2).replace("(", " ").replace(")", " ")):
            found.add(f"{prefix}.{name}" if prefix else name)
    return found


def _covers(modules: set[str], module: str) -> bool:
    """Whether a page importing ``modules`` imported the experiment module ``module``
    (a full name, ``manifold_diffusion.experiments.<chapter>.<experiment>``)."""
    name = module.removeprefix("manifold_diffusion.experiments.")
    return any(name == m or name.startswith(m + ".") for m in modules)


def _read_log(path: str | None) -> list[dict]:
    if not path or not Path(path).is_file():
        return []
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _rows(app, env) -> list[tuple[str, dict]]:
    """``(docname, record)`` pairs: the latest kernel's records of each chapter, in toc order."""
    pages = {}
    for docname in env.found_docs:
        source = Path(env.doc2path(docname))
        if source.suffix == ".md" and source.is_file():
            modules = _experiment_modules(source.read_text(encoding="utf-8"))
            if modules:
                pages[docname] = modules
    by_kernel: dict[int, list[dict]] = {}
    for record in _read_log(os.environ.get(LOG_ENV)):
        by_kernel.setdefault(record.get("pid", 0), []).append(record)
    latest: dict[str, tuple[float, list[dict]]] = {}
    for records in by_kernel.values():
        used = {r.get("module", "") for r in records}
        covered = {doc: sum(_covers(modules, m) for m in used) for doc, modules in pages.items()}
        best = max(covered.values(), default=0)
        if best == 0:
            continue
        owners = [doc for doc, n in covered.items() if n == best]
        docname = min(owners, key=lambda doc: (len(pages[doc]), doc))
        stamp = max(r.get("logged", 0.0) for r in records)
        if docname not in latest or stamp > latest[docname][0]:
            latest[docname] = (stamp, records)
    order = {doc: i for i, doc in enumerate(_toc_order(env))}
    rows = []
    for docname in sorted(latest, key=lambda doc: (order.get(doc, 10**6), doc)):
        rows.extend((docname, r) for r in latest[docname][1])
    return rows


def _toc_order(env) -> list[str]:
    """Documents in reading order (depth-first through the toctrees from the root)."""
    seen, out = set(), []

    def walk(doc):
        for child in env.toctree_includes.get(doc, []):
            if child not in seen:
                seen.add(child)
                out.append(child)
                walk(child)

    walk(env.config.root_doc)
    return out


def _table(app, fromdocname, rows):
    if not rows:
        para = nodes.paragraph(text=(
            "No experiment records: this page is filled in when the book is built with "
            "`make book` (tools/build_book.py), which logs every experiment the chapters run."))
        return [para]
    table = nodes.table(classes=["experiment-list"])
    group = nodes.tgroup(cols=len(_COLUMNS))
    table += group
    for _ in _COLUMNS:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for title in _COLUMNS:
        row += nodes.entry("", nodes.paragraph(text=title))
    head += row
    body = nodes.tbody()
    group += body
    env = app.builder.env
    for docname, record in rows:
        row = nodes.row()
        ref = nodes.reference("", "", internal=True,
                              refuri=app.builder.get_relative_uri(fromdocname, docname))
        ref += nodes.Text(str(env.titles[docname].astext()) if docname in env.titles else docname)
        row += nodes.entry("", nodes.paragraph("", "", ref))
        for value in (record.get("experiment", ""), record.get("sizes", ""), record.get("seed", ""),
                      record.get("scale", ""), record.get("device", ""),
                      f"{float(record.get('seconds', 0.0)):.1f} s"):
            row += nodes.entry("", nodes.paragraph(text=str(value)))
        body += row
    total = sum(float(r.get("seconds", 0.0)) for _, r in rows)
    note = nodes.paragraph(text=(
        f"{len(rows)} experiment runs, {total:.0f} s of experiment time in all "
        "(compilation included; figures and text excluded)."))
    return [note, table]


def _fill(app, doctree, fromdocname):
    for node in doctree.findall(experiment_list_node):
        node.replace_self(_table(app, fromdocname, _rows(app, app.builder.env)))


def _read_last(app, env, docnames):
    """Read pages with the experiment list after every other page (after execution)."""
    pages = _pages_with_list(app, env)
    docnames.sort(key=lambda doc: doc in pages)


def _always_outdated(app, env, added, changed, removed):
    return sorted(_pages_with_list(app, env))


def _pages_with_list(app, env) -> set[str]:
    pages = set()
    for docname in env.found_docs:
        path = Path(env.doc2path(docname))
        if path.is_file() and path.suffix == ".md" and "{experiment-list}" in path.read_text(encoding="utf-8"):
            pages.add(docname)
    return pages


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    try:
        import mathjax  # the django-static-mathjax wheel's package
    except ImportError:
        return
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = Path(app.outdir) / "_static" / "mathjax"
    skip = shutil.ignore_patterns("*svg*", "*-full*", "node-main.js", "mml-chtml.js", "tex-chtml.js")
    shutil.copytree(source, target, ignore=skip, dirs_exist_ok=True)


def _theme_defaults(app, config):
    """The theme's colour mode: without a default, pydata-sphinx-theme logs a console error on
    every page ("Got invalid theme mode"). Light, because the figures are drawn on white."""
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "light")
    config.html_context = context


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated script tags. sphinx-thebe's set-up runs twice in a Jupyter Book build and
    declares ``const THEBE_JS_URL`` twice, a console error on every page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (str(getattr(script, "filename", script) or ""),  # None and "" both mean inline
               tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.add_node(experiment_list_node)
    app.add_directive("experiment-list", ExperimentList)
    app.connect("env-before-read-docs", _read_last)
    app.connect("env-get-outdated", _always_outdated)
    app.connect("doctree-resolved", _fill)
    app.connect("build-finished", _copy_mathjax)
    app.connect("config-inited", _theme_defaults)
    app.connect("html-page-context", _dedupe_scripts, priority=999)  # after every other handler
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
