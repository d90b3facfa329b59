#!/usr/bin/env bash
# One command for a machine with an NVIDIA GPU, a pip PyTorch 2.x and pip's
# nvidia-nccl-cu*: unpacks the Debian dependencies gathered by
# scripts/gather_debs.sh under a prefix (never /), configures with CUDA and
# NCCL, builds, runs the CUDA tests on one GPU (label `cuda`: backend none,
# NCCL with one rank, bf16 autocast, exact resume, checkpoints CPU <-> GPU)
# and the CPU suites (labels unit, dist), runs the Table 1 training-step
# benchmark in bf16 and fp32 with MFU against the GPU's peak, and writes one
# JSON report.
#
#   scripts/gpu_check.sh --debs DIR [--prefix DIR] [--build DIR] [--report FILE]
#                        [--python PY] [--peak-tflops-bf16 T] [--peak-tflops-fp32 T]
#                        [--lengths 256,512,1024,1500] [--tokens 8192] [--steps 5]
#                        [--jobs N] [--dry-run]
#
# --dry-run (a machine without a GPU): preflight, unpacking, the configure
# checks (cmake -P test and a configure against the unpacked prefix with
# whatever LibTorch is found), a build of the torch-free dist tests against
# the prefix, and mpirun -n 2 from the prefix; no CUDA steps. See docs/dist.md.
# Exit status: 0 when every step passed; the report says which failed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

die() {
  echo "error: gpu_check.sh: $*" >&2
  exit 2
}

debs="" prefix="" build="" report="" python="python3" peak_bf16="" peak_fp32=""
lengths="256,512,1024,1500" tokens=8192 steps=5 jobs=$(nproc) dry_run=0
while (($#)); do
  case "$1" in
    --debs) debs="${2:-}"; shift 2 ;;
    --prefix) prefix="${2:-}"; shift 2 ;;
    --build) build="${2:-}"; shift 2 ;;
    --report) report="${2:-}"; shift 2 ;;
    --python) python="${2:-}"; shift 2 ;;
    --peak-tflops-bf16) peak_bf16="${2:-}"; shift 2 ;;
    --peak-tflops-fp32) peak_fp32="${2:-}"; shift 2 ;;
    --lengths) lengths="${2:-}"; shift 2 ;;
    --tokens) tokens="${2:-}"; shift 2 ;;
    --steps) steps="${2:-}"; shift 2 ;;
    --jobs) jobs="${2:-}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ -n "$debs" ]] || die "--debs: give the folder written by scripts/gather_debs.sh"
[[ -d "$debs" ]] || die "--debs $debs: no such directory"
compgen -G "$debs/*.deb" >/dev/null || die "--debs $debs: no .deb files (run scripts/gather_debs.sh on Debian bookworm)"
command -v "$python" >/dev/null || die "--python $python: not found (the unpacking and the report need Python 3)"
debs=$(cd "$debs" && pwd)
if ((dry_run)); then
  build="${build:-$root/build-gpu-dry}"
else
  build="${build:-$root/build-gpu}"
fi
prefix="${prefix:-$build/prefix}"
mkdir -p "$prefix" "$build" || die "cannot create $prefix or $build"
prefix=$(cd "$prefix" && pwd)
build=$(cd "$build" && pwd)
[[ "$prefix" != "/" ]] || die "--prefix /: the Debian files are never unpacked over the system"
work="$build/gpu_check"
logs="$work/logs"
report="${report:-$work/report.json}"
rm -rf "$logs" "$work/steps.jsonl"
mkdir -p "$logs"
steps_file="$work/steps.jsonl"
failed=0

