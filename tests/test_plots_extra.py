"""Study figures: unit decomposition, sweeps, LOO, approximation, diagnostics, animation.

Every figure is drawn from small synthetic records (no sampling), and checked for content:
panels, labels, legend entries, band ordering, and that the unit curves add up to f."""

import dataclasses
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import itertools

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from PIL import Image  # noqa: E402

from bayes_uat import MLP, Posterior, Samples, make_dataset, plots  # noqa: E402
from bayes_uat.modes import find_modes  # noqa: E402
from bayes_uat.predictive import unit_decomposition  # noqa: E402
from bayes_uat.records import Run  # noqa: E402
from bayes_uat.studies import LEVELS, ApproxResult, SweepPoint, TrainingHistory  # noqa: E402
from bayes_uat.studies import plots as study_plots  # noqa: E402
from bayes_uat.symmetry import canonicalize, transform  # noqa: E402
from tests.figure_checks import check_figure  # noqa: E402

# Two different x² fits with two sigmoid units (canonical form, log σ last): the blog's SGD
# solution and its MCMC maximum, far apart in function space.
THETA_A = np.array([1.4, 4.9, -24.0, 1.5, -5.0, 23.0, 25.0, np.log(0.5)])
THETA_B = np.array([1.2, 4.3, -28.0, 1.0, -3.9, 31.0, 27.8, np.log(0.5)])


@pytest.fixture(autouse=True)
def _close_figures():
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


@pytest.fixture(scope="module")
def run():
    """Chain 0 jitters around A, chain 1 around B; every draw then moved into a random
    symmetric copy, as label switching would leave it."""
    data = make_dataset("x2", n=60, seed=0)
    post = Posterior(MLP(2, "sigmoid"), data, likelihood="gaussian")
    rng = np.random.default_rng(0)
    theta = np.stack([THETA_A, THETA_B])[:, None, :] + 0.01 * rng.standard_normal((2, 80, 8))
    flat = theta.reshape(-1, 8)
    perm = rng.permuted(np.tile([0, 1], (flat.shape[0], 1)), axis=1)
    signs = rng.choice([-1.0, 1.0], size=(flat.shape[0], 2))
    theta = transform(post.net, flat, perm=perm, signs=signs).reshape(theta.shape)
    samples = Samples(
        theta=theta,
        log_density=np.asarray(post.log_density(theta)),
        sampler="nuts",
        names=post.names,
        stats={"diverging": np.zeros((2, 80), bool)},
    )
    return Run(post, samples, None, config={}, summary={}, idata=None)


@pytest.fixture(scope="module")
def modes(run):
    return find_modes(run.posterior, run.samples, refine=False, tol=1.0)


def legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def test_studies_and_plots_do_not_load_matplotlib_with_the_core():
    code = "import sys, bayes_uat.studies; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# -- units ------------------------------------------------------------------------------
def test_units_posterior_legend_and_bands(run):
    fig = plots.units(run, max_draws=120)
    (ax,) = fig.axes
    texts = legend_texts(fig.legends[0])
    assert texts[0] == "data"
    assert texts[1].startswith("unit $1$: $t_{1} = ") and texts[2].startswith("unit $2$")
    assert texts[3:] == ["$c$", r"sum $f(x) = c + \sum_i a_i\,\phi(w_i x + b_i)$", "68% band"]
    assert ax.get_xlabel() == "$x$"
    assert "posterior median" in ax.get_title()
    check_figure(fig)
    cu = unit_decomposition(run.posterior, run.samples, run.posterior.data.grid(300), max_draws=120)
    bands = cu.bands
    assert np.all(bands["units"][0] <= cu.units + 1e-12)
    assert np.all(cu.units <= bands["units"][1] + 1e-12)
    assert np.all(bands["sum"][0] <= cu.sum) and np.all(cu.sum <= bands["sum"][1])
    # units are in canonical order: transitions ascending
    assert cu.t[0] < cu.t[1]
    # the figure draws these curves: the sum is the thick black line
    (total,) = [l for l in ax.lines if l.get_linewidth() == 3.0]
    np.testing.assert_allclose(total.get_ydata(), cu.sum)


