"""The restricted unpickler against 10,000 seeded hostile inputs (valid pickles of dicts of float arrays,
including the forged structured-dtype one, with bytes flipped, inserted, deleted and repeated; one in 20
random bytes), all in one child process: each must load to plain data or be refused with
``UnsafePickleError``; a crash or any other exception fails the run. There is no baseline to compare
with (no ratio is meaningful): the figures are the counts, that nothing crashed, and the time.

Run: python bench/bench_unpickle_fuzz.py [--count N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "tests.pickle_fuzz", "--count", str(args.count),
                           "--seed", str(args.seed)], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"unpickler fuzz, seed {args.seed}: the child FAILED with exit status {proc.returncode} "
              f"(negative: killed by that signal, -11 a segfault) after {elapsed:.1f} s")
        print(proc.stdout + proc.stderr[-3000:])
        return 1
    counts = json.loads(proc.stdout)
    print(f"unpickler fuzz, seed {args.seed}: {counts['inputs']:,} inputs, {counts['loaded']:,} loaded, "
          f"{counts['refused']:,} refused with UnsafePickleError, 0 crashed")
    print(f"  {counts['seconds']:.2f} s unpickling ({1e6 * counts['seconds'] / counts['inputs']:.0f} us per input), "
          f"{elapsed:.2f} s with the child's start-up; no baseline ratio: nothing to compare against")
    return 0


if __name__ == "__main__":
    sys.exit(main())
