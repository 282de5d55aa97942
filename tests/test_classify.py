"""K-output networks and the categorical likelihood: layout, log-likelihood against scipy,
symmetries of a of shape (n, K), label checks, several inputs and the data sets."""

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import log_softmax, softmax

from bayes_uat import MLP, Dataset, Posterior, load_dataset, load_digits, make_dataset
from bayes_uat.priors import groups
from bayes_uat.symmetry import align, canonicalize, degenerate_units, group_size, transform
from bayes_uat.variables import join, split, variables
from tests.figure_checks import check_figure

SEEDS = st.integers(0, 2**32 - 1)
X1 = np.linspace(-3.0, 3.0, 25)
X2 = np.stack(np.meshgrid(np.linspace(-2, 2, 5), np.linspace(-2, 2, 5)), -1).reshape(-1, 2)


def three_class_data(n=30, seed=0, in_dim=2):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    x = rng.normal(size=(n, in_dim)) + 2.0 * np.eye(3, in_dim)[y]
    return Dataset(x=x if in_dim > 1 else x[:, 0], y=y.astype(float))


# -- layout -----------------------------------------------------------------------------------
def test_one_output_layout_is_unchanged():
    assert MLP(2, "tanh").names == MLP(2, "tanh", out_dim=1).names
    assert MLP(2, "tanh").names == ("w1", "b1", "a1", "w2", "b2", "a2", "c")


def test_k_output_layout_and_apply():
    net = MLP(2, "tanh", in_dim=2, out_dim=3)
    assert net.names == (
        "w1_1", "w1_2", "b1", "a1_1", "a1_2", "a1_3",
        "w2_1", "w2_2", "b2", "a2_1", "a2_2", "a2_3",
        "c1", "c2", "c3",
    )  # fmt: skip
    theta = np.arange(net.dim) / 10.0
    p = net.unflatten(theta)
    assert p["a"].shape == (2, 3) and p["c"].shape == (3,)
    np.testing.assert_array_equal(net.flatten(p), theta)
    # f_k(x) = c_k + Σᵢ a_ik tanh(wᵢ·x + bᵢ), written out
    W, b = np.array([[0.0, 0.1], [0.6, 0.7]]), np.array([0.2, 0.8])
    a, c = np.array([[0.3, 0.4, 0.5], [0.9, 1.0, 1.1]]), np.array([1.2, 1.3, 1.4])
    want = np.tanh(X2 @ W.T + b) @ a + c
    np.testing.assert_allclose(net.apply(theta, X2), want, rtol=1e-12)
    assert net.apply(np.stack([theta] * 4), X2).shape == (4, len(X2), 3)


@pytest.mark.parametrize(
    "net",
    [
        MLP(2, "tanh", out_dim=3),
        MLP((), "tanh", in_dim=2, out_dim=3),
        MLP((2, 3), "sigmoid", in_dim=2, out_dim=4, bias=(True, False, False)),
    ],
)
def test_variables_and_prior_groups_cover_theta(net):
    vs = variables(net)
    theta = np.arange(float(net.dim))
    np.testing.assert_array_equal(join(vs, split(vs, theta), net.dim), theta)
    idx = np.sort(np.concatenate(list(groups(net).values())))
    np.testing.assert_array_equal(idx, np.arange(net.dim))


def test_equation_prints_one_line_per_output():
    net = MLP(1, "tanh", out_dim=2)
    text = net.equation(np.array([1.0, 0.0, 2.0, -3.0, 0.5, 0.25]))
    assert text.splitlines() == [
        "f1 = 2.0·tanh(1.0x + 0.0) + 0.5",
        "f2 = −3.0·tanh(1.0x + 0.0) + 0.2",
    ]


