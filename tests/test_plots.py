"""Plots: content of the corner and fit figures, and atomic saving."""

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import same_color  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import bayes_uat  # noqa: E402
from bayes_uat import MLP, Posterior, make_dataset, plots, sample, train_sgd  # noqa: E402
from bayes_uat.predictive import predictive_bands  # noqa: E402
from bayes_uat.records import Run  # noqa: E402
from bayes_uat.symmetry import canonicalize  # noqa: E402
from tests.figure_checks import check_figure, check_legend_clear, check_text_apart  # noqa: E402

SGD_COLOR, MAP_COLOR, TRUTH_COLOR = "tab:red", "tab:blue", "tab:brown"


@pytest.fixture(scope="module")
def run():
    data = make_dataset("x2", n=60, seed=0)
    post = Posterior(MLP(2, "sigmoid"), data, prior_std=30.0)
    sgd = train_sgd(post, restarts=2, steps=300, seed=0)
    samples = sample(
        post, "aies", chains=28, warmup=300, draws=300, seed=0, progress=False, sgd=sgd
    )
    return Run(post, samples, sgd, config={}, summary={}, idata=None)


@pytest.fixture(scope="module")
def corner_fig(run):
    fig = plots.corner(run)
    yield fig
    plt.close(fig)


@pytest.fixture(scope="module")
def fit_fig(run):
    fig = plots.fit(run)
    yield fig
    plt.close(fig)


@pytest.fixture(autouse=True)
def _close_new_figures():
    """Close the figures a test made (module-scoped figures are made before this runs)."""
    before = set(plt.get_fignums())
    yield
    for num in set(plt.get_fignums()) - before:
        plt.close(num)


def grid_axes(fig, k):
    return np.array(fig.axes).reshape(k, k)


def lines_with(ax, color, *, marker=None):
    return [
        l
        for l in ax.lines
        if same_color(l.get_color(), color) and (marker is None or l.get_marker() == marker)
    ]


