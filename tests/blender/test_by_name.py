"""Shape Keys by Name in real Blender: a rig head's weights keyed onto the character's own shape keys."""

from __future__ import annotations

import json

import bpy
import numpy as np
import pytest
from bl_helpers import character, scene_state, speech_source

from multanet_core.audio import load_speech
from multanet_core.checkpoint import load_checkpoint
from multanet_core.inference import Animator
from multanet_core.keyframes import linear_error
from multanet_core.rig_names import ARKIT_52


def fcurves(obj):
    from multanet_blender import blender_compat

    key = obj.data.shape_keys
    return blender_compat.action_fcurves(key.animation_data.action, key)


def curves(obj) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    for fc in fcurves(obj):
        co = np.empty(2 * len(fc.keyframe_points), np.float32)
        fc.keyframe_points.foreach_get("co", co)
        out[fc.data_path.split('"')[1]] = (co[0::2], co[1::2])
    return out


def bake(obj, assets, **kwargs):
    source = speech_source(assets["wav16"], frame_start=1)
    return bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["rig_checkpoint"], head="rig",
                                              bake_mode="BY_NAME", **source, **kwargs)


def expected_weights(assets, names):
    ckpt = load_checkpoint(assets["rig_checkpoint"])
    animator = Animator(ckpt, "rig")
    weights = animator.weights(animator.coefficients(load_speech(assets["wav16"]), 24.0))
    return weights[:, [ARKIT_52.index(n) for n in names]]


def test_keys_in_their_own_convention_are_driven_and_the_rest_left_alone(blender, assets):
    bpy.context.scene.render.fps = 24
    obj = character(["jawOpen", "mouthClose", "mouthSmile_L", "mouthSmile_R", "Blink_Custom"])
    before = [tuple(kb.data[0].co) for kb in obj.data.shape_keys.key_blocks]
    assert bake(obj, assets) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == ["jawOpen", "mouthClose", "mouthSmile_L", "mouthSmile_R"]  # not Blink_Custom
    want = expected_weights(assets, ["jawOpen", "mouthClose", "mouthSmileLeft", "mouthSmileRight"])
    for j, name in enumerate(["jawOpen", "mouthClose", "mouthSmile_L", "mouthSmile_R"]):
        frames, values = got[name]
        assert values[0] == values[-1] == 0  # rest half a frame before and after
        n = len(values) - 2
        np.testing.assert_allclose(values[1:-1], want[:n, j], atol=1e-5)
        assert values.min() >= 0 and values.max() <= 1
    # the character's own keys are untouched: same names, same shapes
    assert [kb.name for kb in obj.data.shape_keys.key_blocks] == ["Basis", "jawOpen", "mouthClose", "mouthSmile_L",
                                                                  "mouthSmile_R", "Blink_Custom"]
    assert [tuple(kb.data[0].co) for kb in obj.data.shape_keys.key_blocks] == before
    rec = obj["multanet_lipsync"]
    assert rec["target"] == "BY_NAME" and rec["keys"] == 4
    assert list(json.loads(rec["driven_values"])) == ["jawOpen", "mouthClose", "mouthSmile_L", "mouthSmile_R"]


def test_thinned_keys_stay_within_the_tolerance_and_remove_gives_back_the_keys_values(blender, assets):
    obj = character(["jaw_open", "mouth_pucker", "brow_inner_up"])  # snake_case
    own = [0.2, 0.0, 0.4]  # the animator's own values
    for kb, value in zip(obj.data.shape_keys.key_blocks[1:], own, strict=True):
        kb.value = value
    assert bake(obj, assets) == {"FINISHED"}
    dense = curves(obj)
    assert bake(obj, assets, key_tolerance=0.02) == {"FINISHED"}  # a re-bake replaces the first
    assert len([a for a in bpy.data.actions if a.name.startswith("MulTaNet")]) == 1
    thinned = curves(obj)
    for name, (frames, values) in dense.items():
        kept_frames, kept_values = thinned[name]
        assert len(kept_frames) < len(frames)
        kept = np.searchsorted(frames, kept_frames)
        assert np.array_equal(frames[kept], kept_frames)
        assert linear_error(values, kept) <= 0.02 + 1e-6
        # Blender itself evaluates the thinned curve within the tolerance of every dense key
        fc = next(f for f in fcurves(obj) if f.data_path == f'key_blocks["{name}"].value')
        assert max(abs(fc.evaluate(f) - v) for f, v in zip(frames, values, strict=True)) <= 0.02 + 1e-5
    for kb in obj.data.shape_keys.key_blocks[1:]:
        kb.value = 0.7  # as the animation left them on some frame
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    key = obj.data.shape_keys
    assert [kb.name for kb in key.key_blocks] == ["Basis", "jaw_open", "mouth_pucker", "brow_inner_up"]
    # each as the animator left it before the first bake (a re-bake keeps those values, not the animated ones)
    assert [kb.value for kb in key.key_blocks[1:]] == pytest.approx(own)
    assert key.animation_data is None or key.animation_data.action is None
    assert not [a for a in bpy.data.actions if a.name.startswith("MulTaNet")]
    assert "multanet_lipsync" not in obj.keys()


