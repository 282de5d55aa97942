"""The evidence from SGD modes (bayes_uat.evidence): the folded density against the whole
symmetry group, the estimator against exact normalising constants (linear-Gaussian, a
planted 4-component mixture with one component no local move reaches), against tempered
SMC from the prior on the blog posterior, and on the ``sin`` model of docs/studies.md §3;
resume; bad input.

Every Monte Carlo error comes from the spread across independent runs; with R runs the
standardised error of a run mean follows Student's t with R − 1 degrees of freedom, so
thresholds are t quantiles at a two-sided 1e-3 level.
"""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import bayes_uat as bu
from bayes_uat import MLP, Posterior, make_dataset
from bayes_uat.evidence import chao1
from bayes_uat.evidence import network as nw
from bayes_uat.evidence.core import Target, make_reference, run_core, sample_qbar
from bayes_uat.symmetry import canonicalize, transform


def t_crit(runs: int, level: float = 1e-3) -> float:
    return float(stats.t.ppf(1 - level / 2, runs - 1))


def small(units=2, act="tanh", n=30):
    return Posterior(
        MLP(units, act), make_dataset("sin", n=n, seed=0), likelihood="gaussian", prior_std=3.0
    )


# -- the folded density and the canonical domain ----------------------------------------------
@pytest.mark.parametrize("act, units", [("tanh", 2), ("tanh", 3), ("sigmoid", 2), ("sigmoid", 3)])
def test_folded_density_is_the_sum_over_the_whole_group(act, units):
    """log p̃_C(canon θ) = log Σ_g p̃(g·θ), the group enumerated (N!·2^N elements)."""
    post = small(units, act)
    lay = nw.Layout(post)
    fold = nw.folded_log_density(post, lay)
    theta = np.asarray(post.prior_sample(jax.random.PRNGKey(1), (5,)))
    perms = list(itertools.permutations(range(units)))
    signs = list(itertools.product([-1.0, 1.0], repeat=units))
    assert len(perms) * len(signs) == lay.group_size
    for th in theta:
        copies = np.stack([transform(post.net, th, p, s) for p in perms for s in signs])
        exact = logsumexp(np.asarray(post.log_density(copies)))
        u = lay.canonical(jnp.asarray(th))
        assert bool(lay.inside(u))
        assert float(fold(post, u)) == pytest.approx(exact, abs=1e-9 * abs(exact))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_canonical_copy_is_invariant_and_matches_canonicalize(act):
    post = small(3, act)
    lay = nw.Layout(post)
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(20, post.dim)) * 3
    u = np.asarray(lay.canonical(jnp.asarray(theta)))
    assert all(bool(lay.inside(jnp.asarray(x))) for x in u)
    perm = np.stack([rng.permutation(3) for _ in range(20)])
    signs = rng.choice([-1.0, 1.0], size=(20, 3)) if lay.flips else None
    moved = transform(post.net, theta, perm, signs)
    np.testing.assert_allclose(np.asarray(lay.canonical(jnp.asarray(moved))), u, atol=1e-12)
    if act != "relu":  # canonicalize also rescales ReLU units; the domain here does not
        np.testing.assert_allclose(u, canonicalize(post.net, theta), atol=1e-12)
    np.testing.assert_allclose(post.log_likelihood(u), post.log_likelihood(theta), rtol=1e-12)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "hat"])
