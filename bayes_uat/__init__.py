"""bayes_uat: the Bayesian posterior of small neural networks.

Which function did a network with N hidden units build, from which units, and how does
the weight vector SGD finds compare with the whole posterior over weights?

Importing the package changes no JAX setting. Float64 needs JAX's 64-bit mode, a
process-wide switch: call :func:`enable_x64` once, before computing (the ``bayes-uat`` command,
the scripts and :func:`bayes_uat.runner.execute` do). A :class:`Posterior` then computes in
float64 on CPU by default; without it, in float32.

>>> import bayes_uat as bu
>>> bu.enable_x64()
True
"""

from importlib import import_module

from .activations import ACTIVATIONS, Activation, get_activation
from .compare import Comparison, compare
from .data import TARGETS, TARGETS_2D, Dataset, load_dataset, make_dataset, make_moons
from .encoding import FourierFeatures
from .evidence import Evidence, evidence
from .modes import Mode, ModeSet, ModeWarning, find_modes, to_canonical
from .nets import MLP
from .optimize import MapResult, NotStationaryWarning, SGDResult, find_map, train_sgd
from .posterior import LIKELIHOODS, Posterior
from .runtime import enable_x64
from .samplers import SAMPLERS, initial_points, sample
from .samples import Samples
from .symmetry import align, canonicalize

# loaded on first use (a first posterior needs none of them): public name -> module
_LAZY = {
    "wide": ".wide",  # the infinite-width GP
    "load_digits": ".digits",
    "Run": ".records",
    "load_run": ".records",
    "save_run": ".records",
    "SMCSettings": ".samplers.smc",
    "run_masses": ".samplers.smc",
    "amplitude_spectrum": ".spectral",
    "amplitudes_at": ".spectral",
    "periodic_grid": ".spectral",
    "power_spectrum": ".spectral",
    "Grid": ".sweeps",
    "SweepResult": ".sweeps",
    "load_grid": ".sweeps",
    "run_sweep": ".sweeps",
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'bayes_uat' has no attribute {name!r}")
    module = import_module(_LAZY[name], __name__)
    value = module if _LAZY[name] == f".{name}" else getattr(module, name)
    globals()[name] = value
    return value


__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "TARGETS",
    "Dataset",
    "load_dataset",
    "make_dataset",
    "make_moons",
    "TARGETS_2D",
    "load_digits",
    "MLP",
    "FourierFeatures",
    "LIKELIHOODS",
    "Posterior",
    "SGDResult",
    "find_map",
    "MapResult",
    "NotStationaryWarning",
    "train_sgd",
    "Samples",
    "SAMPLERS",
    "sample",
    "initial_points",
    "Run",
    "load_run",
    "save_run",
    "enable_x64",
    "canonicalize",
    "align",
    "find_modes",
    "to_canonical",
    "Mode",
    "ModeSet",
    "ModeWarning",
    "compare",
    "Comparison",
    "SMCSettings",
    "evidence",
    "Evidence",
    "run_masses",
    "amplitude_spectrum",
    "amplitudes_at",
    "power_spectrum",
    "periodic_grid",
    "Grid",
    "SweepResult",
    "load_grid",
    "run_sweep",
    "wide",
]
__version__ = "0.1.0"
