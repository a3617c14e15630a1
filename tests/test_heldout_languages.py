"""Issue 26's new held-out languages: sentences espeak-ng reads, an evaluation-only corpus, and open vowels opened."""

import hashlib
import json
import os

import numpy as np
import pytest

from multanet_core.espeak import Voice, synthesize
from train.__main__ import main
from train.open_vowels import open_vowel_centres, pooled_ratio, sequence_sums
from train.synth.articulation import _base, phoneme_class
from train.synth.corpus import plan, resolve_languages
from train.synth.coverage import speak_phonemes, summarise
from train.synth.text import (
    _WORDS,
    ESPEAK_LANGUAGE,
    HELDOUT_LANGUAGES,
    LANGUAGE_NAMES,
    NEW_HELDOUT_LANGUAGES,
    TRAIN_LANGUAGES,
    sentences,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODEL = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
NEW = ("ca", "bg", "lt", "he", "bn", "ms", "eu", "hy")


# --- the languages


@pytest.mark.parametrize("language", NEW)
def test_every_new_language_is_spoken_with_only_mapped_phonemes(language):
    # espeak-ng stays in the language (no switch, which is how it spells characters out) and every phoneme of the
    # timeline maps to an articulation target (speak_phonemes raises otherwise)
    texts = sentences(language, 8, seed=26)
    phonemes = [p for text in texts for p in speak_phonemes(language, text)]
    summary = summarise(phonemes)
    assert summary["phonemes"] >= 20, summary
    assert summary["classes"].get("open", 0) >= 20 and summary["classes"].get("bilabial", 0) >= 5, summary
    assert summary["classes"].get("other", 0) == 0, summary
    # a character's voice (variant, pitch, rate) reads it the same way: a timeline that tiles the audio
    utt = synthesize(texts[0], ESPEAK_LANGUAGE[language], Voice("f2", 65, 70, 175))
    assert utt.language_switches == [] and utt.duration > 0.8
    assert utt.phonemes[0][0] == 0 and utt.phonemes[-1][1] == len(utt.audio)


@pytest.mark.parametrize("language", NEW)
def test_every_word_is_read_not_spelled(language):
    words = _WORDS[language]
    assert len(words) >= 90 and len(set(words)) == len(words)
    for word in words:
        utt = synthesize(word, ESPEAK_LANGUAGE[language], Voice("m3", 45, 50, 170))
        spoken = [p for _, _, p in utt.phonemes if _base(p)]
        assert utt.language_switches == [], (word, utt.language_switches)
        # a word read has a vowel and about a phoneme a letter (vowel signs and points are not letters); letter
        # names spelled out have 2-4 phonemes a letter, and unpointed Hebrew read without vowels has none
        vowels = sum(phoneme_class(p) in ("open", "rounded", "vowel") for p in spoken)
        letters = sum(ch.isalpha() for ch in word)
        assert 1 <= vowels <= letters + 1, (word, spoken)
        assert len(spoken) <= 1.6 * letters + 2, (word, spoken)


def test_new_languages_are_named_and_in_neither_list():
    assert NEW_HELDOUT_LANGUAGES == NEW
    assert not set(NEW) & set(TRAIN_LANGUAGES + HELDOUT_LANGUAGES)
    assert {LANGUAGE_NAMES[c] for c in NEW} == {"Catalan", "Bulgarian", "Lithuanian", "Hebrew", "Bengali", "Malay",
                                                 "Basque", "Armenian"}
    assert all(ESPEAK_LANGUAGE[c] == c for c in NEW)
    # seeded: the same seed gives the same sentences, another seed others
    assert sentences("hy", 3, 5) == sentences("hy", 3, 5) != sentences("hy", 3, 6)


# --- the default corpus is untouched


def test_default_synth_language_lists_are_unchanged():
    assert TRAIN_LANGUAGES == ("en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "nb", "fi", "pl", "cs", "ru",
                               "uk", "el", "tr", "hu", "ro", "id", "sw")
    assert HELDOUT_LANGUAGES == ("ko", "cmn", "ja", "yue", "vi", "hi", "ta", "ar", "fa", "ka")
    assert resolve_languages() == (list(TRAIN_LANGUAGES), list(HELDOUT_LANGUAGES))
    default = plan(14, 40)
    assert not {t.language for t in default} & set(NEW)
    # listed with --languages alone, the new languages are held out and change no other sequence
    with_new = plan(14, 40, [*TRAIN_LANGUAGES, *HELDOUT_LANGUAGES, *NEW])
    assert [t for t in with_new if t.language not in NEW] == default
    assert {t.split for t in with_new if t.language in NEW} == {"unseen_language"}
    assert resolve_languages(["en", "ca", "ko"]) == (["en"], ["ca", "ko"])
    assert resolve_languages(["en"], ["ca", "hy"]) == (["en"], ["ca", "hy"])


# --- the evaluation corpus and its scores


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "dataset.json"}


EVAL_ARGS = ["--characters", "1", "--sentences", "10", "--languages", "en,ca,hy", "--foreign-sentences", "1",
             "--neural-sentences", "0", "--neural-foreign", "0", "--neural-test", "0", "--seed", "3", "--jobs", "1",
             "--quiet"]


@pytest.fixture(scope="module")
def heldout_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("heldout") / "c"
    assert main(["synth", "--out", str(out), *EVAL_ARGS, "--only-splits", "test,unseen_language"]) == 0
    return out


