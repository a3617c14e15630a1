"""Blinks: a seeded layer of eye blinks for a line, made at bake time, not by the network.

Blinks are not in the audio, so the network is never asked to guess them. A line gets about
:data:`PER_MINUTE` blinks a minute (people blink 10-25 times a minute in conversation), each 100-250 ms (a
fast close, a short hold and a slower opening), drawn by a random generator seeded from the line, so a re-bake
gives the same blinks. Where they fall follows how people blink while they talk:

* more in pauses and at phrase boundaries: a blink's start is drawn near its due time with frames of a quiet
  stretch (:func:`multanet_core.contact.quiet_weights`), and the 300 ms either side of one, weighted
  :data:`PAUSE_PREFERENCE` times;
* fewer in stressed stretches: frames in the line's loudest tenth of its speech weigh :data:`STRESS_PREFERENCE`;
* never while the lips close: no blink overlaps a frame of ``avoid`` (:func:`closure_like`: speech frames where
  the predicted mouth is nearly shut, or a contact head's closure probability is high), since a blink on a
  P/B/M reads as a wince.

numpy only. :func:`line_blinks` is what a bake calls; :func:`blink_curve` turns the events into the 0..1 weight
of ``eyeBlinkLeft`` and ``eyeBlinkRight`` (:func:`add_blinks`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from .contact import RAMP, frame_loudness_db, quiet_weights

BLINK_NAMES = ("eyeBlinkLeft", "eyeBlinkRight")
PER_MINUTE = 17.0  # mean rate while talking (the 10-25 a minute of conversation)
DURATION_S = (0.10, 0.25)  # shortest and longest blink
TYPICAL_S = 0.15  # median duration
CLOSE_SHARE, HOLD_SHARE = 0.35, 0.10  # of a blink's duration: closing, then held shut; the rest opens
MIN_GAP_S = 0.8  # from one blink's end to the next one's start
WINDOW_S = 1.0  # a blink due at t starts somewhere in t +- this
INTERVAL_SHAPE = 4.0  # gamma shape of the intervals between due times: more regular than a Poisson process
PAUSE_PREFERENCE = 6.0
BOUNDARY_S = 0.3
STRESS_PREFERENCE = 0.3
STRESS_SHARE = 0.10
CLOSED_SHARE = 0.35  # a speech frame whose opening is under this share of the speech's 90th percentile is "shut"
CLOSED_PROBABILITY = RAMP[0]  # or whose contact-head closure probability is over this (where Lip Contact closes)


@dataclass(frozen=True)
class Blink:
    start_s: float
    duration_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    @property
    def peak_s(self) -> float:
        return self.start_s + (CLOSE_SHARE + HOLD_SHARE / 2) * self.duration_s


def blink_seed(*parts: str) -> int:
    """A seed that depends only on ``parts`` (the object's and the line's names): the same line blinks alike on
    every bake and every machine (Python's own ``hash`` of a string changes from run to run)."""
    return zlib.crc32("\x1f".join(parts).encode("utf-8", "surrogatepass"))


def closure_like(opening: np.ndarray, speaking: np.ndarray, closed_prob: np.ndarray | None = None) -> np.ndarray:
    """bool [T]: frames a blink must keep clear of, where the lips close or may close: speech frames whose
    predicted ``opening`` [T] is under :data:`CLOSED_SHARE` of the speech frames' 90th percentile, or whose
    ``closed_prob`` [T] (a contact head's) is over :data:`CLOSED_PROBABILITY`; widened by a frame either side.
    A pause is never one: lips at rest are shut too (a contact head hears them so), and a pause is where people
    blink most."""
    opening = np.asarray(opening, np.float64)
    speaking = np.asarray(speaking, bool)
    shut = np.zeros(len(opening), bool)
    if speaking.any():
        loud_open = float(np.percentile(opening[speaking], 90))
        base = float(np.min(opening))
        shut = speaking & (opening - base < CLOSED_SHARE * max(loud_open - base, 1e-9))
    if closed_prob is not None:
        shut |= speaking & (np.asarray(closed_prob, np.float64) > CLOSED_PROBABILITY)
    return np.convolve(shut.astype(np.int64), np.ones(3, np.int64), mode="same") > 0


def preference(quiet: np.ndarray, loudness_db: np.ndarray, fps: float) -> np.ndarray:
    """float [T]: how much more likely a blink starts at each frame: pauses and the frames near their edges
    :data:`PAUSE_PREFERENCE`, the loudest :data:`STRESS_SHARE` of speech :data:`STRESS_PREFERENCE`, else 1."""
    pause = np.asarray(quiet, np.float64) >= 0.5
    n = len(pause)
    near = np.zeros(n, bool)
    reach = int(round(BOUNDARY_S * fps))
    for edge in np.flatnonzero(np.diff(pause.astype(np.int8))):
        near[max(0, edge - reach): edge + reach + 2] = True
    p = np.ones(n)
    speech = ~pause
    if speech.any():
        stressed = speech & (loudness_db >= np.percentile(loudness_db[speech], 100 * (1 - STRESS_SHARE)))
        p[stressed] = STRESS_PREFERENCE
    p[pause | near] = PAUSE_PREFERENCE
    return p


def blink_events(n_frames: int, fps: float, seed: int, prefer: np.ndarray | None = None,
                 avoid: np.ndarray | None = None, per_minute: float = PER_MINUTE) -> list[Blink]:
    """The blinks of a line of ``n_frames`` frames: due times a gamma renewal process apart (mean 60 /
    ``per_minute`` s); each starts at a frame near its due time drawn with weights ``prefer`` [T], never so that
    it overlaps a frame of ``avoid`` [T] (a blink that finds no such frame is due again just past its window)
    or comes within :data:`MIN_GAP_S` of the one before. Each blink's peak falls on a frame, so the eyes shut
    fully on it."""
    if n_frames <= 0 or per_minute <= 0:
        return []
    rng = np.random.default_rng(seed)
    prefer = np.ones(n_frames) if prefer is None else np.asarray(prefer, np.float64)
    avoid = np.zeros(n_frames, bool) if avoid is None else np.asarray(avoid, bool)
    mean_s = 60.0 / per_minute
    length_s = n_frames / fps
    due = rng.uniform(0.0, mean_s)  # a random phase: a line does not always blink at its start
    free_from = 0.0
    events: list[Blink] = []
    while due < length_s:
        duration = float(np.clip(TYPICAL_S * np.exp(0.25 * rng.standard_normal()), *DURATION_S))
        lead = (CLOSE_SHARE + HOLD_SHARE / 2) * duration
        peaks = np.arange(int(np.floor((due - WINDOW_S) * fps)), int(np.ceil((due + WINDOW_S) * fps)) + 1)
        starts = peaks / fps - lead
        ok = (starts >= max(free_from, 0.0)) & (starts + duration <= length_s)
        first = np.floor(starts * fps).astype(np.int64)
        last = np.ceil((starts + duration) * fps).astype(np.int64)
        for i in np.flatnonzero(ok):
            ok[i] = not avoid[max(first[i], 0): min(last[i] + 1, n_frames)].any()
        weights = np.where(ok, prefer[np.clip(peaks, 0, n_frames - 1)], 0.0)
        if weights.sum() > 0:
            k = int(rng.choice(len(peaks), p=weights / weights.sum()))
            events.append(Blink(float(starts[k]), duration))
            free_from = events[-1].end_s + MIN_GAP_S
            due = max(due, events[-1].start_s) + rng.gamma(INTERVAL_SHAPE, mean_s / INTERVAL_SHAPE)
        else:  # nowhere clear near its due time: look again just past the window, so the rate holds
            due += WINDOW_S
    return events


def blink_curve(events: list[Blink], n_frames: int, fps: float) -> np.ndarray:
    """float32 [T] in 0..1: the eyelids' closure at each frame (1 = shut): a smoothstep close over the first
    :data:`CLOSE_SHARE` of a blink, shut for :data:`HOLD_SHARE`, a smoothstep opening over the rest."""
    t = np.arange(n_frames) / float(fps)
    out = np.zeros(n_frames, np.float64)

    def smooth(x):
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3 - 2 * x)

    for b in events:
        close_end = b.start_s + CLOSE_SHARE * b.duration_s
        open_start = close_end + HOLD_SHARE * b.duration_s
        v = np.where(t < close_end, smooth((t - b.start_s) / (close_end - b.start_s)),
                     np.where(t <= open_start, 1.0, 1.0 - smooth((t - open_start) / (b.end_s - open_start))))
        v[(t < b.start_s) | (t > b.end_s)] = 0.0
        out = np.maximum(out, v)
    return out.astype(np.float32)


