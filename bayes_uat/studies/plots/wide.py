"""Seed 000 at scale (scripts/study_wide.py): network posterior bands beside the GP's, the
distance to the GP against N, and the posterior forming as the tempering λ goes 0 → 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ...plots import _style
from ._anim import save_gif

GP = "#444444"
NET = "#1f77b4"


def distance_table(results: dict) -> list[dict]:
    """One row per recorded run: its settings and distances, ordered by N (no curves)."""
    rows = []
    for key, r in results.items():
        rows.append(
            dict(
                key=key,
                units=r["units"],
                n=r["n"],
                seed=r.get("seed", 0),
                chains=r["chains"],
                warmup=r["warmup"],
                draws=r["draws"],
                distance_max=r["distance"]["max"],
                distance_mean=r["distance"]["mean"],
                band_ratio=r["distance"]["band_ratio"],
                per_chain_mean=r["distance"]["per_chain_mean"],
                chain_spread=r["distance"]["chain_spread"],
                edge_35=r["edge_35"]["distance"],
                gp_log_marginal_likelihood=r["gp_log_marginal_likelihood"],
                sgd=r["sgd"],
                sampler_stats=r["sampler_stats"],
            )
        )
    return sorted(rows, key=lambda d: (d["n"], d["units"], d["key"]))


def wide_figure(results: dict, *, bands=(5, 50, 512), importance: dict | None = None) -> Figure:
    """Top: for each N in ``bands``, the NUTS posterior's 90 % band and mean (blue) beside
    the GP's (grey dashed), with the data. Bottom: mean and max |mean difference| / mean GP
    band against N (log axes; n = 120), importance-sampling estimates where given, and the
    band-width ratio."""
    main = {
        r["units"]: r
        for r in results.values()
        if r["n"] == 120
        and r.get("seed", 0) == 0
        and r.get("init", "sgd") == "sgd"
        and not r.get("collapsed")
    }
    other = [  # the same N from starts near the GP: does the gap depend on the start?
        r for r in results.values() if r["n"] == 120 and r.get("init", "sgd") != "sgd"
    ]
    shown = [N for N in bands if N in main]
    with _style.style():
        fig = Figure(figsize=(_style.PAGE, 5.0), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1.0])
        axes = np.atleast_1d(top.subplots(1, max(len(shown), 1), sharey=True))
        for ax, N in zip(axes, shown):
            r = main[N]
            g, c = np.asarray(r["grid"]), r["curves"]
            ax.fill_between(g, c["q05"], c["q95"], color=NET, alpha=0.3, lw=0, label="network 90 %")
            ax.plot(g, c["mean"], color=NET, lw=1.2, label="network mean")
            ax.plot(g, c["gp_lo"], color=GP, lw=0.9, ls="--", label="GP 90 %")
            ax.plot(g, c["gp_hi"], color=GP, lw=0.9, ls="--")
            ax.plot(g, c["gp_mean"], color=GP, lw=0.9, ls=":", label="GP mean")
            ax.plot(g, r["truth"], color=_style.TRUTH, lw=0.8, ls="-.", label="truth")
            d = r["distance"]
            ax.set_title(f"N = {N}: mean gap {d['mean']:.2f}, max {d['max']:.2f} bands", fontsize=8)
            ax.set_xlabel("$x$")
        if shown:
            axes[0].set_ylabel("$f(x)$")
            axes[0].legend(fontsize=6, loc="upper center")
        a1, a2 = bottom.subplots(1, 2)
        Ns = sorted(main)
        mean = [main[N]["distance"]["mean"] for N in Ns]
        mx = [main[N]["distance"]["max"] for N in Ns]
        a1.loglog(Ns, mean, "o-", color=NET, label="NUTS: mean |Δ| / band")
        a1.loglog(Ns, mx, "s--", color=NET, alpha=0.6, label="NUTS: max |Δ| / band")
        for N in Ns:  # each chain alone: how far apart the chains are
            pcs = main[N]["distance"]["per_chain_mean"]
            a1.scatter([N] * len(pcs), pcs, color=NET, s=6, marker="_", zorder=3)
        if importance:
            iN = sorted(importance)
            a1.loglog(
                iN,
                [importance[N]["mean"] for N in iN],
                "^-",
                color="#d62728",
                label="importance over units: mean",
            )
        a1.axhline(0.1, color="k", lw=0.6, ls=":")
        a1.text(Ns[0] if Ns else 5, 0.105, "0.1 band", fontsize=6, va="bottom")
        for r in other:
            a1.loglog(
                [r["units"]],
                [r["distance"]["mean"]],
                "D",
                mfc="none",
                color="#ff7f0e",
                label="NUTS from GP-like starts: mean",
            )
        a1.set_xlabel("hidden units $N$")
        a1.set_ylabel("distance to the GP (bands)")
        a1.legend(fontsize=6)
        a2.semilogx(Ns, [main[N]["distance"]["band_ratio"] for N in Ns], "o-", color=NET)
        a2.axhline(1.0, color="k", lw=0.6, ls=":")
        a2.set_xlabel("hidden units $N$")
        a2.set_ylabel("90 % band width: network / GP")
        for ax in (a1, a2):
            ax.set_xticks(Ns, [str(N) for N in Ns])
            ax.minorticks_off()
    return fig


def tempering_animation(
    path: str | Path,
    panels: list[dict],
    data,
    *,
    fps: int = 4,
    dpi: int = 110,
) -> Path:
    """An animated GIF of function draws as λ goes 0 → 1. ``panels``: one dict per panel
    with ``title``, ``grid`` and ``frames`` (each with ``lam``, ``curves`` (k, len(grid)),
    an optional ``label`` line and optional GP ``gp_lo``/``gp_hi``); the panels' frame
    lists have the same length (frame i: the same λ index in each)."""
    import matplotlib.pyplot as plt

    path = Path(path)
    k = len(panels[0]["frames"])
    if any(len(p["frames"]) != k for p in panels):
        raise ValueError("every panel needs the same number of frames")
    lo, hi = float(np.min(data.y)), float(np.max(data.y))
    span = hi - lo
    with _style.style():
        fig = plt.figure(figsize=(2.9 * len(panels) + 0.4, 2.8), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))

        def frame(i):
            for ax, p in zip(axes, panels):
                ax.clear()
                fr = p["frames"][i]
                g = np.asarray(p["grid"])
                if "gp_lo" in fr:
                    ax.fill_between(g, fr["gp_lo"], fr["gp_hi"], color=GP, alpha=0.18, lw=0)
                for c in np.asarray(fr["curves"]):
                    ax.plot(g, c, color=NET, lw=0.6, alpha=0.45)
                _style.data_dots(ax, data.x, data.y, ms=1.0, alpha=0.6, zorder=5)
                ax.set_ylim(lo - 0.6 * span, hi + 0.6 * span)
                ax.set_xlim(g[0], g[-1])
                ax.set_xlabel("$x$")
                ax.set_title(
                    f"{p['title']}, λ = {fr['lam']:.3g}\n{fr.get('label', '')}", fontsize=8
                )
            axes[0].set_ylabel("$f(x)$")
            return []

        save_gif(fig, frame, k, path, fps=fps, dpi=dpi)
    return path
