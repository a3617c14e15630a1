"""Baking in real Blender equals core's numpy output: shape keys, vertex cache, strip timing, re-bake, remove."""

from __future__ import annotations

import os
import re
import shutil

import bpy
import numpy as np
import pytest
from bl_helpers import (
    add_head,
    add_strip,
    baked_range,
    evaluated_vertices,
    needs_aud,
    read_wav,
    scene_state,
    speech_source,
    write_wav,
)

from multanet_blender.lipsync import KEY_PREFIX, MEAN_KEY, component_key
from multanet_blender.mapping import MeshMotion
from multanet_core.checkpoint import load_checkpoint
from multanet_core.inference import Animator


def core_coefficients(assets, fps, head="char00", samples=None):
    ckpt = load_checkpoint(assets["checkpoint"])
    animator = Animator(ckpt, head)
    samples = assets["speech16k"] if samples is None else samples
    return animator, animator.coefficients(samples, fps)


def key_values(obj, frame):
    bpy.context.scene.frame_set(frame)
    blocks = obj.data.shape_keys.key_blocks
    k = sum(1 for b in blocks if b.name.startswith(KEY_PREFIX)) - 1
    return blocks[MEAN_KEY].value, np.array([blocks[component_key(i)].value for i in range(k)])


def assert_rest(obj, frame, rest):
    np.testing.assert_allclose(evaluated_vertices(obj, frame), rest, atol=1e-6)


def head_scale(obj):
    co = np.array([v.co for v in obj.data.vertices])
    return float(np.abs(co - co.mean(0)).max())


def test_shape_keys_follow_core_frame_by_frame(blender, assets):
    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    source = speech_source(assets["wav16"], 1)
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00", **source)
    first, end = baked_range(obj)

    animator, coeffs = core_coefficients(assets, 24.0)  # the factory scene runs at 24 fps
    motion = MeshMotion(animator.head, rest)
    keys = obj.data.shape_keys.key_blocks
    assert [b.name for b in keys][:3] == ["Basis", "MulTaNet.mean", "MulTaNet.c000"]
    assert len(keys) == 2 + animator.head.n_components
    assert all(b.slider_min == -10 and b.slider_max == 10 for b in keys[1:])
    for frame in (1, 2, 17, 60, len(coeffs)):
        mean, values = key_values(obj, frame)
        assert mean == 1.0
        np.testing.assert_allclose(values * motion.key_scale, coeffs[frame - 1], rtol=1e-4, atol=1e-6)
        expected = animator.vertices(coeffs[frame - 1:frame])[0]  # template space = this mesh's space
        np.testing.assert_allclose(evaluated_vertices(obj, frame), expected, atol=2e-5 * head_scale(obj))
    assert (first, end) == (1, 1 + len(coeffs))
    for frame in (0, end, end + 30):  # outside the strip: at rest
        assert_rest(obj, frame, rest)
    # one Action, one F-curve per key, dense keys written in bulk
    action = obj.data.shape_keys.animation_data.action
    assert action.name == f"MulTaNet {obj.name}"
    from multanet_blender.blender_compat import action_fcurves

    fcurves = action_fcurves(action, obj.data.shape_keys)
    assert len(fcurves) == 1 + animator.head.n_components
    assert len(fcurves[0].keyframe_points) == end - first + 2


@needs_aud
@pytest.mark.parametrize("fps,fps_base", [(30000, 1001), (24000, 1001), (25, 1)])
def test_strip_offsets_trims_and_fractional_fps(blender, assets, fps, fps_base):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, fps_base
    rate = fps / fps_base
    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    strip = add_strip(assets["wav16"], frame_start=40)
    strip.frame_offset_start = 9  # trim the first 9 frames
    strip.frame_offset_end = 20
    assert strip.frame_final_start == 49
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00", strip="line")
    animator, coeffs = core_coefficients(assets, rate)  # the untrimmed clip, from the sound's start
    motion = MeshMotion(animator.head, rest)
    for frame in (49, 50, 80, strip.frame_final_end - 1):
        _, values = key_values(obj, frame)
        np.testing.assert_allclose(values * motion.key_scale, coeffs[frame - 40], rtol=1e-4, atol=1e-6)
    for frame in (40, 48, strip.frame_final_end):  # the trimmed frames are at rest
        mean, values = key_values(obj, frame)
        assert mean == 0 and not values.any()
        assert_rest(obj, frame, rest)


