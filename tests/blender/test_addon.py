"""The add-on in real Blender: registration, Add Head Mesh, the panel's state and match status, preferences."""

from __future__ import annotations

import math
import os

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, needs_aud

import multanet_blender
from multanet_blender import dialogue_ui, lipsync, operators, panels, preferences, properties
from multanet_core.checkpoint import load_checkpoint, topology_fingerprint

CLASSES = [c.__name__ for m in (preferences, properties, operators, panels, dialogue_ui) for c in m.classes]


def registered() -> list[str]:
    """The add-on's classes Blender has registered (looked up by class: property groups aren't in bpy.types)."""
    return [c.__name__ for m in (preferences, properties, operators, panels, dialogue_ui) for c in m.classes
            if c.is_registered]


def test_register_and_unregister_leave_nothing_behind():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    assert registered() == [] and "multanet" not in bpy.types.Scene.bl_rna.properties
    for _ in range(2):  # twice: unregister really undoes register
        multanet_blender.register()
        assert registered() == CLASSES and len(CLASSES) == 20
        assert hasattr(bpy.types, "MULTANET_PT_lip_sync") and hasattr(bpy.types, "MULTANET_OT_add_head_mesh")
        assert "multanet" in bpy.types.Scene.bl_rna.properties
        assert bpy.ops.multanet.add_head_mesh.poll()
        multanet_blender.unregister()
        assert registered() == [] and not hasattr(bpy.types, "MULTANET_PT_lip_sync")
        assert "multanet" not in bpy.types.Scene.bl_rna.properties
        assert "multanet_dialogue" not in bpy.types.Scene.bl_rna.properties
        assert not hasattr(bpy.types.Scene, "multanet")
        with pytest.raises((KeyError, AttributeError, RuntimeError)):
            bpy.ops.multanet.generate_lip_sync.get_rna_type()


def test_add_head_mesh_has_the_heads_topology(blender, assets):
    ckpt = load_checkpoint(assets["checkpoint"])
    bpy.context.scene.cursor.location = (1.0, 2.0, 3.0)
    obj = add_head(assets["checkpoint"], "char01")
    head = ckpt.head("char01")
    mesh = obj.data
    faces = np.array([v for p in mesh.polygons for v in p.vertices], np.int32)
    sizes = np.array([p.loop_total for p in mesh.polygons], np.int32)
    assert topology_fingerprint(len(mesh.vertices), faces, sizes) == head.fingerprint
    np.testing.assert_allclose(np.array([v.co for v in mesh.vertices]), head.template, atol=1e-7)
    assert tuple(obj.location) == (1.0, 2.0, 3.0)
    assert obj.rotation_euler[0] == pytest.approx(math.pi / 2)  # the checkpoint's heads are Y-up
    assert bpy.context.scene.multanet.target == obj
    assert bpy.context.view_layer.objects.active == obj
    # the panel follows: its checkpoint and head are the added ones, so the next Generate just works
    settings = bpy.context.scene.multanet
    assert (settings.model, settings.checkpoint_path, settings.head) == ("FILE", assets["checkpoint"], "char01")
    assert bpy.ops.multanet.generate_lip_sync(audio_file=assets["wav16"]) == {"FINISHED"}
    assert obj.data.shape_keys is not None


def test_panel_state_lists_heads_and_presets(blender, assets):
    settings = bpy.context.scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = assets["checkpoint"]
    heads = [item[0] for item in properties._heads(settings, bpy.context)]
    assert heads == ["char00", "char01"]
    settings.head = "char01"
    assert [item[0] for item in properties._emotions(settings, bpy.context)] == ["neutral", "random 1", "random 2"]
    settings.checkpoint_path = assets["root"] + "/missing.npz"
    ckpt, error = properties.panel_checkpoint(settings)
    assert ckpt is None and "does not exist" in error
    assert [item[0] for item in properties._heads(settings, bpy.context)] == ["NONE"]


