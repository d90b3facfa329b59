#!/usr/bin/env bash
# Installs, builds and runs the whole test suite (unit, cli, reference, mpi, slurm).
#   scripts/test.sh [ctest args...]    e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Real MIDI for the reference comparisons (Debian packages, never committed).
datasets/debian/fetch.sh data/debian
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# Scratch folders (tests/common/scratch_dir.h: acc_<tag>_<pid>_<n>) that
# existed before, so that only the ones this run left behind are reported.
tmp=${TMPDIR:-/tmp}
scratch() { find "$tmp" -maxdepth 1 -regextype posix-extended -regex '.*/acc_.+_[0-9]+_[0-9]+' | sort; }
before=$(scratch)
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
left=$(comm -13 <(echo "$before") <(scratch))
if [[ -n "$left" && -z "${ACCOMPANIST_KEEP_TEST_DIRS:-}" ]]; then
  echo "error: tests: left scratch folders behind in $tmp (use tests/common/scratch_dir.h):" >&2
  echo "$left" | head -20 >&2
  exit 1
fi
