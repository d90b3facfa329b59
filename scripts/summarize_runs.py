#!/usr/bin/python3
"""One table comparing training run directories (e.g. the runs of a sweep).

    scripts/summarize_runs.py RUN_DIR [RUN_DIR ...] [--csv FILE] [--markdown FILE]
                              [--sort COLUMN] [--reverse]

Each RUN_DIR is an `accompanist-train --run-dir` directory. From its
metrics.jsonl (the last line for a (split, step) wins, as resumes can repeat
steps), config.yaml, run.json and checkpoints/ one row is made:

    run            the directory name
    overrides      run.json's `overrides`; without run.json, the config.yaml keys
                   whose values differ between the given runs, as key=value
    steps          last train step
    best_valid     lowest validation loss and the step it occurred at
    last_valid     validation loss at the last validation step
    last_train     train loss at the last train step
    tokens_per_s   mean train tokens/s, leaving out the first logged interval
                   (start-up and warm-up) when there are more
    wall_time_s    time_s of the last line (counted from the start or the last
                   resume of the process)
    status         `complete checkpoint at step N` or `no checkpoint`

The table is printed as markdown to stdout (or to --markdown FILE); --csv FILE
writes it as CSV ('-' for stdout, which then replaces the markdown unless
--markdown is given). Rows are sorted by best validation loss, runs without
validation last; --sort picks another column (missing values always last).
Paths that are not run directories are skipped with a warning; exit status 1
when no usable run is left. Needs only Debian's python3 and python3-yaml.
"""
import argparse
import csv
import json
import os
import sys

import yaml

# CSV column names; `--sort` takes one of them.
COLUMNS = ["run", "overrides", "steps", "best_valid_loss", "best_valid_step", "last_valid_loss",
           "last_train_loss", "train_tokens_per_s", "wall_time_s", "status"]


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


def read_metrics(path):
    """Returns {(split, step): record} (the last line per key wins) and the last record read."""
    records, last = {}, None
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                key = (r["split"], int(r["step"]))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                # A torn last line of a running or killed job must not hide the rest of the run.
                warn(f"{path}:{lineno}: malformed metrics line skipped")
                continue
            records[key] = r
            last = r
    return records, last


def read_yaml_or_json(path, loader):
    """The parsed file, or None when it is absent or unreadable (older runs have no run.json)."""
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return loader(f)
    except (OSError, ValueError, yaml.YAMLError) as e:
        warn(f"{path}: unreadable ({e.__class__.__name__}); ignored")
        return None


def flatten(tree, prefix=""):
    """{"train": {"lr": 1e-3}} -> {"train.lr": 1e-3}: the same dotted keys `--set` takes."""
    out = {}
    for key, value in (tree or {}).items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def last_complete_checkpoint(run_dir):
    """Step of the newest checkpoints/step-N with its COMPLETE marker (the ones a resume would load)."""
    best = None
    ckpt_dir = os.path.join(run_dir, "checkpoints")
    for name in os.listdir(ckpt_dir) if os.path.isdir(ckpt_dir) else []:
        if name.startswith("step-") and os.path.isfile(os.path.join(ckpt_dir, name, "COMPLETE")):
            try:
                step = int(name[len("step-"):])
            except ValueError:
                continue
            best = step if best is None else max(best, step)
    return best


