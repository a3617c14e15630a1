"""MulTaNet Lip Sync, the Blender add-on (panel, operators, baking): built in a later issue.

It will use core's numpy modules only (never torch), with Blender's own ``aud`` for decoding.
"""
