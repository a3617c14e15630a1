"""``python -m multanet_blender demo --out DIR``: a two-character dialogue scene, built from nothing.

Two heads of the model (by default the bundled one) side by side, turned a little toward each other;
the bundled dialogue (``demo_audio/``: espeak-ng speech in the voices the synthetic corpus gives those
characters, English then Korean, made by ``python -m train demo-audio``) as Sequencer strips named by
the dialogue rule (``<object name>: ...``); every line baked with :func:`.batch.bake_dialogue`; the
sounds packed and the scene saved as ``DIR/demo.blend``. Then Blender renders, with Workbench at a
small size, ``DIR/contact_sheet.png`` (a row per line, frames across it, speaker named in the corner)
and, unless ``--no-video``, ``DIR/demo.mp4`` with the dialogue's audio.

When the model has a rig head (the bundled one has ``arkit``), a realistic face stands beside the two
heads: the ICT FaceKit's head (``demo_assets/ict_face.npz``, MIT licence, made by ``python -m train
demo-face``) with its own ARKit-named shape keys, reading the first speaker's lines along, baked by name
through the rig head with blinks (its own eyeBlink_L and eyeBlink_R keys); the contact sheet gets a row for it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time

from multanet_core.atomic import atomic_path
from multanet_core.text import help_text

from .cli_bake import quiet
from .session import ensure_addon, release_addon

HERE = os.path.dirname(os.path.abspath(__file__))
AUDIO_DIR = os.path.join(HERE, "demo_audio")
FACE = os.path.join(HERE, "demo_assets", "ict_face.npz")
FACE_NAME = "ICT face"
FPS = 24
SHEET_COLUMNS = 4
COLORS = [(0.85, 0.62, 0.52, 1.0), (0.55, 0.68, 0.85, 1.0), (0.7, 0.8, 0.55, 1.0), (0.85, 0.75, 0.5, 1.0)]


def dialogue() -> list[dict]:
    with open(os.path.join(AUDIO_DIR, "dialogue.json"), encoding="utf-8") as f:
        return json.load(f)["lines"]


def cast_heads(ckpt, speakers: list[str]) -> dict[str, str]:
    """Speaker -> head of the checkpoint: the head of the same name, else the next unused head in order."""
    names = [h.name for h in ckpt.mesh_heads]
    chosen = {s: s for s in speakers if s in names}
    spare = [n for n in names if n not in chosen.values()]
    for s in speakers:
        if s not in chosen:
            if not spare:
                raise ValueError(f"the checkpoint has {len(names)} head(s); the demo needs {len(speakers)}")
            chosen[s] = spare.pop(0)
    return chosen


def _bounds(objects):
    import numpy as np
    from mathutils import Vector

    pts = np.array([tuple(o.matrix_world @ Vector(c)) for o in objects for c in o.bound_box])
    return pts.min(0), pts.max(0)


def load_face(path: str = FACE) -> dict:
    """The demo's ARKit face: vertices [V, 3] (metres, Y up), faces (flat + sizes), and each shape's
    offsets [V, 3] by its name (the kit's: ``jawOpen``, ``mouthPress_L``...)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        rest = z["vertices"].astype(np.float32)
        step = float(z["offset_step"])
        shapes = {}
        for name in [str(n) for n in z["shape_names"]]:
            offsets = np.zeros_like(rest)
            offsets[z[f"{name}.index"]] = z[f"{name}.offset"].astype(np.float32) * step
            shapes[name] = offsets
        return {"vertices": rest, "face_indices": z["face_indices"].astype(np.int32),
                "face_sizes": z["face_sizes"].astype(np.int32), "shapes": shapes}


def add_face(context, x: float):
    """The ICT face as a mesh with its ARKit-named shape keys, upright at ``x``; returns the object."""
    import bpy

    from . import head_mesh

    face = load_face()
    mesh = head_mesh.build_mesh(FACE_NAME, face["vertices"], face["face_indices"], face["face_sizes"])
    obj = bpy.data.objects.new(FACE_NAME, mesh)
    context.scene.collection.objects.link(obj)
    obj.location = (x, 0.0, 0.0)
    obj.rotation_euler = (math.pi / 2, 0.0, -0.3)  # Y up -> Z up, turned a little toward the others
    obj.shape_key_add(name="Basis", from_mix=False)
    for name, offsets in face["shapes"].items():
        obj.shape_key_add(name=name, from_mix=False).data.foreach_set("co", (face["vertices"] + offsets).ravel())
    return obj


def mouth_points(obj):
    """The face's lip vertices (object space): the front surface (within 1 cm of the foremost) where
    pressing the lips moves it most (the mouth socket and teeth move too, further in)."""
    import numpy as np

    key = obj.data.shape_keys.key_blocks
    rest = np.empty(len(obj.data.vertices) * 3, np.float32)
    key["Basis"].data.foreach_get("co", rest)
    motion = np.zeros(len(obj.data.vertices))
    for name in ("mouthPress_L", "mouthPress_R"):
        co = np.empty_like(rest)
        key[name].data.foreach_get("co", co)
        motion += np.linalg.norm((co - rest).reshape(-1, 3), axis=1)
    rest = rest.reshape(-1, 3)
    lips = rest[motion > 0.5 * motion.max()]
    return lips[lips[:, 2] > lips[:, 2].max() - 0.01]


def build_scene(checkpoint: str, lines: list[dict]):
    """A fresh scene with the heads, the strips, a camera and Workbench settings; returns (scene, heads)."""
    import bpy
    import numpy as np

    from . import blender_compat, checkpoints, head_mesh

    bpy.ops.wm.read_factory_settings(use_empty=True)
    ensure_addon()
    scene = bpy.context.scene
    scene.name = "MulTaNet demo"
    scene.render.fps, scene.render.fps_base = FPS, 1
    settings = scene.multanet
    if os.path.abspath(checkpoint) == os.path.abspath(checkpoints.DEFAULT_MODEL):
        settings.model = "DEFAULT"
    else:
        settings.model, settings.checkpoint_path = "FILE", os.path.abspath(checkpoint)
    ckpt = checkpoints.load(os.path.abspath(checkpoint))
    speakers = list(dict.fromkeys(line["speaker"] for line in lines))
    heads = cast_heads(ckpt, speakers)

    objects = {}
    width = max(float(np.ptp(ckpt.head(h).template[:, 0])) for h in heads.values())
    for i, speaker in enumerate(speakers):
        x = (i - (len(speakers) - 1) / 2) * width * 1.35
        scene.cursor.location = (x, 0.0, 0.0)
        obj = head_mesh.add_head_object(bpy.context, ckpt, ckpt.head(heads[speaker]))
        obj.rotation_euler.z = 0.3 * (x / abs(x)) if x else 0.0  # turned a little toward the other speaker
        obj.color = COLORS[i % len(COLORS)]
        objects[speaker] = obj

    frame = 1
    for i, line in enumerate(lines):
        frame += int(round(line["gap_before_s"] * FPS))
        obj = objects[line["speaker"]]
        name = f"{obj.name}: {i + 1:02d} {line['language']}"
        strip = blender_compat.top_strips(scene).new_sound(name, os.path.join(AUDIO_DIR, line["file"]),
                                                           1 + speakers.index(line["speaker"]), frame)
        line["strip"], line["head"] = name, heads[line["speaker"]]
        line["frames"] = (int(strip.frame_final_start), int(strip.frame_final_end))
        frame = int(strip.frame_final_end)
    scene.frame_start, scene.frame_end = 1, frame + int(0.5 * FPS)

    if ckpt.rig_heads and os.path.isfile(FACE):  # the realistic face reads the first speaker's lines along
        right = max(o.location.x for o in objects.values())
        objects[FACE_NAME] = add_face(bpy.context, right + width * 1.5)
    _camera_and_look(scene, list(objects.values()))
    return scene, objects


def _camera_and_look(scene, objects) -> None:
    import bpy

    bpy.context.view_layer.update()  # world matrices of the new objects
    lo, hi = _bounds(objects)
    centre = (lo + hi) / 2
    cam = bpy.data.objects.new("Camera", bpy.data.cameras.new("Camera"))
    scene.collection.objects.link(cam)
    cam.data.type = "ORTHO"
    render = scene.render
    render.resolution_x, render.resolution_y, render.resolution_percentage = 480, 270, 100
    aspect = render.resolution_x / render.resolution_y
    cam.data.ortho_scale = 1.08 * max(hi[0] - lo[0], (hi[2] - lo[2]) * aspect)
    cam.location = (centre[0], lo[1] - 1.0, centre[2])
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looking along +Y at the faces
    cam.data.clip_end = 10.0
    scene.camera = cam
    world = bpy.data.worlds.new("Demo")
    world.color = (0.05, 0.05, 0.06)
    scene.world = world
    render.engine = "BLENDER_WORKBENCH"
    shading = scene.display.shading
    shading.light, shading.color_type = "STUDIO", "OBJECT"
    # the heads' mouths are closed surfaces whose lip band is pulled in when they open: cavity shading
    # darkens that fold, so an open mouth reads as open even on the low-poly heads
    shading.show_cavity, shading.cavity_type = True, "BOTH"
    shading.cavity_ridge_factor, shading.cavity_valley_factor = 0.5, 2.0
    shading.curvature_ridge_factor, shading.curvature_valley_factor = 0.5, 2.0
    render.film_transparent = False
    render.use_stamp = True
    for flag in ("date", "time", "render_time", "frame", "frame_range", "memory", "hostname", "camera", "lens",
                 "scene", "marker", "filename", "sequencer_strip", "note"):
        if hasattr(render, f"use_stamp_{flag}"):
            setattr(render, f"use_stamp_{flag}", flag == "frame")
    render.stamp_font_size = 14
    render.stamp_background = (0, 0, 0, 0.6)


def bake(scene, lines: list[dict] | None = None, objects: dict | None = None):
    from . import batch

    messages = batch.fill_dialogue(scene)
    by_strip = {line["strip"]: line for line in lines or []}
    for item in scene.multanet_dialogue.lines:  # each line's script: its lips close on every P, B and M
        if item.strip in by_strip:
            item.text, item.language = by_strip[item.strip]["text"], by_strip[item.strip]["language"]
    report = batch.bake_dialogue(scene, on_progress=lambda i, n, name: print(
        f"  baking {i + 1 if i < n else n}/{n} {name}", file=sys.stderr) if name else None)
    if messages or not report.ok or len(report.baked) != len(scene.multanet_dialogue.lines):
        raise RuntimeError("the demo's bake did not go through:\n" + "\n".join(messages) + "\n" + report.summary())
    face = (objects or {}).get(FACE_NAME)
    if face is not None and lines:
        bake_face(scene, face, [line for line in lines if line["speaker"] == lines[0]["speaker"]])
    return report


def bake_face(scene, face, lines: list[dict]) -> None:
    """The realistic face's lines: the rig head's weights on its own shape keys, one NLA strip a line, with
    blinks (the face has its own eyeBlink keys, which the rig head leaves at rest)."""
    from . import checkpoints, pipeline, properties
    from .record import Target
    from .request import BakeRequest, Source

    path = properties.checkpoint_path(scene.multanet)
    rig = checkpoints.load(path).rig_heads[0].name
    for line in lines:
        print("  " + pipeline.run(scene, BakeRequest(obj=face, checkpoint=path, head=rig,
                                                     source=Source(strip_name=line["strip"]), target=Target.NLA,
                                                     blinks=True, text=line["text"], language=line["language"])),
              file=sys.stderr)


def _read_png(path: str):
    import bpy
    import numpy as np

    img = bpy.data.images.load(path)
    w, h = int(img.size[0]), int(img.size[1])  # type: ignore[index]  # a bpy_prop_array in the stubs
    px = np.empty(w * h * 4, dtype=np.float32)
    img.pixels.foreach_get(px)
    bpy.data.images.remove(img)
    return px.reshape(h, w, 4)  # bottom row first, as Blender stores it


def _write_png(path: str, pixels) -> None:
    import bpy

    h, w = pixels.shape[:2]
    img = bpy.data.images.new("contact_sheet", w, h, alpha=False)
    img.pixels.foreach_set(pixels.astype("float32").ravel())
    img.filepath_raw, img.file_format = path, "PNG"
    img.save()
    bpy.data.images.remove(img)


OPEN_VOWELS = set("aɑæɐɒ")  # the mouth visibly open
BILABIALS = set("pbm")  # the lips closed


def _centres(line: dict, letters: set[str]) -> list[tuple[float, int]]:
    """(duration, frame) at the centre of each phone of the line whose sound is one of ``letters``."""
    out = []
    for start, end, ipa in line.get("phones", []):
        core = ipa.strip("ˈˌːˑ")
        if core[:1] in letters:
            out.append((end - start, line["frames"][0] + int(round((start + end) / 2 * FPS))))
    return out


def phone_at(line: dict, frame: int) -> str:
    """The phone the line's timeline holds at ``frame`` (IPA, stress marks dropped), '' in silence or without one:
    each close-up of the contact sheet is labelled with it, so a reader sees what the mouth should do there."""
    t = (frame - line["frames"][0]) / FPS
    for start, end, ipa in line.get("phones", []):
        if start <= t < end:
            core = str(ipa).strip("ˈˌ")
            return "" if core in ("_", "sil", "") else core
    return ""


def sheet_frames(lines: list[dict], columns: int = SHEET_COLUMNS) -> list[list[int]]:
    """Per line, ``columns`` frames in time order, picked by phoneme: half at the centres of its longest
    open vowels, half at its P/B/M (so the sheet shows the mouth open and the lips closed); what a line
    lacks is filled with frames spread over its speech (the strip minus its silent padding)."""
    rows = []
    for line in lines:
        a, b = line["frames"]
        pad = int(0.15 * FPS)
        a, b = a + pad, b - pad
        spread = [int(round(a + (b - a) * (c + 0.5) / columns)) for c in range(columns)]
        vowels = [f for _, f in sorted(_centres(line, OPEN_VOWELS), reverse=True)[: columns // 2]]
        closed = [f for _, f in sorted(_centres(line, BILABIALS), reverse=True)[: columns - columns // 2]]
        picked = sorted(set(vowels + closed))
        for f in spread:
            if len(picked) >= columns:
                break
            if f not in picked:
                picked.append(f)
        rows.append(sorted(picked)[:columns])
    return rows


def _mouth_camera(scene, obj, lips):
    """An orthographic camera square on ``obj``'s mouth (``lips``: its lip vertices, object space), facing it."""
    import bpy
    import numpy as np
    from mathutils import Vector

    centre = obj.matrix_world @ Vector(lips.mean(0).tolist())
    span = float(np.ptp(lips[:, 0])) * obj.matrix_world.to_scale()[0]
    turn = obj.rotation_euler.z
    cam = bpy.data.objects.get("Mouth Camera") or bpy.data.objects.new("Mouth Camera", bpy.data.cameras.new("Mouth"))
    if cam.name not in scene.collection.objects:
        scene.collection.objects.link(cam)
    cam.data.type, cam.data.ortho_scale, cam.data.clip_end = "ORTHO", 4.0 * span, 10.0
    cam.location = centre + Vector((math.sin(turn), -math.cos(turn), 0.0))  # in front of the turned face
    cam.rotation_euler = (math.pi / 2, 0.0, turn)
    return cam


def _render(scene, camera, path: str, size: tuple[int, int], note: str):
    import bpy

    render = scene.render
    scene.camera = camera
    render.resolution_x, render.resolution_y = size
    render.use_stamp_note, render.stamp_note_text = bool(note), note
    render.filepath = path
    with quiet(filter_stderr=True):
        bpy.ops.render.render(write_still=True)
    pixels = _read_png(path)
    os.remove(path)
    return pixels


def contact_sheet(scene, lines: list[dict], objects: dict, out_dir: str) -> str:
    """Render with Workbench and tile: a row per line, the wide shot then close-ups of the speaker's mouth
    at frames spread across the line."""
    import numpy as np

    from . import checkpoints, properties

    ckpt = checkpoints.load(properties.checkpoint_path(scene.multanet))
    render = scene.render
    wide_camera, wide_size = scene.camera, (render.resolution_x, render.resolution_y)
    tmp = os.path.join(out_dir, "frames")
    os.makedirs(tmp, exist_ok=True)
    render.image_settings.file_format = "PNG"
    shots = []  # (line, its frames, the object, its lip vertices): a row each
    for line, frames in zip(lines, sheet_frames(lines), strict=True):
        head = ckpt.head(line["head"])
        shots.append((line, frames, objects[line["speaker"]], head.template[head.lips]))
    if FACE_NAME in objects:  # the realistic face, on the first line it reads along
        face = objects[FACE_NAME]
        shots.append((shots[0][0], shots[0][1], face, mouth_points(face)))
    rows = []
    try:
        for line, frames, obj, lips in shots:
            scene.frame_set((frames[0] + frames[-1]) // 2)
            cells = [_render(scene, wide_camera, os.path.join(tmp, "wide.png"), wide_size,
                             f"{obj.name} ({line['language']})")]
            close = _mouth_camera(scene, obj, lips)
            for f in frames:
                scene.frame_set(f)
                phone = phone_at(line, f)
                cells.append(_render(scene, close, os.path.join(tmp, f"{f:05d}.png"), (wide_size[1],) * 2,
                                     f"/{phone}/ frame {f}" if phone else f"frame {f}"))
            rows.append(np.concatenate(cells, axis=1))
    finally:
        scene.camera = wide_camera
        render.resolution_x, render.resolution_y = wide_size
        render.use_stamp_note, render.stamp_note_text = False, ""
        if os.path.isdir(tmp) and not os.listdir(tmp):
            os.rmdir(tmp)
    sheet = np.concatenate(rows[::-1], axis=0)  # Blender's images are bottom-up: the first line on top
    path = os.path.join(out_dir, "contact_sheet.png")
    _write_png(path, sheet)
    return path


def render_video(scene, out_dir: str) -> str:
    import bpy

    render = scene.render
    settings = render.image_settings
    if "media_type" in settings.bl_rna.properties:  # Blender 5.0+
        settings.media_type = "VIDEO"
    settings.file_format = "FFMPEG"
    render.ffmpeg.format, render.ffmpeg.codec = "MPEG4", "H264"
    render.ffmpeg.constant_rate_factor = "MEDIUM"
    render.ffmpeg.audio_codec, render.ffmpeg.audio_channels = "AAC", "MONO"
    path = os.path.join(out_dir, "demo.mp4")
    render.filepath = path
    render.use_file_extension = False
    total = scene.frame_end - scene.frame_start + 1
    with quiet(filter_stderr=True) as say:
        done = [0, time.perf_counter()]

        def progress(*_):
            done[0] += 1
            if done[0] == total or time.perf_counter() - done[1] >= 5.0:  # a line every 5 s
                done[1] = time.perf_counter()
                say(f"  video frame {done[0]}/{total} ({100 * done[0] // total} %)")

        bpy.app.handlers.render_write.append(progress)
        try:
            bpy.ops.render.render(animation=True)
        finally:
            bpy.app.handlers.render_write.remove(progress)
    return path


def main(argv: list[str] | None = None) -> int:
    from . import checkpoints

    p = argparse.ArgumentParser(prog="python -m multanet_blender demo", description=help_text(__doc__))
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for demo.blend, the contact sheet (PNG) and the video (MP4)")
    p.add_argument("--checkpoint", default=checkpoints.DEFAULT_MODEL,
                   help="a .npz checkpoint with two or more heads (default: the bundled model)")
    p.add_argument("--no-video", action="store_true", help="skip the MP4 (the contact sheet is still rendered)")
    args = p.parse_args(argv)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    if not os.path.isfile(args.checkpoint):
        print(f"demo: no checkpoint at '{args.checkpoint}'" + (
            ": the bundled default model is missing; pass --checkpoint MODEL.npz"
            if args.checkpoint == checkpoints.DEFAULT_MODEL else ""), file=sys.stderr)
        return 2
    try:
        return _run(args, out)
    finally:
        release_addon()


def _run(args, out: str) -> int:
    import bpy

    t0 = time.perf_counter()
    lines = dialogue()
    scene, objects = build_scene(args.checkpoint, lines)
    heads = ", ".join(f"{o.name} ({len(o.data.vertices):,} vertices)" for o in objects.values())
    print(f"demo: {len(lines)} lines, {(scene.frame_end - scene.frame_start + 1) / FPS:.1f} s at {FPS} fps; "
          f"heads {heads}")
    t = time.perf_counter()
    report = bake(scene, lines, objects)
    print(f"demo: {report.summary().splitlines()[0]} in {time.perf_counter() - t:.1f} s")
    with quiet():
        bpy.ops.file.pack_all()  # the sounds travel inside demo.blend
    blend = os.path.join(out, "demo.blend")
    with atomic_path(blend, ".blend") as tmp, quiet():
        bpy.ops.wm.save_as_mainfile(filepath=tmp, copy=True)
    print(f"demo: saved {blend}")
    t = time.perf_counter()
    sheet = contact_sheet(scene, lines, objects, out)
    rows = len(lines) + (FACE_NAME in objects)
    print(f"demo: rendered {sheet} ({rows} x {SHEET_COLUMNS} frames) in {time.perf_counter() - t:.1f} s")
    old_video = os.path.join(out, "demo.mp4")
    if args.no_video and os.path.isfile(old_video):
        os.remove(old_video)  # it would show an earlier run's animation beside this run's files
        print(f"demo: removed the earlier {old_video} (--no-video)")
    if not args.no_video:
        t = time.perf_counter()
        video = render_video(scene, out)
        size = f"{scene.render.resolution_x}x{scene.render.resolution_y}"
        print(f"demo: rendered {video} ({scene.frame_end - scene.frame_start + 1} frames, {size}, with audio) "
              f"in {time.perf_counter() - t:.1f} s")
    print(f"demo: done in {time.perf_counter() - t0:.1f} s; open {blend} in Blender to play it")
    return 0
