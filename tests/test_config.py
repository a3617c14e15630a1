"""Training configs: named or by path, with a ``base`` they inherit from."""

import json

import pytest

from train.config import load_config


def test_small_smooth_changes_only_what_it_names():
    small, smooth = load_config("small"), load_config("small_smooth")
    assert smooth["loss_weights"] == {**small["loss_weights"], "motion": 4.0}
    assert (smooth["epochs"], smooth["checkpoint_every"]) == (19, 1)
    assert {k for k in small if small[k] != smooth.get(k)} == {"loss_weights", "epochs", "checkpoint_every",
                                                                 "description", "name"}


def test_base_by_path_chains_and_loops_are_refused(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"base": "small", "augment": {"variants": 2}}))
    (tmp_path / "b.json").write_text(json.dumps({"base": "a.json", "augment": {"seed": 3}, "epochs": 2}))
    cfg = load_config(str(tmp_path / "b.json"), epochs=5)
    assert cfg["augment"] == {"variants": 2, "seed": 3} and cfg["epochs"] == 5
    assert cfg["network"] == load_config("small")["network"] and cfg["name"] == "b"
    (tmp_path / "c.json").write_text(json.dumps({"base": "d.json"}))
    (tmp_path / "d.json").write_text(json.dumps({"base": "c.json"}))
    with pytest.raises(ValueError, match="loop"):
        load_config(str(tmp_path / "c.json"))
    with pytest.raises(ValueError, match="no such config"):
        load_config("nonexistent")


def test_scheduled_values_step_by_epoch_and_bad_schedules_are_named():
    from train.config import learning_rate, scheduled

    cfg = load_config("real_closure")
    assert [learning_rate(cfg, e) for e in (0, 5, 6, 7, 8, 13, 14, 15)] == [1e-3, 1e-3, 1e-4, 1e-4, 1e-3, 1e-3,
                                                                            1e-4, 1e-4]
    assert [scheduled(cfg, "bilabial_weight", e, 1.0) for e in (0, 7, 8, 15)] == [1.0, 1.0, 5.0, 5.0]
    assert scheduled(load_config("default_real"), "bilabial_weight", 3, 1.0) == 1.0  # absent: the default
    assert scheduled({"w": 2}, "w", 0, 1.0) == 2.0
    for bad in ("x", [], [[0]], True):
        with pytest.raises(ValueError, match="'w'"):
            scheduled({"w": bad}, "w", 0, 1.0)
