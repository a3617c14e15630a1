"""From an IPA phoneme timeline (and the audio's pitch) to articulation curves (pure numpy).

Each phoneme gets articulatory targets (``head.SPEECH_CHANNELS``: jaw opening, lip closure, lip rounding
and protrusion, lip spread, lower lip to upper teeth) and a dominance per target. Coarticulation
follows Cohen and Massaro (1993): every segment's dominance decays exponentially with the distance
from its centre, more slowly before it (anticipation) than after (carry-over), and each channel is
the dominance-weighted mean of the segments' targets. Pauses are segments whose target is the
rest pose, so silence is at rest. The brows follow prosody: the voice's pitch (relative to the
utterance's median) and the stressed vowels espeak marks with ``ˈ``.
"""

from __future__ import annotations

import unicodedata

import numpy as np

from .head import SPEECH_CHANNELS

_IGNORED = set("ˈˌːˑ̥̩̯̃̆˞ʰʲʷᵝ̞̝̠̟̪̺̻̹̜.-_ 0123456789˥˦˧˨˩") | {
    "\u0327",  # cedilla: NFD splits ç into c + cedilla
    "\u0308",  # centralised (espeak-ng's Japanese ɯ̈)
    "\u030a",  # ring above, voiceless (Czech r̝̊)
    "\u02e4",  # pharyngealised (Arabic dˤ), a secondary articulation like ʲ and ʷ
    "^",  # an espeak-ng marker in Russian phonemes (ɪ^)
    # found by the coverage of all espeak-ng languages (python -m train.synth.coverage --all-espeak)
    "\u0361",  # tie bar (Belarusian d͡zʲ): the parts are read one by one
    # espeak-ng mnemonic characters that some phonemes emit as they are, unconverted to IPA:
    "`",  # ejective (Amharic, Tigrinya t` k` p` tS`)
    "[",  # dental, the IPA ̪ (Kyrgyz t[)
    ":",  # long, the IPA ː (Kyrgyz y:)
    "#",  # voiceless or aspirated, the IPA ʰ (Icelandic r#)
    '"',  # centralised (classic Russian u")
    "+",  # advanced, the IPA ̟ (Southern Vietnamese ɔ+)
}

