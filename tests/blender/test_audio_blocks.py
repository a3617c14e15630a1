"""A PCM WAV strip or file is read in blocks in the add-on (issue 28: 2 h of 48 kHz stereo took 11 GB), to the
samples the command line reads (core's soundfile path); other formats are decoded by aud as before."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
from bl_helpers import add_strip, needs_aud

import multanet_core.audio as core_audio
from multanet_blender import audio_in

pytestmark = needs_aud


def write(path: str, rate: int, channels: int, subtype: str | None = None) -> str:
    rng = np.random.default_rng(rate + channels)
    t = np.arange(int(rate * 3.1) + 5) / rate
    x = 0.3 * np.sin(2 * np.pi * 180 * t)[:, None] + 0.02 * rng.standard_normal((len(t), channels))
    soundfile.write(path, x.astype(np.float32), rate, subtype=subtype)
    return path


@pytest.mark.parametrize("rate, channels, subtype", [(48000, 2, "PCM_16"), (44100, 1, "PCM_24"),
                                                     (16000, 2, "PCM_16")])
def test_a_pcm_wav_strip_is_read_in_blocks_to_the_command_lines_samples(blender, tmp_path, monkeypatch, rate,
                                                                          channels, subtype):
    path = write(str(tmp_path / "line.wav"), rate, channels, subtype)
    want = core_audio.load_speech(path)  # the command line's (and training's) samples
    monkeypatch.setattr(core_audio, "STREAM_BLOCK", 5003)
    read = []
    real = core_audio.load_pcm_wav
    monkeypatch.setattr(core_audio, "load_pcm_wav", lambda *a: read.append(a) or real(*a))
    strip = add_strip(path, 1, "line")
    got = audio_in.sound_samples(strip.sound, "strip 'line'")
    assert read and got.dtype == np.float32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(audio_in.file_samples(path), want)


def test_float_wav_and_flac_are_still_decoded_by_aud(blender, tmp_path, monkeypatch):
    monkeypatch.setattr(core_audio, "load_pcm_wav", lambda *a: pytest.fail("not a PCM WAV"))
    for path in (write(str(tmp_path / "f.wav"), 48000, 2, "FLOAT"), write(str(tmp_path / "f.flac"), 44100, 1)):
        strip = add_strip(path, 1, path.rsplit("/", 1)[1])
        got = audio_in.sound_samples(strip.sound, "strip")
        np.testing.assert_allclose(got, core_audio.load_speech(path), atol=1e-4)
