"""Interactive controls for the chapters (ipywidgets), one pattern for all of them.

A chapter's widget re-runs a small experiment and redraws its figure when a slider moves. The
static site cannot run Python, so every widget cell is tagged ``skip-execution`` and the page
shows a precomputed counterpart (small multiples over the same parameter) instead.
"""

from typing import Any, Callable, Sequence

__all__ = ["slider"]


def slider(options: Sequence[Any], draw: Callable[[Any], Any], *, value: Any = None,
           description: str = "", draw_now: bool = False):
    """A slider over ``options`` that shows ``draw(option)``, a matplotlib figure, below it.

    Args:
      options: the values to choose from (numbers or labels), in slider order.
      draw: ``draw(option) -> matplotlib Figure``; it computes and plots one frame.
      value: the starting option (default: the first; a number picks the nearest option).
      description: the slider's label.
      draw_now: draw the starting frame at construction (otherwise only on the first move).

    Returns:
      ``(widget, update)``: the ``ipywidgets.VBox`` to display, and ``update(option)``, which draws
      a frame into it (what the slider calls) and returns the figure.
    """
    import ipywidgets
    import matplotlib.pyplot as plt

    options = list(options)
    if not options:
        raise ValueError("options: expected at least one value for the slider")
    if not callable(draw):
        raise TypeError(f"draw: expected a function option -> figure, got {type(draw).__name__}")
    if value is None:
        start = options[0]
    elif value in options:
        start = value
    else:
        try:
            start = min(options, key=lambda v: abs(v - value))
        except TypeError as err:
            raise ValueError(f"value: {value!r} is not one of the options") from err
    control = ipywidgets.SelectionSlider(options=options, value=start, description=description,
                                         continuous_update=False)
    out = ipywidgets.Output()

    def update(option):
        fig = draw(option)
        with out:
            out.clear_output(wait=True)
            from IPython.display import display

            display(fig)
        plt.close(fig)
        return fig

    control.observe(lambda change: update(change["new"]), names="value")
    if draw_now:
        update(start)
    return ipywidgets.VBox([control, out]), update
