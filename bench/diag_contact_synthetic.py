"""Diagnostic (issue 26): synthetic English test LVE and jitter under ways of applying a contact head.

Six English test sequences of four characters each, with the pull off; the closure pull to the head's mean
closed pose, triggered by the head's probabilities and by the true phone timing ("oracle"); the seal (only the
lip gap closes, by the least change); the no-speech and quiet rests alone; and Lip Contact as it is.

Run: .venv/bin/python bench/diag_contact_synthetic.py MODEL_WITH_CONTACT.npz CORPUS
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from multanet_core import contact as C  # noqa: E402
from multanet_core import metrics  # noqa: E402
from multanet_core.audio import prepare  # noqa: E402
from multanet_core.checkpoint import load_checkpoint  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from train.contact_labels import contact_labels  # noqa: E402
from train.data import open_dataset  # noqa: E402

CHARACTERS = ("arthur", "beatrix", "cornelius", "dot")


def variants(out, probs, closed, rest, quiet, truth, seal):
    """(label, coefficients) of each way of applying the head to the regression's ``out``."""
    p_rest = C.ramp(C.running_mean(probs[:, C.SILENCE], C.SILENCE_FRAMES))
    none = np.zeros(len(out), np.float32)
    yield "none", out
    yield "pose pull", C.apply_contact(out, np.where(np.arange(C.SILENCE + 1) == C.CLOSED, probs, 0), closed, rest)
    yield "pose pull, oracle", out + truth[:, None] * (closed - out)
    yield "seal", C.apply_contact(out, np.where(np.arange(C.SILENCE + 1) == C.CLOSED, probs, 0), closed, rest,
                                  seal=seal)
    yield "seal, oracle", C.apply_contact(out, np.stack([truth, none, none, none, none], 1), closed, rest, seal=seal)
    yield "no-speech rest", out + p_rest[:, None] * (rest - out)
    yield "quiet rest", out + quiet[:, None] * (rest - out)
    yield "Lip Contact (seal + rests)", C.apply_contact(out, probs, closed, rest, 1.0, quiet, seal)


def main() -> None:
    ckpt = load_checkpoint(sys.argv[1])
    ds = open_dataset(sys.argv[2])
    rows: dict[str, list[tuple[float, float]]] = {}
    for name in CHARACTERS:
        anim = Animator(ckpt, name)
        english = [s for s in ds.sequences("test", name) if s.metadata().get("language", "en") == "en"][:6]
        for seq in english:
            x = prepare(*ds.load_audio(seq))
            out = anim.coefficients(x, ckpt.fps, contact=0.0)
            probs = anim.last_contact
            quiet = C.quiet_weights(x, 16000, ckpt.fps, len(out))
            truth = contact_labels(seq.metadata().get("phonemes"), ckpt.fps, len(out))[:, C.CLOSED]
            gt = ds.load_vertices(seq)
            n = min(len(gt), len(out))
            for label, c in variants(out, probs, *anim.contact_poses, quiet, truth, anim.contact_seal):
                v = anim.vertices(c)[:n]
                rows.setdefault(label, []).append((metrics.lve(v, gt[:n], anim.head.lips),
                                                   metrics.jitter_ratio(v, gt[:n], anim.head.lips, ckpt.fps)))
    base = np.array(rows["none"])[:, 0].mean()
    for label, values in rows.items():
        a = np.array(values)
        print(f"{label:28s} LVE {a[:, 0].mean() * 1e6:5.2f} mm²  jitter {a[:, 1].mean():.2f}  "
              f"LVE / none {a[:, 0].mean() / base:.2f}")


if __name__ == "__main__":
    main()
