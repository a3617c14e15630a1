"""Real human recordings: does the face follow them? (``python -m train evaluate --split real --data DIR``)

``DIR`` holds audio files (``.wav``, ``.flac``, ``.ogg``) of real speech, each optionally with a
``<same name>.json`` giving ``phones`` ``[[start_s, end_s, phone], ...]`` (IPA or ARPAbet; ``phone_set``
``"arpabet"`` or ``"ipa"`` says which, else the labels decide), and its ``source``, ``licence``, ``speaker``,
``language`` and ``text``, and:

* ``split``: ``"dev"`` (tune and choose on it) or ``"test"`` (locked: scored once per shipped model). A clip
  without one is in ``dev``. ``--real-split`` picks the clips scored: ``dev`` (the default), ``test`` or ``all``.
* ``condition``: how it was recorded or degraded (``"telephone"``, ``"babble 0 dB"``, ...); a condition that
  starts with ``non-speech`` (``"non-speech: sine"``), or ``"speech": false``, marks audio with no speech in
  it (tones, music, noise). Babble's SNR comes from ``snr_db`` or the condition's ``<N> dB``.
* ``clean``: for a degraded copy of another clip (babble, music bed), the clean clip's id (its file name
  without suffix; it may be in another split: only its audio is used).

Every head of every model animates every chosen clip through core's numpy
:class:`multanet_core.inference.Animator`; :mod:`train.speech_metrics` scores it by issue 26's definitions
(``target_scores``: the targets are in :data:`TARGETS`) and by issue 14's (``clip_scores``, kept so that
docs/RESULTS.md's earlier figures reproduce: ``--real-split all`` on the clips they used). Results are means
over (clip, head) pairs per model: overall, per condition, per language and per clip. Speech measures leave
non-speech clips out; a non-speech clip's own measure is its lip motion over the mean lip motion of the chosen
speech clips that are not degraded copies, for the same head.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from multanet_core.audio import load_speech
from multanet_core.checkpoint import Checkpoint
from multanet_core.inference import Animator
from multanet_core.script import ScriptTiming, align_script
from train.data.base import DatasetError

from .speech_metrics import (
    CLOSED_SHARE,
    PAUSE_PLACES,
    centre_class,
    centres,
    clip_scores,
    is_arpabet,
    lip_midpoints,
    motion_ratio,
    pooled_pause_places,
    target_scores,
)

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")
SCORES = ("r_opening_loudness", "pause_speech_motion", "pbm_vowel_opening", "pbm_closed_share", "jerk")  # issue 14
REAL_SPLITS = ("dev", "test", "all")
# issue 26's measures: key -> (label, target comparison, target value); None: reported without a target
MEASURES: dict[str, tuple[str, str | None, float | None]] = {
    "r": ("r(opening, loudness dB)", ">=", 0.65),
    "pause_speech": ("pause / speech lip motion", "<=", 0.30),
    "closed": ("P/B/M centres closed", ">=", 0.70),
    "false_closures": ("vowel centres closed (false closures)", "<=", 0.05),
    "closed_1": ("P/B/M closed within 1 frame of the centre (aligner slack)", None, None),
    "false_closures_1": ("vowels closed within 1 frame of the centre", None, None),
    "pbm_over_vowel": ("P/B/M opening / vowel opening", None, None),
    "babble_r_clean": ("babble under 5 dB SNR: r(opening, clean loudness)", ">=", 0.4),
    "babble5_r_clean": ("babble at 5 dB SNR or more: r(opening, clean loudness)", ">=", 0.5),
    "r_clean": ("any degraded copy: r(opening, clean loudness)", None, None),
    "non_speech_motion": ("non-speech: lip motion / speech's", "<=", 0.1),
}
TARGETS = {k: (op, v) for k, (_, op, v) in MEASURES.items() if op is not None}
COPY_MEASURES = ("babble_r_clean", "babble5_r_clean", "r_clean", "non_speech_motion")
PERCENT = {"closed", "false_closures", "closed_1", "false_closures_1"}
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

    @property
    def split(self) -> str:
        return str(self.meta.get("split") or "dev")

    @property
    def condition(self) -> str:
        return str(self.meta.get("condition") or "unspecified")

    @property
    def language(self) -> str:
        """The language's primary subtag (``en`` for ``en-GB (Scottish)``), ``-`` where none is given."""
        return re.split(r"[-_ (]", str(self.meta.get("language") or "-").strip().lower(), maxsplit=1)[0] or "-"

    @property
    def speech(self) -> bool:
        squashed = re.sub(r"[^a-z]", "", self.condition.lower())
        return self.meta.get("speech") is not False and not squashed.startswith(("nonspeech", "nospeech"))

    @property
    def clean(self) -> str | None:
        """The id of the clean clip this one is a degraded copy of."""
        return self.meta.get("clean") or None

    @property
    def babble_snr_db(self) -> float | None:
        """Babble's SNR (``snr_db``, else the condition's ``<N> dB``); NaN for babble of unknown SNR, None for
        clips that are no babble."""
        if "babble" not in self.condition.lower():
            return None
        if self.meta.get("snr_db") is not None:
            return float(self.meta["snr_db"])
        m = re.search(r"(-?\d+(?:\.\d+)?)\s*db", self.condition.lower())
        return float(m.group(1)) if m else float("nan")

    @property
    def aligned_by(self) -> str:
        """Where the clip's reference phones came from: ``recording`` (shipped with it, or with the clean clip it
        was made from), ``pocketsphinx``, ``dtw-espeak``, or ``-`` where it has none."""
        source = str(self.meta.get("alignment_source") or "")
        if not self.phones:
            return "-"
        if source.startswith("copied from the clean clip"):
            return "copied"
        return source.split(" ")[0] if source and source != "shipped" else "recording"

    @property
    def arpabet(self) -> bool:
        phone_set = str(self.meta.get("phone_set") or "").lower()
        return phone_set == "arpabet" if phone_set in ("arpabet", "ipa") else is_arpabet(self.phones or [])


