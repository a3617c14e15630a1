"""Real-speech scores on hand-made faces whose answers are known, and `train evaluate` on the real and noise splits."""

import json

import numpy as np
import pytest

from train.speech_metrics import clip_scores, loudness_db, mouth_opening, pause_mask, phone_class

FPS = 30.0


def face(opening: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two lip vertices (upper at y = +1 mm, lower at y = -1 mm) parted by ``opening`` metres per frame."""
    template = np.array([[0, 0.001, 0], [0, -0.001, 0], [0.05, 0.05, 0]], np.float32)
    verts = np.repeat(template[None], len(opening), axis=0)
    verts[:, 1, 1] -= opening
    return verts, template, np.array([0, 1])


def test_phone_classes_for_ipa_and_arpabet():
    assert [phone_class(p) for p in ("P", "B", "M", "AH0", "IY1", "sil", "sp", "SH")] == [
        "bilabial", "bilabial", "bilabial", "vowel", "vowel", "silence", "silence", "other"]
    assert [phone_class(p) for p in ("p", "m", "ɑː", "aɪ", "_", "s")] == [
        "bilabial", "bilabial", "vowel", "vowel", "silence", "other"]


def test_a_mouth_that_follows_the_voice_scores_well_and_one_that_flaps_in_pauses_badly():
    n = 90
    t = np.arange(n) / FPS
    rate = 16000
    # 1 s of speech-like tone between two 1 s pauses of -60 dBFS noise
    samples = np.random.default_rng(0).standard_normal(3 * rate) * 1e-3
    speech = (t >= 1.0) & (t < 2.0)
    tt = np.arange(rate) / rate
    samples[rate:2 * rate] = 0.3 * np.sin(2 * np.pi * 150 * tt) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * tt))
    phones = [[0.0, 1.0, "_"], [1.0, 1.1, "m"], [1.1, 1.4, "a"], [1.4, 1.5, "p"], [1.5, 1.9, "a"],
              [1.9, 2.0, "b"], [2.0, 3.0, "_"]]
    loud = loudness_db(samples, rate, FPS, n)
    good_open = np.where(speech, 0.008 * (loud - loud.min()) / np.ptp(loud), 0.0)
    for centre in (1.05, 1.45, 1.95):  # lips shut at the centre of m, p, b
        good_open[int(round(centre * FPS))] = 0.0
    scores, _ = clip_scores(*face(good_open), 1, samples, FPS, phones)
    assert scores["r_opening_loudness"] > 0.8
    assert scores["pause_speech_motion"] < 0.05
    assert scores["pbm_vowel_opening"] == 0.0 and scores["pbm_closed_share"] == 1.0 and scores["bilabials"] == 3
    flapping = np.where(speech, 0.002, 0.006)  # the old model's failure: more motion in the pauses
    bad, _ = clip_scores(*face(flapping), 1, samples, FPS, phones)
    assert bad["r_opening_loudness"] < -0.5
    assert bad["pause_speech_motion"] == pytest.approx(3.0, rel=1e-3)  # 6 mm / 2 mm, by hand
    assert bad["pbm_vowel_opening"] == pytest.approx(1.0)


def test_pauses_without_alignment_come_from_loudness_and_ignore_short_gaps():
    loud = np.full(60, -20.0)
    loud[10:13] = -60  # 100 ms: a stop closure, not a pause
    loud[30:45] = -60  # 500 ms pause
    mask = pause_mask(60, FPS, None, loud)
    assert not mask[10:13].any() and mask[30:45].all() and mask.sum() == 15


def test_mouth_opening_is_zero_at_rest():
    verts, template, lips = face(np.array([0.0, 0.004]))
    np.testing.assert_allclose(mouth_opening(verts, template, lips, 1), [0.0, 0.004], atol=1e-7)


def test_evaluate_real_and_noise_splits(tiny_corpus, tmp_path, speech16k):
    import soundfile as sf

    from multanet_core.checkpoint import save_checkpoint
    from train.__main__ import main
    from train.random_checkpoint import make_random_model

    _, ckpt = make_random_model("multanet", characters=1, vertices=200, components=8, seed=2)
    model = tmp_path / "random.npz"
    save_checkpoint(model, ckpt)
    real = tmp_path / "real"
    real.mkdir()
    sf.write(real / "a_clip.flac", speech16k[:32000], 16000)
    (real / "a_clip.json").write_text(json.dumps({"phones": [[0, 0.3, "sil"], [0.3, 0.4, "M"], [0.4, 0.6, "AA1"],
                                                             [0.6, 2.0, "sil"]], "language": "en"}))
    sf.write(real / "b_clip.wav", speech16k[32000:64000], 16000)
    out = tmp_path / "real.json"
    assert main(["evaluate", "--checkpoint", f"rnd={model}", "--data", str(real), "--split", "real",
                 "--json", str(out), "--plots", str(tmp_path / "plots")]) == 0
    result = json.loads(out.read_text())
    assert result["clips"] == 2 and result["clips_with_phones"] == 1
    assert {r["clip"] for r in result["records"]} == {"a_clip", "b_clip"}
    a = next(r for r in result["records"] if r["clip"] == "a_clip")
    assert "pbm_vowel_opening" in a and a["bilabials"] == 1
    assert (tmp_path / "plots" / "real_rnd_a_clip.png").is_file()
    # the noise split on the tiny corpus's test sequences (a random model stands in for a trained one)
    _, two = make_random_model("multanet", characters=2, vertices=100, components=8, seed=3)
    noise_json = tmp_path / "noise.json"
    from train.data import open_dataset

    ds = open_dataset(tiny_corpus)
    for i, name in enumerate(ds.characters):  # give the random heads the corpus's meshes and names
        t = ds.template(name)
        h = two.heads[i]
        h.name, h.template, h.faces, h.face_sizes = name, t.vertices, t.face_indices, t.face_sizes
        h.lips, h.upper_face = t.lip_indices, t.upper_face_indices
        h.mean = t.vertices.reshape(-1).astype(np.float32)
        h.basis = np.random.default_rng(i).standard_normal((8, t.vertices.size)).astype(np.float32) * 1e-4
    save_checkpoint(tmp_path / "two.npz", two)
    assert main(["evaluate", "--checkpoint", f"rnd={tmp_path / 'two.npz'}", "--data", str(tiny_corpus),
                 "--split", "noise", "--json", str(noise_json)]) == 0
    noise = json.loads(noise_json.read_text())
    assert list(noise["overall"]) == ["clean", "white -60 dBFS", "white -50 dBFS", "white -40 dBFS", "room -50 dBFS",
                                      "babble 10 dB SNR", "reverb RT60 0.5 s"]
    static = {c: noise["overall"][c]["static"]["all"]["lve"] for c in noise["overall"]}
    assert len(set(static.values())) == 1  # the ground truth never changes with the audio
    lves = {c: noise["overall"][c]["rnd"]["all"]["lve"] for c in noise["overall"]}
    assert len(set(lves.values())) == len(lves)  # every condition changes what the model hears


def test_the_bundled_real_speech_set_is_complete_and_credited():
    from pathlib import Path

    from train.evaluate_real import load_clips
    from train.speech_metrics import phone_class

    folder = Path(__file__).resolve().parents[1] / "data" / "real_speech"
    clips = load_clips(folder)
    assert len(clips) >= 10
    assert len({c.meta["speaker"] for c in clips}) >= 8 and len({c.meta["language"][:2] for c in clips}) >= 4
    for c in clips:
        assert c.meta["licence"] and c.meta["package"] and c.meta["version"], c.name
        assert 1.0 < c.seconds < 30.0, c.name
    aligned = [c for c in clips if c.phones]
    assert len(aligned) >= 5
    bilabials = sum(phone_class(str(p)) == "bilabial" for c in aligned for _, _, p in c.phones)
    vowels = sum(phone_class(str(p)) == "vowel" for c in aligned for _, _, p in c.phones)
    assert bilabials >= 50 and vowels >= 200
    for c in aligned:  # alignments lie inside the audio and run forwards
        starts = [float(s) for s, _, _ in c.phones]
        assert starts == sorted(starts) and float(c.phones[-1][1]) <= c.seconds + 0.05, c.name
