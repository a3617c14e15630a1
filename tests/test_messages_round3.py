"""Issue 28, hostile input round three: head names and messages that say what is wrong, and --help that
matches the project (core and train; the Blender side is tests/blender/test_messages_round3.py)."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

import multanet_core.__main__ as core_cli
from multanet_core.audio import MAX_SECONDS, check_audio, read_audio
from multanet_core.checkpoint import save_checkpoint
from multanet_core.errors import AudioError, MulTaNetError
from multanet_core.text import printable
from tests.conftest import SPEECH_EN
from train.random_heads import numpy_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ESCAPE = "\x1b[2J\x1b]0;owned\x07"  # clear the screen, set the window title
HOSTILE = [ESCAPE, "a\x00b", "two\nlines"]


@pytest.fixture(scope="module")
def hostile_ckpt(tmp_path_factory):
    """Three heads named with control characters (the checkpoint format allows any JSON string)."""
    ckpt = numpy_checkpoint(characters=3, vertices=120, components=4, seed=5)
    for head, name in zip(ckpt.heads, HOSTILE, strict=True):
        head.name = name
        head.presets = {f"{name}-p": p for p in head.presets.values()}
    path = tmp_path_factory.mktemp("hostile") / "m.npz"
    save_checkpoint(path, ckpt)
    return str(path)


# --- head names -------------------------------------------------------------------------------------

def test_printable_escapes_control_characters_only():
    assert printable("jawOpen") == "jawOpen"
    assert printable("Zoë's head") == "Zoë's head"
    assert printable("a\x00b") == "a\\x00b"
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert printable("two\nlines\t") == "two\\nlines\\t"
    assert printable("") == ""


def test_info_shows_head_names_escaped(hostile_ckpt, capsys):
    assert core_cli.main(["info", hostile_ckpt]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x00" not in out and "\x07" not in out, repr(out)
    assert "two\nlines" not in out
    assert "\\x1b[2J\\x1b]0;owned\\x07: " in out and "a\\x00b: " in out and "two\\nlines: " in out
    assert "presets: a\\x00b-p" in out


def test_an_unknown_character_lists_the_heads_escaped(hostile_ckpt, tmp_path, capsys):
    code = core_cli.main(["animate", "--checkpoint", hostile_ckpt, "--character", "nobody", "--audio", SPEECH_EN,
                          "--out", str(tmp_path / "x.npy")])
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "\x00" not in err and "two\nlines" not in err, repr(err)
    assert "it has: \\x1b[2J\\x1b]0;owned\\x07, a\\x00b, two\\nlines" in err


def test_an_unknown_preset_names_the_head_escaped(hostile_ckpt):
    from multanet_core.checkpoint import load_checkpoint

    head = load_checkpoint(hostile_ckpt).head("a\x00b")
    with pytest.raises(MulTaNetError) as err:
        head.emotion("angry")
    assert "head 'a\\x00b' has no emotion preset 'angry'; it has: a\\x00b-p" in str(err.value)


# --- messages -----------------------------------------------------------------------------------------

def test_audio_over_the_limit_says_its_exact_length():
    samples = np.broadcast_to(np.zeros(1, np.int16), (7201 * 8000,))  # no memory: a view of one sample
    with pytest.raises(AudioError) as err:
        check_audio(samples, 8000, "clip")
    assert str(err.value) == "clip: 2 h 0 min 1 s of audio is over the 2 h limit; split it into shorter clips"
    just_over = np.broadcast_to(np.zeros(1, np.int16), (int(MAX_SECONDS * 16000) + 1,))
    with pytest.raises(AudioError, match=r"2 h 0 min 0\.001 s of audio is over the 2 h limit"):
        check_audio(just_over, 16000, "clip")


def test_a_long_file_is_refused_with_its_exact_length_before_decoding(tmp_path):
    path = tmp_path / "long.wav"
    n = 7201 * 8000  # 8-bit mono at 8 kHz: 57.6 MB, written sparse
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + n) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 8000, 1, 8)
                + b"data" + struct.pack("<I", n))
        f.truncate(44 + n)
    with pytest.raises(AudioError, match=r"2 h 0 min 1 s of audio is over the 2 h limit"):
        read_audio(path)


# --- --help ---------------------------------------------------------------------------------------------

def _help(*command: str) -> str:
    done = subprocess.run([sys.executable, "-m", *command, "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, PYTHONPATH=ROOT))
    assert done.returncode == 0, done.stderr
    return done.stdout


def _option_help(text: str, option: str) -> str:
    """The help of ``option`` in an argparse ``--help`` text, on one line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(option))
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("  -") or not lines[i].strip()),
               len(lines))
    return " ".join(" ".join(lines[start:end]).split()[len(option.split()):])


def _commands() -> list[tuple[str, ...]]:
    from train.__main__ import COMMANDS

    return [("multanet_core",), ("multanet_core", "features"), ("multanet_core", "info"),
            ("multanet_core", "animate"), ("multanet_blender",), ("multanet_blender", "bake"),
            ("multanet_blender", "demo"), ("train",), *(("train", c) for c in COMMANDS), ("train.demo_audio",)]


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_no_help_text_shows_raw_double_backticks(command):
    if command == ("multanet_blender", "demo"):
        pytest.importorskip("bpy")
    text = _help(*command)
    assert "``" not in text, text


def test_fit_config_lists_the_configs_that_exist():
    names = sorted(p[:-5] for p in os.listdir(os.path.join(ROOT, "train", "configs")) if p.endswith(".json"))
    assert len(names) > 30
    listed = _option_help(_help("train", "fit"), "--config CONFIG")
    for name in names:
        assert re.search(rf"\b{re.escape(name)}\b", listed), (name, listed)


def test_rig_head_help_says_what_docs_rig_md_says():
    rig = _option_help(_help("train", "fit"), "--rig-head NAME")
    with open(os.path.join(ROOT, "docs", "RIG.md"), encoding="utf-8") as f:
        doc = f.read()
    # RIG.md: behind the frozen network of a trained model (--init MODEL --freeze-mfl), or jointly with mesh
    # heads without --init, from scratch or with --warm-start MODEL
    assert "--init MODEL --freeze-mfl" in doc and "--rig-head` without `--init`" in doc and "--warm-start MODEL" in doc
    assert "--init MODEL --freeze-mfl" in rig
    assert "without --init" in rig and "--warm-start MODEL" in rig
    assert not rig.startswith("with --init:"), rig  # it is not for --init only
    assert "docs/RIG.md" in rig and "ARKit-52" in rig


def test_animate_fps_shows_its_default():
    fps = _option_help(_help("multanet_core", "animate"), "--fps FPS")
    assert "default 30" in fps, fps
