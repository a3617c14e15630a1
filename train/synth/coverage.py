"""How much of each language's phonology the generated sentences make espeak-ng speak.

``python -m train.synth.coverage [--sentences 42] [--languages de,fr,...] [--seed 0]`` prints, per
language, the distinct phonemes (espeak-ng's IPA, stress marks removed), the distinct base symbols,
and how many segments fall in each articulation class; every phoneme must map to an articulation
target (an unknown symbol raises). Training languages must make the lips close (bilabial), touch
the teeth (labiodental), round and open the jaw (``REQUIRED_CLASSES``).

``python -m train.synth.coverage --all-espeak [--voices ine/hy,...]`` goes over every language voice
of the bundled espeak-ng (``espeak_ListVoices``), not only the corpus's: it speaks the corpus
sentences where the corpus has the language, numbers, pseudo-words and the letters of every script
the voice reads (``SCRIPTS``), and every phoneme of the voice's phoneme table as phoneme input, alone
and between vowels. It lists the symbols of the phonemes espeak-ng emitted that have no
articulation target, and fails if there is any.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
import zlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from multanet_core.espeak import (
    EspeakError,
    EspeakVoice,
    Voice,
    has_dictionary,
    list_voices,
    synthesize,
    voice_phonemes,
)

from .articulation import UnknownPhonemeError, _base, phoneme_class, phoneme_targets
from .text import ESPEAK_LANGUAGE, HELDOUT_LANGUAGES, TRAIN_LANGUAGES, mandarin_sentence, sentences

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


# --- every language of espeak-ng

ALL_VOICE = Voice("", 50, 50, 450)  # espeak-ng's fastest rate: the phonemes are wanted, not the sound


def _chars(ranges, categories) -> str:
    return "".join(chr(c) for a, b in ranges for c in range(a, b + 1) if unicodedata.category(chr(c)) in categories)


def _script(ranges, vowels: str = "", probe: str = "", letters=("Ll", "Lo", "Lu"), extra: str = ""):
    """(letters, combining signs, vowel letters, plain words to probe whether a voice reads the script).

    An alphabet (``vowels`` given) has no signs: Cyrillic's combining titlo and the like are not letters."""
    marks = "" if vowels else _chars(ranges, ("Mn", "Mc"))
    return _chars(ranges, letters) + extra, marks, vowels, tuple(probe.split())


# every script an espeak-ng voice reads: its letters (lower case where it has cases) and vowel signs
SCRIPTS = {
    # Vietnamese reads only "ma", the pinyin voices "ma1"; ʻ is Hawaiian's ʻokina
    "latin": _script([(0x61, 0x7A), (0xDF, 0xFF), (0x100, 0x24F)], "aeiouyæøœəɛɔıɨ", "mama ma ma1", ("Ll",), "ʻ"),
    "greek": _script([(0x3AC, 0x3CE), (0x1F00, 0x1FFF)], "αεηιουω", "μάμα", ("Ll",)),
    "cyrillic": _script([(0x430, 0x4FF)], "аеиоуыэюяєіәөүұ", "мама", ("Ll",)),
    "armenian": _script([(0x561, 0x587)], "աեէըիոօ", "մամա", ("Ll",)),
    "georgian": _script([(0x10D0, 0x10FA)], "აეიოუ", "მამა", ("Ll",)),
    "hebrew": _script([(0x5D0, 0x5EA)], probe="אמא"),
    "arabic": _script([(0x620, 0x64A), (0x64B, 0x652), (0x671, 0x6D3)], probe="ماما"),
    "devanagari": _script([(0x900, 0x97F)], probe="माता"),
    "bengali": _script([(0x980, 0x9FF)], probe="মা"),
    "gurmukhi": _script([(0xA00, 0xA7F)], probe="ਮਾਂ"),
    "gujarati": _script([(0xA80, 0xAFF)], probe="મા"),
    "oriya": _script([(0xB00, 0xB7F)], probe="ମା"),
    "tamil": _script([(0xB80, 0xBFF)], probe="அம்மா"),
    "telugu": _script([(0xC00, 0xC7F)], probe="అమ్మ"),
    "kannada": _script([(0xC80, 0xCFF)], probe="ಅಮ್ಮ"),
    "malayalam": _script([(0xD00, 0xD7F)], probe="അമ്മ"),
    "sinhala": _script([(0xD80, 0xDFF)], probe="අම්මා"),
    "thai": _script([(0xE01, 0xE4E)], probe="แม่"),
    "myanmar": _script([(0x1000, 0x109F)], probe="မေမေ ၵႃႈ"),  # Burmese, Shan
    "ethiopic": _script([(0x1200, 0x137C)], probe="እናት"),
    "cherokee": _script([(0x13A0, 0x13F5)], probe="ᎠᏥ"),
    "shavian": _script([(0x10450, 0x1047F)], probe="𐑥𐑭𐑥𐑩"),
    "hangul": ("".join(chr(0xAC00 + (lead * 21 + vowel) * 28) for lead in range(19) for vowel in range(21))
               + "".join(chr(0xAC00 + tail) for tail in range(1, 28)), "", "", ("엄마",)),
    "kana": _script([(0x3041, 0x3096), (0x30A1, 0x30FA)], probe="はは"),
    "han": ("", "", "", ("妈妈",)),  # common Hanzi, from the corpus's Mandarin generator
}
# numbers; espeak-ng 1.52's Greenlandic (kl) crashes with a segmentation fault on 0, 8, 28, 38... 98, 108, 128
NUMBERS = "1 2 3 4 5 6 7 9 10 11 12 13 14 15 16 17 18 19 20 21 30 42 57 69 79 80 99 100 101 365 1000 2024 1000000"


