import os

import numpy as np
import pytest
import soundfile

import multanet_core.audio
from multanet_core.audio import load_speech, prepare, read_audio
from multanet_core.errors import AudioError
from tests.conftest import SPEECH_EN


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_decodes_wav_flac_ogg_to_16k_mono(tmp_path, fmt):
    samples, rate = soundfile.read(SPEECH_EN, dtype="float32")
    stereo = np.stack([samples, 0.5 * samples], axis=1)
    path = tmp_path / f"speech.{fmt.lower()}"
    soundfile.write(path, stereo, rate, format=fmt)
    out = load_speech(path)
    assert out.dtype == np.float32 and out.ndim == 1
    assert abs(out.shape[0] - round(samples.shape[0] * 16000 / rate)) <= 1
    ref = load_speech(SPEECH_EN)
    # down-mix is the channel mean: 0.75 x the mono original (ogg is lossy, so compare energy)
    assert np.sqrt(np.mean(out**2)) == pytest.approx(0.75 * np.sqrt(np.mean(ref**2)), rel=0.05)


def test_polyphase_resampling_keeps_pitch_and_rejects_aliases():
    rate = 44100
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 1000 * t)
    alias = np.sin(2 * np.pi * 12000 * t)  # above the new 8 kHz Nyquist limit
    out = prepare(np.stack([tone, alias], axis=1).astype(np.float32), rate)
    assert out.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(out[2000:14000] * np.hanning(12000)))
    freqs = np.fft.rfftfreq(12000, 1 / 16000)
    assert abs(freqs[spectrum.argmax()] - 1000) < 5
    # a naive decimation would fold 12 kHz to 4 kHz; the filter removes it
    assert spectrum[np.abs(freqs - 4000) < 50].max() < 1e-3 * spectrum.max()


def test_integer_pcm_and_silence_and_clipping_are_valid():
    assert prepare(np.zeros(16000, np.int16), 16000).max() == 0
    x = prepare(np.array([32767, -32768, 0] * 1000, np.int16), 16000)
    assert x.max() == pytest.approx(1.0, abs=1e-4) and x.min() == -1.0


def test_missing_file(tmp_path):
    with pytest.raises(AudioError, match=r"'.*nope\.wav' does not exist"):
        load_speech(tmp_path / "nope.wav")


def test_corrupt_file(tmp_path):
    path = tmp_path / "broken.wav"
    path.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt garbage garbage")
    with pytest.raises(AudioError, match=r"broken\.wav' cannot be decoded"):
        load_speech(path)


def test_zero_length_file(tmp_path):
    path = tmp_path / "empty.wav"
    soundfile.write(path, np.zeros((0,), np.float32), 16000)
    with pytest.raises(AudioError, match=r"empty\.wav'.*no samples"):
        load_speech(path)


def test_nan_and_inf_samples_are_named():
    x = np.zeros(16000, np.float32)
    x[8000] = np.nan
    x[9000] = np.inf
    with pytest.raises(AudioError, match=r"2 samples are NaN or infinite \(first at 0.500 s\)"):
        prepare(x, 16000, name="line 12")


def test_rate_below_8k_is_refused(tmp_path):
    path = tmp_path / "phone.wav"
    soundfile.write(path, np.zeros(4000, np.float32), 4000)
    with pytest.raises(AudioError, match=r"phone\.wav'.*4000 Hz.*at least 8000 Hz"):
        load_speech(path)


def test_too_long_audio_is_refused_before_decoding(tmp_path, monkeypatch):
    path = tmp_path / "long.wav"
    soundfile.write(path, np.zeros(32000, np.float32), 16000)
    monkeypatch.setattr(multanet_core.audio, "MAX_SECONDS", 1.0)
    with pytest.raises(AudioError, match=r"long\.wav': 2 s of audio is over the 1 s limit"):
        read_audio(path)