def test_core_package_does_not_import_matplotlib():
    code = "import sys, bayes_uat; sys.exit('matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_core_and_run_plots_never_import_the_studies():
    code = (
        "import sys, bayes_uat, bayes_uat.plots, bayes_uat.predictive, bayes_uat.cli; "
        "sys.exit(any(m.startswith('bayes_uat.studies') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
    # nor lazily: no module outside studies/ names it in an import
    pkg = Path(bayes_uat.__file__).parent
    for path in pkg.rglob("*.py"):
        if "studies" in path.relative_to(pkg).parts:
            continue
        for line in path.read_text().splitlines():
            s = line.strip()
            if s.startswith(("import ", "from ")):
                assert "studies" not in s, f"{path.name}: {s}"


def test_moved_study_figures_say_where_they_went():
    with pytest.raises(AttributeError, match="bayes_uat.studies.plots.loo"):
        plots.loo  # noqa: B018
    # plots.sweep now draws a `bayes-uat sweep` directory; study results are sent on
    with pytest.raises(ValueError, match="bayes_uat.studies.plots.sweep"):
        plots.sweep([object()])


# -- corner -----------------------------------------------------------------------------
def test_corner_grid_and_labels(run, corner_fig):
    dim = run.samples.dim
    assert len(corner_fig.axes) == dim**2
    axes = grid_axes(corner_fig, dim)
    assert [ax.get_xlabel() for ax in axes[-1]] == list(run.posterior.labels)
    assert [ax.get_ylabel() for ax in axes[1:, 0]] == list(run.posterior.labels[1:])


def test_corner_legend_has_exactly_sgd_and_map(corner_fig):
    (legend,) = corner_fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["SGD (Adam)", "MAP sample"]
    title = legend.get_title().get_text()
    assert title.startswith("AIES, 28 walkers × (300 burn-in + 300 draws)")
    assert "axes: 0.5–99.5 % of the draws" in title
    check_figure(corner_fig)
    handles = legend.legend_handles
    assert all(isinstance(h, Line2D) for h in handles)
    assert same_color(handles[0].get_color(), SGD_COLOR)
    assert same_color(handles[1].get_color(), MAP_COLOR)


def test_corner_markers_at_sgd_and_map_values(run, corner_fig):
    dim = run.samples.dim
    axes = grid_axes(corner_fig, dim)
    sgd, mp = run.sgd.best, run.samples.map_theta
    for i in range(dim):
        xs = [l.get_xdata() for l in lines_with(axes[i, i], SGD_COLOR)]
        assert any(np.allclose(x, sgd[i]) for x in xs), f"no SGD line at {sgd[i]} in panel {i}"
        xs = [l.get_xdata() for l in lines_with(axes[i, i], MAP_COLOR)]
        assert any(np.allclose(x, mp[i]) for x in xs), f"no MAP line at {mp[i]} in panel {i}"
    (pt,) = lines_with(axes[1, 0], MAP_COLOR, marker="o")
    assert np.allclose(pt.get_xdata(), [mp[0]]) and np.allclose(pt.get_ydata(), [mp[1]])
    (pt,) = lines_with(axes[1, 0], SGD_COLOR, marker="s")
    assert np.allclose(pt.get_xdata(), [sgd[0]]) and np.allclose(pt.get_ydata(), [sgd[1]])


def test_corner_markers_inside_axis_limits(run, corner_fig):
    dim = run.samples.dim
    axes = grid_axes(corner_fig, dim)
    for v in (run.sgd.best, run.samples.map_theta):
        for i in range(dim):
            lo, hi = axes[i, i].get_xlim()
            assert lo < v[i] < hi
            for j in range(i):
                (xlo, xhi), (ylo, yhi) = axes[i, j].get_xlim(), axes[i, j].get_ylim()
                assert xlo < v[j] < xhi and ylo < v[i] < yhi


def test_corner_ranges_cover_central_mass_not_outliers(run, corner_fig):
    flat = run.samples.flat()
    axes = grid_axes(corner_fig, run.samples.dim)
    for i in range(run.samples.dim):
        lo, hi = axes[i, i].get_xlim()
        qlo, qhi = np.quantile(flat[:, i], [0.005, 0.995])
        assert lo <= qlo and hi >= qhi


def test_corner_params_subset_by_name(run):
    fig = plots.corner(run, params=["w1", "a1"])
    assert len(fig.axes) == 4
    axes = grid_axes(fig, 2)
    assert [ax.get_xlabel() for ax in axes[-1]] == ["$w_{1}$", "$a_{1}$"]
    (pt,) = lines_with(axes[1, 0], MAP_COLOR, marker="o")
    mp = run.samples.map_theta
    assert np.allclose(pt.get_xdata(), [mp[0]]) and np.allclose(pt.get_ydata(), [mp[2]])


def test_corner_single_parameter_and_truths_for_plotted_ones(run):
    fig = plots.corner(run, params=["c"], truths=[0.25])
    (ax,) = fig.axes
    assert ax.get_xlabel() == "$c$"
    assert any(np.allclose(l.get_xdata(), run.sgd.best[-1]) for l in lines_with(ax, SGD_COLOR))
    assert any(np.allclose(l.get_xdata(), 0.25) for l in lines_with(ax, TRUTH_COLOR))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "SGD (Adam)",
        "MAP sample",
        "truth",
    ]


def test_corner_far_marker_is_an_arrow_not_a_stretched_axis(run):
    far = run.sgd.best.copy()
    far[-1] = 1e4  # e.g. an SGD log σ far outside the posterior
    fig = plots.corner(run, params=["w1", "c"], sgd_theta=far, canonical=True)
    axes = grid_axes(fig, 2)
    flat = run.samples.flat()[:, -1]
    lo, hi = axes[1, 1].get_xlim()
    assert hi < np.quantile(flat, 0.995) + 0.2 * np.ptp(np.quantile(flat, [0.005, 0.995])) + 1
    assert lines_with(axes[1, 1], SGD_COLOR, marker=">")  # on the diagonal
    assert lines_with(axes[1, 0], SGD_COLOR, marker="^")  # in the 2-D panel
    legend = fig.legends[0]
    assert "arrows: markers beyond" in legend.get_title().get_text()
    assert [t.get_text() for t in legend.get_texts()] == [
        "SGD (Adam), canonicalised",
        "MAP sample, canonicalised",
    ]


