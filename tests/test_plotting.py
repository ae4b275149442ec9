"""Figure helpers."""

import re

import matplotlib

from manifold_diffusion import plotting
from manifold_diffusion.experiments import Meta


def test_style_restores_only_its_own_keys():
    """A notebook's inline backend switches ``interactive`` on when the first figure is made;
    if that happens inside ``style()``, leaving the context must not switch it off again
    (with ``plt.rc_context`` it did, and every later figure of the chapter vanished)."""
    before = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with plotting.style():
            assert matplotlib.rcParams["axes.spines.top"] is False
            matplotlib.interactive(True)            # what the inline backend does on activation
        assert matplotlib.is_interactive()
        assert matplotlib.rcParams["axes.spines.top"] is True   # the style itself is undone
    finally:
        matplotlib.interactive(before)


def test_finish_writes_the_caption_line():
    meta = Meta("demo", "n=3, d=2", "seed 7", "quick", "cpu (2 cores)", 1.25, "0.1.0")
    fig, axes = plotting.figure(2)
    assert axes.shape == (1, 2)
    plotting.finish(fig, meta, "a note")
    text = fig.get_supxlabel()
    assert "n=3, d=2" in text and "seed 7" in text and "quick" in text and "cpu" in text
    assert text.endswith("a note")


def test_caption_never_leaves_a_unit_alone_on_a_line():
    meta = Meta("demo", "N=850, b=100, ODE steps=24", "seed 6 / locality_noise", "default",
                "cpu (2 cores)", 30.44, "0.1.0")
    for width in (3.0, 4.1, 5.3, 6.6):
        fig, _ = plotting.figure(1, width=width, height=1.0)
        plotting.finish(fig, meta, "each column: one prior draw, the same for every row")
        lines = fig.get_supxlabel().split("\n")
        # no line starts with a unit ("s ...", "cores)"); "scale ..." is a word, not a unit
        assert not any(re.match(r"(s|cores)\b", line) for line in lines), lines
        assert "30.4\u00a0s" in fig.get_supxlabel() and "2\u00a0cores" in fig.get_supxlabel()
        matplotlib.pyplot.close(fig)
