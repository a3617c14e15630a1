"""Engine export (issue 28): bake by name, then Blender's own glTF and FBX exporters carry the ARKit-named
morph targets and their animation, as a game pipeline reads them."""

from __future__ import annotations

import json
import os
import struct

import bpy
import numpy as np
from bl_helpers import character, needs_aud

from multanet_blender import lipsync

pytestmark = needs_aud  # the line is a sound strip

DEFAULT = os.path.join(os.path.dirname(lipsync.__file__), "models", "default.npz")
NAMES = ["jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft"]


def arkit_head():
    from bl_helpers import add_strip

    bpy.context.scene.render.fps = 30
    return character(NAMES, values=[0.0] * len(NAMES)), add_strip


def bake(obj, assets, add_strip):
    add_strip(assets["wav16"], 1, "line")
    assert bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=DEFAULT, head="arkit", bake_mode="BY_NAME",
                                              strip="line") == {"FINISHED"}
    rec = obj["multanet_lipsync"]
    return rec["frame_start"], rec["frame_end"]


def read_glb(path: str) -> tuple[dict, bytes]:
    with open(path, "rb") as f:
        data = f.read()
    magic, _, _ = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF"
    n, kind = struct.unpack_from("<I4s", data, 12)
    assert kind == b"JSON"
    doc = json.loads(data[20:20 + n])
    m, kind2 = struct.unpack_from("<I4s", data, 20 + n)
    assert kind2 == b"BIN\x00"
    return doc, data[28 + n:28 + n + m]


def accessor(doc: dict, blob: bytes, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    assert acc["componentType"] == 5126  # float32
    width = {"SCALAR": 1, "VEC3": 3}[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    return np.frombuffer(blob, np.float32, acc["count"] * width, start).reshape(acc["count"], width)


def test_gltf_export_carries_the_arkit_morph_targets_and_their_animation(blender, assets, tmp_path):
    obj, add_strip = arkit_head()
    first, end = bake(obj, assets, add_strip)
    out = str(tmp_path / "hero.glb")
    bpy.ops.object.select_all(action="DESELECT")
    obj.select_set(True)
    assert bpy.ops.export_scene.gltf(filepath=out, use_selection=True, export_morph=True, export_animations=True,
                                     export_force_sampling=True) == {"FINISHED"}
    doc, blob = read_glb(out)
    mesh = doc["meshes"][0]
    assert mesh["extras"]["targetNames"] == NAMES  # the ARKit names, as engines bind them
    channels = [c for a in doc["animations"] for c in a["channels"] if c["target"]["path"] == "weights"]
    assert len(channels) == 1
    anim = next(a for a in doc["animations"] if channels[0] in a["channels"])
    sampler = anim["samplers"][channels[0]["sampler"]]
    times = accessor(doc, blob, sampler["input"])[:, 0]
    weights = accessor(doc, blob, sampler["output"])[:, 0].reshape(len(times), len(NAMES))
    assert len(times) >= end - first - 1
    jaw = weights[:, NAMES.index("jawOpen")]
    assert jaw.max() > 0.2 and jaw.min() >= 0 and weights.max() <= 1  # the mouth opens, inside 0..1
    assert np.abs(weights[:, NAMES.index("mouthSmileLeft")]).max() == 0  # never moved by the head: left at 0
    # the animation plays the bake: the exported weight at each sampled time is the baked F-curve's value there
    from multanet_blender import blender_compat

    key = obj.data.shape_keys
    fc = next(f for f in blender_compat.action_fcurves(key.animation_data.action, key)
              if f.data_path == 'key_blocks["jawOpen"].value')
    fps = bpy.context.scene.render.fps
    want = np.array([fc.evaluate(t * fps) for t in times])  # glTF time t is Blender's frame t x fps
    assert np.abs(want - jaw).max() < 1e-3


def test_fbx_export_carries_the_shape_key_animation(blender, assets, tmp_path):
    obj, add_strip = arkit_head()
    first, end = bake(obj, assets, add_strip)
    out = str(tmp_path / "hero.fbx")
    bpy.ops.object.select_all(action="DESELECT")
    obj.select_set(True)
    # the timeline baked as one take: with "All Actions" or "NLA Strips" on (the defaults) the exporter writes a
    # take per Action of the objects, and a shape-key Action is none of them, so no curve would be written
    assert bpy.ops.export_scene.fbx(filepath=out, use_selection=True, bake_anim=True, add_leaf_bones=False,
                                    bake_anim_use_all_actions=False, bake_anim_use_nla_strips=False) == {"FINISHED"}
    # read it back with Blender's own importer, into an empty file: the keys and their animation come back
    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert bpy.ops.import_scene.fbx(filepath=out) == {"FINISHED"}
    imported = next(o for o in bpy.data.objects if o.type == "MESH")
    key = imported.data.shape_keys
    assert [kb.name for kb in key.key_blocks][1:] == NAMES
    from multanet_blender import blender_compat

    curves = {fc.data_path.split('"')[1]: fc for fc in blender_compat.action_fcurves(key.animation_data.action, key)}
    jaw = [curves["jawOpen"].evaluate(f) for f in range(first, end)]
    assert max(jaw) > 0.2 and min(jaw) >= -1e-6
