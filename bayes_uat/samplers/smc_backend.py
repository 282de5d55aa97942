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
    StepInfo,
    append_info,
    check_progress,
    check_settings,
    make_step,
    resolved_mass,
    run_info,
    smc_done,
    smc_init,
    stack_info,
    temperatures,
)


class SMCBackendState(NamedTuple):
    """``smc``: the arrays of all runs; ``info``: the step infos so far, stacked (T, R);
    ``step``, ``posterior``, ``settings``: the run's compiled transition and setup;
    ``emitted``: whether the final particles were returned."""

    smc: SMCState
    info: StepInfo
    step: Any
    posterior: Posterior
    settings: SMCSettings
    emitted: bool


class SMCBackend:
    name = "smc"
    caps = Capabilities(
        independent=True,
        ordered=False,
        start="prior",
        evidence=True,
        default_chains=4,
        gradients=True,
        library="blackjax",
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
        check_settings(SMCSettings(particles=draws, **opts), posterior.dim, "draws")
        return {**opts, "runs": chains}  # init has no start points to count the runs from

    def init(self, posterior, start, seed, warmup, draws, *, runs, **opts):
        settings = SMCSettings(particles=draws, **opts)
        state = smc_init(posterior, runs, settings, seed, ("chains", "draws"))
        step = make_step(posterior, settings)
        return SMCBackendState(state, stack_info([], runs), step, posterior, settings, False)

    def advance(self, state: SMCBackendState, n: int) -> tuple[SMCBackendState, Draws]:
        s, info = state.smc, state.info
        if not smc_done(s):
            s, new = state.step(s)
            info = append_info(info, new)
            check_progress(s, temperatures(info), state.settings)
        r, p, dim = s.tempered.particles.shape
        if not smc_done(s):
            empty = Draws(np.zeros((r, 0, dim)), np.zeros((r, 0)), {})
            return state._replace(smc=s, info=info), empty
        theta = np.asarray(s.tempered.particles)
        draws = Draws(theta, np.asarray(state.posterior.log_density(theta)), {})
        return state._replace(smc=s, info=info, emitted=True), draws

    def finished(self, state: SMCBackendState) -> bool:
        return state.emitted

    def to_arrays(self, state: SMCBackendState) -> dict[str, np.ndarray]:
        return {
            "emitted": np.asarray(state.emitted),
            **flatten_named(state.smc, "smc"),
            **flatten_named(state.info, "info"),
        }

    def from_arrays(self, posterior, arrays, seed, warmup, draws, **opts) -> SMCBackendState:
        if "emitted" not in arrays:
            raise ValueError("sampler state does not match this sampler: missing ['emitted']")
        state = self.init(posterior, None, seed, warmup, draws, **opts)
        smc = unflatten_named(state.smc, arrays, "smc")
        info = StepInfo(*(np.asarray(a) for a in unflatten_named(state.info, arrays, "info")))
        return state._replace(smc=smc, info=info, emitted=bool(arrays["emitted"]))

    def info(self, samples, state: SMCBackendState) -> dict:
        mass = resolved_mass(state.posterior, state.settings)
        return dict(run_info(state.smc, state.info), mass=mass)

    def progress(self, state: SMCBackendState) -> tuple[float, str]:
        lam = float(np.min(np.asarray(state.smc.tempered.tempering_param)))
        temps = int(np.max(temperatures(state.info)))
        return lam, f"λ = {lam:.3g}, temperature {temps}"


BACKEND = SMCBackend()
