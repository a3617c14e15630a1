"""The folder format: what the generator writes and what a studio exports its captures into.

::

    DIR/dataset.json                      {"format": "multanet-folder", "fps": 30, "characters": [...],
                                           "splits": {...}, "languages": [...]}
    DIR/<character>/template.npz          vertices, face_indices, face_sizes, lip_indices, upper_face_indices
    DIR/<character>/<split>/<id>.wav      speech (any rate, mono or stereo)
    DIR/<character>/<split>/<id>.npy      float32 [T, V, 3] vertex positions, frame i at time i / fps
    DIR/<character>/<split>/<id>.json     {"fps", "language", "text", "phonemes": [[start_s, end_s, ipa], ...]}

See docs/DATA.md for every key. Files are read without pickle (``allow_pickle=False``).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

from multanet_core.npz_guard import NpzRefused, check_npz

from .base import UNITS, DatasetError, MotionDataset, Sequence, Template, to_mono_float
from .checks import checked_fps, require_name

FORMAT = "multanet-folder"
TEMPLATE_KEYS = ("vertices", "face_indices", "face_sizes", "lip_indices", "upper_face_indices")
MAX_NPZ_BYTES = 2 << 30  # uncompressed, per template.npz or rig_keys.npz (the checkpoint's limit)


# ----------------------------------------------------------------------------- writing
def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez`` but byte-reproducible (fixed zip timestamps, fixed order)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(value), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def faces_to_flat(faces) -> tuple[np.ndarray, np.ndarray]:
    """[F, 3] / [F, 4] arrays (-1 pads mixed quads and triangles) or a list of polygons -> flat, sizes."""
    if isinstance(faces, np.ndarray) and faces.ndim == 2:
        valid = faces >= 0
        return faces[valid].astype(np.int32), valid.sum(1).astype(np.int32)
    polys = [np.asarray(f, np.int32) for f in faces]
    if not polys:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(polys), np.array([len(p) for p in polys], np.int32)


def write_template(root: Path, template: Template) -> Path:
    path = Path(root) / template.name / "template.npz"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_npz(path, {
        "vertices": np.asarray(template.vertices, np.float32),
        "face_indices": np.asarray(template.face_indices, np.int32),
        "face_sizes": np.asarray(template.face_sizes, np.int32),
        "lip_indices": np.asarray(template.lip_indices, np.int32),
        "upper_face_indices": np.asarray(template.upper_face_indices, np.int32),
        **({"blink": np.asarray(template.blink, np.float32)} if template.blink is not None else {}),
    })
    return path


def write_sequence(root: Path, character: str, split: str, seq_id: str, audio: np.ndarray, sample_rate: int,
                   vertices: np.ndarray, metadata: dict) -> Path:
    """Write ``<id>.wav`` (16-bit PCM), ``<id>.npy`` (float32 [T,V,3]) and ``<id>.json``."""
    import soundfile

    folder = Path(root) / character / split
    folder.mkdir(parents=True, exist_ok=True)
    audio = np.asarray(audio)
    if audio.dtype != np.int16:
        audio = np.clip(np.round(np.asarray(audio, np.float64) * 32767), -32768, 32767).astype(np.int16)
    soundfile.write(folder / f"{seq_id}.wav", audio, int(sample_rate), subtype="PCM_16", format="WAV")
    np.save(folder / f"{seq_id}.npy", np.ascontiguousarray(vertices, dtype=np.float32), allow_pickle=False)
    (folder / f"{seq_id}.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                           encoding="utf-8")
    return folder / f"{seq_id}.npy"


def write_dataset_json(root: Path, info: dict) -> Path:
    path = Path(root) / "dataset.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": FORMAT, "version": 1, **info}, ensure_ascii=False, indent=1,
                               sort_keys=True) + "\n", encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- reading
class FolderDataset(MotionDataset):
    """A dataset in the folder format (``dataset.json`` at its root)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        meta_path = self.root / "dataset.json"
        if not meta_path.is_file():
            raise DatasetError(f"{meta_path}: missing (a folder-format dataset needs dataset.json)")
        try:
            self.info = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{meta_path}: not valid JSON: {exc}") from exc
        if "fps" not in self.info or "characters" not in self.info:
            raise DatasetError(f"{meta_path}: needs at least 'fps' and 'characters'")
        self.fps = checked_fps(self.info["fps"], meta_path)
        chars = self.info["characters"]
        self.characters = [require_name(c["name"] if isinstance(c, dict) else str(c), "character", meta_path)
                           for c in chars]
        twice = sorted({c for c in self.characters if self.characters.count(c) > 1})
        if twice:
            raise DatasetError(f"{meta_path}: 'characters' lists {', '.join(map(repr, twice))} more than once (each "
                               f"character's sequences would be trained on twice)")
        self.unit = self.info.get("unit", "m")
        if self.unit not in UNITS:
            raise DatasetError(f"{meta_path}: 'unit' is {self.unit!r}; the coordinates' unit is one of "
                               f"{', '.join(UNITS)} (metres when not given)")
        splits = self.info.get("splits")
        self.splits = [require_name(s, "split", meta_path) for s in splits] if splits else []
        self.languages = list(self.info.get("languages", ["en"]))
        self._templates: dict[str, Template] = {}
        self._rig_keys: dict[str, tuple[list[str], np.ndarray] | None] = {}
        self._sequences: list[Sequence] | None = None

    def where(self, character: str) -> str:
        return str(self.root / character / "template.npz")

    def unit_note(self) -> str:
        return (f"{self.root / 'dataset.json'} gives the coordinates' unit as 'unit' (now {self.unit!r}; metres "
                f"when not given): write \"unit\": \"mm\" or \"cm\" there if they are in millimetres or centimetres")

    def split_names(self, character: str) -> tuple[str, list[str]]:
        base = self.root / character
        return str(base), sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if base.is_dir() else []

    def template(self, character: str) -> Template:
        if character not in self._templates:
            self._templates[character] = read_template(self.root / character / "template.npz", character)
        return self._templates[character]

    def all_sequences(self) -> list[Sequence]:
        if self._sequences is None:
            self._sequences = list(self._scan())
        return self._sequences

    def _scan(self):
        for character in self.characters:
            base = self.root / character
            if not base.is_dir():
                raise DatasetError(f"{base}: folder of character {character!r} (listed in dataset.json) is missing")
            splits = self.splits or sorted(p.name for p in base.iterdir() if p.is_dir())
            for split in splits:
                folder = base / split
                if not folder.is_dir():
                    continue
                stems = sorted({p.stem for p in folder.iterdir() if p.suffix in (".npy", ".json")})
                for stem in stems:
                    meta: dict = {}
                    meta_path = folder / f"{stem}.json"
                    if meta_path.is_file():
                        try:
                            meta = json.loads(meta_path.read_text(encoding="utf-8"))
                        except ValueError as exc:
                            raise DatasetError(f"{meta_path}: not valid JSON: {exc}") from exc
                    yield Sequence(character=character, split=split, id=stem,
                                   language=str(meta.get("language", self.languages[0] if self.languages else "en")),
                                   source=folder / f"{stem}.npy", extra={"metadata": meta, "folder": folder})

    def _path(self, seq: Sequence, suffix: str) -> Path:
        return Path(seq.extra["folder"]) / f"{seq.id}{suffix}"

    def audio_path(self, seq: Sequence) -> str:
        return str(self._path(seq, ".wav"))

    def sequence_fps(self, seq: Sequence) -> float:
        return checked_fps(seq.metadata().get("fps", self.fps), self._path(seq, ".json"))

    def load_vertices(self, seq: Sequence) -> np.ndarray:
        path = self._path(seq, ".npy")
        if not path.is_file():
            raise DatasetError(f"{path}: motion file missing")
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        return np.asarray(arr, dtype=np.float32)

    def rig_keys(self, character: str) -> tuple[list[str], np.ndarray] | None:
        """The character's own shape keys, if the dataset has them (``<character>/rig_keys.npz``: ``names``
        and ``offsets`` [K, V, 3] from its template): (names, offsets), else None."""
        if character in self._rig_keys:  # read once: every sequence of the character asks
            return self._rig_keys[character]
        self._rig_keys[character] = self._read_rig_keys(character)
        return self._rig_keys[character]

    def _read_rig_keys(self, character: str) -> tuple[list[str], np.ndarray] | None:
        path = self.root / character / "rig_keys.npz"
        if not path.is_file():
            return None
        names, offsets = _rig_arrays(load_npz(path), path)
        v = self.template(character).vertices.shape[0]
        if offsets.shape != (len(names), v, 3) or not np.isfinite(offsets).all():
            raise DatasetError(f"{path}: offsets of shape {offsets.shape} do not match {len(names)} names and the "
                               f"template's {v} vertices (expected [{len(names)}, {v}, 3], finite)")
        return names, offsets

    def has_articulation(self, seq: Sequence) -> bool:
        """Whether the sequence's json gives articulation curves (a malformed 'articulation' counts: reading it
        with :meth:`load_articulation` says what is wrong)."""
        art = seq.metadata().get("articulation")
        return bool(art) and (not isinstance(art, dict) or "curves" in art)

    def load_articulation(self, seq: Sequence, needed: tuple[str, ...] = ()) -> tuple[list[str], np.ndarray]:
        """The generator's per-frame articulation curves: (channel names, float32 [T, channels]), with at least
        the channels ``needed``."""
        where = self._path(seq, ".json")
        art = seq.metadata().get("articulation") or {}
        if not isinstance(art, dict):
            raise DatasetError(f"{where}: 'articulation' must be an object with 'channels' and 'curves', not "
                               f"{type(art).__name__}")
        if "curves" not in art:
            raise DatasetError(f"{where}: no articulation curves (only corpora written by python -m train synth "
                               f"since the curves were stored have them: regenerate it)")
        names = _channel_names(art.get("channels", []), needed, where)
        curves = _curves(art["curves"], where)
        if curves.ndim != 2 or curves.shape[1] != len(names) or not np.isfinite(curves).all():
            raise DatasetError(f"{where}: articulation curves of shape {curves.shape} do not match its {len(names)} "
                               f"channels")
        return names, curves

    def audio_info(self, seq: Sequence) -> tuple[int, int]:
        import soundfile

        path = self._path(seq, ".wav")
        if not path.is_file():
            raise FileNotFoundError(path)
        info = soundfile.info(str(path))
        return int(info.frames), int(info.samplerate)

    def load_audio(self, seq: Sequence) -> tuple[np.ndarray, int]:
        import soundfile

        path = self._path(seq, ".wav")
        if not path.is_file():
            raise DatasetError(f"{path}: audio missing for sequence {seq.key}")
        audio, sr = soundfile.read(str(path), dtype="float32", always_2d=False)
        return to_mono_float(audio), int(sr)


