#!/usr/bin/env bash
# Strong/weak scaling: the same training run at 1, 2, 4, ... ranks, collecting
# tokens/s and the scaling efficiency into one table.
#   launch/scaling.sh [--ranks "1 2"] [--config FILE] [--steps N] [--out DIR] [--launcher mpirun|srun] [-- --set ...]
# Under SLURM: launch/slurm/scaling.sbatch runs it as one job (srun --mpi=pmix
# inside one allocation sized for the largest rank count).
# Per-rank batch is fixed (weak scaling, as data parallelism is used). Data
# are synthetic tokens (data.synthetic_len) unless overridden, so no corpus is
# needed. Writes DIR/scaling.jsonl and DIR/scaling.md.
set -euo pipefail
root=${ACCOMPANIST_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
ranks="1 2"
config="$root/configs/train/cpu_small.yaml"
steps=30
out="runs/scaling"
launcher=mpirun
while (($#)); do
  case "$1" in
    --ranks) ranks=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --launcher) launcher=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "error: scaling.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
extra_sets=("$@")
case "$launcher" in mpirun | srun) ;; *) echo "error: scaling.sh: --launcher $launcher: mpirun or srun" >&2; exit 2 ;; esac
for n in $ranks; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: scaling.sh: --ranks: '$n' is not a rank count" >&2; exit 2; }
  if [[ -n "${SLURM_NTASKS:-}" ]] && ((n > SLURM_NTASKS)); then
    echo "error: scaling.sh: $n ranks: the SLURM allocation has $SLURM_NTASKS tasks" >&2
    exit 2
  fi
done
mkdir -p "$out"
cores=${SLURM_CPUS_ON_NODE:-$(nproc)}
echo "scaling.sh: ranks $ranks, launcher $launcher, $cores cores, config $config, $steps steps -> $out"
rev=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
: > "$out/scaling.jsonl"
for n in $ranks; do
  run="$out/ranks-$n"
  rm -rf "$run"
  threads=$(( cores / n > 0 ? cores / n : 1 ))
  sets=(--set data.synthetic_len=256 --set train.max_steps="$steps" --set train.log_every=5 --set train.valid_every=0
        --set train.checkpoint_every=0 --set train.sample_every=0 --set train.threads="$threads" "${extra_sets[@]}")
  bin="$root/build/bin/accompanist-train"
  echo "== $n rank(s), $threads thread(s) each"
  launch=()
  if ((n > 1)) && [[ "$launcher" == srun ]]; then
    launch=(srun --mpi=pmix -n "$n")
  elif ((n > 1)); then
    launch=(mpirun -n "$n" --oversubscribe --bind-to none)
    if [[ $(id -u) == 0 ]]; then launch+=(--allow-run-as-root); fi
  fi
  if ! "${launch[@]}" "$bin" --config "$config" --run-dir "$run" "${sets[@]}" > "$run.log" 2>&1; then
    echo "error: scaling.sh: the run at $n rank(s) failed (log $run.log):" >&2
    tail -n 5 "$run.log" >&2
    exit 1
  fi
  /usr/bin/python3 - "$run/metrics.jsonl" "$n" "$threads" "$rev" "$(hostname)" "$run/run.json" >> "$out/scaling.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"train"' in l]
record = json.load(open(sys.argv[6]))
rows = rows[1:] or rows  # the first interval includes start-up
tps = sum(r["tokens_per_s"] for r in rows) / len(rows)
comm = sum(r.get("ms_comm", 0) for r in rows) / len(rows)
step_ms = sum(r.get("ms_compute", 0) + r.get("ms_comm", 0) + r.get("ms_data", 0) for r in rows) / len(rows)
print(json.dumps({"benchmark": "trainer_scaling", "ranks": int(sys.argv[2]), "threads_per_rank": int(sys.argv[3]),
                  "tokens_per_s": tps, "ms_per_step": step_ms, "ms_comm_exposed": comm,
                  "parameters": record["parameters"],
                  "git": sys.argv[4], "host": sys.argv[5]}))
PY
done
/usr/bin/python3 - "$out/scaling.jsonl" > "$out/scaling.md" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
base = next((r for r in rows if r["ranks"] == 1), rows[0])
print("| ranks | threads/rank | tokens/s | ms/step | exposed comm ms | speed-up | efficiency |")
print("|---|---|---|---|---|---|---|")
for r in rows:
    s = r["tokens_per_s"] / base["tokens_per_s"]
    print(f'| {r["ranks"]} | {r["threads_per_rank"]} | {r["tokens_per_s"]:.0f} | {r["ms_per_step"]:.0f} | '
          f'{r["ms_comm_exposed"]:.1f} | {s:.2f} | {100 * s / (r["ranks"] / base["ranks"]):.0f}% |')
PY
cat "$out/scaling.md"
