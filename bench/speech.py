"""Long real-speech test clips for the benchmarks: the bundled espeak-ng sentence, repeated."""

from __future__ import annotations

import os

import numpy as np
import soundfile

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "speech_en.flac")


def speech_file(seconds: float, folder: str) -> str:
    """Write ``seconds`` of speech at the fixture's own rate (22050 Hz) as FLAC; return its path."""
    samples, rate = soundfile.read(FIXTURE, dtype="float32")
    n = int(seconds * rate)
    clip = np.tile(samples, n // samples.shape[0] + 1)[:n]
    path = os.path.join(folder, f"speech_{seconds:g}s.flac")
    soundfile.write(path, clip, rate)
    return path
