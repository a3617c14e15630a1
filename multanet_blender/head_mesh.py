"""A head's template as a Blender mesh object: same vertex order and faces, so its topology matches."""

from __future__ import annotations

import math

import bpy
import numpy as np

from multanet_core.errors import MulTaNetError
from multanet_core.text import printable


def build_mesh(name: str, vertices: np.ndarray, faces: np.ndarray, face_sizes: np.ndarray):
    """A new mesh datablock with these vertices [V, 3] and faces (flat indices + corners per face), in order
    (bulk ``foreach_set``)."""
    mesh = bpy.data.meshes.new(name)
    sizes = np.asarray(face_sizes, np.int32)
    mesh.vertices.add(len(vertices))
    mesh.vertices.foreach_set("co", np.asarray(vertices, np.float32).ravel())
    mesh.loops.add(len(faces))
    mesh.loops.foreach_set("vertex_index", np.asarray(faces, np.int32))
    mesh.polygons.add(len(sizes))
    starts = np.zeros(len(sizes), dtype=np.int32)
    np.cumsum(sizes[:-1], out=starts[1:])
    mesh.polygons.foreach_set("loop_start", starts)  # Blender 4.0+ derives each polygon's loop_total
    mesh.polygons.foreach_set("use_smooth", np.ones(len(sizes), dtype=bool))
    mesh.update()
    mesh.validate(clean_customdata=False)
    return mesh


def add_head_object(context, ckpt, head):
    """Link a new object with the head's mesh at the 3D cursor, turned upright for Blender's Z-up."""
    if head.is_rig:
        raise MulTaNetError(f"head '{printable(head.name)}' is a rig head: it has no mesh to add (it drives the shape "
                            f"keys of your own character by name)")
    mesh = build_mesh(head.name, head.template, head.faces, head.face_sizes)
    obj = bpy.data.objects.new(head.name, mesh)
    context.collection.objects.link(obj) if context.collection else context.scene.collection.objects.link(obj)
    obj.location = context.scene.cursor.location
    if ckpt.up_axis == "Y":
        obj.rotation_euler = (math.pi / 2, 0.0, 0.0)  # template +Y up, +Z forward -> Blender +Z up, -Y forward
    for other in context.view_layer.objects:
        other.select_set(False)
    obj.select_set(True)
    context.view_layer.objects.active = obj
    return obj
