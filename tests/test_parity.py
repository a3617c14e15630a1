"""The numpy inference (shared-grid) matches the torch networks on random weights and input."""

import numpy as np
import pytest
import torch

from multanet_core.inference import Animator
from multanet_core.lpc import FeatureConfig, window_starts
from train.random_checkpoint import make_random_model


def random_grid_case(n_windows: int, fps: float, cfg: FeatureConfig, seed: int):
    rng = np.random.default_rng(seed)
    starts = window_starts(n_windows, fps, cfg) + 7
    first = int(starts[0])
    grid = rng.standard_normal((int(starts[-1]) - first + cfg.n_frames, cfg.width)).astype(np.float32)
    windows = grid[(starts - first)[:, None] + np.arange(cfg.n_frames)]
    return grid, first, starts, torch.from_numpy(windows)


@pytest.mark.parametrize(
    "arch, kwargs",
    [
        ("multanet", {}),
        ("multanet", {"activation": "leaky_relu", "negative_slope": 0.2}),
        ("karras", {}),
        ("karras", {"last_kernel": 8, "activation": "leaky_relu", "negative_slope": 0.1}),
    ],
)
@pytest.mark.parametrize("fps", [30.0, 60.0, 23.976])
def test_numpy_matches_torch(arch, kwargs, fps):
    torch.manual_seed(1)
    model, ckpt = make_random_model(arch, characters=3, vertices=150, components=10, members=2, seed=3, **kwargs)
    grid, first, starts, windows = random_grid_case(50, fps, ckpt.features, seed=4)
    index = len(ckpt.heads) - 1
    animator = Animator(ckpt, ckpt.heads[index].name)
    emotion = np.random.default_rng(5).standard_normal(16).astype(np.float32)
    got = animator.coefficients_from_grid(grid, first, starts, emotion)
    e = torch.from_numpy(emotion)[None].expand(len(starts), -1)
    with torch.no_grad():
        if arch == "multanet":
            want = model.coefficients(windows, index, e).numpy()
            want_v = model(windows, index, e).numpy()
        else:
            want = model.coefficients(windows, e).numpy()
            want_v = model(windows, e).numpy()
    assert np.abs(want).max() > 1e-3
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    verts = animator.vertices(got)
    np.testing.assert_allclose(verts.reshape(len(starts), -1), want_v, rtol=1e-4, atol=1e-4 * np.abs(want_v).max())


def test_emotion_changes_output_and_multanet_last_layer_ignores_it():
    model, ckpt = make_random_model("multanet", characters=1, vertices=150, components=10)
    spec = ckpt.network
    assert [spec.emotion_in(i) for i in range(spec.n_articulation)] == [True] * 4 + [False]
    assert ckpt.weights["mfl.articulation.4.weight"].shape[1] == 256
    assert ckpt.weights["mfl.articulation.3.weight"].shape[1] == 256 + 16
    grid, first, starts, _ = random_grid_case(20, 30.0, ckpt.features, seed=0)
    a = Animator(ckpt, "char00")
    c0 = a.coefficients_from_grid(grid, first, starts, np.zeros(16, np.float32))
    c1 = a.coefficients_from_grid(grid, first, starts, np.ones(16, np.float32))
    assert np.abs(c0 - c1).max() > 1e-4


@pytest.mark.parametrize("arch", ["multanet", "karras"])
def test_numpy_matches_torch_with_level_feature(arch):
    """The level feature skips the formant stage in both implementations and joins the articulation input."""
    cfg = FeatureConfig(level="log_energy")
    model, ckpt = make_random_model(arch, characters=2, vertices=150, components=10, members=2, seed=6, features=cfg)
    assert ckpt.network.level_channels == 1
    prefix = ckpt.network.prefixes()[0]
    assert ckpt.weights[f"{prefix}mfl.articulation.0.weight"].shape[1] == ckpt.network.formant_channels[-1] + 1 + 16
    grid, first, starts, windows = random_grid_case(40, 30.0, cfg, seed=7)
    animator = Animator(ckpt, ckpt.heads[0].name)
    emotion = np.zeros(16, np.float32)
    got = animator.coefficients_from_grid(grid, first, starts, emotion)
    e = torch.zeros(len(starts), 16)
    with torch.no_grad():
        want = (model.coefficients(windows, 0, e) if arch == "multanet" else model.coefficients(windows, e)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    # the level column matters: changing it changes the output
    grid2 = grid.copy()
    grid2[:, -1] -= 2.0
    assert np.abs(animator.coefficients_from_grid(grid2, first, starts, emotion) - got).max() > 1e-4
