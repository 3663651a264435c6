#!/usr/bin/env bash
# The formatter check CI runs (.ci/run): in every tracked source file, no tab, no trailing whitespace, a final
# newline, and no line over 120 characters (code points, so non-ASCII math in comments counts once).
# Markdown and data files are not checked. Usage: scripts/checks/format.sh (from anywhere in the repository).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
max=120
mapfile -t files < <(git ls-files -- '*.java' '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.cu' '*.cuh' '*.sh' '*.py' \
  '*.xml' '*.cmake' 'CMakeLists.txt' '*/CMakeLists.txt' '.ci/run')
[ ${#files[@]} -gt 0 ] || { echo "format: no files found" >&2; exit 1; }
# LC_ALL=C: awk counts bytes; dropping UTF-8 continuation bytes (0x80-0xBF) leaves one per code point.
LC_ALL=C awk -v max="$max" '
  {
    if (index($0, "\t")) { printf "%s:%d: tab\n", FILENAME, FNR; bad = 1 }
    if ($0 ~ /[ \r]$/) { printf "%s:%d: trailing whitespace\n", FILENAME, FNR; bad = 1 }
    line = $0; gsub(/[\200-\277]/, "", line)
    if (length(line) > max) { printf "%s:%d: %d characters, more than %d\n", FILENAME, FNR, length(line), max; bad = 1 }
  }
  END { exit bad }' "${files[@]}" || status=1
for f in "${files[@]}"; do
  if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
    echo "$f: no newline at the end"; status=1
  fi
done
if [ "${status:-0}" != 0 ]; then
  echo "format: fix the lines above (tabs, trailing whitespace, final newline, at most $max characters)" >&2
  exit 1
fi
echo "format: ${#files[@]} files ok"
