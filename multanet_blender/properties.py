"""The Lip Sync panel's state, one PropertyGroup on each scene (``scene.multanet``)."""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

from multanet_core.errors import MulTaNetError
from multanet_core.script import DEFAULT_LANGUAGE
from multanet_core.text import printable

from . import blender_compat, checkpoints, preferences

# Blender keeps only a pointer to dynamic enum item strings: the lists must outlive the callback.
_head_items: list = []
_emotion_items: list = []


NONE = "NONE"  # a dynamic enum's placeholder item: no checkpoint, no heads, no presets
_HEX = "HEX:"  # an identifier that spells a name Blender cannot hold as one, in its UTF-8 bytes


def enum_id(name: str) -> str:
    """The dynamic enum identifier of a head or preset ``name``: the name itself, unless Blender cannot hold it as
    an identifier (empty: the item could not be picked; a NUL cuts it short) or it reads as another (the
    placeholder NONE, or HEX:...); then HEX: and its UTF-8 bytes in hex. :func:`enum_value` reads it back."""
    if name and name.isprintable() and name != NONE and not name.startswith(_HEX):
        return name
    return _HEX + name.encode("utf-8", "surrogatepass").hex()


def enum_value(value: str) -> str:
    """The name a dynamic enum's value (:func:`enum_id`) stands for, or '' for its placeholder item NONE."""
    if value == NONE:
        return ""
    if value.startswith(_HEX):
        try:
            return bytes.fromhex(value[len(_HEX):]).decode("utf-8", "surrogatepass")
        except ValueError:
            return value
    return value


def head_name(settings) -> str | None:
    """The panel's head, by name (which may be ''), or None when none is chosen (no checkpoint, no heads)."""
    value = settings.head
    return None if value in ("", NONE) else enum_value(value)


def _label(name: str) -> str:
    """How the panel shows a name from a checkpoint: control characters escaped, an empty one said."""
    return printable(name) if name else "(empty name)"


def target_object(context):
    """The panel's target mesh, else the active object."""
    return context.scene.multanet.target or context.active_object


def checkpoint_path(settings) -> str:
    """The absolute path of the panel's checkpoint."""
    if settings.model == "DEFAULT":
        return checkpoints.DEFAULT_MODEL
    return bpy.path.abspath(settings.checkpoint_path) if settings.checkpoint_path else ""


def panel_checkpoint(settings):
    """The panel's checkpoint through the add-on's one cached loader (checkpoints.load, over core's
    load_checkpoint): (checkpoint, None), or (None, why not) for the panel to show."""
    try:
        return checkpoints.load(checkpoint_path(settings)), None
    except MulTaNetError as exc:
        return None, str(exc)


BAKE_MODES = [
    ("SHAPE_KEYS", "Shape Keys", "One shape key per PCA component, keyed on one Action"),
    ("VERTEX_CACHE", "Vertex Cache", "A PC2 point cache played by a Mesh Cache modifier"),
    ("BY_NAME", "Shape Keys by Name",
     "A rig head's named weights keyed onto your character's own shape keys (ARKit-52, VRM, ...)"),
]


def has_contact(ckpt) -> bool:
    """Whether ``ckpt`` (None: none loaded) has a lip-contact head, so that Lip Contact does something."""
    return ckpt is not None and ckpt.network.contact_outputs > 0


def _heads(self, context):
    """Mesh heads, or for Shape Keys by Name the rig heads."""
    ckpt, _ = panel_checkpoint(self)
    by_name = self.bake_mode == "BY_NAME"
    heads = (ckpt.rig_heads if by_name else ckpt.mesh_heads) if ckpt else []
    _head_items[:] = [(enum_id(h.name), _label(h.name), f"{len(h.weight_names)} named weights" if h.is_rig
                       else f"{h.n_vertices:,} vertices, {h.n_components} components") for h in heads] or [
        (NONE, "(no rig heads)" if by_name and ckpt else "(no heads)",
         "this checkpoint has no rig head" if by_name and ckpt else "no checkpoint loaded")]
    return _head_items


def _emotions(self, context):
    ckpt, _ = panel_checkpoint(self)
    names: list[str] = []
    if ckpt is not None:
        head = next((h for h in ckpt.heads if h.name == head_name(self)), None)
        names = list(head.presets) if head is not None else []
    _emotion_items[:] = [(enum_id(n), _label(n).capitalize(), f"emotion preset '{_label(n)}'") for n in names] or [
        (NONE, "(none)", "the head has no presets")]
    return _emotion_items


