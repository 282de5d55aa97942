"""Models users bring: priors per group, bias-free layers, noise priors, Student-t noise."""

import importlib.util
import math
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as nd
import pytest
from numpyro.infer.util import potential_energy
from scipy import stats

import bayes_uat as bu
from bayes_uat.priors import group_priors, groups, parse_prior, to_spec
from bayes_uat.symmetry import align, canonicalize, group_size, transform


# -- numpyro's examples/bnn.py, written in bayes_uat ----------------------------------------
def _bnn_data():
    """numpyro's examples/bnn.py data, as scripts/numpyro_bnn.py generates them (50 points)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / "numpyro_bnn.py"
    spec = importlib.util.spec_from_file_location("numpyro_bnn", path)
    mod = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))  # the script imports its start-up helper
    try:
        spec.loader.exec_module(mod)
    finally:
        sys.path.remove(str(path.parent))
    X, Y, _ = mod.get_data(N=50)
    return X, Y[:, None]


def _bnn_model(X, Y, D_H, D_Y=1):
    """numpyro's examples/bnn.py model, verbatim (tanh nonlinearity)."""
    N, D_X = X.shape
    w1 = numpyro.sample("w1", nd.Normal(jnp.zeros((D_X, D_H)), jnp.ones((D_X, D_H))))
    z1 = jnp.tanh(jnp.matmul(X, w1))
    w2 = numpyro.sample("w2", nd.Normal(jnp.zeros((D_H, D_H)), jnp.ones((D_H, D_H))))
    z2 = jnp.tanh(jnp.matmul(z1, w2))
    w3 = numpyro.sample("w3", nd.Normal(jnp.zeros((D_H, D_Y)), jnp.ones((D_H, D_Y))))
    z3 = jnp.matmul(z2, w3)
    prec_obs = numpyro.sample("prec_obs", nd.Gamma(3.0, 1.0))
    sigma_obs = 1.0 / jnp.sqrt(prec_obs)
    with numpyro.plate("data", N):
        numpyro.sample("Y", nd.Normal(z3, sigma_obs).to_event(1), obs=Y)


def _bnn_posterior(X, Y):
    net = bu.MLP((5, 5), "tanh", in_dim=3, bias=False)
    return bu.Posterior(
        net,
        bu.Dataset(x=X, y=Y[:, 0]),
        prior=nd.Normal(0.0, 1.0),
        likelihood="gaussian",
        noise_param="precision",
        noise_prior=nd.Gamma(3.0, 1.0),
    )


def _to_numpyro(post, theta):
    p = post.net.unflatten(theta[: post.net.dim])
    return dict(w1=p["W"][0].T, w2=p["W"][1].T, w3=p["a"][:, None], prec_obs=theta[post.net.dim])


def test_numpyro_bnn_example_log_density_matches_numpyro_up_to_a_constant():
    X, Y = _bnn_data()
    post = _bnn_posterior(X, Y)
    assert post.dim == 3 * 5 + 5 * 5 + 5 + 1
    assert post.names[-1] == "log_precision"
    rng = np.random.default_rng(3)
    thetas = rng.normal(size=(6, post.dim))
    ours = np.asarray(post.log_density(thetas))
    # numpyro's potential energy takes unconstrained values: log(prec_obs) is θ's last entry
    theirs = np.array(
        [
            -float(potential_energy(_bnn_model, (X, Y, 5), {}, _to_numpyro(post, jnp.asarray(t))))
            for t in thetas
        ]
    )
    diff = ours - theirs
    np.testing.assert_allclose(diff, diff[0], rtol=0, atol=1e-10 * np.abs(ours).max())
    # and the constant is zero: both are normalised densities over the same variables
    assert abs(diff[0]) < 1e-8 * abs(ours[0])


# -- priors per group -----------------------------------------------------------------------
def test_groups_of_a_two_layer_net_cover_theta_once():
    net = bu.MLP((3, 2), "tanh", in_dim=2)
    gs = groups(net)
    assert list(gs) == ["w1", "b1", "w2", "b2", "a", "c"]
    allidx = np.sort(np.concatenate(list(gs.values())))
    np.testing.assert_array_equal(allidx, np.arange(net.dim))
    assert [len(gs[g]) for g in gs] == [6, 3, 6, 2, 2, 1]


