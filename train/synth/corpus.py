"""Writes the synthetic corpus in the folder format (``train/data/folder.py``).

Splits, as in BIWI: every character records the same English sentences; sentences 1-32 are
``train``, 33-36 ``val``, 37-40 ``test`` (for other counts: the last 10 % test, the 10 % before
validation). Every other *training* language adds, per character, a few sentences of its own to
``train`` (different sentences for each character, for phonetic variety) and one sentence shared by
all characters to ``val`` and one to ``test``. Every ``train`` sequence is spoken with a seeded
prosody jitter of the character's voice (rate, pitch, pitch range), resynthesised by espeak-ng so
the phoneme timeline and the motion stay exact.

Human-like voices (``neural.py``: Piper and Kokoro-82M, neural TTS on the CPU) speak some of every
character's English train sentences a second time (ids ``en_NNN_nv``), and two of its train sentences in a
language Kokoro reads (Spanish, French, Italian or Portuguese; ``xx_NNN_nv``), each with a seeded speed and,
for Kokoro, a seeded blend of two of its voices. Their timeline is the TTS's own phoneme durations.

Test-only splits: ``unseen_language`` holds, per character, a few sentences of every *held-out*
language (never trained on); ``cross_voice`` each English test sentence spoken by another
character's voice (a different one for each sentence) while the face is this character's;
``shifted_voice`` each English test sentence in this character's own voice made slower, faster,
lower and higher. The ground truth always follows from the phoneme timeline of the audio.

Every sequence is one task, independent of the others; the result does not depend on ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
import time
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from multanet_core.espeak import Voice, synthesize
from multanet_core.progress import StatusLine, bar
from train.data.base import Template
from train.data.folder import write_dataset_json, write_sequence, write_template

from .articulation import UnknownPhonemeError, articulate
from .characters import Character, cast, character
from .expression import EXPRESSIONS, ExpressionPlan, apply, expression_track, plan_expression, voice_change
from .head import CHANNELS, SPEECH_CHANNELS, SynthHead, build_head
from .neural import KOKORO_LANGUAGES, KOKORO_VOICES, LICENCES, PIPER_VOICE, NeuralVoice, prepare, speak
from .text import ESPEAK_LANGUAGE, HELDOUT_LANGUAGES, LANGUAGE_NAMES, NEW_HELDOUT_LANGUAGES, TRAIN_LANGUAGES, sentences

SPLIT_DESCRIPTIONS = {
    "train": "English sentences 1-32 (of 40) and a few sentences of every other training language, every "
             "character; each spoken with a seeded prosody jitter of the character's voice",
    "val": "English sentences 33-36 and one sentence of every other training language",
    "test": "English sentences 37-40 and one sentence of every other training language",
    "unseen_language": "test only: sentences in the held-out languages, never seen in training",
    "cross_voice": "test only: this character's face driven by the test sentences in other characters' voices",
    "shifted_voice": "test only: the English test sentences in this character's own voice, slower, faster, "
                     "lower and higher",
    "neural_voice": "test only: the English test sentences spoken by the neural voices (Piper, Kokoro-82M)",
}

LEAD_SILENCE_S = 0.2  # every recording starts and ends at rest
TAIL_SILENCE_S = 0.2

# per-sequence prosody jitter of training sequences (uniform, +-): words per minute, pitch, pitch range
JITTER = {"rate": 40, "pitch": 20, "pitch_range": 20}
# the shifted_voice split: (id suffix, voice field, shift)
SHIFTS = (("slow", "rate", -40), ("fast", "rate", 40), ("low", "pitch", -20), ("high", "pitch", 20))
_LIMITS = {"rate": (80, 450), "pitch": (0, 100), "pitch_range": (0, 100)}  # what espeak-ng accepts
NEURAL_SPEED = (0.85, 1.2)  # seeded speed factor of a neural train sequence
EXPRESSION_COPY_SHARE = 0.5  # train lines the voice does not colour that are spoken again with another expression


@dataclass(frozen=True)
class Task:
    character: int
    split: str
    seq_id: str
    language: str
    text: str
    sentence: int
    voice_of: int  # whose voice speaks it
    prosody: tuple[tuple[str, int], ...] = ()  # changes to that voice: (("rate", -12), ("pitch", 5), ...)
    neural: NeuralVoice | None = None  # a neural TTS voice speaks instead of espeak-ng
    expression: ExpressionPlan | None = None  # None: no expression (corpora before them)

    def voice(self) -> Voice:
        """The voice that really speaks: the speaker's own, with this task's prosody changes and what a heard
        expression does to it."""
        changes = dict(self.prosody)
        for name, delta in voice_change(self.expression).items() if self.expression else ():
            if name != "speed":
                changes[name] = changes.get(name, 0) + int(round(delta))
        return shift_voice(character(self.voice_of).voice, changes)

    def neural_voice(self) -> NeuralVoice | None:
        """The neural voice that speaks, its speed changed by a heard expression."""
        speed = voice_change(self.expression).get("speed", 1.0) if self.expression else 1.0
        return None if self.neural is None else replace(self.neural, rate=self.neural.rate * speed)


def shift_voice(voice: Voice, changes: dict[str, int]) -> Voice:
    """``voice`` with ``changes`` added to its rate, pitch and pitch range, kept within espeak-ng's limits."""
    fields = {}
    for name, delta in changes.items():
        lo, hi = _LIMITS[name]
        fields[name] = int(min(max(getattr(voice, name) + int(delta), lo), hi))
    return replace(voice, **fields)


