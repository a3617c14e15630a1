"""Training frames of several characters held in memory: LPC grids, window offsets, vertex targets.

Frame ``i`` (over all characters and sequences) has its window at ``grid[win[i] : win[i] + n_frames]``,
its character ``char[i]`` and its target ``targets[char[i]][row[i]]`` (flattened vertices [3V]).
``pairs`` lists every ``i`` whose next frame ``i + 1`` belongs to the same sequence: Karras's motion
loss compares such consecutive pairs. With augmentation, ``grid`` holds one layer per audio variant
(0 = clean, then the degraded copies), all with the same layout, so a frame's window is found at the
same offset in every variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from multanet_core.lpc import FeatureConfig
from train.data.base import DatasetError, MotionDataset, Sequence, Template

from .augment import AugmentConfig
from .contact_labels import label_codes
from .features_cache import BabblePool, sequence_grid


@dataclass
class FrameData:
    characters: list[str]
    templates: list[Template]
    grid: np.ndarray  # float32 [variants, G, width], all sequences' grids concatenated, per audio variant
    win: np.ndarray  # int64 [N] window start into grid
    char: np.ndarray  # int64 [N]
    row: np.ndarray  # int64 [N] row of targets[char]
    seq: np.ndarray  # int64 [N] index into sequences
    targets: list[np.ndarray]  # per character float32 [N_c, 3V]
    sequences: list[Sequence]
    n_frames: int  # grid frames per window
    # uint8 [N]: 1 where the frame lies inside a P/B/M phone of an exact (synthetic) timeline, 2 inside or within
    # ALIGNED_PAD frames of one of a forced alignment (real speech: the aligner's P/B/M may miss the closure by a
    # frame or two), 3 on the other frames of a forced alignment's sequence (its targets are pseudo ground truth),
    # 0 elsewhere (None: no phone timelines)
    bilabial: np.ndarray | None = None
    contact: np.ndarray | None = None  # uint8 [N, C]: lip-contact labels (train.contact_labels.label_codes)
    # int8 [N]: the frame's expression (an index into train.synth.expression.EXPRESSIONS) where its json says it
    # with intensity EXPRESSION_SURE or more, 0 (neutral) where its intensity is 0, -1 elsewhere (None: no
    # sequence has expressions)
    expression: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.win.shape[0])

    @property
    def pairs(self) -> np.ndarray:
        return np.flatnonzero(self.seq[:-1] == self.seq[1:])

    @property
    def n_variants(self) -> int:
        return int(self.grid.shape[0])

    def windows(self, idx: np.ndarray, variant: np.ndarray | None = None) -> np.ndarray:
        """float32 [len(idx), n_frames, width]: each frame's window in its audio ``variant`` (default clean)."""
        rows = self.win[idx][:, None] + np.arange(self.n_frames)
        if variant is None:
            return self.grid[0][rows]
        return self.grid[np.asarray(variant)[:, None], rows]

    def frames_of(self, c: int) -> np.ndarray:
        return np.flatnonzero(self.char == c)


ALIGNED_PAD = 2  # frames either side of a forced alignment's P/B/M that count as its uncertain closure
EXPRESSION_SURE = 0.5  # intensity from which a frame counts as showing its expression (presets by label)


def expression_codes(metadata: dict, n: int) -> np.ndarray | None:
    """int8 [n]: :attr:`FrameData.expression` for one sequence, from its json's ``expression`` (None without)."""
    e = metadata.get("expression")
    if not isinstance(e, dict):
        return None
    try:
        labels = np.asarray(e["label_per_frame"], np.int64)[:n]
        intensity = np.asarray(e["intensity"], np.float64)[:n]
    except (KeyError, TypeError, ValueError):
        raise DatasetError("its 'expression' needs per-frame 'label_per_frame' and 'intensity' lists of numbers") \
            from None
    if len(labels) != n or len(intensity) != n or labels.min(initial=0) < 0 or labels.max(initial=0) > 127:
        raise DatasetError(f"its 'expression' covers {min(len(labels), len(intensity))} of its {n} frames, or its "
                           f"labels are outside 0-127")
    out = np.full(n, -1, np.int8)
    out[intensity >= EXPRESSION_SURE] = labels[intensity >= EXPRESSION_SURE]
    out[intensity == 0] = 0
    return out


def bilabial_codes(metadata: dict, fps: float, n: int) -> np.ndarray:
    """uint8 [n]: :attr:`FrameData.bilabial` for one sequence, from its json: for a sequence whose timeline came
    from a forced aligner (it carries ``alignment``), code 2 on its P/B/M widened by :data:`ALIGNED_PAD` frames
    and code 3 on its other frames; code 1 on the P/B/M of an exact timeline."""
    mark = bilabial_frames(metadata.get("phonemes"), fps, n)
    if not metadata.get("alignment"):
        return mark.astype(np.uint8)
    wide = np.convolve(mark.astype(np.int64), np.ones(2 * ALIGNED_PAD + 1, np.int64), mode="same") > 0
    return np.where(wide, 2, 3).astype(np.uint8)