def test_group_prior_log_density_is_the_sum_of_scipy_densities():
    data = bu.make_dataset("x2", n=30)
    prior = {"w1": "laplace(0, 2)", "b1": nd.StudentT(3.0, 0.0, 1.5), "a": 4.0}
    post = bu.Posterior(bu.MLP(2, "tanh"), data, prior=prior, prior_std=7.0)
    theta = np.random.default_rng(0).normal(size=post.dim) * 3
    expect = (
        stats.laplace.logpdf(theta[[0, 3]], 0, 2).sum()
        + stats.t.logpdf(theta[[1, 4]], 3, 0, 1.5).sum()
        + stats.norm.logpdf(theta[[2, 5]], 0, 4).sum()
        + stats.norm.logpdf(theta[6], 0, 7)
    )
    assert float(post.log_prior(theta)) == pytest.approx(expect, rel=1e-12)
    assert post.config()["prior"] == {
        "w1": "laplace(0, 2)",
        "b1": "student_t(3, 0, 1.5)",
        "a": "normal(0, 4)",
        "c": "normal(0, 7)",
    }


def test_prior_sample_follows_each_group_prior_within_monte_carlo_error():
    data = bu.make_dataset("x2", n=10)
    post = bu.Posterior(bu.MLP(3, "tanh"), data, prior={"a": "laplace(0, 2)", "c": 0.5})
    n = 20000
    th = np.asarray(post.prior_sample(jax.random.key(0), (n,)))
    a, c, w = th[:, [2, 5, 8]].ravel(), th[:, 9], th[:, 0]
    # variance of the sample variance ≈ (μ4 − σ⁴)/n; Laplace(0, 2): σ² = 8, μ4 = 6·2⁴·4 = 384
    assert np.var(a) == pytest.approx(8.0, abs=4 * math.sqrt((384 - 64) / a.size))
    assert np.var(c) == pytest.approx(0.25, abs=4 * math.sqrt(2 * 0.25**2 / n))
    assert np.var(w) == pytest.approx(900.0, abs=4 * math.sqrt(2 * 900.0**2 / n))


@pytest.mark.parametrize(
    "spec, fix",
    [
        ("__import__('os').system('true')", "must be one call"),
        ("normal(0, -1)", "scale must be positive"),
        ("wishart(1, 2)", "unknown prior family"),
        ("normal(0)", "takes 2 number"),
        ("normal(loc=0, scale=1)", "positional numbers only"),
        ("normal(0, x)", "plain numbers"),
        ("", "non-empty"),
    ],
)
def test_bad_prior_specs_are_clear_errors(spec, fix):
    with pytest.raises(ValueError, match=fix.replace("(", r"\(")):
        parse_prior(spec)


def test_bad_prior_arguments_are_clear_errors():
    data = bu.make_dataset("x2", n=10)
    net = bu.MLP(2, "tanh")
    with pytest.raises(ValueError, match="unknown prior group"):
        bu.Posterior(net, data, prior={"w3": 1.0})
    with pytest.raises(ValueError, match="real support"):
        bu.Posterior(net, data, prior={"a": nd.Gamma(2.0, 1.0)})
    with pytest.raises(ValueError, match="positive number"):
        bu.Posterior(net, data, prior={"a": -2.0})
    with pytest.raises(ValueError, match="scalar distribution"):
        bu.Posterior(net, data, prior=nd.Normal(jnp.zeros(3), 1.0))
    with pytest.raises(ValueError, match="needs noise_prior"):
        bu.Posterior(net, data, likelihood="gaussian", noise_param="precision")
    with pytest.raises(ValueError, match="positive support"):
        bu.Posterior(net, data, likelihood="gaussian", noise_prior=nd.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match="unknown noise_param"):
        bu.Posterior(net, data, likelihood="gaussian", noise_param="std")
    with pytest.raises(ValueError, match="when σ is inferred"):
        bu.Posterior(net, data, likelihood="mse", noise_prior="gamma(3, 1)")


