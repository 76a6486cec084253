#!/usr/bin/env bash
# The main job: installs what is missing, builds, fetches the models, and runs the daemon.
# With no config it watches the built-in demo source and publishes to an embedded MQTT broker.
#   ./run.sh                       -> facewatch run
#   ./run.sh --config my.json      -> facewatch run --config my.json
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/setup.sh run
dotnet publish src/FaceWatch -c Release -o out --nologo -v quiet
./out/facewatch models fetch --dir models
exec ./out/facewatch run "$@"
