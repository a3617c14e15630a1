"""Real speech to learn from: recordings with transcripts become training sequences of a synthetic corpus.

``python -m train real-corpus --clips DIR --into CORPUS [--per-clip 2] [--seed 0]``

A real recording has no captured face, but its transcript does: the forced aligner (:mod:`multanet_core.align`,
pocketsphinx for English, DTW against espeak-ng for other languages) gives the phone timeline, and the
corpus's own articulation model (:func:`train.synth.articulation.articulate`, the one that makes every
synthetic sequence's ground truth) turns it into the curves and each head's motion. So the network hears a
person's voice, room and microphone, and learns the same articulation it learns from espeak-ng and the
neural voices; the rig heads' curves come with it.

``DIR`` holds audio files with a ``<same name>.json`` each giving ``text`` and ``language`` (an espeak-ng
voice such as ``en-us``, ``es``, ``fr``; data/real_speech's format) and optionally ``speaker`` and
``phones`` (a shipped alignment, used as it is). Each clip goes to ``--per-clip`` characters of the corpus
(seeded, different ones for each clip) as ``<character>/train/real_<clip>.{wav,npy,json}``. A clip marked
``"split": "test"`` is refused, and so is any clip whose speaker speaks a test clip in that folder: the
locked test split stays unheard.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np

from multanet_core.align import AlignmentError, align
from multanet_core.audio import read_audio, to_mono
from train.data.base import DatasetError
from train.data.folder import write_sequence

from .evaluate_real import clip_files
from .speech_metrics import SILENCES
from .synth.articulation import articulate
from .synth.characters import character
from .synth.head import SPEECH_CHANNELS, build_head

PREFIX = "real_"

# pocketsphinx's ARPAbet (no stress digits) as the IPA the articulation model reads
ARPABET_IPA = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɝ", "EY": "eɪ",
    "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u", "AX": "ə", "AXR": "ɚ", "IX": "ɪ",
    "UX": "u", "B": "b", "CH": "tʃ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "dʒ", "K": "k",
    "L": "l", "M": "m", "EM": "m", "N": "n", "EN": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ",
    "T": "t", "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ", "DX": "ɾ", "Q": "ʔ",
}


def to_ipa(phone: str) -> str:
    """One aligned phone as the articulation model's IPA: ARPAbet (any case, stress digits) is translated,
    silences and noise labels (``sil``, ``+NSN+``, ``<sil>``) become ``_``, IPA passes through."""
    p = str(phone).strip()
    if not p or p in SILENCES or p.lower() in SILENCES or (p.startswith("+") and p.endswith("+")):
        return "_"
    arpa = p.rstrip("012").upper()
    if p.isascii() and arpa in ARPABET_IPA:
        return ARPABET_IPA[arpa]
    if p.isascii() and p.isupper():  # a merged label of a shipped alignment, such as praatio's "PT"
        parts, rest = [], arpa
        while rest:
            head = next((rest[:n] for n in (3, 2, 1) if rest[:n] in ARPABET_IPA), None)
            if head is None:
                raise DatasetError(f"phone {phone!r} is neither IPA nor ARPAbet")
            parts.append(ARPABET_IPA[head])
            rest = rest[len(head):]
        return "".join(parts)
    return p


def load_clip_list(folder: Path) -> list[tuple[Path, dict]]:
    """The clips of ``folder`` that can be learnt from, refusing the locked test split and its speakers."""
    clips = []
    for path, meta_path in clip_files(folder):
        if meta_path is None:
            raise DatasetError(f"{path}: no {path.stem}.json beside it (a clip needs its text and language)")
        clips.append((path, json.loads(meta_path.read_text(encoding="utf-8"))))
    test_speakers = {m.get("speaker") for _, m in clips if m.get("split") == "test" and m.get("speaker")}
    usable = []
    for path, meta in clips:
        if meta.get("split") == "test" or meta.get("speech") is False:
            continue  # the locked test split is never trained on; non-speech has no phones to learn
        if meta.get("speaker") in test_speakers:
            raise DatasetError(f"{path.name}: its speaker {meta['speaker']!r} also speaks clips of the test split; "
                               "training on that voice would make the test split's figures look better than they are")
        if not meta.get("phones") and not (meta.get("text") and meta.get("language")):
            raise DatasetError(f"{path.name}: needs 'text' and 'language' (or shipped 'phones') in its json")
        usable.append((path, meta))
    return usable


def timeline(samples: np.ndarray, rate: int, meta: dict) -> tuple[list[list], str]:
    """The clip's phone timeline in IPA (its shipped alignment, else the aligner's) and where it came from."""
    if meta.get("phones"):
        phones, source = meta["phones"], "shipped"
    else:
        result = align(samples, rate, meta["text"], meta["language"])
        phones, source = result.phones, result.method
    return [[float(s), float(e), to_ipa(p)] for s, e, p in phones], source


def characters_of(clip_name: str, names: list[str], per_clip: int, seed: int) -> list[str]:
    rng = np.random.default_rng(zlib.crc32(f"{seed}/{clip_name}".encode()))
    return [names[i] for i in sorted(rng.choice(len(names), size=min(per_clip, len(names)), replace=False))]


def add_real_speech(corpus: Path, clips_dir: Path, per_clip: int = 2, seed: int = 0) -> dict:
    """Write every usable clip of ``clips_dir`` into ``corpus`` as train sequences; returns a summary."""
    corpus = Path(corpus)
    info_path = corpus / "dataset.json"
    if not info_path.is_file():
        raise DatasetError(f"{corpus}: no dataset.json (make the corpus with `python -m train synth` first)")
    info = json.loads(info_path.read_text(encoding="utf-8"))
    fps = float(info["fps"])
    names = list(info["characters"])
    index = {name: int(info.get("character_info", {}).get(name, {}).get("index", -1)) for name in names}
    if any(i < 0 or character(i).name != name for name, i in index.items()):
        raise DatasetError(f"{corpus}: its characters are not the synthetic cast's (real speech needs the "
                           "procedural heads that the articulation model animates)")
    heads = {}
    written, seconds, sources, speakers, languages = 0, 0.0, {}, set(), set()
    for path, meta in load_clip_list(clips_dir):
        samples, rate = read_audio(path)
        samples = to_mono(samples)
        try:
            phones, source = timeline(samples, rate, meta)
        except (AlignmentError, DatasetError) as exc:
            raise DatasetError(f"{path.name}: {exc}") from exc
        audio16 = np.clip(np.round(samples * 32767), -32768, 32767).astype(np.int16)
        for name in characters_of(path.stem, names, per_clip, seed):
            ch = character(index[name])
            art = articulate(phones, audio16, rate, fps, ch.style.anticipation)
            if name not in heads:
                heads[name] = build_head(ch.shape, ch.style)
            verts = heads[name].animate(art)
            seq_meta = {
                "character": name, "split": "train", "id": PREFIX + path.stem, "language": meta.get("language"),
                "text": meta.get("text"), "fps": fps, "sample_rate": int(rate), "frames": int(len(verts)),
                "voice": {"real": {k: meta.get(k) for k in ("speaker", "source", "licence", "condition")
                                   if meta.get(k) is not None}},
                "phonemes": phones, "alignment": source,
                "articulation": {"channels": list(SPEECH_CHANNELS), "peak": [round(float(v), 4) for v in art.max(0)],
                                 "curves": [[round(float(v), 4) for v in row] for row in art]},
            }
            write_sequence(corpus, name, "train", PREFIX + path.stem, audio16, rate, verts, seq_meta)
            written += 1
        seconds += len(samples) / rate
        sources[source] = sources.get(source, 0) + 1
        speakers.add(meta.get("speaker") or path.stem)
        languages.add(str(meta.get("language")))
    summary = {"clips": sum(sources.values()), "sequences": written, "seconds": round(seconds, 1),
               "speakers": len(speakers), "languages": sorted(languages), "alignments": sources,
               "per_clip": per_clip, "seed": seed, "from": str(clips_dir)}
    info.setdefault("real_speech", []).append(summary)
    info_path.write_text(json.dumps(info, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clips", required=True, type=Path, help="folder of real recordings with <name>.json "
                        "(text, language; data/real_speech's format)")
    parser.add_argument("--into", required=True, type=Path, help="a synthetic corpus (python -m train synth)")
    parser.add_argument("--per-clip", type=int, default=2, help="characters each clip is given to (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="picks the characters of each clip (default 0)")


def run(args: argparse.Namespace) -> int:
    if args.per_clip < 1:
        raise DatasetError("--per-clip must be at least 1")
    summary = add_real_speech(args.into, args.clips, args.per_clip, args.seed)
    print(f"{summary['clips']} real clips ({summary['seconds']} s, {summary['speakers']} speakers, "
          f"{', '.join(summary['languages'])}) -> {summary['sequences']} train sequences in {args.into}; "
          f"alignments: {summary['alignments']}")
    return 0
