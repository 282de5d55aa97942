"""Distinct modes of a posterior: symmetry removed, grouped by the function they compute.

An N-unit posterior holds up to N!·2^N symmetric copies of every mode.  :func:`find_modes`

1. puts every draw in one symmetric copy (:func:`~bayes_uat.symmetry.canonicalize` for one
   hidden layer and 1-D input, else :func:`~bayes_uat.symmetry.align` to the best draw);
2. evaluates f_θ on a grid over twice the data range and groups draws whose functions lie
   within ``tol`` (RMSE) of a group's leader, leaders taken in order of log-probability;
3. refines each group's best draw to a local MAP by optimisation
   (:func:`~bayes_uat.optimize.find_map`, with the gradient norm at the end), merges groups
   whose MAPs compute the same function (within ``tol``: outlying draws of one broad mode),
   and gives each mode its share of draws per chain, its sample mean and covariance
   (canonical θ) and the Laplace covariance −H⁻¹ at its MAP.

Draws in no reported mode (groups below ``min_share``, or beyond ``max_modes``) are counted
in :attr:`ModeSet.unlabelled` and :attr:`ModeSet.dropped`, with a :class:`ModeWarning`
when they are many or a dropped group is large.

Shares are fractions of draws.  They are posterior masses only if every chain moves
between the modes; chains that stay in the mode they started in give shares that say
where the chains started, not how probable each mode is.  :attr:`ModeSet.chains_mix`
reports which case holds.  When the chains are *independent runs* of equally weighted
draws (tempered SMC: ``samples.info["independent_runs"]``, or a sampler whose capabilities
say independent, unordered runs), each mode's posterior **mass** is the mean over runs of
its per-run share and ``mass_se`` the standard deviation over runs / √R — never from one
run's particles, which resampling correlates.  Copies related by a symmetry are one
canonical mode, so a canonical mean weights the copies by the mass the runs found in each
(the sigmoid's complement copies, whose prior masses differ, included).

Example
-------
>>> from bayes_uat.modes import find_modes
>>> modes = find_modes(run.posterior, run.samples)  # doctest: +SKIP
>>> print(modes)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np

from .optimize import MapResult, find_map, log_density_hessian
from .posterior import Posterior
from .samplers import capabilities_of
from .samples import Samples
from .symmetry import align, canonicalize
from .validate import integer


def to_canonical(posterior: Posterior, theta, reference=None) -> np.ndarray:
    """θ (..., dim) in the posterior's canonical form: canonicalize where it is defined (one
    hidden layer, 1-D input, an activation with a sign or no symmetry), else aligned to
    ``reference``."""
    net = posterior.net
    theta = np.asarray(theta, dtype=float)
    if not net.units:
        return theta.copy()
    if len(net.units) == 1 and net.in_dim == 1 and net.encoding is None:
        return canonicalize(net, theta)
    if reference is None:
        raise ValueError("this network has no reference-free canonical form: pass reference=")
    return align(net, theta, np.asarray(reference, dtype=float))


class ModeWarning(UserWarning):
    """Draws that fall in no reported mode: many unlabelled draws or a large dropped group."""


UNLABELLED_MAX = 0.1
"""A :class:`ModeWarning` is raised when more than this fraction of draws is in no mode."""


def independent_runs(samples: Samples) -> bool:
    """True when the chains of ``samples`` are independent runs of equally weighted draws
    (tempered SMC), so that per-run shares of a mode estimate its posterior mass."""
    if samples.info.get("independent_runs"):
        return True
    caps = capabilities_of(samples)
    return caps.independent and not caps.ordered


@dataclass(frozen=True)
class Mode:
    """One mode: its MAP, where its draws are, and its spread (all in canonical form).

    ``share`` is the fraction of analysed draws in the mode and ``chain_shares`` the
    fraction per chain.  ``mass`` ± ``mass_se`` (independent runs only, else None) is the
    posterior mass: mean over runs of the per-run share ± its standard error over runs.
    ``map_grad_norm`` is |∇ log p| at the MAP (None when the MAP was not refined).
    """

    index: int
    map_theta: np.ndarray
    map_canonical: np.ndarray
    map_log_density: float
    share: float
    chain_shares: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    laplace_cov: np.ndarray | None
    n_draws: int
    equation: str
    equation_uncertain: str
    map_grad_norm: float | None = None
    mass: float | None = None
    mass_se: float | None = None

    def to_dict(self, names) -> dict:
        return dict(
            index=self.index,
            share=self.share,
            chain_shares=self.chain_shares.tolist(),
            mass=self.mass,
            mass_se=self.mass_se,
            n_draws=self.n_draws,
            map_log_posterior=self.map_log_density,
            map_grad_norm=self.map_grad_norm,
            map=dict(zip(names, self.map_theta.tolist())),
            map_canonical=dict(zip(names, self.map_canonical.tolist())),
            equation=self.equation,
            equation_with_uncertainty=self.equation_uncertain,
            std=dict(zip(names, np.sqrt(np.diag(self.cov)).tolist())),
        )


def mode_line(mode: dict) -> str:
    """One mode's headline, from :meth:`Mode.to_dict` output: its mass ± SE (independent
    runs) or its share of draws, log p at the MAP and the gradient norm there."""
    if mode.get("mass") is not None:
        se = mode.get("mass_se")
        se = "" if se is None or not np.isfinite(se) else f" ± {se:.2f}"
        weight = f"mass {mode['mass']:.2f}{se}"
    else:
        weight = f"share {mode['share']:.2f}"
    g = mode.get("map_grad_norm")
    grad = "" if g is None else f", |∇ log p| {g:.1e}"
    return f"mode {mode['index']}: {weight}, log p(MAP) {mode['map_log_posterior']:.2f}{grad}"


@dataclass(frozen=True)
class ModeSet:
    """The modes found in a set of draws, best MAP first.

    Attributes:
        modes: the modes.
        labels: mode index of each analysed draw, shape (chains, k); -1 for draws in no
            mode (groups below ``min_share`` or beyond ``max_modes``).
        draw_index: which draws were analysed (indices into the draw axis).
        canonical: the analysed draws in canonical form, shape (chains, k, dim).
        grid: x grid of the function-space comparison.
        tol: function-space RMSE that separates modes.
        chains_mix: True when every chain visits every mode (then shares estimate masses).
        unlabelled: number of analysed draws in no reported mode.
        dropped: groups of at least ``min_share`` of the draws left out by ``max_modes``,
            each ``{"share", "n_draws", "log_density"}`` (log p of its best draw).
        independent_runs: the chains are independent runs: modes carry masses.
        warnings: what :func:`find_modes` warned about.
    """

    modes: tuple[Mode, ...]
    labels: np.ndarray
    draw_index: np.ndarray
    canonical: np.ndarray
    grid: np.ndarray
    tol: float
    chains_mix: bool
    unlabelled: int = 0
    dropped: tuple[dict, ...] = ()
    independent_runs: bool = False
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.modes)

    def __iter__(self):
        return iter(self.modes)

    def __getitem__(self, i) -> Mode:
        return self.modes[i]

    @property
    def unlabelled_share(self) -> float:
        """Fraction of the analysed draws in no reported mode."""
        return self.unlabelled / self.labels.size if self.labels.size else 0.0

    @property
    def note(self) -> str:
        if self.independent_runs:
            runs = self.labels.shape[0]
            se = "± SE over runs" if runs > 1 else "one run: no standard error"
            return f"masses from {runs} independent run(s): mean of per-run shares {se}"
        if len(self.modes) <= 1:
            return "one mode found"
        if self.chains_mix:
            return "every chain visits every mode: shares estimate posterior masses"
        return (
            "chains do not move between modes: shares are fractions of draws, set by "
            "where chains started, not posterior masses"
        )

    def to_dict(self, names) -> dict:
        return dict(
            tol=self.tol,
            chains_mix=self.chains_mix,
            independent_runs=self.independent_runs,
            note=self.note,
            unlabelled_share=self.unlabelled_share,
            dropped=list(self.dropped),
            warnings=list(self.warnings),
            modes=[m.to_dict(names) for m in self.modes],
        )

    def __str__(self) -> str:
        lines = [f"{len(self.modes)} mode(s); {self.note}"]
        for m in self.modes:
            lines.append(f"  {mode_line(m.to_dict(()))}\n    {m.equation_uncertain}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def _hessians(posterior: Posterior, thetas: np.ndarray) -> np.ndarray:
    """Hessians of log p(θ | D) at each row of ``thetas`` (k, dim), from the Hessian that
    :func:`~bayes_uat.optimize.find_map` compiled for this posterior."""
    hess = log_density_hessian(posterior)
    return np.stack([np.asarray(hess(jnp.asarray(t, posterior.dtype))) for t in thetas])


def _laplace_cov(H: np.ndarray) -> np.ndarray | None:
    """−H⁻¹ when H is the Hessian at a strict maximum, else None."""
    if not np.all(np.isfinite(H)):
        return None
    try:
        cov = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        return None
    eig = np.linalg.eigvalsh((cov + cov.T) / 2)
    return cov if np.all(eig > 0) else None  # not a maximum: no Laplace approximation


def _merge_same_maps(
    posterior: Posterior, grid: np.ndarray, tol: float, labels: np.ndarray, keep: list, maps
) -> list[int]:
    """Merge groups whose refined MAPs compute the same function (RMSE on the grid below
    ``tol``): a broad mode's outlying draws form groups of their own, which optimisation
    takes back to that mode's maximum.  The group with the higher MAP absorbs the other;
    ``labels`` (flat group index per draw) is updated in place.  Returns the positions in
    ``keep`` of the groups that remain, in ``keep``'s order."""
    fm = np.asarray(posterior.predict(maps.theta, grid))
    accepted: list[int] = []
    for j in np.argsort(-maps.log_density, kind="stable"):
        d = [np.sqrt(np.mean((fm[j] - fm[a]) ** 2)) for a in accepted]
        if d and min(d) < tol:
            labels[labels == keep[j]] = keep[accepted[int(np.argmin(d))]]
        else:
            accepted.append(int(j))
    return sorted(accepted)  # keep the order of keep (largest group first)