def prosody_jitter(seed: int, character_index: int, seq_id: str, scale: float = 1.0) -> tuple[tuple[str, int], ...]:
    """The seeded prosody jitter of one training sequence: a function of (seed, character, id) only."""
    if scale <= 0:
        return ()
    rng = np.random.default_rng([seed, character_index, zlib.crc32(seq_id.encode("utf-8")), 0x9A0D])
    return tuple((name, int(round(rng.uniform(-1.0, 1.0) * span * scale))) for name, span in JITTER.items())


def neural_voice(seed: int, character_index: int, seq_id: str, family: str, vary: bool = True) -> NeuralVoice:
    """The seeded neural voice of one sequence: Piper at a random speed, or a blend of two Kokoro voices.

    ``vary=False`` (test sequences): speed 1 and, for Kokoro, one unblended voice.
    """
    rng = np.random.default_rng([seed, character_index, zlib.crc32(seq_id.encode("utf-8")), 0x4E56])
    speed = float(rng.uniform(*NEURAL_SPEED)) if vary else 1.0
    if family == "piper":
        return NeuralVoice("piper", PIPER_VOICE, speed)
    a, b = rng.choice(len(KOKORO_VOICES), 2, replace=False)
    if not vary:
        return NeuralVoice("kokoro", KOKORO_VOICES[a], 1.0)
    w = float(rng.uniform(0.25, 0.75))
    return NeuralVoice("kokoro", f"{KOKORO_VOICES[a]}*{w:.2f}+{KOKORO_VOICES[b]}*{1 - w:.2f}", speed)


def split_of(sentence: int, count: int) -> str:
    """BIWI-style split of English sentence number ``sentence`` (1-based) out of ``count``."""
    n_test = max(1, int(round(count * 0.1))) if count >= 3 else 0
    n_val = max(1, int(round(count * 0.1))) if count >= 3 else 0
    if sentence > count - n_test:
        return "test"
    if sentence > count - n_test - n_val:
        return "val"
    return "train"


