"""Build the Blender extension zip: ``python build.py`` -> ``dist/multanet_blender-<version>.zip``.

Blender's own extension tool does the packing: ``blender_ext.py build`` (shipped with Blender and the
``bpy`` module) reads ``multanet_blender/blender_manifest.toml`` (the source of truth for id, version,
wheels and what the zip leaves out, its ``[build]`` table) and zips the add-on folder. This script
only prepares what that folder lacks in the checkout, in a temporary copy of it:

* the licence (``LICENSE`` of the repository), and
* the wheel of ``multanet_core`` that the manifest names, built by pip from the checkout's package
  (numpy-only modules; not its command line), which Blender installs beside the extension.

The zip is then checked with ``blender_ext.py validate``; any problem exits non-zero with a message and
leaves no zip behind.

``--script-wheels`` builds instead one zip per platform (Blender's ``--split-platforms``) that also carries
the wheels a line's script needs in Blender's own Python: espeak-ng (``espeakng-loader``) and pocketsphinx,
at the versions pinned in ``pyproject.toml``'s ``blender`` group, for Blender's Python 3.11, fetched by
``pip download`` (PyPI, once per build). Without them the add-on bakes every line from its audio and says
that its text was not used.

    python build.py [--out DIR] [--allow-missing-model] [--script-wheels [--platform NAME ...]]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(ROOT, "multanet_blender")
CORE = os.path.join(ROOT, "multanet_core")
CORE_EXCLUDED = ("__main__.py",)  # the command line: not for Blender
MODEL = os.path.join("models", "default.npz")

CORE_PYPROJECT = """\
[project]
name = "multanet_core"
version = "{version}"
description = "MulTaNet's numpy core (audio, LPC, checkpoints, inference), as the Blender add-on ships it"
requires-python = ">=3.11"
license = "GPL-3.0-or-later"
dependencies = []  # numpy comes with Blender

[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["multanet_core"]
"""


# a line's script in Blender (multanet_core.script): what Blender's Python lacks, as binary wheels per platform
SCRIPT_PACKAGES = ("espeakng-loader", "pocketsphinx")
PLATFORMS = {  # Blender's platform name: pip's platform tag of the wheels for Blender's Python 3.11
    "linux-x64": "manylinux2014_x86_64",
    "windows-x64": "win_amd64",
    "macos-arm64": "macosx_11_0_arm64",  # espeakng-loader has no macOS x86-64 wheel
}
BLENDER_PYTHON = "3.11"


class BuildError(Exception):
    pass


def manifest() -> dict:
    with open(os.path.join(PACKAGE, "blender_manifest.toml"), "rb") as f:
        return tomllib.load(f)


def core_version() -> str:
    import multanet_core  # the checkout's (build.py sits beside it)

    return multanet_core.__version__


def core_wheel_name(meta: dict) -> str:
    """The manifest's wheel for multanet_core, checked against the package's own version."""
    expected = f"multanet_core-{core_version()}-py3-none-any.whl"
    wheels = [w for w in meta.get("wheels", []) if os.path.basename(w).startswith("multanet_core-")]
    if [os.path.basename(w) for w in wheels] != [expected]:
        raise BuildError(f"blender_manifest.toml must list the one core wheel ./wheels/{expected} "
                         f"(multanet_core/__init__.py says version {core_version()}); it lists {wheels or 'none'}")
    return expected


def build_core_wheel(out_dir: str, name: str) -> str:
    """pip builds the multanet_core wheel from a copy of the package (setuptools, no download)."""
    with tempfile.TemporaryDirectory(prefix="multanet_core_src_") as src:
        shutil.copytree(CORE, os.path.join(src, "multanet_core"),
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", *CORE_EXCLUDED))
        with open(os.path.join(src, "pyproject.toml"), "w") as f:
            f.write(CORE_PYPROJECT.format(version=core_version()))
        result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                                 "--quiet", "--wheel-dir", out_dir, src], capture_output=True, text=True)
    path = os.path.join(out_dir, name)
    if result.returncode != 0 or not os.path.isfile(path):
        raise BuildError(f"pip could not build {name}:\n{(result.stdout + result.stderr).strip()[-3000:]}")
    return path


def script_requirements() -> list[str]:
    """The pinned requirements of :data:`SCRIPT_PACKAGES`, from pyproject.toml's ``blender`` group (one place
    says which versions the add-on runs with)."""
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        group = tomllib.load(f)["dependency-groups"]["blender"]
    pins = {r.split("==")[0].strip(): r.strip() for r in group if isinstance(r, str) and "==" in r}
    missing = [name for name in SCRIPT_PACKAGES if name not in pins]
    if missing:
        raise BuildError(f"pyproject.toml's blender group pins no version of {', '.join(missing)}")
    return [pins[name] for name in SCRIPT_PACKAGES]


def download_script_wheels(out_dir: str, platform: str) -> list[str]:
    """pip downloads the script's wheels for one Blender platform into ``out_dir``; returns their file names."""
    if platform not in PLATFORMS:
        raise BuildError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}")
    before = set(os.listdir(out_dir))
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                             "--python-version", BLENDER_PYTHON, "--implementation", "cp",
                             "--platform", PLATFORMS[platform], "--dest", out_dir, *script_requirements()],
                            capture_output=True, text=True)
    got = sorted(set(os.listdir(out_dir)) - before)
    if result.returncode != 0 or len(got) != len(SCRIPT_PACKAGES):
        raise BuildError(f"pip could not download the script's wheels for {platform} "
                         f"({', '.join(script_requirements())}):\n{(result.stdout + result.stderr).strip()[-3000:]}")
    return got


