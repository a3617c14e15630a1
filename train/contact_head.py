"""``python -m train contact-head --checkpoint MODEL.npz --data CORPUS --out MODEL_CONTACT.npz``: a lip-contact head.

A linear layer on a trained MulTaNet's shared articulation output that says, per frame, whether the lips are
closed (P/B/M), touch the teeth (f/v), open wide, round, or whether nobody speaks
(:data:`multanet_core.contact.CONTACT_CLASSES`), fitted as one class-balanced logistic regression per class on
the corpus's exact phone timelines (real recordings added by ``train real-corpus`` come with their aligned
phones, and ``train non-speech`` sequences are no speech throughout). Each clip is heard clean and through one
degraded copy (:func:`train.augment.degrade`, music beds and babble among the noises), so the head knows room
tone and music from speech. The shared network stays as it is; the head is fitted on its output, which a
probe of the shipped model found enough (a linear head on the articulation output, not the raw features).

Every head of the checkpoint also gets two coefficient vectors learnt from its data: its lips closed (the mean
of its training frames inside P/B/M, solved onto its basis) and its rest pose (the template; for a rig head
the weights of a face at rest), which :func:`multanet_core.contact.apply_contact` pulls towards at inference.
A head whose character the data does not hold closes towards its rest pose (listed in ``info``).
Held-out sequences (every fifth, by name) give each class's AUC and the closures found at 5 % false alarms on
vowels, stored in the checkpoint's ``info``.
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from multanet_core.audio import prepare
from multanet_core.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from multanet_core.contact import CLOSED, CONTACT_CLASSES
from multanet_core.errors import MulTaNetError
from multanet_core.inference import Animator
from multanet_core.text import names
from train.data import open_dataset
from train.data.base import DatasetError

from .augment import AugmentConfig, degrade
from .contact_labels import contact_labels
from .real_corpus import PREFIX as REAL_PREFIX
from .rig_targets import arkit_weights
from .synth.head import CHANNELS

NOISY = AugmentConfig(noise_p=0.95, reverb_p=0.4, band_p=0.25, codec_p=0.0, dc_p=0.0,
                      noise_kinds={"room": 0.3, "pink": 0.1, "hum": 0.1, "babble": 0.25, "music": 0.25})


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-3) -> tuple[np.ndarray, float]:
    """Class-balanced L2 logistic regression: (weights [A], bias) with P(y=1) = sigmoid(x @ w + b)."""
    pos = max(float(y.sum()), 1.0)
    neg = max(float(len(y) - y.sum()), 1.0)
    sw = np.where(y > 0.5, 0.5 / pos, 0.5 / neg)
    mu, sd = x.mean(0), x.std(0) + 1e-6
    z = (x - mu) / sd

    def loss(theta):
        w, b = theta[:-1], theta[-1]
        s = z @ w + b
        value = float(np.sum(sw * (np.logaddexp(0, s) - y * s))) + 0.5 * l2 * float(w @ w)
        g = sw * (1 / (1 + np.exp(-s)) - y)
        return value, np.append(z.T @ g + l2 * w, g.sum())

    theta = minimize(loss, np.zeros(z.shape[1] + 1), jac=True, method="L-BFGS-B",
                     options={"maxiter": 500}).x
    w = theta[:-1] / sd
    return w.astype(np.float32), float(theta[-1] - w @ mu)


def auc(scores: np.ndarray, y: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney), None with one class only."""
    pos, neg = scores[y > 0.5], scores[y <= 0.5]
    if not len(pos) or not len(neg):
        return None
    ranks = np.argsort(np.argsort(np.concatenate([pos, neg]))) + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


POSE_SEQUENCES = 40  # train sequences per character whose P/B/M frames give a head its closed pose