def test_vrm_visemes_are_driven(blender, assets):
    obj = character(["Fcl_ALL_Neutral", "Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"])
    assert bake(obj, assets) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == ["Fcl_MTH_A", "Fcl_MTH_E", "Fcl_MTH_I", "Fcl_MTH_O", "Fcl_MTH_U"]
    assert all(v.min() >= 0 and v.max() <= 1 for _, v in got.values())


@pytest.mark.parametrize("keys, head, message", [
    ([], "rig", "'Hero' has no shape keys to drive by name; rig head 'rig' drives keys named eyeBlinkLeft"),
    (["Smile", "Angry"], "rig", "none of the 2 shape keys of 'Hero' (Smile, Angry) is a name rig head 'rig' "
                                "drives"),
    (["jawOpen"], "char00", "head 'char00' gives vertex motion for its own mesh, not named weights"),
])
def test_nothing_to_drive_is_a_clear_error_and_changes_nothing(blender, assets, keys, head, message):
    obj = character(keys) if keys else character([])
    if not keys:
        obj.shape_key_clear()
    source = speech_source(assets["wav16"], frame_start=1)
    before = scene_state()
    with pytest.raises(RuntimeError) as info:
        bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["rig_checkpoint"], head=head,
                                           bake_mode="BY_NAME", **source)
    assert message in str(info.value), str(info.value)
    if head == "rig" and keys:
        assert "conventions tried: ARKit camelCase" in str(info.value)
    assert scene_state() == before


@pytest.mark.skipif(not bpy.app.build_options.audaspace, reason="no sound strips without Audaspace")
def test_bake_all_dialogue_drives_a_rigged_character_by_name(blender, assets):
    """A character of its own topology with ARKit keys: Bake All picks the rig head, each line is an NLA
    strip animating the character's own keys, and the values follow the head frame for frame."""
    from bl_helpers import add_strip

    from multanet_blender import batch

    scene = bpy.context.scene
    scene.render.fps = 24
    settings = scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["rig_checkpoint"]
    hero = character(["jawOpen", "mouthPressLeft", "mouthPressRight", "browInnerUp"])
    s1 = add_strip(assets["wav16"], 10, "Hero: first", channel=1)
    s2 = add_strip(assets["wav16"], s1.frame_final_end + 20, "Hero: second", channel=1)
    report = batch.bake_dialogue(scene)
    assert [s for s, _ in report.baked] == [s1.name, s2.name] and not report.failed, report.summary()
    assert scene.multanet_dialogue.lines[0].head == "rig"
    key = hero.data.shape_keys
    track = key.animation_data.nla_tracks["Lip Sync"]
    assert sorted(n.name for n in track.strips) == sorted([s1.name, s2.name])
    want = expected_weights(assets, ["jawOpen"])[:, 0]
    for strip in (s1, s2):
        for offset in (0, 17, 40):
            scene.frame_set(strip.frame_final_start + offset)
            assert key.key_blocks["jawOpen"].value == pytest.approx(want[offset], abs=1e-4)
    rec = hero["multanet_lipsync"]
    assert rec["target"] == "NLA" and rec["head"] == "rig"
    assert list(json.loads(rec["driven_values"])) == ["jawOpen", "mouthPressLeft", "mouthPressRight", "browInnerUp"]
    assert bpy.ops.multanet.remove_lip_sync(object=hero.name) == {"FINISHED"}
    assert [kb.name for kb in hero.data.shape_keys.key_blocks] == ["Basis", "jawOpen", "mouthPressLeft",
                                                                   "mouthPressRight", "browInnerUp"]
    assert not [a for a in bpy.data.actions if a.get("multanet_object") == "Hero"]