def resolve_languages(languages=None, heldout=None) -> tuple[list[str], list[str]]:
    """(training languages, held-out languages).

    Neither given: the defaults (``text.TRAIN_LANGUAGES``, ``text.HELDOUT_LANGUAGES``). ``languages``
    alone keeps its old meaning, the corpus's languages: those among the default held-out languages
    (ko, cmn, ja...) and the new held-out set (``text.NEW_HELDOUT_LANGUAGES``: ca, bg, lt...) are held out,
    the rest trained on (``en,ko,cmn,ja`` = English plus three unseen; ``en,ca,bg`` = English plus two).
    ``heldout`` given: exactly those are held out, and ``languages`` (default: the training defaults
    minus ``heldout``) are trained on; a language cannot be both.
    """
    if heldout is None:
        if languages is None:
            train, held = list(TRAIN_LANGUAGES), list(HELDOUT_LANGUAGES)
        else:
            unseen = (*HELDOUT_LANGUAGES, *NEW_HELDOUT_LANGUAGES)
            train = [lang for lang in languages if lang not in unseen]
            held = [lang for lang in languages if lang in unseen]
    else:
        held = list(heldout)
        train = [lang for lang in (TRAIN_LANGUAGES if languages is None else languages)
                 if languages is not None or lang not in held]
        both = sorted(set(train) & set(held))
        if both:
            raise ValueError(f"language(s) {both} cannot be both trained on and held out")
    for group in (train, held):
        unknown = [lang for lang in group if lang not in ESPEAK_LANGUAGE]
        if unknown:
            raise ValueError(f"unknown language(s) {unknown}; known: {', '.join(ESPEAK_LANGUAGE)}")
        if len(set(group)) != len(group):
            raise ValueError(f"a language is listed twice: {group}")
    return train, held


