"""``python -m train blink-shapes --checkpoint A.npz --out B.npz [--data CORPUS]``: give a checkpoint's mesh heads
their blink shapes, so a bake's blink layer (``multanet_core/blinks.py``) can shut their eyes.

A head's blink shape is its eyes shut, as a displacement of its template. ``train export`` writes it for
every head whose corpus template has one (``train synth`` builds it with each procedural head); this command
adds it to a checkpoint exported before that: from ``--data``'s templates, or without it from the procedural
characters themselves (``train/synth/head.py``). A head gets one only when its template is exactly the
character's (same vertices, same order); the network and everything else stay as they are.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from multanet_core.checkpoint import load_checkpoint, save_checkpoint
from multanet_core.errors import MulTaNetError
from multanet_core.text import names, printable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="the checkpoint (.npz) whose mesh heads get blink shapes")
    parser.add_argument("--out", required=True, help="the checkpoint to write (may be --checkpoint itself)")
    parser.add_argument("--data", default=None, help="a corpus whose templates hold the blink shapes (default: the "
                                                     "procedural characters of train synth)")


def _procedural(name: str):
    """The template and blink shape of procedural character ``name`` (None when there is none by that name)."""
    from .synth.characters import cast
    from .synth.head import build_head

    for ch in cast(14):
        if ch.name == name:
            head = build_head(ch.shape, ch.style)
            return head.vertices, head.blink
    return None


def _from_corpus(data: str):
    from .data import open_dataset

    ds = open_dataset(data)

    def find(name: str):
        if name not in ds.characters:
            return None
        t = ds.template(name)
        return t.vertices, t.blink

    return find


def run(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    find = _from_corpus(args.data) if args.data else _procedural
    given, without = [], []
    for i, h in enumerate(ckpt.heads):
        if h.is_rig:
            continue
        found = find(h.name)
        if found is None or found[1] is None or found[0].shape != h.template.shape \
                or not np.allclose(found[0], h.template, atol=1e-6):
            without.append(h.name)
            continue
        ckpt.heads[i] = replace(h, blink=np.asarray(found[1], np.float32))
        given.append(h.name)
    if not given:
        raise MulTaNetError(f"no mesh head of {args.checkpoint} matches a template with a blink shape "
                         f"({'the corpus ' + args.data if args.data else 'the procedural characters'})")
    with np.load(args.checkpoint, allow_pickle=False) as z:  # as it was written (load gives float32)
        dtype = "float16" if z["heads.0.basis"].dtype == np.float16 else "float32"
    save_checkpoint(args.out, ckpt, basis_dtype=dtype)
    print(f"wrote {args.out}: blink shapes for {len(given)} head(s) ({names(given)})"
          + (f"; none for {names(printable(n) for n in without)}" if without else ""))
    return 0
