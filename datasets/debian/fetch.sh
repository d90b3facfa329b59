#!/usr/bin/env bash
# Fetches the real MIDI songs shipped in two Debian packages, for the tests
# and small experiments (~84 songs; never commit them).
#
#   datasets/debian/fetch.sh [DEST]     DEST defaults to data/debian in the repository
#
# Layout: DEST/<package>/<file>.mid (flattened inside each package) plus
# DEST/<package>/copyright (the package's licence text), DEST/SOURCES.md
# (packages, versions, licences), DEST/MANIFEST (package, version, sha256 of
# the .deb, checked against the signed apt index) and DEST/SHA256SUMS (every
# copied file; check with `cd DEST && sha256sum -c SHA256SUMS`).
# Idempotent: does nothing when DEST/.complete exists. Work happens in
# DEST.partial, renamed onto DEST at the end, so an interrupted run leaves no
# complete-looking DEST. Needs apt (runs `apt-get update` once if the download fails).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$root/data/debian}
case "$dest" in /*) ;; *) dest=$(pwd)/$dest ;; esac

if [ -f "$dest/.complete" ]; then
  echo "fetch.sh: $dest is complete; nothing to do"
  exit 0
fi

packages=(simutrans-data openttd-openmsx)
declare -A licence=([simutrans-data]="Artistic-1.0 (Simutrans data)" [openttd-openmsx]="GPL-2.0 (OpenMSX music set)")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"  # apt's sandbox user must be able to write there
cd "$tmp"

if ! apt-get download "${packages[@]}" >apt.log 2>&1; then
  echo "fetch.sh: apt-get download failed; running apt-get update once" >&2
  apt-get update >>apt.log 2>&1 || { cat apt.log >&2; echo "error: fetch.sh: apt-get update failed" >&2; exit 1; }
  apt-get download "${packages[@]}" >>apt.log 2>&1 || { cat apt.log >&2; echo "error: fetch.sh: apt-get download failed" >&2; exit 1; }
fi

partial=$dest.partial
rm -rf "$partial"
mkdir -p "$partial"
{
  echo "# MIDI files from Debian packages"
  echo
  echo "Fetched by datasets/debian/fetch.sh on $(date -u +%Y-%m-%d). Do not commit."
  echo
  echo "| package | version | licence | files | homepage |"
  echo "|---|---|---|---|---|"
} >"$partial/SOURCES.md"
echo "# package version deb-sha256" >"$partial/MANIFEST"

for pkg in "${packages[@]}"; do
  deb=$(ls "$pkg"_*.deb)
  version=$(dpkg-deb -f "$deb" Version)
  homepage=$(dpkg-deb -f "$deb" Homepage || true)
  actual=$(sha256sum "$deb" | cut -d' ' -f1)
  expected=$(apt-cache show "$pkg=$version" | awk '/^SHA256:/ {print $2; exit}')
  if [ -z "$expected" ]; then
    echo "fetch.sh: warning: $pkg $version is not in the apt index; sha256 not checked" >&2
  elif [ "$expected" != "$actual" ]; then
    echo "error: fetch.sh: $deb: sha256 $actual differs from the apt index ($expected)" >&2
    exit 1
  fi
  echo "$pkg $version $actual" >>"$partial/MANIFEST"

  mkdir -p "x-$pkg" "$partial/$pkg"
  dpkg-deb -x "$deb" "x-$pkg"
  count=0
  while IFS= read -r -d '' f; do
    name=$(basename "$f")
    if [ -e "$partial/$pkg/$name" ]; then
      echo "error: fetch.sh: two files named $name in $pkg" >&2
      exit 1
    fi
    cp "$f" "$partial/$pkg/$name"
    count=$((count + 1))
  done < <(find "x-$pkg" -type f \( -iname '*.mid' -o -iname '*.midi' -o -iname '*.rmi' \) -print0 | sort -z)
  cp "x-$pkg/usr/share/doc/$pkg/copyright" "$partial/$pkg/copyright"
  echo "| $pkg | $version | ${licence[$pkg]} | $count | $homepage |" >>"$partial/SOURCES.md"
  echo "fetch.sh: $pkg $version: $count MIDI files"
done

{
  echo
  echo "Each package's full licence and copyright notice is in <package>/copyright."
} >>"$partial/SOURCES.md"
(cd "$partial" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
touch "$partial/.complete"
rm -rf "$dest"
mv "$partial" "$dest"
echo "fetch.sh: wrote $dest"
