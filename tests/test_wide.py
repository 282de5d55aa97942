"""The infinite-width GP (bayes_uat.wide): kernels against Monte Carlo prior draws of a
network, the GP posterior against a dense computation, and the refusals."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as nd
import pytest
from scipy.stats import multivariate_normal

import bayes_uat as bu
from bayes_uat.wide import (
    neal_posterior,
    neal_prior,
    neal_scales,
    nngp_band,
    nngp_kernel,
    nngp_predict,
)

XS = np.array([-3.0, -0.7, 0.0, 1.2, 3.5])


@pytest.fixture(scope="module")
def data():
    return bu.make_dataset("sin(2*x) + 0.3*x**2 - 0.5*abs(x)", n=40, x_range=[-3, 3], seed=0)


@pytest.mark.parametrize(
    "activation, scales, bias",
    [
        ("relu", dict(), True),  # the scales: 1, 1, 2, 1
        ("erf", dict(weight_std=2.0, bias_std=0.5, output_std=1.5, output_bias_std=0.3), True),
        ("relu", dict(weight_std=0.7, output_std=3.0), False),  # no biases: σ_b = σ_c = 0
    ],
)
def test_kernel_matches_prior_draws_of_a_network(data, activation, scales, bias):
    """E[f(x) f(x')] over prior draws of a 64-unit network (the prior mean is 0) equals the
    kernel at any width; each of the 15 pairs within 4 Monte Carlo standard errors."""
    net = bu.MLP(64, activation, bias=bias)
    post = bu.Posterior(
        net, data, likelihood="gaussian", noise_std=0.1, prior=neal_prior(net, **scales)
    )
    S = 20_000
    theta = post.prior_sample(jax.random.key(3), (S,))
    f = np.asarray(post.predict(theta, jnp.asarray(XS)))  # (S, 5)
    K = nngp_kernel(post, XS, XS)
    i, j = np.triu_indices(len(XS))
    prods = f[:, i] * f[:, j]
    est, se = prods.mean(0), prods.std(0, ddof=1) / math.sqrt(S)
    zero = se == 0  # without biases f(0) = 0 in every draw: the kernel must say 0 exactly
    np.testing.assert_array_equal(K[i, j][zero], 0.0)
    z = (est - K[i, j])[~zero] / se[~zero]
    assert np.all(np.abs(z) < 4), (K[i, j], est, z)
    # the test has power: variances off by 5 % (a wrong √N, σ or factor ½ is far more)
    # would be outside the band
    d = (i == j) & ~zero
    assert np.all(0.05 * K[i, j][d] > 4 * se[d])


def test_kernel_is_the_arc_cosine_and_arcsine_formulas(data):
    """Closed forms at points where they are elementary: ReLU's E[relu(u)²] = k/2 and
    E[relu(u)relu(−u)] = 0 (θ = π); erf's (2/π) arcsin(2k/(1 + 2k)) on the diagonal."""
    relu = neal_posterior(data, 10, "relu", bias_std=1e-12, output_bias_std=1e-12)
    K = nngp_kernel(relu, [2.0, -2.0], [2.0, -2.0])
    assert K[0, 0] == pytest.approx(4.0 * 4.0 / 2, rel=1e-9)
    assert K[0, 1] == pytest.approx(0.0, abs=1e-9)
    erf = neal_posterior(data, 10, "erf", weight_std=0.5, bias_std=1.0, output_std=1.0)
    k = 0.25 * 1.5**2 + 1.0
    assert nngp_kernel(erf, [1.5], [1.5])[0, 0] == pytest.approx(
        1.0 + (2 / math.pi) * math.asin(2 * k / (1 + 2 * k)), rel=1e-12
    )


def _dense(post, xn, noise_var):
    """The GP posterior by plain linear algebra on the joint covariance."""
    x, y = np.asarray(post.data.x), np.asarray(post.data.y)
    allx = np.concatenate([x, xn])
    C = nngp_kernel(post, allx, allx)
    n = len(x)
    Kxx = C[:n, :n] + noise_var * np.eye(n)
    Kxs, Kss = C[:n, n:], C[n:, n:]
    mean = Kxs.T @ np.linalg.solve(Kxx, y)
    var = np.diag(Kss - Kxs.T @ np.linalg.solve(Kxx, Kxs))
    lml = multivariate_normal(np.zeros(n), Kxx).logpdf(y)
    return mean, var, lml


@pytest.mark.parametrize("activation", ["relu", "erf"])
@pytest.mark.parametrize("lam", [1.0, 0.3])
def test_gp_posterior_matches_dense_computation(data, activation, lam):
    post = neal_posterior(data, 500, activation, noise_std=0.1)
    xn = np.linspace(-4, 4, 17)
    mean, var, lml = nngp_predict(post, xn, lam=lam)
    dm, dv, dl = _dense(post, xn, 0.1**2 / lam)
    np.testing.assert_allclose(mean, dm, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(var, dv, rtol=1e-6, atol=1e-10)
    assert lml == pytest.approx(dl, rel=1e-9)
    lo, m, hi = nngp_band(post, xn, 0.9, lam=lam)
    np.testing.assert_allclose((hi - lo) / 2, 1.6448536269514722 * np.sqrt(var), rtol=1e-9)


def test_lambda_zero_is_the_prior(data):
    post = neal_posterior(data, 50, "relu")
    mean, var, lml = nngp_predict(post, XS, lam=0.0)
    np.testing.assert_array_equal(mean, 0.0)
    np.testing.assert_allclose(var, np.diag(nngp_kernel(post, XS, XS)), rtol=1e-12)
    assert lml == 0.0


def test_gp_does_not_depend_on_width_but_network_prior_does(data):
    """σ_a = √N · scale of a's prior: the limit is the same for every N of Neal form."""
    k = [nngp_kernel(neal_posterior(data, N, "relu"), XS, XS) for N in (5, 50, 500)]
    np.testing.assert_allclose(k[0], k[2], rtol=1e-12)
    s = neal_scales(neal_posterior(data, 500, "relu"))
    assert (s.weight, s.bias, s.output, s.output_bias, s.units, s.noise) == pytest.approx(
        (1.0, 1.0, 2.0, 1.0, 500, 0.1)
    )
    assert neal_prior(bu.MLP(500, "relu"))["a"].scale == pytest.approx(2 / math.sqrt(500))


def test_mse_likelihood_uses_its_noise(data):
    net = bu.MLP(20, "relu")
    post = bu.Posterior(net, data, likelihood="mse", prior=neal_prior(net))
    assert neal_scales(post).noise == pytest.approx(math.sqrt(data.n / 2))


def test_neal_prior_of_deep_network_scales_each_fan_in():
    p = neal_prior(bu.MLP((8, 32), "relu"), weight_std=1.5, output_std=2.0)
    assert p["w1"].scale == 1.5
    assert p["w2"].scale == pytest.approx(1.5 / math.sqrt(8))
    assert p["a"].scale == pytest.approx(2.0 / math.sqrt(32))


def test_erf_activation_is_odd():
    net = bu.MLP(3, "erf")
    assert net.act.symmetry == "odd"
    theta = jnp.array([0.5, -1.0, 2.0, -1.5, 0.3, 1.0, 0.8, 0.2, -0.6, 0.4])
    flipped = theta.at[jnp.array([0, 1, 2])].multiply(-1.0)
    np.testing.assert_allclose(net.apply(theta, XS), net.apply(flipped, XS), rtol=1e-12)
    from bayes_uat.expr import parse_expression

    f = parse_expression(net.equation(theta, digits=4, ascii=True))
    np.testing.assert_allclose(f(jnp.asarray(XS)), net.apply(theta, XS), atol=1e-3)


def test_bad_input(data):
    with pytest.raises(ValueError, match="no closed-form infinite-width kernel.*relu, erf"):
        nngp_kernel(neal_posterior(data, 5, "tanh"), XS, XS)
    with pytest.raises(ValueError, match="linear model.*no output group 'a'"):
        neal_prior(bu.MLP((), "relu"))
    plain = bu.Posterior(bu.MLP(5, "relu"), data, likelihood="gaussian", noise_std=0.1)
    with pytest.raises(ValueError, match="scaled by 1/√N.*neal_posterior"):
        nngp_predict(plain, XS)
    net = bu.MLP(5, "relu")
    lap = {**neal_prior(net), "w1": nd.Laplace(0.0, 1.0)}
    with pytest.raises(ValueError, match="group 'w1' has laplace"):
        nngp_kernel(
            bu.Posterior(net, data, likelihood="gaussian", noise_std=0.1, prior=lap), XS, XS
        )
    off = {**neal_prior(net), "c": nd.Normal(1.0, 1.0)}
    with pytest.raises(ValueError, match="zero-mean.*'c'"):
        nngp_kernel(
            bu.Posterior(net, data, likelihood="gaussian", noise_std=0.1, prior=off), XS, XS
        )
    inferred = bu.Posterior(net, data, likelihood="gaussian", prior=neal_prior(net))
    with pytest.raises(ValueError, match="known σ"):
        nngp_predict(inferred, XS)
    deep = bu.MLP((4, 4), "relu")
    with pytest.raises(ValueError, match="one hidden layer"):
        nngp_kernel(
            bu.Posterior(deep, data, likelihood="gaussian", noise_std=0.1, prior=neal_prior(deep)),
            XS,
            XS,
        )
    with pytest.raises(ValueError, match="lam must be"):
        nngp_predict(neal_posterior(data, 5), XS, lam=1.5)
    with pytest.raises(ValueError, match="output_std"):
        neal_prior(net, output_std=0.0)


def test_function_distance_of_gp_draws_is_small_and_band_ratio_one(data):
    """Draws from the GP's own pointwise marginals: the mean's distance is Monte Carlo noise
    (sd/√S ≈ 0.01 bands at S = 8 000) and the band ratio is 1 within the quantiles' noise."""
    from bayes_uat.studies.wide import function_distance

    post = neal_posterior(data, 50, "relu", noise_std=0.1)
    grid = np.linspace(-3, 3, 60)
    m, v, _ = nngp_predict(post, grid)
    rng = np.random.default_rng(0)
    f = m + np.sqrt(v) * rng.standard_normal((2, 4000, len(grid)))
    d = function_distance(post, f, grid)
    assert d["mean"] < 0.03 and d["max"] < 0.08
    assert d["band_ratio"] == pytest.approx(1.0, abs=0.03)
    shifted = function_distance(post, f + 0.5 * d["gp_band"], grid)
    assert shifted["mean"] == pytest.approx(0.5, abs=0.03)


def test_gp_starts_begin_near_the_gp_mean(data):
    """Prior hidden units with the output layer at its exact conditional mean: f starts
    within a band of the GP's mean at 256 units, and the log-density is finite."""
    from bayes_uat.studies.wide import function_distance, gp_starts

    post = neal_posterior(data, 256, "relu", noise_std=0.1)
    th = gp_starts(post, 2, seed=0)
    assert np.all(np.isfinite(np.asarray(post.log_density(th))))
    grid = np.linspace(-3, 3, 60)
    f = np.asarray(post.predict(th, grid))[:, None, :]
    assert max(function_distance(post, f, grid)["per_chain_mean"]) < 1.0
