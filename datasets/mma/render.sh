#!/usr/bin/env bash
# Renders random chord charts with Debian's mma into a MIDI tree for
# `accompanist prep` (piano + bass songs; see render.py and docs/data.md).
#
#   datasets/mma/render.sh [--songs N] [--seed S] [--bars B] [--jobs J] DEST
#
# Debian's python3 on purpose: render.py needs only its standard library, and
# mma itself runs on it, so no virtual environment changes the output.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/python3 ]; then
  echo "error: render.sh: /usr/bin/python3: not found (apt-get install python3)" >&2
  exit 1
fi
exec /usr/bin/python3 "$here/render.py" "$@"
