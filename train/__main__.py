"""Command line of the training package: ``python -m train COMMAND ...``.

Each command lives in its own module exposing ``add_arguments(parser)`` and ``run(args) -> int``.
The table below is the only place that lists them; a command's module (and so torch) is imported
only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from multanet_core.text import help_text

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "random-checkpoint": ("train.random_checkpoint", "write an untrained, random-weight checkpoint"),
    "synth": ("train.synth_cli", "generate the synthetic multi-character, multi-language speech-and-face corpus"),
    "preview": ("train.preview", "render a contact sheet of a folder-format dataset's characters"),
    "real-corpus": ("train.real_corpus", "add real recordings with transcripts to a corpus: aligned phones give "
                    "every head's ground truth"),
    "non-speech": ("train.non_speech", "add music, tones, hum, noise and distant babble with the face at rest to "
                   "a corpus"),
    "contact-head": ("train.contact_head", "fit a lip-contact head (closed lips, no speech...) on a trained MulTaNet; "
                     "inference then seals the lips and rests the face"),
    "blink-shapes": ("train.blink_shapes", "give a checkpoint's mesh heads their blink shapes (the eyes shut) for a "
                     "bake's blinks"),
    "fit": ("train.fit", "train MulTaNet or KarrasNet ensembles on a dataset (torchrun for several processes)"),
    "export": ("train.export", "write a trained run as a core checkpoint (.npz) with emotion presets"),
    "demo-audio": ("train.demo_audio", "regenerate the add-on demo's bundled dialogue (Ogg files, dialogue.json)"),
    "demo-face": ("train.demo_face", "make the add-on demo's ARKit face (ICT FaceKit) from the kit's OBJ files"),
    "evaluate": ("train.evaluate", "LVE, MVE, FDD and jitter of checkpoints on a dataset split; tables and plots"),
    "evaluate-rig": ("train.evaluate_rig", "a rig head's named weights against the corpus curves and on real speech"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in COMMANDS:
        parser = argparse.ArgumentParser(prog="python -m train", description=help_text(__doc__))
        sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        for name, (_, summary) in COMMANDS.items():
            sub.add_parser(name, help=summary, add_help=False)
        parser.parse_args(argv)  # prints usage / error and exits
        return 2
    module_name, summary = COMMANDS[argv[0]]
    module = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"python -m train {argv[0]}", description=summary)
    module.add_arguments(parser)
    args = parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except (FileNotFoundError, ValueError) as exc:
        if not _user_error(exc):
            raise
        print(f"python -m train {argv[0]}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C: one line (train fit's says where, and what --resume continues)
        print(f"python -m train {argv[0]}: {str(exc) or 'interrupted'}", file=sys.stderr)
        return 130


def _user_error(exc: BaseException) -> bool:
    """A missing file, or what the project's own checks refuse (a bad checkpoint, audio, dataset or training
    config: train.config.ConfigError is a MulTaNetError): a message for the user, not a traceback. Any other
    ValueError is a bug and keeps its traceback."""
    from multanet_core.errors import MulTaNetError
    from train.data.base import DatasetError

    return isinstance(exc, (FileNotFoundError, MulTaNetError, DatasetError))


if __name__ == "__main__":
    sys.exit(main())
