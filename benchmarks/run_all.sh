#!/usr/bin/env bash
# The whole benchmark suite: every benchmark of the project, one JSON lines
# file, and the tables regenerated from it.
#   benchmarks/run_all.sh [--build build] [--out benchmarks/results.jsonl] [--work DIR] [--quick]
# Writes (each atomically, after the suite completes):
#   OUT                     one JSON object per measurement ("bench" or "benchmark" names it),
#                           plus one {"benchmark":"run_all.section"} line per section with its wall time
#   results.md next to OUT  the markdown tables (benchmarks/results_table.py OUT)
#   docs/scaling.md         its cost-model section (scripts/scaling_model.py --update; not with --quick)
# Logs of each section go to WORK/<section>.log. About 40 minutes on 2 cores,
# 30 of them the learning benchmark's four training runs (--quick: ~5 minutes, smaller sizes, for checking the suite itself; its
# tables are marked quick). Run it on an otherwise idle machine: the ratios
# are measured in the same process or script, the absolute figures are not
# comparable across machines or loads.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
out=$root/benchmarks/results.jsonl
work=${TMPDIR:-/tmp}/acc_bench_all
quick=0
while (($#)); do
  case "$1" in
    --build) build=$(cd "$2" && pwd); shift 2 ;;
    --out) out=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --quick) quick=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "error: run_all.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3
bin=$build/bin
for b in accompanist accompanist-train bench_model bench_generate bench_eval bench_tokenizer bench_dist_allreduce \
         bench_dist_overlap; do
  [[ -x "$bin/$b" ]] || { echo "error: $bin/$b: not built (scripts/setup.sh builds it)" >&2; exit 1; }
done
[[ -d "$root/data/debian" ]] || { echo "error: data/debian: missing (datasets/debian/fetch.sh data/debian)" >&2; exit 1; }
as_root=(); [[ $(id -u) == 0 ]] && as_root=(--allow-run-as-root)
mpirun2=(mpirun -n 2 --oversubscribe --bind-to none "${as_root[@]}")

rm -rf "$work"
mkdir -p "$work"
partial=$work/results.jsonl
: > "$partial"
suite_start=$(date +%s)

# section NAME COMMAND...: runs COMMAND, keeps the JSON lines of its stdout.
section() {
  local name=$1; shift
  local t0; t0=$(date +%s%N)
  echo "== $name"
  if ! "$@" > "$work/$name.out" 2> "$work/$name.log"; then
    echo "error: benchmark $name failed; see $work/$name.log" >&2
    tail -n 5 "$work/$name.log" >&2
    exit 1
  fi
  grep '^{' "$work/$name.out" >> "$partial" || true
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  local wall=$((ms / 1000)).$(( ms % 1000 / 100 ))
  printf '{"benchmark":"run_all.section","section":"%s","wall_s":%s,"quick":%s}\n' \
    "$name" "$wall" "$([[ $quick == 1 ]] && echo true || echo false)" >> "$partial"
  echo "   $(grep -c '^{' "$work/$name.out" || true) result line(s), $wall s"
}

if ((quick)); then
  songs=200; py_files=40; tok_seconds=0.5; lengths=256,512; train_tokens=1024; py_points=("256 2"); repeats=1
  gen_tokens=128; model_gen=200; evals=(--pairs 200000 --samples 50 --validation 200); scale_steps=6; ar_mib=4
  train_steps=1; overlap_steps=5
else
  songs=2000; py_files=300; tok_seconds=2; lengths=256,512,1024,1500; train_tokens=2048
  py_points=("256 4" "512 2"); repeats=3; gen_tokens=256; model_gen=1000; evals=(); scale_steps=15; ar_mib=64
  train_steps=2; overlap_steps=40
fi

# Data: accompanist prep against mido + the Python REMI reference.
section prep "$py" "$root/benchmarks/data/prep_throughput.py" --bin "$bin/accompanist" --songs "$songs" \
  --python-files "$py_files" --work "$work/prep"
# Tokenizer: REMI + BPE encoding against the plain Python implementation.
section tokenizer "$py" "$root/benchmarks/tokenizer/bench_tokenizer.py" --build "$build" \
  --min-seconds "$tok_seconds"
