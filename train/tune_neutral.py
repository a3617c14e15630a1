"""``python -m train tune-neutral MODEL.npz --data CORPUS --out TUNED.npz``: each head's neutral emotion
vector fitted to held-out speech.

Export makes a head's ``neutral`` preset the mean of the emotion vectors it learned, one per training
frame. Karras et al. chose the vectors they animate with by trying them on held-out audio; this command
does that with a gradient. With the network fixed, it looks for each head's one emotion vector whose
animation of a held-out split (``val`` by default; never use the test split you report) comes closest
to the ground truth, in mean squared vertex error (a rig head: weight error), and writes it as the head's
``neutral`` preset. The other presets keep their vectors; the previous neutral vectors and each head's
figures before and after are kept in the checkpoint's ``info["neutral_tuning"]``.

The formant network does not see the emotion vector, so its output is computed once per head and only
the articulation network and the head's layers run in the fit (L-BFGS on 16 numbers). The inference-time
coefficient filter is not applied in the fit: each frame is fitted on its own.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from multanet_core import metrics
from multanet_core.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from train.data import open_dataset
from train.data.base import DatasetError

from .features_cache import default_cache_dir
from .model import extend_multanet
from .training_data import load_frames, select_sequences


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("checkpoint", type=Path, help="a MulTaNet checkpoint (.npz)")
    parser.add_argument("--data", type=Path, required=True, help="the corpus whose held-out split to fit on")
    parser.add_argument("--out", type=Path, required=True, help="the tuned checkpoint to write")
    parser.add_argument("--split", default="val", help="the held-out split to fit on (default: val)")
    parser.add_argument("--max-frames", type=int, default=4000,
                        help="frames per head, drawn evenly from the split (default: 4000)")
    parser.add_argument("--iterations", type=int, default=25, help="L-BFGS iterations per head (default: 25)")
    parser.add_argument("--scale", type=float, default=1000.0,
                        help="length unit factor of the LVE it prints (1000: data in metres, LVE in mm²)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")


def fit_neutral(net, character: int, h: torch.Tensor, target: torch.Tensor, start: np.ndarray,
                iterations: int) -> np.ndarray:
    """The emotion vector, from ``start``, whose animation of the formant outputs ``h`` comes closest to
    ``target`` (mean squared error; the network's weights stay fixed)."""
    e = torch.tensor(np.asarray(start, np.float32)[None], requires_grad=True)

    def predict(vector: torch.Tensor) -> torch.Tensor:
        a = net.mfl.articulate(h, vector.expand(h.shape[0], -1))
        return net.vertices(net.head_coefficients(a, character), character)

    with torch.no_grad():  # the loss starts at 1, so L-BFGS's tolerances mean the same for every head
        scale = 1.0 / float(((predict(e) - target) ** 2).mean().clamp_min(1e-20))

    optimiser = torch.optim.LBFGS([e], lr=1.0, max_iter=iterations, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = ((predict(e) - target) ** 2).mean() * scale
        loss.backward()
        return loss

    optimiser.step(closure)
    return e.detach()[0].numpy().astype(np.float64)


def head_error(net, character: int, h: torch.Tensor, target: np.ndarray, vector: np.ndarray, head,
               scale: float) -> float:
    """A mesh head's LVE (x ``scale``², as ``train evaluate`` reports it) or a rig head's mean absolute
    weight error."""
    with torch.no_grad():
        e = torch.as_tensor(np.asarray(vector, np.float32))[None].expand(h.shape[0], -1)
        pred = net.vertices(net.head_coefficients(net.mfl.articulate(h, e), character), character).numpy()
    if head.is_rig:
        return float(np.abs(pred - target).mean())
    shape = (len(pred), -1, 3)
    return metrics.lve(pred.reshape(shape), target.reshape(shape), head.lips) * scale ** 2


def _frames(dataset, ckpt: Checkpoint, head, split: str, cache: Path, max_frames: int):
    """(windows, targets) of ``split`` for one head: a mesh head's own character, a rig head the frames of
    every mesh head's character that the corpus has, with the rig head's weight targets."""
    mesh = [h.name for h in ckpt.mesh_heads if h.name in dataset.characters]
    names = [head.name] if not head.is_rig else mesh
    if not names or head.name not in dataset.characters and not head.is_rig:
        raise DatasetError(f"{dataset.root}: has no character {head.name!r} for the checkpoint's head of that name")
    for name in names:
        if not select_sequences(dataset, name, split, None):
            raise DatasetError(f"{dataset.root}: no {split!r} sequences for character {name!r}")
    rig = (head.name, tuple(head.weight_names)) if head.is_rig else None
    data = load_frames(dataset, names, split, ckpt.features, cache, rig=rig)
    pick = np.unique(np.linspace(0, data.n - 1, min(max_frames, data.n)).round().astype(np.int64))
    return data.windows(pick), data.targets[0][data.row[pick]]


def tune(ckpt: Checkpoint, dataset, split: str, cache: Path, max_frames: int, iterations: int,
         scale: float = 1000.0, log=print) -> dict:
    """Fit every head's neutral vector in place; returns the figures for ``info["neutral_tuning"]``."""
    if ckpt.network.architecture != "multanet":
        raise DatasetError(f"tune-neutral fits MulTaNet heads; this checkpoint is {ckpt.network.architecture!r}")
    net = extend_multanet(ckpt, [], []).float().eval()
    for p in net.parameters():
        p.requires_grad_(False)
    report = {"split": split, "data": str(Path(dataset.root).resolve()), "lve_scale": scale, "heads": {}}
    for c, head in enumerate(ckpt.heads):
        t0 = time.perf_counter()
        windows, target = _frames(dataset, ckpt, head, split, cache, max_frames)
        with torch.no_grad():
            h = net.mfl.formants(torch.as_tensor(windows))
        old = np.asarray(head.emotion("neutral"), np.float64)
        new = fit_neutral(net, c, h, torch.as_tensor(target), old, iterations)
        before, after = (head_error(net, c, h, target, v, head, scale) for v in (old, new))
        if not np.all(np.isfinite(new)) or after > before:
            new, after = old, before  # keep the mean vector where the fit found nothing better
        head.presets["neutral"] = [float(x) for x in new]
        measure = "weight MAE" if head.is_rig else "LVE"
        report["heads"][head.name] = {"frames": len(windows), "measure": measure, "before": round(before, 5),
                                      "after": round(after, 5), "mean_vector": [float(x) for x in old]}
        log(f"{head.name}: {len(windows)} {split} frames, {measure} {before:.4g} -> {after:.4g} "
            f"({time.perf_counter() - t0:.0f} s)")
    return report


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.out.resolve() == args.checkpoint.resolve():
        print("--out must not be the checkpoint it tunes: write a new file and keep the original", file=sys.stderr)
        return 2
    if args.max_frames < 1 or args.iterations < 1:
        print("--max-frames and --iterations must be at least 1", file=sys.stderr)
        return 2
    ckpt = load_checkpoint(args.checkpoint)
    with np.load(args.checkpoint, allow_pickle=False) as z:  # the bases are written as they were stored
        dtype = str(z["heads.0.basis"].dtype)
    dataset = open_dataset(args.data)
    report = tune(ckpt, dataset, args.split, default_cache_dir(args.data, ckpt.features), args.max_frames,
                  args.iterations, args.scale, log=lambda s: print(s, file=sys.stderr, flush=True))
    ckpt.info = {**ckpt.info, "neutral_tuning": report}
    save_checkpoint(args.out, ckpt, basis_dtype=dtype)
    load_checkpoint(args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
