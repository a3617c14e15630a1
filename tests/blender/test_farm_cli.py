"""The command-line bake on a farm's real files: concurrent bakes of one file, links, permissions,
read-only and newer files, long names, relative paths in a copy, interruption, and the summary's words."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import bpy
import pytest
from bl_helpers import ROOT, needs_aud
from test_cli_bake import digest, make_blend, nla_lines, run_cli

from multanet_blender import cli_bake, properties
from multanet_blender import record as records

pytestmark = needs_aud  # sound strips need Audaspace (absent from the pip bpy 4.2 module)

ENV = dict(os.environ, PYTHONPATH=ROOT)


def bake_command(*args) -> list[str]:
    return [sys.executable, "-m", "multanet_blender", "bake", *args]


def unprivileged() -> list[str]:
    """A prefix that runs a command without root's power to ignore file permissions (a farm worker is no
    root; as root, ``setpriv`` drops it); none for another user."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot drop the permission override")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--inh-caps={caps}", f"--bounding-set={caps}"]


def partials(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if ".partial" in n)


def flock_holder(pid: int, inode: int) -> bool:
    """Whether process ``pid`` holds a ``flock`` lock on inode ``inode`` (Linux's /proc/locks)."""
    with open("/proc/locks") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 5 and parts[1] == "FLOCK" and parts[4] == str(pid) and \
                    parts[5].rsplit(":", 1)[-1] == str(inode):
                return True
    return False


@pytest.mark.skipif(not os.path.exists("/proc/locks"), reason="needs Linux's /proc/locks to see the lock")
def test_two_in_place_bakes_of_one_file_at_once_one_is_refused(blender, assets, tmp_path):
    """The first bake is stopped (SIGSTOP) while it holds the file; a second one meanwhile is refused, and
    the first then finishes: .blend1 is the true original (before: both 'kept the original', and
    .blend1 held the first one's baked output)."""
    shot = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    original, inode = digest(shot), os.stat(shot).st_ino
    first = subprocess.Popen(bake_command(shot, "--in-place"), cwd=ROOT, env=ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        while not flock_holder(first.pid, inode):
            assert first.poll() is None, "the first bake ended without ever locking the file: " + \
                "".join(first.communicate())
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGSTOP)
        second = run_cli(shot, "--in-place")
    finally:
        os.kill(first.pid, signal.SIGCONT)
    out, err = first.communicate(timeout=300)
    assert (first.returncode, second.returncode) == (0, 1), out + err + second.stdout + second.stderr
    assert "is in use: another process holds its lock" in second.stdout
    assert "original kept as shot.blend1" in out and "original kept" not in second.stdout
    assert digest(shot + "1") == original
    assert nla_lines(shot) == {"char00": ["char00: line 1"]}
    assert sorted(os.listdir(tmp_path)) == ["shot.blend", "shot.blend1"]


def test_output_dir_remaps_the_addons_own_relative_paths(blender, assets, tmp_path):
    """The copy's checkpoint, cache folder and a record's vertex cache point at the same files as the
    source's (before: only Blender's own paths were remapped, and the copy's model was missing)."""
    proj = tmp_path / "proj"
    (proj / "models").mkdir(parents=True)
    shutil.copy(assets["checkpoint"], proj / "models" / "cast.npz")
    shot = make_blend(str(proj / "shot.blend"), assets, lines=1)
    settings = bpy.context.scene.multanet
    settings.checkpoint_path, settings.cache_dir = "//models/cast.npz", "//caches/"
    records.write(bpy.data.objects["char01"], records.LipSyncRecord(  # an earlier single bake, no line now
        target=records.Target.VERTEX_CACHE, cache="//caches/char01.pc2"))
    bpy.ops.wm.save_mainfile()
    proc = run_cli(shot, "--output-dir", str(tmp_path / "baked"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "baked" / "shot.blend"))
    settings = bpy.context.scene.multanet

    def where(path: str) -> str:
        return os.path.normpath(bpy.path.abspath(path))

    assert settings.checkpoint_path.startswith("//") and where(settings.checkpoint_path) == str(
        proj / "models" / "cast.npz")
    assert properties.panel_checkpoint(settings)[1] is None  # the copy finds its model
    assert where(settings.cache_dir) == str(proj / "caches")
    assert where(records.read(bpy.data.objects["char01"]).cache) == str(proj / "caches" / "char01.pc2")


