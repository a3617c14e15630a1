"""Checkpoints for the add-on: the bundled default model, loading with a small cache, a summary in words.

Loading a checkpoint validates all of it (multanet_core.checkpoint); the add-on keeps the last few loaded
ones, keyed by path, size and modification time, so the panel can redraw and bake without
re-reading the file, and a checkpoint rewritten on disk is read again. A file that failed to load is
remembered the same way, so a bad checkpoint costs one failed load until it changes on disk.
"""

from __future__ import annotations

import os
from collections import OrderedDict

from multanet_core.checkpoint import Checkpoint, load_checkpoint
from multanet_core.errors import CheckpointError, MulTaNetError
from multanet_core.paths import require_regular_file
from multanet_core.text import printable

DEFAULT_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models", "default.npz")
_CACHE_SIZE = 3
_cache: OrderedDict[tuple, Checkpoint] = OrderedDict()
_failed: OrderedDict[tuple, Exception] = OrderedDict()  # a bad file fails once, not on every panel redraw
_FAILED_SIZE = 16


def load(path: str) -> Checkpoint:
    """The checkpoint at ``path`` (absolute), validated; cached while the file is unchanged."""
    if not path:
        raise CheckpointError("no checkpoint chosen")
    if path == DEFAULT_MODEL and not os.path.isfile(path):
        raise CheckpointError(f"the bundled default model is missing ('{path}'): reinstall the add-on")
    require_regular_file(path, "checkpoint", CheckpointError)  # a FIFO is refused before anything opens it
    st = os.stat(path)
    key = (os.path.realpath(path), st.st_size, st.st_mtime_ns)
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    if key in _failed:
        raise _failed[key]
    try:
        ckpt = load_checkpoint(path)
    except MulTaNetError as exc:
        _failed[key] = exc
        while len(_failed) > _FAILED_SIZE:
            _failed.popitem(last=False)
        raise
    _cache[key] = ckpt
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return ckpt


def clear_cache() -> None:
    _cache.clear()
    _failed.clear()


def describe(ckpt: Checkpoint) -> list[str]:
    """A few lines for the panel: what the checkpoint holds."""
    net = ckpt.network
    arch = "MulTaNet" if net.architecture == "multanet" else f"KarrasNet x{net.members}"
    trained = ckpt.info.get("trained", True)
    lines = [
        f"{arch}, {len(ckpt.heads)} head{'s' if len(ckpt.heads) != 1 else ''}"
        + ("" if trained else " (untrained: random weights)"),
        f"LPC {ckpt.features.n_frames}x{ckpt.features.order}{' + level' if ckpt.features.level_channels else ''}, "
        f"{1000 * ckpt.features.window / ckpt.features.sample_rate:.0f} ms window, trained at {ckpt.fps:g} fps",
    ]
    for head in ckpt.heads[:6]:
        what = f"rig head, {len(head.weight_names)} named weights" if head.is_rig else f"{head.n_vertices:,} vertices"
        lines.append(f"{printable(head.name)}: {what}, {head.n_components} components, "
                     f"{len(head.presets)} emotion preset{'s' if len(head.presets) != 1 else ''}")
    if len(ckpt.heads) > 6:
        lines.append(f"... and {len(ckpt.heads) - 6} more heads")
    return lines
