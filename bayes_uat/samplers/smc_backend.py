"""The ``"smc"`` backend: adaptive tempered SMC (:mod:`.smc`) behind the sampler protocol.

``chains`` are independent SMC runs R, ``draws`` the particles P of each run.  Each
:meth:`advance` moves every run one temperature (so a checkpoint is written per temperature
and the progress bar shows λ); it returns no draws until every run has reached λ = 1 and
done its final mutation, then all P equally weighted particles of each of the R runs.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..posterior import Posterior
from .base import Capabilities, Draws, flatten_named, unflatten_named
from .smc import (
    SMCSettings,
    SMCState,
    check_progress,
    check_settings,
    make_step,
    resolved_mass,
    run_info,
    smc_done,
    smc_init,
)


class SMCBackendState(NamedTuple):
    """``smc``: the arrays of all runs; ``step``, ``posterior``, ``settings``: the run's
    compiled transition and setup; ``emitted``: whether the final particles were returned."""

    smc: SMCState
    step: Any
    posterior: Posterior
    settings: SMCSettings
    emitted: bool


class SMCBackend:
    name = "smc"
    caps = Capabilities(
        independent=True, ordered=False, start="prior", evidence=True, default_chains=4
    )
    options = {k: v for k, v in SMCSettings()._asdict().items() if k != "particles"}

    def validate(self, posterior: Posterior, chains: int, draws: int, options: dict) -> dict:
        opts = {**self.options, **options}
        if not posterior.net.act.differentiable:  # HMC and NUTS mutations follow gradients
            raise ValueError(
                f"SMC's HMC/NUTS moves need gradients, but the {posterior.net.activation!r} "
                "activation has zero gradient almost everywhere; use sampler='ensemble', "
                "'emcee' or 'aies', or a smooth activation"
            )
        check_settings(SMCSettings(particles=draws, **opts), posterior.dim)
        return {**opts, "runs": chains}  # init has no start points to count the runs from

    def init(self, posterior, start, seed, warmup, draws, *, runs, **opts):
        settings = SMCSettings(particles=draws, **opts)
        state = smc_init(posterior, runs, settings, seed)
        return SMCBackendState(state, make_step(posterior, settings), posterior, settings, False)

    def advance(self, state: SMCBackendState, n: int) -> tuple[SMCBackendState, Draws]:
        s = state.smc
        if not smc_done(s):
            s = state.step(s)
            check_progress(s, state.settings)
        r, p, dim = s.particles.shape
        if not smc_done(s):
            empty = Draws(np.zeros((r, 0, dim)), np.zeros((r, 0)), {})
            return state._replace(smc=s), empty
        theta = np.asarray(s.particles)
        draws = Draws(theta, np.asarray(state.posterior.log_prob(theta)), {})
        return state._replace(smc=s, emitted=True), draws

    def finished(self, state: SMCBackendState) -> bool:
        return state.emitted

    def to_arrays(self, state: SMCBackendState) -> dict[str, np.ndarray]:
        return {"emitted": np.asarray(state.emitted), **flatten_named(state.smc, "smc")}

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> SMCBackendState:
        if "emitted" not in arrays:
            raise ValueError("sampler state does not match this sampler: missing ['emitted']")
        state = self.init(posterior, None, seed, warmup, draws, **opts)
        smc = unflatten_named(state.smc, arrays, "smc")
        return state._replace(smc=smc, emitted=bool(arrays["emitted"]))

    def info(self, samples, state: SMCBackendState) -> dict:
        return dict(run_info(state.smc), mass=resolved_mass(state.posterior, state.settings))

    def progress(self, state: SMCBackendState) -> tuple[float, str]:
        s = state.smc
        lam = float(np.min(np.asarray(s.lam)))
        temps = int(np.max(np.asarray(s.temperatures)))
        return lam, f"λ = {lam:.3g}, temperature {temps}"


BACKEND = SMCBackend()
