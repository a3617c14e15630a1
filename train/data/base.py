"""The dataset interface shared by every loader, and the checks run before training starts.

A dataset is a set of characters, each with a template mesh (``Template``), and sequences
(``Sequence``): speech audio plus face motion as float32 vertices [T, V, 3] at the dataset's fps,
grouped in named splits ("train", "val", "test", ...). Loaders differ only in where they find the
audio and the vertices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


class DatasetError(ValueError):
    """Bad training data; the message names every offending file."""


UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}  # metres per coordinate unit of a dataset
HEAD_SIZE_M = (0.01, 10.0)  # a template whose largest bounding-box side (in metres) is outside this is no head
SIZE_FACTOR = 10.0  # motion this many times larger or smaller than its template is in another unit


def extent(points: np.ndarray) -> float:
    """The largest side of the bounding box of ``points`` [V, 3]."""
    return float(np.ptp(points, axis=0).max()) if len(points) else 0.0


def _unit_mistake(factor: float) -> str:
    """A size ``factor`` (motion against template) in words, with a guess at the units: 1000 -> millimetres
    against metres."""
    pairs = {1: ("millimetres", "centimetres"), 2: ("centimetres", "metres"), 3: ("millimetres", "metres")}
    small, large = pairs.get(abs(round(float(np.log10(factor)))), ("one unit", "another"))
    motion, template = (small, large) if factor > 1 else (large, small)
    def about(x: float) -> str:
        return f"{float(f'{x:.2g}'):g}"

    size = f"about {about(factor)}x" if factor > 1 else f"about 1/{about(1 / factor)} of"
    return f"{size} the size of the template; are the motion in {motion} and the template in {template}?"


@dataclass
class Template:
    """A character's neutral mesh and the vertex sets the metrics use.

    ``face_indices`` (flat int32) + ``face_sizes`` (int32 [F]) describe polygons of any size, the
    way Blender stores them (loop indices + loop totals); both are empty when the source has none.
    """

    name: str
    vertices: np.ndarray  # float32 [V, 3]
    face_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    face_sizes: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    lip_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    upper_face_indices: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    blink: np.ndarray | None = None  # float32 [V, 3]: both eyes shut, as a displacement (a bake's blink layer)

    @property
    def n_vertices(self) -> int:
        return int(self.vertices.shape[0])

    def polygons(self) -> list[np.ndarray]:
        starts = np.concatenate([[0], np.cumsum(self.face_sizes)[:-1]]).astype(int)
        return [self.face_indices[s:s + n] for s, n in zip(starts, self.face_sizes, strict=True)]


@dataclass
class Sequence:
    """One recording: a character's face motion and the speech that drives it."""

    character: str
    split: str
    id: str
    language: str = "en"
    source: Path | None = None  # the file that holds (or names) the motion, for error messages
    extra: dict[str, Any] = field(default_factory=dict)  # loader-specific (paths, indices, metadata)

    def metadata(self) -> dict:
        return dict(self.extra.get("metadata", {}))

    @property
    def key(self) -> str:
        return f"{self.character}/{self.split}/{self.id}"