# -- likelihood ---------------------------------------------------------------------------------
def test_categorical_log_likelihood_matches_scipy():
    data = three_class_data()
    net = MLP(3, "tanh", in_dim=2, out_dim=3)
    post = Posterior(net, data, likelihood="categorical", prior_std=2.0)
    thetas = np.random.default_rng(1).normal(size=(5, net.dim))
    f = np.asarray(net.apply(thetas, data.x))
    y = data.y.astype(int)
    want = log_softmax(f, axis=-1)[:, np.arange(data.n), y]
    np.testing.assert_allclose(post.pointwise_log_likelihood(thetas), want, rtol=1e-12)
    np.testing.assert_allclose(post.log_likelihood(thetas), want.sum(-1), rtol=1e-12)
    prior = -0.5 * (thetas / 2.0) ** 2 - np.log(2.0 * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(post.log_density(thetas), want.sum(-1) + prior.sum(-1), rtol=1e-12)
    p = softmax(f, axis=-1)
    np.testing.assert_allclose(post.probability(thetas), p, rtol=1e-12)
    brier = ((p - np.eye(3)[y]) ** 2).sum(-1).mean(-1)
    np.testing.assert_allclose(post.mse(thetas), brier, rtol=1e-12)


def test_two_class_categorical_equals_bernoulli_on_logit_difference():
    """softmax over (f0, f1) is sigmoid(f1 − f0): a linear 2-output model with w0 = c0 = 0
    has the bernoulli likelihood of the 1-output model (w1, c1)."""
    data = make_dataset_moons()
    cat = Posterior(MLP((), "tanh", in_dim=2, out_dim=2), data, likelihood="categorical")
    ber = Posterior(MLP((), "tanh", in_dim=2), data, likelihood="bernoulli")
    w = np.array([1.5, -0.7, 0.3])  # w1_1... for the bernoulli model: [w1, w2, c]
    theta_cat = np.array([0.0, w[0], 0.0, w[1], 0.0, w[2]])
    np.testing.assert_allclose(cat.log_likelihood(theta_cat), ber.log_likelihood(w), rtol=1e-12)


def make_dataset_moons():
    from bayes_uat import make_moons

    return make_moons(40, seed=3)


# -- labels ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "y, out_dim, match",
    [
        ([0, 1, 2.5, 1], 3, r"integer class labels 0 … 2.*y\[2\] = 2.5"),
        ([0, 1, 1, 0], 3, r"class\(es\) \[2\] have no point.*out_dim=2"),
        ([1, 1, 1, 1], 2, "one class only"),
        ([0, 1, 3, 1], 3, r"y\[2\] = 3 is outside 0 … 2.*out_dim=4"),
        ([0, -1, 1, 1], 2, r"y\[1\] = -1 is outside"),
    ],
)
def test_bad_labels_are_refused(y, out_dim, match):
    data = Dataset(x=np.linspace(0, 1, len(y)), y=np.asarray(y, float))
    with pytest.raises(ValueError, match=match):
        Posterior(MLP(1, "tanh", out_dim=out_dim), data, likelihood="categorical")


def test_output_count_must_fit_the_likelihood():
    data = three_class_data(in_dim=1)
    with pytest.raises(ValueError, match=r"one output per class.*out_dim=K"):
        Posterior(MLP(1, "tanh"), data, likelihood="categorical")
    with pytest.raises(ValueError, match="likelihood='categorical' for K-class"):
        Posterior(MLP(1, "tanh", out_dim=3), data, likelihood="gaussian")
    with pytest.raises(ValueError, match="out_dim must be a positive int"):
        MLP(1, "tanh", out_dim=0)
    with pytest.raises(ValueError, match="has no noise"):
        Posterior(MLP(1, "tanh", out_dim=3), data, likelihood="categorical", noise_std=1.0)


# -- symmetries with K outputs ---------------------------------------------------------------
NETS = [
    MLP(3, "tanh", out_dim=3),
    MLP(3, "sigmoid", out_dim=3),
    MLP(3, "relu", out_dim=2),
    MLP(3, "tanh", in_dim=2, out_dim=3),
    MLP(3, "sigmoid", in_dim=2, out_dim=3),
    MLP((2, 3), "tanh", in_dim=2, out_dim=3),
]


def _random_g(net, rng):
    sym = net.act.symmetry
    perm = [rng.permutation(n) for n in net.units]
    signs = [rng.choice([-1.0, 1.0], n) for n in net.units] if sym != "homogeneous" else None
    scales = [np.exp(rng.uniform(-1, 1, n)) for n in net.units] if sym == "homogeneous" else None
    if len(net.units) == 1:
        return dict(perm=perm[0], signs=signs and signs[0], scales=scales and scales[0])
    return dict(perm=perm, signs=signs, scales=scales)


