#!/usr/bin/python3
"""The launch files under a real one-node SLURM cluster (ctest label `slurm`).

    slurm_test.py CASE      CASE: up, down, or one of the cases below

`up` (a ctest FIXTURES_SETUP) makes a small corpus (accompanist synth + prep)
and starts launch/slurm/local-cluster.sh in a private folder
(/tmp/accompanist-slurm-<hash of the build dir>, its own munged and free
ports); `down` (FIXTURES_CLEANUP) stops it, also after failures. Each case
submits the real launch files with sbatch, waits for the job (bounded), and
checks states, outputs and run directories:

  train_srun        2-task train.sbatch, srun --mpi=pmix, submitted from the
                    checkout (found through SLURM_SUBMIT_DIR): the reference run
  train_mpirun      the same with ACCOMPANIST_LAUNCHER=mpirun, submitted from
                    elsewhere with ACCOMPANIST_ROOT: losses and parameters equal
                    to the srun run's
  preempt_signal    a job in the `urgent` partition pre-empts the run: SLURM
                    sends its --signal (B:USR1) to the batch shell -> checkpoint
                    -> requeue -> --resume auto -> the reference's losses and
                    parameters, bit for bit
  preempt_scancel   the same with `scancel --signal=USR1 --batch`
  preempt_at_start  the same as soon as the batch shell runs: a USR1 before
                    the ranks handle it ends them unsaved; the job still
                    requeues and the run comes out the same
  time_limit        --time=2 --signal=B:USR1@50: the signal before the time
                    limit saves a checkpoint; with ACCOMPANIST_MAX_REQUEUES=0 the
                    job ends FAILED with an error line instead of requeueing
  sweep             sweep.sbatch as a 2-task array, then scripts/summarize_runs.py
  scaling           launch/slurm/scaling.sbatch: launch/scaling.sh at 1 and 2 ranks
  failing_jobs      bad config key, missing corpus, no checkout: FAILED, the
                    error line in the output, never requeued

Exit 77 (ctest: skipped) only when SLURM cannot run here at all (not root, or
slurm-wlm/munge not installed). Environment: ACC_SOURCE_DIR, ACC_BINARY_DIR.
"""
import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.environ.get("ACC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.path.abspath(os.environ.get("ACC_BINARY_DIR", os.path.join(ROOT, "build")))
WORK = os.path.join(BUILD, "slurm-test")
CLUSTER = "/tmp/accompanist-slurm-" + hashlib.sha1(BUILD.encode()).hexdigest()[:8]
CONF = os.path.join(CLUSTER, "slurm.conf")
CORPUS = os.path.join(WORK, "corpus", "corpus.h5")
TINY = os.path.join(ROOT, "configs", "train", "tiny.yaml")
STEPS = 240  # long enough (about 4 s on a fast CPU) that a USR1 sent at start-up arrives before the end
# The reference run and the pre-empted runs: dropout on, so the restored RNG
# states matter; validation and checkpoints on the way.
SETS = ["--set", f"data.corpus={CORPUS}", "--set", "train.log_every=1", "--set", f"train.max_steps={STEPS}",
        "--set", "model.dropout=0.1", "--set", "train.valid_every=20", "--set", "train.checkpoint_every=40"]
# The #SBATCH defaults are for GPU nodes; this cluster has CPUs only.
TWO_TASKS = ["--ntasks-per-node=2", "--cpus-per-task=1", "--gpus-per-node=0", "--time=5"]
FINAL_STATES = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL",
                "DEADLINE", "PREEMPTED"}


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def unavailable():
    """Why SLURM cannot run on this machine at all, or None."""
    if os.geteuid() != 0:
        return "needs root (slurmd starts jobs as their user)"
    missing = [t for t in ("munged", "mungekey", "slurmctld", "slurmd", "sbatch", "srun", "scontrol")
               if shutil.which(t) is None]
    if missing:
        return f"{', '.join(missing)} not installed (apt-get install slurm-wlm munge; scripts/setup.sh does)"
    return None


