"""The corpus generator end to end on a small cast: real espeak speech, real files on disk."""

import hashlib
import json

import numpy as np
import pytest

from multanet_core.espeak import Utterance, synthesize
from train.__main__ import main
from train.data import open_dataset
from train.synth.articulation import UnknownPhonemeError, articulate, phoneme_class
from train.synth.characters import cast, character
from train.synth.corpus import JITTER, Task, plan, prosody_jitter, render_task, resolve_languages, split_of
from train.synth.head import build_head

# the old meaning of --languages still holds: ko, cmn and ja (default held-out languages) are held out
ARGS = ["--characters", "3", "--sentences", "10", "--languages", "en,de,ko,cmn,ja", "--foreign-sentences", "2",
        "--train-sentences", "1", "--shifted-voice", "2", "--neural-sentences", "2", "--neural-test", "1", "--quiet"]


def _digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus") / "c"
    assert main(["synth", "--out", str(out), "--jobs", "2", *ARGS]) == 0
    return out


def test_byte_identical_whatever_the_jobs(corpus, tmp_path):
    other = tmp_path / "c1"
    assert main(["synth", "--out", str(other), "--jobs", "1", *ARGS]) == 0
    assert _digest(corpus) == _digest(other)


def test_layout_splits_and_validation(corpus):
    ds = open_dataset(corpus)
    ds.validate()
    assert ds.characters == ["arthur", "beatrix", "cornelius"]
    info = json.loads((corpus / "dataset.json").read_text())
    assert set(info["splits"]) == {"train", "val", "test", "unseen_language", "cross_voice", "shifted_voice",
                                   "neural_voice"}
    assert info["train_languages"] == ["en", "de"] and info["heldout_languages"] == ["ko", "cmn", "ja"]
    assert info["splits"]["train"]["languages"] == ["en", "de"]
    assert info["splits"]["unseen_language"]["languages"] == ["ko", "cmn", "ja"]
    for c, name in enumerate(ds.characters):
        ids = {s.split: sorted(x.id for x in ds.sequences(split=s.split, character=name)) for s in ds.sequences()}
        # each character its own German train sentence, one val and one test sentence shared by all
        # ...and two English train sentences again in neural voices (a different pair for each character)
        assert ids["train"] == sorted([f"de_{c + 1:03d}", *(f"en_{k:03d}" for k in range(1, 9)),
                                       f"en_{c + 1:03d}_nv", f"en_{c + 5:03d}_nv"])
        assert ids["val"] == ["de_004", "en_009"] and ids["test"] == ["de_005", "en_010"]
        assert ids["unseen_language"] == ["cmn_001", "cmn_002", "ja_001", "ja_002", "ko_001", "ko_002"]
        assert len(ids["cross_voice"]) == 1 and name not in ids["cross_voice"][0]
        assert ids["shifted_voice"] == ["en_010_fast", "en_010_slow"]
        assert ids["neural_voice"] == ["en_010_nv"]
    # English sentences last 2 to 8 s, for every voice (the neural voices pause longer: up to 12 s)
    for seq in ds.sequences(language="en"):
        audio, sr = ds.load_audio(seq)
        assert 2.0 <= len(audio) / sr <= (12.0 if seq.id.endswith("_nv") else 8.5), seq.key
        if seq.id.endswith("_nv"):
            neural = seq.metadata()["voice"]["neural"]
            assert neural["family"] in ("piper", "kokoro") and sr == {"piper": 22050, "kokoro": 24000}[neural["family"]]
            assert "licence" in neural and seq.metadata()["phonemes"][-1][1] == pytest.approx(len(audio) / sr, abs=1e-3)


def test_biwi_split_numbers():
    assert [split_of(k, 40) for k in (1, 32, 33, 36, 37, 40)] == ["train", "train", "val", "val", "test", "test"]
    tasks = plan(14, 40, ["en", "ko", "cmn", "ja"], seed=0, foreign_sentences=10)
    per_char = [t for t in tasks if t.character == 5]
    assert sum(t.split == "train" and t.neural is None for t in per_char) == 32
    assert sum(t.split == "train" and t.neural is not None for t in per_char) == 16  # no Kokoro language: English only
    assert sum(t.split == "unseen_language" for t in per_char) == 30
    cross = [t for t in per_char if t.split == "cross_voice"]
    assert len(cross) == 4 and len({t.voice_of for t in cross}) == 4 and all(t.voice_of != 5 for t in cross)