def test_units_posterior_sum_is_the_median_of_f(run):
    grid = run.posterior.data.grid(300)
    cu = unit_decomposition(run.posterior, run.samples, grid, max_draws=100)
    net = run.posterior.net
    f = np.asarray(net.apply(np.asarray(run.posterior.net_params(cu.theta)), grid))
    np.testing.assert_allclose(cu.sum, np.median(f, axis=0), rtol=1e-10, atol=1e-10)
    # the canonical draws compute the same functions as the raw ones
    np.testing.assert_allclose(canonicalize(net, cu.theta), cu.theta, atol=1e-12)


def test_units_of_a_mode_add_up_to_the_network(run, modes):
    assert len(modes) == 2
    fig = plots.units(run, mode=0, modes=modes)
    (ax,) = fig.axes
    assert ax.get_title().startswith("sigmoid, $N = 2$: MAP draw of mode 0 (")
    assert "68% band of the mode's draws" in legend_texts(fig.legends[0])
    check_figure(fig)
    grid = run.posterior.data.grid(300)
    cu = unit_decomposition(run.posterior, run.samples, grid, mode=0, modes=modes)
    assert cu.mode == 0 and cu.bands is not None
    net = run.posterior.net
    theta = np.asarray(run.posterior.net_params(cu.theta[0]))
    lines = {round(l.get_linewidth(), 2): l for l in ax.lines if l.get_linestyle() == "-"}
    total = lines[3.0].get_ydata()
    np.testing.assert_allclose(total, np.asarray(net.apply(theta, grid)), rtol=1e-12, atol=1e-9)
    unit_lines = [l for l in ax.lines if l.get_linewidth() == 1.1]
    assert len(unit_lines) == 2
    (c_line,) = [l for l in ax.lines if l.get_linestyle() == "--"]
    summed = sum(l.get_ydata() for l in unit_lines) + c_line.get_ydata()[0]
    np.testing.assert_allclose(summed, total, rtol=1e-12, atol=1e-9)
    # the mode's MAP draw is one of its chains' functions
    np.testing.assert_allclose(theta[-1], modes[0].map_canonical[6])


def test_units_mode_index_without_modeset_and_errors(run):
    fig = plots.units(run, mode=1)  # modes found here, without refinement
    assert "MAP draw of mode 1" in fig.axes[0].get_title()
    cu = unit_decomposition(run.posterior, run.samples, run.posterior.data.grid(50), mode=1)
    assert cu.bands is not None
    with pytest.raises(ValueError, match="does not exist"):
        plots.units(run, mode=5)
    with pytest.raises(ValueError, match="Mode from find_modes"):
        plots.units(run, mode="first")


# -- diagnostics ------------------------------------------------------------------------
def test_mode_map_one_colour_per_mode(run, modes):
    fig = plots.mode_map(run, modes)
    (ax,) = fig.axes
    colours = {tuple(np.round(c.get_facecolor()[0], 3)) for c in ax.collections}
    grey = tuple(np.round(to_rgba("0.75"), 3))
    assert len(colours - {grey}) == len(modes)
    assert ax.get_xlabel() == "$t_{1} = -b_{1}/w_{1}$"
    assert ax.get_ylabel() == "$t_{2} = -b_{2}/w_{2}$"
    texts = legend_texts(ax.get_legend())
    assert sum(t.startswith("mode ") for t in texts) == len(modes)
    assert ax.get_title()
    check_figure(fig)
    with pytest.raises(ValueError, match="two different units"):
        plots.mode_map(run, modes, pair=(1, 1))


def test_trace_shows_canonical_draws(run):
    fig = plots.trace(run, params=["w1", "a2"])
    assert len(fig.axes) == 4
    assert [fig.axes[i].get_ylabel() for i in (0, 2)] == ["$w_{1}$", "$a_{2}$"]
    can = canonicalize(run.posterior.net, run.samples.theta)
    plotted = sorted(np.asarray(l.get_ydata()).mean() for l in fig.axes[1].lines)
    assert np.allclose(plotted, sorted(can[:, :, 0].mean(axis=1)))
    # the title names the form of θ, the sampler and the size of the run
    title = fig.legends[0].get_title().get_text()
    assert title == "trace of canonical θ\nNUTS, 2 chains × 80 draws"
    assert legend_texts(fig.legends[0]) == ["chain 1", "chain 2"]
    check_figure(fig, axes=False)
    raw = plots.trace(run, canonical=False, params=[0])
    ys = [np.asarray(l.get_ydata()) for l in raw.axes[1].lines]
    assert any(np.ptp(y) > 1.0 for y in ys)  # raw draws jump between symmetric copies


