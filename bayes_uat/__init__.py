"""bayes_uat: the Bayesian posterior of small neural networks.

Which function did a network with N hidden units build, from which units, and how does
the weight vector SGD finds compare with the whole posterior over weights?

Importing the package enables 64-bit floats in JAX (``jax_enable_x64``) so float64 is
available on CPU; each :class:`Posterior` still chooses its own dtype (float64 on CPU,
float32 on GPU by default).
"""

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from .activations import ACTIVATIONS, Activation, get_activation  # noqa: E402
from .compare import Comparison, compare  # noqa: E402
from .data import TARGETS, Dataset, load_dataset, make_dataset  # noqa: E402
from .modes import Mode, ModeSet, find_modes  # noqa: E402
from .nets import MLP  # noqa: E402
from .optimize import SGDResult, find_map, train_sgd  # noqa: E402
from .posterior import LIKELIHOODS, Posterior  # noqa: E402
from .records import Run, load_run, save_run  # noqa: E402
from .samples import Samples  # noqa: E402
from .sampling import METHODS, sample  # noqa: E402
from .sweeps import Grid, SweepResult, load_grid, run_sweep  # noqa: E402
from .symmetry import align, canonicalize  # noqa: E402

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "get_activation",
    "TARGETS",
    "Dataset",
    "load_dataset",
    "make_dataset",
    "MLP",
    "LIKELIHOODS",
    "Posterior",
    "SGDResult",
    "find_map",
    "train_sgd",
    "Samples",
    "METHODS",
    "sample",
    "Run",
    "load_run",
    "save_run",
    "canonicalize",
    "align",
    "find_modes",
    "Mode",
    "ModeSet",
    "compare",
    "Comparison",
    "Grid",
    "SweepResult",
    "load_grid",
    "run_sweep",
]
__version__ = "0.1.0"
