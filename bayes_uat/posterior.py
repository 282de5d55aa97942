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
>>> lp = post.log_density(post.net.init(__import__("jax").random.key(0)))
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from . import priors as priors_mod
from .data import Dataset
from .encoding import FourierFeatures
from .nets import MLP
from .runtime import default_compilation_cache

LIKELIHOODS = ("mse", "gaussian", "student_t", "bernoulli", "categorical")
_CLASSIFIERS = ("bernoulli", "categorical")
NOISE_PARAMS = ("scale", "precision", "variance")
_LOG_2PI = math.log(2 * math.pi)


def default_dtype() -> str:
    """float64 on CPU (cheap there, and robust) when JAX's 64-bit mode is on
    (:func:`bayes_uat.enable_x64`); float32 on accelerators or without that mode."""
    if jax.default_backend() == "cpu" and jax.config.jax_enable_x64:
        return "float64"
    return "float32"


# degrees of freedom of the Student-t likelihood that compute: the Hessian of the modes
# stays finite down to 0.01, and lgamma((df+1)/2) − lgamma(df/2) keeps its digits to 1e6
DF_RANGE = (0.01, 1e6)


def _positive(name: str, v, fix: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name} must be a positive number, got {v!r}; {fix}")
    v = float(v)
    if not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be a positive finite number, got {v!r}; {fix}")
    return v


def _finite(v):
    """v where finite, −∞ elsewhere (NaN densities become impossible points)."""
    return jnp.where(jnp.isfinite(v), v, -jnp.inf)


def _int32_labels(y) -> np.ndarray:
    """y as int32 class labels, converted as XLA converts (toward zero, saturating, NaN to
    0) but on the host: no compiled program for it (a classifier's labels are checked
    integers; for the other likelihoods the array is unused)."""
    y = np.nan_to_num(np.asarray(y, dtype=float), nan=0.0)
    info = np.iinfo(np.int32)
    return np.clip(y, info.min, info.max).astype(np.int32)


