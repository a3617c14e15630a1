"""``python -m multanet_core features|info|animate``: the numpy pipeline from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from .atomic import atomic_write
from .audio import load_speech
from .blinks import add_blinks, blink_seed
from .checkpoint import Checkpoint, load_checkpoint
from .contact import speech_warning
from .errors import MulTaNetError
from .inference import Animator
from .lpc import FeatureConfig, features
from .paths import require_output_path
from .pointcache import write_npy, write_pc2
from .script import DEFAULT_LANGUAGE, align_script, line_text
from .text import help_text, names, printable
from .weights_export import LAYOUTS, driven_names, weights_file

FPS_RANGE = (1.0, 1000.0)  # animation rates the command line accepts
MAX_OUTPUT_BYTES = 4 << 30  # a larger vertex output needs --allow-large (1 h of a 5,000-vertex head at 30 fps: 6.5 GB)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _fps(text: str) -> float:
    value = _number(text)
    if not FPS_RANGE[0] <= value <= FPS_RANGE[1]:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"{text} is outside {FPS_RANGE[0]:g}-{FPS_RANGE[1]:g} frames per second")
    return value


def _finite(text: str) -> float:
    value = _number(text)
    if not np.isfinite(value) or abs(value) > 1e9:
        raise argparse.ArgumentTypeError(f"{text} is not a finite number below 1e9 in size")
    return value


def _unit(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is outside 0-1")
    return value


def _size(n_bytes: float) -> str:
    return f"{n_bytes / (1 << 30):.1f} GB" if n_bytes >= 1 << 30 else f"{n_bytes / (1 << 20):.1f} MB"


def cmd_features(args: argparse.Namespace) -> int:
    require_output_path(args.out, "--out", MulTaNetError)
    feats = features(load_speech(args.audio), args.fps, FeatureConfig())
    with atomic_write(args.out) as f:  # a full disk leaves the old file (or none), never a truncated one
        np.save(f, feats)
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
    info = ckpt.info or {}
    if info.get("trained"):
        done = f"{info['epochs']}/{info.get('epochs_planned', info['epochs'])} epochs" if "epochs" in info else ""
        secs = f"{float(info['train_seconds']):,.0f} s" if isinstance(info.get("train_seconds"), (int, float)) else ""
        parts = [f"config {info['config']}" if "config" in info else "", done,
                 f"{secs} on {info['device']}" if secs and "device" in info else secs,
                 f"exported {info['exported']}" if "exported" in info else ""]
        print(printable("  training  " + ", ".join(p for p in parts if p)))
        base = info.get("init_info") if isinstance(info.get("init_info"), dict) else None
        if base and base.get("trained") and info.get("characters_trained"):  # heads added to a trained model
            print(printable(f"  added     head(s) {', '.join(map(str, info['characters_trained']))} to a model "
                            f"trained with config {base.get('config', '?')}, {base.get('epochs', '?')} epochs"
                            + (f", warm-started from {_warm_from(base)}" if _warm_from(base) else "")))
        elif _warm_from(info):
            print(printable(f"  from      {_warm_from(info)} (a warm start)"))
    elif info.get("trained") is False:
        print("  training  untrained (random weights)")
    taps = ckpt.coefficient_filter
    print(f"  output    up axis {ckpt.up_axis}; coefficient filter "
          + (", ".join(f"{c:g}" for c in taps) if taps is not None else "none"))
    if args.verbose:
        for key, value in info.items():
            print(printable(f"    {key}: {value}"))  # (values from the file: no raw control characters)
    elif info:
        print(f"  ({len(info)} provenance fields: python -m multanet_core info --verbose)")
    print(f"  {len(ckpt.heads)} character(s):")
    for h in ckpt.heads:
        if h.is_rig:
            shown = names(h.weight_names[:6]) + (", ..." if len(h.weight_names) > 6 else "")
            print(f"    {printable(h.name)}: rig head, {len(h.weight_names)} named weights ({shown}), "
                  f"{h.n_components} components, presets: {names(h.presets)}")
            continue
        print(f"    {printable(h.name)}: {h.n_vertices:,} vertices, {h.face_sizes.shape[0]:,} faces, "
              f"{h.n_components} components, {h.lips.size} lip / {h.upper_face.size} upper-face vertices, "
              f"presets: {names(h.presets)}")
    blinking = [h.name for h in ckpt.mesh_heads if h.blink is not None]
    if blinking:
        print(f"  blink shapes: {len(blinking)} of {len(ckpt.mesh_heads)} mesh heads"
              + ("" if len(blinking) == len(ckpt.mesh_heads) else f" ({names(blinking)})"))
    return 0


def _warm_from(info: dict) -> str:
    """'a model of config X, N epochs': what ``info``'s training was warm-started from ('' if it was not)."""
    warm = info.get("warm_start_info")
    if not isinstance(warm, dict):
        return ""
    return f"a model of config {warm.get('config', '?')}, {warm.get('epochs', '?')} epochs"


