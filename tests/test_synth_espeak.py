"""espeak-ng driver: real speech, phoneme timelines in every language, no silent fallback."""

import numpy as np
import pytest

from multanet_core.espeak import Voice, synthesize
from train.synth.articulation import UnknownPhonemeError, coarticulate, phoneme_class, phoneme_targets
from train.synth.coverage import REQUIRED_CLASSES, speak_phonemes, summarise
from train.synth.text import ESPEAK_LANGUAGE, HELDOUT_LANGUAGES, TRAIN_LANGUAGES, sentences


@pytest.mark.parametrize("language", ["en", "ko", "cmn", "ja"])
def test_every_language_speaks_with_phoneme_events_and_no_fallback(language):
    for text in sentences(language, 3, seed=7):
        utt = synthesize(text, ESPEAK_LANGUAGE[language], Voice("m3", 45, 50, 170))
        assert utt.sample_rate == 22050
        assert utt.duration > 0.8
        assert np.abs(utt.audio.astype(np.int32)).max() > 1000  # real sound, not silence
        assert utt.language_switches == [], (text, utt.language_switches)
        spoken = [p for _, _, p in utt.phonemes if p != "_"]
        assert len(spoken) >= 6
        # the timeline tiles the audio
        assert utt.phonemes[0][0] == 0 and utt.phonemes[-1][1] == len(utt.audio)
        assert all(a[1] == b[0] for a, b in zip(utt.phonemes, utt.phonemes[1:], strict=False))
        # phonemes are the language's own sounds: mostly recognised classes, some vowels
        classes = [phoneme_class(p) for p in spoken]
        assert sum(c == "other" for c in classes) <= 0.1 * len(classes), spoken
        assert any(c in ("open", "rounded", "vowel") for c in classes)


def test_fallback_to_spelling_is_detected():
    # espeak-ng's ja voice cannot read kanji and switches to English to name the characters
    utt = synthesize("日本語", "ja", Voice())
    assert "(en)" in utt.language_switches


def test_same_utterance_twice_is_byte_identical():
    a = synthesize("Five proud vampires moved over the muddy valley.", "en-us", Voice("f2", 60, 70, 180))
    b = synthesize("Five proud vampires moved over the muddy valley.", "en-us", Voice("f2", 60, 70, 180))
    assert a.audio.tobytes() == b.audio.tobytes()
    assert a.phonemes == b.phonemes


def test_voices_differ():
    text = "Bob painted a blue boat."
    low = synthesize(text, "en-us", Voice("m3", 20, 40, 150))
    high = synthesize(text, "en-us", Voice("f2", 90, 60, 190))
    assert high.duration < low.duration  # faster speaker
    assert low.audio.tobytes() != high.audio.tobytes()


@pytest.mark.parametrize("language", list(TRAIN_LANGUAGES + HELDOUT_LANGUAGES))
def test_every_corpus_language_is_spoken_and_every_phoneme_has_a_target(language):
    # espeak-ng stays in the language (no spelling) and each phoneme maps to an articulation target
    texts = sentences(language, 8, seed=0)  # the corpus's own first sentences
    phonemes = [p for text in texts for p in speak_phonemes(language, text)]
    summary = summarise(phonemes)
    assert summary["phonemes"] >= 15, (language, summary)
    if language in TRAIN_LANGUAGES:  # the training languages move the lips and jaw every way
        assert all(summary["classes"].get(c) for c in REQUIRED_CLASSES), (language, summary["classes"])


def test_an_unknown_symbol_is_an_error_that_names_it():
    with pytest.raises(UnknownPhonemeError, match="'ʘ'") as info:
        phoneme_targets("ˈʘa")
    assert info.value.symbol == "ʘ" and info.value.phoneme == "ˈʘa"
    with pytest.raises(UnknownPhonemeError, match="ʘ"):
        coarticulate([[0.0, 0.1, "m"], [0.1, 0.3, "ʘ"]], 0.4, 30.0)
    # stress, length and tone marks and diacritics are still ignored
    for ipa in ("ˈaː", "ɯ̈", "dˤ", "r̝̊", "ç", "a˥˩", "ɪ^"):
        phoneme_targets(ipa)
