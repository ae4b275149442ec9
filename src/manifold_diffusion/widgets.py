"""Interactive controls for the chapters (ipywidgets), one pattern for all of them.

A chapter's widget re-runs a small experiment and redraws its figure when a slider moves. The
static site cannot run Python, so every widget cell is tagged ``skip-execution`` and the page
shows a precomputed counterpart (small multiples over the same parameter) instead.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["slider", "sliders"]


def sliders(controls: Mapping[str, Sequence[Any]], compute: Callable[..., Any],
            plot: Callable[[Any], Any] | None = None, *, values: Mapping[str, Any] | None = None,
            draw_now: bool = False):
    """One slider per entry of ``controls``; any move shows ``plot(compute(**current values))``.

    Args:
      controls: ``{name: options}``, the options of each slider in slider order (numbers or
        labels); ``name`` is the slider's label and the keyword passed to ``compute``.
      compute: ``compute(**{name: option}) -> result``: one small experiment.
      plot: ``plot(result) -> matplotlib Figure`` (default: ``compute`` returns the figure).
      values: starting option of each slider (default: its first; a number picks the nearest).
      draw_now: draw the starting frame at construction (otherwise only on the first move).

    Returns:
      ``(widget, update)``: the ``ipywidgets.VBox`` to display, and ``update(**{name: option})``,
      which computes and draws a frame into it (what the sliders call) and returns the result.
    """
    import ipywidgets
    import matplotlib.pyplot as plt

    if not isinstance(controls, Mapping):
        raise TypeError(f"controls: expected a mapping {{name: options}}, got {type(controls).__name__}")
    if not controls:
        raise ValueError("controls: expected at least one {name: options} entry")
    if values is not None and not isinstance(values, Mapping):
        raise TypeError(f"values: expected a mapping {{name: option}} or None, got {type(values).__name__}")
    if not callable(compute):
        raise TypeError(f"compute: expected a function option -> result, got {type(compute).__name__}")
    if plot is not None and not callable(plot):
        raise TypeError(f"plot: expected a function result -> figure, got {type(plot).__name__}")
    values = dict(values or {})
    unknown = set(values) - set(controls)
    if unknown:
        raise ValueError(f"values: no slider named {sorted(unknown)}; sliders: {list(controls)}")
    boxes = {}
    for name, options in controls.items():
        if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
            raise TypeError(f"options: expected a sequence of values for the slider {name!r}, got "
                            f"{type(options).__name__}")
        options = list(options)
        if not options:
            raise ValueError(f"options: expected at least one value for the slider {name!r}")
        boxes[name] = ipywidgets.SelectionSlider(
            options=options, value=_nearest(name, options, values.get(name)), description=name,
            continuous_update=False)
    out = ipywidgets.Output()

    def update(**chosen):
        result = compute(**chosen)
        fig = result if plot is None else plot(result)
        with out:
            out.clear_output(wait=True)
            from IPython.display import display

            display(fig)
        plt.close(fig)
        return result

    def moved(_change):
        update(**{name: box.value for name, box in boxes.items()})

    for box in boxes.values():
        box.observe(moved, names="value")
    if draw_now:
        moved(None)
    return ipywidgets.VBox([*boxes.values(), out]), update


def slider(options: Sequence[Any], compute: Callable[[Any], Any],
           plot: Callable[[Any], Any] | None = None, *, value: Any = None,
           description: str = "", draw_now: bool = False):
    """A single slider over ``options`` that shows ``plot(compute(option))`` below it.

    Like :func:`sliders` with one control; ``update(option)`` takes the option positionally.
    """
    if not callable(compute):
        raise TypeError(f"compute: expected a function option -> result, got {type(compute).__name__}")
    if isinstance(options, (str, bytes)) or not hasattr(options, "__iter__"):
        raise TypeError(f"options: expected a sequence of values, got {type(options).__name__}")
    if not isinstance(description, str):
        raise TypeError(f"description: expected a str, got {type(description).__name__}")
    widget, update = sliders({description: options}, lambda **kw: compute(kw[description]), plot,
                             values=None if value is None else {description: value},
                             draw_now=draw_now)
    return widget, lambda option: update(**{description: option})


def _nearest(name: str, options: list, value: Any) -> Any:
    if value is None:
        return options[0]
    if value in options:
        return value
    try:
        return min(options, key=lambda v: abs(v - value))
    except TypeError as err:
        raise ValueError(f"value: {value!r} is not one of the options of {name!r}") from err
