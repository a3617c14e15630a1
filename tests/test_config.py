"""Training configs: named or by path, with a ``base`` they inherit from."""

import json
import re

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


def write(path, config):
    path.write_text(json.dumps(config))
    return str(path)


def test_every_named_config_loads():
    from train.config import CONFIG_DIR

    names = sorted(p.stem for p in CONFIG_DIR.glob("*.json"))
    assert len(names) > 20 and all(load_config(n)["name"] == n for n in names)


def test_unknown_keys_are_refused_naming_the_file_and_the_nearest_key(tmp_path):
    from train.config import ConfigError

    cases = [({"epoch": 1}, "unknown config key 'epoch'; did you mean 'epochs'?"),
             ({"loss_weights": {"postion": 1.0}}, "'loss_weights.postion'; did you mean 'loss_weights.position'?"),
             ({"network": {"articulation_channel": 8}}, "did you mean 'network.articulation_channels'?"),
             ({"features": {"windows": 4096}}, "did you mean 'features.window'?"),
             ({"augment": {"variant": 2}}, "did you mean 'augment.variants'?"),
             ({"lip_wieght": 2.0}, "did you mean 'lip_weight'?")]
    for change, message in cases:
        path = write(tmp_path / "typo.json", {"base": "small", **change})
        with pytest.raises(ConfigError, match=f"^{re.escape(str(tmp_path / 'typo.json'))}: .*{re.escape(message)}"):
            load_config(path)
    # a key in a base names the base's file, not the config that names it
    write(tmp_path / "parent.json", {"base": "small", "epoch": 1})
    with pytest.raises(ConfigError, match=f"^{re.escape(str(tmp_path / 'parent.json'))}: unknown config key 'epoch'"):
        load_config(write(tmp_path / "child.json", {"base": "parent.json", "epochs": 2}))


@pytest.mark.parametrize("key,value", [
    ("epochs", "3"), ("epochs", 0), ("epochs", 2.5), ("components", 0), ("batch_pairs", 0), ("epoch_fraction", 0),
    ("checkpoint_every", 0), ("members", True), ("seed", -1), ("freeze_head_epochs", -1), ("pca_max_frames", 1),
    ("lr_schedule", "0.001"), ("lr_schedule", [[2, 1e-3], [0, 1e-4]]), ("lr_schedule", [[0, -1e-3]]),
    ("lip_weight", -1), ("rig_weight", 0), ("bilabial_weight", [[0, 1.0], [8, -5.0]]), ("neural_voice_repeat", 0),
    ("aligned_bilabial_weight", -1), ("emotion_lr_scale", 0), ("emotion_per", "clip"),
    ("mesh_head_repeat", 1.5), ("language_repeat", {"en": 0}), ("language_repeat", ["en"]), ("loss_ema_beta", 1.0),
    ("loss_weights", {"motion": "4"}), ("emotion_init_std", -0.1), ("description", 3), ("network", [])])
def test_values_of_the_wrong_type_or_range_are_refused(tmp_path, key, value):
    from train.config import ConfigError

    path = write(tmp_path / "bad.json", {"base": "small", key: value})
    with pytest.raises(ConfigError, match=f"^{re.escape(path)}: '{key}' is .*: expected "):
        load_config(path)


def test_objects_and_command_line_values_are_checked_too(tmp_path):
    from multanet_core.errors import MulTaNetError
    from train.config import ConfigError, with_batch

    assert issubclass(ConfigError, MulTaNetError)  # train's command line prints it as a message
    with pytest.raises(ConfigError, match="^the command line: --epochs -1: expected a whole number >= 1"):
        load_config("small", epochs=-1)
    with pytest.raises(ConfigError, match="--epoch-fraction 0.0: expected a number > 0"):
        load_config("small", epoch_fraction=0.0)
    with pytest.raises(ConfigError, match="--batch-pairs 0"):
        with_batch(load_config("small"), 0)
    bad = {"network": {"formant_channels": [8, 8]}, "features": {"level": "loud"}, "augment": {"clean_share": 2}}
    for key, value in bad.items():
        path = write(tmp_path / "obj.json", {"base": "small", key: value})
        with pytest.raises(ConfigError, match=f"^{re.escape(path)} \\(with its bases\\): "):
            load_config(path)