def test_aligned_domain_holds_one_copy_of_every_orbit(act):
    """The SMC's domain C_q, aligned to a reference (several components, one padded), is a
    fundamental domain: of the N!·2^N copies of a θ (the group enumerated) exactly one lies
    in it, and every component's centre lies in it."""
    post = small(3, act)
    lay = nw._layout_of(post.net)  # the hat (even flips) has no gradient: no Layout()
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(4, post.dim)) * 2
    covs = [np.diag(rng.uniform(0.1, 3.0, post.dim)) for _ in range(4)]
    ref = make_reference(centres, covs, rng.normal(size=4), max_components=5)
    aligned = jax.jit(jax.vmap(lay.aligned, in_axes=(None, 0)))
    assert np.all(np.asarray(aligned(ref, jnp.asarray(centres))))
    perms = list(itertools.permutations(range(3)))
    signs = list(itertools.product([-1.0, 1.0], repeat=3)) if lay.flips else [None]
    assert len(perms) * len(signs) == lay.group_size
    near = centres[rng.integers(0, 4, 20)] + rng.normal(size=(20, post.dim))
    for th in np.concatenate([rng.normal(size=(20, post.dim)) * 3, near]):
        copies = np.stack([transform(post.net, th, p, s) for p in perms for s in signs])
        assert int(np.sum(np.asarray(aligned(ref, jnp.asarray(copies))))) == 1


def test_aligned_domain_keeps_the_draws_the_canonical_ordering_cuts():
    """A component whose units have nearly equal kinks (t = ±1 ± 0.025) but distinct output
    weights: the kink ordering of the canonical domain cuts it (t = −b/w has SD
    0.1·√(1 + t²) by the delta method, so each close pair crosses with probability
    Φ(−0.05/(0.1·√2·√2)) ≈ 0.40), while the domain aligned to the reference keeps almost
    every draw (a crossing there needs a unit's a 5 σ off its centre)."""
    post = small(4, "tanh")
    lay = nw.Layout(post)
    centre = np.zeros(post.dim)
    centre[lay.iw] = 1.0
    centre[lay.ib] = -np.array([-1.025, -0.975, 0.975, 1.025])
    centre[lay.ia] = [1.0, 2.0, 3.0, 4.0]
    ref = make_reference([centre], [0.1**2 * np.eye(post.dim)], df=1e6)
    x = np.asarray(sample_qbar(ref, jax.random.PRNGKey(0), 20_000))
    canonical = np.asarray(jax.vmap(lay.inside)(jnp.asarray(x))).mean()
    aligned = np.asarray(jax.vmap(lay.aligned, in_axes=(None, 0))(ref, jnp.asarray(x))).mean()
    p_pair = stats.norm.cdf(0.0, 0.05, 0.1 * math.sqrt(2) * math.sqrt(2))
    se = math.sqrt(0.25 / 20_000)
    assert canonical == pytest.approx((1 - p_pair) ** 2, abs=0.03)  # delta method
    assert aligned > 0.99
    assert aligned - canonical > 100 * se


def test_random_copies_follow_the_prior_of_each_complement_copy():
    """Each of the 2^N flip patterns of a sigmoid draw is chosen with probability ∝ p̃(g·u)."""
    post = small(2, "sigmoid")
    lay = nw.Layout(post)
    u = np.asarray(lay.canonical(jnp.asarray([1.0, -1.0, 4.0, 2.0, 1.0, 3.0, 2.0, 0.0])))
    m = 4000
    theta = nw._random_copies(post, lay, np.repeat(u[None], m, 0), seed=0)
    lp = np.asarray(post.log_density(theta))  # permutations leave it unchanged, flips do not
    subsets = nw._subset_matrix(2)
    copies = np.stack([transform(post.net, u, [0, 1], 1 - 2 * s) for s in subsets])
    lpc = np.asarray(post.log_density(copies))
    p = np.exp(lpc - logsumexp(lpc))
    for level_p, level in zip(p, lpc):
        share = np.mean(np.abs(lp - level) < 1e-8)
        se = math.sqrt(level_p * (1 - level_p) / m)
        assert abs(share - level_p) < 4 * se + 1e-12


def test_chao1():
    assert chao1([10, 1, 1, 1, 2]) == pytest.approx(5 + 9 / 2)
    assert chao1([4, 4]) == 2.0
    assert chao1([1, 1, 1]) == 3 + 3.0


