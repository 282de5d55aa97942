"""Symmetry-aware comparison of SGD solutions with the posterior (bayes_uat.compare) and the
``bayes-uat compare`` command."""

import json
from dataclasses import replace

import numpy as np
import pytest

from bayes_uat import MLP, Posterior, make_dataset, sample, train_sgd
from bayes_uat._io import _jsonable
from bayes_uat.cli import main
from bayes_uat.compare import Comparison, compare
from bayes_uat.config import RunConfig
from bayes_uat.runner import execute
from bayes_uat.symmetry import canonicalize, transform

RESTARTS = 4


@pytest.fixture(scope="module")
def setup():
    # tanh, so that every sign flip is an exact symmetry of likelihood and prior alike
    post = Posterior(MLP(2, "tanh"), make_dataset("x2", n=100, seed=0), prior_std=30.0)
    sgd = train_sgd(post, restarts=RESTARTS, steps=500, seed=0)
    samples = sample(
        post, "aies", chains=28, warmup=200, draws=200, seed=0, sgd=sgd, progress=False
    )
    table = compare(post, samples, sgd)
    return post, sgd, samples, table


def row_names(table):
    return [r["name"] for r in table.rows]


def test_one_row_per_restart_map_and_mode(setup):
    _, sgd, _, table = setup
    assert len(table.modes) >= 1
    expected = (
        [f"SGD {r}" for r in range(RESTARTS)] + ["MAP"] + [f"mode {m.index}" for m in table.modes]
    )
    assert row_names(table) == expected
    assert [r["kind"] for r in table.rows] == ["sgd"] * RESTARTS + ["map"] + ["mode"] * len(
        table.modes
    )
    assert [r["best_restart"] for r in table.rows[:RESTARTS]] == [
        r == sgd.best_index for r in range(RESTARTS)
    ]
    assert table.row("MAP")["name"] == "MAP"
    with pytest.raises(KeyError, match="no row"):
        table.row("SGD 99")


def test_sgd_rows_recomputed_independently(setup):
    post, sgd, samples, table = setup
    grid = table.grid_in
    lo, hi = post.data.x_range
    np.testing.assert_allclose(grid, np.linspace(lo, hi, 200))
    lp_draws = samples.log_density.ravel()
    draws = samples.theta[:, table.modes.draw_index].reshape(-1, post.dim)
    band = np.quantile(np.asarray(post.predict(draws, grid)), [0.025, 0.975], axis=0)
    mode_f = [np.asarray(post.predict(m.map_theta, grid)) for m in table.modes]
    for r, theta in enumerate(sgd.thetas):
        row = table.row(f"SGD {r}")
        f_sgd = np.asarray(post.predict(theta, grid))
        lp = float(post.log_density(theta))
        assert row["log_posterior"] == pytest.approx(lp)
        assert row["mse"] == pytest.approx(
            float(np.mean((post.data.y - np.asarray(post.predict(theta))) ** 2))
        )
        # P[log p(θ|D) > log p(θ_sgd|D)] over all draws
        assert 0 <= row["posterior_level"] <= 1
        assert row["posterior_level"] == pytest.approx(np.mean(lp_draws > lp), abs=1e-12)
        assert 0 <= row["in_band_95"] <= 1
        inside = (f_sgd >= band[0]) & (f_sgd <= band[1])
        assert row["in_band_95"] == pytest.approx(inside.mean(), abs=1e-12)
        assert row["rmse_true_in"] == pytest.approx(
            np.sqrt(np.mean((f_sgd - grid**2) ** 2)), rel=1e-9
        )
        k = row["nearest_mode"]
        assert k == int(np.argmin([np.sqrt(np.mean((f_sgd - mf) ** 2)) for mf in mode_f]))
        m = table.modes[k]
        can = canonicalize(post.net, theta)
        assert row["distance"] == pytest.approx(np.linalg.norm(can - m.map_canonical), rel=1e-9)
        dm = can - m.mean  # √(δᵀ Σ⁻¹ δ) under the mode's sample covariance of canonical θ
        maha = np.sqrt(dm @ np.linalg.pinv(m.cov, rcond=1e-10, hermitian=True) @ dm)
        assert row["mahalanobis"] == pytest.approx(maha, rel=1e-9)
        q = row["quantiles"]
        assert list(q) == list(post.names)
        assert all(0 <= v <= 1 for v in q.values())
        members = table.modes.canonical[table.modes.labels == k]
        np.testing.assert_allclose(list(q.values()), np.mean(members < can, axis=0))
        np.testing.assert_allclose(list(row["aligned_theta"].values()), can)


