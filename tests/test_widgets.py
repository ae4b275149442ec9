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
    with pytest.raises(TypeError, match="compute"):
        widgets.slider([1, 2], "not callable")
    with pytest.raises(TypeError, match="plot"):
        widgets.slider([1, 2], _draw([]), plot="not callable")
    with pytest.raises(ValueError, match="value"):
        widgets.slider(["a", "b"], _draw([]), value="c")


def test_slider_returns_the_computed_result_and_plots_it():
    plotted = []

    def plot(result):
        plotted.append(result)
        return plt.figure()

    _, update = widgets.slider([1, 2], lambda v: {"value": v}, plot)
    assert update(2) == {"value": 2} and plotted == [{"value": 2}]


def test_sliders_pass_every_current_value():
    seen = []
    box, update = widgets.sliders({"N": [8, 16], "t_min": [1e-2, 1e-3]},
                                  lambda N, t_min: seen.append((N, t_min)) or plt.figure(),
                                  values={"N": 16})
    assert len(box.children) == 3 and seen == []
    box.children[1].value = 1e-3                      # moving one slider keeps the other's value
    assert seen == [(16, 1e-3)]
    update(N=8, t_min=1e-2)
    assert seen[-1] == (8, 1e-2)
    with pytest.raises(ValueError, match="values"):
        widgets.sliders({"N": [8]}, lambda N: None, values={"M": 1})