def test_regularised_cov_is_a_covariance_from_a_float32_hessian():
    """A float32 Hessian whose curvatures span 10¹⁰ (a saturated unit beside a flat
    direction): the covariance is computed in float64 (as from the same matrix in float64),
    positive definite, and no wider than the prior in any direction."""
    rng = np.random.default_rng(3)
    V, _ = np.linalg.qr(rng.normal(size=(12, 12)))
    curv = np.logspace(-4, 6, 12)  # eigenvalues of −H; the floor 1/30² lifts the smallest
    H = -(V * curv) @ V.T
    cov = nw.regularised_cov(H.astype(np.float32), floor=1 / 30.0**2)
    assert cov.dtype == np.float64
    np.linalg.cholesky(cov)  # raises if not positive definite
    lam = np.linalg.eigvalsh(cov)
    assert lam.min() > 0 and lam.max() <= 30.0**2 * (1 + 1e-9)  # no direction wider than the prior
    same = nw.regularised_cov(H.astype(np.float32).astype(np.float64), floor=1 / 30.0**2)
    assert np.allclose(cov, same, rtol=1e-12, atol=0)


# -- the estimator on exact references ---------------------------------------------------------
@pytest.mark.slow
def test_linear_gaussian_exact(linear_gaussian):
    post, mean, cov, log_z = linear_gaussian
    target = Target(lambda args, x: post.log_density(x))
    refs = [make_reference([mean], [1.5 * cov]) for _ in range(8)]
    res = run_core(target, refs, particles=200, seed=3, steps=3)
    se = res.log_evidence.std(ddof=1) / math.sqrt(8)
    print(f"linear-Gaussian: log Z {res.log_evidence.mean():.4f} ± {se:.4f}, exact {log_z:.4f}")
    assert abs(res.log_evidence.mean() - log_z) < t_crit(8) * se
    se_is = res.is_log_evidence.std(ddof=1) / math.sqrt(8)
    assert abs(res.is_log_evidence.mean() - log_z) < t_crit(8) * se_is
    assert res.outside_share.max() < 0.01


D, LOG_Z, MASSES = 10, 5.0, np.array([0.4, 0.3, 0.2, 0.1])


def _planted():
    """A 4-component Gaussian mixture in 10 dimensions with Z = e⁵ and masses 0.4/0.3/0.2/0.1;
    component 3 sits 30 units out on the diagonal, out of reach of any local move."""
    rng = np.random.default_rng(0)
    means = np.zeros((4, D))
    means[1, 0] = means[2, 1] = 8.0
    means[3] = 30.0
    a = rng.normal(size=(4, D, D)) * 0.3
    covs = np.stack([np.eye(D) * s + x @ x.T for s, x in zip([1.0, 0.5, 2.0, 0.3], a)])
    prec = np.linalg.inv(covs)
    logdet = np.array([np.linalg.slogdet(c)[1] for c in covs])
    args = dict(m=jnp.asarray(means), P=jnp.asarray(prec), ld=jnp.asarray(logdet))

    def log_density(args, x):
        dx = x - args["m"]
        q = jnp.einsum("ki,kij,kj->k", dx, args["P"], dx)
        lw = jnp.log(jnp.asarray(MASSES))
        return LOG_Z + jax.scipy.special.logsumexp(
            lw - 0.5 * q - 0.5 * args["ld"] - 0.5 * D * jnp.log(2 * jnp.pi)
        )

    return Target(log_density, None, args), means


@pytest.mark.slow
def test_planted_mixture_evidence_and_masses():
    """Starting points near all four centres with unit covariances and equal weights (not
    the truth): log Z and every mass within the run-to-run error of the truth."""
    target, means = _planted()
    rng = np.random.default_rng(1)
    runs = 8
    refs = [
        make_reference(means + 0.3 * rng.normal(size=means.shape), [np.eye(D)] * 4)
        for _ in range(runs)
    ]
    res = run_core(target, refs, particles=400, seed=1, steps=5)
    se = res.log_evidence.std(ddof=1) / math.sqrt(runs)
    mass = res.component_mass.mean(axis=0)
    mass_se = res.component_mass.std(axis=0, ddof=1) / math.sqrt(runs)
    print(
        f"planted mixture: log Z {res.log_evidence.mean():.4f} ± {se:.4f} (exact {LOG_Z}), "
        f"IS {res.is_log_evidence.mean():.4f} ± "
        f"{res.is_log_evidence.std(ddof=1) / math.sqrt(runs):.4f}, masses {np.round(mass, 4)} "
        f"± {np.round(mass_se, 4)}, outside {res.outside_share.round(3)}"
    )
    assert abs(res.log_evidence.mean() - LOG_Z) < t_crit(runs) * se
    assert np.all(np.abs(mass - MASSES) < t_crit(runs) * mass_se), (mass, mass_se)
    assert np.all(mass_se < 0.02)


