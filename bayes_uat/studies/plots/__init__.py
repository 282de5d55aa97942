"""Figures of the studies (:mod:`bayes_uat.studies`): sweeps over network size and
activation, PSIS-LOO against N, approximation error against parameter count, the
training animation, and the spectral-bias study (seed 001).

They draw the studies' records (``SweepPoint``, ``ApproxResult``, ``TrainingHistory``) and
share the style of :mod:`bayes_uat.plots`; the core package never imports this module.

>>> from bayes_uat import studies  # doctest: +SKIP
>>> from bayes_uat.studies import plots as study_plots  # doctest: +SKIP
>>> fig = study_plots.approximation(studies.bump_study())  # doctest: +SKIP
"""

from ...plots import save, style
from ._anim import training_animation, training_snapshots
from ._spectral import spectral_dynamics, spectral_fits, spectral_posterior, spectral_prior
from ._sweep import activations, approximation, loo, sweep

__all__ = [
    "activations",
    "approximation",
    "loo",
    "save",
    "spectral_dynamics",
    "spectral_fits",
    "spectral_posterior",
    "spectral_prior",
    "style",
    "sweep",
    "training_animation",
    "training_snapshots",
]
