"""A driver on a shape key wins over any Action on every frame: a bake that would be hidden by one is
refused, naming the driven keys; Remove leaves the animator's drivers alone."""

from __future__ import annotations

import bpy
import pytest
from bl_helpers import add_head, scene_state, speech_source
from test_safety_linked import character


def test_driven_target_keys_are_refused(blender, assets, tmp_path):
    obj = character()
    key = obj.data.shape_keys
    for name in ("jawOpen", "mouthClose"):
        key.key_blocks[name].driver_add("value").driver.expression = "0.25"  # e.g. a rig's corrective
    args = dict(object="Hero", checkpoint=assets["rig_checkpoint"], head="rig", bake_mode="BY_NAME",
                **speech_source(assets["wav16"], frame_start=1))
    before = scene_state(str(tmp_path))
    with pytest.raises(RuntimeError) as info:
        bpy.ops.multanet.generate_lip_sync(**args)
    assert ("shape keys 'jawOpen', 'mouthClose' of 'Hero' have drivers, which would override the lip sync on every "
            "frame: remove them first") in str(info.value), str(info.value)
    assert scene_state(str(tmp_path)) == before and not bpy.data.actions
    # a muted driver does nothing: the key bakes; Remove leaves the drivers as they were
    for fc in key.animation_data.drivers:
        fc.mute = True
    assert bpy.ops.multanet.generate_lip_sync(**args) == {"FINISHED"}
    assert bpy.ops.multanet.remove_lip_sync(object="Hero") == {"FINISHED"}
    assert sorted(fc.data_path for fc in key.animation_data.drivers) == [
        'key_blocks["jawOpen"].value', 'key_blocks["mouthClose"].value']


def test_a_driver_on_a_component_key_is_refused_on_rebake(blender, assets, tmp_path):
    obj = add_head(assets["checkpoint"])
    args = dict(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                **speech_source(assets["wav16"], frame_start=1))
    assert bpy.ops.multanet.generate_lip_sync(**args) == {"FINISHED"}
    obj.data.shape_keys.key_blocks["MulTaNet.c003"].driver_add("value")
    with pytest.raises(RuntimeError, match="shape key 'MulTaNet.c003' of 'char00' has a driver"):
        bpy.ops.multanet.generate_lip_sync(**args)
