#!/usr/bin/env bash
# Gathers the Debian bookworm .deb files that scripts/gpu_check.py unpacks on
# a GPU machine that may reach no package registry and may not be Debian.
#   scripts/gather_debs.sh [OUT_DIR]     (default .debs/, git-ignored)
# Run on Debian bookworm (amd64) with apt configured. Downloads, without
# installing, the build and run dependencies other than LibTorch, CUDA and
# NCCL (the GPU machine's pip packages) and the C/C++ toolchain, with their
# library dependencies, then writes OUT_DIR/MANIFEST (package version sha256).
# Copy OUT_DIR to the GPU machine: scripts/gpu_check.py --debs OUT_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-.debs}"

ROOTS=(
  libopenmpi-dev openmpi-bin                      # MPI (host collectives, launcher)
  libhdf5-dev hdf5-helpers                        # corpus
  libyaml-cpp-dev libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev       # tests, benchmarks
  cmake ninja-build                               # used when the machine has none (or too old)
)
# Left out: what every Linux machine that builds C++ already has (the C library,
# the compiler and its runtimes), tools of Debian's own, and alternatives that
# apt-cache lists for virtual packages (other Fortran compilers, curl flavours).
EXCLUDE='^(libc6|libc6-dev|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libgcc-s1|libgcc-[0-9]+-dev|libstdc\+\+6|libstdc\+\+-[0-9]+-dev|gcc|gcc-[0-9]+|gcc-[0-9]+-base|g\+\+|g\+\+-[0-9]+|cpp|cpp-[0-9]+|gfortran|gfortran-[0-9]+|libgfortran-[0-9]+-dev|flang-[0-9]+|libflang-[0-9]+-dev|binutils.*|libbinutils|libctf.*|libgprofng0|libasan[0-9]+|libtsan[0-9]+|liblsan[0-9]+|libubsan[0-9]+|libitm[0-9]+|libatomic[0-9]+|libquadmath[0-9]+|libgomp[0-9]+|libcc1-[0-9]+|libisl[0-9]+|libmpc[0-9]+|libmpfr[0-9]+|libgmp[0-9]+|libllvm[0-9]+|libclang-cpp[0-9]+|libmlir-[0-9]+|libz3-[0-9]+|autoconf|automake|autotools-dev|m4|perl|perl-base|perl-modules-.*|libperl.*|libgdbm.*|libdb5\.3|dpkg|debconf|cdebconf|libdebian-installer.*|adduser|passwd|tar|install-info|debianutils|readline-common|libreadline[0-9]+|libtinfo[0-9]+|libnewt.*|libslang.*|libtextwrap.*|libpam.*|libaudit.*|libselinux1|libsemanage.*|libsepol.*|libcap-ng0|libnsl.*|libtirpc.*|rpcsvc-proto|libx11-.*|libxcb1|libxau6|libxdmcp6|libxext6|libxnvctrl0|ocl-icd-libopencl1|openssh-client|libedit2|libfido2-1|libcbor.*|libbsd0|libmd0|libcurl3-.*|libcurl4-gnutls-dev|libcurl4-nss-dev|libnss3|libnspr4|nss-plugin-pem|libjs-.*|catch2|googletest|libjansson4|usrmerge|usr-is-merged|init-system-helpers|procps|libproc2-0|libsystemd0|libelogind0|lib.*-perl)$'

command -v apt-get >/dev/null && command -v apt-cache >/dev/null ||
  { echo "error: gather_debs.sh: needs Debian's apt-get and apt-cache (run it on Debian bookworm)" >&2; exit 1; }
mapfile -t packages < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
  --no-replaces --no-enhances "${ROOTS[@]}" | grep -E '^[a-z0-9]' | sort -u | grep -Ev "$EXCLUDE")
((${#packages[@]} > 0)) || { echo "error: gather_debs.sh: apt-cache resolved no packages (run apt-get update)" >&2; exit 1; }
mkdir -p "$out"
echo "gather_debs: ${#packages[@]} packages -> $out"
# apt-get download writes into the current directory; _apt cannot write to
# root-owned folders, hence the sandbox option.
(cd "$out" && apt-get download -o APT::Sandbox::User=root "${packages[@]}" >/dev/null)
{
  for p in "${packages[@]}"; do
    f=$(ls "$out"/"${p}"_*.deb 2>/dev/null | head -1) ||
      true
    [[ -n "$f" ]] || { echo "error: gather_debs.sh: $p: no .deb downloaded" >&2; exit 1; }
    printf '%s %s %s\n' "$p" "$(dpkg-deb -f "$f" Version)" "$(sha256sum "$f" | cut -d' ' -f1)"
  done
} > "$out/MANIFEST"
echo "gather_debs: $(wc -l < "$out/MANIFEST") .deb files, $(du -sh "$out" | cut -f1); see $out/MANIFEST"
