"""How much of each language's phonology the generated sentences make espeak-ng speak.

``python -m train.synth.coverage [--sentences 42] [--languages de,fr,...] [--seed 0]`` prints, per
language, the distinct phonemes (espeak-ng's IPA, stress marks removed), the distinct base symbols,
and how many segments fall in each articulation class; every phoneme must map to an articulation
target (an unknown symbol raises). Training languages must make the lips close (bilabial), touch
the teeth (labiodental), round and open the jaw (``REQUIRED_CLASSES``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

from .articulation import _base, phoneme_class, phoneme_targets
from .espeak import Voice, synthesize
from .text import ESPEAK_LANGUAGE, HELDOUT_LANGUAGES, TRAIN_LANGUAGES, sentences

REQUIRED_CLASSES = ("bilabial", "labiodental", "rounded", "open")
VOICE = Voice("m3", 45, 50, 170)


def speak_phonemes(language: str, text: str, voice: Voice = VOICE) -> list[str]:
    """The phonemes espeak-ng speaks for ``text``; raises if it leaves the language or a symbol is unknown."""
    utt = synthesize(text, ESPEAK_LANGUAGE[language], voice)
    if utt.language_switches:
        raise RuntimeError(f"espeak-ng left {language} ({' '.join(utt.language_switches)}) reading {text!r}")
    spoken = [p for _, _, p in utt.phonemes if _base(p)]
    for p in spoken:
        phoneme_targets(p)
    return spoken


def summarise(phonemes: list[str]) -> dict:
    stripped = Counter(p.replace("ˈ", "").replace("ˌ", "") for p in phonemes)
    symbols = {c for p in stripped for c in _base(p)}
    return {"segments": len(phonemes), "phonemes": len(stripped), "symbols": len(symbols),
            "classes": dict(sorted(Counter(phoneme_class(p) for p in phonemes).items()))}


def coverage(language: str, count: int, seed: int = 0) -> dict:
    return summarise([p for text in sentences(language, count, seed) for p in speak_phonemes(language, text)])


def _one(args):
    return args[0], coverage(*args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.synth.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(TRAIN_LANGUAGES + HELDOUT_LANGUAGES))
    parser.add_argument("--sentences", type=int, default=42, help="sentences per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    langs = [x.strip() for x in args.languages.split(",") if x.strip()]
    with ProcessPoolExecutor(args.jobs) as ex:
        result = dict(ex.map(_one, [(lang, args.sentences, args.seed) for lang in langs]))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    classes = ["bilabial", "labiodental", "labiovelar", "rounded", "open", "vowel", "postalveolar"]
    print(f"{'lang':5} {'phonemes':>8} {'symbols':>7} " + " ".join(f"{c[:8]:>8}" for c in classes) + "  missing")
    missing_any = False
    for lang, r in result.items():
        missing = [c for c in REQUIRED_CLASSES if not r["classes"].get(c)]
        missing_any |= bool(missing) and lang in TRAIN_LANGUAGES
        print(f"{lang:5} {r['phonemes']:8d} {r['symbols']:7d} "
              + " ".join(f"{r['classes'].get(c, 0):8d}" for c in classes) + "  " + ",".join(missing))
    return 1 if missing_any else 0


if __name__ == "__main__":
    sys.exit(main())
