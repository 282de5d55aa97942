"""Mode masses from independent runs, and draws that fall in no reported mode
(bayes_uat.modes.find_modes, bayes_uat.compare)."""

import numpy as np
import pytest

from bayes_uat import MLP
from bayes_uat.compare import compare
from bayes_uat.modes import ModeWarning, find_modes
from bayes_uat.optimize import SGDResult
from bayes_uat.samples import Samples
from bayes_uat.studies import complement_ratios, copy_index, halves_z
from bayes_uat.symmetry import transform
from tests.test_modes import JITTER, THETA_A, THETA_B, random_copies

RUNS, PARTICLES = 12, 60
P_A = 0.3  # chance that a particle of a run sits in mode A
TOL = 0.1  # far above the jitter's spread in f, far below A–B's separation (RMSE 0.38)


@pytest.fixture(scope="module")
def sin_post(sin_tanh2):
    """N = 2 tanh on sin (tests/conftest.py)."""
    return sin_tanh2


def runs(post, rng, *, flag=True, method="nuts"):
    """R independent runs of P equally weighted particles; each particle lies in A with
    probability P_A, else in B, jittered and moved into a random symmetric copy."""
    in_a = rng.random((RUNS, PARTICLES)) < P_A
    centre = np.where(in_a[..., None], THETA_A, THETA_B)
    theta = centre + JITTER * rng.standard_normal(centre.shape)
    theta = random_copies(post.net, theta.reshape(-1, post.dim), rng).reshape(theta.shape)
    info = {"independent_runs": True} if flag else {}
    s = Samples(
        theta=theta,
        log_density=np.asarray(post.log_density(theta)),
        sampler=method,
        names=post.names,
        info=info,
    )
    return s, in_a


def test_masses_are_means_of_per_run_shares_with_se_over_runs(sin_post):
    samples, in_a = runs(sin_post, np.random.default_rng(0))
    modes = find_modes(sin_post, samples, tol=TOL, refine=False)
    assert modes.independent_runs and len(modes) == 2 and modes.unlabelled == 0
    assert "independent run" in modes.note and "masses" in modes.note
    by_share = {round(m.share, 12): m for m in modes}
    share_a = in_a.mean(axis=1)  # the known per-run shares of A
    m_a = by_share[round(share_a.mean(), 12)]
    m_b = next(m for m in modes if m is not m_a)
    np.testing.assert_allclose(m_a.chain_shares, share_a, atol=1e-12)
    assert m_a.mass == pytest.approx(share_a.mean(), abs=1e-12)
    assert m_a.mass_se == pytest.approx(np.std(share_a, ddof=1) / np.sqrt(RUNS), abs=1e-12)
    assert m_b.mass == pytest.approx(1 - share_a.mean(), abs=1e-12)
    assert m_b.mass_se == pytest.approx(m_a.mass_se, abs=1e-12)  # shares sum to 1 per run
    # the true mass lies within 4.5 standard errors (binomial per run, SE from the runs)
    assert abs(m_a.mass - P_A) < 4.5 * m_a.mass_se
    d = modes.to_dict(sin_post.names)
    assert d["independent_runs"] is True
    assert {m["mass"] for m in d["modes"]} == {m_a.mass, m_b.mass}
    assert f"mass {m_a.mass:.2f} ± {m_a.mass_se:.2f}" in str(modes)


def test_smc_sampler_means_independent_runs_and_mcmc_keeps_shares(sin_post):
    smc, _ = runs(sin_post, np.random.default_rng(1), flag=False, method="smc")
    assert all(m.mass is not None for m in find_modes(sin_post, smc, tol=TOL, refine=False))
    mcmc, _ = runs(sin_post, np.random.default_rng(1), flag=False)
    modes = find_modes(sin_post, mcmc, tol=TOL, refine=False)
    assert not modes.independent_runs
    assert all(m.mass is None and m.mass_se is None for m in modes)
    assert "mass" not in str(modes).split("\n")[1] and "share" in str(modes)


def test_compare_reports_the_mass_of_each_restarts_mode(sin_post):
    samples, in_a = runs(sin_post, np.random.default_rng(2))
    modes = find_modes(sin_post, samples, tol=TOL, refine=False)
    sgd = SGDResult(
        thetas=np.stack([THETA_B, THETA_A]),
        losses=np.zeros((2, 1)),
        final_loss=np.zeros(2),
        best_index=0,
        settings={},
    )
    table = compare(sin_post, samples, sgd, modes=modes)
    for r, share in ((0, 1 - in_a.mean()), (1, in_a.mean())):
        row = table.row(f"SGD {r}")
        m = modes[row["nearest_mode"]]
        assert row["mode_mass"] == m.mass == pytest.approx(share, abs=1e-12)
        assert row["mode_mass_se"] == m.mass_se
    assert "mode mass" in str(table)
    for m in modes:
        assert table.row(f"mode {m.index}")["mass"] == m.mass