def test_rank_one_panel_per_parameter(run):
    fig = plots.rank(run, params=["w1", "b1", "c"])
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["$w_{1}$", "$b_{1}$", "$c$"]
    assert legend_texts(fig.legends[0]) == ["chain 1", "chain 2"]
    assert fig.legends[0].get_title().get_text().startswith("rank plots of canonical θ\nNUTS")
    check_figure(fig, axes=False)
    with pytest.raises(ValueError, match="max_params"):
        plots.rank(run, max_params=3)


# -- sweeps -----------------------------------------------------------------------------
def sweep_point(units, activation="sigmoid", seed=0, loo=True):
    rng = np.random.default_rng(seed + 10 * units)
    x = np.linspace(-5, 5, 40)
    y = x**2 + 0.5 * rng.uniform(size=40)
    grid = np.linspace(-10, 10, 50)
    med = grid**2 + 0.25
    q = med + np.array([-2.0, -1.0, 0.0, 1.0, 2.0])[:, None] * np.linspace(1, 3, 50)
    fit = x**2 + 0.25
    return SweepPoint(
        target="x2",
        units=units,
        activation=activation,
        x=x,
        y=y,
        grid=grid,
        quantiles=q,
        sgd_curve=med + 1.0,
        sgd_fit=fit + 0.1,
        median_fit=fit,
        truth=grid**2,
        noise_var=0.02,
        noise_floor=0.125,
        residual_sgd=1.0 / units,
        residual_median=0.5 / units,
        sgd_restart_residuals=np.array([1.0 / units]),
        errors=dict(
            sgd_train=1.0 / units,
            sgd_heldout=1.1 / units,
            posterior_train=0.5,
            posterior_heldout=0.6,
        ),
        slopes=dict(x=[-10, 10], sgd=[0.0, 0.0], median=[0.0, 0.0]),
        loo=dict(elpd=-100.0 / units, se=2.0, p_loo=3.0, k_max=0.3, k_high=0.0) if loo else None,
        sampler={"likelihood": "gaussian"},
        equation="",
    )


def test_sweep_panels_labels_and_band(run):
    pts = [sweep_point(n) for n in (1, 2, 4)]
    # residuals that shrink with N, as in the blog's sweep
    pts = [
        dataclasses.replace(p, sgd_fit=p.y + 1 / p.units, median_fit=p.y - 0.5 / p.units)
        for p in pts
    ]
    fig = study_plots.sweep(pts)
    assert len(fig.axes) == 6
    top = fig.axes[:3]
    assert [ax.get_title() for ax in top] == ["$N = 1$", "$N = 2$", "$N = 4$"]
    assert top[0].get_ylabel() == "$y$" and fig.axes[3].get_ylabel() == r"$|\Delta y|$ at the data"
    assert all(ax.get_xlabel() == "$x$" for ax in fig.axes[3:])
    # mean |Δy| above each panel: SGD on the left (red), the median on the right
    assert top[1].get_title(loc="left") == "$0.5$" and top[1].get_title(loc="right") == "$0.25$"
    assert "mean $|\\Delta y|$" in fig.get_suptitle()
    assert "Gaussian likelihood" in fig.get_suptitle()
    assert "SGD (red, left)" in fig.get_suptitle()
    # one logarithmic |Δy| scale for every N, reaching the largest residual (N = 1's)
    lims = {ax.get_ylim() for ax in fig.axes[3:]}
    assert len(lims) == 1 and all(ax.get_yscale() == "log" for ax in fig.axes[3:])
    (lo, hi) = lims.pop()
    assert hi >= 1.0 > 0.25 >= lo  # SGD's |Δy| is 1 at N = 1, the median's 0.125 at N = 4
    # the legend under the panels, the title above them
    assert fig.legends[0].get_window_extent().y1 < min(ax.get_window_extent().y0 for ax in top)
    check_figure(fig)
    (legend,) = fig.legends
    assert legend_texts(legend) == [
        "data",
        "SGD (Adam)",
        "posterior median",
        "95% band",
        "data range",
    ]
    # the band spans the 2.5 % and 97.5 % curves, the median line is the 50 % curve
    (band,) = top[0].collections
    ys = band.get_paths()[0].vertices[:, 1]
    q = pts[0].quantiles
    assert np.isclose(ys.min(), q[0].min()) and np.isclose(ys.max(), q[-1].max())
    assert any(np.allclose(l.get_ydata(), q[2]) for l in top[0].lines)
    assert LEVELS == (2.5, 16.0, 50.0, 84.0, 97.5)


