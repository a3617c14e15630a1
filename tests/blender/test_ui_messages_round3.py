"""Issue 28, hostile input round three, in real Blender: head names the panel can pick, messages that say
what is wrong, and bake reports that say what was done (the core and train side: tests/test_messages_round3.py)."""

from __future__ import annotations

import os

import bpy
import pytest
from bl_helpers import add_head, add_strip, character, needs_aud, scene_state, speech_source

from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.rig_names import ARKIT_52, OCULUS_VISEMES


@pytest.fixture(scope="module")
def odd_names(tmp_path_factory):
    """A checkpoint whose two mesh heads are named '' and 'a<NUL>b' (the format allows any string)."""
    from train.random_heads import numpy_checkpoint

    ckpt = numpy_checkpoint(characters=2, vertices=120, components=4, seed=7)
    ckpt.heads[0].name, ckpt.heads[1].name = "", "a\x00b"
    path = tmp_path_factory.mktemp("odd_names") / "odd.npz"
    save_checkpoint(path, ckpt)
    return str(path)


def generate(**kwargs):
    return bpy.ops.multanet.generate_lip_sync(**kwargs)


class _Layout:
    """A panel's layout that keeps the text of its labels (test_lip_contact's, cut down)."""

    def __init__(self, log=None):
        self.log = [] if log is None else log
        self.enabled, self.scale_y = True, 1.0

    def _child(self, *args, **kwargs):
        return _Layout(self.log)

    row = column = box = _child

    def label(self, text="", **kwargs):
        self.log.append(text)

    def operator(self, *args, **kwargs):
        return type("Op", (), {})()

    def prop(self, *args, **kwargs):
        pass

    prop_search = template_list = menu = prop


def panel_text() -> str:
    """The Lip Sync panel's labels, drawn now, as one line (wrapped labels joined)."""
    from multanet_blender import panels

    panel = type("P", (), {"layout": _Layout()})()
    panels.MULTANET_PT_lip_sync.draw(panel, bpy.context)
    return " ".join(" ".join(panel.layout.log).split())


def head_items(settings):
    from multanet_blender import properties

    return {ident: label for ident, label, _ in properties._heads(settings, bpy.context)}


# --- head names ---------------------------------------------------------------------------------------

def test_an_empty_head_name_can_be_picked_in_the_panel_and_baked(blender, assets, odd_names):
    from multanet_blender import properties

    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", odd_names
    assert "" not in head_items(settings)  # Blender drops an item with an empty identifier: unpickable
    assert "(empty name)" in head_items(settings).values()
    assert bpy.ops.multanet.add_head_mesh(head="") == {"FINISHED"}  # (the panel follows what was added)
    assert properties.head_name(settings) == ""
    obj = settings.target
    assert obj is not None and len(obj.data.vertices) == load_checkpoint(odd_names).heads[0].n_vertices
    assert generate(audio_file=assets["wav16"], audio_frame=1) == {"FINISHED"}
    assert obj["multanet_lipsync"]["head"] == ""


def test_a_head_name_with_nul_is_picked_whole_and_shown_escaped(blender, assets, odd_names):
    from multanet_blender import properties

    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", odd_names
    items = head_items(settings)
    assert "a\\x00b" in items.values()
    (ident,) = [i for i, label in items.items() if label == "a\\x00b"]
    settings.head = ident
    assert properties.head_name(settings) == "a\x00b"  # whole, not 'a'
    bpy.ops.mesh.primitive_cube_add()
    settings.target = bpy.context.active_object
    before = scene_state()
    with pytest.raises(RuntimeError) as err:  # the cube is not the head's mesh: the message names the head whole
        generate(audio_file=assets["wav16"], audio_frame=1)
    n = load_checkpoint(odd_names).heads[1].n_vertices
    assert f"head 'a\\x00b' expects {n} vertices; 'Cube' has 8" in str(err.value), str(err.value)
    assert scene_state() == before


# --- messages -------------------------------------------------------------------------------------------

def test_a_key_map_of_visemes_and_names_says_it_mixes_them(blender, assets):
    obj = character(["Mouth_A", "Mouth_Open"])
    for source, key in (("aa", "Mouth_A"), ("jawOpen", "Mouth_Open")):
        row = obj.multanet_key_map.add()
        row.source, row.key = source, key
    before = scene_state()
    with pytest.raises(RuntimeError) as err:
        generate(object=obj.name, checkpoint=assets["rig_checkpoint"], head="rig", bake_mode="BY_NAME",
                 audio_file=assets["wav16"])
    text = str(err.value)
    assert "the key map of 'Hero' mixes visemes (row 1: aa) with names of rig head 'rig' (row 2: jawOpen): one key " \
           "map uses either visemes or the head's names" in text, text
    assert "is not a name of rig head" not in text
    assert scene_state() == before
    obj.multanet_key_map[1].key = ""  # a row without a key is left out: a map of visemes
    assert generate(object=obj.name, checkpoint=assets["rig_checkpoint"], head="rig", bake_mode="BY_NAME",
                    audio_file=assets["wav16"]) == {"FINISHED"}
    assert obj["multanet_lipsync"]["keys"] == 1


