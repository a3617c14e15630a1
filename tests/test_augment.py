"""Training audio augmentation: seeded, length- and time-preserving, within its documented ranges."""

import json

import numpy as np
import pytest

from train.augment import (
    AugmentConfig,
    _delay,
    active_rms_db,
    add_noise,
    band_limit,
    codec,
    degrade,
    reverberate,
    rms_db,
    room_noise,
    variant_rng,
    vocal_tract_warp,
)


def test_variants_depend_on_seed_key_and_number_only(speech16k):
    cfg = AugmentConfig()
    a, steps_a = degrade(speech16k, variant_rng(0, "arthur/train/en_001", 2), cfg)
    b, steps_b = degrade(speech16k, variant_rng(0, "arthur/train/en_001", 2), cfg)
    c, _ = degrade(speech16k, variant_rng(0, "arthur/train/en_001", 3), cfg)
    d, _ = degrade(speech16k, variant_rng(1, "arthur/train/en_001", 2), cfg)
    np.testing.assert_array_equal(a, b)
    assert steps_a == steps_b
    assert a.dtype == np.float32 and a.shape == speech16k.shape
    assert not np.array_equal(a, c) and not np.array_equal(a, d)
    assert np.abs(a).max() <= 1.0


@pytest.mark.parametrize("step", ["reverb", "telephone", "8k", "11k", "vorbis", "mp3", "opus"])
def test_no_step_moves_the_speech_in_time(speech16k, step):
    rng = np.random.default_rng(0)
    x = speech16k.astype(np.float64) * 0.5
    if step == "reverb":
        y = reverberate(x, 0.8, rng)
    elif step in ("telephone", "8k", "11k"):
        y = band_limit(x, step)
    else:
        y = codec(x, step, 0.9)
    assert y.shape == x.shape
    assert _delay(x, y) == 0
    assert abs(active_rms_db(y) - active_rms_db(x)) < 6.0


def test_noise_levels_follow_the_config(speech16k):
    cfg = AugmentConfig(floor_dbfs=(-60.0, -60.0), snr_db=(20.0, 20.0))
    x = speech16k.astype(np.float64)
    levels = set()
    for seed in range(8):
        y, info = add_noise(x, "white", np.random.default_rng(seed), cfg)
        noise_db = rms_db(y - x)
        levels.add(round(noise_db))
        assert abs(noise_db - info["noise_dbfs"]) < 0.5
    assert levels == {-60, round(active_rms_db(x) - 20)}  # both ways of drawing the level occur


def test_room_noise_is_rumble_over_a_quieter_floor():
    x = room_noise(16000 * 4, np.random.default_rng(3))
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / 16000)
    low, mid = spec[(f > 30) & (f < 300)].mean(), spec[(f > 1000) & (f < 4000)].mean()
    assert 10 * np.log10(low / mid) > 15


def test_babble_comes_from_the_pool(speech16k):
    cfg = AugmentConfig()
    x = np.zeros(16000 * 2)
    pool = [speech16k * 0.3]
    y, info = add_noise(x + 1e-3 * np.sin(np.arange(len(x))), "babble", np.random.default_rng(0), cfg, pool)
    assert info["noise"] == "babble"
    # the added signal is speech-like: its spectrum correlates with the pool's
    sy = np.abs(np.fft.rfft(y - x, 4096))
    sp = np.abs(np.fft.rfft(pool[0][:32000], 4096))
    assert np.corrcoef(np.log(sy + 1e-9), np.log(sp + 1e-9))[0, 1] > 0.5


def test_config_is_checked():
    assert AugmentConfig.from_dict(None) is None and AugmentConfig.from_dict({"variants": 0}) is None
    assert AugmentConfig.from_dict({"variants": 2, "gain_db": [-6, 6]}).gain_db == (-6, 6)
    with pytest.raises(ValueError, match="unknown keys"):
        AugmentConfig.from_dict({"variants": 2, "reverb": 1})
    with pytest.raises(ValueError, match="noise_kinds"):
        AugmentConfig(noise_kinds={"thunder": 1.0})
    with pytest.raises(ValueError, match="probability"):
        AugmentConfig(reverb_p=1.5)
    with pytest.raises(ValueError, match="unknown codecs"):
        AugmentConfig(codecs=("aac",))
    with pytest.raises(ValueError, match="probability"):
        AugmentConfig(warp_p=2.0)
    with pytest.raises(ValueError, match="warp must be"):
        AugmentConfig(warp_p=1.0, warp=(0.2, 1.1))


