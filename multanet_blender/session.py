"""The add-on in a command-line run of the ``bpy`` module: registered when the run needs it, and unregistered
again before the process exits (Blender 4.2's module crashes at exit, status 139, while an add-on it did not
load itself is still registered)."""

from __future__ import annotations

from .interrupt import signals_held

_registered_here: list[bool] = []


def ensure_addon() -> None:
    """Register the add-on when it is not (the bpy module from a checkout); an installed one already is."""
    import bpy

    if not hasattr(bpy.types.Scene, "multanet_dialogue"):
        from . import register

        with signals_held():  # registered whole or not at all: a half-registered add-on crashes 4.2 at exit
            register()
            _registered_here.append(True)


def release_addon() -> None:
    """Unregister the add-on if :func:`ensure_addon` registered it."""
    if _registered_here:
        from . import unregister

        with signals_held():
            _registered_here.clear()
            unregister()
