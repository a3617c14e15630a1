"""The cast: each character's voice, head and articulation style, fixed by its index alone.

The first 14 are hand-designed for variety (men, women, a child-like and a gruff voice; five
topologies; 1,000 to 15,000 vertices, one close to 5,000). Characters beyond 14 are drawn from a
generator seeded by their index, so ``--characters 20`` keeps the first 14 unchanged.
The corpus ``--seed`` never changes a character, only the sentences it records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multanet_core.espeak import Voice

from .head import HeadShape, Style
from .topology import TOPOLOGIES


@dataclass(frozen=True)
class Character:
    index: int
    name: str
    kind: str  # "man", "woman", "child", "gruff"
    voice: Voice
    shape: HeadShape
    style: Style

    def to_json(self) -> dict:
        return {
            "index": self.index, "kind": self.kind, "voice": self.voice.to_json(),
            "topology": self.shape.topology, "style": self.style.to_json(),
            "shape": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self.shape.__dict__.items()},
        }


# name, kind, (variant, pitch, range, rate), (topology, vertices), shape overrides, style overrides
_CAST = [
    ("arthur", "man", ("m3", 40, 55, 165), ("uv_quads", 1000), {}, {"jaw": 1.0}),
    ("beatrix", "woman", ("f2", 65, 70, 175), ("quadsphere", 5000),
     {"width": 0.93, "nose": 0.85, "lips": 1.2, "chin": 0.8}, {"round": 1.2, "spread": 1.1}),
    ("cornelius", "man", ("m1", 35, 45, 150), ("geodesic", 15000),
     {"width": 1.05, "nose": 1.2, "jaw_width": 1.2, "chin": 1.3}, {"jaw": 0.8, "asymmetry": 0.12}),
    ("dot", "child", ("f5", 95, 85, 170), ("uv_tris_x", 2000),
     {"width": 0.9, "height": 0.88, "nose": 0.7, "chin": 0.6, "cheeks": 1.4}, {"jaw": 1.2, "brow": 1.4}),
    ("edith", "woman", ("f4", 70, 60, 160), ("scan", 3000),
     {"height": 1.05, "nose": 1.05, "lips": 0.9}, {"anticipation": 0.6, "round": 0.9}),
    ("frank", "man", ("m7", 45, 40, 185), ("quadsphere", 1500),
     {"width": 1.08, "depth": 1.05, "mouth_width": 1.1}, {"spread": 1.3, "asymmetry": -0.15}),
    ("greta", "woman", ("f1", 60, 65, 190), ("geodesic", 2500),
     {"width": 0.95, "lips": 1.3, "mouth_width": 0.92}, {"round": 1.3, "press": 1.4}),
    ("hector", "gruff", ("croak", 15, 30, 145), ("uv_quads", 2500),
     {"width": 1.1, "jaw_width": 1.35, "brow": 1.5, "nose": 1.15}, {"jaw": 0.7, "brow": 0.6}),
    ("iris", "woman", ("f3", 75, 75, 180), ("scan", 1200),
     {"height": 0.97, "cheeks": 1.2}, {"anticipation": 0.3, "brow": 1.3}),
    ("jasper", "man", ("m2", 50, 50, 170), ("uv_tris_x", 1000),
     {"depth": 0.95, "nose": 1.3, "nose_width": 1.2}, {"jaw": 1.1, "asymmetry": 0.2}),
    ("kit", "child", ("m5", 85, 90, 195), ("quadsphere", 2000),
     {"width": 0.88, "height": 0.85, "chin": 0.5, "cheeks": 1.3}, {"spread": 1.2, "jaw": 1.15}),
    ("leonard", "man", ("m4", 30, 35, 140), ("geodesic", 1000),
     {"width": 1.02, "jaw_width": 1.1, "lips": 0.8}, {"round": 0.8, "anticipation": 0.8}),
    ("mona", "woman", ("f2", 55, 80, 185), ("scan", 2000),
     {"nose": 0.9, "mouth_width": 1.08}, {"asymmetry": -0.25, "press": 0.7}),
    ("nigel", "man", ("m6", 42, 60, 160), ("uv_quads", 3000),
     {"height": 1.06, "chin": 1.4, "brow": 1.2}, {"spread": 0.8, "brow": 1.1}),
]
_VARIANTS = {"man": ["m1", "m2", "m3", "m4", "m6", "m7"], "woman": ["f1", "f2", "f3", "f4"],
             "child": ["f5", "m5"], "gruff": ["croak"]}


def character(index: int) -> Character:
    """The character with this index (0-based); identical in every run."""
    if index < 0:
        raise ValueError("character index must be >= 0")
    if index < len(_CAST):
        name, kind, voice, (topology, vertices), shape, style = _CAST[index]
        return Character(index=index, name=name, kind=kind, voice=Voice(*voice),
                         shape=HeadShape(topology=topology, vertices=vertices, **shape), style=Style(**style))
    rng = np.random.default_rng([index, 0xC0FFEE])
    kind = ("man", "woman", "child", "gruff")[int(rng.choice(4, p=[0.42, 0.42, 0.08, 0.08]))]
    pitch = {"man": (25, 55), "woman": (55, 80), "child": (80, 98), "gruff": (10, 25)}[kind]
    voice = Voice(variant=str(rng.choice(_VARIANTS[kind])), pitch=int(rng.integers(*pitch)),
                  pitch_range=int(rng.integers(30, 90)), rate=int(rng.integers(140, 196)))

    def jitter(lo: float, hi: float) -> float:
        return round(float(rng.uniform(lo, hi)), 3)

    shape = HeadShape(topology=TOPOLOGIES[index % len(TOPOLOGIES)], vertices=int(rng.integers(1000, 4001)),
                      width=jitter(0.9, 1.1), height=jitter(0.9, 1.06), depth=jitter(0.93, 1.07),
                      nose=jitter(0.7, 1.3), nose_width=jitter(0.8, 1.25), chin=jitter(0.5, 1.4),
                      cheeks=jitter(0.8, 1.4), lips=jitter(0.8, 1.3), mouth_width=jitter(0.9, 1.1),
                      jaw_width=jitter(0.9, 1.35), brow=jitter(0.8, 1.5))
    style = Style(jaw=jitter(0.7, 1.2), round=jitter(0.8, 1.3), spread=jitter(0.8, 1.3),
                  asymmetry=jitter(-0.25, 0.25), anticipation=jitter(0.0, 0.8), brow=jitter(0.6, 1.4),
                  press=jitter(0.7, 1.4))
    return Character(index=index, name=f"char{index:03d}", kind=kind, voice=voice, shape=shape, style=style)


def cast(count: int) -> list[Character]:
    return [character(i) for i in range(count)]
