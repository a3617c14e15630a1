"""Vertex caches never lose or mix up data: unique files per bake, copies and undo-safe removal, cleaning."""

from __future__ import annotations

import os
import subprocess
import sys

import bpy
from bl_helpers import add_head

from multanet_blender import lipsync

BAKE = dict(head="char00", bake_mode="VERTEX_CACHE")


def bake(obj, assets, **extra):
    args = {**BAKE, **extra}
    result = bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"],
                                                audio_file=assets["wav16"], **args)
    assert result == {"FINISHED"}


def cache_of(obj) -> str:
    return bpy.path.abspath(obj.modifiers[lipsync.MODIFIER_NAME].filepath)


def shift_d(obj, name: str):
    """What Shift+D makes: a new object with a copy of the mesh, the modifiers and the ID properties."""
    copy = obj.copy()
    copy.data = obj.data.copy()
    copy.name = name
    bpy.context.scene.collection.objects.link(copy)
    return copy


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_lookalike_names_and_copies_never_share_or_lose_a_cache(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    folder = tmp_path / "multanet_cache"
    ada = add_head(assets["checkpoint"])
    ada.name = "Ada.1"
    bake(ada, assets)
    original = cache_of(ada)
    data = open(original, "rb").read()
    # 'Ada.1' and 'Ada_1' once both baked to Ada_1.pc2: the second silently played the first's motion
    other = shift_d(ada, "Ada_1")
    bake(other, assets, emotion="", strength=0.5)
    assert cache_of(other) != original and os.path.isfile(cache_of(other))
    assert open(original, "rb").read() == data

    # a copy carries the original's record and modifier: removing or re-baking it keeps the original's file
    copy = shift_d(ada, "Ada copy")
    assert copy[lipsync.RECORD]["cache"] == ada[lipsync.RECORD]["cache"]
    assert bpy.ops.multanet.remove_lip_sync(object=copy.name) == {"FINISHED"}
    assert open(original, "rb").read() == data and not copy.modifiers
    copy2 = shift_d(ada, "Ada copy 2")
    bake(copy2, assets, bake_mode="SHAPE_KEYS")
    assert open(original, "rb").read() == data and cache_of(ada) == original

    # cleaning deletes only this add-on's files that nothing uses, in the cache folder
    (folder / "notes.txt").write_text("mine")
    (folder / "char00.pc2").write_bytes(b"an old version's cache, maybe used by another file")
    outside = tmp_path / "elsewhere.1234abcd.pc2"
    outside.write_bytes(b"not in the cache folder")
    hand = add_head(assets["checkpoint"], "char01")
    hand[lipsync.RECORD] = {"mode": "VERTEX_CACHE", "cache": str(outside), "modifier": "none"}
    assert bpy.ops.multanet.remove_lip_sync(object=hand.name) == {"FINISHED"}
    assert outside.read_bytes() == b"not in the cache folder"
    assert bpy.ops.multanet.clean_unused_caches() == {"FINISHED"}
    assert sorted(os.listdir(folder)) == sorted([os.path.basename(original), os.path.basename(cache_of(other)),
                                                 "notes.txt", "char00.pc2"])
    assert bpy.ops.multanet.remove_lip_sync(object=ada.name) == {"FINISHED"}
    assert os.path.isfile(original)  # still: undo could bring the modifier back
    from multanet_blender import panels

    size = os.path.getsize(original) / 1e6
    assert panels.unused_caches_text("//multanet_cache/") == f"1 unused ({size:,.0f} MB)"  # the panel says so
    assert bpy.ops.multanet.clean_unused_caches() == {"FINISHED"}
    assert not os.path.exists(original) and os.path.isfile(cache_of(other))
    assert panels.unused_caches_text("//multanet_cache/") == ""


def test_a_killed_writes_temporary_file_goes_with_the_next_bake(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    folder = tmp_path / "multanet_cache"
    folder.mkdir()
    stale = folder / f".char00.0123abcd.pc2.{dead_pid()}.k2j_x8q.partial"
    legacy = folder / "char00.pc2.partial"  # what versions before 2026-11 left
    live = folder / f".char00.89abcdef.pc2.{os.getppid()}.a1b2c3.partial"  # another Blender, still writing
    for path in (stale, legacy, live):
        path.write_bytes(b"half a cache")
    bake(add_head(assets["checkpoint"]), assets)
    assert not stale.exists() and not legacy.exists() and live.exists()


def test_the_saved_file_finds_every_cache_after_remove_and_rebake(blender, assets, tmp_path):
    """Headless Blender has no undo stack; the same promise, kept for the file saved on disk."""
    shot = str(tmp_path / "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=shot)
    obj = add_head(assets["checkpoint"])
    bake(obj, assets)
    copy = shift_d(obj, "copy")
    bpy.ops.wm.save_mainfile()
    saved = {cache_of(obj)}
    bpy.ops.multanet.remove_lip_sync(object=copy.name)
    bake(obj, assets)
    bake(obj, assets, bake_mode="SHAPE_KEYS")
    bpy.ops.wm.open_mainfile(filepath=shot)
    names = {bpy.path.abspath(m.filepath) for o in bpy.data.objects for m in o.modifiers if m.type == "MESH_CACHE"}
    assert names == saved and all(os.path.isfile(p) for p in names)
    # the re-opened file cleans what only the unsaved session used, and keeps its own
    assert bpy.ops.multanet.clean_unused_caches() == {"FINISHED"}
    assert os.listdir(tmp_path / "multanet_cache") == [os.path.basename(p) for p in saved]
