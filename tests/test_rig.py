"""Rig heads' numpy parts: shape-key names in every convention, and the bounded solve onto shape keys."""

import numpy as np
import pytest
from scipy.optimize import lsq_linear

from multanet_core.errors import MulTaNetError
from multanet_core.rig_names import (
    ARKIT_52,
    OCULUS_FROM_ARKIT,
    OCULUS_VISEMES,
    VRM_VISEMES,
    match_keys,
    normal_form,
    resting_names,
    viseme_weights,
)
from multanet_core.rig_solve import side_pairs, solve_weights


def test_arkit_52_is_apples_list():
    assert len(ARKIT_52) == 52 == len(set(ARKIT_52))
    assert {"jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "browInnerUp",
            "tongueOut", "cheekPuff"} <= set(ARKIT_52)
    assert sum(n.endswith("Left") for n in ARKIT_52) == sum(n.endswith("Right") for n in ARKIT_52) == 20


@pytest.mark.parametrize("spelling", ["mouthSmileLeft", "mouthSmile_L", "mouthSmile.L", "mouth_smile_left",
                                      "MouthSmile_l", "MOUTHSMILELEFT", "mouthSmileL", "blendShape1.mouthSmileLeft",
                                      "A38_Mouth_Smile_Left", "ARKit_mouthSmileLeft"])
def test_every_spelling_of_a_name_has_one_normal_form(spelling):
    assert normal_form(spelling) == "mouthsmileleft"


def test_matching_reports_convention_matches_and_missing():
    camel = match_keys(["Basis", *ARKIT_52])
    assert camel.keys == {n: n for n in ARKIT_52} and camel.missing == [] and camel.convention == "ARKit camelCase"
    sides = match_keys(["Basis", "jawOpen", "mouthSmile_L", "mouthSmile_R", "browDown_L", "browDown_R"])
    assert sides.keys["mouthSmileRight"] == "mouthSmile_R" and sides.keys["browDownLeft"] == "browDown_L"
    assert sides.convention == "_L/_R sides" and len(sides.missing) == 52 - 5
    snake = match_keys(["Basis", "jaw_open", "mouth_close", "mouth_pucker"])
    assert snake.keys == {"jawOpen": "jaw_open", "mouthClose": "mouth_close", "mouthPucker": "mouth_pucker"}
    assert snake.convention == "snake_case"
    # the exact spelling wins over another that means the same
    assert match_keys(["jaw_open", "jawOpen"]).keys["jawOpen"] == "jawOpen"
    nothing = match_keys(["Basis", "Smile", "Frown"])
    assert nothing.keys == {} and nothing.vrm == {} and nothing.convention == "none"


def test_vrm_visemes_are_found_and_driven_from_arkit_weights():
    vroid = match_keys(["Basis", "Fcl_ALL_Neutral", "Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"])
    assert vroid.keys == {} and vroid.convention == "VRM visemes"
    assert vroid.vrm == {"aa": "Fcl_MTH_A", "ih": "Fcl_MTH_I", "ou": "Fcl_MTH_U", "ee": "Fcl_MTH_E", "oh": "Fcl_MTH_O"}
    assert set(match_keys(["aa", "ih", "ou", "ee", "oh"]).vrm) == set(VRM_VISEMES)
    names = ["jawOpen", "mouthFunnel", "mouthPucker", "mouthClose", "mouthStretchLeft", "mouthStretchRight"]
    w = np.array([[1, 0, 0, 0, 0, 0],  # open jaw: "aa"
                  [0.1, 0, 1, 0, 0, 0],  # pucker: "ou"
                  [0, 0, 0, 0, 0, 0]], np.float32)  # rest: nothing
    v = viseme_weights(w, names)  # VRM's five by default
    assert v.shape == (3, 5) and v.min() >= 0 and v.max() <= 1
    assert np.argmax(v[0]) == VRM_VISEMES.index("aa") and np.argmax(v[1]) == VRM_VISEMES.index("ou")
    assert not v[2].any()


def test_side_pairs():
    names = ["jawOpen", "mouthSmileLeft", "browInnerUp", "mouthSmileRight", "browDownLeft"]
    assert side_pairs(names) == [(1, 3)]


