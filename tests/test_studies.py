"""Study functions (bayes_uat.studies) on tiny settings: shapes, orderings and numbers that
must hold whatever the seed."""

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset, studies


@pytest.fixture(scope="module")
def x2_sweep():
    data = make_dataset("x2", n=80, seed=0)
    # AIES compiles faster than NUTS; 4·dim walkers × 40 draws
    return data, studies.unit_sweep(
        data=data,
        units=(1, 2),
        activation="sigmoid",
        method="aies",
        warmup=40,
        draws=40,
        sgd_steps=400,
        sgd_restarts=4,
        n_grid=60,
        max_draws=200,
        keep_runs=True,
    )


def test_unit_sweep_records(x2_sweep):
    data, pts = x2_sweep
    assert [p.units for p in pts] == [1, 2]
    for p in pts:
        assert p.quantiles.shape == (5, 60) and p.grid.shape == (60,)
        # 2.5 % ≤ 16 % ≤ median ≤ 84 % ≤ 97.5 % everywhere on the grid
        assert np.all(np.diff(p.quantiles, axis=0) >= 0)
        assert np.isclose(p.grid[0], -10.0) and np.isclose(p.grid[-1], 10.0)  # 2× [−5, 5]
        assert np.isclose(p.residual_sgd, np.mean(np.abs(data.y - p.sgd_fit)))
        # the reported fit is the restart with the lowest training loss
        assert p.residual_sgd == p.sgd_restart_residuals[p.run.sgd.best_index]
        assert set(p.errors) == {"sgd_train", "sgd_heldout", "posterior_train", "posterior_heldout"}
        assert p.loo["se"] > 0 and 0 <= p.loo["k_high"] <= 1
        assert p.run is not None and p.run.samples.chains == 4 * p.run.posterior.dim
        assert p.noise_var == pytest.approx(0.5**2 / 12)
        numbers = p.numbers()
        assert numbers["units"] == p.units and "quantiles" not in numbers


def test_one_sigmoid_unit_predicts_the_mean_on_average(x2_sweep):
    data, (one, two) = x2_sweep
    # with a free output bias, least squares makes the mean prediction the mean of y
    assert np.mean(one.sgd_fit) == pytest.approx(data.y.mean(), abs=0.05)
    assert data.y.mean() == pytest.approx(8.6, abs=0.3)
    # two units cut the residual several-fold (the blog: about tenfold)
    assert one.residual_sgd / two.residual_sgd > 2.5
    # sigmoid units extrapolate flat
    assert np.all(np.abs(one.slopes["sgd"]) < 0.5)


def test_sweep_claims(x2_sweep):
    _, pts = x2_sweep
    claims = studies.sweep_claims(pts)
    assert claims["mean_y"] == pytest.approx(8.6, abs=0.3)
    assert claims["residual_of_mean"] > claims["per_n"]["1"]["residual_sgd"] * 0.99
    assert claims["noise_floor"] == pytest.approx(0.125)
    assert claims["best_elpd_units"] in (1, 2)
    assert claims["slopes_at"] == [-10.0, 10.0]


def test_mean_predictor_check_counts_flat_restarts():
    data = make_dataset("x2", n=60, seed=0)
    res = studies.mean_predictor_check(data, restarts=6, steps=800)
    # a flat f at ȳ has the residual of the mean: those restarts are the flat ones
    res_flat = np.isclose(res["residuals"], res["residual_of_mean"], rtol=0.02)
    assert res["fraction_mean"] == pytest.approx(res_flat.mean())
    assert res_flat.any(), "with seed 0 some of the six restarts end flat (the blog's claim)"
    assert res["mean_of_flat"] == pytest.approx(res["mean_y"], abs=0.2)
    assert res["best_residual"] <= res["residual_of_mean"] + 1e-6


def test_unit_sweep_rejects_bad_settings():
    with pytest.raises(ValueError, match="units must be an integer >= 1"):
        studies.unit_sweep("x2", units=(0,))
    with pytest.raises(ValueError, match="'nuts' or 'aies'"):
        studies.unit_sweep("x2", units=(1,), method="emcee")
    with pytest.raises(ValueError, match="units is empty"):
        studies.unit_sweep("x2", units=())