def clip_files(folder: Path) -> list[tuple[Path, Path | None]]:
    """Every audio file of ``folder`` (sorted by name) and its JSON sidecar (None when it has none)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: not a folder of real-speech clips")
    files = [(path, path.with_suffix(".json") if path.with_suffix(".json").is_file() else None)
             for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)]
    if not files:
        raise DatasetError(f"{folder}: no audio files ({', '.join(AUDIO_SUFFIXES)})")
    return files


def load_clips(folder: Path) -> list[RealClip]:
    """Every audio file of ``folder`` (sorted by name) with its optional JSON sidecar."""
    clips = []
    for path, meta_path in clip_files(folder):
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path else {}
        clips.append(RealClip(path.stem, path, load_speech(path), meta.get("phones") or None, meta))
    return clips


def select(clips: list[RealClip], split: str) -> list[RealClip]:
    """The clips of ``split`` (``dev``, ``test`` or ``all``; a clip without a split is in ``dev``)."""
    if split not in REAL_SPLITS:
        raise DatasetError(f"unknown real-speech split {split!r} (choose from {', '.join(REAL_SPLITS)})")
    return [c for c in clips if split == "all" or c.split == split]


def _clip_record(clip: RealClip, verts: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int, fps: float,
                 clean: RealClip | None, midpoints: bool = True) -> tuple[dict, dict]:
    """Issue 26's scores (where the head has lip midpoints) and issue 14's of one clip (speech measures only where
    the clip is speech), and the curves for plots (issue 26's; issue 14's without midpoints)."""
    old: dict = {}
    curve: dict = {}
    out: dict = {}
    if clip.speech or not midpoints:
        old, curve = clip_scores(verts, template, lips, up, clip.samples, fps, clip.phones)
    if midpoints:
        scores, curve = target_scores(verts, template, lips, up, clip.samples, 16000, fps, clip.phones,
                                      clip.arpabet, None if clean is None else clean.samples)
        out = {"motion": scores["motion"], "pause_frames": scores["pause_frames"]}
        if clip.speech:
            out.update({k: v for k, v in scores.items() if k not in out})
            snr = clip.babble_snr_db
            if "r_clean" in scores and snr is not None:
                out["babble5_r_clean" if snr >= 5 else "babble_r_clean"] = scores["r_clean"]  # NaN: under 5
    if clip.speech:
        out.update(old)
    return out, curve


def script_timings(clips: list[RealClip]) -> dict[str, ScriptTiming]:
    """Each speech clip's own text placed in its audio (:func:`multanet_core.script.align_script`), by clip name."""
    timings = {}
    for clip in clips:
        if clip.speech and clip.meta.get("text"):
            timings[clip.name] = align_script(clip.samples, clip.meta["text"], str(clip.meta.get("language") or "en"),
                                              clip.name)
    return timings


