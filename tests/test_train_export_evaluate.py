"""Export (core format, presets, torch == numpy Animator) and evaluate (numbers == multanet_core.metrics by hand)."""

import json

import numpy as np
import pytest
import torch

from multanet_core import metrics
from multanet_core.audio import prepare
from multanet_core.checkpoint import load_checkpoint
from multanet_core.inference import Animator
from multanet_core.lpc import features
from train.__main__ import main
from train.presets import make_presets


@pytest.fixture(scope="module")
def trained(tiny_corpus, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("exp")
    assert main(["fit", "--data", str(tiny_corpus), "--out", str(out / "run"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1"]) == 0
    assert main(["export", str(out / "run"), "--out", str(out / "m.npz")]) == 0
    return out


def test_export_round_trip_and_numpy_parity(trained, tiny_corpus):
    from tests.conftest import run_torch_model
    from train.data import open_dataset

    ckpt = load_checkpoint(trained / "m.npz")
    assert [h.name for h in ckpt.heads] == ["arthur", "beatrix"]
    assert ckpt.up_axis == "Y" and ckpt.info["trained"] and ckpt.info["epochs"] == 3
    assert ckpt.info["config"] == "tiny" and ckpt.info["data"].endswith("corpus")
    for h in ckpt.heads:
        assert "neutral" in h.presets and len(h.presets) >= 2
    # the torch model of the run, on core's features, gives what core's numpy Animator gives
    files, net, model = run_torch_model(trained / "run")
    ds = open_dataset(tiny_corpus)
    seq = ds.sequences("test", "beatrix")[0]
    samples = prepare(*ds.load_audio(seq))
    anim = Animator(ckpt, "beatrix")
    got = anim.vertices(anim.coefficients(samples, 30.0, "open" if "open" in ckpt.heads[1].presets else None))
    preset = ckpt.heads[1].presets.get("open", ckpt.heads[1].presets["neutral"])
    x = torch.as_tensor(features(samples, 30.0))
    with torch.no_grad():
        out = net(x, 1, torch.as_tensor(np.asarray(preset, np.float32))[None].expand(len(x), -1)).numpy()
    want = (files.arrays["1.offset"] + float(files.arrays["1.scale"]) * out).reshape(len(x), -1, 3)
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4 * np.abs(want).max()
    # float16 bases: about half the size, loads, same animation to float16 precision
    assert main(["export", str(trained / "run"), "--out", str(trained / "h.npz"), "--float16"]) == 0
    half = load_checkpoint(trained / "h.npz")
    a16 = Animator(half, "beatrix")
    v16 = a16.vertices(a16.coefficients(samples, 30.0))
    v32 = anim.vertices(anim.coefficients(samples, 30.0))
    assert np.abs(v16 - v32).max() < 1e-4
    assert (trained / "h.npz").stat().st_size < 0.75 * (trained / "m.npz").stat().st_size


def test_export_refuses_a_folder_for_the_checkpoint_file(trained, tmp_path, capsys):
    (tmp_path / "models").mkdir()
    assert main(["export", str(trained / "run"), "--out", str(tmp_path / "models")]) == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path / 'models'}: is a folder; give the path of the .npz file to write" in err, err
    assert "Traceback" not in err and not list((tmp_path / "models").iterdir())


def test_karras_export_is_an_ensemble_per_character(tiny_corpus, tiny_config, tmp_path):
    assert main(["fit", "--data", str(tiny_corpus), "--out", str(tmp_path / "k"), "--config", str(tiny_config),
                 "--quiet", "--threads", "1", "--model", "karras", "--epochs", "1"]) == 0
    (tmp_path / "file").write_text("not a folder")
    assert main(["export", str(tmp_path / "k"), "--out", str(tmp_path / "file")]) == 2  # a message, not a traceback
    assert main(["export", str(tmp_path / "k"), "--out", str(tmp_path / "kk")]) == 0
    for name in ("arthur", "beatrix"):
        c = load_checkpoint(tmp_path / "kk" / f"{name}.npz")
        assert c.network.architecture == "karras" and c.network.members == 2 and c.heads[0].name == name
        assert c.heads[0].n_components == 16


def test_evaluate_matches_core_metrics_by_hand(trained, tiny_corpus, tmp_path):
    out = tmp_path / "ev.json"
    assert main(["evaluate", "--checkpoint", f"mt={trained / 'm.npz'}", "--data", str(tiny_corpus),
                 "--split", "unseen", "--max-sequences", "1", "--json", str(out), "--report", str(tmp_path / "r.md"),
                 "--plots", str(tmp_path / "plots")]) == 0
    result = json.loads(out.read_text())
    from train.data import open_dataset

    ds = open_dataset(tiny_corpus)
    seq = sorted(ds.sequences("unseen_language", "beatrix"), key=lambda s: s.id)[0]
    ckpt = load_checkpoint(trained / "m.npz")
    anim = Animator(ckpt, "beatrix")
    pred = anim.vertices(anim.coefficients(prepare(*ds.load_audio(seq)), 30.0, "neutral"))
    gt = ds.load_vertices(seq)
    n = min(len(gt), len(pred))
    pred, gt = pred[:n], gt[:n]
    t = ds.template("beatrix")
    rec = [r for r in result["sequences"] if r["model"] == "mt" and r["character"] == "beatrix"]
    assert len(rec) == 1 and rec[0]["sequence"] == seq.id
    assert rec[0]["lve"] == pytest.approx(metrics.lve(pred, gt, t.lip_indices), rel=1e-9)
    assert rec[0]["mve"] == pytest.approx(metrics.mve(pred, gt), rel=1e-9)
    assert rec[0]["fdd"] == pytest.approx(metrics.fdd(pred, gt, t.vertices, t.upper_face_indices), rel=1e-9)
    assert rec[0]["jitter"] == pytest.approx(metrics.jitter_ratio(pred, gt, t.lip_indices, 30.0), rel=1e-9)
    static = [r for r in result["sequences"] if r["model"] == "static" and r["character"] == "beatrix"][0]
    assert static["lve"] == pytest.approx(metrics.lve(np.broadcast_to(t.vertices, gt.shape), gt, t.lip_indices))
    # averages: per character = the mean over that character's sequences (one here); overall over both
    assert result["per_character"]["mt"]["beatrix"]["lve"] == pytest.approx(rec[0]["lve"])
    both = [r["lve"] for r in result["sequences"] if r["model"] == "mt"]
    assert result["overall"]["mt"]["all"]["lve"] == pytest.approx(np.mean(both)) and len(both) == 2
    assert result["per_language"]["mt"]["ko"]["sequences"] == 2
    assert "| beatrix |" in (tmp_path / "r.md").read_text()
    pngs = sorted(p.name for p in (tmp_path / "plots").glob("*.png"))
    assert "lve_per_character_unseen_language.png" in pngs and any(p.startswith("lips_") for p in pngs)


def test_presets_are_the_clusters_named_by_their_effect():
    rng = np.random.default_rng(1)
    centres = np.array([[3.0, 0, 0, 0], [-3.0, 0, 0, 0], [0, 3.0, 0, 0], [4.5, -1.0, 0, 0]])
    x = np.concatenate([c + 0.1 * rng.standard_normal((50, 4)) for c in centres[:3]])
    # a toy face: emotion[0] opens the mouth (lips 0/1 spread along y), emotion[1] raises the brow (vertex 2)
    def animate(e):
        v = np.zeros((5, 3, 3))
        v[:, 0, 1] = 0.01 + 0.003 * e[0]
        v[:, 2, 1] = 0.05 + 0.001 * e[1]
        return v
    presets = make_presets(x.astype(np.float32), animate, np.array([0, 1]), np.array([2]), "Y", k=3)
    assert set(presets) == {"neutral", "open", "tight", "brows up"}
    for name, centre in zip(["open", "tight", "brows up"], centres, strict=False):
        assert np.abs(np.array(presets[name]) - centre).max() < 0.1, name
    # two clusters that both open the mouth: the second is told apart by its brows, not by a number
    x = np.concatenate([x, centres[3] + 0.1 * rng.standard_normal((40, 4))])
    presets = make_presets(x.astype(np.float32), animate, np.array([0, 1]), np.array([2]), "Y", k=4)
    assert set(presets) == {"neutral", "open", "tight", "brows up", "open + brows down"}
    assert not any("," in name for name in presets)  # preset lists are written comma-separated
    assert presets["open"][0] > 2 and presets["tight"][0] < -2 and presets["brows up"][1] > 2


def test_evaluate_picks_languages_and_bakes_at_the_lip_contact_asked(fitted_contact_checkpoint, tiny_corpus, tmp_path,
                                                                     capsys):
    """--languages scores only those sequences; --lip-contact 0 bakes a contact checkpoint as its network alone
    (the bundled network without a contact head, to the last digit), 1 as a bake does."""
    import os

    from multanet_core.checkpoint import save_checkpoint
    from tests.contact_heads import without_contact

    bundled = os.path.join(os.path.dirname(os.path.dirname(__file__)), "multanet_blender", "models", "default.npz")
    default = str(tmp_path / "network_only.npz")
    save_checkpoint(default, without_contact(load_checkpoint(bundled)), basis_dtype="float16")

    def scores(*extra: str) -> dict:
        out = tmp_path / "ev.json"
        assert main(["evaluate", "--checkpoint", f"c={fitted_contact_checkpoint}", "--checkpoint", f"d={default}",
                     "--data", str(tiny_corpus), "--split", "unseen", "--json", str(out), *extra]) == 0
        return json.loads(out.read_text())

    everything = scores()
    assert {r["language"] for r in everything["sequences"]} == {"ko"}
    korean = scores("--languages", "ko, xx")
    assert korean["languages"] == ["ko", "xx"] and len(korean["sequences"]) == len(everything["sequences"])
    assert main(["evaluate", "--checkpoint", f"c={fitted_contact_checkpoint}", "--data", str(tiny_corpus),
                 "--split", "unseen", "--languages", "en"]) == 2  # no English among the unseen sequences
    off, on = scores("--lip-contact", "0"), everything
    assert off["lip_contact"] == 0 and on["lip_contact"] == 1
    assert off["overall"]["c"]["all"]["lve"] == off["overall"]["d"]["all"]["lve"]
    assert on["overall"]["c"]["all"]["lve"] != on["overall"]["d"]["all"]["lve"]
    assert on["overall"]["d"]["all"]["lve"] == off["overall"]["d"]["all"]["lve"]  # no contact head: no change
    capsys.readouterr()
    assert main(["evaluate", "--checkpoint", f"c={fitted_contact_checkpoint}", "--data", str(tiny_corpus),
                 "--lip-contact", "2"]) == 2
    assert "--lip-contact must be between 0 and 1, not 2" in capsys.readouterr().err
