"""Peak memory of reading long audio (issue 28: 2 h of 48 kHz stereo peaked at 11 GB; target <= 1.5 GB).

A 48 kHz stereo 16-bit WAV of ``--seconds`` (default 2 h) of speech is written to a temporary folder, then each
path runs in its own process, which reports its own peak resident memory (``ru_maxrss``), side by side:

(a) before: the whole file decoded, mixed down and resampled at once (``prepare(*read_audio(path))``);
(b) core now: ``multanet_core.audio.load_speech`` (soundfile blocks, mono and resampled as they come);
(c) the add-on's reader where Blender has no soundfile: ``load_pcm_wav`` (Python's ``wave``, blocks);
(d) the whole command line: ``python -m multanet_core animate --character arkit --out x.csv`` on the bundled
    model (reading, features, network, the ARKit CSV).

Run: .venv/bin/python bench/bench_audio_memory.py [--seconds 7200] [--skip-before]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from bench.common import FIXTURE  # noqa: E402

PEAK = "import resource; print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)"
PATHS = {
    "before: whole file at once": "from multanet_core.audio import prepare, read_audio; "
                                  "x = prepare(*read_audio(P)); print('N', len(x))",
    "core now: load_speech (blocks)": "from multanet_core.audio import load_speech; x = load_speech(P); "
                                      "print('N', len(x))",
    "add-on without soundfile: load_pcm_wav": "from multanet_core.audio import load_pcm_wav; "
                                              "x = load_pcm_wav(P, 'x'); print('N', len(x))",
}


def long_wav(seconds: float, folder: str) -> str:
    """48 kHz stereo 16-bit PCM: the bundled sentence (resampled by repetition of its samples) over and over,
    written in pieces so that writing it needs no more memory than reading it should."""
    speech, rate = soundfile.read(FIXTURE, dtype="float32")
    speech = np.interp(np.arange(int(len(speech) * 48000 / rate)) / 48000 * rate, np.arange(len(speech)), speech)
    path = os.path.join(folder, f"long_{seconds:g}s.wav")
    n = int(seconds * 48000)
    with soundfile.SoundFile(path, "w", 48000, 2, "PCM_16") as f:
        done = 0
        while done < n:
            piece = speech[: min(len(speech), n - done)]
            f.write(np.stack([piece, 0.8 * piece], 1).astype(np.float32))
            done += len(piece)
    return path


def run(code: str) -> tuple[float, float, str]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code + "; " + PEAK], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    if proc.returncode:
        return float("nan"), time.perf_counter() - t, proc.stderr.strip().splitlines()[-1]
    peak = next(int(ln.split()[1]) for ln in proc.stdout.splitlines() if ln.startswith("PEAK"))
    return peak / 1e9, time.perf_counter() - t, ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=7200.0)
    parser.add_argument("--skip-before", action="store_true", help="leave out (a), which needs about 11 GB at 2 h")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_audio_") as tmp:
        path = long_wav(args.seconds, tmp)
        print(f"{args.seconds:g} s of 48 kHz stereo 16-bit WAV: {os.path.getsize(path) / 1e9:.2f} GB on disk, "
              f"{args.seconds * 48000 * 2 * 4 / 1e9:.2f} GB decoded as float32")
        rows = []
        for label, code in PATHS.items():
            if args.skip_before and label.startswith("before"):
                continue
            rows.append((label, *run(f"P = {path!r}; " + code)))
        model = os.path.join(ROOT, "multanet_blender", "models", "default.npz")
        argv = ["animate", "--checkpoint", model, "--character", "arkit", "--audio", path, "--out",
                os.path.join(tmp, "x.csv")]
        cli = f"from multanet_core.__main__ import main; assert main({argv!r}) == 0"
        rows.append(("command line: animate --out x.csv (whole run)", *run(cli)))
        base = rows[0][1] if not args.skip_before else float("nan")
        print(f"{'path':48s} {'peak GB':>8s} {'seconds':>8s} {'vs before':>10s}")
        for label, peak, seconds, error in rows:
            print(f"{label:48s} {peak:8.2f} {seconds:8.1f} {peak / base:10.2f}" + (f"  ({error})" if error else ""))


if __name__ == "__main__":
    main()