def _problem(t=40, k=6, n=90, seed=0):
    rng = np.random.default_rng(seed)
    deltas = rng.standard_normal((k, n))
    truth = np.clip(rng.uniform(-0.3, 1.3, (t, k)), 0, 1)  # some weights at the bounds
    return deltas, truth, truth @ deltas


def test_solve_recovers_exact_weights_inside_the_bounds():
    deltas, truth, targets = _problem()
    w = solve_weights(deltas, targets, size=0, asymmetry=0, change=0)
    assert w.dtype == np.float32 and w.min() >= 0 and w.max() <= 1
    np.testing.assert_allclose(w, truth, atol=1e-3)


def test_solve_equals_scipys_bounded_least_squares_with_every_penalty():
    """The same objective written as one stacked least-squares problem, solved by scipy's lsq_linear."""
    deltas, truth, targets = _problem(t=12, k=4, n=30, seed=3)
    rng = np.random.default_rng(4)
    targets = targets + 0.3 * rng.standard_normal(targets.shape)  # not reachable exactly
    pairs, size, asym, change = [(0, 1)], 0.05, 0.2, 0.3
    t, k = truth.shape
    unit = np.trace(deltas @ deltas.T) / k
    blocks, rhs = [np.kron(np.eye(t), deltas.T)], [targets.reshape(-1)]  # data: x = W.reshape(-1)
    blocks.append(np.sqrt(size * unit) * np.eye(t * k))
    rhs.append(np.zeros(t * k))
    p = np.zeros((1, k))
    p[0, 0], p[0, 1] = 1, -1
    blocks.append(np.sqrt(asym * unit) * np.kron(np.eye(t), p))
    rhs.append(np.zeros(t))
    diff = np.eye(t - 1, t, 1) - np.eye(t - 1, t)
    blocks.append(np.sqrt(change * unit) * np.kron(diff, np.eye(k)))
    rhs.append(np.zeros((t - 1) * k))
    ref = lsq_linear(np.vstack(blocks), np.concatenate(rhs), bounds=(0, 1), tol=1e-12).x.reshape(t, k)
    w = solve_weights(deltas, targets, pairs=pairs, size=size, asymmetry=asym, change=change,
                      iterations=20000, tolerance=1e-9)
    np.testing.assert_allclose(w, ref, atol=2e-4)


def test_penalties_do_what_they_say():
    deltas, truth, targets = _problem(t=60, seed=1)
    rng = np.random.default_rng(2)
    noisy = targets + 0.5 * rng.standard_normal(targets.shape)
    free = solve_weights(deltas, noisy, size=0, asymmetry=0, change=0)
    smooth = solve_weights(deltas, noisy, size=0, asymmetry=0, change=1.0)
    assert np.abs(np.diff(smooth, axis=0)).mean() < 0.5 * np.abs(np.diff(free, axis=0)).mean()
    tied = solve_weights(deltas, noisy, pairs=[(0, 1)], size=0, asymmetry=100.0, change=0)
    assert np.abs(tied[:, 0] - tied[:, 1]).max() < 0.05 < np.abs(free[:, 0] - free[:, 1]).max()
    small = solve_weights(deltas, noisy, size=10.0, asymmetry=0, change=0)
    assert small.sum() < 0.5 * free.sum()
    # rest in, rest out; an unused key stays at 0
    assert not solve_weights(deltas, np.zeros_like(targets)).any()


def test_solve_refuses_mismatched_or_broken_input():
    deltas, _, targets = _problem()
    with pytest.raises(MulTaNetError, match="do not match"):
        solve_weights(deltas, targets[:, :-1])
    bad = targets.copy()
    bad[3, 4] = np.nan
    with pytest.raises(MulTaNetError, match="NaN"):
        solve_weights(deltas, bad)
    assert solve_weights(deltas[:0], targets).shape == (len(targets), 0)