def default_tol(f: np.ndarray) -> float:
    """3 × the median over chains of the median RMSE between a chain's functions and its
    pointwise-median function; f has shape (chains, draws, grid).

    Chains mostly stay within one mode, so this measures the spread within a mode, which
    separated modes exceed; a floor of 1e-6 × the scale of f keeps it positive.
    """
    med = np.median(f, axis=1, keepdims=True)
    spread = np.median(np.sqrt(np.mean((f - med) ** 2, axis=-1)), axis=1)
    return float(max(3.0 * np.median(spread), 1e-6 * (np.abs(f).max() + 1e-300)))


def _check_find_args(samples, tol, n_grid, max_draws, min_share, max_modes) -> None:
    """Every argument of :func:`find_modes` checked before any work starts."""
    if not isinstance(samples, Samples):
        raise ValueError(f"find_modes needs Samples, got {type(samples).__name__}")
    for name, v in (("n_grid", n_grid), ("max_draws", max_draws), ("max_modes", max_modes)):
        integer(name, v, minimum=1)
    if not (isinstance(min_share, (int, float)) and 0 <= min_share < 1):
        raise ValueError(f"min_share must be a fraction in [0, 1), got {min_share!r}")
    if tol is not None and not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive RMSE (or None for the default), got {tol!r}")