def _voiced(f_formants=(1000.0, 2500.0), seconds=1.0, f0=100.0):
    """A pulse train at ``f0`` through two resonators (80 Hz bandwidth): a vowel with known formants."""
    from scipy import signal

    x = np.zeros(int(16000 * seconds))
    x[:: int(16000 / f0)] = 1.0
    for f in f_formants:
        r = np.exp(-np.pi * 80 / 16000)
        x = signal.lfilter([1.0], [1.0, -2 * r * np.cos(2 * np.pi * f / 16000), r * r], x)
    return x / np.abs(x).max() * 0.5


def _spectrum(y):
    """(frequencies, magnitudes) of the clip's middle, past the filters' start and end."""
    middle = y[2000:-2000]
    return np.fft.rfftfreq(len(middle), 1 / 16000), np.abs(np.fft.rfft(middle * np.hanning(len(middle))))


def _strongest_harmonic(y, lo, hi, f0=100.0):
    freqs, spec = _spectrum(y)
    harmonics = np.arange(lo, hi, f0)
    return harmonics[np.argmax([spec[np.argmin(np.abs(freqs - h))] for h in harmonics])]


@pytest.mark.parametrize("alpha", [0.9, 1.1])
def test_vocal_tract_warp_moves_the_formants_and_nothing_else(alpha):
    """Another vocal tract: the resonances move by alpha; the pitch's harmonics, the timing, the length and
    the level do not."""
    x = _voiced()
    y = vocal_tract_warp(x, alpha)
    assert y.shape == x.shape
    assert _strongest_harmonic(x, 100, 1700) == 1000 and _strongest_harmonic(x, 1800, 4000) == 2500
    assert _strongest_harmonic(y, 100, 1700) == round(1000 * alpha)
    assert abs(_strongest_harmonic(y, 1800, 4000) - 2500 * alpha) <= 50  # the harmonics lie 100 Hz apart
    freqs, spec = _spectrum(y)
    peak = freqs[np.argmax(spec)]
    assert abs(peak - 100 * round(peak / 100)) < 2  # still harmonics of 100 Hz
    assert abs(rms_db(y) - rms_db(x)) < 0.1
    burst = np.zeros(16000)
    burst[8000:8400] = np.random.default_rng(0).standard_normal(400)  # a plosive's burst in silence
    warped_burst = vocal_tract_warp(burst, alpha)
    assert _delay(burst, warped_burst) == 0
    assert np.abs(warped_burst[:7500]).max() < 0.01 * np.abs(warped_burst).max()  # no pre-echo into the closure
    np.testing.assert_array_equal(vocal_tract_warp(x, 1.0), x)


def test_the_warp_is_drawn_only_when_on(speech16k):
    """With ``warp_p`` 0 the chains are those drawn before the warp existed, so the cached variants of
    older runs stay true (these steps were recorded before it was added); with it on every variant is
    warped by a factor within the range, and the config's stamp changes."""
    recorded = [
        {"gain_db": 0.8, "noise": "room", "noise_dbfs": -35.1, "snr_db": 18.2},
        {"gain_db": -3.5, "noise": "room", "noise_dbfs": -57.4, "snr_db": 36.2, "dc": -0.048},
        {"gain_db": -2.8, "noise": "pink", "noise_dbfs": -38.7, "snr_db": 18.2, "band": "11k", "codec": "vorbis"},
        {"gain_db": -1.8, "band": "11k"},
    ]
    for variant, steps in enumerate(recorded, start=1):
        assert degrade(speech16k, variant_rng(0, "arthur/train/en_001", variant), AugmentConfig())[1] == steps
    assert "warp_p" not in AugmentConfig().to_dict()
    on = AugmentConfig(warp_p=1.0, warp=(0.9, 1.1))
    assert on.to_dict()["warp_p"] == 1.0 and AugmentConfig.from_dict(on.to_dict()) == on
    for variant in range(1, 5):
        _, steps = degrade(speech16k, variant_rng(0, "arthur/train/en_001", variant), on)
        assert 0.9 <= steps["warp"] <= 1.1


