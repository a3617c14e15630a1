import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from multanet_core.__main__ import main as core_main
from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.errors import CheckpointError, MulTaNetError
from train.random_checkpoint import make_random_model
from train.random_heads import numpy_checkpoint


@pytest.fixture(scope="module")
def ckpt_path(tmp_path_factory):
    _, ckpt = make_random_model("multanet", characters=2, vertices=200, components=8)
    path = tmp_path_factory.mktemp("ckpt") / "model.npz"
    save_checkpoint(path, ckpt)
    return path


def rewrite(src, dst, edit):
    """Copy a checkpoint's arrays through ``edit(arrays, meta)`` without any validation."""
    with np.load(src, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["__metadata__"]))
    edit(arrays, meta)
    arrays["__metadata__"] = np.array(json.dumps(meta))
    np.savez(dst, **arrays)
    return dst


def test_round_trip_keeps_everything(ckpt_path):
    _, ckpt = make_random_model("multanet", characters=2, vertices=200, components=8)
    loaded = load_checkpoint(ckpt_path)
    assert [h.name for h in loaded.heads] == ["char00", "char01"]
    assert loaded.network == ckpt.network and loaded.features == ckpt.features and loaded.fps == 30.0
    for a, b in zip(loaded.heads, ckpt.heads, strict=True):
        np.testing.assert_array_equal(a.template, b.template)
        np.testing.assert_array_equal(a.basis, b.basis)
        np.testing.assert_array_equal(a.faces, b.faces)
        assert a.fingerprint == b.fingerprint and a.presets.keys() == b.presets.keys()
    for k, w in ckpt.weights.items():
        np.testing.assert_array_equal(loaded.weights[k], w)


def test_float16_bases_are_accepted(tmp_path):
    _, ckpt = make_random_model("multanet", characters=1, vertices=200, components=8)
    save_checkpoint(tmp_path / "small.npz", ckpt, basis_dtype="float16")
    loaded = load_checkpoint(tmp_path / "small.npz")
    assert loaded.heads[0].basis.dtype == np.float32
    np.testing.assert_allclose(loaded.heads[0].basis, ckpt.heads[0].basis, rtol=1e-3, atol=1e-6)


def test_info_cli_lists_characters(ckpt_path, capsys):
    assert core_main(["info", str(ckpt_path)]) == 0
    out = capsys.readouterr().out
    assert "char00:" in out and "char01:" in out and "8 components" in out and "neutral" in out


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "none.npz")


def test_not_a_checkpoint(tmp_path):
    (tmp_path / "notes.npz").write_text("hello")
    with pytest.raises(CheckpointError, match="not a MulTaNet checkpoint"):
        load_checkpoint(tmp_path / "notes.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a MulTaNet checkpoint"):
        load_checkpoint(tmp_path / "other.npz")


class _Trap:
    def __reduce__(self):
        return (open, (os.environ["MULTANET_TRAP"], "w"))


def test_pickles_are_refused_and_never_run(tmp_path, monkeypatch):
    trap = tmp_path / "pwned"
    monkeypatch.setenv("MULTANET_TRAP", str(trap))
    path = tmp_path / "model.pth"
    path.write_bytes(pickle.dumps({"weights": _Trap()}))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(path)
    # an .npz holding an object array (a pickle inside the zip) is refused too
    np.savez(tmp_path / "obj.npz", __metadata__=np.array(json.dumps({"format": "x"})),
             evil=np.array([_Trap()], dtype=object))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "obj.npz")
    assert not trap.exists()


