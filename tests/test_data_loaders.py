"""Folder, BIWI and VOCASET loaders on tiny files, the restricted unpickler, and bad-input errors."""

import json
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile

from tests.conftest import ROOT
from train.data import DatasetError, open_dataset
from train.data.base import Template
from train.data.folder import write_dataset_json, write_sequence, write_template
from train.data.safe_pickle import UnsafePickleError, safe_load, safe_loads

V, FPS, SR = 12, 30.0, 16000


def _folder(root, n_seq=2):
    rng = np.random.default_rng(0)
    tmpl = Template("ada", rng.normal(size=(V, 3)).astype(np.float32),
                    np.arange(8, dtype=np.int32), np.array([4, 4], np.int32),
                    np.array([0, 1], np.int32), np.array([5, 6], np.int32))
    write_template(root, tmpl)
    for k in range(n_seq):
        t = 30
        write_sequence(root, "ada", "train", f"s{k}", (rng.normal(size=SR) * 0.1).astype(np.float32), SR,
                       tmpl.vertices[None] + 0.001 * rng.normal(size=(t, V, 3)),
                       {"fps": FPS, "language": "en", "text": "hi", "phonemes": []})
    write_dataset_json(root, {"fps": FPS, "characters": ["ada"], "splits": {"train": {}}, "languages": ["en"]})
    return root


def test_folder_roundtrip(tmp_path):
    ds = open_dataset(_folder(tmp_path))
    ds.validate()
    seqs = ds.sequences(split="train")
    assert [s.id for s in seqs] == ["s0", "s1"]
    assert ds.load_vertices(seqs[0]).shape == (30, V, 3)
    audio, sr = ds.load_audio(seqs[0])
    assert sr == SR and audio.dtype == np.float32 and len(audio) == SR
    assert list(ds.template("ada").lip_indices) == [0, 1]


def _expect(tmp_path, fragment, filename):
    with pytest.raises(DatasetError) as err:
        open_dataset(tmp_path).validate()
    assert fragment in str(err.value) and filename in str(err.value), str(err.value)


def test_missing_audio(tmp_path):
    _folder(tmp_path)
    os.remove(tmp_path / "ada/train/s1.wav")
    _expect(tmp_path, "audio missing", "s1.wav")


def test_wrong_vertex_count(tmp_path):
    _folder(tmp_path)
    np.save(tmp_path / "ada/train/s0.npy", np.zeros((30, V + 1, 3), np.float32))
    _expect(tmp_path, "13 vertices per frame", "s0.npy")


def test_nan_frames(tmp_path):
    _folder(tmp_path)
    v = np.load(tmp_path / "ada/train/s1.npy")
    v[4:6, 2] = np.nan
    np.save(tmp_path / "ada/train/s1.npy", v)
    _expect(tmp_path, "frames 4-5 contain NaN", "s1.npy")


def test_fps_disagreement(tmp_path):
    _folder(tmp_path)
    meta = json.loads((tmp_path / "ada/train/s0.json").read_text())
    meta["fps"] = 25
    (tmp_path / "ada/train/s0.json").write_text(json.dumps(meta))
    _expect(tmp_path, "fps 25 disagrees", "s0.npy")


def test_audio_length_mismatch(tmp_path):
    _folder(tmp_path)
    soundfile.write(tmp_path / "ada/train/s0.wav", np.zeros(SR * 4, np.int16), SR)
    _expect(tmp_path, "audio lasts 4.00 s", "s0.wav")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch PWNED_BY_PICKLE",))


def test_restricted_unpickler(tmp_path):
    good = {"a": [1, 2.5, "x", None], "arr": np.arange(6, dtype=np.float32).reshape(2, 3), "t": (True, b"z")}
    (tmp_path / "good.pkl").write_bytes(pickle.dumps(good, protocol=2))
    back = safe_load(tmp_path / "good.pkl")
    assert np.array_equal(back["arr"], good["arr"]) and back["a"] == good["a"]
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"x": _Evil()}))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(UnsafePickleError, match="refused to load posix.system"):
            safe_load(tmp_path / "evil.pkl")
        assert not (tmp_path / "PWNED_BY_PICKLE").exists()
    finally:
        os.chdir(cwd)
    (tmp_path / "obj.pkl").write_bytes(pickle.dumps(np.array([object()], dtype=object)))
    with pytest.raises(UnsafePickleError):
        safe_load(tmp_path / "obj.pkl")


def test_unpickler_keeps_plain_arrays(tmp_path):
    value = {"f4": np.arange(6, dtype=np.float32).reshape(2, 3), "fortran": np.asfortranarray(np.ones((2, 3))),
             "big_endian": np.arange(3, dtype=">f8"), "empty": np.zeros((0, 3)), "audio": np.arange(4, dtype=np.int16),
             "mask": np.array([True, False]), "scalar": np.float32(0.5), "n": np.int64(-3)}
    for protocol in range(5):  # protocol 2 writes an empty array's data as bytes()
        back = safe_loads(pickle.dumps(value, protocol=protocol))
        for key, v in value.items():
            assert type(back[key]) is type(v) and np.array_equal(back[key], v), (protocol, key)
        assert back["fortran"].flags.f_contiguous and back["big_endian"].dtype.kind == "f"


