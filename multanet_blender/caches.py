"""Vertex-cache files: one uniquely named file per bake, never deleted while anything may still use it.

Every bake writes a new ``<object>.<8 hex digits>.pc2``, so two objects whose names clean to the same
text (``Ada.1``, ``Ada_1``), or a Shift+D copy that carries the original's record, never share or
overwrite a file. Remove and re-bake leave the old file where it is: undo, redo and the .blend saved
on disk may still name it. :func:`clean_unused` deletes, on request, only files that match that
pattern, lie in the cache folder, and that no object in the open file uses (its Mesh Cache modifiers,
its lip-sync records); with them go the temporary files of cache writes that a killed Blender left, known
by this add-on's own naming (:func:`stale_writes`): other ``*.partial`` files in the folder are never touched.
"""

from __future__ import annotations

import os
import re
import secrets

import bpy

from multanet_core.atomic import stale_partials

from . import record as records

CACHE_NAME = re.compile(r"^.+\.[0-9a-f]{8}\.pc2$")
# atomic_write's temporary file for a cache file: ".<object>.<8 hex>.pc2.<pid>.<random>.partial"
CACHE_TEMP = re.compile(r"^\.(?P<target>.+\.[0-9a-f]{8}\.pc2)\.\d+\.\w+\.partial$")


def _norm(path: str) -> str:
    return os.path.normcase(os.path.realpath(path))


def new_cache_path(folder: str, object_name: str) -> str:
    """A file name in ``folder`` that no earlier bake used: the cleaned object name and a random tag."""
    stem = bpy.path.clean_name(object_name)
    while True:
        path = os.path.join(folder, f"{stem}.{secrets.token_hex(4)}.pc2")
        if not os.path.exists(path):
            return path


def referenced() -> set[str]:
    """Every file a Mesh Cache modifier or a lip-sync record of an object in the open file names."""
    used = set()
    for obj in bpy.data.objects:
        for mod in getattr(obj, "modifiers", ()):
            if mod.type == "MESH_CACHE" and mod.filepath:
                used.add(_norm(bpy.path.abspath(mod.filepath, library=obj.library)))
        rec = records.read(obj)
        if rec is not None and rec.cache:
            used.add(_norm(bpy.path.abspath(rec.cache, library=obj.library)))
    return used


def unused(folder: str) -> list[str]:
    """This add-on's cache files in ``folder`` that nothing in the open file uses, sorted."""
    if not os.path.isdir(folder):
        return []
    used = referenced()
    out = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if CACHE_NAME.match(name) and os.path.isfile(path) and not os.path.islink(path) and _norm(path) not in used:
            out.append(path)
    return out


def stale_writes(folder: str) -> list[str]:
    """Temporary files of this add-on's cache writes that a killed Blender left in ``folder``: ``atomic_write``'s
    of a dead process for a cache file (:data:`CACHE_TEMP`), and the ``<object>.pc2.partial`` files of versions
    before 2026-11, for an object of the open file. Anything else (``shot.pc2.partial``, another program's
    ``.render.999999.abc.partial``) is not this add-on's, and stays."""
    if not os.path.isdir(folder):
        return []
    own = [p for p in stale_partials(folder) if CACHE_TEMP.match(os.path.basename(p)) and _plain_file(p)]
    objects = {bpy.path.clean_name(o.name) for o in bpy.data.objects if o.type == "MESH"}
    legacy = [os.path.join(folder, n) for n in sorted(os.listdir(folder))
              if n.endswith(".pc2.partial") and n[:-len(".pc2.partial")] in objects]
    return own + [p for p in legacy if _plain_file(p)]


def _plain_file(path: str) -> bool:
    return os.path.isfile(path) and not os.path.islink(path)


def remove_stale_writes(folder: str) -> list[str]:
    return _remove(stale_writes(folder))


def clean_unused(folder: str) -> list[str]:
    """Delete :func:`unused` files and :func:`stale_writes`; returns the names deleted."""
    return _remove(unused(folder) + stale_writes(folder))


def _remove(paths: list[str]) -> list[str]:
    removed = []
    for path in paths:
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
        removed.append(os.path.basename(path))
    return removed