def _clauses(words: list[str]) -> list[str]:
    """Words as utterances of up to 24 words, with a comma every 6 (espeak-ng reads clause by clause)."""
    out = []
    for i in range(0, len(words), 24):
        chunk = words[i:i + 24]
        out.append(", ".join(" ".join(chunk[k:k + 6]) for k in range(0, len(chunk), 6)) + ".")
    return out


def script_texts(script: str, seed: int = 0) -> list[str]:
    """Deterministic text that uses every letter and sign of ``script``: pseudo-words, then the letters
    one by one (which espeak-ng names, with the language's own letter names)."""
    letters, marks, vowels, _ = SCRIPTS[script]
    rng = np.random.default_rng([seed, zlib.crc32(script.encode())])
    if script == "han":
        return [mandarin_sentence(rng) for _ in range(8)]
    order = [letters[int(i)] for i in rng.permutation(len(letters))]
    if vowels:  # an alphabet: consonant-vowel syllables, two to a word
        is_vowel = [unicodedata.normalize("NFD", c)[0] in vowels for c in order]
        vs = [c for c, v in zip(order, is_vowel, strict=True) if v]
        cs = [c for c, v in zip(order, is_vowel, strict=True) if not v]
        n = max(len(cs), len(vs))
        syllables = [cs[i % len(cs)] + vs[i % len(vs)] for i in range(n)]
    else:  # abjads, abugidas and syllabaries: letters, every other one with a sign
        signs = [marks[int(i)] for i in rng.permutation(len(marks))] if marks else []
        n = max(len(order), 2 * len(signs))
        syllables = [order[i % len(order)] + (signs[(i // 2) % len(signs)] if signs and i % 2 == 0 else "")
                     for i in range(n)]
    words = ["".join(syllables[i:i + 2]) for i in range(0, len(syllables), 2)]
    spelled = [c for c in letters if script != "hangul"]  # Hangul syllables are words already
    return _clauses(words) + _clauses(spelled)


def table_texts(identifier: str, per_utterance: int = 40) -> list[str]:
    """Every sounding phoneme of the voice's phoneme table as phoneme input, alone and between vowels."""
    mnemonics = [m for m in voice_phonemes(identifier) if not any(c in m for c in "|[] ")]
    words = [w for m in mnemonics for w in (m, f"a|{m}|a")]
    return ["[[" + " ".join(words[i:i + per_utterance]) + "]]" for i in range(0, len(words), per_utterance)]


def reads(identifier: str, script: str) -> bool:
    """Whether espeak-ng voice ``identifier`` reads ``script``: one of the script's probe words comes out
    as a word of the voice's own language, not as another language and not spelt out letter by letter
    (names of letters: a stress on most of them, or pauses between them; English names Greek, Hebrew,
    Thai... letters without leaving English)."""
    for probe in SCRIPTS[script][3]:
        utt = synthesize(probe, identifier, ALL_VOICE)
        spoken = [p for _, _, p in utt.phonemes]
        while spoken and not _base(spoken[0]):
            spoken.pop(0)
        while spoken and not _base(spoken[-1]):
            spoken.pop()
        sounds = [p for p in spoken if _base(p)]
        if (not utt.language_switches and 0 < len(sounds) <= 3 * len(probe) and len(sounds) == len(spoken)
                and sum("ˈ" in p for p in sounds) <= 2):
            return True
    return False


def _corpus_language(voice: EspeakVoice) -> str | None:
    """The corpus's language that the voice speaks (``fr`` for ``roa/fr``, ``fr-BE`` and ``fr-CH``), if any."""
    return next((lang for lang, name in ESPEAK_LANGUAGE.items() if name in voice.languages), None)


def espeak_voice_coverage(voice: EspeakVoice, seed: int = 0, corpus_sentences: int = 8, scripts: bool = True) -> dict:
    """What espeak-ng voice ``voice`` emits for the corpus sentences (where the corpus has its language),
    numbers, every script it reads (``scripts=False``: not these, the slow part) and its phoneme table;
    with every symbol that has no articulation target (``unknown``) and what espeak-ng failed on."""
    phonemes: Counter = Counter()
    from_text: set[str] = set()  # the phonemes that text (not only phoneme input) made espeak-ng emit
    switches: set[str] = set()
    failures: list[str] = []  # what espeak-ng failed or crashed on (its bugs: reported, not fatal)

    def speak(text: str, phoneme_input: bool = False) -> bool:
        try:
            utt = synthesize(text, voice.identifier, ALL_VOICE, phoneme_input=phoneme_input)
        except EspeakError:
            failures.append(text)
            return False
        switches.update(utt.language_switches)
        spoken = [p for _, _, p in utt.phonemes if _base(p)]
        phonemes.update(spoken)
        if not phoneme_input:
            from_text.update(spoken)
        return True

    language = _corpus_language(voice)
    speaks = has_dictionary(voice.identifier)  # without its dictionary a voice says nothing (fo, kaa...)
    texts = sentences(language, corpus_sentences, seed) if language else []
    for text in [NUMBERS, *texts] if speaks else []:
        speak(text)
    read = [script for script in SCRIPTS if scripts and speaks and reads(voice.identifier, script)]
    for script in read:
        for text in script_texts(script, seed):
            speak(text)
    for text in table_texts(voice.identifier) if speaks else []:
        if not speak(text, phoneme_input=True):  # one phoneme at a time: all but the one it fails on
            failures.pop()
            for word in text[2:-2].split():
                speak(f"[[{word}]]", phoneme_input=True)
    unknown: dict[str, str] = {}
    for p in phonemes:
        try:
            phoneme_targets(p)
        except UnknownPhonemeError:
            for ch in _base(p):
                try:
                    phoneme_targets(ch)
                except UnknownPhonemeError:
                    unknown.setdefault(ch, p)
    return {"voice": voice.identifier, "name": voice.name, "corpus_language": language, "speaks": speaks,
            "scripts": read, "switches": sorted(switches), "failures": failures, "segments": sum(phonemes.values()),
            "phonemes": dict(sorted(phonemes.items())), "symbols": sorted({c for p in phonemes for c in _base(p)}),
            "text_symbols": sorted({c for p in from_text for c in _base(p)}), "unknown": unknown}


def all_espeak(voices: list[str] | None = None, jobs: int = 2, seed: int = 0, scripts: bool = True) -> dict[str, dict]:
    """``espeak_voice_coverage`` of every espeak-ng voice (or those whose identifier or language is listed)."""
    listed = list_voices()
    if voices:
        wanted = set(voices)
        listed = [v for v in listed if v.identifier in wanted or wanted & set(v.languages)]
    n = len(listed)
    with ProcessPoolExecutor(jobs) as ex:
        return {r["voice"]: r for r in ex.map(espeak_voice_coverage, listed, [seed] * n, [8] * n, [scripts] * n)}


def _main_all(args) -> int:
    start = time.monotonic()
    voices = [x.strip() for x in args.voices.split(",") if x.strip()] if args.voices else None
    result = all_espeak(voices, args.jobs, args.seed)
    elapsed = time.monotonic() - start
    phonemes = {p for r in result.values() for p in r["phonemes"]}
    symbols = sorted({c for r in result.values() for c in r["symbols"]})
    from_text = {c for r in result.values() for c in r["text_symbols"]}
    unknown = {c: f"{p} ({voice})" for voice, r in result.items() for c, p in r["unknown"].items()}
    if args.json:
        print(json.dumps({"voices": result, "symbols": symbols, "unknown": unknown, "seconds": round(elapsed, 1)},
                         ensure_ascii=False))
        return 1 if unknown else 0
    print(f"{'voice':22} {'phonemes':>8} {'symbols':>7}  scripts; symbols without a target")
    for voice, r in result.items():
        print(f"{voice:22} {len(r['phonemes']):8d} {len(r['symbols']):7d}  {','.join(r['scripts']) or '-'}"
              + ("; " + " ".join(r["unknown"]) if r["unknown"] else ""))
    silent = [voice for voice, r in result.items() if not r["speaks"]]
    print(f"{len(result)} espeak-ng voices ({len(silent)} without a dictionary, silent: {', '.join(silent) or '-'}), "
          f"{len(phonemes)} distinct phonemes, {len(symbols)} distinct symbols in {elapsed:.0f} s")
    print(f"symbols from text: {''.join(c for c in symbols if c in from_text)}")
    print(f"symbols from phoneme input only: {''.join(c for c in symbols if c not in from_text) or '-'}")
    for voice, r in result.items():
        for text in r["failures"]:
            print(f"espeak-ng {voice} failed on {text!r} (skipped)")
    if unknown:
        print("no articulation target: " + ", ".join(f"{c!r} U+{ord(c):04X} in {w}" for c, w in unknown.items()))
        return 1
    print("every symbol maps to an articulation target")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m train.synth.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default=",".join(TRAIN_LANGUAGES + HELDOUT_LANGUAGES))
    parser.add_argument("--sentences", type=int, default=42, help="sentences per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    parser.add_argument("--all-espeak", action="store_true",
                        help="every language voice of espeak-ng: the symbols it emits that have no target")
    parser.add_argument("--voices", default="", help="with --all-espeak: only these voices (identifier or language)")
    args = parser.parse_args(argv)
    if args.all_espeak:
        return _main_all(args)
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
