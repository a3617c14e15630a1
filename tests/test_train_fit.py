"""Training: loss goes down, PCA initialisation, the head freeze, exact resume, DDP in sync, --init."""

import json
import os
import shutil
import socket

import numpy as np
import pytest
import torch

from train.__main__ import main
from train.pca import normalise_targets, pca, project


def fit(corpus, config, out, *extra):
    return main(["fit", "--data", str(corpus), "--out", str(out), "--config", str(config), "--quiet",
                 "--threads", "1", *extra])


def state(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def test_pca_reproduces_frames_and_normalisation_round_trips():
    rng = np.random.default_rng(0)
    latent = rng.standard_normal((300, 5)) * np.array([5, 3, 2, 1, 0.5])
    frames = (latent @ rng.standard_normal((5, 90)) * 1e-3 + rng.standard_normal(90)).astype(np.float32)
    mean, basis = pca(frames, 8, max_frames=1000)
    assert np.allclose(mean, frames.mean(0), atol=1e-6)
    recon = mean + project(frames, mean, basis[:5]) @ basis[:5]
    assert np.abs(recon - frames).max() < 1e-4 * np.abs(frames - mean).max()
    assert np.abs(basis[5:]).max() < 1e-4 * np.abs(basis[0]).max()  # beyond the rank: float noise only
    coeffs = project(frames, mean, basis[:5])
    assert np.allclose(coeffs.std(0), 1, atol=0.05)  # rows scaled by the component's std
    targets = frames.copy()
    nbasis, scale = normalise_targets(targets, mean, basis)
    assert abs(np.sqrt(np.mean(targets.astype(np.float64) ** 2)) - 1) < 1e-3
    assert np.allclose(mean + scale * (targets @ np.linalg.pinv(nbasis) @ nbasis), frames, atol=1e-6)


def test_multanet_loss_decreases_and_the_pca_head_reproduces_training_frames(tiny_corpus, tiny_config, tmp_path):
    assert fit(tiny_corpus, tiny_config, tmp_path / "run", "--epochs", "8") == 0
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    pos = [h["position"] for h in info["history"]]
    assert info["epochs_done"] == 8 and pos[-1] < 0.8 * pos[0], pos
    assert info["frames_per_character"] == [info["train_frames"] - info["frames_per_character"][1],
                                            info["frames_per_character"][1]]
    # the head's last layer starts as the PCA of the character's frames: offset + scale * basis spans them
    from train.data import open_dataset

    with np.load(tmp_path / "run" / "heads.npz") as z:
        offset, scale = z["0.offset"], float(z["0.scale"])
    ds = open_dataset(tiny_corpus)
    frames = np.concatenate([ds.load_vertices(s).reshape(len(ds.load_vertices(s)), -1)
                             for s in ds.sequences("train", "arthur")])
    mean, basis = pca(frames, 8, 500)
    assert np.allclose(offset, mean, atol=1e-6)
    resid = frames - mean - project(frames, mean, basis) @ basis
    assert np.sqrt((resid ** 2).mean()) < 0.2 * np.sqrt(((frames - mean) ** 2).mean())
    assert scale > 0


def test_head_freeze_and_resume_equal_uninterrupted(tiny_corpus, tiny_config, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert fit(tiny_corpus, tiny_config, a, "--stop-after", "1") == 0
    s1 = state(a / "state.pt")
    assert fit(tiny_corpus, tiny_config, a, "--resume", "--stop-after", "2") == 0
    s2 = state(a / "state.pt")
    assert fit(tiny_corpus, tiny_config, a, "--resume") == 0
    s3 = state(a / "state.pt")
    assert (s1["epoch"], s2["epoch"], s3["epoch"]) == (1, 2, 3)
    out_keys = [k for k in s1["model"] if ".out." in k]
    assert out_keys
    # freeze_head_epochs = 1: epoch 1 leaves the PCA-initialised output layers alone (biases start at 0)
    for k in out_keys:
        if k.endswith("bias"):
            assert torch.count_nonzero(s1["model"][k]) == 0
    assert any(not torch.equal(s1["model"][k], s2["model"][k]) for k in out_keys)  # epoch 2 trains them
    mfl = [k for k in s1["model"] if ".mfl." in k]
    assert all(not torch.equal(s1["model"][k], s2["model"][k]) for k in mfl if k.endswith("weight"))
    # resumed twice == uninterrupted, bit for bit (CPU, same seed, one thread)
    assert fit(tiny_corpus, tiny_config, b) == 0
    sb = state(b / "state.pt")
    for k, v in sb["model"].items():
        assert torch.equal(v, s3["model"][k]), k
    # an existing run is not overwritten without --resume
    assert fit(tiny_corpus, tiny_config, b) == 2


def _ddp_worker(rank, port, corpus, config, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2",
                      LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    code = main(["fit", "--data", corpus, "--out", out, "--config", config, "--quiet", "--device", "cpu",
                 "--epochs", "2"])
    if code:
        raise SystemExit(code)


def test_ddp_two_cpu_processes_stay_in_sync(tiny_corpus, tiny_config, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "ddp"
    torch.multiprocessing.spawn(_ddp_worker, args=(port, str(tiny_corpus), str(tiny_config), str(out)), nprocs=2)
    info = json.loads((out / "run.json").read_text())
    assert info["distributed_world_size"] == 2
    assert len(info["rank_digests"]) == 2 and info["rank_digests"][0] == info["rank_digests"][1]
    # the digest is of the weights actually saved
    from train.trainer import parameter_digest

    sd = state(out / "state.pt")
    module = torch.nn.Module()
    for i, v in enumerate(sd["model"].values()):
        module.register_parameter(f"p{i}", torch.nn.Parameter(v))
    assert parameter_digest(module) == info["rank_digests"][0]


def test_karras_ensemble_members_train_from_different_seeds(tiny_corpus, tiny_config, tmp_path):
    assert fit(tiny_corpus, tiny_config, tmp_path / "k", "--model", "karras", "--characters", "arthur",
               "--epochs", "2") == 0
    m0, m1 = (state(tmp_path / "k" / "karras" / "arthur" / f"member{m}.pt") for m in (0, 1))
    assert m0["epoch"] == m1["epoch"] == 2
    assert not torch.equal(m0["model"]["net.mfl.formant.0.weight"], m1["model"]["net.mfl.formant.0.weight"])


def test_unknown_character_and_freeze_without_init_are_refused(tiny_corpus, tiny_config, tmp_path):
    assert fit(tiny_corpus, tiny_config, tmp_path / "x", "--characters", "nobody") == 2
    assert fit(tiny_corpus, tiny_config, tmp_path / "y", "--freeze-mfl") == 2


@pytest.fixture(scope="module")
def arthur_model(tiny_corpus, tiny_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("arthur")
    assert fit(tiny_corpus, tiny_config, out / "run", "--characters", "arthur") == 0
    assert main(["export", str(out / "run"), "--out", str(out / "arthur.npz")]) == 0
    return out / "arthur.npz"


def test_init_freeze_mfl_trains_only_the_new_head(tiny_corpus, tiny_config, arthur_model, tmp_path):
    from multanet_core.checkpoint import load_checkpoint

    run = tmp_path / "add"
    assert fit(tiny_corpus, tiny_config, run, "--init", str(arthur_model), "--freeze-mfl",
               "--characters", "beatrix", "--epochs", "2") == 0
    old = load_checkpoint(arthur_model)
    sd = state(run / "state.pt")["model"]
    a = old.network.articulation_channels
    for name, value in old.weights.items():
        got = sd[f"net.{name}"].numpy()
        if name.endswith("coeff.weight"):
            assert np.array_equal(got[:, : a + 1], value) and not got[:, a + 1:].any()
        else:
            assert np.array_equal(got, value), name
    assert np.array_equal(sd["net.heads.0.out.weight"].numpy().T, old.heads[0].basis)
    assert sd["emotions"].shape[0] == json.loads((run / "run.json").read_text())["train_frames"]
    assert main(["export", str(run), "--out", str(tmp_path / "both.npz")]) == 0
    both = load_checkpoint(tmp_path / "both.npz")
    assert [h.name for h in both.heads] == ["arthur", "beatrix"]
    assert both.heads[0].presets == old.heads[0].presets
    # arthur animates exactly as before; the new head is trained (differs from its PCA start)
    from multanet_core.audio import load_speech
    from multanet_core.inference import Animator
    from tests.conftest import SPEECH_EN

    speech = load_speech(SPEECH_EN)[:16000 * 2]
    before = Animator(old, "arthur").coefficients(speech, 30.0)
    after = Animator(both, "arthur").coefficients(speech, 30.0)
    assert np.allclose(before, after, rtol=1e-5, atol=1e-6)
    assert "beatrix" in both.info["characters_trained"] and both.info["init"] == str(arthur_model)
    shutil.rmtree(run)


def test_epoch_fraction_above_one_draws_several_shuffles(tiny_corpus, tiny_config, tmp_path):
    assert fit(tiny_corpus, tiny_config, tmp_path / "f", "--epochs", "1", "--epoch-fraction", "2.5",
               "--characters", "arthur") == 0
    info = json.loads((tmp_path / "f" / "run.json").read_text())
    pairs = info["train_frames"] - info["train_sequences"]  # every frame but each sequence's last starts a pair
    assert info["history"][0]["frames"] == 2 * round(2.5 * pairs)


def test_bilabial_frames_follow_the_phone_timeline(tiny_corpus):
    from train.data import open_dataset
    from train.training_data import bilabial_frames, load_frames

    assert bilabial_frames([[0.0, 0.1, "_"], [0.1, 0.2, "m"], [0.2, 0.3, "a"], [0.3, 0.4, "B"]], 30.0, 13).tolist() == \
        [False] * 3 + [True] * 3 + [False] * 3 + [True] * 3 + [False]
    assert not bilabial_frames(None, 30.0, 5).any()
    # a forced alignment's P/B/M is uncertain by a frame or two: code 2, widened by ALIGNED_PAD frames
    from train.training_data import ALIGNED_PAD, bilabial_codes

    timeline = [[0.0, 0.2, "_"], [0.2, 0.3, "m"], [0.3, 0.6, "a"]]
    assert bilabial_codes({"phonemes": timeline}, 30.0, 18).tolist() == [0] * 6 + [1] * 3 + [0] * 9
    aligned = bilabial_codes({"phonemes": timeline, "alignment": "dtw-espeak"}, 30.0, 18)
    # the rest of a forced alignment's frames: code 3 (pseudo ground truth, weighed by aligned_frame_weight)
    assert aligned.tolist() == [3] * (6 - ALIGNED_PAD) + [2] * (3 + 2 * ALIGNED_PAD) + [3] * (9 - ALIGNED_PAD)
    ds = open_dataset(tiny_corpus)
    from multanet_core.lpc import FeatureConfig
    from train.features_cache import default_cache_dir

    cfg = FeatureConfig()
    data = load_frames(ds, ["arthur"], "train", cfg, default_cache_dir(tiny_corpus, cfg))
    # every frame marked lies inside a p/b/m of its sequence's espeak timeline, and English speech has some
    assert 0.01 < data.bilabial.mean() < 0.2
    first = data.seq == 0
    phones = data.sequences[0].metadata()["phonemes"]
    t = np.flatnonzero(data.bilabial[first]) / ds.fps
    assert all(any(s <= x < e and p.strip("ˈˌː")[:1] in "pbm" for s, e, p in phones) for x in t)


def test_bilabial_weight_changes_training_only_from_its_epoch(tiny_corpus, tiny_config, tmp_path):
    cfg = json.loads(open(tiny_config).read())
    weighted = tmp_path / "weighted.json"
    weighted.write_text(json.dumps({**cfg, "bilabial_weight": [[0, 1.0], [2, 5.0]]}))
    assert fit(tiny_corpus, tiny_config, tmp_path / "a", "--stop-after", "2") == 0
    assert fit(tiny_corpus, weighted, tmp_path / "b", "--stop-after", "2") == 0
    a2, b2 = state(tmp_path / "a" / "state.pt"), state(tmp_path / "b" / "state.pt")
    assert all(torch.equal(v, b2["model"][k]) for k, v in a2["model"].items())  # weight 1 until epoch 2: same
    assert fit(tiny_corpus, tiny_config, tmp_path / "a", "--resume") == 0
    assert fit(tiny_corpus, weighted, tmp_path / "b", "--resume") == 0
    a3, b3 = state(tmp_path / "a" / "state.pt"), state(tmp_path / "b" / "state.pt")
    assert any(not torch.equal(v, b3["model"][k]) for k, v in a3["model"].items())


def test_warm_start_trains_on_from_an_exported_checkpoint(tiny_corpus, tiny_config, arthur_model, tmp_path, capsys):
    """--warm-start: the exported model is where training starts (with the learning rate at 0 the run's
    state is the checkpoint's weights), every head trains, and a checkpoint that does not match the data
    is refused."""
    from multanet_core.checkpoint import load_checkpoint, save_checkpoint
    from tests.conftest import TINY_CONFIG
    from train.random_heads import numpy_checkpoint

    old = load_checkpoint(arthur_model)
    still = tmp_path / "still.json"
    still.write_text(json.dumps({**TINY_CONFIG, "epochs": 1, "lr_schedule": [[0, 0.0]]}))
    assert fit(tiny_corpus, still, tmp_path / "zero", "--warm-start", str(arthur_model), "--characters",
               "arthur") == 0
    sd = state(tmp_path / "zero" / "state.pt")["model"]
    heads = np.load(tmp_path / "zero" / "heads.npz")
    offset, scale = heads["0.offset"], float(heads["0.scale"])
    np.testing.assert_allclose(sd["net.heads.0.out.weight"].numpy().T * scale, old.heads[0].basis, atol=1e-6)
    np.testing.assert_allclose(offset + scale * sd["net.heads.0.out.bias"].numpy(), old.heads[0].mean, atol=1e-6)
    for name, value in old.weights.items():
        assert np.array_equal(sd[f"net.{name}"].numpy(), value), name
    assert json.loads((tmp_path / "zero" / "run.json").read_text())["warm_start"] == str(arthur_model)
    # two epochs on: every layer moves, the output layer included (nothing frozen)
    run = tmp_path / "on"
    assert fit(tiny_corpus, tiny_config, run, "--warm-start", str(arthur_model), "--characters", "arthur",
               "--epochs", "2") == 0
    sd = state(run / "state.pt")["model"]
    scale = float(np.load(run / "heads.npz")["0.scale"])
    assert not np.allclose(sd["net.heads.0.out.weight"].numpy().T * scale, old.heads[0].basis, atol=1e-6)
    assert not np.array_equal(sd["net.mfl.formant.0.weight"].numpy(), old.weights["mfl.formant.0.weight"])
    assert main(["export", str(run), "--out", str(tmp_path / "on.npz")]) == 0
    assert load_checkpoint(tmp_path / "on.npz").info["warm_start"] == str(arthur_model)
    # resumed with another checkpoint than it started from: refused, the run untouched (that file's means and
    # bases would set another target normalisation under the saved output layers); with its own file it goes on
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    capsys.readouterr()
    assert fit(tiny_corpus, tiny_config, run, "--warm-start", str(tmp_path / "on.npz"), "--characters", "arthur",
               "--epochs", "3", "--resume") == 2
    assert f"than {tmp_path / 'on.npz'} (sha256 " in capsys.readouterr().err
    assert fit(tiny_corpus, tiny_config, run, "--characters", "arthur", "--epochs", "3", "--resume") == 2
    assert "than no --init/--warm-start: the checkpoint's means and bases" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before
    assert fit(tiny_corpus, tiny_config, run, "--warm-start", str(arthur_model), "--characters", "arthur",
               "--epochs", "3", "--resume") == 0
    assert json.loads((run / "run.json").read_text())["epochs_done"] == 3
    from multanet_core.__main__ import main as core_main

    capsys.readouterr()
    assert core_main(["info", str(tmp_path / "on.npz")]) == 0
    assert "from      a model of config tiny, 3 epochs (a warm start)" in capsys.readouterr().out
    # refused: a character the checkpoint lacks, --init beside it, a mesh of another size
    capsys.readouterr()
    assert fit(tiny_corpus, tiny_config, tmp_path / "a", "--warm-start", str(arthur_model)) == 2  # + beatrix
    assert "not in the checkpoint: beatrix" in capsys.readouterr().err
    assert fit(tiny_corpus, tiny_config, tmp_path / "b", "--warm-start", str(arthur_model), "--init",
               str(arthur_model), "--characters", "arthur") == 2
    assert "choose one" in capsys.readouterr().err
    wrong = numpy_checkpoint(characters=1, vertices=300, components=8, seed=1)  # 299 vertices in fact
    wrong.heads[0].name = "arthur"
    save_checkpoint(tmp_path / "wrong.npz", wrong)
    assert fit(tiny_corpus, tiny_config, tmp_path / "c", "--warm-start", str(tmp_path / "wrong.npz"),
               "--characters", "arthur") == 2
    assert "head 'arthur' has 299 vertices, the data's 'arthur' has 989" in capsys.readouterr().err


def test_rig_head_trains_behind_the_frozen_mfl_and_exports_named_weights(tiny_corpus, tiny_config, arthur_model,
                                                                         tmp_path, capsys):
    """--init --freeze-mfl --rig-head: a rig head learns the ARKit weights of the corpus's curves from the
    shared network's features; the mesh head and the network are untouched; export gives a format-3 rig head."""
    from multanet_core.audio import load_speech
    from multanet_core.checkpoint import load_checkpoint
    from multanet_core.inference import Animator
    from multanet_core.rig_names import ARKIT_52
    from tests.conftest import SPEECH_EN

    run = tmp_path / "rig"
    assert fit(tiny_corpus, tiny_config, run, "--init", str(arthur_model), "--freeze-mfl", "--rig-head", "arkit",
               "--epochs", "4") == 0
    info = json.loads((run / "run.json").read_text())
    assert info["characters"] == ["arkit"] and info["rig_sources"] == ["arthur", "beatrix"]
    assert info["heads"] == ["arthur", "arkit"] and info["components"][1] == 8
    assert main(["export", str(run), "--out", str(tmp_path / "rig.npz")]) == 0
    from multanet_core.__main__ import main as core_main

    capsys.readouterr()
    assert core_main(["info", str(tmp_path / "rig.npz")]) == 0
    assert "added     head(s) arkit to a model trained with config tiny, 3 epochs" in capsys.readouterr().out
    old, both = load_checkpoint(arthur_model), load_checkpoint(tmp_path / "rig.npz")
    rig = both.head("arkit")
    assert rig.is_rig and rig.weight_names == ARKIT_52 and list(rig.presets) == ["neutral"]
    speech = load_speech(SPEECH_EN)
    np.testing.assert_allclose(Animator(both, "arthur").coefficients(speech, 30.0),
                               Animator(old, "arthur").coefficients(speech, 30.0), rtol=1e-5, atol=1e-6)
    animator = Animator(both, "arkit")
    weights = animator.weights(animator.coefficients(speech, 30.0))
    assert weights.shape[1] == 52 and weights.min() >= 0 and weights.max() <= 1
    # its targets are the corpus curves through the ARKit table, over both characters' speech
    from train.data import open_dataset
    from train.rig_targets import arkit_weights

    ds = open_dataset(tiny_corpus)
    truth = np.concatenate([arkit_weights(*ds.load_articulation(s)) for c in ("arthur", "beatrix")
                            for s in ds.sequences("train", c)])
    with np.load(run / "heads.npz") as z:
        np.testing.assert_allclose(z["1.offset"], truth.mean(0), atol=0.01)  # the PCA mean (of 500 frames)
    assert truth[:, ARKIT_52.index("jawOpen")].max() > 0.5
    pos = [h["position"] for h in info["history"]]
    assert pos[-1] < pos[0], pos  # it learns (the tiny network says little about the audio: no more here)
    # evaluate-rig: figures on a corpus split and on a real recording with its phones
    real = tmp_path / "real"
    real.mkdir()
    for suffix in (".flac", ".json"):
        source = os.path.join(os.path.dirname(__file__), "..", "data", "real_speech", f"cmuarctic_slt_a0009{suffix}")
        shutil.copy(source, real / f"slt{suffix}")
    # a clip of the locked test split: left out unless --real-split test or all asks for it
    shutil.copy(os.path.join(os.path.dirname(__file__), "..", "data", "real_speech", "praatio_bobby.flac"),
                real / "locked.flac")
    (real / "locked.json").write_text(json.dumps({"split": "test", "phones": [[0.0, 1.0, "sil"]]}))
    assert main(["evaluate-rig", "--checkpoint", str(tmp_path / "rig.npz"), "--data", str(tiny_corpus),
                 "--split", "test", "--split", "unseen", "--real", str(real), "--chain",
                 "--json", str(tmp_path / "r.json")]) == 0
    figures = json.loads((tmp_path / "r.json").read_text())
    assert figures["head"] == "arkit" and set(figures["splits"]) == {"test", "unseen"}
    test = figures["splits"]["test"]
    assert test["sequences"] == 2 and 0 <= test["mae"] < 1 and 0 < test["rest_mae"] < 1
    assert set(test["per_name_mae"]) >= {"jawOpen", "mouthPressLeft"}
    assert [c["clip"] for c in figures["real"]["clips"]] == ["slt"] and figures["real"]["press_pbm"] is not None
    assert 0 <= figures["real"]["jaw_in_pauses"] <= 1 and figures["real"]["jaw_minus_close_pbm_vowel"] is not None
    # --script: the clip baked with its own text, whose pauses rest the rig head as the text's alignment says
    assert main(["evaluate-rig", "--checkpoint", str(tmp_path / "rig.npz"), "--real", str(real), "--script",
                 "--json", str(tmp_path / "s.json")]) == 0
    scripted = json.loads((tmp_path / "s.json").read_text())["real"]
    assert scripted["script"] is True and figures["real"]["script"] is False
    assert scripted["jaw_in_pauses"] != figures["real"]["jaw_in_pauses"]
    chain = test["chain"]["lve"]  # arthur's test sequence: the keys built from its rig carry its motion
    assert test["chain"]["sequences"] == 1 and chain["keys_from_truth"] < 0.2 * chain["static"], chain
    assert main(["evaluate-rig", "--checkpoint", str(arthur_model), "--data", str(tiny_corpus)]) == 2  # no rig head
    # refused: --init without --freeze-mfl, a name the checkpoint has, a warm start of a model with rig heads
    capsys.readouterr()
    assert fit(tiny_corpus, tiny_config, tmp_path / "x2", "--init", str(arthur_model), "--rig-head", "arkit") == 2
    assert "leave the model's mesh heads behind" in capsys.readouterr().err
    assert fit(tiny_corpus, tiny_config, tmp_path / "y", "--init", str(arthur_model), "--freeze-mfl",
               "--rig-head", "arthur") == 2
    assert "already has head(s) arthur" in capsys.readouterr().err
    # a warm start of the model with its rig head trains both on, jointly: the rig head starts from its own
    # trained layers, not a fresh PCA, and hears arthur's speech beside the mesh head
    assert fit(tiny_corpus, tiny_config, tmp_path / "z", "--warm-start", str(tmp_path / "rig.npz"),
               "--rig-head", "other", "--characters", "arthur") == 2
    assert "it has rig head 'arkit', which the warm start trains on" in capsys.readouterr().err
    still = tmp_path / "still.json"  # learning rate 0: the run must give back the model it started from
    still.write_text(json.dumps({**json.loads(tiny_config.read_text()), "lr_schedule": [[0, 0.0]]}))
    assert fit(tiny_corpus, still, tmp_path / "z", "--warm-start", str(tmp_path / "rig.npz"),
               "--characters", "arthur", "--epochs", "1") == 0
    info = json.loads((tmp_path / "z" / "run.json").read_text())
    assert info["heads"] == ["arthur", "arkit"] and info["weight_names"] == {"arkit": list(ARKIT_52)}
    assert info["frames_per_character"][0] == info["frames_per_character"][1]
    assert main(["export", str(tmp_path / "z"), "--out", str(tmp_path / "z.npz")]) == 0
    before, after = load_checkpoint(tmp_path / "rig.npz"), load_checkpoint(tmp_path / "z.npz")
    assert [h.name for h in after.heads] == ["arthur", "arkit"] and after.head("arkit").weight_names == ARKIT_52
    for name in ("arthur", "arkit"):
        np.testing.assert_allclose(after.head(name).basis, before.head(name).basis, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(after.head(name).mean, before.head(name).mean, atol=1e-6)
    for key, value in before.weights.items():
        np.testing.assert_allclose(after.weights[key], value, atol=1e-6, err_msg=key)


def test_captured_motion_gives_rig_targets_through_the_solve_onto_its_own_keys(arthur_model, tiny_config, tmp_path):
    """A dataset without articulation curves (captured data) trains a rig head on its characters' own shape
    keys: each sequence's vertices solved onto them (bounded least squares) give the targets of the
    ARKit names the keys match."""
    from multanet_core.audio import load_speech
    from multanet_core.rig_names import ARKIT_52
    from tests.conftest import SPEECH_EN
    from train.data import open_dataset
    from train.data.base import Template
    from train.data.folder import write_dataset_json, write_sequence, write_template
    from train.training_data import _rig_targets

    rng = np.random.default_rng(0)
    root = tmp_path / "captured"
    verts = rng.standard_normal((120, 3)).astype(np.float32) * 0.05
    write_template(root, Template(name="ada", vertices=verts, lip_indices=np.arange(10, dtype=np.int32),
                                  upper_face_indices=np.arange(10, 20, dtype=np.int32)))
    names = ["Jaw_Open", "Mouth_Smile_L", "Mouth_Smile_R", "Brow_Inner_Up_L", "Brow_Inner_Up_R"]
    offsets = rng.standard_normal((5, 120, 3)).astype(np.float32) * 0.01
    np.savez(root / "ada" / "rig_keys.npz", names=np.array(names), offsets=offsets)
    speech = load_speech(SPEECH_EN)
    truth = {}
    for i in range(2):
        t = np.arange(90) / 30.0
        smile, brow = 0.4 + 0.3 * np.cos(2 * t), 0.5 + 0.3 * np.sin(t)
        w = np.clip(np.stack([0.5 + 0.5 * np.sin(3 * t + i), smile, smile, brow, brow], 1), 0, 1).astype(np.float32)
        motion = verts[None] + np.einsum("tk,kvc->tvc", w, offsets)
        write_sequence(root, "ada", "train", f"s{i}", speech[:48000], 16000, motion, {"language": "en"})
        truth[f"s{i}"] = w
    write_dataset_json(root, {"fps": 30, "characters": ["ada"], "splits": ["train"]})
    ds = open_dataset(root)
    assert ds.rig_keys("ada") is ds.rig_keys("ada")  # read once for all of the character's sequences
    for seq in ds.sequences(split="train"):
        got = _rig_targets(ds, seq, ARKIT_52)
        assert got.shape == (90, 52)
        driven = ["jawOpen", "mouthSmileLeft", "mouthSmileRight", "browInnerUp"]  # the brow: both its halves
        for j, name in enumerate(driven):
            np.testing.assert_allclose(got[:, ARKIT_52.index(name)], truth[seq.id][:, j], atol=0.02)
        assert not np.delete(got, [ARKIT_52.index(n) for n in driven], axis=1).any()
    # and a rig head trains on it end to end
    assert fit(root, tiny_config, tmp_path / "run", "--init", str(arthur_model), "--freeze-mfl", "--rig-head",
               "arkit", "--epochs", "1") == 0
    (root / "ada" / "rig_keys.npz").unlink()  # neither curves nor keys: a clear error
    with pytest.raises(ValueError, match="no articulation curves and no shape keys of character 'ada'"):
        _rig_targets(open_dataset(root), ds.sequences(split="train")[0], ARKIT_52)


def test_a_rig_head_trains_jointly_with_the_mesh_heads(tiny_corpus, tiny_config, arthur_model, tmp_path, capsys):
    """--rig-head without --init: one network, the mesh heads and the rig head in the same multi-task
    batches; with --warm-start: the model's heads trained on with a new rig head beside them."""
    from multanet_core.checkpoint import load_checkpoint

    run = tmp_path / "joint"
    assert fit(tiny_corpus, tiny_config, run, "--rig-head", "arkit", "--epochs", "2") == 0
    info = json.loads((run / "run.json").read_text())
    assert info["heads"] == ["arthur", "beatrix", "arkit"] and info["characters"] == info["heads"]
    counts = info["frames_per_character"]
    assert counts[2] == counts[0] + counts[1]  # the rig head hears every character's speech again
    from train.data import open_dataset
    from train.rig_targets import arkit_weights

    ds = open_dataset(tiny_corpus)  # its targets are the curves of those same frames
    truth = np.concatenate([arkit_weights(*ds.load_articulation(s)) for c in ("arthur", "beatrix")
                            for s in ds.sequences("train", c)])
    with np.load(run / "heads.npz") as z:
        np.testing.assert_allclose(z["2.offset"], truth.mean(0), atol=0.01)
        assert z["0.offset"].shape == (3 * 989,)  # and the mesh heads keep their own
    assert main(["export", str(run), "--out", str(tmp_path / "joint.npz")]) == 0
    joint = load_checkpoint(tmp_path / "joint.npz")
    assert [h.is_rig for h in joint.heads] == [False, False, True] and joint.head("arkit").weight_names[17] == "jawOpen"
    assert len(joint.head("arthur").presets) > 1  # mesh heads keep their clustered presets
    warm = tmp_path / "warm"
    assert fit(tiny_corpus, tiny_config, warm, "--warm-start", str(arthur_model), "--characters", "arthur",
               "--rig-head", "arkit", "--epochs", "1") == 0
    assert json.loads((warm / "run.json").read_text())["heads"] == ["arthur", "arkit"]
    capsys.readouterr()
    assert fit(tiny_corpus, tiny_config, tmp_path / "clash", "--rig-head", "beatrix") == 2
    assert "the data has a character of that name" in capsys.readouterr().err


def test_a_large_batch_takes_fewer_steps_at_the_scaled_learning_rate(tiny_corpus, tiny_config, tmp_path):
    assert fit(tiny_corpus, tiny_config, tmp_path / "small", "--epochs", "1") == 0
    assert fit(tiny_corpus, tiny_config, tmp_path / "big", "--epochs", "1", "--batch-pairs", "64") == 0
    small, big = (json.loads((tmp_path / n / "run.json").read_text()) for n in ("small", "big"))
    assert big["config"]["batch_pairs"] == 64 and big["config"]["lr_rule"] == {
        "rule": "sqrt", "from_batch_pairs": 16, "factor": 2.0}
    assert big["config"]["lr_schedule"] == [[0, 0.006], [2, 0.002]]
    assert big["history"][0]["frames"] == small["history"][0]["frames"]  # the same frames in 1/4 of the steps
    assert fit(tiny_corpus, tiny_config, tmp_path / "bad", "--batch-pairs", "0") == 2
    assert not (tmp_path / "bad" / "run.json").exists()
