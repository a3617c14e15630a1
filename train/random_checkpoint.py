"""An untrained checkpoint with random weights, for tests, benchmarks and smoke runs.

Heads come from :mod:`train.random_heads`. Weights come from torch's default initialisation of
:mod:`train.networks_torch`, so the numbers are exactly what the torch model computes.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from multanet_core.checkpoint import Checkpoint, save_checkpoint
from multanet_core.lpc import FeatureConfig
from multanet_core.network_spec import NetworkSpec
from train.networks_torch import KarrasEnsemble, KarrasNet, MulTaNet
from train.random_heads import random_head


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
    parser.add_argument("--architecture", choices=["multanet", "karras"], default="multanet",
                        help="MulTaNet (shared network, one head per character) or KarrasNet (one character)")
    parser.add_argument("--characters", type=int, default=2, help="heads (MulTaNet)")
    parser.add_argument("--members", type=int, default=3, help="ensemble size (KarrasNet)")
    parser.add_argument("--vertices", type=int, default=5023, help="about this many vertices per head")
    parser.add_argument("--components", type=int, default=150, help="PCA components per head")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights and heads")


def run(args: argparse.Namespace) -> int:
    _, ckpt = make_random_model(args.architecture, args.characters, args.vertices, args.components,
                                args.members, args.seed)
    save_checkpoint(args.out, ckpt)
    print(f"wrote {args.out}: {args.architecture}, heads " +
          ", ".join(f"{h.name} ({h.n_vertices} vertices, {h.n_components} components)" for h in ckpt.heads))
    return 0