FORGED = textwrap.dedent(
    """
    import pickle, sys
    from tests.pickle_fuzz import ForgedArray
    from train.data.safe_pickle import UnsafePickleError, safe_load

    for i, (spec, field) in enumerate([("V8", "O"), ("f8", "O"), ("f8", "f8"), ("V8", "f8")]):
        path = f"{sys.argv[1]}/forged{i}.pkl"
        with open(path, "wb") as f:
            pickle.dump({"F2": ForgedArray(spec, field)}, f, protocol=2)
        try:
            value = safe_load(path)
        except UnsafePickleError as exc:
            print(exc)
        else:
            print("LOADED", value["F2"].dtype, value["F2"].astype("f8"))
    """
)


def test_unpickler_refuses_forged_dtype(tmp_path):
    """A structured dtype with an object field, its state forged to say it holds no objects: numpy would
    follow the array's bytes as a pointer (a segfault at 0x4141414141414141). Run in a child: it must not crash."""
    proc = subprocess.run([sys.executable, "-c", FORGED, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4 and not any("LOADED" in line for line in lines), proc.stdout
    for i, line in enumerate(lines):
        assert f"forged{i}.pkl: refused numpy dtype" in line, line
    assert "dtype('V8')" in lines[0] and "dtype('O')" in lines[1] and "dtype state" in lines[2], proc.stdout


def test_unpickler_fuzz(tmp_path):
    """300 seeded random and mutated pickles in a child process: each loads to plain data or is refused with
    UnsafePickleError; a crash (or any other exception) fails the run. bench/bench_unpickle_fuzz.py runs 10,000."""
    proc = subprocess.run([sys.executable, "-m", "tests.pickle_fuzz", "--count", "300", "--seed", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"exit status {proc.returncode}\n{proc.stdout}{proc.stderr[-3000:]}"
    counts = json.loads(proc.stdout)
    assert counts["loaded"] + counts["refused"] == 300 and counts["loaded"] > 0 and counts["refused"] > 0, counts


def _biwi(root):
    rng = np.random.default_rng(1)
    (root / "vertices_npy").mkdir()
    (root / "wav").mkdir()
    (root / "regions").mkdir()
    (root / "regions/lve.txt").write_text("0 1 2")
    templates = {"F2": rng.normal(size=(V, 3)), "M3": rng.normal(size=(V, 3))}
    (root / "templates.pkl").write_bytes(pickle.dumps(templates))
    for subj in templates:
        for k in (1, 33, 40):
            np.save(root / f"vertices_npy/{subj}_e{k:02d}.npy", rng.normal(size=(50, V * 3)))
            soundfile.write(root / f"wav/{subj}_e{k:02d}.wav", np.zeros(32000, np.int16), 16000)
    return root


def test_biwi_layout(tmp_path):
    ds = open_dataset(_biwi(tmp_path))
    ds.validate()
    assert ds.fps == 25 and ds.characters == ["F2", "M3"]
    assert [s.split for s in ds.sequences(character="F2")] == ["train", "val", "test"]
    assert ds.load_vertices(ds.sequences()[0]).shape == (50, V, 3)
    assert list(ds.template("M3").lip_indices) == [0, 1, 2]
    os.remove(tmp_path / "wav/M3_e33.wav")
    with pytest.raises(DatasetError, match="M3_e33.wav: audio missing"):
        open_dataset(tmp_path).validate()


def _vocaset(root):
    rng = np.random.default_rng(2)
    subj = ["FaceTalk_170728_03272_TA", "FaceTalk_170809_00138_TA"]
    verts = rng.normal(size=(2 * 120, V, 3)).astype(np.float32)
    np.save(root / "data_verts.npy", verts)
    index = {s: {"sentence01": {f: i * 120 + f for f in range(120)}} for i, s in enumerate(subj)}
    (root / "subj_seq_to_idx.pkl").write_bytes(pickle.dumps(index))
    (root / "templates.pkl").write_bytes(pickle.dumps({s: rng.normal(size=(V, 3)) for s in subj}))
    audio = {s: {"sentence01": {"audio": np.zeros(44000, np.int16), "sample_rate": 22000}} for s in subj}
    (root / "raw_audio_fixed.pkl").write_bytes(pickle.dumps(audio))
    return subj, verts, audio


def test_vocaset_layout(tmp_path):
    subj, verts, audio = _vocaset(tmp_path)
    ds = open_dataset(tmp_path)
    ds.validate()
    assert ds.fps == 60
    assert {s.character: s.split for s in ds.sequences()} == {subj[0]: "train", subj[1]: "test"}
    seq = ds.sequences(character=subj[1])[0]
    assert np.array_equal(ds.load_vertices(seq), verts[120:])
    a, sr = ds.load_audio(seq)
    assert sr == 22000 and len(a) == 44000
    audio[subj[1]]["sentence01"]["audio"] = np.zeros(22000 * 5, np.int16)
    (tmp_path / "raw_audio_fixed.pkl").write_bytes(pickle.dumps(audio))
    with pytest.raises(DatasetError, match="audio lasts 5.00 s"):
        open_dataset(tmp_path).validate()


def test_template_size_is_checked_where_the_unit_is_known(tmp_path):
    """VOCASET is in metres: a template 1000 times a head's size is refused. FaceFormer's BIWI is rescaled per
    subject (no known unit): only motion against its template is compared."""
    (tmp_path / "v").mkdir()
    subj, _, _ = _vocaset(tmp_path / "v")
    templates = {s: np.random.default_rng(3).normal(size=(V, 3)) * 1000 for s in subj}
    (tmp_path / "v" / "templates.pkl").write_bytes(pickle.dumps(templates))
    with pytest.raises(DatasetError) as err:
        open_dataset(tmp_path / "v").validate()
    assert f"templates.pkl: the template of {subj[0]!r} is" in str(err.value) and "which no head is" in str(err.value)
    assert "are the motion in metres and the template in millimetres?" in str(err.value)
    (tmp_path / "b").mkdir()
    _biwi(tmp_path / "b")
    for path in (tmp_path / "b" / "vertices_npy").glob("*.npy"):
        np.save(path, np.load(path) * 1000)
    templates = safe_load(tmp_path / "b" / "templates.pkl")
    (tmp_path / "b" / "templates.pkl").write_bytes(pickle.dumps({k: v * 1000 for k, v in templates.items()}))
    open_dataset(tmp_path / "b").validate()


PLY_HEADER = f"ply\nformat ascii 1.0\nelement vertex {V}\nproperty float x\nproperty float y\nproperty float z\n"
PLY_VERTICES = "0 0 0\n" * V


@pytest.mark.parametrize("name, text, fragment", [
    ("BIWI.obj", "v 0 0 0\nf 1 2 x\n", "line 2"),
    ("BIWI.obj", "f 1 2\n", "line 1"),
    ("BIWI.obj", "f 0 1 2\n", "line 1"),
    ("BIWI.ply", PLY_HEADER + "element face 1\nproperty list uchar int vertex_indices\nend_header\n" + PLY_VERTICES
     + "3 0 1 q\n", f"line {10 + V}"),
    ("BIWI.ply", PLY_HEADER + "element face 1\nproperty list uchar int vertex_indices\nend_header\n" + PLY_VERTICES
     + "3 0 1\n", f"line {10 + V}"),
    ("BIWI.ply", PLY_HEADER + "element face 2\nproperty list uchar int vertex_indices\nend_header\n" + PLY_VERTICES
     + "3 0 1 2\n", "2 faces"),
    ("BIWI.ply", PLY_HEADER + "element face many\nend_header\n", "element face many"),
    ("BIWI.ply", PLY_HEADER + "element face 1\n" + PLY_VERTICES + "3 0 1 2\n", "end_header"),
    ("faces.npy", np.arange(6), "expected integer faces"),
    ("regions/lve.txt", "0 1 x", "vertex indices"),
])
def test_biwi_malformed_files_are_named(tmp_path, name, text, fragment):
    _biwi(tmp_path)
    if isinstance(text, np.ndarray):
        np.save(tmp_path / name, text)
    else:
        (tmp_path / name).write_text(text)
    _expect(tmp_path, fragment, name)


@pytest.mark.parametrize("name, text", [("BIWI.obj", f"f 1 2 {V + 1}\n"),
                                        ("BIWI.ply", PLY_HEADER + "element face 1\nend_header\n" + PLY_VERTICES
                                         + "3 -1 0 1\n")])
def test_biwi_face_index_out_of_range(tmp_path, name, text):
    _biwi(tmp_path)
    (tmp_path / name).write_text(text)
    _expect(tmp_path, "out of range", name)


@pytest.mark.parametrize("index", [["FaceTalk_170728_03272_TA"], {"FaceTalk_170728_03272_TA": ["sentence01"]},
                                   {"FaceTalk_170728_03272_TA": {"sentence01": {0: "row"}}}])
def test_vocaset_index_not_a_dict(tmp_path, index):
    _vocaset(tmp_path)
    (tmp_path / "subj_seq_to_idx.pkl").write_bytes(pickle.dumps(index))
    _expect(tmp_path, "expected", "subj_seq_to_idx.pkl")


@pytest.mark.parametrize("masks", [[0, 1, 2], {"lips": ["upper", "lower"]}])
def test_vocaset_masks_not_a_dict(tmp_path, masks):
    _vocaset(tmp_path)
    (tmp_path / "FLAME_masks.pkl").write_bytes(pickle.dumps(masks))
    _expect(tmp_path, "expected", "FLAME_masks.pkl")
