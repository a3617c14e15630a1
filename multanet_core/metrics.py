"""Accuracy and stability metrics of predicted vertex motion (arrays in, numbers out).

* LVE: per frame, the max over lip vertices of the squared distance to the ground truth,
  averaged over frames (FaceFormer / CodeTalker).
* MVE: mean L2 vertex error over frames and vertices.
* FDD: std over time of each upper-face vertex's squared motion norm (displacement from the
  template), ground truth minus prediction, averaged over upper-face vertices.
* Jitter: mean jerk magnitude (third difference x fps^3) of lip vertices; :func:`jitter_ratio`
  divides by the ground truth's own jerk on the same clip (1.0 = as smooth as real motion).
"""

from __future__ import annotations

import numpy as np

from .errors import MulTaNetError


def _check(pred: np.ndarray, gt: np.ndarray) -> None:
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[2] != 3:
        raise MulTaNetError(f"prediction {pred.shape} and ground truth {gt.shape} must both be [T, V, 3]")


def lve(pred: np.ndarray, gt: np.ndarray, lips: np.ndarray) -> float:
    _check(pred, gt)
    d2 = ((pred[:, lips].astype(np.float64) - gt[:, lips]) ** 2).sum(axis=2)
    return float(d2.max(axis=1).mean())


def mve(pred: np.ndarray, gt: np.ndarray) -> float:
    _check(pred, gt)
    return float(np.linalg.norm(pred.astype(np.float64) - gt, axis=2).mean())


def fdd(pred: np.ndarray, gt: np.ndarray, template: np.ndarray, upper_face: np.ndarray) -> float:
    _check(pred, gt)
    t = template[upper_face].astype(np.float64)

    def dynamics(x: np.ndarray) -> np.ndarray:
        return (((x[:, upper_face].astype(np.float64) - t) ** 2).sum(axis=2)).std(axis=0)

    return float((dynamics(gt) - dynamics(pred)).mean())


def jerk(x: np.ndarray, lips: np.ndarray, fps: float) -> float:
    """Mean magnitude of the third time difference of lip vertices, in units per second^3."""
    if x.ndim != 3 or x.shape[0] < 4:
        raise MulTaNetError(f"jerk needs at least 4 frames of [T, V, 3] vertices, got {x.shape}")
    d3 = np.diff(x[:, lips].astype(np.float64), n=3, axis=0) * float(fps) ** 3
    return float(np.linalg.norm(d3, axis=2).mean())


def jitter_ratio(pred: np.ndarray, gt: np.ndarray, lips: np.ndarray, fps: float) -> float:
    _check(pred, gt)
    ref = jerk(gt, lips, fps)
    if ref == 0:
        raise MulTaNetError("the ground truth's lips do not move: the jitter ratio is undefined")
    return jerk(pred, lips, fps) / ref
