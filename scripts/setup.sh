#!/usr/bin/env bash
# Installs every Debian package accompanist needs (idempotent), then configures
# and builds build/ (Release, binaries in build/bin/).
#   scripts/setup.sh [--no-build | --apps-only] [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git ca-certificates
  clang clang-format libclang-rt-14-dev                       # format check, libFuzzer
  libtorch-dev libopenblas0-pthread                           # model; OpenBLAS (reference BLAS is ~28x slower)
  libopenmpi-dev openmpi-bin                                  # trainer
  libhdf5-dev libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev                  # tests, benchmarks
  python3 python3-torch python3-mido python3-numpy python3-h5py python3-yaml python3-matplotlib  # references, plots
  dpkg-dev time                                               # apt-get download / dpkg-deb, /usr/bin/time
  slurm-wlm munge                                             # launch/slurm/local-cluster.sh, ctest -L slurm
  fluidsynth fluid-soundfont-gm                               # generate --render wav
  mma                                                         # datasets/mma/render.sh (chord charts -> MIDI)
  chromium                                                    # browser test of report.html
)

build=1
targets=()
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi
# --apps-only: build just the two programs (the quickstart); tests and
# benchmarks are built later, incrementally, by scripts/test.sh.
if [[ "${1:-}" == "--apps-only" ]]; then targets=(--target accompanist accompanist-train); shift; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

if ((build)); then
  jobs=$(nproc)
  # Paths relative to the checkout in ccache's hashes: another clone (CI) reuses the cache.
  export CCACHE_BASEDIR="$PWD"
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
  cmake --build build -j "$jobs" "${targets[@]}"
fi
