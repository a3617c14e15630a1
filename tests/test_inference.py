"""Whole clips from audio: numpy inference equals the torch model on core's LPC windows."""

import numpy as np
import pytest
import torch

import multanet_core.inference
from multanet_core.__main__ import main as core_main
from multanet_core.checkpoint import save_checkpoint
from multanet_core.inference import Animator
from multanet_core.lpc import features
from multanet_core.pointcache import read_pc2
from tests.conftest import SPEECH_EN
from train.random_checkpoint import make_random_model


@pytest.fixture(scope="module")
def model_and_ckpt():
    return make_random_model("multanet", characters=2, vertices=300, components=12, seed=7)


@pytest.mark.parametrize("fps", [30.0, 30000 / 1001])
def test_speech_clip_matches_torch_on_lpc_windows(model_and_ckpt, speech16k, fps):
    model, ckpt = model_and_ckpt
    animator = Animator(ckpt, "char01")
    emotion = animator.emotion_vector("random 2", 0.5)
    coeffs = animator.coefficients(speech16k, fps, emotion)
    feats = torch.from_numpy(features(speech16k, fps, ckpt.features))
    with torch.no_grad():
        want = model.coefficients(feats, 1, torch.from_numpy(emotion)[None].expand(len(feats), -1)).numpy()
    assert coeffs.shape == want.shape == (int(np.ceil(speech16k.shape[0] / 16000 * fps - 1e-9)), 12)
    np.testing.assert_allclose(coeffs, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_chunking_does_not_change_the_result(model_and_ckpt, speech16k, monkeypatch):
    _, ckpt = model_and_ckpt
    animator = Animator(ckpt, "char00")
    whole = animator.coefficients(speech16k, 30.0)
    monkeypatch.setattr(multanet_core.inference, "CHUNK_FRAMES", 7)
    chunked = animator.coefficients(speech16k, 30.0)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-6)


def test_emotion_presets_and_strength(model_and_ckpt):
    _, ckpt = model_and_ckpt
    head = ckpt.head("char00")
    np.testing.assert_allclose(head.emotion("random 1", 0.0), head.presets["neutral"])
    np.testing.assert_allclose(head.emotion("random 1", 1.0), head.presets["random 1"], rtol=1e-6)
    with pytest.raises(ValueError, match="no emotion preset 'joy'; it has: neutral, random 1, random 2"):
        head.emotion("joy")


def test_animate_cli_writes_npy_and_pc2(model_and_ckpt, speech16k, tmp_path):
    _, ckpt = model_and_ckpt
    path = tmp_path / "m.npz"
    save_checkpoint(path, ckpt)
    args = ["animate", "--checkpoint", str(path), "--character", "char01", "--audio", SPEECH_EN, "--fps", "25"]
    assert core_main([*args, "--out", str(tmp_path / "v.npy")]) == 0
    assert core_main([*args, "--out", str(tmp_path / "v.pc2"), "--start-frame", "12"]) == 0
    animator = Animator(ckpt, "char01")
    want = animator.vertices(animator.coefficients(speech16k, 25.0))
    got = np.load(tmp_path / "v.npy")
    assert got.dtype == np.float32 and got.shape == want.shape == (142, ckpt.head("char01").n_vertices, 3)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    cache, start, rate = read_pc2(tmp_path / "v.pc2")
    assert (start, rate) == (12.0, 1.0)
    np.testing.assert_array_equal(cache, got)


def test_animate_cli_errors_change_nothing(model_and_ckpt, tmp_path, capsys):
    _, ckpt = model_and_ckpt
    path = tmp_path / "m.npz"
    save_checkpoint(path, ckpt)
    out = tmp_path / "v.npy"
    assert core_main(["animate", "--checkpoint", str(path), "--character", "bob", "--audio", SPEECH_EN,
                      "--out", str(out)]) == 2
    assert "no character 'bob'; it has: char00, char01" in capsys.readouterr().err
    assert core_main(["animate", "--checkpoint", str(path), "--character", "char00",
                      "--audio", str(tmp_path / "missing.wav"), "--out", str(out)]) == 2
    assert "missing.wav' does not exist" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_features_cli(tmp_path):
    out = tmp_path / "f.npy"
    assert core_main(["features", "--audio", SPEECH_EN, "--fps", "30", "--out", str(out)]) == 0
    f = np.load(out)
    assert f.shape == (170, 64, 32) and f.dtype == np.float32  # 5.66 s at 30 fps


def test_coefficient_filter_is_part_of_the_model(tmp_path, speech16k):
    """A checkpoint's coefficient_filter smooths every consumer's coefficients the same way; bad taps are refused."""
    from multanet_core.checkpoint import load_checkpoint, save_checkpoint
    from multanet_core.errors import CheckpointError
    from multanet_core.inference import Animator, smooth_frames
    from train.random_heads import numpy_checkpoint

    ckpt = numpy_checkpoint(characters=1, vertices=150, components=5, seed=4)
    raw = Animator(ckpt, "char00").coefficients(speech16k, 30.0)
    ckpt.coefficient_filter = [1, 6, 1]
    save_checkpoint(tmp_path / "f.npz", ckpt)
    smoothed = Animator(load_checkpoint(tmp_path / "f.npz"), "char00").coefficients(speech16k, 30.0)
    expected = raw.copy()
    expected[1:-1] = (raw[:-2] + 6 * raw[1:-1] + raw[2:]) / 8
    expected[0] = (7 * raw[0] + raw[1]) / 8  # the end frames are repeated
    expected[-1] = (raw[-2] + 7 * raw[-1]) / 8
    np.testing.assert_allclose(smoothed, expected, rtol=1e-5, atol=1e-6)
    assert np.abs(np.diff(smoothed, 3, axis=0)).mean() < np.abs(np.diff(raw, 3, axis=0)).mean()
    np.testing.assert_allclose(smooth_frames(raw, np.array([1.0], np.float32)), raw)
    for bad in ([1, 1], [0, 0, 0], "1,6,1", [1, float("nan"), 1]):
        ckpt.coefficient_filter = bad
        with pytest.raises(CheckpointError, match="coefficient_filter"):
            Animator(ckpt, "char00")
        with pytest.raises(CheckpointError, match="coefficient_filter"):
            save_checkpoint(tmp_path / "bad.npz", ckpt)
