"""Random heads and numpy-only random checkpoints: test fixtures that need neither torch nor data.

Heads are UV spheres of about the requested vertex count (quads, poles as triangles), Y-up, with
the front-lower patch as "lips" and the upper half as "upper face"; their bases are random
orthogonal directions scaled like small facial motion. :func:`numpy_checkpoint` fills every
network weight from numpy, so the Blender tests can build checkpoints in an environment with
Blender's ``bpy`` and no torch (:mod:`train.random_checkpoint` uses torch's own initialisation).
"""

from __future__ import annotations

import numpy as np

from multanet_core.checkpoint import Checkpoint, Head
from multanet_core.lpc import FeatureConfig
from multanet_core.network_spec import NetworkSpec


def sphere_mesh(n_vertices: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A UV sphere with about ``n_vertices`` vertices: (vertices [V,3], flat faces, face sizes)."""
    rings = max(3, int(round(np.sqrt(n_vertices / 2))))
    segments = max(3, int(round((n_vertices - 2) / (rings - 1))))
    theta = np.linspace(0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    t, p = np.meshgrid(theta, phi, indexing="ij")
    body = np.stack([np.sin(t) * np.sin(p), np.cos(t), np.sin(t) * np.cos(p)], axis=-1).reshape(-1, 3)
    verts = np.concatenate([[[0, 1, 0]], body, [[0, -1, 0]]]).astype(np.float32) * 0.1
    idx = lambda r, s: 1 + r * segments + (s % segments)  # noqa: E731
    faces, sizes = [], []
    for s in range(segments):
        faces += [0, idx(0, s + 1), idx(0, s)]
        sizes.append(3)
    for r in range(rings - 2):
        for s in range(segments):
            faces += [idx(r, s), idx(r, s + 1), idx(r + 1, s + 1), idx(r + 1, s)]
            sizes.append(4)
    last = len(verts) - 1
    for s in range(segments):
        faces += [last, idx(rings - 2, s), idx(rings - 2, s + 1)]
        sizes.append(3)
    return verts, np.asarray(faces, np.int32), np.asarray(sizes, np.int32)


def random_head(name: str, n_vertices: int, n_components: int, emotion_dim: int,
                rng: np.random.Generator) -> Head:
    verts, faces, sizes = sphere_mesh(n_vertices)
    v = verts.shape[0]
    lips = np.flatnonzero((verts[:, 2] > 0.07) & (np.abs(verts[:, 1] + 0.04) < 0.025)).astype(np.int32)
    upper = np.flatnonzero(verts[:, 1] > 0.02).astype(np.int32)
    q, _ = np.linalg.qr(rng.standard_normal((3 * v, n_components)))
    basis = (q.T * 0.01 * np.sqrt(3 * v) / np.arange(1, n_components + 1)[:, None] ** 0.5).astype(np.float32)
    presets = {"neutral": np.zeros(emotion_dim)}
    presets.update({f"random {i + 1}": rng.standard_normal(emotion_dim) * 0.5 for i in range(2)})
    return Head(name=name, template=verts, faces=faces, face_sizes=sizes, lips=lips, upper_face=upper,
                mean=verts.reshape(-1).copy(), basis=basis,
                presets={k: [float(x) for x in p] for k, p in presets.items()})


def random_rig_head(name: str, weight_names: tuple[str, ...], n_components: int, emotion_dim: int,
                    rng: np.random.Generator) -> Head:
    """A rig head: random weights around 0.2 for the given names, no mesh."""
    w = len(weight_names)
    empty = np.zeros(0, np.int32)
    presets = {"neutral": [0.0] * emotion_dim,
               "random 1": [float(x) for x in rng.standard_normal(emotion_dim) * 0.5]}
    return Head(name=name, template=np.zeros((0, 3), np.float32), faces=empty, face_sizes=empty, lips=empty,
                upper_face=empty, mean=np.full(w, 0.2, np.float32),
                basis=(rng.standard_normal((n_components, w)) * 0.1).astype(np.float32), presets=presets,
                weight_names=tuple(weight_names))


def numpy_checkpoint(characters: int = 2, vertices: int = 300, components: int = 12, seed: int = 0,
                     coefficient_scale: float = 1.0, features: FeatureConfig | None = None,
                     fps: float = 30.0, rig_names: tuple[str, ...] = ()) -> Checkpoint:
    """A random-weight MulTaNet checkpoint (He-initialised) with heads ``char00``, ``char01``, ...
    and, with ``rig_names``, a last rig head ``rig`` giving those weights."""
    features = features or FeatureConfig()
    rng = np.random.default_rng(seed)
    spec = NetworkSpec.for_features(features, architecture="multanet", n_characters=characters + bool(rig_names))
    heads = [random_head(f"char{i:02d}", vertices + 37 * i, components, spec.emotion_dim, rng)
             for i in range(characters)]
    if rig_names:
        heads.append(random_rig_head("rig", rig_names, components, spec.emotion_dim, rng))
    weights = {}
    for name, shape in spec.weight_shapes([h.n_components for h in heads]).items():
        if name.endswith(".bias"):
            weights[name] = (rng.standard_normal(shape) * 0.01).astype(np.float32)
        else:
            scale = np.sqrt(2.0 / int(np.prod(shape[1:])))
            if ".coeff." in name:
                scale *= coefficient_scale
            weights[name] = (rng.standard_normal(shape) * scale).astype(np.float32)
    info = {"trained": False, "note": "random weights (train.random_heads.numpy_checkpoint)", "seed": seed}
    return Checkpoint(features, spec, fps, heads, weights, info=info)
