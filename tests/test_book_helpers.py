"""manifold_diffusion.book: chapters run where MyST-NB is not installed (Colab, plain Jupyter)."""

import sys

from manifold_diffusion import book


def test_glue_without_myst_nb_displays_only_when_asked(monkeypatch):
    shown = []
    monkeypatch.setitem(sys.modules, "myst_nb", None)  # import myst_nb now raises ImportError
    monkeypatch.setattr("IPython.display.display", lambda value: shown.append(value))
    book.glue("hidden", 1.5, display=False)
    book.glue("shown", 2.5)
    assert shown == [2.5]


def test_glue_with_myst_nb_delegates(monkeypatch):
    calls = []

    class FakeMystNb:
        @staticmethod
        def glue(name, value, display=True):
            calls.append((name, value, display))

    monkeypatch.setitem(sys.modules, "myst_nb", FakeMystNb)
    book.glue("x", 3, display=False)
    assert calls == [("x", 3, False)]


def test_markdown_table_html_keeps_every_cell_and_aligns_numbers_right():
    text = "| name | value |\n|---|---:|\n| a | 1.5 |\n| b | n/a |\n"
    html = book.markdown_table_html(text)
    assert html.startswith("<table") and html.count("<tr>") == 3 and html.count("<td") == 4
    assert ">name</th>" in html and 'right">1.5</td>' in html and 'left">b</td>' in html
    table = book.HTMLTable(text)
    assert table == text and table._repr_html_() == html
