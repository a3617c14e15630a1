"""The neural corpus voices (Piper, Kokoro-82M): real ONNX models, the timeline read from their durations."""

import numpy as np
import pytest

from multanet_core.espeak import SILENCE
from train.synth.articulation import phoneme_class, phoneme_targets
from train.synth.neural import (
    KOKORO_VOICES,
    PIPER_VOICE,
    NeuralVoice,
    NeuralVoiceError,
    shift_timeline,
    speak,
    token_timeline,
)

SENTENCE = "Bob made a map of the bay, then paused. My mother wanted five boxes."


def test_token_timeline_folds_stress_marks_and_shares_short_spaces():
    # ^ (start) + "ˈ" (stress) + "b" "ɑ" "ː" + " " (short) + "m" + "," + " " (long) + "p" "a" + "$"
    symbols = ["^", "ˈ", "b", "ɑ", "ː", " ", "m", ",", " ", "p", "a", "$"]
    samples = [100, 10, 50, 80, 20, 30, 60, 40, 200, 50, 70, 90]
    tl = token_timeline(symbols, samples, min_pause=150)
    assert tl == [[0, 100, SILENCE],
                  [100, 160, "b"],  # the stress mark's time goes to the phoneme after it
                  [160, 275, "ɑː"],  # the length mark extends the vowel; the short space is shared
                  [275, 350, "m"],
                  [350, 590, SILENCE],  # a comma and a long space: one pause
                  [590, 640, "p"], [640, 710, "a"], [710, 800, SILENCE]]
    assert all(a[1] == b[0] for a, b in zip(tl, tl[1:], strict=False))  # contiguous
    # the lead is removed from inner boundaries only
    assert shift_timeline([[0, 100, "_"], [100, 200, "a"], [200, 300, "_"]], 10, 300) == [
        [0, 90, "_"], [90, 190, "a"], [190, 300, "_"]]


def _energy_lag(utt) -> float:
    """Lag (s) that best aligns the 10 ms energy envelope with the timeline's 'sounding' track."""
    sr = utt.sample_rate
    hop = sr // 100
    x = utt.audio.astype(np.float64) / 32768
    n = len(x) // hop
    db = 10 * np.log10(np.mean(x[:n * hop].reshape(n, hop) ** 2, 1) + 1e-10)
    label = np.zeros(n)
    for s, e, p in utt.phonemes:
        if phoneme_class(p) in ("open", "vowel", "rounded"):
            label[s // hop:e // hop] = 1.0
    db = (db - db.mean()) / db.std()
    label = (label - label.mean()) / label.std()
    lags = range(-10, 11)
    scores = [np.mean(db[max(0, k):n + min(0, k)] * label[max(0, -k):n - max(0, k)]) for k in lags]
    return list(lags)[int(np.argmax(scores))] * 0.01


@pytest.mark.parametrize("voice", [NeuralVoice("piper", PIPER_VOICE, 1.1),
                                   NeuralVoice("kokoro", "jf_alpha*0.6+jm_kumo*0.4", 0.95)])
def test_a_voice_speaks_with_a_timeline_that_matches_its_audio(voice):
    utt = speak(SENTENCE, "en", voice, seed=7)
    assert utt.audio.dtype == np.int16 and utt.sample_rate in (22050, 24000)
    assert 2.5 < utt.duration < 8.0
    ph = utt.phonemes
    assert ph[0][0] == 0 and ph[-1][1] == len(utt.audio) and ph[0][2] == ph[-1][2] == SILENCE
    assert all(a[1] == b[0] for a, b in zip(ph, ph[1:], strict=False)) and all(e > s for s, e, _ in ph)
    for _, _, p in ph:
        phoneme_targets(p)  # every symbol maps to an articulation target (an unknown one raises)
    spoken = [p for _, _, p in ph if p != SILENCE]
    assert spoken.count("b") >= 3 and spoken.count("m") >= 4 and "p" in spoken  # Bob, made, map, My mother...
    # the sentence break is a pause, and the pauses are quiet while the vowels are loud
    assert sum(p == SILENCE for _, _, p in ph) >= 3
    x = utt.audio.astype(np.float64)
    rms = {cls: np.sqrt(np.mean(np.concatenate([x[s:e] for s, e, p in ph if phoneme_class(p) in cls]) ** 2))
           for cls in (("silence",), ("open", "vowel", "rounded"))}
    assert 20 * np.log10(rms[("open", "vowel", "rounded")] / rms[("silence",)]) > 20
    # the timeline is the audio's: energy and vowel labels line up within 20 ms
    assert abs(_energy_lag(utt)) <= 0.02
    # reproducible
    again = speak(SENTENCE, "en", voice, seed=7)
    assert np.array_equal(again.audio, utt.audio) and again.phonemes == utt.phonemes


def test_piper_seed_and_speed_change_the_rendering_kokoro_speaks_other_languages():
    a = speak("Bob made a map.", "en", NeuralVoice("piper", PIPER_VOICE), seed=1)
    b = speak("Bob made a map.", "en", NeuralVoice("piper", PIPER_VOICE), seed=2)
    fast = speak("Bob made a map.", "en", NeuralVoice("piper", PIPER_VOICE, 1.3), seed=1)
    assert not np.array_equal(a.audio, b.audio) and fast.duration < 0.9 * a.duration
    es = speak("El barco de Pablo pasó por aquí.", "es", NeuralVoice("kokoro", KOKORO_VOICES[1]))
    assert [p for _, _, p in es.phonemes if p != SILENCE][:3] == ["e", "l", "β"]


def test_bad_requests_are_clear_errors():
    with pytest.raises(NeuralVoiceError, match="does not speak 'de'"):
        speak("Hallo.", "de", NeuralVoice("kokoro", "jf_alpha"))
    with pytest.raises(NeuralVoiceError, match="does not speak 'fr'"):
        speak("Bonjour.", "fr", NeuralVoice("piper", PIPER_VOICE))
    with pytest.raises(NeuralVoiceError, match="no voice 'af_bella'"):
        speak("Hello.", "en", NeuralVoice("kokoro", "af_bella"))
    with pytest.raises(NeuralVoiceError, match="family"):
        speak("Hello.", "en", NeuralVoice("festival", "kal"))
