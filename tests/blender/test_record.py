"""The lip-sync record: one typed, versioned record; records the add-on wrote before version 2 still load."""

from __future__ import annotations

import bpy
from bl_helpers import add_head

from multanet_blender import record
from multanet_blender.record import LipSyncRecord, Target


def test_round_trip_and_the_old_shapes(blender, assets):
    obj = add_head(assets["checkpoint"])
    rec = LipSyncRecord(Target.VERTEX_CACHE, head="char00", checkpoint="/m.npz", source="strip 'a'", emotion="open",
                        strength=0.5, frame_start=3, frame_end=90, modifier="MulTaNet Lip Sync",
                        cache="//multanet_cache/char00.0123abcd.pc2")
    record.write(obj, rec)
    assert obj[record.KEY]["version"] == 2 and obj[record.KEY]["target"] == "VERTEX_CACHE"
    assert record.read(obj) == rec
    # version 1, as lipsync.py wrote a single bake and batch.py a dialogue batch before 2026-11
    obj[record.KEY] = {"mode": "SHAPE_KEYS", "head": "char00", "checkpoint": "/m.npz", "source": "strip 'a'",
                       "emotion": "", "strength": 1.0, "frame_start": 5, "frame_end": 40, "created_basis": 1,
                       "action": "MulTaNet char00", "keys": 13}
    assert record.read(obj) == LipSyncRecord(Target.SHAPE_KEYS, head="char00", checkpoint="/m.npz",
                                             source="strip 'a'", frame_start=5, frame_end=40, created_basis=True,
                                             action="MulTaNet char00", keys=13)
    obj[record.KEY] = {"mode": "NLA", "head": "char00", "checkpoint": "/m.npz", "keys": 13, "created_basis": 0}
    assert record.read(obj) == LipSyncRecord(Target.NLA, head="char00", checkpoint="/m.npz", keys=13)
    # hand-edited: an unknown kind is no record; a field of the wrong type is left empty, never trusted
    obj[record.KEY] = {"mode": "WHATEVER", "cache": "/etc/passwd"}
    assert record.read(obj) is None and record.has(obj)
    obj[record.KEY] = {"mode": "VERTEX_CACHE", "cache": 5, "strength": "x", "frame_start": 2.5}
    assert record.read(obj) == LipSyncRecord(Target.VERTEX_CACHE)


def test_a_version_1_bake_is_replaced_and_removed_as_before(blender, assets):
    obj = add_head(assets["checkpoint"])
    assert bpy.ops.multanet.generate_lip_sync(audio_file=assets["wav16"]) == {"FINISHED"}
    new = obj[record.KEY].to_dict()
    old = {k: v for k, v in new.items() if k not in ("version", "target")} | {"mode": new["target"]}
    obj[record.KEY] = old  # what the add-on wrote before version 2
    assert bpy.ops.multanet.generate_lip_sync(audio_file=assets["wav16"]) == {"FINISHED"}  # replaces it
    assert len(bpy.data.actions) == 1 and obj[record.KEY]["version"] == 2
    obj[record.KEY] = old | {"action": bpy.data.actions[0].name}
    assert bpy.ops.multanet.remove_lip_sync() == {"FINISHED"}
    assert record.KEY not in obj.keys() and obj.data.shape_keys is None and not bpy.data.actions
    # an unreadable record: Remove drops it and only this add-on's own keys, nothing else
    obj.shape_key_add(name="Basis")
    obj.shape_key_add(name="Smile")
    obj[record.KEY] = {"mode": "WHATEVER"}
    assert bpy.ops.multanet.remove_lip_sync() == {"FINISHED"}
    assert record.KEY not in obj.keys() and [k.name for k in obj.data.shape_keys.key_blocks] == ["Basis", "Smile"]
