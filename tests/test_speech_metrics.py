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
                                      "babble 10 dB SNR", "reverb RT60 0.5 s", "telephone band"]
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


def test_the_real_speech_set_has_non_speech_clips_and_its_training_pool_no_test_speaker():
    """Both splits hold non-speech clips (no text, no phones) that the evaluation reads as non-speech; the
    training pool of data/real_speech/fetch.py draws on no test speaker."""
    import importlib.util
    from pathlib import Path

    from train.evaluate_real import RealClip

    folder = Path(__file__).resolve().parents[1] / "data" / "real_speech"
    metas = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}
    for split in ("dev", "test"):
        non_speech = {k: m for k, m in metas.items() if m["split"] == split and m.get("speech") is False}
        assert len(non_speech) >= 5, split
        assert len({m["condition"] for m in non_speech.values()}) >= 5, split
        for name, m in non_speech.items():
            assert m["condition"].startswith("non-speech") and not m.get("phones") and not m.get("text"), name
            assert m["licence"] and m["speaker_id"] == f"nonspeech-{split}", name
            assert not RealClip(name, folder / f"{name}.flac", np.zeros(16000, np.float32), None, m).speech, name
            assert (folder / f"{name}.flac").is_file(), name
    spec = importlib.util.spec_from_file_location("real_speech_fetch", folder / "fetch.py")
    fetch = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fetch)  # constants only: no download
    pool = set(fetch.pool_speakers())
    test_speakers = {m["speaker_id"] for m in metas.values() if m["split"] == "test"}
    dev_speakers = {m["speaker_id"] for m in metas.values() if m["split"] == "dev"}
    assert len(pool) >= 10 and not pool & test_speakers and pool <= dev_speakers


# --- issue 26's target measures

