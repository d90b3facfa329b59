#!/usr/bin/env bash
# Compiles src/dist with ACC_WITH_CUDA and ACC_WITH_NCCL against a CUDA
# toolkit's headers (nccl.h included, as pip's nvidia-* wheels lay them out),
# links dist_communicator_test against the real libcudart and libnccl, and
# runs it. Needs no GPU: it checks that the CUDA/NCCL code paths compile and
# link where a machine has the toolkit but no GPU (the GPU tests are
# scripts/gpu_check.py's). Uses the util library of an existing CPU build.
#   scripts/cuda_compile_check.sh [--skip-missing] [CUDA_HOME] [BUILD_DIR]   (default /usr/local/cuda build)
# --skip-missing: exit 77 (ctest's skip) when there is no toolkit with nccl.h.
set -euo pipefail
cd "$(dirname "$0")/.."
skip_missing=0
if [[ "${1:-}" == "--skip-missing" ]]; then skip_missing=1; shift; fi
cuda="${1:-/usr/local/cuda}"
build="${2:-build}"
die() { echo "error: cuda_compile_check.sh: $*" >&2; exit 1; }
missing() {
  if ((skip_missing)); then echo "cuda_compile_check: skipped: $*"; exit 77; fi
  die "$*"
}
[[ -f "$cuda/include/cuda_runtime_api.h" ]] || missing "$cuda: no include/cuda_runtime_api.h (give CUDA_HOME)"
[[ -f "$cuda/include/nccl.h" ]] || missing "$cuda: no include/nccl.h (pip: nvidia-nccl-cu*; or set CUDA_HOME)"
lib=$(ls -d "$cuda"/lib64 "$cuda"/lib 2>/dev/null | head -1)
nccl=$(ls "$lib"/libnccl.so* 2>/dev/null | head -1)
[[ -n "$nccl" ]] || missing "$lib: no libnccl.so"
build=$(cd "$build" 2>/dev/null && pwd) || die "no build directory ${2:-build}"
[[ -f "$build/src/util/libaccompanist_util.a" ]] || die "$build: build accompanist_util first (cmake --build $build --target accompanist_util)"
mpi_inc=$(mpicc --showme:incdirs 2>/dev/null | cut -d' ' -f1)
mpi_lib=$(mpicc --showme:libdirs 2>/dev/null | cut -d' ' -f1)
out="$build/cuda_compile_check"
mkdir -p "$out"
flags=(-std=c++17 -O1 -Wall -Wextra -Wno-unused-parameter -Werror -DACC_WITH_CUDA -DACC_WITH_NCCL
  -DOMPI_SKIP_MPICXX=1 "-DACC_SOURCE_DIR=\"$PWD\"" "-DACC_BINARY_DIR=\"$build\""
  "-DACC_REFERENCE_PYTHON=\"/usr/bin/python3\"" -I"$cuda/include" -Iinclude -Isrc -Itests ${mpi_inc:+-I"$mpi_inc"})
objs=()
for f in src/dist/communicator.cpp src/dist/communicator_factory.cpp src/dist/device.cpp \
  src/dist/mpi_communicator.cpp src/dist/mpi_environment.cpp src/dist/nccl_communicator.cpp \
  src/dist/single_process_communicator.cpp src/dist/watchdog.cpp src/dist/work_monitor.cpp \
  tests/dist/communicator_test.cpp tests/dist/work_monitor_test.cpp; do
  o="$out/$(basename "$f" .cpp).o"
  c++ "${flags[@]}" -c "$f" -o "$o"
  objs+=("$o")
done
c++ -o "$out/dist_communicator_test_cuda" "${objs[@]}" "$build/src/util/libaccompanist_util.a" \
  -L"$lib" -lcudart "$nccl" ${mpi_lib:+-L"$mpi_lib"} -lmpi -lgtest_main -lgtest -lyaml-cpp -lspdlog -lfmt \
  -lcrypto -lpthread -Wl,-rpath,"$lib"
echo "cuda_compile_check: CUDA $(grep -m1 -o 'CUDART_VERSION *[0-9]*' "$cuda/include/cuda_runtime_api.h" | tr -s ' ' | cut -d' ' -f2)," \
  "NCCL $(grep -m1 -E '#define NCCL_VERSION_CODE' "$cuda/include/nccl.h" | awk '{print $3}'): compiled and linked"
"$out/dist_communicator_test_cuda" --gtest_brief=1
