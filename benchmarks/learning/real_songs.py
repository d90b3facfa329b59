#!/usr/bin/python3
"""Does a trained model put a bass under real piano parts? The real-music
learning benchmark (issue 20).

Each recipe trains configs/train/cpu_small.yaml on 2 ranks (pretraining on
MMA-rendered songs, then configs/train/cpu_small_finetune.yaml on the real
Debian songs, or either alone, corpora from configs/prep/cpu_small.yaml;
chord conditioning on or off; real songs transposed or not), then generates
bass parts for held-out songs and evaluates them with `accompanist evaluate`.
One JSON line per (recipe, evaluation set): root agreement, chord-tone rate,
bars filled, notes per onset and the grammar error rate of the generated
parts, each beside the reference bass and the shuffled baseline, plus the
training seconds of the recipe (pretraining included).

Evaluation sets, all held out by song:
  debian-valid  the Debian validation songs: what recipes were chosen on;
  debian-test   the Debian test songs: never trained on, never used to choose;
  mma-valid     the MMA validation songs.

  /usr/bin/python3 benchmarks/learning/real_songs.py [--build build] [--work DIR]
      [--recipes a,b,...] [--mma-songs N] [--pretrain-steps N] [--finetune-steps N]
      [--samples N] [--reuse] [--quick] > real_songs.jsonl

The figures of docs/model.md ("The recipe, measured") were made this way.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from learning import fail, git_revision, machine, run, valid_loss  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRANSPOSE = "[-6,-5,-4,-3,-2,-1,1,2,3,4,5]"
CHORDS_ON = ["model.chord_conditioning.source=true", "model.chord_conditioning.target=true"]
CHORDS_OFF = ["model.chord_conditioning.source=false", "model.chord_conditioning.target=false"]

# name -> (pretrain on MMA?, fine-tune / train on Debian?, chords?, transpose Debian?, replay MMA while fine-tuning?)
RECIPES = {
    "debian": (False, True, False, False, False),  # the quickstart before issue 20
    "debian-chords": (False, True, True, False, False),
    "debian-chords-transposed": (False, True, True, True, False),
    "mma-chords": (True, False, True, False, False),
    "mma": (True, False, False, False, False),
    "mma-debian": (True, True, False, False, False),
    "mma-debian-chords": (True, True, True, False, False),
    "mma-debian-chords-transposed": (True, True, True, True, False),
    "mma-debian-chords-replay": (True, True, True, False, True),  # the quickstart's recipe
}
REPLAY_FRACTION = 0.5


def acc_bin(args, name):
    return os.path.join(args.build, "bin", name)


def prep(args, name, songs, sets):
    out = os.path.join(args.work, "corpus", name, "corpus.h5")
    if not os.path.exists(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
        cmd = [acc_bin(args, "accompanist"), "prep", "--config", os.path.join(ROOT, "configs/prep/cpu_small.yaml"),
               "--input", songs, "--output", out, "--no-progress"]
        for s in sets:
            cmd += ["--set", s]
        run(cmd, os.path.join(args.work, "prep.log"))
    return out


def corpora(args):
    mma_songs = os.path.join(args.work, "mma-songs")
    run([os.path.join(ROOT, "datasets/mma/render.sh"), "--songs", str(args.mma_songs), "--seed", "1", mma_songs],
        os.path.join(args.work, "render.log"))
    debian = os.path.join(ROOT, "data", "debian")
    if not os.path.isdir(debian):
        fail(debian, "missing (datasets/debian/fetch.sh data/debian)")
    mma = prep(args, "mma", mma_songs, ["split.valid=0.05", "split.test=0.05"])
    tok = os.path.join(os.path.dirname(mma), "tokenizer.json")
    return {
        "mma": mma,
        "debian": prep(args, "debian", debian, [f"bpe.tokenizer={tok}"]),
        "debian-t": prep(args, "debian-t", debian, [f"bpe.tokenizer={tok}", f"augment.transpose={TRANSPOSE}"]),
    }


def train(args, name, corpus, steps, chords, init_from=None, replay=None):
    """Trains (or reuses) one run: cpu_small, or cpu_small_finetune from init_from; returns (run dir, seconds)."""
    run_dir = os.path.join(args.work, "runs", name)
    done = os.path.isfile(os.path.join(run_dir, "checkpoints", "best", "COMPLETE"))
    if done and args.reuse:
        with open(os.path.join(run_dir, "metrics.jsonl")) as f:
            return run_dir, max(json.loads(line)["time_s"] for line in f)
    shutil.rmtree(run_dir, ignore_errors=True)
    sets = [f"data.corpus={corpus}", f"train.max_steps={steps}", "train.sample_every=0"] + args.train_sets
    sets += CHORDS_ON if chords else CHORDS_OFF
    if init_from:
        sets.append(f"train.init_from={os.path.join(init_from, 'checkpoints', 'best')}")
    if init_from:  # cpu_small_finetune.yaml replays data/corpus/mma: this corpus or none
        sets += [f"data.replay.corpus={replay or ''}", f"data.replay.fraction={REPLAY_FRACTION}"]
    config = "cpu_small_finetune.yaml" if init_from else "cpu_small.yaml"
    cmd = [os.path.join(ROOT, "launch/local.sh"), str(args.ranks), os.path.join(ROOT, "configs/train", config), run_dir]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.time()
    run(cmd, os.path.join(args.work, f"{name}.log"))
    return run_dir, time.time() - t0


def evaluate(args, name, run_dir, corpus, split, checkpoint=None):
    """Generates and evaluates from run_dir's best checkpoint (or `checkpoint`); returns the report."""
    samples = os.path.join(args.work, "samples", f"{name}-{split}")
    report = os.path.join(args.work, "reports", f"{name}-{split}")
    shutil.rmtree(samples, ignore_errors=True)
    log = os.path.join(args.work, f"{name}.log")
    run([acc_bin(args, "accompanist"), "generate", "--checkpoint", checkpoint or os.path.join(run_dir, "checkpoints", "best"),
         "--corpus", corpus, "--split", split, "--count", str(args.samples), "--out", samples, "--top-k", "3",
         "--seed", "1", "--threads", str(os.cpu_count() or 1)] + args.generate_args, log)
    run([acc_bin(args, "accompanist"), "evaluate", "--samples", samples, "--corpus", corpus, "--out", report], log)
    with open(os.path.join(report, "report.json")) as f:
        return json.load(f)


