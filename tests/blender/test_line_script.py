"""A line's script in the add-on (issue 29): the panel's Text or text block, a .txt beside the sound file, a
dialogue line's Text and the bake command line's --text; the bake uses it, records it, warns when it does not
match the audio, and refuses an unreadable .txt without touching the scene."""

from __future__ import annotations

import os
import shutil

import bpy
import numpy as np
import pytest
from bl_helpers import add_head, needs_aud, save_one_line_scene, scene_state
from test_lip_contact import motion

from multanet_blender import cli_bake
from multanet_blender import record as records

TEXT = "The quick brown fox jumps over the lazy dog, while five wizards box my jug of liquor."  # tests/data/README
WRONG = "Buenos días, mi amigo, bebe un poco de agua y come pan con mantequilla."


FRAMES = range(10, 180, 4)  # the speech of tests/data/speech_en.flac, placed at frame 10


def generate(obj, assets, **kwargs):
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                              audio_file=assets["wav16"], audio_frame=10, **kwargs)


def test_the_panel_text_changes_the_bake_and_is_recorded(blender, assets, capfd):
    """(audio files: this runs on the Blender 4.2 module too)"""
    obj = add_head(assets["checkpoint"])
    assert generate(obj, assets) == {"FINISHED"}
    plain = motion(obj, FRAMES)
    assert records.read(obj).text == ""
    capfd.readouterr()
    bpy.context.scene.multanet.text = TEXT
    assert generate(obj, assets) == {"FINISHED"}
    out = capfd.readouterr().out
    rec = records.read(obj)
    assert (rec.text, rec.language) == (TEXT, "en-us")
    assert "text placed" in out, out
    scripted = motion(obj, FRAMES)
    assert np.abs(scripted - plain).max() > 1e-4
    # a text block stands in when Text is empty; the operator's own text wins over both
    block = bpy.data.texts.new("line 1")
    block.write(TEXT)
    bpy.context.scene.multanet.text = ""
    bpy.context.scene.multanet.text_block = block
    assert generate(obj, assets) == {"FINISHED"}
    assert records.read(obj).text == TEXT and np.allclose(motion(obj, FRAMES), scripted, atol=1e-6)


def test_a_text_that_does_not_match_warns_and_bakes_from_the_audio(blender, assets, capfd):
    obj = add_head(assets["checkpoint"])
    assert generate(obj, assets) == {"FINISHED"}
    plain = motion(obj, FRAMES)
    capfd.readouterr()
    assert generate(obj, assets, text=WRONG, language="es") == {"FINISHED"}
    out = capfd.readouterr().out
    assert "its text does not seem to be what the audio says" in out or "could not be aligned" in out, out
    assert np.allclose(motion(obj, FRAMES), plain, atol=1e-6)


def test_a_txt_beside_the_sound_is_used_and_a_bad_one_refused(blender, assets, tmp_path, capfd):
    wav = str(tmp_path / "take 7.wav")
    shutil.copy(assets["wav16"], wav)
    obj = add_head(assets["checkpoint"])
    op = bpy.ops.multanet.generate_lip_sync
    assert op(object=obj.name, checkpoint=assets["checkpoint"], head="char00", audio_file=wav) == {"FINISHED"}
    assert records.read(obj).text == ""
    (tmp_path / "take 7.txt").write_text(TEXT + "\n", encoding="utf-8")
    assert op(object=obj.name, checkpoint=assets["checkpoint"], head="char00", audio_file=wav) == {"FINISHED"}
    assert records.read(obj).text == TEXT
    (tmp_path / "take 7.txt").write_bytes("caf\xe9".encode("latin-1"))
    before = scene_state()
    capfd.readouterr()
    with pytest.raises(RuntimeError, match="not UTF-8"):
        op(object=obj.name, checkpoint=assets["checkpoint"], head="char00", audio_file=wav)
    assert scene_state() == before
    assert records.read(obj).text == TEXT  # the earlier bake stands


@needs_aud
def test_dialogue_lines_bake_with_their_text_from_the_list_and_the_command_line(blender, assets, tmp_path,
                                                                                capsys):
    path = str(tmp_path / "shot.blend")

    def make():
        save_one_line_scene(path, assets["checkpoint"], assets["wav16"])

    make()
    assert cli_bake.main(["--in-place"]) == 0
    bpy.ops.wm.open_mainfile(filepath=path)
    plain = motion(bpy.data.objects["char00"], range(5, 170, 5))
    make()
    before = os.path.getmtime(path)
    assert cli_bake.main(["--in-place", "--text", f"char00: line 9={TEXT}"]) == 1
    out = capsys.readouterr()
    assert "--text: no dialogue line for strip 'char00: line 9'" in out.out + out.err, out
    assert os.path.getmtime(path) == before  # not written
    assert cli_bake.main(["--in-place", "--text", f"char00: line 1={TEXT}", "--language", "en"]) == 0
    bpy.ops.wm.open_mainfile(filepath=path)
    line = bpy.context.scene.multanet_dialogue.lines["char00: line 1"]
    assert (line.text, line.language) == (TEXT, "en")
    scripted = motion(bpy.data.objects["char00"], range(5, 170, 5))
    assert np.abs(scripted - plain).max() > 1e-4
    # the list's own Text is what a re-bake in Blender uses
    bpy.ops.multanet.bake_all_dialogue()
    assert np.allclose(motion(bpy.data.objects["char00"], range(5, 170, 5)), scripted, atol=1e-6)
    line = bpy.context.scene.multanet_dialogue.lines["char00: line 1"]
    line.text = ""
    bpy.ops.multanet.bake_all_dialogue()
    assert np.allclose(motion(bpy.data.objects["char00"], range(5, 170, 5)), plain, atol=1e-6)


def test_the_command_line_reads_text_options():
    parse = cli_bake.parser().parse_args
    args = parse(["a.blend", "--in-place", "--text", "a: 1=Hello there =)", "--language", "fr"])
    assert args.text == [("a: 1", "Hello there =)")] and args.language == "fr"
    again = parse(["a.blend", "--in-place", *cli_bake._worker_command("/x/a.blend", "/x/a.blend", args)[6:]])
    assert again.text == args.text and again.language == "fr"
    for bad in (["--text", "no equals"], ["--text", "a=   "], ["--text-file", "a=/no/such/file.txt"]):
        with pytest.raises(SystemExit):
            parse(["a.blend", "--in-place", *bad])


def test_the_panel_offers_the_text_and_lip_contact_with_it(blender, assets):
    from test_lip_contact import _Layout

    from multanet_blender import panels

    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["checkpoint"]  # no contact head
    for text, enabled in (("", False), (TEXT, True)):
        settings.text = text
        panel = type("P", (), {"layout": _Layout()})()
        panels.MULTANET_PT_lip_sync.draw(panel, bpy.context)
        log = panel.layout.log
        assert ("prop", "text", True) in log and ("prop", "language", True) in log
        assert ("prop", "lip_contact", enabled) in log
        assert (("prop", "text_block", True) in log) is not enabled  # a text block only while Text is empty
