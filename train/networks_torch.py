"""Torch definitions of MulTaNet and KarrasNet (training only; the add-on never imports this).

Weight names and layouts follow :class:`multanet_core.network_spec.NetworkSpec`, so a state dict exports
to a checkpoint by name and :mod:`multanet_core.inference` runs the same numbers in numpy.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from multanet_core.network_spec import NetworkSpec


def _activation(spec: NetworkSpec, x: torch.Tensor) -> torch.Tensor:
    if spec.activation == "leaky_relu":
        return F.leaky_relu(x, spec.negative_slope)
    return F.relu(x)


class MFL(nn.Module):
    """Shared feature learning: formant analysis along coefficients, then articulation along time."""

    def __init__(self, spec: NetworkSpec):
        super().__init__()
        self.spec = spec
        shapes = spec.feature_shapes()
        self.formant = nn.ModuleList()
        for i in range(len(spec.formant_channels)):
            cout, cin, _, _ = shapes[f"mfl.formant.{i}.weight"]
            self.formant.append(nn.Conv2d(cin, cout, (1, 3), stride=(1, 2), padding=(0, 1)))
        self.articulation = nn.ModuleList()
        for i in range(spec.n_articulation):
            cout, cin, kernel, _ = shapes[f"mfl.articulation.{i}.weight"]
            if i < spec.n_strided:
                conv = nn.Conv2d(cin, cout, (3, 1), stride=(2, 1), padding=(1, 0))
            else:
                conv = nn.Conv2d(cin, cout, (kernel, 1), stride=(kernel, 1))
            self.articulation.append(conv)

    def forward(self, x: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        """x [B, n_frames, order + level_channels], emotion [B, emotion_dim] -> [B, articulation_channels]."""
        order = self.spec.order
        h = x[:, :, :order].unsqueeze(1)  # [B, 1, time, coefficients]
        for conv in self.formant:
            h = _activation(self.spec, conv(h))
        if self.spec.level_channels:  # level features join the formant output as channels
            h = torch.cat([h, x[:, :, order:].transpose(1, 2).unsqueeze(3)], dim=1)
        for i, conv in enumerate(self.articulation):
            if self.spec.emotion_in(i):
                e = emotion[:, :, None, None].expand(-1, -1, h.shape[2], 1)
                h = torch.cat([h, e], dim=1)
            h = _activation(self.spec, conv(h))
        return h.flatten(1)


class HeadLayers(nn.Module):
    """Prediction layers of one character: coefficients, then the PCA-initialised output layer."""

    def __init__(self, n_in: int, mean: np.ndarray, basis: np.ndarray):
        super().__init__()
        k, n_out = basis.shape
        self.coeff = nn.Linear(n_in, k)
        self.out = nn.Linear(k, n_out)
        with torch.no_grad():
            self.out.weight.copy_(torch.as_tensor(np.asarray(basis, np.float32).T))
            self.out.bias.copy_(torch.as_tensor(np.asarray(mean, np.float32)))


class MulTaNet(nn.Module):
    def __init__(self, spec: NetworkSpec, means: list[np.ndarray], bases: list[np.ndarray]):
        super().__init__()
        assert spec.architecture == "multanet" and len(bases) == spec.n_characters
        self.spec = spec
        self.mfl = MFL(spec)
        n_in = spec.articulation_channels + spec.n_characters
        self.heads = nn.ModuleList(HeadLayers(n_in, m, b) for m, b in zip(means, bases, strict=True))
        # the lip-contact head (multanet_core.contact): one logit per class from the shared articulation output
        self.contact = nn.Linear(spec.articulation_channels, spec.contact_outputs) if spec.contact_outputs else None

    def coefficients(self, x: torch.Tensor, character: int, emotion: torch.Tensor) -> torch.Tensor:
        a = self.mfl(x, emotion)
        onehot = torch.zeros(a.shape[0], self.spec.n_characters, dtype=a.dtype, device=a.device)
        onehot[:, character] = 1
        return self.heads[character].coeff(torch.cat([a, onehot], dim=1))

    def vertices(self, coefficients: torch.Tensor, character: int) -> torch.Tensor:
        return self.heads[character].out(coefficients)

    def forward(self, x: torch.Tensor, character: int, emotion: torch.Tensor) -> torch.Tensor:
        return self.vertices(self.coefficients(x, character, emotion), character)

    def export_weights(self) -> tuple[dict[str, np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """(network weights by checkpoint name, per-head means, per-head bases)."""
        state = {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}
        weights = {k: v for k, v in state.items() if ".out." not in k}
        means = [state[f"heads.{h}.out.bias"] for h in range(len(self.heads))]
        bases = [state[f"heads.{h}.out.weight"].T.copy() for h in range(len(self.heads))]
        return weights, means, bases


class KarrasNet(nn.Module):
    """One character's network: emotion at every articulation layer, then coefficients and PCA output."""

    def __init__(self, spec: NetworkSpec, mean: np.ndarray, basis: np.ndarray):
        super().__init__()
        assert spec.architecture == "karras"
        self.spec = spec
        self.mfl = MFL(spec)
        head = HeadLayers(spec.articulation_channels, mean, basis)
        self.coeff, self.out = head.coeff, head.out

    def coefficients(self, x: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        return self.coeff(self.mfl(x, emotion))

    def forward(self, x: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        return self.out(self.coefficients(x, emotion))


class KarrasEnsemble(nn.Module):
    """Independently trained KarrasNets of one character, averaged at the output."""

    def __init__(self, members: list[KarrasNet]):
        super().__init__()
        self.members = nn.ModuleList(members)

    def coefficients(self, x: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        return torch.cat([m.coefficients(x, emotion) for m in self.members], dim=1)

    def forward(self, x: torch.Tensor, emotion: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x, emotion) for m in self.members]).mean(0)

    def export_weights(self) -> tuple[dict[str, np.ndarray], list[np.ndarray], list[np.ndarray]]:
        state = {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}
        weights = {k: v for k, v in state.items() if ".out." not in k}
        n = len(self.members)
        mean = np.mean([state[f"members.{m}.out.bias"] for m in range(n)], axis=0)
        basis = np.concatenate([state[f"members.{m}.out.weight"].T for m in range(n)], axis=0) / n
        return weights, [mean], [basis]
