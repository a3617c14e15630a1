"""Generate and remove lip sync on a mesh object: everything is computed first, the scene is changed last.

:func:`plan_bake` loads and checks the checkpoint, the head against the mesh, and the audio, runs
core's numpy network and maps the motion onto the mesh, without touching the scene; only
:func:`apply_bake` changes it (and writes the point cache). So a wrong checkpoint, a mismatched
mesh or bad audio raise before anything changes. Each object remembers what was baked onto it
(an ID property), so a re-bake replaces the previous one and :func:`remove_lip_sync` takes it all away.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field

import bpy
import numpy as np

from multanet_core.blinks import BLINK_NAMES, add_blinks, blink_seed
from multanet_core.contact import speech_warning
from multanet_core.errors import MulTaNetError
from multanet_core.inference import Animator
from multanet_core.pointcache import write_pc2
from multanet_core.rig_names import BLINK_VISEMES
from multanet_core.script import align_script
from multanet_core.text import printable

from . import audio_in, blender_compat, caches, checkpoints, jaw_bone, named_keys
from . import record as records
from .bake_checks import (
    MESH_TARGETS,
    check_editable,
    check_frames,
    check_relative,
    check_undriven,
    check_unshared,
    playback_note,
    sharing_lip_sync,
)
from .mapping import MeshMotion, topology_problem
from .record import LipSyncRecord, Target
from .request import BakeRequest, Source  # noqa: F401 - Source: re-exported for scripts that used lipsync.Source
from .timing import StripTiming, slice_for_strip, visible

KEY_PREFIX = "MulTaNet."  # shape keys: "MulTaNet.mean", "MulTaNet.c000", ... sort together and say whose they are
MEAN_KEY = KEY_PREFIX + "mean"
RECORD = records.KEY  # object ID property: what was baked (read and written by .record only)
MODIFIER_NAME = "MulTaNet Lip Sync"
NLA_TRACK = "Lip Sync"  # batch-baked dialogue lines: one NLA strip (and Action) per line
LINE_OWNER = "multanet_object"  # Action ID property: the object a dialogue line's Action animates
LINE_STRIP = "multanet_strip"  # Action ID property: the Sequencer strip it was baked from
OWN_ACTION = "multanet_bake"  # Action ID property on every Action a bake makes: copies (Shift+D) keep it
CACHE_CHUNK = 256


BLINK_KEY = KEY_PREFIX + "blink"  # a mesh head's blink shape, keyed by the blink layer
BLINKING = frozenset(BLINK_NAMES) | frozenset(BLINK_VISEMES)  # a plan's sources that blink


def own_keys(motion: MeshMotion) -> list[str]:
    """The shape keys a bake of ``motion`` makes: the mean, one per component, and the blink when it blinks."""
    n = motion.n_components - int(motion.blink)
    return [MEAN_KEY] + [component_key(k) for k in range(n)] + ([BLINK_KEY] if motion.blink else [])


def component_key(k: int) -> str:
    return f"{KEY_PREFIX}c{k:03d}"


def scene_fps(scene) -> float:
    return scene.render.fps / scene.render.fps_base


def strip_timing(strip, scene) -> StripTiming:
    return StripTiming(frame_start=float(strip.frame_start), final_start=int(strip.frame_final_start),
                       final_end=int(strip.frame_final_end), fps=scene_fps(scene),
                       sound_offset=float(getattr(strip, "sound_offset", 0.0)))


def find_strip(scene, name: str):
    for strip in blender_compat.all_strips(scene):
        if strip.name == name:
            if strip.type != "SOUND":
                raise MulTaNetError(f"strip '{name}' is a {strip.type.lower()} strip, not a sound strip")
            return strip
    raise MulTaNetError(f"scene '{scene.name}' has no Sequencer strip named '{name}'")


def default_strip(scene):
    """The sound strip an animator means: the active one, else a selected one, else the one under the playhead."""
    sounds = blender_compat.sound_strips(scene)
    editor = scene.sequence_editor
    active = editor.active_strip if editor is not None else None
    if active is not None and active.type == "SOUND":
        return active
    for pick in ([s for s in sounds if s.select],
                 [s for s in sounds if s.frame_final_start <= scene.frame_current < s.frame_final_end]):
        if pick:
            return min(pick, key=lambda s: (s.channel, s.frame_final_start))
    return None


def _sound_names(scene) -> tuple[int, str]:
    """How many sound strips ``scene`` has, and their names for a message (the first six, sorted)."""
    names = sorted(s.name for s in blender_compat.sound_strips(scene))
    return len(names), ", ".join(f"'{n}'" for n in names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6
                                                                 else "")


def no_strip_chosen(scene) -> str:
    """The panel's line when no strip is chosen and :func:`default_strip` finds none: there is none, or there
    are some and none is picked (which, to choose from)."""
    n, shown = _sound_names(scene)
    if not n:
        return "no sound strip in the Sequencer"
    return (f"none chosen of {n} sound strip{'s' if n != 1 else ''} ({shown}): pick one in the Strip field, "
            f"select it in the Sequencer, or move the playhead over it")


def no_default_strip(scene) -> str:
    """Generate's error when no strip is chosen and :func:`default_strip` finds none."""
    n, shown = _sound_names(scene)
    if not n:
        return (f"scene '{scene.name}' has no sound strip to use: add one in the Sequencer, select it, or choose "
                f"an audio file")
    return (f"scene '{scene.name}' has {n} sound strip{'s' if n != 1 else ''} but none is chosen: pick one in the "
            f"panel's Strip field ({shown}), or select it in the Sequencer, or move the playhead over it")


