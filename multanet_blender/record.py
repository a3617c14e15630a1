"""What was baked onto an object: one typed, versioned record, stored as the object's ID property.

Only this module reads or writes the property. Version 2 (this one) stores ``version`` and a target
kind from :class:`Target`; records without a version are version 1, written by the add-on before
2026-11 in two shapes (a single bake: mode SHAPE_KEYS or VERTEX_CACHE with its Action or modifier and
cache; a dialogue batch: mode NLA), and load as the same record. A hand-edited record with fields of
the wrong type loads with those fields empty, never as something else: the add-on acts only on what
it can trust (a cache path that is not a string is no cache).
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import asdict, dataclass, fields

KEY = "multanet_lipsync"  # the object ID property
VERSION = 2


class Target(enum.Enum):
    """Where a bake puts its motion."""

    SHAPE_KEYS = "SHAPE_KEYS"  # one shape key per PCA component, one Action with an F-curve per key
    VERTEX_CACHE = "VERTEX_CACHE"  # a .pc2 point cache played by a Mesh Cache modifier
    NLA = "NLA"  # dialogue lines: one Action per line, as strips on the "Lip Sync" NLA track
    BY_NAME = "BY_NAME"  # a rig head's named weights keyed onto the mesh's own shape keys (ARKit, VRM, ...)


@dataclass
class LipSyncRecord:
    target: Target
    head: str = ""
    checkpoint: str = ""
    source: str = ""  # in words: "strip 'line 01'", "audio file 'a.wav'"
    emotion: str = ""
    strength: float = 1.0
    lip_contact: float = 1.0  # the Lip Contact strength it was baked with (records before it: 1, the default)
    blinks: bool = False  # baked with the blink layer (records before it: off, as those bakes were)
    text: str = ""  # the line's script it was baked with ('' none; dialogue lines keep theirs on the line)
    language: str = ""  # the script's language
    frame_start: int = 0
    frame_end: int = 0
    action: str = ""  # SHAPE_KEYS: the Action's name
    modifier: str = ""  # VERTEX_CACHE: the Mesh Cache modifier's name
    cache: str = ""  # VERTEX_CACHE: the .pc2 file, //-relative when the .blend is saved
    keys: int = 0  # shape keys the bake made (mean + components)
    created_basis: bool = False  # the bake added the Basis key (Remove takes it away again)
    driven_keys: str = ""  # records before driven_values: the mesh's own keys it animated, one a line (rested at 0)
    driven_values: str = ""  # BY_NAME (and NLA by name): JSON {the mesh's own key it animates: its value before}
    jaw_driver: str = ""  # BY_NAME with a jaw bone: JSON of armature, bone and driven channels (jaw_bone.attach)

    def to_property(self) -> dict:
        out = asdict(self)
        out["target"] = self.target.value
        out["created_basis"] = int(self.created_basis)
        out["blinks"] = int(self.blinks)
        out["version"] = VERSION
        return out


def _field(raw: dict, name: str, kind: type, default):
    value = raw.get(name, default)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if kind is bool and isinstance(value, int):
        return bool(value)
    return value if isinstance(value, kind) and not (kind is int and isinstance(value, bool)) else default


def from_dict(raw: dict) -> LipSyncRecord | None:
    """The record a property dict holds (version 1 or 2); None when it names no known target."""
    version = raw.get("version", 1)
    kind = raw.get("target") if version == VERSION else raw.get("mode")
    try:
        target = Target(kind)
    except ValueError:
        return None
    values = {}
    for f in fields(LipSyncRecord):
        if f.name == "target":
            continue
        kind_of = {"str": str, "float": float, "int": int, "bool": bool}[str(f.type)]
        values[f.name] = _field(raw, f.name, kind_of, f.default)
    return LipSyncRecord(target=target, **values)


def driven(rec: LipSyncRecord | None) -> dict[str, float]:
    """The animator's own shape keys ``rec``'s bake animates, each with the value it had before (Remove gives it
    back); a record from before ``driven_values`` gives its keys with 0, as Remove then did. Structured data:
    key names holding newlines or any other character come back as they were."""
    if rec is None:
        return {}
    if rec.driven_values:
        try:
            raw = json.loads(rec.driven_values)
        except ValueError:
            raw = None
        if isinstance(raw, dict):
            return {str(k): float(v) for k, v in raw.items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
        return {}
    return {n: 0.0 for n in rec.driven_keys.split("\n") if n} if rec.driven_keys else {}


def driven_json(values: dict[str, float]) -> str:
    return json.dumps({k: float(v) for k, v in values.items()})


def read(obj) -> LipSyncRecord | None:
    """``obj``'s record, or None when it has none (or one naming no known target)."""
    raw = obj.get(KEY) if obj is not None else None
    if raw is None or not hasattr(raw, "to_dict"):
        return None
    return from_dict(raw.to_dict())


def has(obj) -> bool:
    """Whether ``obj`` carries a record at all (even one this version cannot read)."""
    return obj is not None and KEY in obj.keys()


def write(obj, rec: LipSyncRecord) -> None:
    obj[KEY] = rec.to_property()


def clear(obj) -> None:
    if KEY in obj.keys():
        del obj[KEY]
