"""``python -m multanet_blender bake`` on real .blend files: output folder, in place with a backup, a
failing file left untouched, several worker processes, and the in-Blender form (the open file)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import bpy
import pytest
from bl_helpers import ROOT, add_head, add_strip, needs_aud

from multanet_blender import cli_bake

pytestmark = needs_aud  # sound strips need Audaspace (absent from the pip bpy 4.2 module)


def make_blend(path: str, assets, checkpoint: str | None = None, lines: int = 2) -> str:
    """A scene with two heads and ``lines`` strips named by the dialogue rule, saved at ``path``."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    add_head(assets["checkpoint"], "char00")
    add_head(assets["checkpoint"], "char01")
    settings = bpy.context.scene.multanet  # after Add Head Mesh, which sets the panel to its own checkpoint
    settings.model, settings.checkpoint_path = "FILE", checkpoint or assets["checkpoint"]
    for i in range(lines):
        add_strip(assets["wav16"], 1 + 200 * i, f"char0{i % 2}: line {i + 1}", channel=1 + i % 2)
    bpy.ops.wm.save_as_mainfile(filepath=path)
    return path


def digest(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def nla_lines(path: str) -> dict[str, list[str]]:
    """Object -> names of the NLA strips on its "Lip Sync" track, read back from the saved file."""
    bpy.ops.wm.open_mainfile(filepath=path)
    out = {}
    for obj in bpy.data.objects:
        key = obj.data.shape_keys if obj.type == "MESH" else None
        if key is not None and key.animation_data is not None and "Lip Sync" in key.animation_data.nla_tracks:
            out[obj.name] = sorted(s.name for s in key.animation_data.nla_tracks["Lip Sync"].strips)
    return out


def run_cli(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "multanet_blender", "bake", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_output_dir_in_place_and_a_failing_file(blender, assets, tmp_path):
    good = make_blend(str(tmp_path / "good.blend"), assets, lines=3)
    bad = make_blend(str(tmp_path / "bad.blend"), assets, checkpoint=str(tmp_path / "missing.npz"))
    originals = {good: digest(good), bad: digest(bad)}
    proc = run_cli(good, bad, "--output-dir", str(tmp_path / "baked"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED, left untouched" in proc.stdout and "1 of 2 files baked" in proc.stdout
    assert {p: digest(p) for p in originals} == originals  # sources never change with --output-dir
    assert sorted(os.listdir(tmp_path / "baked")) == ["good.blend"]  # no temporary file, no bad.blend
    assert nla_lines(str(tmp_path / "baked" / "good.blend")) == {"char00": ["char00: line 1", "char00: line 3"],
                                                                 "char01": ["char01: line 2"]}
    # in place, one strip: the original is kept as good.blend1, the file gets the one line
    proc = run_cli(good, "--in-place", "--strip", "char01: line 2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert digest(good + "1") == originals[good]
    assert nla_lines(good) == {"char01": ["char01: line 2"]}
    assert sorted(os.listdir(tmp_path)) == ["bad.blend", "baked", "good.blend", "good.blend1"]


def test_workers_bake_files_in_separate_processes(blender, assets, tmp_path):
    files = [make_blend(str(tmp_path / f"shot{i}.blend"), assets, lines=1) for i in range(3)]
    proc = run_cli(*files, "--output-dir", str(tmp_path / "out"), "--workers", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 of 3 files baked" in proc.stdout
    for i in range(3):
        assert nla_lines(str(tmp_path / "out" / f"shot{i}.blend")) == {"char00": ["char00: line 1"]}


def test_in_blender_form_bakes_the_open_file_and_refuses_unknown_strips(blender, assets, tmp_path, capsys):
    path = make_blend(str(tmp_path / "scene.blend"), assets)
    before = digest(path)
    assert cli_bake.main(["--in-place", "--strip", "no such strip"]) == 1
    assert "no dialogue line for strip 'no such strip'" in capsys.readouterr().out
    assert digest(path) == before
    assert cli_bake.main(["--in-place"]) == 0
    assert bpy.data.filepath == path  # still the user's file, not the temporary one
    assert nla_lines(path) == {"char00": ["char00: line 1"], "char01": ["char01: line 2"]}
    assert digest(path + "1") == before


def test_in_blender_form_refuses_a_file_replaced_since_blender_read_it(blender, assets, tmp_path, capsys):
    """``blender -b SHOT.blend --python-expr ...`` reads the file before the bake can lock it: when another
    process (a second task on the same file) has replaced it since, baking the open copy over it would
    throw that one's work away, and its .blend1 would not be the original."""
    import shutil

    path = make_blend(str(tmp_path / "scene.blend"), assets)
    other = str(tmp_path / "other.blend")
    shutil.copy2(path, other)
    os.replace(other, path)  # what a second task's in-place bake does: a new file under the same name
    replaced = digest(path)
    assert cli_bake.main(["--in-place"]) == 1
    assert "was replaced by another process" in capsys.readouterr().out
    assert digest(path) == replaced and not os.path.exists(path + "1")
    bpy.ops.wm.open_mainfile(filepath=path)  # read again: it bakes, and bakes again (its own result is no clash)
    assert cli_bake.main(["--in-place"]) == 0
    assert cli_bake.main(["--in-place"]) == 0, capsys.readouterr().out


def test_usage_errors():
    with pytest.raises(SystemExit):
        cli_bake.main(["x.blend"])  # neither --output-dir nor --in-place
    with pytest.raises(SystemExit):
        cli_bake.main(["x.blend", "--in-place", "--all", "--strip", "a"])


def test_output_dir_that_is_the_source_folder_keeps_a_backup_and_old_leftovers_are_cleaned(blender, assets, tmp_path):
    shot = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    original = digest(shot)
    # what a run killed with -9 left: its temporary save and a half-made backup (PID of no living process)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    for name in (f".shot.blend.{pid}.x1y2z3.partial.blend", f".shot.blend1.{pid}.a_b9.partial.blend",
                 f".shot.blend.{pid}.q7r8s9.partial.blend@"):  # the last: Blender's own, killed while it wrote
        (tmp_path / name).write_bytes(b"half written")
    proc = run_cli(shot, "--output-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert digest(shot + "1") == original  # overwriting the source always keeps it as .blend1
    assert nla_lines(shot) == {"char00": ["char00: line 1"]}
    assert sorted(os.listdir(tmp_path)) == ["shot.blend", "shot.blend1"]  # the leftovers are gone


def test_a_worker_dies_with_its_parent(tmp_path):
    """A batch killed with -9 takes its workers with it (they would go on writing files)."""
    marker = tmp_path / "child.pid"
    parent = subprocess.Popen([sys.executable, "-c", f"""
import subprocess, sys, time
sys.path.insert(0, {ROOT!r})
from multanet_blender.cli_bake import die_with_parent
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], preexec_fn=die_with_parent)
open({str(marker)!r}, "w").write(str(child.pid))
time.sleep(60)
"""])
    import time

    for _ in range(200):
        if marker.exists() and marker.read_text():
            break
        time.sleep(0.05)
    child = int(marker.read_text())
    parent.kill()
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        with open(f"/proc/{child}/stat") as f:  # a zombie (reaped by init soon) counts as gone
            if f.read().split(") ")[1].startswith("Z"):
                break
        time.sleep(0.05)
    else:
        os.kill(child, 9)
        pytest.fail("the worker outlived its parent")


def test_a_strip_whose_file_is_a_fifo_fails_at_once(blender, assets, tmp_path):
    path = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    os.mkfifo(tmp_path / "pipe.wav")
    for sound in bpy.data.sounds:
        sound.filepath = str(tmp_path / "pipe.wav")
    bpy.ops.wm.save_mainfile()
    original = digest(path)
    proc = run_cli(path, "--output-dir", str(tmp_path / "out"), timeout=60)  # before: blocked forever
    assert proc.returncode == 1 and "is a FIFO (named pipe)" in proc.stdout, proc.stdout + proc.stderr
    assert digest(path) == original and not (tmp_path / "out" / "shot.blend").exists()


def test_a_rigged_character_is_baked_by_name_from_the_command_line(blender, assets, tmp_path):
    """A .blend whose character has its own ARKit keys (no head's topology): the command-line bake drives
    them through the checkpoint's rig head, one NLA strip per line on those keys."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.context.scene.render.fps = 30
    bpy.ops.mesh.primitive_uv_sphere_add()
    hero = bpy.context.active_object
    hero.name = "Hero"
    hero.shape_key_add(name="Basis", from_mix=False)
    for name in ("jawOpen", "mouthPress_L", "mouthPress_R"):
        hero.shape_key_add(name=name, from_mix=False)
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["rig_checkpoint"]
    for i in range(2):
        add_strip(assets["wav16"], 1 + 200 * i, f"Hero: line {i + 1}", channel=1)
    src = str(tmp_path / "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=src)
    out = tmp_path / "out"
    proc = run_cli(src, "--output-dir", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert nla_lines(str(out / "shot.blend")) == {"Hero": ["Hero: line 1", "Hero: line 2"]}
    hero = bpy.data.objects["Hero"]
    assert [kb.name for kb in hero.data.shape_keys.key_blocks] == ["Basis", "jawOpen", "mouthPress_L",
                                                                   "mouthPress_R"]  # its own keys only
    assert hero["multanet_lipsync"]["head"] == "rig"


def test_a_single_bake_in_the_file_is_never_dropped_by_the_command_line(blender, assets, tmp_path):
    """Issue 28: the command line's Bake All refuses a character holding a single bake, names it, writes nothing."""
    path = make_blend(str(tmp_path / "scene.blend"), assets, lines=2)
    bpy.ops.wm.open_mainfile(filepath=path)
    add_strip(assets["wav16"], 600, "take 7", channel=3)
    assert bpy.ops.multanet.generate_lip_sync(object="char00", checkpoint=assets["checkpoint"], head="char00",
                                              strip="take 7") == {"FINISHED"}
    bpy.ops.wm.save_as_mainfile(filepath=path)
    before = digest(path)
    proc = run_cli(path, "--in-place")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED 'char00: line 1'" in proc.stdout and "single bake from Generate Lip Sync (strip 'take 7'" \
        in proc.stdout, proc.stdout
    assert digest(path) == before
