"""``python -m train evaluate``: accuracy and stability of checkpoints on a dataset split.

Inference runs through core's numpy :class:`multanet_core.inference.Animator` (what the add-on ships) with
each head's ``neutral`` preset. Per sequence: LVE, MVE, FDD and the jitter ratio (lip jerk over
the ground truth's) from :mod:`multanet_core.metrics`; beside every model, two references: the static face
(the template held still: what "no animation" scores) and the ground truth's own lip jerk. Results
are averaged per character, per language and overall, written as JSON and a Markdown report, and
plotted (lip opening over time, predicted against ground truth; LVE per character per model). Where the
sequences carry a phone timeline (the synthetic corpus), each language also gets issue 26's "open vowels
opened" (:mod:`train.open_vowels`): the predicted lip opening at open-vowel centres over the ground truth's.

``--split heldout-languages`` scores a held-out language corpus (docs/DATA.md, "A new held-out language
set"): its ``unseen_language`` sequences, and the English ``test`` sequences of the same corpus as the
reference: per language, LVE / English LVE and open vowels opened, against issue 26's targets (<= 2x, >= 0.9).

A checkpoint argument is ``[LABEL=]PATH``; PATH is an .npz or a folder of .npz (single-character
KarrasNet checkpoints, one model together). A model is evaluated on the characters it has.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from multanet_core import metrics
from multanet_core.audio import prepare
from multanet_core.checkpoint import Checkpoint, load_checkpoint
from multanet_core.inference import Animator
from multanet_core.script import align_script
from train.data import DatasetError, open_dataset
from train.data.base import UNITS

from . import evaluate_real, open_vowels, speech_metrics
from .augment import NOISES, active_rms_db, babble, band_limit, reverberate, variant_rng
from .features_cache import BabblePool
from .synth.text import ESPEAK_LANGUAGE

SPLITS = {"test": "test", "unseen": "unseen_language", "cross-voice": "cross_voice", "shifted-voice": "shifted_voice",
          "neural-voice": "neural_voice", "val": "val", "train": "train",
          "noise": "test",  # the test split under each of NOISE_CONDITIONS, scored against the clean ground truth
          # unseen_language, with the English test sequences as the reference (LVE / English LVE per language)
          "heldout-languages": "unseen_language",
          "real": "real"}  # --data is a folder of real human recordings (train.evaluate_real)
# The noise split: fixed degradations of the held-out test audio (babble from other characters' test clips).
NOISE_CONDITIONS = {
    "clean": None,
    "white -60 dBFS": ("white", -60.0),
    "white -50 dBFS": ("white", -50.0),
    "white -40 dBFS": ("white", -40.0),
    "room -50 dBFS": ("room", -50.0),
    "babble 10 dB SNR": ("babble", 10.0),
    "reverb RT60 0.5 s": ("reverb", 0.5),
    "telephone band": ("band", "telephone"),  # issue 26: 300-3400 Hz through 8 kHz, LVE within 1.5x of clean
}
METRICS = ("lve", "mve", "fdd", "jitter", "face_lve")
LABELS = "labels"  # --emotion labels: each sequence with its own expression's preset (issue 27)
HELDOUT_LVE_RATIO = 2.0  # issue 26: held-out languages' LVE / English test LVE <= 2
REFERENCE_LANGUAGE = "en"  # --split heldout-languages: the test sequences in this language are the reference
AXES = {"X": 0, "Y": 1, "Z": 2}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", action="append", required=True,
                        help="[LABEL=]PATH to an .npz, or a folder of .npz forming one model; repeat to compare")
    parser.add_argument("--data", type=Path, required=True,
                        help="dataset folder (folder format, BIWI, VOCASET); for --split real, a folder of recordings")
    parser.add_argument("--split", default="test", choices=list(SPLITS), help="the sequences to score (default: test)")
    parser.add_argument("--characters", default=None, help="comma-separated subset")
    parser.add_argument("--languages", default=None,
                        help="comma-separated language codes: only those sequences (e.g. en: the English test)")
    parser.add_argument("--lip-contact", type=float, default=1.0,
                        help="Lip Contact strength 0..1 every clip is baked with, as on the command line and the "
                             "panel (default 1; it changes only checkpoints with a contact head or --script)")
    parser.add_argument("--max-sequences", type=int, default=None, help="at most N sequences per character")
    parser.add_argument("--emotion", default="neutral",
                        help="preset name used for every head; 'labels': each sequence's own expression (its json's "
                             "expression label, train synth --expressions) where its head has that preset, else "
                             "neutral")
    parser.add_argument("--scale", type=float, default=None,
                        help="length unit factor for the tables (default: to mm from the dataset's unit, metres "
                             "unless its dataset.json says otherwise; 1000 where the unit is unknown)")
    parser.add_argument("--json", type=Path, default=None, help="write every figure as JSON here")
    parser.add_argument("--report", type=Path, default=None, help="write the Markdown report here")
    parser.add_argument("--plots", type=Path, default=None, help="folder for the lip-opening and per-character plots")
    parser.add_argument("--clips-per-language", type=int, default=2, help="lip plots drawn per language")
    parser.add_argument("--real-split", default="dev", choices=list(evaluate_real.REAL_SPLITS),
                        help="with --split real: the clips whose json says this split (no split: dev); test is "
                             "locked, scored once per shipped model (default: dev)")
    parser.add_argument("--script", action="store_true",
                        help="bake every clip or sequence with its own text (multanet_core.script): the text placed "
                             "in the audio seals P/B/M and rests pauses where the placement is trusted")


def parse_models(specs: list[str]) -> dict[str, dict[str, Checkpoint]]:
    """label -> {character: checkpoint}."""
    models: dict[str, dict[str, Checkpoint]] = {}
    for spec in specs:
        label, _, path = spec.rpartition("=")
        path = Path(path)
        files = sorted(path.glob("*.npz")) if path.is_dir() else [path]
        label = label or path.stem
        heads: dict[str, Checkpoint] = {}
        for f in files:
            ckpt = load_checkpoint(f)
            for h in ckpt.mesh_heads:  # rig heads have no vertices to score here
                heads.setdefault(h.name, ckpt)
        models[label] = heads
    return models


def lip_opening(vertices: np.ndarray, lips: np.ndarray, up: int) -> np.ndarray:
    """Per frame: extent of the lip vertices along the up axis."""
    return vertices[:, lips, up].max(1) - vertices[:, lips, up].min(1)


def noisy(condition: tuple | None, pool: BabblePool | None):
    """The degradation of one noise condition: samples (16 kHz), sequence -> samples, or None (clean)."""
    if condition is None:
        return None
    kind, value = condition

    def apply(samples: np.ndarray, seq) -> np.ndarray:
        rng = variant_rng(0, seq.key, 1000)
        x = samples.astype(np.float64)
        if kind == "reverb":
            return reverberate(x, value, rng).astype(np.float32)
        if kind == "band":
            return band_limit(x, value).astype(np.float32)
        if kind == "babble":
            noise = babble(len(x), rng, pool.clips_for(seq) if pool else ())
            level = active_rms_db(x) - value
        else:
            noise = NOISES[kind](len(x), rng)
            level = value
        return (x + noise * 10 ** (level / 20)).astype(np.float32)

    return apply


def evaluate_sequences(models: dict[str, dict[str, Checkpoint]], dataset, split: str, characters=None,
                       max_sequences: int | None = None, emotion: str = "neutral", keep_curves: int = 0,
                       degrade=None, languages=None, script: bool = False, contact: float = 1.0):
    """Per-sequence records (one per model, plus 'static' and 'ground truth'), and lip-opening curves.
    ``degrade(samples, sequence)`` changes the audio (the ground truth stays); ``languages``: only the
    sequences in these languages (None: all); ``script``: each sequence baked with its own text (issue 29);
    ``contact``: the Lip Contact strength of every bake."""
    wanted = set(characters or [])
    covered = set().union(*[set(m) for m in models.values()])
    records, curves = [], []
    animators: dict[tuple[str, str], Animator] = {}
    per_char = defaultdict(int)
    curves_per_lang = defaultdict(int)
    for seq in sorted(dataset.sequences(split=split), key=lambda s: (s.character, s.id)):
        if seq.character not in covered or (wanted and seq.character not in wanted):
            continue
        if languages is not None and seq.language not in languages:
            continue
        if max_sequences and per_char[seq.character] >= max_sequences:
            continue
        per_char[seq.character] += 1
        tmpl = dataset.template(seq.character)
        samples, rate = dataset.load_audio(seq)
        samples = prepare(samples, rate, name=dataset.audio_path(seq))
        if degrade is not None:
            samples = degrade(samples, seq)
        gt = np.asarray(dataset.load_vertices(seq), np.float32)
        fps = dataset.sequence_fps(seq)
        preds, presets = {}, {}
        timing = None
        if script and seq.metadata().get("text"):
            timing = align_script(samples, seq.metadata()["text"], ESPEAK_LANGUAGE.get(seq.language, seq.language),
                                  seq.id)
        for label, heads in models.items():
            if seq.character not in heads:
                continue
            key = (label, seq.character)
            if key not in animators:
                animators[key] = Animator(heads[seq.character], seq.character)
            anim = animators[key]
            presets[label] = _preset(emotion, seq, anim.head)
            preds[label] = anim.vertices(anim.coefficients(samples, fps, presets[label], contact=contact,
                                                                script=timing))
        n = min([len(gt)] + [len(p) for p in preds.values()])
        gt = gt[:n]
        lips, upper = tmpl.lip_indices, tmpl.upper_face_indices
        base = {"character": seq.character, "language": seq.language, "sequence": seq.id, "frames": n}
        static = np.broadcast_to(tmpl.vertices, gt.shape)
        face = np.arange(gt.shape[1])
        records.append({**base, "model": "static", "lve": metrics.lve(static, gt, lips), "mve": metrics.mve(static, gt),
                        "fdd": metrics.fdd(static, gt, tmpl.vertices, upper), "jitter": 0.0,
                        "face_lve": metrics.lve(static, gt, face)})
        records.append({**base, "model": "ground truth", "lve": 0.0, "mve": 0.0, "fdd": 0.0, "jitter": 1.0,
                        "face_lve": 0.0, "gt_jerk": metrics.jerk(gt, lips, fps)})
        phones = seq.metadata().get("phonemes")
        if timing is not None:
            base.update(script_used=timing.used, script_warned=bool(timing.warning))
        for label, pred in preds.items():
            pred = pred[:n]
            up = AXES[models[label][seq.character].up_axis]
            records.append({**base, "model": label, "lve": metrics.lve(pred, gt, lips), "mve": metrics.mve(pred, gt),
                            "fdd": metrics.fdd(pred, gt, tmpl.vertices, upper), "face_lve": metrics.lve(pred, gt, face),
                            "preset": presets[label],
                            "jitter": metrics.jitter_ratio(pred, gt, lips, fps),
                            **_open_vowel_sums(pred, gt, tmpl, up, phones, fps),
                            **_closures(pred, tmpl, up, phones, fps)})
        if curves_per_lang[seq.language] < keep_curves:
            curves_per_lang[seq.language] += 1
            up = AXES[next(iter(models.values()))[seq.character].up_axis]
            curves.append({**base, "fps": fps, "gt": lip_opening(gt, lips, up).tolist(),
                           "pred": {k: lip_opening(p[:n], lips, up).tolist() for k, p in preds.items()}})
    return records, curves


def _preset(emotion: str, seq, head) -> str:
    """The preset a sequence is animated with: ``emotion``, or with ``labels`` its own expression's where the head
    has it (else neutral)."""
    if emotion != LABELS:
        return emotion
    e = seq.metadata().get("expression")
    label = e.get("label") if isinstance(e, dict) else None
    return label if isinstance(label, str) and label in head.presets else "neutral"


def _open_vowel_sums(pred: np.ndarray, gt: np.ndarray, tmpl, up: int, phones, fps: float) -> dict:
    """:func:`train.open_vowels.sequence_sums` of a sequence; {} without a phone timeline, an open vowel or
    lip midpoints."""
    if not phones:
        return {}
    try:
        sums = open_vowels.sequence_sums(pred, gt, tmpl.vertices, tmpl.lip_indices, up, phones, fps)
    except ValueError:  # no lip vertex on the midline: no midpoints to measure the opening between
        return {}
    return sums or {"open_pred": 0.0, "open_gt": 0.0, "open_centres": 0}


def _closures(pred: np.ndarray, tmpl, up: int, phones, fps: float) -> dict:
    """Issue 26's P/B/M and vowel closures of a sequence against its exact timeline ({} where undefined)."""
    if not phones:
        return {}
    try:
        opening = speech_metrics.lip_opening(pred, tmpl.vertices, tmpl.lip_indices, up)
    except ValueError:
        return {}
    found = speech_metrics.closures(opening, phones, fps)
    return {k: found[k] for k in ("closed", "false_closures") if k in found}