def test_a_cache_folder_that_is_a_file_says_so(blender, assets, tmp_path):
    add_head(assets["checkpoint"])
    blocker = tmp_path / "caches"
    blocker.write_text("not a folder")
    for folder in (blocker, blocker / "sub"):
        with pytest.raises(RuntimeError) as err:
            generate(object="char00", checkpoint=assets["checkpoint"], head="char00", audio_file=assets["wav16"],
                     bake_mode="VERTEX_CACHE", cache_dir=str(folder))
        text = str(err.value)
        assert "Errno" not in text, text
        assert f"the cache folder '{folder}'" in text and f"'{blocker}' is a file, not a folder" in text, text
        assert "choose another cache folder" in text, text
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_the_bake_command_says_a_blend_that_is_not_a_file_is_not_one(blender, tmp_path, kind):
    from multanet_blender import cli_bake

    path = tmp_path / "x.blend"
    if kind == "folder":
        path.mkdir()
    else:
        os.mkfifo(path)
    result = cli_bake.bake_file(str(path), str(tmp_path / "out" / "x.blend"), [], False)
    assert "no such file" not in result.error
    assert result.error.startswith(f"the .blend file '{path}' is " + ("a folder, not a file" if kind == "folder"
                                                                      else "a FIFO (named pipe)")), result.error
    assert not (tmp_path / "out").exists()


# --- panel and reports ---------------------------------------------------------------------------------

@needs_aud
def test_strips_but_none_chosen_says_which_to_choose(blender, assets):
    obj = add_head(assets["checkpoint"])
    scene = bpy.context.scene
    for i, name in enumerate(("line b", "line a")):
        add_strip(assets["wav16"], frame_start=1000 + 300 * i, name=name, channel=1 + i)
    for strip in scene.sequence_editor.strips_all:
        strip.select = False
    scene.sequence_editor.active_strip = None
    scene.frame_current = 1  # before both
    settings = scene.multanet
    settings.audio, settings.strip = "STRIP", ""
    with pytest.raises(RuntimeError) as err:
        generate(object=obj.name, checkpoint=assets["checkpoint"], head="char00")
    text = str(err.value)
    assert "has no sound strip to use" not in text, text
    assert ("has 2 sound strips but none is chosen: pick one in the panel's Strip field ('line a', 'line b'), or "
            "select it in the Sequencer, or move the playhead over it") in text, text
    assert ("none chosen of 2 sound strips ('line a', 'line b'): pick one in the Strip field, select it in the "
            "Sequencer, or move the playhead over it") in panel_text()


def test_the_report_says_when_the_active_object_was_the_target(blender, assets, capfd):
    obj = add_head(assets["checkpoint"])  # the panel's head and target follow it
    settings = bpy.context.scene.multanet
    settings.target = None
    bpy.context.view_layer.objects.active = obj
    settings.audio, settings.audio_file, settings.audio_frame = "FILE", assets["wav16"], 1
    assert "uses the active object 'char00': matches head char00" in panel_text()
    capfd.readouterr()
    assert generate() == {"FINISHED"}
    out = capfd.readouterr().out
    assert "the target was the active object 'char00' (no Target Mesh is set)" in out, out
    settings.target = obj  # chosen: nothing to say
    assert generate() == {"FINISHED"}
    assert "active object" not in capfd.readouterr().out


def _bake_by_name(obj, assets, checkpoint="DEFAULT", head="arkit"):
    return generate(object=obj.name, checkpoint=checkpoint, head=head, bake_mode="BY_NAME",
                    **speech_source(assets["wav16"], 1))


def test_names_a_key_map_leaves_out_are_information_not_a_warning(blender, assets, capfd):
    obj = character(["Mouth_Open", "Lips_Pucker"])
    for source, key in (("jawOpen", "Mouth_Open"), ("mouthPucker", "Lips_Pucker")):
        row = obj.multanet_key_map.add()
        row.source, row.key = source, key
    capfd.readouterr()
    assert _bake_by_name(obj, assets) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "Info: lip sync for 'Hero'" in out and "Warning" not in out, out
    assert "the key map gives no shape key to 13 of the names the head moves: mouthClose, mouthFunnel" in out, out
    # the automatic match leaving names out is still a warning: the animator did not choose it
    obj2 = character(["jawOpen", "mouthPucker"], name="Auto")
    capfd.readouterr()
    assert _bake_by_name(obj2, assets) == {"FINISHED"}
    assert "Warning: lip sync for 'Auto'" in capfd.readouterr().out


def test_a_partial_rigs_report_counts_and_names_only_the_keys_driven(blender, assets, capfd):
    # the bundled head moves jawOpen and mouthClose, never the blinks: only the two are driven
    obj = character(["jawOpen", "mouthClose", "eyeBlink_L", "eyeBlink_R"])
    capfd.readouterr()
    assert _bake_by_name(obj, assets) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "as 2 of its own shape keys by name (ARKit camelCase), " in out, out
    # ReadyPlayerMe's Oculus visemes: the head makes 7 of them; sil and the tongue consonants stay at rest
    keys = [f"viseme_{v}" for v in OCULUS_VISEMES]
    obj = character(keys, name="RPM")
    assert _bake_by_name(obj, assets) == {"FINISHED"}
    out = capfd.readouterr().out
    assert "as 7 of its own shape keys by name (Oculus visemes), " in out, out
    assert ("8 more keyed at 0, which the head cannot move (viseme_sil, viseme_TH, viseme_DD, viseme_kk, "
            "viseme_CH, viseme_SS and 2 more)") in out, out
    assert "Warning" not in out
    # a full rig on a rig head that moves every name: all driven, nothing more to say
    obj = character(list(ARKIT_52[:4]), name="Full")
    assert _bake_by_name(obj, assets, assets["rig_checkpoint"], "rig") == {"FINISHED"}
    out = capfd.readouterr().out
    assert "as 4 of its own shape keys by name (ARKit camelCase), " in out and "more keyed at 0" not in out, out
