"""MulTaNet inference on this machine: 60 s of speech at 30 fps onto a ~5,000-vertex head with
150 components (a random-weight checkpoint: speed does not depend on training).

(a) numpy network (shared grid) against a naive per-window torch forward of the same weights,
    both from the same LPC features (torch with batch 1, and with its fastest batch size);
(b) end to end (decode + resample + LPC + network + vertices) as a multiple of real time;
(c) peak resident memory of ``python -m multanet_core animate`` on 10 minutes of audio (a .pc2 written).

Run: python bench/bench_inference.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.common import best_of, cli, speech_file  # noqa: E402
from multanet_core.audio import load_speech  # noqa: E402
from multanet_core.checkpoint import save_checkpoint  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from multanet_core.lpc import features, grid_lpc, window_starts  # noqa: E402
from train.random_checkpoint import make_random_model  # noqa: E402


def main() -> None:
    model, ckpt = make_random_model("multanet", characters=2, vertices=5023, components=150)
    head = ckpt.heads[0]
    animator = Animator(ckpt, head.name)
    emotion = animator.emotion_vector("random 1")
    tmp = tempfile.mkdtemp()
    path60 = speech_file(60.0, tmp)
    samples = load_speech(path60)
    cfg, fps = ckpt.features, 30.0
    print(f"threads: torch {torch.get_num_threads()}, cores {os.cpu_count()}; head '{head.name}': "
          f"{head.n_vertices} vertices, {head.n_components} components")

    # (a) network only, from the same LPC
    feats = torch.from_numpy(features(samples, fps, cfg))
    starts = window_starts(feats.shape[0], fps, cfg)
    first = int(starts[0])
    grid = grid_lpc(samples, first, int(starts[-1]) - first + cfg.n_frames, cfg)

    def torch_naive(batch: int) -> np.ndarray:
        e = torch.from_numpy(emotion)[None]
        with torch.inference_mode():
            return torch.cat([model.coefficients(feats[i : i + batch], 0, e.expand(len(feats[i : i + batch]), -1))
                              for i in range(0, feats.shape[0], batch)]).numpy()

    def numpy_grid() -> np.ndarray:
        out = []
        for i0 in range(0, len(starts), 256):  # what Animator.coefficients does, LPC excluded
            s = starts[i0 : i0 + 256]
            out.append(animator.coefficients_from_grid(grid[s[0] - first : s[-1] - first + cfg.n_frames],
                                                       int(s[0]), s, emotion))
        return np.concatenate(out)

    np_s, np_out = best_of(numpy_grid)
    t1_s, _ = best_of(lambda: torch_naive(1), 1)
    batched = {b: best_of(lambda b=b: torch_naive(b), 2) for b in (16, 32, 64)}
    best_batch = min(batched, key=lambda b: batched[b][0])
    tb_s, t_out = batched[best_batch]
    rel = float(np.abs(np_out - t_out).max() / np.abs(t_out).max())
    print("(a) network, 1800 windows (60 s at 30 fps), LPC excluded")
    print(f"    torch per-window, batch 1:            {t1_s:7.3f} s   numpy is {t1_s / np_s:5.1f}x faster")
    print(f"    torch per-window, batch {best_batch:<3d} (fastest): {tb_s:7.3f} s   "
          f"numpy is {tb_s / np_s:5.1f}x faster")
    print(f"    numpy shared grid:                    {np_s:7.3f} s   (target: 5x faster; max rel. diff {rel:.1e})")

    # (b) end to end from the file
    def end_to_end() -> int:
        x = load_speech(path60)
        coeffs = animator.coefficients(x, fps, emotion)
        n = 0
        for v in animator.iter_vertices(coeffs):
            n += v.shape[0]
        return n

    e2e_s, n = best_of(end_to_end)
    print(f"(b) end to end, decode + resample + LPC + network + {n} frames of vertices: {e2e_s:.3f} s = "
          f"{60.0 / e2e_s:.0f}x real time (target 60x: {60.0 / e2e_s / 60:.2f} of target)")

    # (c) peak memory of the CLI on 10 minutes
    ckpt_path = os.path.join(tmp, "bench.npz")
    save_checkpoint(ckpt_path, ckpt)
    path600 = speech_file(600.0, tmp)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "multanet_core", "animate", "--checkpoint", ckpt_path,
                    "--character", head.name, "--audio", path600, "--fps", "30",
                    "--out", os.path.join(tmp, "ten_minutes.pc2")],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size_mb = os.path.getsize(os.path.join(tmp, "ten_minutes.pc2")) / 2**20
    print(f"(c) python -m multanet_core animate, 10 min of audio -> {size_mb:.0f} MB .pc2 in {wall:.1f} s: "
          f"peak RSS {peak_mb:.0f} MB (target < 1024 MB: {peak_mb / 1024:.2f} of target)")


if __name__ == "__main__":
    cli(__doc__)
    main()
