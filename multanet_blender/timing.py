"""Where a sound strip's audio lands on the timeline, and which audio each scene frame hears (numpy only).

Blender plays a sound strip in real time: scene frame ``f`` hears the sound at
``(f - frame_start) / fps - sound_offset`` seconds, where ``frame_start`` is where the untrimmed
strip would begin, ``fps = render.fps / render.fps_base`` (23.976 and 29.97 included) and
``sound_offset`` is the strip's offset in seconds (positive: the sound starts later). This is
checked against Blender's own mixdown of the scene (tests/blender/test_timing.py). Trims only narrow the visible part,
``[frame_final_start, frame_final_end)``; the audio before a trim still feeds the analysis
window of the first visible frame, exactly as it would in the untrimmed clip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from multanet_core.errors import MulTaNetError


@dataclass(frozen=True)
class StripTiming:
    frame_start: float  # where the untrimmed strip begins (may be fractional)
    final_start: int  # first visible frame
    final_end: int  # one past the last visible frame
    fps: float
    sound_offset: float = 0.0  # seconds the sound is delayed from frame_start

    def __post_init__(self) -> None:
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise MulTaNetError(f"the scene's frame rate must be positive, got {self.fps}")
        if self.final_end <= self.final_start:
            raise MulTaNetError(f"the strip shows no frames ({self.final_start} to {self.final_end})")

    @property
    def n_frames(self) -> int:
        return self.final_end - self.final_start

    def sound_time(self, frame: float) -> float:
        """Seconds into the sound heard at scene frame ``frame``."""
        return (frame - self.frame_start) / self.fps - self.sound_offset


@dataclass(frozen=True)
class AudioSlice:
    """Samples to analyse so that analysis frame ``lead + j`` is scene frame ``final_start + j``."""

    samples: np.ndarray
    lead: int  # analysis frames before the first visible frame (context kept from trimmed audio)
    n_frames: int  # visible frames
    start_s: float = 0.0  # the time in the sound of the first sample (negative: silence before the sound)


def slice_for_strip(samples: np.ndarray, rate: int, timing: StripTiming) -> AudioSlice:
    """Cut (or pad with silence) ``samples`` so video frame ``i / fps`` of the result lines up with the strip.

    The analysis starts at the latest time ``<= 0`` that is a whole number of frames before the first
    visible frame, so trimmed audio stays in the windows and the grid of frame times is kept.
    """
    t_first = timing.sound_time(timing.final_start)
    lead = max(0, math.floor(t_first * timing.fps + 1e-9))
    start = t_first - lead / timing.fps  # in (-inf, 1/fps): negative means silence before the sound
    first = int(round(start * rate))
    # the last visible frame's window reaches half a window past it; a little more is harmless
    t_last = timing.sound_time(timing.final_end) + 1.0
    stop = min(len(samples), max(0, int(math.ceil(t_last * rate))))
    if first >= 0:
        cut = samples[first:stop]
    else:
        cut = np.concatenate([np.zeros(-first, dtype=samples.dtype), samples[:stop]])
    return AudioSlice(np.ascontiguousarray(cut), lead, timing.n_frames, first / rate)


def visible(rows: np.ndarray, piece: AudioSlice) -> tuple[np.ndarray, np.ndarray]:
    """The rows of the visible frames, and a mask of those the sound reaches (False past its end)."""
    out = np.zeros((piece.n_frames,) + rows.shape[1:], dtype=rows.dtype)
    have = rows[piece.lead:piece.lead + piece.n_frames]
    out[:len(have)] = have
    mask = np.zeros(piece.n_frames, dtype=bool)
    mask[:len(have)] = True
    return out, mask