def test_spec_round_trip():
    for s in ("normal(0, 1)", "student_t(3, 0, 2.5)", "laplace(-1, 0.5)", "cauchy(0, 1)"):
        assert to_spec(parse_prior(s)) == s
    for s in ("gamma(3, 1)", "half_normal(2)", "inverse_gamma(2, 3)"):
        assert to_spec(parse_prior(s, support="positive")) == s


def test_symmetry_notes_say_which_prior_breaks_which_flip():
    data = bu.make_dataset("x2", n=10)
    assert bu.Posterior(bu.MLP(2, "tanh"), data).symmetry_notes() == []
    notes = bu.Posterior(bu.MLP(2, "tanh"), data, prior={"b1": "normal(1, 1)"}).symmetry_notes()
    assert len(notes) == 1 and "b1" in notes[0] and "sign flips" in notes[0]
    sig = bu.Posterior(bu.MLP(2, "sigmoid"), data).symmetry_notes()
    assert len(sig) == 1 and "complement" in sig[0]
    relu = bu.Posterior(bu.MLP(2, "relu"), data, prior={"b1": "normal(1, 1)"}).symmetry_notes()
    assert relu == []  # relu has no sign flips to break


# -- noise: precision, variance, Student-t ------------------------------------------------
@pytest.mark.parametrize(
    "param, to_q",
    [("precision", lambda s: s**-2), ("variance", lambda s: s**2), ("scale", lambda s: s)],
)
def test_noise_parameterisations_give_the_density_of_their_quantity(param, to_q):
    data = bu.make_dataset("x2", n=25)
    prior_q = "gamma(3, 2)"
    post = bu.Posterior(
        bu.MLP(1, "tanh"), data, likelihood="gaussian", noise_param=param, noise_prior=prior_q
    )
    theta = np.random.default_rng(1).normal(size=post.dim)
    sigma = float(post.sigma(theta))
    u = theta[-1]
    assert to_q(sigma) == pytest.approx(math.exp(u), rel=1e-12)
    f = np.asarray(post.predict(theta))
    expect_lik = stats.norm.logpdf(data.y, f, sigma).sum()
    expect_prior = (
        stats.norm.logpdf(theta[:-1], 0, 30).sum()
        + stats.gamma.logpdf(math.exp(u), 3, scale=0.5)
        + u
    )
    assert float(post.log_likelihood(theta)) == pytest.approx(expect_lik, rel=1e-12)
    assert float(post.log_prior(theta)) == pytest.approx(expect_prior, rel=1e-12)


def test_student_t_likelihood_matches_scipy():
    data = bu.make_dataset("x2", n=25)
    post = bu.Posterior(bu.MLP(1, "tanh"), data, likelihood="student_t", df=3.0, noise_std=0.7)
    theta = np.random.default_rng(2).normal(size=post.dim)
    f = np.asarray(post.predict(theta))
    expect = stats.t.logpdf(data.y, 3.0, f, 0.7)
    np.testing.assert_allclose(np.asarray(post.pointwise_log_likelihood(theta)), expect, rtol=1e-12)
    assert bu.Posterior(bu.MLP(1, "tanh"), data, likelihood="student_t").df == 4.0
    with pytest.raises(ValueError, match="df applies"):
        bu.Posterior(bu.MLP(1, "tanh"), data, likelihood="gaussian", df=3.0)


# -- bias-free layers ----------------------------------------------------------------------
def test_bias_free_network_layout_and_function():
    net = bu.MLP(2, "tanh", bias=False)
    assert net.names == ("w1", "a1", "w2", "a2") and net.dim == 4
    theta = np.array([0.5, 2.0, -1.5, 3.0])
    x = np.linspace(-2, 2, 7)
    expect = 2.0 * np.tanh(0.5 * x) + 3.0 * np.tanh(-1.5 * x)
    np.testing.assert_allclose(np.asarray(net.apply(theta, x)), expect, rtol=1e-12)
    assert net.equation(theta) == "2.0·tanh(0.5x) + 3.0·tanh(−1.5x)"
    mixed = bu.MLP(2, "sigmoid", bias=(False, True))
    assert mixed.names == ("w1", "a1", "w2", "a2", "c")
    with pytest.raises(ValueError, match="tuple of 2 booleans"):
        bu.MLP(2, "tanh", bias=(True, True, False))


