#!/usr/bin/env bash
# Runs an ensemble scenario on a Slurm cluster: a job array with one task per shard (sgdyn run --shard i/N), then a merge
# job (sgdyn merge) that starts only when every shard has succeeded (--dependency=afterok). The merged folder holds the
# outputs of a single `sgdyn run` of the scenario, with bit-identical moments.
#
#   examples/cluster/slurm-array.sh submit SCENARIO.json SHARDS [OUT]
#
# SCENARIO.json and OUT (default runs/<scenario name>) must be on a file system that every node sees at the same path
# (data files the scenario names too). Shard i writes OUT/shard-i-of-SHARDS, the merge writes OUT/merged; logs go to
# OUT/logs. Each task runs on the CPUs Slurm gives it (--threads $SLURM_CPUS_PER_TASK); a GPU partition needs only
# `--gres=gpu:1` in SBATCH_ARGS (the backend auto picks CUDA when a device is there). Settings, from the environment:
#   SGDYN       the command that runs sgdyn (default: sgdyn on the PATH; e.g. "dotnet /opt/sgdyn/sgdyn.dll",
#               or "apptainer exec sgdyn.sif /opt/sgdyn/bin/sgdyn")
#   SGDYN_ARGS  more options for each shard's run (e.g. "--backend cuda --allow-divergence")
#   SBATCH_ARGS more options for sbatch (partition, account, time, memory, GPUs), e.g. "-p gpu --gres=gpu:1 -t 2:00:00"
# A shard whose trajectories diverge exits 3 unless SGDYN_ARGS holds --allow-divergence; then the merge does not start.
#
# The same script is the body of the array tasks (`shard`) and of the merge job (`merge`); sbatch runs it with those.
#SBATCH --job-name=sgdyn
#SBATCH --cpus-per-task=4
set -euo pipefail

read -r -a sgdyn <<< "${SGDYN:-sgdyn}"
read -r -a run_args <<< "${SGDYN_ARGS:-}"
read -r -a sbatch_args <<< "${SBATCH_ARGS:-}"

usage() {
  echo "usage: $0 submit SCENARIO.json SHARDS [OUT]" >&2
  exit 2
}

step=${1:-}
case "$step" in
  submit)
    [ $# -ge 3 ] || usage
    scenario=$(realpath "$2")
    shards=$3
    [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "error: SHARDS must be a whole number >= 1 (got '$shards')" >&2; exit 2; }
    out=$(realpath -m "${4:-runs/$(basename "$scenario" .json)}")
    mkdir -p "$out/logs"
    array=$(sbatch --parsable "${sbatch_args[@]}" --job-name=sgdyn-shards --array="0-$((shards - 1))" \
      --output="$out/logs/shard-%a-of-$shards.log" "$0" shard "$scenario" "$shards" "$out")
    array=${array%%;*}
    merge=$(sbatch --parsable "${sbatch_args[@]}" --job-name=sgdyn-merge --dependency="afterok:$array" --cpus-per-task=1 \
      --output="$out/logs/merge.log" "$0" merge "$scenario" "$shards" "$out")
    echo "submitted shards: job array $array (tasks 0-$((shards - 1))), merge: job ${merge%%;*} -> $out/merged"
    ;;
  shard)
    [ $# -eq 4 ] || usage
    i=${SLURM_ARRAY_TASK_ID:?the shard step runs as a task of a Slurm job array}
    exec "${sgdyn[@]}" run "$2" --shard "$i/$3" --out "$4/shard-$i-of-$3" --threads "${SLURM_CPUS_PER_TASK:-0}" "${run_args[@]}"
    ;;
  merge)
    [ $# -eq 4 ] || usage
    folders=()
    for ((i = 0; i < $3; i++)); do
      folders+=("$4/shard-$i-of-$3")
    done
    merge_args=()
    for arg in "${run_args[@]}"; do
      if [ "$arg" = --allow-divergence ]; then merge_args+=("$arg"); fi
    done
    exec "${sgdyn[@]}" merge "${folders[@]}" --out "$4/merged" "${merge_args[@]}"
    ;;
  *)
    usage
    ;;
esac
