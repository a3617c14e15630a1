"""Lip Contact in the add-on: the panel's slider (greyed out without a contact head), carried by every bake
into the network, kept in the record and in the saved file for a re-bake, the bake command line's
--lip-contact, and the warning a bake gives when its sound hardly sounded like speech."""

from __future__ import annotations

import os

import bpy
import numpy as np
import pytest
from bl_helpers import ROOT, add_head, add_strip, evaluated_vertices, needs_aud, write_wav

from multanet_blender import batch, cli_bake, panels
from multanet_blender import record as records
from multanet_blender.request import BakeRequest, Source
from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.errors import MulTaNetError
from tests.contact_heads import with_contact

PINK_NOISE = os.path.join(ROOT, "data", "real_speech", "nonspeech_dev_pink_noise.flac")
HUM = os.path.join(ROOT, "data", "real_speech", "nonspeech_dev_hum50_hiss.flac")
WARNING = "sounded like speech: check that it is dialogue"


@pytest.fixture(scope="session")
def silent(assets):
    """The test model with a contact head sure that nobody ever speaks: Lip Contact 1 rests the face on every
    frame, 0 leaves the motion as it was; every bake warns (0 % speech)."""
    path = os.path.join(assets["root"], "silent_contact.npz")
    save_checkpoint(path, with_contact(load_checkpoint(assets["checkpoint"]), silence=True))
    return path


@pytest.fixture(scope="session")
def noise_wav(assets):
    from multanet_core.audio import load_speech

    return write_wav(os.path.join(assets["root"], "pink_noise.wav"), load_speech(PINK_NOISE), 16000)


@pytest.fixture
def hum_wav(assets):
    from multanet_core.audio import load_speech

    return write_wav(os.path.join(assets["root"], "hum.wav"), load_speech(HUM), 16000)


def motion(obj, frames=(12, 30, 60, 90)) -> np.ndarray:
    return np.stack([evaluated_vertices(obj, f) for f in frames])


def generate(obj, checkpoint, source: dict, head="char00", **kwargs):
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=checkpoint, head=head, **source, **kwargs)


def test_lip_contact_changes_the_motion_only_with_a_contact_head(blender, assets, silent, capfd):
    """(audio files: this runs on the Blender 4.2 module too, which has no sound strips)"""
    source = {"audio_file": assets["wav16"], "audio_frame": 10}
    obj = add_head(assets["checkpoint"])
    got = {}
    for checkpoint in (assets["checkpoint"], silent):
        for value in (0.0, 1.0):
            capfd.readouterr()
            assert generate(obj, checkpoint, source, lip_contact=value) == {"FINISHED"}
            got[checkpoint, value] = motion(obj)
            assert records.read(obj).lip_contact == value
            out = capfd.readouterr().out
            if checkpoint == silent:
                assert f"; warning: only 0 % of audio file 'speech16k.wav' {WARNING}" in out, out
                assert out.startswith("Warning: lip sync for 'char00'"), out  # reported as a warning
            else:
                assert WARNING not in out and out.startswith("Info: "), out
    np.testing.assert_array_equal(got[assets["checkpoint"], 0.0], got[assets["checkpoint"], 1.0])
    np.testing.assert_allclose(got[silent, 0.0], got[assets["checkpoint"], 1.0], atol=1e-6)  # 0: as without one
    assert np.abs(got[silent, 1.0] - got[silent, 0.0]).max() > 1e-3
    rested, moving = got[silent, 1.0], got[silent, 0.0]
    np.testing.assert_allclose(rested, np.broadcast_to(rested[0], rested.shape), atol=1e-6)  # one pose: rest
    assert np.abs(moving - moving[0]).max() > 1e-3


