"""Karras et al. 2017 losses on pairs of consecutive frames, and their normalisation.

Rows come in pairs (2i, 2i+1) = frames (t, t+1) of one sequence.

* position: mean squared vertex error, i.e. (1/3V) sum over coordinates, averaged over frames; with
  ``bilabial_weight`` in the config, frames inside a P/B/M phone count that many times in the average
  (the lips must close there, and those frames are few: about 5 % of speech); with ``lip_weight``, the
  coordinates of each mesh character's lip vertices count that many times in each frame's mean (the
  lips are about 6 % of a head's vertices, and LVE and the lip-closure measures look only at them); with
  ``rig_weight``, a rig head's rows count that many times (the other two raise the mesh heads' errors in
  the mean, and with them their share of it); with ``aligned_frame_weight``, every frame of a sequence whose
  timeline came from a forced aligner (real speech, whose targets are the aligned phones run through the
  articulation model: pseudo ground truth) counts that many times, on top of the others;
* motion: the same on the pair's frame-to-frame difference, times 2 (Karras's 2/3V: one
  difference per two frames); ``aligned_frame_weight`` weighs a forced alignment's pairs here too;
* contact (with ``loss_weights.contact`` > 0): the lip-contact head's binary cross-entropy on each frame's
  labels (:mod:`train.contact_labels`), each class balanced so that its positive and negative frames weigh
  half each (P/B/M is about 5 % of frames; the inference ramp starts at a balanced probability of 0.5); frames
  of sequences without a phone timeline count for nothing;
* emotion regulariser: mean squared difference of the pair's emotion vectors (1/E), divided by
  the batch's mean squared emotion norm, so the network cannot satisfy it by shrinking the vectors.

Each term is then divided by the square root of a bias-corrected exponential moving average of
its own square (Karras's Adam-like normalisation, beta 0.99), so the three terms stay balanced
whatever their units.
"""

from __future__ import annotations

import numpy as np
import torch


def position_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return (pred - target).square().mean()


def weighted_position_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                           total_weight: torch.Tensor, coords: torch.Tensor | None = None) -> torch.Tensor:
    """Each row's mean squared error (its coordinates weighted by ``coords`` when given: :func:`row_errors`)
    times its ``weight``, summed and divided by ``total_weight`` (the weights' sum over the whole batch, so
    that a batch's groups add up to one weighted mean)."""
    return (row_errors(pred, target, coords) * weight).sum() / total_weight


def row_weights(rows: int, groups: list[tuple[int, int, int, int]], n_mesh: int,
                bilabial: torch.Tensor | None = None, bilabial_weight: float = 1.0, rig_weight: float | None = None,
                device: torch.device | str = "cpu", aligned_weight: float | None = None,
                aligned_frame_weight: float = 1.0) -> torch.Tensor:
    """float32 [rows]: how many times each row of a batch counts in the position loss's mean:
    ``bilabial_weight`` on rows marked in ``bilabial`` (P/B/M frames: code 1 from an exact timeline, code 2
    from a forced alignment, which get ``aligned_weight`` instead when it is given), times
    ``aligned_frame_weight`` on every row of a forced alignment (codes 2 and 3), times ``rig_weight`` on the rows
    of rig heads (the ``groups`` (head, character, first row, end row) whose character has no template:
    index ``n_mesh`` and above), 1 elsewhere."""
    if bilabial is None:
        w = torch.ones(rows, device=device)
    else:
        code = bilabial.to(torch.int64)
        w = torch.where(code == 1, bilabial_weight, 1.0).to(torch.float32)
        w = torch.where(code == 2, bilabial_weight if aligned_weight is None else aligned_weight, w)
        if aligned_frame_weight != 1.0:
            w = torch.where(code >= 2, w * aligned_frame_weight, w)
    if rig_weight:
        for _, c, r0, r1 in groups:
            if c >= n_mesh:
                w[r0:r1] *= rig_weight
    return w


def coordinate_weights(lips: np.ndarray, n_vertices: int, lip_weight: float) -> np.ndarray:
    """float32 [3V]: ``lip_weight`` on the coordinates of vertices ``lips``, 1 elsewhere, scaled to mean 1
    (so a frame's weighted mean squared error is the plain one when every vertex errs alike)."""
    w = np.ones((n_vertices, 3), np.float32)
    w[np.asarray(lips, np.int64)] = lip_weight
    return (w / w.mean()).reshape(-1)


