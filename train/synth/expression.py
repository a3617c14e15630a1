"""Expressions for the synthetic corpus: a label and an intensity per frame, acting on the whole face.

Every utterance gets an expression (:data:`EXPRESSIONS`, ``neutral`` included) with a per-utterance intensity
curve: an onset, a hold and a decay, and sometimes a change to a second expression within the line
(:func:`expression_track`). Through :data:`FACE` it drives the head's expression channels
(``head.EXPRESSION_CHANNELS``: mouth corners, cheeks, eyelids, inner brows, nose) and adds to the speech channels
(brows; lips spread or pressed, the jaw's range) layered over the articulation (:func:`apply`).

Some of it is heard, as in real speech: a *heard* expression changes the voice (:data:`VOICE`: pitch level and
range, rate; a neural voice's speed) by its peak intensity. Some is not: the corpus also speaks a line in the
same voice with another expression (``train synth``'s expression copies), so that the emotion vector, not the
audio, has to carry it, the ambiguity the paper's emotion vector is for. numpy only.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

EXPRESSIONS = ("neutral", "happy", "sad", "angry", "surprised", "afraid", "disgusted")
EXPRESSION_CHANNELS = ("smile", "frown", "cheek_raise", "squint", "lid_wide", "brow_inner", "sneer", "lip_down")

# label -> channel -> level at full intensity. Expression channels are set; speech channels ("brow_raise",
# "brow_furrow", "spread", "closure") are added to; "jaw_scale" scales the jaw's opening (1 + value).
FACE: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"smile": 0.85, "cheek_raise": 0.6, "squint": 0.35, "spread": 0.3, "brow_raise": 0.1},
    "sad": {"frown": 0.6, "brow_inner": 0.85, "squint": 0.1, "jaw_scale": -0.3},
    "angry": {"brow_furrow": 1.0, "squint": 0.6, "frown": 0.35, "sneer": 0.3, "lip_down": 0.3, "jaw_scale": -0.15,
              "spread": 0.15},
    "surprised": {"lid_wide": 0.9, "brow_raise": 0.8, "jaw_scale": 0.2},
    "afraid": {"lid_wide": 0.7, "brow_inner": 0.75, "brow_raise": 0.3, "spread": 0.35, "frown": 0.2, "lip_down": 0.6},
    "disgusted": {"sneer": 0.85, "frown": 0.4, "brow_furrow": 0.4, "squint": 0.3, "lip_down": 0.3,
                  "jaw_scale": -0.1},
}
SPEECH_TERMS = ("brow_raise", "brow_furrow", "spread", "closure")

# label -> espeak-ng voice change at full intensity (pitch, pitch range: 0-100 scale; rate: words a minute),
# and a neural voice's speed factor
VOICE: dict[str, dict[str, float]] = {
    "neutral": {},
    "happy": {"pitch": 10, "pitch_range": 20, "rate": 10, "speed": 1.05},
    "sad": {"pitch": -10, "pitch_range": -25, "rate": -35, "speed": 0.85},
    "angry": {"pitch": 5, "pitch_range": 15, "rate": 15, "speed": 1.1},
    "surprised": {"pitch": 15, "pitch_range": 30, "rate": 5, "speed": 1.0},
    "afraid": {"pitch": 15, "pitch_range": -10, "rate": 25, "speed": 1.15},
    "disgusted": {"pitch": -5, "pitch_range": -10, "rate": -15, "speed": 0.92},
}
ONSET_S = (0.2, 0.6)  # how long an expression takes to come on
DECAY_S = (0.2, 0.6)
PEAK = (0.5, 1.0)  # the intensity it holds
CHANGE_SHARE = 0.2  # lines whose expression changes to another one part-way
NEUTRAL_SHARE = 0.25  # lines that stay neutral
HEARD_SHARE = 0.5  # lines whose voice carries the expression
assert set(FACE) == set(VOICE) == set(EXPRESSIONS)
assert all(k in EXPRESSION_CHANNELS or k in SPEECH_TERMS or k == "jaw_scale" for f in FACE.values() for k in f)


@dataclass(frozen=True)
class ExpressionPlan:
    """What one line shows: its expression, a second one it may change to (and when, as a share of the line),
    its peak intensity, and whether the voice carries it."""

    label: str = "neutral"
    peak: float = 0.0
    heard: bool = False
    then: str | None = None  # the expression it changes to
    change_at: float = 0.0  # share of the line's length where the change starts

    def to_json(self) -> dict:
        out = {"label": self.label, "peak": round(self.peak, 3), "heard": self.heard}
        if self.then:
            out.update(then=self.then, change_at=round(self.change_at, 3))
        return out


def plan_expression(seed: int, character: int, seq_id: str, label: str | None = None,
                    heard: bool | None = None) -> ExpressionPlan:
    """The seeded expression of one line, a function of (seed, character, id) only; ``label`` and ``heard``
    force those (an expression copy of a line: another label, in the same voice)."""
    rng = np.random.default_rng([seed, character, zlib.crc32(seq_id.encode("utf-8")), 0xE3])
    if label is None:
        label = "neutral" if rng.uniform() < NEUTRAL_SHARE else str(rng.choice(EXPRESSIONS[1:]))
    peak = float(rng.uniform(*PEAK)) if label != "neutral" else 0.0
    if heard is None:
        heard = bool(rng.uniform() < HEARD_SHARE) and label != "neutral"
    then = None
    change_at = 0.0
    if rng.uniform() < CHANGE_SHARE:
        then = str(rng.choice([e for e in EXPRESSIONS if e != label]))
        change_at = float(rng.uniform(0.35, 0.7))
    return ExpressionPlan(label, peak, bool(heard), then, change_at)


def voice_change(plan: ExpressionPlan) -> dict[str, float]:
    """The changes a heard expression makes to the voice (espeak-ng fields and a neural ``speed`` factor)."""
    if not plan.heard:
        return {}
    return {k: (v - 1.0) * plan.peak + 1.0 if k == "speed" else v * plan.peak for k, v in VOICE[plan.label].items()}


def _envelope(n: int, fps: float, start: int, end: int, rng: np.random.Generator, rise: bool, fall: bool) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    up = max(1.0, rng.uniform(*ONSET_S) * fps) if rise else 1e-9
    down = max(1.0, rng.uniform(*DECAY_S) * fps) if fall else 1e-9
    x = np.clip((t - start) / up, 0, 1) * np.clip((end - t) / down, 0, 1)
    x[(t < start) | (t >= end)] = 0.0
    return x * x * (3 - 2 * x)


def expression_track(plan: ExpressionPlan, n_frames: int, fps: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the expression's index in :data:`EXPRESSIONS` (int [T]) and its intensity (float32 [T], 0..1).

    The expression comes on from the line's first frames over :data:`ONSET_S`, holds ``plan.peak`` and decays
    over :data:`DECAY_S` at its end; a change crossfades to ``plan.then`` from ``plan.change_at`` of the line (the
    label is the stronger one's). A neutral line is label 0, intensity 0 throughout."""
    rng = np.random.default_rng([seed, n_frames, 0x7E])
    labels = np.zeros(n_frames, np.int64)
    intensity = np.zeros(n_frames, np.float32)
    if n_frames == 0:
        return labels, intensity
    cut = int(round(plan.change_at * n_frames)) if plan.then else n_frames
    first = _envelope(n_frames, fps, 0, cut, rng, True, True) * plan.peak
    second = np.zeros(n_frames)
    if plan.then and plan.then != "neutral":
        second = _envelope(n_frames, fps, cut, n_frames, rng, True, True) * float(rng.uniform(*PEAK))
    if plan.label != "neutral":
        labels[first > 0] = EXPRESSIONS.index(plan.label)
        intensity[:] = first
    if plan.then:
        later = np.arange(n_frames) >= cut
        labels[later & (second > 0)] = EXPRESSIONS.index(plan.then)
        intensity[later] = second[later]
    return labels, intensity.astype(np.float32)


def apply(speech: np.ndarray, speech_channels: tuple[str, ...], labels: np.ndarray,
          intensity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The speech channels [T, S] with the expression layered over them, and the expression channels
    [T, len(EXPRESSION_CHANNELS)], both in 0..1."""
    out = np.array(speech, np.float64, copy=True)
    face = np.zeros((len(labels), len(EXPRESSION_CHANNELS)))
    for k, name in enumerate(EXPRESSIONS):
        rows = labels == k
        if not rows.any() or not FACE[name]:
            continue
        level = intensity[rows].astype(np.float64)
        for channel, value in FACE[name].items():
            if channel == "jaw_scale":
                j = speech_channels.index("jaw")
                out[rows, j] *= 1.0 + value * level
            elif channel in SPEECH_TERMS:
                j = speech_channels.index(channel)
                out[rows, j] += value * level
            else:
                face[rows, EXPRESSION_CHANNELS.index(channel)] = value * level
    return np.clip(out, 0.0, 1.0), np.clip(face, 0.0, 1.0)
