"""The trained module: a core network (MulTaNet, or one KarrasNet) plus one learned emotion vector per
training frame (Karras), and how a multi-task batch runs through it.

Builders make the core networks from the config and each character's PCA, or extend a trained
MulTaNet checkpoint with new heads (``--init``): the one-hot identity grows, and the old heads get
zero weights on the new identity inputs, which are always 0 for them, so their output is unchanged.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from multanet_core.checkpoint import Checkpoint
from multanet_core.lpc import FeatureConfig
from multanet_core.network_spec import NetworkSpec
from train.config import contact_outputs
from train.networks_torch import KarrasNet, MulTaNet


class TrainingModel(nn.Module):
    """``line_of`` (int [n_train_frames], each frame's line), where given: one emotion vector per line instead of
    per frame (config ``emotion_per`` "line"), so a vector holds only what its whole line shares."""

    def __init__(self, net: nn.Module, n_train_frames: int, emotion_dim: int, init_std: float, seed: int,
                 line_of: np.ndarray | torch.Tensor | None = None):
        super().__init__()
        self.net = net
        g = torch.Generator().manual_seed(int(seed) + 7919)
        n = n_train_frames if line_of is None else int(torch.as_tensor(line_of).max()) + 1
        self.emotions = nn.Parameter(torch.randn(n, emotion_dim, generator=g) * init_std)
        self.register_buffer("line_of", None if line_of is None
                             else torch.as_tensor(np.asarray(line_of), dtype=torch.int64))

    def frame_emotions(self) -> torch.Tensor:
        """Every training frame's emotion vector [n_train_frames, E] (a line's vector on each of its frames)."""
        return self.emotions if self.line_of is None else self.emotions[self.line_of]

    @property
    def is_multanet(self) -> bool:
        return isinstance(self.net, MulTaNet)

    def forward(self, x: torch.Tensor, frames: torch.Tensor, groups: list[tuple[int, int, int]]
                ) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor | None]:
        """x [B, n_frames, order]; frames [B] training-frame indices (their emotion vectors);
        groups: (head index, first row, end row), rows of one character contiguous.
        Returns the flattened vertices [rows, 3V] of each group, the emotion vectors [B, E], and the contact
        head's logits [B, C] (None without one)."""
        e = self.emotions[frames if self.line_of is None else self.line_of[frames]]
        if not self.is_multanet:
            return [self.net(x, e)], e, None
        a = self.net.mfl(x, e)
        outs = []
        n_chars = self.net.spec.n_characters
        for h, r0, r1 in groups:
            onehot = torch.zeros(r1 - r0, n_chars, dtype=a.dtype, device=a.device)
            onehot[:, h] = 1
            head = self.net.heads[h]
            outs.append(head.out(head.coeff(torch.cat([a[r0:r1], onehot], dim=1))))
        return outs, e, self.net.contact(a) if self.net.contact is not None else None


def make_spec(architecture: str, config: dict, features: FeatureConfig, n_characters: int = 1) -> NetworkSpec:
    net = dict(config["network"])
    if architecture == "multanet":
        return NetworkSpec.for_features(features, architecture="multanet", n_characters=n_characters,
                                        contact_outputs=contact_outputs(config), **net)
    return NetworkSpec.for_features(features, architecture="karras", **net)


def extend_multanet(init: Checkpoint, means: list[np.ndarray], bases: list[np.ndarray],
                    old_heads: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
                    contact: int | None = None) -> MulTaNet:
    """A MulTaNet with ``init``'s MFL and heads plus new heads initialised from (means, bases).

    ``old_heads`` (means, bases) replaces the output layers of ``init``'s own heads: a warm start
    trains them on in normalised target units (the checkpoint's mean and basis, rescaled). ``contact``:
    how many contact classes the network predicts (None: as ``init``); ``init``'s contact layer is kept when
    it has the same size, and its heads' closed and rest poses, which are not trained, are left out."""
    old = init.network
    n_old, n_new = old.n_characters, len(means)
    spec = NetworkSpec.from_dict({**old.to_dict(), "n_characters": n_old + n_new,
                                  "contact_outputs": old.contact_outputs if contact is None else contact})
    old_means, old_bases = old_heads or ([h.mean for h in init.heads], [h.basis for h in init.heads])
    all_means = [np.asarray(m, np.float32) for m in old_means] + list(means)
    all_bases = [np.asarray(b, np.float32) for b in old_bases] + list(bases)
    net = MulTaNet(spec, all_means, all_bases)
    state = net.state_dict()
    a = spec.articulation_channels
    with torch.no_grad():
        for name, value in init.weights.items():
            if name not in state or state[name].shape[0] != value.shape[0]:  # poses; a contact head of other size
                continue
            value = torch.as_tensor(np.asarray(value, np.float32))
            if name.endswith("coeff.weight"):
                padded = torch.zeros(value.shape[0], a + n_old + n_new)
                padded[:, : a + n_old] = value
                value = padded
            state[name].copy_(value)
    return net


def build_karras(config: dict, features: FeatureConfig, mean: np.ndarray, basis: np.ndarray) -> KarrasNet:
    return KarrasNet(make_spec("karras", config, features), mean, basis)
