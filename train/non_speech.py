"""Sound that is not speech, with the face at rest: training sequences that teach the network to keep still.

``python -m train non-speech --into CORPUS [--per-character 4] [--seconds 4] [--seed 0]``

Every synthetic sequence's audio is speech; an actor's strip also holds music, tones, hum, noise and other
people talking in the distance, and under them the face must rest. Each sequence written here is one of
those sounds alone (music beds, pure and chorded tones, beeps, hum, coloured noise, far-away babble from the
corpus's own training clips), at a seeded level from quiet to loud, and the motion is the character's
template held still: articulation curves all zero, so the rig heads' ground truth is the rest pose too.
Sequences go to ``<character>/train/nonspeech_<kind>_<n>.{wav,npy,json}``, a language of ``"none"``.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np

from multanet_core.audio import prepare
from train.data.base import DatasetError
from train.data.folder import FolderDataset, write_sequence

from .augment import NOISES, RATE, babble
from .synth.head import CHANNELS

PREFIX = "nonspeech_"
LEVEL_DBFS = (-50.0, -8.0)  # the sound's RMS


def tone(n: int, rng: np.random.Generator) -> np.ndarray:
    """One to three steady tones (a test tone, a chord, a whistle), perhaps with vibrato or tremolo."""
    t = np.arange(n) / RATE
    x = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        f = rng.uniform(100, 3000)
        vibrato = rng.uniform(0, 0.01) * np.sin(2 * np.pi * rng.uniform(3, 7) * t) if rng.random() < 0.4 else 0.0
        phase = 2 * np.pi * f * np.cumsum(1 + vibrato) / RATE
        x += np.sin(phase) * (1 + rng.uniform(0, 0.8) * np.sin(2 * np.pi * rng.uniform(0.5, 8) * t)
                              if rng.random() < 0.3 else 1.0)
    return x / max(float(np.std(x)), 1e-12)


def beeps(n: int, rng: np.random.Generator) -> np.ndarray:
    """Tones switched on and off: phone beeps, a metronome, an alarm."""
    t = np.arange(n) / RATE
    f = rng.uniform(400, 2500)
    on, off = rng.uniform(0.05, 0.5), rng.uniform(0.05, 0.8)
    gate = (t % (on + off)) < on
    x = np.sin(2 * np.pi * f * t) * gate
    return x / max(float(np.std(x)), 1e-12)


KINDS = ("music", "tone", "beeps", "hum", "pink", "white", "brown", "room", "babble")


def sound(kind: str, n: int, rng: np.random.Generator, pool: list[np.ndarray]) -> np.ndarray:
    if kind == "tone":
        return tone(n, rng)
    if kind == "beeps":
        return beeps(n, rng)
    if kind == "babble":  # voices far away: no one near the microphone speaks
        return babble(n, rng, pool)
    return NOISES[kind](n, rng)


def _babble_pool(ds: FolderDataset, limit: int = 24) -> list[np.ndarray]:
    pool = []
    for seq in ds.sequences("train"):
        if seq.id.startswith(PREFIX) or len(pool) >= limit:
            continue
        audio, rate = ds.load_audio(seq)
        pool.append(np.asarray(prepare(audio, rate), np.float64))
    return pool


def add_non_speech(corpus: Path, per_character: int = 4, seconds: float = 4.0, seed: int = 0) -> dict:
    """Write ``per_character`` non-speech sequences at rest for every character of ``corpus``."""
    corpus = Path(corpus)
    ds = FolderDataset(corpus)  # refuses a folder that is not a dataset
    if per_character < 1 or not 0.5 <= seconds <= 60:
        raise DatasetError("non-speech: --per-character must be >= 1 and --seconds within 0.5-60")
    pool = _babble_pool(ds)
    n = int(round(seconds * RATE))
    frames = max(1, int(round(seconds * ds.fps)))
    written = {}
    for character in ds.characters:
        template = ds.template(character).vertices.astype(np.float32)
        rest = np.repeat(template[None], frames, axis=0)
        for k in range(per_character):
            rng = np.random.default_rng([seed, zlib.crc32(f"{character}/{k}".encode())])
            kind = KINDS[(k + zlib.crc32(character.encode())) % len(KINDS)]
            if kind == "babble" and not pool:
                kind = "music"
            level = rng.uniform(*LEVEL_DBFS)
            audio = sound(kind, n, rng, pool) * 10 ** (level / 20)
            audio = np.clip(audio, -1.0, 1.0)
            seq_id = f"{PREFIX}{kind}_{k:02d}"
            meta = {"character": character, "split": "train", "id": seq_id, "language": "none", "text": "",
                    "fps": ds.fps, "sample_rate": RATE, "frames": frames, "speech": False,
                    "voice": {"non_speech": {"kind": kind, "level_dbfs": round(float(level), 1)}},
                    "phonemes": [[0.0, round(n / RATE, 5), "_"]],
                    "articulation": {"channels": list(CHANNELS), "peak": [0.0] * len(CHANNELS),
                                     "curves": [[0.0] * len(CHANNELS)] * frames}}
            write_sequence(corpus, character, "train", seq_id, audio, RATE, rest, meta)
            written[kind] = written.get(kind, 0) + 1
    info_path = corpus / "dataset.json"
    info = json.loads(info_path.read_text(encoding="utf-8"))
    summary = {"sequences": sum(written.values()), "kinds": dict(sorted(written.items())), "seconds": seconds,
               "per_character": per_character, "seed": seed}
    info.setdefault("non_speech", []).append(summary)
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--into", required=True, type=Path, help="a folder-format corpus (python -m train synth)")
    parser.add_argument("--per-character", type=int, default=4, help="non-speech sequences per character (4)")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each (4 s)")
    parser.add_argument("--seed", type=int, default=0, help="draws the sounds and their levels (0)")


def run(args: argparse.Namespace) -> int:
    summary = add_non_speech(args.into, args.per_character, args.seconds, args.seed)
    print(f"{summary['sequences']} non-speech sequences at rest in {args.into}: "
          + ", ".join(f"{k} {v}" for k, v in summary["kinds"].items()))
    return 0
