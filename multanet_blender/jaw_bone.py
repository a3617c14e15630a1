"""An optional jaw bone driven by a bake by name's ``jawOpen``: drivers on the bone's rotation.

Many characters open the mouth with a jaw bone, not (or not only) a shape key. After a bake by name,
:func:`attach` adds drivers to the pose bone's rotation (about one of its axes, up to an angle) that
read the bake's ``jawOpen``: the value of the shape key the plan drives from ``jawOpen``, or, when the
mesh has none, the Key datablock's own property ``multanet_jaw_open``, keyed on the same Action. So the
bone follows every frame of the bake (and of each dialogue line on the NLA) and nothing is keyed on the
armature's own Action. :func:`detach` takes the drivers away again (Remove deletes the property), from the
record :func:`attach` returns: JSON (armature, bone, driven channels), so names holding any character come
back as they were; records written before it (lines joined by newlines, ``;`` and ``|``) are read as before.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import bpy

from multanet_core.errors import MulTaNetError

from .named_keys import key_path

JAW_PROPERTY = "multanet_jaw_open"  # on the Key datablock, when no shape key takes jawOpen
AXES = ("X", "Y", "Z")


@dataclass(frozen=True)
class JawBone:
    armature: bpy.types.Object  # an armature object
    bone: str
    angle: float  # radians at jawOpen = 1
    axis: str = "X"


def of_object(obj) -> JawBone | None:
    """The jaw bone set on a character (``obj.multanet_jaw``, the Key Map panel), or None."""
    # never read before it is set: on Blender 4.2 reading the pointer stores an empty one on the object
    if obj is None or "multanet_jaw" not in obj.bl_rna.properties or not obj.is_property_set("multanet_jaw"):
        return None
    settings = obj.multanet_jaw
    if settings.armature is None or not settings.bone:
        return None
    return JawBone(settings.armature, settings.bone, float(settings.angle), settings.axis)


def check(jaw: JawBone) -> None:
    """Raise, saying why, unless ``jaw`` names a bone of an armature whose rotation we may drive."""
    arm = jaw.armature
    if arm is None or getattr(arm, "type", None) != "ARMATURE":
        raise MulTaNetError("the jaw bone needs an armature object")
    if arm.library is not None:  # (an override keeps the drivers added to it)
        raise MulTaNetError(f"armature '{arm.name}' is linked from {arm.library.name}: make it local or override it "
                            f"(Object > Library Override > Make) first; Blender does not save drivers added to "
                            f"linked data")
    if not isinstance(jaw.angle, int | float) or not math.isfinite(jaw.angle):
        raise MulTaNetError(f"the jaw bone's open angle is {jaw.angle}, not a number: set it (Key Map panel, "
                            f"Open Angle) to the bone's rotation at jawOpen = 1")
    if jaw.axis not in AXES:
        raise MulTaNetError(f"jaw axis must be one of {', '.join(AXES)}, not {jaw.axis!r}")
    pose_bone = arm.pose.bones.get(jaw.bone) if arm.pose is not None else None
    if pose_bone is None:
        raise MulTaNetError(f"armature '{arm.name}' has no bone '{jaw.bone}'")
    if pose_bone.rotation_mode == "AXIS_ANGLE":
        raise MulTaNetError(f"bone '{jaw.bone}' rotates by axis-angle: set it to Quaternion or an Euler order")
    ours = {p for p, _ in _channels(pose_bone, jaw)}
    anim = arm.animation_data
    for fc in (anim.drivers if anim is not None else []):
        if (fc.data_path, fc.array_index) in ours and not fc.driver.expression.endswith("# multanet"):
            raise MulTaNetError(f"bone '{jaw.bone}' of '{arm.name}' already has a driver on {fc.data_path}"
                                f"[{fc.array_index}]: remove it first, or choose another bone")


def _channels(pose_bone, jaw: JawBone) -> list[tuple[tuple[str, int], str]]:
    """((data path, index), expression of the jaw value ``v``) for each rotation channel to drive."""
    base = f'pose.bones["{bpy.utils.escape_identifier(jaw.bone)}"]'
    i = AXES.index(jaw.axis)
    a = f"{jaw.angle:.6g}"
    if pose_bone.rotation_mode == "QUATERNION":
        return [((f"{base}.rotation_quaternion", 0), f"cos(v * {a} / 2)"),
                ((f"{base}.rotation_quaternion", i + 1), f"sin(v * {a} / 2)")]
    return [((f"{base}.rotation_euler", i), f"v * {a}")]


def source_path(plan) -> str:
    """The Key datablock's path that holds the bake's jawOpen."""
    if "jawOpen" in plan.sources:
        return key_path(plan.keys[plan.sources.index("jawOpen")])
    return f'["{JAW_PROPERTY}"]'


def attach(jaw: JawBone, key, plan) -> str:
    """Drive ``jaw``'s rotation from the bake's jawOpen on shape-key datablock ``key``; returns the record's
    text for :func:`detach`: JSON of the armature, the bone, and each driven channel (data path, index)."""
    channels = _channels(jaw.armature.pose.bones[jaw.bone], jaw)
    detach_channels(jaw.armature, [p for p, _ in channels])
    path = source_path(plan)
    for (data_path, index), expression in channels:
        fc = jaw.armature.driver_add(data_path, index)
        driver = fc.driver
        driver.type = "SCRIPTED"
        for var in list(driver.variables):
            driver.variables.remove(var)
        var = driver.variables.new()
        var.name, var.type = "v", "SINGLE_PROP"
        var.targets[0].id_type = "KEY"
        var.targets[0].id = key
        var.targets[0].data_path = path
        driver.expression = f"{expression} # multanet"
    return json.dumps({"armature": jaw.armature.name, "bone": jaw.bone,
                       "channels": [[p, i] for (p, i), _ in channels]})


def detach_channels(armature, channels: list[tuple[str, int]], key=None) -> int:
    """Remove the drivers on ``channels`` (only those reading Key ``key``, when given); returns how many."""
    anim = armature.animation_data
    removed = 0
    for data_path, index in channels:
        fc = anim.drivers.find(data_path, index=index) if anim is not None else None
        if fc is not None and (key is None or any(t.id == key for v in fc.driver.variables for t in v.targets)):
            armature.driver_remove(data_path, index)
            removed += 1
    return removed


def detach(record_text: str, objects, key=None) -> int:
    """Remove the drivers a record names (``attach``'s text) that read Key ``key`` (any, when None; a Shift+D
    copy's record names the original's jaw bone, whose drivers read the original's keys); returns how many."""
    parsed = parse_record(record_text)
    if parsed is None:
        return 0
    armature = objects.get(parsed[0])
    if armature is None or armature.type != "ARMATURE":
        return 0
    return detach_channels(armature, parsed[1], key)


def parse_record(record_text: str) -> tuple[str, list[tuple[str, int]]] | None:
    """(armature name, driven channels) of a record :func:`attach` wrote (JSON; or, before it, the armature,
    the bone and ``path|index;...`` on three lines); None when it is neither."""
    try:
        raw = json.loads(record_text)
    except ValueError:
        raw = None
    if isinstance(raw, dict):
        armature, items = raw.get("armature"), raw.get("channels")
        if not isinstance(armature, str) or not isinstance(items, list):
            return None
        channels = [(item[0], item[1]) for item in items if isinstance(item, list) and len(item) == 2
                    and isinstance(item[0], str) and isinstance(item[1], int) and not isinstance(item[1], bool)
                    and item[1] >= 0]
        return armature, channels
    parts = record_text.split("\n")
    if len(parts) != 3:
        return None
    channels = []
    for item in parts[2].split(";"):
        path, _, index = item.rpartition("|")
        if path and index.isdigit():
            channels.append((path, int(index)))
    return parts[0], channels