def test_match_status_says_why(blender, assets):
    ckpt = load_checkpoint(assets["checkpoint"])
    head = ckpt.head("char00")
    obj = add_head(assets["checkpoint"], "char00")
    assert panels.match_status(obj, head) == (True, "matches head char00")
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    assert panels.match_status(cube, head) == (False, f"head 'char00' expects {head.n_vertices:,} vertices; "
                                                      f"'Cube' has 8")
    # same vertices, polygons listed from another corner: what an importer that reorders does
    other = obj.copy()
    other.data = obj.data.copy()
    bpy.context.scene.collection.objects.link(other)
    loops = np.empty(len(other.data.loops), np.int32)
    other.data.loops.foreach_get("vertex_index", loops)
    perm = np.random.default_rng(0).permutation(len(other.data.vertices))
    inverse = np.argsort(perm)
    co = np.empty(len(other.data.vertices) * 3, np.float32)
    other.data.vertices.foreach_get("co", co)
    other.data.vertices.foreach_set("co", co.reshape(-1, 3)[perm].ravel())
    other.data.loops.foreach_set("vertex_index", inverse[loops].astype(np.int32))
    other.data.update()
    ok, text = panels.match_status(other, head)
    assert not ok and "vertex order changed on import?" in text
    # a re-sculpt: same topology, a changed shape
    co = co.reshape(-1, 3)
    co[:, 2] *= 1.3
    sculpt = obj.copy()
    sculpt.data = obj.data.copy()
    sculpt.data.vertices.foreach_set("co", co.ravel())
    ok, text = panels.match_status(sculpt, head)
    assert ok and text.startswith("matches head char00 (re-sculpt:")


def test_the_panel_fits_a_mesh_once_until_it_changes(blender, assets, monkeypatch):
    """The panel's draw does no work: the match status is kept until the mesh changes."""
    head = load_checkpoint(assets["checkpoint"]).head("char00")
    obj = add_head(assets["checkpoint"], "char00")
    bpy.context.view_layer.update()
    fits = []
    real = panels.MeshMotion
    monkeypatch.setattr(panels, "MeshMotion", lambda *a: fits.append(1) or real(*a))
    for _ in range(5):
        assert panels.match_status(obj, head) == (True, "matches head char00")
    assert len(fits) == 1
    co = np.empty(len(obj.data.vertices) * 3, np.float32)
    obj.data.vertices.foreach_get("co", co)
    co.reshape(-1, 3)[:, 2] *= 1.3  # a re-sculpt
    obj.data.vertices.foreach_set("co", co)
    obj.data.update()
    bpy.context.view_layer.update()  # what Blender does after any edit: the add-on's handler hears it
    ok, text = panels.match_status(obj, head)
    assert len(fits) == 2 and ok and text.startswith("matches head char00 (re-sculpt:")


@needs_aud
def test_operator_defaults_come_from_the_panel(blender, assets):
    scene = bpy.context.scene
    settings = scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = assets["checkpoint"]
    settings.head = "char01"
    bpy.ops.multanet.add_head_mesh()  # head and checkpoint from the panel
    obj = bpy.data.objects["char01"]
    assert settings.target == obj
    add_strip(assets["wav16"], frame_start=3, name="first", channel=1)
    second = add_strip(assets["wav16"], frame_start=200, name="second", channel=2)
    scene.sequence_editor.active_strip = second
    settings.emotion = "random 1"
    settings.strength = 0.5
    assert bpy.ops.multanet.generate_lip_sync() == {"FINISHED"}
    record = obj["multanet_lipsync"]
    assert record["source"] == "strip 'second'" and record["frame_start"] == 200
    assert record["emotion"] == "random 1" and record["strength"] == 0.5 and record["head"] == "char01"
    settings.strip = "first"
    bpy.ops.multanet.generate_lip_sync()
    assert obj["multanet_lipsync"]["frame_start"] == 3
    assert bpy.ops.multanet.remove_lip_sync() == {"FINISHED"}
    assert "multanet_lipsync" not in obj.keys() and obj.data.shape_keys is None


def test_audio_file_source_and_emotion(blender, assets):
    """An audio file placed at a frame (works on Blender builds without Audaspace too)."""
    from multanet_blender.mapping import MeshMotion
    from multanet_core.inference import Animator

    obj = add_head(assets["checkpoint"])
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                       audio_file=assets["wav16"], audio_frame=10, emotion="random 2", strength=0.7)
    ckpt = load_checkpoint(assets["checkpoint"])
    animator = Animator(ckpt, "char00")
    coeffs = animator.coefficients(assets["speech16k"], 24.0, emotion="random 2", strength=0.7)
    neutral = animator.coefficients(assets["speech16k"], 24.0)
    assert np.abs(coeffs - neutral).max() > 1e-3  # the emotion changes the motion
    motion = MeshMotion(animator.head, rest)
    keys = obj.data.shape_keys.key_blocks
    for frame in (10, 40, 9 + len(coeffs)):
        bpy.context.scene.frame_set(frame)
        values = np.array([keys[lipsync.component_key(k)].value for k in range(motion.n_components)])
        np.testing.assert_allclose(values * motion.key_scale, coeffs[frame - 10], rtol=1e-4, atol=1e-6)
    assert obj["multanet_lipsync"]["frame_end"] == 10 + len(coeffs)