def summarise(records: list[dict], by: str | None) -> dict:
    """Mean of each metric per model (and per ``by`` key when given)."""
    groups = defaultdict(list)
    for r in records:
        groups[(r["model"], r[by] if by else "all")].append(r)
    out: dict = defaultdict(dict)
    for (model, key), rs in groups.items():
        entry = {m: float(np.mean([r[m] for r in rs])) for m in METRICS}
        entry["sequences"] = len(rs)
        if model == "ground truth":
            entry["gt_jerk"] = float(np.mean([r["gt_jerk"] for r in rs]))
        for k in ("closed", "false_closures", "script_used", "script_warned"):
            if any(k in r for r in rs):
                entry[k] = float(np.mean([r[k] for r in rs if k in r]))
        if any("open_centres" in r for r in rs):  # issue 26: ratio of mean openings at open-vowel centres
            entry["open_vowels"] = open_vowels.pooled_ratio(rs)
            entry["open_vowel_centres"] = int(sum(r.get("open_centres", 0) for r in rs))
        out[model][key] = entry
    return dict(out)


def _table(summary: dict, models: list[str], keys: list[str], scale: float, title: str,
           extra: tuple = ()) -> list[str]:
    """``extra``: more columns, (header, key -> cell text)."""
    lines = [f"| {title} | " + " | ".join(f"LVE {m}" for m in models) + " | "
             + " | ".join(f"MVE {m}" for m in models) + " | " + " | ".join(f"FDD {m}" for m in models) + " | "
             + " | ".join(f"jitter {m}" for m in models if m != "static") + " | GT jerk (m/s³) |"
             + "".join(f" {header} |" for header, _ in extra)]
    lines.append("|" + "---|" * (1 + 4 * len(models) + len(extra)) + "")
    for key in keys:
        cells = []
        for metric, factor in (("lve", scale ** 2), ("mve", scale), ("fdd", scale ** 2), ("jitter", 1.0)):
            for m in models:
                if metric == "jitter" and m == "static":
                    continue
                v = summary.get(m, {}).get(key, {}).get(metric)
                cells.append("-" if v is None else f"{v * factor:.3g}")
        jerk = summary.get("ground truth", {}).get(key, {}).get("gt_jerk")
        cells.append("-" if jerk is None else f"{jerk:.3g}")
        cells += [cell(key) for _, cell in extra]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return lines


