"""MulTaNet core: audio, LPC features, checkpoint format, numpy inference and metrics.

Blender-free and torch-free: everything here needs numpy only (soundfile decodes files when present,
outside Blender). The torch network definitions live in :mod:`train.networks_torch`; the slow
per-window LPC reference the fast path is tested against in ``tests/lpc_reference.py``.

Modules use relative imports only, so the add-on can vendor this package under its own name
without putting a top-level ``core`` into Blender's shared ``sys.modules``.
"""

__version__ = "0.1.0"