def _with_wheels(manifest_path: str, wheels: list[str], platforms: list[str]) -> None:
    """The staged manifest lists ``wheels`` after the core's and declares ``platforms``."""
    with open(manifest_path, encoding="utf-8") as f:
        text = f.read()
    line = next((ln for ln in text.splitlines() if ln.startswith("wheels = ")), "")
    if not line.rstrip().endswith("]"):
        raise BuildError("blender_manifest.toml must list its wheels on one line (wheels = [...]) for --script-wheels")
    listed = [*tomllib.loads(text)["wheels"], *(f"./wheels/{w}" for w in wheels)]
    text = text.replace(line, "wheels = [\n" + "".join(f'  "{w}",\n' for w in listed) + "]\n"
                        + "platforms = [" + ", ".join(f'"{p}"' for p in platforms) + "]", 1)
    with open(manifest_path, "w", encoding="utf-8") as f:
        f.write(text)


def blender_ext() -> str:
    """Blender's ``blender_ext.py``, from the ``bpy`` module of this interpreter."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("cannot build: no bpy module in this Python (pip install --group blender)")
    bpy_dir = list(spec.submodule_search_locations)[0]
    for version in sorted(os.listdir(bpy_dir), reverse=True):
        path = os.path.join(bpy_dir, version, "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py")
        if os.path.isfile(path):
            return path
    raise BuildError(f"cannot build: no scripts/addons_core/bl_pkg/cli/blender_ext.py under {bpy_dir}")


def _run_blender_ext(*args: str) -> str:
    result = subprocess.run([sys.executable, blender_ext(), *args], capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "ERROR" in output or "FATAL_ERROR" in output:
        raise BuildError(f"blender_ext.py {args[0]} failed:\n{output}")
    return output


def validate(zip_path: str) -> str:
    try:
        return _run_blender_ext("validate", zip_path)
    except BuildError as exc:
        raise BuildError(f"Blender's validator rejects {zip_path}:\n{exc}") from None


def stage(folder: str, allow_missing_model: bool = False) -> str:
    """The add-on folder as it ships, before the manifest's excludes: the checkout's multanet_blender/,
    the licence and the core wheel. Returns the staged folder."""
    if not os.path.isfile(os.path.join(PACKAGE, MODEL)) and not allow_missing_model:
        raise BuildError(f"the default model {os.path.join(PACKAGE, MODEL)} is missing: train and export it "
                         f"(README, 'the default model') or build without it with --allow-missing-model")
    meta = manifest()
    wheel = core_wheel_name(meta)
    staged = os.path.join(folder, meta["id"])
    shutil.copytree(PACKAGE, staged, ignore=shutil.ignore_patterns("__pycache__", "wheels"))
    shutil.copy(os.path.join(ROOT, "LICENSE"), os.path.join(staged, "LICENSE"))
    os.makedirs(os.path.join(staged, "wheels"))
    build_core_wheel(os.path.join(staged, "wheels"), wheel)
    return staged


def _publish(part: str, path: str) -> str:
    """Copy a validated zip to ``path`` so that it appears there whole or not at all; returns ``path``."""
    shutil.copyfile(part, path + ".part")
    os.replace(path + ".part", path)
    return path


def build_with_script(out_dir: str, platforms: list[str] | None = None,
                      allow_missing_model: bool = False) -> list[str]:
    """One validated zip per platform (``multanet_blender-<version>-<platform>.zip``), each with the core wheel
    and that platform's wheels of :data:`SCRIPT_PACKAGES`. Returns their paths."""
    platforms = list(platforms or PLATFORMS)
    meta = manifest()
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="multanet_build_") as tmp:
        staged = stage(tmp, allow_missing_model)
        wheels = [w for p in platforms for w in download_script_wheels(os.path.join(staged, "wheels"), p)]
        _with_wheels(os.path.join(staged, "blender_manifest.toml"), wheels, platforms)
        parts = os.path.join(tmp, "zips")
        os.makedirs(parts)
        _run_blender_ext("build", "--source-dir", staged, "--output-dir", parts, "--split-platforms")
        made = sorted(os.listdir(parts))
        expected = sorted(f"{meta['id']}-{meta['version']}-{p.replace('-', '_')}.zip" for p in platforms)
        if made != expected:
            raise BuildError(f"Blender's extension tool made {made}, not {expected}")
        for name in made:  # every zip valid before any appears in out_dir
            validate(os.path.join(parts, name))
        return [_publish(os.path.join(parts, name), os.path.join(out_dir, name)) for name in made]


