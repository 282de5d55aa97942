"""An affine-invariant ensemble sampler written in JAX (the ``"ensemble"`` backend): the whole
run is one compiled loop.

The moves are emcee's (Goodman & Weare 2010; Foreman-Mackey et al. 2013): the walkers are
split at random into two halves each step and each half is moved using the other,

* ``"stretch"``: ``y = x_j + Z (x − x_j)`` with ``Z ~ g(z) ∝ 1/√z`` on ``[1/a, a]``,
  accepted with probability ``min(1, Z^(d−1) p(y)/p(x))``;
* ``"de"``: differential evolution, ``y = x + γ (x_j − x_k) + ε`` with
  ``γ = 2.38/√(2d)`` and ``ε ~ N(0, σ_ε²)`` (symmetric, plain Metropolis ratio);

or a random mixture of the two (``moves={"stretch": 0.8, "de": 0.2}``: each step picks one).

Unlike emcee, the state carries each walker's log-density, so a step costs exactly two
half-ensemble evaluations, and unlike numpyro's AIES nothing is recomputed after sampling:
on the blog workload this runs at 1.4× the log-density's own cost
(docs/benchmarks.md).

>>> import jax, jax.numpy as jnp
>>> logp = lambda x: -0.5 * jnp.sum(x**2)
>>> x0 = jax.random.normal(jax.random.key(0), (16, 3))
>>> state = init(logp, x0)
>>> state, (xs, lps, acc) = run(logp, jax.random.key(1), state, 200, moves="stretch")
>>> xs.shape, lps.shape, acc.shape
((200, 16, 3), (200, 16), (200, 16))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..runtime import take_in_bounds
from .base import Capabilities, Draws, check_chains, ensemble_info, mcmc_progress, require

MOVES = ("stretch", "de")


class State(NamedTuple):
    """Walker positions ``x`` (walkers, dim) and their log-densities ``log_density`` (walkers,)."""

    x: jax.Array
    log_density: jax.Array


def move_weights(moves) -> tuple[float, float]:
    """Normalise ``moves`` (a name, or a mapping name → weight) to (p_stretch, p_de)."""
    if isinstance(moves, str):
        moves = {moves: 1.0}
    if not isinstance(moves, Mapping) or not moves:
        raise ValueError(
            f"moves must be 'stretch', 'de' or a mapping such as {{'stretch': 0.8, 'de': 0.2}}, "
            f"got {moves!r}"
        )
    bad = set(moves) - set(MOVES)
    if bad:
        raise ValueError(f"unknown move(s) {sorted(bad)}: choose from {', '.join(MOVES)}")
    w = np.array([float(moves.get(m, 0.0)) for m in MOVES])
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"move weights must be >= 0 and not all zero, got {dict(moves)}")
    w = w / w.sum()
    return float(w[0]), float(w[1])


@jax.jit
def _log_densities(log_density, x):
    return jax.vmap(log_density)(x)


def _as_pytree(log_density: Callable) -> jax.tree_util.Partial:
    """The log-density as a compiled-function argument: a :class:`jax.tree_util.Partial`
    (``Posterior.log_density_fn`` is one, its data the arguments) is passed as it is, so one
    program serves every posterior of the same shapes; a plain function is static, its
    programs reused while it is the same object."""
    if isinstance(log_density, jax.tree_util.Partial):
        return log_density
    return jax.tree_util.Partial(log_density)


def init(log_density: Callable, x0) -> State:
    """The starting state: positions ``x0`` (walkers, dim) and their log-densities (one
    compiled call, not one per operation)."""
    x0 = jnp.asarray(x0)
    return State(x0, _log_densities(_as_pytree(log_density), x0))


def _half_step(log_density, x, lp, other, u, eps, p_de, a):
    """Move the walkers ``x`` (n, d) using the complementary set ``other`` (m, d), with
    uniforms ``u`` (n, 5) and DE jitter ``eps`` (n, d) drawn beforehand."""
    n, d = x.shape
    m = other.shape[0]
    # stretch: z ~ g(z) ∝ 1/√z on [1/a, a] by inversion
    z = ((a - 1.0) * u[:, 0] + 1.0) ** 2 / a
    j = jnp.minimum((u[:, 1] * m).astype(jnp.int32), m - 1)
    xj = take_in_bounds(other, j, 0)
    if p_de < 1.0:
        y = xj + z[:, None] * (x - xj)
        log_jac = (d - 1.0) * jnp.log(z)
    if p_de > 0.0:
        # differential evolution: two distinct partners from the other half
        k = jnp.minimum((u[:, 2] * (m - 1)).astype(jnp.int32), m - 2)
        k = jnp.where(k >= j, k + 1, k)
        gamma = 2.38 / math.sqrt(2.0 * d)
        y_de = x + gamma * (xj - take_in_bounds(other, k, 0)) + eps
        if p_de < 1.0:
            use_de = u[0, 4] < p_de  # one move for the whole half
            y = jnp.where(use_de, y_de, y)
            log_jac = jnp.where(use_de, 0.0, log_jac)
        else:
            y, log_jac = y_de, 0.0
    lp_y = jax.vmap(log_density)(y)
    lp_y = jnp.where(jnp.isnan(lp_y), -jnp.inf, lp_y)
    accept = jnp.log(u[:, 3]) < log_jac + lp_y - lp
    return jnp.where(accept[:, None], y, x), jnp.where(accept, lp_y, lp), accept


def _step(log_density, state: State, u, perm_u, eps, p_de, a):
    x, lp = state
    half = x.shape[0] // 2
    perm = jnp.argsort(perm_u)
    inv = jnp.argsort(perm)
    xs, lps = take_in_bounds(x, perm, 0), take_in_bounds(lp, perm, 0)
    xa, lpa, acc_a = _half_step(
        log_density, xs[:half], lps[:half], xs[half:], u[:half], eps[:half], p_de, a
    )
    xb, lpb, acc_b = _half_step(
        log_density, xs[half:], lps[half:], xa, u[half:], eps[half:], p_de, a
    )
    xs = take_in_bounds(jnp.concatenate([xa, xb]), inv, 0)
    lps = take_in_bounds(jnp.concatenate([lpa, lpb]), inv, 0)
    acc = take_in_bounds(jnp.concatenate([acc_a, acc_b]), inv, 0)
    return State(xs, lps), acc


def _draws(key, t, w, d, dt, p_de, de_sigma):
    """Step ``t``'s random numbers: uniforms (w, 6) in (0, 1] and DE jitter (w, d). They
    depend on (key, t) alone, so a run cut into pieces draws exactly what one run draws."""
    # Drawn flat and reshaped: the same numbers as drawn in shape (the hash's counters are
    # the flat indices), and on XLA's CPU backend the block's draws compile in about half
    # the time (a (w, 6) array's short last axis makes each round of the hash a slow kernel).
    k_u, k_e = jax.random.split(jax.random.fold_in(key, t))
    u = 1.0 - jax.random.uniform(k_u, (w * 6,), dt).reshape(w, 6)  # (0, 1]: log(u) finite
    if p_de > 0.0:
        eps = de_sigma * jax.random.normal(k_e, (w * d,), dt).reshape(w, d)
    else:
        eps = jnp.zeros((w, 1), dt)
    return u, eps


def step(log_density, key, state: State, t=0, *, p_de=0.0, a=2.0, de_sigma=1e-5):
    """Step number ``t`` of the ensemble (random numbers from ``key`` and ``t``): a random
    split into halves, each moved against the other. Returns the new state and a
    (walkers,) boolean array of accepted moves."""
    w, d = state.x.shape
    u, eps = _draws(key, t, w, d, state.x.dtype, p_de, de_sigma)
    return _step(log_density, state, u[:, :5], u[:, 5], eps, p_de, a)


_BLOCK = 1024  # steps per compiled block: they draw their random numbers in one call


def _block_size(n_steps: int) -> int:
    """Steps per compiled call: a power of two up to _BLOCK, so that warm-up, kept draws and
    chunks of any length reuse one or two compiled programs instead of one per length."""
    return min(_BLOCK, 1 << max(0, int(n_steps) - 1).bit_length())


@partial(jax.jit, static_argnames=("size", "p_de", "a", "de_sigma"))
def _block(log_density, key, state, t0, end, size, p_de, a, de_sigma):
    # One block of ``size`` steps from step t0; steps at or past ``end`` are computed and
    # masked out (the state stays). Random numbers for the block are drawn in one vectorised
    # call (one call instead of one per step: a third of the loop's cost on the blog
    # workload); step t's come from fold_in(key, t), so any blocking draws the same.
    w, d = state.x.shape
    if jnp.ndim(key) == 0 and jnp.issubdtype(jnp.result_type(key), jnp.integer):
        key = jax.random.PRNGKey(key)  # an integer seed: its key made here, not eagerly
    ts = t0 + jnp.arange(size)
    u, eps = jax.vmap(lambda t: _draws(key, t, w, d, state.x.dtype, p_de, de_sigma))(ts)

    def body(s, r):
        t, u, eps = r
        new, acc = _step(log_density, s, u[:, :5], u[:, 5], eps, p_de, a)
        s = jax.tree_util.tree_map(lambda a_, b_: jnp.where(t < end, a_, b_), new, s)
        return s, (s.x, s.log_density, acc)

    return jax.lax.scan(body, state, (ts, u, eps))


def _run(log_density, key, state, start, n_steps, keep, p_de, a, de_sigma, host=False):
    size = _block_size(n_steps)
    end = start + n_steps
    traces = []
    for t0 in range(start, end, size):
        state, tr = _block(log_density, key, state, t0, end, size, p_de, a, de_sigma)
        if keep:
            traces.append(tr)
    if not keep:
        return state, None
    if host:  # numpy arrays, joined on the host: no compiled join per block count
        return state, tuple(np.concatenate(parts)[:n_steps] for parts in zip(*traces))
    trace = tuple(jnp.concatenate(parts)[:n_steps] for parts in zip(*traces))
    return state, trace


def run(
    log_density: Callable,
    key,
    state: State,
    n_steps: int,
    *,
    start: int = 0,
    moves="stretch",
    a: float = 2.0,
    de_sigma: float = 1e-5,
    keep: bool = True,
    host: bool = False,
):
    """``n_steps`` ensemble steps, in compiled blocks of up to 1024 steps.

    Args:
        log_density: θ ↦ log p(θ) for one θ (vmapped inside): ``Posterior.log_density_fn``
            (one compiled loop for every posterior of the same shapes) or a function (the
            loop reused while it is the same object).
        key: a JAX PRNG key, or an integer seed for the key ``jax.random.PRNGKey(seed)``
            (made inside the compiled block); step ``t`` draws its random numbers from
            ``fold_in(key, t)``.
        state: from :func:`init` or a previous run.
        n_steps: number of steps.
        start: the number of the first step: a run continued with ``start`` = the steps
            done so far draws exactly what one uninterrupted run would.
        moves: ``"stretch"``, ``"de"`` or a mapping of weights.
        a: the stretch scale (emcee's default 2).
        de_sigma: the DE jitter σ_ε.
        keep: return every step's positions, log-densities and acceptances
            (shapes (n_steps, walkers, dim), (n_steps, walkers), (n_steps, walkers));
            ``False`` returns ``None`` instead (burn-in).
        host: return the trace as numpy arrays (the same values).

    Returns:
        ``(final_state, trace)``.
    """
    x = state.x
    if x.ndim != 2 or x.shape[0] < 4 or x.shape[0] % 2:
        raise ValueError(
            f"the ensemble needs an even number (>= 4) of walkers in an array of shape "
            f"(walkers, dim), got shape {tuple(x.shape)}"
        )
    if not a > 1.0:
        raise ValueError(f"the stretch scale a must be > 1 (emcee uses 2), got {a}")
    _, p_de = move_weights(moves)
    return _run(
        _as_pytree(log_density),
        key,
        state,
        start,
        int(n_steps),
        bool(keep),
        p_de,
        float(a),
        float(de_sigma),
        bool(host),
    )


# -- the "ensemble" backend ---------------------------------------------------------------------
class EnsembleState(NamedTuple):
    """Walkers ``x`` and ``log_density``, the number of steps taken (``step``, warm-up
    included: step t draws its random numbers from (seed, t)), draws kept so far, and the
    run's setup (log-density function, seed of the key, moves, stretch scale, total draws)."""

    x: jax.Array
    log_density: jax.Array
    step: int
    kept: int
    draws: int
    setup: tuple


class EnsembleBackend:
    name = "ensemble"
    caps = Capabilities(
        independent=False,
        ordered=True,
        start="ball",
        default_chains=4,
        per_dim=True,
        min_chains_per_dim=2,
        even=True,
    )
    options = dict(moves="stretch", stretch_a=2.0)

    def validate(self, posterior, chains: int, draws: int, options: dict) -> dict:
        opts = {**self.options, **options}
        check_chains(self.name, self.caps, chains, posterior.dim)
        move_weights(opts["moves"])  # validates
        a = opts["stretch_a"]
        if isinstance(a, bool) or not isinstance(a, (int, float)) or not a > 1:
            raise ValueError(f"stretch_a must be a number > 1 (emcee uses 2), got {a!r}")
        opts["stretch_a"] = float(a)
        return opts

    def init(self, posterior, start, seed, warmup, draws, **opts):
        setup = (
            posterior.log_density_fn,
            np.int64(seed),  # the key jax.random.PRNGKey(seed), made in the block
            opts["moves"],
            opts["stretch_a"],
        )
        x0 = jnp.asarray(start, posterior.dtype)
        # the posterior's compiled batch log-density: the program that checked the start
        state = EnsembleState(x0, posterior.log_density(x0), 0, 0, draws, setup)
        if warmup:
            state, _ = self._steps(state, warmup, keep=False)
        return state

    @staticmethod
    def _steps(state: EnsembleState, n: int, keep: bool):
        logd, key, moves, a = state.setup
        st, trace = run(
            logd,
            key,
            State(state.x, state.log_density),
            n,
            start=state.step,
            moves=moves,
            a=a,
            keep=keep,
            host=True,
        )
        return state._replace(x=st.x, log_density=st.log_density, step=state.step + n), trace

    def advance(self, state: EnsembleState, n: int):
        state, trace = self._steps(state, n, keep=True)
        xs, lps, acc = (np.swapaxes(np.asarray(t), 0, 1) for t in trace)
        return state._replace(kept=state.kept + n), Draws(xs, lps, dict(accepted=acc))

    def finished(self, state: EnsembleState) -> bool:
        return state.kept >= state.draws

    def to_arrays(self, state: EnsembleState) -> dict:
        return dict(
            x=np.asarray(state.x),
            log_density=np.asarray(state.log_density),
            step=np.asarray(state.step),
            kept=np.asarray(state.kept),
        )

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts):
        require(arrays, ("x", "log_density", "step", "kept"))
        dt = posterior.dtype
        setup = (
            posterior.log_density_fn,
            np.int64(seed),  # the key jax.random.PRNGKey(seed), made in the block
            opts["moves"],
            opts["stretch_a"],
        )
        x, lp = jnp.asarray(arrays["x"], dt), jnp.asarray(arrays["log_density"], dt)
        return EnsembleState(x, lp, int(arrays["step"]), int(arrays["kept"]), draws, setup)

    def info(self, samples, state) -> dict:
        return ensemble_info(samples)

    def progress(self, state: EnsembleState) -> tuple[float, str]:
        return mcmc_progress(state.kept, state.draws)


BACKEND = EnsembleBackend()