# Model: the Table 1 training step at each length and precision (with the GEMM peaks), and against the
# Python reference model in fp32 and under torch.autocast bf16.
section model_train "$bin/bench_model" train --lengths "$lengths" --tokens "$train_tokens" --steps "$train_steps" \
  --threads 1 --precisions fp32,bf16
for point in "${py_points[@]}"; do
  read -r len batch <<< "$point"
  section "model_vs_python_L$len" "$bin/bench_model" python --len "$len" --batch "$batch" --steps 2 \
    --repeats "$repeats" --threads 1 --precisions fp32,bf16
done
# Where a step's time goes: the Table 1 model (L 512, batch 2) and cpu_small at the MMA corpus's typical
# lengths (source 384, target 176, batch 4), fp32 and bf16, one thread.
section model_profile bash -c "'$bin/bench_model' profile --len 512 --batch 2 --threads 1 --precisions fp32,bf16 \
    --steps $train_steps && '$bin/bench_model' profile --config '$root/configs/train/cpu_small.yaml' --len 384 \
    --target-len 176 --batch 4 --clip 1.0 --threads 1 --precisions fp32,bf16 --steps $((train_steps + 2))"
# Generation: the key/value cache against recomputing (Table 1 model, and the generator).
section model_generate "$bin/bench_model" generate --source-len "$model_gen" --gen "$model_gen" --threads 1
# One 24-bar part (about 600 tokens) from a 600-token source: the encoder under each precision.
for p in fp32 bf16; do
  section "model_generate_600_$p" "$bin/bench_model" generate --source-len 600 --gen 600 --threads 1 --precisions "$p"
done
section generate "$bin/bench_generate" --threads 1 --tokens "$gen_tokens" --source-len 256 --repeats 1
# Evaluation: Levenshtein pairs and a whole evaluation.
section eval "$bin/bench_eval" "${evals[@]}"
# Distributed: all-reduce against raw MPI, overlap with backward, trainer scaling 1 -> 2 ranks.
section allreduce "${mpirun2[@]}" "$bin/bench_dist_allreduce" --max-mib "$ar_mib" --seconds 0.3
section overlap "${mpirun2[@]}" "$bin/bench_dist_overlap" --steps "$overlap_steps"
section scaling bash -c "'$root/launch/scaling.sh' --ranks '1 2' --steps $scale_steps --out '$work/scaling' >&2 &&
                         cat '$work/scaling/scaling.jsonl'"
# Learning: does a trained model follow the part it accompanies (bar alignment off and on)?
# Synthetic chord songs (transposed to every key) and the Debian corpus as the quickstart preps it.
if ((quick)); then
  section learning "$py" "$root/benchmarks/learning/learning.py" --build "$build" --work "$work/learning" --quick \
    --corpora synthetic --transpose on --variants window
else
  section learning bash -c "'$py' '$root/benchmarks/learning/learning.py' --build '$build' --work '$work/learning' \
      --corpora synthetic --transpose on --variants off,window --samples 60 &&
    '$py' '$root/benchmarks/learning/learning.py' --build '$build' --work '$work/learning' \
      --corpora debian --transpose off --variants off,window --samples 40"
fi

printf '{"benchmark":"run_all","wall_s":%d,"quick":%s,"git":"%s","host":"%s"}\n' "$(( $(date +%s) - suite_start ))" \
  "$([[ $quick == 1 ]] && echo true || echo false)" "$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
  "$(hostname)" >> "$partial"

# Publish: results, then the tables generated from them (temporary names, then rename).
mkdir -p "$(dirname "$out")"
cp "$partial" "$out.tmp" && mv "$out.tmp" "$out"
table=$(dirname "$out")/results.md
"$py" "$root/benchmarks/results_table.py" "$out" > "$table.tmp" && mv "$table.tmp" "$table"
if ((quick)); then
  echo "wrote $out and $table ($(( $(date +%s) - suite_start )) s; --quick: docs/scaling.md left as it is)"
else
  "$py" "$root/scripts/scaling_model.py" --results "$out" --update "$root/docs/scaling.md"
  echo "wrote $out, $table and the cost model in docs/scaling.md ($(( $(date +%s) - suite_start )) s)"
fi
