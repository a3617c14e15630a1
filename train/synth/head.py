"""Procedural head meshes and their articulation rig (pure numpy).

A head starts as a unit sphere of some topology (``topology.py``), warped conformally so that
vertices crowd around the mouth, then shaped: an ellipsoid skull, a tapered jaw and chin, a nose,
eye sockets under a brow ridge, cheeks, ears, a neck, and two lips that meet along a mouth line.
The surface is closed: when the lips part, the band of vertices along the mouth line is pulled
back into the head, which reads as the mouth opening.

Coordinates are metres, x to the viewer's right, y up, z towards the viewer (the face looks along
+z), as in FLAME/VOCASET. Frame of animation ``t`` is ``vertices = rest + weights(t) @ fields``
plus the jaw, a rotation about the jaw pivot (also written as two fields), so the rig is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .expression import EXPRESSION_CHANNELS
from .topology import sphere

MOUTH_Y = -0.052  # height of the mouth line, relative to the head centre
SPEECH_CHANNELS = ("jaw", "closure", "round", "spread", "labiodental", "brow_raise", "brow_furrow")
CHANNELS = SPEECH_CHANNELS + EXPRESSION_CHANNELS  # curves of 7 columns (corpora before expressions) mean 0 for the rest


@dataclass(frozen=True)
class HeadShape:
    topology: str = "quadsphere"
    vertices: int = 5000
    width: float = 1.0  # scale factors on the skull
    height: float = 1.0
    depth: float = 1.0
    nose: float = 1.0  # nose length
    nose_width: float = 1.0
    chin: float = 1.0
    cheeks: float = 1.0
    lips: float = 1.0  # lip fullness
    mouth_width: float = 1.0
    jaw_width: float = 1.0
    brow: float = 1.0


@dataclass(frozen=True)
class Style:
    """How a character articulates: the same articulation curves, a different face."""

    jaw: float = 1.0  # how wide the jaw opens (scales the maximum jaw angle)
    round: float = 1.0  # lip rounding / protrusion
    spread: float = 1.0  # lip spreading
    asymmetry: float = 0.0  # -0.3..0.3: one side of the mouth moves more
    anticipation: float = 0.0  # 0..1: how early articulators move towards the next phoneme
    brow: float = 1.0  # upper-face expressiveness
    press: float = 1.0  # how firmly the lips press on bilabials

    def to_json(self) -> dict:
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


def _smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0.0, 1.0)
    return t * t * (3 - 2 * t)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


def _gauss(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    return np.exp(-(((x - cx) / sx) ** 2) - ((y - cy) / sy) ** 2)


def _both_sides(x: np.ndarray, y: np.ndarray, cx: float, cy: float, sx: float, sy: float) -> np.ndarray:
    """:func:`_gauss` at ``(cx, cy)`` and at its mirror ``(-cx, cy)``, added: a feature of both sides of the face."""
    return sum(_gauss(x, y, k * cx, cy, sx, sy) for k in (-1, 1))


def _warp_towards(points: np.ndarray, target: np.ndarray, scale: float) -> np.ndarray:
    """Conformal sphere map that gathers points around ``target`` (density x 1/scale^2 there)."""
    t = target / np.linalg.norm(target)
    # an orthonormal frame with t as its "north"
    a = np.array([1.0, 0, 0]) if abs(t[0]) < 0.9 else np.array([0, 1.0, 0])
    e1 = np.cross(t, a)
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(t, e1)
    x, y, z = points @ e1, points @ e2, points @ t
    denom = np.maximum(1 + z, 1e-9)
    u, v = scale * x / denom, scale * y / denom  # stereographic from the south pole, scaled
    r2 = u * u + v * v
    x2, y2, z2 = 2 * u / (1 + r2), 2 * v / (1 + r2), (1 - r2) / (1 + r2)
    south = z < -1 + 1e-9
    out = x2[:, None] * e1 + y2[:, None] * e2 + z2[:, None] * t
    out[south] = -t
    return out


def shape_head(directions: np.ndarray, s: HeadShape) -> np.ndarray:
    """Map unit directions to points on the head surface."""
    dx, dy, dz = directions.T
    a, b, c = 0.074 * s.width, 0.108 * s.height, 0.094 * s.depth
    x, y, z = a * dx, b * dy, c * dz
    z = z - 0.006 * _smoothstep(0.3, -0.6, dy) * (dz < 0)  # flatter back of the lower skull
    # jaw: the lower face narrows towards the chin, the cheeks stay full
    low = _smoothstep(0.0, -0.95, dy)
    x = x * (1 - 0.30 * low / s.jaw_width ** 0.5)
    z = z + 0.012 * low * _smoothstep(0.2, 0.8, dz)  # lower face comes forward (muzzle)
    front = _smoothstep(0.15, 0.6, dz)
    # neck: the bottom of the sphere becomes a short cylinder
    wn = _smoothstep(-0.62, -0.92, dy)
    rxz = np.maximum(np.hypot(dx, dz), 1e-6)
    rn = 0.050 * s.width
    x = x * (1 - wn) + wn * rn * dx / rxz
    z = z * (1 - wn) + wn * (-0.012 + rn * dz / rxz)
    y = y * (1 - wn) + wn * (-0.085 - 0.09 * _smoothstep(-0.62, -1.0, dy))
    # facial features, as forward (z) offsets in face coordinates (x, y)
    ym = MOUTH_Y
    feat = np.zeros_like(x)
    nose_top, nose_tip = 0.022, -0.020 * s.nose
    t = np.clip((nose_top - y) / (nose_top - nose_tip), 0, 1)
    nose_h = (0.006 + 0.020 * t ** 1.5) * s.nose
    nose_w = (0.007 + 0.008 * t) * s.nose_width
    under = np.exp(-(np.maximum(nose_tip - y, 0) / 0.006) ** 2) * (y > nose_top - 0.08)
    over = np.exp(-(np.maximum(y - nose_top, 0) / 0.012) ** 2)
    feat += nose_h * np.exp(-((x / nose_w) ** 2)) * under * over
    feat += 0.004 * s.nose_width * (_gauss(x, y, 0.012, nose_tip + 0.004, 0.006, 0.005)
                                    + _gauss(x, y, -0.012, nose_tip + 0.004, 0.006, 0.005))  # nostril wings
    for sx in (-1, 1):
        feat -= 0.012 * _gauss(x, y, sx * 0.031, 0.019, 0.015, 0.010)  # eye socket
        feat += 0.007 * _gauss(x, y, sx * 0.031, 0.017, 0.010, 0.006)  # closed eyelid / eyeball
        feat += 0.006 * s.brow * _gauss(x, y, sx * 0.030, 0.036, 0.022, 0.006)  # brow ridge
        feat += 0.010 * s.cheeks * _gauss(x, y, sx * 0.040, -0.012, 0.016, 0.018)  # cheek
    mw = 0.024 * s.mouth_width
    lipmask = np.exp(-((x / mw) ** 4))
    feat += 0.010 * _gauss(x, y, 0, ym + 0.002, 0.032, 0.022)  # muzzle around the mouth
    feat += 0.0055 * s.lips * lipmask * np.exp(-(((y - ym - 0.0055) / 0.0045) ** 2))  # upper lip
    feat += 0.0070 * s.lips * lipmask * np.exp(-(((y - ym + 0.0065) / 0.0055) ** 2))  # lower lip
    feat -= 0.0045 * np.exp(-((x / (mw * 1.05)) ** 4)) * np.exp(-(((y - ym) / 0.0014) ** 2))  # mouth line
    feat -= 0.004 * _gauss(x, y, 0, ym - 0.018, 0.018, 0.005)  # groove above the chin
    feat += 0.010 * s.chin * _gauss(x, y, 0, -0.088 - 0.004 * s.chin, 0.020, 0.012)  # chin
    z = z + feat * front * (1 - wn)
    # ears
    for sx in (-1, 1):
        ear = np.exp(-(((dy - 0.02) / 0.16) ** 2) - ((dz + 0.08) / 0.13) ** 2) * (sx * dx > 0)
        x = x + sx * 0.016 * ear * np.abs(dx) ** 4
    return np.stack([x, y, z], 1)


@dataclass
class SynthHead:
    """A head mesh, its region masks and its rig (linear fields + jaw pivot)."""

    vertices: np.ndarray  # [V,3] float32 rest pose
    face_indices: np.ndarray  # flat int32
    face_sizes: np.ndarray  # int32 [F]
    lip_indices: np.ndarray
    upper_face_indices: np.ndarray
    fields: np.ndarray  # [K, V, 3] float32, see RIG_FIELDS
    jaw_reference: np.ndarray  # [3] lower-lip point, relative to the jaw pivot
    max_jaw_angle: float
    blink: np.ndarray | None = None  # [V, 3] float32: both eyes shut (a bake's blink layer; no channel drives it)

    def animate(self, articulation: np.ndarray) -> np.ndarray:
        """Articulation [T, len(CHANNELS)] in 0..1 -> vertices [T, V, 3] float32."""
        return animate(self, articulation)


RIG_FIELDS = ("jaw_cos", "jaw_sin", "cavity", "close", "press", "round", "spread",
              "lab_lift", "lab", "brow_raise", "brow_furrow") + EXPRESSION_CHANNELS


def build_head(shape: HeadShape, style: Style) -> SynthHead:
    dirs, flat, sizes = sphere(shape.topology, shape.vertices)
    dirs = _warp_towards(dirs, np.array([0.0, -0.30, 1.0]), 0.42)
    p = shape_head(dirs, shape)
    x, y, z = p.T
    ym = MOUTH_Y
    mw = 0.024 * shape.mouth_width
    front = _smoothstep(0.02, 0.06, z)
    # the lip surface: z of the lips at the mouth line, to place the jaw pivot
    near = np.abs(x) < mw * 0.5
    near &= np.abs(y - ym) < 0.012
    z_lips = float(z[near].max()) if near.any() else 0.09
    pivot = np.array([0.0, ym + 0.048, z_lips - 0.095])
    rel = p - pivot
    # jaw weight: below the mouth line (sharp at the lips, softer across the cheeks)
    sharp = 0.0012 + 0.010 * _smoothstep(mw, mw * 2.2, np.abs(x))
    boundary = ym + 0.020 * _smoothstep(mw * 0.9, mw * 2.6, np.abs(x))
    wj = _sigmoid((boundary - y) / sharp)
    wj *= _smoothstep(-0.03, 0.03, z) * (1 - _smoothstep(-0.11, -0.14, y) * 0)  # front part of the head
    wj *= 1 - 0.8 * _smoothstep(-0.10, -0.13, y)  # the neck barely moves
    asym = 1 + style.asymmetry * np.clip(x / mw, -1.5, 1.5)
    wj = wj * np.clip(asym, 0.3, 2.0) ** 0.5
    jaw_cos = wj[:, None] * np.stack([np.zeros_like(x), rel[:, 1], rel[:, 2]], 1)
    # the condyle also slides forward as the jaw opens, so the chin drops more than it retracts
    jaw_sin = wj[:, None] * np.stack([np.zeros_like(x), -rel[:, 2], rel[:, 1] + 0.045], 1)
    upper = _sigmoid((y - ym) / 0.0012)
    lipmask = np.exp(-((x / (mw * 1.08)) ** 4)) * front
    region = lipmask * np.exp(-(((y - ym) / 0.013) ** 2))  # both lips and a margin
    band = np.exp(-((x / (mw * 0.98)) ** 6)) * np.exp(-(((y - ym) / 0.0032) ** 2)) * front  # inner lips
    zero = np.zeros_like(x)
    cavity = np.stack([zero, 0.10 * upper * region, -0.9 * band - 0.1 * region], 1) * asym[:, None]
    close = np.stack([zero, (-0.38 * upper + 0.66 * (1 - upper)) * region, zero], 1) * asym[:, None]
    press = np.stack([zero, -0.0008 * (y - ym) / 0.006 * region, -0.0018 * region], 1) * style.press
    wide = np.exp(-((x / (mw * 1.5)) ** 4)) * np.exp(-(((y - ym) / 0.016) ** 2)) * front
    rnd = np.stack([-0.40 * x * wide, 0.10 * (y - ym) * wide, 0.0075 * wide], 1) * style.round
    corner = np.clip(np.abs(x) / mw, 0, 1.6) ** 2
    spread = np.stack([0.22 * x * wide, 0.0018 * corner * wide, -0.0030 * corner * wide], 1) * style.spread
    lower = (1 - upper) * region
    lab_lift = np.stack([zero, 0.9 * lower, zero], 1)
    lab = np.stack([zero, 0.0030 * lower + 0.0012 * upper * region, -0.0055 * lower + 0.0008 * upper * region], 1)
    brow_w = _both_sides(x, y, 0.030, 0.037, 0.020, 0.010) * front
    forehead = _gauss(x, y, 0, 0.06, 0.05, 0.025) * front
    brow_raise = np.stack([zero, 0.0045 * brow_w + 0.0015 * forehead, 0.0006 * brow_w], 1) * style.brow
    inner = _both_sides(x, y, 0.017, 0.034, 0.012, 0.009) * front
    brow_furrow = np.stack([-0.0025 * np.sign(x) * inner, -0.0025 * inner, 0.0008 * inner], 1) * style.brow
    fields = np.stack([jaw_cos, jaw_sin, cavity, close, press, rnd, spread, lab_lift, lab,
                       brow_raise, brow_furrow, *expression_fields(p, shape, front)]).astype(np.float32)
    lips = np.flatnonzero((np.abs(x) < mw * 1.15) & (np.abs(y - ym) < 0.013) & (z > z_lips - 0.015))
    upper_face = np.flatnonzero((y > 0.005) & (y < 0.075) & (np.abs(x) < 0.055) & (z > 0.03))
    ref = np.array([0.0, ym - 0.004, z_lips]) - pivot
    return SynthHead(vertices=p.astype(np.float32), face_indices=flat.astype(np.int32), face_sizes=sizes,
                lip_indices=lips.astype(np.int32), upper_face_indices=upper_face.astype(np.int32),
                fields=fields, jaw_reference=ref, max_jaw_angle=0.24 * style.jaw,
                blink=blink_field(p, shape, front))


def expression_fields(p: np.ndarray, s: HeadShape, front: np.ndarray) -> list[np.ndarray]:
    """The displacement fields [V, 3] of ``EXPRESSION_CHANNELS`` at full strength, for a head of rest positions
    ``p`` (face coordinates: x lateral, y up, z forward; metres): mouth corners up and back (smile) or down
    (frown), cheeks up, lower lids up (squint), upper lids and the skin above them up (wide eyes), the inner
    brows up, the nose wings and upper lip up (sneer), the lower lip down off the teeth (lip_down)."""
    x, y, _ = p.T
    ym, mw = MOUTH_Y, 0.024 * s.mouth_width
    side = np.sign(x)

    def both(cx, cy, sx, sy):
        return _both_sides(x, y, cx, cy, sx, sy) * front

    corners = both(mw * 0.95, ym, 0.011, 0.009)
    cheeks = both(0.040, -0.008, 0.016, 0.014)
    zero = np.zeros_like(x)
    smile = np.stack([0.0050 * side * corners, 0.0065 * corners + 0.0020 * cheeks,
                      -0.0025 * corners + 0.0012 * cheeks], 1)
    frown = np.stack([-0.0012 * side * corners, -0.0065 * corners, -0.0005 * corners], 1)
    cheek_raise = np.stack([zero, 0.0030 * cheeks, 0.0022 * cheeks], 1)
    lower_lids = both(0.031, 0.011, 0.012, 0.004)
    squint = np.stack([zero, 0.0035 * lower_lids, 0.0012 * lower_lids], 1)
    upper_lids = both(0.031, 0.026, 0.013, 0.005)
    lid_wide = np.stack([zero, 0.0038 * upper_lids, -0.0005 * upper_lids], 1)
    inner = both(0.012, 0.036, 0.008, 0.008)
    brow_inner = np.stack([zero, 0.0060 * inner, 0.0008 * inner], 1) * s.brow
    wings = both(0.012, -0.020 * s.nose + 0.006, 0.007, 0.007)
    lip = _gauss(x, y, 0.0, ym + 0.006, 0.010, 0.004) * front
    sneer = np.stack([zero, 0.0045 * wings + 0.0020 * lip, 0.0012 * wings], 1)
    lower = np.exp(-((x / (mw * 0.9)) ** 4)) * _gauss(x, y, 0.0, ym - 0.007, 1.0, 0.005) * front
    lip_down = np.stack([zero, -0.0030 * lower, 0.0008 * lower], 1)
    return [smile, frown, cheek_raise, squint, lid_wide, brow_inner, sneer, lip_down]


def blink_field(p: np.ndarray, s: HeadShape, front: np.ndarray) -> np.ndarray:
    """[V, 3] float32: both eyes shut. The upper lids come down over the eyeballs (and forward over their
    bulge), the lower lids rise a little to meet them. Not a rig channel: a bake adds it as its blink layer
    (``multanet_core/blinks.py``), so the network never has to guess blinks."""
    x, y, _ = p.T
    upper = _both_sides(x, y, 0.031, 0.024, 0.013, 0.005) * front
    lower = _both_sides(x, y, 0.031, 0.011, 0.012, 0.003) * front
    return np.stack([np.zeros_like(x), -0.0070 * upper + 0.0012 * lower, 0.0018 * upper], 1).astype(np.float32)


def rig_weights(head: SynthHead, articulation: np.ndarray) -> np.ndarray:
    """Articulation [T, C] -> per-frame weights of the rig fields [T, K]. ``C`` is ``len(CHANNELS)``, or the 7
    speech channels alone (curves from before expressions: no expression)."""
    art = np.clip(np.asarray(articulation, np.float64), 0.0, 1.0)
    if art.shape[1] == len(SPEECH_CHANNELS):
        art = np.concatenate([art, np.zeros((len(art), len(EXPRESSION_CHANNELS)))], 1)
    jaw, close, rnd, spread, lab, brow, furrow = (art[:, i] for i in range(len(SPEECH_CHANNELS)))
    theta = head.max_jaw_angle * jaw
    cos, sin = np.cos(theta), np.sin(theta)
    ry, rz = head.jaw_reference[1], head.jaw_reference[2]
    gap = -((cos - 1) * ry - sin * rz)  # how far the lower lip drops
    gap = np.maximum(gap, 0.0)
    open_ = gap * (1 - close) * (1 - 0.8 * lab)
    expression = art[:, len(SPEECH_CHANNELS):]
    return np.concatenate([np.stack([cos - 1, sin, open_, close * gap, close, rnd, spread, lab * gap, lab, brow,
                                     furrow], 1), expression], 1)


def animate(head: SynthHead, articulation: np.ndarray) -> np.ndarray:
    w = rig_weights(head, articulation).astype(np.float32)
    k, v, _ = head.fields.shape
    motion = w @ head.fields.reshape(k, v * 3)
    return (motion.reshape(len(w), v, 3) + head.vertices[None]).astype(np.float32)
