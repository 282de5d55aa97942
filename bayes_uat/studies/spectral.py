"""Seed 001's spectral bias (Rahaman et al. 2019): which frequencies Adam fits first, which
the prior over weights already prefers, and whether the hat activation (Hong et al. 2022) or
a Fourier-feature encoding (Tancik et al. 2020) removes the preference.

Target: y(x) = Σₖ sin(2π k x + φₖ) for k ∈ ``frequencies`` (default 1, 3, 5, 10, 20; equal
amplitudes, phases drawn once from ``seed``) on the periodic grid of n points in [0, 1)
(:func:`bayes_uat.spectral.periodic_grid`), so that every k is an exact grid frequency and
:func:`bayes_uat.spectral.amplitudes_at` reads its amplitude without leakage.

Networks: one hidden layer of ``width`` units with relu, tanh, sigmoid, sin or hat units, and
relu units on Gaussian Fourier features (``"relu+ff"``).  Each part is one function:
:func:`training_dynamics`, :func:`prior_spectra`, :func:`posterior_spectra`, and
:func:`spectral_study` runs them all and checks the claims (:func:`spectral_claims`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ..data import Dataset
from ..encoding import FourierFeatures
from ..nets import MLP
from ..posterior import Posterior
from ..samplers import sample
from ..spectral import (
    amplitudes_at,
    check_frequencies,
    periodic_grid,
    power_spectrum,
    remove_endpoint_line,
    sinusoids,
)
from ._common import _log, _positive_int

NETWORKS = ("relu", "tanh", "sigmoid", "sin", "hat", "relu+ff")
FREQUENCIES = (1, 3, 5, 10, 20)


def spectral_net(name: str, width: int, *, ff_features: int = 32, ff_scale: float = 10.0) -> MLP:
    """The network called ``name`` in :data:`NETWORKS`: one hidden layer of ``width`` units;
    ``"relu+ff"`` is relu on ``ff_features`` Gaussian Fourier features of scale ``ff_scale``
    cycles per unit interval (seed 0)."""
    if name == "relu+ff":
        enc = FourierFeatures(ff_features, kind="gaussian", scale=ff_scale, seed=0)
        return MLP(width, "relu", encoding=enc)
    if name not in NETWORKS:
        raise ValueError(f"unknown network {name!r}: choose from {', '.join(NETWORKS)}")
    return MLP(width, name)


def sinusoid_target(
    n: int, frequencies: Sequence[int] = FREQUENCIES, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, phases): y = Σₖ sin(2π k x + φₖ) on the n-point periodic grid in [0, 1), with
    φₖ ~ U(0, 2π) from ``seed``; every k must lie below the Nyquist limit n/2."""
    k = check_frequencies(frequencies, n)
    if np.any(k == 0):
        raise ValueError("frequencies must be ≥ 1: a zero frequency is a constant, not a sinusoid")
    phases = np.random.default_rng(seed).uniform(0.0, 2 * np.pi, len(k))
    x = periodic_grid(n)
    return x, sinusoids(x, k, 1.0, phases), phases


def spread_weights(net: MLP, restarts: int, *, scale: float, seed: int) -> np.ndarray:
    """Initial θ (restarts, dim): for scalar input, every unit's transition tᵢ = −bᵢ/wᵢ
    uniform in [0, 1] and wᵢ ~ N(0, scale²), so units start as features of every width on the
    data (the default initialisation, |wᵢ| ≤ 1, leaves every unit almost linear on [0, 1]);
    output weights aᵢ ~ N(0, 1/N), c = 0.  An encoded network keeps :meth:`MLP.init`."""
    rng = np.random.default_rng(seed)
    if net.encoding is not None:
        keys = jax.random.key(seed)
        return np.asarray(net.init(keys, (restarts,)), dtype=float)
    n = net.units[0]
    idx = net.unit_slices()
    w = rng.normal(0.0, scale, (restarts, n))
    th = np.zeros((restarts, net.dim))
    th[:, idx[:, 0]] = w
    th[:, idx[:, 1]] = -w * rng.uniform(0.0, 1.0, (restarts, n))
    th[:, idx[:, 2]] = rng.normal(0.0, 1.0 / math.sqrt(n), (restarts, n))
    return th