def test_blender_blends_the_corpus_heads_arkit_keys_as_rig_chain_does(blender):
    """train.rig_chain scores baked-by-name motion with numpy: Blender's own shape-key blend gives the same
    vertices for the same values (on corpus head 'arthur', its ARKit keys built from its rig)."""
    pytest.importorskip("torch")  # train's synthetic heads: the main environment only
    from train.rig_chain import arkit_keys, blend
    from train.synth.corpus import _head

    head = _head(0)
    mesh = bpy.data.meshes.new("arthur")
    mesh.from_pydata(head.vertices.tolist(), [], [])
    obj = bpy.data.objects.new("arthur", mesh)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis", from_mix=False)
    keys = arkit_keys(head)
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 1, (1, len(ARKIT_52))).astype(np.float32)
    for name, offsets in keys.items():
        kb = obj.shape_key_add(name=name, from_mix=False)
        kb.data.foreach_set("co", (head.vertices + offsets).ravel())
        kb.value = float(values[0, ARKIT_52.index(name)])
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph).to_mesh()
    co = np.empty(len(evaluated.vertices) * 3, np.float32)
    evaluated.vertices.foreach_get("co", co)
    np.testing.assert_allclose(co.reshape(-1, 3), blend(head.vertices, keys, ARKIT_52, values)[0], atol=1e-6)


def test_a_key_map_saved_with_the_object_maps_custom_names_with_gain_and_offset(blender, assets, tmp_path):
    scene = bpy.context.scene
    scene.render.fps = 24
    settings = scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["rig_checkpoint"]
    settings.bake_mode = "BY_NAME"
    settings.head = "rig"
    obj = character(["Mouth_Open_Wide", "Lips_Together", "mouthSmileLeft"])
    settings.target = obj
    assert bpy.ops.multanet.fill_key_map() == {"FINISHED"}  # writes the automatic match out to edit
    rows = {r.source: r for r in obj.multanet_key_map}
    assert rows["mouthSmileLeft"].key == "mouthSmileLeft" and rows["jawOpen"].key == ""  # not guessable
    assert len(rows) == 52
    rows["jawOpen"].key, rows["jawOpen"].gain, rows["jawOpen"].offset = "Mouth_Open_Wide", 2.0, 0.1
    rows["mouthPressLeft"].key = "Lips_Together"
    rows["mouthSmileLeft"].key = ""  # left out on purpose
    obj.data.shape_keys.key_blocks["Mouth_Open_Wide"].slider_max = 1.5  # exaggeration may pass 1
    bpy.ops.wm.save_as_mainfile(filepath=str(tmp_path / "hero.blend"))
    bpy.ops.wm.open_mainfile(filepath=str(tmp_path / "hero.blend"))  # the map is saved with the object
    obj = bpy.data.objects["Hero"]
    assert {r.source: r.key for r in obj.multanet_key_map if r.key} == {"jawOpen": "Mouth_Open_Wide",
                                                                          "mouthPressLeft": "Lips_Together"}
    assert bake(obj, assets) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == ["Lips_Together", "Mouth_Open_Wide"]
    want = expected_weights(assets, ["jawOpen", "mouthPressLeft"])
    jaw = got["Mouth_Open_Wide"][1][1:-1]
    np.testing.assert_allclose(jaw, np.clip(2.0 * want[:len(jaw), 0] + 0.1, 0, 1.5), atol=1e-5)
    np.testing.assert_allclose(got["Lips_Together"][1][1:-1], want[:len(jaw), 1], atol=1e-5)
    # a row naming a key the mesh lacks, or a name the head lacks, is an error that changes nothing
    obj.multanet_key_map[0].key = "No_Such_Key"
    before = scene_state()
    with pytest.raises(RuntimeError, match="key map row 1 of 'Hero': the mesh has no shape key 'No_Such_Key'"):
        bake(obj, assets)
    assert scene_state() == before
    obj.multanet_key_map[0].key = "Lips_Together"  # two rows on one key
    with pytest.raises(RuntimeError, match="shape key 'Lips_Together' is driven by row 1 already"):
        bake(obj, assets)
    assert scene_state() == before
    assert bpy.ops.multanet.clear_key_map() == {"FINISHED"}  # back to the automatic match
    assert not len(obj.multanet_key_map)
    assert bake(obj, assets) == {"FINISHED"} and sorted(curves(obj)) == ["mouthSmileLeft"]


