"""Fewer keys for editable curves: Ramer-Douglas-Peucker on a per-frame curve (numpy).

A bake writes one key per frame, which an animator cannot edit by hand. :func:`thin` keeps the
fewest keys it finds such that the curve drawn straight between them (linear interpolation, at the
keys' own times) stays within ``tolerance`` of every dense value: the vertical distance, in the
curve's own units (a shape-key value), not the perpendicular one, since time and value have different
units. All segments of one level of the recursion are split at once (vectorised), so a long noisy
curve costs a few dozen numpy passes, not one Python step per key. :func:`linear_error` measures what
a thinned curve misses.
"""

from __future__ import annotations

import numpy as np


def _times(values: np.ndarray, times) -> np.ndarray:
    x = np.arange(len(values), dtype=np.float64) if times is None else np.asarray(times, np.float64).ravel()
    if x.shape != values.shape or (len(x) > 1 and not (np.diff(x) > 0).all()):
        raise ValueError("times must be increasing, one per value")
    return x


def thin(values: np.ndarray, tolerance: float, times: np.ndarray | None = None) -> np.ndarray:
    """Indices (sorted int64, the first and last always among them) of the keys to keep; ``times`` are
    the keys' frames (default 0, 1, 2, ...)."""
    v = np.asarray(values, np.float64).ravel()
    n = len(v)
    x = _times(v, times)
    if n <= 2:
        return np.arange(n, dtype=np.int64)
    if not np.isfinite(v).all():
        raise ValueError("the curve holds NaN or infinite values")
    if not tolerance >= 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    keep = np.zeros(n, bool)
    keep[0] = keep[-1] = True
    a, b = np.array([0]), np.array([n - 1])
    while len(a):
        inner = b - a - 1
        a, b, inner = a[inner > 0], b[inner > 0], inner[inner > 0]
        if not len(a):
            break
        seg = np.repeat(np.arange(len(a)), inner)
        starts = np.concatenate([[0], np.cumsum(inner)[:-1]])
        idx = a[seg] + 1 + (np.arange(len(seg)) - starts[seg])
        line = v[a[seg]] + (v[b[seg]] - v[a[seg]]) * (x[idx] - x[a[seg]]) / (x[b[seg]] - x[a[seg]])
        err = np.abs(v[idx] - line)
        worst = np.maximum.reduceat(err, starts)
        # the first index of each segment where its largest error is reached
        hit = np.flatnonzero(err == worst[seg])
        first = hit[np.concatenate([[True], seg[hit][1:] != seg[hit][:-1]])]
        split = worst > tolerance
        m = idx[first][split]
        keep[m] = True
        a, b = np.concatenate([a[split], m]), np.concatenate([m, b[split]])
    return np.flatnonzero(keep)


def linear_error(values: np.ndarray, kept: np.ndarray, times: np.ndarray | None = None) -> float:
    """The largest distance between the dense curve and the straight lines through its kept keys."""
    v = np.asarray(values, np.float64).ravel()
    if len(v) == 0:
        return 0.0
    x = _times(v, times)
    kept = np.asarray(kept, np.int64)
    return float(np.abs(np.interp(x, x[kept], v[kept]) - v).max())
