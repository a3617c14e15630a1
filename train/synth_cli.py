"""``python -m train synth --out DIR``: generate the synthetic speech-and-face corpus (folder format)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output folder (folder format)")
    parser.add_argument("--characters", type=int, default=14, help="number of characters (identity fixed by index)")
    parser.add_argument("--sentences", type=int, default=40,
                        help="English sentences per character (BIWI split: 1-32 train, 33-36 val, 37-40 test)")
    parser.add_argument("--languages", default="en,ko,cmn,ja",
                        help="comma-separated: en (train/val/test) and unseen test languages ko, cmn, ja")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0, help="chooses the sentences, never the characters")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--foreign-sentences", type=int, default=10,
                        help="sequences per character for each unseen language")
    parser.add_argument("--cross-voice", type=int, default=None,
                        help="cross-voice test sequences per character (default: one per test sentence)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from train.synth.corpus import generate

    languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    summary = generate(args.out, n_characters=args.characters, n_sentences=args.sentences, languages=languages,
                       fps=args.fps, seed=args.seed, jobs=args.jobs, foreign_sentences=args.foreign_sentences,
                       cross_voice=args.cross_voice, progress=not args.quiet)
    print(json.dumps(summary), file=sys.stderr)
    return 0
