"""Forced alignment (multanet_core/align.py) on real recordings with reference alignments and real espeak-ng speech."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import soundfile as sf

from multanet_core.align import (
    Alignment,
    AlignmentError,
    align,
    align_dtw,
    align_phonetic,
    align_pocketsphinx,
    dtw_path,
)
from multanet_core.espeak import Voice, synthesize
from train.speech_metrics import phone_class

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL = os.path.join(ROOT, "data", "real_speech")


def real_clip(name: str):
    x, sr = sf.read(os.path.join(REAL, name + ".flac"))
    with open(os.path.join(REAL, name + ".json"), encoding="utf-8") as f:
        return x, sr, json.load(f)


def intervals(phones, cls):
    return [(float(s), float(e)) for s, e, p in phones if phone_class(str(p)) == cls]


def centres(phones, cls):
    return np.asarray([(a + b) / 2 for a, b in intervals(phones, cls)])


def hits(reference, aligned, cls, slack=0.02):
    """Per reference phone of ``cls``: does an aligned phone of that class centre inside it (+- slack)?"""
    found = centres(aligned, cls)
    return [bool(np.any((found >= s - slack) & (found <= e + slack))) for s, e in intervals(reference, cls)]


def check_timeline(a: Alignment, duration: float):
    starts = np.asarray([p[0] for p in a.phones])
    ends = np.asarray([p[1] for p in a.phones])
    assert starts[0] == 0.0 and abs(ends[-1] - duration) < 1e-3
    assert np.all(ends > starts) and np.allclose(starts[1:], ends[:-1])


def test_dtw_path_recovers_a_known_warp():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 6))
    # b: a with frames 10..19 held twice as long and frames 30..34 skipped
    order = np.concatenate([np.arange(10), np.repeat(np.arange(10, 20), 2), np.arange(20, 30), np.arange(35, 40)])
    b = a[order] + rng.normal(scale=0.01, size=(len(order), 6))
    path, cost = dtw_path(a, b)
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (len(a) - 1, len(b) - 1)
    assert np.all(np.diff(path, axis=0) >= 0) and np.all(np.diff(path, axis=0).sum(1) >= 1)
    for i, k in path:  # every pair on the path matches a frame of a to its own copy in b
        if i < 30 or i >= 35:
            assert order[k] == i
    assert cost < 0.2  # the five skipped frames of a pair with neighbours


def test_dtw_matches_brute_force_on_small_sequences():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(7, 3)), rng.normal(size=(9, 3))
    path, _ = dtw_path(a, b, step_penalty=0.3)
    cost = np.linalg.norm(a[:, None] - b[None], axis=2) / np.sqrt(3)
    D = np.full((8, 10), np.inf)
    D[0, 0] = 0.0
    for i in range(1, 8):  # the textbook recursion, cell by cell
        for k in range(1, 10):
            if i == 1 and k == 1:
                D[i, k] = cost[0, 0]
                continue
            D[i, k] = cost[i - 1, k - 1] + min(D[i - 1, k - 1], D[i - 1, k] + 0.3, D[i, k - 1] + 0.3)
    steps = np.diff(path, axis=0)
    total = cost[path[:, 0], path[:, 1]].sum() + 0.3 * np.sum(steps.sum(1) == 1)
    assert total == pytest.approx(D[7, 9])


def test_dtw_against_espeak_finds_the_bilabials_of_a_real_english_clip():
    x, sr, meta = real_clip("cmuarctic_slt_a0009")  # alignment shipped with the recording (HTS labels)
    a = align_dtw(x, sr, meta["text"], "en-us")
    assert a.method == "dtw-espeak" and a.phone_set == "ipa"
    check_timeline(a, len(x) / sr)
    assert all(hits(meta["phones"], a.phones, "bilabial"))
    ref, got = centres(meta["phones"], "vowel"), centres(a.phones, "vowel")
    assert np.median([np.min(np.abs(got - c)) for c in ref]) < 0.04


def test_dtw_beats_phones_spread_evenly_on_the_aligned_english_clips():
    """Over the clips whose alignment came with the recording, P/B/M centres land inside the reference P/B/M
    far more often than with the same phones spread evenly (what a tool without an aligner does)."""
    aligned, even = [], []
    for name in ("librivox_sns01_0870", "librivox_sns01_0920", "librivox_sns01_0930", "praatio_bobby"):
        x, sr, meta = real_clip(name)
        a = align_dtw(x, sr, meta["text"], "en-us")
        spoken = [p for p in a.phones if p[2] != "_"]
        t = np.linspace(spoken[0][0], spoken[-1][1], len(spoken) + 1)
        spread = [[t[i], t[i + 1], p[2]] for i, p in enumerate(spoken)]
        aligned += hits(meta["phones"], a.phones, "bilabial")
        even += hits(meta["phones"], spread, "bilabial")
    assert len(aligned) >= 20
    assert np.mean(aligned) >= 0.7 and np.mean(aligned) >= np.mean(even) + 0.3


@pytest.mark.parametrize("language,text", [("es", "Buenos días, mi amigo, bebe un poco de agua."),
                                           ("ru", "Мама мыла раму, а папа пил молоко.")])
def test_dtw_recovers_a_slower_voices_timeline_in_other_languages(language, text):
    """A different, slower espeak voice with its own exact timeline stands in for a speaker of the language."""
    utt = synthesize(text, language, Voice("f4", 70, 60, 120)).padded(0.6, 0.4)
    noise = np.random.default_rng(0).normal(scale=300, size=len(utt.audio))  # room tone, about -40 dBFS
    audio = utt.audio + noise
    a = align_dtw(audio, utt.sample_rate, text, language)
    truth = utt.timeline_seconds()
    check_timeline(a, len(audio) / utt.sample_rate)
    assert all(hits(truth, a.phones, "bilabial", slack=0.03))
    assert a.phones[0][2] == "_" and abs(a.phones[0][1] - 0.6) < 0.06  # the leading room tone stays silence


def test_pocketsphinx_and_align_choose_by_language():
    x, sr, meta = real_clip("cmuarctic_slt_a0009")
    ps = align_pocketsphinx(x, sr, meta["text"])
    assert ps.method == "pocketsphinx" and ps.phone_set == "arpabet"
    assert all(hits(meta["phones"], ps.phones, "bilabial"))
    assert align(x, sr, meta["text"], "en-US").method == "pocketsphinx"
    assert align(x, sr, meta["text"], "en-us").phones == ps.phones
    # a word outside pocketsphinx's dictionary: pocketsphinx on espeak-ng's phones of the text
    assert align(x, sr, meta["text"] + " zorblatt", "en").method == "pocketsphinx-phonetic"


def test_bad_input_is_refused_with_a_reason():
    x, sr, meta = real_clip("praatio_bobby")
    with pytest.raises(AlignmentError, match="no text"):
        align_dtw(x, sr, "  ", "en-us")
    with pytest.raises(AlignmentError, match="silent"):
        align_dtw(np.zeros(16000), 16000, "hello", "en-us")
    with pytest.raises(AlignmentError, match="no voice"):
        align_dtw(x, sr, meta["text"], "xx-nolanguage")
    with pytest.raises(AlignmentError, match="dictionary"):
        align_pocketsphinx(x, sr, "bobby zorblatt")


SHIPPED = ("librivox_sns01_0870", "librivox_sns01_0920", "librivox_sns01_0930", "praatio_bobby", "praatio_mary",
           "cmuarctic_slt_a0009")  # dev clips whose alignments came with the recordings


def test_phonetic_aligner_beats_dtw_on_the_shipped_english_alignments():
    """pocketsphinx's acoustic model on espeak-ng's phones places the P/B/M and vowels of human speech better
    than DTW against espeak-ng's voice (the bench's figure, on the clips whose alignments are independent)."""
    phonetic, dtw, vowels = [], [], []
    for name in SHIPPED:
        x, sr, meta = real_clip(name)
        a = align_phonetic(x, sr, meta["text"], "en-us")
        assert a.method == "pocketsphinx-phonetic" and a.phone_set == "ipa"
        check_timeline(a, len(x) / sr)
        assert len(a.spoken) == len(a.phones)
        assert all((k < 0) == (p[2] == "_") for k, p in zip(a.spoken, a.phones, strict=True))
        phonetic += hits(meta["phones"], a.phones, "bilabial")
        vowels += hits(meta["phones"], a.phones, "vowel")
        dtw += hits(meta["phones"], align_dtw(x, sr, meta["text"], "en-us").phones, "bilabial")
    assert len(phonetic) >= 25
    assert np.mean(phonetic) >= 0.95 and np.mean(phonetic) >= np.mean(dtw) + 0.05  # 0.97 against 0.87
    assert np.mean(vowels) >= 0.9


def test_phonetic_aligner_places_another_languages_phones():
    text = "Buenos días, mi amigo, bebe un poco de agua."
    utt = synthesize(text, "es", Voice("f4", 70, 60, 120)).padded(0.6, 0.4)
    audio = utt.audio + np.random.default_rng(0).normal(scale=300, size=len(utt.audio))
    a = align_phonetic(audio, utt.sample_rate, text, "es")
    check_timeline(a, len(audio) / utt.sample_rate)
    truth = utt.timeline_seconds()  # espeak's Spanish b between vowels is a short β: half of them are placed
    assert np.mean(hits(truth, a.phones, "bilabial", slack=0.03)) >= 0.5
    assert np.mean(hits(truth, a.phones, "vowel", slack=0.03)) >= 0.9
    assert a.phones[0][2] == "_" and abs(a.phones[0][1] - 0.6) < 0.1
    # the two aligners of one text pair up phone by phone
    d = align_dtw(audio, utt.sample_rate, text, "es")
    labels = {k: p[2] for k, p in zip(d.spoken, d.phones, strict=True) if k >= 0}
    assert all(labels[k] == p[2] for k, p in zip(a.spoken, a.phones, strict=True) if k >= 0 and k in labels)


def test_phonetic_aligner_refuses_what_it_cannot_align():
    x, sr, meta = real_clip("praatio_bobby")
    with pytest.raises(AlignmentError, match="no text"):
        align_phonetic(x, sr, " ", "en-us")
    with pytest.raises(AlignmentError, match="no voice"):
        align_phonetic(x, sr, meta["text"], "xx-nolanguage")
    with pytest.raises(AlignmentError, match="could not align"):  # far more text than a 2 s clip can hold
        align_phonetic(x[: 2 * sr], sr, " ".join([meta["text"]] * 12), "en-us")


def test_fetch_realign_aligns_the_aligners_clips_again_and_copies_them_into_their_degraded_copies(tmp_path):
    """`data/real_speech/fetch.py --realign`: a clip whose phones came from the project's aligner gets today's
    alignment (the same as `align` gives on its audio), the degraded copy made from it gets the same phones, and
    a clip with a shipped alignment is left byte for byte."""
    import importlib.util
    import shutil

    spec = importlib.util.spec_from_file_location("real_speech_fetch", os.path.join(REAL, "fetch.py"))
    fetch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch)  # constants only: no download
    names = ("mfa_words", "mix_reverb_room_mfa_words", "praatio_mary")
    for name in names:
        for ext in (".flac", ".json"):
            shutil.copy(os.path.join(REAL, name + ext), tmp_path / (name + ext))
    stale = [[0.0, 0.5, "p"], [0.5, 1.0, "a"]]
    for name, source in (("mfa_words", "dtw-espeak (train/align.py)"), ("mix_reverb_room_mfa_words", None)):
        meta = json.loads((tmp_path / f"{name}.json").read_text(encoding="utf-8"))
        meta.update(phones=stale, **({"alignment_source": source} if source else {}))
        (tmp_path / f"{name}.json").write_text(json.dumps(meta), encoding="utf-8")
    shipped_before = (tmp_path / "praatio_mary.json").read_bytes()

    changed = fetch.realign(tmp_path)

    assert sorted(changed) == ["mfa_words", "mix_reverb_room_mfa_words"]
    clean = json.loads((tmp_path / "mfa_words.json").read_text(encoding="utf-8"))
    copy = json.loads((tmp_path / "mix_reverb_room_mfa_words.json").read_text(encoding="utf-8"))
    x, sr = sf.read(tmp_path / "mfa_words.flac", dtype="int16")
    expected = align(x.astype(np.float64) / 32768.0, sr, clean["text"], clean["language"])
    assert clean["phones"] == [list(p) for p in expected.phones] != stale
    assert clean["alignment_source"] == f"{expected.method} (multanet_core/align.py)"
    assert copy["phones"] == clean["phones"] and copy["alignment_source"].startswith("copied from the clean clip")
    assert (tmp_path / "praatio_mary.json").read_bytes() == shipped_before
    assert fetch.realign(tmp_path) == []  # a second run finds nothing to change
