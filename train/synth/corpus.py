"""Writes the synthetic corpus in the folder format (``train/data/folder.py``).

Splits, as in BIWI: every character records the same English sentences; sentences 1-32 are
``train``, 33-36 ``val``, 37-40 ``test`` (for other counts: the last 10 % test, the 10 % before
validation). ``unseen_language`` holds, per character, 10 sentences of every other language.
``cross_voice`` holds, per character, each English test sentence spoken by another character's
voice (a different one for each sentence) while the face is this character's: the ground truth
follows from the phoneme timeline of that voice.

Every sequence is one task, independent of the others; the result does not depend on ``jobs``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from train.data.base import Template
from train.data.folder import write_dataset_json, write_sequence, write_template

from .articulation import articulate
from .characters import Character, cast, character
from .espeak import Voice, synthesize
from .head import CHANNELS, Head, build_head
from .text import ESPEAK_LANGUAGE, LANGUAGE_NAMES, sentences

SPLIT_DESCRIPTIONS = {
    "train": "English sentences 1-32 (of 40), every character",
    "val": "English sentences 33-36",
    "test": "English sentences 37-40",
    "unseen_language": "test only: sentences in languages never seen in training",
    "cross_voice": "test only: this character's face driven by the test sentences in other characters' voices",
}


LEAD_SILENCE_S = 0.2  # every recording starts and ends at rest
TAIL_SILENCE_S = 0.2


@dataclass(frozen=True)
class Task:
    character: int
    split: str
    seq_id: str
    language: str
    text: str
    sentence: int
    voice_of: int  # whose voice speaks it


def split_of(sentence: int, count: int) -> str:
    """BIWI-style split of English sentence number ``sentence`` (1-based) out of ``count``."""
    n_test = max(1, int(round(count * 0.1))) if count >= 3 else 0
    n_val = max(1, int(round(count * 0.1))) if count >= 3 else 0
    if sentence > count - n_test:
        return "test"
    if sentence > count - n_test - n_val:
        return "val"
    return "train"


def plan(n_characters: int, n_sentences: int, languages: list[str], seed: int,
         foreign_sentences: int = 10, cross_voice: int | None = None) -> list[Task]:
    """Every sequence of the corpus, in a fixed order."""
    tasks: list[Task] = []
    english = sentences("en", n_sentences, seed) if "en" in languages else []
    foreign = {lang: sentences(lang, foreign_sentences, seed) for lang in languages if lang != "en"}
    test_numbers = [k for k in range(1, len(english) + 1) if split_of(k, len(english)) == "test"]
    n_cross = len(test_numbers) if cross_voice is None else min(cross_voice, len(test_numbers))
    for c in range(n_characters):
        for k, text in enumerate(english, 1):
            tasks.append(Task(c, split_of(k, len(english)), f"en_{k:03d}", "en", text, k, c))
        for lang, texts in foreign.items():
            for k, text in enumerate(texts, 1):
                tasks.append(Task(c, "unseen_language", f"{lang}_{k:03d}", lang, text, k, c))
        if n_characters > 1:
            for j, k in enumerate(test_numbers[:n_cross]):
                other = (c + 1 + j % (n_characters - 1)) % n_characters
                tasks.append(Task(c, "cross_voice", f"en_{k:03d}_voice_{character(other).name}", "en",
                                  english[k - 1], k, other))
    return tasks


@lru_cache(maxsize=4)
def _head(index: int) -> Head:
    ch = character(index)
    return build_head(ch.shape, ch.style)


def template_of(ch: Character) -> Template:
    head = _head(ch.index)
    return Template(name=ch.name, vertices=head.vertices, face_indices=head.face_indices,
                    face_sizes=head.face_sizes, lip_indices=head.lip_indices,
                    upper_face_indices=head.upper_face_indices)


def render_task(task: Task, out: str, fps: float) -> tuple[int, float]:
    """Speak, articulate, animate and write one sequence; returns (frames, seconds of audio)."""
    face, speaker = character(task.character), character(task.voice_of)
    utt = synthesize(task.text, ESPEAK_LANGUAGE[task.language], speaker.voice)
    if utt.language_switches:
        raise RuntimeError(f"espeak-ng left {task.language} ({' '.join(utt.language_switches)}) "
                           f"reading {task.text!r}: it would spell characters out")
    utt = utt.padded(LEAD_SILENCE_S, TAIL_SILENCE_S)
    timeline = utt.timeline_seconds()
    art = articulate(timeline, utt.audio, utt.sample_rate, fps, face.style.anticipation)
    verts = _head(task.character).animate(art)
    meta = {
        "character": face.name, "split": task.split, "id": task.seq_id, "language": task.language,
        "text": task.text, "sentence": task.sentence, "fps": fps, "sample_rate": utt.sample_rate,
        "frames": int(len(verts)), "voice": {"character": speaker.name, **speaker.voice.to_json()},
        "phonemes": timeline,
        "articulation": {"channels": list(CHANNELS),
                         "peak": [round(float(v), 4) for v in art.max(0)]},
    }
    write_sequence(Path(out), face.name, task.split, task.seq_id, utt.audio, utt.sample_rate, verts, meta)
    return len(verts), utt.duration


def _run_task(args) -> tuple[int, float]:
    return render_task(*args)


class Progress:
    """A text progress bar on stderr."""

    def __init__(self, total: int, label: str, stream=sys.stderr, enabled: bool = True):
        self.total, self.label, self.stream, self.enabled = total, label, stream, enabled
        self.done, self.start, self.last = 0, time.monotonic(), 0.0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self.last > 0.2 or self.done == self.total):
            self.last = now
            frac = self.done / max(self.total, 1)
            bar = "#" * int(30 * frac)
            eta = (now - self.start) / max(frac, 1e-9) * (1 - frac)
            self.stream.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} "
                              f"{now - self.start:5.1f}s eta {eta:5.1f}s")
            if self.done == self.total:
                self.stream.write("\n")
            self.stream.flush()


def generate(out: str | Path, n_characters: int = 14, n_sentences: int = 40,
             languages: list[str] | tuple[str, ...] = ("en", "ko", "cmn", "ja"), fps: float = 30.0, seed: int = 0,
             jobs: int | None = None, foreign_sentences: int = 10, cross_voice: int | None = None,
             progress: bool = True) -> dict:
    """Generate the corpus into ``out``; returns a summary."""
    out = Path(out)
    languages = list(languages)
    unknown = [lang for lang in languages if lang not in ESPEAK_LANGUAGE]
    if unknown:
        raise ValueError(f"unknown language(s) {unknown}; known: {', '.join(ESPEAK_LANGUAGE)}")
    if n_characters < 1:
        raise ValueError("need at least one character")
    out.mkdir(parents=True, exist_ok=True)
    chars = cast(n_characters)
    tasks = plan(n_characters, n_sentences, languages, seed, foreign_sentences, cross_voice)
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    start = time.monotonic()
    bar = Progress(len(tasks) + n_characters, "synth", enabled=progress)
    for ch in chars:
        write_template(out, template_of(ch))
        bar.update()
    frames = 0
    seconds = 0.0
    work = [(t, str(out), float(fps)) for t in tasks]
    if jobs == 1:
        for item in work:
            f, s = _run_task(item)
            frames, seconds = frames + f, seconds + s
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            # tasks are grouped by character, so a worker's cached head is reused
            for f, s in pool.imap_unordered(_run_task, work, chunksize=4):
                frames, seconds = frames + f, seconds + s
                bar.update()
    splits = {name: {"description": desc, "languages": ["en"] if name != "unseen_language" else
                     [lang for lang in languages if lang != "en"]}
              for name, desc in SPLIT_DESCRIPTIONS.items()
              if any(t.split == name for t in tasks)}
    write_dataset_json(out, {
        "fps": float(fps),
        "characters": [ch.name for ch in chars],
        "character_info": {ch.name: {**ch.to_json(), "vertices": int(len(_head(ch.index).vertices))}
                           for ch in chars},
        "languages": languages,
        "language_names": {lang: LANGUAGE_NAMES[lang] for lang in languages},
        "splits": splits,
        "generator": {"command": "python -m train synth", "seed": seed, "sentences": n_sentences,
                      "foreign_sentences": foreign_sentences, "cross_voice": cross_voice,
                      "articulation_channels": list(CHANNELS)},
    })
    return {"sequences": len(tasks), "frames": frames, "audio_seconds": round(seconds, 2),
            "seconds": round(time.monotonic() - start, 2), "jobs": jobs}


__all__ = ["generate", "plan", "split_of", "render_task", "Task", "Voice"]
