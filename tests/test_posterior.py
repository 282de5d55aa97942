"""Posterior densities against closed forms, finite differences, batching and validation."""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate, special, stats

from bayes_uat import MLP, Posterior, make_dataset

EPS = np.finfo(np.float64).eps


@pytest.fixture(scope="module")
def x2_small():
    return make_dataset("x2", n=40, seed=0)


@pytest.fixture(scope="module")
def mse_post(x2_small):
    return Posterior(MLP(2, "sigmoid"), x2_small, prior_std=30.0)


@pytest.fixture(scope="module")
def sigma_post(x2_small):
    return Posterior(MLP(2, "sigmoid"), x2_small, prior_std=10.0, likelihood="gaussian")


def np_sigmoid_net(theta, x):
    """f(x) = c + Σ aᵢ σ(wᵢ x + bᵢ) with θ = [w₁, b₁, a₁, w₂, b₂, a₂, c]."""
    w, b, a = theta[0:6:3], theta[1:6:3], theta[2:6:3]
    h = special.expit(np.outer(x, w) + b)
    return h @ a + theta[6], np.abs(h) @ np.abs(a) + abs(theta[6])


THETAS = [
    np.array([-1.4, -4.9, 24.0, 1.5, -5.0, 23.0, 1.0]),  # the blog's fit
    np.array([0.3, -0.2, 1.0, -0.7, 0.5, 2.0, -3.0]),
    np.array([5.0, 40.0, -60.0, -8.0, 3.0, 12.0, 45.0]),
]


# -- closed forms ------------------------------------------------------------------------
def test_linear_gaussian_matches_conjugate_posterior():
    sigma, s = 0.3, 2.0
    data = make_dataset("1.5*x - 0.5", n=30, noise="gaussian", noise_scale=sigma, seed=3)
    post = Posterior(MLP((), "identity"), data, prior_std=s, likelihood="gaussian", noise_std=sigma)
    assert post.dim == 2 and post.names == ("w", "c")
    X = np.column_stack([data.x, np.ones(data.n)])
    precision = X.T @ X / sigma**2 + np.eye(2) / s**2
    cov = np.linalg.inv(precision)
    mean = cov @ X.T @ data.y / sigma**2
    gauss = stats.multivariate_normal(mean, cov)
    thetas = np.array([mean, [0.0, 0.0], [1.4, -0.4], [-3.0, 2.0], mean + [0.05, -0.1]])
    got = np.asarray(post.log_density(thetas))
    want = gauss.logpdf(thetas)
    # log_density sums n + 2 terms whose absolute values add up to S; summation error
    # ≤ (n + 2)·eps·S per value.  The reference loses ≈ cond(P)·eps·S through the inverse.
    # Both apply to each of the two values in a difference.
    const = 0.5 * math.log(2 * math.pi)
    S = (
        (0.5 * ((data.y[:, None] - X @ thetas.T) / sigma) ** 2).sum(0)
        + 0.5 * ((thetas / s) ** 2).sum(1)
        + data.n * (abs(math.log(sigma)) + const)
        + 2 * (abs(math.log(s)) + const)
    ).max()
    tol = 2 * (data.n + 2 + np.linalg.cond(precision)) * EPS * S
    np.testing.assert_allclose(got - got[0], want - want[0], rtol=0, atol=tol)
    # and the maximum of log_density is at the posterior mean: the gradient vanishes there, up
    # to the rounding of its sums, n·eps·Σ|xₖ|(|yₖ| + |f(xₖ)|)/σ², and the error of the
    # computed mean, ‖P‖·cond(P)·eps·‖m‖
    _, g = post.value_and_grad(mean)
    tol = data.n * EPS * (
        np.abs(X).T @ (np.abs(data.y) + np.abs(X @ mean))
    ) / sigma**2 + np.linalg.norm(precision) * np.linalg.cond(precision) * EPS * np.linalg.norm(
        mean
    )
    assert np.all(np.abs(np.asarray(g)) <= tol)


