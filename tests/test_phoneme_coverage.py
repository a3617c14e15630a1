"""Every phoneme espeak-ng emits, in any of its languages, maps to an articulation target (real espeak-ng).

The full sweep (``python -m train.synth.coverage --all-espeak``: every voice's scripts too) takes one to two
minutes on two cores; here every voice speaks numbers, the corpus's sentences where the corpus has its
language, and every phoneme of its phoneme table, and a broad set of voices speaks its scripts as well.
"""

import json

import numpy as np
import pytest

from multanet_core.espeak import has_dictionary, list_voices, synthesize, voice_phonemes
from train.synth import text as text_module
from train.synth.articulation import _base, phoneme_class, phoneme_targets
from train.synth.characters import character
from train.synth.corpus import Task, render_task
from train.synth.coverage import ALL_VOICE, SCRIPTS, all_espeak, reads, script_texts, table_texts

# every script some voice reads, and the languages whose phonemes needed new targets (hy, lb: ʀ; si: ᵐ ⁿ ᵑ;
# ky: S Z N X t[ y:; am: t`; ga: A; is: r#; smj: Φ; be: d͡z; vi-VN-x-south: ɔ+; ru-cl: u"; tn: K)
BROAD = ["ine/hy", "gmw/lb", "inc/si", "trk/ky", "sem/am", "cel/ga", "gmq/is", "urj/smj", "zle/be",
         "aav/vi-VN-x-south", "zle/ru-cl", "bnt/tn", "sem/he", "inc/bn", "dra/ml", "tai/th", "sit/my", "ccs/ka",
         "sit/yue", "jpx/ja", "ko", "grk/grc", "inc/ur", "inc/hi", "inc/pa", "inc/gu", "inc/or", "dra/ta", "dra/te",
         "dra/kn", "gmw/en-Shaw"]
# a sentence with ղ, the uvular trill ʀ that stopped `train synth` for Armenian
ARMENIAN = "Մայրը բերեց ջուր, հաց և ծաղիկ, իսկ եղբայրը ղեկավարեց նավը։"


def test_espeak_voices_are_all_listed():
    voices = list_voices()
    ids = [v.identifier for v in voices]
    assert len(voices) >= 130 and len(set(ids)) == len(ids)
    assert {"ine/hy", "gmw/en-US", "sit/cmn", "sem/am", "inc/si"} <= set(ids)
    hy = next(v for v in voices if v.identifier == "ine/hy")
    assert hy.languages[0] == "hy" and "Armenian" in hy.name
    # the phoneme table holds the uvular trill (mnemonic r") that Armenian ղ is read as
    assert voice_phonemes("ine/hy")['r"'] == "voiced fricative"
    assert has_dictionary("ine/hy") and not has_dictionary("gmq/fo")  # no fo_dict in the bundled data


def test_uvular_trill_maps_like_the_other_uvulars():
    assert phoneme_class("ʀ") == "velar" == phoneme_class("ʁ")
    (target, dom), = phoneme_targets("ʀ")
    (uvular, uvular_dom), = phoneme_targets("ʁ")
    np.testing.assert_array_equal(target, uvular)
    np.testing.assert_array_equal(dom, uvular_dom)
    assert target[1] == 0.0 and target[0] < 0.3  # lips open, jaw nearly closed: a tongue-back consonant


def test_new_symbols_follow_their_place_of_articulation():
    assert phoneme_class("ᵐb") == "bilabial" and phoneme_class("Φ") == "bilabial"
    assert phoneme_class("ⁿd") == "alveolar" and phoneme_class("ᵑɡ") == "velar"
    assert phoneme_class("tS") == "alveolar" and phoneme_class("S") == phoneme_class("ʃ") == "postalveolar"
    assert phoneme_class("ʦ") == "alveolar" and phoneme_class("K") == "alveolar"
    assert phoneme_class("A") == "vowel" and phoneme_targets("A")[0][0][0] == phoneme_targets("ɑ")[0][0][0]
    # marks that carry no articulation are ignored like stress and length
    for marked, plain in (("t`", "t"), ("t[", "t"), ("y:", "y"), ("r#", "r"), ('u"', "u"), ("ɔ+", "ɔ"),
                          ("d͡zʲ", "dz")):
        assert _base(marked) == plain


