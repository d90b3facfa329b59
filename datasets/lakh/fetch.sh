#!/usr/bin/env bash
# Fetches the Lakh MIDI Dataset's clean_midi subset (Colin Raffel, 2016; CC BY
# 4.0; https://colinraffel.com/projects/lmd/), the data of the thesis: about
# 17,250 files in an Artist/Song.mid layout (the thesis counts 17,233).
#
#   datasets/lakh/fetch.sh [--url URL] [--archive FILE] [--md5 HEX] [--dest DIR] [--keep-archive]
#
#   --url URL       where to download clean_midi.tar.gz (curl or wget; file:// works)
#                   default: http://hog.ee.columbia.edu/craffel/lmd/clean_midi.tar.gz
#   --archive FILE  use an already downloaded clean_midi.tar.gz instead
#   --md5 HEX       expected md5 of the archive (or ACCOMPANIST_LAKH_MD5=...). No md5 is
#                   recorded here: take it from the dataset page or from a
#                   copy you trust, pass it, and the archive is verified before
#                   anything is extracted. Without one the computed md5 is
#                   printed and the archive is used unverified (a warning).
#   --dest DIR      default data/lakh; the songs end up in DIR/clean_midi/Artist/Song.mid
#   --keep-archive  keep DIR/clean_midi.tar.gz after extracting
#
# The extraction goes to a temporary directory and is moved into place only
# when complete, with DIR/clean_midi/.complete recording the file count and
# md5; a second run with the marker present does nothing. Never commit data/.
# Then: accompanist prep --config configs/prep/thesis_bass.yaml \
#         --input data/lakh/clean_midi --output data/bass/corpus.h5
set -euo pipefail

url="${ACCOMPANIST_LAKH_URL:-http://hog.ee.columbia.edu/craffel/lmd/clean_midi.tar.gz}"
md5="${ACCOMPANIST_LAKH_MD5:-}"
dest="${ACCOMPANIST_LAKH_DEST:-data/lakh}"
archive=""
keep=0

die() { echo "error: datasets/lakh/fetch.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="${2:?--url needs a value}"; shift 2 ;;
    --archive) archive="${2:?--archive needs a file}"; shift 2 ;;
    --md5) md5="${2:?--md5 needs a value}"; shift 2 ;;
    --dest) dest="${2:?--dest needs a directory}"; shift 2 ;;
    --keep-archive) keep=1; shift ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
if [ -n "$md5" ] && ! [[ "$md5" =~ ^[0-9a-fA-F]{32}$ ]]; then die "--md5 '$md5' is not 32 hex digits"; fi

final="$dest/clean_midi"
if [ -f "$final/.complete" ]; then
  echo "lakh: $final is already complete ($(head -n1 "$final/.complete"))"
  exit 0
fi
mkdir -p "$dest"

# 1. The archive.
if [ -n "$archive" ]; then
  [ -f "$archive" ] || die "$archive: no such file"
else
  archive="$dest/clean_midi.tar.gz"
  if [ ! -f "$archive" ]; then
    echo "lakh: downloading $url"
    part="$archive.part"
    if command -v curl > /dev/null; then
      curl -fL --retry 3 -o "$part" "$url" || die "download of $url failed"
    elif command -v wget > /dev/null; then
      wget -O "$part" "$url" || die "download of $url failed"
    else
      die "neither curl nor wget is installed"
    fi
    mv "$part" "$archive"
  fi
fi

# 2. Verify before extracting anything.
actual="$(md5sum "$archive" | cut -d' ' -f1)"
if [ -n "$md5" ]; then
  if [ "$actual" != "$(echo "$md5" | tr 'A-F' 'a-f')" ]; then
    [ "$archive" = "$dest/clean_midi.tar.gz" ] && mv "$archive" "$archive.bad"
    die "$archive: md5 $actual, expected $md5 (corrupt or different download; moved aside)"
  fi
  echo "lakh: md5 $actual verified"
else
  echo "lakh: warning: no --md5 given; the archive's md5 is $actual (unverified)" >&2
fi

# 3. Extract into a temporary directory, check the layout, then move into place.
listing="$(tar -tzf "$archive")" || die "$archive: not a readable tar.gz"
outside="$(printf '%s\n' "$listing" | grep -v -E '^(\./)?clean_midi(/|$)' || true)"
[ -z "$outside" ] || die "$archive: entries outside clean_midi/ (not the clean_midi archive): $(echo "$outside" | head -n1)"
dotdot="$(printf '%s\n' "$listing" | grep -E '(^|/)\.\.(/|$)' || true)"
[ -z "$dotdot" ] || die "$archive: entries with '..'"
tmp="$(mktemp -d "$dest/.clean_midi.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$archive" -C "$tmp" --no-same-owner --no-same-permissions
src="$tmp/clean_midi"
[ -d "$src" ] || die "$archive: no clean_midi/ directory inside"
count="$(find "$src" -type f \( -iname '*.mid' -o -iname '*.midi' \) | wc -l)"
[ "$count" -gt 0 ] || die "$archive: no MIDI files inside"
artists="$(find "$src" -mindepth 1 -maxdepth 1 -type d | wc -l)"
echo "$count files, $artists artists, md5 $actual" > "$src/.complete"
rm -rf "$final"
mv "$src" "$final"
[ "$keep" = 1 ] || [ "$archive" != "$dest/clean_midi.tar.gz" ] || rm -f "$archive"
echo "lakh: $count MIDI files by $artists artists in $final"
if [ "$count" -lt 17000 ]; then
  echo "lakh: note: the full clean_midi has about 17,250 files; this archive has $count" >&2
fi
