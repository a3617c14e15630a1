"""A rig head's ARKit weights in the files engines import as they are: Live Link Face CSV and Audio2Face JSON.

``python -m multanet_core animate --character arkit --out x.csv`` (or ``.json``) writes them; numpy and the
standard library only.

**Live Link Face CSV** (``.csv``): the take file Epic's Live Link Face iOS app records, which Unreal's
LiveLinkFaceImporter and many Blender, Maya, MotionBuilder and Unity importers read. One header row,

    Timecode,BlendShapeCount,EyeBlinkLeft,...,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,
    LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll

then one row per frame: the timecode ``HH:MM:SS:FF.mmm`` (``FF`` the frame within the second at the file's
fps, ``.mmm`` thousandths of a frame, so a reader's ``t = 3600 HH + 60 MM + SS + FF.mmm / fps`` is the frame's
time), ``BlendShapeCount`` 61 (52 shapes + 9 rotations), the 52 weights in 0..1 and the 9 head and eye
rotations, written as 0 (the network gives no head motion). The shapes are Apple's ARKit names with a capital
first letter, in the app's column order, which is Apple's ``ARFaceAnchor.BlendShapeLocation`` order except
that it writes ``JawRight`` before ``JawLeft`` and ``MouthRight`` before ``MouthLeft``
(:data:`LIVE_LINK_FACE_SHAPES`). Where the layout comes from (no public spec by Epic; the app's files as
importers transcribe them): the header in full in github.com/nmfisher/blender_livelinkface
(``bpylivelinkface.py``, ``LIVE_LINK_FACE_HEADER``, which reads the columns by position after the first two),
the same in other readers, and a test elsewhere holding a writer to "a real LiveLinkFace capture's own header
row" byte for byte; the count of 61 and the timecode as importers parse them (``t = h*3600 + m*60 + s +
FF.sub / fps``) and as an Unreal plugin writes it (github.com/J-Andersen-UvA/LiveLinkFaceCSVWriter:
``%02d:%02d:%02d:%02d.%03d``, the part after the point from the sub-frame). (That test's capture spells the
second column ``BlendshapeCount``; every other transcription, and this file, ``BlendShapeCount``.)

**Audio2Face JSON** (``.json``): the blendshape-weight export of NVIDIA Omniverse Audio2Face (Data Conversion >
Blendshape Conversion > Format: .json, docs.omniverse.nvidia.com/audio2face/latest/user-manual/data-conversion/
blendshape-conversion.html), one object::

    {"exportFps": 30, "trackPath": "/abs/speech.wav", "numPoses": 52, "numFrames": T,
     "facsNames": ["eyeBlinkLeft", ..., "tongueOut"], "weightMat": [[w, ... 52], ... T rows]}

``weightMat`` is [numFrames][numPoses], row ``i`` at time ``i / exportFps``, its columns named by ``facsNames``
(Apple's camelCase names in Apple's order, as in the Audio2Face exports of an ARKit solve that readers keep as
templates). The field names and their order are those of Audio2Face's exported files as readers declare them
(e.g. a Babylon.js reader's ``Audio2FaceExportData`` interface: ``exportFps trackPath numPoses numFrames
facsNames weightMat``, plus ``joints rotations translations`` for the eye and jaw joints of Audio2Face's
advanced export options, left out here).

In both, a name the rig head does not drive is written as 0, and a head's names are found in any spelling
(:func:`multanet_core.rig_names.normal_form`).
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

from .errors import MulTaNetError
from .rig_names import ARKIT_52, normal_form

# the 52 shapes as Live Link Face writes its CSV columns (its order: Right before Left for the jaw and mouth sides)
LIVE_LINK_FACE_SHAPES = (
    "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft",
    "EyeWideLeft", "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight",
    "EyeSquintRight", "EyeWideRight", "JawForward", "JawRight", "JawLeft", "JawOpen", "MouthClose", "MouthFunnel",
    "MouthPucker", "MouthRight", "MouthLeft", "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft",
    "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight", "MouthStretchLeft", "MouthStretchRight",
    "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper", "MouthPressLeft", "MouthPressRight",
    "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight", "BrowDownLeft",
    "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight", "CheekPuff", "CheekSquintLeft",
    "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
)
LIVE_LINK_FACE_ROTATIONS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
                            "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
LIVE_LINK_FACE_HEADER = ("Timecode", "BlendShapeCount", *LIVE_LINK_FACE_SHAPES, *LIVE_LINK_FACE_ROTATIONS)
BLEND_SHAPE_COUNT = len(LIVE_LINK_FACE_SHAPES) + len(LIVE_LINK_FACE_ROTATIONS)  # 61
AUDIO2FACE_FIELDS = ("exportFps", "trackPath", "numPoses", "numFrames", "facsNames", "weightMat")

LAYOUTS = {".csv": "Live Link Face CSV", ".json": "Audio2Face JSON"}  # output suffix -> the layout written
DECIMALS = 6  # a weight's digits after the point: 1e-6 of the 0..1 range


def arkit_columns(weights: np.ndarray, names: tuple[str, ...] | list[str]) -> np.ndarray:
    """A rig head's weights [T, len(names)] -> float64 [T, 52] in Apple's order (:data:`ARKIT_52`), each name
    found by its exact spelling or else by its normal form; a name the head lacks is 0. Values are clipped to
    0..1; a weight that is not finite is an error."""
    w = np.asarray(weights, np.float64)
    if w.ndim != 2 or w.shape[1] != len(names):
        raise MulTaNetError(f"weights {list(w.shape)} do not fit {len(names)} names")
    if not np.isfinite(w).all():
        raise MulTaNetError("the rig head gave weights that are not finite numbers")
    exact = {n: i for i, n in enumerate(names)}
    by_form: dict[str, int] = {}
    for i, n in enumerate(names):
        by_form.setdefault(normal_form(n), i)
    out = np.zeros((w.shape[0], len(ARKIT_52)), np.float64)
    for j, name in enumerate(ARKIT_52):
        i = exact.get(name, by_form.get(normal_form(name)))
        if i is not None:
            out[:, j] = w[:, i]
    return np.clip(out, 0.0, 1.0)


def driven_names(names: tuple[str, ...] | list[str]) -> list[str]:
    """The ARKit names among a head's ``names`` (in any spelling), in Apple's order."""
    forms = {normal_form(n) for n in names}
    return [n for n in ARKIT_52 if n in names or normal_form(n) in forms]


def timecode(frame: int, fps: float) -> str:
    """``HH:MM:SS:FF.mmm`` of frame ``frame`` at ``fps``: whole seconds, then the frame within the second and
    its thousandths (a sub-frame, 000 at a whole-number fps)."""
    if frame < 0 or not fps > 0:
        raise ValueError(f"frame {frame} at {fps} fps")
    seconds = math.floor(frame / fps + 1e-9)  # 1e-9: frame 30 at 30 fps is second 1, not 0.999...
    within = max(0.0, frame - seconds * fps)  # frames since the second began
    ff = math.floor(within + 1e-9)
    sub = round((within - ff) * 1000)
    if sub >= 1000:  # rounding reached the next frame
        ff, sub = ff + 1, 0
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{ff:02d}.{sub:03d}"


def _number(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0")
    return text + "0" if text.endswith(".") else text  # "0.0", "1.0", "0.034918"


def live_link_csv(weights: np.ndarray, names: tuple[str, ...] | list[str], fps: float) -> str:
    """The Live Link Face CSV text of a rig head's weights [T, len(names)] at ``fps``."""
    columns = arkit_columns(weights, names)
    order = [ARKIT_52.index(s[0].lower() + s[1:]) for s in LIVE_LINK_FACE_SHAPES]
    rotations = ",".join(["0.0"] * len(LIVE_LINK_FACE_ROTATIONS))
    lines = [",".join(LIVE_LINK_FACE_HEADER)]
    for i, row in enumerate(columns[:, order]):
        lines.append(f"{timecode(i, fps)},{BLEND_SHAPE_COUNT},{','.join(map(_number, row))},{rotations}")
    return "\n".join(lines) + "\n"


