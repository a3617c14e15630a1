"""Vertex motion onto a character's own shape keys: bounded least squares over a whole clip (numpy).

Given the keys' vertex offsets ``deltas`` [K, N] (N = 3 x the vertices that count) and the motion to
reproduce ``targets`` [T, N] (offsets from the rest shape, per frame), find weights ``W`` [T, K] in
[0, 1] that minimise

    |W deltas - targets|^2 + size |W|^2 + asymmetry sum_(l, r) |W_l - W_r|^2 + change sum_t |W_t+1 - W_t|^2

The penalties are scaled by the keys' mean squared norm, so they mean the same for any mesh size or
unit: ``size`` keeps unneeded keys at 0, ``asymmetry`` pulls left/right pairs (``mouthSmileLeft`` and
``mouthSmileRight``) together, ``change`` keeps the curves from trembling between frames. It is
solved for all frames at once by accelerated projected gradient (FISTA) on the normal equations, so
the cost per iteration is T x K x K, whatever the mesh. This gives captured data (which has no
articulation curves) the ground truth of a rig head, and gives any mesh head's motion editable
shape-key curves on a rigged copy of its character. No scipy: it runs inside Blender.
"""

from __future__ import annotations

import numpy as np

from .errors import MulTaNetError


def side_pairs(names: list[str] | tuple[str, ...]) -> list[tuple[int, int]]:
    """Index pairs (left, right) of names that differ only by their side, in any convention
    (``mouthSmileLeft``/``mouthSmileRight``, ``Smile_L``/``Smile_R``; :func:`.rig_names.normal_form`)."""
    from .rig_names import normal_form

    index = {normal_form(n): i for i, n in enumerate(names)}
    return [(i, index[form[:-4] + "right"]) for form, i in index.items()
            if form.endswith("left") and form[:-4] + "right" in index]


def solve_weights(deltas: np.ndarray, targets: np.ndarray, *, pairs: list[tuple[int, int]] | None = None,
                  size: float = 1e-3, asymmetry: float = 1e-2, change: float = 1e-2,
                  iterations: int = 2000, tolerance: float = 1e-5) -> np.ndarray:
    """Weights [T, K] in [0, 1] (float32) for ``targets`` [T, N] from ``deltas`` [K, N]; see the module."""
    b = np.asarray(deltas, np.float64)
    d = np.asarray(targets, np.float64)
    if b.ndim != 2 or d.ndim != 2 or b.shape[1] != d.shape[1]:
        raise MulTaNetError(f"shape-key offsets {b.shape} and motion {d.shape} do not match: "
                            f"expected [keys, N] and [frames, N]")
    if not (np.isfinite(b).all() and np.isfinite(d).all()):
        raise MulTaNetError("shape-key offsets or motion hold NaN or infinite values")
    k, t = b.shape[0], d.shape[0]
    if k == 0 or t == 0:
        return np.zeros((t, k), np.float32)
    gram = b @ b.T  # [K, K]
    unit = max(float(np.trace(gram)) / k, 1e-30)  # the keys' mean squared norm
    rhs = d @ b.T  # [T, K]
    pair_op = np.zeros((len(pairs or ()), k))
    for row, (left, right) in enumerate(pairs or ()):
        pair_op[row, left], pair_op[row, right] = 1.0, -1.0
    # the frame-independent part of the Hessian: data + size + asymmetry
    hess = gram + unit * (size * np.eye(k) + asymmetry * pair_op.T @ pair_op)
    smooth = unit * change
    lipschitz = float(np.linalg.eigvalsh(hess)[-1]) + 4.0 * smooth  # the time Laplacian's norm is <= 4
    step = 1.0 / lipschitz

    def gradient(w: np.ndarray) -> np.ndarray:
        g = w @ hess - rhs
        if smooth and t > 1:
            lap = np.zeros_like(w)
            diff = w[1:] - w[:-1]
            lap[:-1] -= diff
            lap[1:] += diff
            g += smooth * lap
        return g

    # start from the unconstrained per-frame solution, clipped
    w = np.clip(np.linalg.solve(hess + 1e-12 * unit * np.eye(k), rhs.T).T, 0.0, 1.0)
    y, momentum = w.copy(), 1.0
    for _ in range(iterations):
        w_next = np.clip(y - step * gradient(y), 0.0, 1.0)
        momentum_next = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * momentum * momentum))
        y = w_next + ((momentum - 1.0) / momentum_next) * (w_next - w)
        moved = float(np.abs(w_next - w).max())
        w, momentum = w_next, momentum_next
        if moved < tolerance:
            break
    return w.astype(np.float32)