# -- networks ---------------------------------------------------------------------------------
BLOG_SMC = (-1863.06, 0.05)  # docs/smc.md: default SMC, 4 × 1 000 particles


@pytest.mark.slow
def test_blog_posterior_agrees_with_smc():
    post = Posterior(MLP(2, "sigmoid"), make_dataset("x2"), prior_std=30.0)
    ev = bu.evidence(
        post, runs=4, seed=0, restarts=64, sgd_steps=2000, learning_rate=0.05, particles=400,
        steps=5,
    )  # fmt: skip
    combined = math.hypot(ev.log_evidence_se, BLOG_SMC[1])
    print(ev)
    assert abs(ev.log_evidence_mean - BLOG_SMC[0]) < 3 * combined, ev
    assert np.all(ev.log_evidence <= ev.max_log_likelihood)
    assert ev.samples.theta.shape == (4, 400, post.dim)
    assert ev.modes[0].mass > 0.99


SIN_CASES = [("tanh", 2), ("sigmoid", 2), ("tanh", 3), ("sigmoid", 3)]


@pytest.mark.slow
@pytest.mark.parametrize("act, units", SIN_CASES)
def test_sin_model(act, units):
    """docs/studies.md §3's model: independent runs (each its own census of 64 restarts)
    agree within 1 nat, the draws reach the best mode of all 4 × 64 = 256 SGD restarts
    (best-draw MSE within 3 %), and log Z stays below the largest log-likelihood."""
    post = Posterior(MLP(units, act), make_dataset("sin"), likelihood="gaussian", prior_std=30.0)
    ev = bu.evidence(
        post, runs=4, seed=0, restarts=64, sgd_steps=2000, learning_rate=0.01, particles=256,
        steps=5,
    )  # fmt: skip
    best_sgd = min(ev.samples.info["sgd_best_mse"])
    best_draw = float(np.asarray(post.mse(ev.samples.theta)).min())
    print(f"{act} N={units}:\n{ev}\nbest draw MSE {best_draw:.4f}, best SGD MSE {best_sgd:.4f}")
    assert ev.log_evidence.std(ddof=1) <= 1.0, ev
    assert np.all(ev.log_evidence <= ev.max_log_likelihood)
    assert best_draw <= 1.03 * best_sgd, (best_draw, best_sgd)


@pytest.mark.slow
def test_find_modes_on_evidence_draws_gives_masses_with_se():
    """``find_modes`` on ``ev.samples`` treats the runs as independent: every mode carries a
    mass ± SE across runs; each mode's mass is the mean over runs of its share of that run's
    draws (recounted here from the chain shares); the masses of the modes found and dropped
    sum to the share of draws in groups of at least ``min_share``; and its best mode is the
    function of the evidence table's best centre."""
    post = small(2, "tanh", n=40)
    ev = bu.evidence(
        post, runs=3, seed=1, restarts=16, sgd_steps=400, learning_rate=0.05, particles=64,
        steps=2,
    )  # fmt: skip
    found = bu.find_modes(post, ev.samples)
    assert found.independent_runs and len(found) >= 1
    total = 0.0
    for m in found:
        assert m.mass is not None and m.mass_se is not None and np.isfinite(m.mass_se)
        np.testing.assert_allclose(m.mass, np.mean(m.chain_shares), rtol=1e-12)
        se = np.std(m.chain_shares, ddof=1) / np.sqrt(3)
        np.testing.assert_allclose(m.mass_se, se, rtol=1e-12)
        total += m.mass
    total += sum(d["share"] for d in found.dropped)
    assert 0.0 < total <= 1.0 + 1e-12
    grid = np.linspace(post.data.x.min(), post.data.x.max(), 100)[:, None]
    top = max(ev.modes, key=lambda r: r.mass)
    f_top = np.asarray(post.predict(top.centre, grid)).ravel()
    f_best = np.asarray(post.predict(found[0].map_theta, grid)).ravel()
    assert np.sqrt(np.mean((f_top - f_best) ** 2)) < found.tol


