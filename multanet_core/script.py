"""A line's script (the words it says) as an optional input: aligned to the audio, it gives exact lip contact.

Studios nearly always have the text of a recorded line. :func:`align_script` reads the text into phones with
espeak-ng (any language it speaks) and places them in the recording with pocketsphinx's English acoustic model
(:func:`multanet_core.align.align_words`). Forced alignment places any text somewhere, so the text is tested
first: pocketsphinx listens for the text's words in any order (:func:`multanet_core.align.decode_words`), and
the word error rate of what it hears against the text's order is compared with that against the text's words
shuffled. Where the audio says the text, the heard words follow its order far better than any shuffle
(:data:`MATCH_Z` standard deviations, or nearly every word heard in order); a shuffled line, another line's text
or another language does not. Such a text gets a warning that names the line, and the line bakes from the audio
alone. In a text that matches, a run of :data:`MISSING_RUN` words that pocketsphinx did not hear where the
alignment put them (an ad-lib, a cut) bakes from the audio alone: so a wrong text never bakes a confident
wrong closure.

:func:`script_tracks` turns the trusted phones into per-frame weights, :func:`apply_script` applies them to a
head's coefficients: the lips sealed through every P/B/M (the lip gap brought to the closed lips'), the lower
lip near the teeth on F/V, vowels never mouthed shut, and the face at rest through the pauses the alignment
finds. Everything else (coarticulation, loudness, expression) stays as the audio network made it. numpy,
espeak-ng, pocketsphinx.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field, replace

import numpy as np

from .align import RATE, AlignmentError, align_words, decode_words, text_words, word_phones
from .contact import QUIET_MIN_S, REST_EDGE_FRAMES, SILENCE_FRAMES, LipLift, closing_step, running_mean, running_min
from .errors import MulTaNetError
from .phone_map import lip_class

MATCH_Z = 3.5  # the heard words follow the text's order this many standard deviations better than shuffles do
CLOSE_WER = 0.25  # ... or at most this word error rate (a short line has few shuffles) and MIN_Z deviations
MIN_Z = 1.0
SHUFFLES = 30
HEARD_SLACK_S = 0.15  # a word counts as heard where pocketsphinx heard it within this of where it was placed
MISSING_RUN = 3  # this many words in a row not heard where placed: that stretch bakes from the audio alone
MAX_SECONDS = 600.0  # longer lines are refused: split them
MAX_TEXT_BYTES = 100_000
NEIGHBOUR_SEAL = (0.2,)  # the frames 1, 2... before and after a closure close this much of the way: lips meet, not snap
LABIODENTAL_SHARE = 0.25  # on F/V the lip gap is at most this share of the line's mean vowel opening
VOWEL_SHARE = 0.3  # through a vowel the lip gap is at least this share of the line's mean vowel opening
PRESS_SHARE = 0.05  # on P/B/M the lips press past closed by this share of it (a captured closure presses a little)
DEFAULT_LANGUAGE = "en-us"


class ScriptError(MulTaNetError):
    """A script that cannot be used at all: unreadable, empty, too long, or a line too long to align."""


@dataclass
class ScriptTiming:
    """A line's text placed in its audio: phones ``[[start_s, end_s, ipa], ...]`` and which ones to trust."""

    text: str
    language: str
    phones: list[list] = field(default_factory=list)
    trusted: list[bool] = field(default_factory=list)
    trusted_share: float = 0.0  # of the spoken phones
    warning: str = ""  # '' when the text matched the audio
    match: tuple[float, float] | None = None  # (z, word error rate) of the text against the audio (match_score)

    @property
    def used(self) -> bool:
        return any(self.trusted)

    def shifted(self, seconds: float) -> ScriptTiming:
        """The same timing on a clock that starts ``seconds`` into the audio it was aligned to (a trimmed strip)."""
        return replace(self, phones=[[s - seconds, e - seconds, p] for s, e, p in self.phones],
                       trusted=list(self.trusted))

    def note(self) -> str:
        """One line for a report of a text that matched: how much of it was placed ('' when it warned)."""
        return "" if self.warning else f"text placed ({100 * self.trusted_share:.0f} % of its phones with confidence)"