def _group_by_function(f: np.ndarray, lp: np.ndarray, tol: float) -> tuple[np.ndarray, list]:
    """Greedy grouping of draws by their functions f (n, grid): the best unassigned draw
    (by log p) leads a group of every unassigned draw within ``tol`` RMSE of it, until
    every draw has a group.  Returns (group of each draw, leader of each group)."""
    labels = np.full(len(lp), -1)
    leaders: list[int] = []
    for i in np.argsort(-lp, kind="stable"):
        if labels[i] != -1:
            continue
        free = np.flatnonzero(labels == -1)
        d = np.sqrt(np.mean((f[free] - f[i]) ** 2, axis=1))
        labels[free[d < tol]] = len(leaders)
        labels[i] = len(leaders)  # a draw whose f is not finite leads a group of its own
        leaders.append(int(i))
    return labels, leaders


def _select_groups(labels, leaders, lp, min_share: float, max_modes: int):
    """The groups reported as modes (the ``max_modes`` largest with at least ``min_share``
    of the draws) and the groups that share would admit but ``max_modes`` leaves out."""
    counts = np.bincount(labels, minlength=len(leaders))
    big = [
        int(k) for k in np.argsort(-counts, kind="stable") if counts[k] >= min_share * labels.size
    ]
    dropped = tuple(
        dict(
            share=float(counts[k] / labels.size),
            n_draws=int(counts[k]),
            log_density=float(lp[leaders[k]]),
        )
        for k in big[max_modes:]
    )
    return big[:max_modes], dropped


