"""``python -m train export RUN --out model.npz``: a trained run as a core checkpoint.

Each head's last layer is folded back into vertex units (``mean = offset + scale * bias``,
``basis = scale * weight``; see :func:`train.pca.normalise_targets`), its emotion presets are made
from the learned per-frame emotion vectors (:mod:`train.presets`), and the file is read back with
:func:`multanet_core.checkpoint.load_checkpoint` before the command succeeds. A KarrasNet run holds one
ensemble per character and a KarrasNet checkpoint holds one character, so with several characters
``--out`` is a folder that receives ``<character>.npz``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from multanet_core.atomic import atomic_path
from multanet_core.checkpoint import Checkpoint, Head, load_checkpoint, normalised_filter, save_checkpoint
from multanet_core.errors import CheckpointError, MulTaNetError
from multanet_core.lpc import FeatureConfig
from multanet_core.network_spec import NetworkSpec
from multanet_core.text import names, printable
from train.data import open_dataset
from train.data.checks import checked_fps, inside, require_name
from train.networks_torch import KarrasEnsemble, KarrasNet, MulTaNet

from .features_cache import default_cache_dir
from .model import TrainingModel
from .presets import label_presets, make_presets
from .training_data import frame_counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", type=Path, help="a run folder written by python -m train fit")
    parser.add_argument("--out", type=Path, required=True,
                        help="the .npz to write (a folder for a KarrasNet run of several characters)")
    parser.add_argument("--float16", action="store_true", help="store the PCA bases as float16 (half the size)")
    parser.add_argument("--presets", type=_count, default=4, help="clustered emotion presets per head besides neutral")
    parser.add_argument("--coefficient-filter", type=_taps, default=None, metavar="TAPS",
                        help="temporal smoothing of the predicted coefficients that inference applies, e.g. 1,6,1 "
                             "(stored in the checkpoint; see docs/RESULTS.md)")


def _count(text: str) -> int:
    """A whole number of at least 0, for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got {text!r}")
    return value


def _taps(text: str) -> list[float]:
    """Comma-separated filter taps (an odd number of finite numbers with a positive sum), for argparse."""
    try:
        taps = [float(x) for x in text.split(",")]
        normalised_filter(taps)
    except ValueError as exc:  # a word among the numbers, or CheckpointError's refusal
        raise argparse.ArgumentTypeError(f"{text!r} is not comma-separated taps such as 1,6,1 "
                                         f"({exc if isinstance(exc, MulTaNetError) else 'not numbers'})") from exc
    return taps


def _out_problem(out: Path, folder: bool) -> str | None:
    """Why ``--out`` cannot be written, or None: a file where a folder is written, or a folder where a file is."""
    if folder and out.exists() and not out.is_dir():
        return f"--out {out}: is a file; this run writes one checkpoint per character into a folder there"
    if not folder and out.is_dir():
        return f"--out {out}: is a folder; give the path of the .npz file to write (e.g. {out / 'model.npz'})"
    return None


