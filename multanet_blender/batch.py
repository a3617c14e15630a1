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
the object when several match). :func:`bake_steps` (the one batch driver; :func:`bake_dialogue` runs it
to the end) bakes each line as its own Action on the character's "Lip Sync" NLA track (:mod:`.nla`).
Lines of one character that overlap in time are reported and the later one skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import bpy

from multanet_core.errors import MulTaNetError
from multanet_core.script import DEFAULT_LANGUAGE
from multanet_core.text import printable

from . import blender_compat, checkpoints, jaw_bone, lipsync, named_keys, pipeline, properties, script_text
from . import record as records
from .mapping import topology_problem
from .record import Target
from .request import BakeRequest, Source


@dataclass
class BatchReport:
    baked: list[tuple[str, str]] = field(default_factory=list)  # (strip, what was baked)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (strip, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (strip, error)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (strip, what to check): baked all the same
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        head = (f"baked {len(self.baked)} line{'s' if len(self.baked) != 1 else ''}, skipped {len(self.skipped)}, "
                f"failed {len(self.failed)}" + (" (cancelled)" if self.cancelled else "")
                + (f", {len(self.warnings)} with a warning" if self.warnings else ""))
        details = [f"  warning '{s}': {why}" for s, why in self.warnings]
        details += [f"  skipped '{s}': {why}" for s, why in self.skipped]
        details += [f"  FAILED '{s}': {why}" for s, why in self.failed]
        return "\n".join([head] + details)


def head_for_mesh(ckpt, obj) -> str:
    """The checkpoint head whose topology matches ``obj``'s mesh (by name when several do); else a rig head
    whose names find some of the mesh's own shape keys ('' if none)."""
    if obj is None or obj.type != "MESH":
        return ""
    topo = lipsync.mesh_topology(obj.data)
    matching = [h.name for h in ckpt.mesh_heads if topology_problem(h, obj.name, *topo) is None]
    if not matching:
        for head in ckpt.rig_heads:
            try:
                named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX)
            except MulTaNetError:
                continue
            return head.name
        return ""
    rec = records.read(obj)
    recorded = rec.head if rec is not None else ""
    for preferred in (recorded, obj.name):
        if preferred in matching:
            return preferred
    return matching[0]


def no_head_reason(ckpt, obj) -> str:
    """Why a line of ``obj`` has no head, in words (``ckpt``: the panel's checkpoint, None if it loads not)."""
    if ckpt is None or head_for_mesh(ckpt, obj):
        return f"no head chosen for '{obj.name}': choose one in the dialogue list"
    n_vertices = len(obj.data.vertices) if obj.type == "MESH" else 0
    heads = ", ".join(f"'{printable(h.name)}' ({h.n_vertices:,})" for h in ckpt.mesh_heads) or "none"
    rig = " and no rig head finds its shape keys" if ckpt.rig_heads else ""
    return (f"no head of the checkpoint matches the topology of '{obj.name}' ({n_vertices:,} vertices; "
            f"the checkpoint's mesh heads and their vertices: {heads}){rig}")


def _no_character_reason(strip) -> str:
    return (f"no character assigned: name the strip '<object>: ...' or assign channel {strip.channel} "
            f"to a character")


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
    ckpt, _ = properties.panel_checkpoint(scene.multanet)
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
            messages.append(f"'{strip.name}': {no_head_reason(ckpt, line.target)}")
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
    line: Any  # a MULTANET_PG_line of the scene's dialogue list
    strip: Any  # its Sequencer sound strip (bpy.types.SoundStrip / SoundSequence on 4.2)
    obj: bpy.types.Object
    head: str


def would_replace(obj, head: str, checkpoint_path: str, strips: list[str]) -> str:
    """Why baking the dialogue lines ``strips`` onto ``obj`` with ``head`` of ``checkpoint_path`` would lose
    something the animator has ('' when nothing): a single bake (Generate Lip Sync), which lines replace, or
    lines baked with another head or checkpoint that this batch does not bake again (all lines of an object
    share its shape keys, so a new head replaces them all)."""
    rec = records.read(obj)
    if rec is None:
        return ""
    if rec.target is not Target.NLA:
        what = rec.source or "a sound"
        frames = f", frames {rec.frame_start}-{rec.frame_end - 1}" if rec.frame_end > rec.frame_start else ""
        return (f"'{obj.name}' holds a single bake from Generate Lip Sync ({what}{frames}), which its dialogue lines "
                f"would replace: Remove Lip Sync from '{obj.name}' first, or bake that sound as a dialogue line too")
    if rec.head == head and rec.checkpoint == checkpoint_path:
        return ""
    left = [n for n in lipsync.dialogue_lines(obj) if n not in strips]
    if not left:
        return ""
    shown = ", ".join(f"'{n}'" for n in left[:5]) + (f" and {len(left) - 5} more" if len(left) > 5 else "")
    return (f"the dialogue of '{obj.name}' was baked with head '{printable(rec.head)}' of '{rec.checkpoint}', and a "
            f"new head or checkpoint replaces all of its lines, but {shown} {'is' if len(left) == 1 else 'are'} not "
            f"in this batch: bake {'it' if len(left) == 1 else 'them'} too (switch on in the dialogue list), or "
            f"Remove Lip Sync from '{obj.name}' first")


