"""The repository's promises: licence everywhere, README's two commands, CI runs the second."""

import os
import pathlib
import re
import tomllib

from tests.conftest import ROOT

root = pathlib.Path(ROOT)


def readme_commands() -> list[str]:
    text = (root / "README.md").read_text()
    return re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)[:2]


def test_licence_is_gpl3_or_later_everywhere():
    assert "GNU GENERAL PUBLIC LICENSE" in (root / "LICENSE").read_text()[:200]
    assert "Version 3" in (root / "LICENSE").read_text()[:200]
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["license"] == "GPL-3.0-or-later"
    manifest = tomllib.loads((root / "multanet_blender" / "blender_manifest.toml").read_text())
    assert manifest["license"] == ["SPDX:GPL-3.0-or-later"]


def test_readme_opens_with_two_commands_and_ci_runs_the_second():
    text = (root / "README.md").read_text()
    first_block = text.index("```bash")
    assert text[:first_block].count("\n") <= 4  # the commands come first
    demo_cmd, test_cmd = readme_commands()
    assert "\n" not in demo_cmd and "\n" not in test_cmd
    # the first: a fresh venv with Python 3.11, Blender's group only (no torch), and it ends with the demo
    steps = [step.strip() for step in demo_cmd.split("&&")]
    assert steps[0].startswith("python3.11 -m venv .venv")
    assert any("pip install" in step and "--group blender" in step for step in steps)
    assert not any("--group train" in step or "--group test" in step for step in steps)
    assert steps[-1].startswith(".venv/bin/python -m multanet_blender demo --out ")
    assert "--group test" in test_cmd and "pytest" in test_cmd
    assert test_cmd in (root / ".ci" / "run").read_text()


def test_dependency_groups_exist():
    groups = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]
    assert {"core", "train", "blender", "test", "dev"} <= set(groups)
    # the demo needs nothing else: Blender, and what reads each line's script into phones and places them
    assert sorted(groups["blender"]) == ["bpy==5.0.1", "espeakng-loader==0.2.4", "numpy>=1.26,<2",
                                         "pocketsphinx==5.1.1"]
    assert "torch==2.13.0" in groups["train"]  # the CPU wheel; an unpinned torch pulls CUDA


def test_docs_stand_on_their_own():
    """Nothing in the repository sends a reader outside it (the design notes beside the checkout are not shipped)."""
    import glob

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for path in [os.path.join(root, "README.md"), *glob.glob(os.path.join(root, "docs", "*.md"))]:
        text = open(path, encoding="utf-8").read()
        assert "../shared" not in text and "DESIGN.md" not in text, path
    assert os.path.isfile(os.path.join(root, "docs", "ARCHITECTURE.md"))
