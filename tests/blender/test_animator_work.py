"""Nothing an animator made is lost (issue 28): a single bake never wipes a character's dialogue lines, Bake All
never drops a single bake, a bake by name leaves the keys the head never moves alone, and Remove gives back
every value as it was. One scene holds all of an animator's own work through re-bake, Bake All and Remove."""

from __future__ import annotations

import os

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, character, needs_aud, scene_state

from multanet_blender import batch, blender_compat, lipsync

pytestmark = needs_aud  # sound strips need Audaspace (absent from the pip bpy 4.2 module)

DEFAULT = os.path.join(os.path.dirname(lipsync.__file__), "models", "default.npz")


def own_keys(obj) -> list[tuple[str, tuple]]:
    """Every F-curve of ``obj``'s shape keys' Actions that are not this add-on's, with its keyframes."""
    out = []
    for action in bpy.data.actions:
        if lipsync.is_own_action(action):
            continue
        for fc in blender_compat.action_fcurves(action, obj.data.shape_keys):
            co = np.empty(2 * len(fc.keyframe_points), np.float32)
            fc.keyframe_points.foreach_get("co", co)
            out.append((action.name, fc.data_path, tuple(co.round(6))))
    return sorted(out)


def track_lines(obj) -> list[str]:
    return lipsync.dialogue_lines(obj)


@pytest.fixture
def hero(blender, assets):
    """char00 of the test checkpoint, chosen in the panel, with the animator's own shape key and Action."""
    settings = bpy.context.scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = assets["checkpoint"]
    obj = add_head(assets["checkpoint"], "char00")
    obj.shape_key_add(name="Basis")
    blink = obj.shape_key_add(name="Blink")
    blink.value = 0.0
    blink.keyframe_insert("value", frame=1)
    blink.value = 1.0
    blink.keyframe_insert("value", frame=40)
    obj.data.shape_keys.animation_data.action.name = "Animator blink"
    return obj


def generate(obj, assets, strip: str, **kwargs):
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                              strip=strip, **kwargs)


def test_generate_refuses_to_replace_a_characters_dialogue_lines(hero, assets):
    scene = bpy.context.scene
    s1 = add_strip(assets["wav16"], 10, "char00: first", channel=1)
    add_strip(assets["wav16"], s1.frame_final_end + 20, "char00: second", channel=1)
    add_strip(assets["wav16"], 400, "extra take", channel=2)
    report = batch.bake_dialogue(scene)
    assert len(report.baked) == 2 and track_lines(hero) == ["char00: first", "char00: second"]
    before = scene_state()
    record = hero["multanet_lipsync"].to_dict()
    with pytest.raises(RuntimeError, match=r"holds 2 dialogue lines .*'char00: first', 'char00: second'.*"
                                           r"Bake All Dialogue.*Remove Lip Sync"):
        generate(hero, assets, "extra take")
    assert scene_state() == before and hero["multanet_lipsync"].to_dict() == record
    assert track_lines(hero) == ["char00: first", "char00: second"]
    assert [line.status for line in scene.multanet_dialogue.lines if line.target == hero] == ["baked", "baked"]


def test_bake_all_refuses_to_drop_a_single_bake(blender, assets):
    scene = bpy.context.scene
    settings = scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = assets["checkpoint"]
    a, b = add_head(assets["checkpoint"], "char00"), add_head(assets["checkpoint"], "char01")
    add_strip(assets["wav16"], 400, "take 7", channel=3)
    assert generate(a, assets, "take 7") == {"FINISHED"}
    single = a["multanet_lipsync"].to_dict()
    action = a.data.shape_keys.animation_data.action.name
    add_strip(assets["wav16"], 10, "char00: hello", channel=1)
    add_strip(assets["wav16"], 10, "char01: hi", channel=2)
    batch.fill_dialogue(scene)
    for line in scene.multanet_dialogue.lines:
        line.use = line.strip != "take 7"  # a strip nobody's line (no character) anyway
    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.baked] == ["char01: hi"]  # the other character bakes as before
    assert [s for s, _ in report.failed] == ["char00: hello"]
    why = report.failed[0][1]
    assert "single bake from Generate Lip Sync (strip 'take 7'" in why and "Remove Lip Sync from 'char00'" in why
    assert "FAILED 'char00: hello'" in report.summary() and not report.ok
    # the single bake is exactly as it was
    assert a["multanet_lipsync"].to_dict() == single
    assert a.data.shape_keys.animation_data.action.name == action
    assert not track_lines(a)
    # a character whose lines were baked with another checkpoint: all its lines, or none
    other = os.path.join(assets["root"], "other.npz")
    import shutil

    shutil.copy(assets["checkpoint"], other)
    batch.fill_dialogue(scene)
    add_strip(assets["wav16"], 300, "char01: later", channel=2)
    batch.fill_dialogue(scene)
    lines = {line.strip: line for line in scene.multanet_dialogue.lines}
    assert batch.bake_dialogue(scene, [lines["char01: later"]]).baked
    settings.checkpoint_path = other
    report = batch.bake_dialogue(scene, [lines["char01: later"]])
    assert [s for s, _ in report.failed] == ["char01: later"] and "'char01: hi'" in report.failed[0][1]
    assert track_lines(b) == ["char01: hi", "char01: later"]
    report = batch.bake_dialogue(scene, [lines["char01: hi"], lines["char01: later"]])
    assert len(report.baked) == 2 and b["multanet_lipsync"]["checkpoint"] == other