def test_corner_large_runs_show_density_not_every_point(run):
    few = plots.corner(run, params=["w1", "c"], max_points=10**6)
    many = plots.corner(run, params=["w1", "c"], max_points=100)
    n_few = sum(len(l.get_xdata()) for l in grid_axes(few, 2)[1, 0].lines)
    n_many = sum(len(l.get_xdata()) for l in grid_axes(many, 2)[1, 0].lines)
    assert n_few > run.samples.chains * run.samples.draws / 2 and n_many < 20
    assert "density and contours" in many.legends[0].get_title().get_text()


def test_corner_too_many_parameters_is_a_helpful_error(run):
    with pytest.raises(ValueError, match=r"7 parameters.*max_params=4.*params=\["):
        plots.corner(run, max_params=4)
    with pytest.raises(ValueError, match="unknown parameter 'w9'"):
        plots.corner(run, params=["w1", "w9"])


def test_corner_zero_spread_parameter_does_not_crash(run):
    theta = run.samples.theta.copy()
    theta[..., -1] = 1.0
    fig = plots.corner(run, theta=theta, params=["w1", "a1", "c"])
    axes = grid_axes(fig, 3)
    lo, hi = axes[2, 2].get_xlim()
    assert lo <= 0.5 and hi >= 1.5
    # the SGD c lies far beyond this constant's ±0.5 range: an arrow at the right edge
    assert run.sgd.best[-1] > hi and lines_with(axes[2, 2], SGD_COLOR, marker=">")


def test_corner_theta_hook_takes_map_draw_from_theta(run):
    theta = -run.samples.theta  # e.g. samples mapped to another symmetry copy
    sgd_theta = -run.sgd.best
    fig = plots.corner(
        run,
        theta=theta.reshape(-1, run.samples.dim),
        params=[0, 1],
        sgd_theta=sgd_theta,
        map_theta=-run.samples.map_theta,
    )
    axes = grid_axes(fig, 2)
    (pt,) = lines_with(axes[1, 0], SGD_COLOR, marker="s")
    assert np.allclose(pt.get_xdata(), [sgd_theta[0]])
    fig = plots.corner(run, theta=theta, params=[0, 1], sgd=False)
    axes = grid_axes(fig, 2)
    assert not lines_with(axes[0, 0], SGD_COLOR)
    (pt,) = lines_with(axes[1, 0], MAP_COLOR, marker="o")
    assert np.allclose(pt.get_xdata(), [-run.samples.map_theta[0]])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["MAP sample"]


# -- fit --------------------------------------------------------------------------------
def test_fit_axes_and_labels(fit_fig, run):
    top, bottom = fit_fig.axes
    assert top.get_ylabel() == "$y$"
    assert bottom.get_xlabel() == "$x$"
    assert bottom.get_ylabel() == r"$|\Delta y|$"
    texts = [t.get_text() for t in bottom.get_legend().get_texts()]
    assert len(texts) == 2 and all(r"mean $|\Delta y| = " in t for t in texts)
    # plain tick labels whatever the scale (no mixed "0.0"/"2.5" and "0"/"2" formats)
    ticks = [t.get_text() for t in bottom.get_yticklabels() if t.get_text()]
    assert ticks and all(t == f"{float(t.replace('−', '-')):g}" for t in ticks)
    assert fit_fig.get_suptitle().startswith("AIES, 28 walkers × (300 burn-in + 300 draws)")
    check_figure(fit_fig)
    fig = plots.fit(run, residuals=False, max_draws=200)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "$x$" and ax.get_ylabel() == "$y$"