def _jaw_rig(rotation_mode: str):
    """An armature with a 'jaw' bone (its rotation mode given) beside the character."""
    bpy.ops.object.armature_add()
    arm = bpy.context.active_object
    arm.name = "Rig"
    bpy.ops.object.mode_set(mode="EDIT")
    arm.data.edit_bones[0].name = "jaw"
    bpy.ops.object.mode_set(mode="OBJECT")
    arm.pose.bones["jaw"].rotation_mode = rotation_mode
    return arm


@pytest.mark.parametrize("rotation_mode, keys", [("QUATERNION", ["jawOpen", "mouthClose"]),
                                                 ("XYZ", ["mouthClose"])])  # no jawOpen key: a Key property
def test_a_jaw_bone_follows_jawopen_through_drivers(blender, assets, rotation_mode, keys):
    import math

    scene = bpy.context.scene
    scene.render.fps = 24
    obj = character(keys)
    arm = _jaw_rig(rotation_mode)
    jaw = obj.multanet_jaw
    jaw.armature, jaw.bone, jaw.angle, jaw.axis = arm, "jaw", math.radians(30), "X"
    assert bake(obj, assets) == {"FINISHED"}
    want = expected_weights(assets, ["jawOpen"])[:, 0]
    bone = arm.pose.bones["jaw"]
    opened = 0
    for offset in (0, 12, 31, 50):
        scene.frame_set(1 + offset)
        angle = math.radians(30) * want[offset]
        if rotation_mode == "QUATERNION":
            assert tuple(bone.rotation_quaternion) == pytest.approx(
                (math.cos(angle / 2), math.sin(angle / 2), 0, 0), abs=1e-4)
        else:
            assert tuple(bone.rotation_euler) == pytest.approx((angle, 0, 0), abs=1e-4)
        opened += want[offset] > 0.05
    assert opened >= 2  # the jaw really moves over these frames
    assert arm.animation_data.action is None  # nothing keyed on the armature itself
    assert bpy.ops.multanet.remove_lip_sync(object=obj.name) == {"FINISHED"}
    assert arm.animation_data is None or not len(arm.animation_data.drivers)
    assert "multanet_jaw_open" not in obj.data.shape_keys.keys()


def test_a_bone_someone_else_drives_is_refused(blender, assets):
    obj = character(["jawOpen"])
    arm = _jaw_rig("QUATERNION")
    fc = arm.driver_add('pose.bones["jaw"].rotation_quaternion', 0)
    fc.driver.expression = "1.0"
    obj.multanet_jaw.armature, obj.multanet_jaw.bone = arm, "jaw"
    before = scene_state()
    with pytest.raises(RuntimeError, match="bone 'jaw' of 'Rig' already has a driver"):
        bake(obj, assets)
    assert scene_state() == before
    obj.multanet_jaw.bone = "chin"
    with pytest.raises(RuntimeError, match="armature 'Rig' has no bone 'chin'"):
        bake(obj, assets)


def test_a_mesh_heads_motion_is_solved_onto_a_rigged_copys_own_keys(blender, assets):
    """Bake by name with a mesh head on a copy of its own mesh that has shape keys: the head's motion is
    solved (bounded least squares) onto those keys, so the animator gets editable curves; here the keys
    span the head's motion, so Blender's evaluated mesh follows the mesh head closely."""
    from bl_helpers import add_head

    from multanet_blender.mapping import MeshMotion

    scene = bpy.context.scene
    scene.render.fps = 24
    obj = add_head(assets["checkpoint"], "char00")
    ckpt = load_checkpoint(assets["checkpoint"])
    animator = Animator(ckpt, "char00")
    coeffs = animator.coefficients(load_speech(assets["wav16"]), 24.0)
    rest = np.array([v.co for v in obj.data.vertices], np.float32)
    motion = MeshMotion(animator.head, rest)
    want = motion.vertices(coeffs)
    scale = np.abs(coeffs).max(0) * 1.05
    obj.shape_key_add(name="Basis", from_mix=False)
    keys = {"mean": motion.vertices(np.zeros((1, coeffs.shape[1]), np.float32))[0]}
    for k in range(coeffs.shape[1]):
        c = np.zeros((1, coeffs.shape[1]), np.float32)
        for sign, side in ((1, "up"), (-1, "down")):
            c[0, k] = sign * scale[k]
            keys[f"c{k:02d}_{side}"] = motion.vertices(c)[0] - keys["mean"] + rest
    for name, co in keys.items():
        obj.shape_key_add(name=name, from_mix=False).data.foreach_set("co", co.ravel())
    result = bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint=assets["checkpoint"], head="char00",
                                                bake_mode="BY_NAME", **speech_source(assets["wav16"], 1))
    assert result == {"FINISHED"}
    assert sorted(curves(obj)) == sorted(keys)  # every one of the copy's own keys, nothing added
    assert len(json.loads(obj["multanet_lipsync"]["driven_values"])) == len(keys)
    errors, moves = [], []
    depsgraph = bpy.context.evaluated_depsgraph_get()
    for frame in (10, 40, 70):
        scene.frame_set(frame)
        mesh = obj.evaluated_get(depsgraph).to_mesh()
        co = np.empty(len(mesh.vertices) * 3, np.float32)
        mesh.vertices.foreach_get("co", co)
        errors.append(np.abs(co.reshape(-1, 3) - want[frame - 1]).max())
        moves.append(np.abs(want[frame - 1] - rest).max())
    assert max(errors) < 0.1 * max(moves), (errors, moves)


