"""The checkpoint: one ``.npz`` read with ``allow_pickle=False``, checked in full before use.

Arrays: the network weights (names from :class:`multanet_core.network_spec.NetworkSpec`) and, per head
``h``, ``heads.h.template`` [V,3], ``heads.h.faces`` (flat vertex indices), ``heads.h.face_sizes``
[F], ``heads.h.lips``, ``heads.h.upper_face``, ``heads.h.mean`` [3V] and ``heads.h.basis``
[K,3V] (the head's last layer; float16 allowed). ``__metadata__`` is a JSON string: the format and
version, the feature config, the network spec, fps, and per head its name, counts, topology
fingerprint and emotion presets.

A rig head (format 3) predicts named weights in 0..1 instead of vertices (ARKit-52 ``jawOpen``...,
docs/RIG.md): its metadata adds ``"kind": "rig"`` and ``weight_names``, its ``mean`` is [W] and its
``basis`` [K, W] for the W names, and its mesh arrays are empty. Versions 1 and 2 hold mesh heads only.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field

import numpy as np

from .atomic import atomic_write
from .errors import CheckpointError, MulTaNetError
from .lpc import FeatureConfig
from .network_spec import NetworkSpec
from .npz_guard import NpzRefused, check_npz
from .paths import require_regular_file
from .text import names as name_list
from .text import printable

FORMAT = "multanet-checkpoint"
VERSION = 3  # 3: rig heads; 2: up_axis and coefficient_filter are typed fields (version 1 kept them in info)
UP_AXES = ("X", "Y", "Z")
METADATA_KEY = "__metadata__"
HEAD_ARRAYS = ("template", "faces", "face_sizes", "lips", "upper_face", "mean", "basis")
MAX_WEIGHT_NAMES, MAX_NAME_LENGTH = 1024, 128


def topology_fingerprint(n_vertices: int, faces: np.ndarray, face_sizes: np.ndarray) -> str:
    """Hash of the vertex count and the face layout (not the positions): equal for re-sculpts."""
    h = hashlib.sha256()
    h.update(np.int64(n_vertices).tobytes())
    h.update(np.ascontiguousarray(face_sizes, dtype="<i4").tobytes())
    h.update(np.ascontiguousarray(faces, dtype="<i4").tobytes())
    return "sha256:" + h.hexdigest()[:32]


def normalised_filter(taps) -> np.ndarray | None:
    """A checkpoint's ``coefficient_filter`` (odd FIR taps) normalised to sum 1, or None; anything else is an error."""
    if taps is None:
        return None
    arr = np.asarray(taps, dtype=np.float64) if isinstance(taps, list | tuple) and all(
        isinstance(x, int | float) and not isinstance(x, bool) for x in taps) else np.zeros(0)
    if arr.ndim != 1 or len(arr) % 2 == 0 or len(arr) > 31 or not np.isfinite(arr).all() or arr.sum() <= 0:
        raise CheckpointError(f"coefficient_filter must be an odd number (at most 31) of finite taps with a "
                              f"positive sum, got {taps!r}")
    return (arr / arr.sum()).astype(np.float32)


@dataclass
class Head:
    """One character: its mesh topology, its output layer, and its emotion presets; or, for a rig head
    (``weight_names`` set), the names of the weights its output layer gives, and no mesh."""

    name: str
    template: np.ndarray  # [V, 3] float32 rest shape
    faces: np.ndarray  # flat int32 vertex indices of all faces
    face_sizes: np.ndarray  # [F] int32 corners per face
    lips: np.ndarray  # int32 lip vertex indices
    upper_face: np.ndarray  # int32 upper-face vertex indices
    mean: np.ndarray  # [3V] float32
    basis: np.ndarray  # [K, 3V] float32 (or float16 on disk)
    presets: dict[str, list[float]] = field(default_factory=dict)
    weight_names: tuple[str, ...] = ()  # a rig head's outputs, by name; empty for a mesh head
    blink: np.ndarray | None = None  # [V, 3] float32: a mesh head's eyes shut, from its template (the blink layer)

    @property
    def is_rig(self) -> bool:
        return bool(self.weight_names)

    @property
    def n_vertices(self) -> int:
        return int(self.template.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.basis.shape[0])

    @property
    def fingerprint(self) -> str:
        return "" if self.is_rig else topology_fingerprint(self.n_vertices, self.faces, self.face_sizes)

    def polygons(self) -> list[np.ndarray]:
        return np.split(self.faces, np.cumsum(self.face_sizes)[:-1])

    def emotion(self, preset: str | None = None, strength: float = 1.0) -> np.ndarray:
        """The emotion vector of a preset, blended from ``neutral`` (or zeros) by ``strength``."""
        if not self.presets:
            raise MulTaNetError(f"head '{printable(self.name)}' has no emotion presets")
        preset = preset or ("neutral" if "neutral" in self.presets else next(iter(self.presets)))
        if preset not in self.presets:
            raise MulTaNetError(
                f"head '{printable(self.name)}' has no emotion preset '{printable(preset)}'; "
                f"it has: {name_list(self.presets)}"
            )
        base = np.asarray(self.presets.get("neutral", np.zeros(len(self.presets[preset]))), np.float32)
        return base + np.float32(strength) * (np.asarray(self.presets[preset], np.float32) - base)


