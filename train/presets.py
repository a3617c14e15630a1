"""Emotion presets from learned per-frame emotion vectors.

A corpus with expressions (``train synth --expressions``) labels its frames: :func:`label_presets` makes one
preset per expression, the mean vector of the frames that show it, and ``neutral`` from the frames that show
none. Otherwise :func:`make_presets`: a neutral one, and a few k-means clusters
named by what they do to the face (mouth opening and brow height, measured on the character's own
training speech against the neutral preset): the stronger effect first ("open", "tight", "brows up",
"brows down"), the other one added when two presets would share a name ("open + brows down"; never a
comma, which lists of presets use), and "slightly" in front when the face changes by under 2 % of its
mouth opening and 0.1 mm of brow."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.cluster.vq import kmeans2

AXES = {"X": 0, "Y": 1, "Z": 2}


def _kmeans(x: np.ndarray, k: int, seed: int, starts: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's k-means from ``starts`` k-means++ starts; the one with the least squared distance."""
    best = None
    for s in range(starts):
        centroids, labels = kmeans2(x, k, iter=30, minit="++", seed=seed * starts + s)
        inertia = float(((x - centroids[labels]) ** 2).sum())
        if best is None or inertia < best[0]:
            best = (inertia, centroids, labels)
    return best[1], best[2]


def face_measures(vertices: np.ndarray, lips: np.ndarray, upper: np.ndarray, up: int) -> tuple[float, float]:
    """(mean mouth opening: extent of the lip vertices along the up axis; mean brow height: mean up
    coordinate of the upper-face vertices) over the frames of [T, V, 3] vertices."""
    mouth = float((vertices[:, lips, up].max(1) - vertices[:, lips, up].min(1)).mean()) if len(lips) else 0.0
    brow = float(vertices[:, upper, up].mean()) if len(upper) else 0.0
    return mouth, brow


MIN_LABEL_FRAMES = 30  # frames of an expression a head must have seen for a preset of it


def label_presets(emotions: np.ndarray, codes: np.ndarray, labels: tuple[str, ...] | list[str],
                  min_frames: int = MIN_LABEL_FRAMES) -> dict[str, list[float]]:
    """One preset per expression the head's training frames show: the mean learned vector of the frames whose
    ``codes`` [N] (an index into ``labels``; -1 for frames of no sure expression) name it, when there are
    ``min_frames`` or more. ``neutral`` (``labels[0]``) is the mean over its frames, else over all of them."""
    emotions = np.asarray(emotions, np.float64)
    codes = np.asarray(codes)
    presets = {}
    for k, name in enumerate(labels):
        rows = codes == k
        if rows.sum() >= min_frames:
            presets[name] = emotions[rows].mean(0)
        elif k == 0:
            presets[name] = emotions.mean(0)
    return {n: [float(v) for v in e] for n, e in presets.items()}


def make_presets(emotions: np.ndarray, animate: Callable[[np.ndarray], np.ndarray], lips: np.ndarray,
                 upper: np.ndarray, up_axis: str = "Y", k: int = 4, seed: int = 0) -> dict[str, list[float]]:
    """``neutral`` = the mean learned vector; then up to ``k`` cluster centres, named by their effect.
    ``animate(emotion)`` -> vertices [T, V, 3] of the character's probe speech with that emotion."""
    up = AXES[up_axis.upper()]
    neutral = emotions.mean(0)
    presets = {"neutral": neutral}
    if len(emotions) < 2 or k < 1:
        return {n: [float(v) for v in e] for n, e in presets.items()}
    k = min(k, len(emotions))
    centroids, labels = _kmeans(np.asarray(emotions, np.float64), k, seed)
    order = np.argsort(-np.bincount(labels, minlength=len(centroids)))  # most used clusters first
    m0, b0 = face_measures(animate(neutral), lips, upper, up)
    effects = [np.subtract(face_measures(animate(centroids[j]), lips, upper, up), (m0, b0)) for j in order]
    spread = np.maximum(np.abs(np.array(effects)).max(0), 1e-12)
    for j, (dm, db) in zip(order, effects, strict=True):
        mouth, brows = ("open" if dm > 0 else "tight"), ("brows up" if db > 0 else "brows down")
        words = [mouth, brows] if abs(dm) / spread[0] >= abs(db) / spread[1] else [brows, mouth]
        slight = "slightly " if abs(dm) < 0.02 * max(m0, 1e-9) and abs(db) < 1e-4 else ""
        name = next((n for n in (slight + words[0], slight + " + ".join(words)) if n not in presets), None)
        n = 2
        while name is None or name in presets:  # two clusters with the same effects: numbered, the last resort
            name, n = f"{slight}{' + '.join(words)} {n}", n + 1
        presets[name] = centroids[j]
    return {n: [float(v) for v in e] for n, e in presets.items()}
