#!/usr/bin/python3
"""scripts/gpu_check.sh refuses bad input with one error line (exit 2) before doing anything.

The real run needs a GPU machine (docs/dist.md); its dry run (--dry-run) needs
the .deb folder of scripts/gather_debs.sh and minutes, so it is not run here.
  ACC_SOURCE_DIR=. /usr/bin/python3 tests/scripts/gpu_check_test.py
"""
import os
import subprocess
import tempfile
import unittest

ROOT = os.environ.get("ACC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SCRIPT = os.path.join(ROOT, "scripts", "gpu_check.sh")


class GpuCheckArguments(unittest.TestCase):
    def run_script(self, *args):
        with tempfile.TemporaryDirectory() as build:
            p = subprocess.run(["bash", SCRIPT, "--build", build, *args], capture_output=True, text=True, timeout=60)
            return p, os.listdir(build)

    def expect_error(self, args, text):
        p, made = self.run_script(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("error: gpu_check.sh: "), lines[0])
        self.assertIn(text, lines[0])
        self.assertEqual(made, [], "nothing is written before the arguments are checked")

    def test_bad_arguments(self):
        self.expect_error([], "--debs: give the folder written by scripts/gather_debs.sh")
        self.expect_error(["--debs", "/nonexistent/debs"], "--debs /nonexistent/debs: no such directory")
        with tempfile.TemporaryDirectory() as empty:
            self.expect_error(["--debs", empty], "no .deb files")
            self.expect_error(["--debs", empty, "--frobnicate"], "unknown option --frobnicate")
            open(os.path.join(empty, "x.deb"), "w").close()
            self.expect_error(["--debs", empty, "--python", "/nonexistent/python3"], "--python /nonexistent/python3")
            self.expect_error(["--debs", empty, "--prefix", "/"], "--prefix /: the Debian files are never unpacked")


if __name__ == "__main__":
    unittest.main()