@dataclass
class Checkpoint:
    features: FeatureConfig
    network: NetworkSpec
    fps: float
    heads: list[Head]
    weights: dict[str, np.ndarray]
    info: dict = field(default_factory=dict)  # free-form provenance (training run, data, date)
    path: str | None = None
    up_axis: str = "Y"  # the axis the heads' templates point up along ("Y": FLAME/VOCASET style, "Z": Blender)
    coefficient_filter: list[float] | None = None  # odd FIR taps smoothing the coefficients over time, or None

    @property
    def mesh_heads(self) -> list[Head]:
        return [h for h in self.heads if not h.is_rig]

    @property
    def rig_heads(self) -> list[Head]:
        return [h for h in self.heads if h.is_rig]

    def head(self, name: str) -> Head:
        for head in self.heads:
            if head.name == name:
                return head
        raise MulTaNetError(
            f"checkpoint{' ' + repr(self.path) if self.path else ''} has no character '{printable(name)}'; "
            f"it has: {name_list(h.name for h in self.heads)}"
        )


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint, basis_dtype: str = "float32") -> None:
    """Write atomically (temporary file, then rename): a failed save never leaves half a file."""
    path = os.fspath(path)
    _validate(checkpoint, path)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "features": checkpoint.features.to_dict(),
        "network": checkpoint.network.to_dict(),
        "fps": float(checkpoint.fps),
        "info": checkpoint.info,
        "up_axis": checkpoint.up_axis,
        "coefficient_filter": None if checkpoint.coefficient_filter is None
        else [float(x) for x in checkpoint.coefficient_filter],
        "heads": [
            {
                "name": h.name,
                "n_vertices": h.n_vertices,
                "n_faces": int(h.face_sizes.shape[0]),
                "n_components": h.n_components,
                "fingerprint": h.fingerprint,
                "presets": {k: [float(x) for x in v] for k, v in h.presets.items()},
                **({"kind": "rig", "weight_names": list(h.weight_names)} if h.is_rig else {}),
            }
            for h in checkpoint.heads
        ],
    }
    arrays: dict[str, np.ndarray] = {METADATA_KEY: np.array(json.dumps(meta))}
    arrays.update({k: np.asarray(v, np.float32) for k, v in checkpoint.weights.items()})
    for i, h in enumerate(checkpoint.heads):
        arrays.update(
            {
                f"heads.{i}.template": np.asarray(h.template, np.float32),
                f"heads.{i}.faces": np.asarray(h.faces, np.int32),
                f"heads.{i}.face_sizes": np.asarray(h.face_sizes, np.int32),
                f"heads.{i}.lips": np.asarray(h.lips, np.int32),
                f"heads.{i}.upper_face": np.asarray(h.upper_face, np.int32),
                f"heads.{i}.mean": np.asarray(h.mean, np.float32),
                f"heads.{i}.basis": np.asarray(h.basis, basis_dtype),
            }
        )
        if h.blink is not None:
            arrays[f"heads.{i}.blink"] = np.asarray(h.blink, np.float32)
    with atomic_write(path) as f:
        np.savez_compressed(f, **arrays)


