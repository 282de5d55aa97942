"""Figures of one run: corner plots, fits with posterior bands, unit decompositions, and
chain diagnostics (trace, rank, the map of modes).

Plots read a :class:`bayes_uat.records.Run` (or numbers computed from one, such as
:class:`bayes_uat.predictive.Bands`) and only draw: the numbers come from the numerical
layer (:mod:`bayes_uat.predictive`, :mod:`bayes_uat.modes`).  Matplotlib is imported here
and in :mod:`bayes_uat.studies.plots` only, so this module is imported explicitly.  The
studies' figures (sweeps, LOO, approximation, training animation) live beside the studies,
in :mod:`bayes_uat.studies.plots`:

>>> from bayes_uat import plots  # doctest: +SKIP
>>> run = bayes_uat.records.load_run("runs/x2")  # doctest: +SKIP
>>> plots.save(plots.corner(run), "figures/corner")  # doctest: +SKIP
[PosixPath('figures/corner.png'), PosixPath('figures/corner.pdf')]
>>> plots.run_figures(run, "figures")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from ..records import atomic_path
from ._classify import decision_boundary, laplace_corner, regression2d, reliability
from ._corner import corner
from ._diag import mode_map, rank, trace
from ._fit import fit
from ._grid import sweep_grid
from ._style import style
from ._units import units

__all__ = [
    "corner",
    "decision_boundary",
    "fit",
    "laplace_corner",
    "mode_map",
    "rank",
    "regression2d",
    "reliability",
    "run_figures",
    "save",
    "style",
    "sweep",
    "sweep_grid",
    "trace",
    "units",
]

# Study figures that lived here before they moved beside the studies.
_MOVED = {
    "activations",
    "approximation",
    "loo",
    "training_animation",
    "training_snapshots",
}


def sweep(directory, **kwargs):
    """The standard figure of a ``bayes-uat sweep`` directory (:func:`sweep_grid`). The
    unit-sweep study's figure is :func:`bayes_uat.studies.plots.sweep`."""
    if not isinstance(directory, (str, Path)):
        raise ValueError(
            "plots.sweep draws a sweep directory (bayes-uat sweep GRID.toml --out DIR); for "
            "the unit-sweep study's results use bayes_uat.studies.plots.sweep"
        )
    return sweep_grid(directory, **kwargs)


def __getattr__(name: str):
    if name in _MOVED:
        raise AttributeError(
            f"bayes_uat.plots.{name} moved to bayes_uat.studies.plots.{name}: "
            f"use `from bayes_uat.studies import plots as study_plots; study_plots.{name}(...)`"
        )
    raise AttributeError(f"module 'bayes_uat.plots' has no attribute {name!r}")


# Fixed metadata, so that a regenerated figure is byte-identical to the one before it: no
# creation date, and no matplotlib version (which would rewrite every file on an upgrade).
_METADATA = {
    "pdf": {"CreationDate": None, "Creator": "bayes_uat", "Producer": "matplotlib"},
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "bayes_uat"},
}


def save(fig, path: str | Path, *, formats=("png", "pdf"), dpi: int = 200) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix in ``formats`` (replacing any suffix
    ``path`` has), each file atomically, then close the figure.  The files carry fixed
    metadata (no creation date, no library version), so saving the same figure again gives
    the same bytes.

    Returns the written paths, in the order of ``formats``.

    Example:
        >>> paths = save(fig, "figures/fit")  # doctest: +SKIP
        >>> [p.name for p in paths]  # doctest: +SKIP
        ['fit.png', 'fit.pdf']
    """
    import matplotlib.pyplot as plt

    if isinstance(formats, str):
        formats = (formats,)
    formats = tuple(f.lower().lstrip(".") for f in formats)
    if not formats:
        raise ValueError("formats is empty: name at least one, e.g. formats=('png',)")
    supported = fig.canvas.get_supported_filetypes()
    bad = [f for f in formats if f not in supported]
    if bad:
        raise ValueError(
            f"unsupported figure format(s) {bad}; choose from {', '.join(sorted(supported))}"
        )
    path = Path(path)
    out = []
    try:
        with style():
            for f in formats:
                target = path.with_suffix("." + f)
                meta = _METADATA.get(f)
                with atomic_path(target) as tmp:
                    # the temporary name ends in .tmp: the format must be given explicitly
                    fig.savefig(tmp, format=f, dpi=dpi, metadata=meta)
                out.append(target)
    finally:
        plt.close(fig)
    return out


def run_figures(run, out_dir: str | Path, *, max_params: int = 16, dpi: int = 200) -> list[Path]:
    """Write a run's standard figures into ``out_dir``: ``corner.png/pdf`` of the draws in
    canonical form (:func:`bayes_uat.modes.to_canonical`, aligned to the MAP draw where a
    network has no reference-free form), with the SGD solution and the MAP draw in canonical
    form too; ``corner_raw.png/pdf`` of the draws as sampled, where label switching shows as
    mirrored or smeared clouds; and (for 1-D input) ``fit.png/pdf``.  Posteriors with more
    than ``max_params`` parameters get corner plots of the first ``max_params - 1``
    parameters and the last one.  ``dpi`` applies to the PNG files.

    Example:
        >>> run_figures(run, "runs/x2/figures")  # doctest: +SKIP
        [PosixPath('runs/x2/figures/corner.png'), ...]
    """
    from ..modes import to_canonical

    out_dir = Path(out_dir)
    samples = run.samples
    dim = samples.dim
    params = None if dim <= max_params else [*range(max_params - 1), dim - 1]
    ref = samples.map_theta

    def canonical(theta):
        return to_canonical(run.posterior, theta, reference=ref)

    sgd_theta = None if run.sgd is None else canonical(run.sgd.best)
    fig = corner(
        run,
        theta=canonical(samples.theta),
        params=params,
        max_params=max_params,
        sgd_theta=sgd_theta,
        map_theta=canonical(ref),
        canonical=True,
    )
    paths = save(fig, out_dir / "corner", dpi=dpi)
    raw = corner(run, params=params, max_params=max_params, canonical=False)
    paths += save(raw, out_dir / "corner_raw", dpi=dpi)
    if run.posterior.data.in_dim == 1:
        paths += save(fit(run), out_dir / "fit", dpi=dpi)
    return paths
