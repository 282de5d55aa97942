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
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from .posterior import Posterior

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
    n = posterior.data.n
    if batch_size is not None:
        _check("batch_size", batch_size, integer=True, minimum=1)
        if batch_size > n:
            raise ValueError(f"batch_size={batch_size} exceeds the {n} data points")

    net, dt = posterior.net, jnp.dtype(posterior.dtype)
    x = jnp.asarray(posterior.data.x, dt)
    y = jnp.asarray(posterior.data.y, dt)
    key = jax.random.key(seed)
    k_init, k_batch = jax.random.split(key)
    d_net = net.dim
    if init is None:
        theta0 = net.init(k_init, (restarts,)).astype(dt)
        if posterior.infers_sigma:
            theta0 = jnp.concatenate(
                [theta0, jnp.full((restarts, 1), math.log(posterior.sigma_scale), dt)], axis=1
            )
    else:
        theta0 = jnp.asarray(init, dt)
        if theta0.shape != (restarts, posterior.dim):
            raise ValueError(
                f"init must have shape (restarts, dim) = ({restarts}, "
                f"{posterior.dim}), got {theta0.shape}"
            )
    opt = (optax.adam if optimizer == "adam" else optax.sgd)(learning_rate)
    scale_map = n / (batch_size or n)
    classifier = posterior.likelihood in ("bernoulli", "categorical")

    def loss_fn(theta, idx):
        xb, yb = (x, y) if idx is None else (x[idx], y[idx])
        if loss == "sse" and classifier:  # cross-entropy: the classifier's training loss
            nll = -posterior._fns["pointwise"](theta)
            return (jnp.sum(nll) if idx is None else jnp.sum(nll[idx])) * scale_map
        if loss == "sse":
            return jnp.sum((yb - net.apply(theta[:d_net], xb)) ** 2) * scale_map
        if idx is None:
            return -posterior.log_density(theta)
        # unbiased minibatch estimate of −log posterior
        r = posterior._fns["pointwise"]
        full = -posterior._fns["log_prior"](theta)
        lik = jnp.sum(r(theta)[idx]) * scale_map
        return full - lik

    def step(carry, k):
        theta, state = carry
        idx = None if batch_size is None else jax.random.choice(k, n, (batch_size,), False)
        val, g = jax.value_and_grad(loss_fn)(theta, idx)
        upd, state = opt.update(g, state, theta)
        return (optax.apply_updates(theta, upd), state), val

    def run(theta, k):
        keys = jax.random.split(k, steps)
        (theta, _), vals = jax.lax.scan(step, (theta, opt.init(theta)), keys)
        return theta, vals, loss_fn(theta, None)

    thetas, losses, final = jax.jit(jax.vmap(run))(theta0, jax.random.split(k_batch, restarts))
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


def find_map(
    posterior: Posterior, starts, *, steps: int = 2000, learning_rate: float = 1e-2
) -> tuple[np.ndarray, np.ndarray]:
    """Refine each start (shape (k, dim)) to a local maximum of the posterior with Adam on
    −log p(θ | D); return (θ of shape (k, dim), log p of shape (k,))."""
    starts = np.atleast_2d(np.asarray(starts, dtype=float))
    res = train_sgd(
        posterior,
        loss="map",
        init=starts,
        restarts=starts.shape[0],
        steps=steps,
        learning_rate=learning_rate,
    )
    lp = np.asarray(posterior.log_prob(res.thetas))
    # Adam can overshoot at the end of a run: keep the start where it was better.
    lp0 = np.asarray(posterior.log_prob(starts))
    better = lp >= lp0
    return np.where(better[:, None], res.thetas, starts), np.where(better, lp, lp0)
