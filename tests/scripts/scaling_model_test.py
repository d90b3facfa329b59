#!/usr/bin/python3
"""Tests of scripts/scaling_model.py (stdlib unittest): the fit, the cost formulas, the CLI and --update.

    /usr/bin/python3 tests/scripts/scaling_model_test.py

ACC_SOURCE_DIR (set by CTest) names the source tree, else it is found relative to this file. The CLI is run
as a subprocess, as a user would; the formulas are checked by importing the script as a module.
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

SOURCE_DIR = os.environ.get("ACC_SOURCE_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "..", "..")
SCRIPT = os.path.join(SOURCE_DIR, "scripts", "scaling_model.py")
FIXTURE = os.path.join(SOURCE_DIR, "tests", "scripts", "fixtures", "bench_results.jsonl")
CLUSTER = os.path.join(SOURCE_DIR, "benchmarks", "cost_model", "gpu_cluster.json")

spec = importlib.util.spec_from_file_location("scaling_model", SCRIPT)
sm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sm)


def run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=60)


def table_rows(text, heading_part):
    """The data rows (lists of cells) of the first table after the heading that contains heading_part."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("###") and heading_part in l)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("###"):
            break
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[1:]  # without the header


class Formulas(unittest.TestCase):
    def test_fit_recovers_exact_series(self):
        for ranks, alpha, busbw in ((2, 15e-6, 5e9), (4, 7e-6, 12e9)):
            points = []
            size = 1024
            while size <= 64 << 20:
                points.append((size, 2 * (ranks - 1) * alpha + 2 * (ranks - 1) / ranks * size / busbw))
                size *= 4
            a, bw, worst = sm.fit_allreduce(points, ranks)
            self.assertAlmostEqual(a / alpha, 1.0, places=6)
            self.assertAlmostEqual(bw / busbw, 1.0, places=6)
            self.assertLess(worst, 1e-9)

    def test_fit_of_fixture_is_near_its_generator(self):
        # The fixture was made from t = 20 us + bytes / 2.24 GB/s with a few % of noise.
        args = sm.argparse.Namespace(results=FIXTURE, cluster=CLUSTER, mfu=None, tokens_per_gpu=None)
        alpha, bw, worst, n = sm.Inputs(args).fit
        self.assertEqual(n, 9)
        self.assertAlmostEqual(2 * alpha * 1e6, 20.0, delta=1.0)
        self.assertAlmostEqual(bw / 1e9, 2.24, delta=0.03)
        self.assertLess(worst, 0.05)

    def test_ring_and_hierarchical_times(self):
        g = 1e8  # 1 + ceil((1e8 - 1 MiB) / 25 MiB) = 5 buckets
        self.assertEqual(sm.buckets(g), 5)
        self.assertEqual(sm.buckets(1000), 1)
        self.assertAlmostEqual(sm.ring_allreduce_s(g, 4, 1e-5, 1e10), 5 * 6 * 1e-5 + 1.5 * g / 1e10)
        self.assertEqual(sm.ring_allreduce_s(g, 1, 1e-5, 1e10), 0.0)
        c = {"gpus_per_node": 8, "nvlink_latency_us": 14, "nvlink_busbw_GBps": 100, "ib_links_per_node": 4,
             "ib_link_Gbps": 400, "ib_efficiency": 0.5, "ib_latency_us_per_hop": 5}
        self.assertAlmostEqual(sm.ib_busbw_per_gpu(c), 12.5e9)
        intra = 5 * 14 * 1e-6 + 1.75 * g / 100e9  # alpha = 1 us per step, 2 x 7 steps per bucket
        self.assertAlmostEqual(sm.gpu_allreduce_s(g, 8, c), intra)
        inter = 5 * 2 * 1 * 5e-6 + 1.0 * (g / 8) / 12.5e9  # 2 nodes
        self.assertAlmostEqual(sm.gpu_allreduce_s(g, 16, c), intra + inter)
        with self.assertRaises(sm.Error):
            sm.gpu_allreduce_s(g, 12, c)

    def test_exposed_and_accumulation(self):
        # backward = 2/3 of 9 ms = 6 ms; half of it hides 3 ms of the 10 ms all-reduce
        self.assertAlmostEqual(sm.exposed_s(10.0, 9.0, 0.5), 7.0)
        self.assertEqual(sm.exposed_s(1.0, 9.0, 0.5), 0.0)
        self.assertAlmostEqual(sm.exposed_s(10.0, 9.0, 1.0), 4.0)
        self.assertAlmostEqual(sm.efficiency(9.0, 7.0, 1), 9.0 / 16.0)
        self.assertAlmostEqual(sm.efficiency(9.0, 7.0, 4), 36.0 / 43.0)

    def test_efficiency_shape(self):
        args = sm.argparse.Namespace(results=FIXTURE, cluster=CLUSTER, mfu=None, tokens_per_gpu=[3000])
        inp = sm.Inputs(args)
        tc = inp.gpu_compute_s(3000)
        self.assertAlmostEqual(tc, 79.102464e6 * 3000 / (989e12 * 0.35), delta=1e-7)

        def eff(p, k, f=inp.overlap):
            comm = sm.gpu_allreduce_s(inp.grad_bytes, p, inp.cluster)
            return sm.efficiency(tc, sm.exposed_s(comm, tc, f), k)

        for k in (1, 4, 16):
            self.assertEqual(eff(1, k), 1.0)
            self.assertEqual(eff(1, k, 0.0), 1.0)
            effs = [eff(p, k, 0.0) for p in sm.GPUS]
            self.assertTrue(all(a > b for a, b in zip(effs, effs[1:])), effs)
        self.assertLess(eff(512, 1), eff(64, 1))
        self.assertLess(eff(64, 1), eff(8, 1))
        self.assertLess(eff(512, 1), eff(512, 4))
        self.assertLess(eff(512, 4), eff(512, 16))
        self.assertLess(eff(512, 1), 0.5)  # communication dominates one pair per GPU at 512 GPUs
        self.assertGreater(eff(512, 1, 1.0), eff(512, 1))  # ideal overlap is an upper bound


