"""One compiled program serves every posterior of the same network and data shapes: a
second run, on the same or another posterior of those shapes, traces nothing."""

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset, sample, train_sgd
from bayes_uat.posterior import Posterior as PosteriorClass


@pytest.fixture
def traces(monkeypatch):
    """Counts the traces of any program that evaluates the likelihood: the counter moves
    only while JAX traces (a compiled program that is reused runs without calling it)."""
    count = [0]
    original = PosteriorClass._pointwise_one

    def counted(self, theta):
        count[0] += 1
        return original(self, theta)

    monkeypatch.setattr(PosteriorClass, "_pointwise_one", counted)
    return count


def _posteriors():
    net = MLP(3, "tanh")  # shapes no other test uses: the first run traces
    a = Posterior(net, make_dataset("sin", n=37, seed=1), prior_std=3.0)
    b = Posterior(net, make_dataset("sin", n=37, seed=2), prior_std=2.0)  # other data, s
    return a, b


@pytest.mark.parametrize(
    "sampler, kw",
    [
        ("nuts", dict(chains=2, warmup=20, draws=10)),
        ("nuts", dict(chains=1, warmup=20, draws=10, chunk_size=4)),
        ("ensemble", dict(warmup=20, draws=10)),
        ("smc", dict(chains=2, draws=32, steps=2, max_steps=2)),
    ],
)
def test_a_second_posterior_of_the_same_shapes_traces_nothing(traces, sampler, kw):
    a, b = _posteriors()
    first = sample(a, sampler, seed=0, progress=False, **kw)
    assert traces[0] > 0  # the counter sees the traces of the first run
    before = traces[0]
    second = sample(b, sampler, seed=0, progress=False, **kw)
    assert traces[0] == before, f"{traces[0] - before} new traces"
    again = sample(b, sampler, seed=0, progress=False, **kw)
    assert traces[0] == before
    np.testing.assert_array_equal(again.theta, second.theta)
    # the reused program used b's data and prior, not a's: the draws' log-densities are b's
    for post, s in ((a, first), (b, second)):
        theta = s.theta.reshape(-1, post.dim)
        lp = np.asarray(post.log_density(theta)).reshape(s.log_density.shape)
        np.testing.assert_allclose(s.log_density, lp, rtol=1e-9, atol=1e-9)
    other = np.asarray(a.log_density(second.theta.reshape(-1, a.dim)))
    assert not np.allclose(other, second.log_density.ravel())


def test_training_another_posterior_of_the_same_shapes_traces_nothing(traces):
    a, b = _posteriors()
    ra = train_sgd(a, restarts=2, steps=50, loss="map", seed=0)
    before = traces[0]
    rb = train_sgd(b, restarts=2, steps=50, loss="map", seed=0)
    assert traces[0] == before
    assert not np.array_equal(ra.thetas, rb.thetas)  # b's data and prior were used
    np.testing.assert_allclose(rb.final_loss, -np.asarray(b.log_density(rb.thetas)), rtol=1e-9)
