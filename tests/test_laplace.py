"""The Laplace approximation: exact on a linear-Gaussian model, honest elsewhere."""

import math

import numpy as np
import pytest

import bayes_uat as bu
from bayes_uat.laplace import laplace, laplace_check


def _linear(n=40, s=3.0, sigma=0.5):
    data = bu.make_dataset("0.7*x - 0.3", n=n, noise="gaussian", noise_scale=sigma, seed=3)
    post = bu.Posterior(
        bu.MLP((), "tanh"), data, likelihood="gaussian", noise_std=sigma, prior_std=s
    )
    X = np.stack([data.x, np.ones(n)], 1)
    prec = X.T @ X / sigma**2 + np.eye(2) / s**2
    cov = np.linalg.inv(prec)
    mean = cov @ X.T @ data.y / sigma**2
    # closed-form evidence: y ~ N(0, σ² I + s² X Xᵀ)
    K = sigma**2 * np.eye(n) + s**2 * X @ X.T
    _, logdet = np.linalg.slogdet(K)
    logz = -0.5 * (data.y @ np.linalg.solve(K, data.y) + logdet + n * math.log(2 * math.pi))
    return post, mean, cov, logz


def test_laplace_is_exact_for_a_linear_gaussian_model():
    post, mean, cov, logz = _linear()
    lap = laplace(post, mean)
    assert lap.is_maximum and lap.grad_norm < 1e-8
    np.testing.assert_allclose(lap.cov, cov, rtol=1e-10, atol=1e-12 * np.abs(cov).max())
    assert lap.log_evidence == pytest.approx(logz, abs=1e-8)


def test_laplace_check_of_exact_draws_gives_ratio_one_and_nominal_coverage():
    post, mean, cov, _ = _linear()
    lap = laplace(post, mean)
    n = 20000
    draws = np.random.default_rng(1).multivariate_normal(mean, cov, n)
    out = laplace_check(post, lap, draws, n_laplace=20000)
    # the sample variance's relative sd is sqrt(2/(n-1)); 4 of them
    np.testing.assert_allclose(out["var_ratio"], 1.0, atol=4 * math.sqrt(2 / (n - 1)))
    # a linear model's band: coverage of each grid point ~ 0.95, averaged over the grid; the
    # band's quantiles come from 20 000 Laplace draws (their own error ~ 0.003)
    assert out["band_coverage"] == pytest.approx(0.95, abs=0.01)


def test_laplace_at_a_non_maximum_says_why_and_refuses_to_sample():
    data = bu.make_dataset("x2", n=30)
    post = bu.Posterior(bu.MLP(2, "tanh"), data, likelihood="gaussian", noise_std=1.0)
    lap = laplace(post, np.zeros(post.dim))  # a saddle: every unit off
    assert not lap.is_maximum and "not a strict maximum" in lap.reason
    assert lap.log_evidence is None
    with pytest.raises(ValueError, match="no Laplace approximation"):
        lap.sample(3)
    with pytest.raises(ValueError, match="shape"):
        laplace(post, np.zeros(3))
