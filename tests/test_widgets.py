"""manifold_diffusion.widgets.slider: the one widget pattern of the chapters."""

import matplotlib.pyplot as plt
import pytest

from manifold_diffusion import widgets

ipywidgets = pytest.importorskip("ipywidgets")


def _draw(calls):
    def draw(value):
        calls.append(value)
        fig, ax = plt.subplots()
        ax.set_title(str(value))
        return fig
    return draw


def test_slider_draws_on_demand_and_on_change():
    calls = []
    box, update = widgets.slider([0.1, 0.2, 0.4], _draw(calls), value=0.21, description="h")
    control, out = box.children
    assert control.value == 0.2 and calls == []           # nearest option, nothing drawn yet
    update(0.1)
    control.value = 0.4
    assert calls == [0.1, 0.4]  # (the frame goes to `out`, which only a live kernel captures)


def test_slider_draw_now_and_labels():
    calls = []
    widgets.slider(["a", "b"], _draw(calls), value="b", draw_now=True)
    assert calls == ["b"]


def test_slider_rejects_bad_input():
    with pytest.raises(ValueError, match="options"):
        widgets.slider([], _draw([]))
    with pytest.raises(TypeError, match="draw"):
        widgets.slider([1, 2], "not callable")
    with pytest.raises(ValueError, match="value"):
        widgets.slider(["a", "b"], _draw([]), value="c")
