"""Fit warnings (bayes_uat.checks.fit_warnings): an SGD fit no better than the constant mean(y),
and a posterior median that ignores the data; each fires on its condition only."""

import numpy as np
import pytest

from bayes_uat import MLP, Dataset, Posterior, train_sgd
from bayes_uat.checks import R2_MIN, fit_warnings, prior_dominated_warning, sgd_fit_warning
from bayes_uat.samples import Samples

X = np.linspace(-2.0, 2.0, 40)


def post_for(scale, likelihood="gaussian"):
    """y = scale · x² with 5 % noise, N = 2 sigmoid."""
    rng = np.random.default_rng(0)
    y = scale * (X**2 + 0.05 * rng.standard_normal(X.size))
    kw = dict(noise_std=0.05 * scale) if likelihood == "gaussian" else {}
    return Posterior(MLP(2, "sigmoid"), Dataset(x=X, y=y), likelihood=likelihood, **kw)


def draws_around(post, theta, n=200, seed=0):
    rng = np.random.default_rng(seed)
    t = np.asarray(theta)[None, None] + 1e-3 * rng.standard_normal((2, n, post.dim))
    return Samples(theta=t, log_density=np.zeros((2, n)), sampler="nuts", names=post.names)


@pytest.fixture(scope="module")
def fitted():
    post = post_for(1.0)
    return post, train_sgd(post, restarts=2, steps=400, seed=0)


def test_sgd_that_fits_is_quiet_and_one_that_cannot_reach_1e6_warns(fitted):
    post, sgd = fitted
    assert 1 - float(post.mse(sgd.best)) / np.var(post.data.y) > 0.9
    assert sgd_fit_warning(post, sgd) is None
    big = post_for(1e6)
    stuck = train_sgd(big, restarts=2, steps=400, seed=0)  # Adam moves c by ≈ lr per step
    r2 = 1 - float(big.mse(stuck.best)) / np.var(big.data.y)
    assert r2 < R2_MIN
    w = sgd_fit_warning(big, stuck)
    assert w["code"] == "sgd_fit" and "no better than the constant" in w["message"]
    assert "rescale" in w["fix"]
    assert sgd_fit_warning(big, None) is None


def test_posterior_median_that_follows_the_data_is_quiet(fitted):
    post, sgd = fitted
    assert prior_dominated_warning(post, draws_around(post, sgd.best)) is None
    assert fit_warnings(post, draws_around(post, sgd.best), sgd) == []


def test_posterior_median_that_ignores_the_data_warns(fitted):
    post, sgd = fitted
    # the same network shape scaled to y ~ 1e-6 under the 'mse' likelihood (σ² = n/2 = 20):
    # draws whose f is the fit to y ~ 1 are far off, and a flat f at 0.3 explains nothing
    tiny = post_for(1e-6, likelihood="mse")
    flat = np.zeros(tiny.dim)
    flat[-1] = 0.3
    for theta in (sgd.best, flat):
        w = prior_dominated_warning(tiny, draws_around(tiny, theta))
        assert w["code"] == "prior_dominated" and "ignores the data" in w["message"]
        assert "σ ≈ 4.47" in w["message"]  # √(n/2) with n = 40
    # the constant predictor itself explains exactly nothing: R² = 0 < R2_MIN
    mean_fit = np.zeros(tiny.dim)
    mean_fit[-1] = float(np.mean(tiny.data.y))
    assert prior_dominated_warning(tiny, draws_around(tiny, mean_fit, seed=1)) is not None
    codes = [w["code"] for w in fit_warnings(tiny, draws_around(tiny, flat), None)]
    assert codes == ["prior_dominated"]