def test_in_place_through_a_link_bakes_its_target_and_keeps_mode_and_group(blender, assets, tmp_path):
    """A symbolic link stays a link and its target is baked, with the .blend1 beside it (before: the link
    became a plain file); the baked file and the .blend1 keep the original's mode and group (before:
    0600 became 0644)."""
    (tmp_path / "versions").mkdir()
    target = make_blend(str(tmp_path / "versions" / "shot_v003.blend"), assets, lines=1)
    os.chmod(target, 0o600)
    group = os.getgid() if os.geteuid() else 4242  # root may give the file any group
    os.chown(target, -1, group)
    original = digest(target)
    link = tmp_path / "shot_latest.blend"
    link.symlink_to("versions/shot_v003.blend")
    proc = run_cli(str(link), "--in-place")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert link.is_symlink() and os.readlink(link) == "versions/shot_v003.blend"
    assert sorted(os.listdir(tmp_path)) == ["shot_latest.blend", "versions"]
    assert sorted(os.listdir(tmp_path / "versions")) == ["shot_v003.blend", "shot_v003.blend1"]
    assert digest(target + "1") == original and nla_lines(target) == {"char00": ["char00: line 1"]}
    for path in (target, target + "1"):
        st = os.stat(path)
        assert (oct(st.st_mode & 0o7777), st.st_gid) == (oct(0o600), group), path


def test_a_read_only_file_and_a_read_only_output_folder_are_refused(blender, assets, tmp_path):
    """As Blender's own Save refuses a file without write permission, so does the bake, before baking
    (before: overwritten); a read-only output folder is named as such, not by a temporary file."""
    shot = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    os.chmod(shot, 0o444)
    original = digest(shot)
    ro = tmp_path / "ro"
    ro.mkdir()
    os.chmod(ro, 0o555)
    try:
        for args, message in (([shot, "--in-place"], f"'{shot}' is read-only (no write permission)"),
                              ([shot, "--output-dir", str(ro)], f"cannot write to the folder '{ro}'")):
            proc = subprocess.run(unprivileged() + bake_command(*args), cwd=ROOT, env=ENV, capture_output=True,
                                  text=True, timeout=300)
            assert proc.returncode == 1 and message in proc.stdout, proc.stdout + proc.stderr
            assert "0 of 1 file baked" in proc.stdout and ".partial" not in proc.stdout
    finally:
        os.chmod(ro, 0o755)
    assert digest(shot) == original and sorted(os.listdir(tmp_path)) == ["ro", "shot.blend"]
    assert os.listdir(ro) == []


def with_version(path: str, major: int, minor: int) -> None:
    """Rewrite an uncompressed .blend's header as if Blender ``major.minor`` had written it."""
    data = bytearray(open(path, "rb").read())
    if data.startswith(b"BLENDER17"):  # 5.x: BLENDER17-01v0500
        data[12:17] = f"v{major:02d}{minor:02d}".encode()
    else:  # 4.x: BLENDER-v402
        assert data.startswith(b"BLENDER"), data[:12]
        data[9:12] = f"{major}{minor:02d}".encode()
    open(path, "wb").write(bytes(data))


def test_a_file_from_a_newer_blender_is_refused_untouched(blender, assets, tmp_path):
    shot = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    bpy.ops.wm.save_as_mainfile(filepath=shot, compress=False)  # a header to rewrite
    os.remove(shot + "1")
    with_version(shot, 9, 0)
    original = digest(shot)
    proc = run_cli(shot, "--in-place")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"written by Blender 9.0, newer than this Blender {bpy.app.version_string}" in proc.stdout
    assert digest(shot) == original and sorted(os.listdir(tmp_path)) == ["shot.blend"]