def bilabial_frames(phonemes: list | None, fps: float, n: int) -> np.ndarray:
    """bool [n]: frames whose time ``t / fps`` lies inside a bilabial phone of the ``[[start_s, end_s, phone],
    ...]`` timeline (IPA or ARPAbet); all False without a timeline."""
    from .speech_metrics import phone_class

    mark = np.zeros(n, bool)
    times = np.arange(n) / float(fps)
    for start, end, phone in phonemes or []:
        if phone_class(str(phone)) == "bilabial":
            mark |= (times >= float(start)) & (times < float(end))
    return mark


def select_sequences(dataset: MotionDataset, character: str, split: str, sentences: int | None) -> list[Sequence]:
    seqs = sorted(dataset.sequences(split=split, character=character), key=lambda s: s.id)
    return seqs[:sentences] if sentences else seqs


def load_frames(dataset: MotionDataset, characters: list[str], split: str, cfg: FeatureConfig,
                cache_dir: Path | None, sentences: int | None = None, progress=None,
                augment: AugmentConfig | None = None,
                rig: tuple[str, tuple[str, ...]] | None = None) -> FrameData:
    """Every frame of ``split`` for ``characters`` (the first ``sentences`` sequences of each, by id), with
    ``augment.variants`` degraded copies of its audio besides the clean one.

    With ``rig`` = (head name, weight names), the frames of all ``characters`` are one rig head's data:
    one character (that head, no template), whose targets are each sequence's named weights instead of its
    vertices (:func:`_rig_targets`: its articulation curves, or its motion solved onto the character's keys)."""
    if rig:  # before any feature is read
        check_rig_sources(dataset, [s for c in characters for s in select_sequences(dataset, c, split, 1)], rig[1])
    n_variants = 1 + (augment.variants if augment else 0)
    pool = BabblePool(dataset, split) if augment else None
    grids: list[list[np.ndarray]] = [[] for _ in range(n_variants)]
    wins, chars, rows, seq_ids, targets, sequences, bilabial, contact = [], [], [], [], [], [], [], []
    expression: list[np.ndarray | None] = []
    templates = [] if rig else [dataset.template(c) for c in characters]
    offset = 0
    row = 0
    per_char: list[np.ndarray] = []
    for c, name in enumerate(characters):
        seqs = select_sequences(dataset, name, split, sentences)
        if not seqs:
            raise DatasetError(dataset.no_sequences(split, name))
        if not rig:
            per_char, row = [], 0
        for seq in seqs:
            grid, offs = sequence_grid(dataset, seq, cfg, cache_dir)
            grids[0].append(grid)
            for v in range(1, n_variants):
                grids[v].append(sequence_grid(dataset, seq, cfg, cache_dir, augment, v, pool)[0])
            verts = _rig_targets(dataset, seq, rig[1]) if rig else dataset.load_vertices(seq)
            n = min(len(offs), len(verts))
            wins.append(offs[:n] + offset)
            offset += grid.shape[0]
            chars.append(np.full(n, 0 if rig else c, np.int64))
            rows.append(np.arange(row, row + n, dtype=np.int64))
            seq_ids.append(np.full(n, len(sequences), np.int64))
            bilabial.append(bilabial_codes(seq.metadata(), dataset.fps, n))
            contact.append(label_codes(seq.metadata(), dataset.fps, n))
            expression.append(expression_codes(seq.metadata(), n))
            sequences.append(seq)
            per_char.append(np.asarray(verts[:n], np.float32).reshape(n, -1))
            row += n
            if progress:
                progress()
        if not rig:
            targets.append(np.concatenate(per_char))
    if rig:
        targets.append(np.concatenate(per_char))
    return FrameData(characters=[rig[0]] if rig else list(characters), templates=templates,
                     grid=np.stack([np.concatenate(g) for g in grids]),
                     win=np.concatenate(wins), char=np.concatenate(chars), row=np.concatenate(rows),
                     seq=np.concatenate(seq_ids), targets=targets, sequences=sequences, n_frames=cfg.n_frames,
                     bilabial=np.concatenate(bilabial), contact=np.concatenate(contact),
                     expression=None if all(e is None for e in expression) else np.concatenate(
                         [np.full(len(w), -1, np.int8) if e is None else e
                          for e, w in zip(expression, wins, strict=True)]))