def _checkpoint_changed(self, context):
    ckpt, _ = panel_checkpoint(self)
    if ckpt is not None and self.model == "FILE":
        preferences.remember(checkpoint_path(self))


PATH = blender_compat.path_options("ANIMATABLE")  # the default options, and "//" paths allowed


def _is_mesh(self, obj) -> bool:
    return obj.type == "MESH"


class MULTANET_PG_settings(bpy.types.PropertyGroup):
    model: EnumProperty(
        name="Model",
        items=[("DEFAULT", "Default", "The model bundled with the add-on"),
               ("FILE", "Checkpoint", "A MulTaNet/KarrasNet .npz checkpoint")],
        default="DEFAULT", update=_checkpoint_changed)
    checkpoint_path: StringProperty(name="Checkpoint", subtype="FILE_PATH", update=_checkpoint_changed, options=PATH,
                                    description="A .npz checkpoint written by `python -m train export`")
    head: EnumProperty(name="Character Head", items=_heads, description="The checkpoint's head to animate with")
    target: PointerProperty(name="Target Mesh", type=bpy.types.Object, poll=_is_mesh,
                            description="The mesh to animate: same topology as the head")
    audio: EnumProperty(
        name="Audio",
        items=[("STRIP", "Sequencer Strip", "A sound strip of this scene's Sequencer"),
               ("FILE", "Audio File", "A sound file, placed at a frame")],
        default="STRIP")
    strip: StringProperty(name="Strip", description="Sound strip (empty: the active, selected, or under the playhead)")
    audio_file: StringProperty(name="Audio File", subtype="FILE_PATH", options=PATH)
    audio_frame: IntProperty(name="Start Frame", default=1, description="Frame the audio file starts on")
    emotion: EnumProperty(name="Emotion", items=_emotions, description="An emotion preset of the head")
    strength: FloatProperty(name="Strength", default=1.0, min=0.0, soft_max=2.0, max=4.0,
                            description="How strongly the emotion preset departs from neutral")
    lip_contact: FloatProperty(
        name="Lip Contact", default=1.0, min=0.0, max=1.0, subtype="FACTOR",
        description="How firmly the lips seal on P, B and M and the face rests where nobody speaks (0: the "
                    "network's motion as it is). Needs a checkpoint with a lip-contact head "
                    "(python -m train contact-head); with other checkpoints it changes nothing")
    blinks: BoolProperty(
        name="Blinks", default=False,
        description="Add eye blinks: about 17 a minute, 100-250 ms each, more in pauses, none while the lips "
                    "close; the same blinks on every re-bake of a line. A rig head blinks on your eyeBlinkLeft and "
                    "eyeBlinkRight keys, a mesh head through its blink shape (a MulTaNet.blink key). Off: your own "
                    "eye animation stays as it is")
    text: StringProperty(
        name="Text",
        description="The words the line says (its script), optional: placed in the audio, they seal the lips "
                    "on every P, B and M and rest the face in pauses, as firmly as Lip Contact says. Empty: a "
                    "text block, else a .txt beside the sound file with its name, else the audio alone")
    text_block: PointerProperty(name="Text Block", type=bpy.types.Text,
                                description="A text block holding the line's script (used when Text is empty)")
    language: StringProperty(
        name="Language", default=DEFAULT_LANGUAGE,
        description="The script's language, an espeak-ng voice name: en-us, en (British), es, fr, de, it, pt-br, "
                    "ru, ja, ko, cmn...")
    bake_mode: EnumProperty(
        name="Bake As",
        items=BAKE_MODES, default="SHAPE_KEYS")
    key_tolerance: FloatProperty(
        name="Thin Keys", default=0.0, min=0.0, max=0.5, soft_max=0.05, precision=3,
        description="Shape Keys by Name: keep only the keys needed to stay within this value of every frame "
                    "(0: a key on every frame), so the curves can be edited by hand")
    cache_dir: StringProperty(name="Cache Folder", subtype="DIR_PATH", default="//multanet_cache/", options=PATH,
                              description="Where vertex caches are written (// = beside the .blend)")


classes = (MULTANET_PG_settings,)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register() -> None:
    _register()
    bpy.types.Scene.multanet = PointerProperty(type=MULTANET_PG_settings)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Scene.multanet  # type: ignore[attr-defined]
    _unregister()
