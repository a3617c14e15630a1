"""Batch-baking a scene's dialogue in real Blender: the fill rule, NLA strips per line, overlaps, re-bake, cancel."""

from __future__ import annotations

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, add_strip, needs_aud
from test_bake import core_coefficients, key_values

from multanet_blender import batch, lipsync
from multanet_blender.mapping import MeshMotion

pytestmark = needs_aud  # sound strips need Audaspace (absent from the pip bpy 4.2 module)


@pytest.fixture
def cast(blender, assets):
    """Two characters (char00, char01) from the test checkpoint, chosen in the panel."""
    settings = bpy.context.scene.multanet
    settings.model = "FILE"
    settings.checkpoint_path = assets["checkpoint"]
    a = add_head(assets["checkpoint"], "char00")
    b = add_head(assets["checkpoint"], "char01")
    return a, b


def line_values(obj, frame):
    return key_values(obj, frame)


def test_fill_rule_names_channels_and_unassigned(cast, assets):
    a, b = cast
    scene = bpy.context.scene
    add_strip(assets["wav16"], 1, "char00: hello there", channel=1)
    add_strip(assets["wav16"], 300, "narrator take 2", channel=3)
    add_strip(assets["wav16"], 600, "CHAR01: answer", channel=2)  # the name rule ignores case
    add_strip(assets["wav16"], 900, "reply", channel=4)
    assignment = scene.multanet_dialogue.channels.add()
    assignment.channel, assignment.target = 4, b
    messages = batch.fill_dialogue(scene)
    lines = {line.strip: line for line in scene.multanet_dialogue.lines}
    assert [line.strip for line in scene.multanet_dialogue.lines] == [
        "char00: hello there", "narrator take 2", "CHAR01: answer", "reply"]  # timeline order
    assert lines["char00: hello there"].target == a and lines["char00: hello there"].head == "char00"
    assert lines["CHAR01: answer"].target == b and lines["reply"].target == b and lines["reply"].head == "char01"
    assert lines["narrator take 2"].target is None and lines["narrator take 2"].status == "no character"
    assert messages == ["'narrator take 2' (channel 3): no character: name the strip '<object>: ...' or assign "
                        "channel 3 to a character"]
    # the user's edits survive a refill; a deleted strip's line goes
    lines["narrator take 2"].target = a
    lines["reply"].emotion = "random 1"
    editor = scene.sequence_editor
    editor.strips.remove(editor.strips_all["CHAR01: answer"])
    assert batch.fill_dialogue(scene) == []
    lines = {line.strip: line for line in scene.multanet_dialogue.lines}
    assert set(lines) == {"char00: hello there", "narrator take 2", "reply"}
    assert lines["narrator take 2"].target == a and lines["reply"].emotion == "random 1"


def test_bake_all_dialogue_places_one_nla_strip_per_line(cast, assets):
    a, b = cast
    scene = bpy.context.scene
    rest = np.array([v.co for v in a.data.vertices], np.float32)
    s1 = add_strip(assets["wav16"], 10, "char00: first", channel=1)
    s2 = add_strip(assets["wav16"], s1.frame_final_end, "char00: second, right after", channel=1)
    s3 = add_strip(assets["wav16"], 60, "char01: overlapping the other character is fine", channel=2)
    add_strip(assets["wav16"], 500, "nobody", channel=3)
    # an animator's own Action on char00's shape keys stays on top of the lip sync
    a.shape_key_add(name="Basis")
    blink = a.shape_key_add(name="Blink")
    blink.value = 0.0
    blink.keyframe_insert("value", frame=1)
    blink.value = 1.0
    blink.keyframe_insert("value", frame=100)
    own_action = a.data.shape_keys.animation_data.action

    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.baked] == [s1.name, s3.name, s2.name]
    assert report.skipped == [("nobody", "no character assigned: name the strip '<object>: ...' or assign channel 3 "
                                         "to a character")] and not report.failed
    assert report.summary().startswith("baked 3 lines, skipped 1, failed 0")
    key = a.data.shape_keys
    assert key.animation_data.action == own_action  # untouched
    track = key.animation_data.nla_tracks["Lip Sync"]
    assert sorted(n.name for n in track.strips) == sorted([s1.name, s2.name])
    assert len([x for x in bpy.data.actions if x.get("multanet_object") == "char00"]) == 2

    animator, coeffs = core_coefficients(assets, 24.0)
    motion = MeshMotion(animator.head, rest)
    for strip in (s1, s2):
        for frame in (strip.frame_final_start, strip.frame_final_start + 40, strip.frame_final_end - 1):
            mean, values = line_values(a, frame)
            assert mean == 1.0, (strip.name, frame, [(n.name, n.frame_start, n.frame_end, n.extrapolation)
                                                     for n in a.data.shape_keys.animation_data.nla_tracks[0].strips])
            np.testing.assert_allclose(values * motion.key_scale, coeffs[frame - strip.frame_final_start],
                                       rtol=1e-4, atol=1e-6)
    for frame in (1, 9, s2.frame_final_end, s2.frame_final_end + 50):  # before, and after both lines: at rest
        mean, values = line_values(a, frame)
        assert mean == 0 and not values.any()
    scene.frame_set(100)
    assert key.key_blocks["Blink"].value == 1.0  # the hand-keyed blink still plays
    animator_b, coeffs_b = core_coefficients(assets, 24.0, head="char01")
    rest_b = np.array([v.co for v in b.data.vertices], np.float32)
    _, values = line_values(b, 100)
    np.testing.assert_allclose(values * MeshMotion(animator_b.head, rest_b).key_scale, coeffs_b[100 - 60],
                               rtol=1e-4, atol=1e-6)

    # re-baking replaces each line's Action instead of piling them up
    batch.bake_dialogue(scene)
    assert len([x for x in bpy.data.actions if x.get("multanet_object") == "char00"]) == 2
    assert len(track.strips) == 2
    # Remove Lip Sync takes the track, the line Actions and the keys away, and leaves the animator's own
    bpy.ops.multanet.remove_lip_sync(object="char00")
    assert "Lip Sync" not in key.animation_data.nla_tracks
    assert not [x for x in bpy.data.actions if x.get("multanet_object") == "char00"]
    assert [kb.name for kb in key.key_blocks] == ["Basis", "Blink"] and key.animation_data.action == own_action


