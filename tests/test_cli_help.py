"""Every command line answers --help without doing work, and every option says what it is."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def captured_parsers(main, argv, monkeypatch) -> list[argparse.ArgumentParser]:
    """The parser ``main(argv)`` builds, and its subcommands' parsers."""
    seen = []

    def capture(self, *args, **kwargs):
        seen.append(self)
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", capture)
    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", capture)
    with pytest.raises(SystemExit):
        main(argv)
    out, todo = [], list(seen)
    while todo:
        parser = todo.pop()
        out.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo.extend(action.choices.values())
    return out


def undocumented(parsers) -> list[str]:
    return [f"{p.prog} {a.option_strings or a.dest}" for p in parsers for a in p._actions
            if not isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)) and not a.help]


def test_every_option_has_help(monkeypatch):
    from multanet_blender import cli_bake
    from multanet_core.__main__ import main as core_main
    from train.__main__ import COMMANDS
    from train.__main__ import main as train_main

    parsers = captured_parsers(core_main, ["info", "x"], monkeypatch)
    for command in COMMANDS:
        parsers += captured_parsers(train_main, [command], monkeypatch)
    parsers.append(cli_bake.parser())
    if importlib.util.find_spec("bpy") is not None:
        from multanet_blender import demo

        parsers += captured_parsers(demo.main, [], monkeypatch)
    assert len(parsers) >= 3 + len(COMMANDS) + 1
    assert undocumented(parsers) == []


@pytest.mark.parametrize("command", [
    [sys.executable, "-m", "train.demo_audio", "--help"],
    [sys.executable, "-m", "train", "demo-audio", "--help"],
    *[[sys.executable, os.path.join("bench", name), "--help"]
      for name in sorted(os.listdir(os.path.join(ROOT, "bench"))) if name.startswith("bench_")],
])
def test_help_does_no_work(command):
    demo = os.path.join(ROOT, "multanet_blender", "demo_audio")
    before = {n: os.stat(os.path.join(demo, n)).st_mtime_ns for n in os.listdir(demo)}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("usage:"), done.stderr
    assert {n: os.stat(os.path.join(demo, n)).st_mtime_ns for n in os.listdir(demo)} == before
