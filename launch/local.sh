#!/usr/bin/env bash
# Training on a workstation: N ranks with mpirun (1 = a single process, no MPI).
#   launch/local.sh N CONFIG RUN_DIR [--set key=value ...]
# Threads per rank default to cores / N (train.threads: 0). Re-running the same
# command continues the run (--resume auto).
set -euo pipefail
n=${1:?usage: local.sh N CONFIG RUN_DIR [--set ...]}
config=${2:?usage: local.sh N CONFIG RUN_DIR [--set ...]}
run_dir=${3:?usage: local.sh N CONFIG RUN_DIR [--set ...]}
shift 3
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/build/bin/accompanist-train"
if ((n == 1)); then
  exec "$bin" --config "$config" --run-dir "$run_dir" --resume auto "$@"
fi
extra=()
if [[ $(id -u) == 0 ]]; then extra+=(--allow-run-as-root); fi
exec mpirun -n "$n" --oversubscribe --bind-to none "${extra[@]}" "$bin" --config "$config" --run-dir "$run_dir" --resume auto "$@"
