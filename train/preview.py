"""``python -m train preview DIR --out preview.png``: a contact sheet of a folder-format corpus.

One row per character, front view (orthographic, Lambert-shaded, faces depth-sorted): the rest
pose, then the frames where the character's own recordings peak on an open vowel, a rounded vowel,
a bilabial (m/b/p) and a labiodental (f/v), found from each sequence's phoneme timeline. Vertices
that went behind their rest position (the mouth opening) are drawn darker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from train.synth.articulation import phoneme_class

COLUMNS = ("rest", "open vowel", "rounded vowel", "bilabial", "labiodental")
_SKIN = np.array([0.86, 0.70, 0.60])
_LIGHT = np.array([0.35, 0.45, 1.0]) / np.linalg.norm([0.35, 0.45, 1.0])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="a folder-format dataset (e.g. from `python -m train synth`)")
    parser.add_argument("--out", type=Path, default=Path("preview.png"), help="PNG to write")
    parser.add_argument("--split", default="train", help="split to search for the peak frames")
    parser.add_argument("--dpi", type=int, default=110, help="resolution of the PNG")


def face_normals(vertices: np.ndarray, flat: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Newell normals of polygons given as flat indices + sizes (unnormalised)."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    normal = np.zeros((len(sizes), 3))
    for k in range(int(sizes.max())):
        has = sizes > k
        a = vertices[flat[starts[has] + k]]
        nxt = np.where(k + 1 < sizes[has], starts[has] + k + 1, starts[has])
        b = vertices[flat[nxt]]
        normal[has] += np.stack([(a[:, 1] - b[:, 1]) * (a[:, 2] + b[:, 2]),
                                 (a[:, 2] - b[:, 2]) * (a[:, 0] + b[:, 0]),
                                 (a[:, 0] - b[:, 0]) * (a[:, 1] + b[:, 1])], 1)
    return normal


def _smoother(flat: np.ndarray, sizes: np.ndarray, n_vertices: int, iterations: int = 12):
    """Uniform Laplacian smoothing over the mesh's edges (a function of a per-vertex scalar)."""
    from scipy.sparse import coo_matrix, diags

    starts = np.repeat(np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    pos = np.arange(len(flat)) - starts
    nxt = flat[starts + (pos + 1) % np.repeat(sizes, sizes)]
    rows, cols = np.concatenate([flat, nxt]), np.concatenate([nxt, flat])
    adj = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_vertices, n_vertices)).tocsr()
    adj.data[:] = 1.0
    step = diags(1.0 / np.maximum(np.asarray(adj.sum(1)).ravel(), 1)) @ adj

    def apply(values: np.ndarray) -> np.ndarray:
        out = np.asarray(values, np.float64)
        for _ in range(iterations):
            out = 0.5 * out + 0.5 * (step @ out)
        return out

    return apply


def draw_mesh(ax, vertices: np.ndarray, flat: np.ndarray, sizes: np.ndarray, rest: np.ndarray | None = None,
              color: np.ndarray = _SKIN) -> None:
    """Front view of a mesh on a matplotlib axis: back faces culled, far faces first, Lambert."""
    from matplotlib.collections import PolyCollection

    v = np.asarray(vertices, np.float64)
    n = face_normals(v, flat, sizes)
    n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-12)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    dark = np.zeros(len(v))
    if rest is not None:  # the mouth opening: vertices sunk below their neighbourhood more than at rest
        smooth = _smoother(flat, sizes, len(v))
        sunk = (smooth(v[:, 2]) - v[:, 2]) - (smooth(rest[:, 2]) - np.asarray(rest)[:, 2])
        dark = np.clip((sunk - 0.0005) / 0.003, 0, 1)
    polys, shade, depth = [], [], []
    for size in np.unique(sizes):
        sel = sizes == size
        idx = flat[starts[sel][:, None] + np.arange(size)]
        keep = n[sel, 2] > 0.0
        idx = idx[keep]
        polys.extend(v[idx][:, :, :2])
        lam = np.clip(n[sel][keep] @ _LIGHT, 0, 1)
        shade.extend(list((0.22 + 0.78 * lam) * (1 - 0.85 * dark[idx].mean(1))))
        depth.extend(list(v[idx][:, :, 2].mean(1)))
    order = np.argsort(depth)
    colors = np.clip(np.asarray(shade)[order, None] * color[None], 0, 1)
    ax.add_collection(PolyCollection([polys[i] for i in order], facecolors=colors, edgecolors=colors,
                                     linewidths=0.15))
    ax.set_xlim(-0.11, 0.11)
    ax.set_ylim(-0.19, 0.125)
    ax.set_aspect("equal")
    ax.axis("off")