def _rig_arrays(z: dict[str, np.ndarray], path: Path) -> tuple[list[str], np.ndarray]:
    """rig_keys.npz's 'names' (a 1-d array of text) and 'offsets' (numbers, as float32)."""
    if "names" not in z or "offsets" not in z:
        raise DatasetError(f"{path}: needs 'names' and 'offsets' arrays (has {sorted(z)})")
    names, offsets = z["names"], z["offsets"]
    if names.ndim != 1 or names.dtype.kind != "U":
        raise DatasetError(f"{path}: 'names' must be a list of names (a 1-d array of text), not a {names.ndim}-d "
                           f"array of {names.dtype}")
    if offsets.dtype.kind not in "fiu":
        raise DatasetError(f"{path}: 'offsets' must be numbers, not {offsets.dtype} data")
    return [str(n) for n in names], offsets.astype(np.float32)


def _channel_names(channels, needed: tuple[str, ...], where: Path) -> list[str]:
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels) \
            or len(set(channels)) != len(channels):
        raise DatasetError(f"{where}: articulation 'channels' must be a list of distinct names, not {channels!r:.80}")
    missing = [n for n in needed if n not in channels]
    if missing:
        raise DatasetError(f"{where}: articulation curves lack channel(s) {', '.join(missing)} (they have "
                           f"{', '.join(channels) or 'none'})")
    return list(channels)