def measures(rep):
    h = rep.get("harmony") or {}

    def sets(node, keys=("generated", "reference", "shuffled")):
        return {k: node.get(k) for k in keys if k in node}

    return dict(samples=rep.get("samples"), root_agreement=sets(h.get("root_agreement", {})),
                chord_tone_rate=sets(h.get("chord_tone_rate", {})), bars_filled=sets(h.get("bars_filled", {})),
                notes_per_onset=sets(rep.get("notes_per_onset", {}), ("generated", "reference")),
                notes_per_bar=sets((rep.get("rhythm") or {}).get("notes_per_bar", {}), ("generated", "reference")),
                grammar_error_rate=rep.get("grammar_error_rate"))


def recipe(args, name, data):
    pretrain, finetune, chords, transpose, replay = RECIPES[name]
    train_s, pre_dir, run_dir = 0.0, None, None
    if pretrain:
        pre_dir, s = train(args, f"pre-mma-{'c' if chords else 'n'}", data["mma"], args.pretrain_steps, chords)
        train_s += s
        run_dir = pre_dir
    if finetune:
        run_dir, s = train(args, name, data["debian-t" if transpose else "debian"],
                           args.finetune_steps if pretrain else args.pretrain_steps + args.finetune_steps, chords,
                           init_from=pre_dir, replay=data["mma"] if replay else None)
        train_s += s
    lines = []
    for label, corpus, split in (("debian-valid", data["debian"], "valid"), ("debian-test", data["debian"], "test"),
                                 ("mma-valid", data["mma"], "valid")):
        rep = evaluate(args, name, run_dir, corpus, split)
        lines.append(dict(benchmark="learning-real", recipe=name, pretrain=pretrain, finetune=finetune,
                          chords=chords, transpose=transpose, replay=replay, eval_set=label, train_s=round(train_s, 1),
                          valid_loss=valid_loss(run_dir), **measures(rep), git=git_revision(), machine=machine()))
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "acc_real_songs"))
    ap.add_argument("--recipes", default=",".join(RECIPES))
    ap.add_argument("--mma-songs", type=int, default=1000)
    ap.add_argument("--pretrain-steps", type=int, default=1500)
    ap.add_argument("--finetune-steps", type=int, default=200)
    ap.add_argument("--samples", type=int, default=40, help="generated parts per evaluation set")
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--generate-args", default="", help="extra `accompanist generate` arguments (quoted)")
    ap.add_argument("--reuse", action="store_true", help="keep complete runs in WORK; generate and evaluate again")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the benchmark itself")
    args = ap.parse_args()
    args.generate_args = args.generate_args.split()
    args.train_sets = []
    if args.quick:  # validation and checkpoints within the few steps, so that a best checkpoint exists
        args.mma_songs, args.pretrain_steps, args.finetune_steps, args.samples = 40, 30, 20, 4
        args.train_sets = ["train.valid_every=10", "train.checkpoint_every=10"]
    for b in ("accompanist", "accompanist-train"):
        if not os.access(acc_bin(args, b), os.X_OK):
            fail(acc_bin(args, b), "not built (scripts/setup.sh builds it)")
    names = args.recipes.split(",")
    for n in names:
        if n not in RECIPES:
            fail("--recipes", f"unknown recipe {n} (known: {', '.join(RECIPES)})")
    os.makedirs(args.work, exist_ok=True)
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
    os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    data = corpora(args)
    for n in names:
        for line in recipe(args, n, data):
            print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
