"""How well a face follows a real voice, without motion ground truth (arrays in, numbers out).

Real recordings have no captured face, but a mouth that follows speech behaves in known ways:

* it opens with the voice: per clip, the Pearson correlation ``r`` between the mouth opening and the
  audio's loudness (dB, 40 ms windows centred on the frames);
* it rests in pauses: the lips' mean displacement from rest in pause frames divided by that in speech
  frames (the synthetic ground truth gives about 0.5: coarticulation runs into the pauses' edges);
* it closes on P, B and M: the mean opening at the centres of bilabial phones divided by the mean
  opening at vowel centres (ground truth 0.4-0.5), and the share of bilabials whose opening is under
  20 % of that vowel mean ("closed");
* it does not tremble: the lips' mean jerk (:func:`multanet_core.metrics.jerk`).

The mouth opening is the lip vertices' extent along the head's up axis minus the same extent at rest.
Pauses come from the phone alignment when a clip has one, otherwise from the loudness: a frame is
speech when it is louder than the midpoint (in dB) between the clip's 10th and 95th percentiles, and
only quiet runs of at least 150 ms count as pauses (shorter ones are stop closures).
Phones may be IPA (espeak) or ARPAbet (CMU, with or without stress digits).
"""

from __future__ import annotations

import numpy as np

from multanet_core import metrics

ARPABET_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AX", "AXR", "AY", "EH", "ER", "EY", "IH", "IX", "IY", "OW", "OY",
                  "UH", "UW", "UX"}
ARPABET_BILABIALS = {"P", "B", "M", "EM"}
SILENCES = {"", "_", "sil", "sp", "pau", "spn", "h#", "#", "SIL", "<sil>", "[SIL]", "NSN"}
MIN_PAUSE_S = 0.15
CLOSED_SHARE = 0.2


def phone_class(phone: str) -> str:
    """``silence``, ``bilabial``, ``vowel`` or ``other`` for an IPA or ARPAbet phone."""
    p = phone.strip()
    if p in SILENCES or p.lower() in SILENCES:
        return "silence"
    if p.isascii() and p.upper() == p and any(c.isalpha() for c in p):  # ARPAbet: upper case, stress digits
        arpa = p.rstrip("012")
        if arpa in ARPABET_BILABIALS:
            return "bilabial"
        return "vowel" if arpa in ARPABET_VOWELS else "other"
    from train.synth.articulation import phoneme_class  # IPA, as the corpus generator classifies it

    cls = phoneme_class(p)
    if cls in ("open", "rounded", "vowel"):
        return "vowel"
    return {"bilabial": "bilabial", "silence": "silence"}.get(cls, "other")


def mouth_opening(vertices: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int) -> np.ndarray:
    """Per frame: the lips' extent along ``up`` minus the template's (0 at rest, > 0 open)."""
    ext = vertices[:, lips, up].max(1) - vertices[:, lips, up].min(1)
    return ext - (template[lips, up].max() - template[lips, up].min())


def lip_displacement(vertices: np.ndarray, template: np.ndarray, lips: np.ndarray) -> np.ndarray:
    """Per frame: the lip vertices' mean distance from their rest position."""
    return np.linalg.norm(vertices[:, lips].astype(np.float64) - template[lips], axis=2).mean(1)


def loudness_db(samples: np.ndarray, rate: int, fps: float, n_frames: int, window_s: float = 0.04) -> np.ndarray:
    """RMS level (dBFS) of a window centred on each video frame."""
    x = np.asarray(samples, np.float64)
    half = int(window_s * rate / 2)
    centres = np.round(np.arange(n_frames) / fps * rate).astype(np.int64)
    power = np.concatenate([[0.0], np.cumsum(x * x)])
    lo = np.clip(centres - half, 0, len(x))
    hi = np.clip(centres + half, 0, len(x))
    mean = (power[hi] - power[lo]) / np.maximum(hi - lo, 1)
    return 10 * np.log10(np.maximum(mean, 1e-12))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return list(zip(edges[::2], edges[1::2], strict=True))


def pause_mask(n_frames: int, fps: float, phones: list | None, loud: np.ndarray | None) -> np.ndarray:
    """Pause frames: the alignment's silences, else quiet runs of at least 150 ms."""
    t = np.arange(n_frames) / fps
    if phones:
        quiet = np.zeros(n_frames, bool)
        for start, end, phone in phones:
            if phone_class(str(phone)) == "silence":
                quiet |= (t >= float(start)) & (t < float(end))
    else:
        lo, hi = np.percentile(loud, [10, 95])
        quiet = loud < (lo + hi) / 2
    pauses = np.zeros(n_frames, bool)
    for a, b in _runs(quiet):
        if (b - a) / fps >= MIN_PAUSE_S:
            pauses[a:b] = True
    return pauses


def phone_centres(phones: list, fps: float, n_frames: int, wanted: str) -> np.ndarray:
    """Frame indices at the centres of the phones of class ``wanted``."""
    idx = [int(round((float(s) + float(e)) / 2 * fps)) for s, e, p in phones if phone_class(str(p)) == wanted]
    return np.asarray([i for i in idx if 0 <= i < n_frames], np.int64)


def clip_scores(vertices: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int, samples16k: np.ndarray,
                fps: float, phones: list | None = None) -> tuple[dict, dict]:
    """(scores, curves) of one clip's predicted vertices [T, V, 3]; see the module docstring."""
    n = len(vertices)
    opening = mouth_opening(vertices, template, lips, up)
    loud = loudness_db(samples16k, 16000, fps, n)
    pauses = pause_mask(n, fps, phones, loud)
    disp = lip_displacement(vertices, template, lips)
    scores: dict = {
        "r_opening_loudness": float(np.corrcoef(opening, loud)[0, 1]) if opening.std() > 0 else 0.0,
        "pause_speech_motion": (float(disp[pauses].mean() / max(disp[~pauses].mean(), 1e-12))
                                if pauses.any() and (~pauses).any() else None),
        "pause_share": float(pauses.mean()),
        "jerk": metrics.jerk(vertices, lips, fps) if n >= 4 else None,
    }
    if phones:
        vowels = phone_centres(phones, fps, n, "vowel")
        bilabials = phone_centres(phones, fps, n, "bilabial")
        if len(vowels) and len(bilabials):
            vowel_open = float(opening[vowels].mean())
            scores["pbm_vowel_opening"] = float(opening[bilabials].mean() / vowel_open) if vowel_open > 0 else None
            scores["pbm_closed_share"] = float(np.mean(opening[bilabials] < CLOSED_SHARE * vowel_open))
            scores["bilabials"] = int(len(bilabials))
    curves = {"opening": opening, "loudness_db": loud, "pauses": pauses}
    return scores, curves
