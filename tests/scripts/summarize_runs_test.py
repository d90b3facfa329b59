#!/usr/bin/python3
"""Tests of scripts/summarize_runs.py on fake run directories (stdlib unittest).

    /usr/bin/python3 tests/scripts/summarize_runs_test.py

The script is run as a subprocess, as a user would; ACC_SOURCE_DIR (set by
CTest) names the source tree, else it is found relative to this file.
"""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("ACC_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "..", "..")
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "summarize_runs.py")

CONFIG = """data:
  max_len: 128
model:
  d_model: 32
  heads: {heads}
  dropout: {dropout}
train:
  lr: {lr}
  eps: 1e-08
  schedule: "constant"
"""


def train(step, loss, tokens, time_s):
    return {"split": "train", "step": step, "loss": loss, "lr": 1e-3, "grad_norm": 1.0,
            "tokens_per_s": tokens, "ms_compute": 1.0, "ms_comm": 0.5, "ms_data": 0.1,
            "skipped_steps": 0, "time_s": time_s}


def valid(step, loss, time_s):
    return {"split": "valid", "step": step, "loss": loss, "pairs": 8, "tokens_per_s": 1000.0,
            "time_s": time_s}


def make_run(root, name, lines, config, run_json=None, checkpoints=()):
    """checkpoints: (step, complete) pairs."""
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "metrics.jsonl"), "w") as f:
        for line in lines:
            f.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    with open(os.path.join(d, "config.yaml"), "w") as f:
        f.write(CONFIG.format(**config))
    if run_json is not None:
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump(run_json, f)
    for step, complete in checkpoints:
        c = os.path.join(d, "checkpoints", f"step-{step:08d}")
        os.makedirs(c)
        if complete:
            open(os.path.join(c, "COMPLETE"), "w").close()
    return d


class SummarizeRunsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        root = cls.tmp.name
        # a: plain run; tokens/s mean leaves out the first interval: (200 + 300) / 2 = 250.
        cls.a = make_run(root, "a-lr1e-4",
                         [train(10, 6.0, 100.0, 1.0), train(20, 5.5, 200.0, 2.0), valid(20, 5.0, 2.1),
                          train(30, 5.2, 300.0, 3.0), valid(30, 4.5, 3.25)],
                         {"heads": 2, "dropout": 0.1, "lr": 0.0001},
                         {"argv": ["x"], "config_file": "configs/train/tiny.yaml",
                          "overrides": ["train.lr=1e-4"], "ranks": 1, "git": "abc123"},
                         [(20, True), (30, True)])
        # b: crashed after step 20 and resumed from step 10: the later lines for steps 20 win
        # (valid 4.2 -> 4.0, tokens/s 200 -> 400); the step-30 checkpoint never got COMPLETE.
        cls.b = make_run(root, "b-resumed",
                         [train(10, 6.0, 100.0, 1.0), train(20, 5.6, 200.0, 2.0), valid(20, 4.2, 2.2),
                          train(20, 5.4, 400.0, 1.0), valid(20, 4.0, 1.1), train(30, 5.0, 600.0, 2.0),
                          valid(30, 4.1, 2.5)],
                         {"heads": 2, "dropout": 0.2, "lr": 0.0003},
                         {"argv": ["x"], "config_file": "configs/train/tiny.yaml",
                          "overrides": ["train.lr=3e-4", "model.dropout=0.2"], "ranks": 2, "git": "abc123"},
                         [(20, True), (30, False)])
        # c: older run without run.json, a torn line 3, no validation, no checkpoint.
        cls.c = make_run(root, "c-old",
                         [train(10, 6.1, 50.0, 1.0), train(20, 5.9, 70.0, 2.0), '{"split":"train","st',
                          train(40, 5.7, 90.0, 4.5)],
                         {"heads": 4, "dropout": 0.1, "lr": 0.001})
        cls.empty = os.path.join(root, "d-empty")
        os.makedirs(cls.empty)
        cls.file = os.path.join(root, "summary.csv")
        open(cls.file, "w").close()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_script(self, *args):
        return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60)

    def csv_rows(self, *extra):
        p = self.run_script(self.a, self.b, self.c, self.empty, "--csv", "-", *extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        return list(csv.DictReader(io.StringIO(p.stdout))), p.stderr

    def test_values(self):
        rows, _ = self.csv_rows()
        by_run = {r["run"]: r for r in rows}
        a, b, c = by_run["a-lr1e-4"], by_run["b-resumed"], by_run["c-old"]
        self.assertEqual((a["steps"], b["steps"], c["steps"]), ("30", "30", "40"))
        self.assertEqual((float(a["best_valid_loss"]), a["best_valid_step"]), (4.5, "30"))
        self.assertEqual((float(b["best_valid_loss"]), b["best_valid_step"]), (4.0, "20"))
        self.assertEqual(float(a["last_valid_loss"]), 4.5)
        self.assertEqual(float(b["last_valid_loss"]), 4.1)
        self.assertEqual((c["best_valid_loss"], c["last_valid_loss"]), ("", ""))
        self.assertEqual(float(a["last_train_loss"]), 5.2)
        self.assertEqual(float(b["last_train_loss"]), 5.0)
        self.assertEqual(float(a["train_tokens_per_s"]), 250.0)
        self.assertEqual(float(b["train_tokens_per_s"]), 500.0)
        self.assertEqual(float(c["train_tokens_per_s"]), 80.0)
        self.assertEqual((float(a["wall_time_s"]), float(b["wall_time_s"])), (3.25, 2.5))
        self.assertEqual(a["status"], "complete checkpoint at step 30")
        self.assertEqual(b["status"], "complete checkpoint at step 20")
        self.assertEqual(c["status"], "no checkpoint")

    def test_overrides(self):
        rows, _ = self.csv_rows()
        by_run = {r["run"]: r["overrides"] for r in rows}
        self.assertEqual(by_run["a-lr1e-4"], "train.lr=1e-4")
        self.assertEqual(by_run["b-resumed"], "train.lr=3e-4 model.dropout=0.2")
        # Computed from config.yaml: only the keys that differ among a, b and c.
        self.assertEqual(by_run["c-old"], "model.dropout=0.1 model.heads=4 train.lr=0.001")

    def test_sort(self):
        rows, _ = self.csv_rows()
        self.assertEqual([r["run"] for r in rows], ["b-resumed", "a-lr1e-4", "c-old"])
        rows, _ = self.csv_rows("--sort", "train_tokens_per_s")
        self.assertEqual([r["run"] for r in rows], ["c-old", "a-lr1e-4", "b-resumed"])
        rows, _ = self.csv_rows("--sort", "steps", "--reverse")
        self.assertEqual([r["run"] for r in rows], ["c-old", "a-lr1e-4", "b-resumed"])

    def test_warnings(self):
        _, err = self.csv_rows()
        self.assertIn(f"warning: {self.empty}: no metrics.jsonl", err)
        self.assertIn(f"warning: {os.path.join(self.c, 'metrics.jsonl')}:3: malformed", err)
        self.assertEqual(len(err.strip().splitlines()), 2, err)

    def test_markdown(self):
        p = self.run_script(self.a, self.b, self.c, self.file)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"warning: {self.file}: no metrics.jsonl", p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(len(lines), 5, p.stdout)  # header, rule, three runs: one table only
        self.assertEqual(lines[2], "| b-resumed | train.lr=3e-4 model.dropout=0.2 | 30 | 4.0000 (20) "
                                   "| 4.1000 | 5.0000 | 500 | 2.5 | complete checkpoint at step 20 |")
        self.assertTrue(lines[4].startswith("| c-old | model.dropout=0.1 model.heads=4 train.lr=0.001 "
                                            "| 40 | - |"), lines[4])

    def test_files(self):
        out_csv = os.path.join(self.tmp.name, "out.csv")
        out_md = os.path.join(self.tmp.name, "out.md")
        p = self.run_script(self.a, self.b, "--csv", out_csv, "--markdown", out_md)
        self.assertEqual((p.returncode, p.stdout), (0, ""), p.stderr)
        with open(out_csv) as f:
            self.assertEqual([r["run"] for r in csv.DictReader(f)], ["b-resumed", "a-lr1e-4"])
        with open(out_md) as f:
            self.assertEqual(len(f.read().splitlines()), 4)

    def test_no_usable_run(self):
        p = self.run_script(self.empty, self.file)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertIn("error: summarize_runs: no run directory with metrics.jsonl among 2 paths", p.stderr)


if __name__ == "__main__":
    unittest.main()