def test_sweep_without_residuals_and_bad_input():
    fig = study_plots.sweep([sweep_point(1), sweep_point(2)], residuals=False, truth=True)
    assert len(fig.axes) == 2
    assert "truth" in legend_texts(fig.legends[0])
    with pytest.raises(ValueError, match="no sweep results"):
        study_plots.sweep([])
    with pytest.raises(ValueError, match="SweepPoint"):
        study_plots.sweep([object()])


def test_activations_grid_rows_and_columns():
    pts = [sweep_point(n, a) for a in ("relu", "tanh", "sigmoid", "softsign") for n in (1, 2)]
    fig = study_plots.activations(pts)
    assert len(fig.axes) == 8
    rows = [fig.axes[i].get_ylabel() for i in (0, 2, 4, 6)]
    assert rows == ["sigmoid: $y$", "softsign: $y$", "relu: $y$", "tanh: $y$"]
    assert [ax.get_title() for ax in fig.axes[:2]] == ["$N = 1$", "$N = 2$"]
    check_figure(fig)
    fig = study_plots.activations(pts, units=[2], activations=["tanh"])
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="no result for"):
        study_plots.activations(pts, units=[3])


def test_loo_panels_and_legend():
    pts = [sweep_point(n, a) for a in ("sigmoid", "relu") for n in (1, 2, 4)]
    fig = study_plots.loo(pts)
    left, right = fig.axes
    assert left.get_title() and right.get_title()
    assert legend_texts(left.get_legend())[:2] == ["sigmoid", "relu"]
    assert left.get_ylabel() == r"$\mathrm{elpd}_{\mathrm{LOO}}$"
    assert right.get_yscale() == "log"
    assert legend_texts(right.get_legend()) == ["train", "held out", "noise variance"]
    with pytest.raises(ValueError, match="no LOO"):
        study_plots.loo([sweep_point(1, loo=False)])


def test_loo_marks_points_below_the_axis():
    pts = [sweep_point(n, "relu") for n in (1, 2, 3, 4, 6, 8)]
    pts[0] = dataclasses.replace(pts[0], loo={**pts[0].loo, "elpd": -5000.0})
    fig = study_plots.loo(pts, heldout=False)
    (ax,) = fig.axes
    lo = ax.get_ylim()[0]
    assert -5000.0 < lo  # the far point is off the chart ...
    marks = [l for l in ax.lines if l.get_marker() == "v"]
    below = sorted(p.units for p in pts if p.loo["elpd"] < lo)
    assert below[0] == 1  # ... and marked, as is every other point below the axis
    assert sorted(float(m.get_xdata()[0]) for m in marks) == below
    assert all(np.allclose(m.get_ydata(), [lo]) for m in marks)
    assert "below the axis" in legend_texts(ax.get_legend())
    assert any(t.get_text() == "-5000" for t in ax.texts)


def test_approximation_panels():
    data = make_dataset("bump", n=50, seed=0)
    grid = np.linspace(-4, 4, 30)
    out = {
        "ReLU network": [1.0, 0.5],
        "Fourier": [0.7, 0.7],
        "polynomial": [40.0, 4e4],  # explodes outside the data
    }
    fams = {
        name: dict(
            params=np.array([7.0, 13.0]),
            rmse_in=np.array([0.3, 0.2]),
            rmse_out=np.array(v),
            label=["a", "b"],
        )
        for name, v in out.items()
    }
    fams["ReLU network"]["rmse_in_median"] = np.array([0.4, 0.3])
    res = ApproxResult(
        name="bump",
        data=data,
        families=fams,
        grid=grid,
        truth=0 * grid,
        examples={"polynomial": grid, "exact": 0 * grid},
        example_params=13,
        threshold=0.1,
        numbers={},
    )
    fig = study_plots.approximation(res)
    assert len(fig.axes) == 3
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_yscale() == "log"
    # one legend names everything: families, the median restart, the threshold line, and
    # the example panel's truth, hand-made fit, data and data range
    assert legend_texts(fig.legends[0]) == [
        "ReLU network",
        "Fourier",
        "polynomial",
        "median restart",
        "RMSE = 0.1",
        "truth",
        "exact",
        "data",
        "data range",
    ]
    assert fig.axes[2].get_legend() is None
    assert fig.axes[1].get_ylabel() == fig.axes[0].get_ylabel() == "RMSE vs. truth"
    # the exploding family does not flatten the others: the axis ends 4× above the highest
    # of theirs, its points are ▲ on the top edge, and its range is written out
    lo, hi = fig.axes[1].get_ylim()
    assert np.isclose(hi, 4.0) and lo < 0.5
    tri = [l for l in fig.axes[1].lines if l.get_marker() == "^"]
    assert len(tri) == 1 and np.allclose(tri[0].get_ydata(), hi)
    assert any("polynomial, above the axis" in t.get_text() for t in fig.axes[1].texts)
    # the truth wide and pale under the hand-made fit lying on it: both show
    ex = fig.axes[2]
    exact = [l for l in ex.lines if l.get_color() == "k"]
    (truth,) = [l for l in ex.lines if l.get_alpha() == 0.35]
    assert exact and all(e.get_zorder() > truth.get_zorder() for e in exact)
    assert truth.get_linewidth() > 2 * exact[0].get_linewidth()
    check_figure(fig)
    for f in fams.values():
        f["rmse_out"] = np.full(2, np.nan)
    assert len(study_plots.approximation(res).axes) == 2


