"""Figures from run records: corner plots and fits with posterior bands.

Plots read a :class:`bayes_uat.records.Run` and never sample or optimise.  This module is
the only part of bayes_uat that imports matplotlib, so it is imported explicitly:

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
from ._fit import fit
from ._style import style

__all__ = [
    "corner",
    "decision_boundary",
    "fit",
    "laplace_corner",
    "regression2d",
    "reliability",
    "run_figures",
    "save",
    "style",
]


def save(fig, path: str | Path, *, formats=("png", "pdf"), dpi: int = 200) -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix in ``formats`` (replacing any suffix
    ``path`` has), each file atomically, then close the figure.

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
                # a fixed date keeps PDFs byte-identical from run to run
                meta = {"CreationDate": None} if f == "pdf" else None
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
    )
    paths = save(fig, out_dir / "corner", dpi=dpi)
    paths += save(
        corner(run, params=params, max_params=max_params), out_dir / "corner_raw", dpi=dpi
    )
    if run.posterior.data.in_dim == 1:
        paths += save(fit(run), out_dir / "fit", dpi=dpi)
    return paths


# Figures of the studies (bayes_uat.studies) and chain diagnostics.
from ._anim import training_animation, training_snapshots  # noqa: E402
from ._diag import mode_map, rank, trace  # noqa: E402
from ._sweep import activations, approximation, loo, sweep  # noqa: E402
from ._units import units  # noqa: E402

__all__ += [
    "activations",
    "approximation",
    "loo",
    "mode_map",
    "rank",
    "sweep",
    "trace",
    "training_animation",
    "training_snapshots",
    "units",
]
