"""The blog's sweep over the number of hidden units N (seed 003).

:func:`unit_sweep`: for every N, SGD with restarts, a short posterior run, posterior bands
of f(x) on an extrapolation grid, the mean residual ⟨|Δy|⟩, PSIS-LOO (ArviZ) and SGD's
train and held-out errors, one :class:`SweepPoint` per N.  :func:`sweep_claims` turns a
sweep into the blog's claims as numbers; :func:`mean_predictor_check` counts how often
one hidden unit predicts the mean of y.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..data import Dataset, make_dataset
from ..nets import MLP
from ..optimize import train_sgd
from ..posterior import Posterior
from ..records import Run, arviz, to_inference_data
from ..samplers import SAMPLERS, sample
from ._common import _chain_method, _log, _start_points, _units

LEVELS = (2.5, 16.0, 50.0, 84.0, 97.5)


@dataclass(frozen=True)
class SweepPoint:
    """One network size of a sweep: what :func:`bayes_uat.studies.plots.sweep` draws.

    Attributes:
        target, units, activation: the data and the network (one hidden layer of N units).
        x, y: the training data.
        grid: x grid over the data range widened ``extrapolate``-fold.
        quantiles: posterior percentiles :data:`LEVELS` of f(x) on ``grid``, shape (5, n).
        sgd_curve: the best SGD restart's f(x) on ``grid``.
        sgd_fit, median_fit: the best SGD restart's f and the posterior median of f at the
            data's x.
        truth: the noise-free target on ``grid`` (None when unknown).
        noise_var: the variance of the data's noise when known (the floor of a held-out
            mean squared error), else None.
        noise_floor: the smallest ⟨|Δy|⟩ a perfect curve reaches (:func:`mean_abs_noise`).
        residual_sgd, residual_median: the blog's ⟨|Δy|⟩ = mean |y − f(x)| over the data,
            for SGD and for the posterior median.
        sgd_restart_residuals: ⟨|Δy|⟩ of every SGD restart.
        errors: mean squared errors: ``sgd_train``, ``sgd_heldout``, ``posterior_train``,
            ``posterior_heldout`` (posterior mean of f), held out = fresh data.
        slopes: df/dx at the two ends of ``grid`` for ``sgd`` and the posterior ``median``.
        loo: PSIS-LOO from ArviZ: ``elpd``, ``se``, ``p_loo``, ``k_max``, ``k_high``
            (fraction of points with Pareto k > 0.7); None when not computed.
        sampler: sampler settings and what it reported (wall time, divergences, ...).
        equation: the best SGD restart as an equation.
        run: the run (posterior, draws, SGD) for further figures; not compared or printed.
    """

    target: str
    units: int
    activation: str
    x: np.ndarray
    y: np.ndarray
    grid: np.ndarray
    quantiles: np.ndarray
    sgd_curve: np.ndarray
    sgd_fit: np.ndarray
    median_fit: np.ndarray
    truth: np.ndarray | None
    noise_var: float | None
    noise_floor: float | None
    residual_sgd: float
    residual_median: float
    sgd_restart_residuals: np.ndarray
    errors: dict
    slopes: dict
    loo: dict | None
    sampler: dict
    equation: str
    run: Run | None = field(default=None, repr=False, compare=False)

    @property
    def x_range(self) -> tuple[float, float]:
        return float(np.min(self.x)), float(np.max(self.x))

    def numbers(self) -> dict:
        """The scalar results, JSON-ready."""
        return dict(
            target=self.target,
            units=self.units,
            activation=self.activation,
            residual_sgd=self.residual_sgd,
            residual_median=self.residual_median,
            sgd_restart_residuals=self.sgd_restart_residuals.tolist(),
            errors=self.errors,
            slopes=self.slopes,
            loo=self.loo,
            sampler=self.sampler,
            equation=self.equation,
            mean_y=float(np.mean(self.y)),
            noise_var=self.noise_var,
            noise_floor=self.noise_floor,
            grid_range=[float(self.grid[0]), float(self.grid[-1])],
        )


def _loo(post: Posterior, samples) -> dict:
    az = arviz()
    idata = to_inference_data(post, samples, canonical=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = az.loo(idata, pointwise=True)
    k = np.asarray(res.pareto_k)
    return dict(
        elpd=float(res.elpd_loo),
        se=float(res.se),
        p_loo=float(res.p_loo),
        k_max=float(np.nanmax(k)),
        k_high=float(np.mean(k > 0.7)),
    )


def noise_variance(data: Dataset) -> float | None:
    """Variance of the data's noise: s²/12 for s·U(0, 1), s² for s·N(0, 1); None if unknown."""
    if data.target is None:
        return None
    if data.noise == "uniform":
        return data.noise_scale**2 / 12
    if data.noise == "gaussian":
        return data.noise_scale**2
    return 0.0


