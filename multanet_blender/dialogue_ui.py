"""The dialogue list in Blender: who speaks each Sequencer strip, and Bake All Dialogue (modal, Esc cancels)."""

from __future__ import annotations

import bpy
from bpy.props import (
    BoolProperty,
    CollectionProperty,
    EnumProperty,
    FloatProperty,
    IntProperty,
    PointerProperty,
    StringProperty,
)

from multanet_core.script import DEFAULT_LANGUAGE
from multanet_core.text import printable

from . import batch, blender_compat, properties, ui_text

_line_preset_items: list = []  # Blender keeps only the strings of a dynamic enum's items that Python holds


def _is_mesh(self, obj) -> bool:
    return obj.type == "MESH"


class MULTANET_PG_line(bpy.types.PropertyGroup):
    strip: StringProperty(name="Strip", description="The Sequencer sound strip of this line")
    use: BoolProperty(name="Bake", default=True, description="Bake this line with Bake All Dialogue")
    target: PointerProperty(name="Character", type=bpy.types.Object, poll=_is_mesh,
                            description="The mesh object that speaks this line")
    head: StringProperty(name="Head", description="The checkpoint head (empty: the one matching the mesh)")
    emotion: StringProperty(name="Emotion", description="Emotion preset (empty: neutral)")
    strength: FloatProperty(name="Strength", default=1.0, min=0.0, max=4.0)
    text: StringProperty(name="Text", description="The words this line says (its script), optional: they seal the "
                                                  "lips on every P, B and M and rest the face in pauses. Empty: a "
                                                  ".txt beside the strip's sound file with its name, else the audio")
    language: StringProperty(name="Language", default=DEFAULT_LANGUAGE,
                             description="The script's language, an espeak-ng voice name (en-us, es, fr, ...)")
    status: StringProperty(name="Status")


class MULTANET_PG_channel(bpy.types.PropertyGroup):
    channel: IntProperty(name="Channel", default=1, min=1, max=128)
    target: PointerProperty(name="Character", type=bpy.types.Object, poll=_is_mesh)


class MULTANET_PG_dialogue(bpy.types.PropertyGroup):
    lines: CollectionProperty(type=MULTANET_PG_line)
    active: IntProperty(name="Active Line")
    channels: CollectionProperty(type=MULTANET_PG_channel)
    last_summary: StringProperty(name="Last Bake")


class MULTANET_UL_dialogue(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.prop(item, "use", text="")
        ok = item.target is not None and item.head
        row.label(text=item.strip, icon="SOUND" if ok else "ERROR")
        row.prop(item, "target", text="")
        if item.emotion:  # the line's emotion, where it has one (neutral otherwise)
            strength = f" {item.strength:g}" if item.strength != 1.0 else ""
            row.label(text=printable(item.emotion) + strength, icon="MONKEY")
        if item.text.strip():  # the line's script, where it has one
            row.label(text="", icon="TEXT")
        row.label(text=item.status or "")


def _has_sound_strips(cls, context) -> bool:
    if context.scene is not None and blender_compat.sound_strips(context.scene):
        return True
    cls.poll_message_set("The Sequencer has no sound strips: add the dialogue's audio there first")
    return False


class MULTANET_OT_fill_dialogue(bpy.types.Operator):
    """Fill the dialogue list from the Sequencer's sound strips ('<object>: ...' names, or assigned channels)"""

    bl_idname = "multanet.fill_dialogue"
    bl_label = "Fill from Strips"
    bl_options = {"REGISTER", "UNDO"}
    poll = classmethod(_has_sound_strips)

    def execute(self, context):
        messages = batch.fill_dialogue(context.scene)
        lines = context.scene.multanet_dialogue.lines
        for message in messages:
            self.report({"WARNING"}, message)
        self.report({"INFO"}, f"{len(lines)} dialogue lines, {len(messages)} need attention")
        return {"FINISHED"}


def active_line(scene):
    """The dialogue list's active line, or None."""
    dialogue = scene.multanet_dialogue
    return dialogue.lines[dialogue.active] if 0 <= dialogue.active < len(dialogue.lines) else None


def line_presets(scene) -> list[str]:
    """The emotion presets of the active line's head (its own, else the one that matches its mesh) in the
    panel's checkpoint; [] when there is no such line, checkpoint or head."""
    line = active_line(scene)
    ckpt, _ = properties.panel_checkpoint(scene.multanet)
    if line is None or ckpt is None:
        return []
    name = line.head or batch.head_for_mesh(ckpt, line.target)
    head = next((h for h in ckpt.heads if h.name == name), None)
    return list(head.presets) if head is not None else []


def _line_preset_enum(self, context):
    names = line_presets(context.scene) if context is not None and context.scene is not None else []
    _line_preset_items[:] = [(properties.enum_id(n), printable(n) or "(empty name)", f"emotion preset '{printable(n)}'")
                             for n in names] or [(properties.NONE, "(none)", "the line's head has no presets")]
    return _line_preset_items


class MULTANET_OT_pick_line_emotion(bpy.types.Operator):
    """Set the active dialogue line's emotion to one of its head's presets"""

    bl_idname = "multanet.pick_line_emotion"
    bl_label = "Pick Emotion Preset"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}
    bl_property = "preset"

    preset: EnumProperty(name="Preset", items=_line_preset_enum)

    def execute(self, context):
        line = active_line(context.scene)
        name = properties.enum_value(self.preset)
        if line is None or name not in line_presets(context.scene):
            self.report({"ERROR"}, "Pick Emotion Preset: the active line's head has no such preset (choose the "
                                   "line's character and the panel's checkpoint first)")
            return {"CANCELLED"}
        line.emotion = "" if name == "neutral" else name
        return {"FINISHED"}


