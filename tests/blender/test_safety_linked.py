"""Linked data and library overrides: Blender saves no change to data linked from a library (nor an
override's custom properties), so a bake there would vanish on save. It is refused, and nothing changes."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from bl_helpers import HAS_AUD, add_head, needs_aud, scene_state, speech_source

MAKE_LOCAL = "make it local (Object > Relations > Make Local > Selected Objects and Data) first"


def character(name: str = "Hero"):
    """A UV sphere with two ARKit-named shape keys (someone else's topology, baked by name)."""
    bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
    obj = bpy.context.active_object
    obj.name = name
    obj.shape_key_add(name="Basis", from_mix=False)
    for i, key in enumerate(("jawOpen", "mouthClose")):
        kb = obj.shape_key_add(name=key, from_mix=False)
        co = np.empty(len(obj.data.vertices) * 3, np.float32)
        kb.data.foreach_get("co", co)
        co[3 * i + 2] += 0.1
        kb.data.foreach_set("co", co)
    return obj


@pytest.fixture
def linked(blender, assets, tmp_path):
    """'Hero' (ARKit keys) and 'char00' (the rig checkpoint's mesh head), written to lib.blend and linked
    back into an otherwise empty file."""
    hero, head = character(), add_head(assets["rig_checkpoint"])
    lib = str(tmp_path / "lib.blend")
    bpy.data.libraries.write(lib, {hero, head})
    for obj in (hero, head):
        mesh = obj.data
        bpy.data.objects.remove(obj)
        bpy.data.meshes.remove(mesh)
    for key in list(bpy.data.shape_keys):  # (a Key goes with its mesh; none may be left)
        assert key.user is None
    with bpy.data.libraries.load(lib, link=True) as (_, into):
        into.objects = ["Hero", "char00"]
    for obj in into.objects:
        bpy.context.scene.collection.objects.link(obj)
    assert all(o.library is not None for o in bpy.data.objects)
    return {"lib": lib, "source": speech_source(assets["wav16"], frame_start=1)}


def refused(message: str, root: str, **kwargs) -> str:
    before = scene_state(root)
    with pytest.raises(RuntimeError) as info:
        bpy.ops.multanet.generate_lip_sync(**kwargs)
    assert message in str(info.value), str(info.value)
    assert scene_state(root) == before and not bpy.data.actions
    assert not any("multanet_lipsync" in o.keys() for o in bpy.data.objects)
    return str(info.value)


BAKES = [("Hero", "rig", "BY_NAME"), ("char00", "char00", "SHAPE_KEYS"), ("char00", "char00", "VERTEX_CACHE")]


def test_a_linked_object_is_refused(linked, assets, tmp_path):
    for name, head, mode in BAKES:
        msg = refused(f"'{name}' is linked from lib.blend: {MAKE_LOCAL}", str(tmp_path), object=name,
                      checkpoint=assets["rig_checkpoint"], head=head, bake_mode=mode,
                      cache_dir=str(tmp_path / "cache"), **linked["source"])
        assert "would vanish when the file is saved" in msg


def test_an_override_with_linked_mesh_says_what_is_linked(linked, assets, tmp_path):
    for obj in list(bpy.data.objects):
        obj.override_create(remap_local_usages=True)
    local = {o.name: o for o in bpy.data.objects if o.library is None}
    assert local["Hero"].override_library is not None and local["Hero"].data.library is not None
    root = str(tmp_path)
    args = dict(checkpoint=assets["rig_checkpoint"], cache_dir=str(tmp_path / "cache"), **linked["source"])
    refused("'Hero' is a library override of lib.blend whose mesh 'Sphere' and shape keys 'Key' are still "
            f"linked: {MAKE_LOCAL}", root, object="Hero", head="rig", bake_mode="BY_NAME", **args)
    refused("'char00' is a library override of lib.blend whose mesh 'char00' is still linked", root,
            object="char00", head="char00", bake_mode="SHAPE_KEYS", **args)
    # a vertex cache needs no change to the mesh, but the record on an override is not saved either
    refused("'char00' is a library override of lib.blend (Blender does not save this add-on's record", root,
            object="char00", head="char00", bake_mode="VERTEX_CACHE", **args)
    # made local, the same character bakes
    hero = local["Hero"]
    for obj in bpy.context.view_layer.objects:
        obj.select_set(obj == hero)
    bpy.context.view_layer.objects.active = hero
    bpy.ops.object.make_local(type="SELECT_OBDATA")
    assert hero.override_library is None and hero.data.library is None
    assert bpy.ops.multanet.generate_lip_sync(object="Hero", head="rig", bake_mode="BY_NAME", **args) == {"FINISHED"}


def test_a_local_object_with_linked_mesh(linked, assets, tmp_path):
    """Made local without its data, the object can carry a vertex cache, not a bake on the linked mesh."""
    head = bpy.data.objects["char00"]
    for obj in bpy.context.view_layer.objects:
        obj.select_set(obj == head)
    bpy.context.view_layer.objects.active = head
    bpy.ops.object.make_local(type="SELECT_OBJECT")
    head = next(o for o in bpy.data.objects if o.name == "char00" and o.library is None)
    assert head.data.library is not None
    args = dict(object="char00", checkpoint=assets["rig_checkpoint"], head="char00", **linked["source"])
    refused("the mesh 'char00' of 'char00' is linked from lib.blend", str(tmp_path), bake_mode="SHAPE_KEYS", **args)
    assert bpy.ops.multanet.generate_lip_sync(bake_mode="VERTEX_CACHE", cache_dir=str(tmp_path / "cache"),
                                              **args) == {"FINISHED"}


def test_remove_on_linked_data_is_refused(linked, assets, tmp_path):
    hero = bpy.data.objects["Hero"]
    hero["multanet_lipsync"] = {"version": 2, "target": "BY_NAME", "action": "MulTaNet Hero"}  # as the library had
    before = scene_state(str(tmp_path))
    with pytest.raises(RuntimeError, match="'Hero' is linked from lib.blend"):
        bpy.ops.multanet.remove_lip_sync(object="Hero")
    assert scene_state(str(tmp_path)) == before


@needs_aud
def test_batch_refuses_each_linked_line(linked, assets, tmp_path):
    from multanet_blender import batch

    assert HAS_AUD
    scene = bpy.context.scene
    scene.multanet.model, scene.multanet.checkpoint_path = "FILE", assets["rig_checkpoint"]
    scene.sequence_editor.strips_all["line"].name = "Hero: hello"
    before = scene_state(str(tmp_path))
    report = batch.bake_dialogue(scene)
    assert not report.baked and [s for s, _ in report.failed] == ["Hero: hello"], report.summary()
    assert "'Hero' is linked from lib.blend" in report.failed[0][1]
    assert scene_state(str(tmp_path)) == before and not bpy.data.actions


def test_a_linked_jaw_bone_is_refused(blender, assets, tmp_path):
    bpy.ops.object.armature_add()
    rig = bpy.context.active_object
    rig.name = "Rig"
    bpy.data.libraries.write(str(tmp_path / "rig.blend"), {rig})
    bpy.data.objects.remove(rig)
    with bpy.data.libraries.load(str(tmp_path / "rig.blend"), link=True) as (_, into):
        into.objects = ["Rig"]
    bpy.context.scene.collection.objects.link(into.objects[0])
    hero = character()
    hero.multanet_jaw.armature, hero.multanet_jaw.bone = into.objects[0], "Bone"
    refused("armature 'Rig' is linked from rig.blend: make it local or override it", str(tmp_path), object="Hero",
            checkpoint=assets["rig_checkpoint"], head="rig", bake_mode="BY_NAME",
            **speech_source(assets["wav16"], frame_start=1))