def test_folder_is_not_audio(tmp_path):
    with pytest.raises(AudioError, match="is a folder"):
        load_speech(tmp_path)
    assert os.path.isdir(tmp_path)


@pytest.mark.parametrize("up,down,n", [(320, 441, 22050), (160, 441, 44101), (1, 3, 4800), (2, 1, 999),
                                       (160, 147, 12345), (4, 5, 7), (320, 441, 1)])
def test_numpy_resampler_equals_scipy(up, down, n):
    """multanet_core.resample is scipy's resample_poly, reimplemented so Blender (no scipy) gets the same numbers."""
    from scipy.signal import resample_poly as scipy_resample_poly

    from multanet_core.resample import resample_poly

    x = np.random.default_rng(n).standard_normal(n)
    ours, theirs = resample_poly(x, up, down), scipy_resample_poly(x, up, down)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rate, channels, fmt", [(48000, 2, "wav"), (44100, 6, "flac"), (16000, 1, "wav"),
                                                 (22050, 2, "ogg")])
def test_a_file_read_in_blocks_gives_the_whole_file_numbers(tmp_path, monkeypatch, rate, channels, fmt):
    """load_speech streams the file (block by block: mono, then resampled) to the same samples as decoding it
    whole: memory holds the 16 kHz result, not the decoded file (issue 28: 2 h of 48 kHz stereo took 11 GB)."""
    rng = np.random.default_rng(rate)
    t = np.arange(int(rate * 2.3) + 17) / rate
    x = 0.3 * np.sin(2 * np.pi * 220 * t)[:, None] * rng.uniform(0.5, 1.0, channels) \
        + 0.01 * rng.standard_normal((len(t), channels))
    path = str(tmp_path / f"long.{fmt}")
    soundfile.write(path, x.astype(np.float32), rate)
    samples, r = read_audio(path)
    whole = prepare(samples, r)
    monkeypatch.setattr(multanet_core.audio, "STREAM_BLOCK", 4099)  # many blocks, none on the output grid
    streamed = load_speech(path)
    assert streamed.dtype == np.float32 and streamed.shape == whole.shape
    np.testing.assert_array_equal(streamed, whole)


def test_blocks_that_cancel_or_hold_nan_are_refused_as_before(tmp_path, monkeypatch):
    monkeypatch.setattr(multanet_core.audio, "STREAM_BLOCK", 1000)
    t = np.arange(48000) / 48000
    tone = 0.5 * np.sin(2 * np.pi * 300 * t)
    anti = str(tmp_path / "anti.wav")
    soundfile.write(anti, np.stack([tone, -tone], 1).astype(np.float32), 48000, subtype="FLOAT")
    with pytest.raises(AudioError, match="silent once its 2 channels are mixed to mono"):
        load_speech(anti)
    bad = np.stack([tone, tone], 1).astype(np.float32)
    bad[30000, 1] = np.nan
    nan = str(tmp_path / "nan.wav")
    soundfile.write(nan, bad, 48000, subtype="FLOAT")
    with pytest.raises(AudioError, match=r"NaN or infinite \(first at 0.625 s\)"):
        load_speech(nan)


@pytest.mark.parametrize("up, down", [(1, 3), (160, 441), (2, 1), (4, 5), (1, 1)])
def test_resampling_in_blocks_of_any_size_equals_resampling_whole(up, down):
    from multanet_core.resample import resample_poly, resample_stream

    rng = np.random.default_rng(up * 1000 + down)
    x = rng.standard_normal(50_000 + up + down)
    cuts = np.cumsum(rng.integers(1, 7000, 40))
    blocks = np.split(x, cuts[cuts < len(x)])
    got = resample_stream(iter(blocks), len(x), up, down, out_block=3000)
    np.testing.assert_array_equal(got, resample_poly(x, up, down).astype(np.float32))
    with pytest.raises(ValueError, match="blocks held"):
        resample_stream(iter(blocks[:-1]), len(x), up, down, out_block=3000)
