"""Diagnostic (issue 26): how well a contact head finds real P/B/M closures, by who aligned the clip's phones.

The closure probability at P/B/M centres against vowel centres of the real dev clips (the probabilities come
from the shared network, so one head is enough): the AUC, and the share of P/B/M centres above the vowels' 95th
percentile (closures found at 5 % false alarms), for clips aligned by pocketsphinx or shipped with alignments,
clips aligned by DTW against espeak-ng (multanet_core/align.py), and degraded copies.

Run: .venv/bin/python bench/diag_contact_detect.py MODEL_WITH_CONTACT.npz [MORE.npz ...]
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from multanet_core import contact as C  # noqa: E402
from multanet_core.checkpoint import load_checkpoint  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from train import evaluate_real  # noqa: E402
from train.contact_head import auc  # noqa: E402
from train.speech_metrics import centres  # noqa: E402

REAL = Path(ROOT) / "data" / "real_speech"


def group(clip) -> str:
    source = json.loads((REAL / f"{clip.name}.json").read_text()).get("alignment_source", "?")
    if source.startswith("dtw"):
        return "DTW against espeak-ng"
    return "degraded copy" if source.startswith("copied") else "pocketsphinx or shipped"


def main() -> None:
    clips = [c for c in evaluate_real.select(evaluate_real.load_clips(REAL), "dev") if c.speech and c.phones]
    for path in sys.argv[1:]:
        ckpt = load_checkpoint(path)
        anim = Animator(ckpt, ckpt.mesh_heads[0].name)
        groups: dict[str, tuple[list, list]] = {}
        for clip in clips:
            anim.coefficients(clip.samples, ckpt.fps, contact=0.0)
            p = anim.last_contact[:, C.CLOSED]
            bilabial = centres(clip.phones, ckpt.fps, len(p), "bilabial", clip.arpabet)
            vowels = centres(clip.phones, ckpt.fps, len(p), "vowel", clip.arpabet)
            at_b, at_v = groups.setdefault(group(clip), ([], []))
            at_b += list(p[bilabial])
            at_v += list(p[vowels])
        for name, (at_b, at_v) in groups.items():
            b, v = np.array(at_b), np.array(at_v)
            cut = np.quantile(v, 0.95)
            score = auc(np.r_[b, v], np.r_[np.ones(len(b)), np.zeros(len(v))])
            print(f"{os.path.basename(path)} [{name}]: {len(b)} P/B/M and {len(v)} vowel centres; AUC {score:.3f}; "
                  f"P/B/M found at 5 % false alarms on vowels: {np.mean(b > cut):.1%}")


if __name__ == "__main__":
    main()