def test_the_panel_shows_the_names_found_and_missing(blender, assets):
    from multanet_blender.panels import match_status

    head = load_checkpoint(assets["rig_checkpoint"]).head("rig")
    ok, text = match_status(character(["jawOpen", "mouthSmile_L", "mouthSmile_R"]), head)
    assert ok and text.startswith("3 of 52 names found (_L/_R sides); missing: eyeBlinkLeft, eyeLookDownLeft")
    ok, text = match_status(character(["aa", "ih", "ou", "ee", "oh"], name="Vroid"), head)
    assert ok and text == "drives 5 VRM visemes: aa, ih, ou, ee, oh"
    ok, text = match_status(character(["viseme_sil", "viseme_PP", "viseme_aa"], name="Rpm"), head)
    assert ok and text == "drives 3 Oculus visemes: viseme_sil, viseme_PP, viseme_aa"  # not called VRM visemes
    ok, text = match_status(character(["Smile"], name="Odd"), head)
    assert not ok and "conventions tried" in text
    # the line KeyPlan.status gives is the panel's, for a head that moves all its names
    from multanet_blender import lipsync, named_keys

    for obj in (bpy.data.objects["Hero"], bpy.data.objects["Vroid"]):
        assert named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX).status() == match_status(obj, head)[1]


def test_quotes_in_key_and_bone_names_are_escaped_in_data_paths(blender, assets):
    """A shape key or jaw bone whose name holds a quote still gets its F-curve and driver."""
    import math

    obj = character(['jaw"Open'])
    map_row = obj.multanet_key_map.add()
    map_row.source, map_row.key = "jawOpen", 'jaw"Open'
    arm = _jaw_rig("XYZ")
    arm.data.bones["jaw"].name = 'jaw "bone"'
    obj.multanet_jaw.armature, obj.multanet_jaw.bone, obj.multanet_jaw.angle = arm, 'jaw "bone"', math.radians(30)
    assert bake(obj, assets) == {"FINISHED"}
    (fc,) = list(fcurves(obj))
    assert fc.data_path == 'key_blocks["jaw\\"Open"].value' and fc.is_valid  # Blender resolves the escaped name
    driver = arm.animation_data.drivers[0]
    assert driver.data_path == 'pose.bones["jaw \\"bone\\""].rotation_euler' and driver.is_valid
    assert driver.driver.is_valid
    assert driver.driver.variables[0].targets[0].data_path == 'key_blocks["jaw\\"Open"].value'


def test_a_jaw_split_by_side_reports_its_convention(blender, assets, capfd):
    """jawOpen as jawOpen_L + jawOpen_R drives both, and the report names the convention it saw."""
    obj = character(["jawOpen_L", "jawOpen_R"])
    capfd.readouterr()
    assert bake(obj, assets) == {"FINISHED"}
    assert sorted(curves(obj)) == ["jawOpen_L", "jawOpen_R"]
    assert "as 2 of its own shape keys by name (_L/_R sides)" in capfd.readouterr().out


