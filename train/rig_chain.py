"""ARKit shape keys for a procedural corpus head, built from its own rig: the whole rig-head chain, measured.

:func:`arkit_keys` gives each ARKit name that :mod:`train.rig_targets` drives a shape key (vertex offsets
from the rest pose) made by posing the head's rig: ``jawOpen`` is the jaw fully open, ``mouthClose``
what closing the lips adds to an open jaw, left and right keys split a symmetric pose by side, the
inner and outer brow keys split the brow raise. :func:`blend` is what Blender does with relative shape
keys (rest + sum of value x offset), so a rig head's weights baked by name onto such a head give
vertices that can be scored against the corpus's ground truth beside the mesh head's own.
"""

from __future__ import annotations

import numpy as np

from .synth.head import CHANNELS, SynthHead

# name -> (pose, base pose) as {channel: value}; the key is animate(pose) - animate(base)
_POSES = {
    "jawOpen": ({"jaw": 1.0}, {}),
    "mouthClose": ({"jaw": 1.0, "closure": 1.0}, {"jaw": 1.0}),
    "mouthPress": ({"closure": 1.0}, {}),
    "mouthFunnel": ({"round": 1.0, "jaw": 0.5}, {"jaw": 0.5}),
    "mouthPucker": ({"round": 1.0}, {}),
    "mouthStretch": ({"spread": 1.0}, {}),
    "mouthRollLower": ({"labiodental": 1.0}, {}),
    "browUp": ({"brow_raise": 1.0}, {}),
    "browDown": ({"brow_furrow": 1.0}, {}),
}


def _pose(head: SynthHead, values: dict[str, float]) -> np.ndarray:
    art = np.zeros((1, len(CHANNELS)))
    for name, v in values.items():
        art[0, CHANNELS.index(name)] = v
    return head.animate(art)[0].astype(np.float64)


def arkit_keys(head: SynthHead) -> dict[str, np.ndarray]:
    """ARKit name -> float32 offsets [V, 3] from ``head``'s rest pose."""
    offsets = {n: _pose(head, pose) - _pose(head, base) for n, (pose, base) in _POSES.items()}
    x = head.vertices[:, 0].astype(np.float64)
    left = np.clip(0.5 + x / 0.01, 0.0, 1.0)[:, None]  # the character's left is the viewer's right (+x)
    inner = np.exp(-((x / 0.02) ** 2))[:, None]
    keys = {
        "jawOpen": offsets["jawOpen"], "mouthClose": offsets["mouthClose"],
        "mouthPressLeft": left * offsets["mouthPress"], "mouthPressRight": (1 - left) * offsets["mouthPress"],
        "mouthFunnel": offsets["mouthFunnel"], "mouthPucker": offsets["mouthPucker"],
        "mouthStretchLeft": left * offsets["mouthStretch"], "mouthStretchRight": (1 - left) * offsets["mouthStretch"],
        "mouthRollLower": offsets["mouthRollLower"], "mouthShrugLower": np.zeros_like(offsets["jawOpen"]),
        "browInnerUp": inner * offsets["browUp"],
        "browOuterUpLeft": (1 - inner) * left * offsets["browUp"],
        "browOuterUpRight": (1 - inner) * (1 - left) * offsets["browUp"],
        "browDownLeft": left * offsets["browDown"], "browDownRight": (1 - left) * offsets["browDown"],
    }
    return {n: k.astype(np.float32) for n, k in keys.items()}


def blend(rest: np.ndarray, keys: dict[str, np.ndarray], names: tuple[str, ...], weights: np.ndarray) -> np.ndarray:
    """Relative shape keys as Blender blends them: rest + sum over keys of value x offset -> [T, V, 3]."""
    used = [(names.index(n), k) for n, k in keys.items() if n in names]
    stack = np.stack([k.reshape(-1) for _, k in used])  # [K, 3V]
    values = np.asarray(weights, np.float32)[:, [j for j, _ in used]]
    return (rest.reshape(1, -1) + values @ stack).reshape(len(values), -1, 3).astype(np.float32)
