"""The numbers behind the write-up's studies: pure functions, no figures.

Each study returns small frozen records that :mod:`bayes_uat.plots` draws and that the
scripts in ``scripts/study_*.py`` write to JSON (``.numbers()``):

:func:`unit_sweep`
    the blog's sweep over the number of hidden units N (seed 003): for every N, SGD with
    restarts, a short posterior run, posterior bands of f(x) on an extrapolation grid,
    the mean residual ⟨|Δy|⟩, PSIS-LOO (ArviZ) and SGD's train and held-out errors.
:func:`bump_study`
    seed 001's square bump: a ReLU network against polynomial and Fourier least-squares
    fits with the same number of parameters, inside and outside the data range.
:func:`sawtooth_study`
    seed 001's depth separation: deep-narrow against shallow-wide ReLU networks with equal
    parameter counts on a sawtooth, plus the exact deep construction (Telgarsky 2016).
:func:`seed000_study`
    seed 000's 5, 50 and 500 units fitted to a drawn-style curve, with θ snapshots taken
    during training (:func:`sgd_history`) for the animation.

Example
-------
>>> from bayes_uat.studies import unit_sweep
>>> points = unit_sweep("x2", units=(1, 2), draws=50, warmup=50)  # doctest: +SKIP
>>> [round(p.residual_sgd, 2) for p in points]  # doctest: +SKIP
[4.39, 0.67]
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .data import Dataset, make_dataset
from .nets import MLP
from .optimize import SGDResult, train_sgd
from .posterior import Posterior
from .records import Run, arviz, to_inference_data
from .sampling import sample

LEVELS = (2.5, 16.0, 50.0, 84.0, 97.5)
SEED000_TARGET = "sin(2*x) + 0.3*x**2 - 0.5*abs(x)"


def _log(log: Callable[[str], None] | None, msg: str) -> None:
    if log is not None:
        log(msg)


def _positive_int(name: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def _units(units) -> tuple[int, ...]:
    try:
        out = tuple(units)
    except TypeError:
        raise ValueError(f"units must be a sequence of positive integers, got {units!r}") from None
    if not out:
        raise ValueError("units is empty: give at least one number of hidden units")
    return tuple(_positive_int("each entry of units", u) for u in out)


# -- the unit sweep -----------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    """One network size of a sweep: what :func:`bayes_uat.plots.sweep` draws.

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


def _start_points(post: Posterior, sgd: SGDResult) -> np.ndarray:
    """SGD restarts as sampler starts: with σ inferred, its log σ entry is set to the
    maximum-likelihood value √MSE instead of the untrained initial value."""
    th = np.array(sgd.thetas, dtype=float)
    if post.infers_sigma:
        mse = np.asarray(post.mse(th), dtype=float)
        th[:, -1] = 0.5 * np.log(np.maximum(mse, 1e-12))
    return th


def _loo(post: Posterior, samples) -> dict:
    az = arviz()
    idata = to_inference_data(post, samples)
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