def test_fit_quantiles_ordered_on_a_doubled_grid(fit_fig, run):
    grid = run.posterior.data.grid(400, extrapolate=2.0)
    bands = predictive_bands(run.posterior, run.samples, grid)
    q = bands.quantiles
    assert bands.levels == (2.5, 16, 50, 84, 97.5)
    assert q.shape == (5, 400) and grid.shape == (400,)
    assert np.all(np.diff(q, axis=0) >= 0)
    lo, hi = run.posterior.data.x_range
    assert np.isclose(grid[-1] - grid[0], 2 * (hi - lo))
    assert np.isclose(grid[0] + grid[-1], lo + hi)
    # the figure draws these bands: its median line is the 50th percentile
    (median,) = [l for l in fit_fig.axes[0].lines if l.get_color() == "k"]
    np.testing.assert_allclose(median.get_ydata(), bands.at(50.0))


def test_fit_legend_and_view(fit_fig, run):
    top = fit_fig.axes[0]
    texts = [t.get_text() for t in top.get_legend().get_texts()]
    for want in (
        "data",
        "posterior median",
        "68% band",
        "95% band",
        "SGD (Adam)",
        "MAP sample",
        "truth",
    ):
        assert want in texts
    y = run.posterior.data.y
    span = y.max() - y.min()
    ylo, yhi = top.get_ylim()
    assert ylo <= y.min() and yhi >= y.max()
    assert ylo >= y.min() - 1.5 * span and yhi <= y.max() + 1.5 * span


def test_fit_draw_selection_is_seeded(run):
    grid = run.posterior.data.grid(50)
    a = predictive_bands(run.posterior, run.samples, grid, max_draws=100, seed=3)
    b = predictive_bands(run.posterior, run.samples, grid, max_draws=100, seed=3)
    c = predictive_bands(run.posterior, run.samples, grid, max_draws=100, seed=4)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    assert a.n_draws == 100 and not np.array_equal(a.quantiles, c.quantiles)


def test_fit_takes_precomputed_bands(run):
    grid = run.posterior.data.grid(60, extrapolate=1.5)
    bands = predictive_bands(run.posterior, run.samples, grid, max_draws=80)
    fig = plots.fit(run, bands=bands, residuals=False)
    (ax,) = fig.axes
    assert ax.get_xlim() == (grid[0], grid[-1])
    with pytest.raises(ValueError, match="levels"):
        plots.fit(run, bands=predictive_bands(run.posterior, run.samples, grid, levels=(50,)))


# -- the figure checks themselves -------------------------------------------------------
def _clean_figure():
    fig, (a, b) = plt.subplots(1, 2, figsize=(6, 2.5), layout="constrained")
    x = np.linspace(0, 1, 50)
    a.plot(x, x**2, color="tab:blue", label="$x^2$")
    b.plot(x, 1 - x, color="tab:red", label="$1 - x$")
    a.set_title("left")
    b.set_title("right")
    fig.legend(loc="outside upper center", ncols=2)
    return fig


def test_figure_checks_pass_a_clean_figure():
    check_figure(_clean_figure())


def test_figure_checks_catch_overlapping_titles():
    fig = _clean_figure()
    fig.axes[0].set_title("")
    fig.axes[0].set_title("a title too long for its panel, running into the next", loc="left")
    fig.canvas.draw()
    with pytest.raises(AssertionError, match="overlapping text"):
        check_text_apart(fig)


def test_figure_checks_catch_colliding_tick_labels():
    fig, axes = plt.subplots(1, 2, figsize=(4, 2), gridspec_kw=dict(wspace=0))
    fig.subplots_adjust(left=0.25, right=0.75, bottom=0.25)
    for ax in axes:
        ax.plot([0, 1e5], [0, 1])
        ax.set_xlim(0, 1e5)
        ax.set_xticks([0, 1e5], ["0", "100000"])
    axes[0].set_title("two panels")
    fig.canvas.draw()
    with pytest.raises(AssertionError, match="x-tick '100000'.*x-tick '0'"):
        check_text_apart(fig)


