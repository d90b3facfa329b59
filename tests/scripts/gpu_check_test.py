#!/usr/bin/python3
"""scripts/gpu_check.py without a GPU: bad input refused with one error line
(exit 2) before anything is written; its .deb unpacking (scripts/deb_prefix.py)
on small .deb files made here; its test counts on recorded logs; its report.

The real run needs a GPU machine (docs/dist.md); its dry run (--dry-run) needs
the .deb folder of scripts/gather_debs.sh and minutes, so it is not run here.
  ACC_SOURCE_DIR=. /usr/bin/python3 tests/scripts/gpu_check_test.py

fixtures/gpu_check_ctest_cuda.log and gpu_check_gtest.log were recorded from a
GoogleTest binary with the `cuda` tests' names (3 pass, 1 fails, 2 skip with
GTEST_SKIP), run by `ctest -L cuda -E cuda_compile_check --output-on-failure`
(CMake 3.25, gtest_discover_tests) and directly.
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

ROOT = os.path.abspath(os.environ.get("ACC_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")))
SCRIPT = os.path.join(ROOT, "scripts", "gpu_check.py")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import deb_prefix  # noqa: E402
import gpu_check  # noqa: E402


class GpuCheckArguments(unittest.TestCase):
    def run_script(self, *args):
        with tempfile.TemporaryDirectory() as build:
            p = subprocess.run([sys.executable, SCRIPT, "--build", build, *args], capture_output=True, text=True,
                               timeout=60)
            return p, os.listdir(build)

    def expect_error(self, args, text):
        p, made = self.run_script(*args)
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertTrue(lines[0].startswith("error: gpu_check.py: "), lines[0])
        self.assertIn(text, lines[0])
        self.assertEqual(p.stdout, "")
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
            self.expect_error(["--debs", empty, "--steps", "0"], "argument --steps: '0': not a positive whole number")
            self.expect_error(["--debs", empty, "--peak-tflops-bf16", "x"], "argument --peak-tflops-bf16")
            self.expect_error(["--debs"], "argument --debs: expected one argument")

    def test_help(self):
        p = subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("scripts/gpu_check.py --debs DIR", p.stdout)
        self.assertIn("--dry-run", p.stdout)


def tar_xz(entries):
    """A data.tar.xz as dpkg-deb writes it: ./-relative names. entries: (name, bytes or ('link', target))."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as tar:
        for name, content in entries:
            info = tarfile.TarInfo("./" + name)
            if isinstance(content, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, content[1]
                tar.addfile(info)
            else:
                info.size, info.mode = len(content), 0o755
                tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def ar_archive(members):
    """An ar archive with hand-written 60-byte headers; odd-sized members padded to even offsets."""
    out = b"!<arch>\n"
    for name, data in members:
        header = f"{name:<16}{1700000000:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
        assert len(header) == 60
        out += header + data + (b"\n" if len(data) % 2 else b"")
    return out


H5CC = b'#!/bin/sh\nprefix="/usr"\nexec_prefix="${prefix}"\n'
DATA = tar_xz([("usr/bin/mpirun.openmpi", b"#!/bin/sh\n"),
               ("usr/bin/h5cc", H5CC),
               ("usr/lib/x86_64-linux-gnu/libfoo.so.1", b"\x7fELF"),
               ("usr/lib/x86_64-linux-gnu/libfoo.so", ("link", "/usr/lib/x86_64-linux-gnu/libfoo.so.1"))])
CONTROL = b"odd-sized control"  # 17 bytes: the next member starts after a padding byte
DEB = ar_archive([("debian-binary", b"2.0\n"), ("control.tar.xz/", CONTROL), ("data.tar.xz/", DATA)])


class DebUnpacking(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.debs = os.path.join(self.tmp, "debs")
        self.prefix = os.path.join(self.tmp, "prefix")
        os.makedirs(self.debs)
        os.makedirs(self.prefix)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def write(self, name, data):
        path = os.path.join(self.debs, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_members_and_payload(self):
        path = self.write("libfoo1_1.0-1_amd64.deb", DEB)
        self.assertEqual(list(deb_prefix.ar_members(path)),
                         [("debian-binary", b"2.0\n"), ("control.tar.xz", CONTROL), ("data.tar.xz", DATA)])
        self.assertEqual(deb_prefix.deb_payload(path), DATA)

    def test_unpack_under_the_prefix(self):
        self.write("libfoo1_1.0-1_amd64.deb", DEB)
        sha = hashlib.sha256(DEB).hexdigest()
        self.write("MANIFEST", f"libfoo1 1.0-1 {sha}\n".encode())
        self.assertEqual(deb_prefix.read_manifest(self.debs), {"libfoo1": sha})
        self.assertEqual(deb_prefix.unpack_debs(self.debs, self.prefix), (1, 1))
        lib = os.path.join(self.prefix, "usr", "lib", "x86_64-linux-gnu")
        self.assertEqual(os.readlink(os.path.join(lib, "libfoo.so")), "libfoo.so.1")  # into the prefix, relative
        with open(os.path.join(lib, "libfoo.so"), "rb") as f:
            self.assertEqual(f.read(), b"\x7fELF")
        self.assertEqual(deb_prefix.finish_prefix(self.prefix), f'2:prefix="{self.prefix}/usr"\n')
        bin_dir = os.path.join(self.prefix, "usr", "bin")
        self.assertEqual(os.readlink(os.path.join(bin_dir, "mpirun")), "mpirun.openmpi")
        self.assertFalse(os.path.lexists(os.path.join(bin_dir, "mpicc")))  # no mpicc.openmpi here
        with open(os.path.join(bin_dir, "h5cc")) as f:
            self.assertEqual(f.read(), H5CC.decode().replace('"/usr"', f'"{self.prefix}/usr"'))
        # A rerun unpacks over the prefix: the same files, the link made relative again.
        self.assertEqual(deb_prefix.unpack_debs(self.debs, self.prefix), (1, 1))
        self.assertEqual(os.readlink(os.path.join(lib, "libfoo.so")), "libfoo.so.1")

    def expect_refused(self, text):
        with self.assertRaises(deb_prefix.UnpackError) as e:
            deb_prefix.unpack_debs(self.debs, self.prefix)
        self.assertEqual(str(e.exception), text)

    def test_refusals(self):
        path = self.write("libfoo1_1.0-1_amd64.deb", DEB)
        manifest = os.path.join(self.debs, "MANIFEST")
        self.write("MANIFEST", b"libfoo1 1.0-1 " + b"0" * 64 + b"\n")
        self.expect_refused(f"{path}: sha256 differs from MANIFEST")
        self.write("MANIFEST", f"libfoo1 1.0-1 {hashlib.sha256(DEB).hexdigest()}\nlibbar 2 {'1' * 64}\n".encode())
        self.expect_refused("MANIFEST lists packages with no .deb here: libbar")
        self.write("MANIFEST", b"libfoo1 1.0-1\n")
        self.expect_refused(f"{manifest}: line 1: expected 'package version sha256'")
        os.remove(manifest)
        self.write("libfoo1_1.0-1_amd64.deb", b"PK\x03\x04 a zip file")
        self.expect_refused(f"{path}: not a .deb (ar) archive")
        self.write("libfoo1_1.0-1_amd64.deb", ar_archive([("debian-binary", b"2.0\n"), ("control.tar.xz", CONTROL)]))
        self.expect_refused(f"{path}: no data.tar member")
        self.write("libfoo1_1.0-1_amd64.deb", DEB[:-100])
        self.expect_refused(f"{path}: member data.tar.xz cut short")
        self.write("libfoo1_1.0-1_amd64.deb", DEB[:8 + 58] + b"\n\n" + DEB[8 + 60:])  # not the header's end mark
        self.expect_refused(f"{path}: damaged ar member header at byte 8")
        self.write("libfoo1_1.0-1_amd64.deb", ar_archive([("data.tar.xz", tar_xz([("../etc/passwd", b"x")]))]))
        self.expect_refused(f"{path}: unsafe path ./../etc/passwd")
        self.assertEqual(os.listdir(self.prefix), [], "nothing unpacked from a refused .deb")

    @unittest.skipUnless(shutil.which("dpkg-deb"), "dpkg-deb not installed")
    def test_a_deb_made_by_dpkg_deb(self):
        tree = os.path.join(self.tmp, "tree")
        os.makedirs(os.path.join(tree, "DEBIAN"))
        os.makedirs(os.path.join(tree, "usr", "share", "foo"))
        with open(os.path.join(tree, "DEBIAN", "control"), "w") as f:
            f.write("Package: foo\nVersion: 1.0\nArchitecture: all\nMaintainer: nobody <n@example.org>\n"
                    "Description: a test package\n")
        with open(os.path.join(tree, "usr", "share", "foo", "data.txt"), "w") as f:
            f.write("made by dpkg-deb\n")
        path = os.path.join(self.debs, "foo_1.0_all.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", tree, path], check=True,
                       capture_output=True, timeout=60)
        self.assertEqual([name for name, _ in deb_prefix.ar_members(path)],
                         ["debian-binary", "control.tar.xz", "data.tar.xz"])
        self.assertEqual(deb_prefix.unpack_debs(self.debs, self.prefix), (1, 0))
        with open(os.path.join(self.prefix, "usr", "share", "foo", "data.txt")) as f:
            self.assertEqual(f.read(), "made by dpkg-deb\n")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return f.read()


class TestLogsAndReport(unittest.TestCase):
    def test_ctest_log(self):
        self.assertEqual(gpu_check.parse_test_log(fixture("gpu_check_ctest_cuda.log")),
                         {"total": 6, "failed": 1, "skipped": 2, "passed": 3})

    def test_gtest_log(self):
        # Each failed test is named twice (as it fails, and in the closing list): counted once.
        self.assertEqual(gpu_check.parse_test_log(fixture("gpu_check_gtest.log")), {"passed": 3, "failed": 1})

    def test_other_logs(self):
        self.assertIsNone(gpu_check.parse_test_log("ninja: build stopped: subcommand failed.\n"))
        self.assertEqual(gpu_check.parse_test_log("100% tests passed, 0 tests failed out of 12\n"),
                         {"total": 12, "failed": 0, "skipped": 0, "passed": 12})

    def test_peaks(self):
        self.assertEqual(gpu_check.peak_tflops("NVIDIA H200"), (989.4, 66.9))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA GH200 480GB"), (989.4, 66.9))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA H100 PCIe"), (756.0, 51.2))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA H100 80GB HBM3"), (989.4, 66.9))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA L4"), (121.0, 30.3))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA L40S"), (362.1, 91.6))
        self.assertEqual(gpu_check.peak_tflops("Tesla T4"), (0, 0))
        self.assertEqual(gpu_check.peak_tflops(None), (0, 0))
        self.assertEqual(gpu_check.peak_tflops("NVIDIA H200", 900.0, None), (900.0, 66.9))
        self.assertEqual(gpu_check.peak_tflops("Tesla T4", 65.0, 8.1), (65.0, 8.1))

    def test_report(self):
        with tempfile.TemporaryDirectory() as work:
            logs = {"test_cuda": os.path.join(FIXTURES, "gpu_check_ctest_cuda.log"),
                    "test_cpu": os.path.join(FIXTURES, "gpu_check_gtest.log"),
                    "build": os.path.join(FIXTURES, "gpu_check_gtest.log")}  # not a test step: not counted
            records = [{"step": s, "rc": 1 if s == "test_cuda" else 0, "seconds": 1.0, "log": log}
                       for s, log in logs.items()]
            for precision, rows in (("bf16", [(256, 0.1, 0.40), (512, 0.2, 0.45)]),
                                    ("fp32", [(256, 0.3, 0.05), (1024, 0.9, 0.06)])):
                with open(os.path.join(work, f"bench_{precision}.jsonl"), "w") as f:
                    f.write("bench_model: warming up\n")  # not a JSON line
                    for length, step_s, mfu in rows:
                        f.write(json.dumps({"len": length, "step_s": step_s, "tokens_per_s": 8192 / step_s,
                                            "mfu": mfu}) + "\n")
            report = gpu_check.build_report(work, records, {"gpu": "NVIDIA H200"}, dry_run=False)
        self.assertFalse(report["passed"])
        self.assertEqual(report["tests"], {"test_cuda": {"total": 6, "failed": 1, "skipped": 2, "passed": 3},
                                           "test_cpu": {"passed": 3, "failed": 1}})
        self.assertEqual(report["bench"]["bf16"]["best_mfu"], 0.45)
        self.assertEqual(report["bench"]["fp32"]["best_tokens_per_s"], 8192 / 0.3)
        self.assertEqual([line["len"] for line in report["bench"]["fp32"]["lines"]], [256, 1024])
        self.assertEqual(report["bf16_speedup_over_fp32"], {"256": 3.0})
        self.assertEqual(report["facts"], {"gpu": "NVIDIA H200"})
        self.assertEqual(report["steps"], records)


