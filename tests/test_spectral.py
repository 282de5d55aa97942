"""The hat activation, Fourier-feature encodings and the spectrum routine."""

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayes_uat import MLP, Posterior, make_dataset, sample
from bayes_uat.activations import get_activation
from bayes_uat.encoding import FourierFeatures
from bayes_uat.modes import to_canonical
from bayes_uat.records import load_run, save_run
from bayes_uat.spectral import (
    amplitude_spectrum,
    amplitudes_at,
    periodic_grid,
    power_spectrum,
    remove_endpoint_line,
    sinusoids,
)
from bayes_uat.symmetry import align, canonicalize, transform


# -- hat ---------------------------------------------------------------------------------------
def test_hat_values_and_evenness():
    hat = get_activation("hat")
    z = np.array([-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0])
    np.testing.assert_allclose(np.asarray(hat(z)), [0, 0, 0.5, 1, 0.75, 0, 0])
    np.testing.assert_array_equal(np.asarray(hat(z)), np.asarray(hat(-z)))
    assert hat.symmetry == "even" and hat.flat_tails
    grad = jax.vmap(jax.grad(hat.fn))(np.array([-3.0, -0.5, 0.5, 3.0]))
    np.testing.assert_array_equal(np.asarray(grad), [0.0, 1.0, -1.0, 0.0])


def test_nuts_with_hat_warns_and_still_samples():
    data = make_dataset("0.5*x", n=40, x_range=(-1.0, 1.0), noise="gaussian", noise_scale=0.1)
    post = Posterior(MLP(2, "hat"), data, prior_std=3.0, likelihood="gaussian", noise_std=0.1)
    with pytest.warns(UserWarning, match="zero.*ensemble"):
        s = sample(post, "nuts", chains=1, warmup=20, draws=10, init="prior", seed=0)
    assert s.theta.shape == (1, 10, post.dim) and np.all(np.isfinite(s.theta))


# -- encoding ----------------------------------------------------------------------------------
def test_fourier_features_values_and_layout():
    enc = FourierFeatures([1, 2], x_range=(-1.0, 1.0))
    x = np.array([-1.0, 0.0, 0.5])
    u = (x + 1) / 2
    want = np.stack([f(2 * np.pi * k * u) for f in (np.sin, np.cos) for k in (1, 2)], -1)
    np.testing.assert_allclose(np.asarray(enc(x[:, None])), want, atol=1e-12)
    net = MLP(3, "relu", encoding=enc)
    assert net.fan_in == 4 and net.dim == 3 * (4 + 2) + 1
    theta = np.asarray(net.init(jax.random.key(1)))
    W, b = net.unflatten(theta)["W"][0], net.unflatten(theta)["b"][0]
    a, c = net.unflatten(theta)["a"], net.unflatten(theta)["c"]
    by_hand = np.maximum(want @ np.asarray(W).T + np.asarray(b), 0) @ np.asarray(a) + c
    np.testing.assert_allclose(np.asarray(net.apply(theta, x)), by_hand, atol=1e-12)
    assert MLP((), "relu", encoding=enc).dim == 5  # linear model on the features


def test_fourier_features_kinds_and_bad_input():
    assert FourierFeatures(3).frequencies == (1.0, 2.0, 3.0)
    g1 = FourierFeatures(5, kind="gaussian", scale=4.0, seed=3)
    assert g1 == FourierFeatures(5, kind="gaussian", scale=4.0, seed=3)
    assert g1 != FourierFeatures(5, kind="gaussian", scale=4.0, seed=4)
    assert all(f > 0 for f in g1.frequencies) and list(g1.frequencies) == sorted(g1.frequencies)
    with pytest.raises(ValueError, match="zero frequencies"):
        FourierFeatures(0)
    with pytest.raises(ValueError, match="zero frequencies"):
        FourierFeatures([])
    with pytest.raises(ValueError, match="positive and finite"):
        FourierFeatures([0.0, 2.0])
    with pytest.raises(ValueError, match="kind"):
        FourierFeatures(3, kind="uniform")
    with pytest.raises(ValueError, match="x_range"):
        FourierFeatures(3, x_range=(1.0, 1.0))
    with pytest.raises(ValueError, match="encoding must be"):
        MLP(2, "relu", encoding=8)


