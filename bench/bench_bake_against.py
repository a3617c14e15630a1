"""Bake times of this tree against an earlier commit, side by side in one run: Generate Lip Sync (shape
keys and vertex cache, a 60 s strip onto a 5,000-vertex head with 150 components, warm: best of 3) and
Bake All Dialogue (12 lines of 5 s over 3 characters), each tree in its own Blender process, the two
trees taking turns for ``--rounds`` rounds; the figure is each tree's best, and the ratio this/baseline.
Since every vertex-cache bake keeps its own file (undo and saved files may name the old one), a re-bake
writes a new 108 MB file where older trees replaced the last one, whose unwritten pages the kernel could
drop; the line "unused caches cleaned before each bake" times the same bake with those files deleted first
(against the baseline's plain re-bake), to tell that disk cost from the bake's own code.

Run: .venv/bin/python bench/bench_bake_against.py [--baseline COMMIT] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# runs inside one tree (its add-on on sys.path first): prints one JSON line of timings
PROBE = r"""
import json, os, sys, tempfile, time
import numpy as np, soundfile, bpy
import multanet_blender
from multanet_blender import blender_compat
try:
    from multanet_core.checkpoint import save_checkpoint
except ImportError:  # a tree from before core became multanet_core
    from core.checkpoint import save_checkpoint
from train.random_heads import numpy_checkpoint

tmp = tempfile.mkdtemp(prefix="bench_against_")
ckpt = os.path.join(tmp, "model.npz")
save_checkpoint(ckpt, numpy_checkpoint(characters=3, vertices=5000, components=150, seed=0, coefficient_scale=0.3))
speech, rate = soundfile.read(sys.argv[1], dtype="float32")
def clip(seconds, name):
    path = os.path.join(tmp, name)
    soundfile.write(path, np.tile(speech, int(seconds * rate) // len(speech) + 1)[: int(seconds * rate)], rate)
    return path
bpy.ops.wm.read_factory_settings(use_empty=True)
multanet_blender.register()
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = 30, 1
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(tmp, "bench.blend"))
for c in ("char00", "char01", "char02"):
    bpy.ops.multanet.add_head_mesh(checkpoint=ckpt, head=c)
scene.multanet.model, scene.multanet.checkpoint_path = "FILE", ckpt
blender_compat.top_strips(scene).new_sound("line", clip(60, "long.flac"), 1, 1)
def best(fn, n=3, before=None):
    out = []
    for _ in range(n):
        if before is not None:
            before()
        t = time.perf_counter(); fn(); out.append(time.perf_counter() - t)
    return min(out)
res = {}
for mode in ("SHAPE_KEYS", "VERTEX_CACHE"):
    bake = lambda: bpy.ops.multanet.generate_lip_sync(object="char00", checkpoint=ckpt, head="char00",
                                                      strip="line", bake_mode=mode)
    bake()
    res[mode] = best(bake)
try:  # trees since every bake keeps its own cache file: the same bake with the old files cleaned first
    from multanet_blender import caches, lipsync
    folder = lipsync.resolve_cache_dir(scene.multanet.cache_dir)
    res["VERTEX_CACHE_CLEANED"] = best(bake, before=lambda: caches.clean_unused(folder))
except ImportError:
    pass
bpy.ops.multanet.remove_lip_sync(object="char00")
strips = blender_compat.top_strips(scene)
strips.remove(strips["line"])
for i in range(12):
    strips.new_sound(f"char0{i % 3}: line {i}", clip(5, f"l{i}.flac"), 1 + i % 3, 1 + 200 * i)
from multanet_blender import batch
batch.bake_dialogue(scene)
res["BAKE_ALL"] = best(lambda: batch.bake_dialogue(scene))
print("RESULT " + json.dumps(res))
"""


def run_tree(tree: str, speech: str) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    out = subprocess.run([sys.executable, "-c", PROBE, speech], cwd=tree, env=env, capture_output=True, text=True,
                         check=True).stdout
    return json.loads(next(line[7:] for line in out.splitlines() if line.startswith("RESULT ")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="854c522", help="commit to compare with (default: before issue 13)")
    parser.add_argument("--rounds", type=int, default=3, help="turns each tree takes")
    args = parser.parse_args()
    speech = os.path.join(ROOT, "tests", "data", "speech_en.flac")
    with tempfile.TemporaryDirectory(prefix="bench_baseline_") as base:
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", base, args.baseline], check=True,
                       capture_output=True)
        try:
            best: dict[str, dict[str, float]] = {"baseline": {}, "this": {}}
            for r in range(args.rounds):
                for name, tree in (("baseline", base), ("this", ROOT)) if r % 2 == 0 else (
                        ("this", ROOT), ("baseline", base)):
                    for key, seconds in run_tree(tree, speech).items():
                        best[name][key] = min(seconds, best[name].get(key, float("inf")))
        finally:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", base], check=False)
    for key, label in (("SHAPE_KEYS", "Generate, shape keys (60 s, 5,000 vertices)"),
                       ("VERTEX_CACHE", "Generate, vertex cache (60 s, 5,000 vertices)"),
                       ("VERTEX_CACHE_CLEANED", "Generate, vertex cache, unused caches cleaned before each bake"),
                       ("BAKE_ALL", "Bake All Dialogue (12 lines x 5 s, 3 characters)")):
        b, t = best["baseline"].get(key, best["baseline"].get("VERTEX_CACHE")), best["this"].get(key)
        if t is None:
            continue
        print(f"{label}: this {t:.3f} s, {args.baseline} {b:.3f} s, ratio {t / b:.2f}")


if __name__ == "__main__":
    main()