def env(**extra):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("ACCOMPANIST_", "SLURM_"))}
    e.update(SLURM_CONF=CONF, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    e.update(extra)
    return e


def run(cmd, timeout=60, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        raise Failure(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout[-3000:]}{p.stderr[-3000:]}")
    return p.stdout


def sbatch(args, cwd=WORK, **extra):
    out = run(["sbatch", "--parsable"] + args, cwd=cwd, env=env(**extra))
    return out.strip().split(";")[0]


def jobs(job_id):
    """scontrol's records for a job (one per array task): key -> value."""
    p = subprocess.run(["scontrol", "-o", "show", "job", str(job_id)], capture_output=True, text=True, timeout=30,
                       env=env())
    if p.returncode != 0:
        raise Failure(f"scontrol show job {job_id}: {p.stderr.strip()}")
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in p.stdout.splitlines() if line.strip()]


def wait_jobs(job_id, timeout):
    """Waits until every task of the job is in a final state; cancels it on timeout."""
    t0 = time.time()
    while True:
        recs = jobs(job_id)
        if recs and all(r["JobState"] in FINAL_STATES for r in recs):
            return recs
        # Reasons that never clear on this cluster: fail now, not at the timeout.
        stuck = [r for r in recs if r["JobState"] == "PENDING" and r.get("Reason") in
                 ("PartitionConfig", "ReqNodeNotAvail", "BadConstraints", "InvalidAccount", "JobHeldAdmin")]
        if stuck:
            subprocess.run(["scancel", str(job_id)], env=env(), timeout=30)
            raise Failure(f"job {job_id} can never start here: {stuck[0]['Reason']}\n" +
                          run(["scontrol", "show", "job", str(job_id)], env=env()))
        if time.time() - t0 > timeout:
            subprocess.run(["scancel", str(job_id)], env=env(), timeout=30)
            raise Failure(f"job {job_id} not done after {timeout} s: " +
                          ", ".join(f"{r['JobId']} {r['JobState']} {r.get('Reason')}" for r in recs))
        time.sleep(0.3)


def wait_job(job_id, timeout=90):
    return wait_jobs(job_id, timeout)[0]


def read(path):
    return open(path).read() if os.path.exists(path) else f"({path} missing)"


def metrics(run_dir, split=None):
    """(split, step) -> loss; for a step logged twice (a resume) the last line wins."""
    out = {}
    path = os.path.join(run_dir, "metrics.jsonl")
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            try:
                d = json.loads(line)
            except ValueError:
                continue  # a line being written
            if split is None or d["split"] == split:
                out[(d["split"], d["step"])] = d["loss"]
    return out


def complete_steps(run_dir):
    d = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(d):
        return []
    return sorted(int(n[5:]) for n in os.listdir(d)
                  if n.startswith("step-") and os.path.exists(os.path.join(d, n, "COMPLETE")))


def same_parameters(a_dir, b_dir):
    """The final checkpoints hold the same parameters: the same model.pt bytes,
    else (to say by how much they differ) a comparison of the tensors."""
    a, b = (os.path.join(d, "checkpoints", f"step-{STEPS:08d}", "model.pt") for d in (a_dir, b_dir))
    check(os.path.exists(a) and os.path.exists(b), f"final checkpoint missing: {a} / {b}")
    if open(a, "rb").read() == open(b, "rb").read():
        return
    code = ("import sys, torch\n"
            "a = dict(torch.jit.load(sys.argv[1]).named_parameters())\n"
            "b = dict(torch.jit.load(sys.argv[2]).named_parameters())\n"
            "print(max(float((a[k] - b[k]).abs().max()) for k in a) if a.keys() == b.keys() else 'names differ')\n")
    diff = subprocess.run(["/usr/bin/python3", "-c", code, a, b], capture_output=True, text=True, timeout=120)
    raise Failure(f"parameters differ: {a} vs {b}: max |difference| {diff.stdout.strip()} {diff.stderr[-500:]}")


def expect_same_run(run_dir, reference):
    got, want = metrics(run_dir), metrics(reference)
    check(len(want) == STEPS + STEPS // 20, f"reference {reference}: {len(want)} metric lines")
    diffs = [(k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    check(not diffs, f"{run_dir}: losses differ from {reference} at (split, step, reference, this run): "
          f"{diffs[:5]}")
    same_parameters(run_dir, reference)
    print(f"same losses ({len(want)} train and valid lines) and parameters as {reference}")


# --- cases -------------------------------------------------------------------------------------

def case_up():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(os.path.dirname(CORPUS))
    bin_ = os.path.join(BUILD, "bin", "accompanist")
    run([bin_, "synth", "--songs", "40", "--seed", "1", "--out", os.path.join(WORK, "midi"), "--no-progress"])
    run([bin_, "prep", "--config", os.path.join(ROOT, "configs", "prep", "default.yaml"), "--input",
         os.path.join(WORK, "midi"), "--output", CORPUS], timeout=120)
    print(run([os.path.join(ROOT, "launch", "slurm", "local-cluster.sh"), "up", CLUSTER], timeout=120), end="")
    print(run(["sinfo"], env=env()), end="")


def case_down():
    print(run([os.path.join(ROOT, "launch", "slurm", "local-cluster.sh"), "down", CLUSTER], timeout=120), end="")
    p = subprocess.run([os.path.join(ROOT, "launch", "slurm", "local-cluster.sh"), "status", CLUSTER],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 1 and "running" not in p.stdout, f"daemons still running after down:\n{p.stdout}")


def submit_train(name, cwd=ROOT, sbatch_args=(), sets=SETS, **extra):
    run_dir = os.path.join(WORK, name)
    shutil.rmtree(run_dir, ignore_errors=True)
    out = os.path.join(WORK, f"{name}.out")
    if os.path.exists(out):
        os.remove(out)
    job = sbatch(TWO_TASKS + [f"--output={out}"] + list(sbatch_args) +
                 [os.path.join("launch", "slurm", "train.sbatch") if cwd == ROOT else
                  os.path.join(ROOT, "launch", "slurm", "train.sbatch"), TINY, run_dir] + list(sets),
                 cwd=cwd, **extra)
    print(f"{name}: job {job}")
    return job, run_dir, out


def expect_completed(job, out, restarts=0):
    rec = wait_job(job)
    log = read(out)
    check(rec["JobState"] == "COMPLETED" and rec["ExitCode"] == "0:0",
          f"job {job}: {rec['JobState']} exit {rec['ExitCode']}\n{log[-4000:]}")
    check(rec["Restarts"] == str(restarts), f"job {job}: {rec['Restarts']} restarts, expected {restarts}\n{log[-3000:]}")
    check(not re.search(r"^error: ", log, re.M), f"job {job}: an error line\n{log[-3000:]}")
    return log


def case_train_srun():
    # Submitted from the checkout by a relative path, as the README says: the
    # batch script runs from slurmd's spool and finds the checkout through
    # SLURM_SUBMIT_DIR.
    job, run_dir, out = submit_train("train_srun")
    log = expect_completed(job, out)
    check("2 tasks via srun" in log and "2 rank(s)" in log, f"not 2 ranks via srun:\n{log[-3000:]}")
    check(f"done: {STEPS} steps" in log, log[-3000:])
    check(complete_steps(run_dir)[-1] == STEPS, f"{run_dir}: checkpoints {complete_steps(run_dir)}")
    print(f"train_srun: {len(metrics(run_dir))} metric lines, checkpoints {complete_steps(run_dir)}")


def case_train_mpirun():
    elsewhere = os.path.join(WORK, "elsewhere")
    os.makedirs(elsewhere, exist_ok=True)
    job, run_dir, out = submit_train("train_mpirun", cwd=elsewhere, ACCOMPANIST_ROOT=ROOT,
                                     ACCOMPANIST_LAUNCHER="mpirun")
    log = expect_completed(job, out)
    check("2 tasks via mpirun" in log and "2 rank(s)" in log, f"not 2 ranks via mpirun:\n{log[-3000:]}")
    expect_same_run(run_dir, os.path.join(WORK, "train_srun"))


def preempt(name, stop, at_start=False):
    """Submits the reference run, stops it with stop(job) once a few steps are
    logged (at_start: as soon as the batch shell runs, likely before the ranks
    handle USR1), and expects one requeue and the reference's losses and
    parameters."""
    job, run_dir, out = submit_train(name)
    t0 = time.time()
    while len(metrics(run_dir, "train")) < 3:
        state = jobs(job)[0]["JobState"]
        # The batch shell has its trap (the first thing it does) once it
        # prints its start line; the ranks are then still starting.
        if at_start and "start 1 on" in read(out):
            break
        check(state in ("PENDING", "RUNNING"), f"job {job} {state} before it was stopped:\n{read(out)[-3000:]}")
        check(time.time() - t0 < 60, f"job {job}: no training steps after 60 s:\n{read(out)[-3000:]}")
        time.sleep(0.05 if at_start else 0.1)
    stop(job)
    log = expect_completed(job, out, restarts=1)
    check("SIGUSR1: asking the ranks to save" in log and f"requeueing job {job}" in log and "start 2 on" in log,
          f"job {job}: no stop and requeue:\n{log[-4000:]}")
    m = re.search(r"resumed from \S+/step-(\d+) \(step (\d+)\)", log)
    if at_start and not m:
        check("no checkpoint yet; requeueing" in log, f"job {job}: neither resumed nor stopped at the start:\n{log}")
        print(f"{name}: stopped during start-up, requeued without a checkpoint, started afresh")
    else:
        check(m, f"job {job}: no resume in the output:\n{log[-4000:]}")
        stopped_at = int(m.group(2))
        check(f"saving step {stopped_at}" in log, f"job {job}: no save at step {stopped_at}:\n{log[-4000:]}")
        check((0 if at_start else 3) <= stopped_at < STEPS,
              f"job {job}: stopped at step {stopped_at}: not early enough to test resuming")
        print(f"{name}: stopped at step {stopped_at}, requeued, resumed")
    print(f"{name}: finished in {time.time() - t0:.1f} s")
    expect_same_run(run_dir, os.path.join(WORK, "train_srun"))


def case_preempt_signal():
    def urgent(job):
        # Pre-emption: SLURM sends the job's --signal (B:USR1) to its batch shell.
        u = sbatch(["--partition=urgent", "--exclusive", "--ntasks=1", "--time=1", f"--output={WORK}/urgent.out", "--wrap", "true"])
        print(f"preempt_signal: urgent job {u} pre-empts job {job}")
    preempt("preempt_signal", urgent)


def case_preempt_scancel():
    def usr1(job):
        run(["scancel", "--signal=USR1", "--batch", job], env=env())
        print(f"preempt_scancel: scancel --signal=USR1 --batch {job}")
    preempt("preempt_scancel", usr1)


def case_preempt_at_start():
    def usr1(job):
        run(["scancel", "--signal=USR1", "--batch", job], env=env())
        print(f"preempt_at_start: scancel --signal=USR1 --batch {job} as soon as it runs")
    preempt("preempt_at_start", usr1, at_start=True)


def case_time_limit():
    sets = [s if not s.startswith("train.max_steps=") else "train.max_steps=1000000" for s in SETS]
    job, run_dir, out = submit_train("time_limit", sbatch_args=["--time=2", "--signal=B:USR1@50"], sets=sets,
                                     ACCOMPANIST_MAX_REQUEUES="0")
    t0 = time.time()
    # SLURM sends the signal up to 60 s early: between 10 and 70 s here, after
    # the ranks have started (with --time=1 it came at once, before them).
    rec = wait_job(job, timeout=150)
    log = read(out)
    check(rec["JobState"] == "FAILED" and rec["Restarts"] == "0",
          f"job {job}: {rec['JobState']}, {rec['Restarts']} restarts (expected FAILED, 0)\n{log[-4000:]}")
    m = re.search(r"saving step (\d+) and exiting", log)
    check("SIGUSR1: asking the ranks to save" in log and m, f"job {job}: no USR1 stop:\n{log[-4000:]}")
    step = int(m.group(1))
    check(step in complete_steps(run_dir), f"{run_dir}: no complete checkpoint at step {step}")
    check(re.search(r"^error: train\.sbatch: stopped at step \d+ after 0 requeues \(ACCOMPANIST_MAX_REQUEUES=0\)",
                    log, re.M), f"job {job}: no error line about the requeue limit:\n{log[-3000:]}")
    print(f"time_limit: USR1 before the time limit, checkpoint at step {step}, FAILED without requeue "
          f"({time.time() - t0:.1f} s)")


def case_sweep():
    grid = os.path.join(WORK, "sweep.grid")
    with open(grid, "w") as f:
        f.write("# two runs\ntrain.lr=1e-3\n\ntrain.lr=3e-3 train.schedule=cosine\n")
    runs = os.path.join(WORK, "sweep")
    shutil.rmtree(runs, ignore_errors=True)
    sets = ["--set", f"data.corpus={CORPUS}", "--set", "train.max_steps=20", "--set", "train.valid_every=10",
            "--set", "train.checkpoint_every=20", "--set", "train.log_every=5"]
    job = sbatch(["--array=0-1", "--cpus-per-task=1", "--gpus-per-node=0", "--time=5",
                  f"--output={WORK}/sweep-%A_%a.out", os.path.join("launch", "slurm", "sweep.sbatch"), TINY, grid,
                  runs] + sets, cwd=ROOT)
    recs = wait_jobs(job, timeout=90)
    logs = "".join(read(f"{WORK}/sweep-{job}_{i}.out") for i in (0, 1))
    check(len(recs) == 2 and all(r["JobState"] == "COMPLETED" for r in recs),
          f"sweep {job}: " + ", ".join(f"{r['JobId']} {r['JobState']}" for r in recs) + "\n" + logs[-4000:])
    dirs = sorted(os.listdir(runs))
    check(dirs == ["0-train.lr_1e-3", "1-train.lr_3e-3_train.schedule_cosine"], f"{runs}: {dirs}")
    table = run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "summarize_runs.py")] +
                [os.path.join(runs, d) for d in dirs] + ["--csv", "-"])
    rows = list(csv.DictReader(io.StringIO(table)))
    check(sorted(r["run"] for r in rows) == dirs, f"summary rows: {table}")
    lines = {"0-train.lr_1e-3": "train.lr=1e-3", "1-train.lr_3e-3_train.schedule_cosine": "train.lr=3e-3 train.schedule=cosine"}
    for r in rows:
        check(r["status"] == "complete checkpoint at step 20" and r["steps"] == "20", f"summary: {r}")
        # The common --set options first, then the task's grid line.
        check(r["overrides"].endswith(lines[r["run"]]), f"summary: {r['run']}: overrides {r['overrides']}")
    print(run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "summarize_runs.py")] +
              [os.path.join(runs, d) for d in dirs]), end="")