class MULTANET_OT_add_channel(bpy.types.Operator):
    """Assign a Sequencer channel to a character"""

    bl_idname = "multanet.add_channel"
    bl_label = "Assign Channel"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    def execute(self, context):
        channels = context.scene.multanet_dialogue.channels
        item = channels.add()
        item.channel = max((c.channel for c in channels), default=0) + 1 if len(channels) > 1 else 1
        return {"FINISHED"}


class MULTANET_OT_remove_channel(bpy.types.Operator):
    """Remove a channel assignment"""

    bl_idname = "multanet.remove_channel"
    bl_label = "Remove Channel Assignment"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    index: IntProperty()

    def execute(self, context):
        context.scene.multanet_dialogue.channels.remove(self.index)
        return {"FINISHED"}


class MULTANET_OT_bake_all_dialogue(bpy.types.Operator):
    """Bake every dialogue line as an NLA strip on its character's "Lip Sync" track (Esc to stop)"""

    bl_idname = "multanet.bake_all_dialogue"
    bl_label = "Bake All Dialogue"
    bl_options = {"REGISTER", "UNDO"}
    poll = classmethod(_has_sound_strips)

    _timer = None
    _cancel = False
    _steps = None  # batch.bake_steps: the one batch driver
    _step: batch.Step | None = None

    def _finish(self, context, report: batch.BatchReport):
        for strip, why in report.warnings:
            self.report({"WARNING"}, f"'{strip}': {why}")
        for strip, why in report.skipped:
            self.report({"WARNING"}, f"skipped '{strip}': {why}")
        for strip, why in report.failed:
            self.report({"ERROR"}, f"'{strip}': {why}")
        self.report({"INFO"} if report.ok and not report.warnings else {"WARNING"},
                    "Bake All Dialogue: " + report.summary().splitlines()[0])
        return {"FINISHED"} if report.baked or report.ok else {"CANCELLED"}

    def execute(self, context):
        """Headless (scripts, command line): the whole batch in one go."""
        return self._finish(context, batch.bake_dialogue(context.scene))

    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        self._steps, self._cancel = batch.bake_steps(context.scene), False
        try:
            self._step = next(self._steps)
        except StopIteration as done:  # nothing to bake: the report says why
            return self._finish(context, done.value)
        wm = context.window_manager
        wm.progress_begin(0, self._step.total)
        self._timer = wm.event_timer_add(0.01, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._cancel = True
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            return {"PASS_THROUGH"}  # the viewport, timeline and panels stay usable while lines bake
        step = self._step
        if context.area:
            context.area.header_text_set(f"Baking dialogue {step.index + 1}/{step.total}: {step.strip}  (Esc: stop)")
        try:
            self._step = self._steps.send(self._cancel)  # one line per tick
        except StopIteration as done:
            return self._end(context, done.value)
        context.window_manager.progress_update(self._step.index)
        return {"RUNNING_MODAL"}

    def _end(self, context, report: batch.BatchReport):
        wm = context.window_manager
        wm.event_timer_remove(self._timer)
        wm.progress_end()
        if context.area:
            context.area.header_text_set(None)
        return self._finish(context, report)


class MULTANET_PT_dialogue(bpy.types.Panel):
    bl_idname = "MULTANET_PT_dialogue"
    bl_label = "Dialogue"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lip Sync"
    bl_parent_id = "MULTANET_PT_lip_sync"

    def draw(self, context):
        layout = self.layout
        dialogue = context.scene.multanet_dialogue
        layout.template_list("MULTANET_UL_dialogue", "", dialogue, "lines", dialogue, "active", rows=4)
        if 0 <= dialogue.active < len(dialogue.lines):
            line = dialogue.lines[dialogue.active]
            box = layout.box()
            box.prop(line, "target")
            box.prop(line, "head")
            row = box.row(align=True)
            row.prop(line, "emotion")
            row.operator_menu_enum("multanet.pick_line_emotion", "preset", text="", icon="DOWNARROW_HLT")
            row.prop(line, "strength", text="")
            row = box.row(align=True)
            row.prop(line, "text", icon="TEXT")
            row.prop(line, "language", text="")
            if line.status.startswith("baked: "):  # baked with a warning (mostly not speech): the whole of it
                ui_text.label(box, context, line.status, icon="ERROR")
        box = layout.box()
        box.label(text="Channels assigned to characters:")
        for i, item in enumerate(dialogue.channels):
            row = box.row(align=True)
            row.prop(item, "channel", text="")
            row.prop(item, "target", text="")
            row.operator("multanet.remove_channel", text="", icon="X").index = i
        box.operator("multanet.add_channel", icon="ADD")
        row = layout.row(align=True)
        row.operator("multanet.fill_dialogue", icon="FILE_REFRESH")
        row.operator("multanet.bake_all_dialogue", icon="NLA")
        if dialogue.last_summary:
            ui_text.label(layout, context, dialogue.last_summary, icon="INFO")


classes = (MULTANET_PG_line, MULTANET_PG_channel, MULTANET_PG_dialogue, MULTANET_UL_dialogue,
           MULTANET_OT_fill_dialogue, MULTANET_OT_pick_line_emotion, MULTANET_OT_add_channel,
           MULTANET_OT_remove_channel,
           MULTANET_OT_bake_all_dialogue, MULTANET_PT_dialogue)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register() -> None:
    _register()
    bpy.types.Scene.multanet_dialogue = PointerProperty(type=MULTANET_PG_dialogue)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Scene.multanet_dialogue  # type: ignore[attr-defined]
    _unregister()
