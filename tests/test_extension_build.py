"""What ships is what is tested: ``build.py`` makes the extension zip, Blender's validator passes it,
and a fresh Blender (a subprocess, its user folders in a temporary directory) installs it through its
own extension API (which installs the ``multanet_core`` wheel the manifest names), enables it and bakes a
strip with the installed operator, with its core from that wheel, no top-level ``core`` and not the
checkout's ``multanet_blender`` or ``multanet_core`` in its ``sys.modules``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tomllib
import zipfile

import pytest

from tests.conftest import ROOT, SPEECH_EN

pytest.importorskip("bpy")

import build  # noqa: E402

INSTALL_AND_BAKE = r'''
import json, os, sys
import bpy

zip_path, ckpt, audio = sys.argv[1:4]
result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
assert result == {"FINISHED"}, result
bpy.ops.wm.save_userpref()
scene = bpy.context.scene
scene.render.fps, scene.render.fps_base = 30, 1
bpy.ops.multanet.add_head_mesh(checkpoint=ckpt, head="char01")
obj = bpy.data.objects["char01"]
scene.sequence_editor_create()
strips = scene.sequence_editor.strips if bpy.app.version >= (4, 4, 0) else scene.sequence_editor.sequences
strips.new_sound("char01: hello", audio, 1, 10)
result = bpy.ops.multanet.generate_lip_sync(object="char01", checkpoint=ckpt, head="char01", strip="char01: hello")
assert result == {"FINISHED"}, result
package = sys.modules["bl_ext.user_default.multanet_blender"]
from bl_ext.user_default.multanet_blender import checkpoints, lipsync
default = None
if os.path.isfile(checkpoints.DEFAULT_MODEL):
    default = [h.name for h in checkpoints.load(checkpoints.DEFAULT_MODEL).heads]
keys = obj.data.shape_keys
print("RESULT " + json.dumps({
    "package_file": package.__file__,
    "core_file": sys.modules["multanet_core"].__file__,
    "top_level": sorted(m for m in sys.modules if m.split(".")[0] in ("core", "multanet_blender", "torch",
                                                                     "scipy", "soundfile")),
    "keys": [k.name for k in keys.key_blocks],
    "record": dict(obj[lipsync.RECORD]),
    "default_heads": default,
}))
'''


LATER_SESSION = r'''
import json, sys
import bpy  # first: addon_utils is importable once the bpy module is
import addon_utils

ckpt = sys.argv[1]
before = hasattr(bpy.types, "MULTANET_OT_generate_lip_sync") or "multanet" in dir(bpy.ops)
addon_utils.enable("bl_ext.user_default.multanet_blender", default_set=True)
bpy.ops.multanet.add_head_mesh(checkpoint=ckpt, head="char00")
print("RESULT " + json.dumps({"registered_before_enable": before,
                              "core_file": sys.modules["multanet_core"].__file__,
                              "head": "char00" in bpy.data.objects}))
'''


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    return build.build(str(out), allow_missing_model=True)


def _python_sources(zf: zipfile.ZipFile) -> dict[str, str]:
    """Every .py in the zip, and in the wheels inside it, by name."""
    sources = {}
    for name in zf.namelist():
        if name.endswith(".py"):
            sources[name] = zf.read(name).decode()
        elif name.endswith(".whl"):
            with zipfile.ZipFile(io.BytesIO(zf.read(name))) as wheel:
                sources.update({f"{name}:{n}": wheel.read(n).decode() for n in wheel.namelist() if n.endswith(".py")})
    return sources


def test_build_names_the_zip_from_the_manifest_and_ships_only_the_numpy_addon(built):
    meta = tomllib.loads(open(os.path.join(ROOT, "multanet_blender", "blender_manifest.toml")).read())
    assert os.path.basename(built) == f"{meta['id']}-{meta['version']}.zip"
    zf = zipfile.ZipFile(built)
    names = zf.namelist()
    wheel = "wheels/multanet_core-0.1.0-py3-none-any.whl"
    assert meta["wheels"] == [f"./{wheel}"]
    assert {"blender_manifest.toml", "__init__.py", "LICENSE", wheel} <= set(names)
    assert not any(n.startswith(("tests/", "train/", "multanet_core/")) or "__pycache__" in n or n.endswith(".pyc")
                   for n in names)
    sources = _python_sources(zf)
    core = {n.split(":")[1] for n in sources if n.startswith(wheel)}
    assert {f"multanet_core/{m}.py" for m in ("__init__", "inference", "checkpoint", "lpc", "audio")} <= core
    assert "multanet_core/__main__.py" not in core  # the command line stays in the checkout
    for name, text in sources.items():
        assert "import torch" not in text and "import scipy" not in text, name
    if os.path.isfile(os.path.join(ROOT, "multanet_blender", "models", "default.npz")):
        assert "models/default.npz" in names


def test_build_fails_loudly_without_the_default_model_or_with_a_bad_manifest(tmp_path, monkeypatch):
    out = tmp_path / "dist"
    monkeypatch.setattr(build, "MODEL", "models/missing.npz")
    with pytest.raises(build.BuildError, match="default model .* is missing"):
        build.build(str(out))
    assert not out.exists() or not list(out.iterdir())
    monkeypatch.setattr(build, "core_version", lambda: "9.9.9")  # the manifest names 0.1.0
    with pytest.raises(build.BuildError, match="multanet_core-9.9.9-py3-none-any.whl"):
        build.build(str(out), allow_missing_model=True)
    assert not out.exists() or not list(out.iterdir())
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("blender_manifest.toml", 'schema_version = "1.0.0"\nid = "x"\n')
        zf.writestr("__init__.py", "")
    with pytest.raises(build.BuildError, match="validator rejects"):
        build.validate(str(bad))


def test_installed_extension_bakes_a_strip_in_a_fresh_blender(built, tmp_path):
    from multanet_core.checkpoint import save_checkpoint
    from train.random_heads import numpy_checkpoint

    ckpt = str(tmp_path / "model.npz")
    save_checkpoint(ckpt, numpy_checkpoint(characters=2, vertices=300, components=12, seed=5))
    script = tmp_path / "install_and_bake.py"  # a file, so sys.path[0] is tmp_path, not the checkout
    script.write_text(INSTALL_AND_BAKE)
    user = tmp_path / "blender_user"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["BLENDER_USER_RESOURCES"] = str(user)
    proc = subprocess.run([sys.executable, str(script), built, ckpt, SPEECH_EN], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    installed = os.path.join(str(user), "extensions", "user_default", "multanet_blender")
    assert result["package_file"].startswith(installed), result["package_file"]
    site = os.path.join(str(user), "extensions", ".local", "lib")  # where Blender installs extension wheels
    assert result["core_file"].startswith(site) and "multanet_core" in result["core_file"], result["core_file"]
    assert result["top_level"] == [], result["top_level"]
    assert result["keys"][0] == "Basis" and "MulTaNet.c011" in result["keys"]
    assert result["record"]["frame_start"] == 10 and result["record"]["frame_end"] > 150
    if "models/default.npz" in zipfile.ZipFile(built).namelist():
        assert result["default_heads"], "the bundled default model did not load"
    # a later session (what a pipeline runs every time): the README's one line enables the installed extension
    later = tmp_path / "later.py"
    later.write_text(LATER_SESSION)
    proc = subprocess.run([sys.executable, str(later), ckpt], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    result = json.loads(line[len("RESULT "):])
    # the bpy module does not load the saved preferences' extensions by itself: the enable line is needed
    assert not result["registered_before_enable"] and result["head"] and result["core_file"].startswith(site), result


SCRIPT_IN_BLENDERS_PYTHON = r'''
import json, sys
site, numpy_only, clip, text = sys.argv[1:5]
sys.path[:0] = [site, numpy_only]  # run with -S: nothing of the test's environment but numpy
import numpy as np
import pocketsphinx, espeakng_loader
from multanet_core.script import align_script
timing = align_script(np.load(clip), text, "en-us", name="slt")
print("RESULT " + json.dumps({"pocketsphinx": pocketsphinx.__file__, "espeakng_loader": espeakng_loader.__file__,
                              "core": sys.modules["multanet_core"].__file__, "used": timing.used,
                              "warning": timing.warning, "trusted": timing.trusted_share}))
'''


@pytest.mark.skipif(not (sys.platform.startswith("linux") and platform.machine() == "x86_64"),
                    reason="installs the linux-x64 zip")
def test_script_wheels_build_one_zip_per_platform_and_give_blenders_python_the_aligner(tmp_path):
    """`build.py --script-wheels`: a zip per platform with that platform's espeak-ng and pocketsphinx wheels
    (pinned in pyproject's blender group); installed into a fresh Blender, those wheels alone (no package of this
    environment but numpy) place a real recording's text, so a line's script works in Blender's own Python."""
    from multanet_core.audio import load_speech

    paths = build.build_with_script(str(tmp_path / "dist"), ["linux-x64"], allow_missing_model=True)
    assert [os.path.basename(p) for p in paths] == ["multanet_blender-0.1.0-linux_x64.zip"]
    zf = zipfile.ZipFile(paths[0])
    wheels = sorted(n for n in zf.namelist() if n.endswith(".whl"))
    assert [w.split("/")[1].split("-")[:2] for w in wheels] == [
        ["espeakng_loader", "0.2.4"], ["multanet_core", "0.1.0"], ["pocketsphinx", "5.1.1"]]
    assert all("x86_64" in w for w in wheels if "multanet_core" not in w)
    assert tomllib.loads(zf.read("blender_manifest.toml").decode())["platforms"] == ["linux-x64"]

    user = tmp_path / "blender_user"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["BLENDER_USER_RESOURCES"] = str(user)
    install = ("import bpy, sys; r = bpy.ops.extensions.package_install_files(filepath=sys.argv[1], "
               "repo='user_default', enable_on_install=True); assert r == {'FINISHED'}, r")
    proc = subprocess.run([sys.executable, "-c", install, paths[0]], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    site = next((user / "extensions" / ".local" / "lib").glob("python3*/site-packages"))
    assert {"pocketsphinx", "espeakng_loader", "multanet_core"} <= {p.name for p in site.iterdir()}

    import numpy

    numpy_only = tmp_path / "numpy_only"
    numpy_only.mkdir()
    (numpy_only / "numpy").symlink_to(os.path.dirname(numpy.__file__))
    clip = tmp_path / "slt.npy"
    numpy.save(clip, load_speech(os.path.join(ROOT, "data", "real_speech", "cmuarctic_slt_a0009.flac")))
    text = json.load(open(os.path.join(ROOT, "data", "real_speech", "cmuarctic_slt_a0009.json")))["text"]
    script = tmp_path / "script.py"
    script.write_text(SCRIPT_IN_BLENDERS_PYTHON)
    proc = subprocess.run([sys.executable, "-S", str(script), str(site), str(numpy_only), str(clip), text],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    result = json.loads(next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))[len("RESULT "):])
    for module in ("pocketsphinx", "espeakng_loader", "core"):
        assert result[module].startswith(str(site)), result
    assert result["used"] and not result["warning"] and result["trusted"] > 0.8, result
