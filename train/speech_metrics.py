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

Those are issue 14's measures (:func:`clip_scores`, kept so docs/RESULTS.md's history reproduces). Issue 26's
targets define their own, which :func:`target_scores` computes (cross-checked in the tests against the numpy
reference ``findings/real_speech_measures.py`` beside the project):

* opening: the distance between the upper and the lower lip midpoint vertices (:func:`lip_midpoints`) minus that
  distance at rest;
* loudness: RMS dB of the 1/fps window centred on each frame (:func:`frame_loudness_db`); a pause is a frame more
  than 25 dB under the clip's 90th-percentile frame loudness (:func:`level_pauses`);
* ``r``: Pearson(opening, loudness dB) over all frames; ``r_clean``: the same against the loudness of the clean
  recording that a degraded clip (babble, music bed) was made from;
* ``pause_speech``: mean |opening[t] - opening[t-1]| over pause frames t over the same over speech frames
  (:func:`lip_motion`; at least 3 of each);
* at phone centres: ``closed``, the share of P/B/M whose opening is under 20 % of the clip's mean vowel-centre
  opening; ``false_closures``, the same rule at vowel centres; ``pbm_over_vowel``, the mean P/B/M opening over
  the mean vowel opening (:func:`closures`);
* non-speech (tones, music, noise): a clip's mean lip motion over that of speech clips, for the same head
  (:func:`motion_ratio`).
