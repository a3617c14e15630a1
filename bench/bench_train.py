"""Training throughput, side by side in one run: this tree's trainer against an earlier commit's
(default: the trainer before the device-resident data path), and MulTaNet against KarrasNet.

Each measurement trains three epochs of a fixed number of steps (the fastest epoch is reported) on
in-memory synthetic frames (random LPC grid, random unit-RMS targets: speed does not depend on the
values) with the tree's real trainer (``train.trainer.train``): batches of consecutive-frame pairs,
Karras's losses, Adam. MulTaNet gets ``--characters`` heads of ``--vertices`` vertices in every
(multi-task) batch; KarrasNet one character. Each measurement runs in its own process (its peak
memory is its own), the trees taking turns round by round, so machine noise falls on both alike.
On CUDA it also prints the GPU's mean utilisation while training (``nvidia-smi``).

Run: python bench/bench_train.py [--config small|paper] [--device cpu|cuda] [--threads N] [--steps 60]
     [--batch-pairs N] [--rounds 2] [--baseline COMMIT | --baseline-tree FOLDER] [--no-karras]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
BASELINE = "c977cce"  # the trainer that built every batch on the host and read the losses back each step


class GpuUtilisation:
    """Mean GPU utilisation over a stretch of time, sampled from nvidia-smi every 100 ms."""

    def __init__(self):
        self.samples: list[float] = []
        self.proc = None
        if shutil.which("nvidia-smi"):
            self.proc = subprocess.Popen(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                                          "-lms", "100"], stdout=subprocess.PIPE, text=True)
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.samples.append(float(line.split(",")[0]))
            except ValueError:
                pass

    def stop(self) -> float | None:
        if self.proc is None:
            return None
        self.proc.terminate()
        return sum(self.samples) / len(self.samples) if self.samples else None


def measure(model: str, config_name: str, characters: int, vertices: int, steps: int, threads: int, device: str,
            batch_pairs: int | None) -> dict:
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
    config = load_config(config_name)
    if batch_pairs:
        config["batch_pairs"] = batch_pairs
    features = FeatureConfig.from_dict(config.get("features", {}))
    n_chars = characters if model == "multanet" else 1
    batch = int(config["batch_pairs"])
    per_char = 2000
    frames = n_chars * per_char
    fraction = steps * batch / (frames - n_chars)  # above 1 (large batches): several shuffles per epoch
    # three epochs of ``steps`` steps; the fastest one is reported (the least disturbed by other load)
    config.update(epochs=3, freeze_head_epochs=0, epoch_fraction=fraction, checkpoint_every=3)
    config.pop("augment", None)
    config.pop("bilabial_weight", None)
    rng = np.random.default_rng(0)
    k = int(config["components"])
    grid = rng.standard_normal((1, frames + 64, features.width)).astype(np.float32)
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
    dev = torch.device(device)
    gpu = GpuUtilisation() if dev.type == "cuda" else None
    with tempfile.TemporaryDirectory() as tmp:
        job = Job(model=tm, data=data, head_of=list(range(n_chars)), frozen_early=[], trainable=list(tm.parameters()),
                  state_path=__import__("pathlib").Path(tmp) / "state.pt", seed=0, label=model)
        t = time.perf_counter()
        summary = train(job, config, dev, quiet=True)
        wall = time.perf_counter() - t
    util = gpu.stop() if gpu else None
    h = max(summary["history"], key=lambda e: e["frames"] / e["seconds"])
    return {"model": model, "frames_per_s": h["frames"] / h["seconds"], "frames": h["frames"],
            "seconds": h["seconds"], "wall_s": wall, "threads": threads, "batch_pairs": batch, "gpu_util": util,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2 ** 20 if dev.type == "cuda" else None}


def run_one(tree: str, model: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--one", model, "--tree", tree, "--config", args.config,
           "--characters", str(args.characters), "--vertices", str(args.vertices), "--steps", str(args.steps),
           "--threads", str(args.threads), "--device", args.device]
    if args.batch_pairs:
        cmd += ["--batch-pairs", str(args.batch_pairs)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=tree)
    if done.returncode != 0:
        raise SystemExit(f"{model} in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="small", help="training config whose network and batch are timed")
    parser.add_argument("--characters", type=int, default=4, help="MulTaNet heads in each batch")
    parser.add_argument("--vertices", type=int, default=3000, help="vertices of every random head")
    parser.add_argument("--steps", type=int, default=60, help="optimiser steps timed per epoch")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="torch CPU threads")
    parser.add_argument("--device", default="cpu", help="cpu | cuda")
    parser.add_argument("--batch-pairs", type=int, default=None, help="frame pairs per step (default: the config's)")
    parser.add_argument("--rounds", type=int, default=2, help="turns each tree takes (the best is kept)")
    parser.add_argument("--baseline", default=BASELINE, help="commit whose trainer this tree is compared with")
    parser.add_argument("--baseline-tree", default=None,
                        help="a folder holding the baseline's files instead (where the checkout has no git history)")
    parser.add_argument("--no-karras", action="store_true", help="skip the KarrasNet measurement")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--tree", default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        sys.path.insert(0, args.tree)
        print(json.dumps(measure(args.one, args.config, args.characters, args.vertices, args.steps, args.threads,
                                 args.device, args.batch_pairs)))
        return
    made = None
    base = os.path.abspath(args.baseline_tree) if args.baseline_tree else None
    if base is None:
        made = tempfile.mkdtemp(prefix="bench_train_baseline_")
        subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", made, args.baseline], check=True,
                       capture_output=True)
        base = made
    best: dict[str, dict] = {}
    try:
        runs = [("this", ROOT, "multanet"), ("baseline", base, "multanet")]
        if not args.no_karras:
            runs.append(("this", ROOT, "karras"))
        for r in range(args.rounds):
            for name, tree, model in runs if r % 2 == 0 else runs[::-1]:
                res = run_one(tree, model, args)
                key = f"{name} {model}"
                if key not in best or res["frames_per_s"] > best[key]["frames_per_s"]:
                    best[key] = res
    finally:
        if made:
            subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", made], check=False)
    m, b = best["this multanet"], best["baseline multanet"]
    print(f"config {args.config}, device {args.device}, {args.threads} torch threads, {os.cpu_count()} cores, "
          f"{args.steps} steps of {m['batch_pairs']} pairs, {args.characters} heads of {args.vertices} vertices, "
          f"best of {args.rounds} rounds; baseline {args.baseline_tree or args.baseline}")

    def line(label: str, res: dict) -> str:
        extra = f", GPU busy {res['gpu_util']:.0f} %" if res.get("gpu_util") is not None else ""
        extra += f", peak GPU memory {res['peak_gpu_mb']:.0f} MB" if res.get("peak_gpu_mb") is not None else ""
        return (f"{label:<34} {res['frames_per_s']:9.0f} training frames/s, peak RSS {res['peak_rss_mb']:.0f} MB"
                + extra)

    print(line("MulTaNet, this tree", m))
    print(line("MulTaNet, baseline trainer", b))
    print(f"ratio this tree / baseline frames/s: {m['frames_per_s'] / b['frames_per_s']:.2f}")
    if "this karras" in best:
        k = best["this karras"]
        print(line("KarrasNet (1 character)", k))
        print(f"ratio MulTaNet / KarrasNet frames/s: {m['frames_per_s'] / k['frames_per_s']:.2f}; per character "
              f"trained, MulTaNet costs 1/{3 * m['frames_per_s'] / k['frames_per_s']:.1f} of a 3-member ensemble "
              "on the same frames and epochs")


if __name__ == "__main__":
    main()
