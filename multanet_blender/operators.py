"""Operators: Generate Lip Sync, Remove Lip Sync, Add Head Mesh, and picking a recent checkpoint.

Every input is an operator property; one left unset takes the Lip Sync panel's value, so the
panel's buttons and a script's ``bpy.ops.multanet.generate_lip_sync(object="Face", head="ada",
strip="Line 01")`` run the same code. A failure reports why and changes nothing.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from multanet_core.errors import MulTaNetError
from multanet_core.text import printable

from . import (
    caches,
    checkpoints,
    head_mesh,
    jaw_bone,
    lipsync,
    named_keys,
    pipeline,
    preferences,
    properties,
    script_text,
)
from . import record as records
from .blender_compat import path_options
from .record import Target
from .request import BakeRequest, Source

RELATIVE = path_options()  # path properties that take "//" (the .blend's folder)


def _panel_value(op, context, name: str, panel_value):
    """The operator's property when the caller set it, else the panel's value."""
    return getattr(op, name) if op.properties.is_property_set(name) else panel_value


def _resolve_checkpoint(op, context) -> str:
    settings = context.scene.multanet
    if op.properties.is_property_set("checkpoint"):
        return checkpoints.DEFAULT_MODEL if op.checkpoint in ("", "DEFAULT") else bpy.path.abspath(op.checkpoint)
    return properties.checkpoint_path(settings)


def _resolve_object(op, context, name: str):
    if op.properties.is_property_set(name):
        obj = bpy.data.objects.get(getattr(op, name))
        if obj is None:
            raise MulTaNetError(f"there is no object named '{getattr(op, name)}'")
        return obj
    return properties.target_object(context)


def _active_used(op, context, obj) -> str:
    """'; the target was the active object ...' when ``obj`` is the active object because neither the operator
    nor the panel named a target ('' otherwise): a report says which object it changed, or would have."""
    if obj is None or op.properties.is_property_set("object") or context.scene.multanet.target is not None:
        return ""
    return f"; the target was the active object '{obj.name}' (no Target Mesh is set)"


class MULTANET_OT_generate_lip_sync(bpy.types.Operator):
    """Animate the target mesh's face from a Sequencer sound strip or an audio file"""

    bl_idname = "multanet.generate_lip_sync"
    bl_label = "Generate Lip Sync"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        if any(o.type == "MESH" for o in bpy.data.objects):
            return True
        cls.poll_message_set("There is no mesh to animate: use Add Head Mesh, or add your character")
        return False

    object: StringProperty(name="Object", description="Mesh object to animate (default: the panel's target)")
    checkpoint: StringProperty(name="Checkpoint", subtype="FILE_PATH", options=RELATIVE,
                               description="A .npz checkpoint, or DEFAULT for the bundled model")
    head: StringProperty(name="Head", description="The checkpoint's character head")
    strip: StringProperty(name="Strip", description="Sound strip name (default: the panel's audio)")
    audio_file: StringProperty(name="Audio File", subtype="FILE_PATH", options=RELATIVE)
    audio_frame: IntProperty(name="Start Frame", default=1, description="Frame an audio file starts on")
    emotion: StringProperty(name="Emotion", description="Emotion preset (default: neutral)")
    strength: FloatProperty(name="Strength", default=1.0, min=0.0, max=4.0)
    lip_contact: FloatProperty(name="Lip Contact", default=1.0, min=0.0, max=1.0,
                               description="How firmly the lips seal and the face rests where nobody speaks "
                                           "(a checkpoint with a contact head; default: the panel's)")
    blinks: BoolProperty(name="Blinks", default=False,
                         description="Add eye blinks to a rig head's eyeBlink keys (default: the panel's)")
    text: StringProperty(name="Text", description="The line's script (default: the panel's, else a .txt beside the "
                                                  "sound file)")
    language: StringProperty(name="Language", description="The script's language (default: the panel's)")
    bake_mode: EnumProperty(name="Bake As", items=properties.BAKE_MODES)
    key_tolerance: FloatProperty(name="Thin Keys", default=0.0, min=0.0, max=0.5,
                                 description="Shape Keys by Name: thin each curve's keys to this error (0: none)")
    cache_dir: StringProperty(name="Cache Folder", subtype="DIR_PATH", options=RELATIVE)
    directory: StringProperty(subtype="DIR_PATH", options=path_options("HIDDEN", "SKIP_SAVE"))  # the browser's answer

    def invoke(self, context, event):
        """Vertex Cache in an unsaved .blend has no '//' folder: ask where, with a folder browser."""
        settings = context.scene.multanet
        mode = _panel_value(self, context, "bake_mode", settings.bake_mode)
        cache_dir = _panel_value(self, context, "cache_dir", settings.cache_dir)
        if mode == "VERTEX_CACHE" and cache_dir.startswith("//") and not bpy.data.filepath and context.window:
            context.window_manager.fileselect_add(self)
            return {"RUNNING_MODAL"}
        return self.execute(context)

    def _source(self, context) -> Source:
        settings, scene = context.scene.multanet, context.scene
        if self.properties.is_property_set("strip"):
            return Source(strip_name=self.strip)
        if self.properties.is_property_set("audio_file"):
            return Source(file_path=bpy.path.abspath(self.audio_file),
                                  file_frame=_panel_value(self, context, "audio_frame", scene.frame_start))
        if settings.audio == "FILE":
            return Source(file_path=bpy.path.abspath(settings.audio_file) if settings.audio_file else "",
                                  file_frame=_panel_value(self, context, "audio_frame", settings.audio_frame))
        if settings.strip:
            return Source(strip_name=settings.strip)
        strip = lipsync.default_strip(scene)
        if strip is None:
            raise MulTaNetError(lipsync.no_default_strip(scene))
        return Source(strip_name=strip.name)

    def execute(self, context):
        settings = context.scene.multanet
        obj = None
        try:
            path = _resolve_checkpoint(self, context)
            obj = _resolve_object(self, context, "object")
            head = _panel_value(self, context, "head", properties.head_name(settings))
            emotion = _panel_value(self, context, "emotion", properties.enum_value(settings.emotion))
            strength = _panel_value(self, context, "strength", settings.strength)
            lip_contact = _panel_value(self, context, "lip_contact", settings.lip_contact)
            blinks = bool(_panel_value(self, context, "blinks", settings.blinks))
            mode = _panel_value(self, context, "bake_mode", settings.bake_mode)
            cache_dir = self.directory or _panel_value(self, context, "cache_dir", settings.cache_dir)
            tolerance = _panel_value(self, context, "key_tolerance", settings.key_tolerance)
            if obj is None:
                raise MulTaNetError("no target mesh chosen")
            source = self._source(context)
            given = self.text if self.properties.is_property_set("text") else settings.text
            block = None if self.properties.is_property_set("text") else settings.text_block
            text = script_text.line_text(context.scene, source, given, block)
            language = _panel_value(self, context, "language", settings.language).strip()
            request = BakeRequest(obj=obj, checkpoint=path, head=head, source=source,
                                  emotion=emotion, strength=strength, lip_contact=lip_contact, blinks=blinks,
                                  text=text, language=language, target=Target(mode), cache_dir=cache_dir,
                                  key_tolerance=tolerance, jaw=jaw_bone.of_object(obj))
            outcome = pipeline.bake(context.scene, request)
        except (MulTaNetError, OSError) as exc:
            self.report({"ERROR"}, f"Generate Lip Sync: {exc}{_active_used(self, context, obj)}")
            return {"CANCELLED"}
        if path != checkpoints.DEFAULT_MODEL:
            preferences.remember(path)
        message = outcome.message + _active_used(self, context, obj)
        self.report({"WARNING"} if outcome.warning or named_keys.LEFT_OUT in message else {"INFO"}, message)
        return {"FINISHED"}


