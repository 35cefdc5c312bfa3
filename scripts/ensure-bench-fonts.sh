#!/usr/bin/env bash
# Install the Debian handwriting fonts that bench/realworld.py writes digits, numbers and letters in.
set -euo pipefail
FONTS="fonts-dkg-handwriting fonts-breip fonts-femkeklaver fonts-rufscript fonts-bwht fonts-humor-sans
       fonts-comic-neue fonts-dancingscript fonts-kaushanscript fonts-kristi"
missing=""
for f in $FONTS; do dpkg -s "$f" >/dev/null 2>&1 || missing="$missing $f"; done
[ -z "$missing" ] && exit 0
echo "Installing handwriting fonts (benchmarks):$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
