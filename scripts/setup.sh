#!/usr/bin/env bash
# Installs the Debian C libraries md links against (skipped when present). Needs root or sudo.
set -euo pipefail
packages=(libopenblas-dev libnetcdf-dev libfftw3-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo apt-get install -y "${missing[@]}"
fi
