#!/usr/bin/env bash
# All tests: installs what is missing (services the tests start, models), builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh test
dotnet build FaceWatch.sln -c Release --nologo -v quiet
dotnet run --project src/FaceWatch -c Release --no-build -- models fetch --dir models
dotnet test FaceWatch.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
