"""LPC features of 60 s of speech at 30 fps: the shared-grid vectorised path against the
straightforward per-window, per-frame ``solve_toeplitz`` reference (target: at least 20x).

Run: python bench/bench_lpc.py
"""

from __future__ import annotations

import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from bench.common import best_of, cli, speech_file  # noqa: E402
from multanet_core.audio import load_speech  # noqa: E402
from multanet_core.lpc import features  # noqa: E402
from tests.lpc_reference import features_reference  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        samples = load_speech(speech_file(60.0, tmp))
    fast_s, fast = best_of(lambda: features(samples, 30.0), 5)
    ref_s, ref = best_of(lambda: features_reference(samples, 30.0), 1)
    err = float(np.abs(fast - ref).max())
    print(f"LPC features, 60 s of speech at 30 fps -> {fast.shape}")
    print(f"  reference (per window, per frame, solve_toeplitz): {ref_s:8.3f} s")
    print(f"  multanet_core.lpc (shared grid, vectorised Levinson):       {fast_s:8.3f} s")
    print(f"  speed-up: {ref_s / fast_s:.1f}x (target 20x: {ref_s / fast_s / 20:.2f} of target); "
          f"max |difference| {err:.2e}")


if __name__ == "__main__":
    cli(__doc__)
    main()
