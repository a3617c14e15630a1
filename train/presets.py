"""Emotion presets from learned per-frame emotion vectors: a neutral one, and a few k-means clusters
named by what they do to the face (mouth opening and brow height, measured on the character's own
training speech against the neutral preset)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

AXES = {"X": 0, "Y": 1, "Z": 2}


def kmeans(x: np.ndarray, k: int, seed: int = 0, iterations: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """(centroids [k, D], labels [N]) by Lloyd's algorithm from a k-means++ start."""
    x = np.asarray(x, np.float64)
    rng = np.random.default_rng(seed)
    k = max(1, min(k, len(x)))
    centroids = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        d2 = np.min([((x - c) ** 2).sum(1) for c in centroids], axis=0)
        total = d2.sum()
        centroids.append(x[rng.choice(len(x), p=d2 / total)] if total > 0 else x[rng.integers(len(x))])
    c = np.array(centroids)
    labels = np.zeros(len(x), int)
    for _ in range(iterations):
        labels = ((x[:, None, :] - c[None]) ** 2).sum(2).argmin(1)
        new = np.array([x[labels == j].mean(0) if np.any(labels == j) else c[j] for j in range(k)])
        if np.allclose(new, c):
            break
        c = new
    return c, labels


def face_measures(vertices: np.ndarray, lips: np.ndarray, upper: np.ndarray, up: int) -> tuple[float, float]:
    """(mean mouth opening: extent of the lip vertices along the up axis; mean brow height: mean up
    coordinate of the upper-face vertices) over the frames of [T, V, 3] vertices."""
    mouth = float((vertices[:, lips, up].max(1) - vertices[:, lips, up].min(1)).mean()) if len(lips) else 0.0
    brow = float(vertices[:, upper, up].mean()) if len(upper) else 0.0
    return mouth, brow


def make_presets(emotions: np.ndarray, animate: Callable[[np.ndarray], np.ndarray], lips: np.ndarray,
                 upper: np.ndarray, up_axis: str = "Y", k: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """``neutral`` = the mean learned vector; then up to ``k`` cluster centres, named by their effect.
    ``animate(emotion)`` -> vertices [T, V, 3] of the character's probe speech with that emotion."""
    up = AXES[up_axis.upper()]
    neutral = emotions.mean(0)
    presets = {"neutral": neutral}
    if len(emotions) < 2 or k < 1:
        return {n: [float(v) for v in e] for n, e in presets.items()}
    centroids, labels = kmeans(emotions, k, seed)
    order = np.argsort(-np.bincount(labels, minlength=len(centroids)))  # most used clusters first
    m0, b0 = face_measures(animate(neutral), lips, upper, up)
    effects = [np.subtract(face_measures(animate(centroids[j]), lips, upper, up), (m0, b0)) for j in order]
    spread = np.maximum(np.abs(np.array(effects)).max(0), 1e-12)
    for j, (dm, db) in zip(order, effects, strict=True):
        if abs(dm) / spread[0] >= abs(db) / spread[1]:
            name = "open" if dm > 0 else "tight"
        else:
            name = "brows up" if db > 0 else "brows down"
        if abs(dm) < 0.02 * max(m0, 1e-9) and abs(db) < 1e-4:  # under 2 % of the mouth opening, 0.1 mm of brow
            name = "slightly " + name
        base, n = name, 2
        while name in presets:
            name, n = f"{base} {n}", n + 1
        presets[name] = centroids[j]
    return {n: [float(v) for v in e] for n, e in presets.items()}
