"""Named face weights and the shape keys of an animator's own character: which key is which.

A rig head (docs/RIG.md) predicts ARKit-52 weights by their Apple names (``jawOpen``,
``mouthSmileLeft``). Characters name their keys in many ways: Apple's camelCase (ReadyPlayerMe,
VRoid Perfect Sync, FaceIt, MetaHuman's ARKit curves), ``_L``/``_R`` or ``.L``/``.R`` sides
(``mouthSmile_L``), snake_case (``mouth_smile_left``), any letter case, an exporter's prefix
(``blendShape1.jawOpen``, Character Creator's ``A25_Jaw_Open``). :func:`match_keys` finds each
wanted name among a mesh's key names by one normal form, and says which convention it saw and
which names it did not find (Blender's ``jawOpen.001`` is ``jawOpen`` when nothing else is). VRM
characters have visemes instead (VRM 1.0 ``aa ih ou ee oh``, VRoid's ``Fcl_MTH_A``...), ReadyPlayerMe and
VRChat ones Oculus's 15 (``viseme_aa``, ``vrc.v_aa``): :data:`VISEME_FROM_ARKIT` makes them from the
ARKit weights by a linear preset.

Pure Python and numpy: Blender imports it as it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

# Apple's ARFaceAnchor.BlendShapeLocation, in Apple's order
ARKIT_52 = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose",
    "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight",
    "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)

Names = tuple[str, ...]
Aliases = dict[str, Names]  # a viseme -> the key names it goes by

VRM_VISEMES: Names = ("aa", "ih", "ou", "ee", "oh")
# VRM 0.x presets and VRoid's mouth keys, by viseme
VRM_ALIASES: Aliases = {
    "aa": ("aa", "a", "fcl_mth_a", "vrc.v_aa", "mth_a"),
    "ih": ("ih", "i", "fcl_mth_i", "vrc.v_ih", "mth_i"),
    "ou": ("ou", "u", "fcl_mth_u", "vrc.v_ou", "mth_u"),
    "ee": ("ee", "e", "fcl_mth_e", "vrc.v_e", "mth_e"),
    "oh": ("oh", "o", "fcl_mth_o", "vrc.v_oh", "mth_o"),
}
# each viseme from the ARKit weights (clipped to 0..1 after): open vowel = the jaw without rounding,
# "ih" and "ee" the spread lips (little and more jaw), "ou" the pucker, "oh" rounding with the jaw open
VRM_FROM_ARKIT = {
    "aa": {"jawOpen": 1.0, "mouthFunnel": -0.6, "mouthPucker": -0.6, "mouthClose": -1.0},
    "ih": {"mouthStretchLeft": 0.5, "mouthStretchRight": 0.5, "jawOpen": 0.3, "mouthPucker": -0.5},
    "ou": {"mouthPucker": 1.0, "jawOpen": -0.3},
    "ee": {"mouthStretchLeft": 0.6, "mouthStretchRight": 0.6, "mouthSmileLeft": 0.2, "mouthSmileRight": 0.2,
           "mouthPucker": -0.5},
    "oh": {"mouthFunnel": 1.0, "jawOpen": 0.4, "mouthPucker": -0.3},
}

# Oculus Lipsync's 15 visemes (ReadyPlayerMe's viseme_aa..., VRChat's vrc.v_aa...), from the ARKit weights
# the same way: the jaw and the lips the head gives. The tongue and teeth consonants (TH DD kk CH SS nn RR)
# differ from the vowels next to them by the tongue, which the head does not give: they stay 0, as sil does
# (the rest shape), and the vowels and PP / FF carry the lips through them.
OCULUS_VISEMES: Names = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")
_VRCHAT = {"I": "ih", "O": "oh", "U": "ou"}
OCULUS_ALIASES: Aliases = {v: (f"viseme_{v.lower()}", f"vrc.v_{_VRCHAT.get(v, v.lower())}") for v in OCULUS_VISEMES}
OCULUS_FROM_ARKIT = {
    **{v: {} for v in ("sil", "TH", "DD", "kk", "CH", "SS", "nn", "RR")},
    "PP": {"mouthPressLeft": 0.5, "mouthPressRight": 0.5},
    "FF": {"mouthRollLower": 1.0},
    "aa": VRM_FROM_ARKIT["aa"], "E": VRM_FROM_ARKIT["ee"], "I": VRM_FROM_ARKIT["ih"], "O": VRM_FROM_ARKIT["oh"],
    "U": VRM_FROM_ARKIT["ou"],
}
VISEME_SETS: dict[str, tuple[Names, Aliases]] = {
    "VRM visemes": (VRM_VISEMES, VRM_ALIASES), "Oculus visemes": (OCULUS_VISEMES, OCULUS_ALIASES)}
# VRM's blink expressions (VRM 1.0 blink / blinkLeft / blinkRight, 0.x Blink / Blink_L / Blink_R, VRoid's
# Fcl_EYE_Close...): found beside either set of visemes, driven by the eyeBlink names (a bake's blink layer)
BLINK_VISEMES: Names = ("blink", "blinkLeft", "blinkRight")
BLINK_ALIASES: Aliases = {
    "blink": ("blink", "fcl_eye_close", "eye_close", "eyes_closed"),
    "blinkLeft": ("blinkleft", "blink_l", "fcl_eye_close_l", "eye_close_l"),
    "blinkRight": ("blinkright", "blink_r", "fcl_eye_close_r", "eye_close_r"),
}
BLINK_FROM_ARKIT = {"blink": {"eyeBlinkLeft": 0.5, "eyeBlinkRight": 0.5}, "blinkLeft": {"eyeBlinkLeft": 1.0},
                    "blinkRight": {"eyeBlinkRight": 1.0}}
# VRM's emotion expressions (VRM 1.0 happy / angry / sad / surprised, 0.x Joy / Angry / Sorrow, VRoid's
# Fcl_ALL_Joy...): found beside either set of visemes, driven by the expression names a head learnt from an
# expression corpus (train synth --expressions). Each rises only with names no speech moves (a smile, a squint,
# a frown, wide eyes), so a head that learnt no expressions leaves them as they are, and falls with the other
# expressions' own names: angry is the squint without a smile's cheeks, disgust's sneer or sorrow's inner brows;
# sad the frown without anger's furrow, disgust's sneer or fear's wide eyes. Afraid shows as surprised, about 0.8
# of it (VRM has no fear). VRM's "relaxed" (0.x Fun) is left as the animator keyed it: the corpus has none.
EXPRESSION_VISEMES: Names = ("happy", "angry", "sad", "surprised")
EXPRESSION_ALIASES: Aliases = {
    "happy": ("happy", "joy", "fcl_all_joy"),
    "angry": ("angry", "fcl_all_angry"),
    "sad": ("sad", "sorrow", "fcl_all_sorrow"),
    "surprised": ("surprised", "fcl_all_surprised"),
}
EXPRESSION_FROM_ARKIT = {
    "happy": {"mouthSmileLeft": 0.6, "mouthSmileRight": 0.6},
    "angry": {"eyeSquintLeft": 0.9, "eyeSquintRight": 0.9, "cheekSquintLeft": -0.6, "cheekSquintRight": -0.6,
              "noseSneerLeft": -0.4, "noseSneerRight": -0.4, "browInnerUp": -0.2},
    "sad": {"mouthFrownLeft": 0.8, "mouthFrownRight": 0.8, "browDownLeft": -0.5, "browDownRight": -0.5,
            "noseSneerLeft": -0.5, "noseSneerRight": -0.5, "eyeWideLeft": -0.5, "eyeWideRight": -0.5},
    "surprised": {"eyeWideLeft": 0.55, "eyeWideRight": 0.55},
}
# blinks and expressions: whole-face keys found beside a mesh's visemes, whichever set those are
FACE_VISEMES: Aliases = {**BLINK_ALIASES, **EXPRESSION_ALIASES}
VISEME_FROM_ARKIT = {**VRM_FROM_ARKIT, **OCULUS_FROM_ARKIT, **BLINK_FROM_ARKIT,
                     **EXPRESSION_FROM_ARKIT}  # ("aa" is the same in both)
VISEMES = tuple(dict.fromkeys(VRM_VISEMES + OCULUS_VISEMES + BLINK_VISEMES + EXPRESSION_VISEMES))

DUPLICATE = re.compile(r"\.\d{3,}$")  # Blender's suffix for a name already taken: "jawOpen.001"
_SIDES = {"left": "left", "l": "left", "right": "right", "r": "right"}
_PREFIX = re.compile(r"^(?:a\d\d_|arkit_|bs_|blendshape\d*_)", re.I)  # CC4 "A25_Jaw_Open", "ARKit_jawOpen"


def normal_form(name: str) -> str:
    """One spelling for every convention: lower case, no separators, the side spelled out at the end.

    ``jawOpen``, ``jaw_open``, ``JawOpen``, ``A25_Jaw_Open`` -> ``jawopen``; ``mouthSmileLeft``,
    ``mouthSmile_L``, ``mouthSmile.L``, ``mouth_smile_left``, ``MouthSmile_l`` -> ``mouthsmileleft``.
    """
    text = name.strip()
    if "." in text:  # an exporter's node prefix ("blendShape1.jawOpen"), but keep Blender's ".L" sides
        head, _, tail = text.rpartition(".")
        text = f"{head}_{tail}" if tail.lower() in _SIDES else tail
    text = _PREFIX.sub("", text)
    words = [w for w in re.split(r"[^0-9A-Za-z]+|(?<=[a-z0-9])(?=[A-Z])", text) if w]
    words = [w.lower() for w in words]
    if len(words) > 1 and words[-1] in _SIDES:
        words[-1] = _SIDES[words[-1]]
    return "".join(words)


@dataclass
class KeyMatch:
    """Which of a mesh's shape keys each wanted name drives."""

    keys: dict[str, str]  # wanted name -> the mesh's key name
    missing: list[str]  # wanted names the mesh has no key for
    convention: str  # what the matched names look like
    vrm: dict[str, str] = field(default_factory=dict)  # viseme -> key, when the mesh is driven through visemes
    both_sides: dict[str, tuple[str, str]] = field(default_factory=dict)  # a name the mesh splits (left, right)
    suffixed: list[str] = field(default_factory=list)  # driven keys found without Blender's ".001" suffix
    unused: dict[str, str] = field(default_factory=dict)  # key that fits a name, but another drives it -> the name
    # a wanted name whose key (one of them, for a name the mesh splits) another wanted name of the same normal
    # form drives (jawOpen and JawOpen; mouthSmile beside mouthSmileLeft) -> (that key, the name driving it)
    shared: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def matched(self) -> list[str]:
        return list(self.keys)


