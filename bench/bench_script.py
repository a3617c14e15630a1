"""A line's script (issue 29): how fast a text is placed in 60 s of speech, and what wrong texts do.

Speed: ``align_script`` (espeak-ng reads the words, pocketsphinx places their phones and listens for them) on
60 s of real speech (the LibriVox clips of data/real_speech and their texts, repeated), against real time;
the budget is 2x real time.

Wrong texts, on data/real_speech's clips of one split (``--split``, default dev) that have a text and phones
and are not degraded copies: each is baked with the bundled model (the first ``--heads`` mesh heads) from its
audio alone, with its own text, with its words shuffled, with another clip's text in its language, and with
another language's text. Printed: the share of lines that warn (the right text should not, a wrong one
always), and P/B/M closed and vowels closed (false closures) against the clip's reference phones, each beside
the audio-only bake of the same clips, measured side by side.

Run: python bench/bench_script.py [--split dev] [--heads 3]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from multanet_core.checkpoint import load_checkpoint  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from multanet_core.script import align_script  # noqa: E402
from train.evaluate_real import load_clips, select  # noqa: E402
from train.speech_metrics import closures, lip_opening  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..")
REAL = os.path.join(ROOT, "data", "real_speech")
MODEL = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
LIBRIVOX = ("0870", "0880", "0890", "0920", "0930")


def speed() -> None:
    clips = {c.name: c for c in load_clips(REAL)}
    parts = [clips[f"librivox_sns01_{n}"] for n in LIBRIVOX]
    audio, text = [], []
    while sum(len(a) for a in audio) < 60 * 16000:
        for c in parts:
            audio.append(c.samples)
            text.append(c.meta["text"])
    cut = sum(len(a) for a in audio) - 60 * 16000
    # the last clip cut to fit 60 s, and its text with it (by the share of its words that fit)
    last_words = text[-1].split()
    text[-1] = " ".join(last_words[: int(len(last_words) * (1 - cut / len(audio[-1])))])
    audio[-1] = audio[-1][: len(audio[-1]) - cut]
    samples, words = np.concatenate(audio), " ".join(text)
    t0 = time.perf_counter()
    timing = align_script(samples, words, "en-us", "60 s")
    took = time.perf_counter() - t0
    print(f"align_script on 60 s of real speech ({len(words.split())} words): {took:.2f} s = {took / 60:.3f}x real "
          f"time (budget 2x: {took / 120:.3f} of it); {100 * timing.trusted_share:.0f} % of its phones trusted"
          f"{'; ' + timing.warning if timing.warning else ''}")


def wrong_texts(split: str, heads: int) -> None:
    everything = load_clips(REAL)
    clips = [c for c in select(everything, split) if c.speech and not c.clean and c.meta.get("text") and c.phones]
    rng = random.Random(0)
    ckpt = load_checkpoint(MODEL)
    animators = [Animator(ckpt, h.name) for h in ckpt.mesh_heads[:heads]]
    up = "XYZ".index(ckpt.up_axis)
    kinds = ("audio only", "right text", "shuffled words", "another line", "another language")
    warned = {k: [] for k in kinds}
    scores = {k: [] for k in kinds}
    for clip in clips:
        lang = str(clip.meta["language"])
        words = clip.meta["text"].split()
        shuffled = words[:]
        for _ in range(20):
            rng.shuffle(shuffled)
            if shuffled != words:
                break
        same = [c for c in clips if c.language == clip.language and c.meta["text"] != clip.meta["text"]]
        other = [c for c in clips if c.language != clip.language]
        texts = {"right text": (clip.meta["text"], lang),
                 "shuffled words": (" ".join(shuffled), lang) if shuffled != words else None,
                 "another line": (rng.choice(same).meta["text"], lang) if same else None,
                 "another language": (lambda o: (o.meta["text"], str(o.meta["language"])))(rng.choice(other))}
        timings: dict = {"audio only": None}
        for kind, given in texts.items():
            if given is not None:
                timings[kind] = align_script(clip.samples, given[0], given[1], clip.name)
                warned[kind].append(bool(timings[kind].warning))
        for anim in animators:
            for kind, timing in timings.items():
                coeffs = anim.coefficients(clip.samples, ckpt.fps, script=timing)
                opening = lip_opening(anim.vertices(coeffs), anim.head.template, anim.head.lips, up)
                found = closures(opening, clip.phones, ckpt.fps, clip.arpabet)
                if found:
                    scores[kind].append((found["closed"], found["false_closures"]))
    print(f"{len(clips)} {split} clips with a text and phones, {len(animators)} heads of the bundled model:")
    base = np.mean(scores["audio only"], axis=0)
    for kind in kinds:
        closed, false = np.mean(scores[kind], axis=0)
        warn = f"warned on {np.mean(warned[kind]):6.1%} of {len(warned[kind])} lines" if warned[kind] else " " * 30
        print(f"  {kind:16s} {warn}   P/B/M closed {closed:6.1%} ({closed / base[0]:.2f}x audio only)   "
              f"false closures {false:5.1%} (audio only {base[1]:.1%})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="dev", choices=("dev", "test"))
    parser.add_argument("--heads", type=int, default=3)
    args = parser.parse_args()
    speed()
    wrong_texts(args.split, args.heads)
