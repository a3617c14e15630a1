#!/usr/bin/env bash
# Issue 11's device check in one call: the CUDA tests of the data path (no host sync, the gathers), then
# bench/bench_train.py's paper config at the paper's batch, a large one and a very large one, each against
# the baseline trainer side by side. Prints a short table last; full logs go to $OUT.
#
# Here, once:  git archive c977cce | (mkdir -p .baseline_trainer && tar -x -C .baseline_trainer)
#              (.baseline_trainer/ is ignored by git; the device machine has no git history to check it out)
# Device call: run(command="bash bench/gpu_train_check.sh", carry=[".baseline_trainer"], timeout_s=...)
# On the CPU, to try the script itself: DEVICE=cpu STEPS=3 BATCHES=8 bash bench/gpu_train_check.sh
set -uo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-$(mktemp -d)}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
STEPS=${STEPS:-100}
BATCHES=${BATCHES:-"50 500 4000"}
BASE=${BASELINE_TREE:-.baseline_trainer}
[ -d "$BASE/train" ] || { echo "no baseline tree at $BASE (see the header of $0)"; exit 2; }
[ "$DEVICE" = cuda ] && nvidia-smi --query-gpu=name,memory.total,clocks.sm,clocks.mem --format=csv | tee "$OUT/gpu.txt"
$PY -m pytest -q --noconftest -p no:cacheprovider tests/test_train_batches.py 2>&1 | tee "$OUT/tests.log" | tail -3
for b in $BATCHES; do
    $PY bench/bench_train.py --device "$DEVICE" --config paper --characters 14 --vertices 5000 --steps "$STEPS" \
        --rounds 1 --batch-pairs "$b" --baseline-tree "$BASE" --no-karras --threads 8 2>&1 | tee "$OUT/bench_$b.log"
done
echo
echo "batch_pairs | this tree frames/s | baseline frames/s | ratio"
for b in $BATCHES; do
    t=$(grep "^MulTaNet, this tree" "$OUT/bench_$b.log" | awk '{print $4}')
    o=$(grep "^MulTaNet, baseline trainer" "$OUT/bench_$b.log" | awk '{print $4}')
    r=$(grep "^ratio this tree" "$OUT/bench_$b.log" | awk '{print $NF}')
    echo "$b | $t | $o | $r"
done
