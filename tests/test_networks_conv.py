"""The convolutional network of the digits chapter: im2col convolution against XLA's, locality
(receptive field), translation equivariance away from the border, the protocol, training."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from manifold_diffusion import training
from manifold_diffusion.training import ConvNetwork, conv2d


def _perturbed(net, key, scale=0.3):
    """Parameters with every leaf moved off its (partly zero) initial value."""
    params = net.init(key)
    leaves, tree = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.fold_in(key, 1), len(leaves))
    leaves = [leaf + scale * jax.random.normal(k, leaf.shape, leaf.dtype) for k, leaf in zip(keys, leaves)]
    return jax.tree_util.tree_unflatten(tree, leaves)


@pytest.mark.parametrize("shape,k,out", [((5, 8, 8, 1), 3, 4), ((2, 6, 5, 3), 5, 2), ((1, 4, 4, 2), 1, 3)])
def test_conv2d_matches_xla_convolution(key, shape, k, out):
    kx, kk = jax.random.split(key)
    x = jax.random.normal(kx, shape)
    kernel = jax.random.normal(kk, (k, k, shape[3], out))
    want = jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME",
                                        dimension_numbers=("NHWC", "HWIO", "NHWC"),
                                        precision=jax.lax.Precision.HIGHEST)
    got = conv2d(x, kernel)
    tol = 1e-10 if x.dtype == jnp.float64 else 1e-4
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=tol, atol=tol)


def test_protocol_shapes_and_zero_initial_output(key):
    net = ConvNetwork(shape=(8, 8, 1), channels=8, depth=3)
    assert net.d == 64 and net.receptive_field == 7
    hash(net)                                             # static fields only: a jit static argument
    params = net.init(key)
    x = jax.random.normal(key, (5, 64))
    c = jnp.linspace(-1.0, 1.0, 5)
    out = jax.jit(net.apply)(params, x, c)
    assert out.shape == (5, 64)
    assert float(jnp.max(jnp.abs(out))) == 0.0            # the output layer starts at zero
    batch = jax.vmap(net.init)(jax.random.split(key, 3))  # one network per seed
    assert batch["layers"][0]["K"].shape == (3, 3, 3, 1, 8)


def test_locality_output_depends_only_on_the_receptive_field(key):
    """d F[centre] / d x vanishes outside the (1 + 2 depth)-wide window and not inside."""
    net = ConvNetwork(shape=(15, 15, 1), channels=4, depth=3)          # receptive field 7
    params = _perturbed(net, key)
    x = jax.random.normal(jax.random.fold_in(key, 2), (1, net.d))
    c = jnp.zeros((1,))
    jac = jax.jit(jax.jacfwd(lambda z: net.apply(params, z, c)[0, 7 * 15 + 7]))(x)[0].reshape(15, 15)
    r = net.receptive_field // 2
    inside = np.zeros((15, 15), bool)
    inside[7 - r:7 + r + 1, 7 - r:7 + r + 1] = True
    assert np.all(np.asarray(jac)[~inside] == 0.0)
    assert np.all(np.abs(np.asarray(jac)[7 - 1:7 + 2, 7 - 1:7 + 2]) > 0)   # the centre does depend
    # the noise label modulates the output
    two = jax.jit(net.apply)(params, jnp.tile(x, (2, 1)), jnp.asarray([-1.0, 0.5]))
    assert float(jnp.max(jnp.abs(two[0] - two[1]))) > 1e-3


def test_translation_equivariance_away_from_the_border(key):
    """Shifting the image shifts the output, except within a receptive field of the border."""
    net = ConvNetwork(shape=(16, 16, 2), channels=6, depth=3)
    params = _perturbed(net, key)
    img = jax.random.normal(jax.random.fold_in(key, 3), (1, 16, 16, 2))
    shifted = jnp.roll(img, (2, 1), axis=(1, 2))
    c = jnp.full((1,), 0.3)
    apply = jax.jit(net.apply)
    out = apply(params, img.reshape(1, -1), c).reshape(16, 16, 2)
    out_s = apply(params, shifted.reshape(1, -1), c).reshape(16, 16, 2)
    r = net.receptive_field // 2
    lo, hi = r + 2, 16 - r - 2
    np.testing.assert_allclose(np.asarray(out_s[lo:hi, lo:hi]),
                               np.asarray(jnp.roll(out, (2, 1), axis=(0, 1))[lo:hi, lo:hi]),
                               rtol=1e-4, atol=1e-4)
    # and it is not equivariant at the border (zero padding): the check above could fail
    assert float(jnp.max(jnp.abs(out_s - jnp.roll(out, (2, 1), axis=(0, 1))))) > 1e-3


def test_a_few_adam_steps_lower_a_denoising_loss(key):
    """The network trains: 60 Adam steps of a plain denoising loss at one noise level."""
    net = ConvNetwork(shape=(8, 8, 1), channels=8, depth=3)
    params = net.init(key)
    clean = (jax.random.uniform(jax.random.fold_in(key, 4), (64, 8, 8, 1)) > 0.7).astype(float)
    clean = clean.reshape(64, 64)
    noisy = clean + 0.5 * jax.random.normal(jax.random.fold_in(key, 5), clean.shape)
    c = jnp.full((64,), 0.25 * jnp.log(0.5))

    def loss(p):
        return jnp.mean((noisy + net.apply(p, noisy, c) - clean) ** 2)

    opt = optax.adam(3e-3)
    state = opt.init(params)
    first = float(jax.jit(loss)(params))
    step = jax.jit(lambda p, s: (lambda g: (optax.apply_updates(p, opt.update(g, s, p)[0]),
                                            opt.update(g, s, p)[1]))(jax.grad(loss)(p)))
    with jax.numpy_dtype_promotion("standard"):   # optax mixes its int32 step count into floats
        for _ in range(60):
            params, state = step(params, state)
    assert float(jax.jit(loss)(params)) < 0.7 * first


@pytest.mark.parametrize("kwargs,match", [
    (dict(shape=(8, 8)), "shape"), (dict(shape=(8, 0, 1)), "shape"), (dict(depth=1), "depth"),
    (dict(kernel_size=4), "kernel_size"), (dict(channels=0), "channels"),
    (dict(n_frequencies=0), "n_frequencies"), (dict(max_frequency=0.1), "max_frequency")])
def test_bad_configuration(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ConvNetwork(**kwargs)


def test_bad_inputs(key):
    net = ConvNetwork(channels=4, depth=2)
    params = net.init(key)
    with pytest.raises(ValueError, match="x_in"):
        net.apply(params, jnp.zeros((3, 63)), jnp.zeros((3,)))
    with pytest.raises(ValueError, match="c_noise"):
        net.apply(params, jnp.zeros((3, 64)), jnp.zeros((2,)))
    with pytest.raises(ValueError, match="kernel"):
        conv2d(jnp.zeros((1, 4, 4, 1)), jnp.zeros((2, 2, 1, 1)))
    with pytest.raises(ValueError, match="kernel"):
        conv2d(jnp.zeros((1, 4, 4, 2)), jnp.zeros((3, 3, 1, 1)))
    with pytest.raises(ValueError, match="x"):
        conv2d(jnp.zeros((4, 4, 1)), jnp.zeros((3, 3, 1, 1)))
    assert "ConvNetwork" in training.__all__
