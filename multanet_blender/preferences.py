"""Add-on preferences: the checkpoints used recently, newest first."""

from __future__ import annotations

import os

import bpy
from bpy.props import CollectionProperty, StringProperty

MAX_RECENT = 8
ADDON = __package__  # "multanet_blender", or "bl_ext.<repo>.multanet_blender" when installed as an extension


class MULTANET_PG_recent(bpy.types.PropertyGroup):
    path: StringProperty(name="Path", subtype="FILE_PATH")


class MULTANET_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ADDON

    recent: CollectionProperty(type=MULTANET_PG_recent)

    def draw(self, context):
        layout = self.layout
        layout.label(text="Recent checkpoints:")
        col = layout.column(align=True)
        for item in self.recent:
            col.label(text=item.path, icon="FILE")
        if not self.recent:
            col.label(text="(none yet)")


def get():
    """The add-on's preferences, or None where it is registered without being enabled (scripts, tests)."""
    addon = bpy.context.preferences.addons.get(ADDON)
    return addon.preferences if addon is not None else None


def remember(path: str) -> None:
    """Put ``path`` first in the recent checkpoints."""
    prefs = get()
    if prefs is None or not path:
        return
    path = os.path.abspath(path)
    for i, item in enumerate(prefs.recent):
        if item.path == path:
            prefs.recent.move(i, 0)
            return
    prefs.recent.add().path = path
    prefs.recent.move(len(prefs.recent) - 1, 0)
    while len(prefs.recent) > MAX_RECENT:
        prefs.recent.remove(len(prefs.recent) - 1)


def recent_paths() -> list[str]:
    prefs = get()
    return [item.path for item in prefs.recent] if prefs is not None else []


classes = (MULTANET_PG_recent, MULTANET_AP_preferences)
register, unregister = bpy.utils.register_classes_factory(classes)