# -- resume -----------------------------------------------------------------------------------
class _Stop(Exception):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("reference", ["laplace", "refit"])
def test_killed_run_resumes_bit_identically(tmp_path, reference):
    """A run stopped after its censuses (and, with ``refit``, the NUTS refits) and one
    temperature resumes from its checkpoint to the same log Z, draws and settings."""
    post = small(1, "tanh")
    kw = dict(runs=2, seed=0, restarts=8, sgd_steps=200, learning_rate=0.05, particles=32,
              steps=2, reference=reference)  # fmt: skip
    full = bu.evidence(post, **kw)
    path = tmp_path / "ev.npz"
    seen = []

    def stop(state):
        seen.append(1)
        if len(seen) == 2:
            raise _Stop

    with pytest.raises(_Stop):
        bu.evidence(post, checkpoint=path, callback=stop, **kw)
    assert path.exists()
    resumed = bu.evidence(post, checkpoint=path, **kw)
    np.testing.assert_array_equal(resumed.log_evidence, full.log_evidence)
    np.testing.assert_array_equal(resumed.samples.theta, full.samples.theta)
    assert resumed.settings == full.settings and resumed.settings["reference"] == reference
    np.testing.assert_array_equal(resumed.is_log_evidence, full.is_log_evidence)


SIN_TANH2_BRIDGE = (-849.59, 0.04)  # docs/evidence.md: bridge, 4 repeats (benchmarks/evidence.json)


@pytest.mark.slow
def test_refit_reference_reaches_the_bridge_at_tanh_n2():
    """tanh N = 2 on ``sin``: with the Laplace reference the SMC lies about half a nat below
    the bridge (a curved ridge it does not explore); with components refitted to NUTS draws
    its 16 runs agree with the bridge within t(15) at 1e-3 times the combined SE (about 0.3
    nats with a run SD of 0.2, so the Laplace reference's deficit would fail it)."""
    post = Posterior(MLP(2, "tanh"), make_dataset("sin"), likelihood="gaussian", prior_std=30.0)
    ev = bu.evidence(post, runs=16, seed=0, restarts=128, particles=256, steps=5,
                     reference="refit")  # fmt: skip
    print(ev)
    combined = math.hypot(ev.log_evidence_se, SIN_TANH2_BRIDGE[1])
    assert abs(ev.log_evidence_mean - SIN_TANH2_BRIDGE[0]) < t_crit(16) * combined, ev
    assert t_crit(16) * combined < 0.54  # the test can tell the Laplace reference's deficit
    assert np.all(ev.log_evidence <= ev.max_log_likelihood)


# -- bad input ----------------------------------------------------------------------------------
def test_too_few_particles():
    post = small(2)
    with pytest.raises(ValueError, match="particles must be an integer >= 16"):
        bu.evidence(post, particles=8)


def test_unsupported_network():
    post = Posterior(MLP((2, 2), "tanh"), make_dataset("sin", n=20))
    with pytest.raises(ValueError, match="one hidden layer on a scalar input"):
        bu.evidence(post)


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(runs=0), "runs must be an integer >= 1"),
        (dict(restarts=0), "restarts must be"),
        (dict(hops=-1), "hops must be an integer >= 0"),
        (dict(hops=2.5), "hops must be an integer >= 0"),
        (dict(df=0.0), "df must be a number > 0"),
        (dict(inflate=-1.0), "inflate must be"),
        (dict(target_ess=1.5), "target_ess must be a number in"),
        (dict(domain="sorted"), "domain must be one of auto, canonical, aligned"),
        (dict(reference="nuts"), "reference must be one of laplace, refit"),
    ],
)
def test_bad_settings(kw, match):
    with pytest.raises(ValueError, match=match):
        bu.evidence(small(1), **kw)


