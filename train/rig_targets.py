"""The synthetic corpus's articulation curves as ARKit-52 weights: a rig head's ground truth.

Every generated sequence keeps its per-frame curves (``jaw``, ``closure``, ``round``, ``spread``,
``labiodental``, ``brow_raise``, ``brow_furrow``, each 0..1; docs/DATA.md). :data:`TABLE` says how
each ARKit name the corpus can drive follows from them; docs/RIG.md prints the same table (a test
holds the two together). The other names (eyes, smiles, cheeks, tongue...) stay 0: the corpus never
moves them, and :data:`UNDRIVEN` lists them.
"""

from __future__ import annotations

import numpy as np

from multanet_core.rig_names import ARKIT_52


def _open(c: dict[str, np.ndarray]) -> np.ndarray:
    """How far the jaw opens towards a rounded "oh" (0 closed, 1 at half its range and above)."""
    return np.minimum(1.0, 2.0 * c["jaw"])


# ARKit name -> (formula as docs/RIG.md prints it, function of the curves)
TABLE = {
    "jawOpen": ("jaw", lambda c: c["jaw"]),
    # ARKit's mouthClose brings the lips together against an open jaw: only as much as the jaw is open
    "mouthClose": ("closure x jaw", lambda c: c["closure"] * c["jaw"]),
    "mouthPressLeft": ("closure", lambda c: c["closure"]),
    "mouthPressRight": ("closure", lambda c: c["closure"]),
    "mouthFunnel": ("round x min(1, 2 jaw)", lambda c: c["round"] * _open(c)),
    "mouthPucker": ("round x (1 - min(1, 2 jaw))", lambda c: c["round"] * (1.0 - _open(c))),
    "mouthStretchLeft": ("spread", lambda c: c["spread"]),
    "mouthStretchRight": ("spread", lambda c: c["spread"]),
    "mouthRollLower": ("labiodental", lambda c: c["labiodental"]),
    "mouthShrugLower": ("0.5 labiodental", lambda c: 0.5 * c["labiodental"]),
    "browInnerUp": ("brow_raise", lambda c: c["brow_raise"]),
    "browOuterUpLeft": ("brow_raise", lambda c: c["brow_raise"]),
    "browOuterUpRight": ("brow_raise", lambda c: c["brow_raise"]),
    "browDownLeft": ("brow_furrow", lambda c: c["brow_furrow"]),
    "browDownRight": ("brow_furrow", lambda c: c["brow_furrow"]),
}
CHANNELS = ("jaw", "closure", "round", "spread", "labiodental", "brow_raise", "brow_furrow")  # the curves TABLE reads
DRIVEN = tuple(n for n in ARKIT_52 if n in TABLE)
UNDRIVEN = tuple(n for n in ARKIT_52 if n not in TABLE)
assert set(TABLE) <= set(ARKIT_52)


def arkit_weights(channels: list[str], curves: np.ndarray, names: tuple[str, ...] = ARKIT_52) -> np.ndarray:
    """Curves [T, len(channels)] -> weights [T, len(names)] in 0..1 (undriven names 0)."""
    curves = np.asarray(curves, np.float64)
    missing = [n for n in CHANNELS if n not in channels]
    if missing:
        raise ValueError(f"articulation curves lack channel(s) {', '.join(missing)} (they have {channels})")
    c = {n: np.clip(curves[:, channels.index(n)], 0.0, 1.0) for n in CHANNELS}
    out = np.zeros((curves.shape[0], len(names)), np.float32)
    for j, name in enumerate(names):
        if name in TABLE:
            out[:, j] = np.clip(TABLE[name][1](c), 0.0, 1.0)
    return out
