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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from multanet_core.atomic import atomic_write
from multanet_core.progress import StatusLine

from .augment import AugmentConfig
from .batches import FrameSource, config_repeat, plan_epoch
from .config import contact_outputs, learning_rate, scheduled
from .losses import (
    LossNormaliser,
    contact_balance,
    contact_loss,
    coordinate_weights,
    emotion_regulariser,
    motion_loss,
    position_loss,
    row_weights,
    weighted_motion_loss,
    weighted_position_loss,
)
from .model import TrainingModel
from .training_data import FrameData

TERMS = ("position", "motion", "emotion")  # and "contact" when the network has a contact head (terms())
CHUNK_STEPS = 32  # steps whose windows and targets are gathered at once
LOG_EVERY = 20  # steps between the progress line's (and TensorBoard's) reads of the running losses


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
    # called on rank 0 after each checkpoint with (the epoch this session started from, the epoch saved)
    on_checkpoint: Callable[[int, int], None] | None = None


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`train`; the message says where it stopped and where ``--resume`` goes on from."""

    def __init__(self, label: str, epoch: int, checkpoint: int):
        saved = (f"the last checkpoint is epoch {checkpoint}; --resume continues from there" if checkpoint
                 else "no checkpoint yet, nothing to resume")
        super().__init__(f"{label}: interrupted at epoch {epoch}; {saved}")
        self.epoch, self.checkpoint = epoch, checkpoint


def make_optimiser(params: list[nn.Parameter], lr: float, device: torch.device,
                   emotions: nn.Parameter | None = None, emotion_scale: float = 1.0) -> torch.optim.Optimizer:
    """Adam, fused into a few kernels on CUDA (no per-parameter launches, no host sync); on the CPU the
    multi-tensor (foreach) form, which computes the same update as the plain loop.

    With ``emotion_scale`` other than 1, the per-frame ``emotions`` learn at that many times the rate, in a group
    of their own (``lr_scale``): each vector is one frame's, and learns only on the steps that draw its frame."""
    fast = emotions is not None and emotion_scale != 1.0 and any(p is emotions for p in params)
    groups = ([{"params": [p for p in params if p is not emotions], "lr_scale": 1.0},
               {"params": [emotions], "lr_scale": float(emotion_scale)}] if fast
              else [{"params": list(params), "lr_scale": 1.0}])
    for g in groups:
        g["lr"] = lr * g["lr_scale"]
    if device.type == "cuda":
        return torch.optim.Adam(groups, lr=lr, fused=True)
    return torch.optim.Adam(groups, lr=lr, foreach=True)


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


def lip_coordinates(data: FrameData, lip_weight: float, device: torch.device) -> dict[int, torch.Tensor]:
    """Per mesh character (index into ``data.templates``): its coordinate weights for ``lip_weight`` on the
    device; empty when the weight is 1 (the plain position loss) or no template marks lips. A rig head's
    character has no template and keeps the plain loss."""
    if not lip_weight > 0:
        raise ValueError(f"config 'lip_weight': expected a positive number, got {lip_weight!r}")
    if lip_weight == 1.0:
        return {}
    return {c: torch.from_numpy(coordinate_weights(t.lip_indices, t.n_vertices, lip_weight)).to(device)
            for c, t in enumerate(data.templates) if len(t.lip_indices)}


def rig_row_weight(data: FrameData, rig_weight: float) -> float | None:
    """How many times a rig head's rows (characters without a template) count in the position loss's mean
    over the batch, or None when they count once or no rig head trains beside a mesh head. The lip and
    P/B/M weights raise the mesh heads' share of that mean; this gives the rig head its share back."""
    if not rig_weight > 0:
        raise ValueError(f"config 'rig_weight': expected a positive number, got {rig_weight!r}")
    n_mesh = len(data.templates)
    return None if rig_weight == 1.0 or not 0 < n_mesh < len(data.characters) else float(rig_weight)


def loss_terms(model: nn.Module, config: dict) -> tuple[str, ...]:
    """The loss terms ``model`` trains on: :data:`TERMS`, and ``contact`` when its network has a contact head
    and ``config`` weighs the contact loss (a head from an ``--init`` checkpoint, unweighted, stays as it is)."""
    head = getattr(getattr(model, "net", None), "contact", None)
    return TERMS + ("contact",) if head is not None and contact_outputs(config) else TERMS


