"""The spectral-bias study (bayes_uat.studies.spectral) and its figures."""

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bayes_uat.spectral import amplitudes_at, power_spectrum
from bayes_uat.studies import spectral as S

ROOT = Path(__file__).resolve().parents[1]


def test_learned_step_is_the_first_step_it_stays_below():
    steps = np.array([0, 10, 20, 30, 40])
    rel = np.array(
        [
            [1.0, 0.05, 0.5, 0.05, 0.02],  # dips early, comes back, then stays: 30
            [1.0, 0.9, 0.8, 0.7, 0.6],  # never
            [0.01, 0.01, 0.01, 0.01, 0.01],  # from the start
        ]
    ).T  # (S, K)
    got = S.learned_step(rel, steps, 0.1)
    assert got[0] == 30 and np.isnan(got[1]) and got[2] == 0


def test_target_and_noisy_data():
    x, y, ph = S.sinusoid_target(64, (1, 3, 20), seed=2)
    np.testing.assert_allclose(amplitudes_at(y, [1, 3, 20, 5]), [1, 1, 1, 0], atol=1e-12)
    with pytest.raises(ValueError, match="Nyquist"):
        S.sinusoid_target(32, (1, 20))
    with pytest.raises(ValueError, match="≥ 1"):
        S.sinusoid_target(32, (0, 3))
    x, y, truth, xf, tf = S.noisy_low_frequency_data(200, noise=0.3, kind="high")
    p = power_spectrum(y - truth)
    assert abs(np.std(y - truth) - 0.3) < 1e-12
    assert p[25:51].sum() > 0.999 * p[1:].sum()  # all noise power inside the band
    np.testing.assert_allclose(xf - x, 0.0025)
    assert abs(np.mean(tf**2) - 1.5) < 0.05  # three unit sinusoids: mean square 3/2


def test_bad_settings_are_refused_before_work():
    with pytest.raises(ValueError, match="unknown network"):
        S.spectral_study(networks=["relu", "gelu"])
    with pytest.raises(ValueError, match="every"):
        S.spectral_study(steps=10, every=20)
    with pytest.raises(ValueError, match="threshold"):
        S.spectral_study(threshold=1.5)
    with pytest.raises(ValueError, match="Nyquist"):
        S.spectral_study(n=32)


def test_low_frequency_is_learned_first_by_tanh():
    """Rahaman et al.'s observation at tiny size: with equal amplitudes at k = 1 and k = 12,
    every tanh restart learns k = 1 before k = 12 (or never learns k = 12)."""
    x, y, _ = S.sinusoid_target(64, (1, 12))
    d = S.training_dynamics(
        S.spectral_net("tanh", 32),
        x,
        y,
        (1, 12),
        restarts=3,
        steps=600,
        every=20,
        learning_rate=3e-3,
        init_scale=30.0,
    )
    assert d.rel.shape == (3, 31, 2) and d.fits.shape == (31, 64)
    k1, k12 = d.learned[:, 0], d.learned[:, 1]
    assert np.all(np.isfinite(k1))
    assert np.all(np.isnan(k12) | (k12 > k1))


def test_prior_spectrum_shifts_up_with_the_prior_scale():
    """A wider prior over first-layer weights puts more of f's power at high frequencies."""
    x = S.periodic_grid(64)
    p = S.prior_spectra(S.spectral_net("hat", 16), x, (1.0, 30.0), draws=200)
    assert p.shape == (2, 33) and np.isnan(p[:, 0]).all()
    total = np.nansum(p, axis=1)  # a draw whose f is constant (every hat unit dead) adds 0
    assert np.all((total > 0.95) & (total < 1 + 1e-12))
    # measured: 0.0009 and 0.21 (power share at k ≥ 10)
    assert p[0, 10:].sum() < 0.01 and p[1, 10:].sum() > 0.1


def _dyn(learned, steps=100):
    learned = np.asarray(learned, float)
    return S.Dynamics(
        steps=np.arange(0, steps + 1, 10),
        rel=np.zeros((learned.shape[0], 11, learned.shape[1])),
        learned=learned,
        fits=np.zeros((11, 8)),
        final_mse=np.zeros(learned.shape[0]),
    )


