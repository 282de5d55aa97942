"""numpyro's Bayesian neural network example (examples/bnn.py), written in bayes_uat.

The model, exactly as numpyro writes it: inputs [1, x, x²], two tanh layers of 5 units
without biases, N(0, 1) on every weight, a Gamma(3, 1) prior on the noise precision, a
Gaussian likelihood; numpyro's data generator (100 points, σ = 0.05, standardised y). The
log density equals numpyro's model log density (tests/test_priors.py checks it to 1e-10).
NUTS draws from it and the figure shows the posterior predictive band, as numpyro's does.

    python scripts/numpyro_bnn.py [--quick] [--figures figures]

Writes figures/numpyro_bnn.png and .pdf.
"""

from __future__ import annotations

import sys

import numpy as np
from _study import parse_args


def get_data(N=100, D_X=3, sigma_obs=0.05, N_test=500):
    """numpyro's examples/bnn.py data generator (numpy instead of jax.numpy, same numbers)."""
    np.random.seed(0)
    X = np.linspace(-1, 1, N)
    X = np.power(X[:, np.newaxis], np.arange(D_X))
    W = 0.5 * np.random.randn(D_X)
    Y = np.dot(X, W) + 0.5 * np.power(0.5 + X[:, 1], 2.0) * np.sin(4.0 * X[:, 1])
    Y += sigma_obs * np.random.randn(N)
    Y = Y[:, np.newaxis]
    Y -= np.mean(Y)
    Y /= np.std(Y)
    X_test = np.linspace(-1.3, 1.3, N_test)
    X_test = np.power(X_test[:, np.newaxis], np.arange(D_X))
    return X, Y[:, 0], X_test


def build_posterior(X, Y):
    """The model of numpyro's bnn.py: MLP((5, 5), tanh, no biases) on [1, x, x²]."""
    import numpyro.distributions as dist

    import bayes_uat as bu

    return bu.Posterior(
        bu.MLP((5, 5), "tanh", in_dim=3, bias=False),
        bu.Dataset(x=X, y=Y),
        prior=dist.Normal(0.0, 1.0),  # every weight, as numpyro's w1, w2, w3
        likelihood="gaussian",
        noise_param="precision",  # θ's last entry is log(prec_obs)
        noise_prior=dist.Gamma(3.0, 1.0),
    )


def main(argv=None) -> int:
    args = parse_args(__doc__, argv, host_devices=2)

    import bayes_uat as bu
    from bayes_uat import plots

    X, Y, X_test = get_data()
    post = build_posterior(X, Y)
    warmup, draws = (100, 100) if args.quick else (1000, 2000)
    samples = bu.sample(post, "nuts", chains=2, warmup=warmup, draws=draws, seed=0)
    flat = samples.flat()
    theta = flat[:: max(1, flat.shape[0] // 1000)]
    f = np.asarray(post.predict(theta, X_test))
    lo, mid, hi = np.percentile(f, [5, 50, 95], axis=0)
    prec = np.exp(flat[:, -1])
    print(
        f"{samples.chains} chains × {samples.draws} draws in {samples.wall_time:.1f} s; "
        f"divergences {samples.info.get('divergences')}; "
        f"noise σ median {np.median(prec**-0.5):.3f}"
    )

    import matplotlib.pyplot as plt

    from bayes_uat.plots import _style

    with _style.style():
        fig, ax = plt.subplots(figsize=(_style.COLUMN * 1.6, 3.2), layout="constrained")
        ax.fill_between(X_test[:, 1], lo, hi, color=_style.BAND_95, lw=0, label="90 % band of f(x)")
        ax.plot(X_test[:, 1], mid, color=_style.POSTERIOR, lw=1.2, label="posterior median of f(x)")
        ax.plot(
            X[:, 1],
            Y,
            ls="none",
            marker="o",
            ms=2.5,
            color=_style.DATA,
            mec="none",
            zorder=5,
            label="data (numpyro's generator)",
        )
        ax.set_xlabel("$x$")
        ax.set_ylabel("$y$ (standardised)")
        ax.set_xlim(X_test[0, 1], X_test[-1, 1])
        ax.set_title(
            "numpyro's BNN example in bayes_uat: inputs $[1, x, x^2]$, 2 × 5 tanh units, no"
            f" biases\nNUTS, {samples.chains} chains × ({warmup} warm-up + {draws} draws)",
            fontsize=9,
        )
        fig.legend(loc="outside lower center", ncols=3, fontsize=7)
    out = plots.save(fig, f"{args.figures}/numpyro_bnn")
    print("wrote", ", ".join(str(p) for p in out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
