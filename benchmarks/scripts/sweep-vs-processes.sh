#!/usr/bin/env bash
# The 28-cell stability study (examples/stability-sweep.json: 4 η × 7 curvature-noise levels, 16,000 trajectories ×
# 500 steps per cell) run two ways, side by side, best of R rounds (wall seconds):
#   processes: one `sgdyn run --set …` process per cell, as a shell loop would;
#   sweep:     one `sgdyn run` process running every cell.
# Usage: benchmarks/scripts/sweep-vs-processes.sh [SGDYN] [ROUNDS]
#   SGDYN: the sgdyn executable (default: a ReadyToRun publish into out/sgdyn, made if missing)
set -euo pipefail
cd "$(dirname "$0")/../.."
sgdyn=${1:-out/sgdyn/sgdyn}
rounds=${2:-3}
if [ ! -x "$sgdyn" ]; then
  dotnet publish src/SgdDynamics.Cli/SgdDynamics.Cli.csproj -c Release -o out/sgdyn > /dev/null
fi
scenario=examples/stability-sweep.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the scenario without its sweep section: what each process of the loop runs, with the cell's values set
cat > "$work/cell.json" <<'JSON'
{
  "name": "stability-cell",
  "landscape": { "type": "quadratic", "hessian": [[1]], "gradientNoiseCovariance": [[1]], "curvatureNoiseStd": [0.5] },
  "optimizer": { "type": "sgd", "learningRate": 0.2 },
  "initial": { "point": [0] },
  "ensemble": { "trajectories": 16000, "steps": 500, "seed": 11 },
  "record": { "every": 50 }
}
JSON
etas=(0.2 0.6 0.7 0.8)
stds=(0.5 0.7 1.0 1.2 1.4 1.7 2.0)
now() { date +%s.%N; }
best_processes=999; best_sweep=999
for ((r = 0; r < rounds; r++)); do
  start=$(now)
  cell=0
  for eta in "${etas[@]}"; do
    for a in "${stds[@]}"; do
      "$sgdyn" run "$work/cell.json" --set optimizer.learningRate="$eta" --set landscape.curvatureNoiseStd="[$a]" \
        --allow-divergence --out "$work/p$cell" > /dev/null 2>&1
      cell=$((cell + 1))
    done
  done
  t=$(echo "$(now) - $start" | bc -l)
  best_processes=$(echo "if ($t < $best_processes) $t else $best_processes" | bc -l)
  start=$(now)
  "$sgdyn" run "$scenario" --allow-divergence --out "$work/sweep" > /dev/null 2>&1
  t=$(echo "$(now) - $start" | bc -l)
  best_sweep=$(echo "if ($t < $best_sweep) $t else $best_sweep" | bc -l)
done
printf 'processes (28 × sgdyn run): %.3f s\nsweep (1 × sgdyn run):      %.3f s\nratio:                      %.1f×\n' \
  "$best_processes" "$best_sweep" "$(echo "$best_processes / $best_sweep" | bc -l)"
