"""Figure helpers."""

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