def heldout_dataset(data: Dataset, seed: int) -> Dataset | None:
    """Fresh data from the same target: n new x drawn uniformly in the data range, new
    noise (None for loaded data, whose generating curve is unknown)."""
    if data.target is None:
        return None
    return make_dataset(
        data.target,
        n=data.n,
        x_range=data.x_range,
        noise=data.noise,
        noise_scale=data.noise_scale,
        spacing="random",
        seed=seed,
    )


def unit_sweep(
    target: str = "x2",
    units: Sequence[int] = (1, 2, 4, 8, 16),
    *,
    activation: str = "sigmoid",
    data: Dataset | None = None,
    likelihood: str = "gaussian",
    prior_std: float = 30.0,
    method: str = "nuts",
    chains: int | None = None,
    warmup: int = 200,
    draws: int = 200,
    max_tree_depth: int = 7,
    sgd_restarts: int = 8,
    sgd_steps: int = 1000,
    learning_rate: float = 0.1,
    extrapolate: float = 2.0,
    n_grid: int = 300,
    max_draws: int = 1000,
    loo: bool = True,
    heldout_seed: int = 1000,
    seed: int = 0,
    keep_runs: bool = False,
    log: Callable[[str], None] | None = None,
) -> tuple[SweepPoint, ...]:
    """Fit one hidden layer of N units for every N in ``units``: SGD, then the posterior.

    For each N: ``sgd_restarts`` Adam restarts on the blog's sum of squares; a posterior run
    (``method`` ``"nuts"`` with ``chains`` chains, default 2, started from the best restart;
    or ``"aies"`` with ``chains`` walkers, default 4·dim, in a ball around it), with σ
    inferred under the default Gaussian likelihood and started at its maximum-likelihood
    value; then percentiles :data:`LEVELS` of f(x) over up to ``max_draws`` draws on a grid
    ``extrapolate`` times the data range, ⟨|Δy|⟩ = mean |y − f(x)|, PSIS-LOO of the draws
    (``az.loo`` on :func:`~bayes_uat.records.to_inference_data`), and mean squared errors on
    the data and on held-out data (:func:`heldout_dataset`, ``heldout_seed``).

    Args:
        target: a target name or expression (ignored when ``data`` is given).
        units: the numbers of hidden units.
        activation, likelihood, prior_std: the model (see :class:`~bayes_uat.Posterior`).
        method, chains, warmup, draws, max_tree_depth: the sampler (NUTS' tree depth).
        sgd_restarts, sgd_steps, learning_rate: Adam training (the blog: 1000 steps).
        keep_runs: keep each N's :class:`~bayes_uat.records.Run` on its record (``.run``).
        log: called with a progress line per N.

    Example:
        >>> pts = unit_sweep("x2", units=(1,), warmup=50, draws=50)  # doctest: +SKIP
        >>> pts[0].residual_sgd  # doctest: +SKIP
        4.39
    """
    units = _units(units)
    data = _sweep_data(target, data, method, extrapolate, seed)
    heldout = heldout_dataset(data, heldout_seed)
    grid = data.grid(int(n_grid), extrapolate=float(extrapolate))
    truth = None if data.target_fn is None else np.asarray(data.target_fn(grid), dtype=float)
    cfg = dict(
        activation=activation,
        likelihood=likelihood,
        prior_std=prior_std,
        method=method,
        chains=chains,
        warmup=warmup,
        draws=draws,
        max_tree_depth=max_tree_depth,
        sgd_restarts=sgd_restarts,
        sgd_steps=sgd_steps,
        learning_rate=learning_rate,
        max_draws=max_draws,
        loo=loo,
        seed=seed,
        keep_runs=keep_runs,
    )
    out = []
    for n_units in units:
        t0 = time.perf_counter()
        out.append(_sweep_point(data, heldout, grid, truth, n_units, cfg))
        _log(log, _point_line(data, activation, n_units, out[-1], time.perf_counter() - t0))
    return tuple(out)


