import math

import numpy as np
import pytest

from multanet_core.errors import MulTaNetError
from multanet_core.lpc import FeatureConfig, features, grid_lpc, n_video_frames, window_starts
from tests.lpc_reference import features_reference


@pytest.mark.parametrize("fps", [30.0, 30000 / 1001, 24.0])
def test_features_match_per_frame_reference_on_speech(speech16k, fps):
    clip = speech16k[: 16000 * 2]
    fast = features(clip, fps)
    ref = features_reference(clip, fps)
    assert fast.dtype == np.float32
    assert fast.shape == (math.ceil(2.0 * fps - 1e-9), 64, 32)
    assert np.abs(ref).max() > 0.5  # real speech gives real coefficients
    np.testing.assert_allclose(fast, ref, rtol=0, atol=2e-4)


def test_karras_520ms_window_is_expressible(speech16k):
    cfg = FeatureConfig(window=8320, n_frames=64, order=32)
    assert (cfg.hop, cfg.frame_length) == (130, 260)
    clip = speech16k[16000 : 16000 + 8000]
    fast = features(clip, 30.0, cfg)
    np.testing.assert_allclose(fast, features_reference(clip, 30.0, cfg), atol=2e-4)
    assert fast.shape == (15, 64, 32)


def test_window_start_snaps_centre_to_grid():
    cfg = FeatureConfig()
    starts = window_starts(4, 30.0, cfg)
    # t = i/30 s: (i/30 * 16000 - 2048) / 64 + 0.5, floored
    expected = [math.floor((i / 30 * 16000 - 2048) / 64 + 0.5) for i in range(4)]
    assert starts.tolist() == expected == [-32, -24, -15, -7]


def test_frame_count_is_ceil_of_duration_times_fps():
    assert n_video_frames(16000, 30, 16000) == 30
    assert n_video_frames(16001, 30, 16000) == 31
    assert n_video_frames(48000, 30000 / 1001, 16000) == 90  # 89.91 -> 90
    assert n_video_frames(1, 30, 16000) == 1
    with pytest.raises(MulTaNetError, match="fps"):
        n_video_frames(100, 0, 16000)


def test_silence_gives_zeros_and_edges_are_zero_padded():
    cfg = FeatureConfig()
    silence = np.zeros(16000, np.float32)
    assert not features(silence, 30.0).any()
    tone = np.sin(np.arange(1600) * 0.3).astype(np.float32)
    grid = grid_lpc(tone, -5, 40, cfg)
    assert not grid[:3].any()  # frames entirely before the signal
    assert grid[5:20].any()
    # frame -1 straddles the start: half zeros, half signal, identical to an explicit zero pad
    padded = np.concatenate([np.zeros(64, np.float32), tone])
    np.testing.assert_allclose(grid[4], grid_lpc(padded, 0, 1, cfg)[0], atol=1e-6)


def test_clipped_audio_is_valid():
    rng = np.random.default_rng(0)
    x = np.clip(rng.standard_normal(8000) * 3, -1, 1).astype(np.float32)
    f = features(x, 30.0)
    assert np.isfinite(f).all() and f.any()


def test_bad_configs_are_refused():
    with pytest.raises(MulTaNetError, match="multiple of n_frames"):
        FeatureConfig(window=4000, n_frames=64)
    with pytest.raises(MulTaNetError, match="order"):
        FeatureConfig(window=640, n_frames=64, order=32)  # frames of 20 samples
    with pytest.raises(MulTaNetError, match="unknown keys"):
        FeatureConfig.from_dict({"window": 4096, "colour": 1})


def test_level_feature_is_relative_log_power_and_gain_invariant(speech16k):
    cfg = FeatureConfig(level="log_energy")
    assert cfg.width == 33
    clip = speech16k[: 16000 * 2].astype(np.float64)
    plain = features(clip, 30.0)
    with_level = features(clip, 30.0, cfg)
    assert with_level.shape == plain.shape[:2] + (33,)
    np.testing.assert_array_equal(with_level[..., :32], plain)  # the LPC part is unchanged
    # quieter: the same features (relative level, scale-free LPC); 20 dB down, some near-silent frames
    # fall under the digital-silence rule of the LPC, but the level stays
    np.testing.assert_allclose(features(clip * 0.5, 30.0, cfg), with_level, atol=2e-4)
    np.testing.assert_allclose(features(clip * 0.1, 30.0, cfg)[..., 32], with_level[..., 32], atol=2e-4)
    level = with_level[..., 32]
    assert level.max() <= 1.0 and level.min() >= -4.0
    # by hand: mean power of the windowed, mean-removed grid frame against the clip's 98th percentile
    hop, length = cfg.hop, cfg.frame_length
    window = np.hanning(length)
    frames = [clip[k * hop: k * hop + length] for k in range(len(clip) // hop)]
    db = [10 * np.log10(max(np.sum(((f - f.mean()) * window[: len(f)]) ** 2) / np.sum(window**2), 1e-12))
          for f in frames]
    ref = np.percentile(db, 98)
    starts = window_starts(len(level), 30.0, cfg)
    t, j = 20, 40  # a window inside the clip
    k = starts[t] + j
    assert abs(level[t, j] - np.clip((db[k] - ref) / 20, -4, 1)) < 1e-4


def test_level_feature_separates_a_noise_floor_from_speech(speech16k):
    """LPC alone sees a -50 dBFS room tone as just another spectrum; the level feature puts it 2-3 units
    (40-60 dB) below the speech, and digital silence at the floor of -4."""
    cfg = FeatureConfig(level="log_energy")
    rng = np.random.default_rng(0)
    speech = speech16k[: 16000 * 2].astype(np.float64)
    pause = rng.standard_normal(16000) * 10 ** (-50 / 20)
    clip = np.concatenate([pause, speech / np.abs(speech).max() * 0.5])
    grid = grid_lpc(clip, 0, len(clip) // cfg.hop, cfg)
    in_pause = grid[10:200, 32]
    assert np.abs(grid[10:200, :32]).max() > 0.1  # the LPC of noise is not zero
    assert in_pause.max() < -1.5 and in_pause.min() > -3.5
    silent = grid_lpc(np.concatenate([np.zeros(16000), speech]), 0, 200, cfg)
    assert (silent[5:200, 32] == -4.0).all()
    with pytest.raises(MulTaNetError, match="level must be one of"):
        FeatureConfig(level="rms")