def test_malformed_json_names_its_file_in_a_base_chain(tmp_path):
    from train.config import ConfigError

    (tmp_path / "broken.json").write_text('{"base": "small", "epochs": 1,}')
    path = write(tmp_path / "top.json", {"base": "broken.json"})
    with pytest.raises(ConfigError, match=f"^{re.escape(str(tmp_path / 'broken.json'))}: not valid JSON"):
        load_config(path)
    with pytest.raises(ConfigError, match=f"nope \\(the base of {re.escape(str(tmp_path / 'missing.json'))}\\)"):
        load_config(write(tmp_path / "missing.json", {"base": "nope"}))


@pytest.mark.parametrize("change,message", [
    ({"lip_weight": -1}, "'lip_weight' is -1"), ({"batch_pairs": 0}, "'batch_pairs' is 0"),
    ({"rig_weight": 0}, "'rig_weight' is 0"), ({"bilabial_weight": -2}, "'bilabial_weight' is -2"),
    ({"neural_voice_repeat": 0}, "'neural_voice_repeat' is 0"), ({"mesh_head_repeat": -1}, "'mesh_head_repeat'"),
    ({"language_repeat": {"en": 0.5}}, "'language_repeat'"), ({"epochs": 0}, "'epochs' is 0"),
    ({"epoch": 1}, "did you mean 'epochs'")])
def test_train_fit_refuses_a_bad_config_with_a_message_before_any_data_loads(tmp_path, capsys, change, message):
    from train.__main__ import main

    path = write(tmp_path / "bad.json", {"base": "small", **change})
    # the data folder does not exist: a config checked after the data would report that instead
    assert main(["fit", "--data", str(tmp_path / "no_data"), "--out", str(tmp_path / "run"), "--config", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m train fit: error: {path}: ") and message in err, err
    assert not (tmp_path / "run").exists()


def test_train_fit_refuses_sentences_and_epochs_below_one(tmp_path, capsys):
    from train.__main__ import main

    base = ["fit", "--data", str(tmp_path / "no_data"), "--out", str(tmp_path / "run")]
    for option in ("--sentences", "--stop-after"):
        for bad in ("0", "-1", "x"):
            with pytest.raises(SystemExit) as exit_:
                main([*base, option, bad])
            assert exit_.value.code == 2 and f"{option}: expected a whole number >= 1" in capsys.readouterr().err
    for bad in ("0", "-1"):
        assert main([*base, "--epochs", bad]) == 2
        assert f"--epochs {bad}: expected a whole number >= 1" in capsys.readouterr().err


def test_a_changed_schedule_is_recorded_with_the_epoch_each_config_took_over_from():
    from train.config import continued

    first, longer = load_config("small"), load_config("small_smooth")
    assert continued(first, first, 4) == first  # the same schedule: nothing recorded
    second = continued(first, longer, 4)
    assert [(s["from_epoch"], s["name"], s["epochs"]) for s in second["schedule"]] == [(0, "small", 16),
                                                                                      (4, "small_smooth", 19)]
    assert second["schedule"][1]["loss_weights"]["motion"] == 4.0 and "description" not in second["schedule"][0]
    assert continued(second, longer, 9)["schedule"] == second["schedule"]  # resumed again, unchanged
    third = continued(second, load_config("small", epochs=30), 12)
    assert [(s["from_epoch"], s["name"]) for s in third["schedule"]] == [(0, "small"), (4, "small_smooth"),
                                                                         (12, "small")]
    assert [s["from_epoch"] for s in continued(second, first, 4)["schedule"]] == [0, 4]  # 4..: small again
