"""A studio's own captures, broken the ways real exports break: the dataset's checks refuse each with a message
naming the file and the problem (no traceback, no run on wrong data), on copies of the tiny corpus."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from multanet_core.checkpoint import save_checkpoint
from train.__main__ import main
from train.data import DatasetError, open_dataset


def _copy(tiny_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus, ignore=shutil.ignore_patterns("*cache*"))
    return corpus


def _scale_template(corpus, character, factor):
    path = corpus / character / "template.npz"
    arrays = dict(np.load(path))
    arrays["vertices"] = arrays["vertices"] * factor
    np.savez(path, **arrays)


def _scale_motion(corpus, character, factor, split="*"):
    for path in sorted(corpus.glob(f"{character}/{split}/*.npy")):
        np.save(path, np.load(path) * factor)


def _problems(corpus, split="train", **kwargs) -> str:
    with pytest.raises(DatasetError) as err:
        open_dataset(corpus).validate(split, **kwargs)
    return str(err.value)


def _checkpoint(tmp_path, name: str, vertices: int):
    from train.random_checkpoint import make_random_model

    _, ckpt = make_random_model(characters=1, vertices=vertices, components=4)
    ckpt.heads[0].name = name
    path = tmp_path / f"{name}_{vertices}.npz"
    save_checkpoint(path, ckpt)
    return path


def test_the_corpus_validates_in_every_split(tiny_corpus):
    ds = open_dataset(tiny_corpus)
    assert ds.unit == "m"
    for split in ds.splits:
        ds.validate(split)


def test_motion_and_template_in_different_units(tiny_corpus, tmp_path):
    corpus = _copy(tiny_corpus, tmp_path)
    _scale_motion(corpus, "arthur", 1000.0, "train")  # motion in millimetres, template in metres
    err = _problems(corpus)
    first = sorted((corpus / "arthur" / "train").glob("*.npy"))[0]
    assert f"{first}: the motion (" in err, err
    assert "is about 1000x the size of the template; are the motion in millimetres and the template in metres?" in err
    assert "beatrix" not in err  # in one unit: fine
    _scale_motion(corpus, "arthur", 1e-3, "train")
    open_dataset(corpus).validate("train")
    _scale_template(corpus, "beatrix", 100.0)  # the template in centimetres, the motion in metres
    err = _problems(corpus)
    assert "is about 1/100 of the size of the template; are the motion in metres and the template in " \
        "centimetres?" in err, err
    assert f"{corpus / 'beatrix' / 'template.npz'}: the template of 'beatrix' is" in err, err


def test_a_dataset_wholly_in_millimetres_says_so_or_is_refused(tiny_corpus, tmp_path):
    corpus = _copy(tiny_corpus, tmp_path)
    for character in ("arthur", "beatrix"):
        _scale_template(corpus, character, 1000.0)
        _scale_motion(corpus, character, 1000.0)
    err = _problems(corpus)
    assert f"{corpus / 'arthur' / 'template.npz'}: the template of 'arthur' is" in err
    assert "m across, which no head is (1 cm to 10 m)" in err and '"unit": "mm"' in err, err
    assert "the size of the template" not in err  # motion and template agree
    meta = json.loads((corpus / "dataset.json").read_text())
    (corpus / "dataset.json").write_text(json.dumps({**meta, "unit": "mm"}))
    open_dataset(corpus).validate()
    (corpus / "dataset.json").write_text(json.dumps({**meta, "unit": "inch"}))
    with pytest.raises(DatasetError, match="'unit' is 'inch'"):
        open_dataset(corpus)


def test_a_character_listed_twice_is_refused(tiny_corpus, tmp_path, capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    meta = json.loads((corpus / "dataset.json").read_text())
    (corpus / "dataset.json").write_text(json.dumps({**meta, "characters": ["arthur", "beatrix", "arthur"]}))
    with pytest.raises(DatasetError) as err:
        open_dataset(corpus)
    assert f"{corpus / 'dataset.json'}: 'characters' lists 'arthur' more than once" in str(err.value)


def test_no_train_split_is_a_message_naming_the_splits(tiny_corpus, tiny_config, tmp_path, capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    for character in ("arthur", "beatrix"):
        (corpus / character / "train").rename(corpus / character / "Train")
    code = main(["fit", "--data", str(corpus), "--out", str(tmp_path / "run"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"{corpus / 'arthur'}: no 'train' sequences for character 'arthur'; its splits: Train, cross_voice, " \
        in err, err
    assert "(split names are case-sensitive)" in err