def _sweep_data(target, data, method, extrapolate, seed) -> Dataset:
    """The sweep's data (``target`` drawn with ``seed`` unless ``data`` is given), after the
    checks of the sampler and the extrapolation range."""
    numpyro = [name for name, b in SAMPLERS.items() if b.caps.library == "numpyro"]
    if method not in numpyro:
        raise ValueError(
            f"unit_sweep samples with {' or '.join(map(repr, numpyro))}, got {method!r}"
        )
    if not (
        isinstance(extrapolate, (int, float)) and math.isfinite(extrapolate) and extrapolate > 0
    ):
        raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
    data = make_dataset(target, seed=seed) if data is None else data
    if data.in_dim != 1:
        raise ValueError("unit_sweep needs 1-D input data")
    return data


def _point_line(data, activation, n_units, point, seconds: float) -> str:
    """The progress line of one sweep point."""
    elpd = "–" if point.loo is None else f"{point.loo['elpd']:.1f}"
    return (
        f"{data.target} {activation} N={n_units}: ⟨|Δy|⟩ SGD {point.residual_sgd:.3f}, "
        f"elpd_loo {elpd} ({seconds:.1f} s)"
    )


def _fit_and_sample(data, n_units: int, cfg: dict):
    """(posterior, Adam restarts, posterior draws) for one N."""
    post = Posterior(
        MLP(n_units, cfg["activation"]),
        data,
        prior_std=cfg["prior_std"],
        likelihood=cfg["likelihood"],
    )
    sgd = train_sgd(
        post,
        restarts=cfg["sgd_restarts"],
        steps=cfg["sgd_steps"],
        learning_rate=cfg["learning_rate"],
        seed=cfg["seed"],
    )
    best = _start_points(post, sgd)[sgd.best_index]
    method, chains = cfg["method"], cfg["chains"]
    backend = SAMPLERS[method]  # independent chains: 2; an ensemble: its default walkers
    default = 2 if backend.caps.independent else backend.caps.chains_for(post.dim)
    n_chains = chains if chains is not None else default
    wanted = dict(max_tree_depth=cfg["max_tree_depth"], chain_method=_chain_method(n_chains))
    opts = {k: v for k, v in wanted.items() if k in backend.options}
    samples = sample(
        post,
        method,
        chains=n_chains,
        warmup=cfg["warmup"],
        draws=cfg["draws"],
        seed=cfg["seed"],
        init=best,
        progress=False,
        **opts,
    )
    return post, sgd, samples


def _predictions(post, theta, sgd, grid, data, heldout):
    """f of the draws and of every restart on the grid, the data, four points about the
    grid's ends (for slopes) and the held-out x — one evaluation per θ set, since each new
    shape costs a compilation.  Returns (draw parts, restart parts, h)."""
    h = 1e-3 * (grid[-1] - grid[0])
    ends = np.array([grid[0] - h, grid[0] + h, grid[-1] - h, grid[-1] + h])
    parts = [grid, data.x, ends] + ([] if heldout is None else [heldout.x])
    cut = np.cumsum([len(p) for p in parts])[:-1]
    xs = np.concatenate(parts)
    f_draw = np.split(np.asarray(post.predict(theta, xs), dtype=float), cut, axis=1)
    f_sgd = np.split(np.asarray(post.predict(sgd.thetas, xs), dtype=float), cut, axis=1)
    return f_draw, f_sgd, h