"""

from __future__ import annotations

import numpy as np

from multanet_core import metrics
from multanet_core.contact import frame_loudness_db, lip_midpoints  # the ones inference seals and rests by, too
from multanet_core.phone_map import ARPABET_BILABIAL as ARPABET_BILABIALS  # the sets a line's script reads by
from multanet_core.phone_map import ARPABET_VOWELS, SILENCES

MIN_PAUSE_S = 0.15
CLOSED_SHARE = 0.2
SLACK_FRAMES = 1  # closed_1: closed within this many frames of the centre (the aligner's 20-40 ms)


def is_silence(phone: str) -> bool:
    """Whether a timeline label (stripped) is a silence, in any case (``sil``, ``SIL``, ``pau``, ``_``...)."""
    return phone in SILENCES or phone.lower() in SILENCES


def phone_class(phone: str) -> str:
    """``silence``, ``bilabial``, ``vowel`` or ``other`` for an IPA or ARPAbet phone."""
    p = phone.strip()
    if is_silence(p):
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


# --- issue 26's target measures (findings/real_speech_measures.py is their reference)

PAUSE_UNDER_DB = 25.0  # a pause: this far under the clip's PAUSE_PERCENTILE frame loudness
PAUSE_PERCENTILE = 90.0
MIN_MOTION_FRAMES = 3  # pause/speech needs this many pause and speech frames
ARPABET = ARPABET_VOWELS | ARPABET_BILABIALS | {
    "B", "CH", "D", "DH", "DX", "EL", "EN", "F", "G", "HH", "JH", "K", "L", "N", "NG", "NX", "Q", "R", "S", "SH",
    "T", "TH", "V", "W", "WH", "Y", "Z", "ZH"}


def lip_opening(vertices: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int) -> np.ndarray:
    """Per frame: the distance between the lip midpoints (:func:`lip_midpoints`) minus that distance at rest
    (0 at rest, > 0 open, < 0 pressed)."""
    upper, lower = lip_midpoints(template, lips, up)
    rest = np.linalg.norm(template[upper] - template[lower])
    return np.linalg.norm(vertices[:, upper] - vertices[:, lower], axis=1) - rest


def level_pauses(loudness: np.ndarray) -> np.ndarray:
    """Pause frames: more than 25 dB under the clip's 90th-percentile frame loudness."""
    return loudness < np.percentile(loudness, PAUSE_PERCENTILE) - PAUSE_UNDER_DB


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation, or None where either is constant."""
    return float(np.corrcoef(a, b)[0, 1]) if np.std(a) > 0 and np.std(b) > 0 else None


def lip_motion(opening: np.ndarray) -> np.ndarray:
    """|opening[t] - opening[t-1]| for t = 1 .. T-1."""
    return np.abs(np.diff(opening))


def pause_speech(opening: np.ndarray, pauses: np.ndarray) -> float | None:
    """Mean lip motion into pause frames over that into speech frames (None under 3 frames of either)."""
    motion, quiet = lip_motion(opening), np.asarray(pauses, bool)[1:]
    if quiet.sum() < MIN_MOTION_FRAMES or (~quiet).sum() < MIN_MOTION_FRAMES:
        return None
    return float(motion[quiet].mean() / motion[~quiet].mean())


def is_arpabet(phones: list) -> bool:
    """Whether every label of a timeline is ARPAbet (any case, stress digits allowed) or a silence."""
    labels = [str(p).strip() for _, _, p in phones]
    return bool(labels) and all(is_silence(p) or p.rstrip("012").upper() in ARPABET
                                for p in labels)


def centre_class(phone: str, arpabet: bool) -> str:
    """:func:`phone_class` of a label; in an ARPAbet timeline ``arpabet`` reads it in upper case (HTS labels
    are lower case: ``iy``, and ``y`` is a glide there, not the IPA vowel)."""
    if arpabet:
        p = str(phone).strip().rstrip("012").upper()
        return "bilabial" if p in ARPABET_BILABIALS else "vowel" if p in ARPABET_VOWELS else "other"
    return phone_class(str(phone))


def centres(phones: list, fps: float, n_frames: int, wanted: str, arpabet: bool = False) -> np.ndarray:
    """Frame indices (round half to even) of the centres of the phones of class ``wanted`` inside the clip."""
    idx = [int(round((float(s) + float(e)) / 2 * fps)) for s, e, p in phones if centre_class(p, arpabet) == wanted]
    return np.asarray([i for i in idx if 0 <= i < n_frames], np.int64)


def closures(opening: np.ndarray, phones: list, fps: float, arpabet: bool = False) -> dict:
    """``closed``, ``false_closures`` and ``pbm_over_vowel`` at the phone centres (empty where the clip has no
    P/B/M, no vowel, or a mean vowel opening <= 0), with the counts ``pbm_centres`` and ``vowel_centres``."""
    n = len(opening)
    b = centres(phones, fps, n, "bilabial", arpabet)
    v = centres(phones, fps, n, "vowel", arpabet)
    if not len(b) or not len(v) or opening[v].mean() <= 0:
        return {}
    vowel_open = opening[v].mean()
    threshold = CLOSED_SHARE * vowel_open
    return {"closed": float(np.mean(opening[b] < threshold)), "false_closures": float(np.mean(opening[v] < threshold)),
            "closed_1": float(np.mean(_nearby_min(opening, b) < threshold)),
            "false_closures_1": float(np.mean(_nearby_min(opening, v) < threshold)),
            "pbm_over_vowel": float(opening[b].mean() / vowel_open), "pbm_centres": int(len(b)),
            "vowel_centres": int(len(v))}


def _nearby_min(opening: np.ndarray, frames: np.ndarray, slack: int = SLACK_FRAMES) -> np.ndarray:
    """The smallest opening within ``slack`` frames of each of ``frames``: a centre an aligner placed a frame off
    the closure still meets it (``closed_1``, ``false_closures_1``: not issue 26's measure, beside it)."""
    n = len(opening)
    return np.array([opening[max(0, f - slack):min(n, f + slack + 1)].min() for f in frames])


def target_scores(vertices: np.ndarray, template: np.ndarray, lips: np.ndarray, up: int, samples: np.ndarray,
                  rate: int, fps: float, phones: list | None = None, arpabet: bool | None = None,
                  clean_samples: np.ndarray | None = None) -> tuple[dict, dict]:
    """(scores, curves) of one clip's vertices [T, V, 3] by issue 26's definitions (module docstring).

    ``arpabet``: whether ``phones`` are ARPAbet (None: :func:`is_arpabet` decides). ``clean_samples``: the clean
    recording a degraded clip was made from (same rate), for ``r_clean``. Scores left out where undefined;
    ``motion`` is the clip's mean lip motion (for :func:`motion_ratio`)."""
    opening = lip_opening(vertices, template, lips, up)
    loud = frame_loudness_db(samples, rate, fps, len(opening))
    pauses = level_pauses(loud)
    scores: dict = {"r": pearson(opening, loud), "pause_speech": pause_speech(opening, pauses),
                    "pause_frames": float(pauses.mean()),
                    "motion": float(lip_motion(opening).mean()) if len(opening) > 1 else None}
    if phones:
        scores.update(closures(opening, phones, fps, is_arpabet(phones) if arpabet is None else arpabet))
        scores["pause_places"] = pause_places(pauses, opening, phones, fps, arpabet)
    if clean_samples is not None:
        n = min(len(opening), int(np.ceil(len(clean_samples) / rate * fps)))
        scores["r_clean"] = pearson(opening[:n], frame_loudness_db(clean_samples, rate, fps, n))
    return scores, {"opening": opening, "loudness_db": loud, "pauses": pauses}


PAUSE_PLACES = ("silence of 150 ms or more", "silence under 150 ms", "P/B/M", "another stop", "another consonant",
                "vowel", "no reference phone")
_STOPS = frozenset("tkdgʔcɟqɢ") | frozenset({"T", "K", "D", "G"})


def pause_places(pauses: np.ndarray, opening: np.ndarray, phones: list, fps: float,
                 arpabet: bool | None = None) -> dict:
    """Where a clip's level pauses lie by its reference phones, and the lip motion into them: {place
    (:data:`PAUSE_PLACES`): [pause frames, summed |opening change|]}, and ``speech``: [speech frames, summed
    motion]. A pause is any quiet frame, so a word's own stop and P/B/M closures count; this says how many."""
    motion, quiet = lip_motion(opening), np.asarray(pauses, bool)[1:]
    times = np.arange(1, len(opening)) / float(fps)
    place = np.full(len(motion), PAUSE_PLACES[-1], object)
    arpa = is_arpabet(phones) if arpabet is None else arpabet
    for start, end, phone in phones:
        base = str(phone).strip()
        cls = "silence" if is_silence(base) else centre_class(base, arpa)
        base = base.rstrip("012")
        if cls == "silence":
            label = PAUSE_PLACES[0] if float(end) - float(start) >= 0.15 else PAUSE_PLACES[1]
        elif cls == "bilabial":
            label = PAUSE_PLACES[2]
        elif cls == "vowel":
            label = PAUSE_PLACES[5]
        else:
            label = PAUSE_PLACES[3] if base in _STOPS or (arpa and base.upper() in _STOPS) else PAUSE_PLACES[4]
        place[(times >= float(start)) & (times < float(end))] = label
    out = {p: [int((quiet & (place == p)).sum()), float(motion[quiet & (place == p)].sum())] for p in PAUSE_PLACES}
    out["speech"] = [int((~quiet).sum()), float(motion[~quiet].sum())]
    return out


def pooled_pause_places(entries: list[dict]) -> dict:
    """:func:`pause_places` of many clips pooled: per place, its share of the pause frames, its lip motion over
    speech's (per frame), and its share of the pause frames' lip motion."""
    total = {k: np.sum([e[k] for e in entries], axis=0) for k in (*PAUSE_PLACES, "speech")}
    frames = sum(total[p][0] for p in PAUSE_PLACES)
    motion = sum(total[p][1] for p in PAUSE_PLACES)
    speech = total["speech"][1] / max(total["speech"][0], 1)
    return {p: {"share": float(total[p][0] / max(frames, 1)),
                "motion_vs_speech": float(total[p][1] / total[p][0] / speech) if total[p][0] and speech else None,
                "motion_share": float(total[p][1] / motion) if motion else None} for p in PAUSE_PLACES}


def motion_ratio(motion: float | None, speech_motions: list[float]) -> float | None:
    """A clip's mean lip motion over the mean of speech clips' (same head): non-speech should score ~0."""
    speech = [m for m in speech_motions if m is not None]
    if motion is None or not speech or np.mean(speech) <= 0:
        return None
    return float(motion / np.mean(speech))
