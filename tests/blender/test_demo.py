"""``python -m multanet_blender demo``: the scene built from nothing, baked, saved and rendered (no video here:
the MP4 takes about a minute; README's first command makes it)."""

from __future__ import annotations

import json
import os

import bpy
from bl_helpers import needs_aud

from multanet_blender import demo

pytestmark = needs_aud  # sound strips need Audaspace (absent from the pip bpy 4.2 module)


def test_demo_builds_bakes_saves_and_renders_a_contact_sheet(blender, assets, tmp_path, capfd):
    lines = demo.dialogue()
    assert len({line["speaker"] for line in lines}) >= 2 and len({line["language"] for line in lines}) >= 2
    (tmp_path / "demo.mp4").write_bytes(b"an earlier run's video")
    assert demo.main(["--out", str(tmp_path), "--checkpoint", assets["checkpoint"], "--no-video"]) == 0
    assert sorted(os.listdir(tmp_path)) == ["contact_sheet.png", "demo.blend"]  # no stale video beside them
    out, err = capfd.readouterr()
    assert "removed the earlier" in out and "EGL Error" not in out + err
    sheet = bpy.data.images.load(str(tmp_path / "contact_sheet.png"))
    wide = (480, 270)
    assert tuple(sheet.size) == (wide[0] + demo.SHEET_COLUMNS * wide[1], len(lines) * wide[1])
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "demo.blend"))
    scene = bpy.context.scene
    sounds = [s for s in scene.sequence_editor.strips_all if s.type == "SOUND"]
    assert len(sounds) == len(lines) and all(s.sound.packed_file is not None for s in sounds)
    baked = {}
    for obj in bpy.data.objects:
        if obj.type == "MESH":
            track = obj.data.shape_keys.animation_data.nla_tracks["Lip Sync"]
            baked[obj.name] = len(track.strips)
    assert baked == {"char00": 2, "char01": 2}  # the two speakers (the random model's first two heads)
    assert sorted(s.name.split(":")[0] for s in sounds) == ["char00", "char00", "char01", "char01"]


def test_contact_sheet_frames_are_picked_by_phoneme():
    """Half the close-ups at the line's open vowels, half at its P/B/M, from the phone timeline that
    dialogue.json keeps for each bundled line; a line without phones gets frames spread over it."""
    lines = demo.dialogue()
    frame = 1
    for line in lines:
        n = int(round(line["duration_s"] * demo.FPS))
        line["frames"] = (frame, frame + n)
        frame += n + 10
    rows = demo.sheet_frames(lines)
    for line, frames in zip(lines, rows, strict=True):
        assert len(frames) == demo.SHEET_COLUMNS and frames == sorted(frames)
        at = {f: ipa for s, e, ipa in line["phones"] for f in [line["frames"][0] + int(round((s + e) / 2 * demo.FPS))]}
        sounds = [at.get(f, "").strip("ˈˌː")[:1] for f in frames]
        has = {c for _, _, ipa in line["phones"] for c in ipa.strip("ˈˌː")[:1]}
        for letters in (demo.OPEN_VOWELS, demo.BILABIALS):
            if has & letters:  # (the third line, in Korean, has no P/B/M)
                assert any(c in letters for c in sounds), (line["text"], sounds)
        # each close-up is labelled with the phone it shows (the picked centres' own phones)
        labels = [demo.phone_at(line, f) for f in frames]
        for label, sound in zip(labels, sounds, strict=True):
            if sound:
                assert label.strip("ːˑ")[:1] == sound, (labels, sounds)
    assert demo.phone_at({"frames": (1, 50), "phones": [[0.0, 0.2, "_"], [0.2, 0.4, "ˈa"]]}, 1 + 9) == "a"
    assert demo.phone_at({"frames": (1, 50), "phones": [[0.0, 0.2, "_"]]}, 2) == ""
    pad = int(0.15 * demo.FPS)
    bare = [{"frames": (1, 101)}]  # no phones: spread over the line, its silent padding left out
    assert demo.sheet_frames(bare) == [[round(1 + pad + (100 - 2 * pad) * (c + 0.5) / 4) for c in range(4)]]


def test_with_a_rig_head_the_ict_face_reads_along_by_name(blender, tmp_path):
    """A model with a rig head puts the ICT FaceKit face beside the heads, its own ARKit keys baked by
    name for the first speaker's lines, and gives it a row of the contact sheet."""
    from multanet_core.checkpoint import save_checkpoint
    from multanet_core.rig_names import ARKIT_52
    from train.random_heads import numpy_checkpoint

    ckpt = str(tmp_path / "rig.npz")
    save_checkpoint(ckpt, numpy_checkpoint(characters=2, vertices=300, components=12, seed=2, rig_names=ARKIT_52))
    out = tmp_path / "out"
    assert demo.main(["--out", str(out), "--checkpoint", ckpt, "--no-video"]) == 0
    sheet = bpy.data.images.load(str(out / "contact_sheet.png"))
    lines = demo.dialogue()
    assert sheet.size[1] == (len(lines) + 1) * 270  # a row more: the face
    bpy.ops.wm.open_mainfile(filepath=str(out / "demo.blend"))
    face = bpy.data.objects[demo.FACE_NAME]
    key = face.data.shape_keys
    assert {"jawOpen", "mouthPress_L", "browInnerUp_R"} <= {kb.name for kb in key.key_blocks}
    assert not any(kb.name.startswith("MulTaNet") for kb in key.key_blocks)  # its own keys, by name
    track = key.animation_data.nla_tracks["Lip Sync"]
    first = lines[0]["speaker"]
    assert len(track.strips) == sum(line["speaker"] == first for line in lines)
    rec = face["multanet_lipsync"]
    assert rec["head"] == "rig" and "browInnerUp_L" in json.loads(rec["driven_values"])  # both sides of one name
    assert rec["blinks"] == 1 and {"eyeBlink_L", "eyeBlink_R"} <= set(json.loads(rec["driven_values"]))
