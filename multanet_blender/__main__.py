"""``python -m multanet_blender bake ...`` and ``python -m multanet_blender demo ...`` (with the ``bpy`` module)."""

from __future__ import annotations

import signal
import sys

# Ctrl-C and SIGTERM wait from the first line until a command is ready for them: one that came while Python or
# Blender's module was still starting would leave them half made (a traceback, or a crash at exit). The bake
# command lets them through once its own handler is in (cli_bake.main); the others at once.
_HELD = {signal.SIGINT, signal.SIGTERM}
_AS_PROGRAM = __name__ == "__main__"  # (imported by a test or a script, it changes nothing of its caller's)
if _AS_PROGRAM and hasattr(signal, "pthread_sigmask"):
    signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)


def _release_signals() -> None:
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)

USAGE = """usage: python -m multanet_blender {bake,demo} ...

  bake SCENE.blend [MORE.blend ...] [--all | --strip NAME ...] (--output-dir DIR | --in-place) [--workers N]
       bake every dialogue line of each file as NLA lip sync (see docs/RENDER_FARM.md)
  demo --out DIR [--checkpoint MODEL.npz] [--no-video]
       build, bake, save and render the two-character demo scene
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "bake":
        _release_signals()
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "bake":
        from .cli_bake import main as bake_main

        return bake_main(rest, exiting=_AS_PROGRAM)
    if command == "demo":
        from .demo import main as demo_main

        return demo_main(rest)
    print(f"unknown command '{command}'\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