def test_truncated_file(ckpt_path, tmp_path):
    data = ckpt_path.read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        load_checkpoint(tmp_path / "cut.npz")
    assert zipfile.is_zipfile(ckpt_path)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda a, m: a.pop("mfl.formant.2.weight"), "weight 'mfl.formant.2.weight' is missing"),
        (lambda a, m: a.__setitem__("heads.1.coeff.bias", np.zeros(9, np.float32)),
         r"'heads.1.coeff.bias' has shape \(9,\), expected \(8,\)"),
        (lambda a, m: a["mfl.articulation.0.bias"].__setitem__(3, np.nan), "NaN or infinite"),
        (lambda a, m: m.__setitem__("version", 99), "format version 99"),
        (lambda a, m: a.__setitem__("heads.0.faces", a["heads.0.faces"][::-1].copy()), "fingerprint"),
        (lambda a, m: a.__setitem__("heads.0.lips", np.array([0, 10**6], np.int32)), "'lips' indexes vertices"),
        (lambda a, m: a.__setitem__("heads.1.mean", a["heads.1.mean"][:-3]), "mean has shape"),
        (lambda a, m: m["heads"][0]["presets"].__setitem__("angry", [1.0, 2.0]), "preset 'angry' must be 16"),
        (lambda a, m: m["features"].__setitem__("order", 16), "expects 64x32 feature windows"),
        (lambda a, m: m["features"].__setitem__("level", "log_energy"),
         r"the features are 64x33 \(level 'log_energy'\)"),
        (lambda a, m: m["features"].__setitem__("level", "loudness"), "level must be one of"),
        (lambda a, m: a.__setitem__("stray", np.zeros(2)), "unexpected arrays"),
        (lambda a, m: m["heads"][1].__setitem__("n_vertices", 5), "n_vertices"),
        # metadata types (issue 10): JSON true is not a number, a list is not an object
        (lambda a, m: m.__setitem__("version", True), "format version True"),
        (lambda a, m: m.__setitem__("fps", True), "fps must be a positive number"),
        (lambda a, m: m.__setitem__("info", [1, 2]), "info must be a JSON object, got list"),
        (lambda a, m: m["network"].__setitem__("negative_slope", "x"), "negative_slope must be a finite number"),
        (lambda a, m: m["network"].__setitem__("formant_channels", [10**9] * 5), "formant channel count"),
        (lambda a, m: m["network"].__setitem__("n_characters", True), "n_characters must be an integer"),
        (lambda a, m: m["features"].__setitem__("window", 64 << 20), "window must be an integer from 1 to 65536"),
        (lambda a, m: m["features"].__setitem__("level", ["none"]), "level must be one of"),
    ],
)
def test_invalid_contents_are_named(ckpt_path, tmp_path, edit, message):
    bad = rewrite(ckpt_path, tmp_path / "bad.npz", edit)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(bad)


def test_failed_save_leaves_no_file(tmp_path):
    _, ckpt = make_random_model("multanet", characters=1, vertices=200, components=8)
    ckpt.weights["mfl.formant.0.bias"] = np.full(72, np.inf, np.float32)
    with pytest.raises(CheckpointError):
        save_checkpoint(tmp_path / "x.npz", ckpt)
    assert os.listdir(tmp_path) == []


