"""core (everything the add-on uses) imports and runs with torch, scipy and soundfile hidden."""

import subprocess
import sys
import textwrap

from core.checkpoint import save_checkpoint
from tests.conftest import ROOT
from tests.hidden_imports import PRELUDE
from train.random_checkpoint import make_random_model

SCRIPT = PRELUDE + textwrap.dedent(
    """
    import numpy as np
    import core, core.audio, core.lpc, core.checkpoint, core.inference, core.metrics, core.pointcache
    from core.errors import AudioError

    ckpt = core.checkpoint.load_checkpoint(sys.argv[1])
    animator = core.inference.Animator(ckpt, "char00")
    t = np.arange(16000 * 2) / 16000
    x = core.audio.prepare((0.3 * np.sin(2 * np.pi * 220 * t) * (t % 0.5 < 0.3)).astype(np.float32), 16000)
    verts = animator.vertices(animator.coefficients(x, 24.0, "random 1"))
    assert verts.shape == (48, ckpt.heads[0].n_vertices, 3), verts.shape
    y = core.audio.prepare(np.stack([np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)] * 2, 1), 44100)
    assert y.shape == (16000,) and y.dtype == np.float32  # resampled in numpy: no scipy needed
    try:
        core.audio.prepare(np.zeros(4000, np.float32), 4000)
    except AudioError as exc:
        assert "at least 8000 Hz" in str(exc)
    else:
        raise AssertionError("4 kHz audio should be refused")
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "scipy", "soundfile"))
    assert not loaded, loaded
    print("ok")
    """
)


def test_core_runs_without_torch_scipy_soundfile(tmp_path):
    _, ckpt = make_random_model("multanet", characters=1, vertices=200, components=8)
    save_checkpoint(tmp_path / "m.npz", ckpt)
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "m.npz")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_core_uses_relative_imports_only():
    """So the add-on can vendor core under its own name (no top-level 'core' in Blender)."""
    import pathlib

    for path in pathlib.Path(ROOT, "core").glob("*.py"):
        text = path.read_text()
        assert "from core" not in text and "import core" not in text, path