def test_corpus_curves_become_arkit_weights_by_the_documented_table():
    import pathlib
    import re

    from train.rig_targets import DRIVEN, TABLE, UNDRIVEN, arkit_weights
    from train.synth.head import CHANNELS

    assert len(DRIVEN) + len(UNDRIVEN) == 52
    assert {"jawOpen", "mouthClose", "mouthPressLeft", "browDownRight"} <= set(DRIVEN)
    doc = (pathlib.Path(__file__).parents[1] / "docs" / "RIG.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|`]+?) \|$", doc, flags=re.M))
    assert {n: f for n, (f, _) in TABLE.items()} == {n: rows[n] for n in TABLE}
    channels = list(CHANNELS)
    frames = np.zeros((5, len(channels)))
    frames[1, channels.index("jaw")] = 0.9  # an open vowel
    frames[2, [channels.index("jaw"), channels.index("closure")]] = 0.06, 1.0  # a bilabial
    frames[3, [channels.index("jaw"), channels.index("round")]] = 0.2, 1.0  # "u"
    frames[4, [channels.index("smile"), channels.index("squint"), channels.index("brow_inner")]] = 0.8, 0.3, 0.5
    w = arkit_weights(channels, frames)
    col = {n: i for i, n in enumerate(ARKIT_52)}
    assert w.shape == (5, 52) and w.dtype == np.float32 and not w[0].any()  # rest is all zeros
    assert w[4, col["mouthSmileLeft"]] == w[4, col["mouthSmileRight"]] == pytest.approx(0.8)
    assert w[4, col["mouthDimpleLeft"]] == pytest.approx(0.32) and w[4, col["eyeSquintRight"]] == pytest.approx(0.3)
    assert w[4, col["browInnerUp"]] == pytest.approx(0.5) and not w[:4, col["mouthSmileLeft"]].any()
    # curves of a corpus before expressions (the 7 speech channels): the same speech weights, no expression
    old = arkit_weights(channels[:7], frames[:4, :7])
    np.testing.assert_array_equal(old, w[:4])
    from train.rig_targets import SPEECH_DRIVEN

    assert len(SPEECH_DRIVEN) == 15 and len(DRIVEN) == 33  # and the two blinks of the blink layer: 35
    assert w[1, col["jawOpen"]] == pytest.approx(0.9) and w[1, col["mouthPressLeft"]] == 0
    assert w[2, col["mouthPressLeft"]] == w[2, col["mouthPressRight"]] == 1.0
    assert w[2, col["mouthClose"]] == pytest.approx(0.06)
    assert w[3, col["mouthPucker"]] > w[3, col["mouthFunnel"]] > 0
    assert not w[:, [col[n] for n in UNDRIVEN]].any()
    with pytest.raises(ValueError, match="lack channel"):
        arkit_weights(["jaw"], frames[:, :1])


def test_key_thinning_keeps_few_keys_within_the_tolerance():
    from multanet_core.keyframes import linear_error, thin

    line = np.linspace(0, 1, 50)
    assert thin(line, 1e-6).tolist() == [0, 49]
    tent = np.concatenate([np.linspace(0, 1, 11), np.linspace(1, 0, 11)[1:]])
    assert thin(tent, 1e-6).tolist() == [0, 10, 20]
    rng = np.random.default_rng(0)
    curve = np.clip(np.cumsum(rng.standard_normal(1800)) * 0.02 + 0.5, 0, 1)  # a 60 s shape-key curve
    for tolerance in (0.0, 0.005, 0.02, 0.1):
        kept = thin(curve, tolerance)
        assert kept[0] == 0 and kept[-1] == 1799 and np.all(np.diff(kept) > 0)
        assert linear_error(curve, kept) <= tolerance + 1e-12
    assert len(thin(curve, 0.1)) < len(thin(curve, 0.02)) < len(thin(curve, 0.005)) < 1800
    bends = np.count_nonzero(np.abs(np.diff(curve, 2)) > 1e-12)  # tolerance 0: exactly the keys where it bends
    assert len(thin(curve, 0.0)) == bends + 2
    assert thin(curve[:2], 0.1).tolist() == [0, 1] and thin(curve[:0], 0.1).tolist() == []
    # keys at their own times (a bake's rest keys sit half a frame out): the lines are drawn in time
    times = np.concatenate([[0.5], np.arange(1.0, 1800.0), [1799.5]])[:1800]
    kept = thin(curve, 0.01, times)
    assert linear_error(curve, kept, times) <= 0.01 + 1e-12
    assert np.abs(np.interp(times, times[kept], curve[kept]) - curve).max() <= 0.01 + 1e-12
    ramp = np.array([0.0, 0.1, 1.0])  # on the line in time (t = 0, 0.1, 1), off it by index
    assert thin(ramp, 0.01, np.array([0.0, 0.1, 1.0])).tolist() == [0, 2]
    assert thin(ramp, 0.01).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="increasing"):
        thin(curve, 0.1, times[::-1])
    with pytest.raises(ValueError, match="NaN"):
        thin(np.array([0, np.nan, 1]), 0.1)
    with pytest.raises(ValueError, match="tolerance"):
        thin(curve, -1)


