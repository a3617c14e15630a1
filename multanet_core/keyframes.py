"""Fewer keys for editable curves: Ramer-Douglas-Peucker on a per-frame curve (numpy).

A bake writes one key per frame, which an animator cannot edit by hand. :func:`thin` keeps the
fewest keys it finds such that the curve drawn straight between them (linear interpolation) stays
within ``tolerance`` of every dense value: the vertical distance, in the curve's own units (a
shape-key value), not the perpendicular one, since time and value have different units.
:func:`linear_error` measures what a thinned curve misses.
"""

from __future__ import annotations

import numpy as np


def thin(values: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices (sorted int64, the first and last frame always among them) of the keys to keep."""
    v = np.asarray(values, np.float64).ravel()
    n = len(v)
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    if not np.isfinite(v).all():
        raise ValueError("the curve holds NaN or infinite values")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    keep = np.zeros(n, bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        t = np.arange(a + 1, b)
        line = v[a] + (v[b] - v[a]) * (t - a) / (b - a)
        err = np.abs(v[a + 1:b] - line)
        i = int(np.argmax(err))
        if err[i] > tolerance:
            m = a + 1 + i
            keep[m] = True
            stack.extend(((a, m), (m, b)))
    return np.flatnonzero(keep)


def linear_error(values: np.ndarray, kept: np.ndarray) -> float:
    """The largest distance between the dense curve and the straight lines through its kept keys."""
    v = np.asarray(values, np.float64).ravel()
    if len(v) == 0:
        return 0.0
    kept = np.asarray(kept, np.int64)
    return float(np.abs(np.interp(np.arange(len(v)), kept, v[kept]) - v).max())