def test_recent_checkpoints_are_remembered(assets, tmp_path, monkeypatch):
    """Enabled as an add-on (preferences exist), a baked checkpoint goes first in the recent list."""
    import addon_utils

    monkeypatch.setenv("BLENDER_USER_RESOURCES", str(tmp_path))  # never the user's own configuration
    bpy.ops.wm.read_factory_settings(use_empty=True)
    addon_utils.enable("multanet_blender", default_set=True)
    try:
        assert preferences.get() is not None
        obj = add_head(assets["checkpoint"])
        for _ in range(2):
            bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                               audio_file=assets["wav16"])
        assert preferences.recent_paths() == [assets["checkpoint"]]
        for i in range(preferences.MAX_RECENT + 2):
            preferences.remember(f"/models/m{i}.npz")
        paths = preferences.recent_paths()
        assert len(paths) == preferences.MAX_RECENT and paths[0] == f"/models/m{preferences.MAX_RECENT + 1}.npz"
    finally:
        addon_utils.disable("multanet_blender", default_set=True)
        bpy.ops.wm.read_factory_settings(use_empty=True)
    assert registered() == []


def test_the_readme_script_runs_as_written(blender, assets, tmp_path, monkeypatch, capsys):
    """The README's scripting example, copied as is, with a recorded line where it says."""
    import re
    import shutil

    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md"), encoding="utf-8").read()
    script = re.search(r"From a script.*?```python\n(.*?)```", readme, re.S).group(1)
    shutil.copy(assets["wav16"], tmp_path / "line01.wav")
    monkeypatch.chdir(tmp_path)
    exec(compile(script, "README.md", "exec"), {})
    assert "'head': 'beatrix'" in capsys.readouterr().out
    obj = bpy.data.objects["beatrix"]
    assert "multanet_lipsync" not in obj.keys() and obj.data.shape_keys is None  # removed at the end


def test_operators_say_why_they_cannot_run(blender, assets):
    """poll with poll_message_set: an empty file has nothing to animate, remove, or bake as dialogue."""
    for op, why in ((bpy.ops.multanet.generate_lip_sync, "no mesh to animate"),
                    (bpy.ops.multanet.remove_lip_sync, "no object in this file has lip sync"),
                    (bpy.ops.multanet.bake_all_dialogue, "no sound strips"),
                    (bpy.ops.multanet.fill_dialogue, "no sound strips")):
        assert not op.poll()
        with pytest.raises(RuntimeError, match=f"(?i){why}"):
            op()
    obj = add_head(assets["checkpoint"])
    assert bpy.ops.multanet.generate_lip_sync.poll() and not bpy.ops.multanet.remove_lip_sync.poll()
    bpy.ops.multanet.generate_lip_sync(audio_file=assets["wav16"])
    assert bpy.ops.multanet.remove_lip_sync.poll() and obj.data.shape_keys is not None


def test_blend_relative_paths_are_taken_without_a_warning(blender, assets, tmp_path):
    """Blender 5 warns when a "//" path is set on a path property not flagged PATH_SUPPORTS_BLEND_RELATIVE
    (an option 4.2 does not know): every path the add-on takes is flagged where Blender has it."""
    import warnings

    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    obj = add_head(assets["checkpoint"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        done = bpy.ops.multanet.generate_lip_sync(
            object=obj.name, checkpoint=bpy.path.relpath(assets["checkpoint"]), head="char00",
            audio_file=bpy.path.relpath(assets["wav16"]), bake_mode="VERTEX_CACHE", cache_dir="//cache/")
        assert done == {"FINISHED"}
        assert bpy.ops.multanet.clean_unused_caches(cache_dir="//cache/") == {"FINISHED"}
        settings = bpy.context.scene.multanet
        settings.cache_dir, settings.audio_file = "//caches/", bpy.path.relpath(assets["wav16"])
    assert not [str(w.message) for w in caught if "blend relative" in str(w.message)]
    flagged = "is_path_supports_blend_relative" in bpy.types.Property.bl_rna.properties
    for cls in (*operators.classes, *properties.classes):
        for prop in cls.bl_rna.properties:
            if getattr(prop, "subtype", "") in ("FILE_PATH", "DIR_PATH"):
                assert not flagged or prop.is_path_supports_blend_relative, (cls.__name__, prop.identifier)


@needs_aud
def test_the_panel_says_when_its_chosen_strip_is_gone(blender, assets):
    scene = bpy.context.scene
    strip = add_strip(assets["wav16"], frame_start=1, name="line", channel=1)
    assert panels.strip_problem(scene, "line") == ""
    strip.name = "line (take 2)"  # renamed (or deleted) after it was picked in the panel
    assert panels.strip_problem(scene, "line") == (
        f"scene '{scene.name}' has no Sequencer strip named 'line': pick another, or clear the field to use the "
        f"active strip")
    assert panels.strip_problem(scene, "line (take 2)") == ""
