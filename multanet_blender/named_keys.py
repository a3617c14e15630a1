"""Shape keys by name: a rig head's named weights keyed onto the animator's own shape keys.

A rig head gives ARKit-52 weights (``jawOpen``, ``mouthClose``...). :func:`plan_keys` finds which of
the mesh's shape keys each name drives, in whatever convention the character uses
(:func:`multanet_core.rig_names.match_keys`), or its VRM or Oculus visemes, before anything changes;
:func:`key_columns` turns the per-frame weights into the values of those keys; :func:`write_curves`
keys them on an Action, one key per frame or thinned to a tolerance (Ramer-Douglas-Peucker) so an
animator can edit them. The mesh's own keys are never added, changed or removed: only their values
are animated, and Remove takes the Action away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import bpy
import numpy as np

from multanet_core.errors import MulTaNetError
from multanet_core.keyframes import linear_error, thin
from multanet_core.rig_names import (
    DUPLICATE,
    FACE_VISEMES,
    OCULUS_VISEMES,
    VISEME_FROM_ARKIT,
    VISEMES,
    VRM_VISEMES,
    convention_of,
    match_keys,
    resting_names,
    viseme_weights,
)
from multanet_core.rig_solve import side_pairs, solve_weights
from multanet_core.text import printable

LEFT_OUT = "were left out"  # in a bake's report: some of the names the head moves found no key (a warning)
CONVENTIONS = ("ARKit camelCase (jawOpen, mouthSmileLeft), _L/_R or .L/.R sides (mouthSmile_L), "
               "snake_case (mouth_smile_left), any letter case, exporter prefixes (blendShape1.jawOpen, "
               "A25_Jaw_Open), Blender's duplicate suffix (jawOpen.001), VRM visemes (aa ih ou ee oh, A I U E O, "
               "Fcl_MTH_A), Oculus visemes (viseme_sil, viseme_PP... viseme_U, vrc.v_sil...)")


class NoNameMatched(MulTaNetError):
    """None of the mesh's shape keys is a name the head drives: only a key map can say which key is which."""


