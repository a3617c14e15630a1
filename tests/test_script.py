"""A line's script (issue 29): the text placed in real recordings, checked, and turned into lip contact."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from multanet_core.audio import prepare
from multanet_core.checkpoint import load_checkpoint
from multanet_core.contact import lip_midpoints
from multanet_core.inference import Animator
from multanet_core.phone_map import lip_class, to_arpabet
from multanet_core.script import (
    MAX_SECONDS,
    NEIGHBOUR_SEAL,
    PRESS_SHARE,
    ScriptError,
    ScriptTiming,
    align_script,
    apply_script,
    clean_text,
    read_text,
    script_tracks,
    text_beside,
)
from tests.contact_heads import without_contact
from tests.test_align import real_clip
from train.speech_metrics import centres, lip_opening

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "multanet_blender", "models", "default.npz")


def real(name: str):
    """A real clip of data/real_speech at 16 kHz, and its metadata."""
    x, sr, meta = real_clip(name)
    return prepare(x, sr), meta


def test_phone_map_covers_the_lips_in_ipa_and_arpabet():
    assert [lip_class(p) for p in ("m", "bʲ", "ˈp", "pf", "M", "B1", "EM")] == ["closed"] * 7
    assert [lip_class(p) for p in ("f", "v", "ɱ", "F", "V")] == ["labiodental"] * 5
    assert [lip_class(p) for p in ("_", "sil", "SIL", "<sil>", "+NSN+", "[NOISE]")] == ["silence"] * 6
    assert [lip_class(p) for p in ("β", "ɸ", "t", "w", "HH")] == ["other"] * 5  # lips apart
    assert [lip_class(p) for p in ("a", "ˈoʊ", "yː", "AA1", "IY")] == ["vowel"] * 5
    assert to_arpabet("tʃ") == ["CH"] and to_arpabet("ʦ") == ["T", "S"] and to_arpabet("ˈaɪ") == ["AY"]
    assert to_arpabet("ʔ") == [] and to_arpabet("tt") == ["T"] and to_arpabet("ʀ") == ["R"]


def test_every_phone_of_the_corpus_languages_has_an_english_counterpart():
    """Each phone espeak-ng speaks for a sentence of every training language maps to pocketsphinx's phones, and
    P/B/M, F/V and vowels keep their lip class through the map."""
    from multanet_core.espeak import Voice, synthesize
    from train.synth.text import TRAIN_LANGUAGES, sentences

    for language in TRAIN_LANGUAGES:
        text = " ".join(sentences(language, 3, 0))
        for _, _, phone in synthesize(text, language, Voice()).phonemes:
            if lip_class(phone) == "silence":
                continue
            arpa = to_arpabet(phone)
            assert arpa or "ʔ" in phone, (language, phone)
            if lip_class(phone) != "other":
                assert lip_class(arpa[0]) == lip_class(phone), (language, phone, arpa)


def test_script_text_is_read_and_bad_files_refused(tmp_path):
    good = tmp_path / "line.txt"
    good.write_text("\ufeffMary  had\n a little lamb.\n", encoding="utf-8")
    assert read_text(good) == "Mary had a little lamb."
    (tmp_path / "empty.txt").write_text(" \n\t", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "huge.txt").write_text("a " * 60_000, encoding="utf-8")
    for name, match in (("empty.txt", "empty"), ("latin1.txt", "not UTF-8"), ("huge.txt", "too long"),
                        ("missing.txt", "no such script file")):
        with pytest.raises(ScriptError, match=match):
            read_text(tmp_path / name)
    with pytest.raises(ScriptError, match="a folder|cannot read"):
        read_text(tmp_path)
    with pytest.raises(ScriptError, match="empty"):
        clean_text("   ")
    audio = tmp_path / "take 7.wav"
    assert text_beside(audio) is None
    (tmp_path / "take 7.txt").write_text("hello", encoding="utf-8")
    assert text_beside(audio) == str(tmp_path / "take 7.txt")


def test_right_text_is_trusted_and_wrong_texts_warn():
    x, meta = real("librivox_sns01_0870")
    right = align_script(x, meta["text"], "en-us", "take 1")
    assert right.warning == "" and right.used and right.trusted_share >= 0.5
    assert len(right.trusted) == len(right.phones)
    words = meta["text"].split()
    shuffled = words[:]
    random.Random(3).shuffle(shuffled)
    assert shuffled != words
    wrong_texts = {"shuffled": " ".join(shuffled),
                   "another line": real("praatio_mary")[1]["text"] + " " + real("praatio_bobby")[1]["text"],
                   "another language": "Buenos días, mi amigo, bebe un poco de agua y come pan."}
    for what, text in wrong_texts.items():
        timing = align_script(x, text, "en-us" if what != "another language" else "es", "take 1")
        assert timing.warning.startswith("take 1: its text") and not timing.used, what
        assert "audio only" in timing.warning


def test_a_line_too_long_or_a_language_without_a_voice_is_refused():
    x, meta = real("praatio_mary")
    with pytest.raises(ScriptError, match="too long to align"):
        align_script(np.zeros(int((MAX_SECONDS + 1) * 16000), np.float32), "hello", "en-us")
    with pytest.raises(ScriptError, match="no voice"):
        align_script(x, meta["text"], "xx-nolanguage")


def test_tracks_seal_the_closures_and_rest_the_long_pauses():
    timing = ScriptTiming("x", "en", phones=[[0.0, 0.5, "_"], [0.5, 0.6, "m"], [0.6, 0.8, "a"], [0.8, 0.9, "f"],
                                             [0.9, 0.95, "_"], [0.95, 1.0, "b"], [1.0, 1.2, "a"], [1.2, 2.0, "_"]],
                          trusted=[True, True, True, True, True, True, False, True])
    t = script_tracks(timing, 30.0, 60)
    assert np.all(t.closed[15:18] == 1.0)
    assert t.closed[14] == pytest.approx(NEIGHBOUR_SEAL[0]) and t.closed[18] == pytest.approx(NEIGHBOUR_SEAL[0])
    assert t.closed[21] == 0 and t.closed[29] == 1.0  # b: frame 29 (0.967 s) lies inside it
    assert t.closed[28] == pytest.approx(NEIGHBOUR_SEAL[0])
    assert t.closed[30] == pytest.approx(NEIGHBOUR_SEAL[0])
    assert np.all(t.labiodental[24:27] == 1.0) and t.labiodental[23] == 0
    assert t.vowels[21] and not t.vowels[33]  # the last vowel is not trusted
    assert t.rest[5] == pytest.approx(1.0) and t.rest[50] == pytest.approx(1.0)
    assert t.rest[27] == 0  # a 50 ms gap inside the line is no pause
    # the pull ends and starts REST_EDGE_FRAMES inside a pause (frames 0-14 and 36-59 here), smoothly
    np.testing.assert_allclose(t.rest[10:15], [1.0, 0.8, 0.6, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(t.rest[36:41], [0.0, 0.0, 0.6, 0.8, 1.0], atol=1e-6)
    assert t.covered[16] and not t.covered[33] and not t.covered[5]


def test_apply_script_closes_only_the_lip_gap():
    rng = np.random.default_rng(0)
    c = rng.normal(size=(60, 6)).astype(np.float32)
    g = np.array([1.0, 0.5, 0, 0, 0, 0], np.float32)
    timing = ScriptTiming("x", "en", phones=[[0.0, 0.5, "s"], [0.5, 0.6, "m"], [0.6, 2.0, "s"]],
                          trusted=[True, True, True])
    tracks = script_tracks(timing, 30.0, 60)
    out = apply_script(c, tracks, (g, 2.0), -1.0, np.zeros(6, np.float32), 1.0)
    gap_in, gap_out = c @ g + 2.0, out @ g + 2.0
    closing = tracks.closed == 1.0
    assert np.allclose(gap_out[closing], np.minimum(gap_in[closing], -1.0), atol=1e-5)
    untouched = tracks.closed == 0
    assert np.allclose(out[untouched], c[untouched])
    other = np.array([0, 0, 1, 1, 1, 1], bool)  # what the lip gap does not read stays put everywhere
    assert np.allclose(out[:, other], c[:, other])
    assert np.array_equal(apply_script(c, tracks, (g, 2.0), -1.0, np.zeros(6, np.float32), 0.0), c)


def test_apply_script_opens_vowels_the_regression_left_shut():
    c = np.zeros((30, 2), np.float32)
    c[:, 0] = np.linspace(0.0, 2.0, 30)  # the lip gap opens over the line; frames 0-4 are nearly shut
    timing = ScriptTiming("x", "en", phones=[[0.0, 0.2, "a"], [0.2, 0.5, "t"], [0.5, 1.0, "a"]],
                          trusted=[True, True, True])
    tracks = script_tracks(timing, 30.0, 30)
    out = apply_script(c, tracks, (np.array([1.0, 0.0], np.float32), 0.0), 0.0, np.zeros(2, np.float32), 1.0)
    mean_open = c[tracks.vowels, 0].mean()
    middle = tracks.vowel_spans[:6]  # the middle half of the first vowel (0-0.2 s) and its centre
    assert middle.sum() >= 2 and not middle[0]
    assert np.all(out[:6][middle, 0] >= 0.3 * mean_open - 1e-6) and out[3, 0] > c[3, 0]
    assert np.allclose(out[~tracks.vowel_spans], c[~tracks.vowel_spans]) and np.allclose(out[:, 1], 0)


def test_apply_script_closes_a_mesh_heads_lips_by_their_distance_and_leaves_closed_lips_alone():
    """With a head's LipLift, a P/B/M frame whose lip midpoints are farther apart than at the template moves
    along the least-motion direction (depth comes along, as it will) until their distance is the template's less
    the press; a frame the audio already closed keeps its coefficients."""
    from multanet_core.contact import LipLift

    span = np.eye(3, dtype=np.float32)  # upper minus lower midpoint = c + offset
    offset = np.array([0.0, 6.0, 2.0], np.float32)
    lift = LipLift(np.array([0.0, 1.0, 0.4], np.float32), span, offset, float(np.hypot(6.0, 2.0)))
    c = np.zeros((30, 3), np.float32)
    c[:, 1] = 3.0  # the lips 3 units apart in height ...
    c[15, 1] = -0.5  # ... but on frame 15 the audio already closed them
    timing = ScriptTiming("x", "en", phones=[[0.0, 0.2, "a"], [0.2, 0.3, "m"], [0.3, 0.45, "a"], [0.45, 0.55, "b"],
                                             [0.55, 1.0, "a"]], trusted=[True] * 5)
    tracks = script_tracks(timing, 30.0, 30)
    out = apply_script(c, tracks, (np.array([0.0, 1.0, 0.0], np.float32), 6.0), 6.0, np.zeros(3, np.float32), 1.0,
                       lift)
    full = np.flatnonzero(tracks.closed == 1.0)
    assert 15 in full and len(full) >= 4
    opening = 3.0  # the vowels' mean gap over the closed one
    distance = np.linalg.norm(out @ span.T + offset, axis=1)
    shut = [f for f in full if f != 15]
    assert np.allclose(distance[shut], lift.rest - PRESS_SHARE * opening, atol=1e-4)
    step = out[shut] - c[shut]  # along the lift direction only
    assert np.allclose(step[:, 0], 0) and np.allclose(step[:, 2], 0.4 * step[:, 1], atol=1e-5)
    assert np.array_equal(out[15], c[15])


def test_the_bundled_model_closes_every_pbm_of_a_real_line_with_its_text():
    """With its text, a line of a real speaker closes its lips at every P/B/M centre on a mesh head, and the
    frames the script does not speak for are the audio network's, unchanged (the network without its contact
    head: with one, the script alone says where the lips close wherever it speaks)."""
    x, meta = real("librivox_sns01_0920")  # its alignment came with the recording: 11 P/B/M
    ckpt = load_checkpoint(DEFAULT)
    anim = Animator(ckpt, ckpt.heads[0].name)
    timing = align_script(x, meta["text"], "en-us")
    plain = anim.coefficients(x, ckpt.fps)
    scripted = anim.coefficients(x, ckpt.fps, script=timing)
    up = "XYZ".index(ckpt.up_axis)
    head = anim.head
    opening = lip_opening(anim.vertices(scripted), head.template, head.lips, up)
    before = lip_opening(anim.vertices(plain), head.template, head.lips, up)
    pbm = centres(meta["phones"], ckpt.fps, len(opening), "bilabial")
    vowels = centres(meta["phones"], ckpt.fps, len(opening), "vowel")
    assert len(pbm) >= 3
    closed = opening[pbm] < 0.2 * opening[vowels].mean()
    assert closed.mean() == 1.0 and (before[pbm] < 0.2 * before[vowels].mean()).mean() < 1.0
    assert np.mean(opening[vowels] < 0.2 * opening[vowels].mean()) <= 0.05
    tracks = script_tracks(timing, ckpt.fps, len(plain))
    free = (tracks.closed == 0) & (tracks.labiodental == 0) & (tracks.rest == 0) & ~tracks.vowel_spans
    network = Animator(without_contact(ckpt), ckpt.heads[0].name)
    plain, scripted = network.coefficients(x, ckpt.fps), network.coefficients(x, ckpt.fps, script=timing)
    assert free.sum() > len(plain) / 5 and np.allclose(scripted[free], plain[free])
    assert lip_midpoints(head.template, head.lips, up)


def test_without_pocketsphinx_a_text_warns_and_the_line_bakes_from_the_audio(tmp_path):
    """Blender's own Python has neither espeak-ng's loader nor pocketsphinx unless they are installed into it."""
    import subprocess
    import sys

    from tests.hidden_imports import PRELUDE

    script = PRELUDE.replace('("torch", "scipy", "soundfile")', '("pocketsphinx", "espeakng_loader")') + (
        "import numpy as np\n"
        "from multanet_core.script import align_script\n"
        "t = align_script(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32), 'hello there', "
        "'en-us', 'take 1')\n"
        "print(t.warning)\n"
        "assert not t.used\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert "take 1: its text was not used" in out.stdout and "install espeakng-loader and pocketsphinx" in out.stdout


def test_the_rig_head_seals_through_jaw_open_and_mouth_close():
    """The bundled ARKit rig head with the text: at every P/B/M centre the lips are sealed however far the jaw
    is open (jawOpen - mouthClose at or under 0), where the audio alone leaves them apart."""
    x, meta = real("librivox_sns01_0920")
    ckpt = load_checkpoint(DEFAULT)
    rig = ckpt.rig_heads[0]
    anim = Animator(ckpt, rig.name)
    names = list(rig.weight_names)
    jaw, close = names.index("jawOpen"), names.index("mouthClose")
    timing = align_script(x, meta["text"], "en-us")
    plain = anim.weights(anim.coefficients(x, ckpt.fps))
    sealed = anim.weights(anim.coefficients(x, ckpt.fps, script=timing))
    pbm = centres(meta["phones"], ckpt.fps, len(sealed), "bilabial")
    assert np.mean(sealed[pbm, jaw] - sealed[pbm, close] <= 0.02) >= 0.9  # a word not heard in place is left out
    assert np.mean(plain[pbm, jaw] - plain[pbm, close]) > 0.05