def audio2face_json(weights: np.ndarray, names: tuple[str, ...] | list[str], fps: float, track: str) -> str:
    """The Audio2Face blendshape JSON text of a rig head's weights [T, len(names)] at ``fps``, for audio ``track``
    (written as an absolute path, as Audio2Face writes its track's)."""
    columns = arkit_columns(weights, names)
    data = {
        "exportFps": int(fps) if float(fps).is_integer() else float(fps),
        "trackPath": os.path.abspath(track),
        "numPoses": len(ARKIT_52),
        "numFrames": int(columns.shape[0]),
        "facsNames": list(ARKIT_52),
        "weightMat": [[round(float(v), DECIMALS) for v in row] for row in columns],
    }
    return json.dumps(data) + "\n"


def weights_file(suffix: str, weights: np.ndarray, names: tuple[str, ...] | list[str], fps: float,
                 track: str) -> bytes:
    """The bytes of the file for output suffix ``suffix`` (a key of :data:`LAYOUTS`)."""
    if suffix == ".csv":
        return live_link_csv(weights, names, fps).encode("utf-8")
    if suffix == ".json":
        return audio2face_json(weights, names, fps, track).encode("utf-8")
    raise MulTaNetError(f"no weights layout for '{suffix}'; there are: {', '.join(LAYOUTS)}")