def test_by_name_keys_only_what_the_head_moves_and_remove_gives_values_back(blender, assets, capfd):
    add_strip(assets["wav16"], 1, "line")
    own = {"jawOpen": 0.1, "mouthClose": 0.0, "mouthSmileLeft": 0.4, "mouthSmileRight": 0.4, "eyeBlinkLeft": 0.2}
    obj = character(list(own), values=list(own.values()))
    assert bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=DEFAULT, head="arkit", bake_mode="BY_NAME",
                                              strip="line") == {"FINISHED"}
    key = obj.data.shape_keys
    keyed = sorted(fc.data_path.split('"')[1] for fc in blender_compat.action_fcurves(key.animation_data.action, key))
    assert keyed == ["jawOpen", "mouthClose"]  # the bundled head never moves a smile or a blink
    out = capfd.readouterr().out
    assert "left 3 shape keys that the head never moves as they are (eyeBlinkLeft, mouthSmileLeft, mouthSmileRight)" \
        in out
    bpy.context.scene.frame_set(30)
    assert key.key_blocks["mouthSmileLeft"].value == pytest.approx(0.4)  # the animator's smile holds
    assert key.key_blocks["eyeBlinkLeft"].value == pytest.approx(0.2)
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert {kb.name: round(kb.value, 6) for kb in key.key_blocks[1:]} == own


def test_a_scene_of_the_animators_own_work_survives_rebake_bake_all_and_remove(hero, assets):
    scene = bpy.context.scene
    b = add_head(assets["checkpoint"], "char01")
    b.shape_key_add(name="Basis")
    smile = b.shape_key_add(name="Smile")
    smile.value = 0.4  # a value, not animated
    # the animator's own Action on char01 pushed down to their own NLA track
    smile.keyframe_insert("value", frame=5)
    anim = b.data.shape_keys.animation_data
    pushed = anim.action
    pushed.name = "Animator smile"
    track = anim.nla_tracks.new()
    track.name = "Animator layer"
    track.strips.new("smile", 5, pushed)
    anim.action = None
    smile.value = 0.4
    s1 = add_strip(assets["wav16"], 10, "char00: first", channel=1)
    add_strip(assets["wav16"], s1.frame_final_end + 5, "char00: second", channel=1)
    add_strip(assets["wav16"], 10, "char01: reply", channel=2)
    mine = own_keys(hero) + own_keys(b)
    assert mine
    for _ in range(2):  # bake all, then again (a re-bake replaces only the lines it bakes)
        report = batch.bake_dialogue(scene)
        assert len(report.baked) == 3 and not report.failed
    assert track_lines(hero) == ["char00: first", "char00: second"] and track_lines(b) == ["char01: reply"]
    assert own_keys(hero) + own_keys(b) == mine
    assert hero.data.shape_keys.animation_data.action.name == "Animator blink"  # still on top, still playing
    assert [t.name for t in b.data.shape_keys.animation_data.nla_tracks] == ["Animator layer", lipsync.NLA_TRACK]
    with pytest.raises(RuntimeError, match="dialogue lines"):
        generate(hero, assets, "char00: first")
    for obj in (hero, b):
        assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert own_keys(hero) + own_keys(b) == mine
    assert hero.data.shape_keys.animation_data.action.name == "Animator blink"
    assert [t.name for t in b.data.shape_keys.animation_data.nla_tracks] == ["Animator layer"]
    assert b.data.shape_keys.key_blocks["Smile"].value == pytest.approx(0.4)
    assert [kb.name for kb in hero.data.shape_keys.key_blocks] == ["Basis", "Blink"]
    assert [kb.name for kb in b.data.shape_keys.key_blocks] == ["Basis", "Smile"]


def test_remove_of_a_vertex_cache_reads_as_one_sentence(hero, assets, capfd, tmp_path):
    add_strip(assets["wav16"], 1, "take")
    assert generate(hero, assets, "take", bake_mode="VERTEX_CACHE", cache_dir=str(tmp_path)) == {"FINISHED"}
    capfd.readouterr()
    assert bpy.ops.multanet.remove_lip_sync(object=hero.name) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "removed lip sync from 'char00': the Mesh Cache modifier (its cache '" in out and ", (" not in out, out
