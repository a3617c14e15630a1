"""What saving a baked .blend to its destination must check first, and the add-on's own paths it must
remap: :func:`write_problem` (permissions, a backup name too long for the file system),
:func:`version_problem` (a file from a newer Blender) and :func:`relocated_paths` (the add-on's ``//``
paths made relative to the folder a copy goes to, as ``relative_remap`` does for Blender's own); and which
file the open .blend was when Blender read it (:func:`opened_identity`), for a bake of it in place."""

from __future__ import annotations

import contextlib
import dataclasses
import os

from multanet_core.atomic import resolved

BACKUP_SUFFIX = "1"  # SCENE.blend -> SCENE.blend1
_opened: dict[str, tuple[int, int]] = {}  # the open .blend (real path) -> (device, inode) when Blender read or saved it


def note_opened(*_) -> None:
    """load_post / save_post handler: which file the open .blend is, so that a bake of it in place
    (``blender -b SHOT.blend --python-expr ...``) can tell when another process has replaced it since."""
    import bpy

    _opened.clear()
    if bpy.data.filepath:
        with contextlib.suppress(OSError):
            st = os.stat(bpy.data.filepath)
            _opened[os.path.realpath(bpy.data.filepath)] = (st.st_dev, st.st_ino)


def opened_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of ``path`` when this Blender read (or last saved) it; None when unknown."""
    return _opened.get(os.path.realpath(path))


def register() -> None:
    import bpy

    handler = bpy.app.handlers.persistent(note_opened)
    for handlers in (bpy.app.handlers.load_post, bpy.app.handlers.save_post):
        if handler not in handlers:
            handlers.append(handler)
    note_opened()  # the file already open when the add-on is enabled


def unregister() -> None:
    import bpy

    for handlers in (bpy.app.handlers.load_post, bpy.app.handlers.save_post):
        while note_opened in handlers:
            handlers.remove(note_opened)


def overwrites_source(path: str, out: str) -> bool:
    return resolved(out) == resolved(path)


def _name_max(folder: str) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def write_problem(path: str, out: str) -> str:
    """Why ``out`` cannot be written, checked before baking ('' when it can): a folder or a file without
    write permission (a read-only file is refused, as Blender's own Save refuses it), or a backup name
    longer than the file system allows."""
    folder = os.path.dirname(out)
    if os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write to the folder '{folder}' (no write permission)"
    if os.path.exists(out) and not os.access(out, os.W_OK):
        return f"'{out}' is read-only (no write permission)"
    backup = os.path.basename(out) + BACKUP_SUFFIX
    if overwrites_source(path, out) and len(backup.encode()) > _name_max(folder):
        return (f"the original cannot be kept: the name of its backup '...{backup[-20:]}' would be "
                f"{len(backup.encode())} bytes, over the {_name_max(folder)} the file system allows")
    return ""


def version_problem() -> str:
    """Why the open file must not be saved by this Blender ('' when it may): one written by a newer
    Blender, which this one reads with a warning and would save without what it does not know."""
    import bpy

    version = bpy.data.version
    written = tuple(int(version[i]) for i in range(3))  # type: ignore[index]  # (the stubs: an untyped array)
    if written <= tuple(bpy.app.version_file):
        return ""
    major, minor = written[:2]
    return (f"written by Blender {major}.{minor}, newer than this Blender {bpy.app.version_string}: saving "
            f"it would lose what this version does not know; bake it with Blender {major}.{minor} or newer")


def _rebase(value: str, folder: str) -> str:
    """A ``//`` path of the open file, relative to ``folder`` instead (absolute on another drive)."""
    import bpy

    absolute = bpy.path.abspath(value)
    try:
        new = bpy.path.relpath(absolute, start=folder)
    except ValueError:
        return absolute
    return new + "/" if value.endswith(("/", "\\")) and not new.endswith("/") else new


def _path_props(group):
    """(group, name) of each ``//`` file or folder path set in an add-on property group, nested ones too."""
    import bpy

    for prop in group.bl_rna.properties:
        name = prop.identifier
        if prop.type == "STRING" and prop.subtype in ("FILE_PATH", "DIR_PATH"):
            if group.is_property_set(name) and getattr(group, name).startswith("//"):
                yield group, name
        elif prop.type == "POINTER" and name != "rna_type" and isinstance(getattr(group, name),
                                                                        bpy.types.PropertyGroup):
            yield from _path_props(getattr(group, name))
        elif prop.type == "COLLECTION":
            for item in getattr(group, name):
                if isinstance(item, bpy.types.PropertyGroup):
                    yield from _path_props(item)


@contextlib.contextmanager
def relocated_paths(folder: str):
    """While the block runs, the add-on's own ``//`` paths (the panel's checkpoint, audio file and cache
    folder, and any other path of its property groups on scenes and objects; the vertex caches its
    records name) are relative to ``folder``: a copy saved there with ``relative_remap`` (which does the
    same for Blender's own paths: sounds, images, Mesh Cache files) finds the same files."""
    import bpy

    from . import record as records

    if not bpy.data.filepath or os.path.normpath(folder) == os.path.dirname(bpy.data.filepath):
        yield
        return
    props, recs = [], []
    for owner in (*bpy.data.scenes, *bpy.data.objects):
        if owner.library is not None:
            continue  # linked data: its library's paths, which Blender remaps
        for prop in owner.bl_rna.properties:
            if prop.identifier.startswith("multanet") and prop.type in ("POINTER", "COLLECTION"):
                value = getattr(owner, prop.identifier)
                for group in (value if prop.type == "COLLECTION" else [value]):
                    props += [(g, n, getattr(g, n)) for g, n in _path_props(group)]
        rec = records.read(owner) if isinstance(owner, bpy.types.Object) else None
        if rec is not None and rec.cache.startswith("//"):
            recs.append((owner, rec))
    try:
        for group, name, old in props:
            group[name] = _rebase(old, folder)  # the ID property itself: no update callback runs
        for obj, rec in recs:
            records.write(obj, dataclasses.replace(rec, cache=_rebase(rec.cache, folder)))
        yield
    finally:
        for group, name, old in props:
            group[name] = old
        for obj, rec in recs:
            records.write(obj, rec)