def test_overlapping_lines_of_one_character_are_reported(cast, assets):
    scene = bpy.context.scene
    add_strip(assets["wav16"], 10, "char00: one", channel=1)
    add_strip(assets["wav16"], 50, "char00: two", channel=2)
    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.baked] == ["char00: one"]
    (strip, why), = report.skipped
    assert strip == "char00: two"
    assert why == "overlaps 'char00: one' (frames 10-145) on the same character 'char00'"
    assert scene.multanet_dialogue.lines["char00: two"].status == "overlap"


def test_cancel_stops_between_lines_and_keeps_what_was_baked(cast, assets):
    scene = bpy.context.scene
    for i in range(3):
        add_strip(assets["wav16"], 10 + 200 * i, f"char00: line {i}", channel=1)
    calls = []
    report = batch.bake_dialogue(scene, on_progress=lambda i, n, name: calls.append((i, n, name)),
                                 should_cancel=lambda: len(calls) >= 1)
    assert report.cancelled and not report.ok
    assert [s for s, _ in report.baked] == ["char00: line 0"]
    assert report.skipped == [("char00: line 1", "cancelled"), ("char00: line 2", "cancelled")]
    track = bpy.data.objects["char00"].data.shape_keys.animation_data.nla_tracks["Lip Sync"]
    assert [n.name for n in track.strips] == ["char00: line 0"]


def test_bake_all_operator_and_a_broken_checkpoint(cast, assets, tmp_path):
    scene = bpy.context.scene
    add_strip(assets["wav16"], 10, "char01: hi", channel=1)
    assert bpy.ops.multanet.bake_all_dialogue() == {"FINISHED"}
    assert scene.multanet_dialogue.last_summary == "baked 1 line, skipped 0, failed 0"
    assert lipsync.has_lip_sync(bpy.data.objects["char01"])
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"PK\x03\x04 not really")
    scene.multanet.checkpoint_path = str(broken)
    report = batch.bake_dialogue(scene)
    assert report.failed and "broken.npz" in report.failed[0][1] and not report.baked


def test_a_renamed_strip_replaces_its_old_line_and_a_strip_in_the_way_is_named(cast, assets):
    """Renamed in the Sequencer after a bake, then Fill from Strips and Bake All again: the old name's NLA
    strip (the add-on's own, its sound strip gone) gives way to the new line instead of failing it."""
    scene = bpy.context.scene
    add_strip(assets["wav16"], 10, "char00: first", channel=1)
    second = add_strip(assets["wav16"], 300, "char00: second", channel=1)
    assert not batch.bake_dialogue(scene).failed
    second.name = "char00: second (take 2)"
    assert batch.fill_dialogue(scene) == []
    report = batch.bake_dialogue(scene)
    assert not report.failed, report.summary()
    track = bpy.data.objects["char00"].data.shape_keys.animation_data.nla_tracks["Lip Sync"]
    assert sorted(n.name for n in track.strips) == ["char00: first", "char00: second (take 2)"]
    assert sorted(a.get("multanet_strip") for a in bpy.data.actions if a.get("multanet_object") == "char00") == [
        "char00: first", "char00: second (take 2)"]  # the old line's Action went with it
    # an NLA strip that is no stale line (here: the animator's own) is never removed, but named
    own = bpy.data.actions.new("hand keyed")
    blocker = track.strips.new("my take", 600, own)
    second.frame_start = 600
    report = batch.bake_dialogue(scene)
    (strip, why), = report.failed
    assert strip == "char00: second (take 2)" and "in the way: NLA strip 'my take' (frames 600-" in why
    assert ", not a line): move or remove it" in why and blocker.name in [n.name for n in track.strips]
