"""Make the demo's realistic ARKit face from the ICT FaceKit: ``python -m train demo-face --ict DIR``.

The ICT FaceKit (USC Institute for Creative Technologies, MIT licence, repository ICT-VGL/ICT-FaceKit)
ships a neutral head and its expression shapes as OBJ files named like ARKit's blendshapes
(``jawOpen.obj``, ``mouthPress_L.obj``...). This keeps what the demo needs: the face, head and neck,
mouth socket, teeth and eyeballs of the neutral mesh (in metres, Y up), and the shapes that the default
model's rig head drives, as sparse offsets (the vertices a shape moves, int16, in hundredths of a
millimetre), compressed into ``multanet_blender/demo_assets/ict_face.npz`` (0.8 MB) beside the kit's
licence. ``DIR`` is the kit's ``FaceXModel`` folder; ``multanet_blender.demo.load_face`` reads the file.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "multanet_blender" / "demo_assets"
# polygon ranges of the kit's geometries kept (its README): face, head and neck, mouth socket; teeth; eyeballs
POLYGONS = ((0, 13226), (17006, 21496), (21496, 24692))
SHAPES = ("jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthRollLower", "mouthShrugLower",
          "mouthPress_L", "mouthPress_R", "mouthStretch_L", "mouthStretch_R", "mouthSmile_L", "mouthSmile_R",
          "browInnerUp_L", "browInnerUp_R", "browOuterUp_L", "browOuterUp_R", "browDown_L", "browDown_R",
          "eyeBlink_L", "eyeBlink_R")
CM = 0.01  # the kit's units are centimetres
STEP = 1e-5  # offsets are stored in steps of 0.01 mm
MOVES = 2e-5  # a vertex a shape moves by less than this (0.02 mm) is left out of that shape


def read_obj(path: Path) -> tuple[np.ndarray, list[list[int]]]:
    verts, faces = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("v "):
                verts.append([float(x) for x in line.split()[1:4]])
            elif line.startswith("f "):
                faces.append([int(tok.split("/")[0]) - 1 for tok in line.split()[1:]])
    return np.asarray(verts, np.float64), faces


def build(folder: Path) -> dict[str, np.ndarray]:
    neutral, faces = read_obj(folder / "generic_neutral_mesh.obj")
    kept = [faces[i] for a, b in POLYGONS for i in range(a, b)]
    used = np.unique(np.concatenate([np.asarray(f) for f in kept]))
    remap = np.full(len(neutral), -1, np.int64)
    remap[used] = np.arange(len(used))
    rest = neutral[used] * CM
    arrays = {"vertices": rest.astype(np.float32),
              "face_indices": np.concatenate([remap[np.asarray(f)] for f in kept]).astype(np.int32),
              "face_sizes": np.asarray([len(f) for f in kept], np.int32),
              "shape_names": np.asarray(SHAPES), "offset_step": np.float32(STEP)}
    for name in SHAPES:
        shape, _ = read_obj(folder / f"{name}.obj")
        offsets = shape[used] * CM - rest
        moving = np.flatnonzero(np.abs(offsets).max(1) > MOVES)
        arrays[f"{name}.index"] = moving.astype(np.int32)
        arrays[f"{name}.offset"] = np.round(offsets[moving] / STEP).astype(np.int16)
    return arrays


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ict", type=Path, required=True, help="the ICT FaceKit's FaceXModel folder")
    parser.add_argument("--out", type=Path, default=OUT / "ict_face.npz", help="the .npz to write")


def run(args: argparse.Namespace) -> int:
    arrays = build(args.ict)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    moved = sum(len(arrays[f"{n}.index"]) for n in SHAPES)
    print(f"wrote {args.out}: {len(arrays['vertices']):,} vertices, {len(arrays['face_sizes']):,} faces, "
          f"{len(SHAPES)} shapes ({moved:,} vertex offsets), {os.path.getsize(args.out) / 1e6:.2f} MB")
    return 0