def mesh_topology(mesh) -> tuple[int, np.ndarray, np.ndarray]:
    n_loops = len(mesh.loops)
    faces = np.empty(n_loops, dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", faces)
    sizes = np.empty(len(mesh.polygons), dtype=np.int32)
    mesh.polygons.foreach_get("loop_total", sizes)
    return len(mesh.vertices), faces, sizes


def rest_positions(obj) -> np.ndarray:
    """The mesh's rest shape: its reference shape key (Basis) when it has shape keys, else its vertices."""
    mesh = obj.data
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    if mesh.shape_keys is not None and mesh.shape_keys.reference_key is not None:
        mesh.shape_keys.reference_key.data.foreach_get("co", co)
    else:
        mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _same_topology(obj, head) -> bool:
    check_mesh(obj)
    return topology_problem(head, obj.name, *mesh_topology(obj.data)) is None


def check_mesh(obj) -> None:
    """Raise unless ``obj`` is a mesh object out of Edit Mode."""
    if obj is None:
        raise MulTaNetError("no target mesh chosen")
    if obj.type != "MESH":
        raise MulTaNetError(f"'{obj.name}' is a {obj.type.lower()} object, not a mesh")
    if obj.mode == "EDIT":
        raise MulTaNetError(f"'{obj.name}' is in Edit Mode: leave it first, so its mesh is up to date")


def check_target(obj, head, ckpt=None, advise: bool = True) -> None:
    """Raise, saying what to do (``advise``), unless ``obj`` is a mesh with ``head``'s topology; with
    ``ckpt``, name another of its heads that the mesh does match."""
    check_mesh(obj)
    topology = mesh_topology(obj.data)
    problem = topology_problem(head, obj.name, *topology)
    if problem:
        other = [h.name for h in (ckpt.mesh_heads if ckpt is not None else []) if h.name != head.name
                 and topology_problem(h, obj.name, *topology) is None]
        if other:
            raise MulTaNetError(f"{problem}; it matches head '{other[0]}': choose that head")
        if not advise:
            raise MulTaNetError(problem)
        raise MulTaNetError(
            f"{problem}. A head animates only its own mesh (same vertices, same order): use Add Head Mesh "
            f"for head '{printable(head.name)}' and bind your character to it (Surface Deform); if your character has "
            f"ARKit or VRM shape keys, bake 'Shape Keys by Name' with a rig head; or train a head for this "
            f"mesh (python -m train fit --init CHECKPOINT --freeze-mfl; README, 'Your own character')")


def resolve_cache_dir(cache_dir: str) -> str:
    """An absolute folder for point caches; a ``//`` folder needs a saved .blend, and a file where the folder (or
    a parent to make it in) should be is said, before anything is written."""
    if not cache_dir:
        raise MulTaNetError("no folder chosen for the vertex cache")
    if cache_dir.startswith("//") and not bpy.data.filepath:
        raise MulTaNetError("the .blend is not saved, so the vertex cache has no place beside it: "
                            "save the file first, or choose an absolute cache folder")
    folder = os.path.normpath(bpy.path.abspath(cache_dir))
    existing = folder  # the folder, or the nearest of its parents that exists: a file there blocks it
    while not os.path.lexists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if os.path.lexists(existing) and not os.path.isdir(existing):
        made = "" if existing == folder else f" cannot be made: '{existing}'"
        raise MulTaNetError(f"the cache folder '{folder}'{made} is a file, not a folder: choose another cache "
                            f"folder, or move the file away")
    return folder


def blend_relative(path: str) -> str:
    """``//``-relative when the .blend is saved and the path is on its drive, else absolute."""
    if bpy.data.filepath:
        try:
            return bpy.path.relpath(path)
        except ValueError:
            return path
    return path


@dataclass
class Bake:
    """Everything a bake will write, computed without touching the scene."""

    request: BakeRequest
    head_name: str
    timing: StripTiming
    source_label: str
    motion: MeshMotion | None  # None for BY_NAME: no vertices, only the mesh's own keys' values
    coefficients: np.ndarray  # [n, K] visible frames
    sounding: np.ndarray  # [n] bool: frames the sound reaches
    cache_path: str = ""  # absolute .pc2 path for VERTEX_CACHE
    key_values: np.ndarray | None = field(default=None)  # [n, K] for SHAPE_KEYS and NLA; [n, keys] for BY_NAME
    key_plan: named_keys.KeyPlan | None = None  # BY_NAME: which of the mesh's own keys it drives
    note: str = ""  # something the animator should know that does not stop the bake (a muted strip)
    warning: str = ""  # something the animator should check: a contact head heard hardly any speech in it
    info: str = ""  # how it went, for the report only (the line's text placed): nothing to check
    written: tuple[int, float] = (0, 0.0)  # BY_NAME: keys written, and the largest error of the thinning
    jaw_values: np.ndarray | None = None  # BY_NAME with a jaw bone and no jawOpen key: the weight, per frame
    solve_error: float | None = None  # BY_NAME from a mesh head: the share of its motion the keys miss
    blinked: bool = False  # the blink layer is on keys of the mesh (a rig head's eyeBlink names found keys)

    @property
    def obj(self):
        return self.request.obj

    @property
    def mesh_motion(self) -> MeshMotion:
        if self.motion is None:
            raise MulTaNetError("a bake by name has no vertex motion, only shape-key values")
        return self.motion

    @property
    def frames(self) -> np.ndarray:
        """Keyed frames: the visible ones, and a rest key half a frame either side.

        Half frames, so that two lines of one character that follow each other without a gap
        meet between frames (their NLA strips touch at ``n + 0.5``) and every whole frame
        belongs to exactly one of them."""
        t = self.timing
        return np.concatenate([[t.final_start - 0.5], np.arange(t.final_start, t.final_end, dtype=np.float64),
                               [t.final_end - 0.5]])


def plan_bake(scene, request: BakeRequest) -> Bake:
    """Everything ``request`` writes, computed and checked, without touching the scene."""
    obj = request.obj
    check_mesh(obj)
    check_editable(obj, request.target)
    if request.target in MESH_TARGETS:
        check_unshared(obj)
        check_relative(obj, request.target)
    if request.target is not Target.NLA:
        check_no_dialogue(obj)
    ckpt = checkpoints.load(request.checkpoint)
    if request.head is None:
        raise MulTaNetError("no character head chosen")
    head = ckpt.head(request.head)
    blink_names = frozenset(BLINK_NAMES) if request.blinks and head.is_rig else frozenset()
    key_plan = None
    if request.target is Target.BY_NAME and not head.is_rig and _same_topology(obj, head):
        key_plan = named_keys.plan_solve(obj, head, KEY_PREFIX)  # a rigged copy of the head's own character
        if request.jaw is not None and "jawOpen" in key_plan.sources:  # (attach_jaw drives it then)
            jaw_bone.check(request.jaw)
    elif request.target is Target.BY_NAME or (request.target is Target.NLA and head.is_rig):
        check_mesh(obj)
        key_plan = named_keys.plan_keys(obj, head, KEY_PREFIX, moving=blink_names)
        if request.jaw is not None:
            jaw_bone.check(request.jaw)
    else:  # a mesh head moves the jaw in its vertices: a jaw bone is for bakes by name only
        check_target(obj, head, ckpt)
    if request.target in (Target.SHAPE_KEYS, Target.BY_NAME):
        _check_free_action(obj)
    if key_plan is not None:  # one F-curve per key: a second name for one key would fail half-way through the bake
        key_plan.check_one_name_per_key(obj.name)
    if request.target in MESH_TARGETS:
        own = ([MEAN_KEY] + [component_key(k) for k in range(head.n_components)] + [BLINK_KEY]
               if key_plan is None else key_plan.keys)
        check_undriven(obj, own)
    emotion_vector = head.emotion(request.emotion or None, request.strength)
    cache_path = ""
    if request.target is Target.VERTEX_CACHE:
        cache_path = caches.new_cache_path(resolve_cache_dir(request.cache_dir), obj.name)

    fps = scene_fps(scene)
    source = request.source
    if source.strip_name:
        strip = find_strip(scene, source.strip_name)
        label = f"strip '{strip.name}'"
        timing = strip_timing(strip, scene)
        samples = audio_in.sound_samples(strip.sound, f"{label} (sound '{strip.sound.name}')")
        note = playback_note(scene, strip)
        note = f"{note} (baked from its sound all the same)" if note else ""
    elif source.file_path:
        note = ""
        label = f"audio file '{os.path.basename(source.file_path)}'"
        samples = audio_in.file_samples(source.file_path)
        n = max(1, math.ceil(len(samples) / audio_in.core_audio.TARGET_RATE * fps - 1e-9))
        timing = StripTiming(source.file_frame, source.file_frame, source.file_frame + n, fps)
    else:
        raise MulTaNetError("no audio chosen: pick a Sequencer sound strip or an audio file")

    check_frames(scene, timing, label)
    piece = slice_for_strip(samples, audio_in.core_audio.TARGET_RATE, timing)
    script = None
    if request.text.strip():  # placed in the whole sound (the text is the sound's), then on the slice's clock
        script = align_script(samples, request.text, request.language, label).shifted(piece.start_s)
    animator = Animator(ckpt, head.name)
    coefficients = animator.coefficients(piece.samples, fps, emotion=emotion_vector, contact=request.lip_contact,
                                         script=script)
    blink = None
    # a rig head's names on the mesh's keys, or a mesh head's own blink shape (a solved plan has neither)
    if request.blinks and (not key_plan.solved if key_plan is not None else head.blink is not None):
        seed = blink_seed(obj.name, source.strip_name or os.path.basename(source.file_path))
        blink = visible(animator.blink_curve(piece.samples, fps, coefficients, seed)[:, None], piece)[0][:, 0]
    coefficients, sounding = visible(coefficients, piece)
    warning = ""
    if animator.last_contact is not None and animator.last_quiet is not None:  # was it speech at all? (over the
        # frames the sound reaches, its pauses left out)
        quiet = visible(animator.last_quiet[:, None], piece)[0][sounding, 0]
        warning = speech_warning(visible(animator.last_contact, piece)[0][sounding], label, quiet)
    info = ""
    if script is not None:
        warning = _join(warning, script.warning)
        info = script.note()
    _require_finite(coefficients, f"head '{printable(head.name)}''s motion for {label}")
    if request.blinks:
        note = _join(note, _blink_note(head, key_plan))
    if key_plan is not None:
        values, jaw, missed = _named_values(request, head, animator, key_plan, coefficients, blink)
        _require_finite(values, f"the shape-key values for {label}")
        if jaw is not None:
            _require_finite(jaw, f"the jaw bone's jawOpen for {label}")
        return Bake(request, head.name, timing, label, None, coefficients, sounding, note=note, warning=warning,
                    info=info, key_values=values * sounding[:, None], key_plan=key_plan,
                    jaw_values=None if jaw is None else jaw * sounding, solve_error=missed,
                    blinked=blink is not None and bool(set(key_plan.sources) & BLINKING))
    motion = MeshMotion(head, rest_positions(obj), blink=blink is not None)
    if blink is not None:  # the blink shape is the motion's last component, the blink layer its coefficient
        coefficients = np.concatenate([coefficients, blink[:, None].astype(coefficients.dtype)], 1)
    bake = Bake(request, head.name, timing, label, motion, coefficients, sounding, cache_path, note=note, info=info,
                warning=warning, blinked=blink is not None)
    if request.target is not Target.VERTEX_CACHE:
        bake.key_values = motion.key_values(coefficients) * sounding[:, None]
        _require_finite(bake.key_values, f"the shape-key values for {label}")
    return bake


def _require_finite(values: np.ndarray, what: str) -> None:
    """Never key NaN or infinity: it would leave the mesh broken (NaN) and the bake reported as done."""
    bad = ~np.isfinite(values)
    if bad.any():
        raise MulTaNetError(f"{what}: {int(bad.sum())} values are NaN or infinite (first at visible frame "
                            f"{int(np.argwhere(bad)[0][0])}); nothing was baked")


def _blink_note(head, plan: named_keys.KeyPlan | None) -> str:
    """What Blinks did, when the animator asked for them and they could not all go on."""
    if plan is not None and plan.solved:
        return (f"no blinks: head '{printable(head.name)}''s motion is solved onto the mesh's own keys, which "
                f"blinks do not reach yet")
    if not head.is_rig:
        return "" if head.blink is not None else (
            f"no blinks: head '{printable(head.name)}' has no blink shape (python -m train blink-shapes gives the "
            f"procedural heads theirs)")
    if not set(plan.sources) & BLINKING:
        return (f"no blinks: '{plan.convention}' keys hold no eyeBlinkLeft or eyeBlinkRight (nor a VRM blink) to "
                f"blink with")
    return ""


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _named_values(request: BakeRequest, head, animator: Animator, plan: named_keys.KeyPlan,
                  coefficients: np.ndarray, blink: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray | None, float | None]:
    """A bake by name's key values [n, keys] (with ``blink`` [n], the blink layer, on the eyeBlink names); the
    jawOpen weight when a jaw bone needs it and no key takes it; and, for a mesh head's motion solved onto the
    keys, the share of it they miss."""
    obj = request.obj
    if plan.solved:
        rest = rest_positions(obj)
        values, missed = named_keys.solve_columns(obj, plan, rest, MeshMotion(head, rest).vertices(coefficients))
        return values, None, missed
    weights = animator.weights(coefficients)
    if blink is not None:
        weights = add_blinks(weights, head.weight_names, blink)
    jaw = None
    if request.jaw is not None and "jawOpen" not in plan.sources:
        if "jawOpen" not in head.weight_names:
            raise MulTaNetError(f"rig head '{printable(head.name)}' has no jawOpen weight to drive the jaw bone with")
        jaw = weights[:, head.weight_names.index("jawOpen")]
    return named_keys.key_columns(plan, weights, head.weight_names), jaw, None


def is_own_action(action, rec: LipSyncRecord | None = None) -> bool:
    """Whether ``action`` is lip sync this add-on made: tagged (copies keep the tag), a dialogue line, or
    (files baked before the tag) the Action ``rec`` names."""
    if action is None:
        return False
    return (OWN_ACTION in action.keys() or LINE_OWNER in action.keys()
            or (rec is not None and bool(rec.action) and action.name == rec.action))


def new_action(name: str, key):
    """A new Action for the shape keys ``key``, tagged as this add-on's own."""
    action = blender_compat.new_action(name, key)
    action[OWN_ACTION] = 1
    return action


def _check_free_action(obj) -> None:
    """Never replace an animator's own Action on the shape keys."""
    key = obj.data.shape_keys
    anim = key.animation_data if key is not None else None
    if anim is not None and anim.action is not None and not is_own_action(anim.action, records.read(obj)):
        raise MulTaNetError(
            f"the shape keys of '{obj.name}' are animated by Action '{anim.action.name}': unassign it, or push "
            f"it down to an NLA track, before baking, so that lip sync does not replace it"
        )


# --- changing the scene -------------------------------------------------------------------------

def has_lip_sync(obj) -> bool:
    return records.has(obj)


def remove_lip_sync(obj) -> str:
    """Take away everything a bake put on ``obj``; returns what was removed, in words."""
    if not records.has(obj):
        return f"'{obj.name}' has no lip sync"
    if obj.type != "MESH":  # nothing is ever baked onto one: its record came with a copy or by hand; no file goes
        records.clear(obj)
        return (f"removed the lip-sync record from '{obj.name}' "
                f"(a {obj.type.lower()}, not a mesh: nothing was baked on it)")
    rec = records.read(obj)
    check_editable(obj, rec.target if rec is not None else Target.SHAPE_KEYS)
    rec = rec or LipSyncRecord(Target.SHAPE_KEYS)  # unreadable: only our own named keys go
    removed = []
    key = obj.data.shape_keys
    if key is not None and rec.target is Target.VERTEX_CACHE and sharing_lip_sync(obj):
        key = None  # the shared mesh's keys carry another object's lip sync: only the modifier is ours
    if key is not None:
        anim = key.animation_data
        track = anim.nla_tracks.get(NLA_TRACK) if anim is not None else None
        placed = {n.action for n in track.strips if n.action is not None} if track is not None else set()
        if track is not None:
            anim.nla_tracks.remove(track)
            removed.append(f"the '{NLA_TRACK}' NLA track")
        lines = [a for a in bpy.data.actions if a.users == 0 and LINE_OWNER in a.keys()
                 and (a.get(LINE_OWNER) == obj.name or a in placed)]  # (a copy's lines name the original)
        for action in lines:
            bpy.data.actions.remove(action)
        if lines:
            removed.append(f"{len(lines)} dialogue Action{'s' if len(lines) != 1 else ''}")
        recorded = bpy.data.actions.get(rec.action) if rec.action else None
        anim = key.animation_data
        playing = anim.action if anim is not None else None
        if playing is not None and (playing == recorded or is_own_action(playing)):
            anim.action = None  # a Shift+D copy plays its own copy of the Action its record names
        gone = [a for a in dict.fromkeys((playing, recorded)) if a is not None and a.users == 0
                and is_own_action(a, rec)]
        for action in gone:
            bpy.data.actions.remove(action)
        if gone:
            removed.append("its Action")
        given_back = 0
        for name, value in records.driven(rec).items():
            kb = key.key_blocks.get(name)
            if kb is not None:
                kb.value = value  # the animator's own key, as it was before the bake
                given_back += 1
        if given_back:
            removed.append(f"the animation of {given_back} of its own shape keys (their values as before)")
        if rec.jaw_driver and jaw_bone.detach(rec.jaw_driver, bpy.data.objects, key):
            removed.append("the jaw bone's drivers")
        if jaw_bone.JAW_PROPERTY in key.keys():
            del key[jaw_bone.JAW_PROPERTY]
        ours = [kb for kb in key.key_blocks if kb.name.startswith(KEY_PREFIX)]
        for kb in reversed(ours):
            obj.shape_key_remove(kb)
        if ours:
            removed.append(f"{len(ours)} shape keys")
        key = obj.data.shape_keys
        if rec.created_basis and key is not None and len(key.key_blocks) == 1:
            obj.shape_key_remove(key.key_blocks[0])
        if obj.data.shape_keys is not None:
            anim = obj.data.shape_keys.animation_data
            if anim is not None and anim.action is None and not anim.nla_tracks and not anim.drivers:
                obj.data.shape_keys.animation_data_clear()
    mod = obj.modifiers.get(rec.modifier) if rec.modifier else None
    if mod is not None and mod.type == "MESH_CACHE":
        obj.modifiers.remove(mod)
        removed.append("the Mesh Cache modifier")
    note = ""
    if rec.cache:  # the file stays: undo, redo or the saved .blend may still use it
        note = f" (its cache '{os.path.basename(rec.cache)}' stays on disk until Clean Unused Caches)"
    records.clear(obj)
    obj.data.update()
    return f"removed lip sync from '{obj.name}': " + (", ".join(removed) or "nothing left to remove") + note


def ensure_shape_keys(obj, motion: MeshMotion) -> tuple[bool, list[str]]:
    """Basis plus the head's keys on ``obj`` (created, or refreshed in place so F-curves stay bound)."""
    created_basis = obj.data.shape_keys is None
    if created_basis:
        obj.shape_key_add(name="Basis", from_mix=False)
    key = obj.data.shape_keys
    names = own_keys(motion)
    for kb in [kb for kb in key.key_blocks if kb.name.startswith(KEY_PREFIX) and kb.name not in names]:
        obj.shape_key_remove(kb)  # a head with fewer components before
    for i, name in enumerate(names):
        kb = key.key_blocks.get(name) or obj.shape_key_add(name=name, from_mix=False)
        kb.relative_key = key.reference_key
        kb.slider_min, kb.slider_max = -10.0, 10.0
        offset = motion.mean_offset() if i == 0 else motion.component_offsets(i - 1)
        kb.data.foreach_set("co", (motion.rest + offset).ravel())
        kb.value = 0.0
    return created_basis, names


def build_action(bake: Bake, name: str):
    """A new Action on ``bake.obj``'s shape keys: one F-curve per key, dense linear keys, rest at both ends."""
    key = bake.obj.data.shape_keys
    motion = bake.mesh_motion
    action = new_action(name, key)
    fcurves = blender_compat.action_fcurves(action, key)
    rest_pad = np.zeros(1, np.float32)
    names = own_keys(motion)
    if bake.key_values is None:
        raise MulTaNetError("a vertex-cache bake has no shape-key values to key")
    values = bake.key_values
    columns = [bake.sounding.astype(np.float32)] + [values[:, k] for k in range(motion.n_components)]
    with _removed_on_failure(action):
        for key_name, column in zip(names, columns, strict=True):
            fc = fcurves.new(f'key_blocks["{key_name}"].value')
            blender_compat.write_keys(fc, bake.frames, np.concatenate([rest_pad, column, rest_pad]))
    return action


@contextlib.contextmanager
def _removed_on_failure(action):
    """A new Action that could not be filled goes again: no orphan Action named like a bake."""
    try:
        yield
    except BaseException:
        bpy.data.actions.remove(action)
        raise


def _bake_shape_keys(bake: Bake) -> dict:
    created_basis, names = ensure_shape_keys(bake.obj, bake.mesh_motion)
    action = build_action(bake, f"MulTaNet {bake.obj.name}")
    blender_compat.assign_action(bake.obj.data.shape_keys, action)
    return {"created_basis": created_basis, "action": action.name, "keys": len(names)}


def build_named_action(bake: Bake, name: str):
    """A new Action on the mesh's own shape keys that ``bake.key_plan`` drives: one F-curve per key, rest
    at both ends, thinned to the request's tolerance (``bake.written`` says how many keys, what error)."""
    key = bake.obj.data.shape_keys
    plan = bake.key_plan
    if plan is None or bake.key_values is None:
        raise MulTaNetError("a bake by name needs its key plan")
    action = new_action(name, key)
    fcurves = blender_compat.action_fcurves(action, key)
    pad = np.zeros((1, bake.key_values.shape[1]), np.float32)
    values = np.concatenate([pad, bake.key_values, pad])
    with _removed_on_failure(action):
        bake.written = named_keys.write_curves(fcurves, blender_compat.write_keys, plan.keys, bake.frames, values,
                                               bake.request.key_tolerance)
        if bake.jaw_values is not None:  # no shape key takes jawOpen: the Key's own property carries it
            key[jaw_bone.JAW_PROPERTY] = 0.0
            column = np.concatenate([[0.0], bake.jaw_values, [0.0]]).astype(np.float32)
            blender_compat.write_keys(fcurves.new(f'["{jaw_bone.JAW_PROPERTY}"]'), bake.frames, column)
    return action


def attach_jaw(bake: Bake) -> dict:
    """The request's jaw bone, driven from this bake's jawOpen (nothing without a jaw bone)."""
    plan = bake.key_plan
    if bake.request.jaw is None or plan is None or (plan.solved and "jawOpen" not in plan.sources):
        return {}  # (a solved bake drives the jaw bone only through the mesh's own jawOpen key)
    return {"jaw_driver": jaw_bone.attach(bake.request.jaw, bake.obj.data.shape_keys, plan)}


def _bake_by_name(bake: Bake) -> dict:
    """The rig head's weights on the mesh's own shape keys: one Action, one F-curve per driven key."""
    plan = bake.key_plan
    assert plan is not None
    before = driven_before(bake.obj, plan.keys, {})
    action = build_named_action(bake, f"MulTaNet {bake.obj.name}")
    blender_compat.assign_action(bake.obj.data.shape_keys, action)
    return {"action": action.name, "keys": len(plan.keys), "driven_values": records.driven_json(before),
            **attach_jaw(bake)}


def driven_before(obj, keys: list[str], known: dict[str, float]) -> dict[str, float]:
    """The values ``obj``'s own shape keys ``keys`` have before a bake animates them (Remove gives them back):
    ``known`` (an earlier bake's record) for those it animates already, the key's value now for the others."""
    blocks = obj.data.shape_keys.key_blocks
    return {**known, **{k: float(blocks[k].value) for k in keys if k not in known and k in blocks}}


def dialogue_lines(obj) -> list[str]:
    """The dialogue lines (their Sequencer strips' names) on ``obj``'s "Lip Sync" NLA track, in time order."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    anim = key.animation_data if key is not None else None
    track = anim.nla_tracks.get(NLA_TRACK) if anim is not None else None
    if track is None:
        return []
    names = [n.action.get(LINE_STRIP) for n in sorted(track.strips, key=lambda n: n.frame_start)
             if n.action is not None]
    return [n for n in names if isinstance(n, str)]


def check_no_dialogue(obj) -> None:
    """Refuse a single bake onto an object whose "Lip Sync" track holds dialogue lines: it would replace them."""
    lines = dialogue_lines(obj)
    if lines:
        shown = ", ".join(f"'{n}'" for n in lines[:5]) + (f" and {len(lines) - 5} more" if len(lines) > 5 else "")
        raise MulTaNetError(
            f"'{obj.name}' holds {len(lines)} dialogue line{'s' if len(lines) != 1 else ''} from Bake All Dialogue "
            f"on its '{NLA_TRACK}' NLA track ({shown}), which a single bake would replace: to bake this strip too, "
            f"add it to the dialogue list and Bake All Dialogue (lines already baked stay as they are); to replace "
            f"them all with one bake, Remove Lip Sync from '{obj.name}' first")


def _write_cache(bake: Bake, path: str) -> None:
    motion = bake.mesh_motion
    rest = motion.rest[None]

    def chunks():
        yield rest
        for i in range(0, len(bake.coefficients), CACHE_CHUNK):
            verts = motion.vertices(bake.coefficients[i:i + CACHE_CHUNK])
            sounding = bake.sounding[i:i + CACHE_CHUNK]
            if not sounding.all():
                verts[~sounding] = rest
            yield verts
        yield rest

    os.makedirs(os.path.dirname(path), exist_ok=True)
    caches.remove_stale_writes(os.path.dirname(path))  # left by a Blender killed mid-write
    write_pc2(path, chunks(), len(bake.frames), motion.rest.shape[0], start_frame=bake.timing.final_start - 1)


def _bake_cache(bake: Bake) -> dict:
    obj = bake.obj
    mod = obj.modifiers.new(MODIFIER_NAME, "MESH_CACHE")
    mod.cache_format = "PC2"
    mod.filepath = blend_relative(bake.cache_path)
    mod.time_mode = "FRAME"
    mod.play_mode = "SCENE"
    mod.deform_mode = "OVERWRITE"
    mod.interpolation = "LINEAR"
    mod.frame_start = bake.timing.final_start - 1
    mod.frame_scale = 1.0
    if len(obj.modifiers) > 1:
        obj.modifiers.move(len(obj.modifiers) - 1, 0)  # before subdivision and the like
    return {"modifier": mod.name, "cache": mod.filepath}


def apply_bake(bake: Bake) -> str:
    """Replace ``bake.obj``'s lip sync with ``bake`` (SHAPE_KEYS or VERTEX_CACHE); returns a one-line report."""
    obj = bake.obj
    target = bake.request.target
    if target is Target.NLA:
        raise MulTaNetError("a dialogue line is applied by multanet_blender.nla, not as a single bake")
    check_no_dialogue(obj)  # (planned before; the scene may have changed since)
    if target is Target.VERTEX_CACHE:
        # a new file (written atomically) under a name no other bake used: a failure here leaves the scene
        # and the old bake alone, and the old bake's file stays for undo and for the saved .blend
        _write_cache(bake, bake.cache_path)
    try:
        if has_lip_sync(obj):
            remove_lip_sync(obj)
        done = {Target.VERTEX_CACHE: _bake_cache, Target.BY_NAME: _bake_by_name}.get(target, _bake_shape_keys)(bake)
    except BaseException:
        if bake.cache_path and not any(m.type == "MESH_CACHE" and bpy.path.abspath(m.filepath) == bake.cache_path
                                       for m in obj.modifiers):
            with contextlib.suppress(FileNotFoundError):
                os.remove(bake.cache_path)  # written by this bake a moment ago; nothing uses it
        raise
    request = bake.request
    records.write(obj, LipSyncRecord(
        target=target, head=bake.head_name, checkpoint=request.checkpoint, source=bake.source_label,
        emotion=request.emotion, strength=float(request.strength), lip_contact=float(request.lip_contact),
        blinks=bool(request.blinks and bake.blinked), text=request.text,
        language=request.language if request.text else "", frame_start=bake.timing.final_start,
        frame_end=bake.timing.final_end, **done))
    obj.data.update()
    what = "shape keys" if target is Target.SHAPE_KEYS else "a vertex cache"
    if bake.key_plan is not None:
        total, error = bake.written
        plan = bake.key_plan
        what = (f"{len(plan.keys) - len(plan.idle)} of its own shape keys by name ({plan.convention}"
                + (f", {100 * bake.solve_error:.1f} % of the motion missed" if bake.solve_error is not None else "")
                + f"), {total:,} keys"
                + (f" thinned to {bake.request.key_tolerance:g} (largest error {error:.3f})"
                   if bake.request.key_tolerance > 0 else ""))
        if plan.warning():
            what += f"; {plan.warning()}"
        if plan.note():
            what += f"; {plan.note()}"
    return (f"lip sync for '{obj.name}' (head '{printable(bake.head_name)}') from {bake.source_label}: "
            f"frames {bake.timing.final_start}-{bake.timing.final_end - 1} as {what}")
