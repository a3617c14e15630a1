"""Expressions in the synthetic corpus (train/synth/expression.py, train synth --expressions): seeded plans,
intensity curves, the whole face they move, voices they colour, and copies of a line that only the emotion
vector can tell apart."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile

from train.synth.expression import (
    EXPRESSION_CHANNELS,
    EXPRESSIONS,
    FACE,
    ExpressionPlan,
    apply,
    expression_track,
    plan_expression,
    voice_change,
)
from train.synth.head import CHANNELS, SPEECH_CHANNELS, build_head

FPS = 30.0


def test_plans_are_seeded_and_spread_over_every_expression():
    plans = [plan_expression(0, c, f"en_{k:03d}") for c in range(4) for k in range(500)]
    assert plans == [plan_expression(0, c, f"en_{k:03d}") for c in range(4) for k in range(500)]
    assert plans != [plan_expression(1, c, f"en_{k:03d}") for c in range(4) for k in range(500)]
    labels = [p.label for p in plans]
    assert set(labels) == set(EXPRESSIONS)
    assert 0.18 < labels.count("neutral") / len(labels) < 0.32
    moved = [p for p in plans if p.label != "neutral"]
    assert 0.4 < np.mean([p.heard for p in moved]) < 0.6
    assert not any(p.heard for p in plans if p.label == "neutral")
    assert all(0.5 <= p.peak <= 1.0 for p in moved)
    changes = [p for p in plans if p.then]
    assert 0.15 < len(changes) / len(plans) < 0.25 and all(p.then != p.label for p in changes)
    forced = plan_expression(0, 1, "en_001_x", "angry", heard=False)
    assert forced.label == "angry" and not forced.heard


def test_an_expression_comes_on_holds_and_decays_and_a_change_crossfades():
    n = 120
    labels, intensity = expression_track(ExpressionPlan("happy", 0.8), n, FPS, seed=3)
    assert intensity.dtype == np.float32 and intensity.shape == (n,)
    assert intensity[0] == 0 and intensity[-1] < 0.05
    assert intensity.max() == pytest.approx(0.8, abs=1e-6) and np.allclose(intensity[40:80], 0.8)
    assert set(labels[intensity > 0]) == {EXPRESSIONS.index("happy")} and (labels[intensity == 0] == 0).all()
    rise = np.diff(intensity[:20])
    assert (rise >= 0).all()
    labels, intensity = expression_track(ExpressionPlan("sad", 0.9, then="surprised", change_at=0.5), n, FPS, 1)
    assert set(labels[5:50][intensity[5:50] > 0]) == {EXPRESSIONS.index("sad")}
    assert set(labels[70:110]) == {EXPRESSIONS.index("surprised")}
    labels, intensity = expression_track(ExpressionPlan(), n, FPS)
    assert not labels.any() and not intensity.any()


def test_the_expression_moves_the_whole_face_over_speech():
    rng = np.random.default_rng(0)
    speech = rng.uniform(0.2, 0.6, (50, len(SPEECH_CHANNELS)))
    for name in EXPRESSIONS:
        labels = np.full(50, EXPRESSIONS.index(name))
        out, face = apply(speech, SPEECH_CHANNELS, labels, np.full(50, 1.0, np.float32))
        assert face.shape == (50, len(EXPRESSION_CHANNELS)) and out.shape == speech.shape
        for channel, value in FACE[name].items():
            if channel in EXPRESSION_CHANNELS:
                assert face[:, EXPRESSION_CHANNELS.index(channel)] == pytest.approx(value)
            elif channel == "jaw_scale":
                assert out[:, 0] == pytest.approx(np.clip(speech[:, 0] * (1 + value), 0, 1))
            else:
                j = SPEECH_CHANNELS.index(channel)
                assert out[:, j] == pytest.approx(np.clip(speech[:, j] + value, 0, 1))
    out, face = apply(speech, SPEECH_CHANNELS, np.zeros(50, np.int64), np.zeros(50, np.float32))
    np.testing.assert_array_equal(out, speech)  # neutral: the speech as it was
    assert not face.any()
    # every expression channel is a field of the head, and moves its own region
    head = build_head(*(lambda c: (c.shape, c.style))(__import__("train.synth.characters",
                                                                 fromlist=["character"]).character(0)))
    art = np.zeros((len(EXPRESSION_CHANNELS) + 1, len(CHANNELS)))
    for i in range(len(EXPRESSION_CHANNELS)):
        art[i + 1, len(SPEECH_CHANNELS) + i] = 1.0
    verts = head.animate(art)
    moved = [np.abs(verts[i + 1] - verts[0]).max() for i in range(len(EXPRESSION_CHANNELS))]
    assert min(moved) > 1e-3  # each at least a millimetre
    smile = verts[1 + EXPRESSION_CHANNELS.index("smile")] - verts[0]
    frown = verts[1 + EXPRESSION_CHANNELS.index("frown")] - verts[0]
    corner = np.argmax(np.abs(smile[:, 1]))
    assert smile[corner, 1] > 0 and frown[corner, 1] < 0  # corners up, corners down
    assert np.abs(verts[1:, head.upper_face_indices] - verts[0, head.upper_face_indices]).max() > 1e-3


def test_a_heard_expression_changes_the_voice_by_its_strength():
    assert voice_change(ExpressionPlan("sad", 0.5, heard=False)) == {}
    sad = voice_change(ExpressionPlan("sad", 0.5, heard=True))
    assert sad["pitch"] == -5 and sad["rate"] == pytest.approx(-17.5) and sad["speed"] == pytest.approx(0.925)
    assert voice_change(ExpressionPlan("neutral", 0.0, heard=True)) == {}


def test_every_line_gets_an_expression_and_some_train_lines_a_copy_in_the_same_voice():
    from train.synth.corpus import plan

    plain = plan(2, 10, ["en"], neural_sentences=0, neural_test=0)
    tasks = plan(2, 10, ["en"], neural_sentences=0, neural_test=0, expressions=True)
    assert all(t.expression is None for t in plain) and all(t.expression is not None for t in tasks)
    originals = [t for t in tasks if not t.seq_id.endswith("_x")]
    assert [(t.character, t.seq_id) for t in originals] == [(t.character, t.seq_id) for t in plain]
    copies = [t for t in tasks if t.seq_id.endswith("_x")]
    assert copies
    by_id = {(t.character, t.seq_id): t for t in originals}
    for c in copies:
        o = by_id[c.character, c.seq_id[:-2]]
        assert c.split == o.split == "train" and not o.expression.heard and not c.expression.heard
        assert c.text == o.text and c.voice() == o.voice() and c.expression.label != o.expression.label
    heard = [t for t in originals if t.expression.heard]
    assert heard and any(t.voice() != p.voice() for t, p in zip(originals, plain, strict=True) if t.expression.heard)


def test_a_corpus_with_expressions_stores_them_per_frame_and_its_curves_drive_its_vertices(tmp_path):
    from train.data import open_dataset
    from train.synth.corpus import _head, generate

    out = tmp_path / "corpus"
    generate(out, n_characters=1, n_sentences=6, languages=["en"], foreign_sentences=0, jobs=2, progress=False,
             neural_sentences=0, neural_test=0, shifted_voice=0, expressions=True)
    ds = open_dataset(out)
    assert json.loads((out / "dataset.json").read_text())["generator"]["expressions"] is True
    seqs = ds.sequences()
    labelled = set()
    for seq in seqs:
        meta = seq.metadata()
        e = meta["expression"]
        assert e["labels"] == list(EXPRESSIONS)
        assert len(e["label_per_frame"]) == len(e["intensity"]) == meta["frames"]
        names, curves = ds.load_articulation(seq)
        assert names == list(CHANNELS)
        verts = ds.load_vertices(seq)
        np.testing.assert_allclose(_head(0).animate(curves), verts, atol=1e-3 * np.abs(verts).max())
        face = curves[:, len(SPEECH_CHANNELS):]
        assert face.any() == (e["label"] != "neutral" or bool(e.get("then"))) or max(e["intensity"]) == 0
        labelled.update(EXPRESSIONS[k] for k in e["label_per_frame"])
    assert len(labelled) >= 3
    copies = [s for s in seqs if s.id.endswith("_x")]
    assert copies
    for c in copies:  # the same line in the same voice, another expression: only the emotion vector differs
        original = next(s for s in seqs if s.id == c.id[:-2] and s.split == c.split)
        a, _ = soundfile.read(ds.audio_path(c))
        b, _ = soundfile.read(ds.audio_path(original))
        np.testing.assert_array_equal(a, b)
        assert c.metadata()["expression"]["label"] != original.metadata()["expression"]["label"]


def test_label_presets_are_the_mean_vector_of_each_expressions_frames():
    from train.presets import label_presets

    rng = np.random.default_rng(0)
    emotions = rng.standard_normal((200, 4))
    codes = np.full(200, -1)
    codes[:50], codes[50:90], codes[90:100] = 0, 2, 1  # neutral, sad, too few happy frames
    presets = label_presets(emotions, codes, EXPRESSIONS)
    assert list(presets) == ["neutral", "sad"]
    np.testing.assert_allclose(presets["neutral"], emotions[:50].mean(0))
    np.testing.assert_allclose(presets["sad"], emotions[50:90].mean(0))
    assert list(label_presets(emotions, np.full(200, -1), EXPRESSIONS)) == ["neutral"]  # none sure: the mean
    np.testing.assert_allclose(label_presets(emotions, np.full(200, -1), EXPRESSIONS)["neutral"], emotions.mean(0))


@pytest.fixture(scope="module")
def expression_model(tmp_path_factory, tiny_config):
    """A corpus with expressions (2 characters, 8 English sentences), a tiny model trained on it, exported."""
    from train.__main__ import main
    from train.synth.corpus import generate

    root = tmp_path_factory.mktemp("expressions")
    corpus = root / "corpus"
    generate(corpus, n_characters=2, n_sentences=8, languages=["en"], foreign_sentences=0, jobs=2, progress=False,
             neural_sentences=0, neural_test=0, shifted_voice=0, expressions=True)
    run = root / "run"
    assert main(["fit", "--data", str(corpus), "--out", str(run), "--config", str(tiny_config), "--quiet",
                 "--threads", "1", "--epochs", "1"]) == 0
    assert main(["export", str(run), "--out", str(root / "m.npz")]) == 0
    return corpus, run, root / "m.npz"


def test_a_model_trained_on_expressions_exports_presets_named_by_them(expression_model):
    import torch

    from multanet_core.checkpoint import load_checkpoint
    from train.training_data import expression_codes

    corpus, run, model = expression_model
    codes = np.load(run / "heads.npz")["expressions"]
    emotions = torch.load(run / "state.pt", weights_only=True)["model"]["emotions"].numpy()
    assert len(codes) == len(emotions) and set(np.unique(codes)) - {-1} and (codes >= -1).all()
    ckpt = load_checkpoint(model)
    runs = json.loads((run / "run.json").read_text())["frames_per_character"]
    start = 0
    for head, n in zip(ckpt.heads, runs, strict=True):
        mine = codes[start:start + n]
        shown = {EXPRESSIONS[k] for k in np.unique(mine) if k >= 0 and (mine == k).sum() >= 30}
        assert set(head.presets) == shown | {"neutral"}, (head.name, sorted(head.presets), sorted(shown))
        assert len(head.presets) >= 3
        for name in head.presets:
            rows = mine == EXPRESSIONS.index(name)
            np.testing.assert_allclose(head.presets[name], emotions[start:start + n][rows].mean(0), rtol=1e-5,
                                       atol=1e-6)
        start += n
    assert expression_codes({}, 5) is None
    meta = {"expression": {"label_per_frame": [0, 1, 1, 2], "intensity": [0.0, 0.3, 0.9, 0.5]}}
    assert expression_codes(meta, 4).tolist() == [0, -1, 1, 2]


@pytest.mark.parametrize("bad", [
    {"label_per_frame": [0, 1]},  # no intensity
    {"label_per_frame": [0, 1, 1, 2], "intensity": [0.0, 0.1]},  # too short
    {"label_per_frame": ["a", 1, 1, 2], "intensity": [0, 0, 0, 0]},
    {"label_per_frame": [0, -3, 1, 2], "intensity": [0, 0, 0, 0]},
    {"label_per_frame": [0, 1, 1, 900], "intensity": [0, 0, 0, 0]},
])
def test_a_malformed_expression_is_refused_by_name(bad):
    from train.data.base import DatasetError
    from train.training_data import expression_codes

    with pytest.raises(DatasetError, match="'expression'"):
        expression_codes({"expression": bad}, 4)


def test_evaluate_with_labels_animates_each_line_with_its_own_expression(expression_model, tmp_path):
    from multanet_core.checkpoint import load_checkpoint
    from train.__main__ import main
    from train.data import open_dataset

    corpus, _, model = expression_model
    out = tmp_path / "e.json"
    assert main(["evaluate", "--checkpoint", f"m={model}", "--data", str(corpus), "--split", "test",
                 "--emotion", "labels", "--json", str(out), "--report", str(tmp_path / "e.md")]) == 0
    result = json.loads(out.read_text())
    ckpt = load_checkpoint(model)
    ds = open_dataset(corpus)
    seen = set()
    for r in (r for r in result["sequences"] if r["model"] == "m"):
        seq = next(s for s in ds.sequences(split="test", character=r["character"]) if s.id == r["sequence"])
        label = seq.metadata()["expression"]["label"]
        want = label if label in ckpt.head(r["character"]).presets else "neutral"
        assert r["preset"] == want and r["face_lve"] >= r["lve"] > 0
        seen.add(r["preset"])
    assert result["overall"]["m"]["all"]["face_lve"] > 0
    assert seen - {"neutral"}  # some line was animated with its own expression
    assert "face LVE m" in (tmp_path / "e.md").read_text() and "`--emotion labels`" in (tmp_path / "e.md").read_text()


def test_emotion_vectors_can_learn_faster_than_the_network(tmp_path, tiny_corpus, tiny_config):
    """``emotion_lr_scale``: the per-frame vectors in an Adam group of their own at that many times the rate; they
    then move about that much further from where they started, and the network's weights do not."""
    import torch

    from train.__main__ import main
    from train.trainer import make_optimiser

    a, b = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(4, 2))
    opt = make_optimiser([a, b], 1e-3, torch.device("cpu"), b, 30.0)
    assert [(len(g["params"]), g["lr"]) for g in opt.param_groups] == [(1, 1e-3), (1, pytest.approx(3e-2))]
    assert len(make_optimiser([a, b], 1e-3, torch.device("cpu"), b, 1.0).param_groups) == 1  # as before

    moved = {}
    for scale in (1.0, 10.0):
        cfg = json.loads(tiny_config.read_text())
        cfg["emotion_lr_scale"] = scale
        path = tmp_path / f"cfg{scale:g}.json"
        path.write_text(json.dumps(cfg))
        run = tmp_path / f"run{scale:g}"
        assert main(["fit", "--data", str(tiny_corpus), "--out", str(run), "--config", str(path), "--quiet",
                     "--threads", "1", "--epochs", "1"]) == 0
        state = torch.load(run / "state.pt", weights_only=True)["model"]
        start = torch.randn(state["emotions"].shape, generator=torch.Generator().manual_seed(
            int(cfg["seed"]) + 7919)) * float(cfg["emotion_init_std"])
        moved[scale] = float((state["emotions"] - start).abs().mean())
    assert moved[10.0] > 4 * moved[1.0] > 0


