"""Lip contact: per frame, how likely the lips are closed (P/B/M) and nobody speaks, and what a bake does with it.

A checkpoint with a contact head (``NetworkSpec.contact_outputs``) predicts, from the shared articulation
output, one probability per class of :data:`CONTACT_CLASSES` per frame, and holds for every head two
coefficient vectors learnt from its data: its lips closed (the mean of its training frames inside P/B/M)
and its rest pose. A regression smooths a 2-3 frame closure away and leaves a mouth moving in pauses; with
``strength`` > 0, :func:`apply_contact` pulls each frame towards the closed pose as the closure probability
rises, and towards rest as the no-speech probability (averaged over ``SILENCE_FRAMES``) rises; the pull ramps
from 0 at ``RAMP[0]`` to full at ``RAMP[1]``, so an unsure frame is left to the regression. numpy only.
"""

from __future__ import annotations

import numpy as np

CONTACT_CLASSES = ("closed", "labiodental", "open", "rounded", "silence")
CLOSED, SILENCE = CONTACT_CLASSES.index("closed"), CONTACT_CLASSES.index("silence")
RAMP = (0.5, 0.85)
SILENCE_FRAMES = 5  # the no-speech probability is averaged over this many frames: a pause lasts 150 ms or more,
# and a pull that flickers on and off between frames would itself move the face


def probabilities(articulation: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Articulation outputs [T, A] -> class probabilities [T, C] (independent logistic outputs)."""
    z = articulation.astype(np.float32) @ weight.T.astype(np.float32) + bias.astype(np.float32)
    return (1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))).astype(np.float32)


def ramp(p: np.ndarray, low: float = RAMP[0], high: float = RAMP[1]) -> np.ndarray:
    """0 under ``low``, 1 over ``high``, smooth (smoothstep) between."""
    x = np.clip((np.asarray(p, np.float32) - low) / (high - low), 0.0, 1.0)
    return x * x * (3 - 2 * x)


def apply_contact(coefficients: np.ndarray, probs: np.ndarray, closed: np.ndarray, rest: np.ndarray,
                  strength: float = 1.0) -> np.ndarray:
    """Coefficients [T, K] pulled towards ``closed`` [K] where the lips close and towards ``rest`` [K] where
    nobody speaks, by ``strength`` (0: unchanged, 1: the full pull) times the ramped probabilities [T, C]."""
    s = float(np.clip(strength, 0.0, 1.0))
    if s == 0.0 or len(coefficients) == 0:
        return coefficients
    w_closed = (s * ramp(probs[:, CLOSED]))[:, None]
    w_rest = (s * ramp(running_mean(probs[:, SILENCE], SILENCE_FRAMES)))[:, None]
    c = coefficients + w_closed * (closed[None].astype(np.float32) - coefficients)
    return (c + w_rest * (rest[None].astype(np.float32) - c)).astype(np.float32)


def running_mean(x: np.ndarray, frames: int) -> np.ndarray:
    """Centred moving average over ``frames`` (odd) frames, the ends repeated."""
    r = frames // 2
    if r == 0 or len(x) == 0:
        return x
    padded = np.concatenate([np.repeat(x[:1], r), x, np.repeat(x[-1:], r)]).astype(np.float64)
    c = np.concatenate([[0.0], np.cumsum(padded)])
    return ((c[frames:] - c[:-frames]) / frames).astype(np.float32)


def speech_share(probs: np.ndarray) -> float:
    """The share of frames that sounded like speech (no-speech probability under one half)."""
    return float(np.mean(probs[:, SILENCE] < 0.5)) if len(probs) else 0.0


SPEECH_WARNING_SHARE = 0.5  # a clip whose frames sounded like speech less often than this bakes with a warning


def speech_warning(probs: np.ndarray | None, what: str) -> str:
    """A warning that ``what`` (e.g. "strip 'music bed'") is mostly not speech, saying what share of its frames
    sounded like speech; '' when at least :data:`SPEECH_WARNING_SHARE` did, or there are no probabilities."""
    if probs is None or not len(probs):
        return ""
    share = speech_share(probs)
    if share >= SPEECH_WARNING_SHARE:
        return ""
    return f"only {int(100 * share)} % of {what} sounded like speech: check that it is dialogue"
