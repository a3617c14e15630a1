"""Inside Blender the add-on needs numpy and Blender only: a bake runs with torch, scipy and soundfile hidden."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from bl_helpers import ROOT, needs_aud

from tests.hidden_imports import PRELUDE

SCRIPT = PRELUDE + textwrap.dedent(
    """
    import bpy
    import multanet_blender
    from multanet_blender import blender_compat

    ckpt, wav, use_strip = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    bpy.ops.multanet.add_head_mesh(checkpoint=ckpt, head="char00")
    if use_strip:
        blender_compat.top_strips(bpy.context.scene).new_sound("line", wav, 1, 1)
        source = {"strip": "line"}
    else:
        source = {"audio_file": wav}
    assert bpy.ops.multanet.generate_lip_sync(object="char00", checkpoint=ckpt, head="char00", **source) == {"FINISHED"}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "scipy", "soundfile", "core"))
    assert not loaded, loaded  # nor a generic top-level 'core': the add-on's core is multanet_core
    print("ok")
    """
)


@needs_aud  # without aud (the pip bpy 4.2 module) audio files are read through soundfile
def test_bake_without_torch_scipy_soundfile(assets):
    result = subprocess.run([sys.executable, "-c", SCRIPT, assets["checkpoint"], assets["wav16"], "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip().endswith("ok")