@pytest.mark.parametrize("i", range(len(THETAS)))
def test_mse_likelihood_formula(mse_post, x2_small, i):
    theta = THETAS[i]
    n = x2_small.n
    f, fscale = np_sigmoid_net(theta, x2_small.x)
    mse = np.mean((x2_small.y - f) ** 2)
    log_lik = -mse - n / 2 * math.log(math.pi * n)
    log_prior = stats.norm(0, 30.0).logpdf(theta).sum()
    # a sum of n squared residuals, each off by ≤ ~10·eps relative (f is a few operations
    # on values of size fscale): n·10·eps·(|y| + fscale)² bounds the error, plus the prior
    S = ((np.abs(x2_small.y) + fscale) ** 2).sum() + n / 2 * math.log(math.pi * n)
    tol = (n + 7) * 10 * EPS * (S + abs(log_prior))
    assert abs(float(mse_post.log_likelihood(theta)) - log_lik) <= tol
    assert abs(float(mse_post.log_prior(theta)) - log_prior) <= tol
    assert abs(float(mse_post.log_density(theta)) - (log_prior + log_lik)) <= tol
    assert abs(float(mse_post.mse(theta)) - mse) <= tol / n
    np.testing.assert_allclose(mse_post.predict(theta), f, rtol=0, atol=10 * EPS * fscale.max())
    assert float(mse_post.sigma(theta)) == math.sqrt(n / 2)


def test_gaussian_inferred_sigma_formula(sigma_post, x2_small):
    assert sigma_post.dim == 8 and sigma_post.names[-1] == "log_sigma"
    assert sigma_post.sigma_scale == float(np.std(x2_small.y))  # the default: std(y)
    theta = np.append(THETAS[0], math.log(0.4))
    f, fscale = np_sigmoid_net(theta[:7], x2_small.x)
    pw = stats.norm(f, 0.4).logpdf(x2_small.y)
    prior = (
        stats.norm(0, 10.0).logpdf(theta[:7]).sum()
        + stats.halfnorm(scale=sigma_post.sigma_scale).logpdf(0.4)
        + math.log(0.4)
    )
    # each value is a handful of float64 operations (≤ 10 eps relative on each of its
    # terms, and f itself ≤ 10 eps·fscale); 100·eps on the total size of all terms covers
    # every entry and the sums
    tol = (
        100
        * EPS
        * (
            np.abs(pw).sum()
            + abs(prior)
            + ((x2_small.y - f) ** 2).sum() / 0.16
            + (np.abs(x2_small.y - f) * fscale).sum() / 0.16
        )
    )
    np.testing.assert_allclose(sigma_post.pointwise_log_likelihood(theta), pw, rtol=0, atol=tol)
    assert abs(float(sigma_post.log_prior(theta)) - prior) <= tol
    assert float(sigma_post.sigma(theta)) == pytest.approx(0.4, rel=4 * EPS)


def test_inferred_sigma_prior_integrates_to_one(sigma_post):
    """exp(log-prior over u = log σ), Jacobian σ included, is a density in u."""
    # with the network weights at 0 their N(0, 10²) prior contributes a known constant
    net_const = -7 * (math.log(10.0) + 0.5 * math.log(2 * math.pi))

    def density(u):
        return math.exp(float(sigma_post.log_prior(np.append(np.zeros(7), u))) - net_const)

    total, err = integrate.quad(density, -np.inf, np.inf, epsabs=1e-12, epsrel=1e-10)
    # quad's own error estimate plus float64 rounding of the integrand (≲ 10 eps relative)
    assert abs(total - 1.0) <= err + 10 * EPS


# -- gradients ---------------------------------------------------------------------------
@functools.cache
def _third_derivatives(post):
    """θ ↦ (∂³ log p / ∂θᵢ³)ᵢ, exact (three nested forward-mode derivatives along each
    coordinate), jitted."""
    eye = jnp.eye(post.dim)

    def derivative(g):
        return lambda t, e: jax.jvp(lambda s: g(s, e), (t,), (1.0,))[1]

    @jax.jit
    def third(theta):
        def along(t, e):
            return post.log_density(theta + t * e)

        d3 = derivative(derivative(derivative(along)))
        return jax.vmap(d3, in_axes=(None, 0))(0.0, eye)

    return third


