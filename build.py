"""Build the Blender extension zip: ``python build.py`` -> ``dist/multanet_blender-<version>.zip``.

The zip's root is the add-on package (``multanet_blender/*.py``) with ``blender_manifest.toml`` (the
source of truth for id and version), core's numpy modules as the ``core/`` subpackage (the source tree's
``multanet_blender/core`` symlink, resolved; without torch, scipy or the CLI), the default model
``models/default.npz``, the demo's audio and the licence. No tests, no caches. The result is checked
with Blender's own validator (``blender_ext.py validate``, shipped with Blender and the ``bpy`` module);
any problem exits non-zero with a message.

    python build.py [--out DIR] [--allow-missing-model]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tomllib
import zipfile

ROOT = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(ROOT, "multanet_blender")
CORE = os.path.join(ROOT, "core")
CORE_EXCLUDED = {"__main__.py"}  # the command line
DATA_FOLDERS = {"models": (".npz",), "demo_audio": (".ogg", ".json")}
MODEL = os.path.join("models", "default.npz")


class BuildError(Exception):
    pass


def manifest() -> dict:
    with open(os.path.join(ROOT, "blender_manifest.toml"), "rb") as f:
        return tomllib.load(f)


def package_files(allow_missing_model: bool = False) -> list[tuple[str, str]]:
    """(path on disk, name in the zip) for everything that ships."""
    files = [(os.path.join(ROOT, "blender_manifest.toml"), "blender_manifest.toml"),
             (os.path.join(ROOT, "LICENSE"), "LICENSE")]
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            files.append((os.path.join(PACKAGE, name), name))
    for folder, suffixes in DATA_FOLDERS.items():
        src = os.path.join(PACKAGE, folder)
        for name in sorted(os.listdir(src)) if os.path.isdir(src) else []:
            if name.endswith(suffixes):
                files.append((os.path.join(src, name), f"{folder}/{name}"))
    for name in sorted(os.listdir(CORE)):
        if name.endswith(".py") and name not in CORE_EXCLUDED:
            files.append((os.path.join(CORE, name), f"core/{name}"))
    if not any(arc == MODEL.replace(os.sep, "/") for _, arc in files) and not allow_missing_model:
        raise BuildError(f"the default model {os.path.join(PACKAGE, MODEL)} is missing: train and export it "
                         f"(README, 'the default model') or build without it with --allow-missing-model")
    return files


def write_zip(path: str, files: list[tuple[str, str]]) -> None:
    """Write to a temporary name, then rename into place: a failed build leaves no half zip."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            for src, arc in files:
                info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))  # reproducible bytes
                info.compress_type = zipfile.ZIP_STORED if arc.endswith((".npz", ".ogg", ".flac")) \
                    else zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                with open(src, "rb") as f:
                    zf.writestr(info, f.read())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def validator() -> str:
    """Blender's ``blender_ext.py``, from the ``bpy`` module of this interpreter."""
    spec = importlib.util.find_spec("bpy")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("cannot validate: no bpy module in this Python (pip install --group blender)")
    bpy_dir = list(spec.submodule_search_locations)[0]
    for version in sorted(os.listdir(bpy_dir), reverse=True):
        path = os.path.join(bpy_dir, version, "scripts", "addons_core", "bl_pkg", "cli", "blender_ext.py")
        if os.path.isfile(path):
            return path
    raise BuildError(f"cannot validate: no scripts/addons_core/bl_pkg/cli/blender_ext.py under {bpy_dir}")


def validate(zip_path: str) -> str:
    result = subprocess.run([sys.executable, validator(), "validate", zip_path], capture_output=True, text=True)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or "ERROR" in output:
        raise BuildError(f"Blender's validator rejects {zip_path}:\n{output}")
    return output


def build(out_dir: str, allow_missing_model: bool = False) -> str:
    meta = manifest()
    zip_path = os.path.join(out_dir, f"{meta['id']}-{meta['version']}.zip")
    write_zip(zip_path, package_files(allow_missing_model))
    try:
        validate(zip_path)
    except BuildError:
        os.remove(zip_path)
        raise
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "dist"), help="output folder (default: dist/)")
    parser.add_argument("--allow-missing-model", action="store_true",
                        help="build without models/default.npz (tests; the extension then needs a checkpoint)")
    args = parser.parse_args(argv)
    try:
        path = build(args.out, args.allow_missing_model)
    except BuildError as exc:
        print(f"build.py: {exc}", file=sys.stderr)
        return 1
    with zipfile.ZipFile(path) as zf:
        n = len(zf.namelist())
    print(f"{path}: {os.path.getsize(path) / 1e6:.2f} MB, {n} files, passes Blender's extension validator")
    return 0


if __name__ == "__main__":
    sys.exit(main())