def test_claim_verdicts():
    dyn = {
        "relu": _dyn([[10, 20, np.nan], [10, 30, np.nan]]),  # ordered: true
        "tanh": _dyn([[30, 10, 40], [30, 10, 40]]),  # not monotone, last after first: partly
        "hat": _dyn([[10, 10, 20], [10, 20, 20]]),  # spread 2: removes it
        "sin": _dyn([[40, 10, 10], [40, 10, 10]]),  # high first: false
        "relu+ff": _dyn([[10, 20, 100], [10, 20, 100]]),  # spread 10 against relu's 11
    }
    prior = {"relu": np.array([[np.nan, 1.0, 0.5, 0.01], [np.nan, 1.0, 0.5, 0.5]])}
    meta = dict(frequencies=(1, 2, 3), never=110, every=10, steps=100, prior_scales=(1, 3))
    post = {"relu": dict(rmse_sgd=0.2, rmse_posterior=0.1)}
    claims = {(c["claim"], c["network"]): c for c in S.spectral_claims(dyn, prior, post, meta)}
    v = {k: c["verdict"] for k, c in claims.items()}
    assert v[("low frequencies first", "relu")] == "true"
    assert v[("low frequencies first", "tanh")] == "partly"
    assert v[("low frequencies first", "sin")] == "false"
    assert v[("the hat removes it", "hat")] == "true"
    assert v[("the Fourier encoding removes it", "relu+ff")] == "false"
    assert claims[("the hat removes it", "hat")]["numbers"]["relu_spread"] == 11.0
    assert v[("the bias is in the prior as well as in training", "all")] == "partly"
    assert v[("the posterior mean ignores high-frequency noise better than SGD", "all")] == "true"


@pytest.mark.slow
def test_tiny_study_and_its_figures(tmp_path):
    """The study end to end without its posterior part, at tiny size, and figures with the
    expected panels, titles and legends (posterior panels from stand-in spectra)."""
    from bayes_uat.studies import plots
    from tests.figure_checks import check_figure

    res = S.spectral_study(
        networks=("hat",),
        frequencies=(1, 5),
        n=32,
        width=8,
        restarts=2,
        steps=20,
        every=10,
        prior_scales=(1.0, 10.0),
        prior_draws=10,
        posterior_networks=(),
    )
    assert set(res.dynamics) == {"hat"} and res.posterior == {}
    assert res.numbers["settings"]["width"] == 8
    assert [c["network"] for c in res.claims] == ["hat", "hat", "all"]
    fig = plots.spectral_dynamics(res)
    check_figure(fig)
    assert [ax.get_title() for ax in fig.axes][0] == "hat"
    assert any("residual amplitude" in ax.get_ylabel() for ax in fig.axes)  # the colour bar
    plots.save(fig, tmp_path / "dyn", formats=("png",))
    fig = plots.spectral_prior(res)
    (leg,) = fig.legends
    assert [t.get_text() for t in leg.get_texts()] == [
        "prior sd $s = 1$",
        "prior sd $s = 10$",
        "frequencies of the training target: 1, 5",
    ]
    check_figure(fig)
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    plots.save(fig, tmp_path / "prior", formats=("png",))
    k = np.full(17, 1e-3)
    fake = dict(
        data=k, sgd=k, draws=k, deviation=k, band_width=k, rmse_sgd=0.5, rmse_posterior=0.25
    )
    fig = plots.spectral_posterior(replace(res, posterior={"hat": fake}))
    assert "SGD 0.500, post. mean 0.250" in fig.axes[0].get_title()
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "noise band, $k$ = 25–50",
        "SGD fit",
        "posterior draws $f$",
        "$f$ − posterior mean (the band's content)",
        "width of the 95 % band, as a function of $x$",
        "data $y$",
    ]
    # the title says what the RMSE is measured against, as docs/studies.md does
    assert "against the noise-free truth at the 32 grid midpoints" in fig.get_suptitle()
    check_figure(fig)
    plots.save(fig, tmp_path / "post", formats=("png",))
    fig = plots.spectral_fits(res)
    check_figure(fig)
    assert len(fig.axes[0].get_lines()) == 4  # target + steps 0, 10 and 20
    assert fig.legends[0].get_texts()[0].get_text() == "target"
    plots.save(fig, tmp_path / "fits", formats=("png",))
    assert len(list(tmp_path.glob("*.png"))) == 4


@pytest.mark.slow
def test_study_script_quick(tmp_path):
    """scripts/study_spectral.py --quick end to end: NUTS posterior included."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "study_spectral.py"), "--quick"]
        + ["--figures", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = {p.name for p in tmp_path.iterdir()}
    for stem in ("dynamics", "prior", "posterior", "fits"):
        assert {f"spectral_{stem}.png", f"spectral_{stem}.pdf"} <= names
    import json

    numbers = json.loads((tmp_path / "spectral.json").read_text())
    assert numbers["quick"] and numbers["posterior"]["tanh"]["rmse_sgd"] > 0
    assert {c["verdict"] for c in numbers["claims"]} <= {"true", "false", "partly"}
