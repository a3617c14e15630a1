"""Shared by the benchmarks: long real-speech clips (the bundled espeak-ng sentence, repeated) and timing."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable

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


def best_of(fn: Callable[[], object], repeats: int = 3) -> tuple[float, object]:
    """Fastest wall time of ``repeats`` calls (the least disturbed by other load) and the last result."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def cli(doc: str, argv: list[str] | None = None) -> argparse.Namespace:
    """The benchmark's command line: ``--help`` prints its docstring (what it measures) and exits."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser.parse_args(argv)
