"""The collapsed sampler (bayes_uat.samplers.collapsed): its likelihood is the integral of
the full joint over the output layer, its output-layer draws have the exact conditional's
moments, its function-space posterior agrees with plain NUTS, and it refuses what it does not
apply to before any work."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as nd
import pytest
from scipy.stats import multivariate_normal

import bayes_uat as bu
from bayes_uat.samplers import collapsed as C
from bayes_uat.wide import neal_posterior, neal_prior, sample_collapsed

from .helpers import ess_per_param


@pytest.fixture(scope="module")
def data():
    return bu.make_dataset("sin(2*x) + 0.3*x", n=12, x_range=[-2, 2], seed=1)


def _post(data, units=3, activation="tanh", **kw):
    return neal_posterior(data, units, activation, noise_std=0.3, **kw)


def _hidden(t, seed=0):
    return jnp.asarray(np.random.default_rng(seed).normal(size=len(t.layout.hidden)))


def _output_columns(t):
    return list(t.layout.output) + ([t.layout.bias] if t.layout.bias is not None else [])


def _full_joint_in_output(post, t, z):
    """log p(y | θ) + log p(a, c) as a function of the output layer u = (a, c)."""
    cols = np.asarray(_output_columns(t))
    ac = [g for g in post.group_priors if g.name in ("a", "c")]
    theta0 = C._full(t, z)

    def f(u):
        theta = theta0.at[cols].set(u)
        lik = jnp.sum(bu.posterior.pointwise_at(post, theta))
        return lik + sum(jnp.sum(g.dist.log_prob(theta[g.index])) for g in ac)

    return f, len(cols)


@pytest.mark.parametrize("units, form", [(3, "n"), (3, "m"), (20, "n"), (20, "m")])
def test_collapsed_likelihood_is_the_gaussian_identity_and_the_integral(data, units, form):
    """log p(y | W₁, b₁) in both factorisations equals log N(y; 0, ΦSΦᵀ + σ²I) computed
    densely, and log ∫ p(y | θ) p(a, c) d(a, c) of the full joint (a Gaussian integral, so
    its Laplace value at the mode is exact: log f(û) + m/2 log 2π − ½ log|−∇²f|)."""
    post = _post(data, units)
    t = C.make_target(post)
    t = t._replace(layout=t.layout._replace(form=form))
    z = _hidden(t)
    got = float(C.log_marginal(t, z))
    # the dense Gaussian identity from the network's own hidden units
    h = np.asarray(post.net.hidden(C._full(t, z), jnp.asarray(data.x)))
    phi = np.concatenate([h, np.ones((len(data.x), 1))], axis=1)
    S = np.diag(np.asarray(t.prior_var))
    cov = phi @ S @ phi.T + 0.3**2 * np.eye(len(data.x))
    dense = multivariate_normal(np.zeros(len(data.x)), cov).logpdf(np.asarray(data.y))
    assert got == pytest.approx(dense, abs=1e-9)
    # the integral of the full joint over (a, c)
    f, m = _full_joint_in_output(post, t, z)
    H = -np.asarray(jax.hessian(f)(jnp.zeros(m)))
    g = np.asarray(jax.grad(f)(jnp.zeros(m)))
    u_hat = np.linalg.solve(H, g)  # one Newton step: f is quadratic in u
    laplace = float(f(jnp.asarray(u_hat))) + 0.5 * m * math.log(2 * math.pi)
    laplace -= 0.5 * np.linalg.slogdet(H)[1]
    assert got == pytest.approx(laplace, abs=1e-8)


def test_collapsed_gradient_in_closed_form_matches_differentiation(data):
    """The n × n form's hand-written gradient (½(ααᵀ − C⁻¹) through Ψ) equals JAX's
    derivative of the m × m form, and a central difference, in every hidden parameter;
    its gradients in y and σ² equal the dense Gaussian's."""
    post = _post(data, 20)
    t = C.make_target(post)
    tn = t._replace(layout=t.layout._replace(form="n"))
    tm = t._replace(layout=t.layout._replace(form="m"))
    z = _hidden(t, 6)
    gn = np.asarray(jax.grad(lambda zz: C.log_marginal(tn, zz))(z))
    gm = np.asarray(jax.grad(lambda zz: C.log_marginal(tm, zz))(z))
    np.testing.assert_allclose(gn, gm, rtol=1e-8, atol=1e-9)
    e, h = np.eye(len(z)), 1e-6
    fd = [
        (float(C.log_marginal(tn, z + h * e[i])) - float(C.log_marginal(tn, z - h * e[i])))
        / (2 * h)
        for i in range(0, len(z), 7)
    ]
    np.testing.assert_allclose(gn[::7], fd, rtol=1e-5, atol=1e-6)
    psi, y = C.features(t, z), C._y(t)

    def dense(psi, y, s2):
        cov = psi @ psi.T + s2 * jnp.eye(len(y))
        L = jnp.linalg.cholesky(cov)
        a = jax.scipy.linalg.solve_triangular(L, y, lower=True)
        return -0.5 * a @ a - jnp.sum(jnp.log(jnp.diag(L))) - 0.5 * len(y) * math.log(2 * math.pi)

    for got, want in zip(
        jax.grad(C._gauss_n, argnums=(0, 1, 2))(psi, y, t.noise_var),
        jax.grad(dense, argnums=(0, 1, 2))(psi, y, t.noise_var),
    ):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8, atol=1e-10)


