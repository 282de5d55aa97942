"""The infinite-width limit of a one-hidden-layer network: a Gaussian process (NNGP).

With the output weights' prior scaled by 1/√N (Neal 1996),

    f(x) = c + Σᵢ aᵢ φ(wᵢ·x + bᵢ),  wᵢ ~ N(0, σ_w² I), bᵢ ~ N(0, σ_b²), aᵢ ~ N(0, σ_a²/N),
    c ~ N(0, σ_c²),

f is a sum of N independent terms, so its prior covariance is, at every N,

    K(x, x') = σ_c² + σ_a² E[φ(u) φ(u')],   (u, u') ~ N(0, [[k₁₁, k₁₂], [k₁₂, k₂₂]]),
    k₁₂ = σ_w² x·x' + σ_b²,

and by the central limit theorem the prior over functions tends to the Gaussian process
GP(0, K) as N → ∞. The expectation is closed form for

``"relu"``
    the arc-cosine kernel of order 1 (Cho & Saul 2009):
    E = √(k₁₁k₂₂)/(2π) · (sin θ + (π − θ) cos θ), cos θ = k₁₂/√(k₁₁k₂₂);
``"erf"``
    Williams' (1997) arcsine kernel: E = (2/π) arcsin(2k₁₂ / √((1 + 2k₁₁)(1 + 2k₂₂))).

Under Gaussian noise of known σ the GP's posterior and its marginal likelihood (the evidence
of the N → ∞ network) are closed form: :func:`nngp_predict`. :func:`nngp_kernel` and
:func:`nngp_predict` read σ_w, σ_b, σ_a = √N·(scale of a's prior), σ_c and σ from the
:class:`~bayes_uat.Posterior` itself, and refuse posteriors whose priors are not of that form.
:func:`neal_prior` and :func:`neal_posterior` build such posteriors for any N.

At finite N, :func:`sample_collapsed` (:mod:`bayes_uat.samplers.collapsed`) samples such a
posterior (any one-hidden-layer network with zero-mean normal priors on the output layer
and Gaussian noise of known σ) by NUTS on the hidden layer alone, the output layer
integrated out in closed form and drawn afterwards from its exact Gaussian conditional.

Example
-------
>>> import bayes_uat as bu
>>> from bayes_uat.wide import neal_posterior, nngp_kernel, nngp_predict
>>> bu.enable_x64()
True
>>> post = neal_posterior(bu.make_dataset("sin", n=20), 512, "relu", noise_std=0.1)
>>> round(float(nngp_kernel(post, [3.5], [3.5])[0, 0]), 2)  # 1 + 4·(3.5² + 1)/2
27.5
>>> mean, var, lml = nngp_predict(post, [0.0, 1.0])
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from .nets import MLP
from .posterior import Posterior
from .samplers.collapsed import sample_collapsed as sample_collapsed

KERNELS = ("relu", "erf")
"""Activations whose infinite-width kernel is implemented (closed form)."""


class NealScales(NamedTuple):
    """The GP limit's scales: σ_w (input weights), σ_b (hidden biases, 0 without them),
    σ_a (√N times the output weights' prior scale), σ_c (output bias, 0 without it), the
    width N, the activation and the noise σ."""

    weight: float
    bias: float
    output: float
    output_bias: float
    units: int
    activation: str
    noise: float


def neal_prior(
    net: MLP,
    *,
    weight_std: float = 1.0,
    bias_std: float = 1.0,
    output_std: float = 2.0,
    output_bias_std: float = 1.0,
) -> dict:
    """Group priors of Neal form for ``net``: N(0, weight_std²) on the first layer's weights,
    N(0, bias_std²) on every hidden bias, N(0, weight_std²/n_l) on the weights out of a
    hidden layer of n_l units into the next, N(0, output_std²/N) on the output weights ``a``
    (N: the last hidden width) and N(0, output_bias_std²) on ``c``. Groups the network lacks
    (biases switched off) are left out. A linear model has no output group: ValueError."""
    import numpyro.distributions as nd

    if not isinstance(net, MLP):
        raise ValueError(f"neal_prior needs a bayes_uat.MLP, got {type(net).__name__}")
    if not net.units:
        raise ValueError(
            "Neal scaling divides the output weights' prior by √N, but a linear model "
            "(units=()) has no hidden units and no output group 'a'; give the network a "
            "hidden layer (e.g. MLP(500, 'relu')) or drop the Neal scaling"
        )
    for name, v in (
        ("weight_std", weight_std),
        ("bias_std", bias_std),
        ("output_std", output_std),
        ("output_bias_std", output_bias_std),
    ):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (0 < v < math.inf):
            raise ValueError(f"{name} must be a positive finite number, got {v!r}")
    from .priors import groups

    present = groups(net)
    out: dict = {}
    fan = [None, *net.units]  # fan-in of layer l+1 from hidden layer l
    for l in range(len(net.units)):
        scale = weight_std if l == 0 else weight_std / math.sqrt(fan[l])
        out[f"w{l + 1}"] = nd.Normal(0.0, float(scale))
        if f"b{l + 1}" in present:
            out[f"b{l + 1}"] = nd.Normal(0.0, float(bias_std))
    out["a"] = nd.Normal(0.0, float(output_std) / math.sqrt(net.units[-1]))
    if "c" in present:
        out["c"] = nd.Normal(0.0, float(output_bias_std))
    return out


def neal_scaled(net: MLP, prior=None, prior_std: float = 30.0) -> dict:
    """``prior`` (as a :class:`Posterior` takes it) with Neal's 1/√fan-in scaling applied:
    the scale of every group fed by a hidden layer of n units (the output weights ``a``;
    ``w2``, … in deeper networks) is divided by √n. Those groups' priors must be normal
    (the default N(0, prior_std²) is); the other groups are kept as given. This is what
    ``bayes-uat run --prior-scaling neal`` does."""
    import numpyro.distributions as nd

    from .priors import group_priors

    if not isinstance(net, MLP):
        raise ValueError(f"neal_scaled needs a bayes_uat.MLP, got {type(net).__name__}")
    if not net.units:
        raise ValueError(
            "Neal scaling divides the output weights' prior by √N, but a linear model "
            "(units=()) has no hidden units and no output group 'a'; give the network a "
            "hidden layer (--units 500) or drop --prior-scaling neal"
        )
    fed = {"a": net.units[-1], **{f"w{l + 2}": n for l, n in enumerate(net.units[:-1])}}
    out = {}
    for g in group_priors(net, prior, prior_std):
        if g.name not in fed:
            out[g.name] = g.dist
            continue
        if type(g.dist).__name__ != "Normal":
            raise ValueError(
                f"Neal scaling divides a normal prior's scale by √N, but group {g.name!r} has "
                f"{g.spec}; give it a normal prior (e.g. --prior '{g.name}=normal(0, 2)') or "
                "drop the Neal scaling"
            )
        loc, scale = float(np.asarray(g.dist.loc)), float(np.asarray(g.dist.scale))
        out[g.name] = nd.Normal(loc, scale / math.sqrt(fed[g.name]))
    return out


def neal_posterior(
    data,
    units: int,
    activation: str = "relu",
    *,
    noise_std: float = 0.1,
    weight_std: float = 1.0,
    bias_std: float = 1.0,
    output_std: float = 2.0,
    output_bias_std: float = 1.0,
    **kwargs,
) -> Posterior:
    """A Gaussian-likelihood :class:`Posterior` of one hidden layer of ``units`` units with
    the priors of :func:`neal_prior` and known noise ``noise_std``; ``kwargs`` go to the
    Posterior (e.g. ``dtype``)."""
    net = MLP(units, activation, in_dim=getattr(data, "in_dim", 1))
    prior = neal_prior(
        net,
        weight_std=weight_std,
        bias_std=bias_std,
        output_std=output_std,
        output_bias_std=output_bias_std,
    )
    return Posterior(net, data, likelihood="gaussian", noise_std=noise_std, prior=prior, **kwargs)


def _normal_scale(g) -> float:
    """The scale of a group's N(0, s²) prior, or a ValueError saying why it is not one."""
    d = g.dist
    if type(d).__name__ != "Normal":
        raise ValueError(
            f"the GP limit needs normal priors of zero mean (Neal form), but group {g.name!r} "
            f"has {g.spec}; use normal(0, s) for it (neal_prior builds the whole set)"
        )
    loc, scale = float(np.asarray(d.loc)), float(np.asarray(d.scale))
    if loc != 0.0:
        raise ValueError(
            f"the GP limit needs zero-mean normal priors (Neal form), but group {g.name!r} has "
            f"{g.spec}; centre it at 0"
        )
    return scale


def neal_scales(post: Posterior) -> NealScales:
    """Check that ``post`` has a GP limit this module computes and return its scales.

    ValueError (naming the fix) unless: one hidden layer and one output; a relu or erf
    activation (:data:`KERNELS`); zero-mean normal priors on ``w1``, ``b1``, ``a`` and ``c``
    with the output group's scale given explicitly (the 1/√N scaling is the prior's, so the
    default N(0, prior_std²) on every weight is refused for N > 1); Gaussian noise of known σ
    (``likelihood="gaussian"`` with ``noise_std``, or ``"mse"``, whose σ² is n/2)."""
    if not isinstance(post, Posterior):
        raise ValueError(f"needs a bayes_uat.Posterior, got {type(post).__name__}")
    net = post.net
    if len(net.units) != 1 or net.out_dim != 1:
        raise ValueError(
            f"the NNGP kernel here is that of one hidden layer and one output; {net} has "
            f"units={net.units}, out_dim={net.out_dim}; use MLP(N, 'relu') or MLP(N, 'erf')"
        )
    if net.activation not in KERNELS:
        raise ValueError(
            f"the {net.activation!r} activation has no closed-form infinite-width kernel "
            f"here; choose one of {', '.join(KERNELS)} (relu: arc-cosine kernel, erf: "
            "Williams' arcsine kernel; erf is the odd, tanh-like one)"
        )
    if post.likelihood not in ("gaussian", "mse") or post.infers_sigma:
        raise ValueError(
            "the exact GP posterior needs Gaussian noise of known σ; build the Posterior with "
            f"likelihood='gaussian' and noise_std=σ (it has likelihood={post.likelihood!r}"
            f"{', σ inferred' if post.infers_sigma else ''})"
        )
    N = int(net.units[0])
    explicit = isinstance(post.prior, Mapping) and "a" in post.prior
    if N > 1 and not explicit:
        raise ValueError(
            "the GP limit needs the output weights' prior scaled by 1/√N (Neal form), but "
            f"this posterior gives 'a' the same prior as every weight ({post.prior!r} / "
            f"prior_std={post.prior_std}); pass prior={{'a': Normal(0, σ_a/√{N}), ...}} or "
            "build it with bayes_uat.wide.neal_posterior / neal_prior"
        )
    by = {g.name: g for g in post.group_priors}
    scales = {k: (_normal_scale(by[k]) if k in by else 0.0) for k in ("w1", "b1", "a", "c")}
    noise = float(np.asarray(post.sigma(jnp.zeros(post.dim))))
    return NealScales(
        weight=scales["w1"],
        bias=scales["b1"],
        output=scales["a"] * math.sqrt(N),
        output_bias=scales["c"],
        units=N,
        activation=net.activation,
        noise=noise,
    )


def _kernel(s: NealScales, X1, X2, diag: bool = False):
    """K(X1, X2) (or its diagonal K(xᵢ, xᵢ) when ``diag``), X of shape (n, d)."""
    sw2, sb2 = s.weight**2, s.bias**2
    q1 = sw2 * jnp.sum(X1 * X1, axis=-1) + sb2
    q2 = sw2 * jnp.sum(X2 * X2, axis=-1) + sb2
    if diag:
        k12, k11, k22 = q1, q1, q1
    else:
        k12 = sw2 * X1 @ X2.T + sb2
        k11, k22 = q1[:, None], q2[None, :]
    if s.activation == "relu":
        norm = jnp.sqrt(k11 * k22)
        safe = jnp.where(norm > 0, norm, 1.0)
        cos = jnp.clip(k12 / safe, -1.0, 1.0)
        theta = jnp.arccos(cos)
        sin = jnp.sqrt(jnp.clip(1.0 - cos**2, 0.0, 1.0))
        e = jnp.where(norm > 0, norm / (2 * jnp.pi) * (sin + (jnp.pi - theta) * cos), 0.0)
    else:  # erf
        e = (2 / jnp.pi) * jnp.arcsin(2 * k12 / jnp.sqrt((1 + 2 * k11) * (1 + 2 * k22)))
    return s.output_bias**2 + s.output**2 * e


def _inputs(post: Posterior, x):
    x = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(x)):
        raise ValueError("x must be finite numbers")
    if np.any(np.abs(x) > 1e150):
        raise ValueError(
            "x must be within ±1e150 (the kernel's products of inputs overflow beyond it); "
            "rescale the inputs"
        )
    return post.net.features(jnp.asarray(x, dtype=post.dtype))