def test_a_name_the_mesh_splits_by_side_drives_both_keys():
    ict = match_keys(["Basis", "jawOpen", "browInnerUp_L", "browInnerUp_R", "mouthPress_L"])
    assert ict.keys == {"jawOpen": "jawOpen", "mouthPressLeft": "mouthPress_L"}
    assert ict.both_sides == {"browInnerUp": ("browInnerUp_L", "browInnerUp_R")}
    assert "browInnerUp" not in ict.missing and "mouthPressRight" in ict.missing
    # a mesh with only split names still has a convention (the keys it drives, both halves)
    assert match_keys(["Basis", "jawOpen_L", "jawOpen_R"]).convention == "_L/_R sides"


def test_names_a_rig_head_always_leaves_at_rest():
    """A name whose output column and mean are zero (or all but: traces a trained head keeps) stays 0."""
    rng = np.random.default_rng(0)
    basis, mean = rng.standard_normal((8, 5)), rng.uniform(0, 0.3, 5)
    names = ["a", "b", "c", "d", "e"]
    assert resting_names(names, mean, basis) == []
    basis[:, 1], mean[1] = 0, 0  # never moves
    basis[:, 2], mean[2] = 1e-6, -1e-7  # a trained head's trace
    basis[:, 3], mean[3] = 0, 0.3  # constant, but held open: not at rest
    basis[:, 4], mean[4] = 0, -2.0  # always clipped to 0
    assert resting_names(names, mean, basis) == ["b", "c", "e"]
    assert resting_names(names, np.zeros(5), np.zeros((8, 5))) == names
    # the bundled model's ARKit head: exactly the 37 names docs/RIG.md says the corpus cannot drive
    import pathlib
    import re

    from multanet_core.checkpoint import load_checkpoint

    root = pathlib.Path(__file__).parents[1]
    doc = (root / "docs" / "RIG.md").read_text()
    undriven = re.findall(r"`(\w+)`", doc.split("The bundled rig head leaves these 37 names at rest:")[1]
                          .split("\n\n")[0])
    head = load_checkpoint(root / "multanet_blender" / "models" / "default.npz").head("arkit")
    assert len(undriven) == 37 and resting_names(head.weight_names, head.mean, head.basis) == undriven


def test_blenders_duplicate_suffix_is_matched_when_nothing_else_spells_the_name():
    copied = match_keys(["Basis", "jawOpen.001", "mouthClose.001", "mouthSmile.L.001"])
    assert copied.keys == {"jawOpen": "jawOpen.001", "mouthClose": "mouthClose.001",
                           "mouthSmileLeft": "mouthSmile.L.001"}
    assert copied.suffixed == ["jawOpen.001", "mouthClose.001", "mouthSmile.L.001"]
    assert copied.convention == "_L/_R sides" and match_keys(["jawOpen.001"]).convention == "ARKit camelCase"
    for keys in (["jawOpen.001", "jawOpen"], ["jawOpen.001", "jaw_open"]):  # a real spelling wins
        both = match_keys(keys)
        assert both.keys == {"jawOpen": keys[1]} and both.suffixed == [] and both.unused == {"jawOpen.001": "jawOpen"}