class MULTANET_OT_remove_lip_sync(bpy.types.Operator):
    """Remove the lip sync shape keys, Action and Mesh Cache modifier from the mesh (its cache file stays
    for undo and saved files; Clean Unused Caches deletes it)"""

    bl_idname = "multanet.remove_lip_sync"
    bl_label = "Remove Lip Sync"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        if any(records.has(o) for o in bpy.data.objects):
            return True
        cls.poll_message_set("No object in this file has lip sync to remove")
        return False

    object: StringProperty(name="Object", description="Mesh object (default: the panel's target)")

    def execute(self, context):
        obj = None
        try:
            obj = _resolve_object(self, context, "object")
            if obj is None:
                raise MulTaNetError("no target mesh chosen")
            if not lipsync.has_lip_sync(obj):
                raise MulTaNetError(f"'{obj.name}' has no lip sync to remove")
            message = lipsync.remove_lip_sync(obj)
        except (MulTaNetError, OSError) as exc:
            self.report({"ERROR"}, f"Remove Lip Sync: {exc}{_active_used(self, context, obj)}")
            return {"CANCELLED"}
        self.report({"INFO"}, message + _active_used(self, context, obj))
        return {"FINISHED"}


class MULTANET_OT_clean_unused_caches(bpy.types.Operator):
    """Delete this add-on's vertex-cache files in the cache folder that no object in this file uses
    (other .blend files that share the folder may still use them)"""

    bl_idname = "multanet.clean_unused_caches"
    bl_label = "Clean Unused Caches"
    bl_options = {"REGISTER"}

    cache_dir: StringProperty(name="Cache Folder", subtype="DIR_PATH", options=RELATIVE,
                              description="default: the panel's")

    def invoke(self, context, event):
        return context.window_manager.invoke_confirm(self, event)

    def execute(self, context):
        try:
            folder = lipsync.resolve_cache_dir(_panel_value(self, context, "cache_dir",
                                                            context.scene.multanet.cache_dir))
            removed = caches.clean_unused(folder)
        except (MulTaNetError, OSError) as exc:
            self.report({"ERROR"}, f"Clean Unused Caches: {exc}")
            return {"CANCELLED"}
        self.report({"INFO"}, f"deleted {len(removed)} unused cache file{'s' if len(removed) != 1 else ''} "
                              f"from '{folder}'" + (f": {', '.join(removed)}" if removed else ""))
        return {"FINISHED"}


