"""``python -m multanet_blender bake --emotion STRIP=PRESET[:STRENGTH]``: a dialogue line's emotion from the
command line, baked with it and saved with the file; a preset or strip that does not exist writes nothing."""

from __future__ import annotations

import argparse
import os

import bpy
import numpy as np
import pytest
from bl_helpers import needs_aud, save_one_line_scene

from multanet_blender import cli_bake
from multanet_core.checkpoint import load_checkpoint


def test_the_option_reads_strip_preset_and_strength():
    read = cli_bake._line_emotion
    assert read("Hero: take 1=happy") == ("Hero: take 1", "happy", None)
    assert read("Hero: a=b=sad:0.5") == ("Hero: a=b", "sad", 0.5)  # the last '=' splits
    assert read("x=slightly open:2") == ("x", "slightly open", 2.0)
    for bad in ("happy", "=happy", "x=sad:loud", "x=sad:9", "x=sad:nan"):
        with pytest.raises(argparse.ArgumentTypeError):
            read(bad)
    args = cli_bake.parser().parse_args(["a.blend", "--in-place", "--emotion", "a: 1=sad", "--emotion", "b=happy:0.5"])
    assert args.emotion == [("a: 1", "sad", None), ("b", "happy", 0.5)]
    assert cli_bake._worker_command("/x/a.blend", "/x/a.blend", args)[-4:] == [
        "--emotion", "a: 1=sad", "--emotion", "b=happy:0.5"]
    again = cli_bake.parser().parse_args(["a.blend", "--in-place",
                                          *cli_bake._worker_command("/x/a.blend", "/x/a.blend", args)[6:]])
    assert again.emotion == args.emotion


def _motion(obj, frames=(10, 20, 30, 40)) -> np.ndarray:
    out = []
    for f in frames:
        bpy.context.scene.frame_set(f)
        dg = bpy.context.evaluated_depsgraph_get()
        mesh = obj.evaluated_get(dg).to_mesh()
        co = np.empty(len(mesh.vertices) * 3, np.float32)
        mesh.vertices.foreach_get("co", co)
        out.append(co)
        obj.evaluated_get(dg).to_mesh_clear()
    return np.stack(out)


@needs_aud
def test_a_lines_emotion_from_the_command_line_is_baked_and_saved(blender, assets, tmp_path, capsys):
    presets = [p for p in load_checkpoint(assets["checkpoint"]).head("char00").presets if p != "neutral"]
    assert presets
    path = str(tmp_path / "shot.blend")

    def make():
        save_one_line_scene(path, assets["checkpoint"], assets["wav16"])

    make()
    assert cli_bake.main(["--in-place"]) == 0
    bpy.ops.wm.open_mainfile(filepath=path)
    neutral = _motion(bpy.data.objects["char00"])
    make()
    before = os.path.getmtime(path)
    capsys.readouterr()
    for bad, says in (("char00: line 1=no such preset", "no emotion preset 'no such preset'"),
                      (f"char00: line 9={presets[0]}", "--emotion: no dialogue line for strip 'char00: line 9'")):
        assert cli_bake.main(["--in-place", "--emotion", bad]) == 1
        out = capsys.readouterr()
        assert says in out.out + out.err, out
        assert os.path.getmtime(path) == before  # not written
    assert cli_bake.main(["--in-place", "--emotion", f"char00: line 1={presets[0]}:2"]) == 0
    bpy.ops.wm.open_mainfile(filepath=path)
    line = bpy.context.scene.multanet_dialogue.lines["char00: line 1"]
    assert (line.emotion, line.strength) == (presets[0], 2.0)
    assert np.abs(_motion(bpy.data.objects["char00"]) - neutral).max() > 1e-5
    assert cli_bake.main(["--in-place"]) == 0  # again without it: the line keeps its emotion
    bpy.ops.wm.open_mainfile(filepath=path)
    assert bpy.context.scene.multanet_dialogue.lines["char00: line 1"].emotion == presets[0]
