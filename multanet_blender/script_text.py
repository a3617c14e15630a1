"""Which text a bake uses as its line's script (issue 29): the one given (the panel's Text or text block, a
dialogue line's Text), else the ``.txt`` beside the line's sound file with the same name (as Rhubarb Lip
Sync's dialog file), else none, and the bake is audio-only as before."""

from __future__ import annotations

import os

import bpy

from multanet_core import script
from multanet_core.script import ScriptError, clean_text

from . import blender_compat
from .request import Source


def sound_path(scene, source: Source) -> str:
    """The absolute path of the file a bake's sound comes from ('' for a packed sound or no file)."""
    if source.file_path:
        return source.file_path
    strip = next((s for s in blender_compat.all_strips(scene) if s.name == source.strip_name), None)
    sound = getattr(strip, "sound", None) if strip is not None else None
    if sound is None or sound.packed_file is not None or not sound.filepath:
        return ""
    return os.path.normpath(bpy.path.abspath(sound.filepath, library=sound.library))


def line_text(scene, source: Source, given: str = "", block=None) -> str:
    """The text of a bake's line ('' none): ``given`` where it has words, else the text block ``block``, else the
    ``.txt`` beside the sound's file. A ``.txt`` that cannot be read refuses the bake with a
    :class:`multanet_core.script.ScriptError` that names it (the animator meant it to be used)."""
    if given.strip():
        return clean_text(given, "the line's text")
    if block is not None:
        return clean_text(block.as_string(), f"text block '{block.name}'")
    try:
        text, _ = script.line_text(audio_path=sound_path(scene, source) or None)
    except ScriptError as exc:
        raise ScriptError(f"the text beside the sound: {exc}") from exc
    return text or ""
