"""espeak-ng through ctypes: speech audio plus the IPA phoneme timeline that drives the face.

The library and its data come from the ``espeakng-loader`` wheel, so ``pip`` alone installs them.

espeak-ng keeps hidden global state between utterances (its pitch "flutter" oscillator and a few
other counters), so the same text synthesised twice in one process does not give the same samples.
To make the corpus byte-reproducible whatever the number of worker processes, this module
initialises espeak-ng once per process and never synthesises in that process: every utterance is
spoken by a short-lived ``fork()`` of it, which starts from the identical, freshly initialised state
(about 5 ms an utterance). Where ``fork`` does not exist the utterance is spoken in-process and the
output is not guaranteed to be byte-identical between runs.
"""

from __future__ import annotations

import ctypes
import faulthandler
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

AUDIO_OUTPUT_SYNCHRONOUS = 2
OPTION_PHONEME_EVENTS = 0x1
OPTION_PHONEME_IPA = 0x2
POS_CHARACTER = 1
CHARS_UTF8 = 1
PHONEME_INPUT = 0x100  # espeakPHONEMES: text within [[ ]] is phoneme mnemonics of the voice's table
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE = 1, 2, 3, 4

EVENT_LIST_TERMINATED = 0
EVENT_WORD = 1
EVENT_PHONEME = 7

SILENCE = "_"


class EspeakError(RuntimeError):
    """espeak-ng could not be loaded or refused a voice or a text."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    # espeak_EVENT from speak_lib.h
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class Voice:
    """How one character speaks: an espeak variant (``m3``, ``f2``...) and prosody settings."""

    variant: str = ""  # espeak voice variant from espeak-ng-data/voices/!v, "" for the plain voice
    pitch: int = 50  # espeak base pitch, 0-100
    pitch_range: int = 50  # espeak pitch range, 0-100
    rate: int = 175  # words per minute, 80-450

    def to_json(self) -> dict:
        return {"variant": self.variant, "pitch": self.pitch, "pitch_range": self.pitch_range, "rate": self.rate}


@dataclass
class Utterance:
    """Audio (int16 mono at ``sample_rate``) and its phoneme timeline."""

    audio: np.ndarray
    sample_rate: int
    phonemes: list[tuple[int, int, str]]  # (start_sample, end_sample, ipa); "_" for a pause
    language_switches: list[str] = field(default_factory=list)  # e.g. ["(en)"]: espeak changed language

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    def padded(self, lead_s: float, tail_s: float) -> Utterance:
        """The same utterance with silence added before and after (the face starts and ends at rest)."""
        a, b = int(round(lead_s * self.sample_rate)), int(round(tail_s * self.sample_rate))
        audio = np.concatenate([np.zeros(a, np.int16), self.audio, np.zeros(b, np.int16)])
        ph = [(s + a, e + a, p) for s, e, p in self.phonemes]
        if a:
            ph = [(0, a, SILENCE), *ph]
        if b:
            ph = [*ph, (len(audio) - b, len(audio), SILENCE)]
        merged: list[tuple[int, int, str]] = []
        for seg in ph:
            if merged and seg[2] == SILENCE and merged[-1][2] == SILENCE and merged[-1][1] == seg[0]:
                merged[-1] = (merged[-1][0], seg[1], SILENCE)
            else:
                merged.append(seg)
        return Utterance(audio, self.sample_rate, merged, list(self.language_switches))

    def timeline_seconds(self) -> list[list]:
        sr = float(self.sample_rate)
        return [[round(a / sr, 5), round(b / sr, 5), p] for a, b, p in self.phonemes]


class _Engine:
    """The process's one espeak-ng instance (espeak-ng is a global singleton)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:  # pragma: no cover - dependency of the train group
            raise EspeakError("the espeakng-loader package is required: pip install espeakng-loader") from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib = self.lib
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        self._set_seed = getattr(lib, "espeak_ng_SetRandSeed", None)
        if self._set_seed is not None:
            self._set_seed.argtypes = [ctypes.c_long]
            self._set_seed.restype = None
        data = espeakng_loader.get_data_path().encode()
        self.sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data,
                                                 OPTION_PHONEME_EVENTS | OPTION_PHONEME_IPA)
        if self.sample_rate <= 0:
            raise EspeakError(f"espeak_Initialize failed ({self.sample_rate})")
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[int, int, bytes]] = []
        self._callback = _CALLBACK(self._on_synth)  # keep a reference: ctypes does not
        lib.espeak_SetSynthCallback(self._callback)

    def _on_synth(self, wav, n, events) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, (n,)).copy())
        i = 0
        while events[i].type != EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == EVENT_PHONEME:
                self._events.append((ev.type, ev.sample, bytes(ev.id.string)))
            i += 1
        return 0

    def speak(self, text: str, language: str, voice: Voice,
              flags: int = 0) -> tuple[np.ndarray, list[tuple[int, bytes]]]:
        name = language + (f"+{voice.variant}" if voice.variant else "")
        if self.lib.espeak_SetVoiceByName(name.encode()) != 0:
            raise EspeakError(f"espeak-ng has no voice {name!r}")
        for param, value in ((PARAM_RATE, voice.rate), (PARAM_PITCH, voice.pitch),
                             (PARAM_RANGE, voice.pitch_range), (PARAM_VOLUME, 100)):
            self.lib.espeak_SetParameter(param, int(value), 0)
        if self._set_seed is not None:  # espeak seeds its noise generator from the clock at start-up
            self._set_seed(1)
        self._chunks.clear()
        self._events.clear()
        raw = text.encode("utf-8") + b"\0"
        rc = self.lib.espeak_Synth(raw, len(raw), 0, POS_CHARACTER, 0, CHARS_UTF8 | flags, None, None)
        if rc != 0:
            raise EspeakError(f"espeak_Synth failed ({rc}) for {text!r}")
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return audio.astype(np.int16), [(s, b) for _, s, b in self._events]