def _language_columns(result: dict, summary: dict) -> tuple:
    """The per-language table's extra columns: open vowels opened, and LVE / English LVE where measured."""
    def value(m: str, name: str, fmt: str):
        def cell(key: str) -> str:
            v = summary.get(m, {}).get(key, {}).get(name)
            return "-" if v is None else fmt.format(v)
        return cell

    columns = []
    for m in result["models"]:
        if any("lve_over_english" in e for e in summary.get(m, {}).values()):
            columns.append((f"LVE / en {m}", value(m, "lve_over_english", "{:.2f}")))
        if any("open_vowels" in e for e in summary.get(m, {}).values()):
            columns.append((f"open vowels opened {m}", value(m, "open_vowels", "{:.2f}")))
    return tuple(columns)


def _unit(result: dict, scale: float) -> str | None:
    """'mm' when ``scale`` turns the data's lengths into millimetres, else None."""
    return "mm" if scale == result.get("mm_per_unit", 1000.0) else None


def report(result: dict, scale: float) -> str:
    models = result["models"] + ["static"]
    unit = _unit(result, scale) or f"units x{scale:g}"
    out = [f"# Evaluation on split `{result['split']}` of {result['data']}", "",
           f"LVE and FDD in {unit}², MVE in {unit}; jitter = lip jerk / ground truth's lip jerk (1 = as smooth "
           "as the ground truth); static = the template held still; emotion preset "
           f"`{result['emotion']}`. Sequences per model: "
           + ", ".join(f"{m} {result['overall'][m]['all']['sequences']}" for m in result["models"]) + ".", ""]
    face = tuple((f"face LVE {m}", lambda key, m=m: "-" if result["overall"].get(m, {}).get(key, {}).get("face_lve")
                  is None else f"{result['overall'][m][key]['face_lve'] * scale ** 2:.3g}") for m in result["models"])
    out += ["## Overall", ""] + _table(result["overall"], models, ["all"], scale, "", face) + [""]
    if any("closed" in result["overall"].get(m, {}).get("all", {}) for m in result["models"]):
        out += ["P/B/M centres closed (opening under 20 % of the mean vowel-centre opening) / vowel centres closed, "
                "against each sequence's exact timeline: " + ", ".join(
                    f"{m} {result['overall'][m]['all']['closed']:.1%} / "
                    f"{result['overall'][m]['all']['false_closures']:.1%}"
                    for m in result["models"] if "closed" in result["overall"][m]["all"]) + "."
                + (f" Baked with each sequence's own text (`--script`): used on "
                   f"{result['overall'][result['models'][0]]['all'].get('script_used', 0):.0%} of them."
                   if result.get("script") else ""), ""]
    out += ["face LVE: LVE over every vertex of the face (the largest squared error of a frame, mean over frames)."
            + (" Each sequence animated with its own expression's preset (`--emotion labels`)."
               if result["emotion"] == LABELS else ""), ""]
    chars = sorted(result["per_character"]["static"])
    out += ["## Per character", ""] + _table(result["per_character"], models, chars, scale, "character") + [""]
    langs = sorted(result["per_language"]["static"])
    columns = _language_columns(result, result["per_language"])
    out += ["## Per language", ""] + _table(result["per_language"], models, langs, scale, "language", columns)
    if any(header.startswith("open vowels opened") for header, _ in columns):
        out += ["", "open vowels opened: the predicted lip opening (upper to lower lip midpoint vertex, minus rest) "
                "at the centres of open vowels (a, ɑ, æ, ɐ...) over the ground truth's, a ratio of means over all "
                f"of the language's open-vowel centres (issue 26's target: >= {open_vowels.TARGET:g})."]
    out += [""]
    if "english" in result:
        out += _heldout_verdict(result)
    return "\n".join(out)