def evaluate_clips(models: dict[str, dict[str, Checkpoint]], clips: list[RealClip], emotion: str = "neutral",
                   keep_curves: int = 0, sources: list[RealClip] | None = None,
                   scripts: dict[str, ScriptTiming] | None = None,
                   contact: float = 1.0) -> tuple[list[dict], list[dict]]:
    """Per (model, head, clip) scores, and the curves of the first head of each model on the first
    ``keep_curves`` clips (for plots). ``sources``: where degraded copies' clean clips are looked up (default:
    ``clips``). ``scripts`` (:func:`script_timings`): the clips' texts, baked with them (issue 29). ``contact``: the
    Lip Contact strength of every bake."""
    by_name = {c.name: c for c in (sources if sources is not None else clips)}
    missing = sorted({c.clean for c in clips if c.clean and c.clean not in by_name})
    if missing:
        print(f"real speech: clean clips not found, no r_clean for their copies: {', '.join(missing)}",
              file=sys.stderr)
    records, curves = [], []
    for label, heads in models.items():
        for character, ckpt in heads.items():
            anim = Animator(ckpt, character)
            up = AXES[ckpt.up_axis]
            head = anim.head
            try:
                pair: list | None = list(lip_midpoints(head.template, head.lips, up))
            except ValueError as exc:
                print(f"real speech: head {character} of {label}: {exc}; issue 26's measures left out for it",
                      file=sys.stderr)
                pair = None
            mine = []
            for i, clip in enumerate(clips):
                timing = (scripts or {}).get(clip.name)
                verts = anim.vertices(anim.coefficients(clip.samples, ckpt.fps, emotion, contact=contact,
                                                             script=timing))
                scores, curve = _clip_record(clip, verts, head.template, head.lips, up, ckpt.fps,
                                             by_name.get(clip.clean) if clip.clean else None, pair is not None)
                mine.append({"model": label, "character": character, "clip": clip.name, "split": clip.split,
                             "condition": clip.condition, "language": clip.language, "speech": clip.speech,
                             "degraded": bool(clip.clean), "lip_midpoints": pair,
                             "aligned_by": clip.aligned_by, **scores})
                if timing is not None:
                    mine[-1].update(script_trusted=timing.trusted_share, script_warning=timing.warning)
                if i < keep_curves and character == next(iter(heads)):
                    curves.append({"model": label, "character": character, "clip": clip.name, "fps": ckpt.fps,
                                   "phones": clip.phones, "arpabet": clip.arpabet, "closed_below": None if pair
                                   is None else _closed_below(curve["opening"], clip, ckpt.fps),
                                   **{k: np.asarray(v).tolist() for k, v in curve.items()}})
            speech_motion = [r.get("motion") for r, c in zip(mine, clips, strict=True) if c.speech and not c.clean]
            for r in mine:
                if not r["speech"] and pair is not None:
                    r["non_speech_motion"] = motion_ratio(r["motion"], speech_motion)
            records += mine
    return records, curves


def _closed_below(opening: np.ndarray, clip: RealClip, fps: float) -> float | None:
    """The opening under which a centre counts as closed (20 % of the mean vowel-centre opening), for plots."""
    v = centres(clip.phones or [], fps, len(opening), "vowel", clip.arpabet)
    return float(CLOSED_SHARE * opening[v].mean()) if len(v) and opening[v].mean() > 0 else None