def _fd_check(post, theta):
    """Central differences with h = 1e-6 against the autodiff gradient.

    Error of the central difference: truncation h²/6·|f'''| (f''' along each coordinate,
    computed exactly by nested autodiff, doubled to cover its variation over [θ−h, θ+h])
    plus rounding err/h, where err = (n + dim)·eps·S bounds the summation error of one
    log-density evaluation and S is the sum of the absolute values of its terms."""
    h = 1e-6
    theta = np.asarray(theta, dtype=float)
    eye = np.eye(post.dim)
    value, grad = post.value_and_grad(theta)
    third = np.asarray(_third_derivatives(post)(theta))
    plus_minus = np.asarray(post.log_density(np.concatenate([theta + h * eye, theta - h * eye])))
    fd = (plus_minus[: post.dim] - plus_minus[post.dim :]) / (2 * h)
    pw = np.asarray(post.pointwise_log_likelihood(theta))
    # the prior's per-coordinate constants log s + ½log 2π (< 10 each) count in S too
    S = np.abs(pw).sum() + abs(float(post.log_prior(theta))) + post.dim * 10
    err = (post.data.n + post.dim) * EPS * S
    tol = 2 * h**2 / 6 * np.abs(third) + err / h
    assert np.all(np.abs(np.asarray(grad) - fd) <= tol), (np.asarray(grad), fd, tol)
    assert abs(float(value) - float(post.log_density(theta))) <= err


@pytest.mark.parametrize("i", [0, 1])
def test_gradient_matches_finite_differences_mse(mse_post, i):
    _fd_check(mse_post, THETAS[i])


def test_gradient_matches_finite_differences_inferred_sigma(sigma_post):
    _fd_check(sigma_post, np.append(THETAS[1], math.log(2.0)))


# -- non-finite values -------------------------------------------------------------------
def test_non_finite_becomes_minus_inf(mse_post, sigma_post):
    bad = np.array(
        [
            [np.inf, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, -np.inf],
            [np.nan, 0, 0, 0, 0, 0, 0],
            [np.inf] * 7,
            THETAS[0],
        ]
    )
    lp = np.asarray(mse_post.log_density(bad))
    assert np.all(lp[:4] == -np.inf) and np.isfinite(lp[4])
    assert float(mse_post.log_density(bad[0])) == -np.inf
    assert float(mse_post.value_and_grad(bad[3])[0]) == -np.inf
    # w₁ = ∞ with a₁ = 0 leaves f finite (x = 0 is not a data point): only the prior is −inf
    assert float(mse_post.log_prior(bad[0])) == -np.inf
    assert np.isfinite(float(mse_post.log_likelihood(bad[0])))
    assert np.all(np.asarray(mse_post.log_likelihood(bad[1:4])) == -np.inf)
    # σ = exp(800) overflows and σ = exp(−800) underflows: still −inf, not NaN
    wild = np.array([np.append(THETAS[0], 800.0), np.append(THETAS[0], -800.0)])
    assert np.all(np.asarray(sigma_post.log_density(wild)) == -np.inf)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradient_finite_at_wild_theta_sin16(dtype):
    data = make_dataset("sin", n=200, seed=0)
    rng = np.random.default_rng(7)
    post = Posterior(MLP(16, "sin"), data, dtype=dtype)
    for scale in (1e2, 1e4):
        value, grad = post.value_and_grad(rng.normal(0, scale, post.dim))
        assert grad.dtype == jnp.dtype(dtype)
        assert np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad)))


