#!/usr/bin/env bash
# The main job end to end on the embedded default corpus (Debian's MIDI songs):
# install and build, fetch the songs, prep both directions, train cpu_small
# with mpirun -n 2 (validation, checkpoints), generate 20 bass lines (MIDI and
# A/B audio), evaluate them into report.html, plot the loss curves. Every step skips what is already complete and the
# training resumes from its last checkpoint, so an interrupted run continues.
#   scripts/quickstart.sh [--steps N] [--samples N] [--work DIR] [--data DIR] [--no-setup] [-- --set k=v ...]
# --data: where the songs are fetched (DIR/debian) and the corpora written
# (DIR/corpus/{bass,piano}); --no-setup: skip step 1 (an existing build);
# arguments after -- go to the trainer (tests/docs runs a small version this way).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=600
samples=20
work=runs/quickstart
data=data
setup=1
while (($#)); do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --no-setup) setup=0; shift ;;
    --) shift; break ;;
    *) echo "error: quickstart.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
train_args=("$@")
mkdir -p "$work"
bin=build/bin
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ranks=$(( $(nproc) >= 2 ? 2 : 1 ))

echo "== 1. install and build"
if ((setup)); then scripts/setup.sh --apps-only; else echo "skipped (--no-setup)"; fi

echo "== 2. fetch the default corpus (Debian packages simutrans-data, openttd-openmsx)"
datasets/debian/fetch.sh "$data/debian"

echo "== 3. prep: MIDI -> 96-beat snippets -> REMI + BPE -> HDF5, both directions"
for dir in bass piano; do
  direction="piano->bass"; [[ $dir == piano ]] && direction="bass->piano"
  if [[ ! -f $data/corpus/$dir/corpus.h5 ]]; then
    mkdir -p "$data/corpus/$dir"
    "$bin/accompanist" prep --config configs/prep/default.yaml --input "$data/debian" \
      --output "$data/corpus/$dir/corpus.h5" --set "direction=$direction"
  fi
done

echo "== 4. train the bass model (cpu_small, $ranks ranks, $steps steps; resumes if interrupted)"
launch/local.sh "$ranks" configs/train/cpu_small.yaml "$work/train_bass" \
  --set data.corpus="$data/corpus/bass/corpus.h5" --set train.max_steps="$steps" "${train_args[@]}"

echo "== 5. generate $samples bass lines for validation piano parts (MIDI, and A/B audio when fluidsynth is installed)"
if [[ ! -f "$work/samples/samples.jsonl" ]]; then
  "$bin/accompanist" generate --checkpoint "$work/train_bass/checkpoints/best" --corpus "$data/corpus/bass/corpus.h5" \
    --split valid --count "$samples" --out "$work/samples" --top-k 3 --temperature 1 --seed 1 --render wav
fi

echo "== 6. evaluate (rhythm, tonality, harmony, grammar) against the validation set"
"$bin/accompanist" evaluate --samples "$work/samples" --corpus "$data/corpus/bass/corpus.h5" --out "$work/report"

echo "== 7. loss curves"
/usr/bin/python3 scripts/plot_metrics.py "$work/train_bass" --out "$work/loss.png" || echo "warning: no plot (matplotlib?)"

cat <<EOT

done.
  corpus reports:  $data/corpus/{bass,piano}/prep_report.json
  training run:    $work/train_bass (metrics.jsonl, checkpoints/)
  loss curves:     $work/loss.png
  samples (MIDI):  $work/samples/*.mid (A/B audio: *.generated.wav, *.reference.wav)
  report:          $work/report/report.md (report.json, plots)
EOT
# Last, so it is what a reader sees: the page with the players and piano rolls.
echo "report page:     $(cd "$work/report" && pwd)/report.html (open it in a browser)"
