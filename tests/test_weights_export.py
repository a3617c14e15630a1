"""``python -m multanet_core animate --character RIG --out x.csv|x.json``: a rig head's ARKit weights as Live Link
Face's CSV and Audio2Face's blendshape JSON (multanet_core/weights_export.py), read back with the csv and json
modules; and the inputs it refuses, in one line, with exit 2 and nothing written."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import multanet_core.__main__ as core_cli
from multanet_core.audio import load_speech
from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.inference import Animator
from multanet_core.weights_export import arkit_columns, timecode
from tests.conftest import ROOT
from tests.contact_heads import with_contact
from train.random_heads import numpy_checkpoint

DEFAULT = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
DEMO = os.path.join(ROOT, "multanet_blender", "demo_audio")
AUDIO = os.path.join(DEMO, "01_beatrix_en.ogg")

# Live Link Face's own header, written out here rather than taken from the module under test
LIVE_LINK_HEADER = (
    "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,"
    "EyeSquintLeft,EyeWideLeft,EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,"
    "EyeSquintRight,EyeWideRight,JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,"
    "MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight,MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,"
    "MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper,MouthShrugLower,"
    "MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,"
    "MouthUpperUpRight,BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,"
    "CheekSquintLeft,CheekSquintRight,NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,"
    "LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll"
).split(",")
# Apple's ARFaceAnchor.BlendShapeLocation order: Audio2Face's facsNames for an ARKit solve
APPLE_ARKIT = (
    "eyeBlinkLeft eyeLookDownLeft eyeLookInLeft eyeLookOutLeft eyeLookUpLeft eyeSquintLeft eyeWideLeft eyeBlinkRight "
    "eyeLookDownRight eyeLookInRight eyeLookOutRight eyeLookUpRight eyeSquintRight eyeWideRight jawForward jawLeft "
    "jawRight jawOpen mouthClose mouthFunnel mouthPucker mouthLeft mouthRight mouthSmileLeft mouthSmileRight "
    "mouthFrownLeft mouthFrownRight mouthDimpleLeft mouthDimpleRight mouthStretchLeft mouthStretchRight "
    "mouthRollLower mouthRollUpper mouthShrugLower mouthShrugUpper mouthPressLeft mouthPressRight mouthLowerDownLeft "
    "mouthLowerDownRight mouthUpperUpLeft mouthUpperUpRight browDownLeft browDownRight browInnerUp browOuterUpLeft "
    "browOuterUpRight cheekPuff cheekSquintLeft cheekSquintRight noseSneerLeft noseSneerRight tongueOut"
).split()
ROTATIONS = LIVE_LINK_HEADER[-9:]


def animate(out, *extra: str, checkpoint: str = DEFAULT, character: str = "arkit", audio: str = AUDIO) -> int:
    return core_cli.main(["animate", "--checkpoint", checkpoint, "--character", character, "--audio", audio,
                          "--out", str(out), *extra])


def expected_weights(checkpoint: str, character: str, fps: float = 30.0, audio: str = AUDIO, **kwargs) -> dict:
    """The head's weights by name, straight from the Animator: what the files must hold."""
    animator = Animator(load_checkpoint(checkpoint), character)
    w = animator.weights(animator.coefficients(load_speech(audio), fps, **kwargs))
    return {n: w[:, i] for i, n in enumerate(animator.head.weight_names)}


def seconds(code: str, fps: float) -> float:
    """A Live Link Face timecode back to seconds, as importers read it: h, m, s, then FF.sub frames at fps."""
    hh, mm, ss, frames = code.split(":")
    assert len(hh) == len(mm) == len(ss) == 2 and len(frames.split(".")[1]) == 3, code
    return 3600 * int(hh) + 60 * int(mm) + int(ss) + float(frames) / fps


def read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def beatrix() -> dict:
    return expected_weights(DEFAULT, "arkit")


def speech_spans() -> list[tuple[float, float]]:
    """The phones of the demo line (not silence), in seconds, from the demo's own alignment."""
    with open(os.path.join(DEMO, "dialogue.json")) as f:
        line = next(x for x in json.load(f)["lines"] if x["file"] == os.path.basename(AUDIO))
    return [(a, b) for a, b, phone in line["phones"] if phone.strip("_ ")]


