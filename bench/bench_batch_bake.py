"""Batch-baking a cinematic: a 5-minute scene, 40 dialogue lines across 4 characters (5,000-vertex heads,
150 components), every line its own Action on a "Lip Sync" NLA track. Target: at most 15 s.

(a) inside Blender: ``batch.bake_dialogue`` in-process (the Bake All Dialogue operator's work), cold
    (checkpoint read from disk) and warm (a re-bake, best of 2);
(b) from the command line: ``python -m multanet_blender bake scene.blend --output-dir DIR`` end to end
    (Python and bpy start-up, opening the file, baking, writing it safely), best of 2.

Each line is its own sound file (a different stretch of speech), so nothing is decoded once and reused.

Run: .venv/bin/python bench/bench_batch_bake.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import bpy  # noqa: E402

from bench.common import FIXTURE, best_of, cli  # noqa: E402
from multanet_core.checkpoint import save_checkpoint  # noqa: E402
from train.random_heads import numpy_checkpoint  # noqa: E402

LINES, CHARACTERS, SCENE_SECONDS, GAP_S, FPS = 40, 4, 300.0, 0.5, 30
TARGET_S = 15.0


def line_files(folder: str) -> list[str]:
    """40 sound files, each a different stretch of the repeated fixture, filling the scene with gaps."""
    samples, rate = soundfile.read(FIXTURE, dtype="float32")
    seconds = SCENE_SECONDS / LINES - GAP_S
    n = int(seconds * rate)
    long = np.tile(samples, int(LINES * n / len(samples)) + 2)
    paths = []
    for i in range(LINES):
        path = os.path.join(folder, f"line{i:02d}.flac")
        soundfile.write(path, long[i * n + 997 * i:(i + 1) * n + 997 * i], rate)
        paths.append(path)
    return paths


def build_scene(folder: str, ckpt_path: str) -> str:
    import multanet_blender
    from multanet_blender import blender_compat

    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = FPS, 1
    settings = scene.multanet
    settings.model, settings.checkpoint_path = "FILE", ckpt_path
    for c in range(CHARACTERS):
        scene.cursor.location = (0.3 * c, 0, 0)
        bpy.ops.multanet.add_head_mesh(checkpoint=ckpt_path, head=f"char{c:02d}")
    frame = 1
    for i, path in enumerate(line_files(folder)):
        frame += int(GAP_S * FPS)
        strip = blender_compat.top_strips(scene).new_sound(f"char{i % CHARACTERS:02d}: line {i + 1:02d}", path,
                                                           1 + i % CHARACTERS, frame)
        frame = strip.frame_final_end
    scene.frame_end = frame
    blend = os.path.join(folder, "cinematic.blend")
    bpy.ops.wm.save_as_mainfile(filepath=blend)
    print(f"scene: {LINES} lines, {CHARACTERS} characters, {frame / FPS:.0f} s at {FPS} fps, "
          f"{len(bpy.data.objects['char00'].data.vertices):,}-vertex heads")
    return blend


def main() -> None:
    from multanet_blender import batch, checkpoints

    tmp = tempfile.mkdtemp(prefix="bench_batch_")
    ckpt_path = os.path.join(tmp, "model.npz")
    save_checkpoint(ckpt_path, numpy_checkpoint(characters=CHARACTERS, vertices=5000, components=150, seed=0,
                                                coefficient_scale=0.3))
    blend = build_scene(tmp, ckpt_path)
    scene = bpy.context.scene

    checkpoints.clear_cache()
    t = time.perf_counter()
    report = batch.bake_dialogue(scene)
    cold = time.perf_counter() - t
    assert len(report.baked) == LINES and report.ok, report.summary()
    warm, _ = best_of(lambda: batch.bake_dialogue(scene), 2)
    print(f"(a) in Blender, batch.bake_dialogue: cold {cold:.2f} s, warm {warm:.2f} s "
          f"({LINES / warm:.1f} lines/s; target {TARGET_S:g} s: cold {cold / TARGET_S:.2f}x of it)")

    env = dict(os.environ, PYTHONPATH=ROOT)
    out = os.path.join(tmp, "baked")

    def cli() -> None:
        proc = subprocess.run([sys.executable, "-m", "multanet_blender", "bake", blend, "--output-dir", out],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    t_cli, _ = best_of(cli, 2)
    print(f"(b) command line, python -m multanet_blender bake (start-up + open + bake + safe save): {t_cli:.2f} s "
          f"(target {TARGET_S:g} s: {t_cli / TARGET_S:.2f}x of it)")


if __name__ == "__main__":
    cli(__doc__)
    main()
