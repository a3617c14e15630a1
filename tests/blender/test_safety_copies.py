"""Copies of a baked character: a Shift+D copy has its own copy of the lip-sync Action (tagged, so the add-on
knows it as its own: re-bake and Remove work on the copy and leave the original alone); a linked
duplicate (Alt+D) shares the mesh and its shape keys, and a second bake on them is refused, saying why."""

from __future__ import annotations

import bpy
import pytest
from bl_helpers import add_head, scene_state, speech_source
from test_safety_linked import character


def key_action(obj):
    key = obj.data.shape_keys
    anim = key.animation_data if key is not None else None
    return anim.action if anim is not None else None


def bake(obj, ckpt: str, head: str, mode: str, source: dict):
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=ckpt, head=head, bake_mode=mode, **source)


def duplicate(obj, linked: bool = False):
    for other in bpy.context.view_layer.objects:
        other.select_set(other == obj)
    bpy.context.view_layer.objects.active = obj
    assert bpy.ops.object.duplicate(linked=linked) == {"FINISHED"}
    return bpy.context.active_object


@pytest.mark.parametrize("mode", ["BY_NAME", "SHAPE_KEYS"])
def test_a_shift_d_copy_rebakes_and_removes_its_own_copy(blender, assets, mode):
    ckpt = assets["rig_checkpoint"]
    source = speech_source(assets["wav16"], frame_start=1)
    obj, head = (character(), "rig") if mode == "BY_NAME" else (add_head(ckpt), "char00")
    assert bake(obj, ckpt, head, mode, source) == {"FINISHED"}
    original = key_action(obj)
    copy = duplicate(obj)
    assert copy.data != obj.data and key_action(copy) not in (None, original)  # Blender copied the Action
    assert copy["multanet_lipsync"]["action"] == original.name  # while the copied record names the original's
    assert bake(copy, ckpt, head, mode, source) == {"FINISHED"}  # before: "animated by Action '... .001'"
    assert key_action(copy) not in (None, original) and key_action(obj) == original
    assert copy["multanet_lipsync"]["action"] == key_action(copy).name
    assert len(bpy.data.actions) == 2  # the copied Action was replaced, not left behind
    duplicate(obj)  # a second copy, removed straight away
    second = bpy.context.active_object
    assert bpy.ops.multanet.remove_lip_sync(object=second.name) == {"FINISHED"}
    assert key_action(second) is None and "multanet_lipsync" not in second.keys()
    assert len(bpy.data.actions) == 2 and key_action(obj) == original  # the original's lip sync is untouched


def test_a_copys_remove_leaves_the_originals_jaw_bone_alone(blender, assets):
    import math

    ckpt = assets["rig_checkpoint"]
    obj = character()
    bpy.ops.object.armature_add()
    rig = bpy.context.active_object
    obj.multanet_jaw.armature, obj.multanet_jaw.bone, obj.multanet_jaw.angle = rig, "Bone", math.radians(20)
    assert bake(obj, ckpt, "rig", "BY_NAME", speech_source(assets["wav16"], frame_start=1)) == {"FINISHED"}
    drivers = len(rig.animation_data.drivers)
    copy = duplicate(obj)  # the mesh only: its record names the original's jaw bone
    assert bpy.ops.multanet.remove_lip_sync(object=copy.name) == {"FINISHED"}
    assert len(rig.animation_data.drivers) == drivers > 0  # they read the original's keys, not the copy's
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert not len(rig.animation_data.drivers)


def test_an_older_files_untagged_action_is_still_known_by_its_record(blender, assets):
    from multanet_blender import lipsync

    ckpt = assets["rig_checkpoint"]
    source = speech_source(assets["wav16"], frame_start=1)
    obj = character()
    assert bake(obj, ckpt, "rig", "BY_NAME", source) == {"FINISHED"}
    del key_action(obj)[lipsync.OWN_ACTION]  # as baked before the tag
    assert bake(obj, ckpt, "rig", "BY_NAME", source) == {"FINISHED"}
    assert len(bpy.data.actions) == 1 and lipsync.OWN_ACTION in key_action(obj).keys()
    del key_action(obj)[lipsync.OWN_ACTION]
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert key_action(obj) is None and not bpy.data.actions


@pytest.mark.parametrize("mode", ["BY_NAME", "SHAPE_KEYS"])
def test_a_second_bake_on_a_shared_mesh_says_it_is_shared(blender, assets, tmp_path, mode):
    ckpt = assets["rig_checkpoint"]
    source = speech_source(assets["wav16"], frame_start=1)
    obj, head = (character("Twin"), "rig") if mode == "BY_NAME" else (add_head(ckpt), "char00")
    twin = obj.copy()  # Alt+D: the same mesh, the same shape keys
    twin.name = "Twin2"
    bpy.context.scene.collection.objects.link(twin)
    assert bake(obj, ckpt, head, mode, source) == {"FINISHED"}
    before = scene_state(str(tmp_path))
    with pytest.raises(RuntimeError) as info:
        bake(twin, ckpt, head, mode, source)
    msg = str(info.value)
    assert (f"the mesh '{obj.data.name}' of 'Twin2' (and its shape keys) is shared with '{obj.name}', which already "
            "has lip sync: make 'Twin2' a single user first (Object > Relations > Make Single User > Object & Data)"
            in msg), msg
    assert "animated by Action" not in msg and scene_state(str(tmp_path)) == before
    assert bake(obj, ckpt, head, mode, source) == {"FINISHED"}  # the first one re-bakes as before
    # a vertex cache lives on the object: it may go beside, and its Remove leaves the shared keys alone
    if mode == "SHAPE_KEYS":
        args = dict(object="Twin2", checkpoint=ckpt, head=head, cache_dir=str(tmp_path / "cache"), **source)
        assert bpy.ops.multanet.generate_lip_sync(bake_mode="VERTEX_CACHE", **args) == {"FINISHED"}
        keys = [kb.name for kb in obj.data.shape_keys.key_blocks]
        assert bpy.ops.multanet.remove_lip_sync(object="Twin2") == {"FINISHED"}
        assert [kb.name for kb in obj.data.shape_keys.key_blocks] == keys and key_action(obj) is not None
