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
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