def _chain_method(chains: int) -> str:
    """One NUTS chain per device where there are enough devices (on CPU: set XLA_FLAGS=
    --xla_force_host_platform_device_count before JAX starts); it also compiles faster."""
    import jax

    return "parallel" if chains > 1 and jax.local_device_count() >= chains else "vectorized"


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
    if method not in ("nuts", "aies"):
        raise ValueError(f"unit_sweep samples with 'nuts' or 'aies', got {method!r}")
    if not (
        isinstance(extrapolate, (int, float)) and math.isfinite(extrapolate) and extrapolate > 0
    ):
        raise ValueError(f"extrapolate must be a positive number, got {extrapolate!r}")
    data = make_dataset(target, seed=seed) if data is None else data
    if data.in_dim != 1:
        raise ValueError("unit_sweep needs 1-D input data")
    heldout = heldout_dataset(data, heldout_seed)
    grid = data.grid(int(n_grid), extrapolate=float(extrapolate))
    truth = None if data.target_fn is None else np.asarray(data.target_fn(grid), dtype=float)
    out = []
    for n_units in units:
        t0 = time.perf_counter()
        post = Posterior(MLP(n_units, activation), data, prior_std=prior_std, likelihood=likelihood)
        sgd = train_sgd(
            post, restarts=sgd_restarts, steps=sgd_steps, learning_rate=learning_rate, seed=seed
        )
        starts = _start_points(post, sgd)
        best = starts[sgd.best_index]
        n_chains = chains if chains is not None else (2 if method == "nuts" else 4 * post.dim)
        opts = {}
        if method == "nuts":
            opts = dict(max_tree_depth=max_tree_depth, chain_method=_chain_method(n_chains))
        samples = sample(
            post,
            method,
            chains=n_chains,
            warmup=warmup,
            draws=draws,
            seed=seed,
            init=best,
            progress=False,
            **opts,
        )
        flat = samples.flat()
        flat = flat[np.all(np.isfinite(flat), axis=1)]
        step = max(1, int(math.ceil(flat.shape[0] / max_draws)))
        theta = flat[::step]
        # one evaluation per θ set on every x needed (each new shape costs a compilation)
        h = 1e-3 * (grid[-1] - grid[0])
        ends = np.array([grid[0] - h, grid[0] + h, grid[-1] - h, grid[-1] + h])
        parts = [grid, data.x, ends] + ([] if heldout is None else [heldout.x])
        cut = np.cumsum([len(p) for p in parts])[:-1]
        xs = np.concatenate(parts)
        f_draw = np.split(np.asarray(post.predict(theta, xs), dtype=float), cut, axis=1)
        f_sgd = np.split(np.asarray(post.predict(sgd.thetas, xs), dtype=float), cut, axis=1)
        q = np.percentile(f_draw[0], LEVELS, axis=0)
        y, b = data.y, sgd.best_index
        res_restarts = np.mean(np.abs(y - f_sgd[1]), axis=1)
        med_data = np.median(f_draw[1], axis=0)
        errors = dict(
            sgd_train=float(np.mean((y - f_sgd[1][b]) ** 2)),
            posterior_train=float(np.mean((y - f_draw[1].mean(0)) ** 2)),
        )
        if heldout is not None:
            errors.update(
                sgd_heldout=float(np.mean((heldout.y - f_sgd[3][b]) ** 2)),
                posterior_heldout=float(np.mean((heldout.y - f_draw[3].mean(0)) ** 2)),
            )

        def slope(f, h=h):  # central differences at both ends of the grid
            return (f[..., 1] - f[..., 0]) / (2 * h), (f[..., 3] - f[..., 2]) / (2 * h)

        slopes = dict(
            x=[float(grid[0]), float(grid[-1])],
            sgd=[float(v) for v in slope(f_sgd[2][b])],
            median=[float(np.median(v)) for v in slope(f_draw[2])],
        )
        info = dict(
            method=method,
            chains=n_chains,
            warmup=warmup,
            draws=draws,
            wall_time=float(samples.wall_time),
            likelihood=likelihood,
            prior_std=float(prior_std),
            **{
                k: v
                for k, v in samples.info.items()
                if k in ("divergences", "acceptance_fraction", "mean_num_steps")
            },
        )
        if method == "nuts":
            info["max_tree_depth"] = max_tree_depth
        if post.infers_sigma:
            info["sigma_median"] = float(np.median(np.exp(flat[:, -1])))
        if loo:
            # the pointwise log-likelihood of every draw is large and ensembles' draws are
            # strongly correlated: thin to at most max_draws draws in all
            keep = max(1, int(math.ceil(samples.chains * samples.draws / max_draws)))
            loo_res = _loo(post, samples.thin(keep) if keep > 1 else samples)
        else:
            loo_res = None
        run = Run(post, samples, sgd, config={}, summary={}, idata=None) if keep_runs else None
        out.append(
            SweepPoint(
                target=data.target or "data",
                units=n_units,
                activation=post.net.activation,
                x=np.asarray(data.x),
                y=np.asarray(y),
                grid=grid,
                quantiles=q,
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
                sampler=info,
                equation=post.net.equation(post.net_params(sgd.best)),
                run=run,
            )
        )
        elpd = "–" if loo_res is None else f"{loo_res['elpd']:.1f}"
        _log(
            log,
            f"{data.target} {activation} N={n_units}: ⟨|Δy|⟩ SGD "
            f"{out[-1].residual_sgd:.3f}, elpd_loo {elpd} "
            f"({time.perf_counter() - t0:.1f} s)",
        )
    return tuple(out)


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


