"""Long messages in a panel: a Blender label is one line, cut off at the panel's edge, so an error of a
few hundred characters (a mesh that matches no head, a checkpoint that does not load) is drawn as
several labels, wrapped to the sidebar's width."""

from __future__ import annotations

import textwrap

CHAR_PX = 7.0  # about the width of one character of the UI font at scale 1, in pixels
MIN_CHARS = 24


def wrap(text: str, width_px: float | None, ui_scale: float = 1.0) -> list[str]:
    """``text`` as the lines a panel ``width_px`` wide (None: unknown, as in a background run) shows."""
    chars = 60 if not width_px else max(MIN_CHARS, int(width_px / (CHAR_PX * max(ui_scale, 0.1))) - 4)
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]


def label(layout, context, text: str, icon: str = "NONE") -> None:
    """``text`` as wrapped labels in ``layout``: the icon on the first line, the others indented under it."""
    region = getattr(context, "region", None)
    scale = getattr(getattr(context, "preferences", None), "view", None)
    lines = wrap(text, region.width if region is not None else None, getattr(scale, "ui_scale", 1.0))
    col = layout.column(align=True)
    for i, line in enumerate(lines):
        col.label(text=line, icon=icon if i == 0 else ("BLANK1" if icon != "NONE" else "NONE"))
