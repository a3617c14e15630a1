"""Training batches without per-step host work: an epoch's whole batch order is drawn once on the host,
sent to the device as index tensors, and every step's windows and targets are gathered there.

:func:`plan_epoch` draws the order (from the seed and the epoch number alone, as exact resumption
needs) and records, per step, its rows (frame indices, two per pair, sorted by character), the audio
variant of each row and the rows' groups by head. Group boundaries are host integers, so the model
can slice its batch per head without ever reading a device value.

:class:`FrameSource` holds the frames' LPC grid, window offsets, targets and P/B/M marks as torch
tensors. *Resident* (the default when they fit): on the training device, and a chunk of steps is
gathered there by index. *Streamed* (``max_device_bytes`` smaller than the data): the tensors stay in
(pinned) host memory and a chunk of many steps is gathered on the host in one go and copied to the
device asynchronously, never step by step. On the CPU the tensors share memory with the numpy arrays.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .config import scheduled
from .training_data import FrameData


@dataclass
class EpochPlan:
    """One epoch's batches. Step ``s`` holds rows ``rows[starts[s]:starts[s + 1]]`` (frame indices: a pair's
    two frames side by side), each read from audio variant ``variant`` of the same positions; its groups
    are ``groups[s]``: (head index, character, first row, end row) with rows relative to the step."""

    rows: np.ndarray  # int64 [R]
    variant: np.ndarray  # int64 [R]
    starts: np.ndarray  # int64 [n_steps + 1]
    groups: list[list[tuple[int, int, int, int]]]

    @property
    def n_steps(self) -> int:
        return len(self.groups)

    def step_rows(self, s: int) -> int:
        return int(self.starts[s + 1] - self.starts[s])


def plan_epoch(data: FrameData, head_of: list[int], seed: int, epoch: int, batch: int, fraction: float,
               clean_share: float, rank: int = 0, n_ranks: int = 1, repeat: np.ndarray | None = None) -> EpochPlan:
    """The epoch's batches for ``rank`` of ``n_ranks``: every rank draws the same global order of
    ``round(len(pairs) * fraction)`` pairs, cuts it into batches of ``batch`` pairs and takes every
    ``n_ranks``-th pair of each; a pair hears the clean audio with probability ``clean_share`` and
    otherwise one of the degraded variants, both frames the same. ``repeat`` (an int per pair of
    ``data.pairs``) puts a pair that many times into the pool the order is drawn from: those pairs are
    drawn more often, in an epoch of the same length."""
    pairs = data.pairs
    pool = pairs if repeat is None else np.repeat(pairs, repeat)
    rng = np.random.default_rng([int(seed), epoch])
    variant_rng = np.random.default_rng([int(seed), epoch, 1])
    count = max(n_ranks, int(round(len(pairs) * float(fraction))))
    # fraction > 1 (small data sets, same number of steps): several shuffles back to back
    order = np.concatenate([rng.permutation(pool) for _ in range(math.ceil(count / len(pool)))])[:count]
    rows, variants, starts, groups = [], [], [0], []
    for s in range(math.ceil(len(order) / batch)):
        chunk = order[s * batch:(s + 1) * batch]
        if len(chunk) < n_ranks:
            continue
        p = chunk[rank::n_ranks]
        p = p[np.argsort(data.char[p], kind="stable")]
        idx = np.stack([p, p + 1], axis=1).reshape(-1)
        if data.n_variants > 1:  # drawn step by step, in the order a step-by-step loop draws them
            pick = np.where(variant_rng.random(len(p)) < clean_share, 0,
                            variant_rng.integers(1, data.n_variants, len(p)))
            variants.append(np.repeat(pick, 2))
        else:
            variants.append(np.zeros(len(idx), np.int64))
        rows.append(idx)
        starts.append(starts[-1] + len(idx))
        groups.append(_groups(data.char[idx], head_of))
    return EpochPlan(rows=np.concatenate(rows) if rows else np.zeros(0, np.int64),
                     variant=np.concatenate(variants).astype(np.int64) if variants else np.zeros(0, np.int64),
                     starts=np.asarray(starts, np.int64), groups=groups)


def pair_repeat(data: FrameData, neural: int = 1, languages: dict[str, int] | None = None,
                mesh: int = 1) -> np.ndarray | None:
    """Per pair of ``data.pairs``, how many times it goes into an epoch's pool (:func:`plan_epoch`): the
    product of ``neural`` for the pairs of sequences spoken by a neural (human-like) voice, ``languages[l]``
    for those of a sequence in language ``l``, and ``mesh`` for a mesh head's pairs when a rig head trains
    beside them (rig-head rows are those of characters without a template); None when every pair is 1."""
    pairs = data.pairs
    repeat = np.ones(len(pairs), np.int64)
    seq = data.seq[pairs]
    meta = [s.metadata() for s in data.sequences] if int(neural) != 1 or languages else []
    if int(neural) != 1:
        is_neural = np.array([bool((m.get("voice") or {}).get("neural")) for m in meta], bool)
        repeat *= np.where(is_neural[seq], int(neural), 1)
    if languages:
        factor = np.array([int(languages.get(str(m.get("language")), 1)) for m in meta], np.int64)
        repeat *= factor[seq]
    n_mesh = len(data.templates)
    if int(mesh) != 1 and 0 < n_mesh < len(data.characters):
        repeat *= np.where(data.char[pairs] < n_mesh, int(mesh), 1)
    return None if (repeat == 1).all() else repeat


def config_repeat(data: FrameData, config: dict, epoch: int) -> np.ndarray | None:
    """:func:`pair_repeat` from a training config: ``neural_voice_repeat`` (a number or a schedule by
    epoch), ``language_repeat`` ({language code: times}) and ``mesh_head_repeat`` (a number)."""
    languages = config.get("language_repeat") or None
    if languages is not None and (not isinstance(languages, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 1
            for k, v in languages.items())):
        raise ValueError(f"config 'language_repeat': expected {{language code: whole times >= 1}}, got {languages!r}")
    counts = {}
    for key in ("neural_voice_repeat", "mesh_head_repeat"):
        value = scheduled(config, key, epoch, 1)
        if value != int(value) or value < 1:
            raise ValueError(f"config {key!r}: expected whole times >= 1, got {value!r}")
        counts[key] = int(value)
    return pair_repeat(data, counts["neural_voice_repeat"], languages, counts["mesh_head_repeat"])


def _groups(chars: np.ndarray, head_of: list[int]) -> list[tuple[int, int, int, int]]:
    """Contiguous row ranges of each character in a batch sorted by character."""
    cuts = np.flatnonzero(np.diff(chars)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(chars)]])
    return [(head_of[int(chars[s])], int(chars[s]), int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


@dataclass
class Chunk:
    """Several steps' inputs. Resident data: their indices where the data lives (each step gathers its own
    rows there). Streamed data: their windows [rows, n_frames, width], each character's targets in row
    order and the P/B/M marks, gathered on the host in one go and already on their way to the device."""

    first_step: int
    frames: torch.Tensor  # [rows] frame indices (the emotion vectors'), on the device
    variant: torch.Tensor  # [rows]
    target_rows: dict[int, torch.Tensor]  # character -> rows of its targets, in the chunk's order
    offsets: list[dict[int, int]]  # per step: character -> its first row in ``target_rows[character]``
    row0: list[int]  # per step: its first row in ``frames``
    x: torch.Tensor | None = None  # streamed only
    targets: dict[int, torch.Tensor] | None = None
    bilabial: torch.Tensor | None = None
    contact: torch.Tensor | None = None


class FrameSource:
    """A :class:`FrameData`'s arrays as torch tensors, resident on ``device`` or streamed from the host."""

    def __init__(self, data: FrameData, device: torch.device, max_device_bytes: int | None = None):
        self.device = device
        arrays = [data.grid, data.win, data.row, *data.targets]
        size = sum(a.nbytes for a in arrays) + sum(a.nbytes for a in (data.bilabial, data.contact) if a is not None)
        limit = max_device_bytes
        if limit is None and device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            limit = int(free * 0.6)  # the rest for activations, the optimiser and the chunks
        self.resident = limit is None or size <= limit
        home = device if self.resident else torch.device("cpu")
        pin = home.type == "cpu" and device.type == "cuda"

        def put(a: np.ndarray) -> torch.Tensor:
            t = torch.from_numpy(np.ascontiguousarray(a))
            if home.type != "cpu":
                return t.to(home)
            return t.pin_memory() if pin else t

        self.nbytes = size
        self.grid = put(data.grid)  # [variants, G, width]
        self.win = put(data.win)
        self.row = put(data.row)
        self.targets = [put(t) for t in data.targets]
        self.bilabial = None if data.bilabial is None else put(data.bilabial)
        self.contact = None if data.contact is None else put(data.contact)
        self.span = torch.arange(data.n_frames, device=home)
        self.home = home
        self.pin = pin

    def _index(self, a: np.ndarray) -> torch.Tensor:
        """A host index array where the data lives: as it is on the CPU, else copied from pinned memory
        without waiting (a pageable copy could wait for the device's queue)."""
        t = torch.from_numpy(np.ascontiguousarray(a))
        if self.home.type == "cpu":
            return t
        return t.pin_memory().to(self.home, non_blocking=True)

    def _to_device(self, t: torch.Tensor) -> torch.Tensor:
        if t.device == self.device:
            return t
        return (t.pin_memory() if self.pin else t).to(self.device, non_blocking=True)

    def chunk(self, plan: EpochPlan, first: int, n_steps: int) -> Chunk:
        """Steps ``first .. first + n_steps`` of ``plan``: their indices uploaded in one go, and for streamed
        data their windows and targets gathered on the host and sent to the device without waiting."""
        end = min(first + n_steps, plan.n_steps)
        r0, r1 = int(plan.starts[first]), int(plan.starts[end])
        offsets: list[dict[int, int]] = []
        by_char: dict[int, list[np.ndarray]] = {}
        count: dict[int, int] = {}
        for s in range(first, end):
            base = int(plan.starts[s])
            here: dict[int, int] = {}
            for _, c, g0, g1 in plan.groups[s]:
                here[c] = count.get(c, 0)
                count[c] = here[c] + (g1 - g0)
                by_char.setdefault(c, []).append(plan.rows[base + g0:base + g1])
            offsets.append(here)
        frames, variant = self._index(plan.rows[r0:r1]), self._index(plan.variant[r0:r1])
        target_rows = {c: self.row[self._index(np.concatenate(parts))] for c, parts in by_char.items()}
        chunk = Chunk(first_step=first, frames=frames, variant=variant, target_rows=target_rows, offsets=offsets,
                      row0=[int(plan.starts[s] - plan.starts[first]) for s in range(first, end)])
        if not self.resident:
            chunk.x = self._to_device(self._windows(frames, variant))
            chunk.targets = {c: self._to_device(self.targets[c][rows]) for c, rows in target_rows.items()}
            chunk.bilabial = None if self.bilabial is None else self._to_device(self.bilabial[frames])
            chunk.contact = None if self.contact is None else self._to_device(self.contact[frames])
            chunk.frames = self._to_device(frames)
        return chunk

    def _windows(self, frames: torch.Tensor, variant: torch.Tensor) -> torch.Tensor:
        return self.grid[variant[:, None], self.win[frames][:, None] + self.span]

    def step(self, plan: EpochPlan, chunk: Chunk, s: int):
        """Step ``s``'s (windows, emotion indices, P/B/M marks or None, contact labels or None, per-group targets),
        all on the device."""
        i = s - chunk.first_step
        r0 = chunk.row0[i]
        r1 = r0 + plan.step_rows(s)
        frames = chunk.frames[r0:r1]
        targets = []
        for _, c, g0, g1 in plan.groups[s]:
            o = chunk.offsets[i][c]
            if chunk.targets is not None:
                targets.append(chunk.targets[c][o:o + (g1 - g0)])
            else:
                targets.append(self.targets[c][chunk.target_rows[c][o:o + (g1 - g0)]])
        if chunk.x is not None:
            x, bilabial = chunk.x[r0:r1], None if chunk.bilabial is None else chunk.bilabial[r0:r1]
            contact = None if chunk.contact is None else chunk.contact[r0:r1]
        else:
            x = self._windows(frames, chunk.variant[r0:r1])
            bilabial = None if self.bilabial is None else self.bilabial[frames]
            contact = None if self.contact is None else self.contact[frames]
        return x, frames, bilabial, contact, targets
