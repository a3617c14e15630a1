"""Times the default synthetic corpus (14 characters, 21 training and 10 held-out languages) against
the 180 s target: ``python bench/bench_synth.py [--out DIR] [--jobs N] [--keep]``."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 180.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: a temporary folder)")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the corpus")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="multanet-bench-")) / "corpus"
    cmd = [sys.executable, "-m", "train", "synth", "--out", str(out), "--characters", "14", "--sentences", "40"]
    if args.jobs:
        cmd += ["--jobs", str(args.jobs)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=Path(__file__).resolve().parents[1])
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    files = sum(1 for p in out.rglob("*.npy"))
    print(f"default corpus: {elapsed:.1f} s ({elapsed / TARGET_S:.2f} x the {TARGET_S:.0f} s target), "
          f"{files} sequences, {size / 1e9:.2f} GB")
    if not args.keep:
        shutil.rmtree(out if args.out else out.parent, ignore_errors=True)
    return 0 if elapsed <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