_ENGINE: _Engine | None = None


def _engine() -> _Engine:
    global _ENGINE
    # created once per process (espeak-ng is global and must not be initialised twice); a forked
    # child inherits its parent's engine, which is exactly the pristine state it should speak from.
    if _ENGINE is None:
        _ENGINE = _Engine()
    return _ENGINE


def sample_rate() -> int:
    return _engine().sample_rate


def _encode(audio: np.ndarray, events: list[tuple[int, bytes]]) -> bytes:
    meta = json.dumps([[s, b.hex()] for s, b in events]).encode()
    return struct.pack("<qq", len(audio), len(meta)) + audio.astype("<i2").tobytes() + meta


def _decode(blob: bytes) -> tuple[np.ndarray, list[tuple[int, bytes]]]:
    n_audio, n_meta = struct.unpack_from("<qq", blob)
    audio = np.frombuffer(blob, "<i2", n_audio, 16).astype(np.int16)
    meta = json.loads(blob[16 + 2 * n_audio: 16 + 2 * n_audio + n_meta])
    return audio, [(int(s), bytes.fromhex(h)) for s, h in meta]


def _speak_in_fork(engine: _Engine, text: str, language: str, voice: Voice, flags: int = 0):
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: speak from the pristine state, send the result, leave without cleanup
        code = 0
        try:
            faulthandler.disable()  # if espeak-ng crashes, the parent raises EspeakError: no dump of this fork
            os.close(read_fd)
            blob = _encode(*engine.speak(text, language, voice, flags))
            with os.fdopen(write_fd, "wb") as out:
                out.write(blob)
        except BaseException:  # noqa: BLE001 - report through the exit status
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as inp:
        blob = inp.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):  # espeak-ng itself crashed: speaking again here would kill this process too
        raise EspeakError(f"espeak-ng crashed (signal {os.WTERMSIG(status)}) speaking {text!r} ({language})")
    if status != 0 or not blob:
        # speak in this process instead, to get espeak's own error message
        engine.speak(text, language, voice, flags)
        raise EspeakError(f"espeak-ng failed in a worker for {text!r} ({language})")
    return _decode(blob)


