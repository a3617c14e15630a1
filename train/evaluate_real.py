"""Real human recordings: does the face follow them? (``python -m train evaluate --split real --data DIR``)

``DIR`` holds audio files (``.wav``, ``.flac``, ``.ogg``) of real speech, each optionally with a
``<same name>.json`` giving ``phones`` ``[[start_s, end_s, phone], ...]`` (IPA or ARPAbet), and its
``source``, ``licence``, ``speaker``, ``language`` and ``text``. Every head of every model animates
every clip through core's numpy :class:`multanet_core.inference.Animator`; :mod:`train.speech_metrics` scores
it. Results are averaged per model (over clips and heads) and per clip.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from multanet_core.audio import load_speech
from multanet_core.checkpoint import Checkpoint
from multanet_core.inference import Animator

from .speech_metrics import clip_scores, phone_class

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
SCORES = ("r_opening_loudness", "pause_speech_motion", "pbm_vowel_opening", "pbm_closed_share", "jerk")
AXES = {"X": 0, "Y": 1, "Z": 2}


@dataclass
class RealClip:
    name: str
    path: Path
    samples: np.ndarray  # 16 kHz mono float32
    phones: list | None
    meta: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return len(self.samples) / 16000


def load_clips(folder: Path) -> list[RealClip]:
    """Every audio file of ``folder`` (sorted by name) with its optional JSON sidecar."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder of real-speech clips")
    clips = []
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES):
        meta_path = path.with_suffix(".json")
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        phones = meta.get("phones") or None
        clips.append(RealClip(path.stem, path, load_speech(path), phones, meta))
    if not clips:
        raise ValueError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return clips


def evaluate_clips(models: dict[str, dict[str, Checkpoint]], clips: list[RealClip], emotion: str = "neutral",
                   keep_curves: int = 0) -> tuple[list[dict], list[dict]]:
    """Per (model, head, clip) scores, and the curves of the first head of each model on the first
    ``keep_curves`` clips (for plots)."""
    records, curves = [], []
    for label, heads in models.items():
        for character, ckpt in heads.items():
            anim = Animator(ckpt, character)
            up = AXES[ckpt.up_axis]
            head = anim.head
            for i, clip in enumerate(clips):
                verts = anim.vertices(anim.coefficients(clip.samples, ckpt.fps, emotion))
                scores, curve = clip_scores(verts, head.template, head.lips, up, clip.samples, ckpt.fps, clip.phones)
                records.append({"model": label, "character": character, "clip": clip.name,
                                "language": clip.meta.get("language", "?"), **scores})
                if i < keep_curves and character == next(iter(heads)):
                    curves.append({"model": label, "character": character, "clip": clip.name, "fps": ckpt.fps,
                                   "phones": clip.phones, **{k: np.asarray(v).tolist() for k, v in curve.items()}})
    return records, curves


def summarise(records: list[dict], by: str | None = None) -> dict:
    """Mean of each score per model (and per ``by``), over the records where it is defined."""
    groups = defaultdict(list)
    for r in records:
        groups[(r["model"], r[by] if by else "all")].append(r)
    out: dict = defaultdict(dict)
    for (model, key), rs in groups.items():
        entry = {}
        for s in SCORES:
            values = [r[s] for r in rs if r.get(s) is not None]
            entry[s] = float(np.mean(values)) if values else None
        entry["records"] = len(rs)
        entry["negative_r_share"] = float(np.mean([r["r_opening_loudness"] < 0 for r in rs]))
        out[model][key] = entry
    return dict(out)


def report(result: dict) -> str:
    def cell(v, fmt="{:.2f}"):
        return "-" if v is None else fmt.format(v)

    lines = [f"# Real speech: {result['data']}", "",
             f"{result['clips']} clips, {result['clips_with_phones']} with phone alignments; every head of every "
             "model. r = correlation of mouth opening with loudness; pause/speech = lip motion in pauses over lip "
             "motion in speech; P/B/M = opening at bilabial centres over opening at vowel centres; closed = share "
             "of bilabials under 20 % of the vowel opening; jerk in m/s³.", "",
             "| model | r | clip/head pairs with r < 0 | pause/speech | P/B/M / vowel | P/B/M closed | jerk |",
             "|---|---|---|---|---|---|---|"]
    for model, entry in result["overall"].items():
        e = entry["all"]
        lines.append(f"| {model} | {cell(e['r_opening_loudness'])} | {cell(e['negative_r_share'], '{:.0%}')} | "
                     f"{cell(e['pause_speech_motion'])} | {cell(e['pbm_vowel_opening'])} | "
                     f"{cell(e['pbm_closed_share'], '{:.0%}')} | {cell(e['jerk'], '{:.3g}')} |")
    lines += ["", "## Per clip (mean over heads)", "", "| clip | " + " | ".join(
        f"r {m} | pause/speech {m} | P/B/M {m}" for m in result["overall"]) + " |",
        "|---|" + "---|---|---|" * len(result["overall"])]
    for clip in sorted({r["clip"] for r in result["records"]}):
        cells = []
        for m in result["overall"]:
            e = result["per_clip"][m].get(clip, {})
            cells += [cell(e.get("r_opening_loudness")), cell(e.get("pause_speech_motion")),
                      cell(e.get("pbm_vowel_opening"))]
        lines.append(f"| {clip} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(curves: list[dict], folder: Path) -> list[Path]:
    """Mouth opening against loudness over time, pauses shaded, P/B/M and vowel centres marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for c in curves:
        fig, ax = plt.subplots(figsize=(8, 2.6), dpi=80)
        t = np.arange(len(c["opening"])) / c["fps"]
        pauses = np.asarray(c["pauses"], bool)
        ax.fill_between(t, 0, 1, where=pauses, transform=ax.get_xaxis_transform(), color="0.9", label="pause")
        ax.plot(t, np.asarray(c["opening"]) * 1000, "C0", lw=1.5, label="mouth opening (mm)")
        ax.set_ylabel("opening (mm)")
        ax2 = ax.twinx()
        ax2.plot(t, c["loudness_db"], "C1", lw=0.8, alpha=0.8, label="loudness (dBFS)")
        ax2.set_ylabel("dBFS")
        for start, end, phone in c["phones"] or []:
            cls = phone_class(str(phone))
            if cls in ("bilabial", "vowel"):
                ax.axvline((float(start) + float(end)) / 2, color="C3" if cls == "bilabial" else "C2",
                           lw=0.8 if cls == "bilabial" else 0.3, alpha=0.8)
                if cls == "bilabial":
                    ax.text((float(start) + float(end)) / 2, 1.0, str(phone), color="C3", fontsize=6,
                            transform=ax.get_xaxis_transform(), ha="center", va="bottom")
        ax.set_xlabel("s")
        ax.set_title(f"{c['model']} / {c['character']}: {c['clip']} (red: P/B/M, green: vowels)", fontsize=9)
        path = folder / f"real_{c['model']}_{c['clip']}.png"
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def run(models: dict[str, dict[str, Checkpoint]], data: Path, emotion: str, plots: Path | None) -> dict:
    clips = load_clips(data)
    records, curves = evaluate_clips(models, clips, emotion, keep_curves=len(clips) if plots else 0)
    result = {"split": "real", "data": str(data), "emotion": emotion, "models": list(models),
              "clips": len(clips), "clips_with_phones": sum(c.phones is not None for c in clips),
              "overall": summarise(records), "per_clip": summarise(records, "clip"), "records": records}
    if plots:
        result["plots"] = [str(p) for p in plot(curves, plots)]
    return result
