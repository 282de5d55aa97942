"""emcee's EnsembleSampler on the jitted, vmapped log-density (``vectorize=True``: one call
per half-ensemble update; bounded by emcee's own per-step Python overhead)."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..posterior import Posterior
from .base import Capabilities, Draws, check_chains, ensemble_info, mcmc_progress, moved, require


class EmceeState(NamedTuple):
    """Walker ``coords`` and ``log_density``, emcee's MT19937 ``random_state`` tuple, the
    draws kept so far, and the run's ``sampler`` (emcee.EnsembleSampler) and total draws."""

    coords: np.ndarray
    log_density: np.ndarray
    random_state: tuple
    kept: int
    draws: int
    sampler: Any


class EmceeBackend:
    name = "emcee"
    caps = Capabilities(
        independent=False,
        ordered=True,
        start="ball",
        default_chains=4,
        per_dim=True,
        min_chains_per_dim=2,
        even=False,
    )
    options = dict(moves=None)

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict:
        check_chains(self.name, self.caps, chains, posterior.dim)
        return {**self.options, **options}

    def init(self, posterior, start, seed, warmup, draws, **opts):
        import emcee

        lp = posterior.log_prob
        sampler = emcee.EnsembleSampler(
            len(start),
            posterior.dim,
            lambda th: np.asarray(lp(th)),
            vectorize=True,
            moves=opts["moves"],
        )
        sampler.random_state = np.random.RandomState(seed).get_state()
        start = np.asarray(start, dtype=float)
        state = EmceeState(start, np.asarray(lp(start)), sampler.random_state, 0, draws, sampler)
        if warmup:
            state, _ = self._run(state, warmup, keep=False)
        return state

    @staticmethod
    def _run(state: EmceeState, n: int, keep: bool = True):
        import emcee

        sampler = state.sampler
        sampler.reset()
        start = emcee.State(
            state.coords, log_prob=state.log_density, random_state=state.random_state
        )
        st = sampler.run_mcmc(start, n, progress=False, skip_initial_state_check=False)
        new = state._replace(
            coords=np.asarray(st.coords),
            log_density=np.asarray(st.log_prob),
            random_state=st.random_state,
        )
        if not keep:
            return new, None
        z = np.swapaxes(sampler.get_chain(), 0, 1)
        lp = np.swapaxes(sampler.get_log_prob(), 0, 1)
        return new, Draws(z, lp, dict(accepted=moved(z, state.coords)))

    def advance(self, state: EmceeState, n: int) -> tuple[EmceeState, Draws]:
        state, draws = self._run(state, n)
        return state._replace(kept=state.kept + n), draws

    def finished(self, state: EmceeState) -> bool:
        return state.kept >= state.draws

    def to_arrays(self, state: EmceeState) -> dict[str, np.ndarray]:
        rs = state.random_state
        return dict(
            coords=np.asarray(state.coords),
            log_density=np.asarray(state.log_density),
            rng_keys=np.asarray(rs[1]),
            rng_pos=np.asarray(rs[2]),
            rng_has_gauss=np.asarray(rs[3]),
            rng_cached=np.asarray(rs[4]),
            kept=np.asarray(state.kept),
        )

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> EmceeState:
        names = ("coords", "log_density", "rng_keys", "rng_pos", "rng_has_gauss", "rng_cached")
        require(arrays, (*names, "kept"))
        state = self.init(posterior, arrays["coords"], seed, 0, draws, **opts)
        rs = (
            "MT19937",
            np.asarray(arrays["rng_keys"], dtype=np.uint32),
            int(arrays["rng_pos"]),
            int(arrays["rng_has_gauss"]),
            float(arrays["rng_cached"]),
        )
        return state._replace(
            log_density=np.asarray(arrays["log_density"]),
            random_state=rs,
            kept=int(arrays["kept"]),
        )

    def info(self, samples, state) -> dict:
        return ensemble_info(samples)

    def progress(self, state: EmceeState) -> tuple[float, str]:
        return mcmc_progress(state.kept, state.draws)


BACKEND = EmceeBackend()
