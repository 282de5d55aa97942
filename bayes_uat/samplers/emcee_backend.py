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
        library="emcee",
    )
    options = dict(moves=None)

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict:
        check_chains(self.name, self.caps, chains, posterior.dim)
        opts = {**self.options, **options}
        _check_moves(opts["moves"])
        return opts

    def init(self, posterior, start, seed, warmup, draws, **opts):
        import emcee

        lp = posterior.log_density
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


def _check_moves(moves) -> None:
    """emcee's ``moves``: None, an emcee move, or a list of (move, weight) pairs (what
    emcee.EnsembleSampler takes); anything else would fail inside emcee mid-run."""
    import emcee

    def is_move(m) -> bool:
        return isinstance(m, emcee.moves.Move)

    def is_pair(m) -> bool:
        return (
            isinstance(m, tuple)
            and len(m) == 2
            and is_move(m[0])
            and isinstance(m[1], (int, float))
            and not isinstance(m[1], bool)
            and m[1] > 0
        )

    ok = moves is None or is_move(moves)
    ok = ok or (isinstance(moves, list) and moves and all(is_pair(m) for m in moves))
    if not ok:
        raise ValueError(
            "emcee's moves must be an emcee move such as emcee.moves.StretchMove(), or a list "
            f"of (move, weight) pairs, got {moves!r}; for named moves use "
            "sampler='ensemble' with moves='stretch', 'de' or {'stretch': 0.8, 'de': 0.2}"
        )