def read_text(path: str | os.PathLike) -> str:
    """A script file's text (UTF-8, a byte order mark allowed), whitespace collapsed; refused with a
    :class:`ScriptError` where it is missing, unreadable, over :data:`MAX_TEXT_BYTES` or empty."""
    try:
        size = os.path.getsize(path)
        if size > MAX_TEXT_BYTES:
            raise ScriptError(f"{os.fspath(path)}: {size} bytes is too long for one line's script "
                              f"(at most {MAX_TEXT_BYTES})")
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError as exc:
        raise ScriptError(f"{os.fspath(path)}: no such script file") from exc
    except UnicodeDecodeError as exc:
        raise ScriptError(f"{os.fspath(path)}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ScriptError(f"{os.fspath(path)}: cannot read it ({exc.strerror or exc})") from exc
    return clean_text(text, os.fspath(path))


def clean_text(text: str, what: str = "the script") -> str:
    """``text`` with its whitespace collapsed; a :class:`ScriptError` where nothing is left."""
    cleaned = " ".join(str(text).split())
    if not cleaned:
        raise ScriptError(f"{what}: the text is empty")
    if len(cleaned.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ScriptError(f"{what}: the text is too long for one line's script (at most {MAX_TEXT_BYTES} bytes)")
    return cleaned


def text_beside(audio_path: str | os.PathLike) -> str | None:
    """The path of the ``.txt`` beside an audio file with the same name (as Rhubarb Lip Sync's dialog file),
    or None when there is none."""
    stem, _ = os.path.splitext(os.fspath(audio_path))
    for candidate in (stem + ".txt", stem + ".TXT"):
        if os.path.isfile(candidate):
            return candidate
    return None


def line_text(text: str | None = None, text_file: str | os.PathLike | None = None,
              audio_path: str | os.PathLike | None = None, beside: bool = True) -> tuple[str | None, str]:
    """A line's script, from the first of: ``text``, the file ``text_file``, the ``.txt`` beside ``audio_path``
    (when ``beside``); (None, "") when there is none. The second item says where it came from."""
    if text is not None and text_file is not None:
        raise ScriptError("give the line's text or a text file, not both")
    if text is not None:
        return clean_text(text, "the line's text"), "the given text"
    if text_file is not None:
        return read_text(text_file), os.fspath(text_file)
    found = text_beside(audio_path) if beside and audio_path is not None else None
    return (read_text(found), found) if found else (None, "")


def align_script(samples: np.ndarray, text: str, language: str = DEFAULT_LANGUAGE,
                 name: str = "the line") -> ScriptTiming:
    """Place ``text`` in 16 kHz ``samples`` (see the module docstring). Never raises for a text that does not
    fit the audio: that gives a warning and no trusted phone. Raises :class:`ScriptError` for a line over
    :data:`MAX_SECONDS`, a text without words, and a language espeak-ng has no voice for."""
    text = clean_text(text, name)
    seconds = len(samples) / RATE
    if seconds > MAX_SECONDS:
        raise ScriptError(f"{name}: {seconds:.0f} s is too long to align its text (at most {MAX_SECONDS:.0f} s): "
                          f"split the line, or bake it without its text")
    words = text_words(text)
    if not words:
        raise ScriptError(f"{name}: its text has no words")
    timing = ScriptTiming(text, language)
    try:
        phones = word_phones(words, language)
        placed, word_of = align_words(samples, RATE, words, phones)
        heard = decode_words(samples, RATE, phones)
    except AlignmentError as exc:
        if "no voice" in str(exc):
            raise ScriptError(f"{name}: {exc}") from exc
        if "not installed" in str(exc):  # Blender's own Python, say: the bake goes on from the audio
            timing.warning = (f"{name}: its text was not used: {exc}; install espeakng-loader and pocketsphinx into "
                              f"this Python to use a line's text (in Blender: the add-on's zip for this platform, "
                              f"built with `build.py --script-wheels`)")
        else:
            timing.warning = (f"{name}: its text could not be aligned to the audio ({exc}); lip contact from the "
                              f"audio only")
        return timing
    spoken = [w for w in words if w in phones]
    z, wer = match_score([w for w, _, _ in heard], spoken, seed=zlib.crc32(text.encode("utf-8")))
    timing.phones, timing.match = placed.phones, (z, wer)
    if not (z >= MATCH_Z or (wer <= CLOSE_WER and z >= MIN_Z)):
        timing.warning = (f"{name}: its text does not seem to be what the audio says (pocketsphinx heard its words "
                          f"in its order no better than shuffled); lip contact from the audio only")
        timing.trusted = [False] * len(placed.phones)
        return timing
    missing = _missing_words(placed.phones, word_of, words, heard)
    # a word of a missing run is the audio's, and so is a pause beside one
    timing.trusted = [w not in missing if w >= 0 else
                      all(word_of[j] not in missing for j in (i - 1, i + 1) if 0 <= j < len(word_of))
                      for i, w in enumerate(word_of)]
    spoken_phones = [t for t, w in zip(timing.trusted, word_of, strict=True) if w >= 0]
    timing.trusted_share = float(np.mean(spoken_phones)) if spoken_phones else 0.0
    return timing


def match_score(heard: list[str], words: list[str], seed: int = 0) -> tuple[float, float]:
    """(z, wer): the word error rate of ``heard`` against the text's ``words`` in order, and by how many standard
    deviations it beats the rate against :data:`SHUFFLES` shufflings of them (0 where no shuffle differs)."""
    wer = _edits(heard, words) / max(len(words), 1)
    rng = np.random.default_rng(seed)
    nulls = []
    for _ in range(SHUFFLES):
        order = list(rng.permutation(len(words)))
        shuffled = [words[k] for k in order]
        if shuffled != words:
            nulls.append(_edits(heard, shuffled) / max(len(words), 1))
    if not nulls:
        return 0.0, wer
    return float((np.mean(nulls) - wer) / max(float(np.std(nulls)), 0.02)), wer


def _edits(a: list[str], b: list[str]) -> int:
    """Levenshtein distance between two word sequences."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[:], i
        for j, y in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
    return row[-1]


def _missing_words(phones: list[list], word_of: list[int], words: list[str],
                   heard: list[tuple[str, float, float]]) -> set[int]:
    """Indices of the words that pocketsphinx did not hear where the alignment placed them (within
    :data:`HEARD_SLACK_S`): in runs of :data:`MISSING_RUN` or more, and alone where the word closes the lips or
    touches the teeth with them (a word out of place would put its P/B/M where the actor says something else)."""
    spans: dict[int, list[float]] = {}
    contact: set[int] = set()
    for (s, e, phone), w in zip(phones, word_of, strict=True):
        if w >= 0:
            span = spans.setdefault(w, [s, e])
            span[0], span[1] = min(span[0], s), max(span[1], e)
            if lip_class(phone) in ("closed", "labiodental"):
                contact.add(w)
    placed = sorted(spans)
    ok = [any(h == words[w] and hs < spans[w][1] + HEARD_SLACK_S and he > spans[w][0] - HEARD_SLACK_S
              for h, hs, he in heard) for w in placed]
    missing = {w for w, good in zip(placed, ok, strict=True) if not good and w in contact}
    run: list[int] = []
    for w, good in [*zip(placed, ok, strict=True), (-1, True)]:
        if good:
            if len(run) >= MISSING_RUN:
                missing.update(run)
            run = []
        else:
            run.append(w)
    return missing


@dataclass
class ScriptTracks:
    """Per-frame weights in 0..1 from a :class:`ScriptTiming`."""

    closed: np.ndarray  # seal the lips (P/B/M)
    labiodental: np.ndarray  # lower lip to the teeth (F/V)
    rest: np.ndarray  # the face at rest (a pause)
    covered: np.ndarray  # bool: frames inside trusted phones, where the script and not the audio says what closes
    vowels: np.ndarray  # bool: frames at the centres of trusted vowels
    vowel_spans: np.ndarray  # bool: frames inside trusted vowels


def script_tracks(timing: ScriptTiming, fps: float, n: int) -> ScriptTracks:
    closed, labio, rest = (np.zeros(n, np.float32) for _ in range(3))
    covered, vowels, spans = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    t = np.arange(n) / float(fps)
    for (s, e, phone), ok in zip(timing.phones, timing.trusted, strict=True):
        if not ok:
            continue
        inside = (t >= s) & (t < e)
        centre = int(np.clip(round((s + e) / 2 * fps), 0, max(n - 1, 0))) if n else 0
        kind = lip_class(phone)
        if kind == "silence":
            if e - s >= QUIET_MIN_S:
                rest[inside] = 1.0
            continue
        covered[inside] = True
        if n:
            covered[centre] = True
        if kind == "closed" and n:
            first, last = (np.flatnonzero(inside)[[0, -1]] if inside.any() else (centre, centre))
            for k, share in enumerate(NEIGHBOUR_SEAL, 1):
                for j in (first - k, last + k):
                    if 0 <= j < n:
                        closed[j] = max(closed[j], share)
            closed[inside] = 1.0
            closed[centre] = 1.0
        elif kind == "labiodental":
            labio[inside] = 1.0
        elif kind == "vowel" and n:
            vowels[centre] = True  # its middle half: a vowel's onset and end belong to the consonants beside it
            spans[(t >= s + (e - s) / 4) & (t <= e - (e - s) / 4)] = True
            spans[centre] = True
    # a pause rests smoothly from REST_EDGE_FRAMES inside its first frame to as far inside its last, as a heard pause
    # does, and never reaches into the speech beside it: the lips still close into a pause and open out of it ahead
    # of the next word (resting from the pause's edges cost the English synthetic val split 3 % lip error, and on dev
    # rested 0.018 of pause/speech motion with the same P/B/M closed)
    rest = running_min(np.minimum(running_mean(rest, SILENCE_FRAMES), rest), 2 * REST_EDGE_FRAMES + 1)
    return ScriptTracks(closed, labio, rest, covered, vowels, spans)


def apply_script(coefficients: np.ndarray, tracks: ScriptTracks, seal: tuple[np.ndarray, float] | None,
                 closed_gap: float, rest: np.ndarray, strength: float = 1.0,
                 lift: LipLift | None = None) -> np.ndarray:
    """Coefficients [T, K] with the script's contact: along the head's lip gap ``seal`` (gap = c @ g + offset,
    :func:`multanet_core.contact.seal_direction`) the lips closed to ``closed_gap`` (and pressed a little past it,
    :data:`PRESS_SHARE` of the mean vowel opening) on P/B/M frames where they are apart, and the gap held to
    :data:`LABIODENTAL_SHARE` of the mean vowel opening on F/V; pauses pulled to ``rest`` [K]; all by
    ``strength`` (0: unchanged); through a vowel the gap is at least :data:`VOWEL_SHARE` of that mean opening
    (a vowel is never mouthed shut). With ``lift`` (a mesh head's :func:`multanet_core.contact.lip_lift`) the gap
    changes by the coefficient change that moves the lip vertices least, and a closure brings the lip midpoints
    as near as at the template (pressed as above), however the lips sit in depth; else by the least change of
    the coefficients. Lips the audio already closed keep their own shape. Without a lip gap only the pauses
    rest."""
    s = float(np.clip(strength, 0.0, 1.0))
    if s == 0.0 or len(coefficients) == 0:
        return coefficients
    c = coefficients.astype(np.float32).copy()
    if seal is not None:
        g, offset = seal
        along = lift.along if lift is not None else g / float(g @ g)
        gap = c @ g + offset
        # the line's mean vowel opening, as the regression made it: what the shares below are of
        opening = max(float(np.mean(gap[tracks.vowels])) - closed_gap, 0.0) if tracks.vowels.any() else 0.0
        lift_up = np.where(tracks.vowel_spans, np.maximum(closed_gap + VOWEL_SHARE * opening - gap, 0.0), 0.0)
        c += (s * lift_up)[:, None] * along[None]  # open the vowels the regression left nearly shut
        gap = c @ g + offset
        cap = np.full(len(c), np.inf, np.float32)
        if opening > 0:
            cap[tracks.labiodental > 0] = closed_gap + LABIODENTAL_SHARE * opening
        if lift is None:
            cap[tracks.closed > 0] = closed_gap - PRESS_SHARE * opening
        weight = s * np.maximum(tracks.closed, tracks.labiodental)
        excess = np.where(np.isfinite(cap), np.maximum(gap - cap, 0.0), 0.0)
        c -= (weight * excess)[:, None] * along[None]
        if lift is not None and np.any(tracks.closed > 0):
            shut = np.flatnonzero(tracks.closed > 0)
            step = closing_step(c[shut], lift, lift.rest - PRESS_SHARE * opening)
            c[shut] += (s * tracks.closed[shut] * step)[:, None] * lift.along[None]
    w_rest = (s * tracks.rest)[:, None]
    return (c + w_rest * (rest[None].astype(np.float32) - c)).astype(np.float32)

