#!/usr/bin/env bash
# Installs (or updates) FaceWatch as a systemd service. Idempotent: run it again after `git pull`.
#   sudo systemd/install.sh            publish to /opt/facewatch, fetch models, install and enable the unit
#   sudo systemd/install.sh --start    ... and (re)start the service now
# Keeps an existing /etc/facewatch/facewatch.json; creates it from config/facewatch.example.json otherwise.
# FACEWATCH_ROOT=/some/dir installs into that tree instead of / (packaging, tests; no systemctl calls then).
set -euo pipefail

start=false
for arg in "$@"; do
    case "$arg" in
        --start) start=true ;;
        -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

repo="$(cd "$(dirname "$0")/.." && pwd)"
root="${FACEWATCH_ROOT:-}"
prefix="$root/opt/facewatch"
etc="$root/etc/facewatch"
units="$root/etc/systemd/system"

if [[ -z "$root" && $(id -u) -ne 0 ]]; then
    echo "install.sh: run as root (sudo $0)" >&2
    exit 1
fi
command -v dotnet >/dev/null || { echo "install.sh: the .NET 10 SDK is needed to publish (dotnet not on PATH)" >&2; exit 1; }

if [[ -z "$root" ]]; then bash "$repo/scripts/setup.sh" run; fi

echo "install.sh: publishing to $prefix"
stage="$prefix.new"
rm -rf "$stage"
dotnet publish "$repo/src/FaceWatch" -c Release -o "$stage" --nologo -v quiet
# Keep already converted models across updates (the published manifest wins, the .onnx files stay).
if [[ -d "$prefix/models" ]]; then
    install -d -m 0755 "$stage/models"
    cp -an "$prefix/models/." "$stage/models/"
fi
install -d -m 0755 "$(dirname "$prefix")"
rm -rf "$prefix.old"
if [[ -d "$prefix" ]]; then mv "$prefix" "$prefix.old"; fi
mv "$stage" "$prefix"
rm -rf "$prefix.old"
install -d -m 0755 "$prefix/docs"
cp "$repo/systemd/facewatch.service" "$prefix/facewatch.service"
for doc in service.md liveview.md; do
    if [[ -f "$repo/docs/$doc" ]]; then cp "$repo/docs/$doc" "$prefix/docs/$doc"; fi
done

echo "install.sh: models in $prefix/models"
"$prefix/facewatch" models fetch --dir "$prefix/models"

install -d -m 0755 "$etc"
if [[ ! -f "$etc/facewatch.json" ]]; then
    if [[ -f "$repo/config/facewatch.example.json" ]]; then
        install -m 0644 "$repo/config/facewatch.example.json" "$etc/facewatch.json"
        echo "install.sh: created $etc/facewatch.json from config/facewatch.example.json: edit the cameras"
    else
        echo '{}' > "$etc/facewatch.json"
        chmod 0644 "$etc/facewatch.json"
        echo "install.sh: created an empty $etc/facewatch.json (built-in demo source): add your cameras"
    fi
else
    echo "install.sh: keeping $etc/facewatch.json"
fi

install -d -m 0755 "$units"
install -m 0644 "$repo/systemd/facewatch.service" "$units/facewatch.service"
# The apphost needs to find the .NET runtime; record where this machine has it.
dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
install -d -m 0755 "$units/facewatch.service.d"
printf '# Written by install.sh: where the .NET runtime lives on this machine.\n[Service]\nEnvironment=DOTNET_ROOT=%s\n' "$dotnet_root" \
    > "$units/facewatch.service.d/10-dotnet.conf"

if [[ -n "$root" ]]; then
    echo "install.sh: installed into $root (FACEWATCH_ROOT set: systemctl skipped)"
    exit 0
fi
if [[ ! -d /run/systemd/system ]]; then
    echo "install.sh: systemd is not running here: unit installed, start it on a systemd host with 'systemctl enable --now facewatch'"
    exit 0
fi
systemctl daemon-reload
systemctl enable facewatch.service
if $start; then
    systemctl restart facewatch.service
    systemctl --no-pager status facewatch.service || true
else
    echo "install.sh: enabled; start with 'systemctl start facewatch', logs with 'journalctl -u facewatch -f'"
fi
