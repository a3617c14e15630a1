"""espeak-ng driver: real speech, phoneme timelines in every language, no silent fallback."""

import numpy as np
import pytest

from train.synth.articulation import phoneme_class
from train.synth.espeak import Voice, synthesize
from train.synth.text import ESPEAK_LANGUAGE, sentences


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