def test_keys_that_fit_a_name_already_taken_or_ignored_visemes_are_listed():
    assert match_keys(["mouthSmile_L", "mouthSmileLeft", "jawOpen"]).unused == {"mouthSmile_L": "mouthSmileLeft"}
    assert match_keys(["jawOpen", "JawOpen", "jaw_open"]).unused == {"JawOpen": "jawOpen", "jaw_open": "jawOpen"}
    assert match_keys(["jawOpen", "jawOpen_L", "jawOpen_R"]).unused == {"jawOpen_L": "jawOpen", "jawOpen_R": "jawOpen"}
    mixed = match_keys(["jawOpen", "aa", "ih", "viseme_PP"])
    assert mixed.vrm == {} and mixed.unused == {"aa": "VRM viseme aa", "ih": "VRM viseme ih",
                                                "viseme_PP": "Oculus viseme PP"}
    assert match_keys(["jawOpen", "mouthClose", "Blink_Custom"]).unused == {}  # a key of its own: not a fit


def test_oculus_visemes_are_found_and_driven_from_arkit_weights():
    rpm = [f"viseme_{v}" for v in OCULUS_VISEMES]
    oculus = match_keys(["Basis", *rpm])
    assert oculus.convention == "Oculus visemes" and oculus.keys == {} and oculus.unused == {}
    assert oculus.vrm == dict(zip(OCULUS_VISEMES, rpm, strict=True))
    # VRChat spells them vrc.v_*: its set of 15 is Oculus's; with only the 5 vowels it is VRM's (a tie)
    vrchat = match_keys(["vrc.v_sil", "vrc.v_pp", "vrc.v_aa", "vrc.v_e", "vrc.v_ih", "vrc.v_oh", "vrc.v_ou"])
    assert vrchat.convention == "Oculus visemes" and vrchat.vrm["I"] == "vrc.v_ih" and vrchat.vrm["PP"] == "vrc.v_pp"
    assert match_keys(["vrc.v_aa", "vrc.v_ih", "vrc.v_ou", "vrc.v_e", "vrc.v_oh"]).convention == "VRM visemes"
    names = ["jawOpen", "mouthFunnel", "mouthPucker", "mouthClose", "mouthPressLeft", "mouthPressRight",
             "mouthRollLower", "mouthStretchLeft", "mouthStretchRight"]
    w = np.zeros((5, len(names)), np.float32)
    w[0, 0] = 1  # an open jaw: "aa"
    w[1, [4, 5]] = 1  # lips pressed: "PP"
    w[2, 6] = 1  # lower lip rolled in: "FF"
    w[3, [0, 2]] = 0.1, 1  # pucker: "U"
    v = viseme_weights(w, names, OCULUS_VISEMES)
    assert v.shape == (5, 15) and v.min() >= 0 and v.max() <= 1 and not v[4].any()
    for row, viseme in enumerate(["aa", "PP", "FF", "U"]):
        assert OCULUS_VISEMES[int(np.argmax(v[row]))] == viseme
    tongue = [OCULUS_VISEMES.index(x) for x in ("sil", "TH", "DD", "kk", "CH", "SS", "nn", "RR")]
    assert not v[:, tongue].any()  # the head gives no tongue: these stay 0, as docs/RIG.md says
    vowels = [OCULUS_VISEMES.index(x) for x in ("aa", "E", "I", "O", "U")]  # the VRM presets
    np.testing.assert_array_equal(v[:, vowels], viseme_weights(w, names, VRM_VISEMES)[:, [0, 3, 1, 4, 2]])
    # docs/RIG.md's table says the same
    import pathlib
    import re

    doc = (pathlib.Path(__file__).parents[1] / "docs" / "RIG.md").read_text().split("| Oculus viseme |")[1]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", doc, flags=re.M))
    assert rows["PP"] == "0.5 `mouthPressLeft` + 0.5 `mouthPressRight`" and rows["FF"] == "1 `mouthRollLower`"
    assert OCULUS_FROM_ARKIT["PP"] == {"mouthPressLeft": 0.5, "mouthPressRight": 0.5}
    assert OCULUS_FROM_ARKIT["FF"] == {"mouthRollLower": 1.0}