class _NoPrior(Posterior):
    def prior_sample(self, key, shape=()):
        raise NotImplementedError("improper prior")


def test_prior_cannot_be_sampled():
    post = _NoPrior(MLP(1, "tanh"), make_dataset("sin", n=20), likelihood="gaussian")
    with pytest.raises(ValueError, match="prior cannot be sampled"):
        bu.evidence(post, restarts=2, sgd_steps=2)


def test_no_sgd_modes_found():
    post = small(1)
    with pytest.raises(ValueError, match="no SGD modes found"):
        bu.evidence(post, restarts=4, sgd_steps=20, learning_rate=1e300)


@pytest.mark.slow  # 10⁶ draws tested for each domain
def test_diffuse_reference_is_refused_after_the_first_census(monkeypatch):
    """Modes wider than the gaps between their copies: the first run's reference puts almost
    no draw in either domain (a share near 1/(8!·2⁸) = 10⁻⁷), and evidence refuses right
    after that census (the other runs' censuses never start), naming tempered SMC from the
    prior as the fix. A reference whose components lie well inside the domain passes the
    same check."""
    post = Posterior(MLP(8, "sigmoid"), make_dataset("sin"), prior_std=30.0)
    lay = nw.Layout(post)
    t = np.linspace(-8.0, 8.0, 8)
    centre = np.zeros(post.dim)
    centre[lay.iw], centre[lay.ib], centre[lay.ia] = 2.0, -2.0 * t, 1.0
    assert bool(lay.inside(jnp.asarray(centre)))
    calls = []

    def fake_census(posterior, lay, log_fold, **kw):
        calls.append(kw["seed"])
        return dict(
            centres=centre[None], covs=(30.0**2 * np.eye(post.dim))[None],
            log_fold=np.zeros(1), log_mass=np.zeros(1), counts=np.ones(1, int),
            max_log_likelihood=0.0, evaluations=1, sgd_best_mse=1.0,
        )  # fmt: skip

    monkeypatch.setattr(nw, "census", fake_census)
    for domain in ("auto", "canonical", "aligned"):
        calls.clear()
        match = r"run 0: [0-9] of 1000000 draws.* wider than the gaps.*'smc'"
        with pytest.raises(ValueError, match=match):
            bu.evidence(post, runs=4, particles=128, domain=domain)
        assert len(calls) == 1
    # narrow components (unit spacing 2.3 in t, SD 0.01 in every weight) nearly all land in C
    narrow = make_reference([centre], [1e-4 * np.eye(post.dim)])
    for domain in ("canonical", "aligned"):
        nw._check_domain_share(narrow, lay, particles=10_000, run=0, domain=domain)
        hits, n = nw._domain_hits(narrow, lay, nw.DOMAIN_PROBE, domain)
        assert hits >= 100 and n == 20_000 and hits / n > 0.99
    assert nw._choose_domain([narrow], lay, 256, "auto") == "canonical"


@pytest.mark.slow  # a whole census before the check
def test_reference_with_zero_density_at_a_prior_draw():
    post = small(1)
    with pytest.raises(ValueError, match="zero density at a prior draw"):
        bu.evidence(post, restarts=4, sgd_steps=50, learning_rate=0.05, inflate=1e-305)


def test_checkpoint_never_overwrites_a_foreign_file(tmp_path):
    path = tmp_path / "mine.npz"
    path.write_text("a user's own file")
    with pytest.raises(ValueError, match="not an evidence checkpoint"):
        bu.evidence(small(1), restarts=2, sgd_steps=2, checkpoint=path)
    assert path.read_text() == "a user's own file"