@dataclass
class KeyPlan:
    """Which of the mesh's shape keys a bake drives, and from what."""

    keys: list[str]  # the mesh's key names, in the order of the columns
    sources: list[str]  # per key: the head's weight name, or the viseme (VRM or Oculus), that drives it
    missing: list[str]  # the head's names that no key takes: those it moves first, then those it leaves at rest
    convention: str
    vrm: bool  # driven through visemes
    solved: bool = False  # a mesh head's motion solved onto the keys (rig_solve), not a rig head's names
    head_names: tuple[str, ...] = ()  # the rig head's weight names
    at_rest: frozenset[str] = frozenset()  # those of them it always leaves at rest (rig_names.resting_names)
    unused: dict[str, str] | None = None  # keys that fit a name (or viseme) another key drives -> that name
    suffixed: list[str] | None = None  # keys found without Blender's duplicate suffix (jawOpen.001)
    gain: np.ndarray | None = None  # per key (the object's key map): value = gain x weight + offset
    offset: np.ndarray | None = None
    low: np.ndarray | None = None  # per key: its slider range, which the values stay inside
    high: np.ndarray | None = None
    resting: list[str] | None = None  # keys that match a name the head never moves: not keyed, left as they are
    shared: dict[str, tuple[str, str]] | None = None  # a head name whose key another of its names drives ->
    # (that key, the name driving it): one name per key (rig_names.match_keys)

    @property
    def shared_moved(self) -> list[str]:
        """The head's names left out because another of its names drives their key, those it moves."""
        return [n for n in (self.shared or {}) if n not in self.at_rest]

    @property
    def missing_moved(self) -> list[str]:
        """The missing names that matter: those the head moves."""
        return [n for n in self.missing if n not in self.at_rest]

    @property
    def idle(self) -> list[str]:
        """Planned keys the head cannot move, keyed all the same at rest (0, or a key map's offset): visemes made
        only of names it never moves or lacks (Oculus's sil and tongue consonants), a key map's rows of such
        names. A bake's report counts the others, the keys it drives."""
        if self.solved:
            return []
        moving = {n for n in self.head_names if n not in self.at_rest}

        def moves(source: str) -> bool:
            if source in VISEME_FROM_ARKIT and source not in self.head_names:  # a viseme: a name that raises it
                return any(gain > 0 and n in moving for n, gain in VISEME_FROM_ARKIT[source].items())
            return source in moving

        return [k for k, source in zip(self.keys, self.sources, strict=True) if not moves(source)]

    @property
    def mapped(self) -> bool:
        """Whether the object's key map (the animator's own choice) made the plan, not the automatic match."""
        return self.gain is not None

    def warning(self) -> str:
        """What the bake's report adds: names without a key, keys not used (both with LEFT_OUT, a warning),
        keys found without their duplicate suffix."""
        parts = []
        lost = [] if self.vrm or self.mapped else self.missing_moved  # (a key map's are the animator's choice: note)
        if lost:
            shown = ", ".join(lost[:8]) + (f" and {len(lost) - 8} more" if len(lost) > 8 else "")
            parts.append(f"{len(lost)} of the names the head moves have no shape key and {LEFT_OUT}: {shown}")
        lost_shared = self.shared_moved
        if lost_shared:
            shared = self.shared or {}
            shown = ", ".join(f"{n} (key {shared[n][0]}, driven by {shared[n][1]})" for n in lost_shared[:8])
            more = f" and {len(lost_shared) - 8} more" if len(lost_shared) > 8 else ""
            parts.append(f"{len(lost_shared)} of the names the head moves fit a shape key that another of its names "
                         f"drives and {LEFT_OUT} (one name per key; a key map can choose): {shown}{more}")
        if self.unused:
            shown = ", ".join(f"{k} ({n})" for k, n in self.unused.items())
            parts.append(f"shape keys that also fit a name {LEFT_OUT} (one key per name, ARKit names before "
                         f"visemes; a key map can choose): {shown}")
        if self.suffixed:
            parts.append(f"found by name without Blender's duplicate suffix: {', '.join(self.suffixed)}")
        return "; ".join(parts)

    def note(self) -> str:
        """Information for the report, not a warning: the matching keys the head never moves, left as they are;
        the names the head moves that the object's key map leaves out (the animator chose so)."""
        parts = []
        idle = self.idle
        if idle:
            shown = ", ".join(idle[:6]) + (f" and {len(idle) - 6} more" if len(idle) > 6 else "")
            parts.append(f"{len(idle)} more keyed at {'0' if self.offset is None else 'their key map offset'}, "
                         f"which the head cannot move ({shown})")
        if self.mapped and not self.vrm and self.missing_moved:
            lost = self.missing_moved
            shown = ", ".join(lost[:8]) + (f" and {len(lost) - 8} more" if len(lost) > 8 else "")
            parts.append(f"the key map gives no shape key to {len(lost)} of the names the head moves: {shown}")
        if self.resting:
            shown = ", ".join(self.resting[:6]) + (f" and {len(self.resting) - 6} more" if len(self.resting) > 6
                                                  else "")
            parts.append(f"left {len(self.resting)} shape key{'s' if len(self.resting) != 1 else ''} that the head "
                         f"never moves as {'they are' if len(self.resting) != 1 else 'it is'} ({shown})")
        return "; ".join(parts)

    def status(self) -> str:
        """One line for the panel: the names found, and the missing ones the head moves."""
        if self.vrm:
            return f"drives {len(self.keys)} {self.convention}: {', '.join(self.keys)}"
        moved = [n for n in self.head_names if n not in self.at_rest]
        lost = self.missing_moved
        lost_shared = self.shared_moved
        of = f"the {len(moved)} names the head moves" if self.at_rest else f"{len(moved)} names"
        missing = f"; missing: {', '.join(lost[:4])}{', ...' if len(lost) > 4 else ''}" if lost else ""
        if lost_shared:
            missing += (f"; sharing another name's key: {', '.join(lost_shared[:4])}"
                        f"{', ...' if len(lost_shared) > 4 else ''}")
        return f"{len(moved) - len(lost) - len(lost_shared)} of {of} found ({self.convention}){missing}"

    def check_one_name_per_key(self, obj_name: str) -> None:
        """Raise, naming both, when two of the plan's columns drive one shape key (Blender has one F-curve per
        key): planned, so that nothing of an earlier bake is removed for a bake that cannot be written."""
        seen: dict[str, str] = {}
        for key, source in zip(self.keys, self.sources, strict=True):
            if key in seen:
                raise MulTaNetError(
                    f"shape key '{key}' of '{obj_name}' would be driven by both '{seen[key]}' and '{source}': one "
                    f"name per key; map one of them to another key, or leave it out (Key Map)")
            seen[key] = source