def test_collapsed_likelihood_equals_a_quadrature_of_the_joint(data):
    """One unit: (a, c) is 2-D, and a dense grid sums the joint's integral directly."""
    post = _post(data, 1)
    t = C.make_target(post)
    z = _hidden(t, 2)
    f, m = _full_joint_in_output(post, t, z)
    mean, cov = (np.asarray(v) for v in C.conditional(t, z))
    sd = np.sqrt(np.diag(cov))
    axes = [np.linspace(mu - 9 * s, mu + 9 * s, 801) for mu, s in zip(mean, sd)]
    A, Cc = np.meshgrid(*axes, indexing="ij")
    vals = jax.vmap(f)(jnp.stack([A.ravel(), Cc.ravel()], axis=1))
    vals = np.asarray(vals).reshape(A.shape)
    top = vals.max()
    integral = top + math.log(np.trapezoid(np.trapezoid(np.exp(vals - top), axes[1]), axes[0]))
    assert float(C.log_marginal(t, z)) == pytest.approx(integral, abs=1e-6)


@pytest.mark.parametrize("form", ["n", "m"])
def test_output_draws_have_the_exact_conditional_moments(data, form):
    """20 000 draws of (a, c) given W₁, b₁: mean within 4 standard errors of the closed form
    (whose precision is the joint's Hessian in (a, c)), each covariance entry within 4
    standard errors of its estimate, Var(Ŝᵢⱼ) = (ΣᵢᵢΣⱼⱼ + Σᵢⱼ²)/K."""
    post = _post(data, 3)
    t = C.make_target(post)
    t = t._replace(layout=t.layout._replace(form=form))
    z = _hidden(t, 4)
    mean, cov = (np.asarray(v) for v in C.conditional(t, z))
    f, m = _full_joint_in_output(post, t, z)
    H = -np.asarray(jax.hessian(f)(jnp.zeros(m)))
    np.testing.assert_allclose(np.linalg.inv(H), cov, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(
        np.linalg.solve(H, np.asarray(jax.grad(f)(jnp.zeros(m)))), mean, rtol=1e-8, atol=1e-12
    )
    K = 20_000
    keys = jax.random.split(jax.random.key(5), K)
    u = np.asarray(jax.vmap(lambda k: C.draw_output(t, z, k))(keys))
    se = np.sqrt(np.diag(cov) / K)
    assert np.all(np.abs(u.mean(0) - mean) < 4 * se), (u.mean(0), mean, se)
    d = np.sqrt(np.diag(cov))
    se_cov = np.sqrt((np.outer(d**2, d**2) + cov**2) / K)
    assert np.all(np.abs(np.cov(u.T) - cov) < 4 * se_cov)


@pytest.mark.slow  # two NUTS runs
def test_collapsed_samples_agree_with_plain_nuts_in_function_space(data):
    """Posterior mean and standard deviation of f at five x, collapsed vs plain NUTS on the
    full θ: the means within 4 combined standard errors (from each run's ESS), the sds
    within 4 combined relative errors 1/√(2 ESS)."""
    post = _post(data, 3)
    xs = jnp.linspace(-1.8, 1.8, 5)
    runs = []
    for draw in (
        lambda: sample_collapsed(post, chains=2, warmup=300, draws=1000, seed=1),
        lambda: bu.sample(post, "nuts", chains=2, warmup=300, draws=1000, seed=1, progress=False),
    ):
        s = draw()
        assert s.theta.shape == (2, 1000, post.dim) and s.names == post.names
        f = np.asarray(post.predict(s.theta, xs))  # (chains, draws, 5)
        ess = np.maximum(ess_per_param(f), 20.0)
        runs.append((f.reshape(-1, 5).mean(0), f.reshape(-1, 5).std(0), ess))
    (m1, s1, e1), (m2, s2, e2) = runs
    se = np.sqrt(s1**2 / e1 + s2**2 / e2)
    assert np.all(np.abs(m1 - m2) < 4 * se), (m1, m2, se)
    rel = np.sqrt(1 / (2 * e1) + 1 / (2 * e2))
    assert np.all(np.abs(np.log(s1 / s2)) < 4 * rel), (s1, s2, rel)


def test_collapsed_samples_are_a_run_of_the_full_posterior(data):
    """θ in the posterior's layout, log_density its full log p(θ | D), NUTS's statistics
    and the collapsed likelihood per draw; one chain and given start points work."""
    post = _post(data, 2, activation="relu")
    start = np.asarray(post.prior_sample(jax.random.key(0), (1,)))
    s = sample_collapsed(post, chains=1, warmup=50, draws=30, seed=3, init=start)
    assert s.theta.shape == (1, 30, post.dim) and s.sampler == "nuts"
    np.testing.assert_allclose(s.log_density, np.asarray(post.log_density(s.theta)))
    for k in ("tree_depth", "step_size", "diverging", "num_steps", "log_marginal"):
        assert s.stats[k].shape == (1, 30)
    assert s.settings["collapsed"] is True and s.settings["init"] == "given"
    t = C.make_target(post)
    z = s.theta[0, 0, np.asarray(t.layout.hidden)]
    assert s.stats["log_marginal"][0, 0] == pytest.approx(float(C.log_marginal(t, z)))
    again = sample_collapsed(post, chains=1, warmup=50, draws=30, seed=3, init=start)
    np.testing.assert_array_equal(again.theta, s.theta)


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda d: bu.Posterior(bu.MLP((3, 2), "tanh"), d, likelihood="gaussian", noise_std=0.3),
         "one hidden"),
        (lambda d: bu.Posterior(bu.MLP(3, "tanh"), d, likelihood="gaussian"), "σ inferred"),
        (lambda d: bu.Posterior(bu.MLP(3, "tanh"), d, likelihood="student_t", noise_std=0.3),
         "Gaussian noise"),
        (lambda d: bu.Posterior(bu.MLP(3, "tanh"), d, likelihood="gaussian", noise_std=0.3,
                                prior={"a": "laplace(0, 1)"}), "give it normal"),
        (lambda d: bu.Posterior(bu.MLP(3, "tanh"), d, likelihood="gaussian", noise_std=0.3,
                                prior={"c": nd.Normal(1.0, 1.0)}), "centre it at 0"),
        (lambda d: bu.Posterior(bu.MLP(3, "tanh"), d, likelihood="gaussian", noise_std=0.3,
                                dtype="float32"), "float64"),
        (lambda d: bu.Posterior(bu.MLP(3, "step"), d, likelihood="gaussian", noise_std=0.3),
         "gradients"),
        (lambda d: "not a posterior", "Posterior"),
    ],
)  # fmt: skip
def test_refusals_name_the_fix(data, build, words):
    with pytest.raises(ValueError, match=words):
        sample_collapsed(build(data), chains=1, warmup=1, draws=1)