def synthesize(text: str, language: str, voice: Voice, *, isolate: bool = True,
               phoneme_input: bool = False) -> Utterance:
    """Speak ``text`` with espeak-ng voice ``language`` (e.g. ``en-us``, ``ko``, ``cmn``, ``ja``).

    Returns the int16 audio at espeak's own rate (22050 Hz) and the phoneme timeline: one
    ``(start_sample, end_sample, ipa)`` per phoneme event, pauses as ``"_"``, covering the audio
    from sample 0 to its end. ``language_switches`` lists espeak's ``(xx)`` markers: espeak left
    the language (typically to spell out characters it cannot read). ``phoneme_input``: text within
    ``[[ ]]`` is read as phoneme mnemonics of the voice's phoneme table (``[[h@'loU]]``).
    """
    engine = _engine()
    flags = PHONEME_INPUT if phoneme_input else 0
    if isolate and hasattr(os, "fork"):
        audio, events = _speak_in_fork(engine, text, language, voice, flags)
    else:
        audio, events = engine.speak(text, language, voice, flags)
    return _timeline(audio, events, engine.sample_rate)


def phoneme_names(text: str, language: str, voice: Voice) -> list[str]:
    """The IPA phonemes espeak-ng speaks for ``text``, in order, pauses left out. Unlike an :class:`Utterance`'s
    timeline, this keeps the phonemes espeak-ng marks with no length of their own (it often marks a line's last
    consonant at the very end of the audio: "still" ends in an ``l`` that has no samples)."""
    engine = _engine()
    _, events = _speak_in_fork(engine, text, language, voice) if hasattr(os, "fork") else engine.speak(
        text, language, voice)
    names = [raw.split(b"\0", 1)[0].decode("utf-8", "ignore").strip() for _, raw in events]
    return [n for n in names if n and n != SILENCE and not (n.startswith("(") and n.endswith(")"))]


def _timeline(audio: np.ndarray, events: list[tuple[int, bytes]], sr: int) -> Utterance:
    n = len(audio)
    switches: list[str] = []
    marks: list[tuple[int, str]] = []
    for sample, raw in events:
        # espeak-ng cuts a phoneme's name at 8 bytes, sometimes inside a character: drop the broken tail
        ipa = raw.split(b"\0", 1)[0].decode("utf-8", "ignore").strip()
        if ipa.startswith("(") and ipa.endswith(")"):
            switches.append(ipa)
            continue
        marks.append((min(max(int(sample), 0), n), ipa or SILENCE))
    phonemes: list[tuple[int, int, str]] = []
    if marks and marks[0][0] > 0:
        phonemes.append((0, marks[0][0], SILENCE))
    for i, (start, ipa) in enumerate(marks):
        end = marks[i + 1][0] if i + 1 < len(marks) else n
        if end <= start:
            continue  # zero-length marker (espeak emits several at clause ends)
        if ipa == SILENCE and phonemes and phonemes[-1][2] == SILENCE and phonemes[-1][1] == start:
            phonemes[-1] = (phonemes[-1][0], end, SILENCE)
        else:
            phonemes.append((start, end, ipa))
    if not phonemes and n:
        phonemes.append((0, n, SILENCE))
    return Utterance(audio=audio, sample_rate=sr, phonemes=phonemes, language_switches=switches)


# --- the voices and phoneme tables of the bundled espeak-ng data

class _VoiceStruct(ctypes.Structure):
    # espeak_VOICE from speak_lib.h
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, language string) pairs, ended by a zero byte
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


@dataclass(frozen=True)
class EspeakVoice:
    """One language voice of espeak-ng."""

    identifier: str  # its file under espeak-ng-data/lang ("ine/hy"); a name ``synthesize`` accepts
    name: str  # "Armenian (East Armenia)"
    languages: tuple[str, ...]  # the language codes it speaks, as its file lists them ("hy", "hy-arevela")


def list_voices() -> list[EspeakVoice]:
    """Every language voice of the bundled espeak-ng (``espeak_ListVoices``; variants excluded), by identifier."""
    lib = _engine().lib
    lib.espeak_ListVoices.argtypes = [ctypes.c_void_p]
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
    table = lib.espeak_ListVoices(None)
    voices = []
    i = 0
    while table[i]:
        v = table[i].contents
        languages, p = [], v.languages
        while ctypes.c_ubyte.from_address(p).value:  # a priority byte, then a NUL-terminated language
            code = ctypes.string_at(p + 1)
            languages.append(code.decode())
            p += 2 + len(code)
        voices.append(EspeakVoice(v.identifier.decode(), v.name.decode().strip(), tuple(languages)))
        i += 1
    return sorted(voices, key=lambda v: v.identifier)


