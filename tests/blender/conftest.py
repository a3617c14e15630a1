"""Blender tests: the real ``bpy`` module (5.0.1 in the main environment, 4.2.23 in .venv-blender42).

Each test starts from Blender's factory settings with the add-on registered, and unregisters it
after. Checkpoints are random-weight (numpy-only, so the Blender 4.2 environment needs no torch);
audio is the espeak-ng fixture, written as 16 kHz mono 16-bit WAV so Blender's decoder and
core's read the same samples.
"""

from __future__ import annotations

import pytest

pytest.importorskip("bpy")

import bpy  # noqa: E402
from bl_helpers import SPEECH_EN, read_wav, write_wav  # noqa: E402


@pytest.fixture(scope="session")
def assets(tmp_path_factory):
    """Checkpoint and audio files shared by the Blender tests."""
    from multanet_core.audio import load_speech
    from multanet_core.checkpoint import save_checkpoint
    from train.random_heads import numpy_checkpoint

    root = tmp_path_factory.mktemp("blender_assets")
    ckpt = str(root / "model.npz")
    save_checkpoint(ckpt, numpy_checkpoint(characters=2, vertices=300, components=12, seed=3))
    speech = load_speech(SPEECH_EN)
    wav16 = write_wav(str(root / "speech16k.wav"), speech, 16000)
    from multanet_core.rig_names import ARKIT_52

    rig = str(root / "rig_model.npz")  # one mesh head (char00) and the rig head "rig" (ARKit-52 weights)
    save_checkpoint(rig, numpy_checkpoint(characters=1, vertices=300, components=12, seed=4, rig_names=ARKIT_52))
    return {
        "root": str(root),
        "checkpoint": ckpt,
        "rig_checkpoint": rig,
        "wav16": wav16,
        "speech16k": read_wav(wav16)[:, 0],
    }


@pytest.fixture
def blender():
    """Factory-fresh Blender with the add-on registered; unregistered afterwards."""
    import multanet_blender

    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    try:
        yield bpy
    finally:
        multanet_blender.unregister()
        bpy.ops.wm.read_factory_settings(use_empty=True)


