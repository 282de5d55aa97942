"""Figures of the spectral-bias study (:func:`bayes_uat.studies.spectral_study`): residual
amplitude per frequency over Adam steps, prior and posterior power spectra, and fits at a
few training steps."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from ...plots._style import DATA, PAGE, SGD, TRUTH, style

LABELS = {
    "relu": "ReLU",
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "sin": "sin",
    "hat": "hat",
    "relu+ff": "ReLU + Fourier features",
}


def _grid(n: int):
    import matplotlib.pyplot as plt

    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(PAGE, 2.3 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def spectral_dynamics(res):
    """Frequency × step heatmaps of the residual amplitude |r̂(k)| / A_k (restart mean), one
    panel per network, with the median learned step of each frequency (white dots) and its
    spread over restarts (min–max bar)."""
    with style():
        fig, axes = _grid(len(res.dynamics))
        k = np.asarray(res.frequencies)
        im = None
        for ax, (name, d) in zip(axes, res.dynamics.items()):
            rel = np.clip(d.rel.mean(axis=0).T, 0.0, 1.0)  # (K, S)
            step = d.steps[1] - d.steps[0]
            im = ax.imshow(
                rel,
                aspect="auto",
                origin="lower",
                cmap="magma",
                vmin=0.0,
                vmax=1.0,
                extent=(-step / 2, d.steps[-1] + step / 2, -0.5, len(k) - 0.5),
                interpolation="nearest",
            )
            learned = d.learned
            for j in range(len(k)):
                col = learned[:, j]
                col = col[np.isfinite(col)]
                if col.size:
                    ax.plot([col.min(), col.max()], [j, j], color="w", lw=1.0)
                    ax.plot(np.median(col), j, "o", color="w", ms=3.5, mec="k", mew=0.5)
            ax.set_yticks(range(len(k)), [str(v) for v in k])
            ax.set_title(LABELS.get(name, name))
            ax.set_xlabel("Adam step")
            ax.set_ylabel("frequency $k$")
        cb = fig.colorbar(im, ax=list(axes), shrink=0.8, pad=0.01)
        cb.set_label("residual amplitude / target amplitude")
        fig.suptitle(
            "Which frequency is learned when (white: step it stays below 10 %, median and range"
            " over restarts)",
            fontsize=9,
        )
    return fig


def spectral_prior(res):
    """Mean power spectrum of prior functions (θ ~ N(0, s²), normalised to total power 1)
    per network, one line per prior scale s, log–log axes; the target's frequencies marked
    by thin grey lines; one legend under the panels."""
    import matplotlib.pyplot as plt

    with style():
        fig, axes = _grid(len(res.prior))
        colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, len(res.prior_scales)))
        k = np.arange(res.x.size // 2 + 1)
        for ax, (name, p) in zip(axes, res.prior.items()):
            for s, c, row in zip(res.prior_scales, colours, p):
                ax.loglog(k[1:], row[1:], color=c, label=f"prior sd $s = {s:g}$")
            for f in res.frequencies:
                ax.axvline(f, color="0.8", lw=0.6, zorder=0)
            ax.set_title(LABELS.get(name, name))
            ax.set_xlabel("frequency $k$")
            ax.set_ylabel("share of power")
            ax.set_ylim(1e-8, 1.5)
        handles, _ = axes[0].get_legend_handles_labels()
        ks = ", ".join(f"{f:g}" for f in res.frequencies)
        handles.append(
            Line2D([], [], color="0.8", lw=0.6, label=f"frequencies of the training target: {ks}")
        )
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3))
        fig.suptitle(
            "Prior over functions: mean power spectrum of f (endpoint line removed, total power"
            " 1) for weights θ ~ N(0, s²)",
            fontsize=9,
        )
    return fig


_FLOOR = 1e-10  # the lowest power the posterior spectra show


def spectral_posterior(res):
    """Power spectra on the noisy low-frequency data: the data, the SGD fit, posterior draws,
    their deviations from the posterior mean (what the predictive band is made of) and the
    band's width as a function of x; the noise band shaded; in each title the RMSE of SGD
    and of the posterior mean against the noise-free truth at the grid's midpoints."""
    with style():
        fig, axes = _grid(len(res.posterior))
        k = np.arange(res.x.size // 2 + 1)
        for ax, (name, r) in zip(axes, res.posterior.items()):
            ax.axvspan(25, 50, color="0.92", zorder=0, label="noise band, $k$ = 25–50")
            ax.loglog(k[1:], r["sgd"][1:], color=SGD, label="SGD fit")
            ax.loglog(k[1:], r["draws"][1:], color="k", label="posterior draws $f$")
            ax.loglog(
                k[1:],
                r["deviation"][1:],
                color="tab:blue",
                label="$f$ − posterior mean (the band's content)",
            )
            ax.loglog(
                k[1:],
                r["band_width"][1:],
                color="tab:green",
                ls="--",
                label="width of the 95 % band, as a function of $x$",
            )
            # the data have power only at the target's and the noise's frequencies; elsewhere
            # it is zero up to rounding, below the axis
            shown = r["data"][1:] >= _FLOOR
            ax.loglog(
                k[1:][shown],
                r["data"][1:][shown],
                ls="none",
                marker="o",
                ms=2.0,
                mec="none",
                color=DATA,
                zorder=6,
                label="data $y$",
            )
            ax.set_ylim(_FLOOR, 2.0)
            ax.set_title(
                f"{LABELS.get(name, name)}\nRMSE: SGD {r['rmse_sgd']:.3f}, "
                f"post. mean {r['rmse_posterior']:.3f}",
                fontsize=8,
            )
            ax.set_xlabel("frequency $k$")
            ax.set_ylabel("power (mean over draws)")
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
        fig.suptitle(
            "Posterior on three sinusoids (k = 1, 3, 5) plus noise at k = 25–50: power"
            f" spectra\nRMSE in each title: against the noise-free truth at the {res.x.size} grid"
            " midpoints",
            fontsize=9,
            linespacing=1.4,
        )
    return fig


def spectral_fits(res, steps=None):
    """The fit of restart 0 at a few training steps, per network, over the target."""
    import matplotlib.pyplot as plt

    with style():
        fig, axes = _grid(len(res.dynamics))
        for ax, (name, d) in zip(axes, res.dynamics.items()):
            last = int(d.steps[-1])
            want = steps or [d.steps[1], last // 30, last // 6, last]
            idx = sorted({int(np.argmin(np.abs(d.steps - s))) for s in want})
            colours = plt.get_cmap("plasma")(np.linspace(0.0, 0.75, len(idx)))
            ax.plot(res.x, res.y, color=TRUTH, lw=2.2, alpha=0.45, label="target")
            for i, c in zip(idx, colours):
                ax.plot(res.x, d.fits[i], color=c, lw=0.9, label=f"step {d.steps[i]}")
            ax.set_title(LABELS.get(name, name))
            ax.set_xlabel("$x$")
            ax.set_ylabel("$f(x)$")
            ax.set_ylim(-5.5, 5.5)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=5)
        fig.suptitle("Fits during training (restart 0 of each network)", fontsize=9)
    return fig