def _open_npz(path: str) -> dict[str, np.ndarray]:
    path = require_regular_file(path, "checkpoint", CheckpointError)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:1] == b"\x80":
        raise CheckpointError(
            f"'{path}' is a Python pickle (a torch .pt/.pth training state?), not a MulTaNet checkpoint; "
            "it was not loaded, since a pickle can run code. Export one with `python -m train export`"
        )
    if magic != b"PK\x03\x04":
        raise CheckpointError(f"'{path}' is not a MulTaNet checkpoint (.npz archive); its header is {magic!r}")
    _check_members(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {name: npz[name] for name in npz.files}
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise CheckpointError(f"checkpoint '{path}' is truncated or corrupt ({exc})") from exc
    except ValueError as exc:  # object arrays need pickle: refused
        raise CheckpointError(f"checkpoint '{path}' holds an array that needs pickle; refused ({exc})") from exc


MAX_CHECKPOINT_BYTES = 2 << 30  # uncompressed; the paper-size model with 14 full-detail heads is ~1 GB


def _check_members(path: str) -> None:
    """Refuse a zip bomb before anything is decompressed (:func:`multanet_core.npz_guard.check_npz`)."""
    try:
        check_npz(path, MAX_CHECKPOINT_BYTES)
    except NpzRefused as exc:
        raise CheckpointError(f"checkpoint '{path}': {exc}") from None


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and check a checkpoint; any problem is a :class:`CheckpointError` naming what is wrong."""
    path = os.fspath(path)
    arrays = _open_npz(path)
    if METADATA_KEY not in arrays:
        raise CheckpointError(f"'{path}' is an .npz file but not a MulTaNet checkpoint (no '{METADATA_KEY}')")
    raw = arrays.pop(METADATA_KEY)
    if raw.dtype.kind != "U" or raw.shape != ():
        raise CheckpointError(f"checkpoint '{path}': '{METADATA_KEY}' must be a JSON string")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"checkpoint '{path}': metadata is not valid JSON ({exc})") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint '{path}': its metadata must be a JSON object, got {type(meta).__name__}")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a MulTaNet checkpoint (format is {meta.get('format')!r})")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION or version < 1:
        raise CheckpointError(
            f"checkpoint '{path}' has format version {version!r}; this MulTaNet reads versions 1 to {VERSION} "
            "(update the add-on to read newer checkpoints)"
        )
    missing = [k for k in ("features", "network", "fps", "heads") if k not in meta]
    if missing:
        raise CheckpointError(f"checkpoint '{path}': metadata lacks {', '.join(missing)}")
    try:
        features = FeatureConfig.from_dict(meta["features"])
        network = NetworkSpec.from_dict(meta["network"])
    except MulTaNetError as exc:
        raise CheckpointError(f"checkpoint '{path}': {exc}") from exc
    fps = meta["fps"]
    if not isinstance(fps, int | float) or isinstance(fps, bool) or not np.isfinite(fps) or not 0 < fps <= 1000:
        raise CheckpointError(f"checkpoint '{path}': fps must be a positive number, got {fps!r}")
    if not isinstance(meta.get("info", {}), dict):
        raise CheckpointError(f"checkpoint '{path}': info must be a JSON object, got {type(meta['info']).__name__}")
    if not isinstance(meta["heads"], list) or not meta["heads"]:
        raise CheckpointError(f"checkpoint '{path}': it holds no character heads")
    heads = []
    for i, hm in enumerate(meta["heads"]):
        if not isinstance(hm, dict) or not isinstance(hm.get("name"), str):
            raise CheckpointError(f"checkpoint '{path}': head {i} has no name")
        for key in HEAD_ARRAYS:
            if f"heads.{i}.{key}" not in arrays:
                raise CheckpointError(f"checkpoint '{path}': head '{printable(hm['name'])}' lacks the array "
                                      f"'heads.{i}.{key}'")
        presets = hm.get("presets", {})
        if not isinstance(presets, dict):
            raise CheckpointError(f"checkpoint '{path}': head '{printable(hm['name'])}' presets must be an object")
        kind = hm.get("kind", "mesh")
        names = hm.get("weight_names", [])
        if kind not in ("mesh", "rig") or (kind == "rig" and version < 3):
            known = "only 'mesh' (rig heads came with format 3)" if version < 3 else "'mesh' and 'rig'"
            raise CheckpointError(f"checkpoint '{path}': head '{printable(hm['name'])}' has kind {kind!r}; "
                                  f"format {version} knows {known}")
        if kind == "rig" and (not isinstance(names, list) or not names or len(names) > MAX_WEIGHT_NAMES
                              or not all(isinstance(n, str) and 0 < len(n) <= MAX_NAME_LENGTH for n in names)):
            raise CheckpointError(f"checkpoint '{path}': rig head '{printable(hm['name'])}' needs weight_names, "
                                  f"a list of 1 to {MAX_WEIGHT_NAMES} names of 1 to {MAX_NAME_LENGTH} characters")
        h = {key: arrays.pop(f"heads.{i}.{key}") for key in HEAD_ARRAYS}
        blink = arrays.pop(f"heads.{i}.blink", None)
        heads.append(
            Head(
                name=hm["name"],
                template=h["template"],
                faces=h["faces"],
                face_sizes=h["face_sizes"],
                lips=h["lips"],
                upper_face=h["upper_face"],
                mean=h["mean"],
                basis=h["basis"].astype(np.float32, copy=False),
                presets=presets,
                weight_names=tuple(names) if kind == "rig" else (),
                blink=None if blink is None else blink.astype(np.float32, copy=False),
            )
        )
    info = meta.get("info", {})
    typed = meta if version >= 2 else {"up_axis": str(info.get("up_axis", "Y")).upper(),  # version 1: in info
                                       "coefficient_filter": info.get("coefficient_filter")}
    ckpt = Checkpoint(features, network, float(fps), heads, arrays, info=info, path=path,
                      up_axis=typed.get("up_axis", "Y"), coefficient_filter=typed.get("coefficient_filter"))
    _validate(ckpt, path, meta["heads"])
    return ckpt


def _validate(ckpt: Checkpoint, path: str, head_meta: list[dict] | None = None) -> None:
    """Every shape, count, index and value; the first problem found is raised, named precisely."""

    def fail(msg: str) -> None:
        raise CheckpointError(f"checkpoint '{path}': {msg}")

    net, feats = ckpt.network, ckpt.features
    if ckpt.up_axis not in UP_AXES:
        fail(f"up_axis must be one of {', '.join(UP_AXES)}, got {ckpt.up_axis!r}")
    try:
        normalised_filter(ckpt.coefficient_filter)
    except MulTaNetError as exc:
        fail(str(exc))
    if (net.n_frames, net.width) != (feats.n_frames, feats.width):
        fail(
            f"the network expects {net.n_frames}x{net.width} feature windows ({net.level_channels} level "
            f"feature(s)) but the features are {feats.n_frames}x{feats.width} (level {feats.level!r})"
        )
    names = [h.name for h in ckpt.heads]
    if len(set(names)) != len(names):
        fail(f"character names repeat: {names}")
    try:
        expected = ckpt.network.weight_shapes([h.n_components for h in ckpt.heads])
    except MulTaNetError as exc:
        fail(str(exc))
    for name, shape in expected.items():
        if name not in ckpt.weights:
            fail(f"the weight '{name}' is missing")
        w = ckpt.weights[name]
        if tuple(w.shape) != shape:
            fail(f"the weight '{name}' has shape {tuple(w.shape)}, expected {shape}")
        if w.dtype.kind != "f":
            fail(f"the weight '{name}' has dtype {w.dtype}, expected floating point")
        if not np.isfinite(w).all():
            fail(f"the weight '{name}' has NaN or infinite values")
    extra = sorted(set(ckpt.weights) - set(expected))
    if extra:
        fail(f"unexpected arrays {extra[:5]}{' ...' if len(extra) > 5 else ''}")
    for i, h in enumerate(ckpt.heads):
        where = f"head '{printable(h.name)}'"
        _validate_presets(ckpt, h, fail)
        if h.is_rig:
            if h.blink is not None:
                fail(f"{where}: a rig head has no mesh, so no blink shape (its blinks are eyeBlink weights)")
            _validate_rig(h, fail, head_meta[i] if head_meta is not None else None)
            continue
        if h.template.ndim != 2 or h.template.shape[1] != 3 or h.template.shape[0] < 3:
            fail(f"{where}: template vertices must be [V, 3], got {tuple(h.template.shape)}")
        v = h.n_vertices
        for key, arr in (("template", h.template), ("mean", h.mean), ("basis", h.basis)):
            if arr.dtype.kind != "f" or not np.isfinite(arr).all():
                fail(f"{where}: '{key}' must be finite floating-point values")
        if h.mean.shape != (3 * v,):
            fail(f"{where}: mean has shape {tuple(h.mean.shape)}, expected ({3 * v},) for {v} vertices")
        if h.basis.ndim != 2 or h.basis.shape[1] != 3 * v or h.basis.shape[0] < 1:
            fail(f"{where}: basis has shape {tuple(h.basis.shape)}, expected [K, {3 * v}] for {v} vertices")
        for key, arr in (("faces", h.faces), ("face_sizes", h.face_sizes), ("lips", h.lips),
                         ("upper_face", h.upper_face)):
            if arr.ndim != 1 or arr.dtype.kind not in "iu":
                fail(f"{where}: '{key}' must be a 1-d integer array")
        if h.face_sizes.size == 0 or (h.face_sizes < 3).any() or int(h.face_sizes.sum()) != h.faces.size:
            fail(f"{where}: face sizes must be >= 3 and add up to the {h.faces.size} face indices")
        for key, arr in (("faces", h.faces), ("lips", h.lips), ("upper_face", h.upper_face)):
            if arr.size and (arr.min() < 0 or arr.max() >= v):
                fail(f"{where}: '{key}' indexes vertices outside 0..{v - 1}")
        if h.lips.size == 0:
            fail(f"{where}: no lip vertices")
        if h.blink is not None and (h.blink.shape != (v, 3) or h.blink.dtype.kind != "f"
                                    or not np.isfinite(h.blink).all()):
            fail(f"{where}: its blink shape must be finite floating-point values [{v}, 3], "
                 f"got {h.blink.dtype} {tuple(h.blink.shape)}")
        if head_meta is not None:
            hm = head_meta[i]
            for key, actual in (("n_vertices", v), ("n_components", h.n_components),
                                ("n_faces", int(h.face_sizes.shape[0]))):
                if hm.get(key) != actual:
                    fail(f"{where}: metadata says {key} = {hm.get(key)!r} but the arrays hold {actual}")
            if hm.get("fingerprint") != h.fingerprint:
                fail(f"{where}: the topology fingerprint does not match its faces (edited or corrupt file)")


def _validate_presets(ckpt: Checkpoint, h: Head, fail) -> None:
    if not h.presets:
        fail(f"head '{printable(h.name)}': no emotion presets")
    for preset, vec in h.presets.items():
        try:
            values: np.ndarray | None = np.asarray(vec, dtype=np.float64)
        except (TypeError, ValueError):
            values = None
        if values is None or values.shape != (ckpt.network.emotion_dim,) or not np.isfinite(values).all():
            fail(f"head '{printable(h.name)}': emotion preset '{printable(preset)}' must be "
                 f"{ckpt.network.emotion_dim} finite numbers")


def _validate_rig(h: Head, fail, hm: dict | None) -> None:
    where = f"rig head '{printable(h.name)}'"
    n = len(h.weight_names)
    if len(set(h.weight_names)) != n:
        fail(f"{where}: weight names repeat")
    for key, arr in (("mean", h.mean), ("basis", h.basis)):
        if arr.dtype.kind != "f" or not np.isfinite(arr).all():
            fail(f"{where}: '{key}' must be finite floating-point values")
    if h.mean.shape != (n,):
        fail(f"{where}: mean has shape {tuple(h.mean.shape)}, expected ({n},) for its {n} weight names")
    if h.basis.ndim != 2 or h.basis.shape[1] != n or h.basis.shape[0] < 1:
        fail(f"{where}: basis has shape {tuple(h.basis.shape)}, expected [K, {n}] for its {n} weight names")
    if any(arr.size for arr in (h.template, h.faces, h.face_sizes, h.lips, h.upper_face)):
        fail(f"{where}: a rig head has no mesh, but its mesh arrays are not empty")
    if hm is not None and hm.get("n_components") != h.n_components:
        fail(f"{where}: metadata says n_components = {hm.get('n_components')!r} but the arrays hold "
             f"{h.n_components}")