# docs/RIG.md's table: the 15 ARKit names the bundled model's rig head moves; it leaves the other 37 at rest
MOVED = ["jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthStretchLeft", "mouthStretchRight",
         "mouthRollLower", "mouthShrugLower", "mouthPressLeft", "mouthPressRight", "browDownLeft", "browDownRight",
         "browInnerUp", "browOuterUpLeft", "browOuterUpRight"]


@pytest.mark.parametrize("keys, report, status", [
    (MOVED, "as 15 of its own shape keys by name (ARKit camelCase), ", "15 of the 15 names the head moves found "
                                                                        "(ARKit camelCase)"),
    (["jawOpen"], "14 of the names the head moves have no shape key and were left out: mouthClose, mouthFunnel, "
                  "mouthPucker, mouthStretchLeft, mouthStretchRight, mouthRollLower, mouthShrugLower, "
                  "mouthPressLeft and 6 more",
     "1 of the 15 names the head moves found (ARKit camelCase); missing: mouthClose, mouthFunnel, mouthPucker, "
     "mouthStretchLeft, ..."),
])
def test_names_the_head_leaves_at_rest_are_not_reported_missing(blender, assets, capfd, keys, report, status):
    from multanet_blender import lipsync, named_keys

    obj = character(keys)
    capfd.readouterr()
    result = bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint="DEFAULT", head="arkit",
                                                bake_mode="BY_NAME", **speech_source(assets["wav16"], 1))
    assert result == {"FINISHED"}
    out = capfd.readouterr().out
    assert report in out and "eyeBlinkLeft" not in out, out
    assert ("Warning: lip sync" in out) == (len(keys) == 1)  # all it moves found: no warning
    from multanet_blender import checkpoints

    head = checkpoints.load(checkpoints.DEFAULT_MODEL).head("arkit")
    assert named_keys.plan_keys(obj, head, lipsync.KEY_PREFIX).status() == status


def test_fill_key_map_on_a_mesh_no_name_matches_writes_the_names_to_pick_keys_for(blender, assets, capfd):
    """README's own case: keys named Mouth_Open... match no ARKit name; Fill Key Map writes a row for each
    name the head moves, keys empty, so the animator can pick Mouth_Open for jawOpen and bake."""
    scene = bpy.context.scene
    settings = scene.multanet
    settings.model, settings.bake_mode, settings.head = "DEFAULT", "BY_NAME", "arkit"
    obj = character(["Mouth_Open", "Mouth_Smile", "Lips_Pucker"])
    settings.target = obj
    with pytest.raises(RuntimeError, match="Key Map sub-panel, Fill Key Map, then pick each name's shape key"):
        bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint="DEFAULT", head="arkit", bake_mode="BY_NAME",
                                           **speech_source(assets["wav16"], 1))
    capfd.readouterr()
    assert bpy.ops.multanet.fill_key_map() == {"FINISHED"}
    assert "wrote the 15 names the head moves with the key empty: pick each one's shape key" in capfd.readouterr().out
    assert [(r.source, r.key) for r in obj.multanet_key_map] == [(n, "") for n in ARKIT_52 if n in MOVED]
    rows = {r.source: r for r in obj.multanet_key_map}
    rows["jawOpen"].key, rows["mouthPucker"].key = "Mouth_Open", "Lips_Pucker"
    result = bpy.ops.multanet.generate_lip_sync(object=obj.name, checkpoint="DEFAULT", head="arkit",
                                                bake_mode="BY_NAME", **speech_source(assets["wav16"], 1))
    assert result == {"FINISHED"} and sorted(curves(obj)) == ["Lips_Pucker", "Mouth_Open"]
    assert curves(obj)["Mouth_Open"][1].max() > 0.1  # the jaw really opens


def test_oculus_visemes_are_driven(blender, assets):
    from multanet_core.rig_names import OCULUS_VISEMES, viseme_weights

    bpy.context.scene.render.fps = 24
    keys = [f"viseme_{v}" for v in OCULUS_VISEMES]  # ReadyPlayerMe's spelling
    obj = character(keys)
    assert bake(obj, assets) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == sorted(keys)
    want = viseme_weights(expected_weights(assets, list(ARKIT_52)), ARKIT_52, OCULUS_VISEMES)
    for j, key in enumerate(keys):
        values = got[key][1][1:-1]
        np.testing.assert_allclose(values, want[:len(values), j], atol=1e-5)
    assert got["viseme_aa"][1].max() > 0 and got["viseme_PP"][1].max() > 0
    assert list(json.loads(obj["multanet_lipsync"]["driven_values"])) == keys
    # Fill Key Map writes the visemes out; the map bakes them the same
    settings = bpy.context.scene.multanet
    settings.model, settings.checkpoint_path = "FILE", assets["rig_checkpoint"]
    settings.bake_mode, settings.head, settings.target = "BY_NAME", "rig", obj
    assert bpy.ops.multanet.fill_key_map() == {"FINISHED"}
    assert [(r.source, r.key) for r in obj.multanet_key_map] == list(zip(OCULUS_VISEMES, keys, strict=True))
    assert bake(obj, assets) == {"FINISHED"}
    for key, (_, values) in curves(obj).items():
        np.testing.assert_allclose(values, got[key][1], atol=1e-6)