def build(out_dir: str, allow_missing_model: bool = False) -> str:
    meta = manifest()
    zip_path = os.path.join(os.path.abspath(out_dir), f"{meta['id']}-{meta['version']}.zip")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="multanet_build_") as tmp:
        staged = stage(tmp, allow_missing_model)
        part = os.path.join(tmp, os.path.basename(zip_path))  # the zip appears in out_dir only once valid
        _run_blender_ext("build", "--source-dir", staged, "--output-filepath", part)
        validate(part)
        _publish(part, zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"), help="output folder (default: dist/)")
    parser.add_argument("--allow-missing-model", action="store_true",
                        help="build without models/default.npz (tests; the extension then needs a checkpoint)")
    parser.add_argument("--script-wheels", action="store_true",
                        help="one zip per platform with espeak-ng and pocketsphinx inside, so that a line's text "
                             "works in Blender's own Python (downloads their wheels from PyPI)")
    parser.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                        help="with --script-wheels: only this platform (repeat; default: all of them)")
    args = parser.parse_args(argv)
    if args.platform and not args.script_wheels:
        parser.error("--platform needs --script-wheels")
    try:
        paths = (build_with_script(args.out, args.platform, args.allow_missing_model) if args.script_wheels
                 else [build(args.out, args.allow_missing_model)])
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    for path in paths:
        with zipfile.ZipFile(path) as zf:
            n = len(zf.namelist())
        print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, {n} files, built and validated by Blender's "
              f"extension tool")
    return 0


if __name__ == "__main__":
    sys.exit(main())
