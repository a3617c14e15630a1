"""MulTaNet training package: data, networks' training loop, export and evaluation.

Imports torch, scipy, soundfile and espeak-ng freely; the Blender add-on never imports it.
"""
