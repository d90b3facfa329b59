#!/usr/bin/python3
"""The docs' commands run as written.

1. Every doc the project promises exists, and the README opens with the two
   commands (quickstart, tests).
2. Every command line in a ```sh (or untagged) block of README.md and docs/*.md
   that calls one of the project's programs names a file that exists, a real
   `accompanist` subcommand, and only options that program knows (its --help
   for the binaries, its source text for scripts).
3. The quickstart itself runs, smaller: scripts/quickstart.sh --no-setup
   --steps 6 --samples 2 into a temporary folder (songs from data/debian, which
   scripts/test.sh fetches), then scripts/summarize_runs.py on its run.

  ACC_SOURCE_DIR=. ACC_BINARY_DIR=build /usr/bin/python3 tests/docs/docs_test.py
"""
import glob
import json
import os
import re
import shlex
import subprocess
import tempfile
import unittest

ROOT = os.environ.get("ACC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("ACC_BINARY_DIR", os.path.join(ROOT, "build"))
DOCS = ["quickstart", "data", "training", "generation", "evaluation", "architecture", "reproducing-the-thesis",
        "scaling"]
SCRIPT_DIRS = ("scripts/", "launch/", "datasets/", "benchmarks/", "tests/")


def doc_files():
    return [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))


def command_lines(path):
    """(line number, command) of the shell blocks; continuations joined, comments dropped."""
    text = open(path).read()
    for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
        if m.group(1) not in ("", "sh", "bash"):
            continue
        first = text.count("\n", 0, m.start()) + 2
        pending, start = "", first
        for i, line in enumerate(m.group(2).split("\n")):
            line = re.sub(r"(^|\s)#.*$", "", line).rstrip()
            if not pending:
                start = first + i
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            cmd = (pending + line).strip()
            pending = ""
            if cmd:
                yield start, cmd


def program_of(words):
    """The project program a command calls and its arguments, or (None, [])."""
    while words and (re.match(r"^\w+=", words[0]) or words[0] in ("sudo", "exec", "time")):
        words = words[1:]
    if words[:1] == ["mpirun"]:  # mpirun -n N [opts] PROGRAM ...
        i = 1
        while i < len(words) and words[i].startswith("-"):
            i += 2 if words[i] in ("-n", "-np", "--map-by", "--bind-to") else 1
        words = words[i:]
    if words[:1] in (["sbatch"], ["bash"]) or (words and words[0].endswith("python3")):
        words = [w for w in words[1:] if not w.startswith("--array")]
    if not words:
        return None, []
    prog = words[0]
    if prog in ("accompanist", "accompanist-train") or prog.startswith("bench_"):
        prog = "build/bin/" + prog
    if prog.startswith("build/bin/") or prog.startswith(SCRIPT_DIRS):
        return prog, words[1:]
    return None, []


def options(args):
    """--long options used, including those written inside [..] usage brackets."""
    return sorted({m.group(1) for a in args for m in re.finditer(r"(?<![\w-])(--[a-z][a-z0-9-]*)", a)})


