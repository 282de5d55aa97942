"""NUTS on the hidden layer alone, the output layer integrated out exactly.

For one hidden layer, f(x) = Σᵢ aᵢ φᵢ(x) + c with φᵢ(x) = φ(wᵢ·x + bᵢ), zero-mean normal
priors on the output weights a and bias c (prior variances S, diagonal) and Gaussian noise
of known σ, f on the data is linear in u = (a, c) with Φ = [φ(X W₁ᵀ + b₁), 1] (n × m,
m = N + 1; no column of ones without c). So

    p(y | W₁, b₁) = N(y; 0, Φ S Φᵀ + σ² I)                       (the collapsed likelihood)
    u | W₁, b₁, y ~ N(μ, Σ),  Σ = (S⁻¹ + ΦᵀΦ/σ²)⁻¹,  μ = Σ Φᵀ y/σ²

exactly. :func:`sample_collapsed` runs numpyro's NUTS (the compiled loops of
:mod:`.nuts`) on p(W₁, b₁ | y) ∝ p(W₁, b₁) p(y | W₁, b₁), then draws u for every draw from
its Gaussian conditional: each (W₁, b₁, u) is an exact draw of the full posterior, returned
in the posterior's own θ layout as :class:`~bayes_uat.Samples`.

The Gaussian algebra uses the smaller of two Cholesky factorisations, both with the
scaled features Ψ = Φ S^½: n × n (C = ΨΨᵀ + σ²I; u drawn by Matheron's rule,
u = u₀ + ΨᵀC⁻¹(y − Ψu₀ − ε), u₀ ~ N(0, I), ε ~ N(0, σ²I)) when n ≤ m, else m × m
(A = I + ΨᵀΨ/σ², log|C| = n log σ² + log|A|, the Woodbury identity).
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
import numpy as np

from ..posterior import Posterior, log_prior_at
from ..samples import Samples
from . import nuts
from .base import check_int

_LOG_2PI = math.log(2 * math.pi)


class Layout(NamedTuple):
    """Static facts of a collapsed posterior: θ positions of the hidden layer (what NUTS
    moves), of the output weights and of the output bias (None without it), and which
    Cholesky factorisation is the smaller ("n": n × n, "m": m × m)."""

    hidden: tuple
    output: tuple
    bias: int | None
    form: str


def check_collapsible(post) -> None:
    """ValueError naming the fix unless ``post`` can be collapsed: one hidden layer and one
    output, a Gaussian likelihood of known σ (``"gaussian"`` with ``noise_std``, or
    ``"mse"``), zero-mean normal priors on the output weights ``a`` and bias ``c``, float64
    and an activation with gradients."""
    if not isinstance(post, Posterior):
        raise ValueError(f"sample_collapsed needs a bayes_uat.Posterior, got {type(post).__name__}")
    net = post.net
    if len(net.units) != 1 or net.out_dim != 1:
        raise ValueError(
            "the collapsed sampler integrates out the output layer of a network with one hidden "
            f"layer and one output; this one has units={net.units}, out_dim={net.out_dim}: "
            "use MLP(N, activation) or sample it with bayes_uat.sample(post, 'nuts')"
        )
    if post.likelihood not in ("gaussian", "mse") or post.infers_sigma:
        how = f"likelihood={post.likelihood!r}" + (", σ inferred" if post.infers_sigma else "")
        raise ValueError(
            "the output layer integrates out in closed form only under Gaussian noise of known "
            f"σ, but this posterior has {how}; build it with likelihood='gaussian' and "
            "noise_std=σ, or sample it with bayes_uat.sample(post, 'nuts')"
        )
    for g in post.group_priors:
        if g.name not in ("a", "c"):
            continue
        d = g.dist
        if type(d).__name__ != "Normal":
            raise ValueError(
                "the output layer integrates out in closed form only under normal priors, but "
                f"group {g.name!r} has {g.spec}; give it normal(0, s) (e.g. prior={{'{g.name}': "
                "'normal(0, 1)'}) or sample it with bayes_uat.sample(post, 'nuts')"
            )
        if np.any(np.asarray(d.loc) != 0.0):
            raise ValueError(
                f"the collapsed sampler needs zero-mean priors on the output layer, but group "
                f"{g.name!r} has {g.spec}; centre it at 0"
            )
    if post.dtype != "float64":
        raise ValueError(
            "the collapsed likelihood's Cholesky factorisations need float64: call "
            "bayes_uat.enable_x64() before building the Posterior (dtype='float64')"
        )
    if not net.act.differentiable:
        raise ValueError(
            f"NUTS needs gradients, but the {net.activation!r} activation has zero gradient "
            "almost everywhere; use a smooth activation or bayes_uat.sample(post, 'ensemble')"
        )


def layout(post) -> tuple[Layout, np.ndarray]:
    """The :class:`Layout` of ``post`` and the prior variances of (a, c), in that order."""
    lay = post.net._layout
    a = np.atleast_1d(np.asarray(lay["a"])).ravel()
    bias = int(lay["c"]) if post.net.has_output_bias else None
    out = set(a.tolist()) | ({bias} if bias is not None else set())
    hidden = tuple(i for i in range(post.net.dim) if i not in out)
    var = np.zeros(post.net.dim)
    for g in post.group_priors:
        if g.name in ("a", "c"):
            var[g.index] = np.broadcast_to(np.asarray(g.dist.scale, float) ** 2, g.index.shape)
    cols = list(a) + ([bias] if bias is not None else [])
    m = len(cols)
    form = "n" if post.n_data <= m else "m"
    return Layout(hidden, tuple(int(i) for i in a), bias, form), var[cols]


class Target(NamedTuple):
    """The collapsed posterior as a pytree (NUTS's model argument): the posterior, the
    output layer's prior variances (m,) and the noise variance; ``layout`` is static."""

    posterior: object
    prior_var: jax.Array
    noise_var: jax.Array
    layout: Layout


jax.tree_util.register_pytree_node(
    Target,
    lambda t: ((t.posterior, t.prior_var, t.noise_var), t.layout),
    lambda lay, ch: Target(*ch, lay),
)


def make_target(post) -> Target:
    check_collapsible(post)
    lay, var = layout(post)
    sigma = float(np.asarray(post.sigma(jnp.zeros(post.dim))))
    return Target(post, jnp.asarray(var), jnp.asarray(sigma**2), lay)


def _full(t: Target, z):
    """θ with the hidden layer z and the output layer at 0."""
    theta = jnp.zeros(t.posterior.net.dim, z.dtype)
    return theta.at[np.asarray(t.layout.hidden)].set(z)


def features(t: Target, z):
    """Ψ = Φ S^½ (n × m) for hidden parameters z."""
    post = t.posterior
    h = post.net.hidden(_full(t, z), post.data_arrays["x"])
    if t.layout.bias is not None:
        h = jnp.concatenate([h, jnp.ones((h.shape[0], 1), h.dtype)], axis=1)
    return h * jnp.sqrt(t.prior_var)


def _y(t: Target):
    return t.posterior.data_arrays["y"]


def log_marginal(t: Target, z):
    """log p(y | W₁, b₁) = log N(y; 0, ΨΨᵀ + σ²I) at hidden parameters z."""
    psi, y, s2 = features(t, z), _y(t), t.noise_var
    if t.layout.form == "n":
        return _gauss_n(psi, y, s2)
    n, m = psi.shape
    L = jnp.linalg.cholesky(jnp.eye(m, dtype=psi.dtype) + psi.T @ psi / s2)
    beta = jsl.solve_triangular(L, psi.T @ y, lower=True) / s2
    quad = y @ y / s2 - beta @ beta
    logdet = n * jnp.log(s2) + 2 * jnp.sum(jnp.log(jnp.diag(L)))
    return -0.5 * (quad + logdet + n * _LOG_2PI)


@jax.custom_vjp
def _gauss_n(psi, y, s2):
    """log N(y; 0, ΨΨᵀ + s2·I) by the n × n Cholesky factor."""
    return _gauss_n_fwd(psi, y, s2)[0]


def _gauss_n_fwd(psi, y, s2):
    n = y.shape[0]
    L = jnp.linalg.cholesky(psi @ psi.T + s2 * jnp.eye(n, dtype=psi.dtype))
    alpha = jsl.cho_solve((L, True), y)
    v = -0.5 * (y @ alpha + n * _LOG_2PI) - jnp.sum(jnp.log(jnp.diag(L)))
    return v, (psi, L, alpha)


def _gauss_n_bwd(res, g):
    """The gradient in closed form, ∂/∂C = ½(ααᵀ − C⁻¹), α = C⁻¹y: one n × n inverse and
    one n × n × m product, instead of differentiating through the factorisation."""
    psi, L, alpha = res
    cinv = jsl.cho_solve((L, True), jnp.eye(L.shape[0], dtype=L.dtype))
    d_psi = jnp.outer(alpha, alpha @ psi) - cinv @ psi
    d_s2 = 0.5 * (alpha @ alpha - jnp.trace(cinv))
    return g * d_psi, -g * alpha, g * d_s2


_gauss_n.defvjp(_gauss_n_fwd, _gauss_n_bwd)


def log_density(t: Target, z):
    """log p(W₁, b₁ | y) + const: the hidden layer's prior and the collapsed likelihood."""
    lp = log_prior_at(t.posterior, _full(t, z))  # the output layer's terms at 0: a constant
    v = lp + log_marginal(t, z)
    return jnp.where(jnp.isfinite(v), v, -jnp.inf)


def _potential(t: Target, z):
    return -log_density(t, z).astype(z.dtype)


def potential_gen(t: Target):
    """numpyro's ``potential_fn_gen`` for :class:`Target`."""
    return jax.tree_util.Partial(_potential, t)


def conditional(t: Target, z):
    """(mean, covariance) of the output layer (a, c) given hidden parameters z, closed form
    (m × m; for tests and small networks)."""
    psi, y, s2 = features(t, z), _y(t), t.noise_var
    m = psi.shape[1]
    A = jnp.eye(m, dtype=psi.dtype) + psi.T @ psi / s2
    cov_u = jnp.linalg.inv(A)
    mean_u = cov_u @ psi.T @ y / s2
    sd = jnp.sqrt(t.prior_var)
    return sd * mean_u, cov_u * sd[:, None] * sd[None, :]


def draw_output(t: Target, z, key):
    """One draw of the output layer (a, c) from its exact conditional given z."""
    psi, y, s2 = features(t, z), _y(t), t.noise_var
    n, m = psi.shape
    k1, k2 = jax.random.split(key)
    if t.layout.form == "n":  # Matheron's rule with the n × n factorisation
        u0 = jax.random.normal(k1, (m,), psi.dtype)
        eps = jnp.sqrt(s2) * jax.random.normal(k2, (n,), psi.dtype)
        L = jnp.linalg.cholesky(psi @ psi.T + s2 * jnp.eye(n, dtype=psi.dtype))
        u = u0 + psi.T @ jsl.cho_solve((L, True), y - psi @ u0 - eps)
    else:  # precision A = LLᵀ: u = A⁻¹Ψᵀy/σ² + L⁻ᵀ ε
        L = jnp.linalg.cholesky(jnp.eye(m, dtype=psi.dtype) + psi.T @ psi / s2)
        mean = jsl.cho_solve((L, True), psi.T @ y / s2)
        u = mean + jsl.solve_triangular(L.T, jax.random.normal(k1, (m,), psi.dtype), lower=False)
    return u * jnp.sqrt(t.prior_var)


@jax.jit
def _complete(t: Target, z, keys):
    """Full θ for hidden draws z (k, d_h): the output layers drawn with ``keys`` (k,)."""
    u = jax.vmap(draw_output, in_axes=(None, 0, 0))(t, z, keys)
    theta = jax.vmap(lambda zz: _full(t, zz))(z)
    cols = list(t.layout.output) + ([t.layout.bias] if t.layout.bias is not None else [])
    return theta.at[:, np.asarray(cols)].set(u)


def complete(t: Target, z, key):
    """Full θ of shape z.shape[:-1] + (dim,) for hidden draws z (..., d_h), each output
    layer drawn from its exact conditional."""
    z = jnp.asarray(z)
    flat = z.reshape(-1, z.shape[-1])
    keys = jax.random.split(key, flat.shape[0])
    theta = _complete(t, flat, keys)
    return np.asarray(theta).reshape(z.shape[:-1] + (theta.shape[-1],))


def sample_collapsed(
    post,
    *,
    chains: int = 4,
    warmup: int = 500,
    draws: int = 500,
    seed: int = 0,
    init="prior",
    max_tree_depth: int = 10,
    target_accept: float = 0.9,
    dense_mass: bool = False,
    chain_method: str = "auto",
) -> Samples:
    """Exact posterior draws of a one-hidden-layer network with the output layer integrated
    out: NUTS on (W₁, b₁) under the collapsed likelihood, then (a, c) from their Gaussian
    conditional for each draw (module docstring).

    ``init``: ``"prior"`` (hidden parameters drawn from their prior) or start points of
    shape (chains, dim) in θ's layout (their hidden part is used; e.g. SGD fits). The
    options are NUTS's (:class:`~bayes_uat.samplers.nuts.NUTSBackend`). Returns
    :class:`~bayes_uat.Samples` of the full θ, ``sampler="nuts"``, with NUTS's per-draw
    statistics (of the collapsed target: ``energy`` and the tree depths are those of the
    hidden layer's trajectories), ``stats["log_marginal"]`` = log p(y | W₁, b₁) and
    ``settings["collapsed"] = True``; ``log_density`` is the full log p(θ | D) + const.
    ValueError, before any work, for posteriors it does not apply to
    (:func:`check_collapsible`)."""
    t = make_target(post)
    chains = check_int("chains", chains, 1)
    warmup = check_int("warmup", warmup, 0)
    draws = check_int("draws", draws, 1)
    seed = check_int("seed", seed, 0)
    opts = nuts.BACKEND.validate(
        post,
        chains,
        draws,
        dict(
            max_tree_depth=max_tree_depth,
            target_accept=target_accept,
            dense_mass=dense_mass,
            chain_method=chain_method,
        ),
    )
    z0 = jnp.asarray(_starts(post, init, chains, seed)[:, np.asarray(t.layout.hidden)])
    layout_ = "single" if chains == 1 else opts["chain_method"]
    k = nuts.Kernel(
        opts["dense_mass"], opts["max_tree_depth"], float(opts["target_accept"]), warmup, layout_
    )
    init_fn, run = nuts.programs(k, potential_gen)
    key = jax.random.PRNGKey(seed)
    t0 = time.perf_counter()
    if layout_ == "single":
        state = init_fn(t, z0[0], key)
    else:
        state = init_fn(t, z0, jax.random.split(key, chains))
    _, fields = run(t, state, warmup, draws)
    d = nuts._draws(fields)
    theta = complete(t, np.asarray(d.theta), jax.random.fold_in(key, 1))
    wall = time.perf_counter() - t0
    settings = dict(
        sampler="nuts",
        collapsed=True,
        chains=chains,
        warmup=warmup,
        draws=draws,
        seed=seed,
        init=init if isinstance(init, str) else "given",
        dtype=post.dtype,
        **{k_: v for k_, v in opts.items() if isinstance(v, (str, int, float, bool))},
    )
    return _samples(t, d, theta, settings, layout_, wall)


def _starts(post, init, chains: int, seed: int) -> np.ndarray:
    """Start points (chains, dim): prior draws, or ``init`` checked."""
    if isinstance(init, str):
        if init != "prior":
            raise ValueError(f"init must be 'prior' or an array (chains, dim), got {init!r}")
        return np.asarray(post.prior_sample(jax.random.key(seed + 7919), (chains,)))
    start = np.asarray(init, float)
    if start.shape != (chains, post.dim) or not np.all(np.isfinite(start)):
        raise ValueError(
            f"init must be finite start points of shape (chains, dim) = ({chains}, "
            f"{post.dim}), got shape {start.shape}"
        )
    return start


def _samples(t: Target, d, theta, settings: dict, layout_: str, wall: float) -> Samples:
    """The run as :class:`~bayes_uat.Samples` of the full θ, NUTS's statistics and the
    collapsed likelihood of each draw."""
    post, z = t.posterior, np.asarray(d.theta)
    lm = jax.jit(jax.vmap(lambda zz: log_marginal(t, zz)))(z.reshape(-1, z.shape[-1]))
    stats = dict(d.stats, log_marginal=np.asarray(lm).reshape(z.shape[:2]))
    info = dict(
        warmup=settings["warmup"],
        chain_method="vectorized" if layout_ == "single" else layout_,
        divergences=int(stats["diverging"].sum()),
        max_tree_depth_hits=int((stats["tree_depth"] >= settings["max_tree_depth"]).sum()),
        mean_num_steps=float(stats["num_steps"].mean()),
        output_layer="integrated out: NUTS on the hidden layer, (a, c) from their exact "
        "Gaussian conditional",
        factorisation=f"{t.layout.form} × {t.layout.form}",
    )
    return Samples(
        theta=theta,
        log_density=np.asarray(post.log_density(theta)),
        sampler="nuts",
        names=post.names,
        stats=stats,
        info=info,
        settings=settings,
        wall_time=wall,
        seed=settings["seed"],
    )