# -- batching ----------------------------------------------------------------------------
def test_batched_calls_equal_single_calls(sigma_post):
    rng = np.random.default_rng(11)
    thetas = rng.normal(0, 2, size=(3, 4, sigma_post.dim))
    lp = np.asarray(sigma_post.log_density(thetas))
    pw = np.asarray(sigma_post.pointwise_log_likelihood(thetas))
    ll = np.asarray(sigma_post.log_likelihood(thetas))
    assert lp.shape == ll.shape == (3, 4) and pw.shape == (3, 4, sigma_post.data.n)
    assert sigma_post.predict(thetas).shape == (3, 4, sigma_post.data.n)
    assert sigma_post.log_prior(thetas).shape == (3, 4)
    n, dim = sigma_post.data.n, sigma_post.dim
    for i in range(3):
        for j in range(4):
            t = thetas[i, j]
            # same computation vmapped or not: at most a different summation order,
            # bounded by (n + dim)·eps·Σ|terms|
            S = np.abs(pw[i, j]).sum() + abs(float(sigma_post.log_prior(t))) + dim * 10
            assert abs(float(sigma_post.log_density(t)) - lp[i, j]) <= (n + dim) * EPS * S
            np.testing.assert_allclose(
                sigma_post.pointwise_log_likelihood(t),
                pw[i, j],
                rtol=0,
                atol=10 * EPS * np.abs(pw[i, j]).max(),
            )
    # pointwise terms sum to the total log-likelihood
    np.testing.assert_allclose(pw.sum(-1), ll, rtol=0, atol=n * EPS * np.abs(pw).sum(-1).max())
    np.testing.assert_allclose(
        np.asarray(sigma_post.log_prior(thetas)) + ll,
        lp,
        rtol=0,
        atol=(n + dim) * EPS * (np.abs(pw).sum(-1).max() + dim * 10 + np.abs(lp).max()),
    )


# -- validation --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(prior_std=0.0), "prior_std must be a positive finite number, got 0.0"),
        (dict(prior_std=-1.0), "prior_std must be a positive finite number, got -1.0"),
        (dict(prior_std=float("nan")), "prior_std must be a positive finite number, got nan"),
        (dict(prior_std="30"), "prior_std must be a positive number, got '30'"),
        (dict(likelihood="gaussian", noise_std=0.0), "noise_std must be a positive finite"),
        (dict(likelihood="gaussian", noise_std=-0.5), "noise_std must be a positive finite"),
        (dict(likelihood="laplace"), "unknown likelihood 'laplace'"),
        (dict(noise_std=0.5), "noise_std applies to likelihood='gaussian' or 'student_t' only"),
        (dict(likelihood="gaussian", sigma_scale=-1.0), "sigma_scale must be a positive"),
        (dict(dtype="float16"), "dtype must be 'float32' or 'float64', got 'float16'"),
    ],
)
def test_posterior_rejects_bad_arguments(x2_small, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Posterior(MLP(2), x2_small, **kwargs)


def test_posterior_rejects_mismatched_inputs(x2_small):
    with pytest.raises(ValueError, match="1-dimensional x but the network expects in_dim=2"):
        Posterior(MLP(2, in_dim=2), x2_small)
    with pytest.raises(ValueError, match="net must be a bayes_uat.MLP"):
        Posterior("MLP(2)", x2_small)
    with pytest.raises(ValueError, match="data must be a bayes_uat.Dataset"):
        Posterior(MLP(2), (x2_small.x, x2_small.y))


def test_theta_with_wrong_last_dimension(mse_post, sigma_post):
    with pytest.raises(ValueError, match=r"last dimension 7 .*got shape \(8,\)"):
        mse_post.log_density(np.zeros(8))
    with pytest.raises(ValueError, match=r"last dimension 8 .*log_sigma.*got shape \(3, 7\)"):
        sigma_post.log_density(np.zeros((3, 7)))
    with pytest.raises(ValueError, match=r"got shape \(\)"):
        mse_post.log_likelihood(1.0)


def test_check_point(mse_post):
    mse_post.check_point(THETAS[0])
    mse_post.check_point(np.stack(THETAS))
    bad = np.stack([THETAS[0], np.full(7, np.inf), THETAS[1], np.full(7, np.nan)])
    with pytest.raises(ValueError, match=r"not finite at 2 of 4 point\(s\).*\[\[1\], \[3\]\]"):
        mse_post.check_point(bad)
    with pytest.raises(ValueError, match=r"start: .* at 1 of 1 point\(s\)"):
        mse_post.check_point(np.full(7, np.inf), what="start")
