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


# -- the Hessian of a one-hidden-layer network under a Gaussian likelihood --------------------
def _unit_rows(net):
    """(N, 3) θ positions (w, b, a) of each unit and the output bias's position, for a
    network with one hidden layer on a scalar input, one output and biases; else None."""
    if not (
        len(net.units) == 1 and net.in_dim == 1 and net.out_dim == 1 and net.encoding is None
        and all(net.biases) and net.has_output_bias
    ):  # fmt: skip
        return None
    from .symmetry import _index

    ix = _index(net)
    rows = np.stack([np.asarray(ix["W"][0])[:, 0], np.asarray(ix["b"][0]), ix["a"]], axis=1)
    return rows, int(ix["c"])


def _blocks(blk):
    """Block-diagonal matrix of (N, 3, 3) blocks, shape (3N, 3N)."""
    n = blk.shape[0]
    eye = jnp.eye(n, dtype=blk.dtype)
    return (eye[:, None, :, None] * blk[:, :, None, :]).reshape(3 * n, 3 * n)


def _structured_hessian(posterior: Posterior):
    """θ ↦ the Hessian of log p(θ | D) at one θ, for one hidden layer on a scalar input under
    a Gaussian (or −MSE) likelihood; None for other posteriors.

    With r = y − f and log L = −Σ rₖ² / (2σ²) − n log σ: ∂²log L/∂w² = (−JᵀJ + Σₖ rₖ ∇²fₖ)/σ²,
    where J = ∂f/∂w is assembled unit by unit, and ∇²fₖ is block diagonal, one 3 × 3 block
    per unit (w, b, a), since f = Σⱼ aⱼ φ(wⱼ x + bⱼ) + c. The log σ row follows in closed
    form and the prior's Hessian comes from autodiff. It costs n·dim² for JᵀJ, instead of dim
    forward-over-reverse passes through every data point; the values agree with
    ``jax.hessian`` to rounding (tests/test_optimize.py)."""
    net = posterior.net
    laid = _unit_rows(net)
    if laid is None or posterior.likelihood not in ("gaussian", "mse"):
        return None
    rows, ic = laid
    d_net, dim, phi = net.dim, posterior.dim, net.act.fn
    k = {"scale": 1.0, "precision": -0.5, "variance": 0.5}[posterior.noise_param]

    order = np.concatenate([rows.reshape(-1), [ic]])  # the network's θ, unit by unit, then c
    back = np.argsort(order)  # unit order → θ order

    def hess(theta):
        lv = posterior._fns["leaves"]
        x = jnp.reshape(lv["x"], (-1,)).astype(theta.dtype)
        y = jnp.reshape(lv["y"], (-1,)).astype(theta.dtype)
        w, b, a = (theta[jnp.asarray(rows[:, i])][:, None] for i in range(3))  # (N, 1) each
        h = w * x + b  # (N, n)
        d1 = lambda z: jax.jvp(phi, (z,), (jnp.ones_like(z),))  # noqa: E731  (φ, φ')
        (p0, p1), (_, p2) = jax.jvp(d1, (h,), (jnp.ones_like(h),))  # φ, φ', φ''
        r = y - (jnp.sum(a * p0, axis=0) + theta[ic])
        # ∂f/∂(w, b, a) per unit, then ∂f/∂c = 1: J in unit order, (n, 3N + 1)
        J = jnp.concatenate(
            [jnp.stack([a * p1 * x, a * p1, p0], axis=-1).transpose(1, 0, 2).reshape(len(x), -1),
             jnp.ones((len(x), 1), theta.dtype)], axis=1,
        )  # fmt: skip
        # Σₖ rₖ ∇²fₖ: per unit [[a φ'' x², a φ'' x, φ' x], [·, a φ'', φ'], [·, ·, 0]]
        s = lambda v: jnp.sum(r * v, axis=1)  # noqa: E731
        ww, wb, bb = s(a * p2 * x * x), s(a * p2 * x), s(a * p2)
        wa, ba, aa = s(p1 * x), s(p1), jnp.zeros_like(ww)
        blk = jnp.stack(
            [jnp.stack([ww, wb, wa], -1), jnp.stack([wb, bb, ba], -1), jnp.stack([wa, ba, aa], -1)],
            -2,
        )  # fmt: skip  (N, 3, 3)
        n_u = 3 * len(rows)
        R = jnp.zeros((n_u + 1, n_u + 1), theta.dtype)
        R = R.at[:n_u, :n_u].set(_blocks(blk))
        base = (R - J.T @ J)[back][:, back]
        J = J[:, back]
        if posterior.likelihood == "mse":  # log L = −Σ r² / n
            H = jnp.zeros((dim, dim), theta.dtype).at[:d_net, :d_net].set(2.0 * base / len(x))
        elif posterior.infers_sigma:  # s = log σ = k·u
            e = jnp.exp(-2.0 * k * theta[d_net])
            Jr = J.T @ r
            H = jnp.zeros((dim, dim), theta.dtype).at[:d_net, :d_net].set(e * base)
            H = H.at[:d_net, d_net].set(-2.0 * k * e * Jr).at[d_net, :d_net].set(-2.0 * k * e * Jr)
            H = H.at[d_net, d_net].set(-2.0 * k * k * e * jnp.dot(r, r))
        else:
            e = jnp.exp(-2.0 * jnp.asarray(lv["log_noise"], theta.dtype))
            H = e * base
        return H + jax.hessian(lambda t: log_prior_at(posterior, t))(theta)

    return hess