def _jobs(scene, lines, report: BatchReport, ckpt=None, checkpoint_path: str = "") -> list[_Job]:
    """Lines that can be baked; the others go to ``report.skipped`` with the reason (``ckpt``: the
    checkpoint, to say why a line has no head), or to ``report.failed`` when baking them would lose an
    earlier bake (:func:`would_replace`)."""
    strips = {s.name: s for s in blender_compat.all_strips(scene)}
    jobs = []
    for line in lines:
        strip = strips.get(line.strip)
        if not line.use:
            report.skipped.append((line.strip, "switched off in the dialogue list"))
        elif strip is None or strip.type != "SOUND":
            report.skipped.append((line.strip, "no such sound strip in the Sequencer"))
        elif line.target is None:
            report.skipped.append((line.strip, _no_character_reason(strip)))
        elif not line.head:
            report.skipped.append((line.strip, no_head_reason(ckpt, line.target)))
        else:
            jobs.append(_Job(line, strip, line.target, line.head))
    by_object: dict[str, list[_Job]] = {}
    for job in jobs:
        by_object.setdefault(job.obj.name, []).append(job)
    keep = []
    for group in by_object.values():
        problem = would_replace(group[0].obj, group[0].head, checkpoint_path, [j.strip.name for j in group])
        if problem:
            for job in group:
                job.line.status = "failed"
                report.failed.append((job.strip.name, problem))
            continue
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
        ckpt = checkpoints.load(checkpoint_path)
    except MulTaNetError as exc:
        report.failed += [(line.strip, str(exc)) for line in lines]
        return [], report, checkpoint_path
    return _jobs(scene, lines, report, ckpt, checkpoint_path), report, checkpoint_path


def request_for(scene, job: _Job, checkpoint_path: str, lip_contact: float = 1.0,
                blinks: bool = False) -> BakeRequest:
    """The bake request of one dialogue line (``lip_contact`` and ``blinks``: the panel's, as its checkpoint is;
    its text: the line's, else the .txt beside its sound file)."""
    source = Source(strip_name=job.strip.name)
    text = script_text.line_text(scene, source, job.line.text)
    return BakeRequest(obj=job.obj, checkpoint=checkpoint_path, head=job.head, source=source,
                       emotion=job.line.emotion or "", strength=job.line.strength, lip_contact=lip_contact,
                       blinks=blinks, text=text, language=job.line.language.strip() or DEFAULT_LANGUAGE,
                       target=Target.NLA, jaw=jaw_bone.of_object(job.obj))


@dataclass(frozen=True)
class Step:
    """Progress of a batch: line ``index`` of ``total`` (``strip``) is about to be baked."""

    index: int
    total: int
    strip: str


def bake_steps(scene, lines=None) -> Generator[Step, bool | None, BatchReport]:
    """The one batch driver: yields a :class:`Step` before each line and bakes it when resumed; sending
    True instead stops there (the rest are reported as cancelled). Its return value is the report.

    Bake All Dialogue (one line per timer tick, so the viewport stays live), the headless operator,
    the demo and the command-line bake all drive this generator."""
    jobs, report, checkpoint_path = start(scene, lines)
    lip_contact = min(max(float(scene.multanet.lip_contact), 0.0), 1.0)
    blinks = bool(scene.multanet.blinks)
    for i, job in enumerate(jobs):
        if (yield Step(i, len(jobs), job.strip.name)):
            report.cancelled = True
            report.skipped += [(j.strip.name, "cancelled") for j in jobs[i:]]
            break
        try:
            outcome = pipeline.bake(scene, request_for(scene, job, checkpoint_path, lip_contact, blinks))
        except (MulTaNetError, OSError) as exc:
            job.line.status = "failed"
            report.failed.append((job.strip.name, str(exc)))
        else:
            # a line the animator should look at again (it hardly sounded like speech, or it is muted) says so
            job.line.status = f"baked: {outcome.attention}" if outcome.attention else "baked"
            report.baked.append((job.strip.name, outcome.message))
            if outcome.attention:
                report.warnings.append((job.strip.name, outcome.attention))
    scene.multanet_dialogue.last_summary = report.summary().splitlines()[0]
    return report


def bake_dialogue(scene, lines=None, on_progress: Callable[[int, int, str], None] | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> BatchReport:
    """Bake every (or the given) dialogue line of ``scene`` in one go; each line is baked whole or not at all."""
    steps = bake_steps(scene, lines)
    total = 0
    try:
        step = next(steps)
        while True:
            total = step.total
            cancel = should_cancel is not None and should_cancel()
            if on_progress is not None and not cancel:
                on_progress(step.index, step.total, step.strip)
            step = steps.send(cancel)
    except StopIteration as done:
        report = done.value
    if on_progress is not None:
        on_progress(total, total, "")
    return report
