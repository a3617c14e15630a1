"""Hostile input to training, round three (issue 28): a character name that is a path writes nothing outside the
run, fps that is no number is refused where a dataset or run is read, an export never replaces a good checkpoint
with a bad one, the dataset's .npz files have the checkpoint's zip-bomb guard, and malformed rig keys,
articulation curves and VOCASET vertices are one-line DatasetErrors. Bombs declare their size: nothing huge is
ever allocated."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import zipfile

import numpy as np
import pytest

from multanet_core.checkpoint import load_checkpoint
from multanet_core.lpc import FeatureConfig
from multanet_core.rig_names import ARKIT_52
from tests.test_checkpoint import _npy_member
from tests.test_data_loaders import V, _biwi, _folder, _vocaset
from tests.test_userdata_data import _copy
from train.__main__ import main
from train.data import DatasetError, open_dataset
from train.features_cache import sequence_grid
from train.training_data import check_rig_sources


def _fit(corpus, config, out, *extra):
    return main(["fit", "--data", str(corpus), "--out", str(out), "--config", str(config), "--quiet",
                 "--threads", "1", "--device", "cpu", *extra])


def _tree(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _set_json(path, **values):
    path.write_text(json.dumps({**json.loads(path.read_text()), **values}))


@pytest.fixture(scope="module")
def karras_run(tiny_corpus, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("karras") / "run"
    assert _fit(tiny_corpus, tiny_config, out, "--model", "karras", "--characters", "arthur", "--members", "1",
                "--epochs", "1") == 0
    return out


@pytest.fixture(scope="module")
def multanet_run(tiny_corpus, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("multanet") / "run"
    assert _fit(tiny_corpus, tiny_config, out, "--characters", "arthur", "--epochs", "1") == 0
    return out


# ----------------------------------------------------------------------------- 1. names that are paths
@pytest.mark.parametrize("name, why", [
    ("/ABSOLUTE/ada", "is an absolute path"), ("../ada", "holds a path separator"),
    ("link/../../ada", "holds a path separator"), ("..", "is '..'"), (".", "is '.'"), ("", "is empty"),
    ("a\\b", "holds a path separator"), ("a\0b", "holds a NUL character"),
])
def test_a_character_name_that_is_a_path_is_refused_when_the_dataset_opens(tmp_path, name, why):
    root = _folder(tmp_path / "data")
    name = name.replace("/ABSOLUTE", str(tmp_path))
    _set_json(root / "dataset.json", characters=[name])
    with pytest.raises(DatasetError) as err:
        open_dataset(root)
    message = str(err.value)
    assert f"character {name!r} {why}" in message and "plain folder name" in message, message
    assert "\n" not in message


def test_a_split_name_that_is_a_path_is_refused_when_the_dataset_opens(tmp_path):
    root = _folder(tmp_path / "data")
    _set_json(root / "dataset.json", splits={"train": {}, "../../x": {}})
    with pytest.raises(DatasetError, match=r"split '\.\./\.\./x' holds a path separator"):
        open_dataset(root)


@pytest.mark.parametrize("subject, sentence, what", [("../evil", "sentence01", "character '../evil'"),
                                                     ("FaceTalk_170728_03272_TA", "../../x", "sequence '../../x'")])
def test_a_vocaset_name_that_is_a_path_is_refused(tmp_path, subject, sentence, what):
    _vocaset(tmp_path)
    index = {subject: {sentence: {f: f for f in range(120)}}}
    (tmp_path / "subj_seq_to_idx.pkl").write_bytes(pickle.dumps(index))
    with pytest.raises(DatasetError, match=f"subj_seq_to_idx.pkl: {what} holds a path separator"):
        open_dataset(tmp_path)


def test_a_biwi_subject_named_dot_dot_is_refused(tmp_path):
    _biwi(tmp_path)
    np.save(tmp_path / "vertices_npy" / ".._e01.npy", np.zeros((50, V * 3)))
    with pytest.raises(DatasetError, match=r"\.\._e01\.npy: character '\.\.' is '\.\.'"):
        open_dataset(tmp_path)


def test_fit_with_an_absolute_character_name_writes_nothing_outside_out(tiny_corpus, tiny_config, tmp_path,
                                                                        capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    outside = tmp_path / "outside" / "arthur"
    shutil.move(corpus / "arthur", outside)
    _set_json(corpus / "dataset.json", characters=[str(outside), "beatrix"])
    before = _tree(tmp_path / "outside")
    out = tmp_path / "run"
    code = _fit(corpus, tiny_config, out, "--model", "karras", "--characters", str(outside), "--members", "1",
                "--epochs", "1")
    err = capsys.readouterr().err
    assert code == 2 and f"character {str(outside)!r} is an absolute path" in err and "Traceback" not in err, err
    assert _tree(tmp_path / "outside") == before and not out.exists()


def test_the_feature_cache_refuses_a_path_that_leaves_it_through_a_symlink(tmp_path):
    ds = open_dataset(_folder(tmp_path / "data"))
    cache, outside = tmp_path / "cache", tmp_path / "outside"
    cache.mkdir()
    outside.mkdir()
    (cache / "ada").symlink_to(outside)
    with pytest.raises(DatasetError, match="leads outside .*cache"):
        sequence_grid(ds, ds.sequences()[0], FeatureConfig(), cache)
    assert not list(outside.rglob("*"))


def test_export_of_a_run_whose_character_is_a_path_writes_nothing_outside(karras_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(karras_run, run)
    (run / "evil").mkdir()  # karras/../evil/member0.pt: where the run's character points
    shutil.copy(run / "karras" / "arthur" / "member0.pt", run / "evil" / "member0.pt")
    _set_json(run / "run.json", characters=["../evil"], heads=["../evil"])
    (tmp_path / "models").mkdir()
    code = main(["export", str(run), "--out", str(tmp_path / "models")])
    err = capsys.readouterr().err
    assert code == 2 and "'../evil' holds a path separator" in err and "Traceback" not in err, err
    assert not (tmp_path / "evil.npz").exists() and not list((tmp_path / "models").iterdir())


# ----------------------------------------------------------------------------- 2. fps, and export's rename
@pytest.mark.parametrize("fps", [float("nan"), float("inf"), 0, -30, 1e6, "abc", None, True])
def test_fps_that_is_no_sane_number_is_refused_when_the_dataset_opens(tmp_path, fps):
    root = _folder(tmp_path / "data")
    _set_json(root / "dataset.json", fps=fps)
    with pytest.raises(DatasetError, match=r"dataset.json: 'fps' must be a number of frames per second above 0 "
                                           r"and at most 1000, not "):
        open_dataset(root)


def test_a_sequence_fps_of_nan_is_refused(tmp_path):
    root = _folder(tmp_path / "data")
    _set_json(root / "ada" / "train" / "s1.json", fps=float("nan"))
    with pytest.raises(DatasetError, match=r"s1.json: 'fps' must be a number of frames per second .*, not nan"):
        open_dataset(root).validate()


@pytest.mark.parametrize("make", [_vocaset, _biwi])
def test_vocaset_and_biwi_refuse_an_fps_of_nan(tmp_path, make):
    make(tmp_path)
    with pytest.raises(DatasetError, match="'fps' must be a number of frames per second"):
        open_dataset(tmp_path, fps=float("nan"))


def test_fit_refuses_a_dataset_with_an_fps_of_nan(tiny_corpus, tiny_config, tmp_path, capsys):
    corpus = _copy(tiny_corpus, tmp_path)
    _set_json(corpus / "dataset.json", fps=float("nan"))
    assert _fit(corpus, tiny_config, tmp_path / "run", "--epochs", "1") == 2
    err = capsys.readouterr().err
    assert "dataset.json: 'fps' must be a number" in err and "Traceback" not in err, err
    assert not (tmp_path / "run").exists()


def _good_export(run, tmp_path):
    target = tmp_path / "m.npz"
    assert main(["export", str(run), "--out", str(target)]) == 0
    return target, target.read_bytes()


def test_export_refuses_a_run_with_an_fps_of_nan_and_keeps_the_checkpoint(multanet_run, tmp_path, capsys):
    target, good = _good_export(multanet_run, tmp_path)
    run = tmp_path / "run"
    shutil.copytree(multanet_run, run)
    _set_json(run / "run.json", fps=float("nan"))
    assert main(["export", str(run), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "run.json: 'fps' must be a number" in err and "Traceback" not in err, err
    assert target.read_bytes() == good and sorted(p.name for p in tmp_path.iterdir()) == ["m.npz", "run"]
    load_checkpoint(target)


def test_export_checks_what_it_wrote_before_it_replaces_a_checkpoint(multanet_run, tmp_path, capsys, monkeypatch):
    """Whatever slips past the checks before the save (here a NaN fps put into the checkpoint object), the file
    written is read back before it is renamed onto --out: the good checkpoint stays."""
    from dataclasses import replace

    import train.export

    target, good = _good_export(multanet_run, tmp_path)
    real = train.export.export_multanet
    monkeypatch.setattr(train.export, "export_multanet", lambda *a: replace(real(*a), fps=float("nan")))
    assert main(["export", str(multanet_run), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "fps must be a positive number" in err and "Traceback" not in err, err
    assert target.read_bytes() == good and [p.name for p in tmp_path.iterdir()] == ["m.npz"]


# ----------------------------------------------------------------------------- 3. zip bombs in the dataset
def _forged(path, member, shape):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _npy_member(zf, f"{member}.npy", shape, "<f4", b"\0" * 16)


def _never_decompress(monkeypatch):
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("decompressed a bomb"))


@pytest.mark.parametrize("name, member, read", [
    ("template.npz", "vertices", lambda ds: ds.template("ada")),
    ("rig_keys.npz", "offsets", lambda ds: ds.rig_keys("ada")),
])
def test_a_dataset_npz_that_declares_a_huge_array_is_refused_before_decompressing(tmp_path, monkeypatch, name,
                                                                                   member, read):
    root = _folder(tmp_path / "data")
    _forged(root / "ada" / name, member, (6 * 10**9 // 4,))  # declares 6 GB, holds 16 bytes
    ds = open_dataset(root)
    _never_decompress(monkeypatch)
    with pytest.raises(DatasetError, match=f"{name}: '{member}.npy' declares 1,500,000,000 x 4-byte elements .*"
                                           f"refused before decompressing anything"):
        read(ds)


@pytest.mark.parametrize("name", ["template.npz", "rig_keys.npz"])
def test_a_dataset_npz_zip_bomb_is_refused_from_the_zip_directory(tmp_path, monkeypatch, name):
    import train.data.folder

    root = _folder(tmp_path / "data")
    np.savez_compressed(root / "ada" / name, vertices=np.zeros(4 << 20, np.float32))  # 16 MB in a few kB
    assert os.path.getsize(root / "ada" / name) < 100_000
    monkeypatch.setattr(train.data.folder, "MAX_NPZ_BYTES", 8 << 20, raising=False)
    ds = open_dataset(root)
    _never_decompress(monkeypatch)
    with pytest.raises(DatasetError, match=f"{name}: its arrays declare 0.0 GB uncompressed .*refused before"):
        ds.template("ada") if name == "template.npz" else ds.rig_keys("ada")


# ----------------------------------------------------------------------------- 4. malformed files
def _npz_bytes(tmp_path, **arrays) -> bytes:
    path = tmp_path / "x.npz"
    np.savez(path, **arrays)  # np.savez pickles object arrays: a file the reader must refuse
    return path.read_bytes()


def _npy_bytes(tmp_path, array) -> bytes:
    np.save(tmp_path / "x.npy", array)
    return (tmp_path / "x.npy").read_bytes()


OFFSETS = np.zeros((1, V, 3), np.float32)
RIG_KEYS = {
    "not a zip": lambda t: b"hello, not a zip file",
    "a pickle": lambda t: pickle.dumps({"names": ["jawOpen"], "offsets": OFFSETS}),
    "an .npy": lambda t: _npy_bytes(t, OFFSETS),
    "object names": lambda t: _npz_bytes(t, names=np.array(["jawOpen"], object), offsets=OFFSETS),
    "0-d names": lambda t: _npz_bytes(t, names=np.array("jawOpen"), offsets=OFFSETS),
    "bytes names": lambda t: _npz_bytes(t, names=np.array([b"jawOpen"]), offsets=OFFSETS),
    "string offsets": lambda t: _npz_bytes(t, names=np.array(["jawOpen"]), offsets=np.full((1, V, 3), "0")),
    "word offsets": lambda t: _npz_bytes(t, names=np.array(["jawOpen"]), offsets=np.full((1, V, 3), "abc")),
}
RIG_KEY_ERRORS = {
    "not a zip": "is not an .npz archive", "a pickle": "is a Python pickle", "an .npy": "is not an .npz archive",
    "object names": "holds object data, which needs pickle", "0-d names": "'names' must be a list of names",
    "bytes names": "'names' must be a list of names", "string offsets": "'offsets' must be numbers",
    "word offsets": "'offsets' must be numbers",
}


@pytest.mark.parametrize("case", list(RIG_KEYS))
def test_malformed_rig_keys_are_a_dataset_error(tmp_path, case):
    root = _folder(tmp_path / "data")
    (root / "ada" / "rig_keys.npz").write_bytes(RIG_KEYS[case](tmp_path))
    ds = open_dataset(root)
    with pytest.raises(DatasetError) as err:
        check_rig_sources(ds, ds.sequences(), ARKIT_52)
    message = str(err.value)
    assert f"{root / 'ada' / 'rig_keys.npz'}: " in message and RIG_KEY_ERRORS[case] in message, message


CHANNELS = ["jaw", "closure", "round", "spread", "labiodental", "brow_raise", "brow_furrow"]


@pytest.mark.parametrize("articulation, fragment", [
    (5, "'articulation' must be an object"),
    ("curves", "'articulation' must be an object"),
    (["curves"], "'articulation' must be an object"),
    ({"curves": [[0.1] * 7, [0.2]], "channels": CHANNELS}, "'curves' must be a table of numbers"),
    ({"curves": [["a"] * 7], "channels": CHANNELS}, "'curves' must be a table of numbers"),
    ({"curves": [["0.5"] * 7], "channels": CHANNELS}, "'curves' must be a table of numbers"),
    ({"curves": {"jaw": 1}, "channels": CHANNELS}, "'curves' must be a table of numbers"),
    ({"curves": [[0.5] * 7], "channels": "jawclose"}, "'channels' must be a list of distinct names"),
    ({"curves": [[0.5] * 7], "channels": [1, 2, 3, 4, 5, 6, 7]}, "'channels' must be a list of distinct names"),
    ({"curves": [[0.5] * 7], "channels": ["jaw"] * 7}, "'channels' must be a list of distinct names"),
    ({"curves": [[0.5] * 2], "channels": ["jaw", "closure"]}, "lack channel(s) round, spread"),
])
def test_malformed_articulation_curves_are_a_dataset_error(tmp_path, articulation, fragment):
    root = _folder(tmp_path / "data")
    _set_json(root / "ada" / "train" / "s0.json", articulation=articulation)
    ds = open_dataset(root)
    with pytest.raises(DatasetError) as err:
        check_rig_sources(ds, ds.sequences(), ARKIT_52)
    message = str(err.value)
    assert f"{root / 'ada' / 'train' / 's0.json'}: " in message and fragment in message, message


@pytest.mark.parametrize("content", [
    lambda: np.array([[[1.0, 2.0, 3.0]]], object),
    lambda: {"not": "an array"},
])
def test_vocaset_vertices_holding_objects_are_a_dataset_error(tmp_path, tiny_config, capsys, content):
    _vocaset(tmp_path)
    np.save(tmp_path / "data_verts.npy", content(), allow_pickle=True)
    with pytest.raises(DatasetError, match="data_verts.npy: .*(object|pickle)"):
        open_dataset(tmp_path)
    assert _fit(tmp_path, tiny_config, tmp_path / "run") == 2
    err = capsys.readouterr().err
    assert "data_verts.npy" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