def _refine(posterior, theta_raw, lp, leaders, keep, refine: bool):
    """The MAP of each kept group: its best draw (raw, not canonical: the sigmoid's
    complement flip shifts c and so the prior), refined by :func:`find_map` if asked."""
    dim = theta_raw.shape[-1]
    starts = np.stack([theta_raw[leaders[k]] for k in keep]) if keep else np.zeros((0, dim))
    if refine and keep:
        return find_map(posterior, starts)
    nan = np.full(len(keep), np.nan)
    return MapResult(starts, lp[[leaders[k] for k in keep]], nan)


def _run_masses(chain_shares: np.ndarray) -> tuple[float, float]:
    """Mass of a mode from independent runs: mean of the per-run shares, and its standard
    error from their spread (nan with one run)."""
    r = len(chain_shares)
    se = float(np.std(chain_shares, ddof=1) / np.sqrt(r)) if r > 1 else float("nan")
    return float(np.mean(chain_shares)), se


def _make_mode(posterior, new, members, can, maps, j, reference, refine, runs) -> Mode:
    """Mode ``new``: the draws ``members`` (chains, k) and the ``j``-th MAP of ``maps``;
    the MAP's canonical copy is aligned to ``reference`` where no natural order exists."""
    theta, lp, grad = maps.theta[j], maps.log_density[j], maps.grad_norm[j]
    hessian = _hessians(posterior, theta[None])[0] if refine else None
    pts = can[members]
    mean = pts.mean(0)
    cov = np.atleast_2d(np.cov(pts.T)) if len(pts) > 1 else np.zeros((len(mean), len(mean)))
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    net = posterior.net
    chain_shares = members.mean(axis=1)
    mass, mass_se = _run_masses(chain_shares) if runs else (None, None)
    return Mode(
        index=new,
        map_theta=np.asarray(theta),
        map_canonical=to_canonical(posterior, theta[None], reference=reference)[0],
        map_log_density=float(lp),
        share=float(members.mean()),
        chain_shares=chain_shares,
        mean=mean,
        cov=cov,
        laplace_cov=None if hessian is None else _laplace_cov(hessian),
        n_draws=int(members.sum()),
        equation=net.equation(np.asarray(theta)[: net.dim]),
        equation_uncertain=net.equation(mean[: net.dim], std=sd[: net.dim]),
        map_grad_norm=None if not np.isfinite(grad) else float(grad),
        mass=mass,
        mass_se=mass_se,
    )


def _mode_warnings(unlabelled: int, total: int, dropped, max_modes: int) -> tuple[str, ...]:
    """Messages for draws that no reported mode holds (also raised as ModeWarning)."""
    out = []
    if dropped:
        shares = ", ".join(f"{d['share']:.1%}" for d in dropped[:5])
        out.append(
            f"{len(dropped)} group(s) holding at least min_share of the draws were dropped "
            f"by max_modes={max_modes} (shares {shares}{', ...' if len(dropped) > 5 else ''}); "
            "raise max_modes or tol to report them"
        )
    scattered = unlabelled - sum(d["n_draws"] for d in dropped)  # in groups < min_share
    if total and scattered > UNLABELLED_MAX * total:
        out.append(
            f"{scattered} of {total} analysed draws ({scattered / total:.0%}) lie in groups "
            "below min_share, in no reported mode: tol is small for the spread of these "
            "draws, or the chains wander; raise tol, or lower min_share"
        )
    for message in out:
        warnings.warn(f"find_modes: {message}", ModeWarning, stacklevel=3)
    return tuple(out)


