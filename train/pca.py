"""PCA of a character's training frames: the initial (and, frozen, the first epochs') last layer of its head.

:func:`pca` runs in numpy; :func:`pca_on_device` is the same randomised SVD in ``torch.linalg`` on a
training GPU (the start-up of a run with many large heads is then not spent in numpy)."""

from __future__ import annotations

import numpy as np


def _subsample(frames: np.ndarray, max_frames: int) -> np.ndarray:
    """float32 frames, at most ``max_frames`` of them, evenly spaced."""
    frames = np.asarray(frames, np.float32)
    if frames.shape[0] > max_frames:
        frames = frames[np.linspace(0, frames.shape[0] - 1, max_frames).round().astype(int)]
    return frames


def pca(frames: np.ndarray, k: int, max_frames: int = 4000, seed: int = 0,
        power_iterations: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Flattened frames [N, D] -> (mean [D], basis [k, D]) with ``frames ~ mean + coeffs @ basis``.

    Randomised SVD (Halko et al.) on at most ``max_frames`` evenly spaced frames. Each basis row is a
    principal direction scaled by its standard deviation over the frames, so the coefficients of the
    training data have about unit variance. Rows beyond the data's rank are zero.
    """
    frames = _subsample(frames, max_frames)
    n, d = frames.shape
    mean = frames.mean(axis=0, dtype=np.float64)
    x = (frames - mean.astype(np.float32)).astype(np.float32)
    rank = min(k, n - 1, d)
    basis = np.zeros((k, d), np.float32)
    if rank <= 0:
        return mean.astype(np.float32), basis
    rng = np.random.default_rng(seed)
    q = x @ rng.standard_normal((d, min(rank + 10, n, d))).astype(np.float32)
    for _ in range(power_iterations):
        q, _ = np.linalg.qr(q)
        q, _ = np.linalg.qr(x @ (x.T @ q))
    q, _ = np.linalg.qr(q)
    b = q.T.astype(np.float64) @ x.astype(np.float64)  # [r, D]
    _, s, vt = np.linalg.svd(b, full_matrices=False)
    basis[:rank] = (vt[:rank] * (s[:rank, None] / np.sqrt(max(n - 1, 1)))).astype(np.float32)
    return mean.astype(np.float32), basis


def pca_on_device(frames: np.ndarray, k: int, device, max_frames: int = 4000, seed: int = 0,
                  power_iterations: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pca` computed by torch on ``device``: the same subsample, sketch size and power iterations
    (the random sketch is torch's, so the basis agrees with :func:`pca`'s to rounding, not bit for bit)."""
    import torch

    frames = _subsample(frames, max_frames)
    n, d = frames.shape
    x = torch.from_numpy(np.ascontiguousarray(frames)).to(device)
    mean = x.double().mean(0)
    x = x - mean.float()
    rank = min(k, n - 1, d)
    basis = np.zeros((k, d), np.float32)
    if rank <= 0:
        return mean.float().cpu().numpy(), basis
    g = torch.Generator(device=device).manual_seed(int(seed))
    q = x @ torch.randn(d, min(rank + 10, n, d), generator=g, device=device)
    for _ in range(power_iterations):
        q, _ = torch.linalg.qr(q)
        q, _ = torch.linalg.qr(x @ (x.T @ q))
    q, _ = torch.linalg.qr(q)
    b = q.T.double() @ x.double()
    _, s, vt = torch.linalg.svd(b, full_matrices=False)
    basis[:rank] = (vt[:rank] * (s[:rank, None] / np.sqrt(max(n - 1, 1)))).float().cpu().numpy()
    return mean.float().cpu().numpy(), basis


def project(frames: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of flattened frames on a (not necessarily orthonormal) basis."""
    coeffs, *_ = np.linalg.lstsq(basis.T.astype(np.float64), (frames - mean).T.astype(np.float64), rcond=None)
    return coeffs.T.astype(np.float32)


def normalise_targets(targets: np.ndarray, mean: np.ndarray, basis: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre ``targets`` [N, 3V] on ``mean`` and divide by their RMS, in place; returns (basis in those
    units, the RMS). Training in these units keeps Adam's steps (about lr per step whatever the
    gradient's scale) proportionate to the motion: vertex positions in metres move by millimetres, and
    a raw output layer would move by lr metres per step. Export multiplies back."""
    targets -= mean
    scale = float(np.sqrt(np.mean(np.square(targets[:: max(1, len(targets) // 4000)], dtype=np.float64))))
    scale = scale if scale > 0 else 1.0
    targets /= np.float32(scale)
    return (basis / np.float32(scale)).astype(np.float32), scale
