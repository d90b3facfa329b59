#!/usr/bin/env bash
# The main job end to end: install and build, fetch the real songs that Debian
# ships (the embedded default corpus) and render chord-chart songs with MMA,
# prep both, pretrain the bass model (cpu_small, chord conditioning) on the MMA
# songs with mpirun -n 2, fine-tune it on the real training songs (with MMA
# songs replayed), generate bass
# lines for the real validation songs (MIDI and A/B audio), evaluate them into
# report.html, plot the loss curves. Every step skips what is already complete
# and each training resumes from its last checkpoint, so an interrupted run
# continues where it stopped. docs/quickstart.md says what each step writes.
#   scripts/quickstart.sh [--pretrain-steps N] [--finetune-steps N] [--mma-songs N]
#                         [--samples N] [--work DIR] [--data DIR] [--no-setup] [-- --set k=v ...]
# --data: where the songs are fetched and rendered (DIR/debian, DIR/mma) and the
# corpora written (DIR/corpus/{mma,bass,piano}); --no-setup: skip step 1 (an
# existing build); arguments after -- go to both trainings (tests/docs runs a
# small version this way). --steps N is --pretrain-steps N (older scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
pretrain_steps=1500
finetune_steps=200
mma_songs=1000
samples=20
work=runs/quickstart
data=data
setup=1
while (($#)); do
  case "$1" in
    --pretrain-steps | --steps) pretrain_steps=$2; shift 2 ;;
    --finetune-steps) finetune_steps=$2; shift 2 ;;
    --mma-songs) mma_songs=$2; shift 2 ;;
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
start=$(date +%s)
elapsed() { echo "($(( ($(date +%s) - start) / 60 )) min so far)"; }

echo "== 1. install and build"
if ((setup)); then scripts/setup.sh --apps-only; else echo "skipped (--no-setup)"; fi

echo "== 2. songs: the real ones Debian ships (default corpus), and $mma_songs chord-chart songs rendered by MMA $(elapsed)"
datasets/debian/fetch.sh "$data/debian"
datasets/mma/render.sh --songs "$mma_songs" --seed 1 "$data/mma"

echo "== 3. prep: MIDI -> 12-bar snippets -> REMI + BPE -> HDF5 $(elapsed)"
prep() {  # prep NAME INPUT [--set k=v ...]
  local name=$1 input=$2
  shift 2
  if [[ ! -f $data/corpus/$name/corpus.h5 ]]; then
    mkdir -p "$data/corpus/$name"
    "$bin/accompanist" prep --config configs/prep/cpu_small.yaml --input "$input" \
      --output "$data/corpus/$name/corpus.h5" "$@"
  fi
}
# The MMA corpus learns the tokenizer; the real songs reuse it, so that the
# pretrained model reads them. Few MMA songs validate: they are many.
prep mma "$data/mma" --set split.valid=0.05 --set split.test=0.05
prep bass "$data/debian" --set "bpe.tokenizer=$data/corpus/mma/tokenizer.json"
prep piano "$data/debian" --set "direction=bass->piano"

echo "== 4. pretrain the bass model on the MMA songs (cpu_small, $ranks ranks, $pretrain_steps steps; resumes if interrupted) $(elapsed)"
launch/local.sh "$ranks" configs/train/cpu_small.yaml "$work/pretrain_bass" \
  --set data.corpus="$data/corpus/mma/corpus.h5" --set train.max_steps="$pretrain_steps" "${train_args[@]}"

echo "== 5. fine-tune it on the real training songs, half of each epoch MMA songs ($finetune_steps steps) $(elapsed)"
launch/local.sh "$ranks" configs/train/cpu_small_finetune.yaml "$work/train_bass" \
  --set data.corpus="$data/corpus/bass/corpus.h5" --set data.replay.corpus="$data/corpus/mma/corpus.h5" \
  --set train.max_steps="$finetune_steps" \
  --set train.init_from="$work/pretrain_bass/checkpoints/best" "${train_args[@]}"

echo "== 6. generate $samples bass lines for the real validation songs (MIDI, and A/B audio when fluidsynth is installed) $(elapsed)"
if [[ ! -f "$work/samples/samples.jsonl" ]]; then
  "$bin/accompanist" generate --checkpoint "$work/train_bass/checkpoints/best" --corpus "$data/corpus/bass/corpus.h5" \
    --split valid --count "$samples" --out "$work/samples" --top-k 3 --temperature 1 --seed 1 --render wav
fi

echo "== 7. evaluate (rhythm, tonality, harmony, grammar) against the validation set $(elapsed)"
"$bin/accompanist" evaluate --samples "$work/samples" --corpus "$data/corpus/bass/corpus.h5" --out "$work/report"

echo "== 8. loss curves"
/usr/bin/python3 scripts/plot_metrics.py "$work/pretrain_bass" "$work/train_bass" --out "$work/loss.png" ||
  echo "warning: no plot (matplotlib?)"

cat <<EOT

done in $(( ($(date +%s) - start) / 60 )) minutes.
  corpus reports:  $data/corpus/{mma,bass,piano}/prep_report.json
  training runs:   $work/pretrain_bass, $work/train_bass (metrics.jsonl, checkpoints/)
  loss curves:     $work/loss.png
  samples (MIDI):  $work/samples/*.mid (A/B audio: *.generated.wav, *.reference.wav)
  report:          $work/report/report.md (report.json, plots)
  your own song:   $bin/accompanist generate --checkpoint $work/train_bass/checkpoints/best --midi SONG.mid --out DIR
EOT
# Last, so it is what a reader sees: the page with the players and piano rolls.
echo "report page:     $(cd "$work/report" && pwd)/report.html (open it in a browser)"
