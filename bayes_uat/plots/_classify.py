"""Figures for several inputs and for classifiers: decision boundaries with posterior
uncertainty, reliability diagrams, 2-D regression views, and a corner plot with the Laplace
approximation's marginals laid over the posterior's.

All read a :class:`bayes_uat.records.Run`; the posterior predictive is the average of the
class probabilities over (at most ``max_draws``) posterior draws, the SGD prediction that of
the best restart's weights.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from . import _style


def _draws(run, max_draws: int) -> np.ndarray:
    theta = run.samples.theta.reshape(-1, run.samples.dim)
    step = max(1, int(np.ceil(len(theta) / max_draws)))
    return theta[::step]


def _probs(run, theta, x) -> np.ndarray:
    """Class probabilities (..., n, K) for K ≥ 2 (bernoulli: K = 2)."""
    p = np.asarray(run.posterior.probability(theta, x))
    return np.stack([1 - p, p], -1) if run.posterior.likelihood == "bernoulli" else p


_LIKELIHOODS = {"bernoulli": "Bernoulli likelihood", "categorical": "categorical likelihood"}


def model_label(run) -> str:
    """The data, likelihood and network of a run, e.g. ``"moons: Bernoulli likelihood, 6 tanh
    units"``."""
    post = run.posterior
    data = post.data
    name = getattr(data, "target", None) or getattr(data, "source", None) or "data"
    lik = _LIKELIHOODS.get(post.likelihood) or _style.likelihood_label(post)
    net = post.net
    units = " × ".join(str(u) for u in net.units)
    return f"{name}: {lik}, {units} {net.activation} units"


def _title(run) -> str:
    return f"{model_label(run)}; {_style.sampler_label(run)}"


def _need(run, *, classifier: bool, in_dim: int | None = None) -> None:
    lik, d = run.posterior.likelihood, run.posterior.net.in_dim
    if classifier and lik not in ("bernoulli", "categorical"):
        raise ValueError(f"this figure needs a classifier run, got likelihood={lik!r}")
    if not classifier and lik in ("bernoulli", "categorical"):
        raise ValueError("this figure needs a regression run; use decision_boundary")
    if in_dim is not None and d != in_dim:
        raise ValueError(f"this figure needs {in_dim}-dimensional inputs, the run has in_dim={d}")


def _plane(run, n_grid: int, pad: float = 0.15):
    x = run.posterior.data.x
    lo, hi = x.min(0), x.max(0)
    lo, hi = lo - pad * (hi - lo), hi + pad * (hi - lo)
    g1, g2 = np.linspace(lo[0], hi[0], n_grid), np.linspace(lo[1], hi[1], n_grid)
    X1, X2 = np.meshgrid(g1, g2)
    return X1, X2, np.stack([X1.ravel(), X2.ravel()], 1)


def _entropy(p: np.ndarray) -> np.ndarray:
    return -np.sum(np.where(p > 0, p * np.log(np.clip(p, 1e-300, None)), 0.0), axis=-1)


def decision_boundary(
    run, *, n_grid: int = 120, max_draws: int = 400, fig: Figure | None = None
) -> Figure:
    """Three panels over the input plane of a 2-D classifier: SGD's class probability, the
    posterior predictive probability (mean over draws) with its 0.5 boundary and the data,
    and the posterior's uncertainty: the width of the 95 % band of P(class) (bernoulli) or the
    predictive entropy in nats (categorical), with SGD's boundary drawn over it."""
    _need(run, classifier=True, in_dim=2)
    X1, X2, pts = _plane(run, n_grid)
    p_post_draws = _probs(run, _draws(run, max_draws), pts)  # (S, m, K)
    p_post = p_post_draws.mean(0)
    p_sgd = _probs(run, run.sgd.best, pts) if run.sgd is not None else None
    with _style.style():
        return _decision_boundary(run, X1, X2, p_post_draws, p_post, p_sgd, fig)