def test_bad_settings_are_refused(data):
    post = _post(data, 2)
    with pytest.raises(ValueError, match="shape"):
        sample_collapsed(post, chains=2, init=np.zeros((3, post.dim)))
    with pytest.raises(ValueError, match="init"):
        sample_collapsed(post, chains=2, init="sgd")
    with pytest.raises(ValueError, match="target_accept"):
        sample_collapsed(post, chains=2, target_accept=1.5)
    with pytest.raises(ValueError, match="draws"):
        sample_collapsed(post, draws=0)


def test_the_mse_likelihood_and_no_biases_collapse(data):
    """The blog's likelihood (σ² = n/2) is Gaussian of known σ; without an output bias the
    features have no column of ones."""
    net = bu.MLP(2, "tanh", bias=False)
    post = bu.Posterior(net, data, prior=neal_prior(net))
    t = C.make_target(post)
    assert t.layout.bias is None and float(t.noise_var) == pytest.approx(len(data.x) / 2)
    z = _hidden(t)
    f, m = _full_joint_in_output(post, t, z)
    H = -np.asarray(jax.hessian(f)(jnp.zeros(m)))
    u_hat = np.linalg.solve(H, np.asarray(jax.grad(f)(jnp.zeros(m))))
    laplace = float(f(jnp.asarray(u_hat))) + 0.5 * m * math.log(2 * math.pi)
    laplace -= 0.5 * np.linalg.slogdet(H)[1]
    assert float(C.log_marginal(t, z)) == pytest.approx(laplace, abs=1e-8)
