"""Shape Keys by Name inside Blender (the real bpy module): a 60 s Sequencer strip onto a character with
50 ARKit-named shape keys (a rig head of a random-weight checkpoint; its own topology, a UV sphere).

(a) Generate Lip Sync, Bake As Shape Keys by Name, end to end (aud decode and resample, LPC, numpy
    network, the rig head's 52 weights, 50 dense F-curves on the character's own keys), warm, best of 3;
    and the same with the keys thinned to 0.01 (key count and largest error reported).
(b) writing those keys: the add-on's bulk ``keyframe_points.add`` + ``foreach_set`` against a
    ``keyframe_insert`` loop writing the same values on the same keys, in the same run, as a ratio.

Run: .venv/bin/python bench/bench_bake_by_name.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import bpy  # noqa: E402

from bench.common import best_of, cli, speech_file  # noqa: E402
from multanet_core.checkpoint import save_checkpoint  # noqa: E402
from multanet_core.rig_names import ARKIT_52  # noqa: E402
from train.random_heads import numpy_checkpoint  # noqa: E402

SECONDS = 60.0
KEYS = [n for n in ARKIT_52 if n not in ("tongueOut", "cheekPuff")]  # 50 of them


def main() -> None:
    import multanet_blender
    from multanet_blender import blender_compat

    tmp = tempfile.mkdtemp(prefix="bench_by_name_")
    ckpt_path = os.path.join(tmp, "model.npz")
    save_checkpoint(ckpt_path, numpy_checkpoint(characters=1, vertices=500, components=50, seed=0,
                                                rig_names=ARKIT_52))
    audio = speech_file(SECONDS, tmp)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1
    bpy.ops.mesh.primitive_uv_sphere_add(segments=64, ring_count=32)
    obj = bpy.context.active_object
    obj.name = "Hero"
    obj.shape_key_add(name="Basis", from_mix=False)
    for name in KEYS:
        obj.shape_key_add(name=name, from_mix=False)
    strip = blender_compat.top_strips(scene).new_sound("Hero: line", audio, 1, 1)
    print(f"character: {len(obj.data.vertices):,} vertices, {len(KEYS)} ARKit shape keys; "
          f"strip: {SECONDS:g} s = {strip.frame_final_duration} frames at 30 fps")

    def bake(tolerance: float = 0.0) -> None:
        result = bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=ckpt_path, head="rig",
                                                    strip=strip.name, bake_mode="BY_NAME", key_tolerance=tolerance)
        assert result == {"FINISHED"}, result

    bake()
    dense_s, _ = best_of(bake)
    key = obj.data.shape_keys
    fcurves = list(blender_compat.action_fcurves(key.animation_data.action, key))
    dense_keys = sum(len(fc.keyframe_points) for fc in fcurves)
    values = {}
    for fc in fcurves:
        co = np.empty(2 * len(fc.keyframe_points), np.float32)
        fc.keyframe_points.foreach_get("co", co)
        values[fc.data_path] = (co[0::2], co[1::2])
    print(f"(a) Generate, by name, dense: {dense_s:.3f} s warm (best of 3), {dense_keys:,} keys on {len(fcurves)} "
          f"curves")
    thin_s, _ = best_of(lambda: bake(0.01))
    thinned_curves = list(blender_compat.action_fcurves(key.animation_data.action, key))
    thinned = sum(len(fc.keyframe_points) for fc in thinned_curves)
    error = max(abs(fc.evaluate(float(f)) - v) for fc in thinned_curves
                for f, v in zip(*values[fc.data_path], strict=True))
    print(f"    thinned to 0.01: {thin_s:.3f} s, {thinned:,} keys ({thinned / dense_keys:.1%} of dense), "
          f"largest error of Blender's evaluated curves against the dense keys {error:.4f}")

    # (b) the key writing alone: bulk against keyframe_insert, the same values on the same keys
    t = time.perf_counter()
    bulk = blender_compat.action_fcurves(blender_compat.new_action("bench bulk 2", key), key)
    for path, (frames, vals) in values.items():
        blender_compat.write_keys(bulk.new(path), frames, vals)
    bulk_s = time.perf_counter() - t
    key.animation_data.action = None
    t = time.perf_counter()
    for path, (frames, vals) in values.items():
        name = path.split('"')[1]
        kb = key.key_blocks[name]
        for f, v in zip(frames, vals, strict=True):
            kb.value = float(v)
            kb.keyframe_insert("value", frame=float(f))
    loop_s = time.perf_counter() - t
    print(f"(b) writing {dense_keys:,} keys: bulk foreach_set {bulk_s:.3f} s, keyframe_insert loop {loop_s:.2f} s: "
          f"bulk is {loop_s / bulk_s:.0f}x faster (ratio bulk/loop {bulk_s / loop_s:.3f})")


if __name__ == "__main__":
    cli(__doc__)
    main()
