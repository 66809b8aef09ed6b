#!/usr/bin/env bash
# System packages for `gesturekit label` (labelImg, Qt 5 xcb platform plugin) and for its GUI
# test (Xvfb virtual display, xdotool). Debian/Ubuntu only; needs root or sudo. Safe to re-run.
set -euo pipefail
PACKAGES=(libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
          libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0
          libfontconfig1 libdbus-1-3 libgl1 xvfb xdotool)
if ! command -v apt-get >/dev/null; then
  echo "install_gui_deps: no apt-get; install these (or your system's equivalents): ${PACKAGES[*]}" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "install_gui_deps: not root and no sudo; GUI tests will be skipped. Needed: ${PACKAGES[*]}" >&2
    exit 0
  fi
fi
missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  }
fi