def convention_of(names: list[str]) -> str:
    """A name for how ``names`` are spelled (for the panel and messages)."""
    if not names:
        return "none"
    if all(re.search(r"[._](?:L|R|l|r)$", n) for n in names if normal_form(n).endswith(("left", "right"))) \
            and any(normal_form(n).endswith(("left", "right")) for n in names):
        return "_L/_R sides"
    if all("_" in n and n == n.lower() for n in names if len(normal_form(n)) > 3):
        return "snake_case"
    if all(n[:1].islower() and "_" not in n for n in names):
        return "ARKit camelCase"
    return "mixed"


def _lookup(key_names: list[str], spell) -> tuple[dict[str, str], set[str]]:
    """Spelling (``spell(key)``) -> the first key with it. A key with Blender's duplicate suffix is also
    found without it, when no key spells that without one; the keys found only so are returned too."""
    table: dict[str, str] = {}
    for key in key_names:
        table.setdefault(spell(key), key)
    suffixed = set()
    for key in key_names:
        base = DUPLICATE.sub("", key)
        if base != key and spell(base) not in table:
            table[spell(base)] = key
            suffixed.add(key)
    table.pop("", None)
    return table, suffixed


def match_keys(key_names: list[str], wanted: tuple[str, ...] | list[str] = ARKIT_52,
               resting: frozenset[str] | set[str] = frozenset()) -> KeyMatch:
    """Find each of ``wanted`` among ``key_names`` (a mesh's shape keys) by :func:`normal_form`.

    Two keys that spell the same name (``jawOpen`` and ``jaw_open``) leave the name to the first one
    whose spelling is exactly the wanted name, else the first in the mesh's order; the other is listed in
    ``unused``. Two wanted names that find the same key (a head's ``jawOpen`` and ``JawOpen``, or its
    ``mouthSmile`` split onto ``mouthSmile_L`` / ``_R`` beside its ``mouthSmileLeft``) leave the key to one
    of them (:func:`_one_name_per_key`); the others are listed in ``shared``. ``jawOpen.001`` (Blender's
    suffix for a copied name) is ``jawOpen`` when no key spells it without the suffix (``suffixed``). When
    no ARKit name matches but the mesh has visemes (VRM, or Oculus's 15), ``vrm`` maps each viseme to its
    key: of the set with the most keys, VRM on a tie. ``resting``: wanted names that never move (they yield
    a shared key to names that do)."""
    by_form, suffixed = _lookup(key_names, normal_form)
    exact = set(key_names)
    keys: dict[str, str] = {}
    for name in wanted:
        if name in exact:
            keys[name] = name
        elif normal_form(name) in by_form:
            keys[name] = by_form[normal_form(name)]
    # a name without a side that the mesh splits in two (ICT FaceKit's browInnerUp_L / _R) drives both
    both_sides = {n: (by_form[normal_form(n) + "left"], by_form[normal_form(n) + "right"]) for n in wanted
                  if n not in keys and normal_form(n) + "left" in by_form and normal_form(n) + "right" in by_form}
    shared = _one_name_per_key(wanted, keys, both_sides, resting)
    missing = [n for n in wanted if n not in keys and n not in both_sides and n not in shared]
    lowered, lowered_suffixed = _lookup(key_names, lambda k: k.strip().lower())
    suffixed |= lowered_suffixed
    found = {}  # per viseme set: viseme -> key
    for name, (visemes, aliases) in VISEME_SETS.items():
        found[name] = {v: next(lowered[a] for a in aliases[v] if a in lowered) for v in visemes
                       if any(a in lowered for a in aliases[v])}
    viseme_set = max(found, key=lambda c: len(found[c]))
    vrm = found[viseme_set] if not keys and not both_sides else {}
    if vrm:  # the blink and emotion expressions, whichever set the mouth's visemes come from
        vrm.update({v: next(lowered[a] for a in aliases if a in lowered) for v, aliases in FACE_VISEMES.items()
                    if any(a in lowered for a in aliases)})
    driven = list(keys.values()) + [k for pair in both_sides.values() for k in pair]
    convention = convention_of([DUPLICATE.sub("", k) for k in driven]) if driven else (viseme_set if vrm else "none")
    used = set(driven) | set(vrm.values())
    # keys that fit a name (or a viseme) as well, but some other key drives it: said, not dropped silently
    fits = {normal_form(n) + side: n for side in ("left", "right") for n in wanted}
    fits.update({normal_form(n): n for n in wanted})
    unused = {k: fits.get(normal_form(k)) or fits[normal_form(DUPLICATE.sub("", k))] for k in key_names
              if k not in used and (normal_form(k) in fits or normal_form(DUPLICATE.sub("", k)) in fits)}
    for name, picked in found.items():
        unused.update({k: f"{name[:-1]} {v}" for v, k in picked.items() if k not in used and k not in unused})
    return KeyMatch(keys=keys, missing=missing, convention=convention, vrm=vrm, both_sides=both_sides,
                    suffixed=[k for k in key_names if k in suffixed and k in used], unused=unused, shared=shared)