def test_mode_dropped_by_max_modes_is_reported_and_warned(sin_post):
    samples, in_a = runs(sin_post, np.random.default_rng(3), flag=False)
    with pytest.warns(ModeWarning, match="dropped by max_modes=1"):
        modes = find_modes(sin_post, samples, tol=TOL, refine=False, max_modes=1)
    assert len(modes) == 1 and len(modes.dropped) == 1
    # the larger group (B, 70 %) is kept, A is dropped, and its draws are unlabelled
    assert modes.dropped[0]["n_draws"] == in_a.sum() == modes.unlabelled
    assert modes.dropped[0]["share"] == pytest.approx(in_a.mean(), abs=1e-12)
    assert modes.unlabelled_share == pytest.approx(in_a.mean(), abs=1e-12)
    assert any("dropped" in w for w in modes.warnings)


def test_small_mode_behind_many_scattered_draws_is_found(sin_post):
    # 97 % of the draws scattered (each its own group, all with a higher log p), 3 % in a
    # tight cluster: grouping must reach the cluster however many groups come first
    rng = np.random.default_rng(4)
    n_scatter, n_cluster = 582, 18
    scatter = THETA_A + 2.0 * rng.standard_normal((n_scatter, sin_post.dim))
    cluster = THETA_B + 1e-3 * rng.standard_normal((n_cluster, sin_post.dim))
    theta = np.concatenate([scatter, cluster])[None]
    lp = np.concatenate([np.zeros(n_scatter), np.full(n_cluster, -1.0)])[None]
    samples = Samples(theta=theta, log_density=lp, sampler="nuts", names=sin_post.names)
    with pytest.warns(ModeWarning, match="in no reported mode"):
        modes = find_modes(sin_post, samples, tol=0.02, max_modes=40, refine=False)
    found = [m for m in modes if m.n_draws == n_cluster]
    assert len(found) == 1 and found[0].share == pytest.approx(0.03)
    assert modes.unlabelled == n_scatter - sum(m.n_draws for m in modes if m is not found[0])


SIG_NET = MLP(2, "sigmoid")
# unit 0 steps at t = −b/w = −1, unit 1 at t = +2: unit 0 is the earlier one
THETA_STEPS = np.array([2.0, 2.0, 1.5, 1.0, -2.0, -0.8, 2.0])


def test_copy_index_names_every_copy_of_a_two_unit_network():
    """The 2!·2² group elements send one θ to eight different indices; swapping the units
    adds 4, flipping the earlier unit toggles 2 and flipping the later one toggles 1."""
    seen = {}
    for perm in ([0, 1], [1, 0]):
        for s0 in (1, -1):
            for s1 in (1, -1):
                g = transform(SIG_NET, THETA_STEPS, perm, signs=[s0, s1])
                # new unit j is old unit perm[j], then multiplied by signs[j]
                early, late = (s0, s1) if perm == [0, 1] else (s1, s0)
                expect = 4 * (perm == [1, 0]) + 2 * (early < 0) + (late < 0)
                seen[(tuple(perm), s0, s1)] = int(copy_index(g))
                assert seen[(tuple(perm), s0, s1)] == expect, (perm, s0, s1)
    assert sorted(seen.values()) == list(range(8))
    with pytest.raises(ValueError, match="two-unit"):
        copy_index(np.zeros(4))


def test_complement_ratios_recover_planted_masses():
    """Draws built so that the flip class F holds mass ∝ E_q[π(g_F θ)/π(θ)] exactly (each
    unflipped draw's copy g_F θ kept with probability ∝ its prior ratio): the observed ratio
    of each class to the unflipped one matches the identity's prediction within the Monte
    Carlo error from the spread of 8 independent runs (t quantile, two-sided 1e-3)."""
    from scipy import stats

    rng = np.random.default_rng(11)
    s, runs, n = 1.5, 8, 4000  # ratios about 1.8 (late), 0.16 (early), 0.48 (both)
    signs = {0: [1, 1], 1: [1, -1], 2: [-1, 1], 3: [-1, -1]}  # flip class → unit signs
    out = []
    for _ in range(runs):
        q = THETA_STEPS + 0.3 * rng.standard_normal((n, 7))
        log_pi = lambda th: -(th[:, 6] ** 2) / (2 * s**2)  # noqa: E731  (prior of c only)
        moved = {f: transform(SIG_NET, q, [0, 1], signs=sg) for f, sg in signs.items()}
        w = {f: np.exp(log_pi(m) - log_pi(q)) for f, m in moved.items()}
        top = max(v.max() for v in w.values())
        kept = [m[rng.random(n) < w[f] / top] for f, m in moved.items()]
        out.append(np.concatenate(kept)[rng.permutation(sum(map(len, kept)))[: n // 2]])
    ratios = complement_ratios(np.stack(out), s)
    assert set(ratios) == {"late", "early", "both"}
    crit = stats.t.ppf(1 - 5e-4, runs - 1)
    for name, (obs, pred) in ratios.items():
        d = obs - pred
        assert abs(d.mean()) < crit * d.std(ddof=1) / np.sqrt(runs), (name, obs, pred)
        assert abs(obs.mean() - 1) > 0.2, name  # the classes' masses really differ


def test_halves_z_compares_two_independent_groups_of_runs():
    # halves (1, 3) and (5, 7): means 2 and 6, each SE √(2/2), difference −4/√2
    z = halves_z(np.array([[1.0, 0.0], [3.0, 2.0], [5.0, 0.0], [7.0, 2.0]]))
    np.testing.assert_allclose(z, [-4 / np.sqrt(2), 0.0])
    assert np.isnan(halves_z(np.ones((3, 2)))).all()  # one run per half: no SE
