"""The Lip Sync panel's draw: the mesh-against-head status, fitted on every redraw (before) against the
cached answer (now), on the bundled model's smallest and largest heads (989 and 15,212 vertices).

Run: .venv/bin/python bench/bench_panel_draw.py
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from bench.common import cli  # noqa: E402


def main() -> None:
    import bpy

    import multanet_blender
    from multanet_blender import checkpoints, panels

    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    ckpt = checkpoints.load(checkpoints.DEFAULT_MODEL)
    for name in ("arthur", "cornelius"):
        bpy.ops.multanet.add_head_mesh(checkpoint="DEFAULT", head=name)
        obj, head = bpy.data.objects[name], ckpt.head(name)
        t = time.perf_counter()
        for _ in range(10):
            panels._match_status(obj, head)  # what every redraw did before
        fit = (time.perf_counter() - t) / 10
        panels.match_status(obj, head)
        t = time.perf_counter()
        for _ in range(1000):
            panels.match_status(obj, head)
        cached = (time.perf_counter() - t) / 1000
        print(f"{name} ({len(obj.data.vertices):,} vertices): fit on every draw {fit * 1e3:.2f} ms, "
              f"cached {cached * 1e6:.1f} us: {fit / cached:,.0f}x less work per redraw")
    multanet_blender.unregister()


if __name__ == "__main__":
    cli(__doc__)
    main()