# -- animation --------------------------------------------------------------------------
def history(units, k=5):
    net = MLP(units, "relu")
    rng = np.random.default_rng(units)
    return TrainingHistory(
        net=net,
        steps=np.arange(k) * 10,
        thetas=rng.normal(size=(k, net.dim)),
        losses=np.linspace(5, 1, k),
        settings={},
    )


def test_training_animation_has_one_frame_per_snapshot(tmp_path):
    data = make_dataset("abs", n=30, seed=0)
    path = study_plots.training_animation(history(3, k=5), data, tmp_path / "one", fps=4, dpi=30)
    assert path.name == "one.gif"
    with Image.open(path) as im:
        assert im.n_frames == 5
    both = study_plots.training_animation(
        [history(3, 4), history(5, 4)], data, tmp_path / "two.gif", dpi=30
    )
    with Image.open(both) as im:
        assert im.n_frames == 4
        assert im.size[0] > im.size[1]  # two panels side by side
    assert not list(tmp_path.glob(".*"))
    with pytest.raises(ValueError, match="same number of snapshots"):
        study_plots.training_animation([history(3, 4), history(5, 5)], data, tmp_path / "x.gif")


def test_training_snapshots_panels():
    data = make_dataset("abs", n=30, seed=0)
    fig = study_plots.training_snapshots([history(3), history(5)], data, at=(0.0, 0.5, 1.0))
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("$N = 3$")
    assert "MSE vs. data" in fig.axes[0].get_title()
    check_figure(fig)
    assert legend_texts(fig.axes[0].get_legend()) == ["step 0", "step 20", "step 40"]
    assert isinstance(fig.legends[0].legend_handles[0], Line2D)


def test_loo_with_evidence_adds_a_row():
    from bayes_uat.studies import EvidencePoint

    pts = [sweep_point(n, a) for a in ("sigmoid", "tanh") for n in (1, 2, 4)]
    ev = [
        EvidencePoint(n, a, -100.0 + n, 2.0, (-99.0 + n, -101.0 + n), (10, 11), 1.0)
        for a in ("sigmoid", "tanh")
        for n in (1, 2, 4)
    ]
    fig = study_plots.loo(pts, evidence=ev)
    left, right, bottom, close = fig.axes  # the close-up: each run's log Z
    assert "evidence" in bottom.get_title() and "close-up" in close.get_title()
    assert bottom.get_ylabel() == r"$\log p(D \mid N)$"
    assert legend_texts(bottom.get_legend()) == ["sigmoid", "tanh"]
    assert bottom.get_xlim() == left.get_xlim()
    ys = sorted(
        float(y) for line in bottom.lines for y in line.get_ydata() if line.get_marker() == "o"
    )
    assert ys == sorted(p.log_evidence for p in ev)


