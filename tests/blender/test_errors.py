"""Bad input gets a clear error and changes nothing in the scene (or on disk)."""

from __future__ import annotations

import os
import shutil

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, needs_aud, scene_state, write_wav


def generate(**kwargs):
    return bpy.ops.multanet.generate_lip_sync(**kwargs)


def expect_error(message: str, root: str | None = None, **kwargs):
    before = scene_state(root)
    with pytest.raises(RuntimeError) as info:
        generate(**kwargs)
    assert message in str(info.value), str(info.value)
    assert scene_state(root) == before
    return str(info.value)


@pytest.fixture
def face(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    obj = add_head(assets["checkpoint"])
    return obj


def test_mismatched_mesh(face, assets, tmp_path):
    bpy.ops.mesh.primitive_cube_add()
    msg = expect_error("head 'char00' expects 299 vertices; 'Cube' has 8", str(tmp_path), object="Cube",
                       checkpoint=assets["checkpoint"], head="char00", audio_file=assets["wav16"])
    assert msg.startswith("Error: Generate Lip Sync:")
    assert "use Add Head Mesh for head 'char00'" in msg and "--freeze-mfl" in msg  # what to do about it
    msg = expect_error("head 'char01' expects 338 vertices; 'char00' has 299", str(tmp_path), object="char00",
                       checkpoint=assets["checkpoint"], head="char01", audio_file=assets["wav16"])
    assert "; it matches head 'char00': choose that head" in msg
    bpy.ops.object.camera_add()
    expect_error("is a camera object, not a mesh", str(tmp_path), object=bpy.context.active_object.name,
                 checkpoint=assets["checkpoint"], head="char00", audio_file=assets["wav16"])
    expect_error("there is no object named 'Nobody'", str(tmp_path), object="Nobody",
                 checkpoint=assets["checkpoint"], head="char00", audio_file=assets["wav16"])


def test_broken_checkpoints(face, assets, tmp_path):
    args = dict(object="char00", head="char00", audio_file=assets["wav16"])
    root = str(tmp_path)
    expect_error("does not exist", root, checkpoint=str(tmp_path / "nope.npz"), **args)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(open(assets["checkpoint"], "rb").read()[:5000])
    expect_error("truncated.npz", root, checkpoint=str(truncated), **args)
    text = tmp_path / "notes.npz"
    text.write_text("this is not a checkpoint")
    expect_error("notes.npz", root, checkpoint=str(text), **args)
    expect_error("has no character 'zed'", root, checkpoint=assets["checkpoint"], object="char00", head="zed",
                 audio_file=assets["wav16"])
    expect_error("has no emotion preset 'furious'", root, checkpoint=assets["checkpoint"], emotion="furious", **args)


def test_bad_audio(face, assets, tmp_path):
    root = str(tmp_path)
    args = dict(object="char00", checkpoint=assets["checkpoint"], head="char00")
    expect_error("does not exist", root, audio_file=str(tmp_path / "missing.wav"), **args)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF" + os.urandom(3000))
    expect_error("corrupt.wav", root, audio_file=str(corrupt), **args)
    silent = write_wav(str(tmp_path / "silent.wav"), np.zeros(16000), 16000)
    expect_error("is silent", root, audio_file=silent, **args)
    expect_error("is a folder", root, audio_file=str(tmp_path), **args)
    expect_error("has no Sequencer strip named 'ghost'", root, strip="ghost", **args)


@needs_aud
def test_bad_strips(face, assets, tmp_path):
    root = str(tmp_path)
    args = dict(object="char00", checkpoint=assets["checkpoint"], head="char00")
    moved = shutil.copy(assets["wav16"], tmp_path / "moved.wav")
    add_strip(str(moved), name="moved")
    os.remove(moved)
    expect_error("does not exist", root, strip="moved", **args)
    silent = write_wav(str(tmp_path / "quiet.wav"), np.zeros(8000), 16000)
    add_strip(silent, name="quiet", channel=2)
    expect_error("is silent", root, strip="quiet", **args)
    bpy.context.scene.sequence_editor.strips_all["quiet"].name = "quiet"  # still there, untouched


def test_failures_keep_a_previous_bake(face, assets, tmp_path):
    """A failing re-bake leaves the earlier lip sync (keys, Action, cache file) exactly as it was."""
    root = str(tmp_path)
    args = dict(object="char00", checkpoint=assets["checkpoint"], head="char00")
    generate(audio_file=assets["wav16"], bake_mode="VERTEX_CACHE", **args)
    (cache,) = (tmp_path / "multanet_cache").iterdir()
    data = cache.read_bytes()
    expect_error("does not exist", root, audio_file=str(tmp_path / "missing.wav"), bake_mode="VERTEX_CACHE",
                 **args)
    assert cache.read_bytes() == data
    generate(audio_file=assets["wav16"], **args)
    expect_error("is silent", root, audio_file=write_wav(str(tmp_path / "s.wav"), np.zeros(9000), 16000), **args)


def test_vertex_cache_needs_a_place(blender, assets, tmp_path):
    obj = add_head(assets["checkpoint"])
    args = dict(object="char00", checkpoint=assets["checkpoint"], head="char00", audio_file=assets["wav16"],
                bake_mode="VERTEX_CACHE")
    expect_error("the .blend is not saved", None, **args)
    # an unsaved file with a folder given (what the folder browser answers): an absolute path
    generate(cache_dir=str(tmp_path / "caches"), **args)
    (cache,) = (tmp_path / "caches").iterdir()
    assert obj.modifiers["MulTaNet Lip Sync"].filepath == str(cache) and cache.name.startswith("char00.")


def test_an_animators_own_action_is_never_replaced(face, assets, tmp_path):
    obj = face
    obj.shape_key_add(name="Basis")
    blink = obj.shape_key_add(name="Blink")
    blink.value = 1.0
    blink.keyframe_insert("value", frame=1)
    expect_error("are animated by Action", str(tmp_path), object="char00", checkpoint=assets["checkpoint"],
                 head="char00", audio_file=assets["wav16"])


def test_edit_mode_is_refused(face, assets, tmp_path):
    bpy.context.view_layer.objects.active = face
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        expect_error("is in Edit Mode", str(tmp_path), object="char00", checkpoint=assets["checkpoint"],
                     head="char00", audio_file=assets["wav16"])
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")


def test_a_failed_checkpoint_load_is_cached_until_the_file_changes(blender, tmp_path, monkeypatch):
    from multanet_blender import checkpoints

    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    calls = []
    real = checkpoints.load_checkpoint
    monkeypatch.setattr(checkpoints, "load_checkpoint", lambda p: calls.append(p) or real(p))
    checkpoints.clear_cache()
    for _ in range(3):  # three panel redraws
        with pytest.raises(Exception, match="truncated or corrupt"):
            checkpoints.load(str(bad))
    assert len(calls) == 1
    os.utime(bad, ns=(0, 10**18))  # rewritten on disk: read again
    with pytest.raises(Exception, match="truncated or corrupt"):
        checkpoints.load(str(bad))
    assert len(calls) == 2
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(Exception, match="is a FIFO"):  # never opened: it would block
        checkpoints.load(str(fifo))


def test_remove_on_a_non_mesh_object_with_a_record(blender, tmp_path):
    from multanet_blender import lipsync

    victim = tmp_path / "someone_elses.pc2"
    victim.write_bytes(b"keep me")
    bpy.ops.object.camera_add()
    cam = bpy.context.active_object
    cam[lipsync.RECORD] = {"mode": "VERTEX_CACHE", "cache": str(victim), "action": "A"}
    assert bpy.ops.multanet.remove_lip_sync() == {"FINISHED"}  # before: AttributeError on Camera.update
    assert lipsync.RECORD not in cam.keys() and victim.read_bytes() == b"keep me"


def test_a_rig_head_never_lands_on_mesh_paths(blender, assets, tmp_path):
    """A checkpoint with a rig head: the panel lists only mesh heads, and naming the rig head where
    vertices are needed (Add Head Mesh, a vertex-cache or shape-key bake) is a clear error."""
    ckpt = assets["rig_checkpoint"]
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", ckpt
    from multanet_blender.properties import _heads

    assert [item[0] for item in _heads(settings, bpy.context)] == ["char00"]
    before = scene_state(str(tmp_path))
    with pytest.raises(RuntimeError, match="'rig' is a rig head: it has no mesh to add"):
        bpy.ops.multanet.add_head_mesh(checkpoint=ckpt, head="rig")
    assert scene_state(str(tmp_path)) == before
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    add_head(ckpt)
    for mode in ("SHAPE_KEYS", "VERTEX_CACHE"):
        expect_error("head 'rig' is a rig head: it gives named weights", str(tmp_path), object="char00",
                     checkpoint=ckpt, head="rig", audio_file=assets["wav16"], bake_mode=mode)