def test_symmetries_of_bias_free_networks():
    # odd units keep their flips; sigmoid units lose the complement flip without an output bias
    assert group_size(bu.MLP(3, "tanh", bias=False)) == 6 * 8
    assert group_size(bu.MLP(3, "sigmoid", bias=False)) == 6
    assert group_size(bu.MLP(3, "sigmoid", bias=(False, True))) == 6 * 8
    net = bu.MLP(3, "tanh", bias=False)
    rng = np.random.default_rng(4)
    theta = rng.normal(size=net.dim)
    moved = transform(net, theta, perm=np.array([2, 0, 1]), signs=np.array([1.0, -1.0, -1.0]))
    x = np.linspace(-3, 3, 11)
    np.testing.assert_allclose(np.asarray(net.apply(moved, x)), np.asarray(net.apply(theta, x)))
    np.testing.assert_allclose(align(net, moved, theta), theta, atol=1e-12)
    with pytest.raises(ValueError, match="need a bias to absorb"):
        transform(bu.MLP(2, "sigmoid", bias=False), np.ones(4), perm=None, signs=[1.0, -1.0])
    # canonical form of bias-free units: flipped so w > 0, sorted by w; invariant, idempotent
    can = canonicalize(net, theta)
    np.testing.assert_allclose(canonicalize(net, moved), can, atol=1e-12)
    np.testing.assert_allclose(canonicalize(net, can), can)
    np.testing.assert_allclose(np.asarray(net.apply(can, x)), np.asarray(net.apply(theta, x)))
    w = can[[0, 2, 4]]
    assert (w > 0).all() and (np.diff(w) > 0).all()
    # sigmoid units without an output bias: permutations only
    sig = bu.MLP(2, "sigmoid", bias=False)
    th = np.array([-1.0, 2.0, 0.5, 3.0])
    np.testing.assert_allclose(canonicalize(sig, th), th)


def test_group_priors_of_bias_free_net_have_no_bias_groups():
    net = bu.MLP((5, 5), "tanh", in_dim=3, bias=False)
    assert [g.name for g in group_priors(net, None, 1.0)] == ["w1", "w2", "a"]


# -- the command and TOML ------------------------------------------------------------------
def test_cli_run_with_group_priors_bias_free_and_student_t(tmp_path, capsys):
    from bayes_uat import load_run
    from bayes_uat.cli import main

    out = tmp_path / "run"
    argv = ["run", "--target", "x2", "--n", "40", "--units", "2", "--activation", "tanh"]
    argv += ["--likelihood", "student_t", "--df", "5", "--noise-param", "precision"]
    argv += ["--noise-prior", "gamma(3, 1)", "--prior", "a=laplace(0, 2)", "--prior", "w1=2.0"]
    argv += ["--bias", "false,true", "--sampler", "aies", "--chains", "16", "--warmup", "20"]
    argv += ["--draws", "20", "--sgd-steps", "30", "--sgd-restarts", "2", "--quiet"]
    assert main([*argv, "--out", str(out), "--no-figures"]) == 0
    run = load_run(out)
    post = run.posterior
    assert post.net.names == ("w1", "a1", "w2", "a2", "c")
    assert post.names[-1] == "log_precision" and post.df == 5.0
    assert post.config()["prior"] == {
        "w1": "normal(0, 2)",
        "a": "laplace(0, 2)",
        "c": "normal(0, 30)",
    }
    assert post.config()["noise_prior"] == "gamma(3, 1)"
    theta = run.samples.theta[0, -1]
    rebuilt = bu.Posterior(
        bu.MLP(2, "tanh", bias=(False, True)),
        post.data,
        prior={"w1": 2.0, "a": "laplace(0, 2)"},
        likelihood="student_t",
        df=5.0,
        noise_param="precision",
        noise_prior="gamma(3, 1)",
    )
    assert float(post.log_density(theta)) == pytest.approx(
        float(rebuilt.log_density(theta)), rel=1e-12
    )


