"""Hostile input to core's command line and readers (issue 10): clear errors, no hang, nothing written."""

import os
import threading

import numpy as np
import pytest
import soundfile

import multanet_core.__main__ as core_cli
from multanet_core.audio import load_speech, read_audio
from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.errors import AudioError, CheckpointError
from tests.conftest import SPEECH_EN
from train.random_checkpoint import make_random_model


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory):
    _, ckpt = make_random_model("multanet", characters=1, vertices=200, components=8, seed=3)
    path = tmp_path_factory.mktemp("ckpt") / "m.npz"
    save_checkpoint(path, ckpt)
    return path


def _speech(tmp_path, name="s.wav", seconds=1.0, channels=1):
    t = np.arange(int(16000 * seconds)) / 16000
    x = (0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    path = tmp_path / name
    soundfile.write(path, np.stack([x, -x], 1) if channels == 2 else x, 16000, subtype="PCM_16")
    return path


def _no_hang(fn, *args):
    """Run fn in a thread; a reader that blocks on a FIFO would hang the test instead of failing it."""
    box = {}

    def go():
        try:
            box["value"] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    th = threading.Thread(target=go, daemon=True)
    th.start()
    th.join(20)
    assert not th.is_alive(), f"{fn.__name__} blocked on a FIFO"
    return box


def test_a_fifo_is_refused_as_audio_and_as_checkpoint(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    for fn, err in ((read_audio, AudioError), (load_speech, AudioError), (load_checkpoint, CheckpointError)):
        box = _no_hang(fn, fifo)
        assert isinstance(box.get("error"), err) and "FIFO" in str(box["error"]), box


def test_a_truncated_wav_is_reported(tmp_path):
    path = _speech(tmp_path, seconds=2.0)
    data = path.read_bytes()
    path.write_bytes(data[:44 + 1000])  # the header still declares 2 s
    with pytest.raises(AudioError, match=r"truncated: its header declares 2\.000 s of audio but the file holds "
                                         r"0\.031 s"):
        read_audio(path)
    read_audio(_speech(tmp_path, "whole.wav"))  # a whole file reads


def test_anti_phase_stereo_is_silent_and_says_why(tmp_path, ckpt_path, capsys):
    path = _speech(tmp_path, channels=2)
    with pytest.raises(AudioError, match="mixed to mono .* they cancel each other"):
        load_speech(path)
    out = tmp_path / "v.npy"
    assert core_cli.main(["animate", "--checkpoint", str(ckpt_path), "--character", "char00", "--audio", str(path),
                          "--out", str(out)]) == 2
    assert "cancel each other" in capsys.readouterr().err and not out.exists()
    # the add-on uses the same rule and message
    from multanet_blender import audio_in

    data, _ = soundfile.read(path, dtype="float32", always_2d=True)
    with pytest.raises(Exception, match="they cancel each other"):
        audio_in.require_sound(data.mean(1), "sound strip 'line'", data)


@pytest.mark.parametrize("args, message", [
    (["--fps", "1e9"], "outside 1-1000"), (["--fps", "1e7"], "outside 1-1000"), (["--fps", "nan"], "outside"),
    (["--fps", "0"], "outside"), (["--start-frame", "nan"], "not a finite"), (["--strength", "inf"], "not a finite"),
])
def test_ranges_are_validated(tmp_path, ckpt_path, capsys, args, message):
    out = tmp_path / "v.pc2"
    with pytest.raises(SystemExit) as exc:
        core_cli.main(["animate", "--checkpoint", str(ckpt_path), "--character", "char00", "--audio", SPEECH_EN,
                       "--out", str(out), *args])
    assert exc.value.code == 2 and message in capsys.readouterr().err and not out.exists()


def test_out_in_a_missing_folder_or_naming_a_folder(tmp_path, ckpt_path, capsys):
    for out in (tmp_path / "nope" / "v.npy", tmp_path):
        for cmd in (["animate", "--checkpoint", str(ckpt_path), "--character", "char00"], ["features"]):
            assert core_cli.main([*cmd, "--audio", SPEECH_EN, "--out", str(out)]) == 2
            err = capsys.readouterr().err
            assert err.startswith("error: --out") and ("does not exist" in err or "is a folder" in err), err
    assert not (tmp_path / "nope").exists()


def test_features_output_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "f.npy"
    out.write_bytes(b"the old file")

    def full_disk(f, arr, *a, **k):
        f.write(b"\x93NUMPY partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(core_cli.np, "save", full_disk)
    with pytest.raises(OSError, match="No space"):
        core_cli.main(["features", "--audio", SPEECH_EN, "--out", str(out)])
    assert out.read_bytes() == b"the old file" and sorted(p.name for p in tmp_path.iterdir()) == ["f.npy"]


def test_a_huge_output_is_refused_up_front(tmp_path, ckpt_path, capsys, monkeypatch):
    monkeypatch.setattr(core_cli, "MAX_OUTPUT_BYTES", 100_000)  # 170 frames x 200 vertices x 12 B = 408 kB
    out = tmp_path / "v.npy"
    args = ["animate", "--checkpoint", str(ckpt_path), "--character", "char00", "--audio", SPEECH_EN, "--out", str(out)]
    assert core_cli.main(args) == 2
    assert "would be 0.4 MB (170 frames x 200 vertices); the limit is 0.1 MB" in capsys.readouterr().err
    assert not out.exists()
    assert core_cli.main([*args, "--allow-large"]) == 0 and np.load(out).shape == (170, 200, 3)


@pytest.mark.parametrize("command, message", [
    (["export", "{tmp}/no_run", "--out", "{tmp}/m.npz"], "not a training run folder (no run.json"),
    (["evaluate", "--checkpoint", "{tmp}/none.npz", "--data", "{tmp}"], "checkpoint '{tmp}/none.npz' does not exist"),
    (["evaluate-rig", "--checkpoint", "{tmp}/none.npz", "--data", "{tmp}"], "does not exist"),
    (["fit", "--data", "{tmp}/no_data", "--out", "{tmp}/run"], "not a known dataset layout"),
    (["fit", "--data", "{tmp}/no_data", "--out", "{tmp}/run", "--config", "nope"], "nope: no such config"),
    (["preview", "{tmp}/no_data", "--out", "{tmp}/p.png"], "not a known dataset layout"),
])
def test_training_commands_name_a_missing_input_without_a_traceback(tmp_path, capsys, command, message):
    from train.__main__ import main as train_main

    before = sorted(tmp_path.iterdir())
    assert train_main([part.format(tmp=tmp_path) for part in command]) == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err and "Traceback" not in err, err
    assert sorted(tmp_path.iterdir()) == before  # nothing written
