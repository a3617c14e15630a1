"""The lip-contact head: core's pull towards closed lips and rest, and train contact-head on real corpus data."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from multanet_core.checkpoint import load_checkpoint
from multanet_core.contact import CONTACT_CLASSES, apply_contact, ramp, speech_share
from multanet_core.errors import MulTaNetError
from multanet_core.inference import Animator
from multanet_core.network_spec import NetworkSpec
from train.__main__ import main
from train.contact_head import auc, contact_labels
from train.non_speech import add_non_speech

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
C = len(CONTACT_CLASSES)


def test_apply_contact_pulls_by_probability_and_strength():
    coeffs = np.ones((4, 3), np.float32)
    closed, rest = np.zeros(3, np.float32), np.full(3, -1.0, np.float32)
    probs = np.zeros((4, C), np.float32)
    probs[1, 0] = 1.0  # sure closure
    probs[:, 4] = [0.0, 0.0, 1.0, 0.0]
    probs[2, 4] = 1.0  # sure silence, but one frame only: averaged over 5 frames it is 0.2, no pull
    probs[3, 0] = 0.3  # unsure: under the ramp, left to the regression
    out = apply_contact(coeffs, probs, closed, rest, 1.0)
    np.testing.assert_allclose(out, [[0.75, 0.75, 0.75], [0, 0, 0], [0.75, 0.75, 0.75], [1, 1, 1]])  # eased edges
    probs[:, 4] = 1.0  # a pause: every frame silent
    np.testing.assert_allclose(apply_contact(coeffs, probs, closed, rest, 1.0), -1.0)
    half = apply_contact(coeffs, probs, closed, rest, 0.5)
    np.testing.assert_allclose(half[0], -0.0625)  # an eighth of the way to closed (0.875), then halfway to rest
    np.testing.assert_allclose(half[1], -0.25)  # halfway to closed (0.5), then halfway from there to rest
    assert apply_contact(coeffs, probs, closed, rest, 0.0) is coeffs
    assert ramp(np.array([0.5, 0.85, 0.675]))[[0, 1]].tolist() == [0.0, 1.0] and 0 < ramp(np.array([0.675]))[0] < 1
    probs[:, 4] = [0.9, 0.2, 0.1, 0.4]
    assert speech_share(probs) == 0.75


def test_the_speech_share_leaves_a_lines_quiet_frames_out():
    """A short word in a long quiet take is still speech: the share counts the frames that are not quiet only,
    and a take that is quiet throughout is no speech."""
    from multanet_core.contact import speech_warning

    probs = np.zeros((10, C), np.float32)
    probs[:, 4] = [0.9] * 7 + [0.1] * 3  # heard as no speech where quiet, as speech where a word sounds
    quiet = np.array([1.0] * 7 + [0.0] * 3)
    assert speech_share(probs) == pytest.approx(0.3) and speech_share(probs, quiet) == 1.0
    assert speech_warning(probs, "'a'") == "only 30 % of 'a' sounded like speech: check that it is dialogue"
    assert speech_warning(probs, "'a'", quiet) == ""
    assert speech_share(probs, np.ones(10)) == 0.0 and speech_warning(probs, "'b'", np.ones(10)).startswith("only 0 %")


def test_a_heard_pause_rests_from_inside_its_edges():
    """The lips still close into a pause and open out of it: the pull starts REST_EDGE_FRAMES inside the run of
    silent frames (at its edges it cost the synthetic English test 6 % lip error and rested nothing)."""
    from multanet_core.contact import REST_EDGE_FRAMES, running_min

    assert REST_EDGE_FRAMES == 2
    assert running_min(np.array([3, 1, 4, 1, 5, 9, 2, 6], np.float32), 3).tolist() == [1, 1, 1, 1, 1, 2, 2, 2]
    coeffs = np.ones((25, 3), np.float32)
    probs = np.zeros((25, C), np.float32)
    probs[5:20, 4] = 1.0  # a 500 ms pause
    out = apply_contact(coeffs, probs, np.zeros(3, np.float32), np.full(3, -1.0, np.float32), 1.0)
    np.testing.assert_allclose(out[9:16], -1.0)  # its middle at rest
    np.testing.assert_allclose(out[:6], 1.0)  # the speech before it and the pause's first frame untouched
    np.testing.assert_allclose(out[19:], 1.0)
    assert (out[7, 0] > -1.0) and (out[7, 0] < 1.0)  # easing in


def test_a_mesh_heads_heard_closure_brings_its_lip_midpoints_to_the_templates_distance():
    """With the head's LipLift, a frame the contact head hears closed moves along the least-lip-motion direction
    until its lip midpoints are as near as at the template; lips the regression closed keep their own shape."""
    from multanet_core.contact import LipLift

    span = np.eye(3, dtype=np.float32)  # upper minus lower midpoint = c + offset
    offset = np.array([0.0, 6.0, 2.0], np.float32)
    lift = LipLift(np.array([0.0, 1.0, 0.4], np.float32), span, offset, float(np.hypot(6.0, 2.0)))
    c = np.zeros((8, 3), np.float32)
    c[:, 1] = 3.0
    c[6, 1] = -0.5  # already closed
    probs = np.zeros((8, C), np.float32)
    probs[[2, 6], 0] = 1.0
    seal = (np.array([0.0, 1.0, 0.0], np.float32), 6.0)
    out = apply_contact(c, probs, np.zeros(3, np.float32), np.zeros(3, np.float32), 1.0, seal=seal, lift=lift)
    assert np.linalg.norm(out[2] @ span.T + offset) == pytest.approx(lift.rest, abs=1e-4)
    step = out[2] - c[2]
    assert step[0] == 0 and step[2] == pytest.approx(0.4 * step[1])
    np.testing.assert_allclose(out[[1, 3]] - c[[1, 3]], [0.25 * step, 0.25 * step], atol=1e-6)  # eased in and out
    assert np.array_equal(out[[0, 4, 6]], c[[0, 4, 6]])  # far from a closure, or closed already: as they were


def test_labels_from_ipa_and_arpabet_timelines():
    phones = [[0.0, 0.1, "_"], [0.1, 0.2, "m"], [0.2, 0.3, "ˈa"], [0.3, 0.4, "F"], [0.4, 0.5, "UW1"], [0.5, 0.6, "t"]]
    y = contact_labels(phones, 20, 12)
    assert [CONTACT_CLASSES[int(np.argmax(r))] if r.any() else "-" for r in y] == \
        ["silence", "silence", "closed", "closed", "open", "open", "labiodental", "labiodental", "rounded",
         "rounded", "-", "-"]
    assert (contact_labels(phones, 20, 12, speech=False)[:, CONTACT_CLASSES.index("silence")] == 1).all()
    assert auc(np.array([0.1, 0.9, 0.8]), np.array([0, 1, 1])) == 1.0 and auc(np.zeros(2), np.zeros(2)) is None


def test_network_spec_keeps_older_files_and_refuses_a_karras_contact_head():
    assert "contact_outputs" not in NetworkSpec().to_dict()  # older checkpoints' metadata compares equal
    assert NetworkSpec(contact_outputs=5).to_dict()["contact_outputs"] == 5
    with pytest.raises(MulTaNetError, match="contact"):
        NetworkSpec(architecture="karras", contact_outputs=5)


def test_contact_head_fitted_on_a_corpus_seals_and_rests(tiny_corpus, tmp_path, speech16k):
    corpus = tmp_path / "corpus"
    shutil.copytree(tiny_corpus, corpus)
    add_non_speech(corpus, per_character=9, seconds=2.0)  # every kind of non-speech, tones included
    out = tmp_path / "contact.npz"
    assert main(["contact-head", "--checkpoint", DEFAULT, "--data", str(corpus), "--out", str(out),
                 "--per-character", "30", "--float16"]) == 0
    old, new = load_checkpoint(DEFAULT), load_checkpoint(out)
    assert new.network.contact_outputs == C  # a head of its own, in place of the bundled model's
    assert not np.array_equal(new.weights["contact.weight"], old.weights["contact.weight"])
    report = new.info["contact_head"]
    assert report["classes"]["closed"]["held_out_auc"] > 0.85 and report["classes"]["silence"]["held_out_auc"] > 0.8
    assert "arthur" not in report.get("closed_pose_from_rest", []) and "cornelius" in report["closed_pose_from_rest"]
    # the shared network and the heads are the same: contact 0 gives the old model's coefficients
    before = Animator(old, "arthur").coefficients(speech16k, 30.0, contact=0.0)
    anim = Animator(new, "arthur")
    np.testing.assert_allclose(anim.coefficients(speech16k, 30.0, contact=0.0), before, atol=1e-5)
    sealed = anim.coefficients(speech16k, 30.0)
    assert anim.last_contact.shape == (len(before), C) and not np.allclose(sealed, before)
    # hum is not speech: the contact head calls it silence, and the face moves less under it
    from train.non_speech import sound

    hum = (0.1 * sound("hum", 48000, np.random.default_rng(5), [])).astype(np.float32)
    plain, rested = Animator(old, "arthur").coefficients(hum, 30.0, contact=0.0), anim.coefficients(hum, 30.0)
    assert speech_share(anim.last_contact) < 0.2
    anim.coefficients(speech16k, 30.0)
    assert speech_share(anim.last_contact) > 0.6
    rest = new.head("arthur").template.reshape(-1)

    def away(c):
        return np.abs(anim.vertices(c).reshape(len(c), -1) - rest).mean()

    assert away(rested) < 0.5 * away(plain)
    # the rig head's closed pose seals the lips (ARKit: mouthClose takes back what jawOpen opens)
    rig = Animator(new, "arkit")
    names = list(rig.head.weight_names)
    closed_w = rig.weights(rig.contact_poses[0][None])[0]
    rest_w = rig.weights(rig.contact_poses[1][None])[0]
    assert closed_w[names.index("jawOpen")] - closed_w[names.index("mouthClose")] < 0.1
    assert rest_w[names.index("jawOpen")] < 0.05
    assert closed_w[names.index("mouthPressLeft")] > rest_w[names.index("mouthPressLeft")]


def test_a_seal_changes_only_what_closes_the_lips():
    """With a seal direction, a sure closure brings the lip gap to the closed pose's and leaves everything the
    gap does not depend on as the regression gave it (the whole-pose pull cost twice the synthetic lip error)."""
    rng = np.random.default_rng(4)
    coeffs = rng.standard_normal((5, 6)).astype(np.float32)
    closed, rest = rng.standard_normal(6).astype(np.float32), np.zeros(6, np.float32)
    g, offset = rng.standard_normal(6).astype(np.float32), 0.3
    probs = np.zeros((5, C), np.float32)
    probs[1, 0] = 1.0
    out = apply_contact(coeffs, probs, closed, rest, 1.0, seal=(g, offset))
    np.testing.assert_allclose(out[[3, 4]], coeffs[[3, 4]])  # (frames 0 and 2 ease in and out)
    assert abs((out[1] @ g + offset) - (closed @ g + offset)) < 1e-5  # the gap is the closed pose's
    change = out[1] - coeffs[1]
    np.testing.assert_allclose(change - (change @ g) / (g @ g) * g, 0, atol=1e-6)  # only along g: the least change
    half = apply_contact(coeffs, probs, closed, rest, 0.5, seal=(g, offset))
    np.testing.assert_allclose(half[1] - coeffs[1], 0.5 * change, atol=1e-6)


def test_seal_directions_of_a_mesh_and_a_rig_head():
    from multanet_core.contact import lip_midpoints, seal_direction

    ckpt = load_checkpoint(DEFAULT)
    up = "XYZ".index(ckpt.up_axis)
    mesh = ckpt.head("arthur")
    g, offset = seal_direction(mesh, up)
    upper, lower = lip_midpoints(mesh.template, mesh.lips, up)
    c = np.random.default_rng(0).standard_normal(mesh.n_components).astype(np.float32)
    v = (c @ mesh.basis + mesh.mean).reshape(-1, 3)
    assert abs((c @ g + offset) - (v[upper, up] - v[lower, up])) < 1e-4  # the gap, linear in the coefficients
    rig = ckpt.head("arkit")
    g, offset = seal_direction(rig, up)
    names = list(rig.weight_names)
    c = np.random.default_rng(1).standard_normal(rig.n_components).astype(np.float32)
    w = c @ rig.basis + rig.mean
    assert abs((c @ g + offset) - (w[names.index("jawOpen")] - w[names.index("mouthClose")])) < 1e-4


def test_quiet_weights_rest_pauses_not_a_stops_closure():
    from multanet_core.contact import quiet_weights

    rate, fps = 16000, 30.0
    t = np.arange(int(2.0 * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 150 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x[int(0.50 * rate):int(0.58 * rate)] = 0.0  # an 80 ms stop closure
    x[int(1.00 * rate):int(1.40 * rate)] = 1e-5  # a 400 ms pause (room tone)
    q = quiet_weights(x.astype(np.float32), rate, fps, int(2.0 * fps))
    assert q[int(1.15 * fps):int(1.25 * fps)].min() == pytest.approx(1.0)  # the pause rests fully
    assert q[int(0.45 * fps):int(0.65 * fps)].max() == 0.0  # the stop is speech
    assert q[:int(0.4 * fps)].max() == 0.0


def test_contact_head_reads_more_real_recordings_when_asked():
    """`train contact-head --real-per-character N`: the spread of the corpus as before, plus up to N more of the
    character's real recordings (`train real-corpus`'s real_*), none twice."""
    from types import SimpleNamespace

    from train.contact_head import _sequences
    from train.real_corpus import PREFIX

    ids = [f"en_{i:03d}" for i in range(40)] + [f"{PREFIX}pool_{i:02d}" for i in range(12)]

    class Corpus:
        def sequences(self, split, character):
            assert split == "train"
            return [SimpleNamespace(id=i) for i in ids]

    [(name, plain)] = list(_sequences(Corpus(), ["arthur"], 10))
    [(_, more)] = list(_sequences(Corpus(), ["arthur"], 10, real_per_character=5))
    [(_, all_real)] = list(_sequences(Corpus(), ["arthur"], 10, real_per_character=50))
    assert name == "arthur" and len(plain) == 10
    assert [s.id for s in more[:10]] == [s.id for s in plain] and len(more) == 15
    assert all(s.id.startswith(PREFIX) for s in more[10:])
    got = [s.id for s in all_real]
    assert len(got) == len(set(got)) and set(got) >= {i for i in ids if i.startswith(PREFIX)}