def check_jaw_moves_in_speech(jaw: np.ndarray, fps: float) -> None:
    assert jaw.max() - jaw.min() > 0.3, (jaw.min(), jaw.max())
    peak = (int(np.argmax(jaw)) + 0.5) / fps
    assert any(a - 0.1 <= peak <= b + 0.1 for a, b in speech_spans()), peak  # the jaw opens while she speaks
    assert jaw[0] < 0.25 * jaw.max()  # and rests before her first word


def test_csv_is_live_link_faces_layout(tmp_path, beatrix, capsys):
    out = tmp_path / "x.csv"
    assert animate(out) == 0
    assert "as Live Link Face CSV" in capsys.readouterr().out
    header, rows = read_csv(out)
    assert header == LIVE_LINK_HEADER and len(header) == 2 + 61
    n = len(beatrix["jawOpen"])
    assert n == int(np.ceil(3.6680625 * 30)) == len(rows)  # one row per frame
    for i, row in enumerate(rows):
        assert len(row) == len(header) and row[1] == "61"
        assert seconds(row[0], 30.0) == pytest.approx(i / 30.0, abs=1e-6), row[0]
        assert all(float(v) == 0.0 for v in row[-9:])  # no head or eye motion: the rotations are 0
    assert rows[0][0] == "00:00:00:00.000" and rows[30][0] == "00:00:01:00.000" and rows[-1][0] == "00:00:03:20.000"
    values = np.array([[float(v) for v in row[2:-9]] for row in rows])
    assert values.min() >= 0.0 and values.max() <= 1.0
    # each column holds its own name's weight (Live Link Face's order differs from Apple's at the jaw and mouth sides)
    for j, column in enumerate(header[2:-9]):
        np.testing.assert_allclose(values[:, j], beatrix[column[0].lower() + column[1:]], atol=6e-7, err_msg=column)
    check_jaw_moves_in_speech(values[:, header.index("JawOpen") - 2], 30.0)
    assert header.index("JawRight") < header.index("JawLeft") and header.index("MouthRight") < header.index("MouthLeft")


def test_json_is_audio2faces_layout(tmp_path, beatrix):
    out = tmp_path / "x.json"
    assert animate(out) == 0
    with open(out) as f:
        data = json.load(f)
    assert list(data) == ["exportFps", "trackPath", "numPoses", "numFrames", "facsNames", "weightMat"]
    n = len(beatrix["jawOpen"])
    assert data["exportFps"] == 30 and isinstance(data["exportFps"], int)
    assert data["trackPath"] == os.path.abspath(AUDIO)
    assert data["numPoses"] == 52 and data["numFrames"] == n
    assert data["facsNames"] == APPLE_ARKIT
    weights = np.array(data["weightMat"])  # [frames][poses]
    assert weights.shape == (n, 52) and weights.min() >= 0.0 and weights.max() <= 1.0
    for j, name in enumerate(data["facsNames"]):
        np.testing.assert_allclose(weights[:, j], beatrix[name], atol=6e-7, err_msg=name)
    check_jaw_moves_in_speech(weights[:, APPLE_ARKIT.index("jawOpen")], 30.0)


@pytest.mark.parametrize("fps", ["24", "29.97", "60"])
def test_rows_are_frames_at_the_fps(tmp_path, fps):
    rate = float(fps)
    assert animate(tmp_path / "x.csv", "--fps", fps) == 0
    assert animate(tmp_path / "x.json", "--fps", fps) == 0
    n = int(np.ceil(3.6680625 * rate))
    _, rows = read_csv(tmp_path / "x.csv")
    assert len(rows) == n
    for i, row in enumerate(rows):
        assert seconds(row[0], rate) == pytest.approx(i / rate, abs=1e-3 / rate), row[0]
        assert 0 <= int(row[0].split(":")[3].split(".")[0]) < np.ceil(rate)
    with open(tmp_path / "x.json") as f:
        data = json.load(f)
    assert data["exportFps"] == pytest.approx(rate) and data["numFrames"] == len(data["weightMat"]) == n


