"""An untrained checkpoint with random weights, for tests, benchmarks and smoke runs.

Heads are UV spheres of about the requested vertex count (quads, poles as triangles), with the
front-lower patch as "lips" and the upper half as "upper face"; their bases are random orthogonal
directions scaled like small facial motion. Weights come from torch's default initialisation of
:mod:`core.networks_torch`, so the numbers are exactly what the torch model computes.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from core.checkpoint import Checkpoint, Head, save_checkpoint
from core.lpc import FeatureConfig
from core.network_spec import NetworkSpec
from core.networks_torch import KarrasEnsemble, KarrasNet, MulTaNet


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


def make_random_model(architecture: str = "multanet", characters: int = 2, vertices: int = 500,
                      components: int = 20, members: int = 3, seed: int = 0,
                      features: FeatureConfig | None = None, **spec_kwargs) -> tuple[torch.nn.Module, Checkpoint]:
    """A random-weight torch model and the checkpoint exported from it (same numbers)."""
    features = features or FeatureConfig()
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    if architecture == "multanet":
        spec = NetworkSpec.for_features(features, architecture="multanet", n_characters=characters, **spec_kwargs)
        names = [f"char{i:02d}" for i in range(characters)]
    else:
        spec = NetworkSpec.for_features(features, architecture="karras", members=members, **spec_kwargs)
        names = ["char00"]
    heads = [random_head(n, vertices + 37 * i, components, spec.emotion_dim, rng) for i, n in enumerate(names)]
    if architecture == "multanet":
        model: torch.nn.Module = MulTaNet(spec, [h.mean for h in heads], [h.basis for h in heads])
    else:
        h = heads[0]
        model = KarrasEnsemble([KarrasNet(spec, h.mean, h.basis) for _ in range(members)])
    weights, means, bases = model.export_weights()
    for h, m, b in zip(heads, means, bases, strict=True):
        h.mean, h.basis = m, b
    info = {"trained": False, "note": "random weights (python -m train random-checkpoint)", "seed": seed}
    return model, Checkpoint(features, spec, 30.0, heads, weights, info=info)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="the .npz checkpoint to write")
    parser.add_argument("--architecture", choices=["multanet", "karras"], default="multanet")
    parser.add_argument("--characters", type=int, default=2, help="heads (MulTaNet)")
    parser.add_argument("--members", type=int, default=3, help="ensemble size (KarrasNet)")
    parser.add_argument("--vertices", type=int, default=5023, help="about this many vertices per head")
    parser.add_argument("--components", type=int, default=150, help="PCA components per head")
    parser.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    _, ckpt = make_random_model(args.architecture, args.characters, args.vertices, args.components,
                                args.members, args.seed)
    save_checkpoint(args.out, ckpt)
    print(f"wrote {args.out}: {args.architecture}, heads " +
          ", ".join(f"{h.name} ({h.n_vertices} vertices, {h.n_components} components)" for h in ckpt.heads))
    return 0
