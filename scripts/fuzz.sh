#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz.
#   scripts/fuzz.sh [TARGET] [SECONDS]      (defaults: midi_reader, 600)
# TARGET is one of
#   midi_reader     parse_midi on any bytes, and the writer round trip
#   tokenize        MIDI bytes -> REMI -> BPE, as `accompanist tokenize`
#   tokenizer_json  Tokenizer::from_json on any bytes
#   corpus_reader   Corpus::open and every split of any bytes as an HDF5 file
#   all             each of the above for SECONDS, one after another
# A number as the only argument means midi_reader for that many seconds
# (the old `scripts/fuzz.sh SECONDS`).
# Configures build-fuzz with clang (-DACC_BUILD_FUZZERS=ON, no LibTorch),
# builds fuzz_<target> (ninja -j${ACCOMPANIST_FUZZ_JOBS:-2}) and runs it from the
# committed seeds in tests/fuzz/seeds/<dir> plus a working corpus in
# tests/fuzz/corpus-work/<dir> (git-ignored), where <dir> is midi,
# tokenize, tokenizer_json or corpus (tokenize also reads the midi seeds).
# One fuzzing process at a time (no -jobs/-workers: 2-core machines).
# corpus_reader runs in libFuzzer's fork mode (-fork=1 -ignore_crashes ...):
# HDF5 1.10 has defects of its own on corrupt files, so a crash there must not
# end the run; its crashing inputs are collected instead (see
# tests/fuzz/fuzz_corpus_reader.cpp on telling HDF5's from ours).
# The log goes to build-fuzz/fuzz_<target>.log; crashing inputs are written
# to build-fuzz/artifacts/ and listed at the end. Exit status: libFuzzer's,
# or 1 when it wrote crashing inputs (for all: the first failing target's,
# after running every target).
set -euo pipefail

target=midi_reader
seconds=600
if [[ $# -ge 1 && $1 =~ ^[0-9]+$ ]]; then
  seconds=$1
elif [[ $# -ge 1 ]]; then
  target=$1
  seconds=${2:-600}
fi
case $target in
  midi_reader | tokenize | tokenizer_json | corpus_reader) targets=("$target") ;;
  all) targets=(midi_reader tokenize tokenizer_json corpus_reader) ;;
  *)
    echo "usage: $0 [midi_reader|tokenize|tokenizer_json|corpus_reader|all] [SECONDS]" >&2
    exit 2
    ;;
esac
[[ $seconds =~ ^[0-9]+$ ]] || { echo "$0: SECONDS must be a number, not '$seconds'" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
seeds=$root/tests/fuzz/seeds
work=$root/tests/fuzz/corpus-work

CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DACC_BUILD_FUZZERS=ON -DACC_WITH_TORCH=OFF -DACC_BUILD_TESTS=OFF -DACC_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C "$build" -j"${ACCOMPANIST_FUZZ_JOBS:-2}" "${targets[@]/#/fuzz_}"
mkdir -p "$build/artifacts"

# run_target TARGET: one fuzzing run; returns libFuzzer's status.
run_target() {
  local t=$1 dir
  local -a dirs extra=()
  case $t in
    midi_reader) dir=midi; dirs=("$seeds/midi") ;;
    tokenize) dir=tokenize; dirs=("$seeds/tokenize" "$seeds/midi") ;;
    tokenizer_json) dir=tokenizer_json; dirs=("$seeds/tokenizer_json") ;;
    # HDF5 1.10 itself crashes, hangs and leaks on some corrupt files (see
    # tests/fuzz/fuzz_corpus_reader.cpp): fuzz in a child process that is
    # restarted after a crash, and list the crashing inputs at the end.
    corpus_reader)
      dir=corpus
      dirs=("$seeds/corpus")
      extra=(-detect_leaks=0 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
      ;;
  esac
  local log=$build/fuzz_$t.log
  mkdir -p "$work/$dir"
  echo "fuzzing fuzz_$t for ${seconds}s; log: $log"
  local status=0 marker
  marker=$(mktemp)
  "$build/bin/fuzz_$t" "$work/$dir" "${dirs[@]}" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 "${extra[@]}" \
    -artifact_prefix="$build/artifacts/" -print_final_stats=1 >"$log" 2>&1 || status=$?
  tail -n 25 "$log"
  local -a found
  mapfile -t found < <(find "$build/artifacts" -maxdepth 1 -type f -newer "$marker" | sort)
  rm -f "$marker"
  if [[ ${#found[@]} -gt 0 ]]; then
    echo "fuzz_$t: ${#found[@]} input(s) written to build-fuzz/artifacts (rerun one with $build/bin/fuzz_$t FILE):"
    printf '  %s\n' "${found[@]}"
    [[ $status -ne 0 ]] || status=1  # fork mode exits 0 after ignored crashes
  fi
  return $status
}

overall=0
for t in "${targets[@]}"; do
  status=0
  run_target "$t" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "fuzz_$t failed (status $status)"
    [[ $overall -ne 0 ]] || overall=$status
  fi
done
exit $overall
