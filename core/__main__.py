"""``python -m core features|info|animate``: the numpy pipeline from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from .audio import load_speech
from .checkpoint import load_checkpoint
from .errors import MulTaNetError
from .inference import Animator
from .lpc import FeatureConfig, features
from .pointcache import write_npy, write_pc2


def cmd_features(args: argparse.Namespace) -> int:
    feats = features(load_speech(args.audio), args.fps, FeatureConfig())
    np.save(args.out, feats)
    print(f"wrote {args.out}: float32 {list(feats.shape)} (frames x grid frames x LPC order)")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    ckpt = load_checkpoint(args.checkpoint)
    net, feat = ckpt.network, ckpt.features
    print(f"checkpoint {args.checkpoint}")
    arch = net.architecture + (f" (ensemble of {net.members})" if net.architecture == "karras" else "")
    print(f"  network   {arch}, {sum(w.size for w in ckpt.weights.values()):,} weights, "
          f"{net.activation}, emotion {net.emotion_dim}-d")
    print(f"  features  LPC order {feat.order}{' + level' if feat.level_channels else ''}, "
          f"{feat.n_frames} frames x {feat.hop} samples "
          f"({1000 * feat.window / feat.sample_rate:.0f} ms window at {feat.sample_rate} Hz); "
          f"trained at {ckpt.fps:g} fps")
    if ckpt.info:
        print("  info      " + ", ".join(f"{k}={v}" for k, v in ckpt.info.items()))
    print(f"  {len(ckpt.heads)} character(s):")
    for h in ckpt.heads:
        print(f"    {h.name}: {h.n_vertices:,} vertices, {h.face_sizes.shape[0]:,} faces, "
              f"{h.n_components} components, {h.lips.size} lip / {h.upper_face.size} upper-face vertices, "
              f"presets: {', '.join(h.presets)}")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    ckpt = load_checkpoint(args.checkpoint)
    animator = Animator(ckpt, args.character)
    emotion = animator.emotion_vector(args.emotion, args.strength)
    samples = load_speech(args.audio)
    coeffs = animator.coefficients(samples, args.fps, emotion)
    n, v = coeffs.shape[0], animator.head.n_vertices
    ext = os.path.splitext(args.out)[1].lower()
    if ext == ".pc2":
        write_pc2(args.out, animator.iter_vertices(coeffs), n, v, start_frame=args.start_frame)
    elif ext == ".npy":
        write_npy(args.out, animator.iter_vertices(coeffs), n, v)
    else:
        raise MulTaNetError(f"--out must end in .npy (vertices) or .pc2 (point cache), got '{args.out}'")
    seconds = samples.shape[0] / ckpt.features.sample_rate
    took = time.perf_counter() - t0
    print(f"wrote {args.out}: {n} frames x {v} vertices of '{animator.head.name}' for {seconds:.2f} s of audio "
          f"at {args.fps:g} fps in {took:.2f} s ({seconds / took:.0f}x real time)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("features", help="LPC features of an audio file: float32 [T, 64, 32] .npy")
    p.add_argument("--audio", required=True)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_features)
    p = sub.add_parser("info", help="what a checkpoint holds")
    p.add_argument("checkpoint")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("animate", help="audio -> vertex animation (.npy [T, V, 3] or .pc2)")
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--character", required=True)
    p.add_argument("--audio", required=True)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--emotion", default=None, help="an emotion preset of the head (default: neutral)")
    p.add_argument("--strength", type=float, default=1.0, help="emotion strength, 0 = neutral")
    p.add_argument("--start-frame", type=float, default=0.0, help="first frame of a .pc2 cache")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_animate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MulTaNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
