"""Checkpoints with a lip-contact head for the tests of its front ends (numpy only, so the Blender 4.2
environment, which has no scipy or torch, builds them too)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from multanet_core.checkpoint import Checkpoint
from multanet_core.contact import CONTACT_CLASSES, SILENCE


def with_contact(ckpt: Checkpoint, silence: bool = True) -> Checkpoint:
    """``ckpt`` with a contact head that reads nothing (zero weights): its biases alone make every frame a sure
    pause (``silence``: the face pulled all the way to rest, and 0 % of any clip sounds like speech) or sure
    speech with open lips (no pull at all, 100 % speech). Every head's rest and closed poses are its mean
    (zero coefficients)."""
    a = ckpt.network.articulation_channels
    bias = np.full(len(CONTACT_CLASSES), -30.0, np.float32)
    bias[SILENCE] = 30.0 if silence else -30.0
    weights = dict(ckpt.weights, **{"contact.weight": np.zeros((len(CONTACT_CLASSES), a), np.float32),
                                    "contact.bias": bias})
    for i, head in enumerate(ckpt.heads):
        weights[f"heads.{i}.contact_closed"] = np.zeros(head.n_components, np.float32)
        weights[f"heads.{i}.contact_rest"] = np.zeros(head.n_components, np.float32)
    network = replace(ckpt.network, contact_outputs=len(CONTACT_CLASSES))
    return replace(ckpt, network=network, weights=weights, path=None)


def without_contact(ckpt: Checkpoint) -> Checkpoint:
    """``ckpt`` with its contact head taken off (the network and every head's motion as they are): the bundled
    model as it was before it had one, for the tests of what a checkpoint without a head does."""
    weights = {k: v for k, v in ckpt.weights.items() if not k.startswith("contact.") and ".contact_" not in k}
    return replace(ckpt, network=replace(ckpt.network, contact_outputs=0), weights=weights, path=None)