# Stands in for the tools gpu_check.py drives (cmake, ctest, mpirun, nvidia-smi,
# the torch probe, bench_model, a test binary): records each call in
# $FAKE_LOG and does the least the program needs of it.
FAKE_TOOL = r'''
import json, os, sys
tool, args = sys.argv[1], sys.argv[2:]
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(json.dumps({"tool": tool, "args": args, "opal_prefix": os.environ.get("OPAL_PREFIX")}) + "\n")
fixtures = os.environ["FAKE_FIXTURES"]

def wrapper(path, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(f'#!/bin/sh\nexec "$FAKE_TOOL" {name} "$@"\n')
    os.chmod(path, 0o755)

if tool == "cmake" and args == ["--version"]:
    print("cmake version 3.28.1")
elif tool == "cmake" and args[0] == "--build":
    wrapper(os.path.join(args[1], "bin", "bench_model"), "bench_model")
    wrapper(os.path.join(args[1], "tests", "dist_communicator_test"), "gtest")
    wrapper(os.path.join(args[1], "tests", "dist_job_probe"), "true")
    print("[1/1] Linking CXX executable")
elif tool == "cmake" and "-P" in args:
    print("-- torch checks: all passed")
elif tool == "cmake":  # configure
    build = args[args.index("-B") + 1]
    with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
        f.write("CMAKE_BUILD_TYPE:STRING=Release\nMPI_mpi_LIBRARY:FILEPATH=/p/libmpi.so\nTorch_DIR:PATH=/t/Torch\n")
    open(os.path.join(build, "build.ninja"), "w").close()
elif tool == "ctest" and "cuda" in args:
    sys.stdout.write(open(os.path.join(fixtures, "gpu_check_ctest_cuda.log")).read())
    sys.exit(8)
elif tool == "ctest":
    print("100% tests passed, 0 tests failed out of 12")
elif tool == "gtest":
    sys.stdout.write(open(os.path.join(fixtures, "gpu_check_gtest.log")).read())
    sys.exit(1)
elif tool == "nvidia-smi":
    print("NVIDIA H200, 570.86.15, 143771 MiB, 1")
elif tool == "python":  # the torch probe
    gpu = {"gpu": "NVIDIA H200", "capability": [9, 0]} if os.environ.get("FAKE_GPU") else {}
    print(json.dumps(dict(torch="2.7.1+cu128", torch_cuda="12.8", cuda_available=bool(gpu), cxx11_abi=True,
                          torch_cmake="/fake/torch/cmake", nccl_root="/fake/nccl", pip_nvcc=None, **gpu)))
elif tool == "bench_model":
    step_s = {"bf16": 0.1, "fp32": 0.25}[args[args.index("--precisions") + 1]]
    for i, length in enumerate(args[args.index("--lengths") + 1].split(",")):
        print(json.dumps({"len": int(length), "step_s": step_s * (i + 1), "tokens_per_s": 1000 / step_s / (i + 1),
                          "mfu": 0.1 / step_s / (i + 1)}))
'''


