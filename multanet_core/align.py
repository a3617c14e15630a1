"""Forced alignment: a recording and its transcript in, a phone timeline ``[[start_s, end_s, phone], ...]`` out.

Three aligners, one result type (:class:`Alignment`):

* :func:`align_dtw`, for any language espeak-ng speaks: espeak-ng reads the text aloud and gives its own
  phone timeline (IPA); the recording and that rendering become frames of mel cepstra (10 ms steps, the
  100-3800 Hz band, so telephone-band recordings match too, each normalised over its utterance); dynamic
  time warping finds the cheapest monotonic path between the two; every phone boundary of the rendering
  is carried along the path onto the recording (the method of aeneas, at the phone level). Silence before
  and after the speech is found from the recording's level first, so leading room tone does not stretch
  the first phone. Several espeak voices are aligned and each boundary is the median over them: one
  voice's formants never match a speaker's, and the median is steadier than any one of them.
* :func:`align_pocketsphinx`, for English: pocketsphinx's own acoustic model and CMU dictionary (ARPAbet
  phones), when the ``pocketsphinx`` package is installed.
* :func:`align_phonetic`, for any language espeak-ng speaks: espeak-ng's phones of the text, each mapped to
  the nearest English phones (:mod:`multanet_core.phone_map`), placed by pocketsphinx's acoustic model. On the
  English dev clips with reference alignments it puts 96 % of P/B/M within 20 ms where the DTW aligner puts
  71 % (``python bench/bench_align.py``).

:func:`align` picks pocketsphinx's dictionary for English when it is there and knows every word, then
:func:`align_phonetic`, and the DTW aligner where neither can. ``Alignment.cost`` is the DTW path's mean frame
distance; pocketsphinx alignments carry ``None``. The cost is no test of a wrong text: another clip's text often
costs no more than the right one (:mod:`multanet_core.script` tests a text against the audio).

Only numpy (and :mod:`multanet_core`'s resampler) on the DTW side; espeak-ng through
:mod:`multanet_core.espeak`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .audio import SILENCE_PEAK, prepare
from .phone_map import to_arpabet

RATE = 16000
HOP_S = 0.01
WIN_S = 0.025
N_MELS = 32
N_CEPS = 13
BAND_HZ = (100.0, 3800.0)
SILENCE = "_"
# espeak voice variants aligned and combined (median boundaries): a low and a high voice
VARIANTS = ("m3", "f2", "m1")


class AlignmentError(ValueError):
    """The text could not be aligned: empty text, a language espeak-ng has no voice for, silent audio."""


@dataclass
class Alignment:
    phones: list[list]  # [[start_s, end_s, phone], ...], covering the recording; "_" / "sil" for silence
    method: str  # "dtw-espeak" or "pocketsphinx"
    phone_set: str  # "ipa" (espeak-ng) or "arpabet" (pocketsphinx)
    cost: float | None = None  # DTW: mean distance along the path (lower: the text fits the audio better)
    # per entry of ``phones``: its index among the spoken phones of espeak-ng's rendering of the text (-1: a
    # silence); two alignments of one text by :func:`align_dtw` and :func:`align_phonetic` pair up by it
    spoken: list[int] | None = None


def _mel_filters(n_fft: int, rate: int) -> np.ndarray:
    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * (10 ** (np.asarray(m) / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(BAND_HZ[0]), mel(BAND_HZ[1]), N_MELS + 2))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    up = (freqs[None] - lo) / (mid - lo)
    down = (hi - freqs[None]) / (hi - mid)
    return np.maximum(0.0, np.minimum(up, down))


def frame_power(x16: np.ndarray) -> np.ndarray:
    """Power spectra of 25 ms Hann frames every 10 ms, [frames, bins] (frame t centred at t * 10 ms)."""
    win, hop = int(WIN_S * RATE), int(HOP_S * RATE)
    n_frames = max(1, int(np.ceil(len(x16) / hop)))
    padded = np.concatenate([np.zeros(win // 2), x16, np.zeros(win + n_frames * hop - len(x16))])
    emphasised = np.append(padded[0], padded[1:] - 0.97 * padded[:-1])
    idx = np.arange(n_frames)[:, None] * hop + np.arange(win)[None]
    n_fft = 1 << (win - 1).bit_length()
    return np.abs(np.fft.rfft(emphasised[idx] * np.hanning(win), n_fft)) ** 2


def cepstra(x16: np.ndarray) -> np.ndarray:
    """Mel cepstra c0..c12 with their deltas, each normalised to zero mean and unit variance over the clip."""
    power = frame_power(x16)
    n_fft = 2 * (power.shape[1] - 1)
    logmel = np.log(power @ _mel_filters(n_fft, RATE).T + 1e-10)
    k = np.arange(N_CEPS)[:, None]
    dct = np.cos(np.pi / N_MELS * (np.arange(N_MELS)[None] + 0.5) * k)
    c = logmel @ dct.T
    padded = np.pad(c, ((2, 2), (0, 0)), mode="edge")
    delta = (padded[3:-1] - padded[1:-3] + 2 * (padded[4:] - padded[:-4])) / 10.0
    f = np.concatenate([c, delta], axis=1)
    return (f - f.mean(0)) / (f.std(0) + 1e-8)


def speech_span(x16: np.ndarray) -> tuple[int, int]:
    """First and last 10 ms frame of speech: louder than 15 % of the way (in dB) from the clip's floor (10th
    percentile) to its loud frames (95th), and than 45 dB under them; the rest is room tone or silence."""
    if not len(x16) or np.max(np.abs(x16)) < SILENCE_PEAK:
        raise AlignmentError("the recording is silent (its peak is under -60 dBFS): no speech to align the text to")
    hop = int(HOP_S * RATE)
    n = max(1, len(x16) // hop)
    level = 10 * np.log10(np.mean(x16[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    floor, loud = np.percentile(level, [10, 95])
    speech = np.flatnonzero(level > max(floor + 0.15 * (loud - floor), loud - 45.0))
    return int(speech[0]), int(speech[-1]) + 1


def dtw_path(a: np.ndarray, b: np.ndarray, step_penalty: float = 0.5) -> tuple[np.ndarray, float]:
    """The cheapest monotonic path from (0, 0) to (n-1, m-1) between frame sequences ``a`` [n, d], ``b`` [m, d].

    Steps (1, 1), (1, 0), (0, 1); a horizontal or vertical step costs ``step_penalty`` extra, which keeps the
    path near the diagonal where the two agree equally. Returns the path [k, 2] and its mean frame distance.
    Each row is solved in one vectorised pass: within a row, D[j] = C[j] + j p + min_{k<=j}(A[k] - C[k-1] - k p)
    with C the row's cumulative cost and A[k] the best entry from the row above.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    n, m = len(a), len(b)
    squared = (a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T
    cost = np.sqrt(np.maximum(squared, 0.0) / a.shape[1])
    p = float(step_penalty)
    D = np.empty((n, m))
    j = np.arange(m)
    C = np.cumsum(cost[0])
    D[0] = C + j * p
    for i in range(1, n):
        c = cost[i]
        above = D[i - 1] + p
        diag = np.concatenate([[np.inf], D[i - 1, :-1]])
        A = np.minimum(above, diag)
        C = np.cumsum(c)
        Cprev = np.concatenate([[0.0], C[:-1]])
        D[i] = C + j * p + np.minimum.accumulate(A - Cprev - j * p)
    # back from the end
    path = [(n - 1, m - 1)]
    i, k = n - 1, m - 1
    while i > 0 or k > 0:
        if i == 0:
            k -= 1
        elif k == 0:
            i -= 1
        else:
            options = (D[i - 1, k - 1], D[i - 1, k] + p, D[i, k - 1] + p)
            step = int(np.argmin(options))
            if step == 0:
                i, k = i - 1, k - 1
            elif step == 1:
                i -= 1
            else:
                k -= 1
        path.append((i, k))
    path_arr = np.asarray(path[::-1], np.int64)
    return path_arr, float(cost[path_arr[:, 0], path_arr[:, 1]].mean())


def _espeak_rendering(text: str, language: str, variant: str, phones_only: bool = False):
    """espeak-ng's reading of ``text`` (an Utterance), or with ``phones_only`` its phonemes (espeak.phoneme_names)."""
    from .espeak import EspeakError, Voice, phoneme_names, synthesize

    names = [language.lower()] + ([language.lower().split("-")[0]] if "-" in language else [])
    for name in names:  # "en-gb" is espeak-ng's "en"; "pt-br" is its own voice
        try:
            voice = Voice(variant, 50, 50, 160)
            return phoneme_names(text, name, voice) if phones_only else synthesize(text, name, voice)
        except EspeakError as exc:
            if "espeakng-loader" in str(exc):
                raise AlignmentError(f"espeak-ng is not installed ({exc})") from exc
            error = exc
    raise AlignmentError(f"espeak-ng has no voice for {language!r}: {error}")


def _one_voice(rec_feats: np.ndarray, text: str, language: str, variant: str):
    utt = _espeak_rendering(text, language, variant)
    audio = prepare(utt.audio, utt.sample_rate).astype(np.float64)
    spoken = [(s, e, p) for s, e, p in utt.phonemes if p != SILENCE]
    if not spoken:
        raise AlignmentError(f"espeak-ng speaks no phone for {text!r} ({language})")
    lo, hi = speech_span(audio)
    ref_feats = cepstra(audio)[lo:hi]
    path, cost = dtw_path(rec_feats, ref_feats)
    scale = RATE / utt.sample_rate / (HOP_S * RATE)
    # rendering phones in rendering frames relative to its speech span; silences kept, they mark pauses
    phones = []
    for s, e, p in utt.phonemes:
        fs, fe = s * scale - lo, e * scale - lo
        if fe <= 0 or fs >= hi - lo:
            continue
        phones.append((max(fs, 0.0), min(fe, hi - lo), p))
    starts = np.asarray([s for s, _, _ in phones])
    ends = np.asarray([e for _, e, _ in phones])
    n_rec = len(rec_feats)
    rec_start = _first_paired(path, starts, n_rec)
    rec_end = _first_paired(path, ends, n_rec)
    return [p for _, _, p in phones], rec_start, rec_end, cost


def _first_paired(path: np.ndarray, frames: np.ndarray, n_rec: int) -> np.ndarray:
    """The recording position (in frames, fractional) that the path pairs with rendering positions ``frames``:
    the first recording frame paired with the rendering frame, plus the fraction into that frame."""
    rec, ref = path[:, 0], path[:, 1]
    m = ref.max() + 1
    first = np.full(m, np.inf)
    np.minimum.at(first, ref, rec.astype(np.float64))
    last = np.full(m, -np.inf)
    np.maximum.at(last, ref, rec.astype(np.float64))
    whole = np.clip(np.floor(frames).astype(np.int64), 0, m - 1)
    frac = np.clip(frames - whole, 0.0, 1.0)
    # within a rendering frame that the path stretched over several recording frames, move proportionally
    span = last[whole] - first[whole] + 1
    out = first[whole] + frac * span
    return np.clip(out, 0, n_rec)


def align_dtw(samples: np.ndarray, rate: int, text: str, language: str, variants=VARIANTS) -> Alignment:
    """Align ``text`` to the recording by DTW against espeak-ng's renderings of it (see the module docstring).

    ``language`` is an espeak-ng voice name (``en-us``, ``es``, ``fr``, ``ru``, ``ja``...). Phones are
    espeak-ng's IPA; silence before, between (where espeak pauses) and after the speech is ``"_"``.
    """
    if not text or not text.strip():
        raise AlignmentError("no text to align")
    x = prepare(samples, rate).astype(np.float64)
    duration = len(x) / RATE
    lo, hi = speech_span(x)
    feats = cepstra(x)[lo:hi]
    runs = [_one_voice(feats, text, language, v) for v in variants]
    labels = runs[0][0]
    same = [r for r in runs if r[0] == labels]  # variants never change espeak's phones, but be sure
    starts = np.median(np.stack([r[1] for r in same]), axis=0)
    ends = np.median(np.stack([r[2] for r in same]), axis=0)
    cost = float(np.mean([r[3] for r in same]))
    # to seconds on the recording, contiguous and monotonic
    t = (np.concatenate([starts, ends[-1:]]) + lo) * HOP_S
    t = np.maximum.accumulate(np.clip(t, 0.0, duration))
    index = np.cumsum([label != SILENCE for label in labels]) - 1
    phones, spoken = _timeline([(float(t[k]), float(t[k + 1]), label, int(index[k]) if label != SILENCE else -1)
                                for k, label in enumerate(labels)], duration)
    return Alignment(phones, "dtw-espeak", "ipa", cost, spoken)


def _timeline(entries: list[tuple[float, float, str, int]], duration: float) -> tuple[list[list], list[int]]:
    """(phones, spoken) from (start, end, label, spoken index) in time order: empty phones dropped, the gaps and
    both ends filled with silence, neighbouring silences merged, so the timeline covers 0..``duration``."""
    phones: list[list] = []
    spoken: list[int] = []

    def add(s: float, e: float, label: str, k: int) -> None:
        s, e = round(s, 4), round(e, 4)
        if e <= s:
            return
        if label == SILENCE and phones and phones[-1][2] == SILENCE:
            phones[-1][1] = round(e, 4)
            return
        phones.append([round(s, 4), round(e, 4), label])
        spoken.append(k)

    for s, e, label, k in entries:
        s, e = max(s, phones[-1][1] if phones else 0.0), min(e, duration)
        if s > (phones[-1][1] if phones else 0.0):
            add(phones[-1][1] if phones else 0.0, s, SILENCE, -1)
        add(s, e, label, k)
    if not phones:
        raise AlignmentError("the alignment holds no phone")
    add(phones[-1][1], duration, SILENCE, -1)
    return phones, spoken


BEAMS = (1e-100, 1e-150)  # pocketsphinx's beams, the second where the first loses every path (then rarely needed)


def align_phonetic(samples: np.ndarray, rate: int, text: str, language: str, variant: str = VARIANTS[0]) -> Alignment:
    """Align ``text`` in any language espeak-ng speaks with pocketsphinx's English acoustic model: espeak-ng gives
    the text's phones (IPA), :func:`multanet_core.phone_map.to_arpabet` the nearest English phones of each, and
    pocketsphinx finds where each phone lies in the recording (each phone a word of its own, so a pause may fall
    between any two). Phones are espeak-ng's IPA, silences ``"_"``. A model trained on human speech places the
    phones of a human recording far better than DTW against a synthetic voice (``python bench/bench_align.py``).
    """
    if not text or not text.strip():
        raise AlignmentError("no text to align")
    spoken = _espeak_rendering(text, language, variant, phones_only=True)
    if not spoken:
        raise AlignmentError(f"espeak-ng speaks no phone for {text!r} ({language})")
    phones, index = _force_align(samples, rate, spoken)
    return Alignment(phones, "pocketsphinx-phonetic", "ipa", None, index)


def text_words(text: str) -> list[str]:
    """The words of a text, lower case, any script (``don't`` is one word; punctuation goes)."""
    return re.findall(r"\w+(?:['’]\w+)*", text.lower())


def word_phones(words: list[str], language: str, variant: str = VARIANTS[0]) -> dict[str, list[str]]:
    """espeak-ng's IPA phones of each distinct word, read on its own (a word it reads as nothing is left out)."""
    out: dict[str, list[str]] = {}
    for word in dict.fromkeys(words):
        phones = _espeak_rendering(word, language, variant, phones_only=True)
        if any(to_arpabet(p) for p in phones):
            out[word] = phones
    return out


def align_words(samples: np.ndarray, rate: int, words: list[str],
                phones: dict[str, list[str]]) -> tuple[Alignment, list[int]]:
    """:func:`align_phonetic` of a text given as its words and each word's phones (:func:`word_phones`): the
    alignment, and for each of its entries the index of its word in ``words`` (-1: a silence)."""
    units = [(i, p) for i, w in enumerate(words) for p in phones.get(w, [])]
    if not units:
        raise AlignmentError("the text has no word espeak-ng speaks")
    entries, index = _force_align(samples, rate, [p for _, p in units])
    return (Alignment(entries, "pocketsphinx-phonetic", "ipa", None, index),
            [units[k][0] if k >= 0 else -1 for k in index])


def _force_align(samples: np.ndarray, rate: int, spoken: list[str]) -> tuple[list[list], list[int]]:
    """(phones, spoken index) of IPA phones ``spoken`` placed in the recording by pocketsphinx."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise AlignmentError("pocketsphinx is not installed (pip install pocketsphinx)") from exc
    words = [(f"ph{k}_", k, arpa) for k, arpa in enumerate(map(to_arpabet, spoken)) if arpa]
    if not words:
        raise AlignmentError("none of the text's phones has an English counterpart to align")
    raw = _pcm16(samples, rate)
    segments: list = []
    for beam in BEAMS:  # wide beams: a slow or fast speaker must not lose the one path through the text's phones
        decoder = Decoder(samprate=RATE, bestpath=False, loglevel="ERROR", beam=beam, wbeam=beam * 1e20, pbeam=beam)
        for i, (word, _, arpa) in enumerate(words):
            decoder.add_word(word, " ".join(arpa), i == len(words) - 1)
        try:
            decoder.set_align_text(" ".join(w for w, _, _ in words))
            decoder.start_utt()
            decoder.process_raw(raw, full_utt=True)
            decoder.end_utt()
            segments = list(decoder.seg() or [])  # None where the search ended outside the text's phones
        except RuntimeError as exc:
            raise AlignmentError(f"pocketsphinx could not align the text's phones: {exc}") from exc
        if segments:
            break
    if not segments:  # no path through the phones: a text much longer than the speech, or not its text
        raise AlignmentError("pocketsphinx could not align the text's phones: no path through them fits the audio")
    index = {w: k for w, k, _ in words}
    entries = [(seg.start_frame * HOP_S, (seg.end_frame + 1) * HOP_S, spoken[index[seg.word]], index[seg.word])
               if seg.word in index else (seg.start_frame * HOP_S, (seg.end_frame + 1) * HOP_S, SILENCE, -1)
               for seg in segments]
    return _timeline(entries, len(raw) / 2 / RATE)


def decode_words(samples: np.ndarray, rate: int, phones: dict[str, list[str]]) -> list[tuple[str, float, float]]:
    """The words of ``phones`` (each with its IPA phones) that pocketsphinx hears in the recording, in any order
    and as often as it hears them: ``[(word, start_s, end_s), ...]``. Where the audio says the text, they come
    out mostly in the text's order; where it does not, in no order the text has."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise AlignmentError("pocketsphinx is not installed (pip install pocketsphinx)") from exc
    entries = [(f"w{i}_", w, " ".join(a for p in ph for a in to_arpabet(p)))
               for i, (w, ph) in enumerate(phones.items())]
    entries = [e for e in entries if e[2]]
    if not entries:
        raise AlignmentError("the text has no word espeak-ng speaks")
    decoder = Decoder(samprate=RATE, bestpath=False, loglevel="ERROR", beam=1e-60, wbeam=1e-40)
    for i, (name, _, arpa) in enumerate(entries):
        decoder.add_word(name, arpa, i == len(entries) - 1)
    grammar = "#JSGF V1.0;\ngrammar words;\npublic <s> = ( " + " | ".join(n for n, _, _ in entries) + " )+ ;\n"
    decoder.add_jsgf_string("words", grammar)
    decoder.activate_search("words")
    decoder.start_utt()
    decoder.process_raw(_pcm16(samples, rate), full_utt=True)
    decoder.end_utt()
    names = {n: w for n, w, _ in entries}
    return [(names[seg.word], seg.start_frame * HOP_S, (seg.end_frame + 1) * HOP_S)
            for seg in decoder.seg() or [] if seg.word in names]


def _pcm16(samples: np.ndarray, rate: int) -> bytes:
    x = prepare(samples, rate).astype(np.float64) * 32768.0
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


EXTRA_PRON = {"waldo's": "W AO L D OW Z"}


def english_words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def align_pocketsphinx(samples: np.ndarray, rate: int, text: str) -> Alignment:
    """English forced alignment with pocketsphinx's bundled en-us model (ARPAbet phones, 10 ms steps)."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise AlignmentError("pocketsphinx is not installed (pip install pocketsphinx)") from exc
    raw = _pcm16(samples, rate)
    decoder = Decoder(samprate=RATE, bestpath=False, loglevel="ERROR")
    words = english_words(text)
    if not words:
        raise AlignmentError("no English words in the text")
    for w in words:
        if decoder.lookup_word(w) is None:
            if w not in EXTRA_PRON:
                raise AlignmentError(f"pocketsphinx's dictionary has no {w!r}")
            decoder.add_word(w, EXTRA_PRON[w], True)
    try:
        decoder.set_align_text(" ".join(words))
        decoder.start_utt()
        decoder.process_raw(raw, full_utt=True)
        decoder.end_utt()
        decoder.set_alignment()
        decoder.start_utt()
        decoder.process_raw(raw, full_utt=True)
        decoder.end_utt()
        phones = [[round(p.start / 100, 2), round((p.start + p.duration) / 100, 2), p.name]
                  for w in decoder.get_alignment() for p in w]
    except RuntimeError as exc:  # its search found no path through the words ("Failed to set up ... alignment")
        raise AlignmentError(f"pocketsphinx could not align the text: {exc}") from exc
    if not phones:
        raise AlignmentError("pocketsphinx found no alignment")
    return Alignment(phones, "pocketsphinx", "arpabet", None)


def align(samples: np.ndarray, rate: int, text: str, language: str) -> Alignment:
    """pocketsphinx with its dictionary for English when it is installed and knows every word; else pocketsphinx
    on espeak-ng's phones (:func:`align_phonetic`, any language); espeak-ng DTW where neither can."""
    if language.lower().startswith("en"):
        try:
            return align_pocketsphinx(samples, rate, text)
        except AlignmentError:
            pass
    try:
        return align_phonetic(samples, rate, text, language)
    except AlignmentError:
        return align_dtw(samples, rate, text, language)