def case_scaling():
    out_dir = os.path.join(WORK, "scaling")
    shutil.rmtree(out_dir, ignore_errors=True)
    log = os.path.join(WORK, "scaling.out")
    job = sbatch(["--ntasks-per-node=2", "--cpus-per-task=1", "--gpus-per-node=0", "--time=5", f"--output={log}",
                  os.path.join("launch", "slurm", "scaling.sbatch"), "--ranks", "1 2", "--steps", "10",
                  "--config", TINY, "--out", out_dir], cwd=ROOT)
    rec = wait_job(job)
    text = read(log)
    check(rec["JobState"] == "COMPLETED", f"scaling job {job}: {rec['JobState']}\n{text[-4000:]}")
    rows = [json.loads(l) for l in open(os.path.join(out_dir, "scaling.jsonl"))]
    check([r["ranks"] for r in rows] == [1, 2] and all(r["tokens_per_s"] > 0 for r in rows), f"scaling rows {rows}")
    check("launcher srun" in text, f"not launched with srun:\n{text[-3000:]}")
    print(read(os.path.join(out_dir, "scaling.md")), end="")


def case_failing_jobs():
    cases = [("bad_config", ["--set", "train.bogus=1"], {}, ROOT, "train.bogus: unknown key"),
             ("missing_corpus", ["--set", "data.corpus=/nonexistent/corpus.h5"], {}, ROOT,
              "/nonexistent/corpus.h5: no such file"),
             ("no_checkout", SETS, {}, WORK, "error: train.sbatch: cannot find the accompanist checkout")]
    submitted = []
    for name, sets, extra, cwd, text in cases:
        job, run_dir, out = submit_train(name, cwd=cwd, sets=sets, **extra)
        submitted.append((name, job, out, text))
    for name, job, out, text in submitted:
        rec = wait_job(job)
        log = read(out)
        check(rec["JobState"] == "FAILED" and rec["ExitCode"] != "0:0",
              f"{name}: job {job} {rec['JobState']} exit {rec['ExitCode']}\n{log[-3000:]}")
        check(text in log and re.search(r"^(\[.*\] )?error: ", log, re.M), f"{name}: no '{text}' line:\n{log[-3000:]}")
        check("terminate called" not in log and "requeueing job" not in log, f"{name}:\n{log[-3000:]}")
        print(f"{name}: job {job} FAILED ({rec['ExitCode']}): " +
              next(l for l in log.splitlines() if text.split(': ')[-1] in l))
    # Not requeued later either: the records stay FAILED with 0 restarts.
    time.sleep(2)
    for name, job, out, text in submitted:
        rec = jobs(job)[0]
        check(rec["JobState"] == "FAILED" and rec["Restarts"] == "0", f"{name}: job {job} now {rec}")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: slurm_test.py up|down|CASE")
    case = globals().get("case_" + sys.argv[1])
    if case is None:
        sys.exit(f"error: slurm_test.py: unknown case {sys.argv[1]}")
    reason = unavailable()
    if reason:
        print(f"SKIP: SLURM cannot run here: {reason}")
        sys.exit(77)
    if sys.argv[1] not in ("up", "down") and not os.path.exists(CONF):
        sys.exit(f"error: slurm_test.py: no cluster in {CLUSTER} (the slurm.up fixture did not run?)")
    t0 = time.time()
    try:
        case()
    except Failure as e:
        print(f"FAIL {sys.argv[1]}: {e}")
        sys.exit(1)
    print(f"PASS {sys.argv[1]} ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
