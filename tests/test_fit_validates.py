"""``train fit`` checks the whole dataset before it does any work: a capture with a wrong vertex count or
NaN frames is refused with every problem named by its file, and nothing is written to the run folder."""

from __future__ import annotations

import shutil

import numpy as np

from train.__main__ import main


def _broken_copy(tiny_corpus, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus, ignore=shutil.ignore_patterns("*cache*"))
    first, second = sorted((corpus / "arthur" / "train").glob("*.npy"))[:2]
    np.save(first, np.load(first)[:, :-10])  # ten vertices short of the template
    motion = np.load(second)
    motion[5:8, 0] = np.nan
    np.save(second, motion)
    return corpus, first, second


def test_fit_refuses_a_broken_capture_before_any_work(tiny_corpus, tiny_config, tmp_path, capsys):
    corpus, short, nan = _broken_copy(tiny_corpus, tmp_path)
    out = tmp_path / "run"
    code = main(["fit", "--data", str(corpus), "--out", str(out), "--config", str(tiny_config), "--quiet",
                 "--device", "cpu", "--threads", "1"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"{short}: 979 vertices per frame, but the template of 'arthur' has 989" in err, err
    assert f"{nan}: frames 5-7 contain NaN or infinity" in err, err
    assert "Traceback" not in err
    assert not (out / "run.json").exists() and not (out / "heads.npz").exists()
    # the character that is not trained is not checked: the other one alone trains
    assert main(["fit", "--data", str(corpus), "--out", str(tmp_path / "other"), "--config", str(tiny_config),
                 "--quiet", "--device", "cpu", "--threads", "1", "--characters", "beatrix", "--epochs", "1"]) == 0
