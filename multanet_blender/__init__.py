"""MulTaNet Lip Sync, the Blender add-on: speech in, facial animation out, for many characters.

A panel in the 3D View's sidebar (tab "Lip Sync") and operators that bake a checkpoint head's
motion, predicted from a Sequencer sound strip or an audio file, onto a mesh as shape keys or a
vertex cache. Inference is :mod:`multanet_core`'s numpy code (the extension carries it as a wheel); Blender's
``aud`` decodes the audio. No torch, scipy or soundfile inside Blender.

The modules that need only numpy (:mod:`.mapping`, :mod:`.timing`, :mod:`.checkpoints`) import
without Blender; registration imports the rest.
"""

from __future__ import annotations

import importlib

# registration order
_MODULES = ("preferences", "properties", "operators", "panels", "dialogue_ui", "key_map_ui", "blend_save")


def register() -> None:
    for name in _MODULES:
        importlib.import_module(f".{name}", __package__).register()


def unregister() -> None:
    for name in reversed(_MODULES):
        importlib.import_module(f".{name}", __package__).unregister()
    from . import checkpoints

    checkpoints.clear_cache()