def _errors_and_slopes(data, heldout, grid, f_draw, f_sgd, b: int, h: float):
    """Mean squared errors on the data and held-out data, and df/dx at the grid's ends."""
    y = data.y
    errors = dict(
        sgd_train=float(np.mean((y - f_sgd[1][b]) ** 2)),
        posterior_train=float(np.mean((y - f_draw[1].mean(0)) ** 2)),
    )
    if heldout is not None:
        errors.update(
            sgd_heldout=float(np.mean((heldout.y - f_sgd[3][b]) ** 2)),
            posterior_heldout=float(np.mean((heldout.y - f_draw[3].mean(0)) ** 2)),
        )

    def slope(f):  # central differences at both ends of the grid
        return (f[..., 1] - f[..., 0]) / (2 * h), (f[..., 3] - f[..., 2]) / (2 * h)

    slopes = dict(
        x=[float(grid[0]), float(grid[-1])],
        sgd=[float(v) for v in slope(f_sgd[2][b])],
        median=[float(np.median(v)) for v in slope(f_draw[2])],
    )
    return errors, slopes


def _sampler_info(post, samples, flat, cfg: dict) -> dict:
    info = dict(
        method=cfg["method"],
        chains=samples.chains,
        warmup=cfg["warmup"],
        draws=cfg["draws"],
        wall_time=float(samples.wall_time),
        likelihood=cfg["likelihood"],
        prior_std=float(cfg["prior_std"]),
        **{
            k: v
            for k, v in samples.info.items()
            if k in ("divergences", "acceptance_fraction", "mean_num_steps")
        },
    )
    if "max_tree_depth" in SAMPLERS[cfg["method"]].options:
        info["max_tree_depth"] = cfg["max_tree_depth"]
    if post.infers_sigma:
        info["sigma_median"] = float(np.median(np.exp(flat[:, -1])))
    return info


def _sweep_point(data, heldout, grid, truth, n_units: int, cfg: dict) -> SweepPoint:
    """One N of :func:`unit_sweep`: train, sample, and reduce to a :class:`SweepPoint`."""
    post, sgd, samples = _fit_and_sample(data, n_units, cfg)
    max_draws = cfg["max_draws"]
    flat = samples.flat()
    flat = flat[np.all(np.isfinite(flat), axis=1)]
    theta = flat[:: max(1, int(math.ceil(flat.shape[0] / max_draws)))]
    f_draw, f_sgd, h = _predictions(post, theta, sgd, grid, data, heldout)
    y, b = data.y, sgd.best_index
    res_restarts = np.mean(np.abs(y - f_sgd[1]), axis=1)
    med_data = np.median(f_draw[1], axis=0)
    errors, slopes = _errors_and_slopes(data, heldout, grid, f_draw, f_sgd, b, h)
    loo_res = None
    if cfg["loo"]:
        # the pointwise log-likelihood of every draw is large and ensembles' draws are
        # strongly correlated: thin to at most max_draws draws in all
        keep = max(1, int(math.ceil(samples.chains * samples.draws / max_draws)))
        loo_res = _loo(post, samples.thin(keep) if keep > 1 else samples)
    run = Run(post, samples, sgd, config={}, summary={}, idata=None) if cfg["keep_runs"] else None
    return SweepPoint(
        target=data.target or "data",
        units=n_units,
        activation=post.net.activation,
        x=np.asarray(data.x),
        y=np.asarray(y),
        grid=grid,
        quantiles=np.percentile(f_draw[0], LEVELS, axis=0),
        sgd_curve=f_sgd[0][b],
        sgd_fit=f_sgd[1][b],
        median_fit=med_data,
        truth=truth,
        noise_var=noise_variance(data),
        noise_floor=mean_abs_noise(data),
        residual_sgd=float(res_restarts[b]),
        residual_median=float(np.mean(np.abs(y - med_data))),
        sgd_restart_residuals=res_restarts,
        errors=errors,
        slopes=slopes,
        loo=loo_res,
        sampler=_sampler_info(post, samples, flat, cfg),
        equation=post.net.equation(post.net_params(sgd.best)),
        run=run,
    )