def test_default_plan_trains_on_21_languages_and_holds_out_10():
    train, held = resolve_languages()
    assert len(train) >= 20 and train[0] == "en" and len(held) >= 8 and {"ko", "cmn", "ja"} <= set(held)
    assert not set(train) & set(held)
    tasks = plan(14, 40)
    english = {t.seq_id: t for t in plan(14, 40, ["en"])}  # the English-only corpus of before
    for c in (0, 13):
        per_char = [t for t in tasks if t.character == c]
        count = {s: sum(t.split == s for t in per_char) for s in {t.split for t in per_char}}
        assert count == {"train": 32 + 2 * 20 + 16 + 2, "val": 4 + 20, "test": 4 + 20,
                         "unseen_language": 4 * len(held), "cross_voice": 4, "shifted_voice": 16, "neural_voice": 4}
        # the neural voices: half the English train sentences (Piper and Kokoro alternately, seeded speeds and
        # Kokoro blends), two train sentences of a Kokoro language, and the English test sentences at speed 1
        neural = [t for t in per_char if t.neural is not None]
        en = [t for t in neural if t.split == "train" and t.language == "en"]
        assert len(en) == 16 and len({t.sentence for t in en}) == 16
        assert [t.neural.family for t in en].count("piper") == 8 and all("+" in t.neural.name
                                                                      for t in en if t.neural.family == "kokoro")
        assert all(0.85 <= t.neural.rate <= 1.2 for t in en) and len({t.neural.rate for t in en}) == 16
        other = [t for t in neural if t.split == "train" and t.language != "en"]
        assert len(other) == 2 and other[0].language in ("es", "fr", "it", "pt")
        assert all(t.neural.family == "kokoro" for t in other)
        assert all(t.neural.rate == 1.0 and "+" not in t.neural.name for t in neural if t.split == "neural_voice")
        assert all(t.split in ("train", "neural_voice") for t in neural)
        # the English sentences and their numbering are unchanged; the test split has no jitter
        for t in per_char:
            if t.language == "en" and t.split in ("train", "val", "test") and c == 0:
                assert t.text == english[t.seq_id].text and t.split == english[t.seq_id].split
        assert all(t.prosody == () for t in per_char if t.split in ("val", "test", "cross_voice", "unseen_language"))
        assert all(t.prosody for t in per_char if t.split == "train" and t.neural is None)
        assert {t.language for t in per_char if t.split == "train"} == set(train)
        assert {t.language for t in per_char if t.split == "unseen_language"} == set(held)
    # other training languages: each character its own train sentences, never a val/test one
    de = [t for t in tasks if t.language == "de"]
    train_texts = [t.text for t in de if t.split == "train"]
    assert len(set(train_texts)) == len(train_texts) == 28
    assert not {t.text for t in de if t.split != "train"} & set(train_texts)
    with pytest.raises(ValueError, match="both"):
        resolve_languages(["en", "ko"], ["ko"])
    with pytest.raises(ValueError, match="unknown"):
        resolve_languages(["en", "xx"])


def test_prosody_jitter_depends_only_on_seed_character_and_id():
    a = prosody_jitter(0, 3, "de_001")
    assert a == prosody_jitter(0, 3, "de_001") and dict(a).keys() == JITTER.keys()
    assert a != prosody_jitter(1, 3, "de_001") and a != prosody_jitter(0, 4, "de_001")
    draws = np.array([[v for _, v in prosody_jitter(0, c, f"en_{k:03d}")] for c in range(14) for k in range(1, 33)])
    spans = np.array(list(JITTER.values()))
    assert (np.abs(draws) <= spans).all() and (draws.max(0) > 0.8 * spans).all() and (draws.min(0) < -0.8 * spans).all()
    assert prosody_jitter(0, 3, "de_001", scale=0) == ()
    # the plan is the same for any cast size it shares (the jitter does not depend on the work split either)
    small = {(t.character, t.seq_id): t.prosody for t in plan(2, 10, ["en"]) if t.split == "train"}
    large = {(t.character, t.seq_id): t.prosody for t in plan(3, 10, ["en"]) if t.split == "train"}
    assert small and all(large[key] == value for key, value in small.items())


def test_train_and_shifted_voices_are_resynthesised_and_recorded(corpus):
    ds = open_dataset(corpus)
    base = character(1).voice
    for seq in ds.sequences(split="train", character="beatrix"):
        meta = seq.metadata()
        if seq.id.endswith("_nv"):  # a neural voice (tested in test_layout_splits_and_validation)
            continue
        voice, change = meta["voice"], meta["voice"]["prosody"]
        assert voice["variant"] == base.variant
        assert voice["rate"] == base.rate + change["rate"] and voice["pitch"] == base.pitch + change["pitch"]
        assert voice["pitch_range"] == base.pitch_range + change["pitch_range"]
    own = next(s for s in ds.sequences(split="test", character="beatrix") if s.id == "en_010")
    slow, fast = (next(s for s in ds.sequences(split="shifted_voice", character="beatrix") if s.id == f"en_010_{x}")
                  for x in ("slow", "fast"))
    assert slow.metadata()["voice"]["rate"] == base.rate - 40 and fast.metadata()["voice"]["rate"] == base.rate + 40
    durations = [ds.load_vertices(s).shape[0] for s in (slow, own, fast)]
    assert durations[0] > durations[1] > durations[2]  # resynthesised, not stretched: the timeline follows
    words = [[p for _, _, p in s.metadata()["phonemes"] if p != "_"] for s in (slow, own, fast)]
    assert words[0] == words[1] == words[2]
    assert slow.metadata()["phonemes"][-1][1] == pytest.approx(durations[0] / 30.0, abs=0.05)


