#!/usr/bin/env bash
# clang-format over the project's C++ sources.
#   scripts/format.sh          rewrite files in place
#   scripts/format.sh --check  fail (exit 1) listing files that are not formatted
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.cpp' '*.h' '*.hpp' '*.cc')
if ((${#files[@]} == 0)); then exit 0; fi
if [[ "${1:-}" == "--check" ]]; then
  bad=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file --dry-run --Werror "$f" >/dev/null 2>&1; then
      echo "not formatted: $f"
      bad=1
    fi
  done
  if ((bad)); then echo "run scripts/format.sh to fix"; exit 1; fi
  echo "format: ${#files[@]} files ok"
else
  clang-format --style=file -i "${files[@]}"
fi