def mean_predictor_check(
    data: Dataset,
    *,
    activation: str = "sigmoid",
    restarts: int = 32,
    steps: int = 1000,
    learning_rate: float = 0.03,
    seed: int = 0,
    tol: float = 0.05,
) -> dict:
    """How often one hidden unit ends up predicting the mean of y (the blog's N = 1 claim):
    ``restarts`` Adam runs; a restart "predicts the mean" when its f varies over the data
    by less than ``tol`` times the spread of y.  The blog's learning rate is 3e-2."""
    post = Posterior(MLP(1, activation), data)
    sgd = train_sgd(post, restarts=restarts, steps=steps, learning_rate=learning_rate, seed=seed)
    f = np.asarray(post.predict(sgd.thetas), dtype=float)
    spread = f.max(axis=1) - f.min(axis=1)
    flat = spread < tol * (data.y.max() - data.y.min())
    res = np.mean(np.abs(data.y - f), axis=1)
    return dict(
        mean_y=float(data.y.mean()),
        restarts=restarts,
        learning_rate=learning_rate,
        steps=steps,
        fraction_mean=float(flat.mean()),
        mean_of_flat=float(f[flat].mean()) if flat.any() else None,
        residual_of_mean=float(np.mean(np.abs(data.y - data.y.mean()))),
        best_residual=float(res.min()),
        residuals=res.tolist(),
    )


def mean_abs_noise(data: Dataset) -> float | None:
    """The smallest ⟨|Δy|⟩ a perfect curve (up to a constant shift) can reach: the mean
    absolute deviation of the noise about its median (s/4 for s·U(0, 1), s·√(2/π) for
    s·N(0, 1)); None when the noise is unknown."""
    if data.target is None:
        return None
    s = data.noise_scale
    return {"uniform": s / 4, "gaussian": s * math.sqrt(2 / math.pi)}.get(data.noise, 0.0)


def sweep_claims(points: Sequence[SweepPoint]) -> dict:
    """The blog's claims about one target's sweep, as numbers.

    ``mean_y`` and ``residual_of_mean`` (⟨|Δy|⟩ of the constant ȳ); per N the SGD and
    posterior-median ⟨|Δy|⟩, their ratio to N = 1's and to the constant's; ``noise_floor``
    (:func:`mean_abs_noise`); the smallest N whose SGD ⟨|Δy|⟩ is within 20 % of that floor;
    the slopes at the ends of the extrapolation grid; and the N with the best elpd_loo with
    the smallest N within 2 standard errors of it.
    """
    pts = sorted(points, key=lambda p: p.units)
    if not pts:
        raise ValueError("no sweep points")
    y = pts[0].y
    mean_res = float(np.mean(np.abs(y - y.mean())))
    floor = pts[0].noise_floor
    per_n = {}
    for p in pts:
        per_n[str(p.units)] = dict(
            residual_sgd=p.residual_sgd,
            residual_median=p.residual_median,
            sgd_vs_mean=mean_res / p.residual_sgd if p.residual_sgd else None,
            restarts_at_mean=float(
                np.mean(np.abs(p.sgd_restart_residuals - mean_res) < 0.02 * mean_res)
            ),
            slopes_sgd=p.slopes["sgd"],
            slopes_median=p.slopes["median"],
            elpd_loo=None if p.loo is None else p.loo["elpd"],
        )
    enough = [p.units for p in pts if floor and p.residual_sgd <= 1.2 * floor]
    enough_post = [p.units for p in pts if floor and p.residual_median <= 1.2 * floor]
    out = dict(
        target=pts[0].target,
        activation=pts[0].activation,
        mean_y=float(y.mean()),
        residual_of_mean=mean_res,
        noise_floor=floor,
        per_n=per_n,
        units_to_noise_floor_sgd=enough[0] if enough else None,
        units_to_noise_floor_median=enough_post[0] if enough_post else None,
        slopes_at=pts[0].slopes["x"],
    )
    if all(p.loo is not None for p in pts):
        best = max(pts, key=lambda p: p.loo["elpd"])
        ok = [p.units for p in pts if p.loo["elpd"] >= best.loo["elpd"] - 2 * best.loo["se"]]
        out.update(best_elpd_units=best.units, smallest_units_within_2se=min(ok))
    return out
