"""What a chapter needs from the book machinery, with fallbacks so it also runs on Colab.

Chapters put computed numbers into their prose with MyST-NB's ``glue``. On Colab or in plain
Jupyter ``myst_nb`` is usually not installed; there :func:`glue` still works: it shows the
value when asked to display it and otherwise does nothing (the prose's ``{glue:text}`` roles are
rendered only by the book build).
"""

from typing import Any

__all__ = ["HTMLTable", "glue", "glue_summary", "markdown_table_html"]


def glue(name: str, variable: Any, display: bool = True) -> None:
    """``myst_nb.glue`` when MyST-NB is installed (book builds), else a display-only fallback."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a non-empty str, got {name!r}")
    try:
        from myst_nb import glue as _glue
    except ImportError:
        if display:
            from IPython.display import display as _display

            _display(variable)
        return
    _glue(name, variable, display=display)


def glue_summary(prefix: str, result) -> dict:
    """Glue every entry of ``result.summary()`` as ``{prefix}_{name}`` (not displayed).

    The chapter's prose then quotes them with ``{glue:text}`prefix_name:.2f```. Returns the
    summary, so a cell can also show it.

    Args:
      prefix: a short identifier, e.g. ``"order"``.
      result: an experiment's result, with a ``summary() -> dict`` method.
    """
    if not isinstance(prefix, str) or not prefix.isidentifier():
        raise ValueError(f"prefix: expected an identifier such as 'order', got {prefix!r}")
    summary = getattr(result, "summary", None)
    if not callable(summary):
        raise TypeError(f"result: expected an experiment result with a summary() method, got "
                        f"{type(result).__name__}")
    values = summary()
    if not isinstance(values, dict):
        raise TypeError(f"result.summary(): expected a dict, got {type(values).__name__}")
    for name, value in values.items():
        glue(f"{prefix}_{name}", value, display=False)
    return values


def markdown_table_html(markdown: str) -> str:
    """The HTML of a Markdown pipe table (a header line, a rule line, then the rows).

    The book renders a cell's Markdown output as CommonMark, which has no tables, so a chapter
    shows a table as HTML instead (:class:`HTMLTable`). The first column is left-aligned, the
    others right-aligned; the cells' text is copied as is.

    Args:
      markdown: the table, one ``| a | b |`` line per row, the second line the ``|---|`` rule.
    """
    if not isinstance(markdown, str):
        raise TypeError(f"markdown: expected a str (a Markdown pipe table), got {type(markdown).__name__}")
    raw = [line.strip() for line in markdown.strip().splitlines()]
    if len(raw) < 2 or not all(line.startswith("|") for line in raw) or set(raw[1]) - set("|-: "):
        raise ValueError("markdown: expected a pipe table, a '| ... |' header line then a '|---|' rule "
                         f"line, got {markdown[:60]!r}")
    lines = [line.strip("|").split("|") for line in raw]
    head, body = lines[0], lines[2:]
    cell = 'style="padding:2px 6px;text-align:{}"'
    out = ['<table class="table">', "<thead><tr>"]
    out += [f"<th {cell.format('left' if i == 0 else 'right')}>{h.strip()}</th>" for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td {cell.format('left' if i == 0 else 'right')}>{c.strip()}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class HTMLTable(str):
    """A Markdown pipe table that a notebook displays as HTML (:func:`markdown_table_html`).

    It is the Markdown string itself (printable, searchable); Jupyter shows its HTML.
    """

    def __new__(cls, markdown: str):
        html = markdown_table_html(markdown)
        obj = super().__new__(cls, markdown)
        obj._html = html
        return obj

    def _repr_html_(self) -> str:
        return self._html