# -- SGD snapshots (seed 000) -------------------------------------------------------------
@dataclass(frozen=True)
class TrainingHistory:
    """θ snapshots taken while training, for :func:`bayes_uat.plots.training_animation`.

    Attributes:
        net: the network.
        steps: optimisation steps done at each snapshot, shape (k,), starting at 0.
        thetas: θ at each snapshot, shape (k, dim).
        losses: the training loss (sum of squares) at each snapshot, shape (k,).
        settings: the training settings.
    """

    net: MLP
    steps: np.ndarray
    thetas: np.ndarray
    losses: np.ndarray
    settings: dict

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def predict(self, x) -> np.ndarray:
        """f(x) at every snapshot, shape (k, len(x))."""
        return np.asarray(self.net.apply(self.thetas, np.asarray(x, dtype=float)))


def sgd_history(
    posterior: Posterior,
    *,
    steps: int = 2000,
    snapshots: int = 40,
    optimizer: str = "adam",
    learning_rate: float = 0.01,
    seed: int = 0,
    init: np.ndarray | None = None,
) -> TrainingHistory:
    """Train one restart with :func:`~bayes_uat.train_sgd` in ``snapshots`` equal segments,
    each started (``init=``) where the previous one stopped, and keep θ after each.

    The optimiser's state (Adam's moment estimates) starts afresh in every segment, so the
    path differs a little from one uninterrupted run of ``steps`` steps.

    Example:
        >>> from bayes_uat import MLP, Posterior, make_dataset
        >>> post = Posterior(MLP(5, "relu"), make_dataset("abs", n=50))
        >>> h = sgd_history(post, steps=40, snapshots=4)
        >>> h.steps.tolist(), h.thetas.shape
        ([0, 10, 20, 30, 40], (5, 16))
    """
    steps = _positive_int("steps", steps)
    snapshots = _positive_int("snapshots", snapshots)
    if snapshots > steps:
        raise ValueError(f"snapshots ({snapshots}) cannot exceed steps ({steps})")
    seg = steps // snapshots
    if init is None:
        import jax

        theta = np.asarray(posterior.net.init(jax.random.key(seed), (1,)), dtype=float)
        if posterior.infers_sigma:
            theta = np.concatenate([theta, [[math.log(posterior.sigma_scale)]]], axis=1)
    else:
        theta = np.asarray(init, dtype=float).reshape(1, posterior.dim)
    thetas, done = [theta[0]], [0]
    for k in range(snapshots):
        n = seg if k < snapshots - 1 else steps - seg * (snapshots - 1)
        res = train_sgd(
            posterior,
            optimizer=optimizer,
            learning_rate=learning_rate,
            steps=n,
            restarts=1,
            init=theta,
            seed=seed + k,
        )
        theta = res.thetas
        thetas.append(theta[0])
        done.append(done[-1] + n)
    thetas = np.stack(thetas)
    y = posterior.data.y
    f = np.asarray(posterior.predict(thetas), dtype=float)
    return TrainingHistory(
        net=posterior.net,
        steps=np.asarray(done),
        thetas=thetas[:, : posterior.net.dim],
        losses=np.sum((y - f) ** 2, axis=1),
        settings=dict(
            optimizer=optimizer,
            learning_rate=learning_rate,
            steps=steps,
            snapshots=snapshots,
            seed=seed,
        ),
    )


@dataclass(frozen=True)
class Seed000Result:
    """Seed 000's fits: one :class:`TrainingHistory` per width, the data and final errors."""

    data: Dataset
    histories: tuple[TrainingHistory, ...]
    numbers: dict


