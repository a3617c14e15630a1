"""train fit's run folders: --resume continues only the same run (its schedule may change, and is recorded),
components beyond what the PCA gives are clamped, a run stopped before its first checkpoint leaves no run,
and Ctrl-C says where training stopped."""

import json
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import torch

from tests.conftest import ROOT, TINY_CONFIG
from train.__main__ import main


def fit(corpus, config, out, *extra):
    return main(["fit", "--data", str(corpus), "--out", str(out), "--config", str(config), "--quiet",
                 "--threads", "1", *extra])


def files(run):
    return {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}


def test_resume_refuses_other_data_or_model_and_records_a_changed_schedule(tiny_corpus, tiny_config, tmp_path,
                                                                           capsys):
    run = tmp_path / "run"
    assert fit(tiny_corpus, tiny_config, run, "--stop-after", "1") == 0
    before = files(run)
    wider = tmp_path / "wider.json"
    wider.write_text(json.dumps({**TINY_CONFIG, "components": 12}))
    reseeded = tmp_path / "reseeded.json"
    reseeded.write_text(json.dumps({"base": str(tiny_config), "seed": 1}))
    capsys.readouterr()
    for config, extra, message in [
            (wider, (), "config 'components' (8, now 12)"), (reseeded, (), "config 'seed' (0, now 1)"),
            (tiny_config, ("--sentences", "2"), "sentences (None, now 2)"),
            (tiny_config, ("--model", "karras"), "model ('multanet', now 'karras')"),
            (tiny_config, ("--rig-head", "arkit"), "rig head (None, now 'arkit')"),
            (tiny_config, ("--characters", "arthur"), "(arthur, beatrix), not ")]:
        assert fit(tiny_corpus, config, run, "--resume", *extra) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"--resume: {run} ") and message in err, err
    # the same path, other data: the run's heads.npz no longer matches what the data gives
    moved = tmp_path / "moved"
    shutil.copytree(tiny_corpus, moved)
    shutil.copytree(run, tmp_path / "moved_run")
    info = json.loads((run / "run.json").read_text())
    (tmp_path / "moved_run" / "run.json").write_text(json.dumps({**info, "data": str(moved.resolve())}))
    first = sorted((moved / "arthur" / "train").glob("*.npy"))[0]
    np.save(first, np.load(first) * 1.05)
    assert fit(moved, tiny_config, tmp_path / "moved_run", "--resume") == 2
    assert "heads.npz differs from what the data gives now" in capsys.readouterr().err
    assert files(run) == before  # nothing of the run was touched
    # the schedule may change: it continues, and run.json says which config trained which epochs
    longer = tmp_path / "longer.json"
    longer.write_text(json.dumps({"base": str(tiny_config), "epochs": 4, "lr_schedule": [[0, 0.003], [3, 0.0005]]}))
    assert fit(tiny_corpus, longer, run, "--resume") == 0
    info = json.loads((run / "run.json").read_text())
    assert (run / "heads.npz").read_bytes() == before["heads.npz"]
    assert [(s["from_epoch"], s["name"], s["epochs"]) for s in info["config"]["schedule"]] == [(0, "tiny", 3),
                                                                                              (1, "longer", 4)]
    assert info["config"]["schedule"][1]["lr_schedule"] == [[0, 0.003], [3, 0.0005]]
    assert [h["epoch"] for h in info["history"]] == [1, 2, 3, 4] and info["epochs_done"] == 4
    assert main(["export", str(run), "--out", str(tmp_path / "m.npz")]) == 0
    from multanet_core.checkpoint import load_checkpoint

    provenance = load_checkpoint(tmp_path / "m.npz").info
    assert provenance["epochs"] == 4 and provenance["config"] == "longer"
    assert [s["name"] for s in provenance["config_values"]["schedule"]] == ["tiny", "longer"]


def test_components_beyond_the_training_frames_are_clamped_with_a_note(tiny_corpus, tmp_path, capsys):
    many = tmp_path / "many.json"
    many.write_text(json.dumps({**TINY_CONFIG, "components": 5000, "epochs": 1}))
    capsys.readouterr()
    assert fit(tiny_corpus, many, tmp_path / "run", "--characters", "arthur", "--sentences", "1") == 0
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    n = info["train_frames"]
    assert info["components"] == [n - 1] and n < 500
    assert f"arthur: components 5000 -> {n - 1}: the PCA of its {n} training frames gives no more" in \
        capsys.readouterr().err
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "m.npz")]) == 0


def test_a_folder_whose_run_has_no_checkpoint_says_so(tiny_corpus, tiny_config, tmp_path, capsys):
    run = tmp_path / "run"
    assert fit(tiny_corpus, tiny_config, run, "--epochs", "1") == 0
    (run / "state.pt").unlink()  # a run.json without a checkpoint (as runs before the first one used to leave)
    capsys.readouterr()
    assert fit(tiny_corpus, tiny_config, run, "--epochs", "1") == 2
    assert "holds a run with no checkpoint yet (it stopped before its first epoch ended)" in capsys.readouterr().err
    assert fit(tiny_corpus, tiny_config, run, "--epochs", "1", "--resume") == 0
    assert f"--resume: {run} holds no checkpoint yet; training starts at epoch 0" in capsys.readouterr().err
    assert torch.load(run / "state.pt", weights_only=True)["epoch"] == 1


def _interrupt(corpus, config, out, ready):
    """Run train fit in a process and press Ctrl-C once ``ready()``; its exit status and stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "train", "fit", "--data", str(corpus), "--out", str(out),
                             "--config", str(config), "--quiet", "--threads", "1"], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 240
    while not ready() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_ctrl_c_prints_where_training_stopped_and_an_interrupted_run_exports(tiny_corpus, tmp_path):
    slow = tmp_path / "slow.json"
    # a checkpoint every 3 epochs: Ctrl-C right after run.json appears cannot land in the next one's writing
    slow.write_text(json.dumps({**TINY_CONFIG, "epochs": 400, "epoch_fraction": 2.0, "checkpoint_every": 3}))
    # before the first checkpoint (in training, or as it starts): no run is left behind, the folder takes a new one
    run = tmp_path / "early"
    rc, err = _interrupt(tiny_corpus, slow, run, lambda: (run / "heads.npz").is_file())
    assert rc == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] in ("python -m train fit: interrupted", "python -m train fit: multanet: "
                                            "interrupted at epoch 1; no checkpoint yet, nothing to resume"), err
    assert not (run / "run.json").exists() and not (run / "state.pt").exists()
    assert fit(tiny_corpus, slow, run, "--epochs", "1") == 0
    # after some: the message names the last one, run.json says as much, and the run exports from it
    run = tmp_path / "later"
    rc, err = _interrupt(tiny_corpus, slow, run, lambda: (run / "run.json").is_file())
    assert rc == 130 and "Traceback" not in err, err
    line = err.strip().splitlines()[-1]
    saved = torch.load(run / "state.pt", weights_only=True)["epoch"]
    assert line.startswith("python -m train fit: multanet: interrupted at epoch ") and line.endswith(
        f"; the last checkpoint is epoch {saved}; --resume continues from there"), line
    assert json.loads((run / "run.json").read_text())["epochs_done"] == saved >= 1
    assert main(["export", str(run), "--out", str(tmp_path / "m.npz")]) == 0