def test_loo_with_network_evidence_shows_the_bound():
    """bu.evidence rows (NetworkEvidence) in the bottom panel, which spans both columns,
    with the largest log-likelihood found as a dashed line above each curve."""
    from bayes_uat.studies import NetworkEvidence

    pts = [sweep_point(n, a) for a in ("sigmoid", "tanh") for n in (2, 4)]
    ev = [
        NetworkEvidence(
            a,
            n,
            3 * n + 2,
            2,
            -100.0 + n,
            0.5,
            0.7,
            -60.0 + n,
            0.1,
            0.2,
            1,
            0.0,
            0.0,
            1.0,
            (),
            (-100.5 + n, -99.5 + n),
        )
        for a in ("sigmoid", "tanh")
        for n in (1, 2, 4)
    ]
    fig = study_plots.loo(pts, evidence=ev)
    left, right, bottom, close = fig.axes
    assert left.get_xlim() == bottom.get_xlim() == right.get_xlim()
    assert left.get_xlim()[0] < 1 < 4 < left.get_xlim()[1]
    assert legend_texts(bottom.get_legend())[-1] == "largest log-likelihood found"
    dashed = [line for line in bottom.lines if line.get_linestyle() == "--"]
    assert sorted(y for line in dashed for y in line.get_ydata()) == sorted(
        p.max_log_likelihood for p in ev
    )
    # the close-up: every run's log Z as a dot, within NEAR_BEST nats of the best run
    from bayes_uat.studies.plots._sweep import NEAR_BEST

    assert close.get_title().startswith("close-up")
    dots = [line for line in close.lines if line.get_marker() == "."]
    runs = sorted(y for line in dots for y in line.get_ydata())
    assert runs == sorted(v for p in ev for v in p.log_evidence_runs)
    lo, hi = close.get_ylim()
    assert lo < min(runs) and hi > max(runs)
    near = [p for p in ev if max(p.log_evidence_runs) >= max(runs) - NEAR_BEST]
    assert close.get_xlim()[0] == min(p.units for p in near) - 0.5
    assert legend_texts(close.get_legend()) == ["mean ± SE", "each run"]
    check_figure(fig)


def test_loo_markers_below_the_axis_do_not_overlap():
    """Several activations far below the axis at one N: one ▼ each, side by side."""
    acts = ("sigmoid", "softsign", "relu", "tanh")
    pts = [sweep_point(n, a) for a in acts for n in (1, 3, 4, 5, 6, 7, 8, 9, 10)]
    for p in pts:
        if p.units == 3:
            p.loo["elpd"] = -5000.0 - len(p.activation)
    fig = study_plots.loo(pts)
    ax = fig.axes[0]
    lo = ax.get_ylim()[0]
    marks = [line for line in ax.lines if line.get_marker() == "v"]
    marks = [line for line in marks if abs(line.get_xdata()[0] - 3) < 0.5]
    xs = sorted(float(line.get_xdata()[0]) for line in marks)
    assert len(xs) == 4 and all(line.get_ydata()[0] == lo for line in marks)
    assert min(np.diff(xs)) >= 0.2 and abs(np.mean(xs) - 3) < 1e-9
    fig.canvas.draw()  # the values printed beside the markers do not overlap either
    r = fig.canvas.get_renderer()
    values = ("-5007", "-5008", "-5004")
    boxes = [t.get_window_extent(r) for t in ax.texts if t.get_text() in values]
    assert len(boxes) == 4
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_loo_figure_passes_the_figure_checks():
    pts = [sweep_point(n, a) for a in ("sigmoid", "relu") for n in (1, 2, 4)]
    check_figure(study_plots.loo(pts))


def test_run_label_names_each_sampler_in_its_own_words(run):
    from bayes_uat.plots._style import run_label, sampler_label

    def relabel(sampler, **settings):
        s = dataclasses.replace(run.samples, sampler=sampler, settings=settings)
        return dataclasses.replace(run, samples=s)

    nuts = relabel(
        "nuts", warmup=500, max_tree_depth=8, target_accept=0.9, init="sgd", dense_mass=False
    )
    assert run_label(nuts) == (
        "NUTS, 2 chains × (500 warm-up + 80 draws), max tree depth 8, target acceptance 0.9, "
        "started at SGD restarts"
    )
    assert sampler_label(relabel("ensemble", warmup=20)) == (
        "ensemble (stretch move), 2 walkers × (20 burn-in + 80 draws)"
    )
    smc = relabel("smc", warmup=1000, steps=30, mass="canonical")
    assert sampler_label(smc) == "tempered SMC, 2 independent runs × 80 particles"  # no warm-up
    assert run_label(smc) == (
        "tempered SMC, 2 independent runs × 80 particles, ≥ 30 transitions per temperature, "
        "canonical mass"
    )