def test_the_panel_value_is_recorded_and_kept_for_a_rebake(blender, assets, silent, tmp_path):
    obj = add_head(assets["checkpoint"])
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path, settings.head = "FILE", silent, "char00"
    settings.audio, settings.audio_file, settings.audio_frame = "FILE", assets["wav16"], 10
    assert settings.lip_contact == 1.0  # default on
    settings.lip_contact = 0.25
    assert bpy.ops.multanet.generate_lip_sync() == {"FINISHED"}
    assert records.read(obj).lip_contact == 0.25
    quarter = motion(obj)
    assert generate(obj, silent, {"audio_file": assets["wav16"], "audio_frame": 10}, lip_contact=0.25) == {"FINISHED"}
    np.testing.assert_array_equal(motion(obj), quarter)  # the operator's value is the panel's
    path = str(tmp_path / "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    settings, obj = bpy.context.scene.multanet, bpy.data.objects["char00"]
    assert settings.lip_contact == 0.25 and records.read(obj).lip_contact == 0.25
    assert bpy.ops.multanet.generate_lip_sync() == {"FINISHED"}  # a re-bake of the saved file
    assert records.read(obj).lip_contact == 0.25
    np.testing.assert_allclose(motion(obj), quarter, atol=1e-6)
    # a record written before Lip Contact existed reads as the default
    raw = obj[records.KEY].to_dict()
    del raw["lip_contact"]
    assert records.from_dict(raw).lip_contact == 1.0


class _Layout:
    """What a panel's draw asks for: every prop, label and row, with the row's ``enabled``."""

    def __init__(self, log=None):
        self.log = [] if log is None else log
        self.enabled = True
        self.scale_y = 1.0

    def _child(self, *args, **kwargs):
        return _Layout(self.log)

    row = column = box = _child

    def prop(self, data, name, **kwargs):
        self.log.append(("prop", name, self.enabled))

    def label(self, text="", **kwargs):
        self.log.append(("label", text, self.enabled))

    def operator(self, *args, **kwargs):
        return type("Op", (), {})()

    def menu(self, *args, **kwargs):
        pass

    prop_search = template_list = menu


@pytest.mark.parametrize("contact", [False, True])
def test_the_panel_greys_out_lip_contact_without_a_contact_head(blender, assets, silent, contact):
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", silent if contact else assets["checkpoint"]
    panel = type("P", (), {"layout": _Layout()})()
    panels.MULTANET_PT_lip_sync.draw(panel, bpy.context)
    log = panel.layout.log
    assert ("prop", "lip_contact", contact) in log
    assert (("label", "Lip Contact: this checkpoint has no contact head; a Text gives one", True) in log) is not contact
    tooltip = type(settings).bl_rna.properties["lip_contact"]
    assert (tooltip.default, tooltip.hard_min, tooltip.hard_max) == (1.0, 0.0, 1.0)
    assert "contact head" in tooltip.description and "lips seal" in tooltip.description


def test_a_request_refuses_lip_contact_outside_0_to_1():
    for value in (-0.1, 1.5, float("nan"), "1", True):
        with pytest.raises(MulTaNetError, match="lip contact must be between 0 and 1"):
            BakeRequest(obj=None, checkpoint="x.npz", head="char00", source=Source(strip_name="a"), lip_contact=value)
    request = BakeRequest(obj=None, checkpoint="x.npz", head="h", source=Source(strip_name="a"), lip_contact=0)
    assert request.lip_contact == 0


@needs_aud
def test_a_non_speech_strip_bakes_with_a_warning_and_speech_does_not(blender, assets, fitted_contact_checkpoint,
                                                                     noise_wav, hum_wav, capfd):
    """A contact head fitted by train contact-head: pink noise sounds like speech on few frames, the espeak
    sentence on most; the bundled model, with its own contact head, warns on mains hum and not on the sentence."""
    default = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
    obj = add_head(fitted_contact_checkpoint, "arthur")
    add_strip(noise_wav, frame_start=1, name="music_bed", channel=1)
    add_strip(assets["wav16"], frame_start=300, name="speech", channel=2)
    add_strip(hum_wav, frame_start=600, name="hum", channel=3)
    for checkpoint, strip, warned in ((fitted_contact_checkpoint, "music_bed", True),
                                      (fitted_contact_checkpoint, "speech", False), (default, "hum", True),
                                      (default, "speech", False)):
        capfd.readouterr()
        assert generate(obj, checkpoint, {"strip": strip}, head="arthur") == {"FINISHED"}
        out = capfd.readouterr().out
        assert f"lip sync for 'arthur' (head 'arthur') from strip '{strip}'" in out
        assert (f"% of strip '{strip}' {WARNING}" in out) is warned, out
        if warned:
            share = int(out.split("; warning: only ")[1].split(" %")[0])
            assert 0 <= share < 50 and out.startswith("Warning: "), out
        assert obj.data.shape_keys.animation_data.action is not None  # baked all the same


@needs_aud
def test_bake_all_dialogue_warns_per_line_and_uses_the_panel_lip_contact(blender, assets, fitted_contact_checkpoint,
                                                                         noise_wav, capfd):
    scene = bpy.context.scene
    obj = add_head(fitted_contact_checkpoint, "arthur")
    settings = scene.multanet
    settings.model, settings.checkpoint_path = "FILE", fitted_contact_checkpoint
    add_strip(assets["wav16"], 1, "arthur: hello", channel=1)
    add_strip(noise_wav, 300, "arthur: music bed", channel=2)
    settings.lip_contact = 0.0
    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.baked] == ["arthur: hello", "arthur: music bed"] and report.ok
    assert records.read(obj).lip_contact == 0.0
    loose = motion(obj, (20, 60, 320, 360))
    settings.lip_contact = 0.7
    capfd.readouterr()
    assert bpy.ops.multanet.bake_all_dialogue() == {"FINISHED"}  # the operator, headless: reports every warning
    out = capfd.readouterr().out
    assert records.read(obj).lip_contact == pytest.approx(0.7)
    assert np.abs(motion(obj, (20, 60, 320, 360)) - loose).max() > 1e-4
    lines = scene.multanet_dialogue.lines
    assert lines["arthur: hello"].status == "baked"
    status = lines["arthur: music bed"].status
    assert status.startswith("baked: only ") and status.endswith(f"% of strip 'arthur: music bed' {WARNING}")
    assert scene.multanet_dialogue.last_summary == "baked 2 lines, skipped 0, failed 0, 1 with a warning"
    assert f"Warning: 'arthur: music bed': {status[len('baked: '):]}" in out, out
    assert "Warning: Bake All Dialogue: baked 2" in out, out
    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.warnings] == ["arthur: music bed"]
    assert "  warning 'arthur: music bed': only " in report.summary()


