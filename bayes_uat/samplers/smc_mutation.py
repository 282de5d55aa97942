"""The mutation stage of tempered SMC: HMC (or NUTS) transitions, as many as the particles need.

blackjax's tempered SMC moves the resampled particles with an *update strategy*
(``blackjax.smc.base.update_and_take_last`` runs a fixed number of transitions per particle).
:func:`adaptive_update` is a drop-in strategy for ``blackjax.smc.tempered.build_kernel`` that
runs the same blackjax kernel a number of times chosen per temperature, the same for all
particles of a run:

* at least ``n_start`` transitions — :func:`step_count`, PyMC's SMC rule from the last
  temperature's mean acceptance ā: 1 + log(1 − p)/log(1 − ā), so that every particle has
  moved at least once with probability p, clipped to [``steps``, ``max_steps``];
* then more, up to ``max_steps``, while the particles are still drifting: the mean change of
  the tempered log-density over the last transition exceeds ``z`` standard errors (at
  equilibrium an invariant kernel changes it by zero on average, so a significant rise says
  the cloud still lags behind the current temperature).

Every transition of every particle is a transition of an invariant kernel; only the count
adapts to the population, as the temperatures do.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp


class MoveInfo(NamedTuple):
    """What one mutation did: each particle's mean acceptance, and the transitions run."""

    acceptance_rate: jax.Array  # (P,)
    steps: jax.Array  # ()


def step_count(acceptance, move_prob: float, lo, hi) -> jax.Array:
    """Transitions so that a particle accepted with probability ``acceptance`` per transition
    moves at least once with probability ``move_prob``: ⌈1 + log(1 − p)/log(1 − ā)⌉,
    clipped to [lo, hi] (ā = 0 gives hi, ā = 1 gives lo).

    >>> int(step_count(0.5, 0.9, 1, 100)), int(step_count(0.05, 0.9, 1, 100))
    (5, 46)
    """
    a = jnp.clip(jnp.asarray(acceptance), 1e-12, 1.0 - 1e-12)
    n = 1.0 + math.log1p(-move_prob) / jnp.log1p(-a)
    return jnp.clip(jnp.ceil(n), lo, hi).astype(jnp.int32)


def adaptive_update(
    mcmc_init_fn,
    logposterior_fn,
    mcmc_step_fn,
    num_mcmc_steps,
    n_particles,
    *,
    min_steps,
    z: float = 2.0,
    frame=None,
    cov=None,
    sym_move=None,
    **_,
):
    """A blackjax update strategy: runs at least ``min_steps`` transitions of every particle
    (bound with :func:`functools.partial`), then more while the mean tempered log-density
    still rises by more than ``z`` standard errors per transition, at most
    ``num_mcmc_steps`` (blackjax's argument, here the most transitions).
    With ``frame`` and ``cov`` (``mass="canonical"``, :mod:`.smc_metric`) every particle gets
    the inverse mass matrix Gᵢ·cov·Gᵢᵀ of the copy it starts in and stays in that copy.
    With ``sym_move`` (:func:`.smc_metric.symmetry_move`) every particle then tries one jump
    to another copy (a Metropolis–Hastings step on the unrestricted tempered density).
    Returns ``(update, n_particles)`` as blackjax's strategies do."""
    n_start, n_max = min_steps, num_mcmc_steps

    def update(keys, positions, params):
        p = positions.shape[0]
        if frame is None:
            cells = jnp.zeros((p, 1), jnp.int32)

            def target(_):
                return logposterior_fn
        else:
            from .smc_metric import local_metrics, restricted

            cells, inv = local_metrics(frame, positions, cov)
            params = {**params, "inverse_mass_matrix": inv}

            def target(cell):
                return restricted(logposterior_fn, frame, cell)

        states = jax.vmap(lambda x, c: mcmc_init_fn(x, target(c)))(positions, cells)
        move = jax.vmap(lambda k, s, q, c: mcmc_step_fn(k, s, target(c), **q))

        def body(carry):
            i, states, acc, _ = carry
            ks = jax.vmap(jax.random.fold_in, (0, None))(keys, i)
            new, info = move(ks, states, params, cells)
            d = new.logdensity - states.logdensity
            drifting = jnp.mean(d) > z * jnp.std(d) / math.sqrt(p)
            rate = jnp.where(jnp.isfinite(info.acceptance_rate), info.acceptance_rate, 0.0)
            return i + 1, new, acc + rate, drifting

        def cond(carry):
            i, _, _, drifting = carry
            return (i < n_start) | ((i < n_max) & drifting)

        zero = jnp.zeros(p, dtype=positions.dtype)
        i, states, acc, _ = jax.lax.while_loop(
            cond, body, (jnp.zeros((), jnp.int32), states, zero, jnp.array(True))
        )
        positions = states.position
        if sym_move is not None:
            ks = jax.vmap(jax.random.fold_in, (0, None))(keys, 2**31 - 1)  # not a step index
            positions, _ = jax.vmap(lambda k, x: sym_move(k, x, logposterior_fn))(ks, positions)
        return positions, MoveInfo(acc / jnp.maximum(i, 1), i)

    return update, n_particles