class DocsTest(unittest.TestCase):
    help_cache = {}

    def help_text(self, binary, sub=None):
        key = (binary, sub)
        if key not in self.help_cache:
            cmd = [os.path.join(BUILD, "bin", os.path.basename(binary))] + ([sub] if sub else []) + ["--help"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            self.help_cache[key] = (p.returncode, p.stdout + p.stderr)
        return self.help_cache[key]

    def test_docs_exist(self):
        for name in DOCS:
            path = os.path.join(ROOT, "docs", name + ".md")
            self.assertTrue(os.path.isfile(path), path)
            self.assertGreater(os.path.getsize(path), 500, path)

    def test_readme_opens_with_the_two_commands(self):
        first = next(command_lines(os.path.join(ROOT, "README.md")))
        lines = [c for _, c in command_lines(os.path.join(ROOT, "README.md"))][:2]
        self.assertEqual([l.split()[0] for l in lines], ["scripts/quickstart.sh", "scripts/test.sh"], first)

    def test_commands_name_real_programs_and_options(self):
        checked = 0
        for path in doc_files():
            for line, cmd in command_lines(path):
                try:
                    words = shlex.split(cmd.replace("<", "'<").replace(">", ">'"))
                except ValueError:
                    words = cmd.split()
                prog, args = program_of(words)
                if prog is None:
                    continue
                where = f"{os.path.relpath(path, ROOT)}:{line}: {cmd}"
                with self.subTest(where=where):
                    checked += 1
                    if prog.startswith("build/bin/bench_"):
                        # Benchmarks parse their own few options: check the source that documents them.
                        name = os.path.basename(prog)
                        sources = [f for f in glob.glob(os.path.join(ROOT, "benchmarks", "*", "*.cpp"))
                                   if name in open(f).read()]
                        self.assertTrue(sources, f"{where}: no benchmark source mentions {name}")
                        text = "".join(open(f).read() for f in sources)
                    elif prog.startswith("build/bin/"):
                        sub = None
                        if prog.endswith("/accompanist"):
                            sub = next((a for a in args if not a.startswith("-")), None)
                            self.assertIsNotNone(sub, where)
                        code, text = self.help_text(prog, sub)
                        self.assertEqual(code, 0, f"{where}: --help failed: {text}")
                    else:
                        self.assertTrue(os.path.isfile(os.path.join(ROOT, prog)), f"{where}: no such file {prog}")
                        text = open(os.path.join(ROOT, prog)).read()
                    for opt in options(args):
                        self.assertIn(opt, text, f"{where}: {prog} has no option {opt}")
        self.assertGreater(checked, 25, "too few commands found: is the extraction broken?")

    def test_quickstart_runs_smaller(self):
        songs = os.path.join(ROOT, "data", "debian")
        if not os.path.isfile(os.path.join(songs, ".complete")):
            self.skipTest("data/debian not fetched (scripts/test.sh fetches it)")
        with tempfile.TemporaryDirectory() as tmp:
            os.makedirs(os.path.join(tmp, "data"))
            os.symlink(songs, os.path.join(tmp, "data", "debian"))
            work = os.path.join(tmp, "run")
            cmd = [os.path.join(ROOT, "scripts", "quickstart.sh"), "--no-setup", "--pretrain-steps", "6",
                   "--finetune-steps", "4", "--mma-songs", "24", "--samples", "2",
                   "--work", work, "--data", os.path.join(tmp, "data"), "--",
                   "--set", "train.valid_every=3", "--set", "train.checkpoint_every=3", "--set", "train.log_every=3",
                   "--set", "train.sample_every=0"]
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
            self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
            for d in ("mma", "bass", "piano"):
                self.assertTrue(os.path.isfile(os.path.join(tmp, "data", "corpus", d, "corpus.h5")))
            mids = glob.glob(os.path.join(work, "samples", "*.mid"))
            self.assertEqual(len(mids), 2)
            report = json.load(open(os.path.join(work, "report", "report.json")))
            self.assertEqual(report["samples"], 2)
            self.assertIn("report.md", p.stdout)
            # The quickstart ends with the page's path (issue 17).
            last = p.stdout.strip().splitlines()[-1]
            self.assertTrue(last.startswith("report page:") and last.split()[2].endswith("/report.html"), last)
            self.assertTrue(os.path.isfile(last.split()[2]), last)
            for run, steps in (("pretrain_bass", 6), ("train_bass", 4)):
                s = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "scripts", "summarize_runs.py"),
                                    os.path.join(work, run)], capture_output=True, text=True, timeout=60)
                self.assertEqual(s.returncode, 0, s.stderr)
                self.assertIn(f"complete checkpoint at step {steps}", s.stdout)
            # The fine-tuning run started from the pretrained weights (train.init_from).
            record = json.load(open(os.path.join(work, "train_bass", "run.json")))
            self.assertIn("pretrain_bass", record["init_from"]["checkpoint"])


if __name__ == "__main__":
    unittest.main()