def mesh_key_names(obj, own_prefix: str) -> list[str]:
    """The mesh's shape keys an animator made: not the reference key, not this add-on's own keys."""
    key = obj.data.shape_keys
    if key is None:
        return []
    ref = key.reference_key
    return [kb.name for kb in key.key_blocks if kb != ref and not kb.name.startswith(own_prefix)]


def plan_keys(obj, head, own_prefix: str, use_map: bool = True, moving: frozenset[str] = frozenset()) -> KeyPlan:
    """What a BY_NAME bake of rig ``head`` keys on ``obj``; raises, saying why, when it keys nothing.
    The object's own key map (``obj.multanet_key_map``, :mod:`.key_map_ui`), when it has rows, decides
    instead of the automatic match. ``moving``: names the bake moves though the head leaves them at rest (the
    blink layer's eyeBlinkLeft and eyeBlinkRight)."""
    if not head.is_rig:
        raise MulTaNetError(f"head '{printable(head.name)}' gives vertex motion for its own mesh, not named weights: "
                            f"'Shape Keys by Name' needs a rig head (ARKit-52 weights), or a rigged copy of "
                            f"the head's own mesh (its motion is then solved onto the copy's keys)")
    # (is_property_set first: on Blender 4.2 reading the collection stores an empty one on the object)
    rows = list(obj.multanet_key_map) if use_map and "multanet_key_map" in obj.bl_rna.properties \
        and obj.is_property_set("multanet_key_map") else []
    if rows:
        return _mapped(obj, head, rows)
    names = mesh_key_names(obj, own_prefix)
    unmatched = empty_plan(head, moving)
    at_rest = unmatched.at_rest
    expected = ", ".join(unmatched.missing[:6]) + (", ..." if len(unmatched.missing) > 6 else "")
    if not names:
        raise MulTaNetError(f"'{obj.name}' has no shape keys to drive by name; rig head '{printable(head.name)}' "
                            f"drives keys named {expected} (conventions understood: {CONVENTIONS})")
    match = match_keys(names, head.weight_names, resting=at_rest)
    if match.keys or match.both_sides:
        keys, sources, resting = [], [], []
        for n in head.weight_names:
            for key in ([match.keys[n]] if n in match.keys else list(match.both_sides.get(n, ()))):
                if n in at_rest:  # the head never moves it: the animator's own value stays as it is
                    resting.append(key)
                    continue
                keys.append(key)
                sources.append(n)
        if not keys:
            raise MulTaNetError(f"the shape keys of '{obj.name}' that match a name of rig head "
                                f"'{printable(head.name)}' ({', '.join(resting[:6])}"
                                f"{', ...' if len(resting) > 6 else ''}) are names the head never moves, so a bake "
                                f"would key nothing; it moves {expected_moved(head)}")
        driven = convention_of([DUPLICATE.sub("", k) for k in keys])  # (not of the keys left at rest)
        return KeyPlan(keys=keys, sources=sources, missing=_moved_first(match.missing, at_rest),
                       convention=driven, vrm=False, head_names=head.weight_names, at_rest=at_rest,
                       unused=match.unused, suffixed=match.suffixed, resting=resting, shared=match.shared)
    if match.vrm:
        # a viseme that no name the head moves raises (a blink without the blink layer, an expression the head
        # never learnt) would stay 0: not keyed
        still = [v for v in match.vrm if VISEME_FROM_ARKIT[v]
                 and {n for n, gain in VISEME_FROM_ARKIT[v].items() if gain > 0} <= at_rest]
        moved = {v: k for v, k in match.vrm.items() if v not in still}
        return KeyPlan(keys=list(moved.values()), sources=list(moved), missing=[],
                       convention=match.convention, vrm=True, head_names=head.weight_names, at_rest=at_rest,
                       unused=match.unused, suffixed=match.suffixed, resting=[match.vrm[v] for v in still])
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    raise NoNameMatched(f"none of the {len(names)} shape keys of '{obj.name}' ({shown}) is a name rig head "
                        f"'{printable(head.name)}' drives ({expected}); conventions tried: {CONVENTIONS}. To say "
                        f"which key is which: Key Map sub-panel, Fill Key Map, then pick each name's shape key")


