#!/usr/bin/env bash
# All tests: installs what is missing (services the tests start, models), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
dotnet build FaceWatch.sln -c Release --nologo -v quiet
dotnet run --project src/FaceWatch -c Release --no-build -- models fetch --dir models
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test FaceWatch.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
count() { grep -E "^[[:space:]]+$1:[[:space:]]+[0-9]+" "$log" | grep -oE "[0-9]+" | awk '{s+=$1} END {print s+0}'; }
# Repeat each failure (name, message, first stack lines) at the end, where a truncated log still shows it.
if grep -qE "^[[:space:]]+Failed [A-Za-z]" "$log"; then
  echo "---- failed tests ----"
  awk '/^[[:space:]]+Failed [A-Za-z]/ {on=1; n=0} on && n<40 {print; n++} /^[[:space:]]+(Passed|Skipped) / {on=0}' "$log" | grep -v "^[0-9:. ]*info:" | head -200
  echo "----------------------"
fi
echo "tests: $(count Passed) passed, $(count Failed) failed, $(count Skipped) skipped"
exit "$rc"