def test_vrm_blinks_are_found_beside_either_set_of_visemes_and_follow_the_eyeblink_names():
    from multanet_core.rig_names import BLINK_VISEMES

    vroid = match_keys(["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_EYE_Close",
                        "Fcl_EYE_Close_L", "Fcl_EYE_Close_R"])
    assert vroid.vrm["blink"] == "Fcl_EYE_Close" and vroid.vrm["blinkRight"] == "Fcl_EYE_Close_R"
    vrm0 = match_keys(["A", "I", "U", "E", "O", "Blink", "Blink_L", "Blink_R"])
    assert {v: vrm0.vrm[v] for v in BLINK_VISEMES} == {"blink": "Blink", "blinkLeft": "Blink_L",
                                                       "blinkRight": "Blink_R"}
    rpm = match_keys([f"viseme_{v}" for v in OCULUS_VISEMES] + ["blink"])
    assert rpm.vrm["blink"] == "blink" and rpm.vrm["PP"] == "viseme_PP"  # the Oculus set, with its blink
    assert not match_keys(["blink", "Blink_L"]).vrm  # no visemes: not a VRM character
    assert match_keys(["jawOpen", "Blink"]).vrm == {}  # ARKit names: eyeBlink is found by name instead
    names = ["eyeBlinkLeft", "eyeBlinkRight", "jawOpen"]
    w = np.array([[0.0, 0.0, 0.5], [1.0, 0.6, 0.0]], np.float32)
    v = viseme_weights(w, names, BLINK_VISEMES)
    np.testing.assert_allclose(v, [[0, 0, 0], [0.8, 1.0, 0.6]])


def test_vrm_emotion_expressions_are_found_beside_visemes_and_each_follows_its_own_expression():
    from multanet_core.rig_names import EXPRESSION_VISEMES
    from train.rig_targets import CHANNELS, arkit_weights
    from train.synth.expression import EXPRESSION_CHANNELS, FACE

    vroid = match_keys(["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O", "Fcl_ALL_Joy",
                        "Fcl_ALL_Angry", "Fcl_ALL_Sorrow", "Fcl_ALL_Surprised", "Fcl_ALL_Fun"])
    assert {v: vroid.vrm[v] for v in EXPRESSION_VISEMES} == {
        "happy": "Fcl_ALL_Joy", "angry": "Fcl_ALL_Angry", "sad": "Fcl_ALL_Sorrow", "surprised": "Fcl_ALL_Surprised"}
    assert "Fcl_ALL_Fun" not in vroid.vrm.values()  # relaxed: the corpus has no such expression
    vrm1 = match_keys(["aa", "ih", "ou", "ee", "oh", "happy", "sad"])
    assert vrm1.vrm["happy"] == "happy" and vrm1.vrm["sad"] == "sad" and "angry" not in vrm1.vrm
    assert match_keys(["jawOpen", "Joy"]).vrm == {}  # ARKit names: mouthSmile is found by name instead
    # the corpus's own expressions, mapped to ARKit names, over speech whose brows follow the pitch
    channels = list(dict.fromkeys(CHANNELS + EXPRESSION_CHANNELS))
    for label, levels in FACE.items():
        for brow_raise, brow_furrow in ((0.0, 0.0), (0.3, 0.0), (0.1, 0.25)):
            c = np.zeros((1, len(channels)))
            c[0, channels.index("jaw")] = 0.3
            c[0, channels.index("brow_raise")], c[0, channels.index("brow_furrow")] = brow_raise, brow_furrow
            for name, level in levels.items():
                if name in channels:
                    c[0, channels.index(name)] += level
            got = dict(zip(EXPRESSION_VISEMES, viseme_weights(arkit_weights(channels, c), ARKIT_52,
                                                               EXPRESSION_VISEMES)[0], strict=True))
            own = {"afraid": "surprised"}.get(label, label)  # VRM has no fear: it shows as surprise
            for v, value in got.items():
                if v == own:
                    assert value >= 0.7, (label, v, value)
                else:
                    assert value <= 0.2, (label, v, value)
    # docs/RIG.md's table says the same, row for row
    import pathlib
    import re

    from multanet_core.rig_names import EXPRESSION_FROM_ARKIT

    doc = (pathlib.Path(__file__).parents[1] / "docs" / "RIG.md").read_text().split("| VRM expression |")[1]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", doc.split("\n\n")[0], flags=re.M))
    for v in EXPRESSION_VISEMES:
        terms = list(EXPRESSION_FROM_ARKIT[v].items())
        text = " ".join(f"{'-' if g < 0 else '+'} {abs(g):g} `{n}`" for n, g in terms).removeprefix("+ ")
        assert rows[v] == text, v
