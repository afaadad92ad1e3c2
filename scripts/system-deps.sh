#!/usr/bin/env bash
# Debian packages the tests and dataset builders need: the emoji font and list (emoji dataset),
# opencv-doc's example photos (SR and style-transfer data), chromium (the Playwright browser test).
# Installs only what is missing; needs root (as on CI and the dev machines).
set -euo pipefail
pkgs=(fonts-noto-color-emoji unicode-data opencv-doc chromium)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]} (run: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