def train(job: Job, config: dict, device: torch.device, *, resume: bool = False, stop_after: int | None = None,
          quiet: bool = False, tensorboard: Path | None = None, max_device_bytes: int | None = None) -> dict:
    """Train ``job`` to ``config['epochs']`` (or stop after epoch ``stop_after``); returns a summary.
    Ctrl-C raises :class:`TrainingInterrupted`, which names the epoch and the last checkpoint."""
    where = {"epoch": 1, "saved": 0}  # the epoch under way (or next), the last one saved
    try:
        return _train(job, config, device, where, resume=resume, stop_after=stop_after, quiet=quiet,
                      tensorboard=tensorboard, max_device_bytes=max_device_bytes)
    except KeyboardInterrupt:
        raise TrainingInterrupted(job.label, where["epoch"], where["saved"]) from None


def _train(job: Job, config: dict, device: torch.device, where: dict, *, resume: bool = False,
           stop_after: int | None = None, quiet: bool = False, tensorboard: Path | None = None,
           max_device_bytes: int | None = None) -> dict:
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
    optimiser = make_optimiser(job.trainable, learning_rate(config, 0), device, model.emotions,
                               float(config.get("emotion_lr_scale", 1.0)))
    names = loss_terms(model, config)
    if "contact" in names and data.contact is None:
        raise ValueError("a contact head trains on contact labels, and this data has none")
    balance = torch.from_numpy(contact_balance(data.contact)).to(device) if "contact" in names else None
    norm = LossNormaliser(names, beta=float(config["loss_ema_beta"]), device=device)
    start, seconds = 0, 0.0
    if resume and job.state_path.is_file():
        state = torch.load(job.state_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimiser.load_state_dict(state["optimizer"])
        norm.load_state_dict(state["normaliser"])
        scaler.load_state_dict(state["scaler"])
        start, seconds = int(state["epoch"]), float(state.get("seconds", 0.0))
    where.update(epoch=start + 1, saved=start)
    epochs = int(config["epochs"])
    last = epochs if stop_after is None else min(epochs, int(stop_after))
    weights = {k: float(v) for k, v in config["loss_weights"].items()}
    batch = int(config["batch_pairs"])
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
    source = FrameSource(data, device, max_device_bytes)
    frozen_ids = {id(p) for p in job.frozen_early}
    step_global = start * math.ceil(len(data.pairs) * float(config["epoch_fraction"]) / batch)
    history = []
    for epoch in range(start, last):
        where["epoch"] = epoch + 1
        t0 = time.perf_counter()
        lr = learning_rate(config, epoch)
        for group in optimiser.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)
        freeze = epoch < int(config["freeze_head_epochs"]) and bool(frozen_ids)  # a warm start freezes nothing
        bilabial_weight = scheduled(config, "bilabial_weight", epoch, 1.0)
        aligned_weight = (scheduled(config, "aligned_bilabial_weight", epoch, 1.0)
                          if "aligned_bilabial_weight" in config else None)
        frame_weight = scheduled(config, "aligned_frame_weight", epoch, 1.0)
        weigh = (bilabial_weight != 1.0 or aligned_weight is not None or frame_weight != 1.0) \
            and data.bilabial is not None
        coords = lip_coordinates(data, scheduled(config, "lip_weight", epoch, 1.0), device)
        rig_weight = rig_row_weight(data, scheduled(config, "rig_weight", epoch, 1.0))
        repeat = config_repeat(data, config, epoch)
        plan = plan_epoch(data, job.head_of, job.seed, epoch, batch, float(config["epoch_fraction"]), clean_share,
                          rank, n_ranks, repeat)
        n_steps = plan.n_steps
        sums = torch.zeros(len(names), dtype=torch.float64, device=device)
        frames_done = 0
        model.train()
        chunk = None
        for s in range(n_steps):
            if chunk is None or s >= chunk.first_step + CHUNK_STEPS:
                chunk = source.chunk(plan, s, CHUNK_STEPS)
            x, frames, bilabial, contact, targets = source.step(plan, chunk, s)
            groups = [(h, g0, g1) for h, _, g0, g1 in plan.groups[s]]
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp_dtype is not None):
                outs, emotion, logits = wrapped(x, frames, groups)
            rows = plan.step_rows(s)
            pairs_out = list(zip(outs, targets, strict=True))
            marked = weigh and bilabial is not None
            if coords or marked or rig_weight:  # rows and/or lip coordinates weighted: one weighted mean
                w = row_weights(rows, plan.groups[s], len(data.templates), bilabial if marked else None,
                                bilabial_weight, rig_weight, device, aligned_weight, frame_weight)
                w_sum = w.sum().clamp_min(1e-12)  # (a batch of weight-0 rows only: a loss of 0)
                position = sum(weighted_position_loss(o.float(), t, w[r0:r1], w_sum, coords.get(c))
                               for (o, t), (_, c, r0, r1) in zip(pairs_out, plan.groups[s], strict=True))
            else:
                position = sum(position_loss(o.float(), t) * (t.shape[0] / rows) for o, t in pairs_out)
            if marked and frame_weight != 1.0:  # a forced alignment's pairs weighed in the motion loss too
                pw = torch.where(bilabial[0::2].to(torch.int64) >= 2, frame_weight, 1.0).to(torch.float32)
                pw_sum = pw.sum().clamp_min(1e-12)
                motion = sum(weighted_motion_loss(o.float(), t, pw[r0 // 2:r1 // 2], pw_sum)
                             for (o, t), (_, _, r0, r1) in zip(pairs_out, plan.groups[s], strict=True))
            else:
                motion = sum(motion_loss(o.float(), t) * (t.shape[0] / rows) for o, t in pairs_out)
            terms = {
                "position": position,
                "motion": motion,
                "emotion": emotion_regulariser(emotion.float()),
            }
            if balance is not None:
                terms["contact"] = contact_loss(logits.float(), contact, balance)
            values = torch.stack([terms[n].detach() for n in names]).float()
            if n_ranks > 1:
                dist.all_reduce(values)
                values /= n_ranks
            values = values.double()  # kept on the device: nothing here waits for it
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
            sums += values
            frames_done += rows * n_ranks
            step_global += 1
            if writer is not None and step_global % LOG_EVERY == 0:
                now = values.tolist()
                for i, n in enumerate(names):
                    writer.add_scalar(f"loss/{n}", now[i], step_global)
                writer.add_scalar("loss/total_normalised", float(loss.detach()), step_global)
            if bar.enabled and ((s + 1) % LOG_EVERY == 0 or s + 1 == n_steps):
                means = (sums / (s + 1)).tolist()
                rate = frames_done / max(time.perf_counter() - t0, 1e-9)
                bar.show(f"{job.label} epoch {epoch + 1}/{epochs} step {s + 1}/{n_steps} "
                         + " ".join(f"{n[:3]} {m:.3g}" for n, m in zip(names, means, strict=True))
                         + f" lr {lr:g}{' head frozen' if freeze else ''} {rate:.0f} frames/s")
        mean_values = (sums / max(n_steps, 1)).tolist()  # the epoch's one wait for the device
        dt = time.perf_counter() - t0
        seconds += dt
        means = dict(zip(names, mean_values, strict=True))
        history.append({"epoch": epoch + 1, "seconds": dt, "frames": frames_done, **means})
        bar.done(f"{job.label} epoch {epoch + 1}/{epochs} done in {dt:.1f}s: "
                 + " ".join(f"{n} {means[n]:.4g}" for n in names) + f" ({frames_done / dt:.0f} frames/s)")
        if writer is not None:
            for n in names:
                writer.add_scalar(f"epoch/{n}", means[n], epoch + 1)
            writer.add_scalar("epoch/lr", lr, epoch + 1)
            writer.add_scalar("epoch/frames_per_second", frames_done / dt, epoch + 1)
        if rank == 0 and ((epoch + 1) % int(config["checkpoint_every"]) == 0 or epoch + 1 == last):
            save_state(job.state_path, {
                "epoch": epoch + 1, "seconds": seconds, "model": model.state_dict(),
                "optimizer": optimiser.state_dict(), "normaliser": norm.state_dict(),
                "scaler": scaler.state_dict(), **job.extra_state})
            where["saved"] = epoch + 1
            if job.on_checkpoint is not None:
                job.on_checkpoint(start, epoch + 1)
        if n_ranks > 1:
            dist.barrier()
    if writer is not None:
        writer.close()
    digests = rank_digests(model)
    if len(set(digests)) > 1:
        raise RuntimeError(f"distributed ranks ended with different weights: {digests}")
    return {"epochs_done": max(start, last), "epochs": epochs, "seconds": seconds, "history": history,
            "rank_digests": digests, "start_epoch": start}