class Cli(unittest.TestCase):
    def test_fixture_report(self):
        r = run("--results", FIXTURE)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        for part in ("### Inputs", "12,838,388 parameters", "MFU 0.35 is an assumption",
                     "busbw = 2.24 GB/s", "### Check against", "### Predicted on H100s: 48,000 tokens",
                     "compute 11.0 ms",
                     "### Predicted on H100s: 3,000 tokens", "### Model"):
            self.assertIn(part, out)
        rows = table_rows(out, "3,000 tokens")
        expected = [(str(p), str(k)) for p in sm.GPUS for k in (1, 4, 16)]
        self.assertEqual([(r[0], r[1]) for r in rows], expected)
        for row in rows:
            if row[0] == "1":
                self.assertEqual(row[7:], ["100.0%"] * 3)
        by = {(r[0], r[1]): float(r[7].rstrip("%")) for r in rows}
        self.assertGreater(by["8", "1"], by["64", "1"])
        self.assertGreater(by["64", "1"], by["512", "1"])
        self.assertLess(by["512", "1"], by["512", "16"])
        check = {r[0]: r[1:] for r in table_rows(out, "Check against")}
        self.assertEqual(check["exposed communication, ms"][1], "6.5")
        self.assertEqual(check["compute per rank, ms"][2], "409.5 (input)")
        self.assertEqual(check["tokens/s (all ranks)"][1], "9,938")
        self.assertEqual(check["gradient bytes (cpu_small)"][2], "4.21 MB (trainer_scaling)")

    def test_options(self):
        r = run("--results", FIXTURE, "--mfu", "0.7", "--tokens-per-gpu", "6000", "--accumulation", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("MFU 0.70 is an assumption", r.stdout)
        self.assertIn("6,000 tokens per GPU per micro-step (compute 0.69 ms)", r.stdout)
        self.assertEqual({row[1] for row in table_rows(r.stdout, "6,000 tokens")}, {"2"})
        r = run("--results", FIXTURE, "--mfu", "1.5")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.startswith("error:"), r.stderr)

    def test_missing_new_fields_print_na(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "results.jsonl")
            with open(FIXTURE) as f, open(path, "w") as out:
                for line in f:
                    rec = json.loads(line)
                    if rec.get("benchmark") == "trainer_scaling":
                        rec.pop("parameters")
                    out.write(json.dumps(rec) + "\n")
                out.write('{"benchmark": "dist.allre')  # a line still being written
            r = run("--results", path)
        self.assertEqual(r.returncode, 0, r.stderr)
        check = {row[0]: row[1:] for row in table_rows(r.stdout, "Check against")}
        # From the 1-rank run's tokens per step (7218 tokens/s x 0.284 s), not from the removed fields.
        self.assertEqual(check["tokens/s (all ranks)"][2], "10,012")
        self.assertEqual(check["gradient bytes (cpu_small)"][1], "n/a")
        # chord_conditioning (2 x 97 x 128 parameters) since the measured run.
        self.assertEqual(check["gradient bytes (cpu_small)"][2], "4.30 MB (configs/train/cpu_small.yaml)")
        self.assertIn("warning:", r.stderr)

    def test_missing_results_is_an_error(self):
        r = run("--results", os.path.join(SOURCE_DIR, "no", "such.jsonl"))
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.startswith("error:"), r.stderr)

    def test_update_replaces_between_markers(self):
        expected = run("--results", FIXTURE).stdout
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "scaling.md")
            head, tail = "# Scaling\n\nbefore\n", "\nafter\n"
            with open(doc, "w") as f:
                f.write(head + sm.BEGIN + "\nold text\n" + sm.END + tail)
            for _ in range(2):  # the second run must give the same file
                r = run("--results", FIXTURE, "--update", doc)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertEqual(r.stdout, "")
                with open(doc) as f:
                    self.assertEqual(f.read(), head + sm.BEGIN + "\n" + expected + sm.END + tail)
            self.assertEqual(sorted(os.listdir(d)), ["scaling.md"])  # no temp file left

    def test_update_without_markers_fails(self):
        with tempfile.TemporaryDirectory() as d:
            doc = os.path.join(d, "scaling.md")
            with open(doc, "w") as f:
                f.write("# Scaling\n" + sm.BEGIN + "\nno end marker\n")
            r = run("--results", FIXTURE, "--update", doc)
            self.assertNotEqual(r.returncode, 0)
            self.assertTrue(r.stderr.startswith("error:"), r.stderr)
            self.assertIn("markers", r.stderr)
            with open(doc) as f:
                self.assertEqual(f.read(), "# Scaling\n" + sm.BEGIN + "\nno end marker\n")
            self.assertEqual(sorted(os.listdir(d)), ["scaling.md"])


if __name__ == "__main__":
    unittest.main()
