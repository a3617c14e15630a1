"""``python -m train evaluate-rig``: how well a rig head's named weights follow speech.

On a corpus split, against the ground truth of each sequence's articulation curves as ARKit weights
(:mod:`train.rig_targets`): the mean absolute error over the names the corpus drives, per name for
the mouth and brows, and the correlation of ``jawOpen`` with its ground truth; beside it the error of
a face held at rest (all weights 0). On real recordings (``--real FOLDER``, as ``evaluate --split
real``): ``jawOpen`` against loudness, ``jawOpen`` in pauses over speech, and at P/B/M centres over
vowel centres ``jawOpen`` (low is closed) and ``mouthPressLeft`` (high is closed).
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from multanet_core.audio import prepare
from multanet_core.checkpoint import load_checkpoint
from multanet_core.inference import Animator
from train.data import open_dataset

from .rig_targets import DRIVEN, arkit_weights
from .speech_metrics import centres, frame_loudness_db, level_pauses, loudness_db, pause_mask, phone_centres

SPLITS = {"test": "test", "unseen": "unseen_language", "cross-voice": "cross_voice", "neural-voice": "neural_voice",
          "shifted-voice": "shifted_voice"}
SHOWN = ("jawOpen", "mouthClose", "mouthPressLeft", "mouthFunnel", "mouthPucker", "mouthStretchLeft",
         "mouthRollLower", "browInnerUp", "browDownLeft")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, type=Path, help="a .npz with a rig head")
    parser.add_argument("--head", default=None, help="the rig head (default: the checkpoint's first)")
    parser.add_argument("--data", type=Path, default=None, help="a synthetic corpus (with articulation curves)")
    parser.add_argument("--split", action="append", choices=sorted(SPLITS), default=None,
                        help="corpus split(s) to score (repeat; default: test)")
    parser.add_argument("--max-sequences", type=int, default=None, help="at most N sequences per character")
    parser.add_argument("--real", type=Path, default=None, help="a folder of real recordings (data/real_speech)")
    parser.add_argument("--real-split", choices=("dev", "test", "all"), default="dev",
                        help="which of --real's clips: dev (default; a clip without a split is dev), the locked test "
                             "split (scored once per shipped model), or all")
    parser.add_argument("--script", action="store_true",
                        help="with --real: bake every speech clip with its own text (issue 29), as the panel's "
                             "Text does")
    parser.add_argument("--chain", action="store_true",
                        help="also the whole chain on the corpus's own heads: ARKit keys built from each head's rig "
                             "(train.rig_chain), the rig head's weights blended on them, LVE beside the mesh head's")
    parser.add_argument("--json", type=Path, default=None, help="write every figure as JSON here")


def score_split(animator: Animator, dataset, split: str, max_sequences: int | None) -> dict:
    names = animator.head.weight_names
    driven = [names.index(n) for n in DRIVEN if n in names]
    per_char: dict[str, int] = defaultdict(int)
    errors, rest, jaw_pred, jaw_true, per_name = [], [], [], [], defaultdict(list)
    for seq in sorted(dataset.sequences(split=split), key=lambda s: (s.character, s.id)):
        if max_sequences and per_char[seq.character] >= max_sequences:
            continue
        per_char[seq.character] += 1
        truth = arkit_weights(*dataset.load_articulation(seq), names=names)
        samples, rate = dataset.load_audio(seq)
        pred = animator.weights(animator.coefficients(prepare(samples, rate), dataset.sequence_fps(seq)))
        n = min(len(pred), len(truth))
        pred, truth = pred[:n], truth[:n]
        errors.append(np.abs(pred[:, driven] - truth[:, driven]).mean())
        rest.append(np.abs(truth[:, driven]).mean())
        for name in SHOWN:
            if name in names:
                j = names.index(name)
                per_name[name].append(float(np.abs(pred[:, j] - truth[:, j]).mean()))
        j = names.index("jawOpen")
        jaw_pred.append(pred[:, j])
        jaw_true.append(truth[:, j])
    if not errors:
        raise ValueError(f"no {split!r} sequences in {dataset.root}")
    jp, jt = np.concatenate(jaw_pred), np.concatenate(jaw_true)
    return {"sequences": len(errors), "mae": float(np.mean(errors)), "rest_mae": float(np.mean(rest)),
            "jaw_r": float(np.corrcoef(jp, jt)[0, 1]) if jp.std() > 0 else 0.0,
            "per_name_mae": {k: float(np.mean(v)) for k, v in per_name.items()}}


def score_chain(ckpt, animator: Animator, dataset, split: str, max_sequences: int | None) -> dict:
    """LVE (mm^2 for metres) of the rig chain on the corpus heads the checkpoint also has as mesh heads."""
    from multanet_core import metrics

    from .rig_chain import arkit_keys, blend
    from .synth.characters import character
    from .synth.corpus import _head

    names = animator.head.weight_names
    index = {character(i).name: i for i in range(64)}
    mesh = {h.name: Animator(ckpt, h.name) for h in ckpt.mesh_heads if h.name in index}
    keys: dict[str, dict] = {}
    per_char: dict[str, int] = defaultdict(int)
    lve: dict[str, list[float]] = defaultdict(list)
    for seq in sorted(dataset.sequences(split=split), key=lambda s: (s.character, s.id)):
        if seq.character not in mesh or (max_sequences and per_char[seq.character] >= max_sequences):
            continue
        per_char[seq.character] += 1
        head = _head(index[seq.character])
        keys.setdefault(seq.character, arkit_keys(head))
        samples, rate = dataset.load_audio(seq)
        samples = prepare(samples, rate)
        fps = dataset.sequence_fps(seq)
        gt = np.asarray(dataset.load_vertices(seq), np.float32)
        truth = arkit_weights(*dataset.load_articulation(seq), names=names)
        by_mesh = mesh[seq.character].vertices(mesh[seq.character].coefficients(samples, fps))
        by_rig = blend(head.vertices, keys[seq.character], names, animator.weights(animator.coefficients(samples, fps)))
        by_truth = blend(head.vertices, keys[seq.character], names, truth)
        n = min(len(gt), len(by_mesh), len(by_rig), len(by_truth))
        lips = head.lip_indices
        for label, pred in (("mesh_head", by_mesh), ("rig_chain", by_rig), ("keys_from_truth", by_truth),
                            ("static", np.broadcast_to(head.vertices, gt.shape))):
            lve[label].append(1e6 * metrics.lve(pred[:n], gt[:n], lips))
    if not lve:
        raise ValueError(f"no {split!r} sequences of a character the checkpoint has a mesh head for")
    return {"sequences": len(lve["static"]), "lve": {k: float(np.mean(v)) for k, v in lve.items()}}


def score_real(animator: Animator, folder: Path, split: str = "dev", script: bool = False) -> dict:
    """jawOpen against real speech; with issue 26's rig targets: jawOpen's mean in level pauses (frames 25 dB under
    the 90th percentile) and (jawOpen - mouthClose) at P/B/M centres over the same at vowel centres. ``script``:
    each clip baked with its own text (:func:`train.evaluate_real.script_timings`)."""
    from .evaluate_real import load_clips, script_timings, select

    names = animator.head.weight_names
    jaw, press = names.index("jawOpen"), names.index("mouthPressLeft")
    close = names.index("mouthClose") if "mouthClose" in names else None
    fps = animator.checkpoint.fps
    clips = []
    chosen = [c for c in select(load_clips(folder), split) if c.speech and not c.clean]
    # (non-speech clips and degraded copies have rows of their own in evaluate --split real)
    timings = script_timings(chosen) if script else {}
    for clip in chosen:
        w = animator.weights(animator.coefficients(clip.samples, fps, script=timings.get(clip.name)))
        n = len(w)
        level_pause = level_pauses(frame_loudness_db(clip.samples, 16000, fps, n))
        contact = w[:, jaw] - (w[:, close] if close is not None else 0.0)
        loud = loudness_db(clip.samples, 16000, fps, n)
        pauses = pause_mask(n, fps, clip.phones, loud)
        s = {"clip": clip.name, "r_jaw_loudness": float(np.corrcoef(w[:, jaw], loud)[0, 1]) if w[:, jaw].std() > 0
             else 0.0,
             "pause_speech_jaw": float(w[pauses, jaw].mean() / max(w[~pauses, jaw].mean(), 1e-9))
             if pauses.any() and (~pauses).any() else None,
             "jaw_in_pauses": float(w[level_pause, jaw].mean()) if level_pause.any() else None}
        if clip.phones:
            v = centres(clip.phones, fps, n, "vowel", clip.arpabet)
            b = centres(clip.phones, fps, n, "bilabial", clip.arpabet)
            if len(v) and len(b) and contact[v].mean() > 0:
                s["jaw_minus_close_pbm_vowel"] = float(contact[b].mean() / contact[v].mean())
            vowels, bilabials = (phone_centres(clip.phones, fps, n, c) for c in ("vowel", "bilabial"))
            if len(vowels) and len(bilabials):
                s["pbm_vowel_jaw"] = float(w[bilabials, jaw].mean() / max(w[vowels, jaw].mean(), 1e-9))
                s["press_pbm"], s["press_vowel"] = float(w[bilabials, press].mean()), float(w[vowels, press].mean())
        clips.append(s)

    def mean(key):
        values = [c[key] for c in clips if c.get(key) is not None]
        return float(np.mean(values)) if values else None

    return {"split": split, "script": script, "clips": clips,
            **{k: mean(k) for k in ("r_jaw_loudness", "pause_speech_jaw", "pbm_vowel_jaw", "press_pbm", "press_vowel",
                                    "jaw_in_pauses", "jaw_minus_close_pbm_vowel")}}


def run(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    if not ckpt.rig_heads:
        print(f"{args.checkpoint} has no rig head (python -m train fit --init ... --rig-head NAME adds one)")
        return 2
    head = args.head or ckpt.rig_heads[0].name
    animator = Animator(ckpt, head)
    result: dict = {"checkpoint": str(args.checkpoint), "head": head, "splits": {}}
    if args.data is not None:
        dataset = open_dataset(args.data)
        for split in args.split or ["test"]:
            r = score_split(animator, dataset, SPLITS[split], args.max_sequences)
            result["splits"][split] = r
            print(f"{split}: {r['sequences']} sequences, weight MAE {r['mae']:.4f} (at rest {r['rest_mae']:.4f}, "
                  f"{r['rest_mae'] / max(r['mae'], 1e-9):.1f}x), jawOpen r {r['jaw_r']:.2f}; "
                  + ", ".join(f"{k} {v:.3f}" for k, v in r["per_name_mae"].items()))
            if args.chain:
                c = score_chain(ckpt, animator, dataset, SPLITS[split], args.max_sequences)
                r["chain"] = c
                print(f"  chain ({c['sequences']} sequences), LVE mm^2: "
                      + ", ".join(f"{k} {v:.2f}" for k, v in c["lve"].items()))
    if args.real is not None:
        r = score_real(animator, args.real, args.real_split, args.script)
        result["real"] = r

        def fmt(v):
            return "-" if v is None else f"{v:.2f}"

        print(f"real speech ({len(r['clips'])} clips): r(jawOpen, loudness) {fmt(r['r_jaw_loudness'])}, "
              f"jawOpen pauses/speech {fmt(r['pause_speech_jaw'])}, jawOpen P/B/M/vowel {fmt(r['pbm_vowel_jaw'])}, "
              f"mouthPress at P/B/M {fmt(r['press_pbm'])} vs vowels {fmt(r['press_vowel'])}")
        how = ", each clip with its text" if args.script else ""
        print(f"  issue 26's rig targets ({args.real_split} split{how}): jawOpen in pauses {fmt(r['jaw_in_pauses'])} "
              f"(target <= 0.03), (jawOpen - mouthClose) at P/B/M / at vowels {fmt(r['jaw_minus_close_pbm_vowel'])} "
              "(target <= 0.25)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0
