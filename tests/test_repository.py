"""The repository's promises: licence everywhere, README's two commands, CI runs the second."""

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
    assert tomllib.loads((root / "blender_manifest.toml").read_text())["license"] == ["SPDX:GPL-3.0-or-later"]


def test_readme_opens_with_two_commands_and_ci_runs_the_second():
    text = (root / "README.md").read_text()
    first_block = text.index("```bash")
    assert text[:first_block].count("\n") <= 4  # the commands come first
    install_and_run, test_cmd = readme_commands()
    assert "\n" not in install_and_run and "\n" not in test_cmd
    assert "--group train" in install_and_run and "--group test" in test_cmd and "pytest" in test_cmd
    assert test_cmd in (root / ".ci" / "run").read_text()


def test_dependency_groups_exist():
    groups = tomllib.loads((root / "pyproject.toml").read_text())["dependency-groups"]
    assert {"core", "train", "blender", "test", "dev"} <= set(groups)
    assert "torch==2.13.0" in groups["train"]  # the CPU wheel; an unpinned torch pulls CUDA