def _same_function(net, t1, t2):
    x = X1 if net.in_dim == 1 else X2
    f1, f2 = np.asarray(net.apply(np.stack([t1, t2]), x))
    np.testing.assert_allclose(f1, f2, rtol=1e-9, atol=1e-9 * (1 + np.abs(f1).max()))


@pytest.mark.parametrize("net", NETS, ids=str)
@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_group_elements_keep_every_output(net, seed):
    rng = np.random.default_rng(seed)
    theta = 2.0 * rng.normal(size=net.dim)
    g = _random_g(net, rng)
    _same_function(net, theta, transform(net, theta, **g))


def test_transform_moves_rows_of_a_and_the_complement_shifts_c():
    net = MLP(2, "sigmoid", out_dim=2)
    # [w1, b1, a1_1, a1_2, w2, b2, a2_1, a2_2, c1, c2]
    theta = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 0.5, -0.5])
    out = transform(net, theta, [1, 0], signs=[1, -1])
    # new unit 0 = old unit 1; new unit 1 = −old unit 0, its row of a added to c
    np.testing.assert_array_equal(out, [5.0, 6.0, 7.0, 8.0, -1.0, -2.0, -3.0, -4.0, 3.5, 3.5])
    odd = transform(MLP(2, "tanh", out_dim=2), theta, [0, 1], signs=[-1, 1])
    np.testing.assert_array_equal(odd[:4], [-1.0, -2.0, -3.0, -4.0])
    np.testing.assert_array_equal(odd[4:], theta[4:])


