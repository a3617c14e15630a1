"""The synthetic corpus's articulation curves as ARKit-52 weights: a rig head's ground truth.

Every generated sequence keeps its per-frame curves (``jaw``, ``closure``, ``round``, ``spread``,
``labiodental``, ``brow_raise``, ``brow_furrow``, and with ``train synth --expressions`` the expression
channels ``smile``, ``frown``, ``cheek_raise``, ``squint``, ``lid_wide``, ``brow_inner``, ``sneer``,
``lip_down``; each 0..1;
docs/DATA.md). :data:`TABLE` says how each ARKit name the corpus can drive follows from them; docs/RIG.md prints
the same table (a test holds the two together). Curves without the expression channels (corpora before them)
read as no expression: :data:`SPEECH_DRIVEN` names move, the expression names stay 0. The other names (eye
gaze, jaw sideways, tongue...) stay 0 always: :data:`UNDRIVEN` lists them.
"""

from __future__ import annotations

import numpy as np

from multanet_core.rig_names import ARKIT_52
from train.synth.expression import EXPRESSION_CHANNELS  # 0 where the curves lack them


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
    "browInnerUp": ("brow_raise + brow_inner", lambda c: c["brow_raise"] + c["brow_inner"]),
    "browOuterUpLeft": ("brow_raise", lambda c: c["brow_raise"]),
    "browOuterUpRight": ("brow_raise", lambda c: c["brow_raise"]),
    "browDownLeft": ("brow_furrow", lambda c: c["brow_furrow"]),
    "browDownRight": ("brow_furrow", lambda c: c["brow_furrow"]),
    # the expression channels (train synth --expressions)
    "mouthSmileLeft": ("smile", lambda c: c["smile"]),
    "mouthSmileRight": ("smile", lambda c: c["smile"]),
    "mouthDimpleLeft": ("0.4 smile", lambda c: 0.4 * c["smile"]),
    "mouthDimpleRight": ("0.4 smile", lambda c: 0.4 * c["smile"]),
    "mouthFrownLeft": ("frown", lambda c: c["frown"]),
    "mouthFrownRight": ("frown", lambda c: c["frown"]),
    "cheekSquintLeft": ("cheek_raise", lambda c: c["cheek_raise"]),
    "cheekSquintRight": ("cheek_raise", lambda c: c["cheek_raise"]),
    "eyeSquintLeft": ("squint", lambda c: c["squint"]),
    "eyeSquintRight": ("squint", lambda c: c["squint"]),
    "eyeWideLeft": ("lid_wide", lambda c: c["lid_wide"]),
    "eyeWideRight": ("lid_wide", lambda c: c["lid_wide"]),
    "noseSneerLeft": ("sneer", lambda c: c["sneer"]),
    "noseSneerRight": ("sneer", lambda c: c["sneer"]),
    "mouthUpperUpLeft": ("0.5 sneer", lambda c: 0.5 * c["sneer"]),
    "mouthUpperUpRight": ("0.5 sneer", lambda c: 0.5 * c["sneer"]),
    "mouthLowerDownLeft": ("lip_down", lambda c: c["lip_down"]),
    "mouthLowerDownRight": ("lip_down", lambda c: c["lip_down"]),
}
CHANNELS = ("jaw", "closure", "round", "spread", "labiodental", "brow_raise", "brow_furrow")  # curves must have these
DRIVEN = tuple(n for n in ARKIT_52 if n in TABLE)
UNDRIVEN = tuple(n for n in ARKIT_52 if n not in TABLE)
assert set(TABLE) <= set(ARKIT_52)


def arkit_weights(channels: list[str], curves: np.ndarray, names: tuple[str, ...] = ARKIT_52) -> np.ndarray:
    """Curves [T, len(channels)] -> weights [T, len(names)] in 0..1 (undriven names 0)."""
    curves = np.asarray(curves, np.float64)
    missing = [n for n in CHANNELS if n not in channels]
    if missing:
        raise ValueError(f"articulation curves lack channel(s) {', '.join(missing)} (they have {channels})")
    zero = np.zeros(curves.shape[0])
    c = {n: np.clip(curves[:, channels.index(n)], 0.0, 1.0) if n in channels else zero
         for n in CHANNELS + EXPRESSION_CHANNELS}
    out = np.zeros((curves.shape[0], len(names)), np.float32)
    for j, name in enumerate(names):
        if name in TABLE:
            out[:, j] = np.clip(TABLE[name][1](c), 0.0, 1.0)
    return out


# driven by the speech channels alone (the names that move with every speech channel at 0.25 and no expression):
# what a corpus without expressions moves
SPEECH_DRIVEN = tuple(n for n, w in zip(ARKIT_52, arkit_weights(list(CHANNELS), np.full((1, len(CHANNELS)), 0.25))[0],
                                        strict=True) if w > 0)
