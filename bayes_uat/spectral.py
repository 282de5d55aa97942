"""Amplitude and power spectra of functions sampled on a uniform periodic grid.

A function sampled at n points xⱼ = lo + j·(hi − lo)/n, j = 0 … n − 1 (the right end left out,
so the grid is one period of the window) has the discrete Fourier transform
Yₖ = Σⱼ yⱼ e^{−2πi jk/n} (numpy's ``rfft``).  For y(x) = Σₖ Aₖ sin(2π k u + φₖ) + c with
u = (x − lo)/(hi − lo), the amplitude at an integer frequency 0 < k < n/2 is exactly

    Aₖ = 2 |Yₖ| / n,

A₀ = |Y₀|/n = |c| and, for even n, A_{n/2} = |Y_{n/2}|/n.  Frequencies are in cycles per
window; the highest the grid resolves is the Nyquist frequency n/2.  The power is Aₖ²/2 for
k > 0 (the mean square of that sinusoid), so the powers sum to the mean square of y − c.

Example
-------
>>> import numpy as np
>>> x = periodic_grid(64)
>>> y = 2.0 * np.sin(2 * np.pi * 3 * x) + 0.5 * np.cos(2 * np.pi * 10 * x)
>>> amplitudes_at(y, [3, 10, 5]).round(12).tolist()
[2.0, 0.5, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .validate import integer


def periodic_grid(n: int, x_range: tuple[float, float] = (0.0, 1.0)) -> np.ndarray:
    """The n-point uniform grid lo + j·(hi − lo)/n, j = 0 … n − 1 (right end excluded)."""
    integer("n", n, minimum=2, fix="n is the number of grid points")
    lo, hi = (float(v) for v in x_range)
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        raise ValueError(f"x_range must be finite with hi > lo, got {x_range!r}")
    return lo + (hi - lo) * np.arange(n) / n


def nyquist(n: int) -> float:
    """The highest frequency an n-point periodic grid resolves: n/2 cycles per window."""
    return n / 2


def amplitude_spectrum(values, axis: int = -1) -> np.ndarray:
    """Amplitude Aₖ of every frequency k = 0 … ⌊n/2⌋ of values sampled on a periodic grid.

    ``values`` has the grid along ``axis`` (any batch shape elsewhere); the result has
    ⌊n/2⌋ + 1 entries along that axis (see the module docstring for the normalisation).
    """
    y = np.asarray(values, dtype=float)
    if y.ndim == 0 or y.shape[axis] < 2:
        raise ValueError(f"values need at least 2 grid points along axis {axis}, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("values contain NaN or inf: a spectrum needs finite samples")
    n = y.shape[axis]
    amp = np.abs(np.fft.rfft(y, axis=axis)) * (2.0 / n)
    amp = np.moveaxis(amp, axis, -1)
    amp[..., 0] /= 2.0
    if n % 2 == 0:
        amp[..., -1] /= 2.0
    return np.moveaxis(amp, -1, axis)


def power_spectrum(values, axis: int = -1) -> np.ndarray:
    """Power per frequency: Aₖ²/2 for k > 0 (A₀² for k = 0; A²_{n/2} at Nyquist for even n),
    so that Σₖ>0 Pₖ is the mean square of the values minus their mean."""
    amp = np.moveaxis(amplitude_spectrum(values, axis), axis, -1)
    n = np.asarray(values).shape[axis]
    p = amp**2 / 2.0
    p[..., 0] = amp[..., 0] ** 2
    if n % 2 == 0:
        p[..., -1] = amp[..., -1] ** 2
    return np.moveaxis(p, -1, axis)


def remove_endpoint_line(values, axis: int = -1) -> np.ndarray:
    """From n + 1 samples on lo, lo + h, …, hi (the periodic grid plus its right end), the n
    periodic-grid samples minus the line (f(hi) − f(lo))·(x − lo)/(hi − lo).

    A function that is not periodic on the window (f(hi) ≠ f(lo)) jumps where the periodic
    grid wraps around, and that jump leaks power ∝ 1/k² into every frequency: a plain ramp
    would look like a sawtooth.  After this subtraction the ends agree, so what remains is
    the function's own shape (a kink at the wrap still leaks, but ∝ 1/k⁴); a function that
    is periodic on the window is returned unchanged.
    """
    y = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    n = y.shape[-1] - 1
    if n < 2:
        raise ValueError(f"values need at least 3 samples (grid plus right end), got {n + 1}")
    t = np.arange(n) / n
    out = y[..., :n] - (y[..., n:] - y[..., :1]) * t
    return np.moveaxis(out, -1, axis)


def check_frequencies(frequencies: Sequence[float], n: int) -> np.ndarray:
    """Integer frequencies 1 ≤ k < n/2 as an int array, or a ValueError naming the bad one."""
    k = np.atleast_1d(np.asarray(frequencies, dtype=float))
    if k.ndim != 1 or k.size == 0:
        raise ValueError(f"frequencies must be a non-empty 1-D sequence, got {frequencies!r}")
    if not np.all(np.isfinite(k) & (k == np.round(k)) & (k >= 0)):
        raise ValueError(
            f"frequencies must be non-negative integers (cycles per window), got {k.tolist()}"
        )
    above = k >= nyquist(n)
    if above.any():
        raise ValueError(
            f"frequency {k[above][0]:g} is at or above the Nyquist limit n/2 = {nyquist(n):g} "
            f"of this {n}-point grid: it aliases onto a lower one; use more than "
            f"{2 * int(k.max())} grid points or drop it"
        )
    return k.astype(int)


def amplitudes_at(values, frequencies: Sequence[float], axis: int = -1) -> np.ndarray:
    """Amplitudes Aₖ of values (grid along ``axis``) at the given integer frequencies, which
    must lie below the grid's Nyquist limit n/2; frequencies index the last axis of the result.
    """
    y = np.asarray(values, dtype=float)
    if y.ndim == 0:
        raise ValueError("values must have a grid axis")
    k = check_frequencies(frequencies, y.shape[axis])
    return np.moveaxis(amplitude_spectrum(y, axis), axis, -1)[..., k]


def sinusoids(
    x, frequencies: Sequence[float], amplitudes, phases=None, x_range=(0.0, 1.0)
) -> np.ndarray:
    """Σₖ Aₖ sin(2π fₖ u + φₖ) with u = (x − lo)/(hi − lo): a sum of sinusoids whose
    frequencies are in cycles per window."""
    f = np.asarray(frequencies, dtype=float)
    a = np.broadcast_to(np.asarray(amplitudes, dtype=float), f.shape)
    ph = np.zeros_like(f) if phases is None else np.broadcast_to(np.asarray(phases, float), f.shape)
    lo, hi = x_range
    u = (np.asarray(x, dtype=float) - lo) / (hi - lo)
    return np.sum(a * np.sin(2 * np.pi * u[..., None] * f + ph), axis=-1)