@pytest.mark.parametrize("keys, driven, report", [
    (["jawOpen.001", "mouthClose.001"], ["jawOpen.001", "mouthClose.001"],
     "found by name without Blender's duplicate suffix: jawOpen.001, mouthClose.001"),
    (["mouthSmile_L", "mouthSmileLeft", "jawOpen"], ["jawOpen", "mouthSmileLeft"],
     "shape keys that also fit a name were left out (one key per name, ARKit names before visemes; a key map "
     "can choose): mouthSmile_L (mouthSmileLeft)"),
    (["jawOpen", "JawOpen", "jaw_open"], ["jawOpen"], "JawOpen (jawOpen), jaw_open (jawOpen)"),
    (["jawOpen", "aa", "ih"], ["jawOpen"], "aa (VRM viseme aa), ih (VRM viseme ih)"),
])
def test_keys_found_by_their_suffix_or_left_out_are_named_in_the_report(blender, assets, capfd, keys, driven,
                                                                          report):
    obj = character(keys)
    capfd.readouterr()
    assert bake(obj, assets) == {"FINISHED"}
    assert sorted(curves(obj)) == driven
    out = capfd.readouterr().out
    assert report in out and "Warning: lip sync" in out, out


def test_vrm_emotion_expressions_follow_the_heads_expression_names_and_relaxed_is_left_alone(blender, assets):
    from multanet_core.rig_names import EXPRESSION_VISEMES, VRM_VISEMES, viseme_weights

    bpy.context.scene.render.fps = 24
    mouth = ["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"]
    faces = ["Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_ALL_Surprised"]
    obj = character(mouth + faces + ["Fcl_ALL_Fun"])
    obj.data.shape_keys.key_blocks["Fcl_ALL_Fun"].value = 0.3  # the animator's own relaxed face
    assert bake(obj, assets) == {"FINISHED"}
    got = curves(obj)
    assert sorted(got) == sorted(mouth + faces)  # the test head moves every ARKit name, so every expression
    want = viseme_weights(expected_weights(assets, list(ARKIT_52)), ARKIT_52, VRM_VISEMES + EXPRESSION_VISEMES)
    for j, key in enumerate(mouth + faces):
        values = got[key][1][1:-1]
        np.testing.assert_allclose(values, want[:len(values), j], atol=1e-5)
    assert sum(got[k][1].max() > 0 for k in faces) >= 2  # not all held at 0
    assert obj.data.shape_keys.key_blocks["Fcl_ALL_Fun"].value == pytest.approx(0.3)


def test_a_head_that_learnt_no_expressions_leaves_a_vroid_characters_emotions_as_they_are(blender):
    """The bundled model's rig head moves no expression name (its corpus had none): a VRoid character's Joy,
    Angry, Sorrow and Surprised keep the animator's values, and the report says so."""
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    mouth = ["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"]
    faces = ["Fcl_ALL_Joy", "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_ALL_Surprised"]
    obj = character(mouth + faces, values=[0.0] * 5 + [0.4, 0.1, 0.2, 0.3])
    source = speech_source(os.path.join(root, "data", "real_speech", "cmuarctic_slt_a0009.flac"), frame_start=1)
    assert bpy.ops.multanet.generate_lip_sync(object=obj.name, head="arkit", bake_mode="BY_NAME", **source,
                                              checkpoint=os.path.join(root, "multanet_blender", "models",
                                                                      "default.npz")) == {"FINISHED"}
    assert sorted(curves(obj)) == sorted(mouth)
    blocks = obj.data.shape_keys.key_blocks
    assert [blocks[k].value for k in faces] == pytest.approx([0.4, 0.1, 0.2, 0.3])
