"""Music beds in the augmentation, and non-speech training sequences with the face at rest (train/non_speech.py)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from train.__main__ import main
from train.augment import AugmentConfig, active_rms_db, degrade, music
from train.data.base import DatasetError
from train.data.folder import FolderDataset
from train.non_speech import KINDS, add_non_speech


def test_music_is_seeded_harmonic_and_opt_in(speech16k):
    a, b = music(32000, np.random.default_rng(3)), music(32000, np.random.default_rng(3))
    assert np.array_equal(a, b) and not np.array_equal(a, music(32000, np.random.default_rng(4)))
    assert np.isfinite(a).all() and abs(a.std() - 1) < 1e-6
    spec = np.abs(np.fft.rfft(a)) ** 2
    assert np.sort(spec)[-50:].sum() > 0.3 * spec.sum()  # a few partials hold the energy, unlike noise
    assert "music" not in AugmentConfig().noise_kinds  # older configs draw the chains they always drew
    cfg = AugmentConfig(noise_p=1.0, reverb_p=0, band_p=0, codec_p=0, dc_p=0, noise_kinds={"music": 1.0})
    y, steps = degrade(speech16k, np.random.default_rng(0), cfg)
    assert steps["noise"] == "music" and 5.0 <= steps["snr_db"] <= 25.0  # a bed under the dialogue
    assert y.shape == speech16k.shape


def test_non_speech_sequences_rest_and_train(tiny_corpus, tiny_config, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    summary = add_non_speech(corpus, per_character=len(KINDS), seconds=2.0, seed=0)
    ds = FolderDataset(corpus)
    assert summary["sequences"] == len(KINDS) * len(ds.characters)
    assert set(summary["kinds"]) == set(KINDS)  # every kind, babble from the corpus's own clips included
    ds.validate(split="train")
    seqs = [s for s in ds.sequences("train") if s.id.startswith("nonspeech_")]
    assert len(seqs) == summary["sequences"]
    levels = []
    for seq in seqs:
        verts = ds.load_vertices(seq)
        assert len(verts) == 60 and np.array_equal(verts, np.repeat(ds.template(seq.character).vertices[None], 60, 0))
        meta = seq.metadata()
        assert meta["speech"] is False and not np.any(meta["articulation"]["curves"])
        audio, rate = ds.load_audio(seq)
        assert rate == 16000 and len(audio) == 32000
        levels.append(active_rms_db(np.asarray(audio, np.float64)))
    assert min(levels) < -30 and max(levels) > -20  # quiet and loud
    info = json.loads((corpus / "dataset.json").read_text(encoding="utf-8"))
    assert info["non_speech"][-1]["sequences"] == summary["sequences"]
    # the trainer takes them like any train sequence (and the rig targets of zero curves are the rest pose)
    assert main(["fit", "--data", str(corpus), "--out", str(tmp_path / "run"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1", "--epochs", "1"]) == 0


def test_command_line_and_refusals(tiny_corpus, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    assert main(["non-speech", "--into", str(corpus), "--per-character", "1", "--seconds", "1"]) == 0
    assert "non-speech sequences at rest" in capsys.readouterr().out
    assert main(["non-speech", "--into", str(tmp_path / "nothing")]) == 2
    with pytest.raises(DatasetError, match="per-character"):
        add_non_speech(corpus, per_character=0)
