"""The contact head as an auxiliary loss: labels per frame, the balanced loss, a fit that trains it with the
network, and its export with every head's closed and rest poses."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from multanet_core.audio import prepare
from multanet_core.checkpoint import load_checkpoint
from multanet_core.contact import CLOSED, CONTACT_CLASSES, SILENCE, probabilities
from multanet_core.inference import Animator
from train.__main__ import main
from train.contact_labels import UNKNOWN, label_codes
from train.losses import contact_balance, contact_loss
from train.non_speech import add_non_speech

C = len(CONTACT_CLASSES)


def test_label_codes_mark_unknown_speech_and_silent_non_speech():
    assert (label_codes({"phonemes": []}, 30, 4) == UNKNOWN).all()  # speech with no timeline teaches nothing
    codes = label_codes({"speech": False}, 30, 4)
    assert (codes[:, SILENCE] == 1).all() and codes[:, CLOSED].sum() == 0
    codes = label_codes({"phonemes": [[0.0, 0.1, "m"], [0.1, 0.2, "a"]]}, 30, 6)
    assert codes[:3, CLOSED].tolist() == [1, 1, 1] and codes[3:, CLOSED].tolist() == [0, 0, 0]


def test_contact_loss_balances_each_class_and_skips_unknown_frames():
    labels = np.zeros((10, C), np.uint8)
    labels[:2, CLOSED] = 1  # 2 of 8 labelled frames closed
    labels[8:] = UNKNOWN
    balance = contact_balance(labels)
    assert balance[1, CLOSED] == pytest.approx(0.5 / 0.25) and balance[0, CLOSED] == pytest.approx(0.5 / 0.75)
    logits = torch.zeros(10, C)
    # at p = 0.5 every labelled entry costs log 2; the balanced weights average to 1 over each class's frames
    loss = contact_loss(logits, torch.from_numpy(labels), torch.from_numpy(balance))
    per_class = np.log(2) * (balance[0] * (labels[:8] == 0).sum(0) + balance[1] * (labels[:8] == 1).sum(0)) / 8
    assert float(loss) == pytest.approx(per_class.sum() / C, rel=1e-5)
    # whatever the unknown frames' logits, the loss is the same
    logits[8:] = 40.0
    assert float(contact_loss(logits, torch.from_numpy(labels), torch.from_numpy(balance))) == pytest.approx(
        float(loss), rel=1e-6)
    # confident and right costs less than unsure
    right = torch.full((10, C), -6.0)
    right[:2, CLOSED] = 6.0
    assert float(contact_loss(right, torch.from_numpy(labels), torch.from_numpy(balance))) < 0.05 * float(loss)


@pytest.fixture(scope="module")
def contact_run(tiny_corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("contact_run")
    corpus = root / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    add_non_speech(corpus, per_character=6, seconds=2.0)
    from tests.conftest import TINY_CONFIG

    config = root / "contact.json"
    config.write_text(json.dumps({**TINY_CONFIG, "epochs": 6,
                                  "loss_weights": {**TINY_CONFIG["loss_weights"], "contact": 1.0}}))
    assert main(["fit", "--data", str(corpus), "--out", str(root / "run"), "--config", str(config), "--quiet",
                 "--threads", "1"]) == 0
    assert main(["export", str(root / "run"), "--out", str(root / "m.npz")]) == 0
    return root


def test_fit_trains_the_contact_head_with_the_network_and_exports_it(contact_run):
    info = json.loads((contact_run / "run" / "run.json").read_text())
    history = [h["contact"] for h in info["history"]]
    assert len(history) == 6 and history[-1] < 0.8 * history[0], history
    assert info["network"]["contact_outputs"] == C
    ckpt = load_checkpoint(contact_run / "m.npz")
    assert ckpt.network.contact_outputs == C
    assert ckpt.info["contact_head"]["trained"].startswith("with the network")
    # the exported numpy head gives the torch head's probabilities
    from tests.conftest import run_torch_model
    from train.data import open_dataset

    _, net, _ = run_torch_model(contact_run / "run")
    ds = open_dataset(contact_run / "corpus")
    seq = ds.sequences("train", "arthur")[0]
    samples = prepare(*ds.load_audio(seq))
    anim = Animator(ckpt, "arthur")
    a = anim.articulation(samples, ckpt.fps)
    with torch.no_grad():
        want = torch.sigmoid(net.contact(torch.from_numpy(a))).numpy()
    got = probabilities(a, ckpt.weights["contact.weight"], ckpt.weights["contact.bias"])
    np.testing.assert_allclose(got, want, atol=1e-5)
    # each head closes towards its own P/B/M frames, not towards its rest pose
    for i, h in enumerate(ckpt.mesh_heads):
        closed, rest = ckpt.weights[f"heads.{i}.contact_closed"], ckpt.weights[f"heads.{i}.contact_rest"]
        assert not np.allclose(closed, rest), h.name
    # the run cannot be resumed with the contact loss turned off: the network would change shape
    plain = contact_run / "plain.json"
    from tests.conftest import TINY_CONFIG

    plain.write_text(json.dumps({**TINY_CONFIG, "epochs": 7}))
    assert main(["fit", "--data", str(contact_run / "corpus"), "--out", str(contact_run / "run"), "--config",
                 str(plain), "--quiet", "--threads", "1", "--resume"]) != 0