@pytest.mark.parametrize("net", NETS[:3], ids=str)
@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_canonical_form_is_invariant_with_k_outputs(net, seed):
    rng = np.random.default_rng(seed)
    theta = 2.0 * rng.normal(size=net.dim)
    g_theta = transform(net, theta, **_random_g(net, rng))
    c1, c2 = canonicalize(net, theta), canonicalize(net, g_theta)
    np.testing.assert_allclose(c1, c2, rtol=1e-9, atol=1e-9)
    _same_function(net, theta, c1)
    np.testing.assert_allclose(canonicalize(net, c1), c1, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("net", [n for n in NETS if len(n.units) == 1], ids=str)
@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_align_recovers_the_reference_with_k_outputs(net, seed):
    rng = np.random.default_rng(seed)
    ref = 2.0 * rng.normal(size=net.dim)
    moved = transform(net, ref, **_random_g(net, rng))
    np.testing.assert_allclose(align(net, moved, ref), ref, rtol=1e-9, atol=1e-9)


SHIFT_NETS = [
    MLP(3, "tanh", in_dim=2, out_dim=3),
    MLP((2, 3), "sigmoid", in_dim=2, out_dim=3, bias=(True, True, False)),  # no c
]


@cache
def _shift_posterior(i: int) -> Posterior:
    return Posterior(SHIFT_NETS[i], three_class_data(), likelihood="categorical", prior_std=2.0)


@pytest.mark.parametrize("i", range(len(SHIFT_NETS)), ids=lambda i: str(SHIFT_NETS[i]))
@settings(max_examples=15, deadline=None)
@given(seed=SEEDS)
def test_softmax_shift_keeps_the_likelihood_and_only_the_prior_sees_it(i, seed):
    """One δ added to every output bias c_k and one d_j to every output weight a_jk of each
    last-layer unit j add the same δ + Σⱼ dⱼhⱼ(x) to all K logits: the categorical
    likelihood and the class probabilities are unchanged, and log p(θ | D) moves by exactly the
    N(0, s²) prior's change, −(‖θ'‖² − ‖θ‖²)/(2s²), which is not zero."""
    post, net = _shift_posterior(i), SHIFT_NETS[i]
    rng = np.random.default_rng(seed)
    theta = 2.0 * rng.normal(size=net.dim)
    p = net.unflatten(theta)
    p["a"] = p["a"] + rng.normal(scale=3.0, size=(p["a"].shape[0], 1))  # d_j, the same for all k
    p["c"] = p["c"] + rng.normal(scale=3.0)  # δ (dropped by flatten when there is no c)
    moved = np.asarray(net.flatten(p))
    assert not np.allclose(moved, theta)
    ll, ll_moved = (float(post.log_likelihood(t)) for t in (theta, moved))
    assert ll_moved == pytest.approx(ll, rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(post.probability(moved), post.probability(theta), atol=1e-12)
    d_prior = -(moved @ moved - theta @ theta) / (2 * 2.0**2)
    d_post = float(post.log_density(moved)) - float(post.log_density(theta))
    assert d_post == pytest.approx(d_prior, rel=1e-9, abs=1e-9) and abs(d_prior) > 1e-6


def test_group_size_and_degenerate_units_with_k_outputs():
    assert group_size(MLP(3, "tanh", out_dim=4)) == 48
    assert group_size(MLP(3, "sigmoid", out_dim=4, bias=(True, False))) == 6
    net = MLP(2, "tanh", out_dim=2)
    theta = np.array([1.0, 0.0, 0.0, 0.0, 2.0, 1.0, 0.0, 3.0, 0.0, 0.0])
    assert degenerate_units(net, theta).tolist() == [True, False]


# -- data -------------------------------------------------------------------------------------
def test_csv_with_an_integer_label_column(tmp_path):
    path = tmp_path / "labels.csv"
    data = three_class_data(12)
    rows = [f"{a},{b},{int(c)}" for (a, b), c in zip(data.x, data.y)]
    path.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    loaded = load_dataset(path, x_cols=["x1", "x2"], y_col="label")
    np.testing.assert_allclose(loaded.x, data.x)
    post = Posterior(MLP(1, "tanh", in_dim=2, out_dim=3), loaded, likelihood="categorical")
    assert np.isfinite(post.log_density(np.zeros(post.dim)))
    assert float(post.log_likelihood(np.zeros(post.dim))) == pytest.approx(-12 * np.log(3))


def test_bump2d_draws_a_grid_of_two_inputs():
    d = make_dataset("bump2d", n=49, noise="none")
    assert d.x.shape == (49, 2) and d.in_dim == 2
    np.testing.assert_allclose(d.y, np.exp(-(d.x**2).sum(1)), rtol=1e-6)
    assert sorted(set(d.x[:, 0].round(6))) == pytest.approx(np.linspace(-2, 2, 7))
    assert make_dataset("bump2d", n=30, spacing="random").x.shape == (30, 2)
    with pytest.raises(ValueError, match=r"n = 30 is not a square.*n=25 or n=36"):
        make_dataset("bump2d", n=30)
    grid = d.grid(10, extrapolate=2.0)
    assert grid.shape == (10, 2) and d.outside(grid).any() and not d.outside(d.x).any()


def test_load_digits_subset():
    d = load_digits(classes=(3, 1), n_components=5)
    assert d.x.shape == (365, 5)  # 183 threes and 182 ones
    assert np.bincount(d.y.astype(int)).tolist() == [183, 182]
    np.testing.assert_allclose(d.x.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(d.x.std(0), 1, rtol=1e-12)
    assert load_digits(classes=(0, 1), n_components=None).x.shape == (360, 64)
    with pytest.raises(ValueError, match="two or more distinct digits"):
        load_digits(classes=(1,))
    with pytest.raises(ValueError, match="at most 64"):
        load_digits(n_components=65)


# -- simulation-based calibration (slow) ------------------------------------------------------
@pytest.mark.slow
def test_sbc_softmax_regression_ranks_are_uniform():
    """Simulation-based calibration (Talts et al. 2018) of a two-class softmax regression
    (MLP((), out_dim=2), N(0, 1) prior, 20 points): θ* from the prior, labels from the model,
    NUTS on the categorical posterior; the rank of θ* among 99 thinned draws is uniform on
    0 … 99 when the density and the sampler are right.  Ranks are binned into 10 bins; with R
    replications the bin counts' χ² statistic is χ²(9) under uniformity, and the test fails
    below a p-value of 0.001 / dim (Bonferroni over the parameters).  Replications whose labels
    hold one class are dropped: a selection on the data alone keeps p(θ | D), so ranks stay
    uniform.  The density sampled is checked to equal Posterior.log_density up to a constant."""
    import blackjax
    import jax
    import jax.numpy as jnp
    from scipy.stats import chi2

    x = np.linspace(-2.0, 2.0, 20)
    net = MLP((), "tanh", out_dim=2)
    R, B = 256, 10

    def logdens(th, y):
        logp = jax.nn.log_softmax(net.apply(th, x), -1)
        return jnp.take_along_axis(logp, y[:, None], -1).sum() - 0.5 * jnp.sum(th**2)

    def one(key, y):
        ld = lambda th: logdens(th, y)  # noqa: E731
        k1, k2 = jax.random.split(key)
        warm = blackjax.window_adaptation(blackjax.nuts, ld)
        (state, params), _ = warm.run(k1, jnp.zeros(net.dim), num_steps=300)
        step = blackjax.nuts(ld, **params).step

        def body(s, k):
            s, _ = step(k, s)
            return s, s.position

        return jax.lax.scan(body, state, jax.random.split(k2, 400))[1]

    rng = np.random.default_rng(20261203)
    truth = rng.normal(size=(R, net.dim))
    p1 = np.asarray(jax.nn.softmax(net.apply(truth, x), -1))[..., 1]
    ys = (rng.uniform(size=(R, len(x))) < p1).astype(np.int32)
    keep = (ys.min(1) == 0) & (ys.max(1) == 1)
    truth, ys = truth[keep], ys[keep]
    post = Posterior(
        net, Dataset(x=x, y=ys[0].astype(float)), likelihood="categorical", prior_std=1.0
    )
    pts = rng.normal(size=(5, net.dim))
    diff = np.asarray(post.log_density(pts)) - np.array([logdens(t, ys[0]) for t in pts])
    np.testing.assert_allclose(diff, diff[0], rtol=0, atol=1e-10)

    keys = jax.random.split(jax.random.PRNGKey(7), len(ys))
    draws = np.asarray(jax.jit(jax.vmap(one))(keys, jnp.asarray(ys)))[:, 4::4]  # 99 draws
    ranks = (draws < truth[:, None, :]).sum(1)  # 0 … 99 per replication and parameter
    counts = np.stack([np.bincount(ranks[:, j] * B // 100, minlength=B) for j in range(net.dim)])
    expected = len(ys) / B
    stat = ((counts - expected) ** 2 / expected).sum(1)
    pvals = chi2.sf(stat, B - 1)
    assert pvals.min() > 1e-3 / net.dim, (counts, pvals)


# -- the command, end to end ------------------------------------------------------------------
@pytest.mark.slow
def test_cli_categorical_run_end_to_end(tmp_path, capsys):
    from bayes_uat import load_run
    from bayes_uat.cli import main

    data = three_class_data(30)
    path = tmp_path / "labels.csv"
    rows = [f"{a},{b},{int(c)}" for (a, b), c in zip(data.x, data.y)]
    path.write_text("x1,x2,label\n" + "\n".join(rows) + "\n")
    args = ["run", "--data", str(path), "--x-col", "x1,x2", "--y-col", "label"]
    args += ["--likelihood", "categorical", "--units", "1", "--activation", "tanh"]
    args += ["--sampler", "aies", "--chains", "20", "--warmup", "20", "--draws", "20"]
    args += ["--sgd-steps", "30", "--sgd-restarts", "2", "--prior-std", "3", "--quiet"]
    out = tmp_path / "run"
    assert main([*args, "--out", str(out), "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "f1 = " in printed and "f3 = " in printed  # one logit per class
    run = load_run(out)
    assert run.posterior.likelihood == "categorical" and run.posterior.net.out_dim == 3
    assert run.samples.theta.shape == (20, 20, 9)
    assert run.samples.names == run.posterior.names
    np.testing.assert_allclose(  # the record rebuilds the same density
        run.posterior.log_density(run.samples.theta[0]), run.samples.log_density[0], rtol=1e-10
    )
    # a label that is not a class is the user's mistake: one line, exit 2
    path.write_text("x1,x2,label\n0,0,0\n1,1,1.5\n2,2,2\n")
    assert main([*args, "--out", str(tmp_path / "bad"), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bayes-uat: error:") and "integer class labels" in err
    assert "Traceback" not in err


# -- figures ----------------------------------------------------------------------------------
def _fake_run(post, seed=0):
    """A run record from prior-scaled draws around SGD's weights (figures only read it)."""
    from bayes_uat import Run, Samples, train_sgd

    sgd = train_sgd(post, steps=200, restarts=2, learning_rate=0.05, seed=seed)
    rng = np.random.default_rng(seed)
    theta = sgd.best + 0.1 * rng.normal(size=(2, 30, post.dim))
    samples = Samples(
        theta=theta,
        log_density=np.asarray(post.log_density(theta)),
        sampler="nuts",
        names=post.names,
    )
    return Run(post, samples, sgd, config={}, summary={}, idata=None)


def test_classifier_figures_show_what_they_claim():
    from bayes_uat import make_moons, plots

    data = make_moons(40, seed=0)
    post = Posterior(MLP(2, "tanh", in_dim=2), data, likelihood="bernoulli", prior_std=3.0)
    run = _fake_run(post)
    fig = plots.decision_boundary(run, n_grid=20, max_draws=20)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["SGD", "posterior predictive", "posterior uncertainty"]
    labels = [ax.get_ylabel() for ax in fig.axes]
    assert "P(y = 1)" in labels and "95 % band width of P(y = 1)" in labels
    assert len(fig.axes[0].collections) >= 3  # filled contours, boundary, data
    # the model and the sampler in the title; a legend for the classes and the boundaries
    assert (
        fig.get_suptitle() == "moons: Bernoulli likelihood, 2 tanh units; NUTS, 2 chains × 30 draws"
    )
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "class 0 (data)",
        "class 1 (data)",
        "boundary, P(y = 1) = 0.5",
        "SGD's boundary (right panel)",
    ]
    assert all(t.get_fontname() == "STIXGeneral" for t in fig.legends[0].get_texts())
    check_figure(fig, axes=False)
    fig = plots.reliability(run, bins=5, max_draws=20)
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0] == "perfect calibration" and texts[1].startswith("SGD\nECE ")
    assert texts[2].startswith("posterior predictive\nECE ")
    # the counts of points per bin, SGD's and the posterior's, under the diagram
    counts = fig.axes[1]
    heights = [p.get_height() for p in counts.patches]
    assert sum(heights) == 2 * data.n and counts.get_yscale() == "log"
    assert fig.axes[0].get_title().startswith("moons: Bernoulli likelihood")
    check_figure(fig)
    with pytest.raises(ValueError, match="regression run"):
        plots.regression2d(run)


def test_regression2d_figure_and_categorical_boundary():
    from bayes_uat import plots

    bump = make_dataset("bump2d", n=49, seed=0)
    post = Posterior(MLP(2, "tanh", in_dim=2), bump, likelihood="gaussian", noise_std=0.1)
    fig = plots.regression2d(_fake_run(post), n_grid=15, max_draws=20)
    assert [ax.get_title() for ax in fig.axes[:3]] == [
        "posterior mean of f",
        "95 % band width",
        "SGD − posterior mean",
    ]
    assert fig.get_suptitle().startswith("regression on two inputs, bump2d: Gaussian likelihood")
    check_figure(fig, axes=False)
    post = Posterior(
        MLP(1, "tanh", in_dim=2, out_dim=3), three_class_data(), likelihood="categorical"
    )
    fig = plots.decision_boundary(_fake_run(post), n_grid=15, max_draws=20)
    assert "predictive entropy (nats)" in [ax.get_ylabel() for ax in fig.axes]
    assert [t.get_text() for t in fig.legends[0].get_texts()][-2] == "class boundaries"
    check_figure(fig, axes=False)


def test_laplace_corner_names_its_model():
    from bayes_uat import make_moons, plots

    post = Posterior(
        MLP(2, "tanh", in_dim=2), make_moons(40, seed=0), likelihood="bernoulli", prior_std=3.0
    )
    from bayes_uat.modes import find_modes, mode_laplace

    run = _fake_run(post)
    fit = mode_laplace(post, find_modes(post, run.samples), mode=0)
    fig = plots.laplace_corner(run, fit, max_params=4)
    (legend,) = [lg for lg in fig.legends if lg.get_texts()]
    title = legend.get_title().get_text()
    assert title.startswith("moons: Bernoulli likelihood, 2 tanh units\nNUTS, 2 chains × 30 draws")
    assert "of the draws" in title
    assert [t.get_text() for t in legend.get_texts()] == [
        "posterior draws of mode 0 (canonical)",
        "Laplace approximation at its MAP",
    ]
    check_figure(fig)
