"""Forced alignment: a recording and its transcript in, a phone timeline ``[[start_s, end_s, phone], ...]`` out.

Two aligners, one result type (:class:`Alignment`):

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

:func:`align` picks pocketsphinx for English when it is there and the text is in its dictionary, and
the DTW aligner otherwise. ``Alignment.cost`` is the DTW path's mean frame distance; pocketsphinx alignments
carry ``None``. The cost is no test of a wrong text yet: the words of one clip shuffled cost more than the
right ones on 12 of 14 English clips, but another clip's text often costs no more.

Only numpy (and :mod:`multanet_core`'s resampler) on the DTW side; espeak-ng through :mod:`train.synth.espeak`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from multanet_core.audio import SILENCE_PEAK, prepare

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


def _espeak_rendering(text: str, language: str, variant: str):
    from .synth.espeak import EspeakError, Voice, synthesize

    names = [language.lower()] + ([language.lower().split("-")[0]] if "-" in language else [])
    for name in names:  # "en-gb" is espeak-ng's "en"; "pt-br" is its own voice
        try:
            return synthesize(text, name, Voice(variant, 50, 50, 160))
        except EspeakError as exc:
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
    phones: list[list] = []
    if t[0] > 0:
        phones.append([0.0, round(float(t[0]), 4), SILENCE])
    for k, label in enumerate(labels):
        s, e = float(t[k]), float(t[k + 1])
        if e - s <= 0:
            continue
        if label == SILENCE and phones and phones[-1][2] == SILENCE:
            phones[-1][1] = round(e, 4)
        else:
            phones.append([round(s, 4), round(e, 4), label])
    if phones[-1][1] < duration:
        if phones[-1][2] == SILENCE:
            phones[-1][1] = round(duration, 4)
        else:
            phones.append([phones[-1][1], round(duration, 4), SILENCE])
    return Alignment(phones, "dtw-espeak", "ipa", cost)


EXTRA_PRON = {"waldo's": "W AO L D OW Z"}


def english_words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


def align_pocketsphinx(samples: np.ndarray, rate: int, text: str) -> Alignment:
    """English forced alignment with pocketsphinx's bundled en-us model (ARPAbet phones, 10 ms steps)."""
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise AlignmentError("pocketsphinx is not installed (pip install pocketsphinx)") from exc
    x = prepare(samples, rate).astype(np.float64) * 32768.0
    raw = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
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
    """pocketsphinx for English when it is installed and knows every word, espeak-ng DTW otherwise."""
    if language.lower().startswith("en"):
        try:
            return align_pocketsphinx(samples, rate, text)
        except AlignmentError:
            pass
    return align_dtw(samples, rate, text, language)