class MULTANET_OT_add_head_mesh(bpy.types.Operator):
    """Add the character head's own template mesh to the scene, ready to animate"""

    bl_idname = "multanet.add_head_mesh"
    bl_label = "Add Head Mesh"
    bl_options = {"REGISTER", "UNDO"}

    checkpoint: StringProperty(name="Checkpoint", subtype="FILE_PATH", options=RELATIVE,
                               description="A .npz checkpoint, or DEFAULT for the bundled model")
    head: StringProperty(name="Head", description="The checkpoint's character head")

    def execute(self, context):
        settings = context.scene.multanet
        try:
            path = _resolve_checkpoint(self, context)
            ckpt = checkpoints.load(path)
            name = _panel_value(self, context, "head", properties.head_name(settings))
            if name is None:
                raise MulTaNetError("no character head chosen")
            obj = head_mesh.add_head_object(context, ckpt, ckpt.head(name))
        except (MulTaNetError, OSError) as exc:
            self.report({"ERROR"}, f"Add Head Mesh: {exc}")
            return {"CANCELLED"}
        # the panel follows what was added, so that the next Generate uses this head on this mesh
        if path != properties.checkpoint_path(settings):
            if path == checkpoints.DEFAULT_MODEL:
                settings.model = "DEFAULT"
            else:
                settings.model, settings.checkpoint_path = "FILE", path
        settings.head = properties.enum_id(name)
        settings.target = obj
        self.report({"INFO"}, f"added '{obj.name}': head '{printable(name)}', {len(obj.data.vertices):,} vertices")
        return {"FINISHED"}


class MULTANET_OT_use_recent_checkpoint(bpy.types.Operator):
    """Use a recently used checkpoint"""

    bl_idname = "multanet.use_recent_checkpoint"
    bl_label = "Use Recent Checkpoint"
    bl_options = {"REGISTER", "INTERNAL"}

    path: StringProperty(name="Path", subtype="FILE_PATH", options=RELATIVE)

    def execute(self, context):
        settings = context.scene.multanet
        settings.model = "FILE"
        settings.checkpoint_path = self.path
        return {"FINISHED"}


class MULTANET_MT_recent_checkpoints(bpy.types.Menu):
    bl_idname = "MULTANET_MT_recent_checkpoints"
    bl_label = "Recent Checkpoints"

    def draw(self, context):
        paths = preferences.recent_paths()
        for path in paths:
            op = self.layout.operator(MULTANET_OT_use_recent_checkpoint.bl_idname, text=path, icon="FILE")
            op.path = path
        if not paths:
            self.layout.label(text="(none yet)")


classes = (MULTANET_OT_generate_lip_sync, MULTANET_OT_remove_lip_sync, MULTANET_OT_clean_unused_caches,
           MULTANET_OT_add_head_mesh,
           MULTANET_OT_use_recent_checkpoint, MULTANET_MT_recent_checkpoints)
register, unregister = bpy.utils.register_classes_factory(classes)
