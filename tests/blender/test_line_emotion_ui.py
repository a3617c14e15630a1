"""The dialogue list offers the active line's head's emotion presets, and shows a line's emotion in its row."""

from __future__ import annotations

import bpy
import pytest
from bl_helpers import add_head, add_strip, needs_aud

from multanet_blender import batch, dialogue_ui
from multanet_core.checkpoint import load_checkpoint


@needs_aud
def test_pick_emotion_offers_the_lines_head_presets_and_sets_the_line(blender, assets):
    scene = bpy.context.scene
    settings = scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["checkpoint"]
    add_head(assets["checkpoint"], "char00")
    add_strip(assets["wav16"], 1, "char00: hello")
    batch.fill_dialogue(scene)
    presets = list(load_checkpoint(assets["checkpoint"]).head("char00").presets)
    assert dialogue_ui.line_presets(scene) == presets  # the line's head, found from its mesh
    items = [i[0] for i in dialogue_ui._line_preset_enum(None, bpy.context)]
    assert items == presets
    other = next(p for p in presets if p != "neutral")
    assert bpy.ops.multanet.pick_line_emotion(preset=other) == {"FINISHED"}
    line = scene.multanet_dialogue.lines["char00: hello"]
    assert line.emotion == other
    assert bpy.ops.multanet.pick_line_emotion(preset="neutral") == {"FINISHED"}
    assert line.emotion == ""  # neutral is the default: no emotion set
    scene.multanet_dialogue.active = 5  # no such line: refused, nothing changes
    line.emotion = other
    assert dialogue_ui.line_presets(scene) == []
    assert [i[0] for i in dialogue_ui._line_preset_enum(None, bpy.context)] == ["NONE"]
    with pytest.raises(RuntimeError, match="the active line's head has no such preset"):  # its error report
        bpy.ops.multanet.pick_line_emotion(preset="NONE")
    assert line.emotion == other


@needs_aud
def test_a_lines_row_shows_its_emotion(blender, assets):
    scene = bpy.context.scene
    add_head(assets["checkpoint"], "char00")
    add_strip(assets["wav16"], 1, "char00: hello")
    batch.fill_dialogue(scene)
    line = scene.multanet_dialogue.lines[0]
    shown = []

    class Row:
        def prop(self, *args, **kwargs):
            pass

        def label(self, text="", **kwargs):
            shown.append(text)

    class Layout:
        def row(self, **kwargs):
            return Row()

    dialogue_ui.MULTANET_UL_dialogue.draw_item(None, bpy.context, Layout(), None, line, 0, None, None)
    assert shown == ["char00: hello", line.status]
    line.emotion, line.strength = "slightly open", 0.5
    shown.clear()
    dialogue_ui.MULTANET_UL_dialogue.draw_item(None, bpy.context, Layout(), None, line, 0, None, None)
    assert shown == ["char00: hello", "slightly open 0.5", line.status]
