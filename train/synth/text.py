"""Generated sentences: an English grammar with the project's own word lists, and syllable
generators for Korean (Hangul), Mandarin (Hanzi) and Japanese (Hiragana) that espeak-ng reads aloud.

Nothing here is copied from a text corpus; every sentence is drawn from a seeded generator, so the
same seed gives the same sentences. Word lists favour phonetic variety: bilabials (m/b/p),
labiodentals (f/v), rounded vowels, open vowels, sibilants and glides all occur often.
"""

from __future__ import annotations

import numpy as np

# language code in the corpus -> espeak-ng voice name
ESPEAK_LANGUAGE = {"en": "en-us", "ko": "ko", "cmn": "cmn", "ja": "ja"}
LANGUAGE_NAMES = {"en": "English", "ko": "Korean", "cmn": "Mandarin Chinese", "ja": "Japanese"}

_NAMES = ("Maggie Bob Paula Victor Fiona Ruth Walter Olive Boris Mabel Hugo Vera Pablo Umberto "
          "Wendy Fabio Moira Oliver Bruno Phoebe").split()
_ADJECTIVES = ("big brave blue purple fluffy vivid warm moody pompous foolish bumpy rough smooth "
               "shiny wooden woolen frozen hungry noisy cheerful lovely wobbly massive humble "
               "curious proud feeble vast polished muddy gloomy").split()
_NOUNS = ("boat mouse puppy baby farmer vulture violin window pillow moon bubble ribbon bottle "
          "wolf fox parrot umbrella oven van movie boot balloon feather museum robot cow "
          "monkey muffin pebble valley fountain bishop vampire poem map whale rover").split()
_VERBS = ("moved pushed pulled grabbed bumped found followed painted mopped wobbled paved "
          "loved saved fixed viewed bought offered borrowed brought fooled watched measured "
          "polished shuffled removed approved").split()
_INTRANSITIVE = ("wobbled vanished mumbled bubbled wandered floated paused moved fumbled "
                 "shivered hummed bowed").split()
_ADVERBS = ("slowly boldly roughly smoothly happily proudly wisely vividly quietly famously "
            "foolishly warmly").split()
_PREPOSITIONS = "over beyond below past beside behind above within toward through".split()
_PLACES = ("the blue harbour", "the muddy valley", "the old museum", "the frozen pool", "the bumpy road",
           "the warm oven", "the moonlit forest", "the purple van", "the woolen tent", "the brave navy")
_TIMES = ("before noon", "at dawn", "on Monday", "every morning", "in November", "before the movie",
          "after the feast", "by the full moon")


def _pick(rng: np.random.Generator, words) -> str:
    return words[int(rng.integers(len(words)))]


def _noun_phrase(rng: np.random.Generator) -> str:
    r = rng.random()
    if r < 0.2:
        return _pick(rng, _NAMES)
    det = _pick(rng, ("the", "the", "a", "my", "our", "five", "four", "some", "every"))
    adjs = [_pick(rng, _ADJECTIVES) for _ in range(int(rng.integers(0, 3)))]
    noun = _pick(rng, _NOUNS)
    if det in ("five", "four", "some"):
        noun = noun + ("es" if noun.endswith(("x", "sh")) else "s")
    if det == "a" and (adjs[0] if adjs else noun)[0] in "aeiou":
        det = "an"
    return " ".join([det, *adjs, noun])


