"""A character's own settings for Shape Keys by Name, saved with the object: its key map
(``obj.multanet_key_map``) and an optional jaw bone (``obj.multanet_jaw``, :mod:`.jaw_bone`).

Each row says which of the mesh's shape keys a rig head's name (or a VRM or Oculus viseme) drives, with a
gain and an offset (value = gain x weight + offset, within the key's slider range), for names the automatic
match cannot guess (``Mouth_Open_Wide`` for ``jawOpen``) and for exaggeration. An empty map means the
automatic match (:func:`multanet_core.rig_names.match_keys`); **Fill Key Map** writes that match out
as rows to edit (on a mesh where no name matches, a row per name the head moves, its key to pick from the
mesh's own keys). A row whose key is empty is left out.
"""

from __future__ import annotations

import math

import bpy
from bpy.props import CollectionProperty, EnumProperty, FloatProperty, IntProperty, PointerProperty, StringProperty

from multanet_core.errors import MulTaNetError

from . import jaw_bone, lipsync, named_keys, properties


class MULTANET_PG_key_map_item(bpy.types.PropertyGroup):
    source: StringProperty(name="Name",
                           description="The rig head's weight name (ARKit: jawOpen...) or viseme (VRM, Oculus)")
    key: StringProperty(name="Shape Key", description="The mesh's shape key it drives (empty: none)")
    gain: FloatProperty(name="Gain", default=1.0, soft_min=0.0, soft_max=3.0,
                        description="The key's value is gain x the weight + offset")
    offset: FloatProperty(name="Offset", default=0.0, soft_min=-1.0, soft_max=1.0)


def _is_armature(self, obj) -> bool:
    return obj.type == "ARMATURE"


class MULTANET_PG_jaw(bpy.types.PropertyGroup):
    armature: PointerProperty(name="Armature", type=bpy.types.Object, poll=_is_armature,
                              description="The character's armature, for a jaw bone driven by jawOpen (optional)")
    bone: StringProperty(name="Jaw Bone", description="The bone that opens the jaw")
    angle: FloatProperty(name="Open Angle", subtype="ANGLE", default=math.radians(20.0), min=-math.pi,
                         max=math.pi, description="The bone's rotation at jawOpen = 1")
    axis: EnumProperty(name="Axis", items=[(a, a, f"rotate about the bone's local {a}") for a in jaw_bone.AXES],
                       default="X")


class MULTANET_UL_key_map(bpy.types.UIList):
    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.label(text=item.source)
        key = data.data.shape_keys if data.type == "MESH" else None
        if key is not None:
            row.prop_search(item, "key", key, "key_blocks", text="")
        else:
            row.prop(item, "key", text="")
        row.prop(item, "gain", text="")
        row.prop(item, "offset", text="")


def _rig_head(context):
    ckpt, error = properties.panel_checkpoint(context.scene.multanet)
    if ckpt is None:
        raise MulTaNetError(error or "no checkpoint")
    name = properties.head_name(context.scene.multanet)
    if name is None:
        raise MulTaNetError("choose a rig head in the panel (Bake As: Shape Keys by Name lists them)")
    return ckpt.head(name)


class MULTANET_OT_fill_key_map(bpy.types.Operator):
    """Write the automatic name match of the panel's rig head onto the target mesh's key map, to edit"""

    bl_idname = "multanet.fill_key_map"
    bl_label = "Fill Key Map"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        obj = properties.target_object(context)
        try:
            lipsync.check_mesh(obj)
            head = _rig_head(context)
            try:
                plan = named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX, use_map=False)
            except named_keys.NoNameMatched:  # what a key map is for: a row per name, the keys to pick
                plan = named_keys.empty_plan(head)
        except MulTaNetError as exc:
            self.report({"ERROR"}, f"Fill Key Map: {exc}")
            return {"CANCELLED"}
        obj.multanet_key_map.clear()
        for source, key in zip(plan.sources, plan.keys, strict=True):
            item = obj.multanet_key_map.add()
            item.source, item.key = source, key
        # to fill in by hand, or leave empty (not the names the head never moves); a name whose key another of
        # the head's names drives (jawOpen and JawOpen: one name per key) as well, to give it a key of its own
        for source in plan.missing_moved + plan.shared_moved:
            obj.multanet_key_map.add().source = source
        if plan.keys:
            shared = f", {len(plan.shared_moved)} sharing another name's key" if plan.shared_moved else ""
            self.report({"INFO"}, f"key map of '{obj.name}': {len(plan.keys)} names matched ({plan.convention}), "
                                  f"{len(plan.missing_moved)} without a key{shared}")
        else:
            self.report({"INFO"}, f"key map of '{obj.name}': no shape key matched a name by itself; wrote the "
                                  f"{len(plan.missing_moved)} names the head moves with the key empty: pick each "
                                  f"one's shape key (a row left empty is left out)")
        return {"FINISHED"}


class MULTANET_OT_clear_key_map(bpy.types.Operator):
    """Forget the target mesh's key map: bakes by name match the names automatically again"""

    bl_idname = "multanet.clear_key_map"
    bl_label = "Clear Key Map"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        obj = properties.target_object(context)
        if obj is not None and hasattr(obj, "multanet_key_map"):
            obj.multanet_key_map.clear()
        return {"FINISHED"}


class MULTANET_PT_key_map(bpy.types.Panel):
    bl_idname = "MULTANET_PT_key_map"
    bl_label = "Key Map and Jaw Bone (by Name)"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lip Sync"
    bl_parent_id = "MULTANET_PT_lip_sync"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return context.scene.multanet.bake_mode == "BY_NAME"

    def draw(self, context):
        layout = self.layout
        obj = properties.target_object(context)
        if obj is None or obj.type != "MESH":
            layout.label(text="choose the target mesh", icon="INFO")
            return
        if not len(obj.multanet_key_map):
            layout.label(text="automatic: names matched in the mesh's own convention", icon="INFO")
        else:
            layout.template_list("MULTANET_UL_key_map", "", obj, "multanet_key_map", obj, "multanet_key_map_index",
                                 rows=6)
        row = layout.row(align=True)
        row.operator("multanet.fill_key_map", icon="FILE_REFRESH")
        row.operator("multanet.clear_key_map", icon="X")
        jaw = obj.multanet_jaw
        box = layout.box()
        box.prop(jaw, "armature")
        if jaw.armature is not None:
            box.prop_search(jaw, "bone", jaw.armature.data, "bones")
            row = box.row(align=True)
            row.prop(jaw, "angle")
            row.prop(jaw, "axis", text="")


classes = (MULTANET_PG_key_map_item, MULTANET_PG_jaw, MULTANET_UL_key_map, MULTANET_OT_fill_key_map,
           MULTANET_OT_clear_key_map, MULTANET_PT_key_map)
_register, _unregister = bpy.utils.register_classes_factory(classes)


def register() -> None:
    _register()
    bpy.types.Object.multanet_key_map = CollectionProperty(type=MULTANET_PG_key_map_item)  # type: ignore
    bpy.types.Object.multanet_key_map_index = IntProperty()  # type: ignore[attr-defined]
    bpy.types.Object.multanet_jaw = PointerProperty(type=MULTANET_PG_jaw)  # type: ignore[attr-defined]


def unregister() -> None:
    del bpy.types.Object.multanet_jaw  # type: ignore[attr-defined]
    del bpy.types.Object.multanet_key_map_index  # type: ignore[attr-defined]
    del bpy.types.Object.multanet_key_map  # type: ignore[attr-defined]
    _unregister()