def _mean(values: list) -> float | None:
    values = [v for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))]
    return float(np.mean(values)) if values else None


def passes(key: str, value: float | None) -> bool | None:
    """Whether ``value`` meets issue 26's target for ``key`` (None without a value or a target)."""
    if value is None or key not in TARGETS:
        return None
    op, target = TARGETS[key]
    return bool(value >= target if op == ">=" else value <= target)


def summarise(records: list[dict], by: str | None = None) -> dict:
    """Per model (and per ``by``): the mean of each measure over the (clip, head) records where it is defined,
    whether it meets its target (``pass``), and the counts of records and clips."""
    groups = defaultdict(list)
    for r in records:
        groups[(r["model"], r[by] if by else "all")].append(r)
    out: dict = defaultdict(dict)
    for (model, key), rs in groups.items():
        # over all clips, a degraded copy (babble, music bed) counts in its own rows only: its loudness is the
        # noise's as much as the voice's; per condition and per clip it is scored like any clip
        plain = [r for r in rs if not r.get("degraded")] if by is None else rs
        entry: dict = {s: _mean([r.get(s) for r in (rs if s in COPY_MEASURES else plain)])
                       for s in (*MEASURES, *SCORES)}
        entry["pass"] = {k: passes(k, entry[k]) for k in TARGETS}
        entry["records"] = len(rs)
        entry["clips"] = len({r["clip"] for r in rs})
        old_r = [r["r_opening_loudness"] for r in rs if r.get("r_opening_loudness") is not None]
        entry["negative_r_share"] = float(np.mean([v < 0 for v in old_r])) if old_r else None
        out[model][key] = entry
    return dict(out)


def _cell(key: str, value: float | None, mark: bool = True) -> str:
    if value is None:
        return "-"
    text = f"{value:.1%}" if key in PERCENT else f"{value:.3f}"
    ok = passes(key, value) if mark else None
    return text if ok is None else f"{text} {'pass' if ok else 'FAIL'}"


def _target(key: str) -> str:
    if key not in TARGETS:
        return "-"
    op, v = TARGETS[key]
    return f"{op} {v:.0%}" if key in PERCENT else f"{op} {v:g}"


def _group_table(result: dict, section: str, title: str) -> list[str]:
    keys = [k for k in MEASURES if any(result[section][m][g].get(k) is not None
                                       for m in result["models"] for g in result[section].get(m, {}))]
    lines = [f"| {title} | model | clips | " + " | ".join(MEASURES[k][0] for k in keys) + " |",
             "|---|---|---|" + "---|" * len(keys),
             "| target | | | " + " | ".join(_target(k) for k in keys) + " |"]
    groups = sorted({g for m in result["models"] for g in result[section].get(m, {})})
    for g in groups:
        for m in result["models"]:
            e = result[section].get(m, {}).get(g)
            if e is not None:
                lines.append(f"| {g} | {m} | {e['clips']} | " + " | ".join(_cell(k, e.get(k)) for k in keys) + " |")
    return lines


