"""core (everything the add-on uses) imports and runs with torch, scipy and soundfile hidden."""

import subprocess
import sys
import textwrap

from multanet_core.checkpoint import save_checkpoint
from tests.conftest import ROOT
from tests.hidden_imports import PRELUDE
from train.random_checkpoint import make_random_model

SCRIPT = PRELUDE + textwrap.dedent(
    """
    import numpy as np
    import multanet_core, multanet_core.audio, multanet_core.lpc, multanet_core.checkpoint
    import multanet_core.inference, multanet_core.metrics, multanet_core.pointcache
    from multanet_core.errors import AudioError

    ckpt = multanet_core.checkpoint.load_checkpoint(sys.argv[1])
    animator = multanet_core.inference.Animator(ckpt, "char00")
    t = np.arange(16000 * 2) / 16000
    x = multanet_core.audio.prepare((0.3 * np.sin(2 * np.pi * 220 * t) * (t % 0.5 < 0.3)).astype(np.float32), 16000)
    verts = animator.vertices(animator.coefficients(x, 24.0, "random 1"))
    assert verts.shape == (48, ckpt.heads[0].n_vertices, 3), verts.shape
    y = multanet_core.audio.prepare(np.stack([np.sin(2 * np.pi * 440 * np.arange(44100) / 44100)] * 2, 1), 44100)
    assert y.shape == (16000,) and y.dtype == np.float32  # resampled in numpy: no scipy needed
    try:
        multanet_core.audio.prepare(np.zeros(4000, np.float32), 4000)
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


def test_core_imports_only_itself_numpy_and_the_standard_library():
    """multanet_core ships alone as a wheel inside the extension: it may import nothing of the checkout."""
    import ast
    import pathlib

    paths = sorted(pathlib.Path(ROOT, "multanet_core").glob("*.py"))
    assert len(paths) > 10
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            foreign = roots & {"core", "train", "multanet_blender", "tests", "torch", "scipy", "bpy"}
            assert not foreign, (path.name, node.lineno, foreign)