def expected_moved(head) -> str:
    """The first names rig ``head`` moves, for messages."""
    moved = [n for n in head.weight_names if n not in _resting(head)]
    return ", ".join(moved[:6]) + (", ..." if len(moved) > 6 else "")


def _resting(head) -> frozenset[str]:
    """The names rig ``head`` always leaves at rest (:func:`multanet_core.rig_names.resting_names`)."""
    return frozenset(resting_names(head.weight_names, head.mean, head.basis))


def empty_plan(head, moving: frozenset[str] = frozenset()) -> KeyPlan:
    """A plan of rig ``head`` that drives no key: every name missing, those the head moves (or a bake moves
    besides it: ``moving``) first."""
    at_rest = _resting(head) - moving
    return KeyPlan(keys=[], sources=[], missing=_moved_first(list(head.weight_names), at_rest), convention="none",
                   vrm=False, head_names=head.weight_names, at_rest=at_rest)


def plan_solve(obj, head, own_prefix: str) -> KeyPlan:
    """A mesh head on a rigged copy of its own character (same topology, its own shape keys): every one of
    the mesh's keys, whose values a bounded least-squares solve of the head's motion will give."""
    names = mesh_key_names(obj, own_prefix)
    if not names:
        raise MulTaNetError(f"'{obj.name}' has head '{printable(head.name)}''s topology but no shape keys of its own "
                            f"to solve its motion onto: bake as Shape Keys or Vertex Cache, or add the character's "
                            f"keys")
    return KeyPlan(keys=names, sources=names, missing=[], vrm=False, solved=True,
                   convention=f"solved from head '{printable(head.name)}''s motion")


def solve_columns(obj, plan: KeyPlan, rest: np.ndarray, vertices: np.ndarray) -> tuple[np.ndarray, float]:
    """The planned keys' values [T, keys] in 0..1 that best give ``vertices`` [T, V, 3] (bounded least squares
    over the vertices the keys move, multanet_core.rig_solve), and the motion left unexplained (a share)."""
    key = obj.data.shape_keys
    offsets = []
    for name in plan.keys:
        co = np.empty(rest.size, np.float32)
        key.key_blocks[name].data.foreach_get("co", co)
        offsets.append(co.reshape(-1, 3) - rest)
    deltas = np.stack(offsets)  # [K, V, 3]
    moved = np.flatnonzero(np.abs(deltas).max(axis=(0, 2)) > 0)
    b = deltas[:, moved].reshape(len(plan.keys), -1)
    d = (vertices - rest[None])[:, moved].reshape(len(vertices), -1)
    weights = solve_weights(b, d, pairs=side_pairs(plan.keys))
    total = float(np.square(vertices - rest[None]).sum())
    missed = float(np.square(weights @ b - d).sum()) + total - float(np.square(d).sum())
    return weights, (missed / total if total > 0 else 0.0)


