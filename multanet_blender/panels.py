"""The Lip Sync panel in the 3D View's sidebar."""

from __future__ import annotations

import os

import bpy

from multanet_core.errors import MulTaNetError
from multanet_core.text import printable

from . import caches, lipsync, named_keys, properties, ui_text
from .mapping import MeshMotion

_status_cache: dict[tuple, tuple[bool, str]] = {}  # (object, mesh, head) -> match_status


def match_status(obj, head) -> tuple[bool, str]:
    """(ok, words) for the target mesh against the head: what the panel shows under the mesh. The panel
    draws often; the answer is kept until the mesh changes (:func:`_forget_changed`) or Edit Mode."""
    if obj is None:
        return False, "choose a mesh, or add the head's own"
    if obj.type != "MESH" or obj.mode == "EDIT":
        return _match_status(obj, head)
    key = (obj.name, obj.data.name, obj.data.as_pointer(), id(head), head.name, head.n_vertices)
    if key not in _status_cache:
        if len(_status_cache) > 64:
            _status_cache.clear()
        _status_cache[key] = _match_status(obj, head)
    return _status_cache[key]


@bpy.app.handlers.persistent
def _forget_changed(scene, depsgraph) -> None:
    """A mesh or object changed (edited, re-sculpted, shape keys added): its cached status goes."""
    if not _status_cache and not _unused_cache:
        return
    changed = {u.id.original.name for u in depsgraph.updates
               if isinstance(u.id, (bpy.types.Mesh, bpy.types.Object, bpy.types.Key))}
    if changed:
        _unused_cache.clear()  # a modifier or record may have gone
        for key in [k for k in _status_cache if k[0] in changed or k[1] in changed]:
            del _status_cache[key]
        if any(isinstance(u.id, bpy.types.Key) for u in depsgraph.updates):
            _status_cache.clear()  # a shape key's owner is not named by the update


@bpy.app.handlers.persistent
def _forget_all(*_) -> None:
    _status_cache.clear()
    _unused_cache.clear()


_unused_cache: dict[tuple, str] = {}  # (folder, its mtime) -> what unused_caches_text said


def unused_caches_text(cache_dir: str) -> str:
    """'3 unused (320 MB)' for the cache folder, or ''; kept until the folder or the scene changes."""
    try:
        folder = lipsync.resolve_cache_dir(cache_dir)
        key = (folder, os.stat(folder).st_mtime_ns)
    except (MulTaNetError, OSError):
        return ""
    if key not in _unused_cache:
        files = caches.unused(folder)
        size = sum(os.path.getsize(f) for f in files if os.path.isfile(f))
        _unused_cache.clear()
        _unused_cache[key] = f"{len(files)} unused ({size / 1e6:,.0f} MB)" if files else ""
    return _unused_cache[key]


def strip_problem(scene, name: str) -> str:
    """Why the panel's chosen strip ``name`` cannot be baked ('' when it can): deleted or renamed since it was
    picked, or not a sound strip."""
    try:
        lipsync.find_strip(scene, name)
    except MulTaNetError as exc:
        return f"{exc}: pick another, or clear the field to use the active strip"
    return ""


def _match_status(obj, head) -> tuple[bool, str]:
    if head.is_rig:  # shape keys by name: which of the mesh's own keys the head's names find
        try:
            lipsync.check_mesh(obj)
            plan = named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX)
        except MulTaNetError as exc:
            return False, str(exc)
        return True, plan.status()
    try:
        lipsync.check_target(obj, head, advise=False)  # the Add Head Mesh button is right below
        fit = MeshMotion(head, lipsync.rest_positions(obj)).fit_error
    except MulTaNetError as exc:
        return False, str(exc)
    if fit > 0.01:
        return True, f"matches head {printable(head.name)} (re-sculpt: {100 * fit:.0f}% from its template shape)"
    return True, f"matches head {printable(head.name)}"