def train_snapshots(
    net: MLP, x, y, theta0, *, steps: int, every: int, learning_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Adam on the mean squared error from each row of ``theta0`` (vmapped), keeping f on x
    every ``every`` steps: returns (step numbers (S,), predictions (restarts, S, n)) with
    S = steps // every + 1 (step 0 included) and the final θ."""
    # float32: 4-5x faster on CPU for sin units and Fourier features, and these are MSE curves
    x, y = jnp.asarray(x, jnp.float32), jnp.asarray(y, jnp.float32)
    opt = optax.adam(learning_rate)

    def loss(theta):
        return jnp.mean((net.apply(theta, x) - y) ** 2)

    def step(carry, _):
        theta, state = carry
        g = jax.grad(loss)(theta)
        upd, state = opt.update(g, state, theta)
        return (optax.apply_updates(theta, upd), state), None

    def segment(carry, _):
        carry, _ = jax.lax.scan(step, carry, None, length=every)
        return carry, net.apply(carry[0], x)

    def run(theta):
        f0 = net.apply(theta, x)
        (theta, _), fs = jax.lax.scan(segment, (theta, opt.init(theta)), None, steps // every)
        return jnp.concatenate([f0[None], fs]), theta

    preds, final = jax.jit(jax.vmap(run))(jnp.asarray(theta0, jnp.float32))
    return np.arange(steps // every + 1) * every, np.asarray(preds), np.asarray(final)


def learned_step(rel: np.ndarray, steps: np.ndarray, threshold: float) -> np.ndarray:
    """The first snapshot step from which the relative residual amplitude ``rel`` (..., S, K)
    stays below ``threshold`` to the end; NaN where it never does."""
    below = rel < threshold
    stays = np.flip(np.logical_and.accumulate(np.flip(below, -2), axis=-2), -2)
    first = np.argmax(stays, axis=-2)
    return np.where(stays.any(axis=-2), steps[first], np.nan)


@dataclass(frozen=True)
class Dynamics:
    """Residual amplitudes over Adam steps for one network.

    Attributes:
        steps: snapshot steps (S,).
        rel: residual amplitude / target amplitude, (restarts, S, K).
        learned: the step each frequency is learned per restart, (restarts, K) (NaN: never).
        fits: f on the grid at every snapshot of restart 0, (S, n).
        final_mse: training MSE of each restart at the end, (restarts,).
    """

    steps: np.ndarray
    rel: np.ndarray
    learned: np.ndarray
    fits: np.ndarray
    final_mse: np.ndarray


def training_dynamics(
    net: MLP,
    x,
    y,
    frequencies: Sequence[int],
    *,
    restarts: int,
    steps: int,
    every: int,
    learning_rate: float,
    init_scale: float,
    threshold: float = 0.1,
    seed: int = 0,
) -> Dynamics:
    """Train ``restarts`` runs (:func:`train_snapshots` from :func:`spread_weights`) and read
    the amplitude of every target frequency in the residual y − f at each snapshot."""
    theta0 = spread_weights(net, restarts, scale=init_scale, seed=seed)
    s, preds, _ = train_snapshots(
        net, x, y, theta0, steps=steps, every=every, learning_rate=learning_rate
    )
    target = amplitudes_at(y, frequencies)
    rel = amplitudes_at(np.asarray(y) - preds, frequencies) / target
    return Dynamics(
        steps=s,
        rel=rel,
        learned=learned_step(rel, s, threshold),
        fits=preds[0],
        final_mse=np.mean((preds[:, -1] - np.asarray(y)) ** 2, axis=-1),
    )


def prior_spectra(net: MLP, x, scales: Sequence[float], *, draws: int, seed: int = 0) -> np.ndarray:
    """Mean power spectrum of f(x) over θ ~ N(0, s²·I) for each prior scale s (each draw's
    f with its endpoint line removed, :func:`~bayes_uat.spectral.remove_endpoint_line`, and
    its spectrum normalised to sum to 1 over frequencies k ≥ 1): shape (len(scales),
    n//2 + 1), entry 0 (the mean) set to NaN.  A draw whose f is constant on the grid
    (possible for the hat: every unit's window outside [0, 1]) contributes zeros."""
    out = []
    apply = jax.jit(net.apply)  # one compilation for every scale
    for j, s in enumerate(scales):
        theta = s * jax.random.normal(jax.random.key(seed + j), (draws, net.dim))
        f = np.asarray(apply(theta, jnp.asarray(_closed(x), float)))
        p = power_spectrum(remove_endpoint_line(f))
        p = p / np.maximum(p[:, 1:].sum(axis=-1, keepdims=True), 1e-300)
        m = p.mean(axis=0)
        m[0] = np.nan
        out.append(m)
    return np.stack(out)


def noisy_low_frequency_data(
    n: int,
    *,
    low: Sequence[int] = (1, 3, 5),
    band: tuple[int, int] = (25, 50),
    noise: float = 0.3,
    kind: str = "high",
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x, y, truth, x_fresh, truth_fresh): truth = Σ sin(2π k x + φₖ) over ``low`` on the
    n-point periodic grid; y = truth + noise of standard deviation ``noise``, either white
    Gaussian (``kind="white"``) or the same Gaussian noise kept only at frequencies inside
    ``band`` (``kind="high"``; rescaled to the same standard deviation).  Fresh points are the
    grid's midpoints, with the noise-free truth there."""
    x, truth, ph = sinusoid_target(n, low, seed=seed)
    check_frequencies(band, n)
    rng = np.random.default_rng(seed + 1)
    e = rng.normal(0.0, 1.0, n)
    if kind == "high":
        spec = np.fft.rfft(e)
        k = np.arange(spec.size)
        spec[(k < band[0]) | (k > band[1])] = 0.0
        e = np.fft.irfft(spec, n)
    elif kind != "white":
        raise ValueError(f"kind must be 'white' or 'high', got {kind!r}")
    e = noise * e / np.std(e)
    x_fresh = x + 0.5 / n
    return x, truth + e, truth, x_fresh, sinusoids(x_fresh, low, 1.0, ph)


def _closed(x) -> np.ndarray:
    """The periodic grid x plus its right end (one grid step past the last point)."""
    x = np.asarray(x, dtype=float)
    return np.append(x, 2 * x[-1] - x[-2])


def _mean_power(f) -> np.ndarray:
    """Mean power spectrum of functions f sampled on the closed grid (:func:`_closed`)."""
    p = power_spectrum(remove_endpoint_line(f))
    return p.reshape(-1, p.shape[-1]).mean(axis=0)


def posterior_spectra(
    net: MLP,
    data: tuple,
    *,
    prior_std: float,
    restarts: int,
    steps: int,
    learning_rate: float,
    init_scale: float,
    warmup: int,
    draws: int,
    max_tree_depth: int,
    seed: int = 0,
) -> dict:
    """SGD (Adam, ``restarts`` runs, the lowest loss kept) and a short NUTS run (two chains
    started at the two best restarts; Gaussian likelihood with the true noise σ, N(0,
    prior_std²) prior) on one data set from :func:`noisy_low_frequency_data`.

    Returns the power spectra (mean over draws) of f, of the posterior mean, of the draws'
    deviations from it (what the predictive band is made of) and of the 95 % band's width
    ``q97.5 − q2.5`` (its mean removed), the SGD fit's spectrum, and the held-out RMSE on the
    fresh points of SGD and of the posterior mean.
    """
    import warnings

    x, y, truth, x_fresh, truth_fresh = data
    noise = float(np.std(y - truth))
    post = Posterior(
        net, _dataset(x, y), prior_std=prior_std, likelihood="gaussian", noise_std=noise
    )
    theta0 = spread_weights(net, restarts, scale=init_scale, seed=seed)
    _, _, final = train_snapshots(
        net, x, y, theta0, steps=steps, every=steps, learning_rate=learning_rate
    )
    final = np.asarray(final, dtype=float)
    order = np.argsort(np.asarray(post.mse(final)))
    sgd = final[order[0]]
    with warnings.catch_warnings():
        # the hat's flat tails: the draws stay valid; both chains start where units are alive
        warnings.filterwarnings("ignore", message="NUTS with the", category=UserWarning)
        smp = sample(
            post,
            "nuts",
            progress=False,
            chains=2,
            warmup=warmup,
            draws=draws,
            init=final[order[:2]],
            seed=seed,
            max_tree_depth=max_tree_depth,
        )
    th = smp.theta.reshape(-1, net.dim)
    f = np.asarray(post.predict(th, _closed(x)))  # (draws, n + 1): spectra on the closed grid
    mean = f.mean(axis=0)
    width = np.percentile(f, 97.5, axis=0) - np.percentile(f, 2.5, axis=0)
    f_sgd = np.asarray(post.predict(sgd, _closed(x)))
    f_fresh = np.asarray(post.predict(th, x_fresh)).mean(axis=0)
    sgd_fresh = np.asarray(post.predict(sgd, x_fresh))
    return dict(
        draws=_mean_power(f),
        mean=_mean_power(mean[None]),
        deviation=_mean_power(f - mean),
        band_width=_mean_power(width[None]),
        sgd=_mean_power(f_sgd[None]),
        data=power_spectrum(y),
        band_width_mean=float(width.mean()),
        rmse_sgd=float(np.sqrt(np.mean((sgd_fresh - truth_fresh) ** 2))),
        rmse_posterior=float(np.sqrt(np.mean((f_fresh - truth_fresh) ** 2))),
        divergences=int(np.sum(smp.stats.get("diverging", 0))),
        sgd_fit=f_sgd[: len(x)],
        posterior_mean=mean[: len(x)],
        band=np.percentile(f[:, : len(x)], [2.5, 97.5], axis=0),
    )


def _dataset(x, y) -> Dataset:
    return Dataset(x=np.asarray(x), y=np.asarray(y), target=None, source="spectral study")


@dataclass(frozen=True)
class SpectralResult:
    """Everything :func:`spectral_study` computed; ``numbers`` is the JSON summary.

    Attributes:
        x, y: the training grid and the sum-of-sinusoids target.
        frequencies: the target's frequencies (cycles per unit interval).
        dynamics: network name → :class:`Dynamics`.
        prior_scales: prior standard deviations s of the prior spectra.
        prior: network name → mean normalised power spectrum per scale, (scales, n//2 + 1).
        noisy: the data set of the posterior part (:func:`noisy_low_frequency_data`).
        posterior: network name → :func:`posterior_spectra` output.
        claims: list of dicts (claim, network, verdict, numbers) from :func:`spectral_claims`.
        numbers: JSON-serialisable summary.
    """

    x: np.ndarray
    y: np.ndarray
    frequencies: tuple[int, ...]
    dynamics: dict
    prior_scales: tuple[float, ...]
    prior: dict
    noisy: tuple
    posterior: dict
    claims: list
    numbers: dict


def _median_steps(d: Dynamics, never: float) -> np.ndarray:
    """Median learned step per frequency over restarts, a run that never learns counted as
    ``never`` (past the end of training)."""
    return np.median(np.where(np.isnan(d.learned), never, d.learned), axis=0)


def _spread(m: np.ndarray, first: float) -> float:
    """Slowest over fastest median learned step (steps counted from the first snapshot)."""
    m = np.maximum(m, first)
    return float(m.max() / m.min())


def _verdict(all_: bool, any_: bool) -> str:
    return "true" if all_ else ("partly" if any_ else "false")


def spectral_claims(dynamics: dict, prior: dict, posterior: dict, meta: dict) -> list:
    """Check seed 001's claims (and the posterior's use of noise) against the numbers; each
    entry has a verdict ``"true"``, ``"false"`` or ``"partly"`` and the numbers behind it.

    * "low frequencies first" (per network): the median learned steps m_k over restarts
      (never = past the end) are nondecreasing in k with m_max > m_min: true; the highest
      frequency learned after the lowest but the order not monotone: partly; else false.
    * "the hat removes it" / "the Fourier encoding removes it": the spread max m / min m
      (steps counted from the first snapshot) ≤ 2: true; below half of relu's: partly.
    * "the bias is in the prior as well as in training": the prior's mean power at the highest
      target frequency is below 1/10 of that at the lowest, for every network and prior
      scale: true; for some: partly; for none: false.
    * "the posterior mean ignores high-frequency noise better than SGD": held-out RMSE of the
      posterior mean below SGD's for every network: true; for some: partly.
    """
    freqs, never, first = meta["frequencies"], meta["never"], meta["every"]
    out, medians = [], {}
    for name, d in dynamics.items():
        m = _median_steps(d, never)
        medians[name] = m
        mono = bool(np.all(np.diff(m) >= 0))
        out.append(
            dict(
                claim="low frequencies first",
                network=name,
                verdict=_verdict(mono and m[-1] > m[0], m[-1] > m[0]),
                numbers=dict(
                    median_learned_step=dict(zip(map(str, freqs), m.tolist())),
                    never=f"{never} means not learned within {meta['steps']} steps",
                ),
            )
        )
    relu = _spread(medians["relu"], first) if "relu" in medians else np.inf
    for name, claim in (
        ("hat", "the hat removes it"),
        ("relu+ff", "the Fourier encoding removes it"),
    ):
        if name in medians:
            sp = _spread(medians[name], first)
            out.append(
                dict(
                    claim=claim,
                    network=name,
                    verdict=_verdict(sp <= 2, sp < relu / 2),
                    numbers=dict(spread=sp, relu_spread=relu),
                )
            )
    lo, hi = freqs[0], freqs[-1]
    ratios = {n: [float(p[j, hi] / p[j, lo]) for j in range(len(p))] for n, p in prior.items()}
    biased = [r < 0.1 for rs in ratios.values() for r in rs]
    out.append(
        dict(
            claim="the bias is in the prior as well as in training",
            network="all",
            verdict=_verdict(all(biased), any(biased)),
            numbers=dict(prior_scales=list(meta["prior_scales"]), power_ratio_high_over_low=ratios),
        )
    )
    if posterior:
        better = [r["rmse_posterior"] < r["rmse_sgd"] for r in posterior.values()]
        out.append(
            dict(
                claim="the posterior mean ignores high-frequency noise better than SGD",
                network="all",
                verdict=_verdict(all(better), any(better)),
                numbers={
                    n: dict(rmse_sgd=r["rmse_sgd"], rmse_posterior=r["rmse_posterior"])
                    for n, r in posterior.items()
                },
            )
        )
    return out


def _check_study(networks, width, restarts, every, steps, threshold) -> None:
    for name in networks:
        spectral_net(name, 1)
    for name, v in (("width", width), ("restarts", restarts), ("every", every)):
        _positive_int(name, v)
    if _positive_int("steps", steps) < every:
        raise ValueError(f"steps ({steps}) must be at least every ({every})")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must lie in (0, 1), got {threshold!r}")


def spectral_study(
    *,
    networks: Sequence[str] = NETWORKS,
    frequencies: Sequence[int] = FREQUENCIES,
    n: int = 200,
    width: int = 128,
    restarts: int = 3,
    steps: int = 6000,
    every: int = 50,
    learning_rate: float = 3e-3,
    init_scale: float = 30.0,
    threshold: float = 0.1,
    prior_scales: Sequence[float] = (1.0, 3.0, 10.0, 30.0),
    prior_draws: int = 500,
    posterior_networks: Sequence[str] | None = None,
    posterior_width: int = 32,
    posterior_steps: int = 4000,
    warmup: int = 100,
    draws: int = 100,
    max_tree_depth: int = 6,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> SpectralResult:
    """Run the three parts of the study and check the claims (:func:`spectral_claims`).

    1. Training dynamics (:func:`training_dynamics`): every network in ``networks``
       (``width`` units) trained with Adam on the sum of sinusoids at ``frequencies`` (n grid
       points), ``restarts`` runs of ``steps`` steps from :func:`spread_weights`
       (``init_scale``); a frequency is learned once its residual amplitude stays below
       ``threshold`` × its target amplitude.
    2. Prior spectra (:func:`prior_spectra`): ``prior_draws`` draws θ ~ N(0, s²) per scale.
    3. Posterior (:func:`posterior_spectra`): the low-frequency target (1, 3, 5) with
       high-frequency noise (band 25–50, sd 0.3), ``posterior_width`` units, SGD
       (``posterior_steps``) and NUTS (2 chains × (``warmup`` + ``draws``), tree depth
       ``max_tree_depth``, prior N(0, 30²)); ``posterior_networks`` defaults to ``networks``.

    Example:
        >>> res = spectral_study(networks=["tanh"], width=16, steps=200)  # doctest: +SKIP
    """
    _check_study(networks, width, restarts, every, steps, threshold)
    freqs = tuple(int(k) for k in check_frequencies(frequencies, n))
    x, y, _ = sinusoid_target(n, freqs, seed=seed)
    post_nets = tuple(networks if posterior_networks is None else posterior_networks)
    _ = [spectral_net(name, 1) for name in post_nets]  # the names checked before any work
    noisy = noisy_low_frequency_data(n, seed=seed) if post_nets else ()  # checks n first
    t0 = time.perf_counter()
    dyn, prior = {}, {}
    for name in networks:
        net = spectral_net(name, width)
        dyn[name] = training_dynamics(
            net, x, y, freqs, restarts=restarts, steps=steps, every=every,
            learning_rate=learning_rate, init_scale=init_scale, threshold=threshold, seed=seed,
        )  # fmt: skip
        prior[name] = prior_spectra(net, x, prior_scales, draws=prior_draws, seed=seed)
        m = _median_steps(dyn[name], np.inf).tolist()
        _log(log, f"{name:8s} learned at steps {m} ({time.perf_counter() - t0:.0f} s)")
    post = _posteriors(
        post_nets, noisy, posterior_width, log, t0, restarts=restarts, steps=posterior_steps,
        learning_rate=learning_rate, init_scale=init_scale, warmup=warmup, draws=draws,
        max_tree_depth=max_tree_depth, seed=seed,
    )  # fmt: skip
    meta = dict(frequencies=freqs, never=steps + every, every=every, steps=steps)
    claims = spectral_claims(dyn, prior, post, {**meta, "prior_scales": tuple(prior_scales)})
    settings = dict(
        networks=list(networks), frequencies=list(freqs), n=n, width=width, restarts=restarts,
        steps=steps, every=every, learning_rate=learning_rate, init_scale=init_scale,
        threshold=threshold, prior_scales=list(prior_scales), prior_draws=prior_draws,
        posterior_networks=list(post), posterior_width=posterior_width,
        posterior_steps=posterior_steps, warmup=warmup, draws=draws,
        max_tree_depth=max_tree_depth, seed=seed,
    )  # fmt: skip
    numbers = dict(
        settings=settings, learned_steps=_learned_summary(dyn),
        posterior={n: {k: v for k, v in r.items() if np.ndim(v) == 0} for n, r in post.items()},
        claims=claims,
    )  # fmt: skip
    return SpectralResult(
        x=x, y=y, frequencies=freqs, dynamics=dyn, prior_scales=tuple(prior_scales),
        prior=prior, noisy=noisy, posterior=post, claims=claims, numbers=numbers,
    )  # fmt: skip


def _posteriors(names, noisy, width: int, log, t0: float, **kw) -> dict:
    """Part 3 of the study for every network in ``names``: :func:`posterior_spectra` with
    ``kw`` and the prior N(0, 30²), a progress line each."""
    post = {}
    for name in names:
        r = post[name] = posterior_spectra(spectral_net(name, width), noisy, prior_std=30.0, **kw)
        _log(
            log,
            f"{name:8s} held-out RMSE SGD {r['rmse_sgd']:.3f}, posterior mean "
            f"{r['rmse_posterior']:.3f} ({time.perf_counter() - t0:.0f} s)",
        )
    return post


def _learned_summary(dyn: dict) -> dict:
    """Per network: the median learned step per frequency (None: never), each restart's
    learned steps and final MSE."""
    return {
        name: dict(
            median=[None if not np.isfinite(v) else v for v in _median_steps(d, np.inf)],
            per_restart=np.where(np.isnan(d.learned), None, d.learned).tolist(),
            final_mse=d.final_mse.tolist(),
        )
        for name, d in dyn.items()
    }


__all__ = [
    "NETWORKS",
    "FREQUENCIES",
    "spectral_net",
    "sinusoid_target",
    "spread_weights",
    "train_snapshots",
    "learned_step",
    "Dynamics",
    "training_dynamics",
    "prior_spectra",
    "noisy_low_frequency_data",
    "posterior_spectra",
    "SpectralResult",
    "spectral_claims",
    "spectral_study",
]
