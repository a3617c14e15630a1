"""``python -m train fit``: train MulTaNet (all characters at once) or KarrasNet ensembles (one per character).

A run folder holds ``run.json`` (what was trained, on what, how far), ``heads.npz`` (each head's mesh,
lip and upper-face indices, and a few seconds of training features used to name emotion presets),
the training state (``state.pt``, or ``karras/<character>/member<m>.pt``) and TensorBoard logs
(``tb/``). ``--resume`` continues from the last checkpoint of the same run folder.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from multanet_core.checkpoint import load_checkpoint
from multanet_core.lpc import FeatureConfig
from multanet_core.rig_names import ARKIT_52
from multanet_core.text import names
from train.data import open_dataset
from train.data.base import DatasetError, Template
from train.data.checks import inside
from train.data.folder import save_npz
from train.networks_torch import MulTaNet

from .augment import AugmentConfig
from .config import CONFIG_DIR, LR_RULES, SCHEDULE_KEYS, contact_outputs, continued, load_config, with_batch
from .features_cache import default_cache_dir
from .model import TrainingModel, build_karras, extend_multanet, make_spec
from .pca import normalise_targets, pca, pca_on_device
from .trainer import Job, init_distributed, pick_device, train, world
from .training_data import FrameData, check_rig_sources, load_frames, select_sequences, with_rig_head

PROBE_FRAMES = 300  # training frames per head kept in heads.npz to name emotion presets at export


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", type=Path, required=True, help="dataset folder (folder format, BIWI or VOCASET)")
    parser.add_argument("--out", type=Path, required=True, help="run folder (created)")
    parser.add_argument("--model", choices=["multanet", "karras"], default="multanet",
                        help="MulTaNet (all characters, one shared network) or KarrasNet ensembles (one per character)")
    named = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))  # read now: the configs that exist
    parser.add_argument("--config", default="small",
                        help=f"a named config of train/configs ({named}; default small) or the path to a JSON config")
    parser.add_argument("--characters", default=None, help="comma-separated names (default: all)")
    parser.add_argument("--sentences", type=_at_least_one, default=None,
                        help="use only the first N training sequences per character")
    parser.add_argument("--epochs", type=int, default=None, help="override the config's epoch count")
    parser.add_argument("--epoch-fraction", type=float, default=None,
                        help="override the share of frame pairs drawn per epoch (above 1: several passes)")
    parser.add_argument("--batch-pairs", type=int, default=None, metavar="N",
                        help="train with N frame pairs per step instead of the config's, the learning rates scaled "
                             "by --lr-rule (large batches keep a GPU busy)")
    parser.add_argument("--lr-rule", choices=LR_RULES, default="sqrt",
                        help="how --batch-pairs scales the learning rates: sqrt (default; the square-root rule "
                             "for Adam), linear, or none")
    parser.add_argument("--members", type=int, default=None, help="KarrasNet ensemble size (default: the config's)")
    parser.add_argument("--seed", type=int, default=None, help="override the config's seed")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    parser.add_argument("--stop-after", type=_at_least_one, default=None,
                        help="stop after this many epochs in all (the schedule still spans --epochs); --resume goes on")
    parser.add_argument("--init", type=Path, default=None, help="a trained MulTaNet checkpoint to add heads to")
    parser.add_argument("--warm-start", type=Path, default=None, metavar="CHECKPOINT",
                        help="train on from an exported MulTaNet checkpoint: all of its heads (the data must hold "
                             "those characters with the same meshes), fresh emotion vectors, no frozen heads")
    parser.add_argument("--rig-head", default=None, metavar="NAME",
                        help="add a rig head NAME that predicts the ARKit-52 weights of the corpus's articulation "
                             "curves (docs/RIG.md), trained on the speech of --characters (default all): behind the "
                             "frozen shared network of a trained model (--init MODEL --freeze-mfl), or jointly with "
                             "the mesh heads without --init (from scratch, or --warm-start MODEL to train a model's "
                             "heads on with a new rig head beside them)")
    parser.add_argument("--freeze-mfl", action="store_true",
                        help="with --init: train only the new heads and their emotion vectors")
    parser.add_argument("--cache", type=Path, default=None, help="feature cache folder (default: DATA/.feature_cache)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return n


def _heads_arrays(templates, probes: list[np.ndarray], offsets, scales, start: int = 0) -> dict[str, np.ndarray]:
    """Per head: mesh, metric vertex sets, probe features, and the target normalisation (vertices =
    offset + scale * the network's output) that export folds into the head's mean and basis."""
    out = {}
    for i, (t, probe, off, sc) in enumerate(zip(templates, probes, offsets, scales, strict=True), start):
        out.update({f"{i}.template": t.vertices, f"{i}.faces": t.face_indices, f"{i}.face_sizes": t.face_sizes,
                    f"{i}.lips": t.lip_indices, f"{i}.upper_face": t.upper_face_indices, f"{i}.probe": probe,
                    f"{i}.offset": np.asarray(off, np.float32), f"{i}.scale": np.float32(sc)})
        if t.blink is not None:
            out[f"{i}.blink"] = np.asarray(t.blink, np.float32)
    return out


def _no_mesh(name: str) -> Template:
    empty = np.zeros(0, np.int32)
    return Template(name=name, vertices=np.zeros((0, 3), np.float32), face_indices=empty, face_sizes=empty,
                    lip_indices=empty, upper_face_indices=empty)


def _probe(data: FrameData, c: int) -> np.ndarray:
    frames = data.frames_of(c)[:PROBE_FRAMES]
    return data.windows(frames)


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    distributed = init_distributed(device)
    rank, _ = world()
    # a bad config (unknown key, wrong type, a count below 1) is a ConfigError, before any data loads
    config = load_config(args.config, epochs=args.epochs, members=args.members, seed=args.seed,
                         epoch_fraction=args.epoch_fraction)
    if args.batch_pairs is not None:
        config = with_batch(config, args.batch_pairs, args.lr_rule)
    dataset = open_dataset(args.data)
    chars = [c.strip() for c in args.characters.split(",")] if args.characters else list(dataset.characters)
    unknown = [c for c in chars if c not in dataset.characters]
    if unknown:
        print(f"{args.data}: no character(s) {', '.join(unknown)}; it has {', '.join(dataset.characters)}",
              file=sys.stderr)
        return 2
    dataset.validate("train", characters=chars)  # every problem of the data, each naming its file, before any work
    if args.freeze_mfl and not args.init:
        print("--freeze-mfl needs --init", file=sys.stderr)
        return 2
    if args.rig_head and args.init and not args.freeze_mfl:
        print("--rig-head with --init trains only the rig head: add --freeze-mfl (training the shared network "
              "on the rig head's targets alone would leave the model's mesh heads behind); to train it jointly "
              "with mesh heads, give no --init (from scratch) or --warm-start MODEL", file=sys.stderr)
        return 2
    if args.warm_start and (args.init or args.freeze_mfl):
        print("--warm-start trains a checkpoint's own heads; --init (and --freeze-mfl) add heads: choose one",
              file=sys.stderr)
        return 2
    source = args.init or args.warm_start
    init = load_checkpoint(source) if source else None
    if init is not None and (args.model != "multanet" or init.network.architecture != "multanet"):
        print(f"--{'init' if args.init else 'warm-start'} takes a MulTaNet checkpoint (use --model multanet)",
              file=sys.stderr)
        return 2
    features = init.features if init is not None else FeatureConfig.from_dict(config.get("features", {}))
    augment = AugmentConfig.from_dict(config.get("augment"))
    if args.init:
        clash = [c for c in ([args.rig_head] if args.rig_head else chars) if c in [h.name for h in init.heads]]
        if clash:
            print(f"{args.init} already has head(s) {names(clash)}", file=sys.stderr)
            return 2
    if args.warm_start:
        chars, problem = _warm_start_characters(init, dataset, chars)
        if problem is None:
            args.rig_head, problem = _warm_start_rig_head(init, args.rig_head)
        if problem:
            print(f"--warm-start {args.warm_start}: {problem}", file=sys.stderr)
            return 2
    if args.rig_head and args.rig_head in dataset.characters:
        print(f"--rig-head {args.rig_head}: the data has a character of that name; call the rig head otherwise",
              file=sys.stderr)
        return 2
    cache = args.cache or default_cache_dir(args.data, features)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    run_json = out / "run.json"
    checkpointed = (out / "state.pt").is_file() or any(out.glob("karras/*/member*.pt"))
    if (run_json.is_file() or checkpointed) and not args.resume and rank == 0:
        print(f"{out} already holds a run; pass --resume to continue it or choose another --out" if checkpointed
              else f"{out} holds a run with no checkpoint yet (it stopped before its first epoch ended): pass "
                   f"--resume to start it again from epoch 0, or choose another --out", file=sys.stderr)
        return 2
    if args.resume and not checkpointed:  # nothing to continue: a new run
        if rank == 0:
            print(f"--resume: {out} holds no checkpoint yet; training starts at epoch 0", file=sys.stderr)
        args.resume = False
    info = {
        "model": args.model, "config": config, "characters": chars, "data": str(Path(args.data).resolve()),
        "fps": float(dataset.fps), "features": features.to_dict(),
        "up_axis": str(getattr(dataset, "info", {}).get("up_axis", "Y")),
        "sentences": args.sentences, "init": str(args.init) if args.init else None, "freeze_mfl": args.freeze_mfl,
        "warm_start": str(args.warm_start) if args.warm_start else None,
        # the --init / --warm-start file's bytes: its heads' means and bases set the run's target normalisation
        "checkpoint_sha256": hashlib.sha256(Path(source).read_bytes()).hexdigest() if source else None,
        "command": "python -m train fit " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["fit"] else sys.argv[1:]),
        "distributed_world_size": world()[1], "device": str(device), "torch": torch.__version__,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    previous = None
    if args.resume and checkpointed and run_json.is_file():
        previous = json.loads(run_json.read_text())
        info["started"] = previous.get("started", info["started"])
        started_from = previous.get("checkpoint_sha256")
        if started_from and started_from != info["checkpoint_sha256"]:
            given = f"{source} (sha256 {info['checkpoint_sha256'][:12]})" if source else "no --init/--warm-start"
            print(f"--resume: {out} started from another checkpoint (sha256 {started_from[:12]}) than {given}: the "
                  f"checkpoint's means and bases set the run's target normalisation, so resume with the file the "
                  f"run started from, {previous.get('warm_start') or previous.get('init')}", file=sys.stderr)
            return 2
        problem = _resume_problem(previous, info, args.rig_head)
        if problem:
            print(f"--resume: {out} {problem}", file=sys.stderr)
            return 2

    def record(start: int, epochs_done: int, summary: dict | None = None) -> None:
        """run.json (rank 0): what was trained, how far, and each config with the epoch it took over from."""
        recorded = {**info, **(summary or {}), "epochs_done": epochs_done,
                    "config": continued(previous["config"], config, start) if previous else config}
        # the epochs of the sessions before this one, up to where it started, then its own
        history = [h for h in (previous or {}).get("history", []) if h["epoch"] <= start]
        if history or "history" in recorded:
            recorded["history"] = history + recorded.get("history", [])
        _write_run_json(out, recorded)

    if args.model == "multanet":
        summary = _fit_multanet(args, config, dataset, chars, features, cache, init, info, device, augment, record)
    else:
        summary = _fit_karras(args, config, dataset, chars, features, cache, info, device, augment)
    if rank == 0:
        record(summary.pop("start_epoch"), summary["epochs_done"], summary)
        print(f"{out}: {summary['epochs_done']}/{config['epochs']} epochs, {summary['seconds']:.0f} s of training",
              file=sys.stderr)
    if distributed:
        # every rank waits for rank 0's run.json: a rank that tears gloo down early makes the other's
        # gloo threads see a closed peer and abort ("terminate called without an active exception")
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return 0


def _write_run_json(out: Path, info: dict) -> None:
    if world()[0] == 0:
        tmp = out / "run.json.tmp"
        tmp.write_text(json.dumps(info, indent=1) + "\n")
        tmp.replace(out / "run.json")


def _resume_problem(previous: dict, info: dict, rig_head: str | None) -> str | None:
    """Why the run recorded in ``previous`` (its run.json) cannot be continued by this fit, or None. Only its
    schedule may change (config.SCHEDULE_KEYS): the data, and what shapes the model or its targets, may not."""
    old_chars = previous.get("rig_sources") or previous["characters"]  # a rig head's run lists it as a character
    if previous["data"] != info["data"] or old_chars != info["characters"]:
        return (f"trained on {previous['data']} ({', '.join(old_chars)}), not {info['data']} "
                f"({', '.join(info['characters'])}): resume it on the same data, or choose another --out")
    was = {k: (previous.get(k), info.get(k)) for k in
           ("model", "sentences", "init", "freeze_mfl", "warm_start", "features", "fps", "up_axis")}
    was["rig head"] = next(iter(previous.get("weight_names") or {}), None), rig_head
    old, new = previous["config"], info["config"]
    was["contact head (loss_weights.contact)"] = bool(contact_outputs(old)), bool(contact_outputs(new))
    was.update({f"config {k!r}": (old.get(k), new.get(k)) for k in sorted({*old, *new} - set(SCHEDULE_KEYS))})
    changed = [f"{k} ({a!r}, now {b!r})" for k, (a, b) in was.items() if a != b]
    if changed:
        return (f"was trained with another {'; '.join(changed)}: what shapes the model or its targets must stay as "
                f"it was, only the schedule ({', '.join(k for k in SCHEDULE_KEYS if k != 'schedule')}) may change "
                f"on --resume; choose another --out for the new run")
    return None


def _warm_start_characters(ckpt, dataset, chars: list[str]) -> tuple[list[str], str | None]:
    """The mesh characters a warm start trains (the checkpoint's mesh heads, in its order), or what is wrong."""
    heads = [h.name for h in ckpt.mesh_heads]
    missing, extra = [h for h in heads if h not in chars], [c for c in chars if c not in heads]
    if missing or extra:
        return heads, (f"it trains all of the checkpoint's heads ({names(heads)}), so the characters must be "
                       f"exactly those" + (f"; missing: {', '.join(missing)}" if missing else "")
                       + (f"; not in the checkpoint: {', '.join(extra)}" if extra else ""))
    for h in ckpt.mesh_heads:
        n = dataset.template(h.name).vertices.shape[0]
        if n != h.template.shape[0]:
            return heads, f"head {h.name!r} has {h.template.shape[0]} vertices, the data's {h.name!r} has {n}"
    return heads, None


def _warm_start_rig_head(ckpt, asked: str | None) -> tuple[str | None, str | None]:
    """The rig head a warm start trains on jointly with the mesh heads (the checkpoint's own, or ``asked``
    for a new one), or what is wrong: one rig head at most, the checkpoint's last, giving the ARKit-52 weights
    the corpus's targets are made for."""
    rigs = ckpt.rig_heads
    if not rigs:
        return asked, None
    head = rigs[0]
    if len(rigs) > 1 or ckpt.heads[-1] is not head:
        return None, (f"it has rig heads {names(h.name for h in rigs)}; a warm start trains on one rig head, "
                      f"the last head of the model")
    if tuple(head.weight_names) != tuple(ARKIT_52):
        return None, f"its rig head {head.name!r} does not give the ARKit-52 weights, the only rig targets of training"
    if asked is not None and asked != head.name:
        return None, (f"it has rig head {head.name!r}, which the warm start trains on; --rig-head {asked} "
                      f"would be a second")
    return head.name, None


def _pca(targets: np.ndarray, k: int, config: dict, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """A head's PCA start: numpy on the CPU, torch.linalg on the training GPU."""
    if device.type == "cpu":
        return pca(targets, k, int(config["pca_max_frames"]), seed=int(config["seed"]))
    return pca_on_device(targets, k, device, int(config["pca_max_frames"]), seed=int(config["seed"]))


def _components(name: str, k: int, targets: np.ndarray, config: dict) -> int:
    """``k``, or as many as the PCA of ``name``'s training frames gives (at most ``pca_max_frames`` of them,
    centred: one fewer components than frames), with a note: a row past that is zero, a wider layer for nothing."""
    n = min(len(targets), int(config["pca_max_frames"]))
    most = max(1, min(n - 1, targets.shape[1]))
    if k > most and world()[0] == 0:
        print(f"{name}: components {k} -> {most}: the PCA of its {n} training frames"
              f"{' (pca_max_frames)' if n < len(targets) else ''} gives no more", file=sys.stderr)
    return min(k, most)


def _save_heads(out: Path, arrays: dict[str, np.ndarray], resume: bool) -> None:
    """heads.npz; on --resume the run's own is kept as it is, and refused if this data gives other arrays."""
    path = out / "heads.npz"
    if not (resume and path.is_file()):
        save_npz(path, arrays)
        return
    with np.load(path, allow_pickle=False) as z:
        stored = {k: z[k] for k in z.files}
    differ = sorted(set(stored) ^ set(arrays)) or [
        k for k, v in arrays.items() if stored[k].shape != np.shape(v) or not np.allclose(
            stored[k], v, rtol=1e-4, atol=1e-6 * max(1.0, float(np.abs(stored[k]).max(initial=0))))]
    if differ:
        raise DatasetError(f"--resume: {path} differs from what the data gives now ({', '.join(differ[:6])}): the "
                           f"data changed since the run started; train a new run in another --out")


def _fit_multanet(args, config, dataset, chars, features, cache, init, info, device, augment, record) -> dict:
    t0 = time.perf_counter()
    rig = (args.rig_head, ARKIT_52) if args.rig_head else None
    joint = rig is not None and not args.init  # a rig head beside mesh heads (from scratch, or a warm start)
    if joint:  # refused before the mesh heads' features load, not after
        check_rig_sources(dataset, [s for c in chars for s in select_sequences(dataset, c, "train", 1)], rig[1])
    data = load_frames(dataset, chars, "train", features, cache, args.sentences, augment=augment,
                       rig=None if joint else rig)
    if joint:
        data = with_rig_head(data, dataset, rig)
    load_s = time.perf_counter() - t0
    warm = init if args.warm_start else None
    if rig is not None:  # this run trains the rig head (after the mesh heads, when joint) from ``chars``' speech
        info.update({"rig_sources": list(chars), "weight_names": {args.rig_head: list(ARKIT_52)}})
        chars = data.characters
        info["characters"] = chars
    offsets, scales, bases = [], [], []
    for c in range(len(chars)):
        rig_head = rig is not None and c == len(chars) - 1
        k = min(int(config["components"]), len(ARKIT_52)) if rig_head else int(config["components"])
        if warm is not None and c < len(warm.heads):  # the checkpoint's own output layer instead of a PCA
            mean, basis = warm.heads[c].mean.astype(np.float32), warm.heads[c].basis.astype(np.float32)
        else:
            mean, basis = _pca(data.targets[c], _components(chars[c], k, data.targets[c], config), config, device)
        basis, scale = normalise_targets(data.targets[c], mean, basis)
        offsets.append(mean)
        scales.append(scale)
        bases.append(basis)
    means = [np.zeros_like(m) for m in offsets]
    torch.manual_seed(int(config["seed"]))
    if warm is not None:
        n = len(warm.heads)
        net = extend_multanet(warm, means[n:], bases[n:], old_heads=(means[:n], bases[:n]),
                              contact=contact_outputs(config))
        head_names, head_of = list(chars), list(range(len(chars)))
        init = None  # nothing of the checkpoint is kept as it was: every head trains
    elif init is None:
        net = MulTaNet(make_spec("multanet", config, features, len(chars)), list(means), list(bases))
        head_names, head_of = list(chars), list(range(len(chars)))
    else:
        net = extend_multanet(init, list(means), list(bases))
        head_names = [h.name for h in init.heads] + list(chars)
        head_of = list(range(len(init.heads), len(head_names)))
    line_of = data.seq if config.get("emotion_per", "frame") == "line" else None
    model = TrainingModel(net, data.n, net.spec.emotion_dim, float(config["emotion_init_std"]), int(config["seed"]),
                          line_of)
    new_heads = [net.heads[h] for h in head_of]
    # PCA-initialised output layers wait for the MFL; a warm start's are trained already
    frozen_early = [p for i, h in zip(head_of, new_heads, strict=True) for p in h.out.parameters()
                    if warm is None or i >= len(warm.heads)]
    if args.freeze_mfl:
        for p in net.parameters():
            p.requires_grad_(False)
        for h in new_heads:
            for p in h.parameters():
                p.requires_grad_(True)
    trainable = [p for p in model.parameters() if p.requires_grad]
    if world()[0] == 0:
        templates = data.templates if rig is None else [*data.templates, _no_mesh(args.rig_head)]
        arrays = _heads_arrays(templates, [_probe(data, c) for c in range(len(chars))], offsets, scales,
                               len(head_names) - len(chars))
        if data.expression is not None:  # each training frame's expression: export names presets by them
            arrays["expressions"] = data.expression
        if init is not None:
            for i, h in enumerate(init.heads):
                arrays.update({f"{i}.template": h.template, f"{i}.faces": h.faces, f"{i}.face_sizes": h.face_sizes,
                               f"{i}.lips": h.lips, f"{i}.upper_face": h.upper_face,
                               f"{i}.probe": np.zeros((0, features.n_frames, features.width), np.float32),
                               f"{i}.offset": np.zeros_like(h.mean, dtype=np.float32), f"{i}.scale": np.float32(1)})
                if h.blink is not None:
                    arrays[f"{i}.blink"] = h.blink
        _save_heads(args.out, arrays, args.resume)  # before training: a resume on changed data stops here
    info.update({"heads": head_names, "components": [h.coeff.out_features for h in net.heads],
                 "network": net.spec.to_dict(), "train_frames": data.n,
                 "frames_per_character": [int(len(data.frames_of(c))) for c in range(len(chars))],
                 "train_sequences": len(data.sequences),
                 "feature_load_seconds": round(load_s, 1),
                 "init_presets": {h.name: h.presets for h in init.heads} if init is not None else None,
                 "init_weight_names": {h.name: list(h.weight_names) for h in init.rig_heads} if init else None,
                 "init_info": init.info if init is not None else None,
                 "warm_start_info": warm.info if warm is not None else None})
    # run.json at every checkpoint: an interrupted run exports (and resumes) from its last one, and a run
    # that stops before its first leaves no run.json, so the folder takes a new run
    job = Job(model=model, data=data, head_of=head_of, frozen_early=frozen_early, trainable=trainable,
              state_path=args.out / "state.pt", seed=int(config["seed"]), label="multanet",
              on_checkpoint=record)
    return train(job, config, device, resume=args.resume, stop_after=args.stop_after, quiet=args.quiet,
                 tensorboard=args.out / "tb")


def _karras_paths(out: Path, name: str, members: int) -> tuple[list[Path], list[Path]]:
    """Each ensemble member's training state and TensorBoard folder for character ``name``, all inside ``out``
    (checked before any training: a name or symbolic link that leads elsewhere is refused)."""
    return ([inside(out, "karras", name, f"member{m}.pt") for m in range(members)],
            [inside(out, "tb", name, f"member{m}") for m in range(members)])


def _fit_karras(args, config, dataset, chars, features, cache, info, device, augment) -> dict:
    members = int(config["members"])
    paths = {name: _karras_paths(args.out, name, members) for name in chars}
    per_char, seconds, done, starts, ks = {}, 0.0, [], [], []
    templates, probes, offsets, scales = [], [], [], []
    for c, name in enumerate(chars):
        data = load_frames(dataset, [name], "train", features, cache, args.sentences, augment=augment)
        templates.append(data.templates[0])
        probes.append(_probe(data, 0))
        ks.append(_components(name, int(config["components"]), data.targets[0], config))
        mean, basis = _pca(data.targets[0], ks[-1], config, device)
        basis, scale = normalise_targets(data.targets[0], mean, basis)
        offsets.append(mean)
        scales.append(scale)
        states, boards = paths[name]
        states[0].parent.mkdir(parents=True, exist_ok=True)
        for m in range(members):
            seed = int(config["seed"]) + 1000 * m + c
            torch.manual_seed(seed)
            net = build_karras(config, features, np.zeros_like(mean), basis)
            model = TrainingModel(net, data.n, net.spec.emotion_dim, float(config["emotion_init_std"]), seed)
            job = Job(model=model, data=data, head_of=[0], frozen_early=list(net.out.parameters()),
                      trainable=list(model.parameters()), state_path=states[m], seed=seed,
                      label=f"karras {name} #{m}")
            summary = train(job, config, device, resume=args.resume, stop_after=args.stop_after, quiet=args.quiet,
                            tensorboard=boards[m])
            per_char.setdefault(name, []).append({"seconds": summary["seconds"], "epochs_done": summary["epochs_done"]})
            seconds += summary["seconds"]
            done.append(summary["epochs_done"])
            starts.append(summary["start_epoch"])
    _save_heads(args.out, _heads_arrays(templates, probes, offsets, scales), args.resume)
    spec = make_spec("karras", config, features)
    info.update({"heads": chars, "members": members, "components": ks, "network": spec.to_dict(),
                 "per_character": per_char})
    return {"epochs_done": min(done), "seconds": seconds, "start_epoch": min(starts)}
