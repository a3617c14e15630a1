"""A strip that is silent in playback (muted, on a muted channel, at volume 0) still bakes from its sound,
and the report says that it is silent."""

from __future__ import annotations

import bpy
import pytest
from bl_helpers import add_head, add_strip, needs_aud


@needs_aud
@pytest.mark.parametrize("silence, note", [
    (lambda strip, scene: setattr(strip, "mute", True), "strip 'line' is muted, so it is silent in playback"),
    (lambda strip, scene: setattr(scene.sequence_editor.channels[strip.channel], "mute", True),
     "strip 'line' is on channel 2, which is muted, so it is silent in playback"),
    (lambda strip, scene: setattr(strip, "volume", 0.0), "strip 'line' plays at volume 0, so it is silent in playback"),
    (lambda strip, scene: None, None),
])
def test_a_silent_strip_bakes_with_a_note(blender, assets, capfd, silence, note):
    obj = add_head(assets["checkpoint"])
    strip = add_strip(assets["wav16"], frame_start=1, channel=2)
    silence(strip, bpy.context.scene)
    capfd.readouterr()
    assert bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                              strip="line") == {"FINISHED"}
    report = capfd.readouterr().out
    assert "lip sync for 'char00'" in report, report
    if note is None:
        assert "silent" not in report
    else:
        assert f"; note: {note} (baked from its sound all the same)" in report, report
    assert obj.data.shape_keys.animation_data.action is not None


@needs_aud
def test_a_strip_in_a_muted_meta_strip(blender, assets):
    from multanet_blender import bake_checks, blender_compat

    scene = bpy.context.scene
    strip = add_strip(assets["wav16"], frame_start=1, channel=2)
    meta = blender_compat.top_strips(scene).new_meta("dialogue", 3, 1)
    strip.move_to_meta(meta)
    assert bake_checks.playback_note(scene, strip) == ""
    meta.mute = True
    assert bake_checks.playback_note(scene, strip) == (
        "the meta strip 'dialogue' holding strip 'line' is muted, so it is silent in playback")


@needs_aud
def test_bake_all_says_which_lines_are_silent_in_playback(blender, assets, capfd):
    """Bake All and the bake command line print the batch's warnings: a muted line is one of them (its note used
    to stay inside the per-line message, which neither shows)."""
    from multanet_blender import batch

    scene = bpy.context.scene
    obj = add_head(assets["checkpoint"])
    scene.multanet.model, scene.multanet.checkpoint_path = "FILE", assets["checkpoint"]
    add_strip(assets["wav16"], 1, "char00: hello", channel=1)
    add_strip(assets["wav16"], 300, "char00: aside", channel=2).mute = True
    report = batch.bake_dialogue(scene)
    assert report.ok and [s for s, _ in report.baked] == ["char00: hello", "char00: aside"]
    note = "strip 'char00: aside' is muted, so it is silent in playback (baked from its sound all the same)"
    assert report.warnings == [("char00: aside", note)]
    lines = scene.multanet_dialogue.lines
    assert lines["char00: hello"].status == "baked" and lines["char00: aside"].status == f"baked: {note}"
    assert f"  warning 'char00: aside': {note}" in report.summary()
    assert obj.data.shape_keys.animation_data.nla_tracks
