from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

DATA = os.path.join(ROOT, "tests", "data")
SPEECH_EN = os.path.join(DATA, "speech_en.flac")  # espeak-ng en-us, 22050 Hz, 5.66 s (see tests/data/README.md)


@pytest.fixture(scope="session")
def speech16k():
    from multanet_core.audio import load_speech

    return load_speech(SPEECH_EN)


# --- training tests: a tiny corpus and a tiny network, shared by tests/test_train_*.py
TINY_CONFIG = {
    "network": {"formant_channels": [4, 4, 4, 4, 4], "articulation_channels": 8, "activation": "relu"},
    "components": 8, "epochs": 3, "freeze_head_epochs": 1, "lr_schedule": [[0, 0.003], [2, 0.001]],
    "batch_pairs": 16, "epoch_fraction": 1.0, "emotion_init_std": 0.01,
    "loss_weights": {"position": 1.0, "motion": 1.0, "emotion": 1.0}, "loss_ema_beta": 0.99, "members": 2,
    "checkpoint_every": 1, "pca_max_frames": 500, "seed": 0,
}


def run_torch_model(run, components: int = 8):
    """(RunFiles, MulTaNet, TrainingModel) of a two-head training run folder, with its trained state loaded: the
    torch side that the exported numpy checkpoint is compared with."""
    import numpy as np
    import torch

    from train.export import RunFiles
    from train.model import TrainingModel
    from train.networks_torch import MulTaNet

    files = RunFiles(run)
    sd = torch.load(run / "state.pt", weights_only=True)["model"]
    nv = [files.arrays[f"{i}.template"].shape[0] for i in range(2)]
    net = MulTaNet(files.spec, [np.zeros(3 * v, np.float32) for v in nv],
                   [np.zeros((components, 3 * v), np.float32) for v in nv])
    model = TrainingModel(net, sd["emotions"].shape[0], 16, 0.0, 0)
    model.load_state_dict(sd)
    return files, net, model


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    """Two characters (989 and 5,048 vertices), 6 English sentences (4 train, 1 val, 1 test), 2 Korean."""
    from train.synth.corpus import generate

    out = tmp_path_factory.mktemp("tiny") / "corpus"
    generate(out, n_characters=2, n_sentences=6, languages=["en", "ko"], foreign_sentences=2, jobs=2, progress=False,
             neural_sentences=0, neural_test=0)  # espeak only: the neural voices have their own tests
    return out


@pytest.fixture(scope="session")
def tiny_config(tmp_path_factory):
    import json

    path = tmp_path_factory.mktemp("cfg") / "tiny.json"
    path.write_text(json.dumps(TINY_CONFIG))
    return path


@pytest.fixture(scope="session")
def fitted_contact_checkpoint(request, tmp_path_factory):
    """The bundled default model with a lip-contact head fitted by ``python -m train contact-head`` on the tiny
    corpus plus its non-speech (needs the train group: skipped where scipy is missing, as in .venv-blender42)."""
    pytest.importorskip("scipy")
    import shutil

    tiny_corpus = request.getfixturevalue("tiny_corpus")

    from train.__main__ import main
    from train.non_speech import add_non_speech

    root = tmp_path_factory.mktemp("contact")
    corpus = root / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    add_non_speech(corpus, per_character=9, seconds=2.0)
    out = root / "contact.npz"
    default = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
    assert main(["contact-head", "--checkpoint", default, "--data", str(corpus), "--out", str(out),
                 "--per-character", "30", "--float16"]) == 0
    return str(out)
