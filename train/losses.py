"""Karras et al. 2017 losses on pairs of consecutive frames, and their normalisation.

Rows come in pairs (2i, 2i+1) = frames (t, t+1) of one sequence.

* position: mean squared vertex error, i.e. (1/3V) sum over coordinates, averaged over frames; with
  ``bilabial_weight`` in the config, frames inside a P/B/M phone count that many times in the average
  (the lips must close there, and those frames are few: about 5 % of speech);
* motion: the same on the pair's frame-to-frame difference, times 2 (Karras's 2/3V: one
  difference per two frames);
* emotion regulariser: mean squared difference of the pair's emotion vectors (1/E), divided by
  the batch's mean squared emotion norm, so the network cannot satisfy it by shrinking the vectors.

Each term is then divided by the square root of a bias-corrected exponential moving average of
its own square (Karras's Adam-like normalisation, beta 0.99), so the three terms stay balanced
whatever their units.
"""

from __future__ import annotations

import torch


def position_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target).square().mean()


def weighted_position_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                           total_weight: torch.Tensor) -> torch.Tensor:
    """Each row's mean squared error times its ``weight``, summed and divided by ``total_weight`` (the
    weights' sum over the whole batch, so that a batch's groups add up to one weighted mean)."""
    return ((pred - target).square().mean(1) * weight).sum() / total_weight


def motion_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    dp = pred[1::2] - pred[0::2]
    dt = target[1::2] - target[0::2]
    return 2.0 * (dp - dt).square().mean()


def emotion_regulariser(emotion: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    diff = (emotion[1::2] - emotion[0::2]).square().mean()
    return diff / (emotion.square().mean() + eps)


class LossNormaliser:
    """Per-term EMA of the squared loss; ``__call__`` returns the weighted sum of normalised terms."""

    def __init__(self, names: tuple[str, ...], beta: float = 0.99, eps: float = 1e-12):
        self.names, self.beta, self.eps = names, beta, eps
        self.ema = {n: 0.0 for n in names}
        self.steps = 0

    def update(self, values: dict[str, float]) -> None:
        self.steps += 1
        for n in self.names:
            self.ema[n] = self.beta * self.ema[n] + (1 - self.beta) * float(values[n]) ** 2

    def scale(self, name: str) -> float:
        corrected = self.ema[name] / (1 - self.beta ** max(self.steps, 1))
        return 1.0 / (corrected ** 0.5 + self.eps)

    def total(self, terms: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        return sum(weights.get(n, 1.0) * self.scale(n) * terms[n] for n in self.names)

    def state_dict(self) -> dict:
        return {"ema": dict(self.ema), "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.ema = {n: float(state["ema"][n]) for n in self.names}
        self.steps = int(state["steps"])
