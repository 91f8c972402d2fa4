#!/usr/bin/env bash
# Grid solvers before and after a change, side by side in one run, best of N rounds (each round runs every case on
# both builds in turn, so a noisy host slows both alike). Prints one table.
#
# Usage: benchmarks/scripts/grid-before-after.sh [options] A B
#   A, B: an sgdyn executable, or rev:<git revision> (that revision is checked out into a scratch worktree and built
#         there, Release; the worktree is removed at the end)
# Options:
#   -n N             rounds (best of N; default 3)
#   --threads "1 2"  thread counts of the timed cases (default "1 2")
#   --big            also the peak memory at 4096² (FP with backward Euler needs about 9–13 GiB; long)
#   --no-memory      skip the peak-memory rows (FP and the master equation at 1024² and 2048², one SGD step each;
#                    2048² takes minutes a step with the backward Euler solver or the general master-equation gather)
#   --quick          small grids and few steps (a check of the script itself: seconds)
#   --args-a "…", --args-b "…"
#                    extra `sgdyn run` arguments for one side, e.g. --args-b "--set solver.scheme=adi"
#
# Timed cases (benchmarks/scenarios/; wall seconds of set-up and steps from summary.json's "seconds", so the process
# start and the output files are not counted):
#   fp-2d-256      Langevin FP, ring valley, 256², 50 SGD steps
#   fp-2d-1024     the same on 1024², 5 SGD steps
#   me-2d-256      master equation, ring valley, 256², 20 steps: per step and set-up (from a 1-step run beside it:
#                  per step = (t₂₀ − t₁)/19, set-up = t₁ − per step)
#   me-2d-512      master equation, 512², 10 steps
#   me-1d-8192     master equation, 1-D quadratic, 8192 cells, 200 steps
# Memory rows: bytes a cell, (peakMemoryBytes − that of the same scenario on 16² cells) / (cells − 16²), one SGD step of
# FP and of the master equation at 1024², 2048² (4096² with --big); the 16² run holds the runtime's fixed share.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rounds=3
threads="1 2"
big=0
memory=1
quick=0
args_a=""
args_b=""
sides=()
while [ $# -gt 0 ]; do
  case "$1" in
    -n) rounds=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --big) big=1; shift ;;
    --no-memory) memory=0; shift ;;
    --quick) quick=1; shift ;;
    --args-a) args_a=$2; shift 2 ;;
    --args-b) args_b=$2; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
    -*) echo "error: unknown option $1" >&2; exit 2 ;;
    *) sides+=("$1"); shift ;;
  esac
