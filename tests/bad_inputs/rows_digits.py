"""Bad-input rows: the digits chapter's library pieces (the convolutional network, the
trained-parameter store, the digit splits, fidelity metrics and baselines, the resampled smoothed
score, the local-PCA manifold).

Format as in ``rows_core.py``: ``(qualified_name, thunk, ExpectedError, "substring")``.
"""

import jax.numpy as jnp

from manifold_diffusion import training

TR = "manifold_diffusion.training."
NET = training.ConvNetwork(channels=4, depth=2)

CONV = [
    (TR + "ConvNetwork", lambda: training.ConvNetwork(shape=(8, 8)), ValueError, "shape:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(shape=(8, -1, 1)), ValueError, "shape:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(depth=1), ValueError, "depth:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(kernel_size=2), ValueError, "kernel_size:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(channels=2.5), TypeError, "channels:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(n_frequencies=0), ValueError, "n_frequencies:"),
    (TR + "ConvNetwork", lambda: training.ConvNetwork(max_frequency=0.2), ValueError, "max_frequency:"),
    (TR + "ConvNetwork.init", lambda: NET.init(0), TypeError, "key:"),
    (TR + "ConvNetwork.apply", lambda: NET.apply(NET.init(jnp.zeros(2, jnp.uint32)), jnp.zeros((2, 65)),
                                                 jnp.zeros(2)), ValueError, "x_in:"),
    (TR + "ConvNetwork.apply", lambda: NET.apply(NET.init(jnp.zeros(2, jnp.uint32)), jnp.zeros((2, 64)),
                                                 jnp.zeros((2, 1))), ValueError, "c_noise:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((1, 4, 4, 1)), jnp.zeros((2, 2, 1, 1))), ValueError,
     "kernel:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((1, 4, 4, 3)), jnp.zeros((3, 3, 1, 2))), ValueError,
     "kernel:"),
    (TR + "conv2d", lambda: training.conv2d(jnp.zeros((4, 4)), jnp.zeros((3, 3, 1, 2))), ValueError, "x:"),
    (TR + "conv2d", lambda: training.conv2d("image", jnp.zeros((3, 3, 1, 2))), TypeError, "x:"),
]

ROWS = CONV
