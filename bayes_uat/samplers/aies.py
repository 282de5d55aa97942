"""numpyro's affine-invariant ensemble sampler (AIES), run in JAX through numpyro's MCMC."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..posterior import Posterior
from .base import (
    Capabilities,
    Draws,
    check_chains,
    ensemble_info,
    flatten_named,
    mcmc_progress,
    moved,
    require,
    unflatten_named,
)
from .nuts import potential

AIES_MOVES = ("stretch", "de")


class AIESState(NamedTuple):
    """``ens``: numpyro's ensemble state after the last run (None before the first: with
    no warm-up the first chunk starts from ``start``); ``kept``: draws kept so far;
    ``posterior``, ``moves``, ``start``, ``key``, ``draws``: the run's setup."""

    posterior: Posterior
    moves: str
    start: Any
    key: Any
    ens: Any
    kept: int
    draws: int


def _mcmc(posterior: Posterior, moves: str, walkers: int, warmup: int, draws: int):
    """numpyro's MCMC over its AIES kernel, built for one call (warm-up or one chunk): its
    draw count is fixed when it is built, and the state between calls is numpyro's
    ``post_warmup_state`` (public API), so no object is changed in place."""
    from numpyro.infer import AIES, MCMC

    mv = {"stretch": AIES.StretchMove, "de": AIES.DEMove}[moves]()
    kernel = AIES(potential_fn=potential(posterior), moves={mv: 1.0})
    return MCMC(
        kernel,
        num_warmup=warmup,
        num_samples=draws,
        num_chains=walkers,
        chain_method="vectorized",
        progress_bar=False,  # sample() draws the run's one display
    )


class AIESBackend:
    name = "aies"
    caps = Capabilities(
        independent=False,
        ordered=True,
        start="ball",
        default_chains=4,
        per_dim=True,
        min_chains_per_dim=2,
        even=True,
        library="numpyro",
    )
    options = dict(moves="stretch")

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict:
        opts = {**self.options, **options}
        check_chains(self.name, self.caps, chains, posterior.dim)
        if opts["moves"] not in AIES_MOVES:
            raise ValueError(f"unknown AIES moves {opts['moves']!r}: choose 'stretch' or 'de'")
        return opts

    def init(self, posterior, start, seed, warmup, draws, **opts):
        start = jnp.asarray(start, float)
        key = jax.random.PRNGKey(seed)
        state = AIESState(posterior, opts["moves"], start, key, None, 0, draws)
        if warmup:
            mcmc = _mcmc(posterior, state.moves, len(start), warmup, 1)
            mcmc.warmup(key, init_params=start)
            state = state._replace(ens=mcmc.post_warmup_state)
        return state

    def advance(self, state: AIESState, n: int) -> tuple[AIESState, Draws]:
        mcmc = _mcmc(state.posterior, state.moves, len(state.start), 0, n)
        if state.ens is None:
            previous = state.start
            mcmc.run(state.key, init_params=state.start)
        else:
            # numpyro runs an ensemble kernel's init on every run (its result is discarded
            # when a post-warm-up state is set), and that init needs positions.
            previous = state.ens.z
            mcmc.post_warmup_state = state.ens
            mcmc.run(state.ens.rng_key, init_params=state.ens.z)
        z = np.asarray(mcmc.get_samples(group_by_chain=True))
        lp = _log_density(state.posterior, z)
        draws = Draws(z, lp, dict(accepted=moved(z, np.asarray(previous))))
        return state._replace(ens=mcmc.last_state, kept=state.kept + n), draws

    def finished(self, state: AIESState) -> bool:
        return state.kept >= state.draws

    def to_arrays(self, state: AIESState) -> dict[str, np.ndarray]:
        return {"kept": np.asarray(state.kept), **flatten_named(state.ens, "ens")}

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> AIESState:
        require(arrays, ("ens.z", "kept"))
        state = self.init(posterior, arrays["ens.z"], seed, 0, draws, **opts)
        keys = jax.random.split(jax.random.PRNGKey(0), len(state.start))
        kernel = _mcmc(posterior, state.moves, len(state.start), warmup, 1).sampler
        template = kernel.init(keys, warmup, state.start)
        ens = unflatten_named(template, arrays, "ens")
        return state._replace(ens=ens, kept=int(arrays["kept"]))

    def info(self, samples, state) -> dict:
        return ensemble_info(samples)

    def progress(self, state: AIESState) -> tuple[float, str]:
        return mcmc_progress(state.kept, state.draws)


def _log_density(posterior: Posterior, z: np.ndarray) -> np.ndarray:
    """numpyro's ensemble state keeps no log-density: recompute it, a block of draws at a
    time so memory stays bounded (all at once took 3 GB on the blog workload)."""
    flat = z.reshape(-1, z.shape[-1])
    block = max(1, 2_000_000 // posterior.data.n)
    lp = [
        np.asarray(posterior.log_density(flat[i : i + block])) for i in range(0, len(flat), block)
    ]
    return np.concatenate(lp).reshape(z.shape[:2])


BACKEND = AIESBackend()