def report(result: dict) -> str:
    models = result["models"]
    lines = [f"# Real speech: {result['data']}, split `{result.get('real_split', 'all')}`", "",
             f"{result['clips']} clips ({result.get('speech_clips', result['clips'])} speech, "
             f"{result['clips_with_phones']} with phone alignments, {result.get('degraded_clips', 0)} degraded "
             f"copies of a clean clip, {result.get('non_speech_clips', 0)} non-speech), every mesh head of every "
             "model; means over (clip, head) pairs. Issue 26's definitions: opening = distance of the upper and "
             "lower lip midpoint vertices minus rest; loudness = RMS dB of the 1/fps window at each frame; pause = "
             "a frame more than 25 dB under the clip's 90th-percentile loudness; pause/speech = mean |frame-to-"
             "frame change of opening| in pauses over that in speech; closed = opening under 20 % of the clip's "
             "mean vowel-centre opening, at P/B/M centres (false closures: at vowel centres); r(opening, clean "
             "loudness) for degraded copies against their clean clip's loudness; non-speech = a non-speech clip's "
             "mean lip motion over that of the speech clips (not degraded copies), same head.", ""]
    if result.get("heads_without_lip_midpoints"):
        lines += ["Heads left out of issue 26's measures (no lip vertex on the midline above and below the mouth): "
                  + ", ".join(result["heads_without_lip_midpoints"]) + ".", ""]
    if result.get("clips_without_split"):
        lines += [f"Clips without a `split`, counted as `dev`: {result['clips_without_split']}.", ""]
    if result.get("script"):
        lines += ["Every speech clip was baked with its own text (`--script`, issue 29); the reference phones are "
                  "the clip's own (see 'By where the reference phones came from').", ""]
        lines += [f"- {w}" for w in result.get("script_warnings", [])] + [""]
    lines += ["## Issue 26's targets", "", "| measure | target | " + " | ".join(models) + " |",
              "|---|---|" + "---|" * len(models)]
    for k, (label, _, _) in MEASURES.items():
        values = [result["overall"][m]["all"].get(k) for m in models]
        if all(v is None for v in values) and k not in TARGETS:
            continue
        lines.append(f"| {label} | {_target(k)} | " + " | ".join(_cell(k, v) for v in values) + " |")
    def cell(v, fmt="{:.2f}"):
        return "-" if v is None else fmt.format(v)

    places = result.get("pause_places") or {}
    if places:
        lines += ["", "## Where the pause frames lie (reference phones; speech clips, not degraded copies)", "",
                  "A pause is any frame 25 dB under the clip's loud level, so a word's own stop and P/B/M closures "
                  "count as pauses, and the lips must move there. Per place: its share of the pause frames, its lip "
                  "motion per frame over speech's, and its share of the pause frames' lip motion.", "",
                  "| place | " + " | ".join(f"{m}: frames / motion vs speech / share of motion" for m in places)
                  + " |", "|---|" + "---|" * len(places)]
        for p in PAUSE_PLACES:
            cells = [" / ".join((cell(e["share"], "{:.1%}"), cell(e["motion_vs_speech"]),
                                 cell(e["motion_share"], "{:.1%}"))) for e in (places[m][p] for m in places)]
            lines.append(f"| {p} | " + " | ".join(cells) + " |")
    lines += ["", "## Per condition", ""] + _group_table(result, "per_condition", "condition")
    lines += ["", "## Per language", ""] + _group_table(result, "per_language", "language")
    lines += ["", "## By where the reference phones came from", ""] + _group_table(result, "per_reference", "reference")
    lines += ["", "## Per clip (mean over heads)", ""] + _group_table(result, "per_clip", "clip")

    lines += ["", "## Issue 14's measures (earlier definitions, as in docs/RESULTS.md before issue 26)", "",
              "r = correlation of mouth opening (the lips' vertical extent) with loudness (40 ms windows); "
              "pause/speech = lip displacement in pauses (alignment silences, else quiet runs of 150 ms) over "
              "that in speech; P/B/M = opening at bilabial centres over opening at vowel centres; closed = share "
              "of bilabials under 20 % of the vowel opening; jerk in m/s³.", "",
              "| model | r | clip/head pairs with r < 0 | pause/speech | P/B/M / vowel | P/B/M closed | jerk |",
              "|---|---|---|---|---|---|---|"]
    for model in models:
        e = result["overall"][model]["all"]
        lines.append(f"| {model} | {cell(e['r_opening_loudness'])} | {cell(e['negative_r_share'], '{:.0%}')} | "
                     f"{cell(e['pause_speech_motion'])} | {cell(e['pbm_vowel_opening'])} | "
                     f"{cell(e['pbm_closed_share'], '{:.0%}')} | {cell(e['jerk'], '{:.3g}')} |")
    lines += ["", "| clip | " + " | ".join(f"r {m} | pause/speech {m} | P/B/M {m}" for m in models) + " |",
              "|---|" + "---|---|---|" * len(models)]
    for clip in sorted({r["clip"] for r in result["records"]}):
        cells = []
        for m in models:
            e = result["per_clip"][m].get(clip, {})
            cells += [cell(e.get("r_opening_loudness")), cell(e.get("pause_speech_motion")),
                      cell(e.get("pbm_vowel_opening"))]
        lines.append(f"| {clip} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(curves: list[dict], folder: Path) -> list[Path]:
    """Mouth opening (issue 26's: lip midpoints) against loudness over time, pauses shaded, P/B/M and vowel
    centres marked, and the opening under which a centre counts as closed dashed."""
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
        if c.get("closed_below") is not None:
            ax.axhline(c["closed_below"] * 1000, color="C3", lw=0.6, ls="--")
        ax.set_ylabel("opening (mm)")
        ax2 = ax.twinx()
        ax2.plot(t, c["loudness_db"], "C1", lw=0.8, alpha=0.8, label="loudness (dBFS)")
        ax2.set_ylabel("dBFS")
        for start, end, phone in c["phones"] or []:
            cls = centre_class(phone, c.get("arpabet", False))
            if cls in ("bilabial", "vowel"):
                ax.axvline((float(start) + float(end)) / 2, color="C3" if cls == "bilabial" else "C2",
                           lw=0.8 if cls == "bilabial" else 0.3, alpha=0.8)
                if cls == "bilabial":
                    ax.text((float(start) + float(end)) / 2, 1.0, str(phone), color="C3", fontsize=6,
                            transform=ax.get_xaxis_transform(), ha="center", va="bottom")
        ax.set_xlabel("s")
        ax.set_title(f"{c['model']} / {c['character']}: {c['clip']} (red: P/B/M, green: vowels, dashed: 20 % of "
                     "vowel opening)", fontsize=9)
        path = folder / f"real_{c['model']}_{c['clip']}.png"
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    return written


def run(models: dict[str, dict[str, Checkpoint]], data: Path, emotion: str, plots: Path | None,
        split: str = "dev", script: bool = False, contact: float = 1.0) -> dict:
    everything = load_clips(data)
    clips = select(everything, split)
    if not clips:
        raise DatasetError(f"{data}: no clips in the real-speech split {split!r} (of {len(everything)}: "
                           f"{', '.join(f'{s} {n}' for s, n in sorted(Counter(c.split for c in everything).items()))})")
    if split == "test":
        print("real speech: scoring the locked test split (score it once per shipped model)", file=sys.stderr)
    scripts = script_timings(clips) if script else None
    records, curves = evaluate_clips(models, clips, emotion, keep_curves=len(clips) if plots else 0,
                                     sources=everything, scripts=scripts, contact=contact)
    result = {"split": "real", "real_split": split, "lip_contact": contact, "data": str(data), "emotion": emotion,
              "models": list(models),
              "clips": len(clips), "clips_with_phones": sum(c.phones is not None for c in clips),
              "speech_clips": sum(c.speech for c in clips), "non_speech_clips": sum(not c.speech for c in clips),
              "degraded_clips": sum(bool(c.clean) for c in clips),
              "clips_without_split": sum("split" not in c.meta for c in clips),
              "heads_without_lip_midpoints": sorted({f"{r['model']}/{r['character']}" for r in records
                                                     if r["lip_midpoints"] is None}),
              "targets": {k: {"label": MEASURES[k][0], "op": op, "value": v} for k, (op, v) in TARGETS.items()},
              "overall": summarise(records), "per_condition": summarise(records, "condition"),
              "per_language": summarise(records, "language"), "per_clip": summarise(records, "clip"),
              "per_reference": summarise(records, "aligned_by"), "script": script,
              "script_warnings": sorted({r["script_warning"] for r in records if r.get("script_warning")}),
              "pause_places": {m: pooled_pause_places([r["pause_places"] for r in records if r["model"] == m
                                                       and r.get("pause_places") and not r["degraded"]])
                               for m in models if any(r.get("pause_places") for r in records if r["model"] == m)},
              "records": records}
    if plots:
        result["plots"] = [str(p) for p in plot(curves, plots)]
    return result

