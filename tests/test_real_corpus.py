"""Real recordings as training data (train/real_corpus.py): aligned, articulated, written into a real corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from train.__main__ import main as train_main
from train.data.base import DatasetError
from train.data.folder import FolderDataset
from train.real_corpus import add_real_speech, to_ipa
from train.speech_metrics import mouth_opening, phone_class

REAL = Path(__file__).resolve().parents[1] / "data" / "real_speech"


def clips_folder(tmp_path: Path, names: dict[str, dict]) -> Path:
    """A folder of real clips from data/real_speech, each json changed by ``names[clip]``."""
    folder = tmp_path / "clips"
    folder.mkdir()
    for name, change in names.items():
        shutil.copy(REAL / f"{name}.flac", folder / f"{name}.flac")
        meta = json.loads((REAL / f"{name}.json").read_text(encoding="utf-8"))
        meta.update(change)
        meta = {k: v for k, v in meta.items() if v is not None}
        (folder / f"{name}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return folder


def test_arpabet_and_silences_become_the_articulation_models_ipa():
    assert [to_ipa(p) for p in ("AA1", "m", "B", "sil", "+NSN+", "SIL", "ˈa", "tʃ", "JH", "PT")] == \
        ["ɑ", "m", "b", "_", "_", "_", "ˈa", "tʃ", "dʒ", "pt"]
    with pytest.raises(DatasetError, match="neither IPA nor ARPAbet"):
        to_ipa("XQZ")


def test_real_clips_become_train_sequences_whose_lips_close_at_the_aligned_bilabials(tiny_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    # one English clip aligned by pocketsphinx, one Spanish clip by pocketsphinx on espeak-ng's phones (its own
    # phones dropped)
    clips = clips_folder(tmp_path, {"librivox_sns01_0920": {"phones": None, "language": "en-us"},
                                    "asterisk_es_dir-intro": {"phones": None, "language": "es"}})
    summary = add_real_speech(corpus, clips, per_clip=2, seed=0)
    assert summary["clips"] == 2 and summary["sequences"] == 4
    assert summary["alignments"] == {"pocketsphinx": 1, "pocketsphinx-phonetic": 1}
    info = json.loads((corpus / "dataset.json").read_text(encoding="utf-8"))
    assert info["real_speech"][-1]["sequences"] == 4
    ds = FolderDataset(corpus)
    ds.validate(split="train")  # vertex counts, fps, audio against motion: the trainer's own checks
    seqs = [s for s in ds.sequences("train") if s.id.startswith("real_")]
    assert len(seqs) == 4
    for seq in seqs:
        meta = seq.metadata()
        curves = np.asarray(meta["articulation"]["curves"])
        closure = curves[:, meta["articulation"]["channels"].index("closure")]
        jaw = curves[:, meta["articulation"]["channels"].index("jaw")]
        fps = meta["fps"]
        centre = [int(round((s + e) / 2 * fps)) for s, e, p in meta["phonemes"]]
        bilabial = [c for c, (_, _, p) in zip(centre, meta["phonemes"], strict=True) if phone_class(p) == "bilabial"]
        vowel = [c for c, (_, _, p) in zip(centre, meta["phonemes"], strict=True) if phone_class(p) == "vowel"]
        assert len(bilabial) >= 2 and len(vowel) >= 5
        assert closure[bilabial].mean() > 0.6 > closure[vowel].mean()  # lips sealed at the aligned P/B/M
        assert jaw[vowel].mean() > 0.3  # the vowels open the jaw
        verts = ds.load_vertices(seq)
        template = ds.template(seq.character)
        opening = mouth_opening(verts, template.vertices, template.lip_indices, up=1)
        assert len(verts) == meta["frames"] and opening[bilabial].mean() < 0.6 * opening[vowel].mean()


def test_the_locked_test_split_and_its_speakers_are_never_trained_on(tiny_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    before = sorted(p.relative_to(corpus) for p in corpus.rglob("*"))
    clips = clips_folder(tmp_path, {"praatio_bobby": {"split": "test", "speaker": "S1"},
                                    "praatio_mary": {"split": "dev", "speaker": "S1"}})
    with pytest.raises(DatasetError, match="speaks clips of the test split"):
        add_real_speech(corpus, clips)
    assert sorted(p.relative_to(corpus) for p in corpus.rglob("*")) == before  # refused before any write
    (clips / "praatio_mary.json").write_text(json.dumps({"split": "dev", "speaker": "S2", "text": "Mary rolled "
                                             "the barrel", "language": "en-us"}), encoding="utf-8")
    shutil.copy(REAL / "nonspeech_dev_sine440.flac", clips / "tone.flac")
    shutil.copy(REAL / "nonspeech_dev_sine440.json", clips / "tone.json")
    summary = add_real_speech(corpus, clips, per_clip=1)
    assert summary["clips"] == 1  # bobby (test) and the tone (no speech) are left out, mary goes in
    assert not list(corpus.rglob("real_praatio_bobby*")) and list(corpus.rglob("real_praatio_mary.npy"))


def test_command_line_reports_and_refuses(tiny_corpus, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    clips = clips_folder(tmp_path, {"praatio_bobby": {}})
    assert train_main(["real-corpus", "--clips", str(clips), "--into", str(corpus), "--per-clip", "1"]) == 0
    assert "1 real clips" in capsys.readouterr().out
    assert train_main(["real-corpus", "--clips", str(tmp_path / "none"), "--into", str(corpus)]) == 2
    assert "not a folder of real-speech clips" in capsys.readouterr().err
    (clips / "praatio_bobby.json").write_text(json.dumps({"speaker": "x"}), encoding="utf-8")
    assert train_main(["real-corpus", "--clips", str(clips), "--into", str(corpus)]) == 2
    assert "needs 'text' and 'language'" in capsys.readouterr().err
