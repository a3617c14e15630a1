"""``python -m multanet_core animate --lip-contact S``: the lip-contact strength from the command line, a note
when the checkpoint has no contact head to use it, and a warning for audio that hardly sounds like speech."""

from __future__ import annotations

import os

import numpy as np
import pytest

import multanet_core.__main__ as core_cli
from multanet_core.checkpoint import save_checkpoint
from tests.conftest import ROOT, SPEECH_EN
from tests.contact_heads import with_contact
from train.random_heads import numpy_checkpoint

PINK_NOISE = os.path.join(ROOT, "data", "real_speech", "nonspeech_dev_pink_noise.flac")
HUM = os.path.join(ROOT, "data", "real_speech", "nonspeech_dev_hum50_hiss.flac")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """A random-weight model, and the same with a contact head sure that nobody ever speaks."""
    root = tmp_path_factory.mktemp("lip_contact")
    plain = numpy_checkpoint(characters=1, vertices=200, components=8, seed=3)
    paths = {"plain": str(root / "plain.npz"), "silent": str(root / "silent.npz")}
    save_checkpoint(paths["plain"], plain)
    save_checkpoint(paths["silent"], with_contact(plain, silence=True))
    return paths


def animate(checkpoint: str, out, *extra: str, audio: str = SPEECH_EN, character: str = "char00") -> np.ndarray:
    assert core_cli.main(["animate", "--checkpoint", checkpoint, "--character", character, "--audio", audio,
                          "--out", str(out), *extra]) == 0
    return np.load(out)


def test_lip_contact_changes_the_motion_only_with_a_contact_head(checkpoints, tmp_path, capsys):
    sealed = animate(checkpoints["silent"], tmp_path / "a.npy", "--lip-contact", "1")
    loose = animate(checkpoints["silent"], tmp_path / "b.npy", "--lip-contact", "0")
    assert np.abs(sealed - loose).max() > 1e-3
    default = animate(checkpoints["silent"], tmp_path / "c.npy")
    np.testing.assert_array_equal(default, sealed)  # default 1: on
    err = capsys.readouterr().err
    assert err.count("warning: only 0 % of 'speech_en.flac' sounded like speech: check that it is dialogue") == 3
    assert "note" not in err
    # no contact head: the same motion whatever the strength, a note when it was asked for, quiet when not
    plain = animate(checkpoints["plain"], tmp_path / "d.npy")
    assert capsys.readouterr().err == ""
    for value in ("0", "0.5", "1"):
        np.testing.assert_array_equal(animate(checkpoints["plain"], tmp_path / "e.npy", "--lip-contact", value),
                                      plain)
        err = capsys.readouterr().err
        assert "has no lip-contact head and no text was given, so --lip-contact changes nothing" in err
        assert "warning" not in err


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "inf", "half"])
def test_lip_contact_outside_0_to_1_is_refused(checkpoints, tmp_path, capsys, value):
    out = tmp_path / "x.npy"
    with pytest.raises(SystemExit) as stop:
        animate(checkpoints["silent"], out, "--lip-contact", value)
    assert stop.value.code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "--lip-contact" in err and (f"{value} is outside 0-1" in err or "not a number" in err), err


def test_non_speech_warns_with_its_share_and_speech_does_not(fitted_contact_checkpoint, tmp_path, capsys):
    animate(fitted_contact_checkpoint, tmp_path / "noise.npy", audio=PINK_NOISE, character="arthur")
    err = capsys.readouterr().err
    assert "warning: only " in err and (
        " % of 'nonspeech_dev_pink_noise.flac' sounded like speech: check that it is dialogue" in err), err
    animate(fitted_contact_checkpoint, tmp_path / "speech.npy", character="arthur")
    assert "sounded like speech" not in capsys.readouterr().err
    # the bundled model has its own contact head: it warns on mains hum with hiss, and not on speech
    default = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
    animate(default, tmp_path / "plain.npy", audio=HUM, character="arthur")
    assert "warning: only 0 % of 'nonspeech_dev_hum50_hiss.flac' sounded like speech" in capsys.readouterr().err
    animate(default, tmp_path / "plain_speech.npy", character="arthur")
    assert capsys.readouterr().err == ""
