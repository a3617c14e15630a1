"""Rig-head training on captures: data that gives a rig head nothing to learn is a message before any work, and a
missing split is a DatasetError from the frame loader too."""

from __future__ import annotations

import json

import pytest

from tests.test_userdata_data import _checkpoint, _copy
from train.__main__ import main
from train.data import DatasetError, open_dataset


def test_a_rig_head_without_curves_or_keys_is_refused_before_the_features(tiny_corpus, tiny_config, tmp_path,
                                                                          capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    for path in (corpus / "arthur").rglob("*.json"):  # captures: no articulation curves
        meta = json.loads(path.read_text())
        meta.pop("articulation", None)
        path.write_text(json.dumps(meta))
    init = _checkpoint(tmp_path, "someone", 300)
    code = main(["fit", "--data", str(corpus), "--out", str(tmp_path / "run"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1", "--characters", "arthur", "--init", str(init), "--freeze-mfl",
                 "--rig-head", "myrig"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"{corpus / 'arthur'}: arthur/train/" in err, err
    assert "no articulation curves and no shape keys of character 'arthur'" in err
    assert not [p for p in (corpus / ".feature_cache").rglob("*") if p.is_file()]  # refused before any feature
    # trained jointly beside the mesh heads (no --init): refused before the mesh heads' features load too
    code = main(["fit", "--data", str(corpus), "--out", str(tmp_path / "joint"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1", "--characters", "arthur", "--rig-head", "myrig"])
    err = capsys.readouterr().err
    assert code == 2 and "no articulation curves and no shape keys of character 'arthur'" in err, err
    assert not [p for p in (corpus / ".feature_cache").rglob("*") if p.is_file()]


def test_the_frame_loader_names_a_missing_split(tiny_corpus, tmp_path):
    from multanet_core.lpc import FeatureConfig
    from train.training_data import load_frames

    corpus = _copy(tiny_corpus, tmp_path)
    (corpus / "beatrix" / "train").rename(corpus / "beatrix" / "Train")
    with pytest.raises(DatasetError, match="no 'train' sequences for character 'beatrix'; its splits: Train"):
        load_frames(open_dataset(corpus), ["beatrix"], "train", FeatureConfig(), None)