def plan(n_characters: int, n_sentences: int, languages=None, seed: int = 0, foreign_sentences: int = 4,
         cross_voice: int | None = None, *, heldout=None, train_sentences: int = 2, shifted_voice: int = 4,
         jitter: float = 1.0, neural_sentences: int = 16, neural_foreign: int = 2, neural_test: int = 4,
         extra_sentences: int = 0, expressions: bool = False) -> list[Task]:
    """Every sequence of the corpus, in a fixed order (grouped by character).

    ``expressions``: every sequence gets a seeded expression (:mod:`.expression`), heard in its voice half of
    the time; :data:`EXPRESSION_COPY_SHARE` of the train lines whose voice it leaves alone are spoken again, in
    the same voice, with another expression (``<id>_x``), so only the emotion vector can tell them apart.

    ``extra_sentences``: English train sentences per character beyond the ``n_sentences`` that define the
    splits (numbers ``n_sentences + 1``... drawn by the same generator, a different set for each character,
    so the splits and every other sequence stay exactly as without them), each spoken twice: by the
    character's own voice with its prosody jitter (``en_041``...) and by a neural voice, Piper and Kokoro
    alternately (``en_041_nv``...). The 32 shared train sentences are few: more distinct ones lower the
    English test error (docs/RESULTS.md).

    ``neural_sentences``: English train sentences per character spoken again by a neural voice (Piper and
    Kokoro alternately); ``neural_foreign``: the character's train sentences of one Kokoro language
    (rotating over the trained ones among es/fr/it/pt) spoken by Kokoro; ``neural_test``: English test
    sentences per character in the ``neural_voice`` split.
    """
    train_langs, held_langs = resolve_languages(languages, heldout)
    tasks: list[Task] = []
    n_extra = max(0, extra_sentences) if "en" in train_langs else 0
    english_all = sentences("en", n_sentences + n_characters * n_extra, seed) if "en" in train_langs else []
    english, extra = english_all[:n_sentences], english_all[n_sentences:]
    others = [lang for lang in train_langs if lang != "en"]
    # per other training language: train_sentences for each character, then one val and one test sentence
    n_own = n_characters * train_sentences
    other_texts = {lang: sentences(lang, n_own + 2, seed) for lang in others}
    foreign = {lang: sentences(lang, foreign_sentences, seed) for lang in held_langs}
    test_numbers = [k for k in range(1, len(english) + 1) if split_of(k, len(english)) == "test"]
    n_cross = len(test_numbers) if cross_voice is None else min(cross_voice, len(test_numbers))
    shifts = SHIFTS[:max(0, min(shifted_voice, len(SHIFTS)))]
    train_numbers = [k for k in range(1, len(english) + 1) if split_of(k, len(english)) == "train"]
    kokoro_langs = [lang for lang in KOKORO_LANGUAGES if lang in others]

    def spoken(c: int, split: str, seq_id: str, lang: str, text: str, k: int) -> Task:
        prosody = prosody_jitter(seed, c, seq_id, jitter) if split == "train" else ()
        return Task(c, split, seq_id, lang, text, k, c, prosody)

    for c in range(n_characters):
        for k, text in enumerate(english, 1):
            tasks.append(spoken(c, split_of(k, len(english)), f"en_{k:03d}", "en", text, k))
        for j, text in enumerate(extra[c * n_extra:(c + 1) * n_extra]):  # its own, in its voice and a neural one
            k = n_sentences + c * n_extra + j + 1
            tasks.append(spoken(c, "train", f"en_{k:03d}", "en", text, k))
            seq_id = f"en_{k:03d}_nv"
            tasks.append(Task(c, "train", seq_id, "en", text, k, c,
                              neural=neural_voice(seed, c, seq_id, ("piper", "kokoro")[(c + j) % 2])))
        for lang, texts in other_texts.items():
            numbered = list(enumerate(texts, 1))
            own = numbered[c * train_sentences:(c + 1) * train_sentences]
            for split, (k, text) in [*(("train", x) for x in own), ("val", numbered[n_own]),
                                     ("test", numbered[n_own + 1])]:
                tasks.append(spoken(c, split, f"{lang}_{k:03d}", lang, text, k))
        n_nv = min(max(0, neural_sentences), len(train_numbers))
        for j in range(n_nv):  # spread over the train sentences, a different set for each character
            k = train_numbers[(c + j * len(train_numbers) // n_nv) % len(train_numbers)]
            seq_id = f"en_{k:03d}_nv"
            tasks.append(Task(c, "train", seq_id, "en", english[k - 1], k, c,
                              neural=neural_voice(seed, c, seq_id, ("piper", "kokoro")[j % 2])))
        if kokoro_langs and neural_foreign > 0:
            lang = kokoro_langs[c % len(kokoro_langs)]
            numbered = list(enumerate(other_texts[lang], 1))[c * train_sentences:(c + 1) * train_sentences]
            for k, text in numbered[:neural_foreign]:
                seq_id = f"{lang}_{k:03d}_nv"
                tasks.append(Task(c, "train", seq_id, lang, text, k, c,
                                  neural=neural_voice(seed, c, seq_id, "kokoro")))
        for j, k in enumerate(test_numbers[:max(0, neural_test)] if "en" in train_langs else []):
            seq_id = f"en_{k:03d}_nv"
            tasks.append(Task(c, "neural_voice", seq_id, "en", english[k - 1], k, c,
                              neural=neural_voice(seed, c, seq_id, ("piper", "kokoro")[(c + j) % 2], vary=False)))
        for lang, texts in foreign.items():
            for k, text in enumerate(texts, 1):
                tasks.append(Task(c, "unseen_language", f"{lang}_{k:03d}", lang, text, k, c))
        if n_characters > 1:
            for j, k in enumerate(test_numbers[:n_cross]):
                other = (c + 1 + j % (n_characters - 1)) % n_characters
                tasks.append(Task(c, "cross_voice", f"en_{k:03d}_voice_{character(other).name}", "en",
                                  english[k - 1], k, other))
        for k in test_numbers:
            for suffix, name, delta in shifts:
                tasks.append(Task(c, "shifted_voice", f"en_{k:03d}_{suffix}", "en", english[k - 1], k, c,
                                  ((name, delta),)))
    return with_expressions(tasks, seed) if expressions else tasks


def with_expressions(tasks: list[Task], seed: int) -> list[Task]:
    """``tasks`` each with its seeded expression, and after each train line that its voice does not colour (and
    draws a copy) the same line in the same voice with another expression."""
    out = []
    for t in tasks:
        e = plan_expression(seed, t.character, t.seq_id)
        out.append(replace(t, expression=e))
        if t.split != "train" or e.heard:
            continue
        rng = np.random.default_rng([seed, t.character, zlib.crc32(t.seq_id.encode("utf-8")), 0xC0])
        if rng.uniform() < EXPRESSION_COPY_SHARE:
            other = str(rng.choice([x for x in EXPRESSIONS if x != e.label]))
            copy_id = f"{t.seq_id}_x"
            out.append(replace(t, seq_id=copy_id, expression=plan_expression(seed, t.character, copy_id, other,
                                                                             heard=False)))
    return out


@lru_cache(maxsize=4)
def _head(index: int) -> SynthHead:
    ch = character(index)
    return build_head(ch.shape, ch.style)


def template_of(ch: Character) -> Template:
    head = _head(ch.index)
    return Template(name=ch.name, vertices=head.vertices, face_indices=head.face_indices,
                    face_sizes=head.face_sizes, lip_indices=head.lip_indices,
                    upper_face_indices=head.upper_face_indices, blink=head.blink)


def render_task(task: Task, out: str, fps: float) -> tuple[int, float]:
    """Speak, articulate, animate and write one sequence; returns (frames, seconds of audio)."""
    face, speaker = character(task.character), character(task.voice_of)
    voice = task.voice()
    neural = task.neural_voice()
    if neural is not None:
        # (an expression copy speaks exactly as the line it copies: the same seed)
        same = task.seq_id.removesuffix("_x")
        utt = speak(task.text, task.language, neural, seed=zlib.crc32(f"{task.character}/{same}".encode()))
    else:
        utt = synthesize(task.text, ESPEAK_LANGUAGE[task.language], voice)
    if utt.language_switches:
        raise RuntimeError(f"espeak-ng left {task.language} ({' '.join(utt.language_switches)}) "
                           f"reading {task.text!r}: it would spell characters out")
    utt = utt.padded(LEAD_SILENCE_S, TAIL_SILENCE_S)
    timeline = utt.timeline_seconds()
    try:
        art = articulate(timeline, utt.audio, utt.sample_rate, fps, face.style.anticipation)
    except UnknownPhonemeError as exc:
        raise UnknownPhonemeError(exc.symbol, exc.phoneme,
                                  f"from espeak-ng {task.language} reading {task.text!r}") from None
    art, expression = _with_expression(task, art, fps)
    verts = _head(task.character).animate(art)
    voice_info = {"character": speaker.name, **voice.to_json()}
    if neural is not None:  # the neural voice replaces the espeak voice
        voice_info = {"neural": neural.to_json()}
    elif task.prosody:
        voice_info["prosody"] = dict(task.prosody)  # the change from the speaker's own voice
    meta = {
        "character": face.name, "split": task.split, "id": task.seq_id, "language": task.language,
        "text": task.text, "sentence": task.sentence, "fps": fps, "sample_rate": utt.sample_rate,
        "frames": int(len(verts)), "voice": voice_info,
        "phonemes": timeline,
        "articulation": {"channels": list(CHANNELS),
                         "peak": [round(float(v), 4) for v in art.max(0)],
                         # per frame, what drove the vertices: the rig heads' ground truth (train.rig)
                         "curves": [[round(float(v), 4) for v in row] for row in art]},
        **({"expression": expression} if expression else {}),
    }
    write_sequence(Path(out), face.name, task.split, task.seq_id, utt.audio, utt.sample_rate, verts, meta)
    return len(verts), utt.duration


def _with_expression(task: Task, speech: np.ndarray, fps: float) -> tuple[np.ndarray, dict | None]:
    """All of ``CHANNELS`` [T, C] for the speech channels [T, 7] with the task's expression layered over them
    (zeros without one), and the sequence json's ``expression``: its plan, and per frame its label (an index
    into ``labels``) and intensity."""
    if task.expression is None:
        return np.concatenate([speech, np.zeros((len(speech), len(CHANNELS) - len(SPEECH_CHANNELS)))], 1), None
    labels, intensity = expression_track(task.expression, len(speech), fps,
                                         zlib.crc32(f"{task.character}/{task.seq_id}".encode()))
    speech, face = apply(speech, SPEECH_CHANNELS, labels, intensity)
    meta = {**task.expression.to_json(), "labels": list(EXPRESSIONS), "label_per_frame": labels.tolist(),
            "intensity": [round(float(v), 3) for v in intensity]}
    return np.concatenate([speech, face], 1), meta


def _run_task(args) -> tuple[str, int, float]:
    frames, seconds = render_task(*args)
    return args[0].split, frames, seconds


class Progress:
    """Tasks done out of ``total``, with elapsed time and an estimate of the rest, on one status line."""

    def __init__(self, total: int, label: str, stream=None, enabled: bool = True):
        self.total, self.label, self.done = total, label, 0
        self.line = StatusLine(stream, enabled, every=10.0)
        self.start = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        frac = self.done / max(self.total, 1)
        elapsed = time.monotonic() - self.start
        eta = elapsed / max(frac, 1e-9) * (1 - frac)
        text = f"{self.label} {bar(frac, 30)} {self.done}/{self.total} {elapsed:5.1f}s eta {eta:5.1f}s"
        if self.done >= self.total:
            self.line.done(text)
        else:
            self.line.show(text)


def generate(out: str | Path, n_characters: int = 14, n_sentences: int = 40,
             languages: list[str] | tuple[str, ...] | None = None, fps: float = 30.0, seed: int = 0,
             jobs: int | None = None, foreign_sentences: int = 4, cross_voice: int | None = None,
             progress: bool = True, *, heldout: list[str] | tuple[str, ...] | None = None,
             train_sentences: int = 2, shifted_voice: int = 4, jitter: float = 1.0, neural_sentences: int = 16,
             neural_foreign: int = 2, neural_test: int = 4, extra_sentences: int = 0,
             only_splits: list[str] | tuple[str, ...] | None = None, expressions: bool = False) -> dict:
    """Generate the corpus into ``out``; returns a summary (sequences and frames per split, timing).

    ``languages`` / ``heldout``: see :func:`resolve_languages`; ``train_sentences``: train sentences
    per character for each training language but English; ``foreign_sentences``: sentences per
    character for each held-out language; ``shifted_voice``: shifted voices per English test sentence
    (0-4); ``jitter``: scale of the training prosody jitter (0: every sequence in the base voice);
    ``neural_*``: the neural-voice sequences (see :func:`plan`; all 0: espeak-ng alone);
    ``extra_sentences``: English train-only sentences per character, each in espeak-ng and a neural voice.
    ``only_splits``: write only the sequences of these splits (None: all); every other sequence is left out, and
    those written are exactly what the full corpus of the same arguments holds (an evaluation corpus:
    ``("test", "unseen_language")``). ``expressions``: see :func:`plan`.
    """
    out = Path(out)
    train_langs, held_langs = resolve_languages(languages, heldout)
    if n_characters < 1:
        raise ValueError("need at least one character")
    if only_splits is not None:
        unknown = sorted(set(only_splits) - set(SPLIT_DESCRIPTIONS))
        if unknown:
            raise ValueError(f"unknown split(s) {unknown}; known: {', '.join(SPLIT_DESCRIPTIONS)}")
    tasks = plan(n_characters, n_sentences, train_langs, seed, foreign_sentences, cross_voice, heldout=held_langs,
                 train_sentences=train_sentences, shifted_voice=shifted_voice, jitter=jitter,
                 neural_sentences=neural_sentences, neural_foreign=neural_foreign, neural_test=neural_test,
                 extra_sentences=extra_sentences, expressions=expressions)
    if only_splits is not None:
        tasks = [t for t in tasks if t.split in only_splits]
        if not tasks:
            raise ValueError(f"no sequence of these arguments is in split(s) {', '.join(only_splits)}")
    out.mkdir(parents=True, exist_ok=True)
    chars = cast(n_characters)
    if any(t.neural is not None for t in tasks):
        prepare()  # fail early if a voice is missing, and reassemble Kokoro's model once, before the workers
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    start = time.monotonic()
    bar = Progress(len(tasks) + n_characters, "synth", enabled=progress)
    for ch in chars:
        write_template(out, template_of(ch))
        bar.update()
    per_split: dict[str, dict] = {}
    seconds = 0.0
    work = [(t, str(out), float(fps)) for t in tasks]

    def count(split: str, f: int, s: float) -> None:
        nonlocal seconds
        entry = per_split.setdefault(split, {"sequences": 0, "frames": 0})
        entry["sequences"] += 1
        entry["frames"] += f
        seconds += s
        bar.update()

    if jobs == 1:
        for item in work:
            count(*_run_task(item))
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            # tasks are grouped by character, so a worker's cached head is reused
            for result in pool.imap_unordered(_run_task, work, chunksize=4):
                count(*result)
    languages_all = [*train_langs, *held_langs]
    split_languages = {"unseen_language": held_langs, "cross_voice": ["en"] if "en" in train_langs else [],
                       "shifted_voice": ["en"] if "en" in train_langs else [],
                       "neural_voice": ["en"] if "en" in train_langs else []}
    descriptions = dict(SPLIT_DESCRIPTIONS)
    extra = [t.sentence for t in tasks if t.language == "en" and t.sentence > n_sentences]
    if extra:
        descriptions["train"] += (f"; and {extra_sentences} more English sentences per character, its own "
                                  f"(numbers {min(extra)}-{max(extra)}), each in its voice and in a neural voice")
    splits = {name: {"description": desc, "languages": sorted({t.language for t in tasks if t.split == name},
                                                              key=languages_all.index)
                     if name not in split_languages else split_languages[name]}
              for name, desc in descriptions.items()
              if any(t.split == name for t in tasks)}
    write_dataset_json(out, {
        "fps": float(fps),
        "characters": [ch.name for ch in chars],
        "character_info": {ch.name: {**ch.to_json(), "vertices": int(len(_head(ch.index).vertices))}
                           for ch in chars},
        "languages": languages_all,
        "train_languages": train_langs,
        "heldout_languages": held_langs,
        "language_names": {lang: LANGUAGE_NAMES[lang] for lang in languages_all},
        "splits": splits,
        "generator": {"command": "python -m train synth", "seed": seed, "sentences": n_sentences,
                      "extra_sentences": extra_sentences,
                      "train_sentences": train_sentences, "foreign_sentences": foreign_sentences,
                      "cross_voice": cross_voice, "shifted_voice": [s for s, _, _ in SHIFTS[:max(0, shifted_voice)]],
                      "prosody_jitter": {name: round(span * jitter, 3) for name, span in JITTER.items()}
                      if jitter > 0 else None,
                      "neural": {"sentences": neural_sentences, "foreign": neural_foreign, "test": neural_test,
                                 "speed": list(NEURAL_SPEED),
                                 "licences": {f: LICENCES[f] for f in sorted({t.neural.family for t in tasks
                                                                               if t.neural is not None})}},
                      "articulation_channels": list(CHANNELS), "expressions": bool(expressions),
                      **({"only_splits": list(only_splits)} if only_splits is not None else {})},
    })
    return {"sequences": len(tasks), "frames": sum(e["frames"] for e in per_split.values()),
            "audio_seconds": round(seconds, 2), "seconds": round(time.monotonic() - start, 2), "jobs": jobs,
            "splits": {name: per_split[name] for name in SPLIT_DESCRIPTIONS if name in per_split}}


__all__ = ["generate", "plan", "split_of", "render_task", "resolve_languages", "prosody_jitter", "shift_voice",
           "neural_voice", "NEURAL_SPEED",
           "Task", "Voice", "JITTER", "SHIFTS"]