NEWTON_DAMPINGS = (0.1, 1.0, 10.0, 100.0)  # the trial dampings of a Newton step, × μ


@partial(jax.jit, static_argnames=("max_iter",))
def newton_many(posterior: Posterior, starts, max_iter: int = 200, gtol: float = 1e-6):
    """Damped Newton ascent of log p(θ | D) from every start at once (vmapped):
    ``-> (θ, iterations)``.

    Each step takes the eigendecomposition of the exact Hessian H once and tries the steps
    δ = (|−H| + μ'I)⁻¹ ∇ log p for four dampings μ' = μ·(0.1, 1, 10, 100), |·| taken on the
    eigenvalues (so a saddle's negative-curvature direction is climbed, not descended). The
    trial with the highest log p is kept if log p rises, and μ becomes 0.3·μ'; if none
    rises, μ grows ×1 000 (Levenberg–Marquardt with a ladder of dampings: under vmap a
    rejected single step would cost a whole Hessian, four trials cost four log-densities and
    one gradient). A start stops when |∇ log p| < ``gtol``, after ``max_iter`` steps, or
    when μ exceeds 1e12 (no ascent step left). No line search: a batch of restarts waits
    only for its slowest by steps, not by line-search trials (optax's L-BFGS under vmap took
    6.9 times as long as a plainer Newton on 256 restarts of a 13-parameter network:
    docs/architecture.md). For one hidden layer under a Gaussian likelihood H is
    assembled from its structure (:func:`_structured_hessian`), else by ``jax.hessian``.
    """

    def f(theta):
        return log_density_at(posterior, theta)

    value_and_grad = jax.value_and_grad(f)
    hess = _structured_hessian(posterior) or jax.hessian(f)
    ladder = jnp.asarray(NEWTON_DAMPINGS, starts.dtype)

    def one(theta0):
        def go_on(carry):
            _, _, g, it, mu = carry
            return (it < max_iter) & (jnp.linalg.norm(g) >= gtol) & (mu < 1e12)

        def step(carry):
            theta, v, g, it, mu = carry
            A = -hess(theta)
            lam, V = jnp.linalg.eigh(0.5 * (A + A.T))
            z = V.T @ g
            ds = jax.vmap(lambda m: V @ (z / (jnp.abs(lam) + m)))(mu * ladder)
            vs = jax.vmap(f)(theta + ds)
            ok = jnp.isfinite(vs) & (vs > v) & jnp.all(jnp.isfinite(ds), axis=1)
            j = jnp.argmax(jnp.where(ok, vs, -jnp.inf))
            v_new, g_new = value_and_grad(theta + ds[j])
            up = ok[j] & jnp.all(jnp.isfinite(g_new))
            theta = jnp.where(up, theta + ds[j], theta)
            v, g = jnp.where(up, v_new, v), jnp.where(up, g_new, g)
            mu = jnp.where(up, 0.3 * mu * ladder[j], mu * 1000.0)
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
