"""The posterior over θ: network + data + prior + likelihood, as one log-density.

    log p(θ | D) = log p(θ) + Σₖ log p(yₖ | f_θ(xₖ))   (+ const)

Prior: isotropic Gaussian N(0, s²) on every network weight (the blog uses s = 30).

Likelihoods:

``"mse"``
    the blog's log-likelihood, −mean((y − f)²).  It is a Gaussian with σ² = n/2:
    log N(y | f, n/2) = −(y − f)²/n − ½ log(πn), summed over points gives
    −mean((y − f)²) − (n/2) log(πn).  The sampled density is this Gaussian, so pointwise
    values are proper log densities (for LOO); the blog's number is ``-posterior.mse(θ)``.
``"gaussian"``
    y ~ N(f, σ²) with σ = ``noise_std`` fixed, or, when ``noise_std`` is None, inferred:
    θ gains a last entry log σ with a half-normal prior on σ of scale ``sigma_scale``
    (default: the standard deviation of y), Jacobian included.

Every log-density value that is not finite is returned as −inf, never NaN.

Example
-------
>>> from bayes_uat import MLP, Posterior, make_dataset
>>> post = Posterior(MLP(2, "sigmoid"), make_dataset("x2"), prior_std=30.0)
>>> post.dim
7
>>> lp = post.log_prob(post.net.init(__import__("jax").random.key(0)))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from .data import Dataset
from .nets import MLP
from .runtime import default_compilation_cache

LIKELIHOODS = ("mse", "gaussian")
_LOG_2PI = math.log(2 * math.pi)


def default_dtype() -> str:
    """float64 on CPU (cheap there, and robust) when JAX's 64-bit mode is on
    (:func:`bayes_uat.enable_x64`); float32 on accelerators or without that mode."""
    if jax.default_backend() == "cpu" and jax.config.jax_enable_x64:
        return "float64"
    return "float32"


def _positive(name: str, v, fix: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {v!r}; {fix}")
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite number, got {v!r}; {fix}")
    return v


@dataclass(frozen=True, eq=False)
class Posterior:
    """Bayesian posterior of an :class:`~bayes_uat.MLP` given a :class:`~bayes_uat.Dataset`.

    Args:
        net: the network.
        data: the observations.
        prior_std: standard deviation s of the N(0, s²) prior on each weight.
        likelihood: ``"mse"`` (the blog's) or ``"gaussian"``.
        noise_std: σ for the Gaussian likelihood; None infers it.
        sigma_scale: scale of the half-normal prior on an inferred σ (default std(y)).
        dtype: ``"float64"`` or ``"float32"``; default float64 on CPU when JAX's 64-bit
            mode is on (:func:`bayes_uat.enable_x64`), else float32.
    """

    net: MLP
    data: Dataset
    prior_std: float = 30.0
    likelihood: str = "mse"
    noise_std: float | None = None
    sigma_scale: float | None = None
    dtype: str | None = None
    _fns: dict = field(init=False, repr=False)

    def __post_init__(self):
        if not isinstance(self.net, MLP):
            raise ValueError(f"net must be a bayes_uat.MLP, got {type(self.net).__name__}")
        if not isinstance(self.data, Dataset):
            raise ValueError(
                f"data must be a bayes_uat.Dataset (make_dataset or load_dataset), "
                f"got {type(self.data).__name__}"
            )
        if self.data.in_dim != self.net.in_dim:
            raise ValueError(
                f"the data have {self.data.in_dim}-dimensional x but the network expects "
                f"in_dim={self.net.in_dim}; build MLP(..., in_dim={self.data.in_dim})"
            )
        object.__setattr__(
            self, "prior_std", _positive("prior_std", self.prior_std, "pass e.g. prior_std=30.0")
        )
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {self.likelihood!r}: choose one of {', '.join(LIKELIHOODS)}"
            )
        if self.noise_std is not None:
            if self.likelihood != "gaussian":
                raise ValueError(
                    "noise_std applies to likelihood='gaussian' only; the 'mse' "
                    "likelihood fixes σ² = n/2"
                )
            object.__setattr__(
                self,
                "noise_std",
                _positive("noise_std", self.noise_std, "or pass noise_std=None to infer σ"),
            )
        if self.sigma_scale is None:
            object.__setattr__(self, "sigma_scale", float(max(np.std(self.data.y), 1e-3)))
        object.__setattr__(
            self,
            "sigma_scale",
            _positive("sigma_scale", self.sigma_scale, "it is the scale of σ's half-normal prior"),
        )
        dtype = self.dtype or default_dtype()
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        if dtype == "float64" and not jax.config.jax_enable_x64:
            raise ValueError(
                "dtype='float64' needs JAX's 64-bit mode, which is off: call "
                "bayes_uat.enable_x64() before building the Posterior, or pass dtype='float32'"
            )
        object.__setattr__(self, "dtype", dtype)
        default_compilation_cache()
        object.__setattr__(self, "_fns", self._build())

    # -- layout ---------------------------------------------------------------------------
    @property
    def infers_sigma(self) -> bool:
        return self.likelihood == "gaussian" and self.noise_std is None

    @property
    def dim(self) -> int:
        return self.net.dim + int(self.infers_sigma)

    @property
    def names(self) -> tuple[str, ...]:
        return self.net.names + (("log_sigma",) if self.infers_sigma else ())

    @property
    def labels(self) -> tuple[str, ...]:
        return self.net.labels + ((r"$\log\sigma$",) if self.infers_sigma else ())

    def net_params(self, theta):
        """The network part of θ (drops log σ when it is inferred)."""
        return jnp.asarray(theta)[..., : self.net.dim]

    # -- densities ------------------------------------------------------------------------
    def _build(self) -> dict:
        dt = jnp.dtype(self.dtype)
        x = jnp.asarray(self.data.x, dtype=dt)
        y = jnp.asarray(self.data.y, dtype=dt)
        n, s, net = self.data.n, self.prior_std, self.net
        d_net = net.dim

        def pointwise(theta):
            theta = jnp.asarray(theta, dtype=dt)
            r = y - net.apply(theta[:d_net], x)
            if self.likelihood == "mse":
                return -(r**2) / n - 0.5 * math.log(math.pi * n)
            if self.infers_sigma:
                log_sigma = theta[d_net]
            else:
                log_sigma = jnp.asarray(math.log(self.noise_std), dt)
            return -0.5 * (r * jnp.exp(-log_sigma)) ** 2 - log_sigma - 0.5 * _LOG_2PI

        def log_prior(theta):
            theta = jnp.asarray(theta, dtype=dt)
            w = theta[:d_net]
            lp = -0.5 * jnp.sum((w / s) ** 2) - d_net * (math.log(s) + 0.5 * _LOG_2PI)
            if self.infers_sigma:
                u = theta[d_net]  # log σ; half-normal on σ plus the Jacobian dσ/du = σ
                sc = self.sigma_scale
                lp = lp + (
                    0.5 * math.log(2 / math.pi) - math.log(sc) - 0.5 * (jnp.exp(u) / sc) ** 2 + u
                )
            return lp

        def finite(v):
            return jnp.where(jnp.isfinite(v), v, -jnp.inf)

        def log_density(theta):
            return finite(log_prior(theta) + jnp.sum(pointwise(theta)))

        def batched(f, out_ndim=0):
            single = jax.jit(f)
            many = jax.jit(jax.vmap(f))

            # This wrapper sits in emcee's inner loop (two calls per step): it hands arrays
            # to the compiled function as they are, converting only what is not an array.
            def call(theta):
                if not isinstance(theta, (np.ndarray, jax.Array)):
                    theta = np.asarray(theta, dtype=float)
                shape = theta.shape
                if len(shape) == 0 or shape[-1] != self.dim:
                    raise ValueError(
                        f"θ must have last dimension {self.dim} ({', '.join(self.names)}), "
                        f"got shape {shape}"
                    )
                if len(shape) == 1:
                    return single(theta)
                if len(shape) == 2:
                    return many(theta)
                out = many(theta.reshape(-1, self.dim))
                return out.reshape(shape[:-1] + out.shape[1:])

            return call

        return dict(
            log_density=log_density,
            pointwise=pointwise,
            log_prior=log_prior,
            log_prob=batched(log_density),
            log_prior_b=batched(lambda t: finite(log_prior(t))),
            log_lik=batched(lambda t: finite(jnp.sum(pointwise(t)))),
            pointwise_b=batched(pointwise),
            mse=batched(lambda t: jnp.mean((y - net.apply(jnp.asarray(t, dt)[:d_net], x)) ** 2)),
            value_and_grad=jax.jit(jax.value_and_grad(log_density)),
            x=x,
            y=y,
        )

    @property
    def log_density(self):
        """The pure single-θ log-density ``θ ↦ log p(θ | D) + const`` (not jitted): the
        one interface every sampler uses (NUTS: its negative as potential_fn)."""
        return self._fns["log_density"]

    def log_prob(self, theta):
        """log p(θ | D) + const for θ of shape (..., dim), jitted and vmapped."""
        return self._fns["log_prob"](theta)

    def log_prior(self, theta):
        """log p(θ), for θ of shape (..., dim)."""
        return self._fns["log_prior_b"](theta)

    def log_likelihood(self, theta):
        """log p(D | θ) summed over points, for θ of shape (..., dim)."""
        return self._fns["log_lik"](theta)

    def pointwise_log_likelihood(self, theta):
        """log p(yₖ | θ) for each point, shape (..., n) (for PSIS-LOO / WAIC)."""
        return self._fns["pointwise_b"](theta)

    def mse(self, theta):
        """Mean squared error of f_θ on the data; the blog's 'LOSS' is ``-mse``."""
        return self._fns["mse"](theta)

    def value_and_grad(self, theta):
        """(log p(θ | D), ∇θ log p(θ | D)) for one θ."""
        return self._fns["value_and_grad"](jnp.asarray(theta, dtype=self.dtype))

    def predict(self, theta, x=None):
        """f_θ(x) for θ of shape (..., dim); x defaults to the data's x."""
        x = self._fns["x"] if x is None else jnp.asarray(x, dtype=self.dtype)
        return self.net.apply(self.net_params(jnp.asarray(theta, dtype=self.dtype)), x)

    def sigma(self, theta):
        """The noise σ implied by θ (inferred, fixed, or √(n/2) for 'mse')."""
        theta = jnp.asarray(theta)
        if self.infers_sigma:
            return jnp.exp(theta[..., self.net.dim])
        s = self.noise_std if self.likelihood == "gaussian" else math.sqrt(self.data.n / 2)
        return jnp.full(theta.shape[:-1], s)

    def prior_sample(self, key, shape=()):
        """Draws from the prior, shape (*shape, dim)."""
        k1, k2 = jax.random.split(key)
        w = self.prior_std * jax.random.normal(k1, shape + (self.net.dim,), dtype=self.dtype)
        if not self.infers_sigma:
            return w
        sig = self.sigma_scale * jnp.abs(jax.random.normal(k2, shape + (1,), dtype=self.dtype))
        return jnp.concatenate([w, jnp.log(sig)], axis=-1)

    def check_point(self, theta, what: str = "initial point") -> None:
        """Raise a ValueError naming the rows of θ (shape (..., dim)) whose log-density is
        not finite."""
        theta = np.asarray(theta, dtype=float)
        lp = np.asarray(self.log_prob(theta))
        bad = ~np.isfinite(lp)
        if bad.any():
            idx = np.argwhere(np.atleast_1d(bad))[:5].tolist()
            raise ValueError(
                f"{what}: log-density is not finite at {int(bad.sum())} of {bad.size} "
                f"point(s) (first indices {idx}); start from finite values, e.g. init='prior' "
                "or init='sgd'"
            )

    def config(self) -> dict:
        """The model part of a run configuration (JSON-serialisable)."""
        return dict(
            units=list(self.net.units),
            activation=self.net.activation,
            in_dim=self.net.in_dim,
            prior_std=self.prior_std,
            likelihood=self.likelihood,
            noise_std=self.noise_std,
            sigma_scale=self.sigma_scale,
            dtype=self.dtype,
        )
