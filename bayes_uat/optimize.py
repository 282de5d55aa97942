"""SGD / Adam training and MAP search, many restarts at once.

Each restart is an independent optimisation from its own initialisation; all restarts run
together under ``jax.vmap`` inside one ``lax.scan`` over steps, so 100 restarts cost little
more than one.

Losses:

``"sse"``
    the blog's training loss, Σₖ (yₖ − f_θ(xₖ))² (PyTorch's ``MSELoss(reduction='sum')``).
``"map"``
    −log p(θ | D), so the optimum is a MAP estimate of the posterior.

Example
-------
>>> from bayes_uat import MLP, Posterior, make_dataset, train_sgd
>>> post = Posterior(MLP(2, "sigmoid"), make_dataset("x2"))
>>> res = train_sgd(post, steps=200, restarts=4, seed=0)
>>> res.thetas.shape, res.losses.shape
((4, 7), (4, 200))
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .posterior import Posterior, log_density_at, log_prior_at, pointwise_at

OPTIMIZERS = ("adam", "sgd")
LOSSES = ("sse", "map")


@dataclass(frozen=True)
class SGDResult:
    """Every restart's final parameters and loss curve.

    Attributes:
        thetas: final θ of each restart, shape (restarts, dim) — posterior layout (with a
            log σ column when the posterior infers σ).
        losses: loss after each step, shape (restarts, steps).
        final_loss: loss of each final θ on the full data, shape (restarts,).
        best_index: the restart with the lowest final loss.
        settings: the training settings (JSON-serialisable).
    """

    thetas: np.ndarray
    losses: np.ndarray
    final_loss: np.ndarray
    best_index: int
    settings: dict

    @property
    def best(self) -> np.ndarray:
        """θ of the best restart."""
        return self.thetas[self.best_index]

    @property
    def restarts(self) -> int:
        return int(self.thetas.shape[0])


def _check(name, v, *, integer=False, minimum=None, positive=False):
    ok = isinstance(v, (int, np.integer)) if integer else isinstance(v, (int, float, np.number))
    if isinstance(v, bool) or not ok or (not integer and not math.isfinite(v)):
        kind = "an integer" if integer else "a finite number"
        raise ValueError(f"{name} must be {kind}, got {v!r}")
    if positive and v <= 0:
        raise ValueError(f"{name} must be > 0, got {v!r}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v!r}")


def _check_sgd_args(posterior, optimizer, loss, learning_rate, steps, restarts, seed, batch_size):
    """Every argument of :func:`train_sgd` checked before any work starts."""
    if not isinstance(posterior, Posterior):
        raise ValueError(f"train_sgd needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}: choose one of {', '.join(LOSSES)}")
    _check("learning_rate", learning_rate, positive=True)
    _check("steps", steps, integer=True, minimum=1)
    _check("restarts", restarts, integer=True, minimum=1)
    _check("seed", seed, integer=True)
    if batch_size is not None:
        _check("batch_size", batch_size, integer=True, minimum=1)
        if batch_size > posterior.data.n:
            raise ValueError(f"batch_size={batch_size} exceeds the {posterior.data.n} data points")


def _given_thetas(posterior: Posterior, init, restarts: int) -> jax.Array:
    """The starting θ given as ``init``, checked to have shape (restarts, dim)."""
    theta0 = jnp.asarray(init, jnp.dtype(posterior.dtype))
    if theta0.shape != (restarts, posterior.dim):
        raise ValueError(
            f"init must have shape (restarts, dim) = ({restarts}, "
            f"{posterior.dim}), got {theta0.shape}"
        )
    return theta0


def _initial_thetas(posterior: Posterior, restarts: int, key) -> jax.Array:
    """θ₀ of shape (restarts, dim): the network's PyTorch-style initialisation (with log σ
    at the log of its prior scale when σ is inferred)."""
    dt = jnp.dtype(posterior.dtype)
    theta0 = posterior.net.init(key, (restarts,)).astype(dt)
    if posterior.infers_sigma:
        log_s = jnp.full((restarts, 1), posterior.data_arrays["log_sigma_scale"], dt)
        theta0 = jnp.concatenate([theta0, log_s], axis=1)
    return theta0


def _loss_function(posterior: Posterior, loss: str, batch_size: int | None):
    """``loss_fn(θ, idx)``: the training loss on the points ``idx`` (None: all), scaled to
    the full data so minibatch losses are unbiased estimates of the full one."""
    x, y = posterior.data_arrays["x"], posterior.data_arrays["y"]
    net, d_net, n = posterior.net, posterior.net.dim, posterior.n_data
    scale = n / (batch_size or n)

    classifier = posterior.likelihood in ("bernoulli", "categorical")

    def loss_fn(theta, idx):
        if loss == "sse" and classifier:  # cross-entropy: the classifier's training loss
            nll = -pointwise_at(posterior, theta)
            return (jnp.sum(nll) if idx is None else jnp.sum(nll[idx])) * scale
        if loss == "sse":
            xb, yb = (x, y) if idx is None else (x[idx], y[idx])
            return jnp.sum((yb - net.apply(theta[:d_net], xb)) ** 2) * scale
        if idx is None:
            return -log_density_at(posterior, theta)
        # unbiased minibatch estimate of −log posterior
        lik = jnp.sum(pointwise_at(posterior, theta)[idx]) * scale
        return -log_prior_at(posterior, theta) - lik

    return loss_fn


def _optimise(loss_fn, opt, theta0, key, *, steps, n, batch_size):
    """Run ``steps`` optimiser steps from every row of θ₀ at once (vmap over restarts, scan
    over steps); return (final θ, loss curves, final full-data loss)."""

    def step(carry, k):
        theta, state = carry
        idx = None if batch_size is None else jax.random.choice(k, n, (batch_size,), False)
        val, g = jax.value_and_grad(loss_fn)(theta, idx)
        upd, state = opt.update(g, state, theta)
        return (optax.apply_updates(theta, upd), state), val

    def run(theta, k):
        # full batch: no minibatch keys, so none are drawn (no PRNG in the compiled loop)
        keys = None if batch_size is None else jax.random.split(k, steps)
        (theta, _), vals = jax.lax.scan(step, (theta, opt.init(theta)), keys, length=steps)
        return theta, vals, loss_fn(theta, None)

    if batch_size is None:
        return jax.vmap(lambda theta: run(theta, None))(theta0)
    keys = jax.random.split(key, theta0.shape[0])
    return jax.vmap(run)(theta0, keys)


@partial(
    jax.jit,
    static_argnames=("optimizer", "learning_rate", "loss", "batch_size", "steps", "restarts"),
)
def _sgd_program(posterior, seed, theta0, *, optimizer, learning_rate, loss, batch_size, steps,
                 restarts):  # fmt: skip
    """The start (the key from the seed, its split, the initialisation) and the whole
    optimisation as one compiled call ``-> (θ, loss curves, final loss)``, with the
    posterior an argument: one program for every posterior of the same shapes and settings
    (and no small programs of its own before it, for the key)."""
    opt = (optax.adam if optimizer == "adam" else optax.sgd)(learning_rate)
    loss_fn = _loss_function(posterior, loss, batch_size)
    k_init, k_batch = jax.random.split(jax.random.key(seed))
    if theta0 is None:
        theta0 = _initial_thetas(posterior, restarts, k_init)
    return _optimise(
        loss_fn, opt, theta0, k_batch, steps=steps, n=posterior.n_data, batch_size=batch_size
    )


def train_sgd(
    posterior: Posterior,
    *,
    optimizer: str = "adam",
    learning_rate: float = 0.1,
    steps: int = 1000,
    restarts: int = 1,
    loss: str = "sse",
    batch_size: int | None = None,
    init: np.ndarray | None = None,
    seed: int = 0,
) -> SGDResult:
    """Train the posterior's network with optax, ``restarts`` runs in parallel.

    Args:
        posterior: supplies the network, data and (for ``loss="map"``) the prior.
        optimizer: ``"adam"`` (the blog's) or ``"sgd"``.
        learning_rate: step size.  The blog's code states 3e-2, but its printed N = 2
            solution (loss −0.73) is what Adam reaches with 0.1 in 1000 steps; 3e-2 needs
            about 5000 steps to get as far (see docs/studies.md).
        steps: optimisation steps (the blog: 1000 full-batch epochs).
        restarts: independent initialisations trained together.
        loss: ``"sse"`` (the blog's sum of squares; for the bernoulli and categorical
            likelihoods the cross-entropy −Σₖ log p(yₖ | θ), a classifier's training loss)
            or ``"map"`` (−log posterior).
        batch_size: None for full batch; else a minibatch of that many points per step,
            drawn without replacement.
        init: optional starting θ, shape (restarts, dim); default PyTorch-style
            initialisation (:meth:`MLP.init`).
        seed: seed for initialisation and minibatches.
    """
    _check_sgd_args(posterior, optimizer, loss, learning_rate, steps, restarts, seed, batch_size)
    theta0 = None if init is None else _given_thetas(posterior, init, restarts)
    thetas, losses, final = _sgd_program(
        posterior,
        np.int64(seed),  # jax.random.key(seed) takes a Python int as this int64
        theta0,
        optimizer=optimizer,
        learning_rate=float(learning_rate),
        loss=loss,
        batch_size=batch_size,
        steps=int(steps),
        restarts=int(restarts),
    )
    final = np.asarray(final)
    final_sel = np.where(np.isfinite(final), final, np.inf)
    return SGDResult(
        thetas=np.asarray(thetas),
        losses=np.asarray(losses),
        final_loss=final,
        best_index=int(np.argmin(final_sel)),
        settings=dict(
            optimizer=optimizer,
            learning_rate=float(learning_rate),
            steps=int(steps),
            restarts=int(restarts),
            loss=loss,
            batch_size=batch_size,
            seed=int(seed),
        ),
    )


# -- MAP search -------------------------------------------------------------------------------
STATIONARY_GRAD = 1e-3
"""A MAP whose gradient norm |∇θ log p(θ | D)| exceeds this is reported as not stationary."""


class NotStationaryWarning(UserWarning):
    """A MAP search ended where the gradient of the log-posterior is not (close to) zero."""


class MapResult(NamedTuple):
    """Local maxima of the posterior found from each start.

    Attributes:
        theta: the maxima, shape (k, dim).
        log_density: log p(θ | D) + const at each, shape (k,).
        grad_norm: |∇θ log p(θ | D)| at each, shape (k,) (0 at an exact maximum).
    """

    theta: np.ndarray
    log_density: np.ndarray
    grad_norm: np.ndarray

    @property
    def stationary(self) -> np.ndarray:
        """Which maxima have |∇ log p| ≤ :data:`STATIONARY_GRAD`."""
        return self.grad_norm <= STATIONARY_GRAD


def log_density_hessian(posterior: Posterior):
    """The Hessian of log p(θ | D) at one θ (one compiled program for every posterior of the
    same shapes)."""
    return posterior.hessian


def _lbfgs_solver(posterior: Posterior):
    """``solve(θ₀, max_iter, gtol) -> (θ, iterations)`` for ``posterior``: the compiled
    L-BFGS of :func:`find_map` (one program for every posterior of the same shapes)."""
    return partial(_lbfgs, posterior)


@jax.jit
def _lbfgs(posterior, theta0, max_iter, gtol):
    """optax's L-BFGS with its zoom line search on −log p(θ | D), iterated inside one
    compiled loop until |∇| < gtol: ``-> (θ, iterations)``."""

    def neg(theta):
        return -log_density_at(posterior, theta)

    opt = optax.lbfgs(memory_size=20)
    value_and_grad = optax.value_and_grad_from_state(neg)

    def step(carry):
        theta, state = carry
        v, g = value_and_grad(theta, state=state)
        upd, state = opt.update(g, state, theta, value=v, grad=g, value_fn=neg)
        return optax.apply_updates(theta, upd), state

    def go_on(carry):
        _, state = carry
        it = optax.tree_utils.tree_get(state, "count")
        g = optax.tree_utils.tree_get(state, "grad")
        v = optax.tree_utils.tree_get(state, "value")
        small = optax.tree_utils.tree_norm(g) < gtol
        return (it == 0) | ((it < max_iter) & ~small & jnp.isfinite(v))

    theta, state = jax.lax.while_loop(go_on, step, (theta0, opt.init(theta0)))
    return theta, optax.tree_utils.tree_get(state, "count")


def _newton_polish(posterior: Posterior, theta: np.ndarray, steps: int) -> np.ndarray:
    """Newton steps θ ← θ − H⁻¹∇ log p while the Hessian is negative definite and each step
    lowers the gradient without lowering log p: L-BFGS stalls in directions whose
    curvature is 10⁹ times weaker than others, Newton's step does not."""
    hess = log_density_hessian(posterior)
    lp, g = (np.asarray(v, dtype=float) for v in posterior.value_and_grad(theta))
    for _ in range(steps):
        gn = np.linalg.norm(g)
        if gn == 0 or not np.isfinite(gn):
            break
        H = np.asarray(hess(jnp.asarray(theta, posterior.dtype)), dtype=float)
        evals, evecs = np.linalg.eigh((H + H.T) / 2)
        if not (np.all(np.isfinite(evals)) and evals.max() < 0):
            break
        new = theta - evecs @ ((evecs.T @ g) / evals)
        lp_new, g_new = (np.asarray(v, dtype=float) for v in posterior.value_and_grad(new))
        if not (lp_new >= lp - 1e-12 * max(1.0, abs(lp)) and np.linalg.norm(g_new) < gn):
            break
        theta, lp, g = new, lp_new, g_new
    return theta


@partial(jax.jit, static_argnames=("max_iter",))
def newton_many(posterior: Posterior, starts, max_iter: int = 200, gtol: float = 1e-6):
    """Damped Newton ascent of log p(θ | D) from every start at once (vmapped):
    ``-> (θ, iterations)``.

    Each step solves (|−H| + μI) δ = ∇ log p with the exact Hessian H, |·| taken on its
    eigenvalues (so a saddle's negative-curvature direction is climbed, not descended), and
    is kept only if log p rises; μ then shrinks ×0.2, else grows ×10 (Levenberg–Marquardt).
    A start stops when |∇ log p| < ``gtol``, after ``max_iter`` steps, or when μ exceeds
    1e12 (no ascent step left). No line search: every start costs one Hessian and one
    gradient per step, so a batch of restarts waits only for its slowest by steps, not by
    line-search trials (optax's L-BFGS under vmap took 6.9 times as long on 256 restarts
    of a 13-parameter network, reaching the same best maxima: benchmarks/census_refine.py).
    """

    def f(theta):
        return log_density_at(posterior, theta)

    value_and_grad = jax.value_and_grad(f)
    hess = jax.hessian(f)

    def one(theta0):
        def go_on(carry):
            _, _, g, it, mu = carry
            return (it < max_iter) & (jnp.linalg.norm(g) >= gtol) & (mu < 1e12)

        def step(carry):
            theta, v, g, it, mu = carry
            A = -hess(theta)
            lam, V = jnp.linalg.eigh(0.5 * (A + A.T))
            d = V @ ((V.T @ g) / (jnp.abs(lam) + mu))
            v_new, g_new = value_and_grad(theta + d)
            ok = jnp.isfinite(v_new) & (v_new > v) & jnp.all(jnp.isfinite(d))
            ok = ok & jnp.all(jnp.isfinite(g_new))
            theta = jnp.where(ok, theta + d, theta)
            v, g = jnp.where(ok, v_new, v), jnp.where(ok, g_new, g)
            mu = jnp.where(ok, mu * 0.2, mu * 10.0)
            return theta, v, g, it + 1, mu

        v0, g0 = value_and_grad(theta0)
        g0 = jnp.where(jnp.all(jnp.isfinite(g0)), g0, jnp.inf)
        start = (theta0, v0, g0, 0, jnp.asarray(1.0, theta0.dtype))
        theta, _, _, it, _ = jax.lax.while_loop(go_on, step, start)
        return theta, it

    return jax.vmap(one)(starts)


def find_map(
    posterior: Posterior, starts, *, max_iter: int = 10000, newton_steps: int = 20
) -> MapResult:
    """Refine each start (shape (k, dim)) to a local maximum of the posterior.

    optax's L-BFGS (zoom line search) minimises −log p(θ | D) in one compiled loop per
    start until |∇ log p| < 1e-9 (float64; 1e-4 in float32) or ``max_iter`` iterations;
    where it stalls (curvature conditioned 1e10 and worse), Newton steps with the exact
    Hessian finish.  A result never lies below its start.  Maxima whose
    gradient norm exceeds :data:`STATIONARY_GRAD` raise a :class:`NotStationaryWarning`.

    Returns:
        :class:`MapResult` (θ of shape (k, dim), log p of shape (k,), |∇ log p| of shape (k,)).
    """
    if not isinstance(posterior, Posterior):
        raise ValueError(f"find_map needs a bayes_uat.Posterior, got {type(posterior).__name__}")
    _check("max_iter", max_iter, integer=True, minimum=1)
    _check("newton_steps", newton_steps, integer=True, minimum=0)
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    if starts.ndim != 2 or starts.shape[1] != posterior.dim:
        raise ValueError(
            f"starts must have shape (k, {posterior.dim}) ({', '.join(posterior.names)}), "
            f"got {starts.shape}"
        )
    posterior.check_point(starts, "find_map start")
    thetas = []
    solve = _lbfgs_solver(posterior)
    gtol = 1e-9 if posterior.dtype == "float64" else 1e-4
    for start in starts:
        theta, _ = solve(jnp.asarray(start, posterior.dtype), max_iter, gtol)
        theta = np.asarray(theta, dtype=float)
        if np.linalg.norm(np.asarray(posterior.value_and_grad(theta)[1])) > gtol:
            theta = _newton_polish(posterior, theta, newton_steps)
        thetas.append(theta)
    thetas = np.stack(thetas) if thetas else starts.copy()
    lp = np.asarray(posterior.log_density(thetas), dtype=float)
    lp0 = np.asarray(posterior.log_density(starts), dtype=float)
    better = lp >= lp0
    thetas = np.where(better[:, None], thetas, starts)
    lp = np.where(better, lp, lp0)
    grads = np.stack([np.asarray(posterior.value_and_grad(t)[1], dtype=float) for t in thetas])
    result = MapResult(thetas, lp, np.linalg.norm(grads, axis=1))
    _warn_not_stationary(result)
    return result


def _warn_not_stationary(result: MapResult) -> None:
    bad = ~result.stationary
    if bad.any():
        warnings.warn(
            f"find_map: {int(bad.sum())} of {bad.size} maxima are not stationary "
            f"(|∇ log p| up to {result.grad_norm.max():.3g} > {STATIONARY_GRAD:g}); their "
            "log p is a lower bound — the posterior may be improper or flat in some "
            "direction there (a tighter prior_std helps), or raise max_iter",
            NotStationaryWarning,
            stacklevel=3,
        )
