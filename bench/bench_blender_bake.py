"""Baking inside Blender (the real bpy module): a 60 s Sequencer strip onto a ~5,023-vertex head.

(a) Generate Lip Sync as Shape Keys, end to end (decode + resample with aud, LPC, numpy network,
    151 shape keys, one Action with 151 dense F-curves): target <= 1 s.
(b) the same as a Vertex Cache (PC2 of every frame + Mesh Cache modifier): target <= 2 s.
    Both cold (the first bake, checkpoint read from disk) and warm (a re-bake: the add-on keeps the
    checkpoint loaded), best of 3.
(c) writing the keys: bulk ``keyframe_points.add`` + ``foreach_set`` against a ``keyframe_insert``
    loop writing the same keys, side by side on the same F-curves (a subset of the curves for the
    loop: it is that slow), as a ratio.

Run: .venv/bin/python bench/bench_blender_bake.py
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
from train.random_heads import numpy_checkpoint  # noqa: E402

SECONDS = 60.0


def main() -> None:
    import multanet_blender
    from multanet_blender import blender_compat, checkpoints

    tmp = tempfile.mkdtemp(prefix="bench_blender_")
    ckpt_path = os.path.join(tmp, "model.npz")
    ckpt = numpy_checkpoint(characters=2, vertices=5000, components=150, seed=0, coefficient_scale=0.3)
    save_checkpoint(ckpt_path, ckpt)
    audio = speech_file(SECONDS, tmp)

    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1
    bpy.ops.wm.save_as_mainfile(filepath=os.path.join(tmp, "bench.blend"))
    bpy.ops.multanet.add_head_mesh(checkpoint=ckpt_path, head="char00")
    obj = bpy.data.objects["char00"]
    strip = blender_compat.top_strips(scene).new_sound("line", audio, 1, 1)
    print(f"head: {len(obj.data.vertices):,} vertices, {ckpt.heads[0].n_components} components; "
          f"strip: {SECONDS:g} s = {strip.frame_final_duration} frames at 30 fps")

    def bake(mode: str) -> None:
        bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=ckpt_path, head="char00", strip="line",
                                           bake_mode=mode)

    results = {}
    for mode, target in (("SHAPE_KEYS", 1.0), ("VERTEX_CACHE", 2.0)):
        checkpoints.clear_cache()
        t = time.perf_counter()
        bake(mode)
        cold = time.perf_counter() - t
        warm, _ = best_of(lambda mode=mode: bake(mode), 3)
        results[mode] = (cold, warm)
        print(f"({'a' if mode == 'SHAPE_KEYS' else 'b'}) {mode:12s} cold {cold:.3f} s, warm {warm:.3f} s "
              f"(target {target:g} s: warm {warm / target:.2f}x of it)")

    # (c) bulk versus keyframe_insert on the same keys
    bpy.ops.multanet.remove_lip_sync(object=obj.name)
    bake("SHAPE_KEYS")
    key = obj.data.shape_keys
    fcurves = blender_compat.action_fcurves(key.animation_data.action, key)
    frames = np.array([p.co[0] for p in fcurves[1].keyframe_points])
    values = {fc.data_path: np.array([p.co[1] for p in fc.keyframe_points]) for fc in fcurves}
    paths = list(values)
    n_loop = 8  # curves written by the keyframe_insert loop
    key.animation_data.action = None

    def bulk(subset: list[str]) -> None:
        action = blender_compat.new_action("bulk", key)
        curves = blender_compat.action_fcurves(action, key)
        for path in subset:
            blender_compat.write_keys(curves.new(path), frames, values[path])
        bpy.data.actions.remove(action)

    def insert_loop(subset: list[str]) -> None:
        action = blender_compat.new_action("loop", key)
        blender_compat.assign_action(key, action)
        for path in subset:
            block = key.path_resolve(path.rsplit(".", 1)[0])
            for f, v in zip(frames, values[path], strict=True):
                block.value = v
                block.keyframe_insert("value", frame=f)
        key.animation_data.action = None
        bpy.data.actions.remove(action)

    t_bulk_all, _ = best_of(lambda: bulk(paths), 3)
    t_bulk, _ = best_of(lambda: bulk(paths[:n_loop]), 3)
    t_loop, _ = best_of(lambda: insert_loop(paths[:n_loop]), 1)
    n_keys = len(frames) * n_loop
    print(f"(c) {n_loop} F-curves x {len(frames)} keys: keyframe_insert loop {t_loop:.3f} s, "
          f"bulk {t_bulk:.4f} s -> {t_loop / t_bulk:.0f}x faster "
          f"({n_keys / t_loop:,.0f} vs {n_keys / t_bulk:,.0f} keys/s); "
          f"all {len(paths)} curves in bulk: {t_bulk_all:.3f} s "
          f"(a loop would take ~{t_loop * len(paths) / n_loop:.0f} s)")
    multanet_blender.unregister()


if __name__ == "__main__":
    cli(__doc__)
    main()
