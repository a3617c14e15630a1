"""Checks a bake makes on the scene before it changes anything, beyond the mesh and the head: the data
must be saveable (:func:`check_editable`: not linked from a library, not a library override), the
shape keys not another object's (:func:`check_unshared`: a mesh shared by linked duplicates) nor driven
(:func:`check_undriven`: a driver wins over any Action); and what the animator should hear about a
strip that bakes but is silent in playback (:func:`playback_note`)."""

from __future__ import annotations

import os

import bpy

from multanet_core.errors import MulTaNetError

from . import blender_compat
from . import record as records
from .record import Target

MESH_TARGETS = (Target.SHAPE_KEYS, Target.BY_NAME, Target.NLA)  # bakes that write on the mesh's shape keys


def _library_name(id_data) -> str:
    lib = id_data.library or (id_data.override_library.reference.library if id_data.override_library else None)
    return os.path.basename(lib.filepath) if lib is not None else "a library"


def check_editable(obj, target: Target) -> None:
    """Raise unless a bake of ``target`` onto ``obj`` (or its removal) can be saved with the file: Blender
    does not save changes to data linked from a library, nor custom properties (the record) on a library
    override, so lip sync there would vanish on save."""
    fix = "make it local (Object > Relations > Make Local > Selected Objects and Data) first"
    lost = "Blender does not save changes to linked data, so the lip sync would vanish when the file is saved"
    if obj.library is not None:
        raise MulTaNetError(f"'{obj.name}' is linked from {_library_name(obj)}: {fix}; {lost}")
    mesh = obj.data
    key = getattr(mesh, "shape_keys", None)
    linked = [(f"{what} '{data.name}'", data) for what, data in (("mesh", mesh), ("shape keys", key))
              if target in MESH_TARGETS and data is not None and data.library is not None]
    parts = " and ".join(words for words, _ in linked)
    verb = "are" if len(linked) > 1 or parts.startswith("shape keys") else "is"
    if obj.override_library is not None:
        raise MulTaNetError(
            f"'{obj.name}' is a library override of {_library_name(obj)} "
            + (f"whose {parts} {verb} still linked: {fix}; {lost}" if linked else
               f"(Blender does not save this add-on's record on an override, so the lip sync could not be "
               f"replaced or removed once the file is saved): {fix}"))
    if linked:
        raise MulTaNetError(f"the {parts} of '{obj.name}' {verb} linked from {_library_name(linked[0][1])}: "
                            f"{fix}; {lost}")


def _on_mesh(obj) -> bool:
    """Whether ``obj``'s lip sync (if any) lives on its mesh's shape keys (an unreadable record may)."""
    rec = records.read(obj)
    return records.has(obj) and (rec is None or rec.target in MESH_TARGETS)


def sharing_lip_sync(obj) -> list:
    """Other objects using ``obj``'s mesh (linked duplicates, Alt+D) whose lip sync is on its shape keys."""
    return [o for o in bpy.data.objects if o != obj and o.data is not None and o.data == obj.data and _on_mesh(o)]


def check_unshared(obj) -> None:
    """Shape keys belong to the mesh: never bake over another object's lip sync on a shared one."""
    others = sharing_lip_sync(obj)
    if others:
        raise MulTaNetError(
            f"the mesh '{obj.data.name}' of '{obj.name}' (and its shape keys) is shared with '{others[0].name}', "
            f"which already has lip sync: make '{obj.name}' a single user first (Object > Relations > "
            f"Make Single User > Object & Data), so each has its own shape keys")


def _driven_key(key, data_path: str) -> str:
    """The shape key whose value a driver's ``data_path`` drives on Key ``key`` ('' when none)."""
    owner, _, prop = data_path.rpartition(".")
    if prop != "value" or not owner.startswith("key_blocks["):
        return ""
    try:
        kb = key.path_resolve(owner)
    except ValueError:
        return ""
    return kb.name if isinstance(kb, bpy.types.ShapeKey) else ""


def check_undriven(obj, names: list[str]) -> None:
    """A driver on a shape key wins over any Action on every frame: refuse to bake keys that have one."""
    key = obj.data.shape_keys
    anim = key.animation_data if key is not None else None
    if anim is None:
        return
    driven = list(dict.fromkeys(n for n in (_driven_key(key, fc.data_path) for fc in anim.drivers if not fc.mute)
                                if n in names))
    if driven:
        shown = ", ".join(f"'{n}'" for n in driven[:8]) + (f" and {len(driven) - 8} more" if len(driven) > 8 else "")
        many = len(driven) > 1
        raise MulTaNetError(
            f"shape key{'s' if many else ''} {shown} of '{obj.name}' {'have drivers' if many else 'has a driver'}, "
            f"which would override the lip sync on every frame: remove {'them' if many else 'it'} first "
            f"(right-click the value > Delete Driver), or map those names to other keys (Key Map)")


def check_relative(obj, target: Target) -> None:
    """A bake on the shape keys animates their values, which only relative keys blend: Blender plays absolute
    keys (Relative off) by the Key's Evaluation Time, so the mesh would never move."""
    key = obj.data.shape_keys
    if key is None or key.use_relative:
        return
    other = " or bake as Vertex Cache (a head of this mesh)," if target is not Target.BY_NAME else ""
    raise MulTaNetError(
        f"the shape keys of '{obj.name}' are absolute (Relative is off), so Blender blends them by the Evaluation "
        f"Time, not by each key's value, and a bake of key values would never move the mesh: switch Relative on "
        f"(Properties > Object Data > Shape Keys > Relative){other} and bake again")


def frame_limits(scene) -> tuple[int, int]:
    """The first and last frame Blender can play (-1048574 and 1048574)."""
    prop = scene.bl_rna.properties["frame_current"]
    return int(prop.hard_min), int(prop.hard_max)


def check_frames(scene, timing, label: str) -> None:
    """Raise unless every frame a bake of ``timing`` writes (keys half a frame either side, a cache's rest frame
    before its first) lies within Blender's frame range: checked before anything is written, never half-way."""
    low, high = frame_limits(scene)
    first, end = timing.final_start - 1, timing.final_end
    if first < low or end > high:
        latest = high - (timing.final_end - timing.final_start)
        raise MulTaNetError(
            f"{label} would be baked on frames {timing.final_start}-{timing.final_end - 1}, beyond Blender's frame "
            f"range ({low} to {high}): start it on a frame from {low + 1} to {latest}")


def playback_note(scene, strip) -> str:
    """Why ``strip`` is not heard when the scene plays ('' when it is); a bake uses its sound all the same."""
    what = f"strip '{strip.name}'"
    if getattr(strip, "volume", 1.0) == 0:
        return f"{what} plays at volume 0, so it is silent in playback"
    node = strip
    while node is not None:
        holder = blender_compat.meta_of(scene, node)
        name = what if node == strip else f"the meta strip '{node.name}' holding {what}"
        if node.mute:
            return f"{name} is muted, so it is silent in playback"
        if (holder or scene.sequence_editor).channels[node.channel].mute:
            return f"{name} is on channel {node.channel}, which is muted, so it is silent in playback"
        node = holder
    return ""