# -- the census's maxima -----------------------------------------------------------------------
def _converged_maximum(post, lay, log_fold):
    """A canonical maximum of the folded density of ``post``: the best of 8 Adam restarts
    refined by the census's Newton on log p, then by plain Newton steps on log p̃_C itself
    (the sigmoid's fold adds the complement copies' terms, which move the maximum)."""
    from bayes_uat.optimize import newton_many

    sgd = bu.train_sgd(post, restarts=8, steps=500, learning_rate=0.05, seed=1)
    theta, _ = newton_many(post, jnp.asarray(sgd.thetas), 2000, 1e-9)
    best = np.asarray(theta)[np.nanargmax(np.asarray(post.log_density(theta)))]
    u = np.asarray(lay.canonical(jnp.asarray(best[None])), dtype=float)
    grad = nw._fold_gradient(log_fold)
    for _ in range(20):
        g = np.asarray(grad(post, jnp.asarray(u)), dtype=float)
        u = u + np.einsum("nij,nj->ni", nw.laplace_covs(post, log_fold, u), g)
    return u[0]


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_rise_left_is_zero_at_a_maximum_and_the_quadratic_gain_near_it(act):
    """At a maximum the rise left, ½ gᵀ Σ g, is zero; a small step δ away from it (δ ~
    N(0, s²Σ)) it equals the drop of log p̃_C to second order, ½ δᵀ Σ⁻¹ δ: within 5 % of
    the exact drop at steps that drop log p̃_C by about 10⁻² nats (the third-order term
    is a fraction of the step's size of that)."""
    bu.enable_x64()
    post = small(2, act)
    lay = nw.Layout(post)
    log_fold = nw.folded_log_density(post, lay)
    top = _converged_maximum(post, lay, log_fold)
    cov = nw.laplace_covs(post, log_fold, top[None])
    assert nw.rise_left(post, log_fold, top[None], cov)[0] < 1e-12
    fold_many, _ = nw._fold_programs(log_fold)
    rng = np.random.default_rng(0)
    L = np.linalg.cholesky(cov[0])
    for _ in range(5):
        delta = 0.1 * L @ rng.normal(size=post.dim) / math.sqrt(post.dim)
        u = top + delta
        drop = float(
            fold_many(post, jnp.asarray(top[None]))[0] - fold_many(post, jnp.asarray(u[None]))[0]
        )
        gain = nw.rise_left(post, log_fold, u[None], nw.laplace_covs(post, log_fold, u[None]))[0]
        assert 1e-3 < drop < 0.1
        assert gain == pytest.approx(drop, rel=0.05)


def test_census_puts_maxima_first_and_the_checkpoint_keeps_them(monkeypatch):
    """The census marks each mode as a maximum or not by the rise left, lists the maxima
    first (each group by Laplace mass), the mode table pools maxima only, and the
    checkpoint's arrays give the marks back (a checkpoint written before them reads as
    all maxima). Three first-stage Newton steps leave the restarts outside the best 64
    short of a maximum."""
    bu.enable_x64()
    monkeypatch.setattr(nw, "REFINE_STEPS", 3)
    post = small(3, "tanh")
    lay = nw.Layout(post)
    log_fold = nw.folded_log_density(post, lay)
    c = nw.census(post, lay, log_fold, seed=0, restarts=256, sgd_steps=50, learning_rate=0.01)
    m = c["maximum"]
    assert m.dtype == bool and m.any() and (~m).any()
    assert not np.any(np.diff(m.astype(int)) > 0)  # maxima first
    gap = nw.rise_left(post, log_fold, c["centres"], c["covs"])
    assert np.all(gap[m] < nw.CONVERGED_GAP) and np.all(gap[~m] >= nw.CONVERGED_GAP)
    for part in (m, ~m):
        assert np.all(np.diff(c["log_mass"][part]) <= 0)
    assert np.array_equal(nw._maxima(c), m)
    back = nw._censuses_from(nw._census_arrays([c, c], post.dim))
    assert all(np.array_equal(b["maximum"], m) for b in back)
    old = {k: v for k, v in nw._census_arrays([c], post.dim).items() if k != "census.maximum"}
    assert nw._censuses_from(old)[0]["maximum"].all()


