#!/usr/bin/python3
"""benchmarks/model/paired_ab.py with stand-in benchmark binaries: pairing, speed-ups, errors.

  ACC_SOURCE_DIR=. /usr/bin/python3 tests/scripts/paired_ab_test.py
"""
import json
import os
import subprocess
import tempfile
import unittest

ROOT = os.environ.get("ACC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SCRIPT = os.path.join(ROOT, "benchmarks", "model", "paired_ab.py")
TABLE = os.path.join(ROOT, "benchmarks", "results_table.py")


def fake_build(d, git, step_s, tokens_per_s):
    """A build directory whose bench_model / bench_generate print fixed lines like the real ones."""
    os.makedirs(os.path.join(d, "bin"))
    train = [{"bench": "model_train_step", "git": git, "precision": p, "len": 512, "batch": 4, "step_s": step_s}
             for p in ("fp32", "bf16")]
    model_gen = [{"bench": "model_generate", "git": git, "precision": "fp32", "source_len": 600, "generated": 600,
                  "cached_tokens_per_s": tokens_per_s}]
    gen = [{"bench": "generate", "git": git, "batch": b, "cache": c, "tokens_per_s": tokens_per_s}
           for b in (1, 16) for c in (True, False)]
    scripts = {
        "bench_model": "case \"$1\" in\n  train) cat <<'EOF'\n" + "\n".join(map(json.dumps, train)) +
                       "\nEOF\n  ;;\n  generate) cat <<'EOF'\n" + "\n".join(map(json.dumps, model_gen)) +
                       "\nEOF\n  ;;\n  *) exit 2 ;;\nesac\n",
        "bench_generate": "echo 'not json: a progress line'\ncat <<'EOF'\n" + "\n".join(map(json.dumps, gen)) + "\nEOF\n",
    }
    for name, body in scripts.items():
        path = os.path.join(d, "bin", name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
    return d


def run(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, *args], capture_output=True, text=True, timeout=60)


@unittest.skipIf((os.cpu_count() or 1) < 2, "paired_ab.py needs 2 cores")
class PairedAb(unittest.TestCase):
    def test_speedups_from_pairs(self):
        with tempfile.TemporaryDirectory() as d:
            base = fake_build(os.path.join(d, "base"), "aaa", step_s=2.0, tokens_per_s=100.0)
            cur = fake_build(os.path.join(d, "cur"), "bbb", step_s=1.0, tokens_per_s=150.0)
            r = run("--baseline-build", base, "--build", cur, "--rounds", "2")
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = [json.loads(l) for l in r.stdout.splitlines()]
            by = {l["measure"]: l for l in lines}
            self.assertEqual(len(lines), 7, sorted(by))  # 2 training, 4 Generator, 1 decoding
            step = by["training step L 512 x 4, bf16"]
            # A time: speed-up = baseline / current; 2 rounds x 2 core orders = 4 pairs.
            self.assertEqual(step["pairs"], 4)
            self.assertAlmostEqual(step["speedup_geomean"], 2.0)
            self.assertEqual((step["baseline_git"], step["current_git"]), ("aaa", "bbb"))
            self.assertFalse(step["higher_is_better"])
            # A rate: speed-up = current / baseline.
            self.assertAlmostEqual(by["Generator batch 16, recomputed"]["speedup_geomean"], 1.5)
            self.assertAlmostEqual(by["decoding 600 + 600, fp32, cached"]["speedup_geomean"], 1.5)
            self.assertIn("cpu", step)

            # results_table.py renders them in one section.
            path = os.path.join(d, "r.jsonl")
            with open(path, "w") as f:
                f.write(r.stdout)
            t = subprocess.run(["/usr/bin/python3", TABLE, path], capture_output=True, text=True, timeout=60)
            self.assertEqual(t.returncode, 0, t.stderr)
            self.assertIn("## Before and after a change, side by side", t.stdout)
            self.assertIn("| training step L 512 x 4, bf16 | s/step | aaa | 2.000 | bbb | 1.000 | **2.00x** |",
                          t.stdout)

    def test_only_one_benchmark(self):
        with tempfile.TemporaryDirectory() as d:
            base = fake_build(os.path.join(d, "base"), "aaa", 2.0, 100.0)
            r = run("--baseline-build", base, "--build", base, "--rounds", "1", "--only", "model_generate")
            self.assertEqual(r.returncode, 0, r.stderr)
            lines = [json.loads(l) for l in r.stdout.splitlines()]
            self.assertEqual([l["measure"] for l in lines], ["decoding 600 + 600, fp32, cached"])
            self.assertAlmostEqual(lines[0]["speedup_geomean"], 1.0)

    def test_errors_are_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            base = fake_build(os.path.join(d, "base"), "aaa", 2.0, 100.0)
            cases = [
                (["--baseline-build", os.path.join(d, "nowhere"), "--build", base], "no bench_model in"),
                (["--baseline-build", base, "--build", base, "--only", "train,fly"], "error: --only: 'fly'"),
                (["--baseline-build", base, "--build", base, "--rounds", "0"], "error: --rounds:"),
            ]
            for args, expected in cases:
                r = run(*args)
                self.assertEqual(r.returncode, 1, (args, r.stderr))
                self.assertIn(expected, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main()