def test_armenian_renders_through_the_corpus(tmp_path, monkeypatch):
    # the corpus's own path for one sequence (speak, articulate, animate, write), for an Armenian sentence;
    # the corpus has no Armenian word list, so the language is declared here as `train synth` would need it
    utt = synthesize(ARMENIAN, "hy", character(0).voice)
    assert not utt.language_switches and "ʀ" in {_base(p) for _, _, p in utt.phonemes}
    monkeypatch.setitem(text_module.ESPEAK_LANGUAGE, "hy", "hy")
    task = Task(character=0, split="unseen_language", seq_id="hy_001", language="hy", text=ARMENIAN, sentence=1,
                voice_of=0)
    frames, seconds = render_task(task, str(tmp_path), 30.0)
    assert frames > 60 and seconds > 2.0
    meta = json.loads(next(tmp_path.rglob("hy_001.json")).read_text())
    assert meta["language"] == "hy" and "ʀ" in {p for _, _, p in meta["phonemes"]}
    assert np.load(next(tmp_path.rglob("hy_001.npy"))).shape[0] == frames


def test_every_voice_phoneme_table_and_numbers_map():
    # all voices: numbers, corpus sentences and every phoneme of the voice's table, alone and between vowels
    result = all_espeak(jobs=2, scripts=False)
    assert len(result) == len(list_voices())
    # the corpus's own languages are among them, each speaking the corpus's sentences too
    assert {r["corpus_language"] for r in result.values()} - {None} == set(text_module.ESPEAK_LANGUAGE)
    unknown = {voice: r["unknown"] for voice, r in result.items() if r["unknown"]}
    assert not unknown, unknown
    symbols = {c for r in result.values() for c in r["symbols"]}
    assert {"ʀ", "ɢ", "ʕ", "ɱ", "ʈ", "ɖ", "ɳ"} <= symbols
    # only the voices without a dictionary say nothing
    silent = {voice for voice, r in result.items() if not r["phonemes"]}
    assert silent == {voice for voice, r in result.items() if not r["speaks"]}
    assert len(silent) <= 5


def test_broad_set_of_voices_reads_its_scripts_and_every_phoneme_maps():
    result = all_espeak(BROAD, jobs=2)
    assert set(result) == set(BROAD)
    unknown = {voice: r["unknown"] for voice, r in result.items() if r["unknown"]}
    assert not unknown, unknown
    read = {voice: r["scripts"] for voice, r in result.items()}
    assert read["ine/hy"] == ["armenian"] and read["inc/si"] == ["sinhala"] and read["tai/th"] == ["thai"]
    assert read["sit/yue"] == ["han"] and read["ko"] == ["hangul"] and "greek" in read["grk/grc"]
    assert read["sem/am"] == ["ethiopic"] and read["inc/ur"] == ["arabic"]
    # together they read every script of SCRIPTS but Cherokee's syllabary (espeak-ng's chr reads Latin)
    assert {s for r in result.values() for s in r["scripts"]} == set(SCRIPTS) - {"cherokee"}
    text_symbols = {c for r in result.values() for c in r["text_symbols"]}
    # symbols that text (not only phoneme input) makes espeak-ng emit, each needing a target
    assert {"ʀ", "ᵐ", "ⁿ", "ᵑ", "Φ", "ʦ", "A", "S", "Z", "N", "X"} <= text_symbols


def test_english_names_foreign_letters_instead_of_reading_them():
    # English says "alpha", "hebrew letter..." without leaving English: that is not reading the script
    assert reads("gmw/en-US", "latin")
    assert not reads("gmw/en-US", "greek") and not reads("gmw/en-US", "hebrew")
    assert reads("grk/el", "greek") and not reads("grk/el", "latin")


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_texts_use_every_letter_and_are_deterministic(script):
    texts = script_texts(script)
    assert texts == script_texts(script) and texts != script_texts(script, seed=1)
    letters, marks, _, _ = SCRIPTS[script]
    joined = "".join(texts)
    assert set(letters + marks) <= set(joined)


def test_table_texts_are_phoneme_input():
    texts = table_texts("ine/hy")
    words = [w for t in texts for w in t[2:-2].split()]
    assert all(t.startswith("[[") and t.endswith("]]") for t in texts)
    assert 'r"' in words and 'a|r"|a' in words
    utt = synthesize('[[a|r"|a]]', "hy", ALL_VOICE, phoneme_input=True)
    assert "ʀ" in [p for _, _, p in utt.phonemes]
