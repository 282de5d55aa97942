"""SGD training and MAP search (bayes_uat.optimize): losses recomputed independently, MAPs
stationary and at least as high as scipy's L-BFGS from the same starts, bad input refused."""

import numpy as np
import pytest
import scipy.optimize

from bayes_uat import MLP, Posterior, make_dataset, train_sgd
from bayes_uat.optimize import STATIONARY_GRAD, MapResult, NotStationaryWarning, find_map

STARTS = 8


@pytest.fixture(scope="module")
def tanh3():
    """N = 3 tanh on a sinusoid: SGD restarts stopped early are far from stationary."""
    data = make_dataset("sin", n=60, x_range=(-4, 4), noise="gaussian", noise_scale=0.1, seed=0)
    post = Posterior(MLP(3, "tanh"), data, prior_std=1.0, likelihood="gaussian", noise_std=0.1)
    sgd = train_sgd(post, restarts=STARTS, steps=300, seed=0)
    return post, sgd


@pytest.fixture(scope="module")
def maps(tanh3):
    post, sgd = tanh3
    return find_map(post, sgd.thetas)


def test_map_is_stationary_and_not_below_scipy_lbfgs(tanh3, maps):
    post, sgd = tanh3
    assert isinstance(maps, MapResult)
    assert maps.theta.shape == (STARTS, post.dim) and maps.log_density.shape == (STARTS,)
    grads = np.stack([np.asarray(post.value_and_grad(t)[1]) for t in maps.theta])
    np.testing.assert_allclose(maps.grad_norm, np.linalg.norm(grads, axis=1), rtol=1e-12)
    np.testing.assert_allclose(
        maps.log_density, np.asarray(post.log_density(maps.theta)), rtol=1e-12
    )
    # the starts are far from stationary, the results are stationary to float64 precision
    g0 = [np.linalg.norm(np.asarray(post.value_and_grad(t)[1])) for t in sgd.thetas]
    assert min(g0) > 1.0
    assert np.all(maps.grad_norm < 1e-6) and np.all(maps.stationary)

    def neg(t):
        v, g = post.value_and_grad(t)
        return -float(v), -np.asarray(g, dtype=float)

    for start, lp in zip(sgd.thetas, maps.log_density):
        ref = scipy.optimize.minimize(neg, start, jac=True, method="L-BFGS-B")
        # at least as high as scipy's maximum from the same start (up to rounding of log p)
        assert lp >= -ref.fun - 1e-9 * abs(ref.fun)
        assert lp >= float(post.log_density(start))


def test_one_start_and_never_below_it(tanh3, maps):
    post, _ = tanh3
    # starting at a maximum leaves it there
    again = find_map(post, maps.theta[0])
    assert again.theta.shape == (1, post.dim)
    np.testing.assert_allclose(again.theta[0], maps.theta[0], atol=1e-8)
    assert again.log_density[0] >= maps.log_density[0] - 1e-9 * abs(maps.log_density[0])


def test_not_stationary_warns(tanh3):
    post, sgd = tanh3
    with pytest.warns(NotStationaryWarning, match="not stationary"):
        res = find_map(post, sgd.thetas[:2], max_iter=1, newton_steps=0)
    assert not res.stationary.all()
    assert np.any(res.grad_norm > STATIONARY_GRAD)


def test_find_map_rejects_bad_input(tanh3):
    post, _ = tanh3
    with pytest.raises(ValueError, match=r"starts must have shape \(k, 10\)"):
        find_map(post, np.zeros((2, 3)))
    with pytest.raises(ValueError, match="needs a bayes_uat.Posterior"):
        find_map("posterior", np.zeros((1, 10)))
    with pytest.raises(ValueError, match="max_iter must be >= 1"):
        find_map(post, np.zeros((1, 10)), max_iter=0)
    bad = np.zeros((1, 10))
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="find_map start: log-density is not finite"):
        find_map(post, bad)