# step NAME COMMAND...: runs it with its output in logs/NAME.log, records rc and seconds.
step() {
  local name="$1"
  shift
  local log="$logs/$name.log" start end rc
  start=$(date +%s.%N)
  echo "gpu_check: $name ..."
  "$@" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  "$python" - "$name" "$rc" "$start" "$end" "$log" >>"$steps_file" <<'PY'
import json, sys
name, rc, start, end, log = sys.argv[1:]
print(json.dumps({"step": name, "rc": int(rc), "seconds": round(float(end) - float(start), 1), "log": log}))
PY
  if ((rc != 0)); then
    failed=1
    echo "gpu_check: $name FAILED (rc $rc); last lines of $log:"
    tail -n 15 "$log" | sed 's/^/    /'
  else
    echo "gpu_check: $name ok"
  fi
  return $rc
}

# ---- 1. preflight: what this machine has --------------------------------
preflight() {
  "$python" - "$work/facts.json" <<'PY'
import json, os, platform, shutil, subprocess, sys

def run(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return (out.stdout or out.stderr).strip()
    except Exception as e:  # missing tool
        return None

facts = {"machine": platform.machine(), "host": platform.node()}
try:
    facts["os"] = dict(l.rstrip().split("=", 1) for l in open("/etc/os-release") if "=" in l).get("PRETTY_NAME", "").strip('"')
except OSError:
    facts["os"] = None
facts["glibc"] = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
for tool in ("c++", "cmake", "ninja", "nvcc", "nvidia-smi", "dpkg-deb"):
    facts[tool.replace("-", "_") + "_path"] = shutil.which(tool)
cxx = run(["c++", "--version"])
facts["cxx"] = cxx.splitlines()[0] if cxx else None
cm = run(["cmake", "--version"])
facts["cmake"] = cm.splitlines()[0] if cm else None
smi = run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total,count", "--format=csv,noheader"])
facts["gpus"] = [l.strip() for l in smi.splitlines()] if smi else []
probe = r'''
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
    import nvidia.nccl, os
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
py = run([sys.executable, "-c", probe])
try:
    facts.update(json.loads(py.splitlines()[-1]))
except Exception:
    facts["python_probe"] = py
json.dump(facts, open(sys.argv[1], "w"), indent=2)
print(json.dumps(facts, indent=2))
PY
}
step preflight preflight
facts() { "$python" -c "import json,sys; v=json.load(open('$work/facts.json')).get('$1'); print('' if v is None else v)"; }

if ((!dry_run)); then
  [[ -n "$(facts nvidia_smi_path)" ]] || die "no NVIDIA GPU here (nvidia-smi not found); use --dry-run"
  [[ -n "$(facts torch)" ]] || die "$python has no torch: pip install torch (2.7 or later: the new C++ ABI)"
  [[ "$(facts cxx11_abi)" == "True" ]] ||
    die "torch $(facts torch) uses the old C++ ABI (pip wheels before 2.7): install torch >= 2.7"
fi

# ---- 2. unpack the .deb files under the prefix --------------------------
unpack() {
  "$python" - "$debs" "$prefix" <<'PY'
import hashlib, io, os, sys, tarfile
debs, prefix = sys.argv[1], sys.argv[2]
manifest = {}
if os.path.exists(os.path.join(debs, "MANIFEST")):
    for line in open(os.path.join(debs, "MANIFEST")):
        name, version, sha = line.split()
        manifest[name] = sha

def members(path):  # the ar archive of a .deb: (name, bytes)
    data = open(path, "rb").read()
    if not data.startswith(b"!<arch>\n"):
        raise SystemExit(f"error: {path}: not a .deb (ar) archive")
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        yield name, data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)

files = sorted(f for f in os.listdir(debs) if f.endswith(".deb"))
seen = set()
for f in files:
    path = os.path.join(debs, f)
    pkg = f.split("_")[0]
    seen.add(pkg)
    if pkg in manifest and hashlib.sha256(open(path, "rb").read()).hexdigest() != manifest[pkg]:
        raise SystemExit(f"error: {path}: sha256 differs from MANIFEST")
    payload = [blob for name, blob in members(path) if name.startswith("data.tar")]
    if not payload:
        raise SystemExit(f"error: {path}: no data.tar member")
    with tarfile.open(fileobj=io.BytesIO(payload[0]), mode="r:*") as tar:
        kw = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
        for m in tar.getmembers():
            if m.name.startswith("/") or ".." in m.name.split("/"):
                raise SystemExit(f"error: {path}: unsafe path {m.name}")
        tar.extractall(prefix, **kw)
missing = sorted(set(manifest) - seen)
if missing:
    raise SystemExit("error: MANIFEST lists packages with no .deb here: " + ", ".join(missing))
# Absolute symbolic links point into the system: make them point into the prefix.
fixed = 0
for dirpath, dirnames, filenames in os.walk(prefix):
    for n in dirnames + filenames:
        p = os.path.join(dirpath, n)
        if os.path.islink(p) and os.readlink(p).startswith("/"):
            target = prefix + os.readlink(p)
            os.remove(p)
            os.symlink(os.path.relpath(target, dirpath), p)
            fixed += 1
print(f"unpacked {len(files)} .deb files under {prefix}; {fixed} absolute links made relative")
PY
  # Debian's alternatives (made by postinst scripts, not in the archives).
  local b="$prefix/usr/bin"
  for t in mpirun mpiexec mpicc mpicxx; do
    [[ -e "$b/$t.openmpi" && ! -e "$b/$t" ]] && ln -s "$t.openmpi" "$b/$t"
  done
  # The HDF5 wrapper names its installation prefix; OpenMPI reads OPAL_PREFIX.
  [[ -f "$b/h5cc" ]] && sed -i "s|^prefix=\"/usr\"|prefix=\"$prefix/usr\"|" "$b/h5cc"
  grep -n '^prefix=' "$b/h5cc"
  ls "$prefix/usr/lib/x86_64-linux-gnu/openmpi/lib/libmpi.so" "$prefix/usr/include/hdf5/serial/hdf5.h"
}
step unpack unpack || die "unpacking failed: see $logs/unpack.log"

arch_lib="$prefix/usr/lib/x86_64-linux-gnu"
export PATH="$prefix/usr/bin:$PATH"
export LD_LIBRARY_PATH="$arch_lib:$arch_lib/openmpi/lib:$arch_lib/hdf5/serial${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export OPAL_PREFIX="$prefix/usr" OPAL_SYSCONFDIR="$prefix/etc/openmpi"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# The machine's cmake when recent enough (3.22), else the unpacked one.
cmake_bin=$(command -v cmake)
if ! "$cmake_bin" -P /dev/stdin <<<'if(CMAKE_VERSION VERSION_LESS 3.22)
message(FATAL_ERROR old)
endif()' >/dev/null 2>&1; then
  cmake_bin="$prefix/usr/bin/cmake"
fi

# ---- 3. configure --------------------------------------------------------
cmake_args=(
  -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  "-DCMAKE_PREFIX_PATH=$(facts torch_cmake);$prefix/usr;$arch_lib/cmake;$prefix/usr/share/cmake"
  -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu
  -DMPI_SKIP_COMPILER_WRAPPER=ON "-DMPI_C_HEADER_DIR=$arch_lib/openmpi/include" -DMPI_C_LIB_NAMES=mpi
  "-DMPI_mpi_LIBRARY=$arch_lib/openmpi/lib/libmpi.so"
  "-DHDF5_C_COMPILER_EXECUTABLE=$prefix/usr/bin/h5cc"
  "-DCMAKE_PROGRAM_PATH=$prefix/usr/bin"
)
if ((dry_run)); then
  cmake_args+=(-DACC_WITH_CUDA=AUTO -DACC_WITH_NCCL=AUTO)
else
  cmake_args+=(-DACC_WITH_CUDA=ON -DACC_WITH_NCCL=ON)
  [[ -n "$(facts nccl_root)" ]] && cmake_args+=("-DNCCL_ROOT=$(facts nccl_root)")
  nvcc=$(facts nvcc_path)
  [[ -z "$nvcc" && -x /usr/local/cuda/bin/nvcc ]] && nvcc=/usr/local/cuda/bin/nvcc
  [[ -z "$nvcc" ]] && nvcc=$(facts pip_nvcc)
  # LibTorch's CMake files and CUDAToolkit need the toolkit (nvcc, cuda_runtime_api.h, libcudart).
  if [[ -n "$nvcc" ]]; then
    export CUDACXX="$nvcc"
    cmake_args+=("-DCUDAToolkit_ROOT=$(dirname "$(dirname "$nvcc")")" "-DCMAKE_CUDA_COMPILER=$nvcc")
  else
    echo "gpu_check: no nvcc found (PATH, /usr/local/cuda, pip nvidia-cuda-nvcc-cu*): the configure will likely fail" >&2
  fi
fi
step configure_checks "$cmake_bin" "-DSCRATCH=$work/torch_checks" -P "$root/tests/cmake/torch_checks_test.cmake"
configure() {
  rm -f "$build/CMakeCache.txt"
  "$cmake_bin" "${cmake_args[@]}" || return 1
  # Which dependencies came from the prefix (on a non-Debian machine they all must).
  grep -E '^(MPI_mpi_LIBRARY|HDF5_C_LIBRARY_hdf5|HDF5_C_INCLUDE_DIR|OPENSSL_CRYPTO_LIBRARY|yaml-cpp_DIR|fmt_DIR|spdlog_DIR|CLI11_DIR|nlohmann_json_DIR|GTest_DIR|benchmark_DIR|Torch_DIR|NCCL_LIBRARY|NCCL_INCLUDE_DIR|CUDAToolkit_.*DIR)[:=]' \
    "$build/CMakeCache.txt"
}
if ! step configure configure; then
  echo "gpu_check: configure failed; the report says what was found" >&2
fi

# ---- 4. build and test ---------------------------------------------------
if ((dry_run)); then
  # Without a GPU: the torch-free dist tests against the prefix's MPI, and mpirun from the prefix.
  [[ -f "$build/build.ninja" ]] && step build "$cmake_bin" --build "$build" -j "$jobs" --target dist_communicator_test dist_job_probe
  [[ -x "$build/tests/dist_communicator_test" ]] && step test_dist_communicator "$build/tests/dist_communicator_test"
  [[ -x "$build/tests/dist_job_probe" ]] &&
    step mpirun_from_prefix "$prefix/usr/bin/mpirun" -n 2 --oversubscribe --bind-to none "$build/tests/dist_job_probe"
  step ldd_prefix bash -c "ldd '$build/tests/dist_communicator_test' | grep -E 'mpi|yaml|fmt|spdlog|hdf5|crypto'"
else
  if [[ -f "$build/build.ninja" ]]; then
    step build "$cmake_bin" --build "$build" -j "$jobs"
    # (dist.cuda_compile_check is for machines without a GPU: here the real build covers it.)
    step test_cuda ctest --test-dir "$build" -L cuda -E cuda_compile_check --output-on-failure -j 1
    step test_cpu ctest --test-dir "$build" -L 'unit|dist' --output-on-failure -j "$jobs"
    # ---- 5. the Table 1 training step in bf16 and fp32 --------------------
    gpu_name=$(facts gpu)
    peaks=$("$python" - "$gpu_name" "$peak_bf16" "$peak_fp32" <<'PY'
import re, sys
name, bf16, fp32 = sys.argv[1].lower(), sys.argv[2], sys.argv[3]
# Dense peaks from NVIDIA's data sheets (TFLOP/s): bf16 tensor cores, fp32
# without TF32 (LibTorch leaves TF32 matmuls off by default). Other GPUs:
# --peak-tflops-bf16/--peak-tflops-fp32, else no MFU.
table = [(r"\bg?h200\b", 989.4, 66.9), (r"\bh100 pcie\b", 756.0, 51.2), (r"\bh100\b", 989.4, 66.9),
         (r"\ba100\b", 312.0, 19.5), (r"\bl40s\b", 362.1, 91.6), (r"\bl4\b", 121.0, 30.3),
         (r"\ba10g\b", 70.0, 31.2)]
for key, b, f in table:
    if re.search(key, name):
        bf16 = bf16 or str(b); fp32 = fp32 or str(f)
        break
print(bf16 or 0, fp32 or 0)
PY
)
    read -r peak_bf16 peak_fp32 <<<"$peaks"
    for prec in bf16 fp32; do
      peak=$peak_bf16
      [[ $prec == fp32 ]] && peak=$peak_fp32
      step "bench_$prec" bash -c "'$build/bin/bench_model' train --device cuda --precisions $prec --lengths $lengths \
        --tokens $tokens --steps $steps --peak-tflops $peak > '$work/bench_$prec.jsonl'"
    done
  fi
fi

# ---- 6. one JSON report ---------------------------------------------------
"$python" - "$work" "$report" "$dry_run" "$root" <<'PY'
import glob, json, os, re, subprocess, sys
work, report, dry_run, root = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
steps = [json.loads(l) for l in open(os.path.join(work, "steps.jsonl"))]
facts = json.load(open(os.path.join(work, "facts.json")))
def git(*a):
    try:
        return subprocess.run(["git", "-C", root, *a], capture_output=True, text=True).stdout.strip()
    except OSError:
        return None
out = {"report": "gpu_check", "dry_run": dry_run, "git": git("rev-parse", "--short=12", "HEAD"),
       "dirty": bool(git("status", "--porcelain", "--untracked-files=no")), "facts": facts, "steps": steps,
       "passed": all(s["rc"] == 0 for s in steps)}
tests = {}
for s in steps:
    if not s["step"].startswith("test_"):
        continue
    text = open(s["log"], errors="replace").read()
    m = re.search(r"(\d+)% tests passed, (\d+) tests failed out of (\d+)", text)
    g = re.search(r"\[  PASSED  \] (\d+) tests?", text)
    if m:
        total, failed = int(m.group(3)), int(m.group(2))
        skipped = len(re.findall(r"^\s*\d+ - .* \(Skipped\)$", text, re.M))  # ctest's closing list
        tests[s["step"]] = {"total": total, "failed": failed, "skipped": skipped, "passed": total - failed - skipped}
    elif g:
        tests[s["step"]] = {"passed": int(g.group(1)), "failed": len(re.findall(r"\[  FAILED  \] [A-Za-z]", text))}
out["tests"] = tests
bench = {}
for path in sorted(glob.glob(os.path.join(work, "bench_*.jsonl"))):
    lines = [json.loads(l) for l in open(path) if l.startswith("{")]
    prec = os.path.basename(path)[6:-6]
    bench[prec] = {"lines": lines,
                   "best_mfu": max((l.get("mfu", 0) for l in lines), default=None),
                   "best_tokens_per_s": max((l["tokens_per_s"] for l in lines), default=None)}
out["bench"] = bench
if "bf16" in bench and "fp32" in bench:
    b = {l["len"]: l["step_s"] for l in bench["bf16"]["lines"]}
    f = {l["len"]: l["step_s"] for l in bench["fp32"]["lines"]}
    out["bf16_speedup_over_fp32"] = {str(k): round(f[k] / b[k], 3) for k in b if k in f}
tmp = report + ".tmp"
with open(tmp, "w") as fh:
    json.dump(out, fh, indent=2)
    fh.write("\n")
os.replace(tmp, report)
print(f"gpu_check: report {report}: {'all steps passed' if out['passed'] else 'FAILED: ' + ', '.join(s['step'] for s in steps if s['rc'])}")
PY
exit $failed
