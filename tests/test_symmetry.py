"""Weight-space symmetries: group elements, canonical form and alignment (bayes_uat.symmetry)."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from bayes_uat import MLP
from bayes_uat.symmetry import (
    _assign,
    align,
    canonicalize,
    degenerate_units,
    group_size,
    transform,
    unit_table,
)

ACTS = ["sigmoid", "tanh", "softsign", "sin", "relu", "softplus", "hat"]
SEEDS = st.integers(0, 2**32 - 1)
X1 = np.linspace(-4.0, 4.0, 41)
X2 = np.stack(np.meshgrid(np.linspace(-3, 3, 7), np.linspace(-3, 3, 7)), -1).reshape(-1, 2)
NOISE = 1e-4


def inputs(net):
    return X1 if net.in_dim == 1 else X2


def random_theta(net, rng, scale=3.0, extra=0, shape=()):
    return scale * rng.normal(size=shape + (net.dim + extra,))


def random_g(net, rng):
    """A random exact group element (per layer for deep nets)."""
    sym = net.act.symmetry
    perms, signs, scales = [], [], []
    for n in net.units:
        perms.append(rng.permutation(n))
        flips = sym in ("odd", "complement", "even")
        signs.append(rng.choice([-1.0, 1.0], n) if flips else None)
        scales.append(np.exp(rng.uniform(-2, 2, n)) if sym == "homogeneous" else None)
    if len(net.units) == 1:
        return dict(perm=perms[0], signs=signs[0], scales=scales[0])
    return dict(
        perm=perms,
        signs=None if signs[0] is None else signs,
        scales=None if scales[0] is None else scales,
    )


def assert_same_function(net, t1, t2, rtol=1e-9):
    x = inputs(net)
    t1, t2 = t1[..., : net.dim], t2[..., : net.dim]
    f1, f2 = np.asarray(net.apply(np.stack([t1, t2]), x))
    # float64 rounding in f is relative to the size of its terms, not of f itself
    scale = np.abs(np.asarray(net.unit_outputs(t1, x))).sum(-1).max()
    scale += np.abs(t1[..., net.dim - 1]).max() + 1.0
    np.testing.assert_allclose(f1, f2, rtol=0, atol=rtol * scale)


def assert_close_theta(t1, t2, rtol=1e-9):
    np.testing.assert_allclose(t1, t2, rtol=0, atol=rtol * (1.0 + np.abs(t2).max()))


# -- group elements ----------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(act=st.sampled_from(ACTS), n=st.integers(1, 5), seed=SEEDS)
def test_group_element_keeps_function(act, n, seed):
    net, rng = MLP(n, act), np.random.default_rng(seed)
    theta = random_theta(net, rng)
    assert_same_function(net, theta, transform(net, theta, **random_g(net, rng)))


@settings(max_examples=12, deadline=None)
@given(act=st.sampled_from(["sigmoid", "tanh", "relu", "softplus", "hat"]), seed=SEEDS)
def test_group_element_keeps_function_deep_and_wide(act, seed):
    rng = np.random.default_rng(seed)
    for net in (MLP(3, act, in_dim=2), MLP((3, 2), act), MLP((2, 3), act, in_dim=2)):
        theta = random_theta(net, rng, scale=1.5)
        assert_same_function(net, theta, transform(net, theta, **random_g(net, rng)))


def test_transform_layout_and_sigmoid_shift():
    net = MLP(2, "sigmoid")
    theta = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5])
    out = transform(net, theta, [1, 0], signs=[1, -1])
    np.testing.assert_array_equal(out, [4.0, 5.0, 6.0, -1.0, -2.0, -3.0, 3.5])
    np.testing.assert_array_equal(theta, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 0.5])  # not modified
    out = transform(MLP(1, "relu"), [2.0, 4.0, 3.0, 0.0], [0], scales=[0.5])
    np.testing.assert_array_equal(out, [1.0, 2.0, 6.0, 0.0])


@pytest.mark.parametrize("act", ["relu", "softplus", "leaky_relu", "step"])
def test_transform_rejects_sign_flip(act):
    with pytest.raises(ValueError, match="not a symmetry"):
        transform(MLP(2, act), np.zeros(7), [0, 1], signs=[1, -1])


def test_transform_rejects_bad_elements():
    net = MLP(3, "tanh")
    with pytest.raises(ValueError, match="not a symmetry"):
        transform(net, np.zeros(net.dim), [0, 1, 2], scales=[1.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="permutation"):
        transform(net, np.zeros(net.dim), [0, 0, 2])
    with pytest.raises(ValueError, match="broadcastable"):
        transform(net, np.zeros(net.dim), [0, 1])
    with pytest.raises(ValueError, match=r"\+1 or -1"):
        transform(net, np.zeros(net.dim), [0, 1, 2], signs=[1, 0.5, 1])
    with pytest.raises(ValueError, match="positive"):
        transform(MLP(3, "relu"), np.zeros(net.dim), [0, 1, 2], scales=[1.0, -2.0, 1.0])
    with pytest.raises(ValueError, match="one per hidden layer"):
        transform(MLP((2, 2), "tanh"), np.zeros(13), [0, 1])
    with pytest.raises(ValueError, match="no hidden units"):
        transform(MLP((), "tanh"), np.zeros(2), [])


def test_group_size():
    assert group_size(MLP(3, "tanh")) == group_size(MLP(3, "sigmoid")) == 48
    assert group_size(MLP(3, "relu")) == group_size(MLP(3, "softplus")) == 6
    assert group_size(MLP(3, "hat")) == 48 and group_size(MLP((2, 3), "hat")) == 2 * 4 * 6 * 8
    assert group_size(MLP((2, 3), "tanh")) == 2 * 4 * 6 * 8
    assert group_size(MLP((), "tanh")) == 1


@pytest.mark.parametrize("activation, seed", [("sigmoid", 0), ("hat", 1)])
def test_whole_orbit_has_one_canonical_form(activation, seed):
    """Sigmoid (complement flips) and hat (even flips): all 3!·2³ copies, one canonical form."""
    net, rng = MLP(3, activation), np.random.default_rng(seed)
    theta = random_theta(net, rng)
    ref = canonicalize(net, theta)
    seen = set()
    for perm in itertools.permutations(range(3)):
        for bits in range(8):
            signs = [-1.0 if bits >> k & 1 else 1.0 for k in range(3)]
            g_theta = transform(net, theta, list(perm), signs=signs)
            seen.add(tuple(g_theta.round(12)))
            assert_close_theta(canonicalize(net, g_theta), ref)
    assert len(seen) == group_size(net)


# -- canonical form ----------------------------------------------------------------------------
@settings(max_examples=50, deadline=None)
@given(act=st.sampled_from(ACTS), n=st.integers(1, 5), seed=SEEDS)
def test_canonicalize_is_invariant_idempotent_and_keeps_function(act, n, seed):
    net, rng = MLP(n, act), np.random.default_rng(seed)
    theta = random_theta(net, rng)
    can = canonicalize(net, theta)
    assert_close_theta(canonicalize(net, transform(net, theta, **random_g(net, rng))), can)
    np.testing.assert_array_equal(canonicalize(net, can), can)
    assert_same_function(net, theta, can)
    tab = unit_table(net, can)
    assert np.all(np.diff(tab["t"]) >= 0)
    sym = net.act.symmetry
    if sym in ("odd", "complement"):
        assert np.all(tab["w"] >= 0)
    if sym == "homogeneous":
        np.testing.assert_array_equal(np.abs(tab["w"]), 1.0)


@settings(max_examples=10, deadline=None)
@given(act=st.sampled_from(ACTS), n=st.integers(1, 5), seed=SEEDS)
def test_canonicalize_batched_passes_extra_column(act, n, seed):
    net, rng = MLP(n, act), np.random.default_rng(seed)
    theta = random_theta(net, rng, extra=1, shape=(3, 4))
    can = canonicalize(net, theta)
    assert can.shape == theta.shape
    np.testing.assert_array_equal(can[..., -1], theta[..., -1])
    for i, j in np.ndindex(3, 4):
        np.testing.assert_array_equal(can[i, j], canonicalize(net, theta[i, j]))
    assert_same_function(net, theta[2, 3], can[2, 3])


def test_canonicalize_example_and_flat_units_last():
    net = MLP(3, "sigmoid")
    theta = np.array([1.5, -5.0, 23.0, 0.0, 2.0, 1.0, -1.4, -4.9, 24.0, 1.0])
    can = canonicalize(net, theta)
    np.testing.assert_allclose(can, [1.4, 4.9, -24.0, 1.5, -5.0, 23.0, 0.0, 2.0, 1.0, 25.0])


def test_canonicalize_rejects_deep_and_wide():
    for net in (MLP((2, 2), "tanh"), MLP(2, "tanh", in_dim=2)):
        with pytest.raises(ValueError, match="align"):
            canonicalize(net, np.zeros(net.dim))
    with pytest.raises(ValueError, match="shape"):
        canonicalize(MLP(2, "tanh"), np.zeros(6))


def test_canonicalize_large_batch():
    net, rng = MLP(4, "sigmoid"), np.random.default_rng(1)
    theta = random_theta(net, rng, extra=1, shape=(4, 50_000))
    can = canonicalize(net, theta)
    assert can.shape == theta.shape and np.isfinite(can).all()


# -- degenerate units --------------------------------------------------------------------------
def test_degenerate_units_reported():
    net = MLP(3, "tanh")
    theta = np.array([1.0, -2.0, 0.0, 2.0, 1.0, 3.0, 0.0, 1.0, 2.0, 0.5])
    can, mask = canonicalize(net, theta, return_degenerate=True)
    assert mask.tolist() == [False, True, True]  # t = -0.5, t = 2 (a = 0), then w = 0 last
    assert can[5] == 0.0 and can[6] == 0.0
    assert degenerate_units(net, theta).tolist() == [True, False, True]
    tab = unit_table(net, theta)
    assert set(tab) == {"w", "b", "a", "t", "slope", "degenerate"}
    assert np.isnan(tab["t"][2]) and tab["t"][0] == 2.0
    # relu: the scale-free slope |a|·|w| decides, so the mask is invariant under rescaling
    relu = MLP(2, "relu")
    th = np.array([1e-4, 1.0, 1e4, 1.0, 0.0, 1e-4, 0.0])
    assert degenerate_units(relu, th).tolist() == [False, True]
    g_th = transform(relu, th, [0, 1], scales=[1e3, 1e-3])
    assert degenerate_units(relu, g_th).tolist() == [False, True]


def test_unit_table_batched():
    net, rng = MLP(3, "relu"), np.random.default_rng(2)
    theta = random_theta(net, rng, extra=1, shape=(2, 5))
    tab = unit_table(net, theta)
    for k, v in tab.items():
        assert v.shape == (2, 5, 3), k
    np.testing.assert_allclose(tab["t"] * tab["w"], -tab["b"])
    with pytest.raises(ValueError, match="align"):
        unit_table(MLP(2, "tanh", in_dim=2), np.zeros(9))


# -- alignment ---------------------------------------------------------------------------------
def _separation(blocks, flips, keep_last=False):
    """Smallest distance between two units (or a unit and a flipped other/its own flip);
    ``keep_last``: the flip leaves the last entry (an even unit's output weight) unchanged."""
    d = np.linalg.norm(blocks[:, None] - blocks[None], axis=-1)
    d[np.diag_indices(len(blocks))] = np.inf
    if flips:
        neg = -np.ones(blocks.shape[-1])
        if keep_last:
            neg[-1] = 1.0
        d = np.minimum(d, np.linalg.norm(neg * blocks[:, None] - blocks[None], axis=-1))
    return d.min()


def separated_reference(net, rng, min_sep=1.0):
    """A reference θ whose units are far apart at every layer (in the scale-free blocks the
    alignment compares for homogeneous activations)."""
    sym, L = net.act.symmetry, len(net.units)
    for _ in range(10_000):
        ref = random_theta(net, rng)
        p = net.unflatten(ref)
        ok = True
        for l in range(L):
            W, b = np.asarray(p["W"][l]), np.asarray(p["b"][l])
            parts = [W, b[:, None]] + ([np.asarray(p["a"])[:, None]] if l == L - 1 else [])
            blocks = np.concatenate(parts, axis=1)
            norm = np.linalg.norm(W, axis=1)
            if sym == "homogeneous":
                if norm.min() < 0.5:
                    ok = False
                    break
                blocks = blocks / norm[:, None]
                if l == L - 1:
                    blocks[:, -1] *= norm**2
            flips = sym in ("odd", "even") or (sym == "complement" and L == 1)
            if _separation(blocks, flips, sym == "even" and l == L - 1) < min_sep:
                ok = False
                break
        if ok:
            return ref
    raise AssertionError("no separated reference found")


def check_alignment(net, rng, check_function=True):
    ref = separated_reference(net, rng)
    noisy = ref + NOISE * rng.normal(size=ref.shape)
    theta = transform(net, noisy, **random_g(net, rng))
    out = align(net, theta, ref)
    assert np.all(np.abs(out - ref) < 50 * NOISE * (1.0 + np.abs(ref)))
    if net.act.symmetry != "homogeneous":  # exactly the planted copy is recovered
        assert_close_theta(out, noisy)
    if check_function:
        assert_same_function(net, theta, out)


@settings(max_examples=40, deadline=None)
@given(act=st.sampled_from(ACTS), n=st.integers(1, 5), seed=SEEDS)
def test_align_recovers_planted_element(act, n, seed):
    check_alignment(MLP(n, act), np.random.default_rng(seed))


@settings(max_examples=15, deadline=None)
@given(act=st.sampled_from(ACTS), n=st.integers(1, 4), seed=SEEDS)
def test_align_recovers_planted_element_2d_input(act, n, seed):
    # the planted copy is recovered (checked above), so the function is not re-evaluated
    check_alignment(MLP(n, act, in_dim=2), np.random.default_rng(seed), check_function=False)


@settings(max_examples=15, deadline=None)
@given(units=st.sampled_from([(2, 2), (3, 3), (3, 2)]), seed=SEEDS)
def test_align_recovers_planted_permutations_deep_tanh(units, seed):
    check_alignment(MLP(units, "tanh"), np.random.default_rng(seed))


@settings(max_examples=10, deadline=None)
@given(units=st.sampled_from([(2, 2), (3, 2)]), seed=SEEDS)
def test_align_recovers_planted_flips_deep_hat(units, seed):
    # even units: (w, b) → (−w, −b) at every layer leaves the next layer's weights alone
    check_alignment(MLP(units, "hat"), np.random.default_rng(seed))


@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_align_hungarian_path(seed):
    check_alignment(MLP(7, "tanh"), np.random.default_rng(seed))


def test_assign_exhaustive_matches_hungarian():
    rng = np.random.default_rng(3)
    for n in range(1, 6):
        cost = rng.uniform(size=(50, n, n))
        perm = _assign(cost)
        for r in range(50):
            rows, cols = linear_sum_assignment(cost[r])
            best = cost[r, rows, cols].sum()
            assert math.isclose(cost[r, perm[r], np.arange(n)].sum(), best, rel_tol=1e-12)


def test_align_batched_extra_column_and_nan_rows():
    net, rng = MLP(3, "sigmoid"), np.random.default_rng(4)
    ref = separated_reference(net, rng)
    noisy = ref + NOISE * rng.normal(size=(2, 6, net.dim))
    gs = [random_g(net, rng) for _ in range(12)]
    theta = np.stack([transform(net, t, **g) for t, g in zip(noisy.reshape(12, -1), gs)])
    theta = np.concatenate([theta, rng.normal(size=(12, 1))], axis=1).reshape(2, 6, -1)
    theta[1, 5, 2] = np.nan
    out = align(net, theta, ref)
    assert out.shape == theta.shape
    np.testing.assert_array_equal(out[..., -1], theta[..., -1])
    np.testing.assert_array_equal(out[1, 5], theta[1, 5])
    assert_close_theta(out[0, :, :-1], noisy[0])
    assert_close_theta(out[1, :5, :-1], noisy[1, :5])
    with pytest.raises(ValueError, match="reference"):
        align(net, theta, ref[:5])


def test_even_flip_keeps_output_weight_and_canonical_form():
    net = MLP(2, "hat")
    theta = np.array([-2.0, 1.0, 3.0, 0.5, 0.25, -1.0, 0.7])
    out = transform(net, theta, [0, 1], signs=[-1, 1])
    np.testing.assert_array_equal(out, [2.0, -1.0, 3.0, 0.5, 0.25, -1.0, 0.7])
    # canonical: w > 0, a unchanged, sorted by t = −b/w (−0.5 and 0.5)
    np.testing.assert_array_equal(canonicalize(net, theta), [0.5, 0.25, -1.0, 2.0, -1.0, 3.0, 0.7])