def _sequences(dataset, characters: list[str], per_character: int, real_per_character: int = 0):
    for name in characters:
        seqs = sorted(dataset.sequences(split="train", character=name), key=lambda s: s.id)
        # a spread of the corpus: every k-th sequence, so real, neural, espeak and non-speech ones all come
        step = max(1, len(seqs) // per_character)
        chosen = seqs[::step][:per_character]
        # and more of the real recordings (train real-corpus), whose voices and rooms are the ones that matter
        real = [s for s in seqs if s.id.startswith(REAL_PREFIX) and s not in chosen]
        yield name, chosen + real[:real_per_character]


def _characters(ckpt: Checkpoint, dataset) -> list[str]:
    mesh = {h.name for h in ckpt.mesh_heads}
    characters = [c for c in dataset.characters if c in mesh]
    if not characters:
        raise DatasetError(f"none of the data's characters ({', '.join(dataset.characters)}) is a head of the "
                           f"checkpoint ({names(h.name for h in ckpt.heads)})")
    return characters


def collect(ckpt: Checkpoint, dataset, per_character: int, seed: int, progress=print, real_per_character: int = 0):
    """Articulation outputs [N, A] (clean and one degraded copy of each sequence), labels [N, C] and held-out mask."""
    xs, ys, held = [], [], []
    t0 = time.perf_counter()
    for name, seqs in _sequences(dataset, _characters(ckpt, dataset), per_character, real_per_character):
        anim = Animator(ckpt, name)
        for seq in seqs:
            audio, rate = dataset.load_audio(seq)
            x = prepare(audio, rate)
            meta = seq.metadata()
            a = anim.articulation(x, ckpt.fps)
            n = len(a)
            labels = contact_labels(meta.get("phonemes"), ckpt.fps, n, meta.get("speech", True) is not False)
            rng = np.random.default_rng([seed, zlib.crc32(seq.key.encode())])
            noisy, _ = degrade(x, rng, NOISY, [])
            a_noisy = anim.articulation(noisy, ckpt.fps)
            is_held = zlib.crc32(seq.id.encode()) % 5 == 0
            xs += [a, a_noisy]
            ys += [labels, labels]
            held += [np.full(n, is_held), np.full(n, is_held)]
        progress(f"contact head: {name}: {len(seqs)} sequences ({time.perf_counter() - t0:.0f} s)")
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(held)


def closed_sums(ckpt: Checkpoint, dataset, per_character: int) -> dict:
    """Per head, [sum, count] of its training targets at closure (P/B/M) frames: the mesh heads' vertices, and
    the rig head's weights from the articulation curves of the same sequences."""
    closed_sum: dict = {}
    rig = ckpt.rig_heads[0] if ckpt.rig_heads else None
    for name, seqs in _sequences(dataset, _characters(ckpt, dataset), per_character):
        for seq in seqs:
            meta = seq.metadata()
            verts = dataset.load_vertices(seq)
            verts = verts.reshape(len(verts), -1)
            closure = contact_labels(meta.get("phonemes"), ckpt.fps, len(verts),
                                     meta.get("speech", True) is not False)[:, CLOSED] > 0.5
            if not closure.any():
                continue
            acc = closed_sum.setdefault(name, [np.zeros(verts.shape[1]), 0])
            acc[0] += verts[closure].sum(0)
            acc[1] += int(closure.sum())
            if rig is not None and "articulation" in meta:
                w = arkit_weights(list(meta["articulation"]["channels"]),
                                  np.asarray(meta["articulation"]["curves"], np.float32), rig.weight_names)
                m = closure[: len(w)]
                acc = closed_sum.setdefault(rig.name, [np.zeros(w.shape[1]), 0])
                acc[0] += w[: len(m)][m].sum(0)
                acc[1] += int(m.sum())
    return closed_sum


def _coefficients(head, target: np.ndarray) -> np.ndarray:
    """The coefficients whose output is closest to ``target`` (least squares on the head's basis)."""
    return np.linalg.lstsq(head.basis.T.astype(np.float64), (target - head.mean).astype(np.float64),
                           rcond=None)[0].astype(np.float32)


def with_contact_head(ckpt: Checkpoint, weight: np.ndarray, bias: np.ndarray, closed_sum: dict,
                      report: dict) -> Checkpoint:
    """A copy of ``ckpt`` with the contact head and every head's closed and rest poses."""
    weights = dict(ckpt.weights)
    weights["contact.weight"], weights["contact.bias"] = weight, bias
    for i, h in enumerate(ckpt.heads):
        if h.is_rig:
            rest = arkit_weights(list(CHANNELS), np.zeros((1, len(CHANNELS)), np.float32), h.weight_names)[0]
        else:
            rest = h.template.reshape(-1)
        total, count = closed_sum.get(h.name, (None, 0))
        weights[f"heads.{i}.contact_rest"] = _coefficients(h, rest)
        # a head the data does not hold closes towards its rest pose, whose lips are closed too
        weights[f"heads.{i}.contact_closed"] = _coefficients(h, total / count if count else rest)
        if not count:
            report.setdefault("closed_pose_from_rest", []).append(h.name)
    network = replace(ckpt.network, contact_outputs=len(CONTACT_CLASSES))
    info = {**ckpt.info, "contact_head": report}
    return replace(ckpt, network=network, weights=weights, info=info, path=None)


def fit_contact_head(ckpt: Checkpoint, dataset, per_character: int = POSE_SEQUENCES, seed: int = 0,
                     progress=print, real_per_character: int = 0) -> tuple[Checkpoint, dict]:
    if ckpt.network.architecture != "multanet":
        raise MulTaNetError("a contact head reads MulTaNet's shared articulation output: this is a KarrasNet")
    x, y, held = collect(ckpt, dataset, per_character, seed, progress, real_per_character)
    closed_sum = closed_sums(ckpt, dataset, per_character)
    train = ~held
    weight = np.zeros((len(CONTACT_CLASSES), x.shape[1]), np.float32)
    bias = np.zeros(len(CONTACT_CLASSES), np.float32)
    report: dict = {"frames": int(len(x)), "held_out_frames": int(held.sum()), "per_character": per_character,
                    "real_per_character": real_per_character, "seed": seed, "classes": {}}
    for c, name in enumerate(CONTACT_CLASSES):
        if y[train, c].sum() < 10:
            raise DatasetError(f"too few training frames of class {name!r} ({int(y[train, c].sum())}) for a "
                               "contact head: the data needs phone timelines")
        weight[c], bias[c] = fit_logistic(x[train], y[train, c])
        score = x[held] @ weight[c] + bias[c]
        report["classes"][name] = {"frames": int(y[:, c].sum()), "held_out_auc": auc(score, y[held, c])}
    vowels = (y[:, CONTACT_CLASSES.index("open")] + y[:, CONTACT_CLASSES.index("rounded")]) > 0.5
    s_closed = x[held] @ weight[CLOSED] + bias[CLOSED]
    on_vowels = s_closed[vowels[held]]
    if len(on_vowels):
        cut = np.quantile(on_vowels, 0.95)
        report["closed_found_at_5pct_vowel_false_alarms"] = float(np.mean(s_closed[y[held, CLOSED] > 0.5] > cut))
    return with_contact_head(ckpt, weight, bias, closed_sum, report), report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True, help="a trained MulTaNet checkpoint (.npz)")
    parser.add_argument("--data", type=Path, required=True, help="a corpus with phone timelines (train synth, "
                        "plus train real-corpus and train non-speech)")
    parser.add_argument("--out", type=Path, required=True, help="the checkpoint to write, with the contact head")
    parser.add_argument("--per-character", type=int, default=POSE_SEQUENCES,
                        help=f"train sequences read per character ({POSE_SEQUENCES})")
    parser.add_argument("--real-per-character", type=int, default=0,
                        help="up to this many more of each character's real recordings (train real-corpus) (0)")
    parser.add_argument("--seed", type=int, default=0, help="draws each sequence's degraded copy (0)")
    parser.add_argument("--float16", action="store_true", help="store the PCA bases as float16 (as the bundled model)")


def run(args: argparse.Namespace) -> int:
    if args.per_character < 1:
        raise DatasetError("--per-character must be at least 1")
    if args.real_per_character < 0:
        raise DatasetError("--real-per-character must be 0 or more")
    ckpt = load_checkpoint(args.checkpoint)
    dataset = open_dataset(args.data)
    out, report = fit_contact_head(ckpt, dataset, args.per_character, args.seed,
                                   real_per_character=args.real_per_character)
    save_checkpoint(args.out, out, basis_dtype="float16" if args.float16 else "float32")
    load_checkpoint(args.out)
    print(f"contact head on {report['frames']} frames ({report['held_out_frames']} held out): "
          + ", ".join(f"{k} AUC {v['held_out_auc']:.3f}" for k, v in report["classes"].items()
                      if v["held_out_auc"] is not None)
          + (f"; closures found at 5 % false alarms on vowels: {report['closed_found_at_5pct_vowel_false_alarms']:.0%}"
             if "closed_found_at_5pct_vowel_false_alarms" in report else "") + f" -> {args.out}")
    return 0
