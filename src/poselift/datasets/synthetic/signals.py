"""Smooth signals of time: eased keyframes (holds and transitions), gait-cycle curves and slow sway.

Everything is vectorised over frames: a motion of any length costs a few array operations.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def ease(u: np.ndarray) -> np.ndarray:
    """Smoothstep on [0, 1]: starts and ends at rest, as a limb moving from one posture to the next."""
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3 - 2 * u)


def keyframes(t: np.ndarray, times: Sequence[float], values: Sequence) -> np.ndarray:
    """Values at times t (N,) from keyframes, eased between consecutive keys and held outside them.

    times: (K,) non-decreasing; values: (K, ...). Returns (N, ...).
    """
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if len(times) != len(values):
        raise ValueError(f"{len(times)} key times for {len(values)} key values")
    if len(times) == 1:
        return np.broadcast_to(values[0], (len(t), *values.shape[1:])).copy()
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    span = times[i + 1] - times[i]
    u = ease(np.where(span > 0, (t - times[i]) / np.where(span > 0, span, 1.0), 1.0))
    u = u.reshape(u.shape + (1,) * (values.ndim - 1))
    return values[i] + u * (values[i + 1] - values[i])


def cycle_curve(phase: np.ndarray, knots: Sequence[tuple[float, float]]) -> np.ndarray:
    """A smooth periodic curve over a cycle (phase in cycles, any real) through `knots`.

    knots: (phase in [0, 1), value), in increasing phase. Between knots the curve is a cubic whose
    slopes are chosen as in monotone (PCHIP) interpolation: flat at a knot that is a turning point, so
    the curve never overshoots, and the local trend elsewhere, so it does not stall at a knot on a slope.
    """
    at = np.array([k[0] for k in knots], dtype=np.float64)
    value = np.array([k[1] for k in knots], dtype=np.float64)
    at = np.concatenate([at[-2:] - 1, at, at[:2] + 1])  # two knots of wrap-around on each side
    value = np.concatenate([value[-2:], value, value[:2]])
    h = np.diff(at)
    slope = np.diff(value) / h  # (K-1,) secant slopes
    tangent = np.zeros_like(value)
    same_sign = slope[:-1] * slope[1:] > 0
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]  # Fritsch-Butland weighted harmonic mean
    tangent[1:-1] = np.where(same_sign, (w1 + w2) / (w1 / np.where(same_sign, slope[:-1], 1.0)
                                                      + w2 / np.where(same_sign, slope[1:], 1.0)), 0.0)
    x = np.mod(phase, 1.0)
    i = np.clip(np.searchsorted(at, x, side="right") - 1, 0, len(at) - 2)
    u = (x - at[i]) / h[i]
    h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
    return h00 * value[i] + h10 * h[i] * tangent[i] + h01 * value[i + 1] + h11 * h[i] * tangent[i + 1]


def sway(rng: np.random.Generator, t: np.ndarray, sigma: float, max_hz: float = 0.4,
         shape: tuple[int, ...] = (), components: int = 4) -> np.ndarray:
    """Slow random sway: a sum of sinusoids with random frequencies and phases, std ~ `sigma`.

    Returns (N, *shape). Frequencies lie in [max_hz / 6, max_hz]: postural sway and fidgeting, not tremor.
    """
    freq = rng.uniform(max_hz / 6, max_hz, size=(components, *shape))
    phase = rng.uniform(0, 2 * np.pi, size=(components, *shape))
    amplitude = sigma * np.sqrt(2.0 / components)
    waves = np.sin(2 * np.pi * freq[None] * t.reshape(-1, *(1,) * (len(shape) + 1)) + phase[None])
    return amplitude * waves.sum(axis=1)


def integrate(rate: np.ndarray, fps: float) -> np.ndarray:
    """Running integral (N,) of a rate (N,) sampled at `fps`, starting at 0."""
    return np.concatenate([[0.0], np.cumsum(rate[:-1]) / fps])


def wrap_angle(angle: np.ndarray) -> np.ndarray:
    """Angles (radians) into [-pi, pi)."""
    return np.mod(angle + np.pi, 2 * np.pi) - np.pi
