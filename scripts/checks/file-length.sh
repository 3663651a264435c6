#!/usr/bin/env bash
# The file-length guard CI runs (.ci/run): no tracked source file over 600 lines. A file that truly cannot be
# split goes into scripts/checks/file-length-allow.txt (one path per line, with a comment saying why).
# Usage: scripts/checks/file-length.sh (from anywhere in the repository).
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
max=600
allow=scripts/checks/file-length-allow.txt
status=0
while IFS= read -r f; do
  lines=$(wc -l < "$f")
  if [ "$lines" -gt "$max" ] && ! grep -qxF "$f" <(grep -v '^#' "$allow" 2>/dev/null || true); then
    echo "$f: $lines lines, more than $max: split it by job"
    status=1
  fi
done < <(git ls-files -- '*.java' '*.c' '*.cc' '*.cpp' '*.h' '*.hpp' '*.cu' '*.cuh' '*.sh' '*.py')
[ "$status" = 0 ] && echo "file-length: no source file over $max lines"
exit "$status"