def _peak_frames(dataset, character: str, split: str) -> dict[str, tuple[str, int] | None]:
    """For each column, the (sequence id, frame) where that class of sound peaks."""
    tmpl = dataset.template(character)
    lips = tmpl.lip_indices
    best: dict[str, tuple[float, str, int]] = {}
    seqs = [s for s in dataset.sequences(character=character, split=split)] or \
        [s for s in dataset.sequences(character=character)]
    for seq in seqs:
        meta = seq.metadata()
        phonemes = meta.get("phonemes") or []
        if not phonemes:
            continue
        verts = dataset.load_vertices(seq)
        fps = float(meta.get("fps", dataset.fps))
        lip_y = verts[:, lips, 1]
        opening = lip_y.max(1) - lip_y.min(1)  # vertical extent of the lips (jaw drop)
        protrusion = verts[:, lips, 2].mean(1)
        width = verts[:, lips, 0].max(1) - verts[:, lips, 0].min(1)
        for start, end, ipa in phonemes:
            cls = phoneme_class(ipa)
            column = {"open": "open vowel", "rounded": "rounded vowel", "bilabial": "bilabial",
                      "labiodental": "labiodental"}.get(cls)
            if column is None:
                continue
            f0, f1 = int(np.ceil(start * fps)), int(np.floor(end * fps))
            f1 = min(f1, len(verts) - 1)
            if f1 < f0:
                continue
            frames = np.arange(f0, f1 + 1)
            if column == "open vowel":
                score = opening[frames]
            elif column == "rounded vowel":
                score = protrusion[frames] - 0.2 * width[frames]
            else:  # lips together / lower lip up: the middle of the longest one
                score = np.full(len(frames), float(end - start)) - 0.01 * np.abs(frames - frames.mean())
            k = int(np.argmax(score))
            if column not in best or score[k] > best[column][0]:
                best[column] = (float(score[k]), seq.id, int(frames[k]))
    return {c: (best[c][1], best[c][2]) if c in best else None for c in COLUMNS[1:]}


def run(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from train.data import open_dataset

    dataset = open_dataset(args.dir)
    characters = dataset.characters
    fig, axes = plt.subplots(len(characters), len(COLUMNS), figsize=(2.0 * len(COLUMNS), 2.5 * len(characters)),
                             squeeze=False)
    hues = np.array([[0.86, 0.70, 0.60], [0.78, 0.60, 0.48], [0.62, 0.46, 0.36], [0.90, 0.76, 0.66],
                     [0.70, 0.55, 0.45], [0.83, 0.66, 0.52]])
    for row, name in enumerate(characters):
        tmpl = dataset.template(name)
        peaks = _peak_frames(dataset, name, args.split)
        color = hues[row % len(hues)]
        for col, label in enumerate(COLUMNS):
            ax = axes[row, col]
            verts, caption = tmpl.vertices, f"{name} ({len(tmpl.vertices)} v)" if col == 0 else label
            if col > 0:
                peak = peaks[label]
                if peak is None:
                    ax.axis("off")
                    ax.set_title(f"{label}: none", fontsize=7)
                    continue
                seq = next(s for s in dataset.sequences(character=name) if s.id == peak[0])
                verts = dataset.load_vertices(seq)[peak[1]]
                caption = f"{label}\n{peak[0]} f{peak[1]}"
            draw_mesh(ax, verts, tmpl.face_indices, tmpl.face_sizes, rest=tmpl.vertices, color=color)
            ax.set_title(caption, fontsize=7)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=args.dpi)
    plt.close(fig)
    print(f"wrote {args.out} ({len(characters)} characters)", file=sys.stderr)
    return 0
