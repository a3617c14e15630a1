"""BIWI as FaceFormer and CodeTalker preprocess it.

::

    ROOT/vertices_npy/<subject>_<sentence>.npy   [T, 70110] float (23370 vertices x 3), 25 fps
    ROOT/wav/<subject>_<sentence>.wav
    ROOT/templates.pkl                           {subject: [23370, 3] array}
    ROOT/regions/lve.txt, ROOT/regions/fdd.txt   optional lip / upper-face vertex indices
    ROOT/faces.npy or ROOT/BIWI.ply/.obj         optional faces (triangles)

The sentence number is the stem's last two digits (``F2_e01`` -> 1, ``M3_40`` -> 40); sentences
1-32 are train, 33-36 val, 37-40 test (FaceFormer's split). ``subjects`` restricts the subjects.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .base import DatasetError, PickledTemplatesDataset, Sequence, to_mono_float
from .checks import checked_fps, require_name
from .meshio import read_faces
from .safe_pickle import safe_load

FPS = 25.0


def sentence_split(number: int, ranges=((1, 32, "train"), (33, 36, "val"), (37, 40, "test"))) -> str:
    for lo, hi, name in ranges:
        if lo <= number <= hi:
            return name
    return "test"


class BiwiDataset(PickledTemplatesDataset):
    unit = None  # FaceFormer's preprocessing rescales every subject: no known unit

    def __init__(self, root: str | Path, subjects: list[str] | None = None, fps: float = FPS):
        self.root = Path(root)
        self.fps = checked_fps(fps, self.root)
        verts_dir = self.root / "vertices_npy"
        if not verts_dir.is_dir():
            raise DatasetError(f"{verts_dir}: missing (BIWI layout needs vertices_npy/)")
        tpath = self.root / "templates.pkl"
        if not tpath.is_file():
            raise DatasetError(f"{tpath}: missing")
        self._templates_raw = safe_load(tpath)
        if not isinstance(self._templates_raw, dict):
            raise DatasetError(f"{tpath}: expected a dict of subject -> vertices")
        self._sequences: list[Sequence] = []
        for path in sorted(verts_dir.glob("*.npy")):
            stem = path.stem
            if "_" not in stem or not re.search(r"\d{1,2}$", stem):
                raise DatasetError(f"{path}: name is not <subject>_<sentence>.npy")
            subject = require_name(stem.rsplit("_", 1)[0], "character", path)
            if subjects is not None and subject not in subjects:
                continue
            number = int(re.search(r"(\d{1,2})$", stem).group(1))
            self._sequences.append(Sequence(character=subject, split=sentence_split(number), id=stem,
                                            language="en", source=path,
                                            extra={"sentence": number, "wav": self.root / "wav" / f"{stem}.wav"}))
        self.characters = sorted({s.character for s in self._sequences} |
                                 ({str(k) for k in self._templates_raw} if subjects is None else set(subjects)))
        for name in self.characters:
            require_name(name, "character", tpath)
        self.splits = ["train", "val", "test"]
        self._lips = _indices(self.root / "regions" / "lve.txt")
        self._upper = _indices(self.root / "regions" / "fdd.txt")
        self._faces = read_faces(self.root, ("faces.npy", "BIWI.ply", "BIWI.obj", "faces.obj"))

    def load_vertices(self, seq: Sequence) -> np.ndarray:
        arr = np.load(seq.source, mmap_mode="r", allow_pickle=False)
        if arr.ndim == 2 and arr.shape[1] % 3 == 0:
            arr = arr.reshape(arr.shape[0], -1, 3)
        return np.asarray(arr, np.float32)

    def audio_path(self, seq: Sequence) -> str:
        return str(seq.extra["wav"])

    def audio_info(self, seq: Sequence) -> tuple[int, int]:
        import soundfile

        if not Path(seq.extra["wav"]).is_file():
            raise FileNotFoundError(seq.extra["wav"])
        info = soundfile.info(str(seq.extra["wav"]))
        return int(info.frames), int(info.samplerate)

    def load_audio(self, seq: Sequence) -> tuple[np.ndarray, int]:
        import soundfile

        if not Path(seq.extra["wav"]).is_file():
            raise DatasetError(f"{seq.extra['wav']}: audio missing for sequence {seq.key}")
        audio, sr = soundfile.read(str(seq.extra["wav"]), dtype="float32")
        return to_mono_float(audio), int(sr)


def _indices(path: Path) -> np.ndarray:
    if not path.is_file():
        return np.zeros(0, np.int32)
    try:
        text = path.read_text().replace(",", " ").split()
        return np.array([int(float(t)) for t in text], np.int32)
    except (ValueError, OverflowError) as exc:
        raise DatasetError(f"{path}: expected whole-number vertex indices, space or comma separated ({exc})") from exc
