"""Phones of any language as pocketsphinx's English phone set, and what each phone does to the lips.

espeak-ng gives any text's phones in IPA; pocketsphinx's en-us acoustic model knows 39 ARPAbet phones.
:func:`to_arpabet` maps an IPA phone to its nearest ARPAbet phones (by place and manner for consonants, by
height, backness and rounding for vowels), so that the English acoustic model can align a recording in any
language to its text (:func:`multanet_core.align.align_phonetic`). :func:`lip_class` says whether a phone
(IPA or ARPAbet) closes the lips, puts the lower lip to the teeth, or is silence. numpy-free.
"""

from __future__ import annotations

import unicodedata

# silence labels of the aligners, corpora and shipped alignments (train.speech_metrics reads by these too)
SILENCES = {"", "_", "sil", "sp", "pau", "spn", "h#", "#", "SIL", "<sil>", "[SIL]", "NSN"}

# marks that change no lip or acoustic class here: stress, length, tone, diacritics, espeak-ng mnemonic marks,
# and the glottal stop (no ARPAbet phone: pocketsphinx hears it as part of its neighbours)
_IGNORED = set("ˈˌːˑ̥̩̯̃̆˞ʰʲʷᵝ̞̝̠̟̪̺̻̹̜.-_ 0123456789˥˦˧˨˩`[:#\"+?ʔ^") | {"\u0327", "\u0308", "\u030a", "\u02e4",
                                                                       "\u0361"}
_VOWELS = {
    "a": "AA", "ä": "AA", "ɑ": "AA", "æ": "AE", "ɐ": "AH", "ʌ": "AH", "ɒ": "AA", "ɔ": "AO", "o": "OW", "ɤ": "UH",
    "ʊ": "UH", "u": "UW", "ɯ": "UW", "ɨ": "IH", "ʉ": "UW", "y": "IY", "ʏ": "IH", "ø": "ER", "œ": "ER", "e": "EY",
    "ɛ": "EH", "ε": "EH", "ə": "AH", "ɜ": "ER", "ɚ": "ER", "ɝ": "ER", "i": "IY", "ɪ": "IH", "ɘ": "AH", "ɵ": "ER",
    "ᵻ": "IH", "A": "AA",
}
_CONSONANTS = {
    "p": "P", "b": "B", "m": "M", "ɸ": "F", "β": "V", "Φ": "F", "ᵐ": "M", "ʙ": "B", "ɓ": "B",
    "f": "F", "v": "V", "ɱ": "M", "ʋ": "V", "w": "W", "ʍ": "W", "ɥ": "W",
    "ʃ": "SH", "ʒ": "ZH", "ɕ": "SH", "ʑ": "ZH", "ʂ": "SH", "ʐ": "ZH", "S": "SH", "Z": "ZH",
    "t": "T", "d": "D", "n": "N", "s": "S", "z": "Z", "l": "L", "ɾ": "D", "ɹ": "R", "r": "R", "θ": "TH", "ð": "DH",
    "ɬ": "L", "ɮ": "L", "ɽ": "R", "ɭ": "L", "ɳ": "N", "ʈ": "T", "ɖ": "D", "ɫ": "L", "ɻ": "R", "ʦ": "T S", "ⁿ": "N",
    "K": "L", "j": "Y", "ç": "HH", "ʝ": "Y", "ɲ": "N", "ʎ": "L", "c": "K", "ɟ": "G",
    "k": "K", "g": "G", "ɡ": "G", "ŋ": "NG", "x": "HH", "ɣ": "G", "q": "K", "χ": "HH", "ʁ": "R", "ɢ": "G",
    "h": "HH", "ɦ": "HH", "ħ": "HH", "ʕ": "HH", "ɴ": "NG", "ʀ": "R", "ᵑ": "NG", "N": "NG", "X": "HH",
}
_PAIRS = {"tʃ": "CH", "dʒ": "JH", "aɪ": "AY", "aʊ": "AW", "ɔɪ": "OY", "eɪ": "EY", "oʊ": "OW", "əʊ": "OW"}

ARPABET_BILABIAL = {"P", "B", "M", "EM"}
ARPABET_LABIODENTAL = {"F", "V"}
# IPA: the lips shut (stops, nasals, the trill and the implosive; not the fricatives ɸ β, whose lips stay apart)
IPA_BILABIAL = set("pbmʙɓᵐ")
IPA_LABIODENTAL = set("fvɱ")


def _base(ipa: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", ipa) if ch not in _IGNORED)


def to_arpabet(ipa: str) -> list[str]:
    """An espeak-ng IPA phone as ARPAbet phones (``"tʃ"`` -> ``["CH"]``, ``"ʦ"`` -> ``["T", "S"]``); a repeat
    (a long consonant written twice) is one phone; [] for a phone with no counterpart (a glottal stop, a mark)."""
    base = _base(ipa)
    out: list[str] = []
    i = 0
    while i < len(base):
        if base[i:i + 2] in _PAIRS:
            out.append(_PAIRS[base[i:i + 2]])
            i += 2
            continue
        mapped = _VOWELS.get(base[i]) or _CONSONANTS.get(base[i])
        if mapped:
            out += mapped.split()
        i += 1
    return [p for k, p in enumerate(out) if k == 0 or p != out[k - 1]]


def is_silence(phone: str) -> bool:
    p = str(phone).strip()
    return p in SILENCES or p.lower() in SILENCES or (p.startswith(("+", "[")) and p.endswith(("+", "]")))


ARPABET_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW", "AX",
                  "AXR", "IX", "UX"}


def lip_class(phone: str) -> str:
    """``closed`` (P/B/M), ``labiodental`` (F/V), ``vowel``, ``silence`` or ``other``, for an IPA or ARPAbet phone. An
    ARPAbet label is upper-case ASCII (stress digits allowed); anything else is read as IPA, by its first
    sound (``mʲ`` closes, ``pf`` closes)."""
    p = str(phone).strip()
    if is_silence(p):
        return "silence"
    if p.isascii() and p.upper() == p and any(c.isalpha() for c in p):
        arpa = p.rstrip("012")
        if arpa in ARPABET_BILABIAL:
            return "closed"
        return "labiodental" if arpa in ARPABET_LABIODENTAL else "vowel" if arpa in ARPABET_VOWELS else "other"
    base = _base(p)
    if not base:
        return "silence"
    if base[0] in IPA_BILABIAL:
        return "closed"
    return "labiodental" if base[0] in IPA_LABIODENTAL else "vowel" if base[0] in _VOWELS else "other"