def cmd_animate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    require_output_path(args.out, "--out", MulTaNetError)
    ext = os.path.splitext(args.out)[1].lower()
    if ext not in (".npy", ".pc2", *LAYOUTS):
        raise MulTaNetError(f"--out must end in .npy (vertices), .pc2 (point cache), .csv (ARKit weights, Live Link "
                            f"Face) or .json (ARKit weights, Audio2Face), got '{args.out}'")
    ckpt = load_checkpoint(args.checkpoint)
    animator = Animator(ckpt, args.character)
    if ext in LAYOUTS:
        return _animate_weights(args, ext, ckpt, animator, t0)
    name = printable(animator.head.name)
    if args.blinks and not animator.head.is_rig and animator.head.blink is None:
        raise MulTaNetError(f"--blinks: mesh head '{name}' has no blink shape (python -m train blink-shapes gives "
                            f"the procedural heads theirs); a rig head blinks on eyeBlinkLeft and eyeBlinkRight "
                            f"(--out NAME.csv or NAME.json)")
    if animator.head.is_rig:
        raise MulTaNetError(f"head '{name}' is a rig head: it gives named weights, not vertices for "
                            f"{ext}; write them with --out NAME.csv (Live Link Face) or NAME.json (Audio2Face)")
    samples, coeffs = _speech_coefficients(args, animator)
    n, v = coeffs.shape[0], animator.head.n_vertices
    size = 12.0 * n * v
    if size > MAX_OUTPUT_BYTES and not args.allow_large:
        raise MulTaNetError(f"{args.out} would be {_size(size)} ({n:,} frames x {v:,} vertices); the limit is "
                            f"{_size(MAX_OUTPUT_BYTES)}: split the audio, or pass --allow-large")
    if size > 256 << 20:
        print(f"writing {_size(size)} to {args.out}", file=sys.stderr)
    chunks = animator.iter_vertices(coeffs)
    if args.blinks:  # the head's blink shape, by the blink layer
        chunks = _blinking(chunks, _blink_curve(args, animator, samples, coeffs), animator.head.blink)
    if ext == ".pc2":
        write_pc2(args.out, chunks, n, v, start_frame=args.start_frame)
    elif ext == ".npy":
        write_npy(args.out, chunks, n, v)
    seconds = samples.shape[0] / ckpt.features.sample_rate
    took = time.perf_counter() - t0
    print(f"wrote {args.out}: {n} frames x {v} vertices of '{name}' for {seconds:.2f} s of audio "
          f"at {args.fps:g} fps in {took:.2f} s ({seconds / took:.0f}x real time)")
    return 0


