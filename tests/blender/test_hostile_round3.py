"""Hostile input, round three (issue 28), in real Blender: a rig head with two names of one normal form, the
animator's own ``*.partial`` files in the cache folder, NaN settings, absolute shape keys, a start frame
beyond Blender's frames, a truncated WAV through ``aud``, and separators in the names a record keeps."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import bpy
import pytest
from bl_helpers import HAS_AUD, add_head, add_strip, character, needs_aud, scene_state, write_wav

from multanet_core.rig_names import ARKIT_52, match_keys

RIG_VARIANTS = {"JawOpen": ("JawOpen",), "jaw_open": ("jaw_open",), "mouthSmile": ("mouthSmile",)}


@pytest.fixture(scope="module")
def twin_names(tmp_path_factory):
    """Rig-head checkpoints whose head has ARKit-52 and one more name of the same normal form as one of them."""
    from multanet_core.checkpoint import save_checkpoint
    from train.random_heads import numpy_checkpoint

    root = tmp_path_factory.mktemp("twin_names")
    out = {}
    for label, extra in RIG_VARIANTS.items():
        path = str(root / f"rig_{label}.npz")
        save_checkpoint(path, numpy_checkpoint(characters=1, vertices=300, components=12, seed=4,
                                               rig_names=tuple(ARKIT_52) + extra))
        out[label] = path
    return out


def bake(obj, checkpoint: str, assets, head: str = "rig", mode: str = "BY_NAME", **kwargs):
    if not kwargs:
        kwargs = {"audio_file": assets["wav16"], "audio_frame": 1}
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=checkpoint, head=head, bake_mode=mode,
                                              **kwargs)


def refused(message: str, root: str | None = None, call=None):
    before = scene_state(root)
    with pytest.raises(RuntimeError) as info:
        call()
    assert message in str(info.value), str(info.value)
    assert "Traceback" not in str(info.value)
    assert scene_state(root) == before
    return str(info.value)


def driven_paths(obj) -> list[str]:
    from multanet_blender import blender_compat

    key = obj.data.shape_keys
    return sorted(fc.data_path for fc in blender_compat.action_fcurves(key.animation_data.action, key))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --- 1. two head names of one normal form -------------------------------------------------------------

@pytest.mark.parametrize("label, keys, driven, left_out", [
    ("JawOpen", ["jawOpen", "mouthClose"], {"jawOpen": "jawOpen"}, "JawOpen (key jawOpen, driven by jawOpen)"),
    ("jaw_open", ["jawOpen", "mouthClose"], {"jawOpen": "jawOpen"}, "jaw_open (key jawOpen, driven by jawOpen)"),
    ("mouthSmile", ["jawOpen", "mouthSmile_L", "mouthSmile_R"],
     {"mouthSmile_L": "mouthSmileLeft", "mouthSmile_R": "mouthSmileRight"},
     "mouthSmile (key mouthSmile_L, driven by mouthSmileLeft)"),
])
def test_two_head_names_of_one_normal_form_keep_one_key_each_and_the_earlier_bake(
        blender, assets, twin_names, capfd, label, keys, driven, left_out):
    from multanet_blender import lipsync, named_keys
    from multanet_core.checkpoint import load_checkpoint

    obj = character(keys)
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}  # an earlier bake of the character
    head = load_checkpoint(twin_names[label]).head("rig")
    plan = named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX)
    assert len(set(plan.keys)) == len(plan.keys)  # one name per key, picked the same way every time
    assert {k: s for k, s in zip(plan.keys, plan.sources, strict=True) if k in driven} == driven
    assert left_out in plan.warning() and named_keys.LEFT_OUT in plan.warning()
    assert "sharing another name's key" in plan.status()
    capfd.readouterr()
    assert bake(obj, twin_names[label], assets) == {"FINISHED"}
    assert left_out in "".join(capfd.readouterr())
    assert driven_paths(obj) == sorted(named_keys.key_path(k) for k in plan.keys)
    assert [a.name for a in bpy.data.actions] == [f"MulTaNet {obj.name}"]  # replaced, no orphan Action
    assert obj["multanet_lipsync"]["checkpoint"] == twin_names[label]
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert not bpy.data.actions


def test_match_keys_leaves_a_key_to_one_name_deterministically():
    names = tuple(ARKIT_52) + ("JawOpen", "mouthSmile")
    for keys in (["jawOpen", "mouthSmile_L", "mouthSmile_R"], ["mouthSmile_R", "mouthSmile_L", "jawOpen"]):
        match = match_keys(keys, names)
        assert match.keys["jawOpen"] == "jawOpen" and "JawOpen" not in match.keys
        assert match.shared == {"JawOpen": ("jawOpen", "jawOpen"), "mouthSmile": ("mouthSmile_L", "mouthSmileLeft")}
        assert "JawOpen" not in match.missing and "mouthSmile" not in match.both_sides
    # the exact spelling wins; a name that moves wins over one the head always leaves at rest
    assert match_keys(["JawOpen"], ("jawOpen", "JawOpen")).shared == {"jawOpen": ("JawOpen", "JawOpen")}
    assert match_keys(["jaw_open"], ("jawOpen", "JawOpen")).shared == {"JawOpen": ("jaw_open", "jawOpen")}
    assert match_keys(["jaw_open"], ("jawOpen", "JawOpen"), resting={"jawOpen"}).shared == {
        "jawOpen": ("jaw_open", "JawOpen")}


def test_a_plan_driving_one_key_twice_is_refused_naming_both(blender):
    from multanet_blender.named_keys import KeyPlan
    from multanet_core.errors import MulTaNetError

    plan = KeyPlan(keys=["jawOpen", "jawOpen"], sources=["jawOpen", "JawOpen"], missing=[], convention="x", vrm=False)
    with pytest.raises(MulTaNetError, match="'jawOpen' of 'Hero' would be driven by both 'jawOpen' and 'JawOpen'"):
        plan.check_one_name_per_key("Hero")


def test_fill_key_map_gives_a_name_sharing_a_key_a_row_to_choose_its_own(blender, assets, twin_names):
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", twin_names["JawOpen"]
    settings.bake_mode = "BY_NAME"
    settings.head = "rig"
    obj = character(["jawOpen", "mouthClose", "Jaw_Wide"])
    settings.target = obj
    assert bpy.ops.multanet.fill_key_map() == {"FINISHED"}
    rows = {r.source: r.key for r in obj.multanet_key_map}
    assert rows["jawOpen"] == "jawOpen" and rows["JawOpen"] == ""
    obj.multanet_key_map[[r.source for r in obj.multanet_key_map].index("JawOpen")].key = "Jaw_Wide"
    assert bake(obj, twin_names["JawOpen"], assets) == {"FINISHED"}
    assert driven_paths(obj) == sorted(f'key_blocks["{k}"].value' for k in ("jawOpen", "mouthClose", "Jaw_Wide"))


@needs_aud
def test_bake_all_with_two_head_names_of_one_normal_form_keeps_every_line(blender, assets, twin_names):
    from multanet_blender import batch, lipsync

    scene = bpy.context.scene
    settings = scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = twin_names["JawOpen"]
    obj = character(["jawOpen", "mouthClose"])
    add_strip(assets["wav16"], 1, "Hero: one", channel=1)
    add_strip(assets["wav16"], 200, "Hero: two", channel=1)
    batch.fill_dialogue(scene)
    report = batch.bake_dialogue(scene)
    assert report.ok and [s for s, _ in report.baked] == ["Hero: one", "Hero: two"], report.summary()
    assert lipsync.dialogue_lines(obj) == ["Hero: one", "Hero: two"]
    report = batch.bake_dialogue(scene, [scene.multanet_dialogue.lines[1]])  # re-bake one line: the other stays
    assert report.ok and lipsync.dialogue_lines(obj) == ["Hero: one", "Hero: two"]


# --- 2. the animator's own *.partial files ------------------------------------------------------------

def test_a_cache_bake_deletes_only_its_own_stale_temporary_files(blender, assets, tmp_path):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    folder = tmp_path / "multanet_cache"
    folder.mkdir()
    pid = dead_pid()
    mine = [folder / "shot.pc2.partial", folder / f".render.{pid}.abc.partial", folder / ".render.999999.abc.partial",
            folder / f".notes.txt.{pid}.abcdefgh.partial", folder / "take.abc.partial"]
    for path in mine:
        path.write_bytes(b"the animator's own")
    ours = folder / f".char00.0123abcd.pc2.{pid}.k2j_x8qz.partial"  # a killed cache write of this add-on
    ours.write_bytes(b"half a cache")
    obj = add_head(assets["checkpoint"])
    assert bake(obj, assets["checkpoint"], assets, head="char00", mode="VERTEX_CACHE") == {"FINISHED"}
    assert not ours.exists()
    assert all(p.read_bytes() == b"the animator's own" for p in mine)
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert bpy.ops.multanet.clean_unused_caches() == {"FINISHED"}
    assert all(p.read_bytes() == b"the animator's own" for p in mine)
    assert sorted(os.listdir(folder)) == sorted(p.name for p in mine)


# --- 3. corrupt output reported as success ------------------------------------------------------------

@pytest.mark.parametrize("setting", ["gain", "offset"])
def test_a_nan_key_map_gain_or_offset_is_refused(blender, assets, setting):
    obj = character(["jawOpen", "mouthClose"])
    for name in ("jawOpen", "mouthClose"):
        row = obj.multanet_key_map.add()
        row.source, row.key = name, name
    setattr(obj.multanet_key_map[1], setting, float("nan"))
    msg = refused(f"key map row 2 of 'Hero' (mouthClose -> 'mouthClose'): its {setting} is nan",
                  call=lambda: bake(obj, assets["rig_checkpoint"], assets))
    assert msg.startswith("Error: Generate Lip Sync:")
    setattr(obj.multanet_key_map[1], setting, 1.0 - (setting == "gain"))  # a number again: it bakes
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}


def _jaw_rig(name: str = "Rig", bone: str = "jaw"):
    bpy.ops.object.armature_add()
    arm = bpy.context.active_object
    arm.name = name
    bpy.ops.object.mode_set(mode="EDIT")
    arm.data.edit_bones[0].name = bone
    bpy.ops.object.mode_set(mode="OBJECT")
    arm.pose.bones[bone].rotation_mode = "XYZ"
    return arm


def test_a_nan_jaw_angle_is_refused(blender, assets):
    obj = character(["jawOpen"])
    arm = _jaw_rig()
    obj.multanet_jaw.armature, obj.multanet_jaw.bone = arm, "jaw"
    obj.multanet_jaw.angle = float("nan")
    assert math.isnan(obj.multanet_jaw.angle)
    refused("the jaw bone's open angle is nan, not a number", call=lambda: bake(obj, assets["rig_checkpoint"], assets))
    assert tuple(arm.pose.bones["jaw"].rotation_euler) == (0, 0, 0)


def test_absolute_shape_keys_are_refused_with_what_to_do(blender, assets):
    obj = character(["jawOpen", "mouthClose"])
    obj.data.shape_keys.use_relative = False
    refused("the shape keys of 'Hero' are absolute (Relative is off)", call=lambda: bake(obj, assets["rig_checkpoint"],
                                                                                        assets))
    head = add_head(assets["checkpoint"])
    head.shape_key_add(name="Basis", from_mix=False)
    head.data.shape_keys.use_relative = False
    msg = refused("switch Relative on", call=lambda: bake(head, assets["checkpoint"], assets, head="char00",
                                                          mode="SHAPE_KEYS"))
    assert "bake as Vertex Cache" in msg
    obj.data.shape_keys.use_relative = True  # and with Relative on, it bakes
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}


@pytest.mark.parametrize("mode", ["VERTEX_CACHE", "BY_NAME", "SHAPE_KEYS"])
def test_a_start_frame_beyond_blenders_frames_changes_nothing(blender, assets, tmp_path, mode):
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "shot.blend"))
    if mode == "BY_NAME":
        obj, checkpoint, head = character(["jawOpen", "mouthClose"]), assets["rig_checkpoint"], "rig"
    else:
        obj, checkpoint, head = add_head(assets["checkpoint"]), assets["checkpoint"], "char00"
    assert bake(obj, checkpoint, assets, head=head, mode=mode) == {"FINISHED"}  # the bake already there stays
    record = obj["multanet_lipsync"].to_dict()
    for start in (2 ** 31 - 100, 1048574 - 10, -1048574):
        msg = refused("beyond Blender's frame range (-1048574 to 1048574)", str(tmp_path),
                      call=lambda s=start: bake(obj, checkpoint, assets, head=head, mode=mode,
                                                audio_file=assets["wav16"], audio_frame=s))
        assert "start it on a frame from -1048573 to" in msg
    assert obj["multanet_lipsync"].to_dict() == record
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert "multanet_lipsync" not in obj.keys()


# --- 4. a truncated WAV through aud -------------------------------------------------------------------

def test_a_truncated_wav_is_refused_as_the_command_line_refuses_it(blender, assets, tmp_path):
    from multanet_core.audio import load_speech
    from multanet_core.errors import AudioError

    wav = write_wav(str(tmp_path / "cut.wav"), assets["speech16k"], 16000)
    data = open(wav, "rb").read()
    open(wav, "wb").write(data[:len(data) // 2])
    with pytest.raises(AudioError, match="is truncated: its header declares"):
        load_speech(wav)  # the command line's path
    obj = character(["jawOpen"])
    refused(f"audio file '{wav}' is truncated: its header declares",
            call=lambda: bake(obj, assets["rig_checkpoint"], assets, audio_file=wav, audio_frame=1))
    if HAS_AUD:  # a Sequencer strip of the same file
        add_strip(wav, 1, "cut")
        refused("strip 'cut' (sound 'cut.wav'): its file", call=lambda: bake(obj, assets["rig_checkpoint"], assets,
                                                                            strip="cut"))


@needs_aud
def test_aud_refuses_a_truncated_wav(blender, assets, tmp_path):
    """The aud path itself (not core's soundfile one): the same message."""
    from multanet_blender import audio_in
    from multanet_core.errors import AudioError

    wav = write_wav(str(tmp_path / "cut.wav"), assets["speech16k"], 16000)
    data = open(wav, "rb").read()
    open(wav, "wb").write(data[:len(data) // 3])
    with pytest.raises(AudioError, match=r"is truncated: its header declares [\d.]+ s of audio but the file holds"):
        audio_in.file_samples(wav)
    assert len(audio_in.file_samples(assets["wav16"])) > 0


# --- 5. separators in the names a record keeps --------------------------------------------------------

def test_remove_takes_everything_away_whatever_the_names_hold(blender, assets):
    from multanet_blender import jaw_bone

    odd_key = "jaw\nOpen;a|1"
    obj = character([odd_key, "mouthClose"])
    obj.data.shape_keys.key_blocks[odd_key].value = 0.25  # the animator's own value: Remove gives it back
    for source, key in (("jawOpen", odd_key), ("mouthClose", "mouthClose")):
        row = obj.multanet_key_map.add()
        row.source, row.key = source, key
    arm = _jaw_rig("Rig\nA;B|C", "jaw;1|2\nx")
    obj.multanet_jaw.armature, obj.multanet_jaw.bone, obj.multanet_jaw.angle = arm, "jaw;1|2\nx", math.radians(30)
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}
    assert len(arm.animation_data.drivers) == 1 and arm.animation_data.drivers[0].is_valid
    record = json.loads(obj["multanet_lipsync"]["jaw_driver"])  # structured data, not joined strings
    assert record["armature"] == "Rig\nA;B|C" and record["bone"] == "jaw;1|2\nx"
    assert json.loads(obj["multanet_lipsync"]["driven_values"])[odd_key] == 0.25
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert arm.animation_data is None or not len(arm.animation_data.drivers)
    assert obj.data.shape_keys.key_blocks[odd_key].value == 0.25
    assert obj.data.shape_keys.animation_data is None and not bpy.data.actions
    # a record written before JSON (lines, ';' and '|') is read as before
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}
    plain = _jaw_rig("Jaw Rig", "jaw")
    obj.multanet_jaw.armature, obj.multanet_jaw.bone = plain, "jaw"
    assert bake(obj, assets["rig_checkpoint"], assets) == {"FINISHED"}
    path = 'pose.bones["jaw"].rotation_euler'
    rec = obj["multanet_lipsync"]
    rec["jaw_driver"] = f"Jaw Rig\njaw\n{path}|0"
    assert jaw_bone.parse_record(rec["jaw_driver"]) == ("Jaw Rig", [(path, 0)])
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert plain.animation_data is None or not len(plain.animation_data.drivers)


def test_jaw_records_that_are_not_ours_are_ignored():
    from multanet_blender import jaw_bone

    for text in ("", "{}", "[1, 2]", '{"armature": 5, "channels": []}', "a\nb", "null"):
        assert jaw_bone.parse_record(text) is None, text
    assert jaw_bone.parse_record('{"armature": "R", "channels": [["p", 1], ["q", -1], ["r", true], 5]}') == (
        "R", [("p", 1)])