def test_timecodes():
    assert timecode(0, 30) == "00:00:00:00.000"
    assert timecode(29, 30) == "00:00:00:29.000"
    assert timecode(30, 30) == "00:00:01:00.000"
    assert timecode(45, 60) == "00:00:00:45.000"
    assert timecode(30 * 3661 + 7, 30) == "01:01:01:07.000"
    assert timecode(30, 29.97) == "00:00:01:00.030"  # 30 frames at 29.97 fps: 0.03 frames past the second
    for i in range(0, 2000, 7):  # never FF = fps or a sub-frame of 1000
        for fps in (23.976, 29.97, 59.94, 1000.0):
            assert seconds(timecode(i, fps), fps) == pytest.approx(i / fps, abs=1e-3 / fps)


@pytest.fixture(scope="module")
def rig_checkpoints(tmp_path_factory):
    """A random model whose rig head ``rig`` gives 3 ARKit names in other spellings and one name of its own, with
    a preset besides neutral; and the same with a contact head sure that nobody speaks."""
    root = tmp_path_factory.mktemp("rig_export")
    plain = numpy_checkpoint(characters=1, vertices=200, components=8, seed=3,
                             rig_names=("jaw_open", "mouthSmile_L", "BrowInnerUp", "tongueCurl"))
    paths = {"plain": str(root / "plain.npz"), "silent": str(root / "silent.npz")}
    save_checkpoint(paths["plain"], plain)
    save_checkpoint(paths["silent"], with_contact(plain, silence=True))
    return paths


def csv_columns(path) -> dict[str, np.ndarray]:
    header, rows = read_csv(path)
    return {name: np.array([float(row[j]) for row in rows]) for j, name in enumerate(header) if j > 0}


def test_names_the_head_does_not_drive_are_0(tmp_path, rig_checkpoints, capsys):
    out = tmp_path / "x.csv"
    assert animate(out, checkpoint=rig_checkpoints["plain"], character="rig") == 0
    assert "3 of the 52 ARKit weights (the rest 0)" in capsys.readouterr().out
    columns = csv_columns(out)
    want = expected_weights(rig_checkpoints["plain"], "rig")
    driven = {"JawOpen": "jaw_open", "MouthSmileLeft": "mouthSmile_L", "BrowInnerUp": "BrowInnerUp"}
    for column, values in columns.items():
        if column in driven:
            np.testing.assert_allclose(values, want[driven[column]], atol=6e-7)
            assert values.max() > 0
        elif column != "BlendShapeCount":
            assert not values.any(), column
    assert animate(tmp_path / "x.json", checkpoint=rig_checkpoints["plain"], character="rig") == 0
    with open(tmp_path / "x.json") as f:
        data = json.load(f)
    weights = np.array(data["weightMat"])
    assert "tongueCurl" not in data["facsNames"]
    assert np.count_nonzero(weights.any(axis=0)) == 3


