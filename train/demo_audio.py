"""Regenerate the demo's bundled dialogue: ``python -m train demo-audio`` (needs the train group).

Two characters of the synthetic cast talk, in English and then in Korean, each with the espeak-ng
voice the training corpus gives that character (:mod:`train.synth.characters`), so the default
model's heads of the same names hear the voices they were trained on. Writes Ogg Vorbis files and
``dialogue.json`` (speaker, language, text, file, the gap before the line, the phone timeline) into
``multanet_blender/demo_audio/``, which ``python -m multanet_blender demo`` reads. Run once; the
files are committed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np
import soundfile

from multanet_core.espeak import synthesize
from multanet_core.text import help_text
from train.synth.characters import cast
from train.synth.text import ESPEAK_LANGUAGE

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "multanet_blender", "demo_audio")

# (speaker, language, text); speakers are the first two characters of the cast
DIALOGUE = [
    ("beatrix", "en", "Did you hear that? Something is moving in the old library."),
    ("arthur", "en", "It is only the wind. Go back to sleep."),
    ("beatrix", "ko", "아니요, 누군가 책을 읽고 있어요."),
    ("arthur", "ko", "그럼 같이 가 봅시다."),
]
GAP_S = 0.4  # silence between lines
PAD_S = 0.15  # silence inside each file, before and after the speech


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=OUT,
                        help="folder for the .ogg files and dialogue.json (default: the add-on's demo_audio/, "
                             "whose committed files it replaces)")


def run(args: argparse.Namespace) -> int:
    write_dialogue(args.out)
    return 0


def write_dialogue(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    voices = {c.name: c.voice for c in cast(14)}
    lines = []
    for i, (speaker, language, text) in enumerate(DIALOGUE):
        utt = synthesize(text, ESPEAK_LANGUAGE[language], voices[speaker]).padded(PAD_S, PAD_S)
        name = f"{i + 1:02d}_{speaker}_{language}.ogg"
        audio = utt.audio.astype(np.float32) / 32768.0
        soundfile.write(os.path.join(out, name), audio, utt.sample_rate, format="OGG", subtype="VORBIS")
        phones = [[round(float(s), 4), round(float(e), 4), p] for s, e, p in utt.timeline_seconds()]
        lines.append({"speaker": speaker, "language": language, "text": text, "file": name,
                      "gap_before_s": 0.5 if i == 0 else GAP_S, "duration_s": round(utt.duration, 3),
                      "phones": phones})  # espeak-ng's IPA timeline: the contact sheet picks frames by it
        print(f"{name}: {utt.duration:.2f} s, {os.path.getsize(os.path.join(out, name)) / 1e3:.0f} KB  {text}")
    with open(os.path.join(out, "dialogue.json"), "w", encoding="utf-8") as f:
        json.dump({"lines": lines}, f, ensure_ascii=False, indent=1)
        f.write("\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m train.demo_audio", description=help_text(__doc__))
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