def test_the_bake_command_line_takes_lip_contact_and_refuses_bad_values(capsys):
    args = cli_bake.parser().parse_args(["a.blend", "--in-place", "--lip-contact", "0.3"])
    assert args.lip_contact == 0.3
    assert cli_bake._worker_command("/x/a.blend", "/x/a.blend", args)[-2:] == ["--lip-contact", "0.3"]
    assert cli_bake.parser().parse_args(["a.blend", "--in-place"]).lip_contact is None  # each file's own
    for value in ("1.01", "-1", "nan", "full"):
        with pytest.raises(SystemExit) as stop:
            cli_bake.parser().parse_args(["a.blend", "--in-place", "--lip-contact", value])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "--lip-contact" in err and ("outside 0-1" in err or "not a number" in err), err


@needs_aud
def test_the_bake_command_line_sets_saves_and_keeps_lip_contact(blender, assets, silent, tmp_path, capsys):
    def make(path):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        bpy.context.scene.render.fps = 30
        add_head(assets["checkpoint"], "char00")
        settings = bpy.context.scene.multanet
        settings.model, settings.checkpoint_path = "FILE", silent
        add_strip(assets["wav16"], 1, "char00: line 1", channel=1)
        bpy.ops.wm.save_as_mainfile(filepath=path)
        return path

    def baked(path):
        bpy.ops.wm.open_mainfile(filepath=path)
        obj = bpy.data.objects["char00"]
        return bpy.context.scene.multanet.lip_contact, records.read(obj).lip_contact, motion(obj)

    shot = make(str(tmp_path / "shot.blend"))
    assert cli_bake.main(["--in-place", "--lip-contact", "0"]) == 0  # the in-Blender form: the open file
    out = capsys.readouterr().out
    assert f"shot.blend: warning 'char00: line 1': only 0 % of strip 'char00: line 1' {WARNING}" in out, out
    panel, rec, zero = baked(shot)
    assert panel == rec == 0.0
    assert cli_bake.main(["--in-place"]) == 0  # again, without the flag: the file's own value, 0
    panel, rec, again = baked(shot)
    assert panel == rec == 0.0
    np.testing.assert_allclose(again, zero, atol=1e-6)
    make(str(tmp_path / "other.blend"))
    assert cli_bake.main(["--in-place"]) == 0  # never told: on, the default
    panel, rec, full = baked(str(tmp_path / "other.blend"))
    assert panel == rec == 1.0 and np.abs(full - zero).max() > 1e-3
