"""``train evaluate`` on a studio's data: broken ground truth and a checkpoint of other meshes are refused with
messages naming them, and the tables are in millimetres whatever unit the dataset declares."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_userdata_data import _checkpoint, _copy, _scale_motion, _scale_template
from train.__main__ import main


def _report_cell(report: str, column: str) -> float:
    """A number of the report's Overall table."""
    lines = report.split("## Overall")[1].strip().splitlines()
    header = [c.strip() for c in lines[0].split("|")]
    return float([c.strip() for c in lines[2].split("|")][header.index(column)])


def test_evaluate_reports_millimetres_from_the_datasets_unit(tiny_corpus, tmp_path, capsys):
    ckpt = _checkpoint(tmp_path, "arthur", 989)
    corpus = _copy(tiny_corpus, tmp_path)
    args = ["evaluate", "--checkpoint", f"r={ckpt}", "--data", str(corpus), "--characters", "arthur",
            "--max-sequences", "1", "--report", str(tmp_path / "m.md")]
    assert main(args) == 0
    for character in ("arthur", "beatrix"):
        _scale_template(corpus, character, 1000.0)
        _scale_motion(corpus, character, 1000.0)
    meta = json.loads((corpus / "dataset.json").read_text())
    (corpus / "dataset.json").write_text(json.dumps({**meta, "unit": "mm"}))
    assert main(args[:-1] + [str(tmp_path / "mm.md")]) == 0
    metres, millimetres = (tmp_path / "m.md").read_text(), (tmp_path / "mm.md").read_text()
    assert "LVE and FDD in mm²" in millimetres
    for column in ("LVE static", "MVE static", "FDD static"):  # the same face, so the same millimetres
        assert _report_cell(millimetres, column) == pytest.approx(_report_cell(metres, column), rel=0.01)


def test_evaluate_refuses_broken_ground_truth(tiny_corpus, tmp_path, capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    ckpt = _checkpoint(tmp_path, "arthur", 989)
    nan, short = sorted((corpus / "arthur" / "unseen_language").glob("*.npy"))[:2]
    motion = np.load(nan)
    motion[3:5, 7] = np.nan
    np.save(nan, motion)
    np.save(short, np.load(short)[: len(np.load(short)) // 2])
    code = main(["evaluate", "--checkpoint", str(ckpt), "--data", str(corpus), "--split", "unseen",
                 "--max-sequences", "1"])  # every sequence of the split is checked, not only those scored
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"{nan}: frames 3-4 contain NaN or infinity" in err, err
    assert f"{short.with_suffix('.wav')}: audio lasts" in err, err
    assert "beatrix" not in err  # the checkpoint has no head for it: not scored, not checked


def test_evaluate_names_a_head_of_other_meshes(tiny_corpus, tmp_path, capsys):
    from multanet_core.checkpoint import load_checkpoint

    ckpt = _checkpoint(tmp_path, "arthur", 500)
    n = load_checkpoint(ckpt).heads[0].n_vertices
    assert n != 989
    code = main(["evaluate", "--checkpoint", f"old={ckpt}", "--data", str(tiny_corpus), "--max-sequences", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err, err
    assert f"checkpoint old: its head 'arthur' has {n} vertices, but character 'arthur' of the data has 989: the " \
        "checkpoint was trained on other meshes" in err, err