def _one_name_per_key(wanted, keys: dict[str, str], both_sides: dict[str, tuple[str, str]],
                      resting) -> dict[str, tuple[str, str]]:
    """Leave each key to one wanted name; drop the others from ``keys`` / ``both_sides`` (in place) and return
    them, each with the key it wanted and the name that drives it. The key goes to a name that moves before
    one that never does, then to the name it spells exactly (``jawOpen`` for key ``jawOpen``), then to a name
    of its own side before one the mesh splits in two, then to the first in ``wanted``'s order."""
    order = {n: i for i, n in enumerate(wanted)}

    def rank(name: str) -> tuple[bool, bool, bool, int]:
        exact = name in keys and DUPLICATE.sub("", keys[name]) == name
        return name in resting, not exact, name in both_sides, order[name]

    taken: dict[str, str] = {}
    shared: dict[str, tuple[str, str]] = {}
    for name in sorted([*keys, *both_sides], key=rank):
        mine = [keys[name]] if name in keys else list(both_sides[name])
        clash = next((k for k in mine if k in taken), None)
        if clash is not None:
            shared[name] = (clash, taken[clash])
            keys.pop(name, None)
            both_sides.pop(name, None)
            continue
        taken.update(dict.fromkeys(mine, name))
    return {n: shared[n] for n in wanted if n in shared}


