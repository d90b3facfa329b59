#!/usr/bin/python3
"""benchmarks/results_table.py: tables from benchmark lines, clear errors on bad files.

  ACC_SOURCE_DIR=. /usr/bin/python3 tests/scripts/results_table_test.py
"""
import json
import os
import subprocess
import tempfile
import unittest

ROOT = os.environ.get("ACC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SCRIPT = os.path.join(ROOT, "benchmarks", "results_table.py")


def run(*args):
    return subprocess.run(["/usr/bin/python3", SCRIPT, *args], capture_output=True, text=True, timeout=60)


class ResultsTable(unittest.TestCase):
    def write(self, d, lines):
        path = os.path.join(d, "r.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def test_tables_from_lines(self):
        lines = [json.dumps(r) for r in (
            {"benchmark": "run_all", "wall_s": 12, "quick": False, "git": "abc", "host": "h"},
            {"bench": "model_train_step_vs_python", "cpu": "X", "cores": 2, "len": 256, "batch": 4, "threads": 1,
             "repeats": 3, "cpp_step_s": 1.5, "python_step_s": 1.8, "speedup_vs_python": 1.2,
             "cpu_speedup_vs_python": 1.19, "python_torch": "1.13"},
            {"benchmark": "trainer_scaling", "ranks": 1, "threads_per_rank": 2, "tokens_per_s": 1000.0,
             "ms_per_step": 300.0, "ms_comm_exposed": 0.0},
            {"benchmark": "trainer_scaling", "ranks": 2, "threads_per_rank": 1, "tokens_per_s": 1500.0,
             "ms_per_step": 400.0, "ms_comm_exposed": 2.0})]
        with tempfile.TemporaryDirectory() as d:
            r = run(self.write(d, lines))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("git abc, host h, CPU X, 2 cores", r.stdout)
        self.assertIn("| 256 | 4 | 1 | 3 | 1.500 | 1.800 | **1.20x** | 1.19 |", r.stdout)
        self.assertIn("| 2 | 1 | 1,500 | 400 | 2.0 | 1.50 | 75% |", r.stdout)
        self.assertNotIn("## Tokenizer", r.stdout)  # no lines, no section

    def test_bad_files_are_one_error_line(self):
        with tempfile.TemporaryDirectory() as d:
            for path in (os.path.join(d, "missing.jsonl"), self.write(d, ['{"bench": "x"}', '{"bench": '])):
                r = run(path)
                self.assertEqual(r.returncode, 1)
                self.assertTrue(r.stderr.startswith(f"error: {path}: "), r.stderr)
                self.assertEqual(r.stdout, "")
        self.assertEqual(run().returncode, 2)


if __name__ == "__main__":
    unittest.main()
