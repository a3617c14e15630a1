"""MulTaNet core: audio, LPC features, checkpoint format, numpy inference and metrics.

Blender-free and torch-free: everything here needs numpy only (soundfile decodes files when present,
outside Blender). The torch network definitions live in :mod:`train.networks_torch`; the slow
per-window LPC reference the fast path is tested against in ``tests/lpc_reference.py``.

It imports nothing of the checkout but itself: the Blender extension carries it as a wheel of its own
(``build.py``), which Blender installs beside the add-on. The version below names that wheel and must
match ``multanet_blender/blender_manifest.toml``.
"""

__version__ = "0.1.0"