def line_blinks(samples: np.ndarray, rate: int, fps: float, opening: np.ndarray, seed: int,
                closed_prob: np.ndarray | None = None,
                per_minute: float = PER_MINUTE, quiet: np.ndarray | None = None) -> tuple[list[Blink], np.ndarray]:
    """A line's blinks and their curve [T] (T = ``len(opening)``), from its audio (``samples`` at ``rate``: where
    it pauses and where it is loud) and the predicted mouth (``opening`` [T], the lip gap; ``closed_prob`` [T],
    a contact head's closure probability, where there is one). ``quiet`` [T]: the samples' :func:`quiet_weights`
    where the caller has them already (a bake with a contact head does)."""
    n = len(opening)
    if quiet is None:
        quiet = quiet_weights(samples, rate, fps, n)
    loud = frame_loudness_db(samples, rate, fps, n)
    avoid = closure_like(opening, quiet < 0.5, closed_prob)
    events = blink_events(n, fps, seed, preference(quiet, loud, fps), avoid, per_minute)
    return events, blink_curve(events, n, fps)


def add_blinks(weights: np.ndarray, names: tuple[str, ...] | list[str], curve: np.ndarray) -> np.ndarray:
    """A rig head's weights [T, W] with ``eyeBlinkLeft`` and ``eyeBlinkRight`` at least ``curve`` [T]."""
    out = np.array(weights, np.float32, copy=True)
    for name in BLINK_NAMES:
        if name in names:
            j = list(names).index(name)
            out[:, j] = np.maximum(out[:, j], curve)
    return out