# vowel qualities: (jaw, round, spread)
_VOWELS = {
    "a": (0.95, 0.0, 0.15), "ä": (0.9, 0.0, 0.1), "ɑ": (1.0, 0.05, 0.0), "æ": (0.85, 0.0, 0.45),
    "ɐ": (0.75, 0.0, 0.05), "ʌ": (0.65, 0.0, 0.05), "ɒ": (0.9, 0.45, 0.0), "ɔ": (0.65, 0.75, 0.0),
    "o": (0.45, 0.9, 0.0), "ɤ": (0.45, 0.0, 0.2), "ʊ": (0.25, 0.7, 0.0), "u": (0.2, 1.0, 0.0),
    "ɯ": (0.2, 0.0, 0.4), "ɨ": (0.2, 0.0, 0.35), "ʉ": (0.2, 0.8, 0.0), "y": (0.15, 0.9, 0.0),
    "ʏ": (0.2, 0.75, 0.0), "ø": (0.35, 0.8, 0.0), "œ": (0.5, 0.7, 0.0), "e": (0.4, 0.0, 0.6),
    "ɛ": (0.55, 0.0, 0.5), "ə": (0.4, 0.0, 0.05), "ɜ": (0.5, 0.0, 0.1), "ɚ": (0.35, 0.35, 0.0),
    "ɝ": (0.4, 0.35, 0.0), "i": (0.12, 0.0, 0.9), "ɪ": (0.2, 0.0, 0.6), "ɘ": (0.35, 0.0, 0.2),
    "ɵ": (0.35, 0.6, 0.0), "ᵻ": (0.2, 0.0, 0.35),
    "ε": (0.55, 0.0, 0.5),  # espeak-ng's Danish writes ɛ with the Greek letter epsilon (U+03B5)
    "A": (1.0, 0.05, 0.0),  # espeak-ng's mnemonic for ɑ, unconverted (Irish)
}
# consonant classes: target (jaw, closure, round, spread, labiodental), dominance of each channel
# After the symbols of the corpus's languages, each class adds (after the +) what the coverage of all
# espeak-ng languages found: the uvular trill ʀ (Armenian ղ, Luxembourgish r) with the other uvulars;
# the prenasalised stops' nasal onsets ᵐ ⁿ ᵑ (Sinhala) at their stop's place; Greek Φ, espeak-ng's
# ɸ (Lule Saami); the ligature ʦ (Luxembourgish); and espeak-ng mnemonics some phonemes emit unconverted:
# S = ʃ, Z = ʒ, N = ŋ, X = χ (Kyrgyz), K = Setswana's lateral fricative tlh (ɬ).
_CONSONANTS = {
    "bilabial": ("pbmɸβ" + "Φᵐ", (0.06, 1.0, 0.0, 0.0, 0.0), (0.8, 12.0, 0.5, 0.5, 1.0)),
    "labiodental": ("fvɱʋ", (0.10, 0.0, 0.0, 0.0, 1.0), (0.8, 2.0, 0.5, 0.5, 10.0)),
    "labiovelar": ("wʍɥ", (0.15, 0.0, 0.95, 0.0, 0.0), (0.6, 1.0, 5.0, 1.0, 1.0)),
    "postalveolar": ("ʃʒɕʑʂʐ" + "SZ", (0.12, 0.0, 0.55, 0.0, 0.0), (2.5, 1.0, 3.0, 1.0, 1.0)),
    "alveolar": ("tdnszlɾɹrθðɬɮɽɭɳʈɖɫɻ" + "ʦⁿK", (0.12, 0.0, 0.0, 0.0, 0.0), (1.2, 1.0, 0.2, 0.2, 1.0)),
    "palatal": ("jçʝɲʎcɟ", (0.12, 0.0, 0.0, 0.4, 0.0), (0.8, 1.0, 0.3, 1.5, 1.0)),
    # velar, uvular, pharyngeal and glottal; "?" is espeak-ng's glottal onset (stød) in Danish
    "velar": ("kgɡŋxɣqχʁɢhɦʔħʕɴ?" + "ʀᵑNX", (0.25, 0.0, 0.0, 0.0, 0.0), (0.4, 1.0, 0.1, 0.1, 1.0)),
}
_VOWEL_DOMINANCE = (3.0, 1.0, 1.5, 1.5, 1.0)
_SILENCE = ((0.0, 0.0, 0.0, 0.0, 0.0), (2.0, 2.0, 2.0, 2.0, 2.0))

OPEN_VOWELS = set("aäɑæɐɒ")
ROUNDED_VOWELS = set("ouʊyʏøœɔʉ")


class UnknownPhonemeError(ValueError):
    """A phoneme holds a symbol the articulation tables do not know (no silent default)."""

    def __init__(self, symbol: str, phoneme: str, context: str = ""):
        self.symbol, self.phoneme, self.context = symbol, phoneme, context
        where = f" {context}" if context else ""
        super().__init__(f"unknown IPA symbol {symbol!r} (U+{ord(symbol):04X}) in phoneme {phoneme!r}{where}; "
                         f"add it to the tables in train/synth/articulation.py")

    def __reduce__(self):  # raised in a worker process, it must cross the pool's pipe intact
        return type(self), (self.symbol, self.phoneme, self.context)


def _base(ipa: str) -> str:
    text = unicodedata.normalize("NFD", ipa)
    return "".join(ch for ch in text if ch not in _IGNORED)


def phoneme_class(ipa: str) -> str:
    """Coarse class of an espeak IPA phoneme: silence, open, rounded, vowel, bilabial, labiodental..."""
    base = _base(ipa)
    if not base:
        return "silence"
    if base[0] in _VOWELS:
        if base[0] in OPEN_VOWELS:
            return "open"
        if base[0] in ROUNDED_VOWELS:
            return "rounded"
        return "vowel"
    for name, (chars, _, _) in _CONSONANTS.items():
        if base[0] in chars:
            return name
    return "other"


