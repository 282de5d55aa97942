"""Seed 000 at scale: posteriors of wide networks beside their infinite-width GP.

Setting: seed 000's curve sampled at ``n`` points on [−3, 3] (N(0, 0.1²) noise), one hidden
layer of N relu units with the Neal-form priors of :func:`bayes_uat.wide.neal_posterior`
(σ_w = σ_b = σ_c = 1, σ_a = 2, so a ~ N(0, 4/N)), the noise σ = 0.1 known. Per N:

* NUTS on the full posterior (``bayes_uat.sample``), started from SGD fits, or
  (``collapsed=True``) NUTS on the hidden layer with the output layer integrated out
  (:func:`bayes_uat.wide.sample_collapsed`), an exact sampler of the same posterior;
* :func:`function_distance`: on a grid inside the data, the posterior mean's distance to the
  GP's mean in units of the GP's mean 90 % band width (max and mean over the grid), the
  ratio of the two 90 % band widths, and the same for each chain alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import jax.numpy as jnp
import numpy as np

from ..data import Dataset, make_dataset
from ..optimize import train_sgd
from ..samplers import SAMPLERS, sample
from ..wide import neal_posterior, nngp_band, nngp_predict, sample_collapsed
from ._common import _chain_method, _log, _rmse
from .seed000 import SEED000_TARGET

Z90 = 1.6448536269514722


def wide_data(n: int = 120, seed: int = 0) -> Dataset:
    """Seed 000's curve at ``n`` evenly spaced points on [−3, 3], N(0, 0.1²) noise."""
    return make_dataset(
        SEED000_TARGET, n=n, x_range=(-3.0, 3.0), noise="gaussian", noise_scale=0.1, seed=seed
    )


def gp_starts(post, chains: int, seed: int = 0) -> np.ndarray:
    """Start points near the GP's posterior: hidden units drawn from the prior, the output
    layer (a, c) at its exact posterior mean given them (a Bayesian linear regression on the
    units' outputs), so that f starts at the random-feature approximation of the GP's mean;
    shape (chains, dim)."""
    from ..wide import neal_scales

    s = neal_scales(post)
    N = s.units
    rng = np.random.default_rng(seed + 101)
    x, y = np.asarray(post.data.x, float), np.asarray(post.data.y, float)
    rows = []
    for _ in range(chains):
        w, b = rng.normal(0, s.weight, N), rng.normal(0, s.bias, N)
        phi = np.concatenate([np.maximum(np.outer(x, w) + b, 0.0), np.ones((len(x), 1))], 1)
        pv = np.concatenate([np.full(N, s.output**2 / N), [s.output_bias**2]])
        C = (phi * pv) @ phi.T + s.noise**2 * np.eye(len(x))
        ac = pv * (phi.T @ np.linalg.solve(C, y))
        p = dict(W=[jnp.asarray(w)[:, None]], b=[jnp.asarray(b)], a=jnp.asarray(ac[:N]), c=ac[N])
        rows.append(np.asarray(post.net.flatten(p)))
    return np.stack(rows)


def function_distance(post, f, grid) -> dict:
    """How far draws ``f`` (chains, draws, len(grid)) of f(grid) are from ``post``'s GP
    limit: max and mean |mean difference| / mean GP 90 % band width, the band-width ratio
    (mean network 90 % band width / mean GP band width) and per-chain distances."""
    lo, gm, hi = nngp_band(post, grid, 0.9)
    band = float(np.mean(hi - lo))
    f = np.asarray(f, dtype=float)
    m = f.reshape(-1, f.shape[-1]).mean(0)
    q05, q95 = np.quantile(f.reshape(-1, f.shape[-1]), [0.05, 0.95], axis=0)
    chain_means = f.mean(1)
    per_chain = np.abs(chain_means - gm).mean(1) / band
    spread = (
        float(np.abs(chain_means - m).mean() / band) if f.shape[0] > 1 else float("nan")
    )  # mean |chain mean − pooled mean| in bands: the chains' own disagreement
    return dict(
        max=float(np.max(np.abs(m - gm)) / band),
        mean=float(np.mean(np.abs(m - gm)) / band),
        band_ratio=float(np.mean(q95 - q05) / band),
        gp_band=band,
        per_chain_mean=per_chain.tolist(),
        chain_spread=spread,
        curves=dict(
            mean=m.tolist(),
            q05=q05.tolist(),
            q95=q95.tolist(),
            gp_mean=gm.tolist(),
            gp_lo=lo.tolist(),
            gp_hi=hi.tolist(),
        ),
    )