def test_one_emotion_vector_per_line_trains_and_exports(tmp_path, tiny_corpus, tiny_config):
    """``emotion_per`` "line": every frame of a line shares its vector; export reads them back per frame."""
    import torch

    from multanet_core.checkpoint import load_checkpoint
    from train.__main__ import main

    cfg = json.loads(tiny_config.read_text())
    cfg["emotion_per"] = "line"
    path = tmp_path / "line.json"
    path.write_text(json.dumps(cfg))
    run = tmp_path / "run"
    assert main(["fit", "--data", str(tiny_corpus), "--out", str(run), "--config", str(path), "--quiet",
                 "--threads", "1", "--epochs", "1"]) == 0
    state = torch.load(run / "state.pt", weights_only=True)["model"]
    info = json.loads((run / "run.json").read_text())
    line_of = state["line_of"]
    assert len(line_of) == info["train_frames"] and state["emotions"].shape[0] == info["train_sequences"]
    assert int(line_of.max()) + 1 == info["train_sequences"] and (line_of.diff() >= 0).all()  # lines in order
    assert main(["export", str(run), "--out", str(tmp_path / "m.npz")]) == 0
    ckpt = load_checkpoint(tmp_path / "m.npz")
    assert all("neutral" in h.presets for h in ckpt.heads)
    cfg["emotion_per"] = "sentence"
    path.write_text(json.dumps(cfg))
    assert main(["fit", "--data", str(tiny_corpus), "--out", str(tmp_path / "bad"), "--config", str(path),
                 "--quiet", "--threads", "1", "--epochs", "1"]) == 2
