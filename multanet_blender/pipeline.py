"""The one way a bake happens: plan (checks, audio, network, mapping; the scene untouched), then apply."""

from __future__ import annotations

from . import lipsync, nla
from .record import Target
from .request import BakeRequest


def run(scene, request: BakeRequest) -> str:
    """Carry out ``request`` in ``scene``; returns what was done, in words. Raises MulTaNetError (or
    OSError) before anything changes when the request cannot be baked."""
    bake = lipsync.plan_bake(scene, request)
    done = nla.apply_line(bake) if request.target is Target.NLA else lipsync.apply_bake(bake)
    return f"{done}; note: {bake.note} (baked from its sound all the same)" if bake.note else done
