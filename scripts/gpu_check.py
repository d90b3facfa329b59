#!/usr/bin/python3
"""One command for a machine with an NVIDIA GPU, a pip PyTorch 2.x and pip's
nvidia-nccl-cu*: unpacks the Debian dependencies gathered by
scripts/gather_debs.sh under a prefix (never /), configures with CUDA and
NCCL, builds, runs the CUDA tests on one GPU (label `cuda`: backend none,
NCCL with one rank, bf16 autocast, exact resume, checkpoints CPU <-> GPU)
and the CPU suites (labels unit, dist), runs the Table 1 training-step
benchmark in bf16 and fp32 with MFU against the GPU's peak, and writes one
JSON report.

  scripts/gpu_check.py --debs DIR [--prefix DIR] [--build DIR] [--report FILE]
                       [--python PY] [--peak-tflops-bf16 T] [--peak-tflops-fp32 T]
                       [--lengths 256,512,1024,1500] [--tokens 8192] [--steps 5]
                       [--jobs N] [--dry-run]

--dry-run (a machine without a GPU): preflight, unpacking, the configure
checks (cmake -P test and a configure against the unpacked prefix with
whatever LibTorch is found), a build of the torch-free dist tests against
the prefix, and mpirun -n 2 from the prefix; no CUDA steps. See docs/dist.md.
Each step's output goes to BUILD/gpu_check/logs/STEP.log. Exit status: 0 when
every step passed (the report says which failed), 2 for bad arguments or
when the machine cannot run the check. Standard library only.
"""
import argparse
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import traceback
import types

import deb_prefix  # beside this file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ME = "gpu_check.py"
ARCH = "x86_64-linux-gnu"


class CheckError(Exception):
    """Fails the step it happens in, with this one line in its log."""


def die(why):
    print(f"error: {ME}: {why}", file=sys.stderr)
    sys.exit(2)


# ---- arguments --------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, as every other refusal
        die(f"{message} (see --help)")