def seed000_study(
    target: str = SEED000_TARGET,
    units: Sequence[int] = (5, 50, 500),
    *,
    activation: str = "relu",
    steps: int = 3000,
    snapshots: int = 30,
    learning_rate: float = 0.01,
    n: int = 200,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> Seed000Result:
    """Seed 000's notebook: one hidden layer of 5, 50 and 500 units trained with Adam on a
    wiggly 1-D curve (200 points on [−3, 3], N(0, 0.1²) noise), with snapshots for the
    animation; numbers: final mean squared error against the data and the true curve, and
    the number of units whose kink tᵢ = −bᵢ/wᵢ lies inside the data range."""
    from .symmetry import unit_table

    units = _units(units)
    data = make_dataset(target, n=n, seed=seed)
    lo, hi = data.x_range
    grid = data.grid(400)
    truth = np.asarray(data.target_fn(grid), dtype=float)
    hist, nums = [], {}
    for n_units in units:
        t0 = time.perf_counter()
        post = Posterior(MLP(n_units, activation), data)
        h = sgd_history(
            post, steps=steps, snapshots=snapshots, learning_rate=learning_rate, seed=seed
        )
        hist.append(h)
        final = h.thetas[-1]
        tab = unit_table(post.net, final)
        t = tab["t"]
        active = ~tab["degenerate"]
        nums[str(n_units)] = dict(
            mse_data=float(h.losses[-1] / data.n),
            rmse_truth=float(
                np.sqrt(np.mean((np.asarray(post.net.apply(final, grid)) - truth) ** 2))
            ),
            kinks_in_range=int(np.sum(active & (t > lo) & (t < hi))),
            loss_curve=h.losses.tolist(),
            steps=h.steps.tolist(),
            wall_time=time.perf_counter() - t0,
        )
        _log(
            log,
            f"seed000 N={n_units}: MSE {nums[str(n_units)]['mse_data']:.4f} "
            f"({time.perf_counter() - t0:.1f} s)",
        )
    return Seed000Result(
        data=data,
        histories=tuple(hist),
        numbers=dict(
            target=target,
            activation=activation,
            steps=steps,
            learning_rate=learning_rate,
            units=nums,
        ),
    )


# -- approximation efficiency (seed 001) ----------------------------------------------------
@dataclass(frozen=True)
class ApproxResult:
    """Errors of several model families against their parameter counts, and example fits.

    Attributes:
        name: the study (``"bump"`` or ``"sawtooth"``).
        data: the training data.
        families: family name → dict with ``params`` (k,), ``rmse_in`` (k,), ``rmse_out``
            (k,) (NaN where not measured) and, for trained networks, ``rmse_in_median``
            (median over restarts) and ``success`` (fraction of restarts with
            rmse_in below ``threshold``); ``label`` names each entry (e.g. its widths).
        grid: x grid of the example curves (wider than the data where extrapolation counts).
        truth: the target on ``grid``.
        examples: label → f on ``grid``, the fits at ``example_params`` parameters.
        example_params: the parameter count of the examples.
        threshold: the RMSE counted as a good fit.
        numbers: everything as JSON-ready numbers.
    """

    name: str
    data: Dataset
    families: dict
    grid: np.ndarray
    truth: np.ndarray
    examples: dict
    example_params: int
    threshold: float
    numbers: dict


def _rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


def spread_init(net: MLP, data: Dataset, restarts: int, *, seed: int = 0) -> np.ndarray:
    """Starting θ (restarts, dim) for one hidden layer that puts every unit's transition
    tᵢ = −bᵢ/wᵢ uniformly inside the data range: wᵢ = ±1 (random sign), bᵢ = −wᵢtᵢ,
    aᵢ ~ N(0, (0.1·sd(y))²), c = mean(y).  The default PyTorch-style initialisation puts
    most transitions near 0, which leaves targets with many features far from 0 unlearnt."""
    if len(net.units) != 1 or net.in_dim != 1:
        raise ValueError("spread_init is for one hidden layer and 1-D input")
    rng = np.random.default_rng(seed)
    n = net.units[0]
    lo, hi = data.x_range
    w = rng.choice([-1.0, 1.0], (restarts, n))
    t = rng.uniform(lo, hi, (restarts, n))
    th = np.zeros((restarts, net.dim))
    idx = net.unit_slices()
    th[:, idx[:, 0]] = w
    th[:, idx[:, 1]] = -w * t
    th[:, idx[:, 2]] = rng.normal(0.0, 0.1 * float(np.std(data.y)) + 1e-3, (restarts, n))
    th[:, -1] = float(np.mean(data.y))
    return th


def _train(
    post: Posterior,
    *,
    restarts: int,
    steps: int,
    learning_rate: float,
    seed: int,
    grid_in: np.ndarray,
    truth_in: np.ndarray,
    init: str = "default",
):
    """Adam restarts from the default or the spread initialisation; returns (SGD result,
    RMSE vs truth of each restart on grid_in).  The reported fit is the restart with the
    lowest training loss (sgd.best), not the one closest to the truth."""
    start = spread_init(post.net, post.data, restarts, seed=seed) if init == "spread" else None
    sgd = train_sgd(
        post, restarts=restarts, steps=steps, learning_rate=learning_rate, seed=seed, init=start
    )
    f = np.asarray(post.predict(sgd.thetas, grid_in), dtype=float)
    return sgd, np.sqrt(np.mean((f - truth_in) ** 2, axis=1))


def _lstsq(basis: Callable[[np.ndarray], np.ndarray], x, y):
    coef, *_ = np.linalg.lstsq(basis(x), y, rcond=None)
    return lambda z: basis(z) @ coef


def _families(names, trained) -> dict:
    fams = {name: dict(params=[], rmse_in=[], rmse_out=[], label=[]) for name in names}
    for name in trained:
        fams[name].update(rmse_in_median=[], success=[])
    return fams


def _finish(fams: dict) -> dict:
    for fam in fams.values():
        for k, v in fam.items():
            if k != "label":
                fam[k] = np.asarray(v, dtype=float)
    return fams


def _json_families(fams: dict) -> dict:
    return {
        k: {kk: (vv.tolist() if isinstance(vv, np.ndarray) else vv) for kk, vv in v.items()}
        for k, v in fams.items()
    }


def bump_relu_theta(width: float = 0.02) -> np.ndarray:
    """θ of MLP(4, "relu") drawing the square bump with ramps ``width`` wide at x = ±1:
    f(x) = [relu(x + 1 + δ/2) − relu(x + 1 − δ/2) − relu(x − 1 + δ/2) + relu(x − 1 − δ/2)]/δ,
    zero outside [−1 − δ/2, 1 + δ/2] and one inside [−1 + δ/2, 1 − δ/2] (13 parameters).

    >>> import numpy as np
    >>> from bayes_uat import MLP
    >>> MLP(4, "relu").apply(bump_relu_theta(), np.array([-2.0, 0.0, 2.0])).round(6).tolist()
    [0.0, 1.0, 0.0]
    """
    d = float(width)
    if not (math.isfinite(d) and 0 < d < 2):
        raise ValueError(f"width must lie in (0, 2), got {width!r}")
    rows = [
        (1.0, 1 + d / 2, 1 / d),
        (1.0, 1 - d / 2, -1 / d),
        (1.0, -1 + d / 2, -1 / d),
        (1.0, -1 - d / 2, 1 / d),
    ]
    return np.array([v for row in rows for v in row] + [0.0])


def bump_study(
    *,
    units: Sequence[int] = (2, 4, 6, 8, 12, 16, 24, 32),
    restarts: int = 8,
    steps: int = 3000,
    learning_rate: float = 0.02,
    example_units: int = 4,
    extrapolate: float = 2.0,
    threshold: float = 0.1,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> ApproxResult:
    """Seed 001's square bump (1 on |x| < 1, 0 elsewhere, 400 points on [−2, 2],
    N(0, 0.05²) noise), fitted with P = 3N + 1 parameters by four model families:

    * a ReLU network with N hidden units, Adam from the default initialisation;
    * the same from :func:`spread_init` (transitions spread over the data range);
    * a polynomial of degree P − 1 (least squares in the Chebyshev basis on the data range);
    * a Fourier series with (P − 1)/2 harmonics of period 4 (the data range), least squares.

    The hand-made 4-unit network :func:`bump_relu_theta` (13 parameters) is recorded too.
    Networks: the restart with the lowest training loss among ``restarts`` is reported
    (``rmse_in_median``: the median restart).  ``rmse_in`` is the RMSE against the
    noise-free bump on the data range, ``rmse_out`` on the extrapolation range (the grid
    widened ``extrapolate``-fold, data range excluded), where the bump is 0.  N must be even
    (P odd) so that the Fourier counts match exactly.

    Example:
        >>> res = bump_study(units=(2, 4), restarts=2, steps=200)  # doctest: +SKIP
        >>> res.families["polynomial"]["params"].tolist()  # doctest: +SKIP
        [7.0, 13.0]
    """
    units = _units(units)
    if any(u % 2 for u in units):
        raise ValueError(f"bump_study needs even unit counts (P = 3N + 1 odd), got {units}")
    data = make_dataset("bump", seed=seed)
    lo, hi = data.x_range
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    fn = data.target_fn
    grid_in = np.linspace(lo, hi, 801)
    wide = data.grid(1201, extrapolate=extrapolate)
    grid_out = wide[(wide < lo) | (wide > hi)]
    t_in = np.asarray(fn(grid_in), dtype=float)
    t_out = np.asarray(fn(grid_out), dtype=float)
    period = hi - lo

    def cheb(deg):
        return lambda z: np.polynomial.chebyshev.chebvander((z - mid) / half, deg)

    def fourier(k):
        def basis(z):
            w = 2 * np.pi * np.arange(1, k + 1) / period
            return np.concatenate(
                [np.ones((len(z), 1)), np.cos(np.outer(z - mid, w)), np.sin(np.outer(z - mid, w))],
                axis=1,
            )

        return basis

    nets = {"ReLU network": "default", "ReLU network, spread init": "spread"}
    fams = _families([*nets, "polynomial", "Fourier"], nets)
    examples = {}
    for n_units in units:
        t0 = time.perf_counter()
        p = 3 * n_units + 1
        post = Posterior(MLP(n_units, "relu"), data)
        fits = {}
        for name, init in nets.items():
            sgd, r_in = _train(
                post,
                restarts=restarts,
                steps=steps,
                learning_rate=learning_rate,
                seed=seed,
                grid_in=grid_in,
                truth_in=t_in,
                init=init,
            )
            fits[name] = lambda z, b=sgd.best, pp=post: np.asarray(pp.predict(b, z), float)
            fams[name]["rmse_in_median"].append(float(np.median(r_in)))
            fams[name]["success"].append(float(np.mean(r_in < threshold)))
        fits["polynomial"] = _lstsq(cheb(p - 1), data.x, data.y)
        fits["Fourier"] = _lstsq(fourier((p - 1) // 2), data.x, data.y)
        for name, f in fits.items():
            fam = fams[name]
            fam["params"].append(p)
            fam["label"].append(
                f"degree {p - 1}"
                if name == "polynomial"
                else f"{(p - 1) // 2} harmonics"
                if name == "Fourier"
                else f"N={n_units}"
            )
            fam["rmse_in"].append(_rmse(f(grid_in), t_in))
            fam["rmse_out"].append(_rmse(f(grid_out), t_out))
            if n_units == example_units:
                examples[name] = f(wide)
        _log(
            log,
            f"bump P={p}: "
            + ", ".join(f"{k} {fams[k]['rmse_in'][-1]:.3f}" for k in fams)
            + f" ({time.perf_counter() - t0:.1f} s)",
        )
    fams = _finish(fams)
    first = {
        name: _first_below(fam["params"], fam["rmse_in"], threshold) for name, fam in fams.items()
    }
    exact = bump_relu_theta()
    net4 = MLP(4, "relu")
    examples["exact ReLU, 4 units"] = np.asarray(net4.apply(exact, wide), dtype=float)
    exact_numbers = dict(
        units=4,
        params=net4.dim,
        ramp_width=0.02,
        rmse_in=_rmse(net4.apply(exact, grid_in), t_in),
        rmse_out=_rmse(net4.apply(exact, grid_out), t_out),
    )
    numbers = dict(
        target="bump",
        threshold=threshold,
        params_to_threshold=first,
        exact_construction=exact_numbers,
        restarts=restarts,
        steps=steps,
        learning_rate=learning_rate,
        extrapolation_range=[float(wide[0]), float(wide[-1])],
        families=_json_families(fams),
    )
    return ApproxResult(
        name="bump",
        data=data,
        families=fams,
        grid=wide,
        truth=np.asarray(fn(wide), dtype=float),
        examples=examples,
        example_params=3 * example_units + 1,
        threshold=threshold,
        numbers=numbers,
    )


def _first_below(params, errors, threshold) -> int | None:
    ok = np.asarray(errors) < threshold
    return int(np.asarray(params)[ok][0]) if ok.any() else None


# (shallow N, deep widths): equal parameter counts, 3N + 1 = dim of the deep network
SAWTOOTH_PAIRS = (
    (4, (2, 2)),
    (6, (2, 2, 2)),
    (8, (2, 2, 2, 2)),
    (11, (3, 3, 3)),
    (15, (3, 3, 3, 3)),
)


def telgarsky_theta(depth: int = 3) -> np.ndarray:
    """θ of MLP((2,)*depth, "relu") computing the tent map composed ``depth`` times on
    [0, 1]: a sawtooth with 2^(depth−1) teeth (Telgarsky 2016) with peaks of 1 at odd
    multiples of 2^−depth.  The tent map is t(z) = 2 relu(z) − 4 relu(z − ½) on [0, 1].

    >>> import numpy as np
    >>> from bayes_uat import MLP
    >>> MLP((2, 2, 2), "relu").apply(telgarsky_theta(3), np.array([0.0, 0.125, 0.25])).tolist()
    [0.0, 1.0, 0.0]
    """
    net = MLP((2,) * depth, "relu")
    W, b = [np.array([[1.0], [1.0]])], [np.array([0.0, -0.5])]
    for _ in range(depth - 1):
        W.append(np.array([[2.0, -4.0], [2.0, -4.0]]))  # both units see t(z) of the layer below
        b.append(np.array([0.0, -0.5]))
    return np.asarray(net.flatten(dict(W=W, b=b, a=np.array([2.0, -4.0]), c=0.0)))


def sawtooth_study(
    *,
    pairs: Sequence[tuple[int, tuple[int, ...]]] = SAWTOOTH_PAIRS,
    restarts: int = 32,
    steps: int = 8000,
    learning_rate: float = 0.01,
    threshold: float = 0.05,
    example: int = 1,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> ApproxResult:
    """Deep-narrow against shallow-wide ReLU networks with equal parameter counts on the
    ``sawtooth`` target (4 teeth on [0, 1], 400 points, N(0, 0.02²) noise).

    Each pair (N, widths) has 3N + 1 = parameters of MLP(widths).  Both are trained with
    ``restarts`` Adam runs from the default initialisation, the shallow one also from
    :func:`spread_init`.  ``rmse_in`` is the RMSE against the noise-free sawtooth of the
    restart with the lowest training loss, ``rmse_in_median`` the median restart's,
    ``success`` the fraction of restarts below ``threshold``.  The exact deep construction
    (:func:`telgarsky_theta`, depth 3, 19 parameters) is recorded too: a shallow network
    needs 8 units (25 parameters) for the 8 linear pieces.  ``example`` picks the pair drawn
    as example.

    Example:
        >>> res = sawtooth_study(pairs=[(6, (2, 2, 2))], restarts=2, steps=100)  # doctest: +SKIP
    """
    data = make_dataset("sawtooth", seed=seed)
    fn = data.target_fn
    grid = np.linspace(*data.x_range, 801)
    truth = np.asarray(fn(grid), dtype=float)
    kinds = {"shallow": "default", "shallow, spread init": "spread", "deep": "default"}
    fams = _families(kinds, kinds)
    for fam in fams.values():
        fam.pop("rmse_out")
    examples = {}
    p_example = None
    for i, (n_units, widths) in enumerate(pairs):
        t0 = time.perf_counter()
        shallow, deep = MLP(n_units, "relu"), MLP(tuple(widths), "relu")
        if shallow.dim != deep.dim:
            raise ValueError(
                f"pair {n_units}, {widths}: parameter counts differ ({shallow.dim} vs {deep.dim})"
            )
        for name, init in kinds.items():
            net = deep if name == "deep" else shallow
            post = Posterior(net, data)
            sgd, r_in = _train(
                post,
                restarts=restarts,
                steps=steps,
                learning_rate=learning_rate,
                seed=seed,
                grid_in=grid,
                truth_in=truth,
                init=init,
            )
            fam = fams[name]
            fam["params"].append(net.dim)
            fam["label"].append(
                f"N={n_units}" if net is shallow else "(" + ",".join(map(str, widths)) + ")"
            )
            fam["rmse_in"].append(float(r_in[sgd.best_index]))
            fam["rmse_in_median"].append(float(np.median(r_in)))
            fam["success"].append(float(np.mean(r_in < threshold)))
            if i == example:
                p_example = net.dim
                examples[f"{name} {fam['label'][-1]}"] = np.asarray(post.predict(sgd.best, grid))
        _log(
            log,
            f"sawtooth P={shallow.dim}: "
            + ", ".join(f"{k} {fams[k]['rmse_in'][-1]:.3f}" for k in fams)
            + f" ({time.perf_counter() - t0:.1f} s)",
        )
    exact = telgarsky_theta(3)
    net3 = MLP((2, 2, 2), "relu")
    f_exact = np.asarray(net3.apply(exact, grid), dtype=float)
    examples["exact deep (2,2,2)"] = f_exact
    fams = _finish(fams)
    numbers = dict(
        target="sawtooth",
        threshold=threshold,
        restarts=restarts,
        steps=steps,
        learning_rate=learning_rate,
        exact_construction=dict(
            widths=[2, 2, 2],
            params=net3.dim,
            rmse_in=_rmse(f_exact, truth),
            shallow_units_needed=8,
            shallow_params_needed=25,
        ),
        families=_json_families(fams),
    )
    return ApproxResult(
        name="sawtooth",
        data=data,
        families=fams,
        grid=grid,
        truth=truth,
        examples=examples,
        example_params=int(p_example or 0),
        threshold=threshold,
        numbers=numbers,
    )


# -- posterior modes close-up ---------------------------------------------------------------
def mode_run(
    target: str = "x2",
    units: int = 2,
    *,
    activation: str = "sigmoid",
    chains: int = 4,
    warmup: int = 300,
    draws: int = 300,
    sgd_restarts: int = 8,
    sgd_steps: int = 1000,
    learning_rate: float = 0.1,
    max_tree_depth: int = 8,
    likelihood: str = "gaussian",
    seed: int = 0,
) -> Run:
    """A NUTS run whose chains start from different SGD restarts (the ``chains`` best by
    loss, distinct solutions where SGD found them), so that the draws show the modes SGD
    lands in; for :func:`bayes_uat.plots.units`, ``mode_map``, ``trace`` and ``rank``."""
    data = make_dataset(target, seed=seed)
    post = Posterior(MLP(units, activation), data, likelihood=likelihood)
    sgd = train_sgd(
        post, restarts=sgd_restarts, steps=sgd_steps, learning_rate=learning_rate, seed=seed
    )
    starts = _start_points(post, sgd)
    order = np.argsort(np.where(np.isfinite(sgd.final_loss), sgd.final_loss, np.inf))
    init = starts[np.resize(order, chains)]
    samples = sample(
        post,
        "nuts",
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        init=init,
        progress=False,
        max_tree_depth=max_tree_depth,
        chain_method=_chain_method(chains),
    )
    return Run(
        post,
        samples,
        sgd,
        config=dict(target=target, units=units, activation=activation),
        summary={},
        idata=None,
    )