class RunFiles:
    def __init__(self, run: Path):
        self.run = Path(run)
        for name in ("run.json", "heads.npz"):
            if not (self.run / name).is_file():
                raise FileNotFoundError(f"{self.run}: not a training run folder (no {name}; `python -m train fit "
                                        f"--out {self.run}` makes one)")
        self.info = json.loads((self.run / "run.json").read_text())
        self._check_info()
        with np.load(self.run / "heads.npz", allow_pickle=False) as z:
            self.arrays = {k: z[k] for k in z.files}
        self.features = FeatureConfig.from_dict(self.info["features"])
        self.spec = NetworkSpec.from_dict(self.info["network"])

    def _check_info(self) -> None:
        """run.json's fps, and the names of a KarrasNet run's characters (parts of its paths), as a dataset's."""
        where = self.run / "run.json"
        self.info["fps"] = checked_fps(self.info.get("fps"), where)
        if self.info.get("model") == "karras":
            for name in self.info.get("characters", []):
                require_name(name, "character", where)

    def head(self, i: int, name: str, mean: np.ndarray, basis: np.ndarray, presets: dict) -> Head:
        a = self.arrays
        offset, scale = a[f"{i}.offset"].astype(np.float64), float(a[f"{i}.scale"])
        return Head(name=name, template=a[f"{i}.template"], faces=a[f"{i}.faces"], face_sizes=a[f"{i}.face_sizes"],
                    lips=a[f"{i}.lips"], upper_face=a[f"{i}.upper_face"],
                    mean=(offset + scale * mean.astype(np.float64)).astype(np.float32),
                    basis=(scale * basis.astype(np.float64)).astype(np.float32), presets=presets,
                    weight_names=self.weight_names(name), blink=a.get(f"{i}.blink"))

    def weight_names(self, name: str) -> tuple[str, ...]:
        """A rig head's weight names (empty for a mesh head): this run's, or its --init checkpoint's."""
        names = (self.info.get("weight_names") or {}).get(name) or (self.info.get("init_weight_names") or {}).get(name)
        return tuple(names or ())

    def frames_per_character(self) -> list[int]:
        if self.info.get("frames_per_character"):
            return list(self.info["frames_per_character"])
        dataset = open_dataset(self.info["data"])  # runs from before run.json recorded the counts
        return frame_counts(dataset, self.info["characters"], "train", self.features,
                            default_cache_dir(Path(self.info["data"]), self.features), self.info.get("sentences"))

    def provenance(self, state_epochs: int, seconds: float) -> dict:
        i = self.info
        return {"trained": True, "model": i["model"], "config": i["config"]["name"],
                "config_values": {k: v for k, v in i["config"].items() if k not in ("description", "name")},
                "epochs": state_epochs, "epochs_planned": i["config"]["epochs"], "train_seconds": round(seconds, 1),
                "data": i["data"], "characters_trained": i["characters"], "sentences": i.get("sentences"),
                "init": i.get("init"), "freeze_mfl": i.get("freeze_mfl"), "command": i.get("command"),
                "warm_start": i.get("warm_start"), "warm_start_info": i.get("warm_start_info"),
                "device": i.get("device"), "torch": i.get("torch"), "run": str(self.run.resolve()),
                "exported": time.strftime("%Y-%m-%d %H:%M:%S"),
                "init_info": i.get("init_info")}