def find_modes(
    posterior: Posterior,
    samples: Samples,
    *,
    tol: float | None = None,
    n_grid: int = 100,
    extrapolate: float = 2.0,
    max_draws: int = 4000,
    min_share: float = 0.01,
    max_modes: int = 10,
    refine: bool = True,
) -> ModeSet:
    """Find the distinct modes among ``samples`` (see the module docstring).

    Args:
        tol: RMSE between functions on the grid below which two draws share a mode; default
            :func:`default_tol`, three times the typical spread of functions within a chain.
        n_grid: grid points.
        extrapolate: width of the grid in data ranges (2: twice the data range); modes that
            fit the data alike often differ outside it.
        max_draws: draws analysed (thinned evenly per chain).
        min_share: groups with fewer draws than this fraction are not reported as modes.
        max_modes: at most this many modes; larger groups beyond it are listed in
            :attr:`ModeSet.dropped` with a :class:`ModeWarning`.
        refine: optimise each mode's best draw to its MAP, and merge modes whose MAPs lie
            within ``tol`` (else the best draw stands in and nothing is merged).
    """
    _check_find_args(samples, tol, n_grid, max_draws, min_share, max_modes)
    C, D, dim = samples.theta.shape
    idx = np.arange(0, D, max(1, int(np.ceil(C * D / max_draws))))
    theta = samples.theta[:, idx]
    best = samples.map_theta
    can = to_canonical(posterior, theta, reference=best)
    grid = posterior.data.grid(n_grid, extrapolate=extrapolate)
    f = np.asarray(posterior.predict(can.reshape(-1, dim), grid))
    f = f.reshape(f.shape[0], -1)  # K outputs (and grid points) as one function vector
    tol = default_tol(f.reshape(C, len(idx), -1)) if tol is None else tol
    lp = samples.log_density[:, idx].ravel()
    lp = np.where(np.isfinite(lp), lp, -np.inf)
    groups, leaders = _group_by_function(f, lp, tol)
    keep, dropped = _select_groups(groups, leaders, lp, min_share, max_modes)
    maps = _refine(posterior, theta.reshape(-1, dim), lp, leaders, keep, refine)
    if refine and len(keep) > 1:
        kept = _merge_same_maps(posterior, grid, tol, groups, keep, maps)
        keep = [keep[j] for j in kept]
        maps = MapResult(*(np.asarray(a)[kept] for a in maps))
    relabel = np.full(len(leaders), -1)
    order = np.argsort(-np.asarray(maps.log_density), kind="stable")
    relabel[[keep[j] for j in order]] = np.arange(len(order))
    labels = relabel[groups].reshape(C, -1)
    runs = independent_runs(samples)
    modes = tuple(
        _make_mode(
            posterior,
            new,
            labels == new,
            can,
            maps,
            j,
            best,
            refine,
            runs,
        )
        for new, j in enumerate(order)
    )
    unlabelled = int(np.sum(labels < 0))
    return ModeSet(
        modes=modes,
        labels=labels,
        draw_index=idx,
        canonical=can,
        grid=grid,
        tol=float(tol),
        chains_mix=bool(len(modes) <= 1 or all(np.all(m.chain_shares > 0) for m in modes)),
        unlabelled=unlabelled,
        dropped=dropped,
        independent_runs=runs,
        warnings=_mode_warnings(unlabelled, labels.size, dropped, max_modes),
    )


@dataclass(frozen=True)
class ModeLaplace:
    """One mode's canonical draws beside the Laplace approximation at its canonical MAP.

    Attributes:
        mode: the :class:`Mode`.
        members: the mode's analysed draws in canonical form, shape (k, dim).
        laplace: :class:`~bayes_uat.laplace.Laplace` at ``mode.map_canonical``.
        draws: draws of that Gaussian, shape (n, dim) (n defaults to k, so that histograms
            of both compare).
    """

    mode: Mode
    members: np.ndarray
    laplace: object
    draws: np.ndarray


def mode_laplace(
    posterior: Posterior, modes: ModeSet, mode: int = 0, *, n: int | None = None, seed: int = 0
) -> ModeLaplace:
    """The Laplace approximation at mode ``mode``'s MAP (the mode whose ``index`` is
    ``mode``; 0 is the mode of most draws) with its canonical draws, for
    :func:`bayes_uat.plots.laplace_corner`. A ValueError when there is no such mode or its
    MAP is no maximum."""
    from .laplace import laplace

    chosen = [m for m in modes if m.index == mode]
    if not chosen:
        raise ValueError(
            f"no mode {mode!r} among the modes found ({[m.index for m in modes]}); pick one of "
            "those"
        )
    m = chosen[0]
    members = modes.canonical[modes.labels == m.index]
    lap = laplace(posterior, m.map_canonical)
    if not lap.is_maximum:
        raise ValueError(f"no Laplace approximation at mode {m.index}'s MAP: {lap.reason}")
    k = len(members) if n is None else integer("n", n, minimum=1)
    return ModeLaplace(m, members, lap, lap.sample(k, seed=seed))
