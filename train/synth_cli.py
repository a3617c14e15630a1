"""``python -m train synth --out DIR``: generate the synthetic speech-and-face corpus (folder format)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _codes(text: str | None) -> list[str] | None:
    return None if text is None else [x.strip() for x in text.split(",") if x.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from train.synth.text import HELDOUT_LANGUAGES, NEW_HELDOUT_LANGUAGES, TRAIN_LANGUAGES

    parser.add_argument("--out", type=Path, required=True, help="output folder (folder format)")
    parser.add_argument("--characters", type=int, default=14, help="number of characters (identity fixed by index)")
    parser.add_argument("--sentences", type=int, default=40,
                        help="English sentences per character (BIWI split: 1-32 train, 33-36 val, 37-40 test)")
    parser.add_argument("--languages", default=None,
                        help="comma-separated training languages (default: " + ",".join(TRAIN_LANGUAGES) + "); "
                             "without --heldout, any of the default held-out languages listed here is held out "
                             "(so the old 'en,ko,cmn,ja' still means English plus three unseen languages), and so "
                             "is any of the new held-out set " + ",".join(NEW_HELDOUT_LANGUAGES) + ", which no "
                             "default corpus speaks")
    parser.add_argument("--heldout", default=None,
                        help="comma-separated held-out languages, test only in unseen_language (default: "
                             + ",".join(HELDOUT_LANGUAGES) + "); '' for none")
    parser.add_argument("--fps", type=float, default=30.0, help="motion frames per second")
    parser.add_argument("--seed", type=int, default=0, help="chooses the sentences and the prosody jitter, "
                                                             "never the characters")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--train-sentences", type=int, default=2,
                        help="train sentences per character for each training language other than English "
                             "(plus one val and one test sentence per language)")
    parser.add_argument("--foreign-sentences", type=int, default=4,
                        help="sequences per character for each held-out (unseen) language")
    parser.add_argument("--cross-voice", type=int, default=None,
                        help="cross-voice test sequences per character (default: one per test sentence)")
    parser.add_argument("--shifted-voice", type=int, default=4,
                        help="shifted-voice test sequences per English test sentence: 0-4 of slow (rate -40), "
                             "fast (+40), low (pitch -20), high (+20)")
    parser.add_argument("--prosody-jitter", type=float, default=1.0,
                        help="scale of the per-sequence training prosody jitter (1: rate +-40 wpm, pitch +-20, "
                             "pitch range +-20; 0: none)")
    parser.add_argument("--neural-sentences", type=int, default=16,
                        help="English train sentences per character spoken again by a neural voice (Piper / Kokoro)")
    parser.add_argument("--neural-foreign", type=int, default=2,
                        help="train sentences per character in a Kokoro language (es/fr/it/pt) spoken by Kokoro")
    parser.add_argument("--neural-test", type=int, default=4,
                        help="English test sentences per character in the neural_voice split")
    parser.add_argument("--extra-sentences", type=int, default=0,
                        help="English train-only sentences per character beyond --sentences (a different set for "
                             "each character), each spoken by the character's voice and by a neural voice")
    parser.add_argument("--only-splits", default=None,
                        help="comma-separated splits to write, the rest left out (default: all); an evaluation "
                             "corpus of held-out languages: test,unseen_language (docs/DATA.md)")
    parser.add_argument("--expressions", action="store_true",
                        help="give every sequence an expression (neutral, happy, sad, angry, surprised, afraid, "
                             "disgusted) with a per-frame label and intensity in its json, heard in the voice half "
                             "of the time, and speak some train lines again with another one (docs/DATA.md)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from train.synth.corpus import SPLIT_DESCRIPTIONS, generate, resolve_languages

    try:
        resolve_languages(_codes(args.languages), _codes(args.heldout))
        only = _codes(args.only_splits)
        unknown = sorted(set(only or ()) - set(SPLIT_DESCRIPTIONS))
        if unknown or only == []:
            raise ValueError(f"--only-splits: unknown split(s) {unknown or [args.only_splits]}; known: "
                             + ", ".join(SPLIT_DESCRIPTIONS))
    except ValueError as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    summary = generate(args.out, n_characters=args.characters, n_sentences=args.sentences,
                       languages=_codes(args.languages), heldout=_codes(args.heldout), fps=args.fps, seed=args.seed,
                       jobs=args.jobs, foreign_sentences=args.foreign_sentences, cross_voice=args.cross_voice,
                       train_sentences=args.train_sentences, shifted_voice=args.shifted_voice,
                       jitter=args.prosody_jitter, neural_sentences=args.neural_sentences,
                       neural_foreign=args.neural_foreign, neural_test=args.neural_test,
                       extra_sentences=args.extra_sentences, only_splits=only, progress=not args.quiet,
                       expressions=args.expressions)
    print(json.dumps(summary), file=sys.stderr)
    return 0