def midpoint_face(opening: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lips of five vertices: upper and lower midpoints 10 mm apart at rest (z = 10 mm), one upper vertex behind
    the midpoint (z = 5 mm: not front-most), two corners; the lower midpoint drops by ``opening`` per frame."""
    template = np.array([[0, 0.005, 0.01], [0, -0.005, 0.01], [0, 0.006, 0.005], [-0.02, 0, 0], [0.02, 0, 0],
                         [0, 0.05, 0]], np.float64)
    verts = np.repeat(template[None], len(opening), axis=0)
    verts[:, 1, 1] -= opening
    verts[:, 2, 1] += 0.01  # the vertex behind the midpoint moves a lot: it must not count
    return verts, template, np.array([0, 1, 2, 3, 4])


def test_target_opening_is_the_midpoint_distance_minus_rest():
    from train.speech_metrics import lip_midpoints, lip_opening

    verts, template, lips = midpoint_face(np.array([0.0, 0.004, -0.001]))
    assert lip_midpoints(template, lips, 1) == (0, 1)
    np.testing.assert_allclose(lip_opening(verts, template, lips, 1), [0.0, 0.004, -0.001], atol=1e-12)
    # Z up: the face looks along +Y; the same lips turned stay the same vertices
    turned = template[:, [0, 2, 1]]
    assert lip_midpoints(turned, lips, 2) == (0, 1)
    with pytest.raises(ValueError, match="midline"):
        lip_midpoints(template, np.array([3, 4]), 1)


def test_frame_loudness_pauses_and_pause_speech_by_hand():
    from train.speech_metrics import frame_loudness_db, level_pauses, pause_speech

    rate = 16000
    x = np.zeros(rate)
    x[rate // 2:] = 0.1 * np.sin(2 * np.pi * 500 * np.arange(rate // 2) / rate)
    loud = frame_loudness_db(x, rate, FPS, 30)
    np.testing.assert_allclose(loud[:14], -140.0)  # digital silence, floored
    np.testing.assert_allclose(loud[16:], 20 * np.log10(0.1 / np.sqrt(2)), atol=0.05)  # 1/fps: 16.7 periods
    pauses = level_pauses(loud)
    assert pauses[:15].all() and not pauses[16:].any()
    # 25 dB under the 90th percentile, not under the quietest frames: a -40 dB floor under -10 dB speech is a pause
    assert level_pauses(np.r_[np.full(10, -40.0), np.full(10, -10.0)]).tolist() == [True] * 10 + [False] * 10
    assert not level_pauses(np.r_[np.full(10, -30.0), np.full(10, -10.0)]).any()
    # motion into pause frames over motion into speech frames: 1 mm steps into the 9 pause frames after the first,
    # into the first speech frame 1 mm (from 1 mm down to 0), then 9 steps of 4 mm
    opening = np.r_[np.tile([0.0, 0.001], 5), np.tile([0.0, 0.004], 5)]
    quiet = np.r_[np.ones(10, bool), np.zeros(10, bool)]
    assert pause_speech(opening, quiet) == pytest.approx(1 / ((1 + 9 * 4) / 10))
    assert pause_speech(opening, np.r_[np.ones(18, bool), np.zeros(2, bool)]) is None  # under 3 speech frames


def test_closures_count_pbm_and_vowel_centres_in_ipa_and_arpabet():
    from train.speech_metrics import closures, is_arpabet, target_scores

    fps = 10.0
    opening = np.full(20, 0.01)  # 10 mm everywhere...
    opening[[2, 8]] = 0.001  # ...but 1 mm at the first bilabial and at one vowel: < 20 % of the vowel mean
    opening[12] = 0.00145  # the second bilabial just over 20 % of the vowel mean (7 mm): open
    ipa = [[0.15, 0.25, "m"], [0.25, 0.55, "a"], [0.55, 0.65, "j"], [0.75, 0.85, "i"], [1.15, 1.25, "p"],
           [1.35, 1.45, "ɔ"]]
    got = closures(opening, ipa, fps, arpabet=False)
    vowel_mean = (0.01 + 0.001 + 0.01) / 3  # centres at frames 4, 8, 14
    assert got["closed"] == 0.5 and got["false_closures"] == pytest.approx(1 / 3)
    assert got["pbm_over_vowel"] == pytest.approx((0.001 + 0.00145) / 2 / vowel_mean)
    assert got["pbm_centres"] == 2 and got["vowel_centres"] == 3
    # HTS-style lower-case ARPAbet: "y" is a glide, not the IPA vowel; "em" is a syllabic m
    arpa = [[0.15, 0.25, "em"], [0.25, 0.55, "aa1"], [0.55, 0.65, "y"], [0.75, 0.85, "iy"], [1.15, 1.25, "p"],
            [1.35, 1.45, "ao"], [1.5, 2.0, "pau"]]
    assert is_arpabet(arpa) and not is_arpabet(ipa)
    assert closures(opening, arpa, fps, arpabet=True) == got
    assert closures(opening, arpa, fps, arpabet=False)["vowel_centres"] == 5  # read as IPA: y and em are vowels
    assert closures(np.zeros(20), ipa, fps) == {}  # no vowel opening: undefined, not 100 % closed
    # within a frame of the centre (aligner slack): the second bilabial's closure lands one frame late
    late = opening.copy()
    late[13] = 0.0005
    slack = closures(late, ipa, fps, arpabet=False)
    assert slack["closed"] == 0.5 and slack["closed_1"] == 1.0
    assert slack["false_closures_1"] >= slack["false_closures"]
    # the whole clip: opening follows a clean voice; under babble, r against the clean clip's loudness
    verts, template, lips = midpoint_face(np.r_[np.zeros(10), 0.01 * np.abs(np.sin(np.arange(20) / 3)), np.zeros(10)])
    rate, step = 16000, 640  # 25 fps
    clean = np.zeros(40 * step)
    clean[10 * step:30 * step] = 0.2 * np.sin(np.arange(20 * step) * 0.3)
    talking = (np.arange(len(clean)) >= 10 * step) & (np.arange(len(clean)) < 30 * step)
    babble = clean + np.where(talking, 0.02, 0.4) * np.sin(np.arange(len(clean)) * 0.05)  # loudest in the pauses
    scores, curves = target_scores(verts, template, lips, 1, babble, rate, 25.0, clean_samples=clean)
    assert scores["r_clean"] > 0.6 and scores["r"] < 0 and set(curves) == {"opening", "loudness_db", "pauses"}
    assert "closed" not in scores and scores["pause_speech"] is None  # babble all along: no pause frames


def reference_measures():
    """findings/real_speech_measures.py beside the checkout: the numpy reference of issue 26's definitions."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "shared" / "findings" / "real_speech_measures.py"
    assert path.is_file(), f"{path}: the reference definitions (../shared beside the checkout) are missing"
    spec = importlib.util.spec_from_file_location("real_speech_measures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_target_measures_equal_the_reference_on_real_clips():
    """The evaluation's records and curves for the bundled model on data/real_speech give the reference's numbers."""
    from pathlib import Path

    from multanet_core.checkpoint import load_checkpoint
    from multanet_core.inference import Animator
    from train.evaluate_real import evaluate_clips, load_clips
    from train.speech_metrics import centre_class

    ref = reference_measures()
    root = Path(__file__).resolve().parents[1]
    ckpt = load_checkpoint(root / "multanet_blender" / "models" / "default.npz")
    assert ckpt.up_axis == "Y"
    for head in ckpt.mesh_heads:
        assert Animator(ckpt, head.name).head is not None
        assert lip_midpoints_of(ckpt, head.name) == ref.lip_midpoints(head.template, head.lips, 1), head.name
    clips = [c for c in load_clips(root / "data" / "real_speech") if c.split != "test" and c.speech]
    # ARPAbet timelines (upper and lower case), IPA ones and clips without phones; not the locked test split
    clips = ([c for c in clips if c.phones and c.arpabet][:6] + [c for c in clips if c.phones and not c.arpabet][:2]
             + [c for c in clips if not c.phones][:4])
    assert len(clips) >= 8 and any(c.phones and not c.arpabet for c in clips)
    chars = [ckpt.mesh_heads[0].name, ckpt.mesh_heads[-1].name]
    records, curves = evaluate_clips({"m": {c: ckpt for c in chars}}, clips, keep_curves=len(clips))
    compared = closures = 0
    for char in chars:
        anim = Animator(ckpt, char)
        head = anim.head
        for clip in clips:
            verts = anim.vertices(anim.coefficients(clip.samples, ckpt.fps, "neutral"))
            opening = ref.opening(verts, head.template, head.lips, 1)
            db = ref.loudness_db(clip.samples, 16000, ckpt.fps, len(opening))
            phones = clip.phones
            if phones and not clip.arpabet:  # the reference reads ARPAbet: give IPA phones by their class
                phones = [[s, e, {"bilabial": "P", "vowel": "AA"}.get(centre_class(p, False), "-")]
                          for s, e, p in phones]
            want = ref.clip_measures(opening, db, ckpt.fps, phones)
            got = next(r for r in records if r["character"] == char and r["clip"] == clip.name)
            for key in ("r", "pause_speech", "closed", "false_closures", "pbm_over_vowel"):
                if want.get(key) is None:
                    assert got.get(key) is None, (clip.name, key)
                else:
                    assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), (clip.name, char, key)
            if char == chars[0]:
                curve = next(c for c in curves if c["clip"] == clip.name)
                np.testing.assert_allclose(curve["opening"], opening, rtol=0, atol=1e-9)
                np.testing.assert_allclose(curve["loudness_db"], db, rtol=0, atol=1e-9)
                assert curve["pauses"] == (db < np.percentile(db, 90) - 25).tolist()
            compared += 1
            closures += "closed" in want
    assert compared >= 16 and closures >= 8  # enough clips have P/B/M and vowels for the closure rules to count


def lip_midpoints_of(ckpt, character: str) -> tuple[int, int]:
    from train.speech_metrics import lip_midpoints

    head = next(h for h in ckpt.mesh_heads if h.name == character)
    return lip_midpoints(head.template, head.lips, 1)


def test_real_splits_conditions_babble_and_non_speech(tmp_path, speech16k):
    """--real-split filters the clips by their json's split (none: dev); the report names every target."""
    import soundfile as sf

    from multanet_core.checkpoint import save_checkpoint
    from train.__main__ import main
    from train.random_checkpoint import make_random_model

    _, ckpt = make_random_model("multanet", characters=2, vertices=200, components=8, seed=2)
    model = tmp_path / "random.npz"
    save_checkpoint(model, ckpt)
    real = tmp_path / "real"
    real.mkdir()
    speech = speech16k[:48000]
    rng = np.random.default_rng(0)
    other = speech16k[::-1][:48000]  # the same voice backwards: babble
    clips = {
        "clean_en": (speech, {"split": "dev", "condition": "studio", "language": "en-US",
                              "phones": [[0, 0.3, "sil"], [0.3, 0.4, "M"], [0.4, 0.6, "AA1"], [0.6, 0.7, "P"],
                                         [0.7, 0.9, "IY0"], [0.9, 3.0, "sil"]]}),
        "babble_en": (speech + other, {"split": "dev", "condition": "babble 0 dB", "language": "en",
                                       "clean": "clean_en"}),
        "sine": (0.1 * np.sin(2 * np.pi * 440 * np.arange(32000) / 16000),
                 {"split": "dev", "condition": "non-speech: sine"}),
        "old_fr": (speech16k[:32000], {"language": "fr-CA"}),  # no split yet: dev
        "locked": (0.01 * rng.standard_normal(32000) + speech16k[:32000], {"split": "test", "language": "de"}),
    }
    for name, (samples, meta) in clips.items():
        sf.write(real / f"{name}.flac", samples.astype(np.float32), 16000)
        (real / f"{name}.json").write_text(json.dumps(meta))

    def evaluate(split):
        out = tmp_path / f"{split}.json"
        report = tmp_path / f"{split}.md"
        argv = ["evaluate", "--checkpoint", f"rnd={model}", "--data", str(real), "--split", "real", "--json", str(out),
                "--report", str(report)] + ([] if split is None else ["--real-split", split])
        assert main(argv) == 0
        return json.loads(out.read_text()), report.read_text()

    dev, text = evaluate(None)  # dev by default
    assert dev["real_split"] == "dev" and dev["clips"] == 4 and dev["clips_without_split"] == 1
    assert {r["clip"] for r in dev["records"]} == {"clean_en", "babble_en", "sine", "old_fr"}
    assert dev["speech_clips"] == 3 and dev["non_speech_clips"] == 1 and dev["degraded_clips"] == 1
    assert len(dev["records"]) == 8  # 4 clips x 2 heads
    # the random model's second head has its lips in one row: no lower midpoint, so only issue 14's measures
    assert dev["heads_without_lip_midpoints"] == ["rnd/char01"]
    for r in dev["records"]:
        if r["character"] == "char01":
            assert r["lip_midpoints"] is None and "r" not in r and "non_speech_motion" not in r
            assert ("r_opening_loudness" in r) == r["speech"]
            continue
        assert len(r["lip_midpoints"]) == 2
        if r["clip"] == "sine":  # no speech measures; its motion over the clean speech clips' (clean_en, old_fr)
            assert "r" not in r and "r_opening_loudness" not in r
            speech_motion = np.mean([s["motion"] for s in dev["records"] if s["character"] == r["character"]
                                     and s["clip"] in ("clean_en", "old_fr")])
            assert r["non_speech_motion"] == pytest.approx(r["motion"] / speech_motion)
        elif r["clip"] == "babble_en":
            assert r["babble_r_clean"] == r["r_clean"] and r["r_clean"] is not None
        else:
            assert "r_clean" not in r and r["r"] is not None
    overall = dev["overall"]["rnd"]["all"]
    for key in ("r", "pause_speech", "closed", "false_closures", "babble_r_clean", "non_speech_motion"):
        assert key in dev["targets"] and overall["pass"][key] in (True, False), key
    assert overall["babble5_r_clean"] is None and overall["pass"]["babble5_r_clean"] is None
    assert overall["r"] == pytest.approx(np.mean([r["r"] for r in dev["records"]  # degraded copies: own rows
                                                  if r.get("r") is not None and not r["degraded"]]))
    assert set(dev["per_condition"]["rnd"]) == {"studio", "babble 0 dB", "non-speech: sine", "unspecified"}
    assert set(dev["per_language"]["rnd"]) == {"en", "fr", "-"}
    assert dev["per_language"]["rnd"]["en"]["clips"] == 2
    assert ">= 0.65" in text and "<= 0.3" in text and ">= 70%" in text and "<= 5%" in text
    assert ("pass" in text or "FAIL" in text) and "## Per condition" in text and "## Per language" in text
    assert "Issue 14's measures" in text  # the earlier definitions stay reproducible
    places = dev["pause_places"]["rnd"]  # where the pauses lie, from the clean clips with phones
    assert sum(p["share"] for p in places.values()) == pytest.approx(1.0) and "## Where the pause frames lie" in text
    test, _ = evaluate("test")
    assert [r["clip"] for r in test["records"]] == ["locked", "locked"]
    everything, _ = evaluate("all")
    assert everything["clips"] == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    sf.write(empty / "a.flac", speech16k[:16000], 16000)
    (empty / "a.json").write_text(json.dumps({"split": "test"}))
    assert main(["evaluate", "--checkpoint", f"rnd={model}", "--data", str(empty), "--split", "real"]) == 2


def test_pause_places_say_which_quiet_frames_are_a_words_own_closures():
    from train.speech_metrics import PAUSE_PLACES, pause_places, pooled_pause_places

    fps = 10.0  # frame t (the motion into it, t >= 1) lies at t / 10 s
    phones = [[0.0, 0.3, "sil"], [0.3, 0.4, "m"], [0.4, 0.6, "a"], [0.6, 0.7, "t"], [0.7, 0.8, "s"],
              [0.8, 0.9, "sp"], [0.9, 1.2, "a"]]
    opening = np.array([0, 0, 1, 1, 0, 2, 1, 0, 0, 3, 3, 3], np.float64)
    pauses = np.array([1, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0], bool)
    got = pause_places(pauses, opening, phones, fps, arpabet=False)
    assert got["silence of 150 ms or more"] == [2, 1.0]  # frames 1, 2
    assert got["P/B/M"] == [1, 0.0] and got["another stop"] == [1, 1.0]  # frame 3 (m), frame 6 (t)
    assert got["another consonant"] == [0, 0.0]  # s (frame 7) is loud
    assert got["silence under 150 ms"] == [1, 0.0]  # frame 8 (sp, 100 ms)
    assert got["vowel"] == [2, 4.0] and got["no reference phone"] == [0, 0.0]  # frames 4 and 9: quiet vowels
    assert got["speech"] == [4, 3.0]  # frames 5, 7, 10, 11
    assert sum(got[p][0] for p in PAUSE_PLACES) == pauses[1:].sum()
    pooled = pooled_pause_places([got, got])
    assert pooled["vowel"]["share"] == pytest.approx(2 / 7)
    assert pooled["another stop"]["motion_vs_speech"] == pytest.approx(1.0 / 0.75)
    assert pooled["another stop"]["motion_share"] == pytest.approx(1 / 6)
    # ARPAbet: stops by their upper-case names, silences by theirs
    arpa = pause_places(pauses, opening, [[0.0, 0.3, "pau"], [0.3, 0.4, "M"], [0.4, 0.6, "AA1"], [0.6, 0.7, "T"],
                                          [0.7, 0.8, "S"], [0.8, 0.9, "sp"], [0.9, 1.2, "AA0"]], fps)
    assert {p: arpa[p] for p in PAUSE_PLACES} == {p: got[p] for p in PAUSE_PLACES}