def test_only_splits_writes_the_evaluation_sequences_as_the_full_corpus_has_them(heldout_corpus, tmp_path):
    info = json.loads((heldout_corpus / "dataset.json").read_text())
    assert set(info["splits"]) == {"test", "unseen_language"}
    assert info["train_languages"] == ["en"] and info["heldout_languages"] == ["ca", "hy"]
    assert info["generator"]["only_splits"] == ["test", "unseen_language"]
    assert sorted(p.name for p in (heldout_corpus / "arthur").iterdir() if p.is_dir()) == ["test", "unseen_language"]
    assert sorted(p.stem for p in (heldout_corpus / "arthur" / "unseen_language").glob("*.json")) == \
        ["ca_001", "hy_001"]
    assert sorted(p.stem for p in (heldout_corpus / "arthur" / "test").glob("*.json")) == ["en_010"]
    full = tmp_path / "full"
    assert main(["synth", "--out", str(full), *EVAL_ARGS]) == 0
    assert "only_splits" not in json.loads((full / "dataset.json").read_text())["generator"]
    mine, theirs = _digest(heldout_corpus), _digest(full)
    assert mine and all(theirs[k] == v for k, v in mine.items())
    assert main(["synth", "--out", str(tmp_path / "x"), *EVAL_ARGS, "--only-splits", "tset"]) == 2


def test_evaluate_scores_heldout_languages_against_english(heldout_corpus, tmp_path):
    out = tmp_path / "ev.json"
    assert main(["evaluate", "--checkpoint", f"default={DEFAULT_MODEL}", "--data", str(heldout_corpus),
                 "--split", "heldout-languages", "--json", str(out), "--report", str(tmp_path / "r.md")]) == 0
    result = json.loads(out.read_text())
    per = result["per_language"]["default"]
    assert set(per) == {"en", "ca", "hy"}
    assert per["en"]["lve_over_english"] == pytest.approx(1.0)
    for lang in ("ca", "hy"):
        assert per[lang]["lve_over_english"] == pytest.approx(per[lang]["lve"] / per["en"]["lve"])
        recs = [r for r in result["sequences"] if r["model"] == "default" and r["language"] == lang]
        assert per[lang]["open_vowels"] == pytest.approx(sum(r["open_pred"] for r in recs)
                                                         / sum(r["open_gt"] for r in recs))
        assert per[lang]["open_vowel_centres"] > 0 and 0.3 < per[lang]["open_vowels"] < 2
    assert result["overall"]["default"]["all"]["sequences"] == 2  # the held-out sequences only
    text = (tmp_path / "r.md").read_text()
    assert "open vowels opened default" in text and "LVE / en default" in text
    assert "## Held-out languages against the targets" in text


# --- the open-vowel measure by hand


def _face(lower_drop):
    """A toy mouth: lips at x -1, 0, 1; the upper lip at y 0.1, the lower at y -0.1, lowered by ``lower_drop``
    per frame. Up is Y (1); the midpoints are vertices 1 (upper) and 4 (lower)."""
    template = np.array([[-1, 0.1, 0], [0, 0.1, 0.05], [1, 0.1, 0], [-1, -0.1, 0], [0, -0.1, 0.05], [1, -0.1, 0]],
                        np.float64)
    frames = np.repeat(template[None], len(lower_drop), 0)
    frames[:, 3:, 1] -= np.asarray(lower_drop)[:, None]
    return template, frames


PHONES = [[0.0, 0.1, "_"], [0.1, 0.3, "ˈa"], [0.3, 0.4, "m"], [0.4, 0.6, "ɑː"], [0.6, 0.7, "i"], [0.7, 0.8, "aɪ"]]


def test_open_vowel_measure_on_a_hand_made_face():
    lips = np.arange(6)
    assert open_vowel_centres(PHONES, 10.0, 8).tolist() == [2, 5]  # a at 0.2 s, ɑː at 0.5 s; aɪ's centre 0.75 s is
    assert open_vowel_centres(PHONES, 10.0, 9).tolist() == [2, 5, 8]  # frame 8 (round half to even), in a 9-frame clip
    drop = np.array([0, 0.02, 0.05, 0.03, 0.0, 0.04, 0.01, 0.0])
    template, gt = _face(drop)
    same = sequence_sums(gt, gt, template, lips, 1, PHONES, 10.0)
    assert same == {"open_pred": pytest.approx(0.09), "open_gt": pytest.approx(0.09), "open_centres": 2}
    assert pooled_ratio([same]) == pytest.approx(1.0)
    _, half = _face(drop / 2)
    assert pooled_ratio([sequence_sums(half, gt, template, lips, 1, PHONES, 10.0)]) == pytest.approx(0.5)
    _, still = _face(np.zeros_like(drop))
    assert pooled_ratio([sequence_sums(still, gt, template, lips, 1, PHONES, 10.0)]) == pytest.approx(0.0)
    # a ratio of means over all centres: a sequence with more (and wider) open vowels weighs more
    big = {"open_pred": 0.3, "open_gt": 0.3, "open_centres": 3}
    small = {"open_pred": 0.01, "open_gt": 0.04, "open_centres": 1}
    assert pooled_ratio([big, small]) == pytest.approx(0.31 / 0.34)
    # no open vowel: nothing to measure
    assert sequence_sums(gt, gt, template, lips, 1, [[0.0, 0.8, "i"]], 10.0) is None
    assert pooled_ratio([]) is None and pooled_ratio([{"open_pred": 0.0, "open_gt": 0.0, "open_centres": 0}]) is None