def test_noise_floors():
    assert studies.mean_abs_noise(make_dataset("sin", n=10)) == pytest.approx(0.05)
    assert studies.noise_variance(make_dataset("bump", n=10)) == pytest.approx(0.05**2)
    held = studies.heldout_dataset(make_dataset("x2", n=50, seed=0), seed=3)
    assert held.n == 50 and held.x_range[0] >= -5 and held.x_range[1] <= 5
    assert not np.allclose(np.sort(held.x), np.linspace(-5, 5, 50))


# -- snapshots ------------------------------------------------------------------------------
def test_sgd_history_segments():
    post = Posterior(MLP(3, "relu"), make_dataset("abs", n=40, seed=0))
    h = studies.sgd_history(post, steps=61, snapshots=2, learning_rate=0.05)
    assert h.steps.tolist() == [0, 30, 61]  # the last segment takes the remainder
    assert h.thetas.shape == (3, post.net.dim) and len(h) == 3
    assert h.losses[-1] < h.losses[0]
    assert h.predict(np.zeros(2)).shape == (3, 2)
    with pytest.raises(ValueError, match="cannot exceed"):
        studies.sgd_history(post, steps=2, snapshots=3)


def test_seed000_study_tiny():
    res = studies.seed000_study(units=(3,), steps=20, snapshots=1, n=40)
    (h,) = res.histories
    assert len(h) == 2
    nums = res.numbers["units"]["3"]
    assert nums["mse_data"] > 0 and 0 <= nums["kinks_in_range"] <= 3


# -- approximation (seed 001) ---------------------------------------------------------------
def test_telgarsky_construction_is_the_sawtooth():
    net = MLP((2, 2, 2), "relu")
    x = np.linspace(0, 1, 401)
    f = np.asarray(net.apply(studies.telgarsky_theta(3), x))
    truth = np.asarray(make_dataset("sawtooth", n=5).target_fn(x))
    np.testing.assert_allclose(f, truth, atol=1e-12)
    assert net.dim == MLP(6, "relu").dim == 19


def test_spread_init_puts_transitions_in_range():
    data = make_dataset("bump", n=50)
    net = MLP(5, "relu")
    th = studies.spread_init(net, data, 7, seed=1)
    idx = net.unit_slices()
    t = -th[:, idx[:, 1]] / th[:, idx[:, 0]]
    assert th.shape == (7, net.dim) and np.all((t >= -2) & (t <= 2))


def test_bump_study_tiny():
    res = studies.bump_study(units=(2,), restarts=2, steps=30, example_units=2)
    fams = res.families
    assert set(fams) == {"ReLU network", "ReLU network, spread init", "polynomial", "Fourier"}
    assert all(f["params"].tolist() == [7.0] for f in fams.values())
    # least squares in range is no worse than 0.5; polynomials blow up outside
    assert fams["polynomial"]["rmse_in"][0] < 0.5 and fams["Fourier"]["rmse_in"][0] < 0.5
    assert fams["polynomial"]["rmse_out"][0] > fams["polynomial"]["rmse_in"][0]
    assert set(res.examples) == set(fams) | {"exact ReLU, 4 units"}
    assert res.example_params == 7
    exact = res.numbers["exact_construction"]
    assert exact["params"] == 13 and exact["rmse_in"] < 0.05 and exact["rmse_out"] < 1e-12
    with pytest.raises(ValueError, match="even unit counts"):
        studies.bump_study(units=(3,))


def test_sawtooth_study_tiny():
    res = studies.sawtooth_study(pairs=[(4, (2, 2))], restarts=2, steps=20, example=0)
    fams = res.families
    assert fams["shallow"]["params"].tolist() == fams["deep"]["params"].tolist() == [13.0]
    # rmse_in is the RMSE against the noise-free sawtooth of the fit drawn as example
    f_deep = res.examples["deep (2,2)"]
    rmse = np.sqrt(np.mean((f_deep - res.truth) ** 2))
    assert fams["deep"]["rmse_in"][0] == pytest.approx(rmse, rel=1e-9)
    assert res.numbers["exact_construction"]["rmse_in"] < 1e-9
    with pytest.raises(ValueError, match="parameter counts differ"):
        studies.sawtooth_study(pairs=[(4, (3, 3))], restarts=1, steps=1)
