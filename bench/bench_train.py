"""Training throughput on this machine: MulTaNet against KarrasNet, side by side, same config.

Each model trains three epochs of a fixed number of steps (the fastest epoch is reported) on
in-memory synthetic frames (random LPC grid, random unit-RMS targets: speed does not depend on
the values) with the real trainer (:func:`train.trainer.train`): batches of consecutive-frame
pairs, Karras's losses, Adam.
MulTaNet gets ``--characters`` heads of ``--vertices`` vertices in every (multi-task) batch;
KarrasNet one character. Each measurement runs in its own process, so its peak resident memory is
its own. Prints training frames per second, the ratio MulTaNet / KarrasNet, and what that means
for the comparison runs (one MulTaNet for all characters against ``members`` KarrasNets per
character).

Run: python bench/bench_train.py [--config small|paper] [--threads N] [--steps 60]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)


def measure(model: str, config_name: str, characters: int, vertices: int, steps: int, threads: int) -> dict:
    import numpy as np
    import torch

    from multanet_core.lpc import FeatureConfig
    from train.config import load_config
    from train.data.base import Template
    from train.model import TrainingModel, build_karras, make_spec
    from train.networks_torch import MulTaNet
    from train.trainer import Job, train
    from train.training_data import FrameData

    torch.set_num_threads(threads)
    features = FeatureConfig()
    n_chars = characters if model == "multanet" else 1
    per_char = 2000
    batch_pairs = None
    config = load_config(config_name)
    batch_pairs = int(config["batch_pairs"])
    frames = n_chars * per_char
    fraction = min(1.0, steps * batch_pairs / (frames - n_chars))
    # three epochs of ``steps`` steps; the fastest one is reported (the least disturbed by other load)
    config.update(epochs=3, freeze_head_epochs=0, epoch_fraction=fraction, checkpoint_every=3)
    rng = np.random.default_rng(0)
    k = int(config["components"])
    grid = rng.standard_normal((frames + 64, features.width)).astype(np.float32)
    data = FrameData(characters=[f"c{i}" for i in range(n_chars)],
                     templates=[Template(f"c{i}", np.zeros((vertices, 3), np.float32)) for i in range(n_chars)],
                     grid=grid, win=np.arange(frames), char=np.repeat(np.arange(n_chars), per_char),
                     row=np.tile(np.arange(per_char), n_chars), seq=np.repeat(np.arange(n_chars), per_char),
                     targets=[rng.standard_normal((per_char, 3 * vertices)).astype(np.float32) for _ in range(n_chars)],
                     sequences=[], n_frames=features.n_frames)
    basis = (rng.standard_normal((k, 3 * vertices)) * 0.01).astype(np.float32)
    zeros = np.zeros(3 * vertices, np.float32)
    torch.manual_seed(0)
    if model == "multanet":
        net = MulTaNet(make_spec("multanet", config, features, n_chars), [zeros] * n_chars, [basis] * n_chars)
    else:
        net = build_karras(config, features, zeros, basis)
    tm = TrainingModel(net, frames, 16, 0.01, 0)
    with tempfile.TemporaryDirectory() as tmp:
        job = Job(model=tm, data=data, head_of=list(range(n_chars)), frozen_early=[], trainable=list(tm.parameters()),
                  state_path=__import__("pathlib").Path(tmp) / "state.pt", seed=0, label=model)
        t = time.perf_counter()
        summary = train(job, config, torch.device("cpu"), quiet=True)
        wall = time.perf_counter() - t
    h = max(summary["history"], key=lambda e: e["frames"] / e["seconds"])
    return {"model": model, "frames_per_s": h["frames"] / h["seconds"], "frames": h["frames"],
            "seconds": h["seconds"], "wall_s": wall, "threads": threads,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="small", help="training config whose network and batch are timed")
    parser.add_argument("--characters", type=int, default=4, help="MulTaNet heads in each batch")
    parser.add_argument("--vertices", type=int, default=3000, help="vertices of every random head")
    parser.add_argument("--steps", type=int, default=60, help="optimiser steps timed per model")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch CPU threads")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.config, args.characters, args.vertices, args.steps, args.threads)))
        return
    results = {}
    for model in ("multanet", "karras"):
        out = subprocess.run([sys.executable, __file__, "--one", model, "--config", args.config,
                              "--characters", str(args.characters), "--vertices", str(args.vertices),
                              "--steps", str(args.steps), "--threads", str(args.threads)],
                             check=True, capture_output=True, text=True).stdout
        results[model] = json.loads(out.strip().splitlines()[-1])
    m, k = results["multanet"], results["karras"]
    print(f"config {args.config}, {args.threads} torch threads, {os.cpu_count()} cores, {args.steps} steps, "
          f"{args.vertices}-vertex heads")
    print(f"MulTaNet ({args.characters} heads per batch): {m['frames_per_s']:8.0f} training frames/s, "
          f"peak RSS {m['peak_rss_mb']:.0f} MB")
    print(f"KarrasNet (1 character):        {k['frames_per_s']:8.0f} training frames/s, "
          f"peak RSS {k['peak_rss_mb']:.0f} MB")
    print(f"ratio MulTaNet / KarrasNet frames/s: {m['frames_per_s'] / k['frames_per_s']:.2f}; per character "
          f"trained, MulTaNet costs 1/{3 * m['frames_per_s'] / k['frames_per_s']:.1f} of a 3-member ensemble "
          "on the same frames and epochs")


if __name__ == "__main__":
    main()
