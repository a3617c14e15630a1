"""The training loop: multi-task batches of consecutive-frame pairs, Karras's losses, the head freeze,
checkpoints that resume exactly, mixed precision on CUDA, DistributedDataParallel under torchrun.

Augmentation: when the data holds degraded audio variants, each pair of a batch reads its windows
from the clean audio with probability ``augment.clean_share`` and otherwise from one of the variants,
drawn uniformly; both frames of a pair hear the same variant.

Exact resumption: an epoch's batch order (and variant choice) is drawn from ``seed`` and the epoch number alone, and a
checkpoint (written at epoch ends) holds the model with its emotion vectors, the optimiser and the
loss normaliser; resuming from epoch ``e`` therefore replays what an uninterrupted run does from ``e``.

Distributed: with ``WORLD_SIZE`` > 1 in the environment (torchrun sets it) every process draws the
same global batch and takes every ``world``-th pair of it; DDP averages the gradients, and the loss
normaliser's statistics are averaged too, so every rank applies the same update.
"""

from __future__ import annotations

import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from multanet_core.atomic import atomic_write
from multanet_core.progress import StatusLine

from .augment import AugmentConfig
from .config import learning_rate, scheduled
from .losses import LossNormaliser, emotion_regulariser, motion_loss, position_loss, weighted_position_loss
from .model import TrainingModel
from .training_data import FrameData

TERMS = ("position", "motion", "emotion")


def world() -> tuple[int, int]:
    """(rank, world size): from torch.distributed when initialised, else (0, 1)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def init_distributed(device: torch.device) -> bool:
    """Join the process group torchrun describes in the environment; False when not launched so."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or (dist.is_available() and dist.is_initialized()):
        return dist.is_available() and dist.is_initialized()
    dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return True


def pick_device(name: str) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda: no CUDA device is available")
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return torch.device("cuda", local)
    return torch.device(name)


@dataclass
class Job:
    """What to train: the module, its data, which head each training character drives, what learns."""

    model: TrainingModel
    data: FrameData
    head_of: list[int]  # training character -> head index in the network
    frozen_early: list[nn.Parameter]  # the heads' PCA-initialised last layers
    trainable: list[nn.Parameter]
    state_path: Path
    seed: int
    label: str = "fit"
    extra_state: dict = field(default_factory=dict)


