"""The add-on's numpy-only parts: topology match messages, the similarity fit, motion on a mesh, strip timing."""

from __future__ import annotations

import numpy as np
import pytest

from multanet_blender.mapping import SLIDER_LIMIT, MeshMotion, fit_similarity, topology_problem
from multanet_blender.timing import StripTiming, slice_for_strip, visible
from multanet_core.errors import MulTaNetError
from train.random_heads import random_head


@pytest.fixture(scope="module")
def head():
    return random_head("ada", 200, 6, 16, np.random.default_rng(0))


def rotation(axis, angle):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def test_topology_messages(head):
    n, faces, sizes = head.n_vertices, head.faces, head.face_sizes
    assert topology_problem(head, "Face", n, faces, sizes) is None
    assert topology_problem(head, "Cube", 8, faces[:24], sizes[:6]) == (
        f"head 'ada' expects {n:,} vertices; 'Cube' has 8")
    shuffled = faces.copy()
    perm = np.random.default_rng(1).permutation(n)
    msg = topology_problem(head, "Face", n, perm[shuffled], sizes)
    assert "same vertex count" in msg and "vertex order changed on import?" in msg
    msg = topology_problem(head, "Face", n, faces[:-4], sizes[:-1])
    assert f"{len(sizes) - 1:,} faces instead of {len(sizes):,}" in msg


def test_similarity_recovers_a_known_transform(head):
    r = rotation([1, 2, 3], 0.7)
    target = 2.5 * head.template @ r.T + [1.0, -2.0, 0.5]
    fit = fit_similarity(head.template, target)
    np.testing.assert_allclose(fit.scale, 2.5, rtol=1e-6)
    np.testing.assert_allclose(fit.rotation, r, atol=1e-6)
    np.testing.assert_allclose(fit.points(head.template), target, atol=1e-5)
    mirrored = head.template * [-1, 1, 1]  # a reflection is never fitted as a rotation
    assert np.linalg.det(fit_similarity(head.template, mirrored).rotation) > 0
    with pytest.raises(MulTaNetError, match="one point"):
        fit_similarity(head.template, np.zeros_like(head.template))


def test_motion_moves_with_the_mesh(head):
    rng = np.random.default_rng(2)
    coeffs = rng.standard_normal((5, head.n_components)).astype(np.float32) * 0.3
    pred = (head.mean + coeffs @ head.basis).reshape(5, -1, 3)
    same = MeshMotion(head, head.template)
    np.testing.assert_allclose(same.vertices(coeffs), pred, atol=1e-6)
    assert same.fit_error < 1e-6
    r = rotation([0, 1, 1], -1.1)
    rest = 0.5 * head.template @ r.T + [3, 0, 0]
    moved = MeshMotion(head, rest)
    np.testing.assert_allclose(moved.vertices(coeffs), 0.5 * pred @ r.T + [3, 0, 0], atol=1e-5)
    # shape keys reproduce the same vertices: rest + mean key + sum(value * key)
    values = moved.key_values(coeffs)
    keys = np.stack([moved.component_offsets(k) for k in range(head.n_components)])
    via_keys = rest + moved.mean_offset() + np.einsum("tk,kvc->tvc", values, keys)
    np.testing.assert_allclose(via_keys, moved.vertices(coeffs), atol=1e-5)
    # a re-sculpt keeps its own rest shape and gets the motion in its frame
    sculpt = rest + rng.normal(scale=0.002, size=rest.shape).astype(np.float32)
    resculpt = MeshMotion(head, sculpt)
    np.testing.assert_allclose(resculpt.vertices(coeffs) - sculpt, moved.vertices(coeffs) - rest, atol=2e-4)
    assert 0 < resculpt.fit_error < 0.1


def test_key_values_refuse_beyond_the_slider(head):
    motion = MeshMotion(head, head.template)
    coeffs = np.zeros((3, head.n_components), np.float32)
    coeffs[1, 2] = (SLIDER_LIMIT + 1) * motion.key_scale[2]
    with pytest.raises(MulTaNetError, match="component 2 reaches 11.0 times its shape key"):
        motion.key_values(coeffs)


def test_timing_keeps_the_grid_and_the_context():
    rate, fps = 16000, 30.0
    samples = np.arange(rate * 4, dtype=np.float32)  # 4 s whose values say where they came from
    # a strip at frame 11, trimmed by 7 frames: the first visible frame (18) hears 7/30 s into the sound
    timing = StripTiming(frame_start=11, final_start=18, final_end=50, fps=fps)
    piece = slice_for_strip(samples, rate, timing)
    assert piece.lead == 7 and piece.samples[0] == 0  # analysis starts at the sound's start: context kept
    # a sound offset of -0.5 s (the sound starts early): frame 11 hears 0.5 s, analysis frame 15 is frame 11
    timing = StripTiming(frame_start=11, final_start=11, final_end=20, fps=fps, sound_offset=-0.5)
    piece = slice_for_strip(samples, rate, timing)
    assert piece.lead == 15 and piece.samples[0] == 0
    # fractional fps and a start between grid points: the slice begins less than one frame in
    timing = StripTiming(frame_start=1, final_start=1, final_end=40, fps=30000 / 1001, sound_offset=-0.01)
    piece = slice_for_strip(samples, rate, timing)
    assert piece.lead == 0 and piece.samples[0] == 160
    # a positive offset delays the sound: silence is padded in front
    timing = StripTiming(frame_start=1, final_start=1, final_end=40, fps=fps, sound_offset=0.1)
    piece = slice_for_strip(samples, rate, timing)
    assert piece.lead == 0 and (piece.samples[:1600] == 0).all() and piece.samples[1600] == 0
    rows, mask = visible(np.ones((20, 2)), slice_for_strip(samples[:rate // 2], rate, timing))
    assert rows.shape == (39, 2) and mask.sum() == 20 and (rows[20:] == 0).all()
    with pytest.raises(MulTaNetError, match="no frames"):
        StripTiming(frame_start=1, final_start=5, final_end=5, fps=fps)