def english_sentence(rng: np.random.Generator) -> str:
    """One sentence of 8 to 19 words (2 to 8 s at 140-195 words per minute)."""
    while True:
        kind = rng.random()
        subject = _noun_phrase(rng)
        if kind < 0.45:
            parts = [subject, _pick(rng, _VERBS), _noun_phrase(rng)]
        elif kind < 0.7:
            parts = [subject, _pick(rng, _INTRANSITIVE), _pick(rng, _PREPOSITIONS), _pick(rng, _PLACES)]
        elif kind < 0.85:
            parts = ["Why did", subject, _pick(rng, _VERBS).removesuffix("ed").removesuffix("d"),
                     _noun_phrase(rng)]
        else:
            parts = [subject, "and", _noun_phrase(rng), _pick(rng, _VERBS), _noun_phrase(rng)]
        if rng.random() < 0.5:
            parts.append(_pick(rng, _ADVERBS))
        if rng.random() < 0.5:
            parts.append(_pick(rng, _TIMES))
        if rng.random() < 0.4:
            parts += [_pick(rng, ("while", "because", "so", "but")), _noun_phrase(rng), _pick(rng, _INTRANSITIVE)]
        text = " ".join(parts)
        n_words = len(text.split())
        if 8 <= n_words <= 19:
            text = text[0].upper() + text[1:]
            return text + ("?" if text.startswith("Why") else ".")


# --- Korean: Hangul syllables composed from jamo indices (U+AC00 + (L*21 + V)*28 + T)
_KO_INITIALS = [0, 2, 3, 5, 6, 7, 9, 11, 12, 14, 15, 16, 17, 18, 1, 4, 8, 10, 13]  # common ones first
_KO_VOWELS = [0, 0, 4, 4, 8, 8, 13, 13, 18, 20, 20, 1, 5, 2, 6, 12, 17, 9, 14, 19]  # a eo o u eu i ae e ...
_KO_FINALS = [0, 0, 0, 0, 4, 8, 16, 17, 21, 1, 19]  # mostly open syllables; n, l, m, b, ng, k, s


def korean_sentence(rng: np.random.Generator) -> str:
    words = []
    for _ in range(int(rng.integers(3, 7))):
        syllables = []
        for _ in range(int(rng.integers(2, 5))):
            lead = _KO_INITIALS[int(rng.integers(len(_KO_INITIALS)))]
            vowel = _KO_VOWELS[int(rng.integers(len(_KO_VOWELS)))]
            tail = _KO_FINALS[int(rng.integers(len(_KO_FINALS)))]
            syllables.append(chr(0xAC00 + (lead * 21 + vowel) * 28 + tail))
        words.append("".join(syllables))
    return " ".join(words) + "."


# --- Mandarin: common characters that espeak-ng's cmn dictionary reads (checked by the tests)
_HANZI = (
    "我你他她们的是不了在有人这中大来上国个到说为子和地出道也时年得就那要下以生会自着去之过家学对可里后"
    "小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长"
    "知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最"
    "间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市"
    "眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计"
    "或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让"
)


def mandarin_sentence(rng: np.random.Generator, alphabet: str = _HANZI) -> str:
    chunks = []
    for _ in range(int(rng.integers(2, 4))):
        n = int(rng.integers(3, 7))
        chunks.append("".join(alphabet[int(i)] for i in rng.integers(0, len(alphabet), n)))
    return "，".join(chunks) + "。"


# --- Japanese: hiragana morae (CV, plus n); espeak-ng's ja voice reads kana, not kanji
_KANA = (
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわ"
    "がぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽ"
)


def japanese_sentence(rng: np.random.Generator) -> str:
    words = []
    for _ in range(int(rng.integers(4, 9))):
        morae = [_KANA[int(i)] for i in rng.integers(0, len(_KANA), int(rng.integers(2, 5)))]
        if rng.random() < 0.2:
            morae.append("ん")
        words.append("".join(morae))
    return " ".join(words) + "。"


GENERATORS = {"en": english_sentence, "ko": korean_sentence, "cmn": mandarin_sentence, "ja": japanese_sentence}


def sentences(language: str, count: int, seed: int) -> list[str]:
    """``count`` distinct sentences of ``language`` from ``seed`` (independent of other languages)."""
    if language not in GENERATORS:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(GENERATORS)}")
    tag = sum((i + 1) * ord(c) for i, c in enumerate(language))
    rng = np.random.default_rng([seed, tag, 0x5EED])
    out: list[str] = []
    while len(out) < count:
        text = GENERATORS[language](rng)
        if text not in out:
            out.append(text)
    return out