# -- train_sgd --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def x2():
    return Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=40, seed=0))


def test_sse_loss_is_the_blogs_sum_of_squares(x2):
    res = train_sgd(x2, steps=50, restarts=3, seed=1)
    assert res.thetas.shape == (3, x2.dim) and res.losses.shape == (3, 50)
    f = np.asarray(x2.predict(res.thetas))
    sse = np.sum((x2.data.y - f) ** 2, axis=1)
    np.testing.assert_allclose(res.final_loss, sse, rtol=1e-10)
    assert res.best_index == int(np.argmin(sse))
    np.testing.assert_array_equal(res.best, res.thetas[res.best_index])
    # Adam from the same seed is deterministic
    np.testing.assert_array_equal(train_sgd(x2, steps=50, restarts=3, seed=1).thetas, res.thetas)


def test_map_loss_full_batch_and_whole_minibatch_agree(x2):
    full = train_sgd(x2, steps=30, restarts=2, loss="map", seed=2)
    np.testing.assert_allclose(
        full.final_loss, -np.asarray(x2.log_density(full.thetas)), rtol=1e-10
    )
    # a minibatch of every point (in random order) is the full −log p, so the path is the same
    whole = train_sgd(x2, steps=30, restarts=2, loss="map", batch_size=x2.data.n, seed=2)
    np.testing.assert_allclose(whole.losses, full.losses, rtol=1e-9)
    np.testing.assert_allclose(whole.thetas, full.thetas, rtol=1e-7, atol=1e-10)


def test_init_is_used_and_checked(x2):
    init = np.tile(np.arange(x2.dim, dtype=float) / 10, (2, 1))
    res = train_sgd(x2, steps=1, restarts=2, init=init, learning_rate=1e-12)
    np.testing.assert_allclose(res.thetas, init, atol=1e-10)
    with pytest.raises(ValueError, match=r"init must have shape \(restarts, dim\) = \(3, 7\)"):
        train_sgd(x2, steps=1, restarts=3, init=init)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(optimizer="lbfgs"), "unknown optimizer 'lbfgs'"),
        (dict(loss="mae"), "unknown loss 'mae'"),
        (dict(learning_rate=0.0), "learning_rate must be > 0"),
        (dict(steps=0), "steps must be >= 1"),
        (dict(restarts=1.5), "restarts must be an integer"),
        (dict(batch_size=41), "batch_size=41 exceeds the 40 data points"),
    ],
)
def test_train_sgd_rejects_bad_settings(x2, kw, match):
    with pytest.raises(ValueError, match=match):
        train_sgd(x2, **kw)


def test_training_keeps_its_compiled_program_per_posterior_and_frees_it_with_it():
    import gc
    import weakref

    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2", n=20))
    a = train_sgd(post, steps=5, restarts=2, seed=3)
    b = train_sgd(post, steps=5, restarts=2, seed=3)  # the cached program: same result
    np.testing.assert_array_equal(a.thetas, b.thetas)
    alive = weakref.ref(post)
    del post
    gc.collect()
    assert alive() is None


# -- newton_many: the evidence census's refinement ----------------------------------------
def test_newton_many_reaches_the_exact_maximum_of_a_gaussian_posterior(linear_gaussian):
    """On a conjugate posterior log p is quadratic: the exact mean is the one maximum, and
    damped Newton from anywhere reaches it to float64 precision (a start at the mean stays)."""
    from bayes_uat.optimize import newton_many

    post, mean, _, _ = linear_gaussian
    starts = np.random.default_rng(0).normal(0.0, 5.0, size=(16, 2))
    starts[0] = mean
    theta, steps = newton_many(post, starts)
    theta, steps = np.asarray(theta), np.asarray(steps)
    np.testing.assert_allclose(theta, np.broadcast_to(mean, theta.shape), atol=1e-9)
    assert steps.shape == (16,) and steps[0] == 0 and np.all(steps[1:] >= 1) and np.all(steps < 200)


