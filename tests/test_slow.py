"""Heavier statistical checks (``pytest -m slow``): simulation-based calibration of NUTS on a
small network, and agreement of NUTS, emcee and AIES on the blog posterior."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bayes_uat import MLP, Dataset, Posterior, make_dataset, sample, to_canonical, train_sgd
from tests.helpers import ess_per_param

pytestmark = pytest.mark.slow


def test_simulation_based_calibration_nuts():
    """Talts et al. (2018): draw θ* from the prior, y from the likelihood, sample the
    posterior; the rank of θ* among (thinned) posterior draws is uniform when the sampler is
    right.  Ranks are taken on canonical θ (tanh units flipped so w > 0): the canonical map
    is a function of θ, so its ranks are uniform too, and it does not matter which
    symmetric copy a chain sits in."""
    rng = np.random.default_rng(2024)
    net = MLP(1, "tanh")
    x = np.linspace(-2, 2, 12)
    sigma, prior = 0.3, 1.0
    reps, keep, thin = 80, 99, 8
    ranks = []
    for r in range(reps):
        theta_true = prior * rng.standard_normal(net.dim)
        y = np.asarray(net.apply(theta_true, x)) + sigma * rng.standard_normal(x.size)
        post = Posterior(
            net, Dataset(x=x, y=y), prior_std=prior, likelihood="gaussian", noise_std=sigma
        )
        s = sample(
            post,
            "nuts",
            chains=4,
            warmup=300,
            draws=keep * thin // 4 + 1,
            seed=r,
            init="prior",
            progress=False,
        )
        draws = to_canonical(post, s.theta[:, ::thin]).reshape(-1, net.dim)[:keep]
        truth = to_canonical(post, theta_true)
        ranks.append((draws < truth).sum(axis=0))
    ranks = np.array(ranks)  # (reps, dim), each uniform on 0..keep
    # χ² test of uniformity over 5 equal bins of the keep + 1 = 100 possible ranks
    # (expected 16 per bin); Bonferroni over the 4 parameters at a family level of 0.004.
    for j in range(net.dim):
        counts = np.bincount(ranks[:, j] * 5 // (keep + 1), minlength=5)
        p = stats.chisquare(counts).pvalue
        assert p > 0.001, f"parameter {net.names[j]}: rank histogram {counts}, p = {p:.2g}"


def test_samplers_agree_on_the_blog_posterior():
    """NUTS, the JAX ensemble, emcee and AIES give the same canonical marginals of the blog's
    N = 2 posterior: means agree within z = 4.5 combined Monte Carlo standard errors
    sqrt(v₁/n₁ + v₂/n₂), n = bulk ESS of the canonical parameter (walkers counted as chains
    for ensembles)."""
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2"), prior_std=30.0)
    sgd = train_sgd(post, restarts=8, learning_rate=0.1, seed=0)
    runs = {
        "nuts": sample(
            post, "nuts", chains=4, warmup=1000, draws=2000, seed=1, sgd=sgd, progress=False
        ),
        "emcee": sample(
            post, "emcee", chains=28, warmup=4000, draws=20000, seed=2, sgd=sgd, progress=False
        ),
        "aies": sample(
            post, "aies", chains=28, warmup=4000, draws=20000, seed=3, sgd=sgd, progress=False
        ),
        "ensemble": sample(
            post, "ensemble", chains=28, warmup=4000, draws=20000, seed=4, sgd=sgd, progress=False
        ),
    }
    can = {k: to_canonical(post, s.theta) for k, s in runs.items()}
    moments = {}
    for k, c in can.items():
        flat = c.reshape(-1, c.shape[-1])
        moments[k] = (flat.mean(0), flat.var(0), ess_per_param(c))
    names = list(runs)
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            (m1, v1, n1), (m2, v2, n2) = moments[names[i]], moments[names[j]]
            z = np.abs(m1 - m2) / np.sqrt(v1 / n1 + v2 / n2)
            assert np.all(z < 4.5), f"{names[i]} vs {names[j]}: z = {np.round(z, 1)}"