def _groups(chars: np.ndarray, head_of: list[int]) -> list[tuple[int, int, int]]:
    """Contiguous row ranges of each character in a batch sorted by character."""
    cuts = np.flatnonzero(np.diff(chars)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(chars)]])
    return [(head_of[int(chars[s])], int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def parameter_digest(module: nn.Module) -> str:
    """SHA-256 of every parameter's bytes, in order: equal digests mean bit-identical weights."""
    import hashlib

    h = hashlib.sha256()
    for p in module.parameters():
        h.update(p.detach().cpu().float().contiguous().numpy().tobytes())
    return h.hexdigest()


def rank_digests(module: nn.Module) -> list[str]:
    """Every rank's :func:`parameter_digest` (one entry when not distributed)."""
    digest = parameter_digest(module)
    rank, n_ranks = world()
    if n_ranks == 1:
        return [digest]
    gathered: list = [None] * n_ranks
    dist.all_gather_object(gathered, digest)
    return gathered


def save_state(path: Path, state: dict) -> None:
    with atomic_write(path) as f:
        torch.save(state, f)


def train(job: Job, config: dict, device: torch.device, *, resume: bool = False, stop_after: int | None = None,
          quiet: bool = False, tensorboard: Path | None = None) -> dict:
    """Train ``job`` to ``config['epochs']`` (or stop after epoch ``stop_after``); returns a summary."""
    rank, n_ranks = world()
    model = job.model.to(device)
    data = job.data
    amp_dtype = None
    if device.type == "cuda":
        amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda", enabled=amp_dtype == torch.float16)
    wrapped: nn.Module = model
    if n_ranks > 1:
        wrapped = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=True)
    optimiser = torch.optim.Adam(job.trainable, lr=learning_rate(config, 0))
    norm = LossNormaliser(TERMS, beta=float(config["loss_ema_beta"]))
    start, seconds = 0, 0.0
    if resume and job.state_path.is_file():
        state = torch.load(job.state_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        norm.load_state_dict(state["normaliser"])
        scaler.load_state_dict(state["scaler"])
        start, seconds = int(state["epoch"]), float(state.get("seconds", 0.0))
    epochs = int(config["epochs"])
    last = epochs if stop_after is None else min(epochs, int(stop_after))
    weights = {k: float(v) for k, v in config["loss_weights"].items()}
    batch = int(config["batch_pairs"])
    pairs = data.pairs
    augment = AugmentConfig.from_dict(config.get("augment"))
    clean_share = augment.clean_share if augment else 1.0
    writer = None
    if tensorboard is not None and rank == 0:
        try:
            from torch.utils.tensorboard import SummaryWriter

            writer = SummaryWriter(str(tensorboard))
        except ImportError:
            print("tensorboard is not installed: no TensorBoard logs", file=sys.stderr)
    bar = StatusLine(enabled=not quiet and rank == 0)
    pin = device.type == "cuda"
    frozen_ids = {id(p) for p in job.frozen_early}
    step_global = start * math.ceil(len(pairs) * float(config["epoch_fraction"]) / batch)
    history = []
    for epoch in range(start, last):
        t0 = time.perf_counter()
        lr = learning_rate(config, epoch)
        for group in optimiser.param_groups:
            group["lr"] = lr
        freeze = epoch < int(config["freeze_head_epochs"]) and bool(frozen_ids)  # a warm start freezes nothing
        bilabial_weight = scheduled(config, "bilabial_weight", epoch, 1.0)
        weigh = bilabial_weight != 1.0 and data.bilabial is not None
        rng = np.random.default_rng([int(job.seed), epoch])
        variant_rng = np.random.default_rng([int(job.seed), epoch, 1])
        count = max(n_ranks, int(round(len(pairs) * float(config["epoch_fraction"]))))
        # epoch_fraction > 1 (small data sets, same number of steps): several shuffles back to back
        order = np.concatenate([rng.permutation(pairs) for _ in range(math.ceil(count / len(pairs)))])[:count]
        n_steps = math.ceil(len(order) / batch)
        sums = dict.fromkeys(TERMS, 0.0)
        frames_done = 0
        model.train()
        for s in range(n_steps):
            chunk = order[s * batch:(s + 1) * batch]
            if len(chunk) < n_ranks:
                continue
            p = chunk[rank::n_ranks]
            p = p[np.argsort(data.char[p], kind="stable")]
            idx = np.stack([p, p + 1], axis=1).reshape(-1)
            variant = None
            if data.n_variants > 1:
                pick = np.where(variant_rng.random(len(p)) < clean_share, 0,
                                variant_rng.integers(1, data.n_variants, len(p)))
                variant = np.repeat(pick, 2)
            x = torch.from_numpy(data.windows(idx, variant))
            frames = torch.from_numpy(idx)
            groups = _groups(data.char[idx], job.head_of)
            targets = [torch.from_numpy(data.targets[int(data.char[idx[r0]])][data.row[idx[r0:r1]]])
                       for _, r0, r1 in groups]
            if pin:
                x = x.pin_memory()
                targets = [t.pin_memory() for t in targets]
            x = x.to(device, non_blocking=True)
            frames = frames.to(device, non_blocking=True)
            targets = [t.to(device, non_blocking=True) for t in targets]
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                outs, emotion = wrapped(x, frames, groups)
            rows = len(idx)
            pairs_out = list(zip(outs, targets, strict=True))
            if weigh:
                w = torch.from_numpy(np.where(data.bilabial[idx], bilabial_weight, 1.0).astype(np.float32)).to(device)
                w_sum = w.sum()
                position = sum(weighted_position_loss(o.float(), t, w[r0:r1], w_sum)
                               for (o, t), (_, r0, r1) in zip(pairs_out, groups, strict=True))
            else:
                position = sum(position_loss(o.float(), t) * (t.shape[0] / rows) for o, t in pairs_out)
            terms = {
                "position": position,
                "motion": sum(motion_loss(o.float(), t) * (t.shape[0] / rows) for o, t in pairs_out),
                "emotion": emotion_regulariser(emotion.float()),
            }
            values = torch.stack([terms[n].detach() for n in TERMS]).float()
            if n_ranks > 1:
                dist.all_reduce(values)
                values /= n_ranks
            values = dict(zip(TERMS, values.tolist(), strict=True))
            norm.update(values)
            loss = norm.total(terms, weights)
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if freeze:
                for prm in job.trainable:
                    if id(prm) in frozen_ids:
                        prm.grad = None
            scaler.step(optimiser)
            scaler.update()
            for n in TERMS:
                sums[n] += values[n]
            frames_done += rows * n_ranks
            step_global += 1
            if writer is not None and step_global % 20 == 0:
                for n in TERMS:
                    writer.add_scalar(f"loss/{n}", values[n], step_global)
                writer.add_scalar("loss/total_normalised", float(loss.detach()), step_global)
            rate = frames_done / max(time.perf_counter() - t0, 1e-9)
            bar.show(f"{job.label} epoch {epoch + 1}/{epochs} step {s + 1}/{n_steps} "
                     + " ".join(f"{n[:3]} {sums[n] / (s + 1):.3g}" for n in TERMS)
                     + f" lr {lr:g}{' head frozen' if freeze else ''} {rate:.0f} frames/s")
        dt = time.perf_counter() - t0
        seconds += dt
        means = {n: sums[n] / max(n_steps, 1) for n in TERMS}
        history.append({"epoch": epoch + 1, "seconds": dt, "frames": frames_done, **means})
        bar.done(f"{job.label} epoch {epoch + 1}/{epochs} done in {dt:.1f}s: "
                 + " ".join(f"{n} {means[n]:.4g}" for n in TERMS) + f" ({frames_done / dt:.0f} frames/s)")
        if writer is not None:
            for n in TERMS:
                writer.add_scalar(f"epoch/{n}", means[n], epoch + 1)
            writer.add_scalar("epoch/lr", lr, epoch + 1)
            writer.add_scalar("epoch/frames_per_second", frames_done / dt, epoch + 1)
        if rank == 0 and ((epoch + 1) % int(config["checkpoint_every"]) == 0 or epoch + 1 == last):
            save_state(job.state_path, {
                "epoch": epoch + 1, "seconds": seconds, "model": model.state_dict(),
                "optimizer": optimiser.state_dict(), "normaliser": norm.state_dict(),
                "scaler": scaler.state_dict(), **job.extra_state})
        if n_ranks > 1:
            dist.barrier()
    if writer is not None:
        writer.close()
    digests = rank_digests(model)
    if len(set(digests)) > 1:
        raise RuntimeError(f"distributed ranks ended with different weights: {digests}")
    return {"epochs_done": max(start, last), "epochs": epochs, "seconds": seconds, "history": history,
            "rank_digests": digests}