def phoneme_targets(ipa: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """Targets and dominances of the lip/jaw channels (5) for one phoneme.

    Diphthongs and clusters (``aɪ``, ``tʃ``) give one (target, dominance) per part, which share
    the segment's duration. Stress, length and tone marks and diacritics are ignored; any other
    symbol the tables do not know raises :class:`UnknownPhonemeError`, which names it.
    """
    base = _base(ipa)
    if not base:
        return [(np.array(_SILENCE[0]), np.array(_SILENCE[1]))]
    parts = []
    for ch in base:
        if ch in _VOWELS:
            jaw, rnd, spread = _VOWELS[ch]
            parts.append((np.array([jaw, 0.0, rnd, spread, 0.0]), np.array(_VOWEL_DOMINANCE)))
            continue
        for chars, target, dom in _CONSONANTS.values():
            if ch in chars:
                parts.append((np.array(target), np.array(dom)))
                break
        else:
            raise UnknownPhonemeError(ch, ipa)
    # affricates and consonant clusters: the lip-relevant part dominates (tʃ -> ʃ)
    if len(parts) > 1 and all(p[0][0] < 0.3 for p in parts):
        parts = [max(parts, key=lambda p: float(p[1].sum()))]
    return parts


def _segments(phonemes, duration: float):
    """Timeline [[start, end, ipa]] -> centres, half-durations, targets [S,5], dominances [S,5], stress."""
    centres, halves, targets, doms, stress = [], [], [], [], []
    for start, end, ipa in phonemes:
        start, end = float(start), float(end)
        if end <= start:
            continue
        parts = phoneme_targets(ipa)
        step = (end - start) / len(parts)
        for k, (target, dom) in enumerate(parts):
            a = start + k * step
            centres.append(a + step / 2)
            halves.append(step / 2)
            targets.append(target)
            d = dom.copy()
            if _base(ipa) == "" and step > 0.15:  # real pauses pull firmly back to rest
                d *= 5.0
            doms.append(d)
            stress.append(1.0 if ("ˈ" in ipa and target[0] > 0.3 and k == 0) else 0.0)
    if not centres:
        centres, halves = [duration / 2], [duration / 2]
        targets, doms, stress = [np.array(_SILENCE[0])], [np.array(_SILENCE[1])], [0.0]
    return (np.array(centres), np.array(halves), np.array(targets), np.array(doms), np.array(stress))


def coarticulate(phonemes, duration: float, fps: float, anticipation: float = 0.0) -> np.ndarray:
    """Lip and jaw curves [T, 5] (T = round(duration * fps), frame i at time i / fps)."""
    n_frames = max(1, int(round(duration * fps)))
    t = np.arange(n_frames) / fps
    centres, halves, targets, doms, _ = _segments(phonemes, duration)
    # time constants (s): carry-over after the centre, anticipation before it
    tau_after = 0.035 + 0.6 * halves
    tau_before = tau_after * (1.0 + 1.2 * anticipation)
    dt = t[None, :] - centres[:, None]  # [S, T]
    tau = np.where(dt < 0, tau_before[:, None], tau_after[:, None])
    # inside a segment the dominance is flat: distance counts from the segment's edge
    dist = np.maximum(np.abs(dt) - 0.6 * halves[:, None], 0.0)
    shape = np.exp(-((dist / tau) ** 1.5))  # [S, T]; Cohen-Massaro with exponent c = 1.5
    weight = doms[:, None, :] * shape[:, :, None]  # [S, T, C]
    rest = 0.02  # a weak pull towards rest, so a lone segment does not hold its target forever
    value = (weight * targets[:, None, :]).sum(0) / (weight.sum(0) + rest)
    return np.clip(value, 0.0, 1.0)


def pitch_track(audio: np.ndarray, sample_rate: int, n_frames: int, fps: float) -> np.ndarray:
    """Fundamental frequency (Hz, 0 where unvoiced) at each video frame, by autocorrelation."""
    x = np.asarray(audio, np.float64)
    if x.dtype.kind == "i" or np.abs(x).max(initial=0) > 2:
        x = x / 32768.0
    win = int(0.040 * sample_rate)
    centres = (np.arange(n_frames) / fps * sample_rate).astype(int)
    pad = np.pad(x, (win, win))
    idx = centres[:, None] + np.arange(win)[None, :] + win // 2
    frames = pad[np.clip(idx, 0, len(pad) - 1)] * np.hanning(win)[None]
    frames -= frames.mean(1, keepdims=True)
    nfft = 1 << int(np.ceil(np.log2(2 * win)))
    spec = np.fft.rfft(frames, nfft)
    ac = np.fft.irfft(np.abs(spec) ** 2, nfft)[:, :win]
    energy = ac[:, 0]
    lo, hi = int(sample_rate / 450), int(sample_rate / 60)
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    peak = ac[np.arange(n_frames), lag] / np.maximum(energy, 1e-12)
    loud = energy > 0.02 * max(float(energy.max(initial=0)), 1e-12)
    return np.where((peak > 0.45) & loud, sample_rate / lag, 0.0)


def brows(phonemes, f0: np.ndarray, fps: float) -> np.ndarray:
    """Brow raise and furrow [T, 2] from pitch (relative to the utterance) and stressed vowels."""
    n = len(f0)
    voiced = f0 > 0
    rel = np.zeros(n)
    if voiced.sum() > 3:
        logf = np.log(np.where(voiced, f0, 1.0))
        med = np.median(logf[voiced])
        spread = max(np.std(logf[voiced]), 0.03)
        rel[voiced] = (logf[voiced] - med) / spread
    # hold pitch across unvoiced gaps, then smooth (brows are slow)
    held = rel.copy()
    for i in range(1, n):
        if not voiced[i]:
            held[i] = 0.85 * held[i - 1]
    centres, halves, targets, _, stress = _segments(phonemes, n / fps)
    t = np.arange(n) / fps
    pulses = (stress[:, None] * np.exp(-0.5 * ((t[None] - centres[:, None]) / 0.09) ** 2)).sum(0)
    raise_ = 0.30 * np.clip(held, 0, 3) + 0.55 * np.clip(pulses, 0, 1.2)
    furrow = 0.25 * np.clip(-held, 0, 3)
    out = np.stack([raise_, furrow], 1)
    # the brows settle while nobody speaks: scale by a smoothed speech-activity envelope
    speaking = np.zeros(n)
    for start, end, ipa in phonemes:
        if _base(ipa):
            speaking[int(np.floor(float(start) * fps)):int(np.ceil(float(end) * fps))] = 1.0
    envelope = _smooth(speaking[:, None], 0.05 * fps)[:, 0]
    return np.clip(_smooth(out, 0.06 * fps) * envelope[:, None], 0, 1)


def _smooth(x: np.ndarray, sigma_frames: float) -> np.ndarray:
    r = max(1, int(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / max(sigma_frames, 1e-6)) ** 2)
    k /= k.sum()
    pad = np.pad(x, ((r, r), (0, 0)), mode="edge")
    return np.stack([np.convolve(pad[:, c], k, mode="valid") for c in range(x.shape[1])], 1)


def articulate(phonemes, audio: np.ndarray, sample_rate: int, fps: float, anticipation: float = 0.0) -> np.ndarray:
    """The speech channels (``head.SPEECH_CHANNELS``) [T, 7] of an utterance; an expression adds the rest
    (:mod:`.expression`)."""
    duration = len(audio) / sample_rate
    lips = coarticulate(phonemes, duration, fps, anticipation)
    f0 = pitch_track(audio, sample_rate, len(lips), fps)
    upper = brows(phonemes, f0, fps)
    out = np.concatenate([lips, upper], 1)
    assert out.shape[1] == len(SPEECH_CHANNELS)
    return out