def _load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def _animate_fn(forward, probe: torch.Tensor, offset: np.ndarray, scale: float):
    def animate(emotion: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            e = torch.as_tensor(np.asarray(emotion, np.float32))[None].expand(probe.shape[0], -1)
            out = forward(probe, e).numpy().astype(np.float64)
        return (offset + scale * out).reshape(probe.shape[0], -1, 3)
    return animate


def export_multanet(files: RunFiles, n_presets: int) -> Checkpoint:
    info, a = files.info, files.arrays
    names, comps = info["heads"], info["components"]
    # each head's output size: 3 x its vertices, or a rig head's number of weights
    dims = [len(files.weight_names(n)) or 3 * a[f"{i}.template"].shape[0] for i, n in enumerate(names)]
    net = MulTaNet(files.spec, [np.zeros(d, np.float32) for d in dims],
                   [np.zeros((k, d), np.float32) for k, d in zip(comps, dims, strict=True)])
    state = _load(files.run / "state.pt")
    line_of = state["model"].get("line_of")  # one vector per line (emotion_per "line")
    model = TrainingModel(net, state["model"]["emotions"].shape[0], files.spec.emotion_dim, 0.0, 0, line_of)
    model.load_state_dict(state["model"])
    model.eval()
    weights, means, bases = net.export_weights()
    emotions = model.frame_emotions().detach().numpy()
    trained = info["characters"]
    first_new = len(names) - len(trained)
    counts = np.cumsum([0] + files.frames_per_character())
    if counts[-1] != len(emotions):
        raise ValueError(f"{files.run}: {len(emotions)} emotion vectors but {counts[-1]} training frames")
    heads = []
    codes = a.get("expressions")
    if codes is not None and len(codes) != len(emotions):
        raise ValueError(f"{files.run}: {len(codes)} frame expressions but {len(emotions)} emotion vectors")
    for i, name in enumerate(names):
        if i < first_new:
            presets = info["init_presets"][name]
        elif codes is not None:  # a corpus with expressions: a preset per expression, named by it
            from .synth.expression import EXPRESSIONS

            c = i - first_new
            presets = label_presets(emotions[counts[c]:counts[c + 1]], codes[counts[c]:counts[c + 1]], EXPRESSIONS)
        elif files.weight_names(name):  # a rig head: no face to name clustered presets by
            c = i - first_new
            presets = {"neutral": [float(x) for x in emotions[counts[c]:counts[c + 1]].mean(0)]}
        else:
            c = i - first_new
            probe = torch.as_tensor(a[f"{i}.probe"])
            animate = _animate_fn(lambda x, e, i=i: net(x, i, e), probe, a[f"{i}.offset"].astype(np.float64),
                                  float(a[f"{i}.scale"]))
            presets = make_presets(emotions[counts[c]:counts[c + 1]], animate, a[f"{i}.lips"], a[f"{i}.upper_face"],
                                   info.get("up_axis", "Y"), k=n_presets, seed=c)
        heads.append(files.head(i, name, means[i], bases[i], presets))
    prov = files.provenance(int(state["epoch"]), float(state.get("seconds", 0.0)))
    contact = {k: weights.pop(k) for k in ("contact.weight", "contact.bias") if k in weights}
    spec = replace(files.spec, contact_outputs=0) if contact else files.spec
    ckpt = Checkpoint(files.features, spec, info["fps"], heads, weights, info=prov,
                      up_axis=str(info.get("up_axis", "Y")).upper())
    if contact:  # trained with the network (loss_weights.contact): each head's closed and rest poses from the data
        from .contact_head import POSE_SEQUENCES, closed_sums, with_contact_head

        sums = closed_sums(ckpt, open_dataset(info["data"]), POSE_SEQUENCES)
        ckpt = with_contact_head(ckpt, contact["contact.weight"], contact["contact.bias"], sums,
                                 {"trained": "with the network (loss_weights.contact)",
                                  "per_character": POSE_SEQUENCES})
    return ckpt


def export_karras(files: RunFiles, character: str) -> Checkpoint:
    info, a = files.info, files.arrays
    i = info["heads"].index(character)
    k, members = info["components"][i], info["members"]
    v = a[f"{i}.template"].shape[0]
    nets, emotions, epochs, seconds = [], [], [], 0.0
    for m in range(members):
        state = _load(inside(files.run, "karras", character, f"member{m}.pt"))
        net = KarrasNet(files.spec, np.zeros(3 * v, np.float32), np.zeros((k, 3 * v), np.float32))
        model = TrainingModel(net, state["model"]["emotions"].shape[0], files.spec.emotion_dim, 0.0, 0)
        model.load_state_dict(state["model"])
        nets.append(net)
        emotions.append(model.emotions.detach().numpy().mean(0))
        epochs.append(int(state["epoch"]))
        seconds += float(state.get("seconds", 0.0))
    ensemble = KarrasEnsemble(nets)
    weights, means, bases = ensemble.export_weights()
    # Each member learned its own emotion space; one vector drives them all at inference, so the
    # ensemble's neutral preset is the average of the members' mean vectors (no clustered presets).
    presets = {"neutral": [float(x) for x in np.mean(emotions, axis=0)]}
    spec = NetworkSpec.from_dict({**files.spec.to_dict(), "members": members})
    prov = files.provenance(min(epochs), seconds)
    return Checkpoint(files.features, spec, info["fps"], [files.head(i, character, means[0], bases[0], presets)],
                      weights, info=prov, up_axis=str(info.get("up_axis", "Y")).upper())


def run(args: argparse.Namespace) -> int:
    files = RunFiles(args.run)
    dtype = "float16" if args.float16 else "float32"
    chars = files.info["characters"]
    one_file = files.info["model"] == "multanet" or (len(chars) == 1 and args.out.suffix == ".npz")
    problem = _out_problem(args.out, folder=not one_file)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    outputs: list[tuple[Path, Checkpoint]] = []
    if files.info["model"] == "multanet":
        outputs.append((args.out, export_multanet(files, args.presets)))
    elif one_file:
        outputs.append((args.out, export_karras(files, chars[0])))
    else:
        args.out.mkdir(parents=True, exist_ok=True)
        outputs += [(inside(args.out, f"{c}.npz"), export_karras(files, c)) for c in chars]
    for path, ckpt in outputs:
        if args.coefficient_filter:
            ckpt.coefficient_filter = list(args.coefficient_filter)
        path.parent.mkdir(parents=True, exist_ok=True)
        back = _write(path, ckpt, dtype)
        print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB, {dtype} bases): {back.network.architecture}, "
              f"{back.info['epochs']} epochs, heads " + ", ".join(
                  f"{printable(h.name)} [{names(h.presets)}]" for h in back.heads), file=sys.stderr)
    return 0


def _write(path: Path, ckpt: Checkpoint, dtype: str) -> Checkpoint:
    """Save ``ckpt`` to a temporary file beside ``path`` and read it back in full before it is renamed onto
    ``path``: a checkpoint that does not load never replaces the file there. Returns what was read back."""
    with atomic_path(path) as tmp:
        save_checkpoint(tmp, ckpt, basis_dtype=dtype)
        try:
            return load_checkpoint(tmp)
        except CheckpointError as exc:
            reason = str(exc).replace(tmp, str(path))
            raise CheckpointError(f"{path}: not written, since the exported checkpoint does not load ({reason})"
                                  ) from None