@jax.tree_util.register_pytree_node_class
@dataclass(frozen=True, eq=False)
class Posterior:
    """Bayesian posterior of an :class:`~bayes_uat.MLP` given a :class:`~bayes_uat.Dataset`.

    Args:
        net: the network.
        data: the observations.
        prior_std: standard deviation s of the N(0, s²) prior on each weight.
        prior: priors per parameter group (:mod:`bayes_uat.priors`): None (N(0, prior_std²)
            on everything), one numpyro distribution or normal scale for every parameter, or
            a mapping such as ``{"w1": Normal(0, 1), "a": "laplace(0, 2)"}``.
        likelihood: ``"mse"`` (the blog's), ``"gaussian"``, ``"student_t"`` (Student-t
            noise with ``df`` degrees of freedom and scale σ, robust to outliers) or
            ``"bernoulli"`` (binary classification: y ∈ {0, 1}, f(x) is the logit) or
            ``"categorical"`` (K classes: y ∈ {0, …, K−1}, the network's K = out_dim outputs
            are the logits, p(y = k | x, θ) = softmax(f_θ(x))_k).
        noise_std: σ for the Gaussian or Student-t likelihood; None infers it.
        sigma_scale: scale of the half-normal prior on an inferred σ (default std(y)).
        noise_param: what θ's noise entry is the logarithm of: ``"scale"`` σ (default),
            ``"precision"`` 1/σ² or ``"variance"`` σ².
        noise_prior: prior on that quantity (a positive-support numpyro distribution or a
            spec such as ``"gamma(3, 1)"``); default half-normal(sigma_scale) on σ, required
            for the precision and variance parameterisations.
        df: degrees of freedom of the Student-t likelihood (default 4).
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
    prior: object = None
    noise_param: str = "scale"
    noise_prior: object = None
    df: float | None = None
    _fns: dict = field(init=False, repr=False)
    _priors: list = field(init=False, repr=False)

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
        std = _positive("prior_std", self.prior_std, "pass e.g. prior_std=30.0")
        object.__setattr__(self, "prior_std", priors_mod.check_scale("prior_std", std))
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(
                f"unknown likelihood {self.likelihood!r}: choose one of {', '.join(LIKELIHOODS)}"
            )
        # the default prior needs no checking: its numpyro distributions (numpyro's import
        # is the slowest of the first posterior's) are built when first asked for
        groups = None
        if self.prior is not None:
            groups = priors_mod.group_priors(self.net, self.prior, self.prior_std)
        object.__setattr__(self, "_priors", groups)
        self._check_noise()
        _check_outputs(self.likelihood, self.net)
        if self.likelihood == "bernoulli":
            _check_labels(self.data.y)
        if self.likelihood == "categorical":
            check_class_labels(self.data.y, self.net.out_dim)
        if self.noise_std is not None:
            if self.likelihood in ("mse",) + _CLASSIFIERS:
                raise ValueError(
                    "noise_std applies to likelihood='gaussian' or 'student_t' only; the 'mse' "
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
        object.__setattr__(self, "_fns", {})
        self._fns.update(leaves=self._leaves(), static=self._static())

    def _check_noise(self) -> None:
        if self.noise_param not in NOISE_PARAMS:
            raise ValueError(
                f"unknown noise_param {self.noise_param!r}: choose one of {', '.join(NOISE_PARAMS)}"
            )
        if self.likelihood == "student_t":
            df = _positive("df", 4.0 if self.df is None else self.df, "e.g. df=4")
            if not DF_RANGE[0] <= df <= DF_RANGE[1]:
                raise ValueError(
                    f"df must be in [{DF_RANGE[0]:g}, {DF_RANGE[1]:g}], got {df!r}: below, "
                    "(1 + r²/df) overflows; above, the Student-t is a Gaussian "
                    "(--likelihood gaussian) and its normaliser loses its digits"
                )
            object.__setattr__(self, "df", df)
        elif self.df is not None:
            raise ValueError("df applies to likelihood='student_t' only")
        touched = self.noise_prior is not None or self.noise_param != "scale"
        if self.likelihood in _CLASSIFIERS and (touched or self.noise_std is not None):
            raise ValueError(
                f"the {self.likelihood} likelihood has no noise: drop noise_std/noise_prior"
            )
        if touched and (self.likelihood in ("mse",) + _CLASSIFIERS or self.noise_std is not None):
            raise ValueError(
                "noise_prior and noise_param apply when σ is inferred (likelihood='gaussian' or "
                "'student_t' without noise_std)"
            )
        if self.noise_prior is None and self.noise_param != "scale":
            raise ValueError(
                f"noise_param={self.noise_param!r} needs noise_prior=, e.g. "
                "numpyro.distributions.Gamma(3.0, 1.0) or 'gamma(3, 1)' for a precision"
            )
        if self.noise_prior is not None:
            object.__setattr__(
                self, "noise_prior", priors_mod._as_dist(self.noise_prior, "noise", "positive")
            )

    # -- layout ---------------------------------------------------------------------------
    @property
    def infers_sigma(self) -> bool:
        return self.likelihood in ("gaussian", "student_t") and self.noise_std is None

    @property
    def dim(self) -> int:
        return self.net.dim + int(self.infers_sigma)

    @property
    def noise_name(self) -> str:
        """Name of θ's noise entry: log_sigma, log_precision or log_variance."""
        return {"scale": "log_sigma", "precision": "log_precision", "variance": "log_variance"}[
            self.noise_param
        ]

    @property
    def names(self) -> tuple[str, ...]:
        return self.net.names + ((self.noise_name,) if self.infers_sigma else ())

    @property
    def labels(self) -> tuple[str, ...]:
        lab = {"scale": r"$\log\sigma$", "precision": r"$\log\tau$", "variance": r"$\log\sigma^2$"}
        return self.net.labels + ((lab[self.noise_param],) if self.infers_sigma else ())

    @property
    def group_priors(self) -> list:
        """The prior of each parameter group (:class:`bayes_uat.priors.GroupPrior`)."""
        return list(self._groups())

    def _groups(self) -> list:
        if self._priors is None:  # the default N(0, prior_std²), resolved on first use
            groups = priors_mod.group_priors(self.net, None, self.prior_std)
            object.__setattr__(self, "_priors", groups)
        return self._priors

    def symmetry_notes(self) -> list[str]:
        """Symmetries of the likelihood that this prior breaks, in words."""
        return priors_mod.symmetry_notes(self.net, self._groups())

    def _log_sigma(self, u):
        """log σ from θ's noise entry u (the log of the scale, precision or variance)."""
        return {"scale": u, "precision": -0.5 * u, "variance": 0.5 * u}[self.noise_param]

    def net_params(self, theta):
        """The network part of θ (drops log σ when it is inferred)."""
        return jnp.asarray(theta)[..., : self.net.dim]

    # -- densities ------------------------------------------------------------------------
    # The posterior is a JAX pytree: its data and numeric settings are the leaves, the network,
    # likelihood kind, dtype and prior structure the static part.  Every density below is a
    # module-level jitted function of (posterior, θ), so one compiled program serves every
    # posterior with the same network and data shapes (a sweep over seeds or data sets
    # compiles once).

    def _leaves(self) -> dict:
        """The array and number leaves, computed once from the data and settings; the derived
        constants are the Python floats the densities add, so their values do not change."""
        dt = jnp.dtype(self.dtype)
        s, df = self.prior_std, self.df
        return dict(
            x=jnp.asarray(self.data.x, dtype=dt),
            y=jnp.asarray(self.data.y, dtype=dt),
            labels=jax.device_put(_int32_labels(self.data.y)),
            prior_std=s,
            prior_norm=self.net.dim * (math.log(s) + 0.5 * _LOG_2PI),
            sigma_scale=self.sigma_scale,
            log_sigma_scale=math.log(self.sigma_scale),
            half_normal=0.5 * math.log(2 / math.pi) - math.log(self.sigma_scale),
            noise_std=self.noise_std,
            log_noise=None if self.noise_std is None else math.log(self.noise_std),
            t_const=(
                math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
                if df is not None
                else None
            ),
        )

    def _static(self) -> tuple:
        """What a compiled program depends on besides array shapes: compared by value for the
        network and settings, by identity for user-given prior distributions."""
        plain = self._plain_prior()
        return (
            self.net,
            self.likelihood,
            self.dtype,
            self.noise_param,
            self.df,
            self.data.n,
            plain,
            None if plain else _Same(self._priors),
            _Same(self.noise_prior),
            _Same(self.prior),
        )

    def _plain_prior(self) -> bool:
        """Whether the prior is N(0, prior_std²) on every weight (computed in closed form)."""
        s = self.prior_std
        return self.prior is None or (
            all(type(g.dist).__name__ == "Normal" for g in self._priors)
            and all(float(g.dist.loc) == 0 and float(g.dist.scale) == s for g in self._priors)
        )

    @property
    def data_arrays(self) -> dict:
        """The data as arrays in the posterior's dtype (``x``, ``y``, integer ``labels``)
        and the numeric settings, traced inside compiled functions."""
        return self._fns["leaves"]

    @property
    def n_data(self) -> int:
        """The number of data points."""
        return self._fns["static"][5]

    def tree_flatten(self):
        return (self._fns["leaves"],), self._fns["static"]

    @classmethod
    def tree_unflatten(cls, static, children):
        """A posterior of traced leaves, for use inside compiled functions only (no data
        object, no validation)."""
        (leaves,) = children
        net, lik, dtype, noise_param, df, n, plain, priors, noise_prior, prior = static
        obj = object.__new__(cls)
        for k, v in dict(
            net=net,
            data=None,
            prior_std=leaves["prior_std"],
            likelihood=lik,
            noise_std=leaves["noise_std"],
            sigma_scale=leaves["sigma_scale"],
            dtype=dtype,
            prior=prior.obj,
            noise_param=noise_param,
            noise_prior=noise_prior.obj,
            df=df,
            _fns=dict(leaves=leaves, static=static),
            _priors=None if priors is None else priors.obj,
        ).items():
            object.__setattr__(obj, k, v)
        return obj

    def _pointwise_one(self, theta):
        """θ ↦ the log-likelihood of each data point, shape (n,)."""
        lv = self._fns["leaves"]
        dt = jnp.dtype(self.dtype)
        x, y, labels = lv["x"], lv["y"], lv["labels"]
        n, net, df = self._fns["static"][5], self.net, self.df
        d_net = net.dim
        theta = jnp.asarray(theta, dtype=dt)
        if self.likelihood == "categorical":  # log softmax(f)_y
            logp = jax.nn.log_softmax(net.apply(theta[:d_net], x), axis=-1)
            return jnp.take_along_axis(logp, labels[:, None], axis=-1)[:, 0]
        r = y - net.apply(theta[:d_net], x)
        if self.likelihood == "mse":
            return -(r**2) / n - 0.5 * math.log(math.pi * n)
        if self.likelihood == "bernoulli":  # f is the logit: y f − log(1 + eᶠ)
            f = y - r
            return y * f - jnp.logaddexp(0.0, f)
        if self.infers_sigma:
            log_sigma = self._log_sigma(theta[d_net])
        else:
            log_sigma = jnp.asarray(lv["log_noise"], dt)
        z = r * jnp.exp(-log_sigma)
        if self.likelihood == "student_t":
            return lv["t_const"] - 0.5 * (df + 1) * jnp.log1p(z**2 / df) - log_sigma
        return -0.5 * z**2 - log_sigma - 0.5 * _LOG_2PI

    def _log_prior_one(self, theta):
        """θ ↦ log p(θ): the group priors plus, when σ is inferred, the prior on its
        parameterisation with the Jacobian of u = log(σ, τ or σ²)."""
        lv = self._fns["leaves"]
        theta = jnp.asarray(theta, dtype=jnp.dtype(self.dtype))
        d_net = self.net.dim
        if self._fns["static"][6]:  # the default N(0, s²) on everything, in closed form
            w = theta[:d_net]
            lp = -0.5 * jnp.sum((w / lv["prior_std"]) ** 2) - lv["prior_norm"]
        else:
            lp = sum(jnp.sum(g.dist.log_prob(theta[g.index])) for g in self._priors)
        if self.infers_sigma:
            u = theta[d_net]  # log of σ, τ or σ²; the prior on that plus the Jacobian
            if self.noise_prior is None:  # half-normal on σ
                sc = lv["sigma_scale"]
                lp = lp + (lv["half_normal"] - 0.5 * (jnp.exp(u) / sc) ** 2 + u)
            else:
                lp = lp + self.noise_prior.log_prob(jnp.exp(u)) + u
        return lp

    def _log_density_one(self, theta):
        return _finite(self._log_prior_one(theta) + jnp.sum(self._pointwise_one(theta)))

    def _mse_one(self, theta):
        """Mean squared error of f on y; for the categorical likelihood the Brier score,
        mean over points of Σ_k (softmax(f)_k − [y = k])²."""
        lv = self._fns["leaves"]
        w = jnp.asarray(theta, jnp.dtype(self.dtype))[: self.net.dim]
        f = self.net.apply(w, lv["x"])
        if self.likelihood != "categorical":
            return jnp.mean((lv["y"] - f) ** 2)
        onehot = jax.nn.one_hot(lv["labels"], self.net.out_dim, dtype=f.dtype)
        return jnp.mean(jnp.sum((jax.nn.softmax(f, axis=-1) - onehot) ** 2, axis=-1))

    def _call(self, fns, theta):
        """A (single, batched) pair of compiled functions at θ of shape (dim,), (k, dim) or
        (..., dim), with the shape checked."""
        # This sits in emcee's inner loop (two calls per step): arrays go to the compiled
        # function as they are, only what is not an array is converted.
        if not isinstance(theta, (np.ndarray, jax.Array)):
            theta = np.asarray(theta, dtype=float)
        shape = theta.shape
        if len(shape) == 0 or shape[-1] != self.dim:
            raise ValueError(
                f"θ must have last dimension {self.dim} ({', '.join(self.names)}), "
                f"got shape {shape}"
            )
        single, many = fns
        if len(shape) == 1:
            return single(self, theta)
        if len(shape) == 2:
            return many(self, theta)
        out = many(self, theta.reshape(-1, self.dim))
        return out.reshape(shape[:-1] + out.shape[1:])

    @property
    def log_density_fn(self):
        """The single-θ log-density ``θ ↦ log p(θ | D) + const`` as a
        :class:`jax.tree_util.Partial` over this posterior: a pure function and a pytree, so
        a compiled function that takes it as an argument serves every posterior of the same
        shapes (the JAX ensemble's target; NUTS's potential is its negative)."""
        return jax.tree_util.Partial(log_density_at, self)

    def log_density(self, theta):
        """The log-density log p(θ | D) + const for θ of shape (..., dim): the batched,
        jitted :attr:`log_density_fn` (emcee takes this method as its log-probability)."""
        return self._call(_LOG_DENSITY, theta)

    def log_prior(self, theta):
        """log p(θ), for θ of shape (..., dim)."""
        return self._call(_LOG_PRIOR, theta)

    def log_likelihood(self, theta):
        """log p(D | θ) summed over points, for θ of shape (..., dim)."""
        return self._call(_LOG_LIK, theta)

    def pointwise_log_likelihood(self, theta):
        """log p(yₖ | θ) for each point, shape (..., n) (for PSIS-LOO / WAIC)."""
        return self._call(_POINTWISE, theta)

    def mse(self, theta):
        """Mean squared error of f_θ on the data; the blog's 'LOSS' is ``-mse``; for the
        categorical likelihood the Brier score of the class probabilities."""
        return self._call(_MSE, theta)

    def value_and_grad(self, theta):
        """(log p(θ | D), ∇θ log p(θ | D)) for one θ."""
        return _VALUE_AND_GRAD(self, jnp.asarray(theta, dtype=self.dtype))

    def hessian(self, theta):
        """The Hessian of log p(θ | D) at one θ, shape (dim, dim)."""
        return _HESSIAN(self, jnp.asarray(theta, dtype=self.dtype))

    def predict(self, theta, x=None):
        """f_θ(x) for θ of shape (..., dim); x defaults to the data's x."""
        x = self._fns["leaves"]["x"] if x is None else jnp.asarray(x, dtype=self.dtype)
        return self.net.apply(self.net_params(jnp.asarray(theta, dtype=self.dtype)), x)

    def sigma(self, theta):
        """The noise σ implied by θ (inferred, fixed, or √(n/2) for 'mse')."""
        theta = jnp.asarray(theta)
        if self.infers_sigma:
            return jnp.exp(self._log_sigma(theta[..., self.net.dim]))
        if self.likelihood in _CLASSIFIERS:
            return jnp.full(theta.shape[:-1], jnp.nan)  # no noise scale: labels are Bernoulli
        s = self.noise_std if self.likelihood != "mse" else math.sqrt(self.data.n / 2)
        return jnp.full(theta.shape[:-1], s)

    def probability(self, theta, x=None):
        """P(y = 1 | x, θ) = sigmoid(f_θ(x)) under the bernoulli likelihood, shape (..., n);
        the class probabilities softmax(f_θ(x)), shape (..., n, K), under the categorical."""
        if self.likelihood == "categorical":
            return jax.nn.softmax(self.predict(theta, x), axis=-1)
        if self.likelihood != "bernoulli":
            raise ValueError(
                "probability() needs likelihood='bernoulli' or 'categorical'; use predict() "
                "for f(x)"
            )
        return jax.nn.sigmoid(self.predict(theta, x))

    def prior_sample(self, key, shape=()):
        """Draws from the prior, shape (*shape, dim)."""
        k1, k2 = jax.random.split(key)
        keys = jax.random.split(k1, len(self._groups()))
        w = jnp.zeros(shape + (self.net.dim,), dtype=self.dtype)
        for k, g in zip(keys, self._groups()):
            draw = g.dist.sample(k, shape + (len(g.index),))
            w = w.at[..., g.index].set(draw.astype(self.dtype))
        if not self.infers_sigma:
            return w
        if self.noise_prior is None:
            q = self.sigma_scale * jnp.abs(jax.random.normal(k2, shape + (1,), dtype=self.dtype))
        else:
            q = self.noise_prior.sample(k2, shape + (1,)).astype(self.dtype)
        return jnp.concatenate([w, jnp.log(q)], axis=-1)

    def check_point(self, theta, what: str = "initial point") -> None:
        """Raise a ValueError naming the rows of θ (shape (..., dim)) whose log-density is
        not finite."""
        theta = np.asarray(theta, dtype=float)
        lp = np.asarray(self.log_density(theta))
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
            encoding=None if self.net.encoding is None else self.net.encoding.config(),
            out_dim=self.net.out_dim,
            prior_std=self.prior_std,
            likelihood=self.likelihood,
            noise_std=self.noise_std,
            sigma_scale=self.sigma_scale,
            dtype=self.dtype,
            bias=list(self.net.biases),
            prior={g.name: g.spec for g in self._groups()},
            noise_param=self.noise_param,
            noise_prior=None if self.noise_prior is None else priors_mod.to_spec(self.noise_prior),
            df=self.df,
        )


