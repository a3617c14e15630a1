"""Dialogue lines on the NLA: each line's Action becomes a strip on the character's "Lip Sync" track.

Lines of one character share its shape keys; each line has its own Action (tagged with its object and
strip), placed at the line's frames, so lines can be moved, blended and layered under hand-keyed
animation. Re-baking a line replaces its Action; a line's NLA strip whose Sequencer strip is gone (renamed
or deleted) is replaced by the new line it is in the way of.
"""

from __future__ import annotations

import bpy

from multanet_core.errors import MulTaNetError
from multanet_core.text import printable

from . import blender_compat, lipsync
from . import record as records
from .record import LipSyncRecord, Target


def _track(key):
    anim = key.animation_data or key.animation_data_create()
    track = anim.nla_tracks.get(lipsync.NLA_TRACK)
    if track is None:
        track = anim.nla_tracks.new()
        track.name = lipsync.NLA_TRACK
    return track


def _remove_line(key, strip_name: str, owner: str) -> None:
    anim = key.animation_data
    track = anim.nla_tracks.get(lipsync.NLA_TRACK) if anim is not None else None
    if track is not None:
        for nla in [n for n in track.strips if n.action is not None and n.action.get(lipsync.LINE_STRIP) == strip_name]:
            track.strips.remove(nla)
    for action in [a for a in bpy.data.actions
                   if a.get(lipsync.LINE_OWNER) == owner and a.get(lipsync.LINE_STRIP) == strip_name]:
        if action.users == 0:
            bpy.data.actions.remove(action)


def _line_of(nla, owner: str) -> str:
    """The Sequencer strip whose dialogue line ``nla`` plays ('' when it is not one of ``owner``'s lines)."""
    action = nla.action
    if action is None or action.get(lipsync.LINE_OWNER) != owner:
        return ""
    strip = action.get(lipsync.LINE_STRIP)
    return strip if isinstance(strip, str) else ""


def _in_the_way(track, first: int, end: int) -> list:
    """The track's NLA strips overlapping the frames ``first - 0.5`` to ``end - 0.5``."""
    return [n for n in track.strips if n.frame_start < end - 0.5 and n.frame_end > first - 0.5]


def _remove_stale_lines(key, track, owner: str, first: int, end: int) -> None:
    """Remove ``owner``'s line strips in the way of a new line whose Sequencer strip no scene has any more
    (renamed or deleted since they were baked), with their Actions."""
    sound = {s.name for scene in bpy.data.scenes for s in blender_compat.sound_strips(scene)}
    for nla in _in_the_way(track, first, end):
        strip = _line_of(nla, owner)
        if strip and strip not in sound:
            _remove_line(key, strip, owner)


def _in_the_way_message(track, first: int, end: int, owner: str) -> str:
    names = [f"'{n.name}' (frames {n.frame_start:g}-{n.frame_end:g}"
             + (f", the line of sound strip '{_line_of(n, owner)}')" if _line_of(n, owner) else ", not a line)")
             for n in _in_the_way(track, first, end)]
    return f"; in the way: NLA strip {', '.join(names)}: move or remove it" if names else ""


def _place(track, action, first: int, end: int, name: str):
    """An NLA strip playing ``action`` (keys from ``first - 0.5`` to ``end - 0.5``) at the same frames.

    ``strips.new`` takes whole start frames and refuses any overlap, so a line that fits exactly
    between two others starts one frame short, is moved back half a frame, then lengthened."""
    action.use_frame_range = True
    action.frame_start, action.frame_end = first - 0.5, end - 1.5
    try:
        nla = track.strips.new(name, first, action)
    finally:
        action.use_frame_range = False
    nla.frame_start_ui = first - 0.5  # moves the strip, keeping its length
    nla.action_frame_start = first - 0.5
    nla.action_frame_end = end - 0.5
    nla.blend_type = "REPLACE"
    if (nla.frame_start, nla.frame_end) != (first - 0.5, end - 0.5) or nla.scale != 1.0:
        raise MulTaNetError(f"NLA strip '{name}' landed on frames {nla.frame_start:g}-{nla.frame_end:g}, "
                            f"not {first - 0.5:g}-{end - 0.5:g}")
    return nla


def _fix_extrapolation(track) -> None:
    """The first strip holds its rest both ways, the others hold their trailing rest forward."""
    for i, nla in enumerate(sorted(track.strips, key=lambda n: n.frame_start)):
        nla.extrapolation = "HOLD" if i == 0 else "HOLD_FORWARD"


def _prepare_object(obj, head: str, checkpoint_path: str) -> None:
    """Clear a single bake (or dialogue baked with another head) before baking dialogue lines onto ``obj``."""
    rec = records.read(obj)
    if records.has(obj) and (rec is None or rec.target is not Target.NLA or rec.head != head
                             or rec.checkpoint != checkpoint_path):
        lipsync.remove_lip_sync(obj)


def apply_line(bake: lipsync.Bake) -> str:
    """Put a planned dialogue line (target NLA) on its character's "Lip Sync" track; returns what was done."""
    request = bake.request
    obj, strip_name = request.obj, request.source.strip_name
    _prepare_object(obj, bake.head_name, request.checkpoint)
    plan = bake.key_plan  # a rig head: the mesh's own keys, by name
    if plan is not None:
        created_basis, names = False, plan.keys
    else:
        created_basis, names = lipsync.ensure_shape_keys(obj, bake.mesh_motion)
    key = obj.data.shape_keys
    previous = records.read(obj)  # the animator's values of the keys lines by name animate, from the first line on
    driven = lipsync.driven_before(obj, plan.keys, records.driven(previous)) if plan is not None \
        else records.driven(previous)
    _remove_line(key, strip_name, obj.name)
    label = f"MulTaNet {obj.name} | {strip_name}"
    action = lipsync.build_named_action(bake, label) if plan is not None else lipsync.build_action(bake, label)
    action[lipsync.LINE_OWNER] = obj.name
    action[lipsync.LINE_STRIP] = strip_name
    track = _track(key)
    first, end = bake.timing.final_start, bake.timing.final_end
    _remove_stale_lines(key, track, obj.name, first, end)
    try:
        _place(track, action, first, end, strip_name)
    except (RuntimeError, MulTaNetError) as exc:
        for strip in [n for n in track.strips if n.action == action]:
            track.strips.remove(strip)
        bpy.data.actions.remove(action)
        raise MulTaNetError(f"cannot place '{strip_name}' on the '{lipsync.NLA_TRACK}' track: "
                            f"{str(exc).strip()}{_in_the_way_message(track, first, end, obj.name)}") from exc
    _fix_extrapolation(track)
    records.write(obj, LipSyncRecord(
        target=Target.NLA, head=bake.head_name, checkpoint=request.checkpoint, keys=len(names),
        lip_contact=float(request.lip_contact), blinks=bool(request.blinks and bake.blinked),
        created_basis=previous.created_basis if previous is not None else created_basis,
        driven_values=records.driven_json(driven), **lipsync.attach_jaw(bake)))
    return f"frames {bake.timing.final_start}-{bake.timing.final_end - 1} on '{obj.name}' ({printable(bake.head_name)})"