def _data_path() -> Path:
    import espeakng_loader

    return Path(espeakng_loader.get_data_path())


# phoneme types in phontab (phoneme.h): only these are sounds; pauses, stress marks and virtual
# phonemes (conditions of the rules) are never spoken as such
PHONEME_TYPES = {2: "vowel", 3: "liquid", 4: "stop", 5: "voiced stop", 6: "fricative", 7: "voiced fricative",
                 8: "nasal"}


def phoneme_tables() -> dict[str, tuple[str | None, dict[int, tuple[str, str]]]]:
    """espeak-ng's compiled phoneme tables: name -> (the table it includes, {code: (mnemonic, type)}).

    Read from ``espeak-ng-data/phontab`` (written by espeak-ng's compiledata.c): a count of tables,
    then per table its count of phonemes, the index + 1 of the table it includes, its name and its own
    phonemes (16 bytes each: the mnemonic as up to 4 bytes, flags, program, code, type...). Only the
    sounding phonemes (``PHONEME_TYPES``) are kept.
    """
    raw = (_data_path() / "phontab").read_bytes()
    names: list[str] = []
    tables: dict[str, tuple[int, dict[int, tuple[str, str]]]] = {}
    pos = 4
    for _ in range(raw[0]):
        count, includes = raw[pos], raw[pos + 1]
        name = raw[pos + 4:pos + 36].split(b"\0", 1)[0].decode()
        pos += 36
        own = {}
        for _ in range(count):
            mnemonic, _flags, _program, code, kind = struct.unpack_from("<IIHBB", raw, pos)
            pos += 16
            if mnemonic and kind in PHONEME_TYPES:
                text = mnemonic.to_bytes(4, "little").rstrip(b"\0").decode("utf-8", "replace")
                own[code] = (text, PHONEME_TYPES[kind])
        names.append(name)
        tables[name] = (includes, own)
    return {name: (names[inc - 1] if inc else None, own) for name, (inc, own) in tables.items()}


def _voice_file(identifier: str) -> tuple[str | None, str | None]:
    """(phoneme table, dictionary) of a voice, as espeak-ng's voices.c reads its file: both are named by the
    first ``language`` up to a ``-``, unless ``phonemes`` or ``dictionary`` name them."""
    table = dictionary = None
    language_set = False
    for line in (_data_path() / "lang" / identifier).read_text("utf-8").splitlines():
        words = line.split()
        if len(words) < 2:
            continue
        if words[0] == "phonemes":
            table = words[1]
        elif words[0] == "dictionary":
            dictionary = words[1]
        elif words[0] == "language" and not language_set and words[1] != "variant":
            table = dictionary = words[1].split("-")[0]
            language_set = True
    return table, dictionary


def has_dictionary(identifier: str) -> bool:
    """Whether the bundled data holds the voice's dictionary (without it espeak-ng reads no text at all)."""
    dictionary = _voice_file(identifier)[1]
    return dictionary is not None and (_data_path() / f"{dictionary}_dict").is_file()


def voice_phonemes(identifier: str) -> dict[str, str]:
    """{mnemonic: type} of every sounding phoneme of a voice's phoneme table, the included tables' too.

    A table's own phoneme replaces an included table's phoneme of the same code.
    """
    table = _voice_file(identifier)[0]
    tables = phoneme_tables()
    if table not in tables:
        raise EspeakError(f"espeak-ng voice {identifier!r}: no phoneme table {table!r}")
    chain = []
    while table is not None:
        chain.append(table)
        table = tables[table][0]
    by_code: dict[int, tuple[str, str]] = {}
    for name in reversed(chain):  # the base first, each table overriding what it includes
        by_code.update(tables[name][1])
    return dict(sorted(by_code.values()))
