"""The blink layer (multanet_core/blinks.py) on real speech: rate, length, where blinks fall, and its cost.

On data/real_speech's dev speech clips that have phone alignments (degraded copies included), the
bundled default model's ARKit rig head bakes each clip with blinks as a bake does (its predicted lip gap,
jawOpen - mouthClose, keeps blinks off closures). Printed side by side with a baseline that blinks at the
same rate anywhere (no preference, nothing avoided):

* blinks a minute (issue 27: 10-25), and the shortest and longest blink (100-250 ms);
* the share of blinks that overlap an aligned P/B/M phone (target: none);
* blinks a minute of pause against a minute of speech (more in pauses);
* the time the layer adds to a bake of the clips, against the model's own inference;
* with ``--blender``: Generate Lip Sync of a 60 s strip in real Blender with the bundled model, onto its mesh
  head arthur (Shape Keys) and onto an ARKit character (Shape Keys by Name), Blinks on against off, in turn,
  best of 7 each (issue 27: within 1.2x).

Run: python bench/bench_blinks.py [--split dev] [--corpus CORPUS] [--blender]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from multanet_core.blinks import blink_curve, blink_events, blink_seed, line_blinks  # noqa: E402
from multanet_core.checkpoint import load_checkpoint  # noqa: E402
from multanet_core.contact import CLOSED, quiet_weights, seal_direction  # noqa: E402
from multanet_core.inference import Animator  # noqa: E402
from train.evaluate_real import load_clips, select  # noqa: E402
from train.speech_metrics import phone_class  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FPS = 30.0
RATE = 16000
KEYS = ("layer", "anywhere")


def _overlaps(blinks, intervals) -> list[bool]:
    return [any(b.start_s < e and s < b.end_s for s, e in intervals) for b in blinks]


def _shut_on(curve: np.ndarray, intervals) -> int:
    """Frames inside a P/B/M phone with the eyes more than half shut."""
    t = np.arange(len(curve)) / FPS
    inside = np.zeros(len(curve), bool)
    for s, e in intervals:
        inside |= (t >= s) & (t < e)
    return int((inside & (curve > 0.5)).sum())


def score(animator: Animator, seal, lines) -> dict:
    """``lines``: (name, samples at 16 kHz, phones) -> the layer's figures and the baseline's."""
    g, offset = seal
    out = {k: {"blinks": [], "pbm": [], "shut": 0, "pause_blinks": 0, "speech_blinks": 0} for k in KEYS}
    out.update(minutes=0.0, pause_min=0.0, speech_min=0.0, t_model=0.0, t_layer=0.0, lines=0)
    for name, samples, phones in lines:
        t0 = time.perf_counter()
        c = animator.coefficients(samples, FPS)
        t1 = time.perf_counter()
        opening = c @ g + offset
        seed = blink_seed("bench", name)
        closed = None if animator.last_contact is None else animator.last_contact[:, CLOSED]
        layer, curve = line_blinks(samples, RATE, FPS, opening, seed, closed)
        out["t_layer"] += time.perf_counter() - t1
        out["t_model"] += t1 - t0
        n = len(opening)
        anywhere = blink_events(n, FPS, seed)
        pbm = [(float(s), float(e)) for s, e, p in phones if phone_class(str(p)) == "bilabial"]
        pause = quiet_weights(samples, RATE, FPS, n) >= 0.5
        out["minutes"] += n / FPS / 60
        out["pause_min"] += pause.sum() / FPS / 60
        out["speech_min"] += (~pause).sum() / FPS / 60
        out["lines"] += 1
        for key, events, shape in (("layer", layer, curve), ("anywhere", anywhere, blink_curve(anywhere, n, FPS))):
            s = out[key]
            s["blinks"] += events
            s["pbm"] += _overlaps(events, pbm)
            s["shut"] += _shut_on(shape, pbm)
            for b in events:
                in_pause = pause[min(int(round(b.peak_s * FPS)), n - 1)]
                s["pause_blinks" if in_pause else "speech_blinks"] += 1
    return out


def show(title: str, r: dict) -> None:
    print(f"{title}: {r['lines']} lines, {r['minutes']:.1f} min ({r['pause_min']:.1f} min of pauses)")
    for key, label in (("layer", "blink layer"), ("anywhere", "baseline: same rate, anywhere")):
        s = r[key]
        d = np.array([b.duration_s for b in s["blinks"]]) * 1000
        print(f"  {label}: {len(s['blinks']) / r['minutes']:.1f} blinks/min (10-25), {d.min():.0f}-{d.max():.0f} ms, "
              f"overlapping a P/B/M {100 * np.mean(s['pbm']):.1f} % of blinks, eyes half shut on "
              f"{s['shut']} P/B/M frames, {s['pause_blinks'] / max(r['pause_min'], 1e-9):.1f}/min in pauses vs "
              f"{s['speech_blinks'] / max(r['speech_min'], 1e-9):.1f}/min in speech")
    a, b = r["layer"], r["anywhere"]
    print(f"  ratio to baseline: blinks overlapping a P/B/M {np.mean(a['pbm']) / max(np.mean(b['pbm']), 1e-9):.2f}x; "
          f"time: the layer {1000 * r['t_layer']:.0f} ms against the model's {1000 * r['t_model']:.0f} ms "
          f"({r['t_layer'] / r['t_model']:.3f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--checkpoint", default=str(ROOT / "multanet_blender" / "models" / "default.npz"))
    parser.add_argument("--corpus", help="also a synthetic corpus's English test sequences (exact phone timelines)")
    parser.add_argument("--blender", action="store_true", help="also the 60 s bake in Blender, Blinks on and off")
    args = parser.parse_args()
    ckpt = load_checkpoint(args.checkpoint)
    head = next(h for h in ckpt.heads if h.is_rig)
    animator = Animator(ckpt, head.name)
    seal = seal_direction(head, "XYZ".index(ckpt.up_axis))
    print(f"rig head '{head.name}' of {Path(args.checkpoint).name}")
    clips = [c for c in select(load_clips(ROOT / "data" / "real_speech"), args.split) if c.speech and c.phones]
    show(f"real speech, {args.split}", score(animator, seal, ((c.name, c.samples, c.phones) for c in clips)))
    if args.corpus:
        from multanet_core.audio import prepare
        from train.data import open_dataset

        ds = open_dataset(args.corpus)
        seqs = [q for q in ds.sequences(split="test") if str(q.metadata().get("language", "")).startswith("en")]

        def lines():
            for q in seqs[::2]:
                samples, rate = ds.load_audio(q)
                yield q.id, prepare(samples, rate), q.metadata()["phonemes"]

        show("synthetic English test (every 2nd)", score(animator, seal, lines()))
    if args.blender:
        bake_times(args.checkpoint)


def bake_times(checkpoint: str, seconds: float = 60.0) -> None:
    """Generate Lip Sync of a ``seconds`` strip, Blinks on against off, on a mesh head and an ARKit character."""
    import tempfile

    import bpy

    import multanet_blender
    from bench.common import best_of, speech_file
    from multanet_blender import blender_compat
    from multanet_core.rig_names import ARKIT_52

    tmp = tempfile.mkdtemp(prefix="bench_blinks_")
    audio = speech_file(seconds, tmp)
    bpy.ops.wm.read_factory_settings(use_empty=True)
    multanet_blender.register()
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1
    blender_compat.top_strips(scene).new_sound("line", audio, 1, 1)
    bpy.ops.multanet.add_head_mesh(checkpoint=checkpoint, head="arthur")
    bpy.ops.mesh.primitive_uv_sphere_add()
    rig = bpy.context.active_object
    rig.shape_key_add(name="Basis")
    for name in ARKIT_52:
        rig.shape_key_add(name=name)
    for obj, head, mode in ((bpy.data.objects["arthur"], "arthur", "SHAPE_KEYS"), (rig, "arkit", "BY_NAME")):
        times = {False: float("inf"), True: float("inf")}
        for _ in range(7):  # off and on in turn, so drifting load hits both alike; the best of each
            for blinks in (False, True):
                t, _ = best_of(lambda o=obj, h=head, m=mode, b=blinks: bpy.ops.multanet.generate_lip_sync(
                    object=o.name, checkpoint=checkpoint, head=h, strip="line", bake_mode=m, blinks=b), 1)
                times[blinks] = min(times[blinks], t)
        print(f"  {seconds:g} s bake, {mode} onto {head}: blinks off {times[False]:.3f} s, on {times[True]:.3f} s "
              f"({times[True] / times[False]:.2f}x; issue 27: <= 1.2x)")


if __name__ == "__main__":
    main()
