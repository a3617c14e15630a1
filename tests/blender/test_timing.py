"""Strip timing checked against Blender's own playback: the scene's mixdown says where each sound is heard."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, needs_aud, read_wav
from test_bake import core_coefficients, key_values

from multanet_blender.lipsync import strip_timing
from multanet_blender.mapping import MeshMotion


@needs_aud
@pytest.mark.parametrize("fps,fps_base,offset,trim", [
    (25, 1, 0.0, 0), (25, 1, 0.37, 4), (25, 1, -0.21, 0), (30000, 1001, 0.5, 7), (24000, 1001, -0.8, 30),
])
def test_sound_time_matches_blenders_mixdown(blender, assets, tmp_path, fps, fps_base, offset, trim):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = fps, fps_base
    scene.frame_start, scene.frame_end = 1, 400
    strip = add_strip(assets["wav16"], frame_start=21)
    strip.sound_offset = offset
    strip.frame_offset_start = trim
    mix = str(tmp_path / "mix.wav")
    bpy.ops.sound.mixdown(filepath=mix, container="WAV", codec="PCM", format="S16", mixrate=16000,
                          channels="MONO", accuracy=1024)
    heard = read_wav(mix)[:, 0]
    speech = assets["speech16k"]
    timing = strip_timing(strip, scene)
    rate = fps / fps_base
    checked = 0
    for sound_t in (1.2, 2.5, 4.0):  # find this bit of the sound in the mixdown
        if sound_t < timing.sound_time(strip.frame_final_start):
            continue  # trimmed away: silent in the mixdown
        probe = speech[int(sound_t * 16000):int(sound_t * 16000) + 4000]
        at = int(np.argmax(np.correlate(heard, probe, "valid"))) / 16000  # scene seconds from frame_start
        frame = scene.frame_start + at * rate
        assert timing.sound_time(frame) == pytest.approx(sound_t, abs=1.5e-3)
        checked += 1
    assert checked >= 2


@needs_aud
def test_baked_keys_follow_the_sound_offset(blender, assets):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 25, 1
    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    strip = add_strip(assets["wav16"], frame_start=30)
    strip.sound_offset = -10 / 25  # the sound starts 10 frames early: frame 30 hears 0.4 s
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00", strip="line")
    animator, coeffs = core_coefficients(assets, 25.0)
    motion = MeshMotion(animator.head, rest)
    for frame in (30, 31, 77, 120):
        _, values = key_values(obj, frame)
        np.testing.assert_allclose(values * motion.key_scale, coeffs[frame - 30 + 10], rtol=1e-4, atol=1e-6)
