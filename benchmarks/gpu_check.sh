#!/usr/bin/env bash
# One prepared check of optimbook on a GPU machine, in at most 8 minutes:
#
#   bash benchmarks/gpu_check.sh [--smoke] [OUT_DIR]        (OUT_DIR default: $OUT, else ./gpu_check)
#
# Needs torch (+ torchvision, pandas, matplotlib), PYTHONPATH=src (set here) and MNIST in data/
# (or $OPTIMBOOK_DATA); no internet, pytest optional. Steps, each under its own time limit:
#   1. the machine: device, versions, measured fp32 matmul peak;
#   2. the tests that exercise CUDA (tests/test_cuda.py, and tests/test_ledger.py with pytest):
#      with pytest if `python -m pytest` works, else a plain runner (test_cuda.py needs no pytest);
#   3. fig4 and fig8 at paper scale on cuda, one seed, from an empty results cache, with their
#      wall times, pretraining and fine-tuning seconds, FLOP counts and achieved rates;
#   4. the same lockstep fine-tuning steps eager, with the loss through torch.compile, and with CUDA
#      graphs (compile="reduce-overhead"): ms per step, compilation time, difference from eager.
# The limits add up to 470 s (under 8 minutes); a step that reaches its limit is reported as stopped.
# Writes OUT_DIR/report.md (and the runs' results under OUT_DIR/results).
#
# --smoke (or OPTIMBOOK_GPU_CHECK_SMOKE=1): smoke scale, on the CPU when there is no CUDA device, to
# show on any machine that the script works end to end.
set -uo pipefail
cd "$(dirname "$0")/.."

SMOKE=${OPTIMBOOK_GPU_CHECK_SMOKE:-0}
OUTDIR=""
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    *) OUTDIR="$arg" ;;
  esac
done
OUTDIR=${OUTDIR:-${OUT:-gpu_check}}
mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
REPORT="$OUTDIR/report.md"
: > "$REPORT"

if [ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ]; then PYTHON=.venv/bin/python; fi
PYTHON=${PYTHON:-python3}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export OPTIMBOOK_DATA=${OPTIMBOOK_DATA:-$PWD/data}
export OPTIMBOOK_RESULTS="$OUTDIR/results"
export OPTIMBOOK_WORKERS=1
rm -rf "$OPTIMBOOK_RESULTS"

if "$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  DEVICE=cuda
else
  DEVICE=cpu
fi
SCALE=paper
if [ "$SMOKE" = 1 ]; then SCALE=smoke; fi
if [ "$DEVICE" = cpu ] && [ "$SMOKE" != 1 ]; then
  echo "gpu_check: no CUDA device here; run with --smoke to check the script at smoke scale on the CPU" | tee -a "$REPORT"
  exit 2
fi

START=$(date +%s)
STATUS=0
step() {  # step SECONDS LABEL COMMAND...: run COMMAND under a time limit, record its outcome
  local limit=$1 label=$2; shift 2
  local tic=$(date +%s)
  timeout --kill-after=5 "$limit" "$@"
  local rc=$?
  local took=$(( $(date +%s) - tic ))
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "**$label: stopped at its limit of ${limit} s.**" >> "$REPORT"; echo >> "$REPORT"; STATUS=1
  elif [ $rc -ne 0 ]; then
    echo "**$label: failed (exit $rc) after ${took} s.**" >> "$REPORT"; echo >> "$REPORT"; STATUS=1
  fi
  echo "gpu_check: $label: exit $rc, ${took} s"
}

{
  echo "# optimbook GPU check"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), scale $SCALE, device $DEVICE, python $("$PYTHON" -c 'import sys; print(sys.version.split()[0])'), git $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo
} >> "$REPORT"

step 40 "machine" "$PYTHON" benchmarks/gpu_check.py machine "$REPORT" --device "$DEVICE"

if "$PYTHON" -m pytest --version >/dev/null 2>&1; then
  {
    echo "### tests (pytest)"; echo; echo '```'
  } >> "$REPORT"
  step 60 "tests" bash -c "set -o pipefail; '$PYTHON' -m pytest tests/test_cuda.py tests/test_ledger.py -q -p no:cacheprovider -rs 2>&1 | tail -25 | tee -a '$REPORT'"
  echo '```' >> "$REPORT"; echo >> "$REPORT"
else
  echo "pytest is not installed: tests/test_cuda.py runs with a plain runner; tests/test_ledger.py (needs pytest) is skipped." >> "$REPORT"
  echo >> "$REPORT"
  step 60 "tests" "$PYTHON" benchmarks/gpu_check.py tests "$REPORT"
fi

step 90 "fig4" "$PYTHON" benchmarks/gpu_check.py run "$REPORT" fig4 --scale "$SCALE" --device "$DEVICE"
# fig8 reuses fig4's 1/10 pretraining and AdaMix run from the cache, as the book does
step 200 "fig8" "$PYTHON" benchmarks/gpu_check.py run "$REPORT" fig8 --scale "$SCALE" --device "$DEVICE" --after fig4
step 80 "compile" "$PYTHON" benchmarks/gpu_check.py compile "$REPORT" --scale "$SCALE" --device "$DEVICE"

echo "total: $(( $(date +%s) - START )) s; status $STATUS" >> "$REPORT"
echo "gpu_check: report in $REPORT"
exit $STATUS
