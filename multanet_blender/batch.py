"""Batch-baking a scene's dialogue: every sound strip assigned to a character becomes an NLA strip.

The dialogue list (``scene.multanet_dialogue.lines``, see :mod:`.dialogue_ui`) holds one line per
Sequencer sound strip: the character's mesh object, its head, emotion and strength. The rule that
fills it (:func:`fill_dialogue`):

1. a strip named ``<object name>: ...`` (e.g. ``Ada: where were you?``) belongs to that mesh object;
2. otherwise a strip on a channel assigned to a character (``scene.multanet_dialogue.channels``)
   belongs to that character;
3. otherwise the line has no character: it stays in the list, shown, and is reported, never silently
   skipped.

The head is the one of the panel's checkpoint whose topology matches the mesh (the one named like
the object when several match). :func:`bake_dialogue` bakes each line as its own Action, placed as
an NLA strip at the line's frames on a "Lip Sync" track of the character's shape keys, so lines can
be moved, blended and layered under hand-keyed animation. The shape keys are shared by all lines
of a character. Re-baking a line replaces its Action; lines of one character that overlap in time
are reported and the later one skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import bpy

from . import blender_compat, checkpoints, lipsync, properties
from .core.errors import MulTaNetError
from .mapping import topology_problem


@dataclass
class BatchReport:
    baked: list[tuple[str, str]] = field(default_factory=list)  # (strip, what was baked)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (strip, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (strip, error)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        head = (f"baked {len(self.baked)} line{'s' if len(self.baked) != 1 else ''}, skipped {len(self.skipped)}, "
                f"failed {len(self.failed)}" + (" (cancelled)" if self.cancelled else ""))
        details = [f"  skipped '{s}': {why}" for s, why in self.skipped]
        details += [f"  FAILED '{s}': {why}" for s, why in self.failed]
        return "\n".join([head] + details)


def head_for_mesh(ckpt, obj) -> str:
    """The checkpoint head whose topology matches ``obj``'s mesh ('' if none); by name when several do."""
    if obj is None or obj.type != "MESH":
        return ""
    topo = lipsync.mesh_topology(obj.data)
    matching = [h.name for h in ckpt.heads if topology_problem(h, obj.name, *topo) is None]
    if not matching:
        return ""
    recorded = lipsync.record(obj).get("head", "")
    for preferred in (recorded, obj.name):
        if preferred in matching:
            return preferred
    return matching[0]


def _character_for(scene, strip):
    dialogue = scene.multanet_dialogue
    if ":" in strip.name:
        name = strip.name.split(":", 1)[0].strip()
        obj = bpy.data.objects.get(name) or next(
            (o for o in bpy.data.objects if o.name.lower() == name.lower()), None)
        if obj is not None and obj.type == "MESH":
            return obj
    for assignment in dialogue.channels:
        if assignment.channel == strip.channel and assignment.target is not None:
            return assignment.target
    return None


def fill_dialogue(scene) -> list[str]:
    """Add a line for every sound strip (keeping the user's edits), drop lines whose strip is gone.

    Returns messages for the strips that got no character or no matching head."""
    dialogue = scene.multanet_dialogue
    strips = sorted(blender_compat.sound_strips(scene), key=lambda s: (s.frame_final_start, s.channel))
    names = {s.name for s in strips}
    for i in reversed(range(len(dialogue.lines))):
        if dialogue.lines[i].strip not in names:
            dialogue.lines.remove(i)
    existing = {line.strip: line for line in dialogue.lines}
    ckpt, _ = properties.load_checkpoint(scene.multanet)
    messages = []
    for strip in strips:
        line = existing.get(strip.name)
        if line is None:
            line = dialogue.lines.add()
            line.strip = line.name = strip.name
        if line.target is None:
            line.target = _character_for(scene, strip)
        if line.target is None:
            line.status = "no character"
            messages.append(f"'{strip.name}' (channel {strip.channel}): no character: name the strip "
                            f"'<object>: ...' or assign channel {strip.channel} to a character")
            continue
        if not line.head and ckpt is not None:
            line.head = head_for_mesh(ckpt, line.target)
        if not line.head:
            line.status = "no head"
            messages.append(f"'{strip.name}': no head of the checkpoint matches '{line.target.name}'")
        elif line.status in ("", "no character", "no head"):
            line.status = "ready"
    # keep the list in timeline order
    order = {s.name: i for i, s in enumerate(strips)}
    for target_index in range(len(dialogue.lines)):
        best = min(range(target_index, len(dialogue.lines)), key=lambda i: order[dialogue.lines[i].strip])
        if best != target_index:
            dialogue.lines.move(best, target_index)
    return messages


@dataclass
class _Job:
    line: object
    strip: object
    obj: object
    head: str