def test_vertex_cache_plays_core_vertices(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1
    obj = add_head(assets["checkpoint"])
    # the mesh is moved, turned and scaled in its own data, not only by the object's transform
    rest0 = np.array([v.co for v in obj.data.vertices], np.float32)
    c, s = np.cos(0.6), np.sin(0.6)
    turn = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]], np.float32)
    rest = (3.0 * rest0 @ turn.T + [0.5, -1.0, 2.0]).astype(np.float32)
    obj.data.vertices.foreach_set("co", rest.ravel())
    source = speech_source(assets["wav16"], 12)
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                       bake_mode="VERTEX_CACHE", **source)
    first, end = baked_range(obj)
    mod = obj.modifiers["MulTaNet Lip Sync"]
    assert mod.type == "MESH_CACHE" and re.fullmatch(r"//multanet_cache/char00\.[0-9a-f]{8}\.pc2", mod.filepath)
    assert os.listdir(tmp_path / "multanet_cache") == [os.path.basename(mod.filepath)]
    assert obj.data.shape_keys is None

    animator, coeffs = core_coefficients(assets, 30.0)
    pred = animator.vertices(coeffs)
    expected = 3.0 * pred @ turn.T + np.array([0.5, -1.0, 2.0], np.float32)
    assert (first, end) == (12, 12 + len(coeffs))
    for frame in range(first, end, 7):
        np.testing.assert_allclose(evaluated_vertices(obj, frame), expected[frame - 12], atol=2e-5 * head_scale(obj))
    for frame in (1, 11, end, end + 100):
        assert_rest(obj, frame, rest)


def test_rebake_replaces_and_remove_restores(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    before = scene_state(str(tmp_path))
    source = speech_source(assets["wav16"], 5)
    before_bake = scene_state(str(tmp_path))
    args = dict(object=obj.name, checkpoint=assets["checkpoint"], head="char00", **source)
    bpy.ops.multanet.generate_lip_sync(**args)
    first = scene_state(str(tmp_path))
    bpy.ops.multanet.generate_lip_sync(**args)
    assert scene_state(str(tmp_path)) == first  # no pile-up of keys or Actions
    assert len(bpy.data.actions) == 1
    bpy.ops.multanet.generate_lip_sync(**args, bake_mode="VERTEX_CACHE")  # switching mode replaces too
    assert obj.data.shape_keys is None and not bpy.data.actions
    first_cache = bpy.path.abspath(obj.modifiers[0].filepath)
    assert len(obj.modifiers) == 1 and os.path.isfile(first_cache)
    bpy.ops.multanet.generate_lip_sync(**args, bake_mode="VERTEX_CACHE")
    # a new file per bake; the old one stays (undo and the saved .blend may name it) until cleaned
    assert len(obj.modifiers) == 1 and bpy.path.abspath(obj.modifiers[0].filepath) != first_cache
    assert len(os.listdir(tmp_path / "multanet_cache")) == 2
    bpy.ops.multanet.generate_lip_sync(**args)
    bpy.ops.multanet.remove_lip_sync(object=obj.name)
    assert bpy.ops.multanet.clean_unused_caches() == {"FINISHED"}
    assert os.listdir(tmp_path / "multanet_cache") == []
    after = scene_state(str(tmp_path))
    after["files"] = [f for f in after["files"] if f != "multanet_cache"]
    assert after == before_bake
    for frame in (5, 30):
        assert_rest(obj, frame, rest)
    assert before["objects"] == after["objects"]


@needs_aud
def test_packed_sound_and_other_rates(blender, assets, tmp_path):
    """A packed 44.1 kHz stereo sound whose file is gone still bakes, exactly as core reads the file."""
    from multanet_core.audio import prepare
    from multanet_core.resample import resample_poly

    x44 = resample_poly(assets["speech16k"], 441, 160)
    stereo = np.stack([x44, 0.5 * x44], axis=1)
    path = write_wav(str(tmp_path / "stereo44k.wav"), stereo, 44100)
    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    strip = add_strip(path, frame_start=1)
    strip.sound.pack()
    path_copy = shutil.copy(path, str(tmp_path / "copy.wav"))
    os.remove(path)
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00", strip="line")
    animator, coeffs = core_coefficients(assets, 24.0, samples=prepare(read_wav(path_copy), 44100))
    motion = MeshMotion(animator.head, rest)
    baked = np.stack([key_values(obj, f)[1] for f in range(1, len(coeffs) + 1)]) * motion.key_scale
    # aud decodes, core resamples (as for training): the same numbers as core reading the file
    np.testing.assert_allclose(baked, coeffs, rtol=1e-4, atol=1e-5 * np.abs(coeffs).max())