def test_hop_starts_draw_one_unit_afresh_from_each_base_in_turn():
    """A hop start is its base (taken in turn) with exactly one unit's (w, b, a) replaced
    by a unit drawn as the spread starts draw them: the other units, the output bias and
    the noise entry are the base's; the same seed gives the same starts."""
    post = small(4, "tanh")
    lay = nw.Layout(post)
    rng = np.random.default_rng(3)
    bases = rng.normal(size=(3, post.dim))
    hops = nw._hop_starts(post, lay, bases, 60, seed=7)
    assert np.array_equal(hops, nw._hop_starts(post, lay, bases, 60, seed=7))
    units = np.stack([np.asarray(g) for g in (lay.iw, lay.ib, lay.ia)], axis=1)  # (N, 3)
    x = np.asarray(post.data.x).ravel()
    changed_units = []
    for i, h in enumerate(hops):
        base = bases[i % 3]
        diff = np.flatnonzero(h != base)
        unit = [j for j in range(lay.n) if np.any(np.isin(units[j], diff))]
        assert len(unit) == 1 and set(diff) <= set(units[unit[0]])
        w, b = h[units[unit[0], 0]], h[units[unit[0], 1]]
        assert x.min() <= -b / w <= x.max()  # its kink lies inside the data
        changed_units.append(unit[0])
    assert set(changed_units) == set(range(lay.n))


@pytest.mark.slow  # two censuses of the sin model at tanh N = 5, about 2 min
def test_hops_reach_the_maximum_a_census_of_restarts_missed():
    """On the sin model at tanh N = 5 the census of seed 2 (1 024 restarts) misses the
    maximum with the highest log p̃_C, which its hops from the census's heaviest maxima
    reach (docs/evidence.md, "Hops"); the hop census keeps the restarts' modes too."""
    bu.enable_x64()
    post = Posterior(MLP(5, "tanh"), make_dataset("sin"), likelihood="gaussian", prior_std=30.0)
    lay = nw.Layout(post)
    log_fold = nw.folded_log_density(post, lay)
    kw = dict(seed=2, restarts=1024, sgd_steps=200, learning_rate=0.01)
    plain = nw.census(post, lay, log_fold, **kw)
    hopped = nw.census(post, lay, log_fold, hops=512, **kw)
    best_plain = plain["log_fold"][plain["maximum"]].max()
    best_hop = hopped["log_fold"][hopped["maximum"]].max()
    assert best_hop > best_plain + 5.0
    assert hopped["log_mass"][hopped["maximum"]].max() >= plain["log_mass"][plain["maximum"]].max()
    assert hopped["evaluations"] > plain["evaluations"]


def test_compacted_newton_reaches_the_maxima_of_one_loop(monkeypatch):
    """The census's second stage in chunks on the starts still moving (padded to a power
    of two) ends where one vmapped loop of as many steps ends: the same maxima (log p and
    θ), and a start that converges within the first chunk is bit-identical to it."""
    from bayes_uat.optimize import newton_many

    bu.enable_x64()
    monkeypatch.setattr(nw, "REFINE_CHUNK", 12)
    post = small(2, "tanh")
    starts = np.asarray(post.prior_sample(jax.random.PRNGKey(0), (13,)), dtype=float) * 0.3
    one, it = newton_many(post, jnp.asarray(starts), 400, 1e-9)
    one, it = np.asarray(one), np.asarray(it)
    chunked, total = nw._newton_compacted(post, starts, 400, 1e-9)
    assert it.max() > 12  # some starts run past the first chunk
    lp1, lp2 = (np.asarray(post.log_density(t)) for t in (one, chunked))
    done = it < 400
    assert done.sum() >= 10
    np.testing.assert_allclose(lp2[done], lp1[done], atol=1e-8)
    np.testing.assert_allclose(chunked[done], one[done], atol=1e-5)
    quick = it < 12
    assert quick.any() and np.array_equal(chunked[quick], one[quick])
    assert total >= it[quick].sum()