def test_map_and_mode_rows(setup):
    post, _, samples, table = setup
    map_row = table.row("MAP")
    candidates = [m.map_theta for m in table.modes] + [samples.map_theta]
    map_theta = candidates[int(np.argmax([float(post.log_density(t)) for t in candidates]))]
    assert map_row["rmse_map_in"] == 0 and map_row["rmse_map_out"] == 0
    # the MAP row is the best of the refined modes and the best draw
    best = max([float(samples.log_density.max())] + [m.map_log_density for m in table.modes])
    assert map_row["log_posterior"] == pytest.approx(best)
    assert all(r["log_posterior"] <= map_row["log_posterior"] + 1e-9 for r in table.rows)
    for m in table.modes:
        row = table.row(f"mode {m.index}")
        assert row["share"] == m.share
        assert row["log_posterior"] == pytest.approx(m.map_log_density)
        f_mode = np.asarray(post.predict(m.map_theta, table.grid_in))
        f_best = np.asarray(post.predict(map_theta, table.grid_in))
        assert row["rmse_map_in"] == pytest.approx(
            np.sqrt(np.mean((f_mode - f_best) ** 2)), rel=1e-9, abs=1e-12
        )
    # truth columns: x² on the data grid and on the extrapolation grid (data range excluded)
    lo, hi = post.data.x_range
    assert np.all((table.grid_out < lo) | (table.grid_out > hi)) and table.grid_out.size
    f_map = np.asarray(post.predict(map_theta, table.grid_out))
    assert map_row["rmse_true_out"] == pytest.approx(
        np.sqrt(np.mean((f_map - table.grid_out**2) ** 2)), rel=1e-9
    )


def test_to_dict_is_json_and_str_lists_rows(setup):
    _, _, _, table = setup
    d = table.to_dict()
    text = json.dumps(_jsonable(d), allow_nan=False)
    back = json.loads(text)
    assert [r["name"] for r in back["rows"]] == row_names(table)
    assert back["modes"]["note"] == table.modes.note
    s = str(table)
    for name in row_names(table):
        assert name in s
    assert table.modes.note in s
    assert Comparison.text_from_dict(back) == s


def test_symmetric_copy_of_sgd_compares_the_same(setup):
    post, sgd, samples, table = setup
    rng = np.random.default_rng(5)
    perm = np.stack([rng.permutation(2) for _ in range(RESTARTS)])
    signs = rng.choice([-1.0, 1.0], size=(RESTARTS, 2))
    signs[:, 0] = -1.0  # every restart really moves
    copy = replace(sgd, thetas=transform(post.net, sgd.thetas, perm=perm, signs=signs))
    assert not np.allclose(copy.thetas, sgd.thetas)
    other = compare(post, samples, copy, modes=table.modes)
    keys = [
        "log_posterior",
        "mse",
        "rmse_map_in",
        "rmse_map_out",
        "rmse_true_in",
        "rmse_true_out",
        "distance",
        "mahalanobis",
        "posterior_level",
        "in_band_95",
    ]
    for r in range(RESTARTS):
        a, b = table.row(f"SGD {r}"), other.row(f"SGD {r}")
        assert a["nearest_mode"] == b["nearest_mode"]
        for k in keys:  # float64 rounding only
            assert b[k] == pytest.approx(a[k], rel=1e-9, abs=1e-9), k
        np.testing.assert_allclose(list(b["quantiles"].values()), list(a["quantiles"].values()))


@pytest.mark.slow
def test_cli_compare_updates_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "")  # main() sets it for a fresh process; keep ours
    out = tmp_path / "r"
    cfg = RunConfig(
        target="x2",
        n=50,
        units=2,
        sampler="aies",
        chains=16,
        warmup=100,
        draws=100,
        sgd_steps=200,
        sgd_restarts=2,
        seed=1,
    )
    execute(cfg, out, figures=False, progress=False)
    path = out / "summary.json"
    summary = json.loads(path.read_text())
    summary.pop("comparison")
    path.write_text(json.dumps(summary))

    assert main(["compare", str(out), "--no-save"]) == 0
    assert "comparison" not in json.loads(path.read_text())
    capsys.readouterr()

    assert main(["compare", str(out)]) == 0
    printed = capsys.readouterr().out
    comparison = json.loads(path.read_text())["comparison"]
    names = [r["name"] for r in comparison["rows"]]
    assert names[:3] == ["SGD 0", "SGD 1", "MAP"]
    assert names[3:] == [f"mode {m['index']}" for m in comparison["modes"]["modes"]]
    for name in names:
        assert name in printed
    assert comparison["modes"]["note"] in printed
    assert Comparison.text_from_dict(comparison) in printed
