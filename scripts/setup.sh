#!/usr/bin/env bash
# Installs what FaceWatch needs on Debian/Ubuntu. Idempotent: installs only what is missing.
#   scripts/setup.sh run    native libraries and tools the daemon uses
#   scripts/setup.sh test   those plus the real services the tests start (mosquitto, RTSP server, Xvfb, Chromium, nats-server)
set -euo pipefail
profile="${1:-run}"

run_pkgs=(libgtk-3-0 ffmpeg mosquitto-clients ca-certificates)
test_pkgs=(mosquitto openssl gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav xvfb xauth x11-apps chromium
  systemd imagemagick xdotool nats-server)

pkgs=("${run_pkgs[@]}")
if [[ "$profile" == "test" ]]; then pkgs+=("${test_pkgs[@]}"); fi
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo_cmd=()
    if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