def summarize(run_dir):
    """One row (dict over COLUMNS, None where unknown) plus the flat config for computed overrides."""
    records, last = read_metrics(os.path.join(run_dir, "metrics.jsonl"))
    train = [records[k] for k in sorted(records) if k[0] == "train"]
    valid = [records[k] for k in sorted(records) if k[0] == "valid"]
    row = dict.fromkeys(COLUMNS)
    row["run"] = os.path.basename(os.path.normpath(run_dir))
    if train:
        row["steps"] = train[-1]["step"]
        row["last_train_loss"] = train[-1].get("loss")
        # The first interval includes start-up and warm-up, which would understate throughput.
        speeds = [r["tokens_per_s"] for r in (train[1:] if len(train) > 1 else train) if "tokens_per_s" in r]
        row["train_tokens_per_s"] = sum(speeds) / len(speeds) if speeds else None
    if valid:
        best = min(valid, key=lambda r: (r["loss"], r["step"]))  # earliest step on a tie
        row["best_valid_loss"], row["best_valid_step"] = best["loss"], best["step"]
        row["last_valid_loss"] = valid[-1]["loss"]
    if last is not None:
        row["wall_time_s"] = last.get("time_s")
    step = last_complete_checkpoint(run_dir)
    row["status"] = "no checkpoint" if step is None else f"complete checkpoint at step {step}"
    run_json = read_yaml_or_json(os.path.join(run_dir, "run.json"), json.load)
    if isinstance(run_json, dict) and isinstance(run_json.get("overrides"), list):
        row["overrides"] = " ".join(str(o) for o in run_json["overrides"])
    config = read_yaml_or_json(os.path.join(run_dir, "config.yaml"), yaml.safe_load)
    return row, flatten(config) if isinstance(config, dict) else None


def fill_computed_overrides(rows, configs):
    """For runs without run.json: the config keys whose values are not the same in every given run."""
    known = [c for c in configs if c is not None]
    keys = sorted({k for c in known for k in c})
    differing = [k for k in keys if len({repr(c.get(k, "<absent>")) for c in known}) > 1]
    for row, config in zip(rows, configs):
        if row["overrides"] is None and config is not None:
            row["overrides"] = " ".join(f"{k}={yaml_scalar(config[k])}" for k in differing if k in config)


def sort_rows(rows, column, reverse):
    present = [r for r in rows if r[column] is not None]
    missing = [r for r in rows if r[column] is None]
    present.sort(key=lambda r: r["run"])  # stable: ties keep name order
    present.sort(key=lambda r: r[column], reverse=reverse)
    return present + sorted(missing, key=lambda r: r["run"])


def fmt(value, digits):
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def markdown_table(rows):
    header = ["run", "overrides", "steps", "best valid loss (step)", "last valid loss", "last train loss",
              "train tokens/s", "wall time (s)", "status"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * 6 + ["---"]) + "|"]
    for r in rows:
        best = "-" if r["best_valid_loss"] is None else f"{r['best_valid_loss']:.4f} ({r['best_valid_step']})"
        cells = [r["run"], r["overrides"] or "-", fmt(r["steps"], 0), best, fmt(r["last_valid_loss"], 4),
                 fmt(r["last_train_loss"], 4), fmt(r["train_tokens_per_s"], 0), fmt(r["wall_time_s"], 1),
                 r["status"]]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def write_csv(rows, out):
    w = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.items()})


def open_output(path):
    return sys.stdout if path == "-" else open(path, "w", newline="")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV ('-' = stdout)")
    p.add_argument("--markdown", metavar="FILE", help="write the markdown table here (default: stdout)")
    p.add_argument("--sort", choices=COLUMNS, default="best_valid_loss", help="column to sort by")
    p.add_argument("--reverse", action="store_true", help="sort descending (missing values stay last)")
    args = p.parse_args(argv)

    rows, configs = [], []
    for run_dir in args.runs:
        if not os.path.isfile(os.path.join(run_dir, "metrics.jsonl")):
            warn(f"{run_dir}: no metrics.jsonl")
            continue
        try:
            row, config = summarize(run_dir)
        except OSError as e:
            warn(f"{run_dir}: {e.strerror}")
            continue
        rows.append(row)
        configs.append(config)
    if not rows:
        print(f"error: summarize_runs: no run directory with metrics.jsonl among {len(args.runs)} paths",
              file=sys.stderr)
        return 1
    fill_computed_overrides(rows, configs)
    rows = sort_rows(rows, args.sort, args.reverse)

    # One table on stdout: `--csv -` alone replaces the markdown there.
    markdown = args.markdown if args.markdown or args.csv == "-" else "-"
    for path, write in ((args.csv, write_csv), (markdown, lambda rs, f: f.write(markdown_table(rs)))):
        if path:
            out = open_output(path)
            try:
                write(rows, out)
            finally:
                if out is not sys.stdout:
                    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
