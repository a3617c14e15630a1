import math

import numpy as np
import pytest

from core.errors import MulTaNetError
from core.lpc import FeatureConfig, features, grid_lpc, n_video_frames, window_starts
from core.lpc_reference import features_reference


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