def test_training_with_level_feature_and_augmented_variants(tiny_corpus, tmp_path):
    """A run with the level feature and two degraded variants: the cache holds them, the loss falls, and the
    exported checkpoint records both the features and the augmentation."""
    from tests.conftest import TINY_CONFIG
    from train.__main__ import main

    config = {**TINY_CONFIG, "epochs": 6, "features": {"level": "log_energy"},
              "augment": {"variants": 2, "clean_share": 0.3, "seed": 5}}
    path = tmp_path / "aug.json"
    path.write_text(json.dumps(config))
    cache = tmp_path / "cache"
    run = tmp_path / "run"
    assert main(["fit", "--data", str(tiny_corpus), "--out", str(run), "--config", str(path), "--quiet",
                 "--threads", "1", "--cache", str(cache)]) == 0
    info = json.loads((run / "run.json").read_text())
    assert info["features"]["level"] == "log_energy" and info["network"]["level_channels"] == 1
    pos = [h["position"] for h in info["history"]]
    assert pos[-1] < 0.8 * pos[0], pos
    cached = sorted(p.name for p in (cache / "arthur" / "train").iterdir())
    assert "en_001.npz" in cached and "en_001.aug1.npz" in cached and "en_001.aug2.npz" in cached
    with np.load(cache / "arthur" / "train" / "en_001.npz") as clean, \
            np.load(cache / "arthur" / "train" / "en_001.aug1.npz") as aug:
        assert clean["grid"].shape == aug["grid"].shape and clean["grid"].shape[1] == 33
        np.testing.assert_array_equal(clean["offsets"], aug["offsets"])
        assert not np.array_equal(clean["grid"], aug["grid"])
    out = tmp_path / "model.npz"
    assert main(["export", str(run), "--out", str(out)]) == 0
    from multanet_core.checkpoint import load_checkpoint
    from multanet_core.inference import Animator

    ckpt = load_checkpoint(out)
    assert ckpt.features.level == "log_energy"
    anim = Animator(ckpt, "arthur")
    coeffs = anim.coefficients(np.sin(np.arange(16000) * 0.05).astype(np.float32) * 0.3, 30.0)
    assert coeffs.shape[0] == 30 and np.isfinite(coeffs).all()


def test_the_cached_variants_outlive_a_change_of_clean_share_but_not_of_the_degradations(tiny_corpus):
    """How often training hears the clean audio changes no degraded variant: a config that changes only
    ``clean_share`` keeps the cached features; one that changes how the audio is degraded recomputes them."""
    from multanet_core.lpc import FeatureConfig
    from train.augment import AugmentConfig
    from train.data import open_dataset
    from train.features_cache import _stamp

    ds = open_dataset(tiny_corpus)
    seq = ds.sequences(split="train")[0]
    cfg = FeatureConfig(level="log_energy")
    base = AugmentConfig.from_dict({"variants": 2, "clean_share": 0.2, "seed": 0})
    more_clean = AugmentConfig.from_dict({"variants": 2, "clean_share": 0.5, "seed": 0})
    other_noise = AugmentConfig.from_dict({"variants": 2, "clean_share": 0.2, "seed": 0, "noise_p": 0.5})
    warped = AugmentConfig.from_dict({"variants": 2, "clean_share": 0.2, "seed": 0, "warp_p": 0.5})
    stamp = _stamp(ds, seq, 30.0, cfg, base, 1, None)
    assert _stamp(ds, seq, 30.0, cfg, more_clean, 1, None) == stamp
    assert _stamp(ds, seq, 30.0, cfg, other_noise, 1, None) != stamp
    assert _stamp(ds, seq, 30.0, cfg, warped, 1, None) != stamp
    assert _stamp(ds, seq, 30.0, cfg, base, 2, None) != stamp