def _curves(curves, where: Path) -> np.ndarray:
    """float32 [T, channels] from JSON rows of numbers; anything else (ragged rows, text) is refused."""
    try:
        table = np.asarray(curves) if isinstance(curves, list) else None
    except (ValueError, TypeError):  # ragged rows
        table = None
    if table is None or (table.size and table.dtype.kind not in "fiu"):
        raise DatasetError(f"{where}: articulation 'curves' must be a table of numbers (one row per frame, one "
                           f"column per channel)")
    return table.astype(np.float32)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array of a dataset's .npz file, read without pickle once the zip-bomb guard
    (:func:`multanet_core.npz_guard.check_npz`) passed it; a ``DatasetError`` names the file and the problem."""
    try:
        check_npz(path, MAX_NPZ_BYTES)
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except NpzRefused as exc:
        raise DatasetError(f"{path}: {exc}") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise DatasetError(f"{path}: truncated or corrupt ({exc})") from exc


def read_template(path: Path, name: str) -> Template:
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"{path}: template missing for character {name!r}")
    data = load_npz(path)
    keys = set(data)
    if "vertices" not in keys:
        raise DatasetError(f"{path}: has no 'vertices' array (keys: {sorted(keys)})")
    verts = np.asarray(data["vertices"], np.float32)
    if verts.ndim != 2 or verts.shape[1] != 3:
        raise DatasetError(f"{path}: 'vertices' has shape {verts.shape}, expected [V, 3]")
    if "face_indices" in keys:
        flat = np.asarray(data["face_indices"], np.int32)
        sizes = np.asarray(data["face_sizes"], np.int32)
    elif "faces" in keys:
        flat, sizes = faces_to_flat(np.asarray(data["faces"]))
    else:
        flat, sizes = np.zeros(0, np.int32), np.zeros(0, np.int32)
    if int(sizes.sum()) != len(flat):
        raise DatasetError(f"{path}: face_sizes sum to {int(sizes.sum())} but there are {len(flat)} face_indices")
    if len(flat) and (flat.min() < 0 or flat.max() >= len(verts)):
        raise DatasetError(f"{path}: face_indices out of range for {len(verts)} vertices")
    out = {}
    for key in ("lip_indices", "upper_face_indices"):
        idx = np.asarray(data[key], np.int64) if key in keys else np.zeros(0, np.int64)
        if len(idx) and (idx.min() < 0 or idx.max() >= len(verts)):
            raise DatasetError(f"{path}: {key} out of range for {len(verts)} vertices")
        out[key] = idx.astype(np.int32)
    blink = None
    if "blink" in keys:
        blink = np.asarray(data["blink"], np.float32)
        if blink.shape != verts.shape or not np.isfinite(blink).all():
            raise DatasetError(f"{path}: 'blink' must be finite numbers of the vertices' shape {verts.shape}, "
                               f"got {blink.shape}")
    return Template(name=name, vertices=verts, face_indices=flat, face_sizes=sizes, blink=blink, **out)
