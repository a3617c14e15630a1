"""What differs between Blender 4.2 LTS and 5.x, in one place.

* Sequencer strips: ``strips_all`` (5.x) / ``sequences_all`` (4.2); sound strips are
  ``SoundStrip`` / ``SoundSequence``.
* Actions: 4.4+ are slotted (a slot per animated ID, F-curves in the slot's channelbag;
  ``Action.fcurves`` is gone in 5.0); 4.2 has ``Action.fcurves``.
* Path properties: 5.0 warns when a ``//`` path is set on a FILE_PATH / DIR_PATH property without the
  ``PATH_SUPPORTS_BLEND_RELATIVE`` option, which 4.2 does not know (:func:`path_options`).
"""

from __future__ import annotations

import bpy


def _has_prop(rna_owner, name: str) -> bool:
    return name in rna_owner.bl_rna.properties.keys()


def path_options(*options: str) -> set[str]:
    """``options`` for a StringProperty path that may be ``//``-relative (plus the flag saying so, where
    Blender has it)."""
    return set(options) | ({"PATH_SUPPORTS_BLEND_RELATIVE"} if _has_prop(bpy.types.Property,
                                                                         "is_path_supports_blend_relative") else set())


def all_strips(scene) -> list:
    """Every strip of the scene's Sequencer, meta strips' contents included ([] without a Sequencer)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if _has_prop(editor, "strips_all") else editor.sequences_all)


def meta_of(scene, strip):
    """The meta strip that holds ``strip`` (None when it is at the Sequencer's top level)."""
    for meta in all_strips(scene):
        if meta.type == "META" and (meta.strips if _has_prop(meta, "strips") else meta.sequences).get(strip.name):
            return meta
    return None


def top_strips(scene):
    """The collection new strips are added to (``strips`` / ``sequences``); creates the Sequencer."""
    editor = scene.sequence_editor or scene.sequence_editor_create()
    return editor.strips if _has_prop(editor, "strips") else editor.sequences


def sound_strips(scene) -> list:
    return [s for s in all_strips(scene) if s.type == "SOUND"]


def slotted_actions() -> bool:
    return _has_prop(bpy.types.Action, "slots")


def assign_action(id_data, action) -> None:
    """Make ``action`` the active action of ``id_data`` (in its own slot on 4.4+)."""
    anim = id_data.animation_data or id_data.animation_data_create()
    anim.action = action
    if slotted_actions():
        slot = action_slot(action, id_data)
        if anim.action_slot != slot:
            anim.action_slot = slot


def action_slot(action, id_data):
    """The action's slot for ``id_data`` (4.4+), created on first use."""
    for slot in action.slots:
        if slot.target_id_type == id_data.id_type:
            return slot
    return action.slots.new(id_type=id_data.id_type, name=id_data.name)


def action_fcurves(action, id_data):
    """The F-curve collection that animates ``id_data`` through ``action``."""
    if slotted_actions():
        from bpy_extras import anim_utils

        return anim_utils.action_ensure_channelbag_for_slot(action, action_slot(action, id_data)).fcurves
    return action.fcurves


def new_action(name: str, id_data):
    """A new, empty Action meant for ``id_data`` (with its slot on 4.4+)."""
    action = bpy.data.actions.new(name)
    if slotted_actions():
        action_slot(action, id_data)
    else:
        action.id_root = id_data.id_type  # type: ignore[attr-defined]  # 4.2's unslotted Actions
    return action


def write_keys(fcurve, frames, values) -> None:
    """Dense keys in one go (``keyframe_points.add`` + ``foreach_set``), linear between frames."""
    import numpy as np

    n = len(frames)
    points = fcurve.keyframe_points
    points.add(n)
    co = np.empty(2 * n, dtype=np.float32)
    co[0::2] = frames
    co[1::2] = values
    points.foreach_set("co", co)
    interpolation = bpy.types.Keyframe.bl_rna.properties["interpolation"]
    linear = interpolation.enum_items["LINEAR"].value  # type: ignore[attr-defined]  # an EnumProperty
    points.foreach_set("interpolation", np.full(n, linear, dtype=np.int32))
    fcurve.update()