def test_emotion_and_lip_contact(tmp_path, rig_checkpoints, capsys):
    plain, silent = rig_checkpoints["plain"], rig_checkpoints["silent"]
    assert animate(tmp_path / "a.csv", checkpoint=plain, character="rig") == 0
    assert animate(tmp_path / "b.csv", "--emotion", "neutral", checkpoint=plain, character="rig") == 0
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert animate(tmp_path / "c.csv", "--emotion", "random 1", checkpoint=plain, character="rig") == 0
    emotional = csv_columns(tmp_path / "c.csv")["JawOpen"]
    want = expected_weights(plain, "rig", emotion="random 1")["jaw_open"]
    np.testing.assert_allclose(emotional, want, atol=6e-7)
    assert np.abs(emotional - csv_columns(tmp_path / "a.csv")["JawOpen"]).max() > 1e-3
    # no contact head: a note, and the same weights
    capsys.readouterr()
    assert animate(tmp_path / "d.csv", "--lip-contact", "0.5", checkpoint=plain, character="rig") == 0
    assert "has no lip-contact head and no text was given, so --lip-contact changes nothing" in capsys.readouterr().err
    assert (tmp_path / "d.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    # a contact head sure of silence: sealed (1, the default) pulls every frame to rest, 0 lets the head move
    assert animate(tmp_path / "sealed.json", checkpoint=silent, character="rig") == 0
    assert animate(tmp_path / "loose.json", "--lip-contact", "0", checkpoint=silent, character="rig") == 0
    assert "sounded like speech" in capsys.readouterr().err
    sealed, loose = ({n: w for n, w in zip(d["facsNames"], np.array(d["weightMat"]).T, strict=True)}
                     for d in (json.loads((tmp_path / f).read_text()) for f in ("sealed.json", "loose.json")))
    np.testing.assert_allclose(sealed["jawOpen"], 0.2, atol=6e-7)  # the rig head's mean: its rest
    np.testing.assert_allclose(loose["jawOpen"], expected_weights(silent, "rig", contact=0.0)["jaw_open"], atol=6e-7)
    assert np.abs(loose["jawOpen"] - 0.2).max() > 1e-3


def test_arkit_columns_by_name():
    w = np.array([[0.5, 2.0, -1.0]], np.float32)
    out = arkit_columns(w, ["mouth_smile_right", "JawOpen", "eyeBlink_L"])
    assert out.shape == (1, 52)
    assert out[0, APPLE_ARKIT.index("mouthSmileRight")] == 0.5
    assert out[0, APPLE_ARKIT.index("jawOpen")] == 1.0 and out[0, APPLE_ARKIT.index("eyeBlinkLeft")] == 0.0  # clipped
    assert np.count_nonzero(out) == 2


BAD = [
    ("x.txt", "arkit", "--out must end in .npy (vertices), .pc2 (point cache), .csv"),
    ("x.fbx", "arkit", "--out must end in"),
    ("x", "arkit", "--out must end in"),
    ("x.csv", "arthur", "'arthur' is a mesh head: it gives vertices (.npy or .pc2), not ARKit weights; .csv (Live "
                        "Link Face CSV) needs a rig head (this checkpoint's: arkit)"),
    ("x.json", "beatrix", "'beatrix' is a mesh head"),
    ("x.npy", "arkit", "head 'arkit' is a rig head: it gives named weights, not vertices for .npy; write them with "
                       "--out NAME.csv (Live Link Face) or NAME.json (Audio2Face)"),
    ("x.pc2", "arkit", "head 'arkit' is a rig head"),
    (os.path.join("missing", "x.csv"), "arkit", "the folder"),
    (os.path.join("missing", "x.json"), "arkit", "does not exist"),
]


@pytest.mark.parametrize("name, character, message", BAD)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, name, character, message):
    (tmp_path / "keep.csv").write_text("the old file")
    assert animate(tmp_path / name, character=character) == 2
    out, err = capsys.readouterr()
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1 and message in err, err
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]  # nothing written, no temporary file left


def test_a_refused_output_keeps_the_old_file(tmp_path, capsys):
    out = tmp_path / "x.csv"
    out.write_text("the old file")
    assert animate(out, character="arthur") == 2
    assert out.read_text() == "the old file" and sorted(p.name for p in tmp_path.iterdir()) == ["x.csv"]
    assert animate(out, "--emotion", "furious") == 2  # the rig head has no such preset
    assert "has no emotion preset 'furious'; it has: neutral" in capsys.readouterr().err
    assert out.read_text() == "the old file"


def test_the_command_itself(tmp_path):
    """``python -m multanet_core`` as a user runs it: the CSV written, and a bad suffix refused."""
    base = [sys.executable, "-m", "multanet_core", "animate", "--checkpoint", DEFAULT, "--character", "arkit",
            "--audio", os.path.join(DEMO, "02_arthur_en.ogg"), "--out"]
    done = subprocess.run([*base, str(tmp_path / "x.csv")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {tmp_path / 'x.csv'}: 83 frames x 52 ARKit weights of 'arkit' as Live "
                                  f"Link Face CSV"), done.stdout
    header, rows = read_csv(tmp_path / "x.csv")
    assert header == LIVE_LINK_HEADER and len(rows) == 83
    done = subprocess.run([*base, str(tmp_path / "x.xml")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--out must end in" in done.stderr
    assert not (tmp_path / "x.xml").exists()


def test_vertex_output_is_unchanged(tmp_path):
    """.npy still gives a mesh head's vertices, as before."""
    out = tmp_path / "v.npy"
    assert animate(out, character="arthur") == 0
    animator = Animator(load_checkpoint(DEFAULT), "arthur")
    want = animator.vertices(animator.coefficients(load_speech(AUDIO), 30.0))
    np.testing.assert_array_equal(np.load(out), want)