def _heldout_verdict(result: dict) -> list[str]:
    """--split heldout-languages: each model against issue 26's held-out language targets."""
    out = ["## Held-out languages against the targets", "",
           f"Reference: the {result['english_sequences']} English `test` sequences of the same corpus. Targets: "
           f"LVE / English LVE <= {HELDOUT_LVE_RATIO:g} (over all held-out sequences), open vowels opened >= "
           f"{open_vowels.TARGET:g} in every language.", "",
           "| model | English LVE | held-out LVE | LVE / en | worst language LVE / en | lowest open vowels opened "
           "| verdict |", "|---|---|---|---|---|---|---|"]
    unit = result.get("mm_per_unit", 1000.0) ** 2

    def num(v, fmt: str = "{:.2f}", factor: float = 1.0) -> str:
        return "-" if v is None else fmt.format(v * factor)

    for m in result["models"]:
        langs = {k: v for k, v in result["per_language"].get(m, {}).items() if k != REFERENCE_LANGUAGE}
        overall = result["overall"].get(m, {}).get("all", {})
        ratio = overall.get("lve_over_english")
        ratios = {k: v["lve_over_english"] for k, v in langs.items() if v.get("lve_over_english") is not None}
        opened = {k: v.get("open_vowels") for k, v in langs.items()}
        known = {k: v for k, v in opened.items() if v is not None}
        worst = max(ratios, key=ratios.get) if ratios else None
        lowest = min(known, key=known.get) if known else None
        ok = (ratio is not None and ratio <= HELDOUT_LVE_RATIO and bool(opened)
              and all(v is not None and v >= open_vowels.TARGET for v in opened.values()))
        en = result["english"].get(m, {}).get("all", {}).get("lve")
        out.append(f"| {m} | {num(en, '{:.3g}', unit)} | {num(overall.get('lve'), '{:.3g}', unit)} | {num(ratio)} | "
                   + ("-" if worst is None else f"{worst} {ratios[worst]:.2f}") + " | "
                   + ("-" if lowest is None else f"{lowest} {known[lowest]:.2f}") + f" | {'pass' if ok else 'FAIL'} |")
    return out + [""]


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot(result: dict, curves: list[dict], folder: Path, scale: float) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    models = result["models"] + ["static"]
    chars = sorted(result["per_character"]["static"])
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(chars) * len(models) / 2), 3.2), dpi=80)
    width = 0.8 / len(models)
    for j, m in enumerate(models):
        vals = [result["per_character"].get(m, {}).get(c, {}).get("lve", np.nan) * scale ** 2 for c in chars]
        ax.bar(np.arange(len(chars)) + j * width, vals, width, label=m)
    ax.set_xticks(np.arange(len(chars)) + 0.4 - width / 2, chars, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("LVE (mm²)" if _unit(result, scale) else "LVE")
    ax.set_title(f"LVE per character, split {result['split']}", fontsize=10)
    ax.legend(fontsize=7)
    written.append(_save(fig, folder / f"lve_per_character_{result['split']}.png"))
    for c in curves:
        fig, ax = plt.subplots(figsize=(6, 2.2), dpi=80)
        t = np.arange(len(c["gt"])) / c["fps"]
        ax.plot(t, np.asarray(c["gt"]) * scale, "k", lw=2, label="ground truth")
        for m, y in c["pred"].items():
            ax.plot(t, np.asarray(y) * scale, lw=1, label=m)
        ax.set_xlabel("s")
        ax.set_ylabel("lip opening (mm)" if _unit(result, scale) else "lip opening")
        ax.set_title(f"{c['character']} {c['sequence']} ({c['language']})", fontsize=9)
        ax.legend(fontsize=7)
        written.append(_save(fig, folder / f"lips_{result['split']}_{c['language']}_{c['character']}_"
                                          f"{c['sequence']}.png"))
    return written


def _write(args: argparse.Namespace, result: dict, text: str) -> None:
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(text + "\n")
    print(text)


def run_noise(args: argparse.Namespace, models, dataset, chars) -> int:
    """The test split under every noise condition; LVE and jitter per condition and its ratio to clean."""
    pool = BabblePool(dataset, "test")
    per_condition = {}
    for name, condition in NOISE_CONDITIONS.items():
        records, _ = evaluate_sequences(models, dataset, "test", chars, args.max_sequences, args.emotion,
                                        degrade=noisy(condition, pool), languages=_languages(args),
                                        contact=args.lip_contact)
        if not records:
            print(f"{args.data}: no 'test' sequences of the checkpoints' characters", file=sys.stderr)
            return 2
        per_condition[name] = summarise(records, None)
        print(f"noise: {name} done", file=sys.stderr)
    labels = list(models) + ["static"]
    lines = [f"# Evaluation on the noise split (test audio degraded) of {args.data}", "",
             f"LVE in {'mm' if args.scale == _mm_per_unit(dataset) else f'units x{args.scale:g}'}² against the "
             "clean ground truth; ratio = LVE / the same model's clean LVE.", "",
             "| condition | " + " | ".join(f"LVE {m} | ratio {m}" for m in labels) + " | "
             + " | ".join(f"jitter {m}" for m in models) + " |",
             "|---|" + "---|---|" * len(labels) + "---|" * len(models)]
    clean = per_condition["clean"]
    for name, summary in per_condition.items():
        cells = []
        for m in labels:
            v = summary[m]["all"]["lve"]
            cells += [f"{v * args.scale ** 2:.3g}", f"{v / clean[m]['all']['lve']:.2f}"]
        cells += [f"{summary[m]['all']['jitter']:.2f}" for m in models]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    result = {"split": "noise", "data": str(args.data), "models": list(models), "checkpoints": args.checkpoint,
              "conditions": {k: list(v) if v else None for k, v in NOISE_CONDITIONS.items()},
              "overall": per_condition}
    _write(args, result, "\n".join(lines))
    return 0


def run_heldout(args: argparse.Namespace, models, dataset, chars) -> int:
    """The unseen_language sequences, and the English test sequences as the reference: per language (and over
    all held-out sequences) LVE / English LVE, and open vowels opened, with a verdict against issue 26's
    targets."""
    keep = args.clips_per_language if args.plots else 0
    records, curves = evaluate_sequences(models, dataset, "unseen_language", chars, args.max_sequences, args.emotion,
                                         keep_curves=keep, languages=_languages(args), contact=args.lip_contact)
    if dataset.sequences(split="test"):
        checked_characters(models, dataset, "test", chars)
    english, en_curves = evaluate_sequences(models, dataset, "test", chars, args.max_sequences, args.emotion,
                                            keep_curves=keep, languages=(REFERENCE_LANGUAGE,),
                                            contact=args.lip_contact)
    for what, rs in (("'unseen_language'", records), (f"English ({REFERENCE_LANGUAGE}) 'test'", english)):
        if not rs:
            print(f"{args.data}: no {what} sequences of the checkpoints' characters (write the corpus as docs/DATA.md "
                  "says under 'A new held-out language set')", file=sys.stderr)
            return 2
    reference = summarise(english, None)
    per_language = summarise(records + english, "language")
    overall = summarise(records, None)
    for summary in (per_language, overall):
        for model, entries in summary.items():
            en = reference.get(model, {}).get("all", {}).get("lve")
            for entry in entries.values():
                if en:
                    entry["lve_over_english"] = entry["lve"] / en
    result = {"split": "heldout-languages", "data": str(args.data), "emotion": args.emotion, "models": list(models),
              "mm_per_unit": _mm_per_unit(dataset), "checkpoints": args.checkpoint,
              "reference": {"split": "test", "language": REFERENCE_LANGUAGE},
              "english_sequences": len({(r["character"], r["sequence"]) for r in english}),
              "targets": {"lve_over_english_max": HELDOUT_LVE_RATIO, "open_vowels_min": open_vowels.TARGET},
              "overall": overall, "english": reference, "per_character": summarise(records, "character"),
              "per_language": per_language, "sequences": records + english}
    if args.plots:
        for p in plot(result, curves + en_curves, args.plots, args.scale):
            print(f"wrote {p}", file=sys.stderr)
    _write(args, result, report(result, args.scale))
    return 0


def _mm_per_unit(dataset) -> float:
    """The factor that turns the dataset's lengths into millimetres (metres assumed where the unit is unknown)."""
    return 1000.0 * UNITS[dataset.unit] if dataset.unit else 1000.0


def checked_characters(models: dict[str, dict[str, Checkpoint]], dataset, split: str,
                       wanted: list[str] | None) -> list[str]:
    """The characters scored on ``split``: the checkpoints' heads that the data has sequences of (of ``wanted``,
    when given). Raises a ``DatasetError`` naming every problem first: a head whose mesh is not the data's, and
    whatever ``Dataset.validate`` finds in those sequences (NaN frames, motion shorter than its audio...)."""
    covered = set().union(*[set(m) for m in models.values()])
    chars = [c for c in dataset.characters if c in covered and (not wanted or c in wanted)
             and dataset.sequences(split=split, character=c)]
    problems = []
    for label, heads in models.items():
        for c in chars:
            if c in heads:
                have, data = heads[c].head(c).template.shape[0], dataset.template(c).n_vertices
                if have != data:
                    problems.append(f"checkpoint {label}: its head {c!r} has {have} vertices, but character {c!r} "
                                    f"of the data has {data}: the checkpoint was trained on other meshes")
    if problems:
        raise DatasetError("\n".join(problems))
    if chars:
        dataset.validate(split, characters=chars)
    return chars


def _languages(args: argparse.Namespace) -> tuple[str, ...] | None:
    """--languages as a tuple of codes (None: every language)."""
    if not args.languages:
        return None
    return tuple(code.strip() for code in args.languages.split(",") if code.strip()) or None


def run(args: argparse.Namespace) -> int:
    if not 0.0 <= args.lip_contact <= 1.0:
        raise DatasetError(f"--lip-contact must be between 0 and 1, not {args.lip_contact:g}")
    models = parse_models(args.checkpoint)
    if args.split == "real":
        if args.languages:
            raise DatasetError("--languages picks synthetic sequences; the real split is scored whole")
        result = evaluate_real.run(models, args.data, args.emotion, args.plots, args.real_split, args.script,
                                   args.lip_contact)
        for p in result.get("plots", []):
            print(f"wrote {p}", file=sys.stderr)
        _write(args, result, evaluate_real.report(result))
        return 0
    dataset = open_dataset(args.data)
    split = SPLITS[args.split]
    chars = [c.strip() for c in args.characters.split(",")] if args.characters else None
    checked_characters(models, dataset, split, chars)
    if args.scale is None:
        args.scale = _mm_per_unit(dataset)
    if args.split == "noise":
        return run_noise(args, models, dataset, chars)
    if args.split == "heldout-languages":
        return run_heldout(args, models, dataset, chars)
    records, curves = evaluate_sequences(models, dataset, split, chars, args.max_sequences, args.emotion,
                                         keep_curves=args.clips_per_language if args.plots else 0,
                                         script=args.script, languages=_languages(args), contact=args.lip_contact)
    if not records:
        print(f"{args.data}: no {split!r} sequences of the checkpoints' characters", file=sys.stderr)
        return 2
    result = {"split": split, "data": str(args.data), "emotion": args.emotion, "models": list(models),
              "mm_per_unit": _mm_per_unit(dataset), "script": args.script, "lip_contact": args.lip_contact,
              "languages": _languages(args),
              "checkpoints": args.checkpoint, "overall": summarise(records, None),
              "per_character": summarise(records, "character"), "per_language": summarise(records, "language"),
              "sequences": records}
    if args.plots:
        for p in plot(result, curves, args.plots, args.scale):
            print(f"wrote {p}", file=sys.stderr)
    _write(args, result, report(result, args.scale))
    return 0