def nngp_kernel(post: Posterior, x1, x2) -> np.ndarray:
    """The infinite-width prior covariance K(x1, x2) of ``post``'s network, shape
    (len(x1), len(x2)); x of shape (n,) for 1-D input, else (n, d). It equals the prior
    covariance of f at any width N (see the module docstring); only the Gaussianity is the
    N → ∞ limit. ValueError when ``post`` is not of Neal form (:func:`neal_scales`)."""
    s = neal_scales(post)
    return np.asarray(_kernel(s, _inputs(post, x1), _inputs(post, x2)))


def nngp_predict(post: Posterior, x_new, *, lam: float = 1.0):
    """The GP limit's posterior at ``x_new`` given ``post``'s data and noise σ.

    Returns ``(mean, variance, log_marginal_likelihood)``: the posterior mean and variance of
    the latent f(x_new) (add σ² for a new observation y) and log N(y | 0, K + σ²I), the
    evidence of the N → ∞ network. ``lam`` tempers the likelihood, p(y | f)^λ, which for
    Gaussian noise is the GP with noise variance σ²/λ (λ = 0: the prior, whose evidence is
    0); the evidence returned is then that of the tempered Gaussian likelihood."""
    s = neal_scales(post)
    if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0 <= lam <= 1:
        raise ValueError(f"lam must be a number in [0, 1] (the tempering λ), got {lam!r}")
    Xn = _inputs(post, x_new)
    kss = _kernel(s, Xn, Xn, diag=True)
    if lam == 0:
        return np.zeros(Xn.shape[0]), np.asarray(kss), 0.0
    X = _inputs(post, post.data.x)
    y = jnp.asarray(post.data.y, dtype=X.dtype)
    n = X.shape[0]
    K = _kernel(s, X, X) + (s.noise**2 / lam) * jnp.eye(n, dtype=X.dtype)
    L = jnp.linalg.cholesky(K)
    alpha = jsl.cho_solve((L, True), y)
    Ks = _kernel(s, X, Xn)
    mean = Ks.T @ alpha
    v = jsl.solve_triangular(L, Ks, lower=True)
    var = jnp.maximum(kss - jnp.sum(v * v, axis=0), 0.0)
    lml = -0.5 * y @ alpha - jnp.sum(jnp.log(jnp.diag(L))) - 0.5 * n * math.log(2 * math.pi)
    if not bool(jnp.isfinite(lml)):
        raise ValueError(
            "the GP's Gram matrix K + σ²I is numerically singular; use float64 "
            "(bayes_uat.enable_x64()) or a larger noise σ"
        )
    return np.asarray(mean), np.asarray(var), float(lml)


def nngp_band(post: Posterior, x_new, level: float = 0.9, *, lam: float = 1.0):
    """(lower, mean, upper) of the GP limit's central ``level`` band for the latent f."""
    from scipy.stats import norm

    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level must be a number in (0, 1), got {level!r}; pass e.g. 0.9")
    mean, var, _ = nngp_predict(post, x_new, lam=lam)
    z = norm.ppf(0.5 + level / 2)
    sd = np.sqrt(var)
    return mean - z * sd, mean, mean + z * sd
