#!/usr/bin/env bash
# Fuzzes the MIDI reader (and writer round trip) with libFuzzer.
#   scripts/fuzz.sh [SECONDS]      (default 600)
# Configures build-fuzz with clang (-DACC_BUILD_FUZZERS=ON, no LibTorch),
# builds fuzz_midi_reader and runs it from the committed seeds in
# tests/fuzz/seeds/midi plus a working corpus in tests/fuzz/corpus-work/midi
# (git-ignored). One in-process fuzzer (no -jobs/-workers: 2-core machines).
# The log goes to build-fuzz/fuzz_midi_reader.log; crashing
# inputs are written to build-fuzz/artifacts/. Exit status: libFuzzer's.
set -euo pipefail

seconds=${1:-600}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
corpus=$root/tests/fuzz/corpus-work/midi
seeds=$root/tests/fuzz/seeds/midi
log=$build/fuzz_midi_reader.log

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DACC_BUILD_FUZZERS=ON -DACC_WITH_TORCH=OFF -DACC_BUILD_TESTS=OFF -DACC_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C "$build" -j2 fuzz_midi_reader

mkdir -p "$corpus" "$build/artifacts"
echo "fuzzing fuzz_midi_reader for ${seconds}s; log: $log"
set +e
"$build/bin/fuzz_midi_reader" "$corpus" "$seeds" \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 >"$log" 2>&1
status=$?
set -e
tail -n 25 "$log"
exit $status
