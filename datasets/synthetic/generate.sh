#!/usr/bin/env bash
# Writes the synthetic piano + bass set (acc::data::make_synthetic_song) with
# the built `accompanist synth`: songs with known structure (chord progressions
# in random major and minor keys, piano voicings, a bass on the chord roots on
# the strong beats), varied tempos, densities and resolutions (tpq 96 .. 960).
# The same seed gives byte-identical files.
#
#   datasets/synthetic/generate.sh [SONGS] [OUT_DIR] [SEED]
#   default: 2000 songs into data/synthetic, seed 1
# Then: accompanist prep --config configs/prep/default.yaml --input data/synthetic \
#         --output data/synthetic-corpus/corpus.h5
set -euo pipefail
songs="${1:-2000}"
out="${2:-data/synthetic}"
seed="${3:-1}"
bin="${ACCOMPANIST_BIN:-build/bin/accompanist}"
[ -x "$bin" ] || { echo "error: $bin: not built (cmake --build build), or set ACCOMPANIST_BIN" >&2; exit 1; }
exec "$bin" synth --songs "$songs" --out "$out" --seed "$seed"