def with_rig_head(data: FrameData, dataset: MotionDataset, rig: tuple[str, tuple[str, ...]]) -> FrameData:
    """``data`` with one rig head more that trains on the same frames (a rig head trained jointly with
    the mesh heads hears their speech again, with its own targets): the feature grid is shared, not read
    or copied a second time; only the rig head's targets (:func:`_rig_targets`) are new. Its caller checks
    the sources first (:func:`check_rig_sources`), before the mesh heads' features load."""
    name, names = rig
    counts = np.bincount(data.seq, minlength=len(data.sequences))  # frames are contiguous per sequence
    parts = []
    for seq, n in zip(data.sequences, counts, strict=True):
        weights = _rig_targets(dataset, seq, names)
        if len(weights) < n:
            raise DatasetError(f"{seq.key}: {len(weights)} frames of rig targets for {n} frames of motion")
        parts.append(weights[:n])
    n = data.n
    bilabial = None if data.bilabial is None else np.concatenate([data.bilabial, data.bilabial])
    contact = None if data.contact is None else np.concatenate([data.contact, data.contact])
    expression = None if data.expression is None else np.concatenate([data.expression, data.expression])
    return FrameData(characters=[*data.characters, name], templates=data.templates, grid=data.grid,
                     win=np.concatenate([data.win, data.win]),
                     char=np.concatenate([data.char, np.full(n, len(data.characters), np.int64)]),
                     row=np.concatenate([data.row, np.arange(n, dtype=np.int64)]),
                     seq=np.concatenate([data.seq, data.seq + len(data.sequences)]),
                     targets=[*data.targets, np.concatenate(parts)], sequences=data.sequences * 2,
                     n_frames=data.n_frames, bilabial=bilabial, contact=contact, expression=expression)


def check_rig_sources(dataset: MotionDataset, sequences: list[Sequence], names: tuple[str, ...]) -> None:
    """Refuse, before any work, the characters whose first of ``sequences`` gives a rig head no targets (no
    articulation curves, no shape keys, or keys that match none of ``names``): one ``DatasetError`` naming them."""
    firsts = {}
    for seq in sequences:
        firsts.setdefault(seq.character, seq)
    problems = []
    for seq in firsts.values():
        try:
            _rig_source(dataset, seq, names)
        except DatasetError as exc:
            problems.append(str(exc))
    if problems:
        raise DatasetError("a rig head has nothing to learn from:\n  " + "\n  ".join(problems))


def _rig_source(dataset: MotionDataset, seq: Sequence, names: tuple[str, ...]):
    """What a sequence's rig targets come from: None (its articulation curves), or the character's shape keys
    and how they match ``names``; a ``DatasetError`` when there is neither."""
    from multanet_core.rig_names import match_keys

    from .rig_targets import CHANNELS

    if hasattr(dataset, "has_articulation") and dataset.has_articulation(seq):
        dataset.load_articulation(seq, CHANNELS)  # malformed or incomplete curves: refused here, before any work
        return None
    keys = dataset.rig_keys(seq.character) if hasattr(dataset, "rig_keys") else None
    where = getattr(dataset, "root", None)
    where = f"{where / seq.character}" if where is not None else seq.character
    if keys is None:
        raise DatasetError(f"{where}: {seq.key}: no articulation curves and no shape keys of character "
                           f"{seq.character!r} (<character>/rig_keys.npz, docs/DATA.md), so it gives a rig head "
                           f"nothing to learn")
    key_names = keys[0]
    match = match_keys(key_names, names)
    if not match.keys and not match.both_sides:
        raise DatasetError(f"{where}/rig_keys.npz: none of its keys ({', '.join(key_names[:6])}) is a name the rig "
                           f"head learns ({', '.join(names[:6])}, ...)")
    return keys, match


def _rig_targets(dataset: MotionDataset, seq: Sequence, names: tuple[str, ...]) -> np.ndarray:
    """A sequence's rig-head targets: its articulation curves through the ARKit table (the synthetic
    corpus), or, for captured motion, the bounded least-squares solve of its vertices onto the character's
    own shape keys (``rig_keys.npz``), each key standing for the ARKit name it matches."""
    from multanet_core.rig_solve import side_pairs, solve_weights

    from .rig_targets import CHANNELS, arkit_weights

    source = _rig_source(dataset, seq, names)
    if source is None:
        return arkit_weights(*dataset.load_articulation(seq, CHANNELS), names)
    (key_names, offsets), match = source
    verts = dataset.load_vertices(seq)
    motion = (verts - dataset.template(seq.character).vertices[None]).reshape(len(verts), -1)
    solved = solve_weights(offsets.reshape(len(key_names), -1), motion, pairs=side_pairs(key_names))
    out = np.zeros((len(verts), len(names)), np.float32)
    for name, key in match.keys.items():
        out[:, names.index(name)] = solved[:, key_names.index(key)]
    for name, (left, right) in match.both_sides.items():  # one name the character splits by side: both halves
        out[:, names.index(name)] = 0.5 * (solved[:, key_names.index(left)] + solved[:, key_names.index(right)])
    return out


def frame_counts(dataset: MotionDataset, characters: list[str], split: str, cfg: FeatureConfig,
                 cache_dir: Path | None, sentences: int | None = None) -> list[int]:
    """How many frames :func:`load_frames` takes per character, from the feature cache and the motion
    files' shapes (without loading the motion)."""
    counts = []
    for name in characters:
        n = 0
        for seq in select_sequences(dataset, name, split, sentences):
            _, offs = sequence_grid(dataset, seq, cfg, cache_dir)
            path = getattr(dataset, "_path", None)
            if path is not None:
                t = np.load(path(seq, ".npy"), mmap_mode="r", allow_pickle=False).shape[0]
            else:
                t = len(dataset.load_vertices(seq))
            n += min(len(offs), t)
        counts.append(n)
    return counts