class MULTANET_PT_lip_sync(bpy.types.Panel):
    bl_idname = "MULTANET_PT_lip_sync"
    bl_label = "MulTaNet Lip Sync"
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lip Sync"

    def draw(self, context):
        layout = self.layout
        settings = context.scene.multanet
        ckpt, error = properties.panel_checkpoint(settings)

        box = layout.box()
        row = box.row(align=True)
        row.prop(settings, "model", expand=True)
        if settings.model == "FILE":
            row = box.row(align=True)
            row.prop(settings, "checkpoint_path", text="")
            row.menu("MULTANET_MT_recent_checkpoints", text="", icon="RECOVER_LAST")
        col = box.column(align=True)
        if ckpt is None:
            ui_text.label(col, context, error, icon="ERROR")
        else:
            from .checkpoints import describe

            for line in describe(ckpt)[:3]:
                col.label(text=line)

        layout.prop(settings, "head")
        name = properties.head_name(settings)
        head = next((h for h in ckpt.heads if h.name == name), None) if ckpt else None

        box = layout.box()
        box.prop(settings, "target")
        if head is not None:
            target = properties.target_object(context)  # (Generate's: the active object when none is set)
            ok, text = match_status(target, head)
            if settings.target is None and target is not None:
                text = f"uses the active object '{target.name}': {text}"
            ui_text.label(box, context, text, icon="CHECKMARK" if ok else "ERROR")
        box.operator("multanet.add_head_mesh", icon="MESH_MONKEY")

        box = layout.box()
        box.row().prop(settings, "audio", expand=True)
        if settings.audio == "STRIP":
            editor = context.scene.sequence_editor
            if editor is not None:
                collection = "strips_all" if "strips_all" in editor.bl_rna.properties.keys() else "sequences_all"
                box.prop_search(settings, "strip", editor, collection, icon="SOUND")
                if not settings.strip:
                    strip = lipsync.default_strip(context.scene)
                    if strip is not None:
                        box.label(text=f"uses '{strip.name}'", icon="INFO")
                    else:  # none there, or some and none picked: which
                        ui_text.label(box, context, lipsync.no_strip_chosen(context.scene), icon="INFO")
                elif problem := strip_problem(context.scene, settings.strip):
                    ui_text.label(box, context, problem, icon="ERROR")
            else:
                box.label(text="the scene has no Sequencer strips", icon="INFO")
        else:
            box.prop(settings, "audio_file", text="")
            box.prop(settings, "audio_frame")

        box = layout.box()  # the line's script, optional
        box.prop(settings, "text", icon="TEXT")
        if not settings.text.strip():
            box.prop(settings, "text_block")
        box.prop(settings, "language")
        has_text = bool(settings.text.strip()) or settings.text_block is not None
        row = layout.row(align=True)
        row.prop(settings, "emotion")
        row.prop(settings, "strength", text="")
        row = layout.row()
        row.enabled = properties.has_contact(ckpt) or has_text  # greyed out: it would change nothing
        row.prop(settings, "lip_contact", slider=True)
        if ckpt is not None and not row.enabled:
            layout.label(text="Lip Contact: this checkpoint has no contact head; a Text gives one", icon="INFO")
        layout.prop(settings, "blinks")
        layout.prop(settings, "bake_mode")
        if settings.bake_mode == "BY_NAME":
            layout.prop(settings, "key_tolerance")
        if settings.bake_mode == "VERTEX_CACHE":
            layout.prop(settings, "cache_dir")
            if settings.cache_dir.startswith("//") and not bpy.data.filepath:
                layout.label(text="save the .blend first, or choose an absolute folder", icon="ERROR")
            unused = unused_caches_text(settings.cache_dir)
            row = layout.row()
            row.operator("multanet.clean_unused_caches", icon="TRASH")
            if unused:
                row.label(text=unused)

        col = layout.column()
        col.scale_y = 1.6
        col.operator("multanet.generate_lip_sync", icon="PLAY_SOUND")
        layout.operator("multanet.remove_lip_sync", icon="X")


classes = (MULTANET_PT_lip_sync,)
_register, _unregister = bpy.utils.register_classes_factory(classes)
_HANDLERS = ((bpy.app.handlers.depsgraph_update_post, _forget_changed), (bpy.app.handlers.load_post, _forget_all))


def register() -> None:
    _register()
    for handlers, fn in _HANDLERS:
        if fn not in handlers:
            handlers.append(fn)


def unregister() -> None:
    for handlers, fn in _HANDLERS:
        if fn in handlers:
            handlers.remove(fn)
    _status_cache.clear()
    _unregister()
