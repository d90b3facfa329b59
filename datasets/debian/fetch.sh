#!/usr/bin/env bash
# Fetches the real MIDI songs shipped in Debian packages (bookworm main), for
# the tests and small experiments (~115 songs; never commit them).
#
#   datasets/debian/fetch.sh [DEST]     DEST defaults to data/debian in the repository
#
# Layout: DEST/<package>/<file>.mid (flattened inside each package; gzip'd
# songs and songs in zip archives unpacked; byte-identical copies kept once) plus
# DEST/<package>/copyright (the package's licence text), DEST/SOURCES.md
# (packages, versions, licences), DEST/MANIFEST (package, version, sha256 of
# the .deb, checked against the signed apt index) and DEST/SHA256SUMS (every
# copied file; check with `cd DEST && sha256sum -c SHA256SUMS`).
# Idempotent: does nothing when DEST/.complete exists and names the same
# packages (a DEST from an older package list is fetched again). Work happens in
# DEST.partial, renamed onto DEST at the end, so an interrupted run leaves no
# complete-looking DEST. Needs apt (runs `apt-get update` once if the download fails).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
dest=${1:-$root/data/debian}
case "$dest" in /*) ;; *) dest=$(pwd)/$dest ;; esac

# Each package ships songs with a piano (GM 0-7) and a bass (GM 32-39) part;
# docs/data.md lists what each adds. Left out on purpose: pd-mrpeach (its one
# song is a Ramones cover), and packages whose MIDI files have no piano + bass
# song (freedink-data, faust-common, csound-doc, kobodeluxe-data, crimson, ...).
packages=(simutrans-data openttd-openmsx planetblupi-music-midi pianobooster playmidi timidity pangzero)
declare -A licence=(
  [simutrans-data]="Artistic-1.0 (Simutrans data)"
  [openttd-openmsx]="GPL-2.0 (OpenMSX music set)"
  [planetblupi-music-midi]="GPL-3.0+ (Planet Blupi music, EPSITEC SA)"
  [pianobooster]="CC-BY (PianoBooster's music/; the copyright file gives no version)"
  [playmidi]="GPL-2.0+ (playmidi examples)"
  [timidity]="GPL-2.0+ (TiMidity++ example)"
  [pangzero]="GPL-2.0+ (Pang Zero music by SAdam)"
)
# Where a package's songs are when not everywhere in it: pianobooster's
# doc/courses/ holds older versions of the songs of music/BoosterMusicBooks.zip.
declare -A subdir=([pianobooster]=usr/share/games/pianobooster/music)
stamp="packages: ${packages[*]}"

if [ -f "$dest/.complete" ]; then
  if [ "$(head -n 1 "$dest/.complete")" = "$stamp" ]; then
    echo "fetch.sh: $dest is complete; nothing to do"
    exit 0
  fi
  echo "fetch.sh: $dest was fetched from other packages; fetching again"
fi

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
declare -A seen=()  # sha256 -> the file copied with that content

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
  src="x-$pkg/${subdir[$pkg]:-}"
  if [ ! -d "$src" ]; then
    echo "error: fetch.sh: $pkg $version: no ${subdir[$pkg]} in the package" >&2
    exit 1
  fi
  # Songs shipped compressed: gzip'd (documentation examples) or in zip
  # archives (python3's zipfile, as unzip may be missing; it drops absolute
  # paths and '..' from member names).
  while IFS= read -r -d '' gz; do
    gzip -dc "$gz" >"${gz%.*}"
  done < <(find "$src" -type f \( -iname '*.mid.gz' -o -iname '*.midi.gz' -o -iname '*.rmi.gz' \) -print0)
  while IFS= read -r -d '' zip; do
    /usr/bin/python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in z.namelist():
    if n.lower().endswith((".mid", ".midi", ".rmi")):
        z.extract(n, sys.argv[2])' "$zip" "$zip.d" ||
      { echo "error: fetch.sh: $zip: cannot unpack" >&2; exit 1; }
  done < <(find "$src" -type f -iname '*.zip' -print0)
  count=0
  while IFS= read -r -d '' f; do
    name=$(basename "$f")
    sum=$(sha256sum "$f" | cut -d' ' -f1)
    if [ -n "${seen[$sum]:-}" ]; then
      # The same song twice (a package's two copies): once is enough, and two
      # copies could land in different splits.
      echo "fetch.sh: $pkg: ${f#"$src"/} is the same file as ${seen[$sum]}; skipped"
      continue
    fi
    if [ -e "$partial/$pkg/$name" ]; then
      echo "error: fetch.sh: two files named $name in $pkg" >&2
      exit 1
    fi
    cp "$f" "$partial/$pkg/$name"
    seen[$sum]=$pkg/$name
    count=$((count + 1))
  done < <(find "$src" -type f \( -iname '*.mid' -o -iname '*.midi' -o -iname '*.rmi' \) -print0 | sort -z)
  if ((count == 0)); then
    echo "error: fetch.sh: $pkg $version: no MIDI files in the package" >&2
    exit 1
  fi
  cp "x-$pkg/usr/share/doc/$pkg/copyright" "$partial/$pkg/copyright"
  echo "| $pkg | $version | ${licence[$pkg]} | $count | $homepage |" >>"$partial/SOURCES.md"
  echo "fetch.sh: $pkg $version: $count MIDI files"
done

{
  echo
  echo "Each package's full licence and copyright notice is in <package>/copyright."
} >>"$partial/SOURCES.md"
(cd "$partial" && find . -type f ! -name SHA256SUMS -print0 | sort -z | xargs -0 sha256sum >SHA256SUMS)
echo "$stamp" >"$partial/.complete"
rm -rf "$dest"
mv "$partial" "$dest"
echo "fetch.sh: wrote $dest"