def test_figure_checks_catch_text_over_the_edge():
    fig = _clean_figure()
    fig.text(0.9, 0.5, "a note that runs off the page")
    fig.canvas.draw()
    with pytest.raises(AssertionError, match="over the figure's edge"):
        check_text_apart(fig)


def test_figure_checks_catch_a_legend_over_the_data():
    fig, ax = plt.subplots(figsize=(3, 2.5))
    x = np.linspace(0, 1, 100)
    ax.plot(x, x, label="the diagonal")
    ax.plot(x, 0.5 + 0 * x, label="a flat line")
    ax.set_title("legend inside")
    ax.legend(loc="center")
    fig.canvas.draw()
    with pytest.raises(AssertionError, match="covers .* data point"):
        check_legend_clear(fig)
    ax.get_legend().remove()
    ax.legend(loc="upper left")  # the upper left triangle is empty
    fig.canvas.draw()
    check_legend_clear(fig)


# -- saving -----------------------------------------------------------------------------
def test_save_writes_png_and_pdf_atomically(run, tmp_path):
    fig = plots.fit(run, residuals=False, max_draws=100)
    w, h = fig.get_size_inches()
    paths = plots.save(fig, tmp_path / "sub" / "fit", dpi=50)
    assert [p.name for p in paths] == ["fit.png", "fit.pdf"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    img = mpimg.imread(paths[0])
    assert img.shape[:2] == (round(h * 50), round(w * 50))
    assert not list(tmp_path.rglob("*.tmp"))
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="unsupported figure format"):
        plots.save(plt.figure(), tmp_path / "x", formats=("docx",))


def test_saving_the_same_figure_twice_gives_the_same_bytes(run, tmp_path):
    """Fixed metadata: no creation date, no library version, fixed SVG ids; the second save
    comes a second later, so a date in the file would show."""
    import time

    written = []
    for name in ("a", "b"):
        fig = plots.fit(run, residuals=False, max_draws=100)
        written.append(plots.save(fig, tmp_path / name, formats=("png", "pdf", "svg"), dpi=40))
        time.sleep(1.1)
    for first, second in zip(*written):
        assert first.read_bytes() == second.read_bytes(), first.suffix
    pdf = written[0][1].read_bytes()
    assert b"CreationDate" not in pdf and matplotlib.__version__.encode() not in pdf
    assert matplotlib.__version__.encode() not in written[0][0].read_bytes()


def test_run_figures(run, tmp_path, monkeypatch):
    figs = {}
    real_save = plots.save

    def keep(fig, path, **kw):  # look at each figure before it is saved and closed
        figs[Path(path).name] = [(l.get_xdata(), l.get_color()) for l in fig.axes[0].lines]
        return real_save(fig, path, **kw)

    monkeypatch.setattr(plots, "save", keep)
    paths = plots.run_figures(run, tmp_path, dpi=40)
    assert sorted(p.name for p in paths) == [
        "corner.pdf",
        "corner.png",
        "corner_raw.pdf",
        "corner_raw.png",
        "fit.pdf",
        "fit.png",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    # corner.* shows canonical draws with canonical markers, corner_raw.* the raw ones
    can_sgd = canonicalize(run.posterior.net, run.sgd.best)
    can_map = canonicalize(run.posterior.net, run.samples.map_theta)
    for name, sgd, mp in (
        ("corner", can_sgd, can_map),
        ("corner_raw", run.sgd.best, run.samples.map_theta),
    ):
        lines = figs[name]
        assert any(same_color(c, SGD_COLOR) and np.allclose(x, sgd[0]) for x, c in lines)
        assert any(same_color(c, MAP_COLOR) and np.allclose(x, mp[0]) for x, c in lines)