def _positive_int(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: not a positive whole number")
    return int(text)


def parse_args(argv):
    p = _Parser(prog="scripts/gpu_check.py", description=__doc__, allow_abbrev=False,
                formatter_class=argparse.RawDescriptionHelpFormatter, usage=argparse.SUPPRESS)
    p.add_argument("--debs", default="", help="the folder written by scripts/gather_debs.sh")
    p.add_argument("--prefix", default="", help="where the .deb files are unpacked (default BUILD/prefix)")
    p.add_argument("--build", default="", help="the build folder (default build-gpu, build-gpu-dry)")
    p.add_argument("--report", default="", help="the JSON report (default BUILD/gpu_check/report.json)")
    p.add_argument("--python", default="python3", help="the Python with torch and pip's NCCL")
    p.add_argument("--peak-tflops-bf16", type=float, help="the GPU's dense bf16 peak (default: known GPUs)")
    p.add_argument("--peak-tflops-fp32", type=float, help="the GPU's fp32 peak without TF32")
    p.add_argument("--lengths", default="256,512,1024,1500")
    p.add_argument("--tokens", type=_positive_int, default=8192)
    p.add_argument("--steps", type=_positive_int, default=5)
    p.add_argument("--jobs", type=_positive_int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--dry-run", action="store_true", help="a machine without a GPU: no CUDA steps")
    args, unknown = p.parse_known_args(argv)
    if unknown:
        die(f"unknown option {unknown[0]} (see --help)")
    return args


def check_arguments(args):
    """Refuses bad input before anything is written; makes the folders; returns args with absolute paths."""
    if not args.debs:
        die("--debs: give the folder written by scripts/gather_debs.sh")
    if not os.path.isdir(args.debs):
        die(f"--debs {args.debs}: no such directory")
    if not glob.glob(os.path.join(glob.escape(args.debs), "*.deb")):
        die(f"--debs {args.debs}: no .deb files (run scripts/gather_debs.sh on Debian bookworm)")
    if shutil.which(args.python) is None:
        die(f"--python {args.python}: not found (torch and pip's NCCL are looked up with it)")
    args.debs = os.path.abspath(args.debs)
    args.build = os.path.abspath(args.build or os.path.join(ROOT, "build-gpu-dry" if args.dry_run else "build-gpu"))
    args.prefix = os.path.abspath(args.prefix or os.path.join(args.build, "prefix"))
    if args.prefix == "/":
        die("--prefix /: the Debian files are never unpacked over the system")
    try:
        os.makedirs(args.prefix, exist_ok=True)
        os.makedirs(args.build, exist_ok=True)
    except OSError as e:
        die(f"cannot create {args.prefix} or {args.build}: {e.strerror}")
    args.work = os.path.join(args.build, "gpu_check")
    args.report = args.report or os.path.join(args.work, "report.json")
    return args


# ---- steps ------------------------------------------------------------------

def run_logged(cmd, log, stdout=None):
    """Runs cmd with its output in the open log (stdout elsewhere when given); the exit status as a shell gives it."""
    log.flush()
    try:
        rc = subprocess.run(cmd, stdout=stdout or log, stderr=log).returncode
    except OSError as e:  # not found, not executable
        log.write(f"{cmd[0]}: {e.strerror}\n")
        return 127 if isinstance(e, FileNotFoundError) else 126
    return 128 - rc if rc < 0 else rc  # killed by a signal: 128 + its number


class Steps:
    """Runs named steps, each with its output in LOGS/NAME.log, and records
    their exit status and seconds (the report's "steps", also steps.jsonl)."""

    def __init__(self, work):
        self.logs = os.path.join(work, "logs")
        self.file = os.path.join(work, "steps.jsonl")
        self.records = []
        shutil.rmtree(self.logs, ignore_errors=True)
        # A report is of this run only: no steps or benchmark lines of an earlier one.
        for stale in glob.glob(self.file) + glob.glob(os.path.join(work, "bench_*.jsonl")):
            os.remove(stale)
        os.makedirs(self.logs)

    def log(self, name):
        return os.path.join(self.logs, name + ".log")

    def run(self, name, action):
        """action: a command (list), or a function of the open log returning an exit status."""
        log = self.log(name)
        print(f"gpu_check: {name} ...", flush=True)
        start = time.time()
        with open(log, "w") as out:
            if isinstance(action, list):
                rc = run_logged(action, out)
            else:
                try:
                    rc = action(out)
                except (CheckError, deb_prefix.UnpackError) as e:
                    out.write(f"error: {e}\n")
                    rc = 1
                except Exception:  # a bug here must not hide the other steps' results
                    out.write(traceback.format_exc())
                    rc = 1
        record = {"step": name, "rc": rc, "seconds": round(time.time() - start, 1), "log": log}
        self.records.append(record)
        with open(self.file, "a") as f:
            f.write(json.dumps(record) + "\n")
        if rc != 0:
            print(f"gpu_check: {name} FAILED (rc {rc}); last lines of {log}:")
            with open(log, errors="replace") as f:
                tail = f.read().splitlines()[-15:]
            print("".join(f"    {line}\n" for line in tail), end="", flush=True)
        else:
            print(f"gpu_check: {name} ok", flush=True)
        return rc == 0


# ---- 1. preflight: what this machine has ------------------------------------

# Run with --python: the torch, CUDA and NCCL that the build will use.
TORCH_PROBE = r'''
import json
out = {}
try:
    import torch, torch.utils
    out.update(torch=torch.__version__, torch_cuda=torch.version.cuda, cuda_available=torch.cuda.is_available(),
               cxx11_abi=bool(torch.compiled_with_cxx11_abi()), torch_cmake=torch.utils.cmake_prefix_path)
    if torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(0)
        out["capability"] = list(torch.cuda.get_device_capability(0))
        try:
            out["torch_nccl"] = ".".join(map(str, torch.cuda.nccl.version()))
        except Exception:
            pass
except Exception as e:
    out["torch_error"] = str(e)
try:
    import nvidia.nccl
    out["nccl_root"] = list(nvidia.nccl.__path__)[0]
except Exception:
    out["nccl_root"] = None
try:  # pip's nvidia-cuda-nvcc-cu*, for a machine without a CUDA toolkit
    import nvidia.cuda_nvcc, os
    nvcc = os.path.join(list(nvidia.cuda_nvcc.__path__)[0], "bin", "nvcc")
    out["pip_nvcc"] = nvcc if os.path.exists(nvcc) else None
except Exception:
    out["pip_nvcc"] = None
print(json.dumps(out))
'''


def tool_output(cmd):
    """What a tool prints (stdout, else stderr), or None when it cannot run."""
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts(python):
    facts = {"machine": platform.machine(), "host": platform.node()}
    try:
        with open("/etc/os-release") as f:
            release = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        facts["os"] = release.get("PRETTY_NAME", "").strip('"')
    except OSError:
        facts["os"] = None
    facts["glibc"] = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    for tool in ("c++", "cmake", "ninja", "nvcc", "nvidia-smi", "dpkg-deb"):
        facts[tool.replace("-", "_") + "_path"] = shutil.which(tool)
    for key, cmd in (("cxx", ["c++", "--version"]), ("cmake", ["cmake", "--version"])):
        text = tool_output(cmd)
        facts[key] = text.splitlines()[0] if text else None
    smi = tool_output(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,count", "--format=csv,noheader"])
    facts["gpus"] = [line.strip() for line in smi.splitlines()] if smi else []
    probe = tool_output([python, "-c", TORCH_PROBE])
    try:
        facts.update(json.loads(probe.splitlines()[-1]))
    except (AttributeError, IndexError, ValueError):
        facts["python_probe"] = probe
    return facts


def preflight(ctx, log):
    ctx.facts = machine_facts(ctx.args.python)
    with open(os.path.join(ctx.args.work, "facts.json"), "w") as f:
        json.dump(ctx.facts, f, indent=2)
    log.write(json.dumps(ctx.facts, indent=2) + "\n")
    return 0


def refuse_unfit_machine(facts, python):
    """Without --dry-run: a GPU and a torch with the new C++ ABI, or nothing to check."""
    if not facts.get("nvidia_smi_path"):
        die("no NVIDIA GPU here (nvidia-smi not found); use --dry-run")
    if not facts.get("torch"):
        die(f"{python} has no torch: pip install torch (2.7 or later: the new C++ ABI)")
    if facts.get("cxx11_abi") is not True:
        die(f"torch {facts['torch']} uses the old C++ ABI (pip wheels before 2.7): install torch >= 2.7")


# ---- 2. unpack the .deb files under the prefix ------------------------------

def unpack(ctx, log):
    files, fixed = deb_prefix.unpack_debs(ctx.args.debs, ctx.args.prefix)
    log.write(f"unpacked {files} .deb files under {ctx.args.prefix}; {fixed} absolute links made relative\n")
    log.write(deb_prefix.finish_prefix(ctx.args.prefix))
    lib = os.path.join(ctx.args.prefix, "usr", "lib", ARCH)
    needed = [os.path.join(lib, "openmpi", "lib", "libmpi.so"),
              os.path.join(ctx.args.prefix, "usr", "include", "hdf5", "serial", "hdf5.h")]
    missing = [p for p in needed if not os.path.exists(p)]
    if missing:
        raise CheckError("not in the .deb files: " + ", ".join(missing))
    log.write("\n".join(needed) + "\n")
    return 0


def use_prefix(prefix):
    """This process's environment, and so every later step's, finds the prefix's programs and libraries."""
    lib = os.path.join(prefix, "usr", "lib", ARCH)
    env = os.environ
    env["PATH"] = os.path.join(prefix, "usr", "bin") + os.pathsep + env.get("PATH", "")
    libs = [lib, os.path.join(lib, "openmpi", "lib"), os.path.join(lib, "hdf5", "serial")]
    env["LD_LIBRARY_PATH"] = ":".join(libs + ([env["LD_LIBRARY_PATH"]] if env.get("LD_LIBRARY_PATH") else []))
    env["OPAL_PREFIX"] = os.path.join(prefix, "usr")  # relocates OpenMPI
    env["OPAL_SYSCONFDIR"] = os.path.join(prefix, "etc", "openmpi")
    env["OMPI_ALLOW_RUN_AS_ROOT"] = env["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"


# ---- 3. configure -------------------------------------------------------------

def cmake_version(cmake):
    text = tool_output([cmake, "--version"]) if cmake else None
    m = re.match(r"cmake version (\d+)\.(\d+)", text or "")
    return (int(m.group(1)), int(m.group(2))) if m else None


def choose_cmake(prefix):
    """The first cmake on PATH (the prefix's comes first) when recent enough (3.22), else the unpacked one."""
    found = shutil.which("cmake")
    version = cmake_version(found)
    return found if version and version >= (3, 22) else os.path.join(prefix, "usr", "bin", "cmake")


def find_nvcc(facts):
    """LibTorch's CMake files and CUDAToolkit need the toolkit: PATH, /usr/local/cuda, else pip's."""
    if facts.get("nvcc_path"):
        return facts["nvcc_path"]
    if os.access("/usr/local/cuda/bin/nvcc", os.X_OK):
        return "/usr/local/cuda/bin/nvcc"
    return facts.get("pip_nvcc")


def cmake_arguments(args, facts):
    prefix = args.prefix
    lib = os.path.join(prefix, "usr", "lib", ARCH)
    paths = [facts.get("torch_cmake") or "", f"{prefix}/usr", f"{lib}/cmake", f"{prefix}/usr/share/cmake"]
    cmd = ["-S", ROOT, "-B", args.build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
           "-DCMAKE_PREFIX_PATH=" + ";".join(paths), f"-DCMAKE_LIBRARY_ARCHITECTURE={ARCH}",
           "-DMPI_SKIP_COMPILER_WRAPPER=ON", f"-DMPI_C_HEADER_DIR={lib}/openmpi/include", "-DMPI_C_LIB_NAMES=mpi",
           f"-DMPI_mpi_LIBRARY={lib}/openmpi/lib/libmpi.so", f"-DHDF5_C_COMPILER_EXECUTABLE={prefix}/usr/bin/h5cc",
           f"-DCMAKE_PROGRAM_PATH={prefix}/usr/bin"]
    if args.dry_run:
        return cmd + ["-DACC_WITH_CUDA=AUTO", "-DACC_WITH_NCCL=AUTO"]
    cmd += ["-DACC_WITH_CUDA=ON", "-DACC_WITH_NCCL=ON"]
    if facts.get("nccl_root"):
        cmd.append(f"-DNCCL_ROOT={facts['nccl_root']}")
    nvcc = find_nvcc(facts)
    if nvcc:
        os.environ["CUDACXX"] = nvcc
        cmd += [f"-DCUDAToolkit_ROOT={os.path.dirname(os.path.dirname(nvcc))}", f"-DCMAKE_CUDA_COMPILER={nvcc}"]
    else:
        print("gpu_check: no nvcc found (PATH, /usr/local/cuda, pip nvidia-cuda-nvcc-cu*): "
              "the configure will likely fail", file=sys.stderr)
    return cmd


# Where each dependency was found (on a non-Debian machine they all must be in the prefix).
FOUND_KEYS = re.compile(r"^(MPI_mpi_LIBRARY|HDF5_C_LIBRARY_hdf5|HDF5_C_INCLUDE_DIR|OPENSSL_CRYPTO_LIBRARY|yaml-cpp_DIR"
                        r"|fmt_DIR|spdlog_DIR|CLI11_DIR|nlohmann_json_DIR|GTest_DIR|benchmark_DIR|Torch_DIR"
                        r"|NCCL_LIBRARY|NCCL_INCLUDE_DIR|CUDAToolkit_.*DIR)[:=]")


def configure(ctx, log):
    cache = os.path.join(ctx.args.build, "CMakeCache.txt")
    if os.path.exists(cache):
        os.remove(cache)
    if run_logged([ctx.cmake] + ctx.cmake_args, log) != 0:
        return 1
    with open(cache, errors="replace") as f:
        found = [line for line in f if FOUND_KEYS.match(line)]
    log.write("".join(found))
    return 0 if found else 1


# ---- 4. build and test, 5. benchmark ---------------------------------------------

def dry_run_steps(ctx, steps):
    """Without a GPU: the torch-free dist tests against the prefix's MPI, and mpirun from the prefix."""
    build = ctx.args.build
    test = os.path.join(build, "tests", "dist_communicator_test")
    probe = os.path.join(build, "tests", "dist_job_probe")
    if os.path.isfile(os.path.join(build, "build.ninja")):
        steps.run("build", [ctx.cmake, "--build", build, "-j", str(ctx.args.jobs),
                            "--target", "dist_communicator_test", "dist_job_probe"])
    if os.access(test, os.X_OK):
        steps.run("test_dist_communicator", [test])
    if os.access(probe, os.X_OK):
        steps.run("mpirun_from_prefix", [os.path.join(ctx.args.prefix, "usr", "bin", "mpirun"), "-n", "2",
                                         "--oversubscribe", "--bind-to", "none", probe])
    steps.run("ldd_prefix", lambda log: ldd_prefix(test, log))


def ldd_prefix(binary, log):
    """The libraries the prefix provides, as the loader resolves them; fails when none is listed."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    log.write(out.stderr)
    libs = re.compile(r"mpi|yaml|fmt|spdlog|hdf5|crypto")
    lines = [line for line in out.stdout.splitlines(keepends=True) if libs.search(line)]
    log.write("".join(lines))
    return 0 if lines else 1


# Dense peaks from NVIDIA's data sheets (TFLOP/s): bf16 tensor cores, fp32
# without TF32 (LibTorch leaves TF32 matmuls off by default). Other GPUs:
# --peak-tflops-bf16/--peak-tflops-fp32, else no MFU.
PEAKS = [(r"\bg?h200\b", 989.4, 66.9), (r"\bh100 pcie\b", 756.0, 51.2), (r"\bh100\b", 989.4, 66.9),
         (r"\ba100\b", 312.0, 19.5), (r"\bl40s\b", 362.1, 91.6), (r"\bl4\b", 121.0, 30.3),
         (r"\ba10g\b", 70.0, 31.2)]


def peak_tflops(gpu_name, bf16=None, fp32=None):
    """(bf16, fp32) peaks: the ones given, else the table's for this GPU, else 0 (no MFU)."""
    for pattern, b, f in PEAKS:
        if re.search(pattern, (gpu_name or "").lower()):
            return bf16 or b, fp32 or f
    return bf16 or 0, fp32 or 0


def gpu_steps(ctx, steps):
    args, build = ctx.args, ctx.args.build
    if not os.path.isfile(os.path.join(build, "build.ninja")):
        return
    steps.run("build", [ctx.cmake, "--build", build, "-j", str(args.jobs)])
    # (dist.cuda_compile_check is for machines without a GPU: here the real build covers it.)
    steps.run("test_cuda", ["ctest", "--test-dir", build, "-L", "cuda", "-E", "cuda_compile_check",
                            "--output-on-failure", "-j", "1"])
    steps.run("test_cpu", ["ctest", "--test-dir", build, "-L", "unit|dist", "--output-on-failure",
                           "-j", str(args.jobs)])
    peaks = peak_tflops(ctx.facts.get("gpu"), args.peak_tflops_bf16, args.peak_tflops_fp32)
    for precision, peak in zip(("bf16", "fp32"), peaks):
        steps.run(f"bench_{precision}", lambda log, p=precision, peak=peak: bench(ctx, p, peak, log))


def bench(ctx, precision, peak, log):
    """The Table 1 training step: its JSON lines to bench_PRECISION.jsonl, the rest to the log."""
    a = ctx.args
    cmd = [os.path.join(a.build, "bin", "bench_model"), "train", "--device", "cuda", "--precisions", precision,
           "--lengths", a.lengths, "--tokens", str(a.tokens), "--steps", str(a.steps), "--peak-tflops", f"{peak:g}"]
    with open(os.path.join(a.work, f"bench_{precision}.jsonl"), "w") as out:
        return run_logged(cmd, log, stdout=out)


# ---- 6. one JSON report ---------------------------------------------------------

def parse_test_log(text):
    """Test counts in a ctest log (its closing summary), else in a GoogleTest one; None when neither."""
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", text)
    if m:
        total, failed = int(m.group(3)), int(m.group(2))
        skipped = len(re.findall(r"^\s*\d+ - .* \(Skipped\)$", text, re.M))  # ctest's closing list
        return {"total": total, "failed": failed, "skipped": skipped, "passed": total - failed - skipped}
    g = re.search(r"\[  PASSED  \] (\d+) tests?", text)
    if g:
        f = re.search(r"\[  FAILED  \] (\d+) tests?, listed below", text)
        return {"passed": int(g.group(1)), "failed": int(f.group(1)) if f else 0}
    return None


def read_bench(path):
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.startswith("{")]
    return {"lines": lines,
            "best_mfu": max((line.get("mfu", 0) for line in lines), default=None),
            "best_tokens_per_s": max((line["tokens_per_s"] for line in lines), default=None)}


def git(*args):
    try:
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


def build_report(work, records, facts, dry_run):
    out = {"report": "gpu_check", "dry_run": dry_run, "git": git("rev-parse", "--short=12", "HEAD"),
           "dirty": bool(git("status", "--porcelain", "--untracked-files=no")), "facts": facts, "steps": records,
           "passed": all(s["rc"] == 0 for s in records)}
    tests = {}
    for s in records:
        if s["step"].startswith("test_"):
            with open(s["log"], errors="replace") as f:
                counts = parse_test_log(f.read())
            if counts is not None:
                tests[s["step"]] = counts
    out["tests"] = tests
    bench = {os.path.basename(p)[len("bench_"):-len(".jsonl")]: read_bench(p)
             for p in sorted(glob.glob(os.path.join(work, "bench_*.jsonl")))}
    out["bench"] = bench
    if "bf16" in bench and "fp32" in bench:
        b = {line["len"]: line["step_s"] for line in bench["bf16"]["lines"]}
        f = {line["len"]: line["step_s"] for line in bench["fp32"]["lines"]}
        out["bf16_speedup_over_fp32"] = {str(k): round(f[k] / b[k], 3) for k in b if k in f}
    return out


def write_report(path, report):
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(report, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


# ---- main -------------------------------------------------------------------------

def main(argv):
    # What the steps share: the arguments, preflight's facts, the cmake and its arguments.
    ctx = types.SimpleNamespace(args=check_arguments(parse_args(argv)), facts={}, cmake=None, cmake_args=[])
    args = ctx.args
    steps = Steps(args.work)
    steps.run("preflight", lambda log: preflight(ctx, log))
    if not args.dry_run:
        refuse_unfit_machine(ctx.facts, args.python)
    if not steps.run("unpack", lambda log: unpack(ctx, log)):
        die(f"unpacking failed: see {steps.log('unpack')}")
    use_prefix(args.prefix)
    ctx.cmake = choose_cmake(args.prefix)
    ctx.cmake_args = cmake_arguments(args, ctx.facts)
    steps.run("configure_checks", [ctx.cmake, f"-DSCRATCH={args.work}/torch_checks", "-P",
                                   os.path.join(ROOT, "tests", "cmake", "torch_checks_test.cmake")])
    if not steps.run("configure", lambda log: configure(ctx, log)):
        print("gpu_check: configure failed; the report says what was found", file=sys.stderr)
    (dry_run_steps if args.dry_run else gpu_steps)(ctx, steps)
    report = build_report(args.work, steps.records, ctx.facts, args.dry_run)
    write_report(args.report, report)
    failed = [s["step"] for s in steps.records if s["rc"]]
    print(f"gpu_check: report {args.report}: {'FAILED: ' + ', '.join(failed) if failed else 'all steps passed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