class _Same:
    """Static data compared by identity (user-given distributions): equal only to itself."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj

    def __hash__(self):
        return id(self.obj)


def log_density_at(posterior: Posterior, theta):
    """log p(θ | D) + const for one θ: the pure function behind :attr:`Posterior.log_density_fn`
    (a posterior of traced leaves inside a compiled function)."""
    return posterior._log_density_one(theta)


def log_prior_at(posterior: Posterior, theta):
    """log p(θ) for one θ (not floored: −inf and NaN pass through)."""
    return posterior._log_prior_one(theta)


def pointwise_at(posterior: Posterior, theta):
    """log p(yₖ | θ) of each point for one θ, shape (n,)."""
    return posterior._pointwise_one(theta)


def _pair(f):
    """(single-θ, batched) compiled versions of ``f(posterior, θ)``."""
    return jax.jit(f), jax.jit(jax.vmap(f, in_axes=(None, 0)))


_LOG_DENSITY = _pair(log_density_at)
_LOG_PRIOR = _pair(lambda p, t: _finite(log_prior_at(p, t)))
_LOG_LIK = _pair(lambda p, t: _finite(jnp.sum(pointwise_at(p, t))))
_POINTWISE = _pair(pointwise_at)
_MSE = _pair(lambda p, t: p._mse_one(t))
_VALUE_AND_GRAD = jax.jit(jax.value_and_grad(log_density_at, argnums=1))
_HESSIAN = jax.jit(jax.hessian(log_density_at, argnums=1))


def _check_labels(y: np.ndarray) -> None:
    """Binary labels: every y is 0 or 1, and both occur."""
    ok = np.isin(y, (0.0, 1.0))
    if not ok.all():
        i = int(np.argmin(ok))
        raise ValueError(
            f"the bernoulli likelihood needs labels 0 or 1, got y[{i}] = {float(y[i])!r}; "
            "encode the two classes as 0 and 1"
        )
    if len(np.unique(y)) < 2:
        raise ValueError(
            f"the labels hold one class only ({int(y[0])}): a classifier needs both 0 and 1"
        )


def _check_outputs(likelihood: str, net: MLP) -> None:
    """The categorical likelihood needs K ≥ 2 outputs; every other one needs one output."""
    if likelihood == "categorical" and net.out_dim < 2:
        raise ValueError(
            "likelihood='categorical' needs one output per class: build MLP(..., out_dim=K) "
            f"with K ≥ 2 classes, got out_dim={net.out_dim}"
        )
    if likelihood != "categorical" and net.out_dim != 1:
        raise ValueError(
            f"likelihood={likelihood!r} needs a network with one output, got out_dim="
            f"{net.out_dim}; use likelihood='categorical' for K-class labels"
        )


def n_classes(y) -> int:
    """K for integer labels 0 … K−1: the largest label + 1 (2 where the labels are not
    non-negative integers, so that :func:`check_class_labels` names the bad label)."""
    y = np.asarray(y)
    if y.size and np.all(np.isfinite(y) & (y == np.round(y)) & (y >= 0)):
        return max(int(y.max()) + 1, 2)
    return 2


def check_class_labels(y, n_classes: int) -> None:
    """Class labels for a K-class categorical likelihood: integers 0 … K−1, every class
    present (a class without a point is most likely a wrong K or a mislabelled file)."""
    y = np.asarray(y)
    integral = np.isfinite(y) & (y == np.round(y))
    if not integral.all():
        i = int(np.argmin(integral))
        raise ValueError(
            f"the categorical likelihood needs integer class labels 0 … {n_classes - 1}, got "
            f"y[{i}] = {float(y[i])!r}; encode the classes as integers 0, 1, …, K−1"
        )
    inside = (y >= 0) & (y < n_classes)
    if not inside.all():
        i = int(np.argmin(inside))
        raise ValueError(
            f"label y[{i}] = {int(y[i])} is outside 0 … {n_classes - 1} for out_dim={n_classes}; "
            f"build MLP(..., out_dim={int(y.max()) + 1}) or relabel the classes as 0 … K−1"
        )
    present = np.unique(y.astype(int))
    if len(present) < 2:
        raise ValueError(
            f"the labels hold one class only ({int(present[0])}): a classifier needs at least "
            "two classes"
        )
    missing = sorted(set(range(n_classes)) - set(present.tolist()))
    if missing:
        raise ValueError(
            f"class(es) {missing} have no point among the labels 0 … {n_classes - 1}; relabel "
            f"the classes as 0 … {len(present) - 1} and use out_dim={len(present)}"
        )


def posterior_from_config(data: Dataset, model: dict) -> Posterior:
    """Rebuild a :class:`Posterior` from the model part of a configuration
    (:meth:`Posterior.config`), as stored in run records; keys it lacks take their defaults."""
    bias = model.get("bias", True)
    enc = model.get("encoding")
    net = MLP(
        tuple(model["units"]),
        model["activation"],
        in_dim=model.get("in_dim", 1),
        bias=tuple(bias) if isinstance(bias, list) else bias,
        encoding=None if enc is None else FourierFeatures.from_config(enc),
        out_dim=model.get("out_dim", 1),
    )
    return Posterior(
        net,
        data,
        prior_std=model.get("prior_std", 30.0),
        likelihood=model.get("likelihood", "mse"),
        noise_std=model.get("noise_std"),
        sigma_scale=model.get("sigma_scale"),
        dtype=model.get("dtype"),
        prior=model.get("prior") or None,
        noise_param=model.get("noise_param", "scale"),
        noise_prior=model.get("noise_prior"),
        df=model.get("df"),
    )