def test_metadata_that_is_not_an_object(ckpt_path, tmp_path):
    with np.load(ckpt_path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["__metadata__"] = np.array(json.dumps([1, 2, 3]))
    np.savez(tmp_path / "list.npz", **arrays)
    with pytest.raises(CheckpointError, match="metadata must be a JSON object, got list"):
        load_checkpoint(tmp_path / "list.npz")


def _npy_member(zf, name, header_shape, dtype, payload: bytes):
    header = {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": header_shape}
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    zf.writestr(name, buf.getvalue() + payload)


@pytest.mark.parametrize("shape, payload, message", [
    ((10**15,), b"\0" * 16, "declares 1,000,000,000,000,000 x 4-byte elements"),
    ((2 * 10**9,), b"\0" * 16, "declares 2,000,000,000 x 4-byte elements"),
])
def test_array_headers_are_checked_before_decompressing(tmp_path, monkeypatch, shape, payload, message):
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        _npy_member(zf, "__metadata__.npy", (), "<U4", "abcd".encode("utf-32-le"))
        _npy_member(zf, "w.npy", shape, "<f4", payload)

    def never(*a, **k):
        raise AssertionError("decompressed before the headers were checked")

    monkeypatch.setattr(np, "load", never)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_a_zip_bomb_is_refused_from_the_zip_directory(ckpt_path, tmp_path, monkeypatch):
    import multanet_core.checkpoint

    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, zeros=np.zeros(4 << 20, np.float32))  # 16 MB of zeros in a few kB
    assert os.path.getsize(path) < 100_000
    monkeypatch.setattr(multanet_core.checkpoint, "MAX_CHECKPOINT_BYTES", 8 << 20)
    monkeypatch.setattr(np, "load", lambda *a, **k: pytest.fail("decompressed a bomb"))
    with pytest.raises(CheckpointError, match=r"declare 0\.0 GB uncompressed|declare .* uncompressed"):
        load_checkpoint(path)


def test_info_of_the_bundled_model_is_short_and_verbose_has_the_provenance(capsys):
    bundled = os.path.join(os.path.dirname(__file__), "..", "multanet_blender", "models", "default.npz")
    assert core_main(["info", bundled]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 200  # was one 1,100-character line
    assert "training  config " in out and "up axis Y" in out and "command" not in out
    assert core_main(["info", "--verbose", bundled]) == 0
    assert "    command: python -m train fit" in capsys.readouterr().out


def test_format_2_types_up_axis_and_the_filter_and_version_1_still_loads(tmp_path):
    _, ckpt = make_random_model("multanet", characters=1, vertices=60, components=4)
    ckpt.up_axis, ckpt.coefficient_filter = "Z", [1.0, 2.0, 1.0]
    save_checkpoint(tmp_path / "v2.npz", ckpt)
    back = load_checkpoint(tmp_path / "v2.npz")
    assert (back.up_axis, back.coefficient_filter) == ("Z", [1.0, 2.0, 1.0]) and "up_axis" not in back.info
    # the same model as version 1 wrote it: both in the free-form info
    with np.load(tmp_path / "v2.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__metadata__"]))
    meta["version"] = 1
    meta["info"].update(up_axis=meta.pop("up_axis").lower(), coefficient_filter=meta.pop("coefficient_filter"))
    arrays["__metadata__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "v1.npz", **arrays)
    old = load_checkpoint(tmp_path / "v1.npz")
    assert (old.up_axis, old.coefficient_filter) == ("Z", [1.0, 2.0, 1.0])
    for field, bad, why in (("up_axis", "W", "up_axis must be one of X, Y, Z"),
                            ("coefficient_filter", [1, 1], "coefficient_filter must be an odd number")):
        arrays["__metadata__"] = np.array(json.dumps({**meta, "version": 2, "up_axis": "Y",
                                                      "coefficient_filter": None, field: bad}))
        np.savez(tmp_path / "bad.npz", **arrays)
        with pytest.raises(CheckpointError, match=why):
            load_checkpoint(tmp_path / "bad.npz")


def test_rig_heads_round_trip_and_animate_named_weights(tmp_path, speech16k):
    from multanet_core.inference import Animator
    from multanet_core.rig_names import ARKIT_52

    ckpt = numpy_checkpoint(characters=1, vertices=200, components=8, rig_names=ARKIT_52)
    save_checkpoint(tmp_path / "rig.npz", ckpt)
    back = load_checkpoint(tmp_path / "rig.npz")
    assert [h.name for h in back.mesh_heads] == ["char00"] and [h.name for h in back.rig_heads] == ["rig"]
    rig = back.head("rig")
    assert rig.is_rig and rig.weight_names == ARKIT_52 and rig.n_vertices == 0 and rig.basis.shape == (8, 52)
    animator = Animator(back, "rig")
    weights = animator.weights(animator.coefficients(speech16k[:16000], 30.0))
    assert weights.shape == (30, 52) and weights.min() >= 0 and weights.max() <= 1 and weights.std() > 0
    with pytest.raises(MulTaNetError, match="rig head: it gives named weights"):
        animator.vertices(np.zeros((1, 8), np.float32))
    with pytest.raises(MulTaNetError, match="mesh head: it gives vertices"):
        Animator(back, "char00").weights(np.zeros((1, 8), np.float32))
    # the mesh head animates exactly as in a checkpoint without the rig head's arrays on disk
    mesh = Animator(back, "char00").coefficients(speech16k[:16000], 30.0)
    assert mesh.shape == (30, 8) and np.isfinite(mesh).all()


@pytest.mark.parametrize("change, message", [
    (lambda m, a: m["heads"][1].update(weight_names=[]), "needs weight_names"),
    (lambda m, a: m["heads"][1].update(weight_names=["jawOpen"] * 52), "weight names repeat"),
    (lambda m, a: m["heads"][1].update(weight_names=list(range(52))), "needs weight_names"),
    (lambda m, a: m["heads"][1].update(kind="skeleton"), "kind 'skeleton'"),
    (lambda m, a: m.update(version=2), "format 2 knows only 'mesh'"),
    (lambda m, a: a.update({"heads.1.mean": np.zeros(51, np.float32)}), r"mean has shape \(51,\)"),
    (lambda m, a: a.update({"heads.1.lips": np.arange(3, dtype=np.int32)}), "mesh arrays are not empty"),
])
def test_a_broken_rig_head_is_named(tmp_path, change, message):
    import json

    from multanet_core.rig_names import ARKIT_52

    save_checkpoint(tmp_path / "rig.npz", numpy_checkpoint(characters=1, vertices=200, components=8,
                                                           rig_names=ARKIT_52))
    with np.load(tmp_path / "rig.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays["__metadata__"]))
    change(meta, arrays)
    arrays["__metadata__"] = np.array(json.dumps(meta))
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(tmp_path / "bad.npz")


def test_info_piped_into_a_reader_that_stops_early_ends_without_a_traceback():
    """``python -m multanet_core info M | head -2``: the reader has closed the pipe; no BrokenPipeError traceback.
    The pipe's reading end is closed before the process starts, so every write fails, as it would after head."""
    import subprocess
    import sys

    bundled = os.path.join(os.path.dirname(__file__), "..", "multanet_blender", "models", "default.npz")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "multanet_core", "info", bundled], stdout=write_end,
                              stderr=subprocess.PIPE, cwd=os.path.join(os.path.dirname(__file__), ".."), timeout=60)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141  # as a shell reports a process ended by SIGPIPE
