"""Forced alignment (multanet_core/align.py): how often an aligned P/B/M lands inside the real one, and how fast.

Accuracy: on data/real_speech's English clips whose alignment came with the recording or from pocketsphinx's
dictionary (not an espeak-ng aligner's own, and no degraded copy of a clip), the share of reference P/B/M (and
vowel) phones that hold the centre of an aligned phone of the same class (+-20 ms), for pocketsphinx on
espeak-ng's phones (``align_phonetic``, any language) and the espeak-ng DTW aligner, against their baseline, the
same phones spread evenly over the speech (what a tool without an aligner does). ``--split dev`` scores the dev
clips only.
Speed: 60 s of real speech (the LibriVox clips and their texts, repeated) against real time (issue 29's
budget: 2x real time), for each aligner.

Run: python bench/bench_align.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from bench.common import best_of, cli  # noqa: E402
from multanet_core.align import RATE, align_dtw, align_phonetic  # noqa: E402
from multanet_core.audio import load_speech  # noqa: E402
from train.speech_metrics import phone_class  # noqa: E402

REAL = Path(__file__).resolve().parents[1] / "data" / "real_speech"


def _hits(reference, aligned, cls, slack=0.02):
    got = np.asarray([(float(s) + float(e)) / 2 for s, e, p in aligned if phone_class(str(p)) == cls])
    return [bool(len(got) and np.any((got >= float(s) - slack) & (got <= float(e) + slack)))
            for s, e, p in reference if phone_class(str(p)) == cls]


def _spread(phones):
    spoken = [p for p in phones if p[2] != "_"]
    t = np.linspace(spoken[0][0], spoken[-1][1], len(spoken) + 1)
    return [[t[i], t[i + 1], p[2]] for i, p in enumerate(spoken)]


def main(split: str | None) -> None:
    scores = {(m, c): [] for m in ("phonetic", "dtw", "even") for c in ("bilabial", "vowel")}
    names = []
    for meta_path in sorted(REAL.glob("*.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not (meta.get("phones") and meta.get("text") and str(meta.get("language", "")).startswith("en")):
            continue
        if "dtw" in str(meta.get("alignment_source")) or meta.get("clean") or split not in (None, meta.get("split")):
            continue  # a reference made by this aligner, or a degraded copy of a clip already counted
        samples = load_speech(meta_path.with_suffix(".flac"))
        language = "en" if "GB" in meta["language"] else "en-us"
        a = align_dtw(samples, RATE, meta["text"], language)
        p = align_phonetic(samples, RATE, meta["text"], language)
        for cls in ("bilabial", "vowel"):
            scores[("phonetic", cls)] += _hits(meta["phones"], p.phones, cls)
            scores[("dtw", cls)] += _hits(meta["phones"], a.phones, cls)
            scores[("even", cls)] += _hits(meta["phones"], _spread(a.phones), cls)
        names.append(meta_path.stem)
    print(f"Reference phones holding an aligned centre (+-20 ms), {len(names)} English clips:")
    for cls in ("bilabial", "vowel"):
        ph, dtw, even = (np.mean(scores[(m, cls)]) for m in ("phonetic", "dtw", "even"))
        print(f"  {cls:8s} ({len(scores[('dtw', cls)]):3d}): pocketsphinx on espeak-ng's phones {ph:5.1%}   "
              f"espeak-ng DTW {dtw:5.1%}   spread evenly {even:5.1%}   ratio {ph / max(even, 1e-9):.2f}x and "
              f"{dtw / max(even, 1e-9):.2f}x")
    clips = [(load_speech(REAL / f"librivox_sns01_{n}.flac"),
              json.loads((REAL / f"librivox_sns01_{n}.json").read_text(encoding="utf-8"))["text"])
             for n in ("0870", "0880", "0890", "0920", "0930")]
    audio, text = [], []
    while sum(len(a) for a in audio) < 60 * RATE:
        for samples, words in clips:
            audio.append(samples)
            text.append(words)
    long_audio = np.concatenate(audio)[: 60 * RATE]
    long_text = " ".join(text)[: int(len(" ".join(text)) * 60 * RATE / sum(len(a) for a in audio))]
    for name, aligner in (("pocketsphinx on espeak-ng's phones", align_phonetic), ("espeak-ng DTW", align_dtw)):
        seconds, _ = best_of(lambda aligner=aligner: aligner(long_audio, RATE, long_text, "en-us"), 2)
        print(f"Align 60 s of real speech, {name}: {seconds:.2f} s = {seconds / 60:.3f}x real time "
              f"(budget 2x real time: {seconds / 60 / 2:.3f} of it)")


if __name__ == "__main__":
    cli(__doc__, [a for a in sys.argv[1:] if a in ("-h", "--help")])
    main(sys.argv[sys.argv.index("--split") + 1] if "--split" in sys.argv else None)
