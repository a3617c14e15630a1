"""The one way a bake happens: plan (checks, audio, network, mapping; the scene untouched), then apply."""

from __future__ import annotations

from dataclasses import dataclass

from . import lipsync, nla
from .record import Target
from .request import BakeRequest


@dataclass(frozen=True)
class Outcome:
    """What a bake did, in words (with any note and warning), and its warning alone ('' when none)."""

    message: str
    warning: str = ""  # the animator should check the bake: its sound hardly sounded like speech
    note: str = ""  # baked all the same, but worth knowing: the strip is silent in playback (muted)

    @property
    def attention(self) -> str:
        """The warning and the note in one line ('' when neither): what a batch shows beside the line."""
        return "; ".join(p for p in (self.warning, self.note) if p)


def bake(scene, request: BakeRequest) -> Outcome:
    """Carry out ``request`` in ``scene``. Raises MulTaNetError (or OSError) before anything changes when the
    request cannot be baked."""
    planned = lipsync.plan_bake(scene, request)
    done = nla.apply_line(planned) if request.target is Target.NLA else lipsync.apply_bake(planned)
    if planned.info:
        done += f"; {planned.info}"
    if planned.note:
        done += f"; note: {planned.note}"
    if planned.warning:
        done += f"; warning: {planned.warning}"
    return Outcome(done, planned.warning, planned.note)


def run(scene, request: BakeRequest) -> str:
    """Carry out ``request`` in ``scene``; returns what was done, in words (see :func:`bake`)."""
    return bake(scene, request).message