def wide_point(
    units: int,
    *,
    n: int = 120,
    chains: int = 2,
    warmup: int = 500,
    draws: int = 500,
    max_tree_depth: int = 10,
    sampler: str = "nuts",
    init: str = "sgd",
    sgd_steps: int = 3000,
    learning_rate: float = 0.01,
    seed: int = 0,
    grid_points: int = 200,
    collapsed: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict:
    """One width: SGD fits (Adam on the sum of squares, one per chain), NUTS on the full
    posterior from them (``init="sgd"``) or from prior draws (``"prior"``), and the
    posterior's distance to the GP (:func:`function_distance`); JSON-ready. ``collapsed``:
    NUTS on the hidden layer, the output layer integrated out (same starts' hidden part)."""
    if sampler not in SAMPLERS or "max_tree_depth" not in SAMPLERS[sampler].options:
        raise ValueError(f"sampler must be 'nuts', got {sampler!r}")  # tree-depth statistics
    data = wide_data(n)
    post = neal_posterior(data, units, "relu", noise_std=0.1)
    grid = np.linspace(-3.0, 3.0, grid_points)
    truth = np.asarray(data.target_fn(jnp.asarray(grid)), dtype=float)
    t0 = time.perf_counter()
    sgd = train_sgd(post, steps=sgd_steps, learning_rate=learning_rate, restarts=chains, seed=seed)
    _log(log, f"wide N={units} n={n}: SGD {time.perf_counter() - t0:.0f} s")
    gp = _wide_gp(post, grid)
    sgd_f = np.asarray(post.predict(sgd.best, jnp.asarray(grid)))
    start = sgd.thetas if init == "sgd" else None
    if init == "gp":
        start = gp_starts(post, chains, seed)
    settings = dict(chains=chains, warmup=warmup, draws=draws, max_tree_depth=max_tree_depth)
    samples, f, stats = _wide_sample(post, sampler, start, seed, grid, collapsed, **settings)
    dist = _wide_distance(post, f, grid)
    run = dict(units=units, n=n, sampler=sampler, init=init, **settings, seed=seed)
    run["collapsed"] = collapsed
    out = _wide_record(post, samples, sgd, sgd_f, gp, dist, stats, grid, truth, run)
    _log(
        log,
        f"wide N={units} n={n} {sampler}: distance max {dist['max']:.3f} mean "
        f"{dist['mean']:.3f} band ratio {dist['band_ratio']:.3f} chains "
        f"{[round(v, 3) for v in dist['per_chain_mean']]} ({stats['wall_time']:.0f} s, depth "
        f"{stats['mean_tree_depth']:.1f}, step {stats['step_size']:.2g})",
    )
    return out


def _wide_gp(post, grid) -> dict:
    """The GP on the grid: its variance, log marginal likelihood, 90 % band's mean and the
    band's mean width."""
    _, gp_var, lml = nngp_predict(post, grid)
    lo, gm, hi = nngp_band(post, grid)
    return dict(var=gp_var, lml=lml, mean=gm, band=float(np.mean(hi - lo)))


def _wide_sample(
    post, sampler, start, seed, grid, collapsed, *, chains, warmup, draws, max_tree_depth
):
    """The draws of one width, their curves on ``grid`` and the sampler's statistics (wall
    time of both, step size, tree depth, leapfrog steps, tree-depth hits, divergences)."""
    t0 = time.perf_counter()
    run = dict(
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        init=start if start is not None else "prior",
        max_tree_depth=max_tree_depth,
        chain_method=_chain_method(chains),
    )
    if collapsed:
        samples = sample_collapsed(post, **run)
    else:
        samples = sample(post, sampler, progress=False, **run)
    f = np.asarray(post.predict(samples.theta, jnp.asarray(grid)))
    depth = samples.stats["tree_depth"]
    stats = dict(
        wall_time=time.perf_counter() - t0,
        step_size=float(np.median(samples.stats["step_size"])),
        mean_tree_depth=float(depth.mean()),
        mean_num_steps=float(samples.stats["num_steps"].mean()),
        max_depth_hits=int((depth >= max_tree_depth).sum()),
        divergences=int(samples.stats["diverging"].sum()),
    )
    return samples, f, stats


def _wide_distance(post, f, grid) -> dict:
    """:func:`function_distance` of the draws' curves ``f``, with the pooled mean's distance
    over successive quarters of the draws (are the chains still moving?)."""
    dist = function_distance(post, f, grid)
    q = np.array_split(np.arange(f.shape[1]), 4)
    dist["by_quarter"] = [function_distance(post, f[:, i], grid)["mean"] for i in q]
    return dist


def _wide_record(post, samples, sgd, sgd_f, gp, dist, stats, grid, truth, run: dict) -> dict:
    """The JSON-ready record of one width: the run's settings, the distances of the draws
    and of SGD to the GP, the errors against the truth and the curves."""
    gm, band = gp["mean"], gp["band"]
    edge = nngp_band(post, np.array([3.5]))
    f35 = np.asarray(post.predict(samples.theta, jnp.array([3.5])))
    return dict(
        **run,
        dim=post.dim,
        gp_log_marginal_likelihood=gp["lml"],
        distance=dict((k, v) for k, v in dist.items() if k != "curves"),
        sampler_stats=stats,
        sgd=dict(
            distance_max=float(np.max(np.abs(sgd_f - gm)) / band),
            distance_mean=float(np.mean(np.abs(sgd_f - gm)) / band),
            mse_data=float(np.asarray(post.mse(sgd.best))),
            rmse_truth=_rmse(sgd_f, truth),
        ),
        rmse_truth=dict(
            posterior_mean=_rmse(np.asarray(dist["curves"]["mean"]), truth),
            gp_mean=_rmse(gm, truth),
        ),
        edge_35=dict(
            distance=float(abs(np.mean(f35) - edge[1][0]) / (edge[2][0] - edge[0][0])),
        ),
        grid=grid.tolist(),
        truth=truth.tolist(),
        sgd_curve=sgd_f.tolist(),
        curves=dist["curves"],
        gp_sd=np.sqrt(gp["var"]).tolist(),
    )


def feature_importance(
    post,
    lams,
    *,
    particles: int = 1000,
    grid=None,
    curves: int = 0,
    seed: int = 0,
    chunk: int = 50,
) -> dict:
    """The tempered posteriors p_λ ∝ p(θ) p(D | θ)^λ of a one-hidden-layer relu network of
    Neal form, by importance sampling over its hidden units with the output layer exact.

    Given the hidden weights and biases (w, b), f = Φa + c is linear in the output layer,
    whose prior is Gaussian, so under the Gaussian likelihood tempered by λ (noise σ²/λ)
    p_λ(D | w, b) = N(y | 0, K_Φ + σ²/λ I), K_Φ = σ_a²/N ΦΦᵀ + σ_c², and f | w, b, D is
    Gaussian. ``particles`` prior draws of (w, b) weighted by p_λ(D | w, b) represent
    p_λ(w, b | D) (exactly as particles → ∞); the ESS of the weights says how far the
    posterior's hidden units are from the prior's. Returns, per λ: the ESS, the posterior
    mean and the pointwise 5 % / 95 % quantiles of f on ``grid`` (a mixture of Gaussians,
    quantiles by 4 000 draws), and ``curves`` function draws (particle by weight, then f).
    Plain numpy (LAPACK) in float64."""
    from ..wide import neal_scales

    s = neal_scales(post)
    if s.activation != "relu" or post.net.in_dim != 1:
        raise ValueError("feature_importance is written for one-input relu networks")
    N, rng = s.units, np.random.default_rng(seed)
    x, y = np.asarray(post.data.x, float), np.asarray(post.data.y, float)
    g = np.linspace(-3.0, 3.0, 100) if grid is None else np.asarray(grid, float)
    va, vc, s2 = s.output**2 / N, s.output_bias**2, s.noise**2
    w = rng.normal(0, s.weight, (particles, N))
    b = rng.normal(0, s.bias, (particles, N))
    d = np.empty((particles, len(x)))
    yt = np.empty((particles, len(x)))
    A = np.empty((particles, len(g), len(x)))  # K_gx U
    kgg = np.empty((particles, len(g)))
    for lo in range(0, particles, chunk):
        sl = slice(lo, lo + chunk)
        phi = np.maximum(x[None, :, None] * w[sl, None, :] + b[sl, None, :], 0.0)
        phg = np.maximum(g[None, :, None] * w[sl, None, :] + b[sl, None, :], 0.0)
        K = va * phi @ phi.transpose(0, 2, 1) + vc
        dd, U = np.linalg.eigh(K)
        d[sl], yt[sl] = np.maximum(dd, 0.0), np.einsum("pnk,n->pk", U, y)
        A[sl] = (va * phg @ phi.transpose(0, 2, 1) + vc) @ U
        kgg[sl] = va * np.sum(phg * phg, axis=-1) + vc
    out = []
    for lam in lams:
        lam = float(lam)
        if lam == 0:
            logw = np.zeros(particles)
            mean_p = np.zeros((particles, len(g)))
            var_p = kgg.copy()
        else:
            e = d + s2 / lam
            logw = -0.5 * np.sum(yt**2 / e + np.log(2 * np.pi * e), axis=1)
            mean_p = np.einsum("pgk,pk->pg", A, yt / e)
            var_p = np.maximum(kgg - np.einsum("pgk,pk->pg", A * A, 1 / e), 0.0)
        wt = np.exp(logw - logw.max())
        wt /= wt.sum()
        pick = rng.choice(particles, size=4000, p=wt)
        draws = mean_p[pick] + np.sqrt(var_p[pick]) * rng.standard_normal((4000, len(g)))
        q05, q95 = np.quantile(draws, [0.05, 0.95], axis=0)
        entry = dict(
            lam=lam,
            ess=float(1.0 / np.sum(wt**2)),
            mean=(wt @ mean_p).tolist(),
            q05=q05.tolist(),
            q95=q95.tolist(),
        )
        if curves:
            entry["curves"] = _curves(
                rng, wt, curves, w, b, x, g, d, A, yt, s2 / max(lam, 1e-300), va, vc, lam
            ).tolist()
        out.append(entry)
    return dict(grid=g.tolist(), particles=particles, steps=out)


def _curves(rng, wt, k, w, b, x, g, d, A, yt, noise, va, vc, lam):
    """``k`` function draws on g: particles by weight, then f | (w, b) from its Gaussian."""
    rows = []
    for i in rng.choice(len(wt), size=k, p=wt):
        phg = np.maximum(g[:, None] * w[i] + b[i], 0.0)
        kgg = va * phg @ phg.T + vc
        if lam == 0:
            mean, cov = np.zeros(len(g)), kgg
        else:
            e = d[i] + noise
            mean = A[i] @ (yt[i] / e)
            cov = kgg - (A[i] / e) @ A[i].T
        L = np.linalg.cholesky(cov + 1e-9 * np.eye(len(g)))
        rows.append(mean + L @ rng.standard_normal(len(g)))
    return np.array(rows)
