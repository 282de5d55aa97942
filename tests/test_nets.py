"""MLP layout, evaluation, printed equations, validation and initialisation."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset
from bayes_uat.expr import parse_expression

EPS = np.finfo(np.float64).eps

# Reference activations in numpy, and a Lipschitz constant of each (|φ'| ≤ L).
NP_ACT = {
    "sigmoid": (lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), 0.25),
    "tanh": (np.tanh, 1.0),
    "relu": (lambda z: np.maximum(z, 0.0), 1.0),
    "softsign": (lambda z: z / (1.0 + np.abs(z)), 1.0),
    "softplus": (lambda z: np.logaddexp(0.0, z), 1.0),
    "sin": (np.sin, 1.0),
    "identity": (lambda z: z, 1.0),
}


def np_forward(theta, units, in_dim, act, x):
    """Forward pass that reads θ in the documented order, independently of MLP.unflatten:
    per hidden unit its incoming weights then its bias (then, in the last hidden layer,
    its output weight a), and the output bias c last.  Returns (f, scale) where scale is
    Σ|terms| of the output sum, the size against which rounding is measured."""
    phi = NP_ACT[act][0]
    theta = list(np.asarray(theta, dtype=float))
    x = np.asarray(x, dtype=float).reshape(len(x), in_dim)
    if not units:
        w = np.array(theta[:in_dim])
        c = theta[in_dim]
        return x @ w + c, np.abs(x) @ np.abs(w) + abs(c)
    h, fan_in = x, in_dim
    for l, n in enumerate(units):
        W, b, a = np.zeros((n, fan_in)), np.zeros(n), np.zeros(n)
        for i in range(n):
            for j in range(fan_in):
                W[i, j] = theta.pop(0)
            b[i] = theta.pop(0)
            if l == len(units) - 1:
                a[i] = theta.pop(0)
        h = phi(h @ W.T + b)
        fan_in = n
    (c,) = theta
    return h @ a + c, np.abs(h) @ np.abs(a) + abs(c)


NETS = [
    MLP(1, "sigmoid"),
    MLP((3, 2), "tanh", in_dim=2),
    MLP((), "identity"),
    MLP((), "identity", in_dim=3),
    MLP(4, "relu", in_dim=2),
]


# -- layout ------------------------------------------------------------------------------
@pytest.mark.parametrize("net", [MLP(1), MLP((3, 2), in_dim=2), MLP(())], ids=str)
def test_unflatten_flatten_round_trip(net):
    theta = jnp.arange(net.dim, dtype=float) + 1.0
    p = net.unflatten(theta)
    np.testing.assert_array_equal(net.flatten(p), theta)
    # every position of θ is used exactly once
    used = np.concatenate(
        [np.ravel(W) for W in p["W"]]
        + [np.ravel(b) for b in p["b"]]
        + [np.ravel(p["a"]), np.ravel(p["c"])]
    )
    np.testing.assert_array_equal(np.sort(used), np.asarray(theta))
    fan_in = net.in_dim
    for W, b, n in zip(p["W"], p["b"], net.units):
        assert W.shape == (n, fan_in) and b.shape == (n,)
        fan_in = n
    assert p["a"].shape == ((net.units[-1],) if net.units else (net.in_dim,))
    # batched θ round-trips too
    batch = jnp.stack([theta, -theta, 2 * theta]).reshape(3, 1, net.dim)
    pb = net.unflatten(batch)
    assert pb["c"].shape == (3, 1)
    np.testing.assert_array_equal(net.flatten(pb), batch)


def test_blog_layout_names():
    net = MLP(2)
    assert net.dim == 7
    assert net.names == ("w1", "b1", "a1", "w2", "b2", "a2", "c")
    p = net.unflatten(jnp.arange(7.0))
    np.testing.assert_array_equal(p["W"][0], [[0.0], [3.0]])
    np.testing.assert_array_equal(p["b"][0], [1.0, 4.0])
    np.testing.assert_array_equal(p["a"], [2.0, 5.0])
    assert float(p["c"]) == 6.0
    np.testing.assert_array_equal(net.unit_slices(), [[0, 1, 2], [3, 4, 5]])


def test_deep_layout_follows_documented_order():
    net = MLP((3, 2), in_dim=2)
    assert net.dim == 3 * (2 + 1) + 2 * (3 + 2) + 1
    assert net.names[:3] == ("w1.1.1", "w1.1.2", "b1.1")
    assert net.names[9:14] == ("w2.1.1", "w2.1.2", "w2.1.3", "b2.1", "a1")
    assert net.names[-1] == "c"
    lin = MLP((), in_dim=2)
    assert lin.names == ("w1", "w2", "c") and MLP(()).names == ("w", "c")


@pytest.mark.parametrize(
    "net", [*NETS, MLP(2), MLP(5, "tanh"), MLP((2, 3, 2), "softplus", in_dim=3)], ids=str
)
def test_names_and_labels_match_dim(net):
    assert len(net.names) == len(net.labels) == net.dim
    assert len(set(net.names)) == net.dim
    assert all(lab.startswith("$") and lab.endswith("$") for lab in net.labels)


def test_permuting_units_leaves_function_unchanged():
    net = MLP(4, "tanh")
    theta = np.random.default_rng(0).normal(size=net.dim)
    sl = net.unit_slices()
    perm = theta.copy()
    perm[sl.ravel()] = theta[sl[[2, 0, 3, 1]].ravel()]
    x = np.linspace(-3, 3, 11)
    # the same terms summed in another order: at most dim·eps relative to Σ|terms|
    _, scale = np_forward(theta, (4,), 1, "tanh", x)
    np.testing.assert_allclose(
        net.apply(perm, x), net.apply(theta, x), rtol=0, atol=float(net.dim * EPS * scale.max())
    )


# -- evaluation --------------------------------------------------------------------------
@pytest.mark.parametrize("net", NETS, ids=str)
def test_apply_broadcasts_and_matches_numpy(net):
    rng = np.random.default_rng(1)
    theta = rng.normal(size=(4, 5, net.dim))
    n = 7
    x = rng.uniform(-2, 2, size=(n,) if net.in_dim == 1 else (n, net.in_dim))
    out = np.asarray(net.apply(theta, x))
    assert out.shape == (4, 5, n)
    assert net(theta[1, 2], x).shape == (n,)
    for i, j in [(0, 0), (1, 3), (3, 4)]:
        ref, scale = np_forward(theta[i, j], net.units, net.in_dim, net.activation, x)
        # Both are float64 evaluations of the same sums, in possibly different order and
        # with different (≤ few-ulp) elementary functions: the difference is bounded by
        # K·eps·Σ|terms|; K = 100 covers the dozens of roundings on the longest path.
        np.testing.assert_allclose(out[i, j], ref, rtol=0, atol=float(100 * EPS * scale.max()))


def test_hidden_and_unit_outputs_sum_to_apply():
    net = MLP(3, "sigmoid")
    theta = np.random.default_rng(2).normal(size=(2, net.dim))
    x = np.linspace(-1, 1, 5)
    h = net.hidden(theta, x)
    assert h.shape == (2, 5, 3)
    assert np.all((np.asarray(h) > 0) & (np.asarray(h) < 1))
    u = net.unit_outputs(theta, x)
    c = theta[:, -1][:, None]
    np.testing.assert_allclose(
        np.sum(u, axis=-1) + c,
        net.apply(theta, x),
        rtol=0,
        atol=float(10 * EPS * (np.abs(u).sum(-1) + np.abs(c)).max()),
    )


def test_apply_rejects_bad_shapes():
    net = MLP(2, in_dim=2)
    with pytest.raises(ValueError, match="last dimension 9"):
        net.apply(jnp.zeros(7), jnp.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape \(n,\) or \(n, 2\)"):
        net.apply(jnp.zeros(net.dim), jnp.zeros((3, 3)))


# -- printed equations -------------------------------------------------------------------
def test_blog_equation_unicode():
    theta = jnp.array([-1.4, -4.9, 24.0, 1.5, -5.0, 23.0, 1.0])
    assert MLP(2, "sigmoid").equation(theta) == "24.0·σ(−1.4x − 4.9) + 23.0·σ(1.5x − 5.0) + 1.0"
    assert MLP(2, "sigmoid").equation(theta, ascii=True) == (
        "24.0*sigmoid(-1.4*x - 4.9) + 23.0*sigmoid(1.5*x - 5.0) + 1.0"
    )


def _equation_tolerance(net, theta, x, digits):
    """Bound on |equation(θ) − f_θ| when each printed number is rounded to `digits`
    decimals (error δ = ½·10^-digits per coefficient) and φ is L-Lipschitz:
    δ·(Σ|hᵢ| + L·Σ|aᵢ|(Σⱼ|xⱼ| + 1) + 1), plus rounding 100·eps·Σ|terms| as above."""
    delta = 0.5 * 10.0**-digits
    xs = np.asarray(x, dtype=float).reshape(len(x), net.in_dim)
    _, scale = np_forward(theta, net.units, net.in_dim, net.activation, x)
    if not net.units:
        return delta * (np.abs(xs).sum(1) + 1) + 100 * EPS * scale
    phi, lip = NP_ACT[net.activation]
    p = net.unflatten(jnp.asarray(theta))
    W, b, a = (np.asarray(v) for v in (p["W"][0], p["b"][0], p["a"]))
    h = phi(xs @ W.T + b)
    return (
        delta * (np.abs(h).sum(1) + lip * np.abs(a).sum() * (np.abs(xs).sum(1) + 1) + 1)
        + 100 * EPS * scale
    )


@pytest.mark.parametrize("act", sorted(NP_ACT))
def test_ascii_equation_evaluates_back(act):
    net = MLP(3, act)
    theta = np.random.default_rng(3).normal(scale=2.0, size=net.dim)
    x = np.linspace(-4, 4, 41)
    eq = net.equation(theta, ascii=True, digits=12)
    got = np.asarray(parse_expression(eq)(jnp.asarray(x)))
    want = np.asarray(net.apply(theta, x))
    tol = _equation_tolerance(net, theta, x, 12)
    assert np.all(np.abs(got - want) <= tol), (eq, np.max(np.abs(got - want) - tol))


@pytest.mark.parametrize(
    "net", [MLP((), "identity"), MLP((), "identity", in_dim=2), MLP(2, "tanh", in_dim=2)], ids=str
)
def test_ascii_equation_evaluates_back_linear_and_2d(net):
    theta = np.random.default_rng(4).normal(size=net.dim)
    x = np.random.default_rng(5).uniform(-3, 3, size=(9, net.in_dim))
    if net.in_dim == 1:
        x = x[:, 0]
    eq = net.equation(theta, ascii=True, digits=12)
    got = np.asarray(parse_expression(eq, in_dim=net.in_dim)(jnp.asarray(x)))
    want = np.asarray(net.apply(theta, x))
    assert np.all(np.abs(got - want) <= _equation_tolerance(net, theta, x, 12)), eq


def test_equation_requires_one_theta():
    with pytest.raises(ValueError, match=r"shape \(7,\)"):
        MLP(2).equation(np.zeros((2, 7)))


def test_deep_equation_has_one_line_per_unit():
    net = MLP((2, 2), "tanh")
    lines = net.equation(np.ones(net.dim)).splitlines()
    assert [ln.split(" = ")[0] for ln in lines] == ["h1_1", "h1_2", "h2_1", "h2_2", "y"]


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize("units", [0, -1, 2.5, True, "a", (2, 0)])
def test_invalid_units_rejected(units):
    bad = units if not isinstance(units, tuple) else 0
    with pytest.raises(ValueError, match=re.escape(repr(bad))):
        MLP(units)


def test_unknown_activation_and_bad_in_dim_rejected():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(2, "swish")
    with pytest.raises(ValueError, match="in_dim must be a positive int, got 0"):
        MLP(2, in_dim=0)
    with pytest.raises(ValueError, match="in_dim must be a positive int, got True"):
        MLP(2, in_dim=True)


# -- numerical robustness ----------------------------------------------------------------
def test_sigmoid_gradient_finite_in_float32_for_large_inputs():
    sig = MLP(1, "sigmoid").act.fn
    z = jnp.array([-200.0, -50.0, 0.0, 50.0, 200.0], dtype=jnp.float32)
    g = jax.vmap(jax.grad(sig))(z)
    assert g.dtype == jnp.float32
    assert np.all(np.isfinite(np.asarray(g))) and np.all(np.asarray(g) >= 0)
    # σ'(0) = 1/4 exactly; σ'(±200) underflows to 0 in float32 (true value ≈ 1e-87)
    assert float(g[2]) == 0.25 and float(g[0]) == float(g[-1]) == 0.0
    v = sig(z)
    assert float(v[0]) == 0.0 and float(v[-1]) == 1.0


def test_posterior_gradient_finite_in_float32_at_wild_theta():
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=50), dtype="float32")
    for theta in [
        [300.0, -200.0, 24.0, -500.0, 100.0, 23.0, 1.0],
        [-1e4, 1e4, 1e3, 1e4, -1e4, -1e3, 50.0],
    ]:
        value, grad = post.value_and_grad(np.array(theta))
        assert grad.dtype == jnp.float32
        assert np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad)))


# -- initialisation ----------------------------------------------------------------------
def test_init_within_pytorch_bounds():
    net = MLP((3, 2), in_dim=2)
    theta = np.asarray(net.init(jax.random.key(0), (2000,)))
    assert theta.shape == (2000, net.dim)
    p = net.unflatten(theta)
    fan_ins = [net.in_dim, *net.units]
    groups = [
        (np.concatenate([np.ravel(W), np.ravel(b)]), fan)
        for W, b, fan in zip(p["W"], p["b"], fan_ins)
    ]
    groups.append((np.concatenate([np.ravel(p["a"]), np.ravel(p["c"])]), fan_ins[-1]))
    for vals, fan in groups:
        lim = 1.0 / np.sqrt(fan)
        assert np.all(np.abs(vals) <= lim)
        # ≥ 2000 uniform draws: P(max < 0.99·lim) ≤ 0.995^2000 ≈ 4e-5, so the bound is
        # attained nearly, not merely respected by a narrower distribution
        assert vals.max() > 0.99 * lim and vals.min() < -0.99 * lim
    np.testing.assert_array_equal(net.init(jax.random.key(0), (2000,)), theta)
    assert not np.array_equal(net.init(jax.random.key(1), (2000,)), theta)


@pytest.mark.parametrize(
    "net",
    [MLP(2, "sigmoid"), MLP((3, 2), in_dim=2), MLP(2, out_dim=3), MLP(2, bias=False), MLP(())],
    ids=str,
)
def test_init_is_each_layers_uniform_draws_set_in_place(net):
    """θ₀ is, entry for entry, PyTorch's rule drawn layer by layer as
    ``jax.random.uniform(key_l, shape + group shape)`` and set at the group's positions (the
    draws are made flat and permuted into place; the numbers must be these)."""
    lay, fan_ins = net._layout, [net.fan_in, *net.units]
    for shape in [(), (5,), (2, 3)]:
        keys = jax.random.split(jax.random.key(3), len(lay["layers"]) + 1)
        want = jnp.zeros(shape + (net.dim,))
        for k, (Wi, bi), fan in zip(keys, lay["layers"], fan_ins):
            idx = np.concatenate([Wi.ravel(), bi[bi >= 0]])
            lim = 1 / np.sqrt(fan)
            draw = jax.random.uniform(k, shape + idx.shape, minval=-lim, maxval=lim)
            want = want.at[..., idx].set(draw)
        idx = np.atleast_1d(lay["a"]).ravel()
        idx = idx if not net.has_output_bias else np.append(idx, lay["c"])
        lim = 1 / np.sqrt(fan_ins[-1])
        draw = jax.random.uniform(keys[-1], shape + idx.shape, minval=-lim, maxval=lim)
        want = want.at[..., idx].set(draw)
        np.testing.assert_array_equal(net.init(jax.random.key(3), shape), want)


@pytest.mark.parametrize("net", [MLP(2), MLP((3, 2), in_dim=2), MLP(2, out_dim=3)], ids=str)
def test_unflatten_is_numpy_indexing(net):
    theta = np.random.default_rng(0).normal(size=(4, net.dim))
    lay = net._layout
    for th in (theta, theta[0]):
        p = net.unflatten(jnp.asarray(th))
        for W, (Wi, _) in zip(p["W"], lay["layers"]):
            np.testing.assert_array_equal(W, th[..., Wi])
        np.testing.assert_array_equal(p["a"], th[..., lay["a"]])
        np.testing.assert_array_equal(p["c"], th[..., lay["c"]])
