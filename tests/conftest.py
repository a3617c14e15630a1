from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DATA = os.path.join(ROOT, "tests", "data")
SPEECH_EN = os.path.join(DATA, "speech_en.flac")  # espeak-ng en-us, 22050 Hz, 5.66 s (see tests/data/README.md)


@pytest.fixture(scope="session")
def speech16k():
    from core.audio import load_speech

    return load_speech(SPEECH_EN)