done
if [ ${#sides[@]} -ne 2 ]; then
  echo "error: give two builds, A and B (an sgdyn executable or rev:<git revision>)" >&2
  exit 2
fi
case "$rounds" in ''|*[!0-9]*|0) echo "error: -n needs a positive integer" >&2; exit 2 ;; esac
python=/usr/bin/python3
[ -x "$python" ] || python=python3

work=$(mktemp -d)
cleanup() {
  # the scratch worktrees of rev:<revision> sides (made inside command substitutions, so found by name here)
  for w in "$work"/tree-*; do
    [ -d "$w" ] && git -C "$root" worktree remove --force "$w" > /dev/null 2>&1 || true
  done
  rm -rf "$work"
  git -C "$root" worktree prune > /dev/null 2>&1 || true
}
trap cleanup EXIT

# An executable for one side: the path itself, or a Release build of a revision in a scratch worktree.
resolve() {
  local spec=$1 label=$2
  if [[ "$spec" == rev:* ]]; then
    local rev=${spec#rev:} tree="$work/tree-$label"
    git -C "$root" rev-parse --verify --quiet "$rev^{commit}" > /dev/null || { echo "error: $spec: no such git revision" >&2; exit 2; }
    git -C "$root" worktree add --detach "$tree" "$rev" > /dev/null 2>&1
    echo "building $rev into $tree …" >&2
    dotnet build -c Release "$tree/src/SgdDynamics.Cli/SgdDynamics.Cli.csproj" > "$work/build-$label.log" 2>&1 \
      || { echo "error: building $rev failed (log: $work/build-$label.log)" >&2; tail -20 "$work/build-$label.log" >&2; exit 1; }
    echo "$tree/src/SgdDynamics.Cli/bin/Release/net10.0/sgdyn"
  else
    [ -x "$spec" ] || { echo "error: $spec is not an executable" >&2; exit 2; }
    (cd "$(dirname "$spec")" && echo "$(pwd)/$(basename "$spec")")
  fi
}
bin_a=$(resolve "${sides[0]}" a)
bin_b=$(resolve "${sides[1]}" b)

# The scenarios, copied so that --quick (and the 1-step set-up runs) can rewrite them.
scen="$work/scenarios"
mkdir -p "$scen"
cp "$root"/benchmarks/scenarios/*.json "$scen/"
"$python" - "$scen" "$quick" <<'PY'
import json, os, sys
folder, quick = sys.argv[1], sys.argv[2] == "1"
def edit(name, steps=None, cells=None, out=None):
    with open(os.path.join(folder, name + ".json")) as f:
        s = json.load(f)
    if steps is not None:
        s["ensemble"]["steps"] = steps
    if cells is not None:
        s["solver"]["grid"]["cells"] = [cells] * len(s["solver"]["grid"]["cells"])
    with open(os.path.join(folder, (out or name) + ".json"), "w") as f:
        json.dump(s, f)
if quick:
    edit("fp-2d-256", steps=5, cells=64); edit("fp-2d-1024", steps=2, cells=128)
    edit("me-2d-256", steps=5, cells=64); edit("me-2d-512", steps=3, cells=96); edit("me-1d-8192", steps=20, cells=1024)
    edit("fp-2d-1024-memory", cells=128); edit("fp-2d-2048-memory", cells=256); edit("fp-2d-4096-memory", cells=384)
    edit("me-2d-1024-memory", cells=128); edit("me-2d-2048-memory", cells=256); edit("me-2d-4096-memory", cells=384)
for name in ("fp-2d-1024-memory", "me-2d-1024-memory"):
    edit(name, cells=16, out=name.replace("-1024-memory", "-base-memory"))
with open(os.path.join(folder, "me-2d-256.json")) as f:
    edit("me-2d-256", steps=1, out="me-2d-256-1step")
PY
steps_of() { "$python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["ensemble"]["steps"])' "$scen/$1.json"; }
cells_of() { "$python" -c 'import json,sys,math; print(math.prod(json.load(open(sys.argv[1]))["solver"]["grid"]["cells"]))' "$scen/$1.json"; }

# run SIDE CASE THREADS → prints "seconds peakMemoryBytes" of the run's summary.json ("nan nan" when it failed)
run() {
  local side=$1 case=$2 t=$3 bin extra out="$work/out"
  if [ "$side" = a ]; then bin=$bin_a; extra=$args_a; else bin=$bin_b; extra=$args_b; fi
  rm -rf "$out"
  local targs=()
  [ "$t" != "-" ] && targs=(--threads "$t")
  # shellcheck disable=SC2086
  if "$bin" run "$scen/$case.json" --out "$out" --max-density-files 2 "${targs[@]}" $extra > "$work/log" 2>&1; then
    "$python" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["seconds"], s["peakMemoryBytes"])' "$out/summary.json"
  else
    echo "  $side $case (threads $t) failed: $(tail -1 "$work/log")" >&2
    echo "nan nan"
  fi
}

declare -A best
keep_min() { # key value
  local old=${best[$1]:-inf}
  best[$1]=$("$python" -c 'import sys,math; a,b=float(sys.argv[1]),float(sys.argv[2]); print(b if math.isnan(a) else a if math.isnan(b) else min(a,b))' "$old" "$2")
}
timed=(fp-2d-256 fp-2d-1024 me-2d-256 me-2d-256-1step me-2d-512 me-1d-8192)
for ((r = 1; r <= rounds; r++)); do
  echo "round $r of $rounds …" >&2
  for c in "${timed[@]}"; do
    for t in $threads; do
      for side in a b; do
        read -r s _ < <(run "$side" "$c" "$t")
        keep_min "$c|$t|$side" "$s"
      done
    done
  done
done
mem_cases=()
if [ "$memory" = 1 ]; then
  mem_cases=(fp-2d-1024-memory fp-2d-2048-memory me-2d-1024-memory me-2d-2048-memory)
  [ "$big" = 1 ] && mem_cases+=(fp-2d-4096-memory me-2d-4096-memory)
  for c in fp-2d-base-memory me-2d-base-memory "${mem_cases[@]}"; do
    for side in a b; do
      echo "peak memory: $side $c …" >&2
      read -r _ m < <(run "$side" "$c" -)
      best["$c|mem|$side"]=$m
    done
  done
fi

# The table.
{
  echo "A = ${sides[0]} ($bin_a)"
  echo "B = ${sides[1]} ($bin_b)"
  [ -n "$args_a" ] && echo "A runs with: $args_a"
  [ -n "$args_b" ] && echo "B runs with: $args_b"
  echo "best of $rounds rounds (summary.json seconds: set-up and steps); speed-up = A / B"
  printf '%-26s %8s %8s %14s %14s %9s\n' case threads cells A B speed-up
  row() { # label threads cells a b unit
    "$python" -c '
import math, sys
label, t, cells, a, b, unit = sys.argv[1:7]
a, b = float(a), float(b)
fmt = (lambda v: "n/a" if math.isnan(v) else (f"{v:.4g} s" if unit == "s" else f"{v:.0f} B")) 
ratio = "n/a" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}"
print(f"{label:<26} {t:>8} {cells:>8} {fmt(a):>14} {fmt(b):>14} {ratio:>9}")' "$@"
  }
  for t in $threads; do
    for c in fp-2d-256 fp-2d-1024 me-2d-512 me-1d-8192; do
      row "$c ($(steps_of "$c") steps)" "$t" "$(cells_of "$c")" "${best[$c|$t|a]}" "${best[$c|$t|b]}" s
    done
    # the master equation at 256²: per step and set-up from the K-step and the 1-step runs
    k=$(steps_of me-2d-256)
    for side in a b; do
      read -r per setup < <("$python" -c '
import sys; tk, t1, k = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
per = (tk - t1) / (k - 1); print(per, t1 - per)' "${best[me-2d-256|$t|$side]}" "${best[me-2d-256-1step|$t|$side]}" "$k")
      eval "per_$side=\$per; setup_$side=\$setup"
    done
    row "me-2d-256 per step" "$t" "$(cells_of me-2d-256)" "$per_a" "$per_b" s
    row "me-2d-256 set-up" "$t" "$(cells_of me-2d-256)" "$setup_a" "$setup_b" s
  done
  for c in "${mem_cases[@]}"; do
    n=$(cells_of "$c")
    base=${c%%-2d-*}-2d-base-memory
    n0=$(cells_of "$base")
    perCell='import sys; v, v0, n, n0 = (float(x) for x in sys.argv[1:5]); print((v - v0) / (n - n0))'
    a=$("$python" -c "$perCell" "${best[$c|mem|a]}" "${best[$base|mem|a]}" "$n" "$n0")
    b=$("$python" -c "$perCell" "${best[$c|mem|b]}" "${best[$base|mem|b]}" "$n" "$n0")
    row "${c%-memory} peak B/cell" all "$n" "$a" "$b" B
  done
}