def test_names_up_to_the_file_systems_limit(blender, assets, tmp_path):
    """A 255-byte name bakes to an output folder (its temporary name is shortened); in place, one whose
    .blend1 would be too long is refused with why, and a 246-byte one bakes with its backup."""
    longest = str(tmp_path / ("x" * 249 + ".blend"))  # too long for Blender's own save (its "@" file)
    os.rename(make_blend(str(tmp_path / "shot.blend"), assets, lines=1), longest)
    proc = run_cli(longest, "--output-dir", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.listdir(tmp_path / "out") == [os.path.basename(longest)]
    proc = run_cli(longest, "--in-place")
    assert proc.returncode == 1 and "the name of its backup" in proc.stdout and "over the 255" in proc.stdout
    long = str(tmp_path / ("y" * 240 + ".blend"))
    shutil.copy(longest, long)
    proc = run_cli(long, "--in-place")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert os.path.exists(long + "1") and partials(tmp_path) == []


def test_output_dir_usage_errors_come_before_any_bake(blender, assets, tmp_path, capsys):
    shot = make_blend(str(tmp_path / "shot.blend"), assets, lines=1)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for folder, message in (("", "--output-dir is empty"), (str(a_file), "is a file, not a folder")):
        with pytest.raises(SystemExit) as exc:
            cli_bake.main([shot, "--output-dir", folder])
        assert exc.value.code == 2 and message in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["a_file", "shot.blend"]


def test_the_summary_says_why_a_line_has_no_head_and_counts_only_saved_lines(blender, assets, tmp_path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_uv_sphere_add()
    bpy.context.active_object.name = "jasper"
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["checkpoint"]
    from bl_helpers import add_strip

    add_strip(assets["wav16"], 1, "jasper: line 1")
    nohead = str(tmp_path / "nohead.blend")
    bpy.ops.wm.save_as_mainfile(filepath=nohead)
    halfbad = make_blend(str(tmp_path / "halfbad.blend"), assets, lines=2)
    os.mkfifo(tmp_path / "pipe.wav")
    bpy.data.sounds[-1].filepath = str(tmp_path / "pipe.wav")  # the second line fails at once
    bpy.ops.wm.save_mainfile()
    proc = run_cli(nohead, halfbad, "--output-dir", str(tmp_path / "out"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ("skipped 'jasper: line 1': no head of the checkpoint matches the topology of 'jasper' (482 vertices; "
            "the checkpoint's mesh heads and their vertices: 'char00' (299), 'char01' (338))") in proc.stdout
    row = next(ln for ln in proc.stdout.splitlines() if ln.startswith("halfbad.blend"))
    assert row.split()[1:4] == ["0", "0", "1"], row  # baked (saved), skipped, failed
    assert "halfbad.blend: 1 line baked but not saved (the file was not written)" in proc.stdout


DRIVER = """
import os, signal, sys
sys.path.insert(0, {root!r})
from multanet_blender import cli_bake
sig, at, argv = getattr(signal, sys.argv[1]), sys.argv[2], sys.argv[3:]
calls = []
if at == "backup":  # the second file's baked copy is a temporary file, its backup about to be made
    real_backup = cli_bake._backup
    def backup(path):
        calls.append(path)
        if len(calls) == int(os.environ.get("AT_CALL", "2")):
            os.kill(os.getpid(), sig)
        return real_backup(path)
    cli_bake._backup = backup
else:  # --workers: once the first worker is done, others still running or waiting
    real_done = cli_bake.Progress.file_done
    def file_done(self, label):
        real_done(self, label)
        os.kill(os.getpid(), sig)
    cli_bake.Progress.file_done = file_done
sys.exit(cli_bake.main(argv))
"""


def drive(tmp_path, sig: str, at: str, *args, call: int = 2):
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(root=ROOT))
    return subprocess.run([sys.executable, str(driver), sig, at, *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(ENV, AT_CALL=str(call)), timeout=300)


@pytest.mark.parametrize("sig, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_run_cleans_up_and_says_what_was_done(blender, assets, tmp_path, sig, code):
    """SIGINT (Ctrl-C) or SIGTERM (a farm manager) while the second file is being saved: no temporary
    file stays, the first file is baked, the second untouched, the summary says so, and the exit status
    is the shell's for the signal (before: a traceback and no summary, or a kill that left .partial files)."""
    files = [make_blend(str(tmp_path / f"shot{i}.blend"), assets, lines=1) for i in range(2)]
    second = digest(files[1])
    proc = drive(tmp_path, sig, "backup", *files, "--in-place")
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == f"interrupted by {sig}: 1 of 2 files baked, 1 not baked"
    assert any(ln.startswith("shot0.blend") and "original kept as shot0.blend1" in ln for ln in lines)
    assert any(ln.startswith("shot1.blend") and f"not baked: the run was interrupted by {sig}" in ln for ln in lines)
    assert digest(files[1]) == second
    assert sorted(os.listdir(tmp_path)) == ["driver.py", "shot0.blend", "shot0.blend1", "shot1.blend"]


def test_an_interrupted_worker_and_workers_of_an_interrupted_run(blender, assets, tmp_path):
    """A worker stopped by SIGTERM cleans up and reports it; a run with --workers passes SIGTERM on to its
    workers, and reports the files done and not done."""
    files = [make_blend(str(tmp_path / f"shot{i}.blend"), assets, lines=1) for i in range(3)]
    originals = [digest(f) for f in files]
    proc = drive(tmp_path, "SIGTERM", "backup", "--worker", files[0], "--in-place", call=1)
    assert proc.returncode == 143, proc.stdout + proc.stderr
    result = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith(cli_bake.RESULT_TAG))
                        [len(cli_bake.RESULT_TAG):])
    assert result["error"] == "interrupted by SIGTERM: not written" and not result["output"]
    assert digest(files[0]) == originals[0] and partials(tmp_path) == [] and not os.path.exists(files[0] + "1")

    out = tmp_path / "out"
    proc = drive(tmp_path, "SIGTERM", "workers", *files, "--output-dir", str(out), "--workers", "2")
    assert proc.returncode == 143, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1].startswith("interrupted by SIGTERM: ") and "not baked" in lines[-1], proc.stdout
    rows = {ln.split()[0]: ln for ln in lines if ln.startswith("shot")}
    baked = sorted(name for name, row in rows.items() if " -> " in row)
    assert baked and "shot2.blend" not in baked  # the third never started: one worker was done first
    assert "not baked: the run was interrupted by SIGTERM" in rows["shot2.blend"]
    assert sorted(os.listdir(out)) == baked  # nothing half-written beside them
    assert [digest(f) for f in files] == originals