def test_toml_prior_table_and_bad_prior_on_the_command_line(tmp_path, capsys):
    from bayes_uat.cli import main
    from bayes_uat.config import RunConfig

    cfg = tmp_path / "run.toml"
    cfg.write_text('units = 2\nactivation = "tanh"\n[prior]\nw1 = "normal(0, 1)"\na = 2.5\n')
    rc = RunConfig.from_toml(cfg)
    assert rc.prior == {"w1": "normal(0, 1)", "a": 2.5}
    out = tmp_path / "bad"
    assert main(["run", "--prior", "w9=normal(0, 1)", "--out", str(out), "--quiet"]) == 2
    assert "unknown prior group" in capsys.readouterr().err
    assert main(["run", "--prior", "w1", "--out", str(out), "--quiet"]) == 2
    assert "GROUP=SPEC" in capsys.readouterr().err


# -- binary classification -----------------------------------------------------------------
def test_bernoulli_likelihood_is_the_log_of_sigmoid_probabilities():
    data = bu.make_moons(60, noise=0.1, seed=2)
    post = bu.Posterior(bu.MLP(3, "tanh", in_dim=2), data, likelihood="bernoulli", prior_std=2.0)
    theta = np.random.default_rng(5).normal(size=post.dim)
    p = np.asarray(post.probability(theta))
    expect = stats.bernoulli.logpmf(data.y, p)
    np.testing.assert_allclose(np.asarray(post.pointwise_log_likelihood(theta)), expect, rtol=1e-10)
    assert post.dim == post.net.dim  # no noise parameter
    # a well-separated direction: large logits on the right side give log-likelihood → 0
    assert float(post.log_likelihood(theta)) < 0


def test_bernoulli_bad_labels_are_clear_errors():
    net = bu.MLP(2, "tanh")
    x = np.linspace(-1, 1, 6)
    with pytest.raises(ValueError, match=r"labels 0 or 1, got y\[2\] = 2.0"):
        bu.Posterior(net, bu.Dataset(x=x, y=[0, 1, 2, 0, 1, 0]), likelihood="bernoulli")
    with pytest.raises(ValueError, match="one class only"):
        bu.Posterior(net, bu.Dataset(x=x, y=np.ones(6)), likelihood="bernoulli")
    with pytest.raises(ValueError, match="no noise"):
        bu.Posterior(net, bu.Dataset(x=x, y=[0, 1] * 3), likelihood="bernoulli", noise_std=1.0)


@pytest.mark.slow
def test_bernoulli_posterior_of_a_logistic_regression_matches_quadrature():
    """A linear model (units=()) with one input under the bernoulli likelihood is logistic
    regression; its 2-D posterior is integrated on a grid and compared with NUTS within Monte
    Carlo error."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    y = (rng.uniform(size=40) < 1 / (1 + np.exp(-(1.5 * x - 0.5)))).astype(float)
    post = bu.Posterior(
        bu.MLP((), "tanh"), bu.Dataset(x=x, y=y), likelihood="bernoulli", prior_std=2.0
    )
    w, c = np.meshgrid(np.linspace(-3, 6, 301), np.linspace(-4, 3, 281), indexing="ij")
    lp = np.asarray(post.log_density(np.stack([w, c], -1)))
    p = np.exp(lp - lp.max())
    p /= p.sum()
    mean = np.array([(p * w).sum(), (p * c).sum()])
    sd = np.sqrt(np.array([(p * w**2).sum(), (p * c**2).sum()]) - mean**2)
    s = bu.sample(
        post, "nuts", chains=4, warmup=500, draws=2000, seed=1, init="prior", progress=False
    )
    from bayes_uat.records import arviz

    ess = np.array([float(arviz().ess(s.theta[..., j], method="mean")) for j in range(2)])
    got = s.theta.reshape(-1, 2).mean(0)
    np.testing.assert_array_less(np.abs(got - mean), 4 * sd / np.sqrt(ess))
