#!/usr/bin/env bash
# The main job end to end on the embedded default corpus (Debian's MIDI songs).
# Each step is skipped when its output is already complete, so an interrupted
# run picks up where it stopped.
#   scripts/quickstart.sh [WORK_DIR]     (default: runs/quickstart)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${1:-runs/quickstart}
mkdir -p "$work"

echo "== 1. install and build"
scripts/setup.sh

echo "== 2. fetch the default corpus (simutrans-data, openttd-openmsx)"
datasets/debian/fetch.sh data/debian

echo "== 3. read every song: parts, families, notes"
summary="$work/corpus_summary.json"
if [[ ! -f "$summary" ]]; then
  tmp="$summary.tmp"
  : > "$tmp.lines"
  find data/debian -type f \( -iname '*.mid' -o -iname '*.midi' -o -iname '*.rmi' \) -print0 | sort -z |
    while IFS= read -r -d '' f; do
      if build/bin/accompanist inspect "$f" > "$tmp.one" 2> "$tmp.err"; then
        /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({"file": sys.argv[2], "tpq": d["ticks_per_quarter"], "programs": [p["program"] for p in d["parts"] if not p["is_drum"]], "notes": sum(len(p["notes"]) for p in d["parts"])}))' "$tmp.one" "$f" >> "$tmp.lines"
      else
        echo "skipped: $(cat "$tmp.err")"
      fi
    done
  /usr/bin/python3 - "$tmp.lines" "$tmp" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
piano = lambda r: any(0 <= p <= 7 for p in r["programs"])
bass = lambda r: any(32 <= p <= 39 for p in r["programs"])
out = {"files": len(rows), "with_piano": sum(map(piano, rows)), "with_bass": sum(map(bass, rows)),
       "with_both": sum(1 for r in rows if piano(r) and bass(r)), "notes": sum(r["notes"] for r in rows)}
json.dump(out, open(sys.argv[2], "w"), indent=2)
PY
  mv "$tmp" "$summary"
  rm -f "$tmp.lines" "$tmp.one" "$tmp.err"
fi
cat "$summary"
echo
echo "done: $summary"