def _decision_boundary(run, X1, X2, p_post_draws, p_post, p_sgd, fig) -> Figure:
    """The panels of :func:`decision_boundary`, from its computed probabilities."""
    shape = X1.shape
    data = run.posterior.data
    K = p_post.shape[-1]
    fig = fig or Figure(figsize=(_style.PAGE, _style.PAGE * 0.42), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    binary = K == 2

    def field(p):  # what the first two panels colour: P(y = 1), or the top class's probability
        return p[:, 1] if binary else p.max(-1)

    panels = [("SGD", p_sgd), ("posterior predictive", p_post)]
    for ax, (title, p) in zip(axes[:2], panels):
        if p is None:
            ax.set_title(f"{title}: none in the record")
            continue
        cs = ax.contourf(
            X1,
            X2,
            field(p).reshape(shape),
            levels=np.linspace(0, 1, 11),
            cmap="RdBu_r" if binary else "viridis",
        )
        if binary:
            ax.contour(X1, X2, p[:, 1].reshape(shape), levels=[0.5], colors="k", linewidths=1)
        else:
            ax.contour(
                X1,
                X2,
                p.argmax(-1).reshape(shape),
                levels=np.arange(K) + 0.5,
                colors="k",
                linewidths=0.8,
            )
        ax.set_title(title, fontsize=9)
    fig.colorbar(
        cs, ax=axes[:2], label="P(y = 1)" if binary else "top class probability", shrink=0.9
    )
    if binary:
        lo, hi = np.percentile(p_post_draws[..., 1], [2.5, 97.5], axis=0)
        unc, lab = hi - lo, "95 % band width of P(y = 1)"
    else:
        unc, lab = _entropy(p_post), "predictive entropy (nats)"
    cu = axes[2].contourf(X1, X2, unc.reshape(shape), levels=12, cmap="magma")
    if p_sgd is not None:
        axes[2].contour(
            X1,
            X2,
            (p_sgd[:, 1] if binary else p_sgd.argmax(-1)).reshape(shape),
            levels=[0.5] if binary else np.arange(K) + 0.5,
            colors=_style.SGD,
            linewidths=1,
            linestyles="--",
        )
    axes[2].set_title("posterior uncertainty", fontsize=9)
    fig.colorbar(cu, ax=axes[2], label=lab, shrink=0.9)
    handles = _class_points(axes, data, K)
    handles.append(
        Line2D(
            [],
            [],
            color="k",
            lw=1,
            label="boundary, P(y = 1) = 0.5" if binary else "class boundaries",
        )
    )
    if p_sgd is not None:
        handles.append(
            Line2D([], [], color=_style.SGD, lw=1, ls="--", label="SGD's boundary (right panel)")
        )
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    axes[0].set_ylabel("$x_2$")
    fig.suptitle(_title(run), fontsize=9)
    return fig


def _class_points(axes, data, K: int) -> list:
    """The data on every panel, one open marker shape per class; returns their legend
    handles."""
    markers = "os^vD<>ph*"
    for ax in axes:
        for k in range(K):
            sel = data.y == k
            ax.scatter(
                data.x[sel, 0],
                data.x[sel, 1],
                s=6,
                marker=markers[k % 10],
                facecolors="w",
                edgecolors="k",
                linewidths=0.5,
            )
        ax.set_xlabel("$x_1$")
    return [
        Line2D(
            [],
            [],
            ls="none",
            marker=markers[k % 10],
            ms=3.5,
            mfc="w",
            mec="k",
            mew=0.5,
            label=f"class {k} (data)",
        )
        for k in range(K)
    ]


def reliability(
    run,
    *,
    bins: int = 10,
    max_draws: int = 400,
    x=None,
    y=None,
    title: str | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Reliability diagram of a classifier on (x, y) (default the run's data): points are
    sorted into ``bins`` equal-width bins of their top-class confidence; each bin's accuracy
    is plotted against its mean confidence, for SGD and the posterior predictive, with the
    expected calibration error ECE = Σ_b (n_b / n) |acc_b − conf_b| in the legend.  A panel
    underneath counts the points in each bin (a bin of a few points is noisy).  ``title``
    says which data these are (default: the model and the sampler)."""
    _need(run, classifier=True)
    data = run.posterior.data
    x = data.x if x is None else np.asarray(x)
    y = (data.y if y is None else np.asarray(y)).astype(int)
    preds = {"posterior predictive": _probs(run, _draws(run, max_draws), x).mean(0)}
    if run.sgd is not None:
        preds = {"SGD": _probs(run, run.sgd.best, x), **preds}
    with _style.style():
        fig = fig or Figure(
            figsize=(_style.COLUMN * 1.3, _style.COLUMN * 1.6), layout="constrained"
        )
        ax, ax_n = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
        ax.plot([0, 1], [0, 1], color="0.6", lw=0.8, ls=":", label="perfect calibration")
        edges = np.linspace(0, 1, bins + 1)
        colors = {"SGD": _style.SGD, "posterior predictive": _style.POSTERIOR}
        width = (edges[1] - edges[0]) / (len(preds) + 1)
        for i, (name, p) in enumerate(preds.items()):
            conf, hit = p.max(-1), (p.argmax(-1) == y).astype(float)
            b = np.clip(np.digitize(conf, edges) - 1, 0, bins - 1)
            n_b = np.bincount(b, minlength=bins)
            acc = np.bincount(b, hit, bins) / np.maximum(n_b, 1)
            cmean = np.bincount(b, conf, bins) / np.maximum(n_b, 1)
            ece = float(np.sum(n_b / len(y) * np.abs(acc - cmean)))
            ok = n_b > 0
            ax.plot(
                cmean[ok],
                acc[ok],
                "o-",
                color=colors[name],
                ms=3,
                label=f"{name}\nECE {ece:.3f}, accuracy {hit.mean():.3f}",
            )
            left = edges[:-1] + (i + 0.5) * width
            ax_n.bar(left[ok], n_b[ok], width=width, align="edge", color=colors[name], lw=0)
        ax.set_ylabel("accuracy")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="upper left", fontsize=7)
        ax.set_title(title or _title(run), fontsize=8)
        ax_n.set_yscale("log")
        ax_n.set_ylim(0.5, 3 * len(y))
        ax_n.set_ylabel("points\nper bin", fontsize=8)
        ax_n.set_xlabel("confidence (top-class probability)")
    return fig


def regression2d(
    run, *, n_grid: int = 80, max_draws: int = 400, fig: Figure | None = None
) -> Figure:
    """A regression on two inputs: contours of the posterior mean of f, of the width of its
    95 % band, and of SGD's f minus the posterior mean, with the data's inputs marked."""
    _need(run, classifier=False, in_dim=2)
    # a margin of 4 % keeps the corner's tick labels apart
    X1, X2, pts = _plane(run, n_grid, pad=0.04)
    f = np.asarray(run.posterior.predict(_draws(run, max_draws), pts))
    with _style.style():
        return _regression2d(run, X1, X2, pts, f, fig)


def _regression2d(run, X1, X2, pts, f, fig) -> Figure:
    """The panels of :func:`regression2d`, from the draws' f on the plane."""
    mean = f.mean(0)
    lo, hi = np.percentile(f, [2.5, 97.5], axis=0)
    fig = fig or Figure(figsize=(_style.PAGE, _style.PAGE * 0.42), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True, sharey=True)
    panels = [(mean, "posterior mean of f", "viridis"), (hi - lo, "95 % band width", "magma")]
    if run.sgd is not None:
        diff = np.asarray(run.posterior.predict(run.sgd.best, pts)) - mean
        panels.append((diff, "SGD − posterior mean", "RdBu_r"))
    for ax, (v, title, cmap) in zip(axes, panels):
        kw = {}
        if cmap == "RdBu_r":
            m = float(np.abs(v).max()) or 1.0
            kw = dict(vmin=-m, vmax=m)
        cs = ax.contourf(X1, X2, v.reshape(X1.shape), levels=12, cmap=cmap, **kw)
        fig.colorbar(cs, ax=ax, shrink=0.9)
        ax.scatter(*run.posterior.data.x.T, s=1, c="w", alpha=0.6)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("$x_1$")
    axes[0].set_ylabel("$x_2$")
    fig.legend(
        handles=[
            Line2D(
                [],
                [],
                ls="none",
                marker="o",
                ms=2,
                color="w",
                mec="0.5",
                mew=0.3,
                label="inputs of the data",
            )
        ],
        loc="outside lower center",
    )
    fig.suptitle(f"regression on two inputs, {_title(run)}", fontsize=9)
    return fig


def laplace_corner(run, fit, *, params=None, max_params: int = 8) -> Figure:
    """Corner plot of one mode's canonical posterior draws (black) with draws of the Laplace
    approximation at that mode's MAP laid over it (orange): where the Gaussian's contours
    and histograms miss the posterior's, the Laplace approximation is off. ``fit`` is
    :func:`bayes_uat.modes.mode_laplace` of the run (which mode, how many Gaussian draws)."""
    from ._corner import corner

    m = fit.mode
    if params is None:
        params = list(range(min(run.samples.dim, max_params)))
    fig = corner(run, theta=fit.members, params=params, sgd=False, map=False, max_params=max_params)
    corner(
        run,
        theta=fit.draws,
        params=params,
        sgd=False,
        map=False,
        fig=fig,
        color="tab:orange",
        max_params=max_params,
        glossary=False,
    )
    for lg in list(fig.legends):  # the two corner plots' own titles: one legend says it all
        lg.remove()
    with _style.style():
        fig.legend(
            handles=[
                _patch(_style.POSTERIOR, f"posterior draws of mode {m.index} (canonical)"),
                _patch("tab:orange", "Laplace approximation at its MAP"),
            ],
            title=f"{model_label(run)}\n{_style.sampler_label(run)}\n"
            f"mode {m.index}: {100 * m.share:.0f}% of the draws",
            loc="upper right",
            alignment="right",
            fontsize=8,
            title_fontsize=8,
        )
    return fig


def _patch(color, label):
    return Line2D([], [], color=color, lw=2, label=label)