def resting_names(names: tuple[str, ...] | list[str], mean: np.ndarray, basis: np.ndarray,
                  share: float = 0.01) -> list[str]:
    """The names a rig head always leaves at rest. Its weights are ``clip(c @ basis + mean, 0, 1)``
    (:meth:`multanet_core.inference.Animator.weights`): a name whose column of ``basis`` [K, W] is zero and
    whose ``mean`` is zero or below stays 0 for any coefficients ``c``. A trained head keeps traces where
    its targets were always 0 (about 1e-4 of its most moving name's), so "zero" is: under ``share`` of the
    largest ``|mean| + sum |basis column|`` of the head's names."""
    moves = np.abs(np.asarray(basis, np.float64)).sum(axis=0)
    mean = np.asarray(mean, np.float64)
    limit = share * float((moves + np.abs(mean)).max(initial=0.0))
    return [n for n, m, b in zip(names, mean, moves, strict=True) if b <= limit and m <= limit]


def viseme_weights(weights: np.ndarray, names: list[str] | tuple[str, ...],
                   visemes: list[str] | tuple[str, ...] = VRM_VISEMES) -> np.ndarray:
    """ARKit weights [T, len(names)] -> viseme weights [T, len(visemes)] in 0..1 (``VISEME_FROM_ARKIT``)."""
    w = np.asarray(weights, np.float32)
    index = {n: i for i, n in enumerate(names)}
    out = np.zeros((w.shape[0], len(visemes)), np.float32)
    for j, viseme in enumerate(visemes):
        for name, gain in VISEME_FROM_ARKIT[viseme].items():
            if name in index:
                out[:, j] += np.float32(gain) * w[:, index[name]]
    return np.clip(out, 0.0, 1.0)