@settings(max_examples=10, deadline=None)
@given(act=st.sampled_from(["tanh", "hat", "relu", "sigmoid"]), seed=st.integers(0, 2**31))
def test_encoded_network_symmetries(act, seed):
    """Group elements keep an encoded network's function, align undoes them; canonicalize
    refuses (units of a multi-feature first layer have no natural order)."""
    rng = np.random.default_rng(seed)
    net = MLP(3, act, encoding=FourierFeatures(2))
    ref = 2.0 * rng.normal(size=net.dim)
    sym = net.act.symmetry
    g = dict(
        perm=rng.permutation(3),
        signs=rng.choice([-1.0, 1.0], 3) if sym != "homogeneous" else None,
        scales=np.exp(rng.uniform(-1, 1, 3)) if sym == "homogeneous" else None,
    )
    theta = transform(net, ref, **g)
    x = periodic_grid(50)
    np.testing.assert_allclose(net.apply(theta, x), net.apply(ref, x), atol=1e-9)
    np.testing.assert_allclose(net.apply(align(net, theta, ref), x), net.apply(ref, x), atol=1e-9)
    with pytest.raises(ValueError, match="Fourier features"):
        canonicalize(net, theta)
    post = Posterior(net, make_dataset("x", n=10, x_range=(0.0, 1.0), noise="none"))
    np.testing.assert_allclose(to_canonical(post, theta, ref), align(net, theta, ref))


def test_encoded_network_round_trips_through_a_record(tmp_path):
    from bayes_uat.samples import Samples

    enc = FourierFeatures(2, kind="gaussian", scale=3.0, seed=2)
    net = MLP(2, "relu", encoding=enc)
    post = Posterior(net, make_dataset("x", n=10, x_range=(0.0, 1.0), noise="none"))
    theta = np.zeros((1, 3, net.dim))
    samples = Samples(
        theta=theta, log_density=np.zeros((1, 3)), sampler="ensemble", names=net.names
    )
    save_run(tmp_path / "run", post, samples)
    assert load_run(tmp_path / "run").posterior.net == net


# -- spectra -----------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(n=st.integers(41, 300), seed=st.integers(0, 2**31))
def test_known_sinusoids_give_back_their_amplitudes(n, seed):
    rng = np.random.default_rng(seed)
    k = rng.choice(np.arange(1, 20), 4, replace=False)
    amp, ph = rng.uniform(0.1, 3.0, 4), rng.uniform(0, 2 * np.pi, 4)
    x = periodic_grid(n, (-2.0, 3.0))
    y = sinusoids(x, k, amp, ph, x_range=(-2.0, 3.0)) + 0.7
    np.testing.assert_allclose(amplitudes_at(y, k), amp, atol=1e-9)
    spec = amplitude_spectrum(y)
    assert spec.shape == (n // 2 + 1,)
    assert abs(spec[0] - 0.7) < 1e-9
    others = np.setdiff1d(np.arange(1, n // 2 + 1), k)
    assert np.all(spec[others] < 1e-9)
    # Parseval: the powers sum to the variance
    np.testing.assert_allclose(power_spectrum(y)[1:].sum(), np.var(y), rtol=1e-9)


def test_spectrum_batched_along_an_axis():
    x = periodic_grid(32)
    ys = np.stack([np.sin(2 * np.pi * x), 3 * np.cos(2 * np.pi * 4 * x)], axis=1)  # (32, 2)
    got = amplitudes_at(ys, [1, 4], axis=0)  # (2, 2): rows = functions, columns = frequencies
    np.testing.assert_allclose(got, [[1.0, 0.0], [0.0, 3.0]], atol=1e-12)


def test_remove_endpoint_line_makes_a_ramp_flat():
    x = np.append(periodic_grid(50), 1.0)  # the grid and its right end
    wave = np.sin(2 * np.pi * 4 * x)
    y = 3.0 * x - 1.0 + wave
    r = remove_endpoint_line(np.stack([y, 2 * y]), axis=-1)
    assert r.shape == (2, 50)
    # the ramp is gone (up to its constant), the periodic part is untouched
    np.testing.assert_allclose(r[0], wave[:50] - 1.0, atol=1e-12)
    np.testing.assert_allclose(amplitudes_at(r[0], [4, 10]), [1.0, 0.0], atol=1e-12)
    assert amplitude_spectrum(y[:50])[10] > 0.05  # without it: sawtooth leakage
    np.testing.assert_allclose(r[1], 2 * r[0])


def test_spectrum_bad_input():
    y = np.sin(2 * np.pi * periodic_grid(64))
    with pytest.raises(ValueError, match="Nyquist limit n/2 = 32"):
        amplitudes_at(y, [1, 40])
    with pytest.raises(ValueError, match="Nyquist"):
        amplitudes_at(y, [32])
    with pytest.raises(ValueError, match="integers"):
        amplitudes_at(y, [1.5])
    with pytest.raises(ValueError, match="NaN"):
        amplitude_spectrum(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(ValueError, match="n must be"):
        periodic_grid(1)
