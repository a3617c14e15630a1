"""What the bundled model's lip-contact head costs a bake: 60 s of speech onto a mesh head (arthur, the whole
bake's numpy part: LPC, network, contact, vertices) and onto the ARKit rig head (named weights), side by side:

* "no contact head": the same network with its contact head taken off (the model shipped before it had one);
* "Lip Contact 0": the head's probabilities only (for the non-speech warning and the blinks);
* "Lip Contact 1": the default bake (closures sealed, pauses rested).

Best of 5 each, the three interleaved; ratio = time / "no contact head" time (issue 26: a bake stays within 1.2x).

Run: .venv/bin/python bench/bench_lip_contact.py
"""

from __future__ import annotations

import os
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.common import best_of, cli, speech_file  # noqa: E402
from multanet_core.audio import load_speech  # noqa: E402
from multanet_core.checkpoint import load_checkpoint  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from tests.contact_heads import without_contact  # noqa: E402

DEFAULT = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
SECONDS = 60.0


def main() -> None:
    cli(__doc__)
    with_head = load_checkpoint(DEFAULT)
    if not with_head.network.contact_outputs:
        sys.exit(f"{DEFAULT} has no contact head: nothing to compare")
    without = without_contact(with_head)
    with tempfile.TemporaryDirectory() as tmp:
        samples = load_speech(speech_file(SECONDS, tmp))
    print(f"{SECONDS:g} s of speech, 30 fps, bundled model (best of 5)")
    for character in ("arthur", "arkit"):
        runs = {"no contact head": (Animator(without, character), 1.0),
                "Lip Contact 0": (Animator(with_head, character), 0.0),
                "Lip Contact 1": (Animator(with_head, character), 1.0)}

        def bake(animator: Animator, contact: float):
            c = animator.coefficients(samples, 30.0, contact=contact)
            return animator.weights(c) if animator.head.is_rig else animator.vertices(c)

        for animator, contact in runs.values():
            bake(animator, contact)  # warm: the lift and the caches, as a re-bake finds them
        times = dict.fromkeys(runs, float("inf"))
        for _ in range(5):  # interleaved, so drifting load falls on all three alike
            for label, (animator, contact) in runs.items():
                times[label] = min(times[label], best_of(lambda a=animator, s=contact: bake(a, s), 1)[0])
        base = times["no contact head"]
        for label, t in times.items():
            print(f"  {character:7s} {label:16s} {t:6.3f} s  ratio {t / base:.2f}")


if __name__ == "__main__":
    main()