class GpuCheckEndToEnd(unittest.TestCase):
    """The whole program on a fake .deb folder with stand-ins for the tools:
    its steps, their order, the commands it gives, its output and report."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        t = self.tmp
        self.build, self.debs, self.bin = os.path.join(t, "build"), os.path.join(t, "debs"), os.path.join(t, "bin")
        for d in (self.debs, self.bin):
            os.makedirs(d)
        tool = os.path.join(t, "fake_tool.py")
        with open(tool, "w") as f:
            f.write(f"#!{sys.executable}\n" + FAKE_TOOL)
        os.chmod(tool, 0o755)

        def wrapper(name):
            return ("#!/bin/sh\nexec \"$FAKE_TOOL\" " + name + " \"$@\"\n").encode()
        data = tar_xz([("usr/bin/cmake", wrapper("cmake")), ("usr/bin/ctest", wrapper("ctest")),
                       ("usr/bin/mpirun.openmpi", wrapper("true")), ("usr/bin/h5cc", H5CC),
                       ("usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so", b"\x7fELF"),
                       ("usr/include/hdf5/serial/hdf5.h", b"/* hdf5 */\n")])
        with open(os.path.join(self.debs, "fake-tools_1.0_amd64.deb"), "wb") as f:
            f.write(ar_archive([("debian-binary", b"2.0\n"), ("control.tar.xz", CONTROL), ("data.tar.xz", data)]))
        for name in ("python", "nvidia-smi"):
            with open(os.path.join(self.bin, name), "wb") as f:
                f.write(wrapper(name))
            os.chmod(os.path.join(self.bin, name), 0o755)
        self.log = os.path.join(t, "calls.jsonl")
        self.env = dict(os.environ, FAKE_TOOL=tool, FAKE_LOG=self.log, FAKE_FIXTURES=FIXTURES)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_check(self, *args, gpu=True):
        env = dict(self.env, PATH=self.bin + os.pathsep + self.env["PATH"])
        if gpu:
            env["FAKE_GPU"] = "1"
        else:
            os.remove(os.path.join(self.bin, "nvidia-smi"))
        p = subprocess.run([sys.executable, SCRIPT, "--debs", self.debs, "--build", self.build, "--python",
                            os.path.join(self.bin, "python"), "--jobs", "3", *args],
                           capture_output=True, text=True, timeout=120, env=env)
        with open(self.log) as f:
            calls = [json.loads(line) for line in f]
        return p, calls

    def report(self):
        with open(os.path.join(self.build, "gpu_check", "report.json")) as f:
            return json.load(f)

    def test_gpu_run(self):
        p, calls = self.run_check("--lengths", "256,512", "--tokens", "4096", "--steps", "2")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        prefix = os.path.join(self.build, "prefix")
        report = self.report()
        self.assertEqual([(s["step"], s["rc"]) for s in report["steps"]],
                         [("preflight", 0), ("unpack", 0), ("configure_checks", 0), ("configure", 0), ("build", 0),
                          ("test_cuda", 8), ("test_cpu", 0), ("bench_bf16", 0), ("bench_fp32", 0)])
        self.assertFalse(report["passed"])
        self.assertFalse(report["dry_run"])
        self.assertEqual(report["facts"]["gpu"], "NVIDIA H200")
        self.assertEqual(report["facts"]["gpus"], ["NVIDIA H200, 570.86.15, 143771 MiB, 1"])
        self.assertEqual(report["tests"], {"test_cuda": {"total": 6, "failed": 1, "skipped": 2, "passed": 3},
                                           "test_cpu": {"total": 12, "failed": 0, "skipped": 0, "passed": 12}})
        self.assertEqual(report["bench"]["bf16"]["best_mfu"], 1.0)
        self.assertEqual(report["bf16_speedup_over_fp32"], {"256": 2.5, "512": 2.5})
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "gpu_check: preflight ...")
        self.assertIn("gpu_check: unpack ok", lines)
        logs = os.path.join(self.build, "gpu_check", "logs")
        at = lines.index(f"gpu_check: test_cuda FAILED (rc 8); last lines of {logs}/test_cuda.log:")
        self.assertEqual(lines[at + 15], "    Errors while running CTest")
        self.assertEqual(lines[-1], f"gpu_check: report {self.build}/gpu_check/report.json: FAILED: test_cuda")

        by_tool = {}
        for c in calls:
            by_tool.setdefault(c["tool"], []).append(c["args"])
        configure = [a for a in by_tool["cmake"] if "-S" in a][0]
        self.assertEqual(configure[:7], ["-S", ROOT, "-B", self.build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
        self.assertIn(f"-DCMAKE_PREFIX_PATH=/fake/torch/cmake;{prefix}/usr;{prefix}/usr/lib/x86_64-linux-gnu/cmake;"
                      f"{prefix}/usr/share/cmake", configure)
        for arg in ("-DACC_WITH_CUDA=ON", "-DACC_WITH_NCCL=ON", "-DNCCL_ROOT=/fake/nccl",
                    f"-DMPI_mpi_LIBRARY={prefix}/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so"):
            self.assertIn(arg, configure)
        self.assertIn(["--build", self.build, "-j", "3"], by_tool["cmake"])
        self.assertEqual(by_tool["ctest"], [
            ["--test-dir", self.build, "-L", "cuda", "-E", "cuda_compile_check", "--output-on-failure", "-j", "1"],
            ["--test-dir", self.build, "-L", "unit|dist", "--output-on-failure", "-j", "3"]])
        common = ["train", "--device", "cuda", "--precisions"]
        rest = ["--lengths", "256,512", "--tokens", "4096", "--steps", "2", "--peak-tflops"]
        self.assertEqual(by_tool["bench_model"], [common + ["bf16"] + rest + ["989.4"],
                                                  common + ["fp32"] + rest + ["66.9"]])
        self.assertEqual({c["opal_prefix"] for c in calls if c["tool"] in ("ctest", "bench_model")}, {f"{prefix}/usr"})
        with open(os.path.join(logs, "configure.log")) as f:
            self.assertEqual(f.read(), "MPI_mpi_LIBRARY:FILEPATH=/p/libmpi.so\nTorch_DIR:PATH=/t/Torch\n")
        with open(os.path.join(self.build, "gpu_check", "bench_bf16.jsonl")) as f:
            self.assertEqual(len(f.readlines()), 2)

    def test_dry_run(self):
        p, calls = self.run_check("--dry-run", gpu=False)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        report = self.report()
        self.assertTrue(report["dry_run"])
        # The fake test binary is a script, so ldd finds no libraries of the prefix.
        self.assertEqual([(s["step"], s["rc"]) for s in report["steps"]],
                         [("preflight", 0), ("unpack", 0), ("configure_checks", 0), ("configure", 0), ("build", 0),
                          ("test_dist_communicator", 1), ("mpirun_from_prefix", 0), ("ldd_prefix", 1)])
        self.assertEqual(report["tests"], {"test_dist_communicator": {"passed": 3, "failed": 1}})
        self.assertEqual(report["bench"], {})
        args = [c["args"] for c in calls]
        self.assertIn(["--build", self.build, "-j", "3", "--target", "dist_communicator_test", "dist_job_probe"], args)
        self.assertIn("-DACC_WITH_CUDA=AUTO", [a for a in args if "-S" in a][0])
        probe = os.path.join(self.build, "tests", "dist_job_probe")
        self.assertIn({"tool": "true", "args": ["-n", "2", "--oversubscribe", "--bind-to", "none", probe],
                       "opal_prefix": os.path.join(self.build, "prefix", "usr")}, calls)
        self.assertEqual(p.stdout.splitlines()[-1],
                         f"gpu_check: report {self.build}/gpu_check/report.json: "
                         "FAILED: test_dist_communicator, ldd_prefix")

    def test_no_gpu_without_dry_run(self):
        if shutil.which("nvidia-smi"):
            self.skipTest("this machine has nvidia-smi")
        p, _ = self.run_check(gpu=False)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "error: gpu_check.py: no NVIDIA GPU here (nvidia-smi not found); use --dry-run\n")
        self.assertEqual(p.stdout, "gpu_check: preflight ...\ngpu_check: preflight ok\n")


if __name__ == "__main__":
    unittest.main()