def _mapped(obj, head, rows) -> KeyPlan:
    """The plan an object's key map gives: every row names a weight (or viseme) of the head and a key of the
    mesh, or is left out (no key); anything else is an error naming the row."""
    key = obj.data.shape_keys
    blocks = key.key_blocks if key is not None else {}
    keys, sources, gains, offsets, lows, highs = [], [], [], [], [], []
    keyed = [r for r in rows if r.key]  # (a row without a key is left out: it says nothing of the map's kind)
    vrm = all(r.source in VISEMES for r in keyed) and not any(r.source in head.weight_names for r in keyed)
    _check_one_kind(obj, head, rows)
    known = VISEMES if vrm else head.weight_names
    for i, row in enumerate(rows):
        if not row.key:
            continue
        if row.source not in known:
            raise MulTaNetError(f"key map row {i + 1} of '{obj.name}': '{row.source}' is not a name of rig head "
                                f"'{printable(head.name)}' (nor a viseme: VRM {' '.join(VRM_VISEMES)}, Oculus "
                                f"{' '.join(OCULUS_VISEMES)}, VRM's {' '.join(FACE_VISEMES)})")
        kb = blocks.get(row.key) if key is not None else None
        if kb is None:
            raise MulTaNetError(f"key map row {i + 1} of '{obj.name}': the mesh has no shape key '{row.key}'")
        if row.key in keys:
            raise MulTaNetError(f"key map row {i + 1} of '{obj.name}': shape key '{row.key}' is driven by row "
                                f"{1 + [j for j, r in enumerate(rows) if r.key == row.key][0]} already")
        for what, value in (("gain", row.gain), ("offset", row.offset)):
            if not math.isfinite(value):  # NaN keys would leave the mesh NaN, and nothing would say so
                raise MulTaNetError(f"key map row {i + 1} of '{obj.name}' ({row.source} -> '{row.key}'): its "
                                    f"{what} is {value}, not a number: set it (gain 1 and offset 0 key the weight "
                                    f"as it is)")
        keys.append(row.key)
        sources.append(row.source)
        gains.append(row.gain)
        offsets.append(row.offset)
        lows.append(kb.slider_min)
        highs.append(kb.slider_max)
    if not keys:
        raise MulTaNetError(f"the key map of '{obj.name}' names no shape key: fill it (Fill Key Map) or clear it")
    used = set(sources)
    at_rest = _resting(head)
    missing = [] if vrm else _moved_first([n for n in head.weight_names if n not in used], at_rest)
    return KeyPlan(keys=keys, sources=sources, missing=missing, head_names=head.weight_names, at_rest=at_rest,
                   convention="the object's key map", vrm=vrm, gain=np.array(gains, np.float32),
                   offset=np.array(offsets, np.float32), low=np.array(lows, np.float32),
                   high=np.array(highs, np.float32))


def _check_one_kind(obj, head, rows) -> None:
    """A key map drives its keys either through visemes (made from the head's weights) or by the head's own
    names: rows of both kinds are an error naming one row of each."""
    visemes = [(i, r.source) for i, r in enumerate(rows) if r.key and r.source in VISEMES
               and r.source not in head.weight_names]
    named = [(i, r.source) for i, r in enumerate(rows) if r.key and r.source in head.weight_names]
    if visemes and named:
        (i, viseme), (j, name) = visemes[0], named[0]
        raise MulTaNetError(
            f"the key map of '{obj.name}' mixes visemes (row {i + 1}: {viseme}{_more(visemes)}) with names of rig "
            f"head '{printable(head.name)}' (row {j + 1}: {name}{_more(named)}): one key map uses either visemes or "
            f"the head's names; clear the key of the rows of one kind, or Fill Key Map again")


def _more(rows: list) -> str:
    return f" and {len(rows) - 1} more" if len(rows) > 1 else ""


def _moved_first(names: list[str], at_rest: frozenset[str]) -> list[str]:
    return [n for n in names if n not in at_rest] + [n for n in names if n in at_rest]


def key_columns(plan: KeyPlan, weights: np.ndarray, weight_names: tuple[str, ...]) -> np.ndarray:
    """The head's weights [T, W] -> the planned keys' values [T, len(plan.keys)]: in 0..1, or with a key
    map's gain and offset, inside each key's slider range."""
    if plan.vrm:
        values = viseme_weights(weights, weight_names, plan.sources)
    else:
        index = {n: i for i, n in enumerate(weight_names)}
        values = np.asarray(weights, np.float32)[:, [index[n] for n in plan.sources]]
    if plan.gain is not None and plan.offset is not None:
        values = np.clip(values * plan.gain + plan.offset, plan.low, plan.high)
    return values.astype(np.float32)


def write_curves(fcurves, write_keys, keys: list[str], frames: np.ndarray, values: np.ndarray,
                 tolerance: float) -> tuple[int, float]:
    """One F-curve per key on ``key_blocks[name].value``; with ``tolerance`` > 0 thinned to it.
    Returns (keys written in all, the largest distance of a thinned curve from the dense one)."""
    total, worst = 0, 0.0
    for j, name in enumerate(keys):
        column = values[:, j]
        kept = thin(column, tolerance, frames) if tolerance > 0 else np.arange(len(column))
        worst = max(worst, linear_error(column, kept, frames))
        fc = fcurves.new(key_path(name))
        write_keys(fc, frames[kept], column[kept])
        total += len(kept)
    return total, worst


def key_path(name: str) -> str:
    """The data path of shape key ``name``'s value on its Key datablock (quotes in the name escaped)."""
    return f'key_blocks["{bpy.utils.escape_identifier(name)}"].value'
