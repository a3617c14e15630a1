"""Helpers for the Blender tests (real ``bpy``): audio files, meshes, strips, evaluated vertices."""

from __future__ import annotations

import os

import bpy
import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEECH_EN = os.path.join(ROOT, "tests", "data", "speech_en.flac")

HAS_AUD = bool(bpy.app.build_options.audaspace)
needs_aud = pytest.mark.skipif(
    not HAS_AUD, reason=f"bpy {bpy.app.version_string} is built without Audaspace: no sound strips, no aud"
)


def write_wav(path: str, samples: np.ndarray, rate: int) -> str:
    """16-bit PCM WAV through the standard library (samples float in [-1, 1], [n] or [n, channels])."""
    import wave

    data = np.clip(np.round(np.asarray(samples) * 32767), -32768, 32767).astype("<i2")
    channels = 1 if data.ndim == 1 else data.shape[1]
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.tobytes())
    return path


def read_wav(path: str) -> np.ndarray:
    import wave

    with wave.open(path, "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768.0
        return data.reshape(-1, w.getnchannels())


def add_head(checkpoint: str, head: str = "char00"):
    bpy.ops.multanet.add_head_mesh(checkpoint=checkpoint, head=head)
    return bpy.data.objects[head]


def add_strip(path: str, frame_start: int = 1, name: str = "line", channel: int = 1):
    from multanet_blender import blender_compat

    return blender_compat.top_strips(bpy.context.scene).new_sound(name, path, channel, frame_start)


def save_one_line_scene(path: str, checkpoint: str, wav: str) -> None:
    """A factory-fresh file at 30 fps with head char00 of ``checkpoint`` (the panel's checkpoint) and one sound strip
    of ``wav``, 'char00: line 1', at frame 1, saved as ``path``: a dialogue line for the bake command line."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    add_head(checkpoint, "char00")
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", checkpoint
    add_strip(wav, 1, "char00: line 1", channel=1)
    bpy.ops.wm.save_as_mainfile(filepath=path)


def evaluated_vertices(obj, frame: int) -> np.ndarray:
    scene = bpy.context.scene
    scene.frame_set(frame)
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = obj.evaluated_get(depsgraph).data
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def scene_state(root: str | None = None) -> dict:
    """Everything a failed operator must leave as it was."""
    state = {
        "objects": sorted(o.name for o in bpy.data.objects),
        "meshes": sorted(m.name for m in bpy.data.meshes),
        "actions": sorted(a.name for a in bpy.data.actions),
        "keys": sorted((k.name, tuple(b.name for b in k.key_blocks)) for k in bpy.data.shape_keys),
        "modifiers": sorted((o.name, m.name) for o in bpy.data.objects for m in o.modifiers),
        "props": sorted((o.name, tuple(o.keys())) for o in bpy.data.objects),
        "verts": {o.name: [tuple(v.co) for v in o.data.vertices][:50] for o in bpy.data.objects if o.type == "MESH"},
    }
    if root:
        state["files"] = sorted(os.path.relpath(os.path.join(d, f), root)
                                for d, _, fs in os.walk(root) for f in fs)
    return state


def speech_source(path: str, frame_start: int) -> dict:
    """Operator arguments for speech starting at ``frame_start``: a sound strip where Blender has
    Audaspace, else the same file as an audio-file source (the pip bpy 4.2 module has no sound strips)."""
    if HAS_AUD:
        add_strip(path, frame_start=frame_start)
        return {"strip": "line"}
    return {"audio_file": path, "audio_frame": frame_start}


def baked_range(obj) -> tuple[int, int]:
    record = obj["multanet_lipsync"]
    return record["frame_start"], record["frame_end"]


def character(keys, name: str = "Hero", values=None):
    """A mesh of someone else's topology (a UV sphere) with shape keys of the given names, each moving one vertex
    (a real, if tiny, blendshape); ``values``: the animator's own value of each key (left as Blender sets it
    without them)."""
    bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
    obj = bpy.context.active_object
    obj.name = name
    obj.shape_key_add(name="Basis", from_mix=False)
    for i, key in enumerate(keys):
        kb = obj.shape_key_add(name=key, from_mix=False)
        co = np.empty(len(obj.data.vertices) * 3, np.float32)
        kb.data.foreach_get("co", co)
        co[3 * i + 2] += 0.1
        kb.data.foreach_set("co", co)
        if values is not None:
            kb.value = values[i]
    return obj