def test_an_unknown_phoneme_names_the_language_and_text(monkeypatch, tmp_path):
    import train.synth.corpus as corpus_module

    def fake(text, language, voice):
        return Utterance(np.zeros(4410, np.int16), 22050, [(0, 2205, "m"), (2205, 4410, "ʘ")])

    monkeypatch.setattr(corpus_module, "synthesize", fake)
    task = Task(0, "train", "xx_001", "de", "Hallo Welt.", 1, 0)
    with pytest.raises(UnknownPhonemeError, match=r"'ʘ'.*de reading 'Hallo Welt.'"):
        render_task(task, str(tmp_path), 30.0)


def test_cross_voice_is_the_other_voice_on_this_face(corpus):
    ds = open_dataset(corpus)
    seq = ds.sequences(split="cross_voice", character="arthur")[0]
    speaker = seq.metadata()["voice"]["character"]
    own = next(s for s in ds.sequences(split="test", character=speaker) if s.id == seq.id.split("_voice_")[0])
    assert (corpus / "arthur/cross_voice" / f"{seq.id}.wav").read_bytes() == \
        (corpus / speaker / "test" / f"{own.id}.wav").read_bytes()
    assert seq.metadata()["phonemes"] == own.metadata()["phonemes"]
    assert ds.load_vertices(seq).shape[1] == ds.template("arthur").n_vertices


def test_motion_rest_lips_and_brows(corpus):
    ds = open_dataset(corpus)
    tmpl = ds.template("beatrix")
    lips, upper = tmpl.lip_indices, tmpl.upper_face_indices
    closed, opened = [], []
    brow_motion = []
    for seq in ds.sequences(character="beatrix", split="train"):
        v = ds.load_vertices(seq)
        fps = seq.metadata()["fps"]
        # silence at rest: first and last frames are the template
        assert np.abs(v[0] - tmpl.vertices).max() < 2e-4
        assert np.abs(v[-1] - tmpl.vertices).max() < 2e-4
        gap = v[:, lips, 1].max(1) - v[:, lips, 1].min(1)
        for start, end, ipa in seq.metadata()["phonemes"]:
            f = min(int(round((start + end) / 2 * fps)), len(v) - 1)
            if phoneme_class(ipa) == "bilabial" and end - start > 0.05:
                closed.append(gap[f])
            elif phoneme_class(ipa) == "open":
                opened.append(gap[f])
        brow_motion.append(np.linalg.norm(v[:, upper] - tmpl.vertices[upper], axis=2).max())
    assert closed and opened
    assert np.median(opened) > np.median(closed) + 0.004  # the jaw opens vowels, lips close on m/b/p
    assert max(brow_motion) > 0.001  # the brows move with prosody


def test_characters_fixed_by_index_and_varied():
    chars = cast(14)
    assert [c.name for c in chars] == [character(i).name for i in range(14)]
    assert len({c.shape.topology for c in chars}) >= 4
    kinds = {c.kind for c in chars}
    assert {"man", "woman", "child", "gruff"} <= kinds
    counts = [len(build_head(c.shape, c.style).vertices) for c in chars]
    assert min(counts) <= 1100 and max(counts) >= 14000
    assert any(abs(n - 5000) <= 250 for n in counts)


def test_articulation_shapes_follow_phonemes():
    utt = synthesize("Mama, how far?", "en-us", character(0).voice).padded(0.2, 0.2)
    art = articulate(utt.timeline_seconds(), utt.audio, utt.sample_rate, 30.0)
    assert art.shape == (int(round(utt.duration * 30)), 7)
    assert art[0].max() < 0.05 and art[-1].max() < 0.05  # rest in silence
    assert art[:, 1].max() > 0.8  # lips close on the m
    assert art[:, 0].max() > 0.6  # the jaw opens on a/ɑ


def test_preview_contact_sheet(corpus, tmp_path):
    out = tmp_path / "preview.png"
    assert main(["preview", str(corpus), "--out", str(out), "--dpi", "40"]) == 0
    import matplotlib.image

    img = matplotlib.image.imread(out)
    assert img.shape[0] > 200 and img.std() > 0.1