class MotionDataset:
    """Common interface: ``characters``, ``fps``, ``template(name)``, ``sequences(...)``,
    ``load_audio(seq)`` -> (float32 mono samples, sample rate), ``load_vertices(seq)`` -> [T,V,3]."""

    fps: float
    characters: list[str]
    splits: list[str]
    unit: str | None = None  # the coordinates' length unit (a key of UNITS) when known: metres, unless told

    def where(self, character: str) -> str:
        """The file that holds ``character``'s template, for error messages."""
        return character

    def unit_note(self) -> str:
        """Where the unit comes from and how to give another, for error messages."""
        return f"this dataset's coordinates are in {self.unit}"

    def split_names(self, character: str) -> tuple[str, list[str]]:
        """Where ``character``'s splits are, and their names (a folder dataset: its sub-folders, loaded or not)."""
        return self.where(character), sorted({s.split for s in self.sequences(character=character)})

    def no_sequences(self, split: str, character: str) -> str:
        """The message for a ``character`` without sequences of ``split``, naming the splits it has."""
        where, names = self.split_names(character)
        case = " (split names are case-sensitive)" if split.lower() in [n.lower() for n in names] else ""
        return (f"{where}: no {split!r} sequences for character {character!r}; its splits: "
                f"{', '.join(names) or 'none'}{case}")

    def template(self, character: str) -> Template:
        raise NotImplementedError

    def all_sequences(self) -> list[Sequence]:
        raise NotImplementedError

    def sequences(self, split: str | None = None, character: str | None = None,
                  language: str | None = None) -> list[Sequence]:
        return [s for s in self.all_sequences()
                if (split is None or s.split == split) and (character is None or s.character == character)
                and (language is None or s.language == language)]

    def load_audio(self, seq: Sequence) -> tuple[np.ndarray, int]:
        raise NotImplementedError

    def load_vertices(self, seq: Sequence) -> np.ndarray:
        raise NotImplementedError

    # --- hooks for validate(): cheap facts without decoding everything
    def audio_info(self, seq: Sequence) -> tuple[int, int]:
        """(number of samples, sample rate); raises FileNotFoundError when the audio is missing."""
        audio, sr = self.load_audio(seq)
        return len(audio), sr

    def sequence_fps(self, seq: Sequence) -> float:
        return self.fps

    def audio_path(self, seq: Sequence) -> str:
        return str(seq.source)

    def validate(self, split: str | None = None, *, characters: list[str] | None = None, tolerance_s: float = 0.5,
                 tolerance_ratio: float = 0.15, check_finite: bool = True) -> None:
        """Check every sequence (of ``split`` and ``characters``, when given) before training: each character has
        sequences of ``split``, audio present, vertex count matching the template, finite frames, fps agreeing
        with the dataset, audio and motion of about the same length, motion of the template's size (not in
        another unit), and, where the dataset's unit is known, a template of a head's size. Raises one
        ``DatasetError`` listing every problem, each naming its file."""
        problems: list[str] = []
        templates: dict[str, tuple[int, float]] = {}  # vertices, extent (0: unknown)
        names = list(self.characters) if characters is None else list(characters)
        for name in names:
            try:
                tmpl = self.template(name)
            except (OSError, ValueError, KeyError) as exc:
                problems.append(f"{name}: cannot read the template: {exc}")
                continue
            size = 0.0
            if not np.all(np.isfinite(tmpl.vertices)):
                problems.append(f"{name}: template vertices contain NaN or infinity")
            else:
                size = extent(tmpl.vertices)
            templates[name] = (tmpl.n_vertices, size)
            lo, hi = HEAD_SIZE_M
            if self.unit is not None and size and not lo <= size * UNITS[self.unit] <= hi:
                problems.append(f"{self.where(name)}: the template of {name!r} is {size:.3g} {self.unit} across, "
                                f"which no head is ({lo * 100:g} cm to {hi:g} m); {self.unit_note()}")
            if split is not None and not self.sequences(split=split, character=name):
                problems.append(self.no_sequences(split, name))
        for seq in [s for s in self.sequences(split=split) if s.character in names]:
            where = str(seq.source) if seq.source is not None else seq.key
            try:
                fps = self.sequence_fps(seq)
            except DatasetError as exc:  # not a number of frames per second
                problems.append(str(exc))
                continue
            if abs(fps - self.fps) > 1e-6:
                problems.append(f"{where}: fps {fps:g} disagrees with the dataset's {self.fps:g}")
            try:
                verts = self.load_vertices(seq)
            except (OSError, ValueError) as exc:
                problems.append(f"{where}: cannot read the motion: {exc}")
                continue
            if verts.ndim != 3 or verts.shape[2] != 3:
                problems.append(f"{where}: motion has shape {tuple(verts.shape)}, expected [T, V, 3]")
                continue
            expected, size = templates.get(seq.character, (None, 0.0))
            if expected is not None and verts.shape[1] != expected:
                problems.append(f"{where}: {verts.shape[1]} vertices per frame, but the template of "
                                f"{seq.character!r} has {expected}")
            finite = np.isfinite(verts).all(axis=(1, 2))
            if check_finite and not finite.all():
                problems.append(f"{where}: frames {_ranges(np.flatnonzero(~finite))} contain NaN or infinity")
            good = verts[finite]
            if size and len(good) and good.shape[1]:
                moved = float(np.median(np.ptp(good, axis=1).max(axis=1)))  # per frame, so a moving head is fine
                factor = moved / size
                if moved == 0:
                    problems.append(f"{where}: in most frames all vertices lie at one point (zeroed motion?)")
                elif not 1 / SIZE_FACTOR <= factor <= SIZE_FACTOR:
                    problems.append(f"{where}: the motion ({moved:.3g} across) is {_unit_mistake(factor)} "
                                    f"(the template of {seq.character!r}, {size:.3g} across)")
            try:
                n_samples, sr = self.audio_info(seq)
            except FileNotFoundError:
                problems.append(f"{self.audio_path(seq)}: audio missing for sequence {seq.key}")
                continue
            except (OSError, RuntimeError, ValueError) as exc:
                problems.append(f"{self.audio_path(seq)}: cannot read the audio: {exc}")
                continue
            audio_s, motion_s = n_samples / sr, len(verts) / fps
            if abs(audio_s - motion_s) > max(tolerance_s, tolerance_ratio * motion_s):
                problems.append(f"{self.audio_path(seq)}: audio lasts {audio_s:.2f} s but the motion "
                                f"{motion_s:.2f} s ({len(verts)} frames at {fps:g} fps)")
        if problems:
            raise DatasetError(f"{len(problems)} problem(s) in the dataset:\n  " + "\n  ".join(problems))