def row_errors(pred: torch.Tensor, target: torch.Tensor, coords: torch.Tensor | None = None) -> torch.Tensor:
    """[rows]: each row's mean squared error, its coordinates weighted by ``coords`` [3V] when given."""
    d2 = (pred - target).square()
    return (d2 if coords is None else d2 * coords).mean(1)


def contact_balance(labels: np.ndarray, unknown: int = 255) -> np.ndarray:
    """float32 [2, C]: the weights of a class's negative (row 0) and positive (row 1) frames, 0.5 / their share
    of the frames with labels, so each class's positives and negatives weigh half each in the mean."""
    known = labels != unknown
    pos = ((labels == 1) & known).sum(0).astype(np.float64)
    total = np.maximum(known.sum(0).astype(np.float64), 1.0)
    share = np.clip(pos / total, 1e-4, 1 - 1e-4)
    return np.stack([0.5 / (1 - share), 0.5 / share]).astype(np.float32)


def contact_loss(logits: torch.Tensor, labels: torch.Tensor, balance: torch.Tensor, unknown: int = 255
                 ) -> torch.Tensor:
    """Class-balanced binary cross-entropy of logits [rows, C] against uint8 labels [rows, C] (``unknown``:
    no label), averaged over the labelled entries; ``balance`` from :func:`contact_balance`."""
    known = labels != unknown
    y = (labels == 1).to(logits.dtype)
    w = torch.where(labels == 1, balance[1], balance[0]) * known
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="none")
    return (bce * w).sum() / known.sum().clamp(min=1)


def pair_motion_errors(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """[rows / 2]: each pair's mean squared error of its frame-to-frame difference."""
    dp = pred[1::2] - pred[0::2]
    dt = target[1::2] - target[0::2]
    return (dp - dt).square().mean(1)


def motion_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 2.0 * pair_motion_errors(pred, target).mean()


def weighted_motion_loss(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor,
                         total_weight: torch.Tensor) -> torch.Tensor:
    """:func:`motion_loss` with each pair's error times its ``weight`` [rows / 2], summed and divided by
    ``total_weight`` (the pair weights' sum over the whole batch)."""
    return 2.0 * (pair_motion_errors(pred, target) * weight).sum() / total_weight


def emotion_regulariser(emotion: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    diff = (emotion[1::2] - emotion[0::2]).square().mean()
    return diff / (emotion.square().mean() + eps)


class LossNormaliser:
    """Per-term EMA of the squared loss; ``__call__`` returns the weighted sum of normalised terms.

    The statistics live on the training device as one float64 tensor, so updating them never makes
    the host wait for the device; only :meth:`state_dict` (at checkpoints) reads them back."""

    def __init__(self, names: tuple[str, ...], beta: float = 0.99, eps: float = 1e-12,
                 device: torch.device | str = "cpu"):
        self.names, self.beta, self.eps = names, beta, eps
        self.ema = torch.zeros(len(names), dtype=torch.float64, device=device)
        self.steps = 0

    def update(self, values: torch.Tensor) -> None:
        """``values``: this step's terms [len(names)] in ``names``' order (any float dtype, any device)."""
        self.steps += 1
        v = values.detach().to(self.ema.device, torch.float64)
        self.ema.mul_(self.beta).add_((1 - self.beta) * v.square())

    def scales(self) -> torch.Tensor:
        corrected = self.ema / (1 - self.beta ** max(self.steps, 1))
        return 1.0 / (corrected.sqrt() + self.eps)

    def total(self, terms: dict[str, torch.Tensor], weights: dict[str, float]) -> torch.Tensor:
        scales = self.scales()
        return sum((weights.get(n, 1.0) * scales[i]).to(terms[n].dtype) * terms[n]
                   for i, n in enumerate(self.names))

    def state_dict(self) -> dict:
        return {"ema": dict(zip(self.names, self.ema.tolist(), strict=True)), "steps": self.steps}

    def load_state_dict(self, state: dict) -> None:
        self.ema = torch.tensor([float(state["ema"][n]) for n in self.names], dtype=torch.float64,
                                device=self.ema.device)
        self.steps = int(state["steps"])
