"""The corpus generator end to end on a small cast: real espeak speech, real files on disk."""

import hashlib
import json

import numpy as np
import pytest

from train.__main__ import main
from train.data import open_dataset
from train.synth.articulation import articulate, phoneme_class
from train.synth.characters import cast, character
from train.synth.corpus import plan, split_of
from train.synth.espeak import synthesize
from train.synth.head import build_head

ARGS = ["--characters", "3", "--sentences", "10", "--languages", "en,ko,cmn,ja", "--foreign-sentences", "2",
        "--quiet"]


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
    assert set(info["splits"]) == {"train", "val", "test", "unseen_language", "cross_voice"}
    for name in ds.characters:
        ids = {s.split: sorted(x.id for x in ds.sequences(split=s.split, character=name)) for s in ds.sequences()}
        assert ids["train"] == [f"en_{k:03d}" for k in range(1, 9)]
        assert ids["val"] == ["en_009"] and ids["test"] == ["en_010"]
        assert ids["unseen_language"] == ["cmn_001", "cmn_002", "ja_001", "ja_002", "ko_001", "ko_002"]
        assert len(ids["cross_voice"]) == 1 and name not in ids["cross_voice"][0]
    # English sentences last 2 to 8 s, for every voice
    for seq in ds.sequences(language="en"):
        audio, sr = ds.load_audio(seq)
        assert 2.0 <= len(audio) / sr <= 8.5, seq.key


def test_biwi_split_numbers():
    assert [split_of(k, 40) for k in (1, 32, 33, 36, 37, 40)] == ["train", "train", "val", "val", "test", "test"]
    tasks = plan(14, 40, ["en", "ko", "cmn", "ja"], seed=0)
    per_char = [t for t in tasks if t.character == 5]
    assert sum(t.split == "train" for t in per_char) == 32
    assert sum(t.split == "unseen_language" for t in per_char) == 30
    cross = [t for t in per_char if t.split == "cross_voice"]
    assert len(cross) == 4 and len({t.voice_of for t in cross}) == 4 and all(t.voice_of != 5 for t in cross)


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
