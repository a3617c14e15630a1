"""MulTaNet core: audio, LPC features, checkpoint format, numpy inference and metrics.

Blender-free and torch-free: everything here needs numpy only (scipy and soundfile are used
for decoding and resampling when present, outside Blender). The torch network definitions live
in :mod:`core.networks_torch`, which only the training package imports.

Modules use relative imports only, so the add-on can vendor this package under its own name
without putting a top-level ``core`` into Blender's shared ``sys.modules``.
"""

__version__ = "0.1.0"