def _jobs(scene, lines, report: BatchReport) -> list[_Job]:
    """Lines that can be baked; the others go to ``report.skipped`` with the reason."""
    strips = {s.name: s for s in blender_compat.all_strips(scene)}
    jobs = []
    for line in lines:
        strip = strips.get(line.strip)
        if not line.use:
            report.skipped.append((line.strip, "switched off in the dialogue list"))
        elif strip is None or strip.type != "SOUND":
            report.skipped.append((line.strip, "no such sound strip in the Sequencer"))
        elif line.target is None:
            report.skipped.append((line.strip, "no character assigned"))
        elif not line.head:
            report.skipped.append((line.strip, f"no head chosen for '{line.target.name}'"))
        else:
            jobs.append(_Job(line, strip, line.target, line.head))
    by_object: dict[str, list[_Job]] = {}
    for job in jobs:
        by_object.setdefault(job.obj.name, []).append(job)
    keep = []
    for group in by_object.values():
        group.sort(key=lambda j: j.strip.frame_final_start)
        last = None
        for job in group:
            if last is not None and job.strip.frame_final_start < last.strip.frame_final_end:
                report.skipped.append((job.strip.name, (
                    f"overlaps '{last.strip.name}' (frames {last.strip.frame_final_start}-"
                    f"{last.strip.frame_final_end - 1}) on the same character '{job.obj.name}'")))
                job.line.status = "overlap"
                continue
            keep.append(job)
            last = job
    keep.sort(key=lambda j: (j.strip.frame_final_start, j.obj.name))
    return keep


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
    """Clear a single bake (or a batch with another head) before baking dialogue lines onto ``obj``."""
    rec = lipsync.record(obj)
    if rec and (rec.get("mode") != "NLA" or rec.get("head") != head or rec.get("checkpoint") != checkpoint_path):
        lipsync.remove_lip_sync(obj)


def bake_line(scene, job: _Job, checkpoint_path: str) -> str:
    """Bake one dialogue line onto its character as an Action on the "Lip Sync" NLA track."""
    line = job.line
    bake = lipsync.plan_bake(scene, job.obj, checkpoint_path, job.head, lipsync.Source(strip_name=job.strip.name),
                             line.emotion or "", line.strength, "SHAPE_KEYS", layered=True)
    obj = job.obj
    _prepare_object(obj, job.head, checkpoint_path)
    created_basis, names = lipsync.ensure_shape_keys(obj, bake.motion)
    key = obj.data.shape_keys
    _remove_line(key, job.strip.name, obj.name)
    action = lipsync.build_action(bake, f"MulTaNet {obj.name} | {job.strip.name}")
    action[lipsync.LINE_OWNER] = obj.name
    action[lipsync.LINE_STRIP] = job.strip.name
    track = _track(key)
    try:
        _place(track, action, bake.timing.final_start, bake.timing.final_end, job.strip.name)
    except (RuntimeError, MulTaNetError) as exc:
        for nla in [n for n in track.strips if n.action == action]:
            track.strips.remove(nla)
        bpy.data.actions.remove(action)
        raise MulTaNetError(f"cannot place '{job.strip.name}' on the '{lipsync.NLA_TRACK}' track: {exc}") from exc
    _fix_extrapolation(track)
    rec = lipsync.record(obj)
    obj[lipsync.RECORD] = {
        "mode": "NLA", "head": job.head, "checkpoint": checkpoint_path, "keys": len(names),
        "created_basis": int(rec.get("created_basis", created_basis)),
    }
    return f"frames {bake.timing.final_start}-{bake.timing.final_end - 1} on '{obj.name}' ({job.head})"


def start(scene, lines=None) -> tuple[list[_Job], BatchReport, str]:
    """The lines to bake, in timeline order, and a report holding those skipped (with why)."""
    report = BatchReport()
    checkpoint_path = properties.checkpoint_path(scene.multanet)
    dialogue = scene.multanet_dialogue
    if lines is None:
        if not len(dialogue.lines):
            fill_dialogue(scene)
        lines = list(dialogue.lines)
    try:
        checkpoints.load(checkpoint_path)
    except MulTaNetError as exc:
        report.failed += [(line.strip, str(exc)) for line in lines]
        return [], report, checkpoint_path
    return _jobs(scene, lines, report), report, checkpoint_path


def bake_job(scene, job: _Job, checkpoint_path: str, report: BatchReport) -> None:
    """Bake one line; its outcome goes to ``report`` and the line's status."""
    try:
        what = bake_line(scene, job, checkpoint_path)
    except (MulTaNetError, OSError) as exc:
        job.line.status = "failed"
        report.failed.append((job.strip.name, str(exc)))
        return
    job.line.status = "baked"
    report.baked.append((job.strip.name, what))


def bake_dialogue(scene, lines=None, on_progress: Callable[[int, int, str], None] | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> BatchReport:
    """Bake every (or the given) dialogue line of ``scene``; each line is baked whole or not at all."""
    jobs, report, checkpoint_path = start(scene, lines)
    for i, job in enumerate(jobs):
        if should_cancel is not None and should_cancel():
            report.cancelled = True
            report.skipped += [(j.strip.name, "cancelled") for j in jobs[i:]]
            break
        if on_progress is not None:
            on_progress(i, len(jobs), job.strip.name)
        bake_job(scene, job, checkpoint_path, report)
    if on_progress is not None:
        on_progress(len(jobs), len(jobs), "")
    scene.multanet_dialogue.last_summary = report.summary().splitlines()[0]
    return report
