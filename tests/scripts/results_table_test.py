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

    def test_precisions_and_gemm_peak(self):
        vs = {"bench": "model_train_step_vs_python", "cpu": "X", "cores": 2, "len": 512, "batch": 2, "threads": 1,
              "repeats": 3, "precisions": ["fp32", "bf16"], "cpu_flags": "avx512_bf16 amx_bf16", "native_bf16": True,
              "cpp_step_s": 1.0, "python_step_s": 2.0, "speedup_vs_python": 2.0, "cpu_speedup_vs_python": 2.0}
        for p, cpp, py in (("fp32", 1.0, 2.0), ("bf16", 0.5, 1.0)):
            for v in ("cpp_", "cpp_fused_", "cpp_composite_"):
                vs[f"{v}{p}_step_s"] = vs[f"{v}{p}_step_cpu_s"] = cpp
                for q, pq in (("fp32", 2.0), ("bf16", 1.0)):
                    vs[f"speedup_{v}{p}_vs_python_{q}"] = vs[f"cpu_speedup_{v}{p}_vs_python_{q}"] = pq / cpp
            vs[f"python_{p}_step_s"] = vs[f"python_{p}_step_cpu_s"] = py
        train = {"bench": "model_train_step", "len": 512, "batch": 4, "precision": "bf16", "step_s": 0.5,
                 "tokens_per_s": 8192.0, "achieved_gflop_per_s": 100.0, "fraction_of_gemm_peak": 0.25,
                 "gemm_peak_fp32_gflop_per_s": 150.0, "gemm_peak_bf16_gflop_per_s": 400.0, "peak_rss_mb": 900.0,
                 "threads": 1, "parameters": 12838388, "cpu_flags": "amx_bf16", "attention": "auto"}
        with tempfile.TemporaryDirectory() as d:
            r = run(self.write(d, [json.dumps(vs), json.dumps(train)]))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("| 512 | 2 | C++ bf16, as trained | 0.500 | 0.500 | **4.00x** | 4.00 | **2.00x** | 2.00 |",
                      r.stdout)
        self.assertIn("| 512 | 2 | Python bf16 (torch.autocast) | 1.000 | 1.000 |", r.stdout)
        self.assertIn("| 512 | 4 | bf16 | 0.50 | 8,192 | 100.0 | 25% | 900 |", r.stdout)
        self.assertIn("150.0 GFLOP/s fp32, 400.0 GFLOP/s bf16; CPU flags: amx_bf16", r.stdout)

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
