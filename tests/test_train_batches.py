"""The device-side data path of training: epoch plans, chunked gathers, the device loss normaliser,
the large-batch rule, PCA in torch, and a step loop that never waits for the device."""

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

import train.trainer as trainer
from multanet_core.lpc import FeatureConfig
from train.batches import FrameSource, config_repeat, pair_repeat, plan_epoch
from train.config import load_config, with_batch
from train.data.base import Template
from train.losses import (
    LossNormaliser,
    coordinate_weights,
    motion_loss,
    row_errors,
    row_weights,
    weighted_motion_loss,
    weighted_position_loss,
)
from train.model import TrainingModel, make_spec
from train.networks_torch import MulTaNet
from train.pca import pca, pca_on_device
from train.trainer import Job, lip_coordinates, parameter_digest, rig_row_weight, train
from train.training_data import FrameData

FEATURES = FeatureConfig(level="log_energy")
VERTS = [40, 55, 70]


def frame_data(per: int = 240, variants: int = 3) -> FrameData:
    rng = np.random.default_rng(0)
    n_chars = len(VERTS)
    frames = n_chars * per
    # three sequences per character, frames of a sequence contiguous; windows overlap as in real grids
    return FrameData(characters=[f"c{i}" for i in range(n_chars)],
                     templates=[Template(f"c{i}", np.zeros((v, 3), np.float32)) for i, v in enumerate(VERTS)],
                     grid=rng.standard_normal((variants, 2 * frames + 64, FEATURES.width)).astype(np.float32),
                     win=np.arange(frames) * 2, char=np.repeat(np.arange(n_chars), per),
                     row=np.tile(np.arange(per), n_chars), seq=np.repeat(np.arange(3 * n_chars), per // 3),
                     targets=[rng.standard_normal((per, 3 * v)).astype(np.float32) for v in VERTS], sequences=[],
                     n_frames=FEATURES.n_frames, bilabial=rng.random(frames) < 0.1)


def test_an_epoch_plan_holds_sorted_pairs_of_one_sequence_and_one_variant_per_pair():
    data = frame_data()
    plan = plan_epoch(data, [2, 0, 1], seed=3, epoch=1, batch=16, fraction=0.8, clean_share=0.25)
    assert plan.n_steps == math.ceil(round(len(data.pairs) * 0.8) / 16)
    pairs = plan.rows.reshape(-1, 2)
    assert (pairs[:, 1] == pairs[:, 0] + 1).all() and (data.seq[pairs[:, 0]] == data.seq[pairs[:, 1]]).all()
    assert len(np.unique(pairs[:, 0])) == len(pairs)  # a fraction below 1 draws no pair twice
    v = plan.variant.reshape(-1, 2)
    assert (v[:, 0] == v[:, 1]).all() and 0.15 < (v[:, 0] == 0).mean() < 0.35 and set(v[:, 0]) == {0, 1, 2}
    for s in range(plan.n_steps):
        rows = plan.rows[plan.starts[s]:plan.starts[s + 1]]
        assert (np.diff(data.char[rows]) >= 0).all()
        covered = []
        for head, c, g0, g1 in plan.groups[s]:
            assert (data.char[rows[g0:g1]] == c).all() and head == [2, 0, 1][c]
            covered.extend(range(g0, g1))
        assert covered == list(range(len(rows)))
    again = plan_epoch(data, [2, 0, 1], seed=3, epoch=1, batch=16, fraction=0.8, clean_share=0.25)
    other = plan_epoch(data, [2, 0, 1], seed=3, epoch=2, batch=16, fraction=0.8, clean_share=0.25)
    assert (again.rows == plan.rows).all() and (again.variant == plan.variant).all()  # seed and epoch alone
    assert not np.array_equal(other.rows, plan.rows)


def test_ranks_split_each_global_batch_between_them():
    data = frame_data()
    whole = plan_epoch(data, [0, 1, 2], 0, 0, batch=12, fraction=0.5, clean_share=1.0)
    halves = [plan_epoch(data, [0, 1, 2], 0, 0, batch=12, fraction=0.5, clean_share=1.0, rank=r, n_ranks=2)
              for r in range(2)]
    for s in range(whole.n_steps):
        mine = [set(h.rows[h.starts[s]:h.starts[s + 1]:2].tolist()) for h in halves]  # first frames of pairs
        assert not mine[0] & mine[1]
        assert mine[0] | mine[1] == set(whole.rows[whole.starts[s]:whole.starts[s + 1]:2].tolist())


@pytest.mark.parametrize("budget", [None, 1])  # resident, and streamed from the host
@pytest.mark.parametrize("chunk", [1, 5, 64])
def test_chunks_gather_each_steps_windows_targets_and_marks(budget, chunk):
    data = frame_data()
    plan = plan_epoch(data, [0, 1, 2], seed=1, epoch=0, batch=10, fraction=0.7, clean_share=0.5)
    source = FrameSource(data, torch.device("cpu"), max_device_bytes=budget)
    assert source.resident == (budget is None)
    current = None
    for s in range(plan.n_steps):
        if current is None or s >= current.first_step + chunk:
            current = source.chunk(plan, s, chunk)
        x, frames, bilabial, _, targets = source.step(plan, current, s)
        rows = plan.rows[plan.starts[s]:plan.starts[s + 1]]
        assert np.array_equal(x.numpy(), data.windows(rows, plan.variant[plan.starts[s]:plan.starts[s + 1]]))
        assert np.array_equal(frames.numpy(), rows) and np.array_equal(bilabial.numpy(), data.bilabial[rows])
        for (_, c, g0, g1), t in zip(plan.groups[s], targets, strict=True):
            assert np.array_equal(t.numpy(), data.targets[c][data.row[rows[g0:g1]]])


def test_the_device_normaliser_computes_karras_normalisation_and_round_trips():
    norm = LossNormaliser(("a", "b"), beta=0.9)
    ema = [0.0, 0.0]
    for step, (a, b) in enumerate([(2.0, 0.5), (1.0, 0.25), (4.0, 1.0)], 1):
        norm.update(torch.tensor([a, b], dtype=torch.float32))
        ema = [0.9 * e + 0.1 * v ** 2 for e, v in zip(ema, (a, b), strict=True)]
        want = [1 / ((e / (1 - 0.9 ** step)) ** 0.5 + 1e-12) for e in ema]
        assert norm.scales().tolist() == pytest.approx(want, rel=1e-12)
    terms = {"a": torch.tensor(3.0), "b": torch.tensor(5.0)}
    assert float(norm.total(terms, {"b": 2.0})) == pytest.approx(3 * want[0] + 2 * 5 * want[1], rel=1e-6)
    copy = LossNormaliser(("a", "b"), beta=0.9)
    copy.load_state_dict(norm.state_dict())
    assert torch.equal(copy.ema, norm.ema) and copy.steps == 3


def test_the_large_batch_rule_scales_the_learning_rates():
    config = load_config("small")
    base = int(config["batch_pairs"])
    big = with_batch(config, 4 * base)
    assert big["batch_pairs"] == 4 * base and big["lr_rule"]["factor"] == 2.0
    assert [lr for _, lr in big["lr_schedule"]] == [2 * lr for _, lr in config["lr_schedule"]]
    assert with_batch(config, 4 * base, "linear")["lr_schedule"][0][1] == 4 * config["lr_schedule"][0][1]
    assert with_batch(config, 4 * base, "none")["lr_schedule"] == config["lr_schedule"]
    with pytest.raises(ValueError, match="at least 1"):
        with_batch(config, 0)
    with pytest.raises(ValueError, match="rule"):
        with_batch(config, 8, "cubic")


def test_pca_in_torch_agrees_with_numpy():
    rng = np.random.default_rng(1)
    latent = rng.standard_normal((900, 6)) * np.array([6, 4, 3, 2, 1, 0.5])
    frames = (latent @ rng.standard_normal((6, 120)) + rng.standard_normal(120)).astype(np.float32)
    mean_np, basis_np = pca(frames, 8, max_frames=500)
    mean_t, basis_t = pca_on_device(frames, 8, torch.device("cpu"), max_frames=500)
    assert np.allclose(mean_t, mean_np, atol=1e-5)
    assert np.allclose(np.linalg.norm(basis_t[:6], axis=1), np.linalg.norm(basis_np[:6], axis=1), rtol=1e-4)
    # same directions up to sign
    cos = np.abs(np.sum(basis_t[:6] * basis_np[:6], 1)) / np.linalg.norm(basis_np[:6], axis=1) ** 2
    assert np.allclose(cos, 1, atol=1e-4)


def job_digest(steps_per_chunk: int | None = None, budget: int | None = None, monkeypatch=None,
               epochs: int = 2, lips: bool = False, rig: bool = False, aligned: bool = False,
               **extra) -> tuple[str, list]:
    data = frame_data()
    if aligned:  # every third sequence a forced alignment's: its P/B/M code 2, its other frames code 3
        pool = data.seq % 3 == 0
        data.bilabial = np.where(pool, np.where(data.bilabial, 2, 3), data.bilabial).astype(np.uint8)
    if rig:  # the last character has no template, as a rig head's has not
        data.templates = data.templates[:-1]
    if lips:  # every character's first fifth of vertices are its lips
        data.templates = [Template(t.name, t.vertices, lip_indices=np.arange(len(t.vertices) // 5, dtype=np.int32))
                          for t in data.templates]
    config = load_config("small")
    config.update(epochs=epochs, freeze_head_epochs=1, epoch_fraction=0.6, checkpoint_every=1, batch_pairs=12,
                  augment={"variants": 2, "clean_share": 0.3, "seed": 0}, bilabial_weight=[[0, 1.0], [1, 4.0]],
                  network={"formant_channels": [8, 8, 8, 8, 8], "articulation_channels": 16, "activation": "relu"},
                  components=6, features={"level": "log_energy"})
    config.update(extra)
    if steps_per_chunk is not None:
        monkeypatch.setattr(trainer, "CHUNK_STEPS", steps_per_chunk)
    rng = np.random.default_rng(5)
    torch.manual_seed(0)
    net = MulTaNet(make_spec("multanet", config, FEATURES, len(VERTS)), [np.zeros(3 * v, np.float32) for v in VERTS],
                   [(rng.standard_normal((6, 3 * v)) * 0.1).astype(np.float32) for v in VERTS])
    model = TrainingModel(net, data.n, net.spec.emotion_dim, 0.01, 0)
    with tempfile.TemporaryDirectory() as tmp:
        job = Job(model=model, data=data, head_of=[0, 1, 2], trainable=list(model.parameters()),
                  frozen_early=[p for h in net.heads for p in h.out.parameters()], state_path=Path(tmp) / "s.pt",
                  seed=0)
        summary = train(job, config, torch.device("cpu"), quiet=True, max_device_bytes=budget)
    return parameter_digest(model), summary["history"]


def test_chunking_and_streaming_do_not_change_training(monkeypatch):
    digest, history = job_digest(3, monkeypatch=monkeypatch)
    assert job_digest(32, monkeypatch=monkeypatch)[0] == digest
    assert job_digest(5, budget=1, monkeypatch=monkeypatch)[0] == digest
    assert history[1]["position"] < history[0]["position"]


def test_lip_weights_count_the_lip_coordinates_more_in_a_frames_mean():
    w = coordinate_weights(np.array([1, 3]), 5, 4.0)
    assert w.shape == (15,) and w.mean() == pytest.approx(1.0)
    assert np.allclose(w.reshape(5, 3)[[1, 3]], 4 * w[0]) and np.allclose(w.reshape(5, 3)[[0, 2, 4]], w[0])
    rng = np.random.default_rng(2)
    pred, target = (torch.from_numpy(rng.standard_normal((6, 15)).astype(np.float32)) for _ in range(2))
    plain = (pred - target).square().mean(1)
    assert torch.allclose(row_errors(pred, target), plain)
    weighted = row_errors(pred, target, torch.from_numpy(w))
    d2 = (pred - target).square().numpy().reshape(6, 5, 3)
    assert np.allclose(weighted.numpy(), (d2 * w.reshape(5, 3)).reshape(6, -1).mean(1), rtol=1e-6)
    same = torch.full((6, 15), 2.0)  # every coordinate off by 2: the weighted mean is the plain one
    assert torch.allclose(row_errors(same, torch.zeros(6, 15), torch.from_numpy(w)), torch.full((6,), 4.0))
    rows = torch.tensor([1.0, 5.0, 1.0, 1.0, 5.0, 1.0])
    assert float(weighted_position_loss(pred, target, rows, rows.sum(), torch.from_numpy(w))) == pytest.approx(
        float((weighted * rows).sum() / rows.sum()), rel=1e-6)


def test_a_lip_weight_of_one_is_the_plain_loss_and_a_rig_head_keeps_it():
    data = frame_data()
    assert lip_coordinates(data, 4.0, torch.device("cpu")) == {}  # no template marks lips
    data.templates = [Template(t.name, t.vertices, lip_indices=np.arange(3, dtype=np.int32))
                      for t in data.templates[:2]]
    coords = lip_coordinates(data, 4.0, torch.device("cpu"))
    assert sorted(coords) == [0, 1]  # the third character has no template, as a rig head's has not
    assert lip_coordinates(data, 1.0, torch.device("cpu")) == {}
    for bad in (0.0, -2.0, float("nan")):
        with pytest.raises(ValueError, match="lip_weight"):
            lip_coordinates(data, bad, torch.device("cpu"))
    plain, plain_history = job_digest()
    assert job_digest(lips=True, lip_weight=1.0)[0] == plain
    weighted, history = job_digest(lips=True, lip_weight=[[0, 1.0], [1, 6.0]])
    assert weighted != plain and history[1]["position"] != plain_history[1]["position"]


def test_a_rig_weight_counts_the_rig_heads_rows_more_and_only_from_its_epoch():
    groups = [(0, 0, 0, 4), (1, 1, 4, 6), (2, 2, 6, 10)]  # (head, character, first row, end row)
    bilabial = torch.tensor([True, False, False, False, True, False, True, True, False, False])
    assert row_weights(10, groups, 3).tolist() == [1.0] * 10
    assert row_weights(10, groups, 2, rig_weight=3.0).tolist() == [1.0] * 6 + [3.0] * 4  # character 2: no template
    both = row_weights(10, groups, 2, bilabial, 5.0, 3.0)
    assert both.tolist() == [5.0, 1, 1, 1, 5.0, 1, 15.0, 15.0, 3.0, 3.0]  # the two weights multiply
    # code 2: a forced alignment's P/B/M, weighed apart from the exact ones when aligned_weight is given
    codes = torch.tensor([1, 2, 0, 0, 2, 0, 1, 2, 0, 0], dtype=torch.uint8)
    assert row_weights(10, groups, 3, codes, 5.0).tolist() == [5.0, 5.0, 1, 1, 5.0, 1, 5.0, 5.0, 1, 1]
    assert row_weights(10, groups, 2, codes, 5.0, 3.0, aligned_weight=0.0).tolist() == \
        [5.0, 0, 1, 1, 0, 1, 15.0, 0, 3.0, 3.0]
    data = frame_data()
    assert rig_row_weight(data, 2.0) is None  # every character a mesh head: no rig rows
    data.templates = data.templates[:-1]
    assert rig_row_weight(data, 2.0) == 2.0 and rig_row_weight(data, 1.0) is None
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="rig_weight"):
            rig_row_weight(data, bad)
    plain, plain_history = job_digest(rig=True)
    assert job_digest(rig=True, rig_weight=1.0)[0] == plain
    weighted, history = job_digest(rig=True, rig_weight=[[0, 1.0], [1, 4.0]])
    assert history[0] == {**plain_history[0], "seconds": history[0]["seconds"]}  # epoch 0 counts the rows once
    assert weighted != plain and history[1]["position"] != plain_history[1]["position"]
    assert job_digest(rig_weight=4.0)[0] == job_digest()[0]  # no rig head: nothing to weigh


def test_the_step_loop_reads_nothing_back_from_the_device(monkeypatch):
    """Reading a tensor's value on the host (``item``, ``tolist``, ``float``, ``bool``) makes the host wait
    for a GPU. Count the project's own reads in a quiet run (no progress line, no TensorBoard): one per
    epoch (its mean losses) and one per checkpoint (the normaliser), none per step."""
    import sys

    project = str(Path(trainer.__file__).parent)
    reads = []
    for name in ("item", "tolist", "__float__", "__bool__"):
        original = getattr(torch.Tensor, name)

        def counted(self, *a, _original=original, _name=name, **k):
            caller = sys._getframe(1).f_code.co_filename
            if caller.startswith(project):
                reads.append((_name, caller, sys._getframe(1).f_lineno))
            return _original(self, *a, **k)

        monkeypatch.setattr(torch.Tensor, name, counted)
    for extra in ({}, {"lips": True, "lip_weight": 4.0}, {"rig": True, "rig_weight": 3.0}):
        reads.clear()
        _, history = job_digest(epochs=3, **extra)
        steps = sum(math.ceil(h["frames"] / 24) for h in history)
        assert steps > 30 and len(reads) == 2 * len(history), (extra, reads)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_the_step_loop_never_synchronises():
    torch.cuda.set_sync_debug_mode("error")
    try:
        data = frame_data()
        config = load_config("small")
        config.update(epochs=1, freeze_head_epochs=0, epoch_fraction=0.3, batch_pairs=12, components=6,
                      checkpoint_every=100)
        net = MulTaNet(make_spec("multanet", config, FEATURES, len(VERTS)),
                       [np.zeros(3 * v, np.float32) for v in VERTS],
                       [np.eye(6, 3 * v, dtype=np.float32) for v in VERTS])
        model = TrainingModel(net, data.n, net.spec.emotion_dim, 0.01, 0)
        plan = plan_epoch(data, [0, 1, 2], 0, 0, 12, 0.3, 1.0)
        source = FrameSource(data, torch.device("cuda"))
        chunk = source.chunk(plan, 0, 8)
        model.cuda()
        optimiser = trainer.make_optimiser(list(model.parameters()), 1e-3, torch.device("cuda"))
        norm = LossNormaliser(("position",), device=torch.device("cuda"))
        sums = torch.zeros(1, dtype=torch.float64, device="cuda")
        for s in range(8):
            x, frames, bilabial, _, targets = source.step(plan, chunk, s)
            outs, _, _ = model(x, frames, [(h, g0, g1) for h, _, g0, g1 in plan.groups[s]])
            w = torch.where(bilabial, 5.0, 1.0).to(torch.float32)
            position = sum((o - t).square().mean(1).mul(w[g0:g1]).sum() / w.sum()
                           for o, t, (_, _, g0, g1) in zip(outs, targets, plan.groups[s], strict=True))
            values = position.detach()[None].double()
            norm.update(values)
            optimiser.zero_grad(set_to_none=True)
            norm.total({"position": position}, {}).backward()
            optimiser.step()
            sums += values
    finally:
        torch.cuda.set_sync_debug_mode(0)


class _Seq:
    def __init__(self, neural: bool, language: str = "en"):
        self.meta = {"voice": {"neural": {"family": "piper"}} if neural else {"variant": "m3"}, "language": language}

    def metadata(self) -> dict:
        return self.meta


def test_neural_voice_pairs_can_be_drawn_more_often_in_an_epoch_of_the_same_length():
    data = frame_data()
    data.sequences = [_Seq(neural=i % 3 == 0) for i in range(9)]  # sequences 0, 3, 6
    assert pair_repeat(data, neural=1) is None
    repeat = pair_repeat(data, neural=4)
    neural = np.isin(data.seq[data.pairs], [0, 3, 6])
    assert (repeat[neural] == 4).all() and (repeat[~neural] == 1).all()
    plain = plan_epoch(data, [0, 1, 2], 0, 0, batch=16, fraction=1.0, clean_share=1.0)
    more = plan_epoch(data, [0, 1, 2], 0, 0, batch=16, fraction=1.0, clean_share=1.0, repeat=repeat)
    assert len(more.rows) == len(plain.rows)
    share = np.isin(data.seq[more.rows[::2]], [0, 3, 6]).mean()
    assert abs(np.isin(data.seq[plain.rows[::2]], [0, 3, 6]).mean() - 1 / 3) < 0.01
    assert abs(share - 4 / 6) < 0.05  # 4 x 1/3 against 1 x 2/3


def test_pairs_are_drawn_by_language_and_mesh_heads_against_a_joint_rig_head_by_config():
    """``language_repeat`` multiplies the pairs of a language, ``neural_voice_repeat`` those of neural voices
    and ``mesh_head_repeat`` the mesh heads' pairs when a rig head (a character without a template) trains
    beside them; the factors multiply."""
    data = frame_data()
    data.sequences = [_Seq(neural=i == 0, language="en" if i < 6 else "fr") for i in range(9)]
    seq = data.seq[data.pairs]
    config = {"language_repeat": {"en": 3}, "neural_voice_repeat": 2}
    repeat = config_repeat(data, config, 0)
    np.testing.assert_array_equal(repeat, np.where(seq == 0, 6, np.where(seq < 6, 3, 1)))
    assert config_repeat(data, {"mesh_head_repeat": 2}, 0) is None  # no rig head beside the mesh heads
    data.templates = data.templates[:2]  # character c2 now stands for a rig head
    mesh = config_repeat(data, {"mesh_head_repeat": 2}, 0)
    np.testing.assert_array_equal(mesh, np.where(data.char[data.pairs] < 2, 2, 1))
    assert config_repeat(data, {}, 0) is None and config_repeat(data, {"language_repeat": {"de": 5}}, 0) is None
    plan = plan_epoch(data, [0, 1, 2], 0, 0, batch=16, fraction=1.0, clean_share=1.0, repeat=mesh)
    assert abs((data.char[plan.rows[::2]] == 2).mean() - 1 / 5) < 0.05  # 1 x 1/3 against 2 x 2/3
    for bad in ({"language_repeat": {"en": 0}}, {"language_repeat": {"en": 1.5}}, {"language_repeat": ["en"]},
                {"mesh_head_repeat": 0.5}, {"neural_voice_repeat": [[0, 0]]}):
        with pytest.raises(ValueError, match="config '"):
            config_repeat(data, bad, 0)


def test_the_training_benchmark_runs_both_trees_side_by_side():
    """bench/bench_train.py end to end at a toy size, this tree standing in as its own baseline tree (a
    broken benchmark went unnoticed for sessions while only its --help was run)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, "bench/bench_train.py", "--steps", "2", "--rounds", "1", "--threads", "1",
                           "--characters", "2", "--vertices", "200", "--baseline-tree", str(root)],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    rate = {line.split("  ")[0]: float(line.split()[3])
            for line in lines if "training frames/s" in line}
    assert set(rate) == {"MulTaNet, this tree", "MulTaNet, baseline trainer", "KarrasNet (1 character)"}, lines
    assert all(r > 0 for r in rate.values())
    assert any(line.startswith("ratio this tree / baseline frames/s:") for line in lines)


def test_an_aligned_frame_weight_weighs_a_forced_alignments_frames_in_position_and_motion():
    groups = [(0, 0, 0, 6), (1, 1, 6, 10)]
    codes = torch.tensor([1, 0, 2, 3, 3, 3, 0, 0, 2, 3], dtype=torch.uint8)
    assert row_weights(10, groups, 2, codes, 5.0, aligned_frame_weight=0.25).tolist() == \
        [5.0, 1, 1.25, 0.25, 0.25, 0.25, 1, 1, 1.25, 0.25]
    assert row_weights(10, groups, 2, codes, 5.0, aligned_weight=0.0, aligned_frame_weight=0.25).tolist() == \
        [5.0, 1, 0, 0.25, 0.25, 0.25, 1, 1, 0, 0.25]
    rng = np.random.default_rng(4)
    pred, target = (torch.from_numpy(rng.standard_normal((8, 9)).astype(np.float32)) for _ in range(2))
    ones = torch.ones(4)
    assert float(weighted_motion_loss(pred, target, ones, ones.sum())) == pytest.approx(
        float(motion_loss(pred, target)), rel=1e-6)
    pw = torch.tensor([1.0, 0.25, 0.25, 1.0])
    per_pair = ((pred[1::2] - pred[0::2]) - (target[1::2] - target[0::2])).square().mean(1)
    assert float(weighted_motion_loss(pred, target, pw, pw.sum())) == pytest.approx(
        float(2 * (per_pair * pw).sum() / pw.sum()), rel=1e-6)
    # in training: a weight of 1 is the plain loss, and a schedule changes nothing before its epoch
    plain, plain_history = job_digest(aligned=True)
    assert job_digest(aligned=True, aligned_frame_weight=1.0)[0] == plain
    weighted, history = job_digest(aligned=True, aligned_frame_weight=[[0, 1.0], [1, 0.25]])
    assert history[0] == {**plain_history[0], "seconds": history[0]["seconds"]}
    assert weighted != plain
    assert history[1]["position"] != plain_history[1]["position"]
    assert history[1]["motion"] != plain_history[1]["motion"]