def _blink_curve(args: argparse.Namespace, animator: Animator, samples: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """``--blinks``: the blink layer [T] of the audio, seeded from its file name and the head."""
    seed = blink_seed(os.path.basename(args.audio), animator.head.name)
    return animator.blink_curve(samples, args.fps, coeffs, seed)


def _blinking(chunks, curve: np.ndarray, blink: np.ndarray):
    """Vertex chunks [t, V, 3] with ``blink`` [V, 3] added by ``curve`` [T], frame by frame."""
    start = 0
    for verts in chunks:
        yield verts + curve[start:start + len(verts), None, None] * blink[None]
        start += len(verts)


def _speech_coefficients(args: argparse.Namespace, animator: Animator) -> tuple[np.ndarray, np.ndarray]:
    """The audio's samples and the animator's coefficients for them, with ``--emotion``, ``--strength``,
    ``--lip-contact`` and the line's text (``--text``, ``--text-file`` or the ``.txt`` beside the audio; a note
    when neither a text nor the checkpoint's contact head gives lip contact, a warning for audio that hardly
    sounds like speech and for a text that does not match it)."""
    emotion = animator.emotion_vector(args.emotion, args.strength)
    text, source = line_text(args.text, args.text_file, args.audio, beside=not args.no_text)
    samples = load_speech(args.audio)
    if args.lip_contact is not None and not animator.has_contact and text is None:
        print(f"note: {args.checkpoint} has no lip-contact head and no text was given, so --lip-contact changes "
              f"nothing", file=sys.stderr)
    contact = 1.0 if args.lip_contact is None else args.lip_contact
    script = None
    if text is not None:
        script = align_script(samples, text, args.language, f"'{os.path.basename(args.audio)}'")
        if script.warning:
            print(f"warning: {script.warning}", file=sys.stderr)
        else:
            print(f"script ({source}, {args.language}): {script.note()}", file=sys.stderr)
    coeffs = animator.coefficients(samples, args.fps, emotion, contact=contact, script=script)
    warning = speech_warning(animator.last_contact, f"'{os.path.basename(args.audio)}'", animator.last_quiet)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    return samples, coeffs


def _animate_weights(args: argparse.Namespace, ext: str, ckpt: Checkpoint, animator: Animator, t0: float) -> int:
    """``animate --out x.csv|x.json``: a rig head's ARKit weights in an engine's layout (weights_export)."""
    head = animator.head
    name = printable(head.name)
    layout = LAYOUTS[ext]
    if not head.is_rig:
        rigs = names(h.name for h in ckpt.rig_heads) or "none"
        raise MulTaNetError(f"'{name}' is a mesh head: it gives vertices (.npy or .pc2), not ARKit weights; "
                            f"{ext} ({layout}) needs a rig head (this checkpoint's: {rigs})")
    arkit = driven_names(head.weight_names)
    if not arkit:
        raise MulTaNetError(f"rig head '{name}' gives no ARKit weights ({names(head.weight_names[:6])}"
                            f"{', ...' if len(head.weight_names) > 6 else ''}), so {ext} ({layout}) would be all 0")
    samples, coeffs = _speech_coefficients(args, animator)
    weights = animator.weights(coeffs)
    if args.blinks:
        weights = add_blinks(weights, head.weight_names, _blink_curve(args, animator, samples, coeffs))
    data = weights_file(ext, weights, head.weight_names, args.fps, args.audio)
    with atomic_write(args.out) as f:  # a failed write leaves the old file (or none), never half of one
        f.write(data)
    n = coeffs.shape[0]
    seconds = samples.shape[0] / ckpt.features.sample_rate
    took = time.perf_counter() - t0
    shown = "52 ARKit weights" if len(arkit) == 52 else f"{len(arkit)} of the 52 ARKit weights (the rest 0)"
    blinked = " with blinks" if args.blinks else ""
    print(f"wrote {args.out}: {n} frames x {shown} of '{name}'{blinked} as {layout} for {seconds:.2f} s of audio "
          f"at {args.fps:g} fps in {took:.2f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m multanet_core", description=help_text(__doc__))
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("features", help="LPC features of an audio file: float32 [T, 64, 32] .npy")
    p.add_argument("--audio", required=True, help="speech: WAV, FLAC, Ogg or any format libsndfile reads")
    p.add_argument("--fps", type=_fps, default=30.0, help="video frames per second, 1-1000 (default 30)")
    p.add_argument("--out", required=True, help="the .npy file to write")
    p.set_defaults(func=cmd_features)
    p = sub.add_parser("info", help="what a checkpoint holds")
    p.add_argument("checkpoint", help="a MulTaNet or KarrasNet .npz checkpoint")
    p.add_argument("--verbose", action="store_true", help="every provenance field (the training run, its paths)")
    p.set_defaults(func=cmd_info)
    p = sub.add_parser("animate", help="audio -> vertex animation (.npy [T, V, 3] or .pc2), or a rig head's ARKit "
                                       "weights (.csv Live Link Face, .json Audio2Face)")
    p.add_argument("--checkpoint", required=True,
                   help="a .npz checkpoint (python -m multanet_core info lists its heads)")
    p.add_argument("--character", required=True, help="the head to animate, by name")
    p.add_argument("--audio", required=True, help="speech: WAV, FLAC, Ogg or any format libsndfile reads")
    p.add_argument("--fps", type=_fps, default=30.0, help="frames per second, 1-1000 (default 30)")
    p.add_argument("--emotion", default=None, help="an emotion preset of the head (default: neutral)")
    p.add_argument("--strength", type=_finite, default=1.0, help="emotion strength, 0 = neutral")
    p.add_argument("--lip-contact", type=_unit, default=None, metavar="S",
                   help="0-1 (default 1): how firmly the lips seal at P/B/M and the face rests where nobody speaks; "
                        "needs a checkpoint with a lip-contact head (python -m train contact-head)")
    p.add_argument("--blinks", action="store_true",
                   help="add eye blinks: on a rig head's eyeBlinkLeft and eyeBlinkRight (.csv or .json), or through a "
                        "mesh head's blink shape (.npy or .pc2); about 17 a minute, more in pauses, none while the "
                        "lips close; seeded from the audio file's name")
    p.add_argument("--text", default=None,
                   help="the words the audio says (its script): placed in the audio, they seal the lips at every P/B/M "
                        "and rest the face in pauses, by --lip-contact; a text that does not match the audio gives a "
                        "warning and the audio alone. Default: the .txt beside the audio file, when there is one")
    p.add_argument("--text-file", default=None, help="read the script from this UTF-8 file instead")
    p.add_argument("--no-text", action="store_true", help="ignore a .txt beside the audio file")
    p.add_argument("--language", default=DEFAULT_LANGUAGE,
                   help=f"the script's language, an espeak-ng voice name (default {DEFAULT_LANGUAGE}; es, fr, de, "
                        f"pt-br, ja...)")
    p.add_argument("--start-frame", type=_finite, default=0.0, help="first frame of a .pc2 cache")
    p.add_argument("--out", required=True,
                   help="vertices as .npy float32 [T, V, 3], or a .pc2 point cache; for a rig head, its ARKit weights "
                        "as .csv (Live Link Face) or .json (Audio2Face)")
    p.add_argument("--allow-large", action="store_true",
                   help=f"write vertex output over {_size(MAX_OUTPUT_BYTES)} (refused without it)")
    p.set_defaults(func=cmd_animate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MulTaNetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # ``info M | head``: the reader has what it wanted; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # Python's documented idiom
        sys.exit(141)
