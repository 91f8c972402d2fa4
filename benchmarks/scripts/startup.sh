#!/usr/bin/env bash
# Process start-up of sgdyn: `sgdyn --help` and a 1-trajectory run (examples/example.json, 500 steps), best of R wall
# times each, for every executable given (default: the build output and a ReadyToRun publish into out/sgdyn).
# Usage: benchmarks/scripts/startup.sh [ROUNDS] [SGDYN…]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
shift || true
if [ $# -eq 0 ]; then
  dotnet build src/SgdDynamics.Cli/SgdDynamics.Cli.csproj -c Release > /dev/null
  [ -x out/sgdyn/sgdyn ] || dotnet publish src/SgdDynamics.Cli/SgdDynamics.Cli.csproj -c Release -o out/sgdyn > /dev/null
  set -- src/SgdDynamics.Cli/bin/Release/net10.0/sgdyn out/sgdyn/sgdyn
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's/"trajectories": 1000000/"trajectories": 1/' examples/example.json > "$work/one.json"
best() { # best wall seconds of $rounds runs of "$@"
  local b=999 t s
  for ((r = 0; r < rounds; r++)); do
    s=$(date +%s.%N); "$@" > /dev/null 2>&1 || true; t=$(echo "$(date +%s.%N) - $s" | bc -l)
    b=$(echo "if ($t < $b) $t else $b" | bc -l)
  done
  printf '%.3f' "$b"
}
printf '%-60s %10s %16s\n' executable "--help" "1-trajectory run"
for exe in "$@"; do
  printf '%-60s %9ss %15ss\n' "$exe" "$(best "$exe" --help)" "$(best "$exe" run "$work/one.json" --out "$work/run")"
done