def _ranges(indices: np.ndarray) -> str:
    if len(indices) == 0:
        return "-"
    out, start, prev = [], indices[0], indices[0]
    for i in list(indices[1:]) + [None]:
        if i is not None and i == prev + 1:
            prev = i
            continue
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
        if i is not None:
            start = prev = i
    return ", ".join(out[:8]) + (" ..." if len(out) > 8 else "")


def to_mono_float(audio: np.ndarray) -> np.ndarray:
    a = np.asarray(audio)
    if a.ndim == 2:
        a = a.mean(axis=1) if a.shape[1] <= 8 else a.mean(axis=0)
    if a.dtype.kind == "i":
        a = a.astype(np.float32) / float(np.iinfo(a.dtype).max + 1)
    return a.astype(np.float32)


class PickledTemplatesDataset(MotionDataset):
    """BIWI and VOCASET: templates from a restricted-unpickled ``templates.pkl`` keyed by subject,
    one face layout and lip / upper-face index sets shared by every subject."""

    root: Path
    _templates_raw: dict
    _faces: tuple[np.ndarray, np.ndarray, Path | None]  # flat indices, sizes, the file they came from
    _lips: np.ndarray
    _upper: np.ndarray
    _sequences: list[Sequence]

    def where(self, character: str) -> str:
        return str(self.root / "templates.pkl")

    def template(self, character: str) -> Template:
        if character not in self._templates_raw:
            raise DatasetError(f"{self.root / 'templates.pkl'}: no template for subject {character!r}")
        verts = np.asarray(self._templates_raw[character], np.float32).reshape(-1, 3)
        indices = self._faces[0]
        if len(indices) and (indices.min() < 0 or indices.max() >= len(verts)):
            bad = indices.min() if indices.min() < 0 else indices.max()
            raise DatasetError(f"{self._faces[2]}: face vertex index {bad} is out of range for the {len(verts)} "
                               f"vertices of the template of {character!r}")
        return Template(name=character, vertices=verts, face_indices=self._faces[0], face_sizes=self._faces[1],
                        lip_indices=self._lips, upper_face_indices=self._upper)

    def all_sequences(self) -> list[Sequence]:
        return list(self._sequences)