def test_stored_articulation_curves_drive_the_stored_vertices(corpus, tmp_path):
    """The curves each sequence keeps (the rig heads' ground truth) are what animated its vertices."""
    from train.synth.corpus import _head

    ds = open_dataset(corpus)
    seq = next(s for s in ds.sequences(split="test", character="beatrix") if s.language == "en")
    names, curves = ds.load_articulation(seq)
    assert names == ["jaw", "closure", "round", "spread", "labiodental", "brow_raise", "brow_furrow", "smile", "frown",
                     "cheek_raise", "squint", "lid_wide", "brow_inner", "sneer", "lip_down"]
    verts = ds.load_vertices(seq)
    assert curves.shape == (len(verts), 15) and curves.min() >= 0 and curves.max() <= 1
    assert not curves[:, 7:].any()  # a corpus without --expressions: no expression
    assert curves[:, 0].max() > 0.5 and curves[:, 1].max() > 0.5  # the mouth opens and closes
    assert character(1).name == "beatrix"
    again = _head(1).animate(curves)
    assert np.abs(again - verts).max() < 1e-3 * np.abs(verts).max()  # 4-decimal curves: the same motion
    np.testing.assert_array_equal(_head(1).animate(curves[:, :7]), again)  # the 7 curves of older corpora
    meta_path = corpus / "beatrix" / "test" / f"{seq.id}.json"
    meta = json.loads(meta_path.read_text())
    del meta["articulation"]["curves"]
    (tmp_path / "old.json").write_text(json.dumps(meta))
    old = type(seq)(character=seq.character, split=seq.split, id=seq.id, extra={"metadata": meta,
                                                                                "folder": tmp_path})
    with pytest.raises(Exception, match="no articulation curves .* regenerate"):
        ds.load_articulation(old)


def test_extra_english_sentences_add_train_pairs_and_leave_the_rest_as_it_was():
    base = plan(3, 40, ["en", "es", "ko"])
    extra = plan(3, 40, ["en", "es", "ko"], extra_sentences=4)
    before = {(t.character, t.seq_id): t for t in base}
    after = {(t.character, t.seq_id): t for t in extra}
    assert all(after[key] == task for key, task in before.items())  # splits, texts, voices, jitter unchanged
    new = [t for key, t in after.items() if key not in before]
    assert len(new) == 3 * 4 * 2 and all(t.split == "train" and t.language == "en" for t in new)
    for c in range(3):  # per character: 4 sentences of its own, numbered on from 41, each spoken twice
        own = [t for t in new if t.character == c]
        numbers = sorted({t.sentence for t in own})
        assert numbers == [41 + 4 * c + j for j in range(4)]
        espeak = [t for t in own if t.neural is None]
        neural = [t for t in own if t.neural is not None]
        assert [t.seq_id for t in espeak] == [f"en_{k:03d}" for k in numbers] and all(t.prosody for t in espeak)
        assert sorted(t.seq_id for t in neural) == [f"en_{k:03d}_nv" for k in numbers]
        assert {t.neural.family for t in neural} == {"piper", "kokoro"}
        assert {t.text for t in espeak} == {t.text for t in neural}
    # every extra sentence is new: none is a train, val or test sentence of the 40, nor another character's
    texts = [t.text for t in new if t.neural is None]
    old = {t.text for t in base if t.language == "en"}
    assert len(set(texts)) == len(texts) == 12 and not set(texts) & old
    assert plan(3, 40, ["es", "ko"], extra_sentences=4) == plan(3, 40, ["es", "ko"])  # no English: nothing to add


def test_extra_sentences_on_the_command_line_keep_every_other_file_byte_identical(corpus, tmp_path):
    out = tmp_path / "extra"
    assert main(["synth", "--out", str(out), "--jobs", "2", *ARGS, "--extra-sentences", "1"]) == 0
    before, after = _digest(corpus), _digest(out)
    assert {k: v for k, v in after.items() if k in before and k != "dataset.json"} == \
        {k: v for k, v in before.items() if k != "dataset.json"}
    added = sorted(k for k in after if k not in before)
    # 10 shared sentences, then one more per character (11, 12, 13), in the character's voice and a neural one
    assert added == sorted(f"{name}/train/en_{k:03d}{nv}.{ext}" for name, k in (("arthur", 11), ("beatrix", 12),
                                                                                 ("cornelius", 13))
                           for nv in ("", "_nv") for ext in ("json", "npy", "wav"))
    ds = open_dataset(out)
    assert ds.info["generator"]["extra_sentences"] == 1 and "numbers 11-13" in ds.info["splits"]["train"]["description"]
    seq = next(s for s in ds.sequences(split="train", character="beatrix") if s.id == "en_012_nv")
    assert seq.metadata()["voice"]["neural"]["family"] in ("piper", "kokoro")