def test_newton_many_is_stationary_and_not_below_find_map(tanh3, maps):
    """From the same SGD starts, every Newton result that stopped before the step cap is
    stationary (|∇| ≤ STATIONARY_GRAD: it stops at |∇| < 1e-6 or where rounding leaves no
    ascent step) and never below its start; and its best maximum is at least find_map's best
    (each start climbs to some maximum; which one may differ from L-BFGS's)."""
    from bayes_uat.optimize import newton_many

    post, sgd = tanh3
    theta, steps = newton_many(post, sgd.thetas)
    theta = np.asarray(theta)
    lp, lp0 = np.asarray(post.log_density(theta)), np.asarray(post.log_density(sgd.thetas))
    assert np.all(lp >= lp0)
    done = np.asarray(steps) < 200
    assert done.sum() >= STARTS // 2
    grads = np.stack([np.asarray(post.value_and_grad(t)[1]) for t in theta[done]])
    assert np.all(np.linalg.norm(grads, axis=1) <= STATIONARY_GRAD)
    assert lp.max() >= maps.log_density.max() - 1e-9 * abs(maps.log_density.max())


# -- the structured Hessian newton_many uses ----------------------------------------------
_SIN = dict(n=40, x_range=(-3, 3), noise="gaussian", noise_scale=0.1, seed=1)


@pytest.mark.parametrize(
    "act, kw",
    [
        ("tanh", dict(likelihood="gaussian", prior_std=30.0)),
        ("sigmoid", dict(likelihood="gaussian", prior_std=3.0)),
        ("softplus", dict(likelihood="gaussian", noise_std=0.2)),
        ("tanh", dict(likelihood="mse")),
        (
            "sigmoid",
            dict(likelihood="gaussian", noise_param="precision", noise_prior="gamma(3, 1)"),
        ),
        ("tanh", dict(likelihood="gaussian", noise_param="variance", noise_prior="gamma(2, 2)")),
        ("tanh", dict(likelihood="gaussian", prior={"w1": "normal(0, 2)", "a": "laplace(0, 1)"})),
    ],
)
def test_structured_hessian_equals_autodiff(act, kw):
    """The Hessian assembled from a one-hidden-layer network's structure equals jax.hessian
    of log p at random points, for every noise parameterisation, a known σ, −MSE and
    per-group priors (rounding: relative 1e-11 of the largest entry in float64)."""
    import jax

    from bayes_uat.optimize import _structured_hessian
    from bayes_uat.posterior import log_density_at

    post = Posterior(MLP(3, act), make_dataset("sin", **_SIN), dtype="float64", **kw)
    H = jax.jit(_structured_hessian(post))
    H0 = jax.jit(jax.hessian(lambda t: log_density_at(post, t)))
    for seed in range(3):
        theta = np.random.default_rng(seed).normal(0.0, 1.5, size=post.dim)
        if post.infers_sigma:
            theta[-1] = np.log(0.3)
        a, b = np.asarray(H(theta)), np.asarray(H0(theta))
        assert a.shape == (post.dim, post.dim)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-11 * np.abs(b).max())


@pytest.mark.parametrize(
    "net, kw",
    [
        (MLP(3, "tanh"), dict(likelihood="student_t")),
        (MLP((3, 2), "tanh"), dict(likelihood="gaussian")),
        (MLP(3, "tanh", in_dim=2), dict(likelihood="gaussian")),
    ],
)
def test_structured_hessian_declines_other_posteriors(net, kw):
    """Other likelihoods, deeper networks and several inputs fall back to jax.hessian."""
    from bayes_uat.optimize import _structured_hessian

    data = make_dataset("sin", **_SIN)
    if net.in_dim == 2:
        x = np.stack([data.x, data.x**2], axis=1)
        data = type(data)(x=x, y=data.y)
    assert _structured_hessian(Posterior(net, data, **kw)) is None
